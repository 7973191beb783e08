/**
 * Validates kernel sources without writing anything: `node --import tsx
 * src/backend/wasm/build/check.ts [fragment.wat ...]` assembles kernels.wat with the
 * fragments in the folder, where each file given replaces the folder's fragment of the
 * same name (or is added), and prints the module size or wabt's error.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleWat, readKernelSources, spliceSources } from './assemble';

const dir = fileURLToPath(new URL('..', import.meta.url));
const given = process.argv.slice(2).map((p) => ({ name: basename(p), text: readFileSync(p, 'utf8') }));
const sources = readKernelSources(dir).filter((s) => !given.some((g) => g.name === s.name));
const all = [sources[0]!, ...[...sources.slice(1), ...given].sort((x, y) => (x.name < y.name ? -1 : 1))];
const bytes = await assembleWat(spliceSources(all));
console.log(`ok: ${bytes.length} bytes from ${all.map((s) => s.name).join(', ')}`);
