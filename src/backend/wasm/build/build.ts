/** Regenerates src/backend/wasm/kernels.generated.ts from the .wat sources: `npm run build:wasm`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleWat, readKernelSources, renderGenerated, spliceSources } from './assemble';

const dir = fileURLToPath(new URL('..', import.meta.url));
const outPath = fileURLToPath(new URL('../kernels.generated.ts', import.meta.url));
const sources = readKernelSources(dir);
const bytes = await assembleWat(spliceSources(sources));
writeFileSync(outPath, renderGenerated(bytes));
console.log(`wrote ${outPath} (${bytes.length} bytes of wasm from ${sources.map((s) => s.name).join(', ')})`);
