/**
 * Element-wise kernels on wasm: same-shape, scalar and row-broadcast add / sub / mul / div,
 * the unary ops whose f32x4 instruction is exactly rounded per lane (bit-identical to the
 * CPU kernels), and clip. Everything else, and small inputs, go to the CPU kernels.
 */
import type { BinaryOp, F32, UnaryOp } from '../backend';
import { cpuBackend } from '../cpu';
import { copyOut, copyView, region, type WasmRuntime } from './runtime';

/** selector of each unary op the `unary` kernel implements (see kernels.wat) */
export const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, sqrt: 2, square: 3, reciprocal: 4, relu: 5, step: 6, floor: 7, round: 8, sign: 9,
};

function size(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** whether `small` (leading 1s ignored) equals the trailing dims of `out` */
function isSuffix(small: readonly number[], out: readonly number[]): boolean {
  let i = 0;
  while (i < small.length && small[i] === 1) i++;
  const len = small.length - i;
  if (len > out.length) return false;
  for (let j = 0; j < len; j++) if (small[i + j] !== out[out.length - len + j]) return false;
  return true;
}

/**
 * Large same-shape calls run as a pipeline (runtime.pipeline): the caller copies the operands
 * in chunk by chunk while a worker computes the chunks already copied, so the kernel hides
 * behind the copies that the Backend contract requires anyway. Measured (2 cores, add, wall
 * ms, one thread → pipeline): 2^17 elements 0.17 → 0.22, 2^18 0.43 → 0.41, 2^19 0.90 → 0.67,
 * 2^20 1.86 → 1.28 (copy a and b in 0.6, kernel 0.46, copy out ~0.5).
 * The result is copied out by the caller into an ordinary Float32Array. Letting workers write
 * it into a SharedArrayBuffer-backed output was faster in short runs but is unusable: V8 does
 * not reclaim SharedArrayBuffers under allocation pressure (a loop of 4 MB outputs reached
 * 5 GB RSS, and allocation + fill went from 1.7 to 13 ms per call).
 */
const PIPELINE_MIN = 1 << 18;
const PIPELINE_CHUNK = 1 << 15;
const BINARY_CODE = { add: 0, sub: 1, mul: 2, div: 3 } as const;

/**
 * [..., M, 1] op [..., 1, N] → [..., M, N] with the same leading dims (an outer product per
 * leading index: vmap's per-example weight gradients x_bᵀ·g_b).
 */
function isOuter(aShape: readonly number[], bShape: readonly number[], out: readonly number[]): boolean {
  const r = out.length;
  if (r < 2 || aShape.length !== r || bShape.length !== r || aShape[r - 1] !== 1 || bShape[r - 2] !== 1) return false;
  if (aShape[r - 2] !== out[r - 2] || bShape[r - 1] !== out[r - 1]) return false;
  for (let i = 0; i < r - 2; i++) if (aShape[i] !== out[i] || bShape[i] !== out[i]) return false;
  return true;
}

export function underflows(v: number): boolean {
  return v !== 0 && Math.fround(v) === 0;
}

export function wasmElementwise(rt: WasmRuntime, minElems: number) {
  const k = rt.exports;
  const base = rt.heapBase;

  function binary(
    op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], outShape: readonly number[], into?: F32,
  ): F32 {
    const n = size(outShape);
    if (n < minElems || (op !== 'add' && op !== 'sub' && op !== 'mul' && op !== 'div')) {
      return cpuBackend.binary(op, a, aShape, b, bShape, outShape, into);
    }
    const na = a.length, nb = b.length;
    const pa = base, pb = pa + region(na), po = pb + region(nb);
    if (na === n && nb === n) {
      if (n >= PIPELINE_MIN && rt.threads() > 1) return pipelined(BINARY_CODE[op], a, b, n, into);
      rt.reserve(po - base + region(n));
      rt.f32().set(a, pa >> 2);
      rt.f32().set(b, pb >> 2);
      (op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv)(pa, pb, po, n);
    } else if (na === n && nb === 1) {
      rt.reserve(pb - base + region(n));
      rt.f32().set(a, pa >> 2);
      (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_vs : op === 'mul' ? k.mul_vs : k.div_vs)(pa, b[0]!, pb, n);
      return copyOut(rt.f32(), pb, n, into);
    } else if (na === 1 && nb === n) {
      rt.reserve(region(n) * 2);
      rt.f32().set(b, pa >> 2);
      const o = pa + region(n);
      (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_sv : op === 'mul' ? k.mul_vs : k.div_sv)(pa, a[0]!, o, n);
      return copyOut(rt.f32(), o, n, into);
    } else if ((na === n && isSuffix(bShape, outShape)) || (nb === n && isSuffix(aShape, outShape))) {
      // [.., C] op [C] (or the mirror): one vector-vector call per row, the small operand's
      // pointer fixed; a row's overrun into the next row is rewritten by the next call
      rt.reserve(po - base + region(n));
      rt.f32().set(a, pa >> 2);
      rt.f32().set(b, pb >> 2);
      const f = op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv;
      const cols = na === n ? nb : na;
      const aStep = na === n ? cols * 4 : 0, bStep = nb === n ? cols * 4 : 0;
      for (let r = 0, rows = n / cols; r < rows; r++) f(pa + r * aStep, pb + r * bStep, po + r * cols * 4, cols);
    } else if ((op === 'mul' || op === 'add') && isOuter(aShape, bShape, outShape)) {
      // each output row is b's row times (plus) one element of a: one vector-scalar call per row
      rt.reserve(po - base + region(n));
      rt.f32().set(b, pb >> 2);
      const f = op === 'mul' ? k.mul_vs : k.add_vs;
      const r = outShape.length;
      const m = outShape[r - 2]!, cols = outShape[r - 1]!;
      for (let row = 0, rows = n / cols; row < rows; row++) f(pb + Math.floor(row / m) * cols * 4, a[row]!, po + row * cols * 4, cols);
    } else {
      return cpuBackend.binary(op, a, aShape, b, bShape, outShape, into);
    }
    return copyOut(rt.f32(), po, n, into);
  }

  /** op(a, b) or unary op(a) (code 4 + selector) over n elements, as a copy/compute pipeline */
  function pipelined(code: number, a: F32, b: F32 | null, n: number, into?: F32): F32 {
    const pa = base, pb = pa + region(n), po = pb + (b === null ? 0 : region(n)), pj = po + region(n);
    rt.reserve(pj + 24 - base);
    rt.i32().set([code, pa, pb, po, n, PIPELINE_CHUNK], pj >> 2);
    const f32 = rt.f32();
    rt.pipeline('ew_chunk', pj, Math.ceil(n / PIPELINE_CHUNK), (i) => {
      const s = i * PIPELINE_CHUNK, e = Math.min(n, s + PIPELINE_CHUNK);
      f32.set(a.subarray(s, e), (pa >> 2) + s);
      if (b !== null) f32.set(b.subarray(s, e), (pb >> 2) + s);
    });
    return copyOut(rt.f32(), po, n, into);
  }

  function unary(op: UnaryOp, x: F32): F32 {
    const code = UNARY_CODE[op];
    const n = x.length;
    if (code === undefined || n < minElems) return cpuBackend.unary(op, x);
    if (n >= PIPELINE_MIN && rt.threads() > 1) return pipelined(4 + code, x, null, n);
    const px = base, po = px + region(n);
    rt.reserve(2 * region(n));
    rt.f32().set(x, px >> 2);
    k.unary(code, px, po, n);
    return copyView(rt.f32(), po >> 2, (po >> 2) + n);
  }

  function clip(x: F32, lo: number, hi: number): F32 {
    const n = x.length;
    // The kernel compares with the bounds rounded to float32, which gives the same values
    // unless lo > hi (or NaN): the CPU kernel's order of comparisons then decides; or a
    // bound that rounds to ±0 without being 0, where -0 vs +0 of the result could differ.
    if (n < minElems || !(lo <= hi) || underflows(lo) || underflows(hi)) return cpuBackend.clip(x, lo, hi);
    const px = base, po = px + region(n);
    rt.reserve(2 * region(n));
    rt.f32().set(x, px >> 2);
    k.clip(px, lo, hi, po, n);
    return copyView(rt.f32(), po >> 2, (po >> 2) + n);
  }

  return { binary, unary, clip };
}
