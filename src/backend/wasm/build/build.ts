/** Regenerates src/backend/wasm/kernels.generated.ts from the .wat sources: `npm run build:wasm`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleModules, readKernelSources, renderGenerated } from './assemble';

const dir = fileURLToPath(new URL('..', import.meta.url));
const outPath = fileURLToPath(new URL('../kernels.generated.ts', import.meta.url));
const sources = readKernelSources(dir);
const modules = await assembleModules(sources);
writeFileSync(outPath, renderGenerated(modules));
console.log(`wrote ${outPath} (2 x ${modules.simd.shared.length} bytes of plain-SIMD wasm, 2 x ${modules.relaxed.shared.length} relaxed-SIMD, from ${sources.map((s) => s.name).join(', ')})`);
