/**
 * Element-wise kernels on wasm: same-shape, scalar and row-broadcast add / sub / mul / div,
 * the unary ops whose f32x4 instruction is exactly rounded per lane (bit-identical to the
 * CPU kernels), and clip. Everything else, and small inputs, go to the CPU kernels.
 */
import type { BinaryOp, F32, UnaryOp } from '../backend';
import { cpuBackend } from '../cpu';
import { region, type WasmRuntime } from './runtime';

/** selector of each unary op the `unary` kernel implements (see kernels.wat) */
const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
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

function underflows(v: number): boolean {
  return v !== 0 && Math.fround(v) === 0;
}

export function wasmElementwise(rt: WasmRuntime, minElems: number) {
  const k = rt.exports;
  const base = rt.heapBase;

  function binary(
    op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], outShape: readonly number[],
  ): F32 {
    const n = size(outShape);
    if (n < minElems || (op !== 'add' && op !== 'sub' && op !== 'mul' && op !== 'div')) {
      return cpuBackend.binary(op, a, aShape, b, bShape, outShape);
    }
    const na = a.length, nb = b.length;
    const pa = base, pb = pa + region(na), po = pb + region(nb);
    if (na === n && nb === n) {
      rt.reserve(po - base + region(n));
      rt.f32().set(a, pa >> 2);
      rt.f32().set(b, pb >> 2);
      (op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv)(pa, pb, po, n);
    } else if (na === n && nb === 1) {
      rt.reserve(pb - base + region(n));
      rt.f32().set(a, pa >> 2);
      (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_vs : op === 'mul' ? k.mul_vs : k.div_vs)(pa, b[0]!, pb, n);
      return rt.f32().slice(pb >> 2, (pb >> 2) + n);
    } else if (na === 1 && nb === n) {
      rt.reserve(region(n) * 2);
      rt.f32().set(b, pa >> 2);
      const o = pa + region(n);
      (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_sv : op === 'mul' ? k.mul_vs : k.div_sv)(pa, a[0]!, o, n);
      return rt.f32().slice(o >> 2, (o >> 2) + n);
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
    } else {
      return cpuBackend.binary(op, a, aShape, b, bShape, outShape);
    }
    return rt.f32().slice(po >> 2, (po >> 2) + n);
  }

  function unary(op: UnaryOp, x: F32): F32 {
    const code = UNARY_CODE[op];
    const n = x.length;
    if (code === undefined || n < minElems) return cpuBackend.unary(op, x);
    const px = base, po = px + region(n);
    rt.reserve(2 * region(n));
    rt.f32().set(x, px >> 2);
    k.unary(code, px, po, n);
    return rt.f32().slice(po >> 2, (po >> 2) + n);
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
    return rt.f32().slice(po >> 2, (po >> 2) + n);
  }

  return { binary, unary, clip };
}
