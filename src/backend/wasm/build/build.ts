/** Regenerates src/backend/wasm/kernels.generated.ts from kernels.wat: `npm run build:wasm`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assembleWat, renderGenerated } from './assemble';

const watPath = fileURLToPath(new URL('../kernels.wat', import.meta.url));
const outPath = fileURLToPath(new URL('../kernels.generated.ts', import.meta.url));
const bytes = await assembleWat(readFileSync(watPath, 'utf8'));
writeFileSync(outPath, renderGenerated(bytes));
console.log(`wrote ${outPath} (${bytes.length} bytes of wasm)`);
