/** Regenerates src/backend/wasm/kernels.generated.ts from the .wat sources: `npm run build:wasm`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleVariants, readKernelSources, renderGenerated, spliceSources } from './assemble';

const dir = fileURLToPath(new URL('..', import.meta.url));
const outPath = fileURLToPath(new URL('../kernels.generated.ts', import.meta.url));
const sources = readKernelSources(dir);
const variants = await assembleVariants(spliceSources(sources));
writeFileSync(outPath, renderGenerated(variants));
console.log(`wrote ${outPath} (2 x ${variants.shared.length} bytes of wasm from ${sources.map((s) => s.name).join(', ')})`);
