import { backend, setBackend } from '../../src/backend';
import { cpuBackend } from '../../src/backend/cpu';

/** Run body on the default backend (wasm in these suites) and then on the CPU backend; the default is restored after. */
export function onBackends(body: () => void): void {
  const prev = backend();
  try {
    for (const b of [prev, cpuBackend]) {
      setBackend(b);
      body();
    }
  } finally {
    setBackend(prev);
  }
}
