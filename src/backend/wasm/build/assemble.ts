/**
 * Assembles the kernel sources with wabt and renders kernels.generated.ts. Shared by the
 * build script (which writes the file) and the test (which checks the committed file is
 * what the sources assemble to). Build-time only: nothing at runtime imports this or wabt.
 *
 * Sources: kernels.wat is the module's core; every other .wat file in the folder is a
 * fragment (module fields only), spliced in before the core's final parenthesis in
 * file-name order, so one module (one memory, one set of scratch globals) comes out. One
 * more source is generated, not read: the GEMM core's macro definitions (gemm-tile.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { expandMacros } from './macros';
import { gemmCoreMacros, TILES, type Tile } from './gemm-tile';

/** the wasm features the kernels use (wabt needs them both to parse and to validate) */
const FEATURES = { simd: true, threads: true, bulk_memory: true } as const;

/**
 * The module is built twice: plain 128-bit SIMD, and relaxed SIMD (the `NAME@relaxed`
 * macros: f32x4.relaxed_madd in the GEMM micro-kernel, one rounding per multiply-add), which
 * the runtime picks where the engine validates it.
 */
export type KernelVariant = 'simd' | 'relaxed';
const VARIANT_FEATURES: Record<KernelVariant, Readonly<Record<string, boolean>>> = { simd: FEATURES, relaxed: { ...FEATURES, relaxed_simd: true } };

export interface KernelSource {
  readonly name: string;
  readonly text: string;
}

/** the name the generated GEMM-core definitions go by in error messages */
export const GEMM_CORE_SOURCE = 'gemm-core (build/gemm-tile.ts)';

/**
 * kernels.wat first, then the fragments sorted by name, then the generated GEMM core
 * definitions for the given register blocks (default: the committed choice, TILES)
 */
export function readKernelSources(dir: string, tiles: Readonly<Record<KernelVariant, Tile>> = TILES): KernelSource[] {
  const names = readdirSync(dir).filter((f) => f.endsWith('.wat') && f !== 'kernels.wat').sort();
  const read = ['kernels.wat', ...names].map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
  return [...read, { name: GEMM_CORE_SOURCE, text: gemmCoreMacros(tiles) }];
}

/** the core with the fragments spliced in before its closing parenthesis, macros expanded (macros.ts) */
export function spliceSources(sources: readonly KernelSource[], variant: KernelVariant = 'simd'): string {
  const [core, ...fragments] = expandMacros(sources, variant);
  if (core === undefined) throw new Error('assemble: no kernel sources');
  const close = core.text.lastIndexOf(')');
  if (close < 0) throw new Error(`assemble: ${core.name} has no closing parenthesis`);
  // a source of definitions only (the generated GEMM core) leaves nothing to splice
  const parts = fragments.filter((f) => f.text.trim() !== '').map((f) => `\n  ;; ---- ${f.name} ----\n${f.text}\n`);
  return core.text.slice(0, close) + parts.join('') + core.text.slice(close);
}

/** WAT text → wasm bytes (validated; SIMD and threads on; no name section, so the output is reproducible) */
export async function assembleWat(wat: string, features: Readonly<Record<string, boolean>> = FEATURES): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('kernels.wat', wat, features);
  try {
    mod.resolveNames();
    (mod.validate as (features?: object) => void)(features);
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

const SHARED_MEMORY = '(import "env" "memory" (memory 1 65536 shared))';

/**
 * The module twice: importing a shared memory (threads; Node, cross-origin-isolated pages)
 * and an unshared one (single-threaded, for environments without SharedArrayBuffer). The
 * kernels use no atomics, so the texts differ only in that import.
 */
export async function assembleVariants(wat: string, variant: KernelVariant = 'simd'): Promise<{ shared: Uint8Array; unshared: Uint8Array }> {
  if (!wat.includes(SHARED_MEMORY)) throw new Error(`assemble: the core must import its memory as ${SHARED_MEMORY}`);
  return {
    shared: await assembleWat(wat, VARIANT_FEATURES[variant]),
    unshared: await assembleWat(wat.replace(SHARED_MEMORY, '(import "env" "memory" (memory 1 65536))'), VARIANT_FEATURES[variant]),
  };
}

/**
 * One build of the module over an unshared memory with `tile` as that build's GEMM register
 * block in place of the committed one: for measuring and testing other blocks.
 */
export async function assembleWithTile(dir: string, variant: KernelVariant, tile: Tile): Promise<Uint8Array> {
  return (await assembleVariants(spliceSources(readKernelSources(dir, { ...TILES, [variant]: tile }), variant), variant)).unshared;
}

export type Modules = Record<KernelVariant, { shared: Uint8Array; unshared: Uint8Array }>;

/** all four modules from the sources: plain and relaxed SIMD, each over a shared and an unshared memory */
export async function assembleModules(sources: readonly KernelSource[]): Promise<Modules> {
  return {
    simd: await assembleVariants(spliceSources(sources, 'simd'), 'simd'),
    relaxed: await assembleVariants(spliceSources(sources, 'relaxed'), 'relaxed'),
  };
}

function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 96) lines.push(`  '${b64.slice(i, i + 96)}'`);
  return lines.join(' +\n') + ';';
}

/** the TypeScript module embedding all four modules as base64, in lines short enough to diff */
export function renderGenerated(m: Modules): string {
  return [
    '// Generated by src/backend/wasm/build/build.ts from src/backend/wasm/*.wat (wabt 1.0.39).',
    '// Do not edit: change the WAT and run `npm run build:wasm`; test/backend-wasm.test.ts checks it is current.',
    '',
    `/** the kernel module over a shared memory (${m.simd.shared.length} bytes), base64 */`,
    'export const KERNELS_WASM_BASE64 =',
    base64Lines(m.simd.shared),
    '',
    `/** the same kernels over an unshared memory (${m.simd.unshared.length} bytes; no SharedArrayBuffer: one thread), base64 */`,
    'export const KERNELS_WASM_UNSHARED_BASE64 =',
    base64Lines(m.simd.unshared),
    '',
    `/** the relaxed-SIMD build (fused multiply-add in the GEMM micro-kernel) over a shared memory (${m.relaxed.shared.length} bytes), base64 */`,
    'export const KERNELS_RELAXED_WASM_BASE64 =',
    base64Lines(m.relaxed.shared),
    '',
    `/** the relaxed-SIMD build over an unshared memory (${m.relaxed.unshared.length} bytes), base64 */`,
    'export const KERNELS_RELAXED_WASM_UNSHARED_BASE64 =',
    base64Lines(m.relaxed.unshared),
    '',
  ].join('\n');
}
