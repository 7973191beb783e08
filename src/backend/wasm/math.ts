/**
 * The exp family, log, gelu, rsqrt, leakyRelu / elu, softmax / logSoftmax and layerNorm on
 * the wasm kernels (math.wat). Unary results are within a few float32 ulp of the CPU
 * kernels (which compute in float64 and round once), not bit-identical; measured maxima on
 * 1M random points per op: exp 1 ulp, sigmoid / log / gelu / elu 2, tanh / softplus 2-3.
 * rsqrt and leakyRelu compute the CPU kernel's float64 operations and are bit-identical.
 * Special values (±0, ±∞, NaN, overflowing and subnormal results) match exactly.
 *
 * softmax / logSoftmax work in float32 throughout, as XNNPACK (x − max rounded to float32,
 * a degree-5 exp, sums in 16 float32 partial sums combined pairwise): with d = |x − max|,
 * k = ⌊cols/16⌋ + 1 and u = 2^-24 the derived bounds are |softmax − cpu| ≤ (d + D + k + 12)·u·cpu
 * + 2^-149 and |logSoftmax − cpu| ≤ 6u·|cpu| + (D + k + 8)·u, D the e-weighted mean of d over
 * the row (see the softmax section of math.wat and test/backend-wasm-math.test.ts); special
 * rows (NaN, +∞, all −∞) and exact zeros come out as in the CPU kernel.
 * layerNorm works in float64 like the CPU kernel (same formulas, including the optional
 * gamma / beta step; sums in another order, no difference seen on random data). Large inputs are split into row blocks (unary: vector
 * blocks) run on the worker threads; every row is computed by one chunk in a fixed order,
 * so results do not depend on the thread count.
 */
import type { F32, UnaryOp } from '../backend';
import { cpuBackend } from '../cpu';
import { copyOut, region, type WasmRuntime } from './runtime';

/** selector of each op in math_unary (see math.wat) */
const MATH_CODE: Partial<Record<UnaryOp, number>> = {
  exp: 0, sigmoid: 1, tanh: 2, softplus: 3, log: 4, gelu: 5, rsqrt: 6,
};
const LEAKY = 7;
const ELU = 8;

export interface WasmMathOptions {
  /** when given, calls with fewer elements than this run on the CPU kernels (else per-op defaults) */
  readonly minElems?: number | undefined;
}

/**
 * Crossovers measured with .scratch benchmarks (Node 20, x64, 2 cores; µs per call, 1 thread):
 * the wasm call with its copies costs ~0.3 µs, so the expensive ops win early (softplus, tanh,
 * softmax from 16 elements: 0.64 vs 0.33 µs for softplus), exp / sigmoid / log from 64 (exp
 * 0.89 vs 0.80 µs), the cheap ones late (rsqrt, leakyRelu 256: 1.52 vs 1.39 µs; elu 128;
 * layerNorm 256: 1.79 vs 1.39 µs for one row of 256).
 */
const MIN_ELEMS: Record<string, number> = {
  exp: 64, sigmoid: 64, tanh: 16, softplus: 16, log: 64, gelu: 32, rsqrt: 256,
  leakyRelu: 256, elu: 128, softmax: 16, layerNorm: 256,
};
/** the softmax's crossover (fused attention follows the same routing) */
export const SOFTMAX_MIN_ELEMS = MIN_ELEMS['softmax']!;
/**
 * Two threads pay only on large inputs: the copies in and out stay on the calling thread and
 * a worker's wake-up costs tens of µs. Wall time, 1 vs 2 threads: exp, tanh and layerNorm
 * 128K 257-295 vs 280-303 µs (a loss), 256K 590-683 vs 545-558.
 */
const MIN_PARALLEL = 1 << 18;
/**
 * softmax / logSoftmax with two or more threads run as a copy/compute pipeline
 * (runtime.pipeline): the caller copies blocks of about PIPELINE_FLOATS floats (whole rows)
 * in, a worker normalises the blocks already copied, the caller joins in once all are in.
 * Its kernel is light (~1 ns per element), so the copy in is worth hiding. Measured (backend
 * call, µs, median of calls without page faults, 1 thread → pipeline): [64,1024] 108 → 107,
 * [128,1024] 212 → 190, [256,1024] 433 → 342, [2048,64] 242 → 191; blocks of 4K floats were
 * slower, 16K no better; plain row chunks (rt.parallel after the whole copy) [256,1024] 455 →
 * 387 with 16 chunks, 451 with 4.
 */
const MIN_PIPELINE_ROWS = 1 << 17;
const PIPELINE_FLOATS = 1 << 13;
/** chunks per thread, so a slowed thread does not hold up the others for long */
const CHUNKS_PER_THREAD = 2;

/** a fresh copy of n floats at byte address p (the Backend contract: outputs are fresh arrays) */

type UnaryKernel = (op: number, x: number, o: number, n: number, alpha: number) => void;
type ChunkKernel = (job: number, i: number) => void;

