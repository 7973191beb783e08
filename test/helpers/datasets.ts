/** Paths of the real data sets bundled with the examples (src/examples/data, with their licences). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function dataset(rel: string): string {
  const p = fileURLToPath(new URL(`../../src/examples/data/${rel}`, import.meta.url));
  if (!existsSync(p)) throw new Error(`dataset ${rel} not found at ${p}`);
  return p;
}
