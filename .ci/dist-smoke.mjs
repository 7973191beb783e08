// The built package, as a user gets it: ESM and CommonJS entries load the wasm kernels
// (embedded, no file paths), run a GEMM large enough for the worker threads, agree with
// the TypeScript kernels, and let the process exit by itself.
import { createRequire } from 'node:module';

const esm = await import('../dist/index.js');
const cjs = createRequire(import.meta.url)('../dist/index.cjs');
for (const [name, sf] of [['esm', esm], ['cjs', cjs]]) {
  sf.setThreads(2);
  const n = 256;
  const a = sf.randomNormal(sf.key(1), [n, n]);
  const b = sf.randomNormal(sf.key(2), [n, n]);
  sf.matmul(a, b); // starts the worker pool
  await new Promise((r) => setTimeout(r, 300)); // lets the worker boot, so the next call shares the work
  const fast = sf.matmul(a, b).dataSync();
  const previous = sf.backend();
  sf.setBackend(sf.cpuBackend);
  const ref = sf.matmul(a, b).dataSync();
  sf.setBackend(previous);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]));
  if (previous.name !== 'wasm' || !(worst < 1e-3)) throw new Error(`${name}: backend ${previous.name}, max |diff| ${worst}`);
  console.log(`${name}: default backend ${previous.name}, ${sf.getThreads()} threads, matmul ${n}³ max |diff| vs TS kernels ${worst.toExponential(2)}`);
}