/** math_unary over n floats at x → o, in chunks on the worker threads when large; `job` is 32 free bytes */
function runMath(rt: WasmRuntime, code: number, x: number, o: number, n: number, alpha: number, job: number): void {
  const threads = rt.threads();
  const chunks = threads <= 1 || n < MIN_PARALLEL ? 1 : Math.max(1, Math.min(Math.ceil(n / 4), threads * CHUNKS_PER_THREAD));
  if (chunks <= 1) {
    rt.fn<UnaryKernel>('math_unary')(code, x, o, n, alpha);
    return;
  }
  // chunk sizes in whole vectors, so only the last chunk's vector runs past n
  const per = Math.ceil(n / chunks / 4) * 4;
  const i32 = rt.i32();
  const j = job >> 2;
  i32[j] = code; i32[j + 1] = x; i32[j + 2] = o; i32[j + 3] = n; i32[j + 4] = per;
  new Float64Array(rt.i32().buffer, job + 24, 1)[0] = alpha;
  const count = Math.ceil(n / per);
  if (count > 1) rt.parallel('math_unary_chunk', job, count);
  else rt.fn<ChunkKernel>('math_unary_chunk')(job, 0);
}

/**
 * The Backend members this file provides: `unary` (exp, sigmoid, tanh, softplus, log, gelu,
 * rsqrt here; other ops go to `fallbackUnary`), leakyRelu, elu, softmax, logSoftmax, layerNorm.
 */
export function wasmMath(rt: WasmRuntime, fallbackUnary: (op: UnaryOp, x: F32) => F32, options: WasmMathOptions = {}) {
  const min = (op: string): number => options.minElems ?? MIN_ELEMS[op] ?? 0;
  const softmaxChunk = rt.fn<ChunkKernel>('math_softmax_chunk');
  const layerNormChunk = rt.fn<ChunkKernel>('math_layernorm_chunk');
  const base = rt.heapBase;

  /** chunk count for n elements in `units` independent pieces (1 = run on the calling thread) */
  function chunksFor(n: number, units: number, minParallel: number): number {
    const threads = rt.threads();
    if (threads <= 1 || n < minParallel) return 1;
    return Math.max(1, Math.min(units, threads * CHUNKS_PER_THREAD));
  }

  function map(code: number, x: F32, alpha: number): F32 {
    const n = x.length;
    // in place: every kernel reads a vector before writing it (half the memory traffic)
    const px = base, po = px, pJob = px + region(n);
    rt.reserve(pJob - base + 32);
    rt.f32().set(x, px >> 2);
    runMath(rt, code, px, po, n, alpha, pJob);
    return copyOut(rt.f32(), po, n);
  }

  function run(name: string, kernel: ChunkKernel, job: number, chunks: number): void {
    if (chunks > 1) rt.parallel(name, job, chunks);
    else for (let i = 0; i < chunks; i++) kernel(job, i);
  }

  function unary(op: UnaryOp, x: F32): F32 {
    const code = MATH_CODE[op];
    if (code === undefined || x.length < min(op)) return fallbackUnary(op, x);
    return map(code, x, 0);
  }

  function leakyRelu(x: F32, alpha: number): F32 {
    return x.length < min('leakyRelu') ? cpuBackend.leakyRelu(x, alpha) : map(LEAKY, x, alpha);
  }

  function elu(x: F32, alpha: number): F32 {
    // alpha is applied in float32 here; one that overflows float32 stays with the CPU kernel
    return x.length < min('elu') || !Number.isFinite(Math.fround(alpha)) ? cpuBackend.elu(x, alpha) : map(ELU, x, alpha);
  }

  function rowwise(x: F32, rows: number, cols: number, log: 0 | 1, into?: F32): F32 {
    const n = rows * cols;
    const px = base, po = px, pJob = px + region(n); // in place, see map
    rt.reserve(pJob - base + 32);
    const pipelined = rt.threads() > 1 && n >= MIN_PIPELINE_ROWS && rows > 1;
    const per = pipelined ? Math.max(1, Math.round(PIPELINE_FLOATS / cols)) : rows;
    const i32 = rt.i32();
    const j = pJob >> 2;
    i32[j] = px; i32[j + 1] = po; i32[j + 2] = rows; i32[j + 3] = cols; i32[j + 4] = per; i32[j + 5] = log;
    const f32 = rt.f32();
    if (!pipelined) {
      f32.set(x, px >> 2);
      softmaxChunk(pJob, 0);
      return copyOut(f32, po, n, into);
    }
    rt.pipeline('math_softmax_chunk', pJob, Math.ceil(rows / per), (i) => {
      const s = i * per * cols;
      f32.set(x.subarray(s, Math.min(n, s + per * cols)), (px >> 2) + s);
    });
    return copyOut(f32, po, n, into);
  }

  function softmax(x: F32, rows: number, cols: number, into?: F32): F32 {
    if (rows * cols < min('softmax') || rows * cols === 0) return cpuBackend.softmax(x, rows, cols, into);
    return rowwise(x, rows, cols, 0, into);
  }

  function logSoftmax(x: F32, rows: number, cols: number, into?: F32): F32 {
    if (rows * cols < min('softmax') || rows * cols === 0) return cpuBackend.logSoftmax(x, rows, cols, into);
    return rowwise(x, rows, cols, 1, into);
  }

  function layerNorm(x: F32, rows: number, cols: number, eps: number, gamma?: F32 | null, beta?: F32 | null): { y: F32; mean: F32; rstd: F32 } {
    const n = rows * cols;
    if (n < min('layerNorm') || n === 0) return cpuBackend.layerNorm(x, rows, cols, eps, gamma, beta);
    const affine = !!gamma || !!beta;
    const px = base, py = px, pm = px + region(n), pr = pm + region(rows); // in place
    const pg = pr + region(rows), pb = affine ? pg + region(cols) : pg, pJob = affine ? pb + region(cols) : pg;
    rt.reserve(pJob - base + 48);
    const f32in = rt.f32();
    f32in.set(x, px >> 2);
    if (affine) {
      // an absent gamma / beta is ·1 / + −0, exact identities (the CPU kernel skips them)
      if (gamma) f32in.set(gamma, pg >> 2);
      else f32in.fill(1, pg >> 2, (pg >> 2) + cols);
      if (beta) f32in.set(beta, pb >> 2);
      else f32in.fill(-0, pb >> 2, (pb >> 2) + cols);
    }
    const chunks = chunksFor(n, rows, MIN_PARALLEL);
    const per = Math.ceil(rows / chunks);
    const i32 = rt.i32();
    const j = pJob >> 2;
    i32[j] = px; i32[j + 1] = py; i32[j + 2] = pm; i32[j + 3] = pr;
    i32[j + 4] = rows; i32[j + 5] = cols; i32[j + 6] = per;
    new Float64Array(i32.buffer, pJob + 32, 1)[0] = eps;
    i32[j + 10] = affine ? pg : 0; i32[j + 11] = affine ? pb : 0;
    run('math_layernorm_chunk', layerNormChunk, pJob, Math.ceil(rows / per));
    const f32 = rt.f32();
    return {
      y: copyOut(f32, py, n),
      mean: copyOut(f32, pm, rows),
      rstd: copyOut(f32, pr, rows),
    };
  }

  return { unary, leakyRelu, elu, softmax, logSoftmax, layerNorm };
}

/**
 * The math kernels on operands already in the kernel memory (jit's fused programs, ./program):
 * each runs the kernel at byte addresses x → o over n floats on the calling thread and returns
 * true exactly when the Backend method on an n-element array would run that kernel (so the bits
 * agree), false when that call would go to the CPU kernel instead.
 */
export function wasmMathResident(rt: WasmRuntime, options: WasmMathOptions = {}) {
  const min = (op: string): number => options.minElems ?? MIN_ELEMS[op] ?? 0;
  return {
    /** whether `unary` / `alpha` of op on n elements would split the work over the threads */
    threaded(op: string, n: number): boolean {
      return (MATH_CODE[op as UnaryOp] !== undefined || op === 'leakyRelu' || op === 'elu') && n >= min(op) && n >= MIN_PARALLEL && rt.threads() > 1;
    },
    /**
     * n elements at x into o; false (nothing done) where the op-by-op call on `total` elements
     * would use the CPU kernel. `job`: 32 free bytes for the threads' job record.
     */
    unary(op: UnaryOp, x: number, o: number, n: number, total: number, job: number): boolean {
      const code = MATH_CODE[op];
      if (code === undefined || total < min(op)) return false;
      runMath(rt, code, x, o, n, 0, job);
      return true;
    },
    /**
     * the math_map selector (and alpha) that `unary` / `alpha` of op on `total` elements runs,
     * or null where they would return false (the CPU kernel); for program.wat's interpreter
     */
    kernel(op: string, total: number, alpha = 0): { readonly code: number; readonly alpha: number } | null {
      const code = MATH_CODE[op as UnaryOp];
      if (code !== undefined) return total < min(op) ? null : { code, alpha: 0 };
      if (op !== 'leakyRelu' && op !== 'elu') return null;
      if (total < min(op) || (op === 'elu' && !Number.isFinite(Math.fround(alpha)))) return null;
      return { code: op === 'elu' ? ELU : LEAKY, alpha };
    },
    alpha(op: 'leakyRelu' | 'elu', x: number, o: number, n: number, total: number, alpha: number, job: number): boolean {
      if (total < min(op) || (op === 'elu' && !Number.isFinite(Math.fround(alpha)))) return false;
      runMath(rt, op === 'elu' ? ELU : LEAKY, x, o, n, alpha, job);
      return true;
    },
  };
}

