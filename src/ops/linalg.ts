/**
 * Linear algebra: matmul (2-D and batched, optional transposed operands), transpose, dot,
 * outer.
 *
 * matmul is one primitive whose params are the two transpose flags, so the derivative rules
 * (dA = G·Bᵀ, dB = Aᵀ·G and their transposed variants) are matmuls with flipped flags: no
 * transposed copy is ever materialised. Broadcast batch dims are expressed through the
 * kernel's per-batch offsets (a broadcast operand is read in place, never copied) and folded
 * back in the vjp with sumToShape.
 */
import { backend } from '../backend';
import type { Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import {
  dotShape,
  matmulTShape,
  outerShape,
  transposeShape,
  type Check,
  type DotShape,
  type MatmulTShape,
  type OuterShape,
  type Result,
  type TransposeShape,
} from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { bind1, type AVal, type BatchDim, type BatchResult, type MaybeTensor, type Primitive } from '../autodiff/core';
import { reshapeRaw, sumToShape, transposeRaw } from './reduce-core';
// transpose's primitive lives with reshape (every batching and derivative rule moves axes)
export { transposeP, transposeRaw, type TransposeParams } from './reduce-core';
import { addRaw, mulP, mulRaw } from './elementwise';
import { boolArg, optionsArg, tensorArgs } from '../tensor/validate';
import { batchBroadcast, moveAxis } from './batch-rules';

// ---------------------------------------------------------------- runtime helpers

const dims = (x: AnyTensor | AVal) => x.shape as readonly number[];

function requireFloat(op: string, ins: readonly AVal[]): void {
  for (const a of ins) if (a.dtype !== 'float32') throw new ShapeError(op, `expects float32 operands, got ${a.dtype}`);
}

/**
 * Start offset of each operand's matrix for every output batch index: a batch dim the
 * operand lacks or has as 1 gets stride 0, so the same matrix is re-read (no copy).
 */
export function batchOffsets(opShape: readonly number[], outBatch: readonly number[], matSize: number): Int32Array {
  const nb = outBatch.length;
  const own = opShape.slice(0, -2);
  const lead = nb - own.length;
  const strides = new Array<number>(nb).fill(0);
  for (let i = nb - 1, s = matSize; i >= lead; i--) {
    const d = own[i - lead]!;
    strides[i] = d === 1 ? 0 : s;
    s *= d;
  }
  let total = 1;
  for (const d of outBatch) total *= d;
  const out = new Int32Array(total);
  if (total === 0) return out;
  const idx = new Array<number>(nb).fill(0);
  let off = 0;
  for (let t = 0; t < total; t++) {
    out[t] = off;
    for (let i = nb - 1; i >= 0; i--) {
      off += strides[i]!;
      if (++idx[i]! < outBatch[i]!) break;
      off -= strides[i]! * outBatch[i]!;
      idx[i] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------- matmul

export interface MatmulParams {
  readonly transA: boolean;
  readonly transB: boolean;
}

export const matmulP: Primitive<MatmulParams> = {
  name: 'matmul',
  shape(ins, p) {
    requireFloat('matmul', ins);
    const [a, b] = ins as [AVal, AVal];
    return [{ shape: matmulTShape(a.shape, b.shape, p.transA, p.transB), dtype: 'float32' }];
  },
  impl(ins, p, outs, into) {
    const [a, b] = ins as [AnyTensor, AnyTensor];
    const out = dims(outs[0]!);
    const r = out.length;
    const m = out[r - 2]!;
    const n = out[r - 1]!;
    const sa = dims(a);
    const k = p.transA ? sa[sa.length - 2]! : sa[sa.length - 1]!;
    const outBatch = out.slice(0, -2);
    const aOff = batchOffsets(sa, outBatch, m * k);
    const bOff = batchOffsets(dims(b), outBatch, k * n);
    return [backend().matmul(a._data as Float32Array, aOff, b._data as Float32Array, bOff, aOff.length, m, k, n, p.transA, p.transB, into?.[0] as Float32Array | undefined)];
  },
  // d(op(A)·op(B)) = op(dA)·op(B) + op(A)·op(dB): the flags carry over unchanged.
  jvp(prim, t, _o, p) {
    const [a, b] = prim as [AnyTensor, AnyTensor];
    const [ta, tb] = t as [MaybeTensor, MaybeTensor];
    const l = ta && matmulRaw(ta, b, p.transA, p.transB);
    const r = tb && matmulRaw(a, tb, p.transA, p.transB);
    return [l === null ? r : r === null ? l : addRaw(l, r)];
  },
  // With C = op(A)·op(B) and G = dC: d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G; for a
  // transposed operand the gradient is the transpose of that, which is again one matmul with
  // swapped operands. Broadcast batch dims are summed back to each operand's shape.
  vjp(cts, prim, _o, p, needed) {
    const g = cts[0]!;
    const [a, b] = prim as [AnyTensor, AnyTensor];
    // skip the GEMM for an operand that is a constant (e.g. the data entering the first layer)
    const da = needed[0] === false ? null : p.transA ? matmulRaw(b, g, p.transB, true) : matmulRaw(g, b, false, !p.transB);
    const db = needed[1] === false ? null : p.transB ? matmulRaw(g, a, true, p.transA) : matmulRaw(a, g, !p.transA, false);
    return [da && sumToShape(da, dims(a)), db && sumToShape(db, dims(b))];
  },
  batch: (ins, bdims, p) => batchMatmul(ins as [AnyTensor, AnyTensor], bdims as [BatchDim, BatchDim], p),
};

/**
 * matmul's batching rule. Three forms, each computing every example's product as it would be
 * computed alone:
 * - a batched, b shared and 2-D (a layer's weights), a not transposed: the examples' rows
 *   stack into M, one GEMM ([B·M, K]·[K, N]; a row of a GEMM does not depend on the others);
 * - a contracted dim of 1 (outer products: per-example weight gradients x_bᵀ·g_b): a broadcast
 *   multiply, the one product each output element is;
 * - otherwise the batch axes go in front, rank-aligned, as (broadcast) matmul batch dims.
 */
function batchMatmul(ins: readonly [AnyTensor, AnyTensor], bdims: readonly [BatchDim, BatchDim], p: MatmulParams): BatchResult {
  const [a, b] = ins;
  const [da, db] = bdims;
  if (da !== null && db === null && !p.transA && dims(b).length === 2) {
    const front = moveAxis(a, da, 0);
    const s = dims(front);
    const k = s[s.length - 1]!;
    const out = matmulRaw(reshapeRaw(front, [front.size / k, k]), b, false, p.transB);
    return [[reshapeRaw(out, [...s.slice(0, -1), dims(out)[1]!])], [0]];
  }
  // per-example shapes, batch axes in front
  const fa = da === null ? a : moveAxis(a, da, 0);
  const fb = db === null ? b : moveAxis(b, db, 0);
  const sa = dims(fa).slice(da === null ? 0 : 1);
  const sb = dims(fb).slice(db === null ? 0 : 1);
  if ((p.transA ? sa[sa.length - 2] : sa[sa.length - 1]) === 1) {
    // op(A) = [..., M, 1] and op(B) = [..., 1, N]: with a dim of 1 the transpose is a reshape
    const lead = (x: AnyTensor, d: BatchDim) => (d === null ? [] : [dims(x)[0]!]);
    const col = p.transA ? reshapeRaw(fa, [...lead(fa, da), ...sa.slice(0, -2), sa[sa.length - 1]!, 1]) : fa;
    const row = p.transB ? reshapeRaw(fb, [...lead(fb, db), ...sb.slice(0, -2), 1, sb[sb.length - 2]!]) : fb;
    return batchBroadcast(mulP, [col, row], [da === null ? null : 0, db === null ? null : 0], null);
  }
  return batchBroadcast(matmulP, ins, bdims, p);
}

export function matmulRaw(a: AnyTensor, b: AnyTensor, transA = false, transB = false): AnyTensor {
  return bind1(matmulP, [a, b], { transA, transB });
}

export interface MatmulOptions<TA extends boolean = boolean, TB extends boolean = boolean> {
  /** use Aᵀ (the last two dims of A swapped) without copying */
  readonly transposeA?: TA;
  /** use Bᵀ (the last two dims of B swapped) without copying; `matmul(q, k, { transposeB: true })` is q·kᵀ */
  readonly transposeB?: TB;
}

/**
 * Matrix product over the last two dims, batch dims broadcast (NumPy / JAX semantics):
 * [...batchA, M, K] @ [...batchB, K, N] → [...broadcast(batchA, batchB), M, N]. Both operands
 * need rank >= 2 (use `dot` for vectors). With `{ transposeA, transposeB }` the flagged
 * operand's last two dims are swapped first, read in place.
 */
export function matmul<A extends Shape, B extends Shape, const TA extends boolean = false, const TB extends boolean = false>(
  a: Tensor<A>,
  b: Tensor<B> & Check<MatmulTShape<A, B, TA, TB>>,
  options?: MatmulOptions<TA, TB>,
): Tensor<Result<MatmulTShape<A, B, TA, TB>>> {
  tensorArgs('matmul', { a, b });
  optionsArg('matmul', options, ['transposeA', 'transposeB']);
  boolArg('matmul', 'transposeA', options?.transposeA);
  boolArg('matmul', 'transposeB', options?.transposeB);
  return typed<Tensor<Result<MatmulTShape<A, B, TA, TB>>>>(matmulRaw(erase(a), erase(b), options?.transposeA ?? false, options?.transposeB ?? false));
}

// ---------------------------------------------------------------- dot, outer

/**
 * numpy.dot for vectors and matrices: [K]·[K] → [] (inner product), [M, K]·[K] → [M]
 * (matrix-vector), [K]·[K, N] → [N], [M, K]·[K, N] → [M, N]. Vectors are reshaped (no copy)
 * into one-row / one-column matrices for the matmul kernel.
 */
export function dot<A extends Shape, B extends Shape>(a: Tensor<A>, b: Tensor<B> & Check<DotShape<A, B>>): Tensor<Result<DotShape<A, B>>> {
  tensorArgs('dot', { a, b });
  const x = erase(a);
  const y = erase(b);
  const outShape = dotShape(dims(x), dims(y));
  requireFloat('dot', [x, y]);
  const k = dims(y)[0]!;
  const a2 = dims(x).length === 1 ? reshapeRaw(x, [1, k]) : x;
  const b2 = dims(y).length === 1 ? reshapeRaw(y, [k, 1]) : y;
  return typed<Tensor<Result<DotShape<A, B>>>>(reshapeRaw(matmulRaw(a2, b2), outShape));
}

/** Outer product [M] ⊗ [N] → [M, N] (a broadcast multiply: k = 1 needs no GEMM). */
export function outer<A extends Shape, B extends Shape>(a: Tensor<A>, b: Tensor<B> & Check<OuterShape<A, B>>): Tensor<Result<OuterShape<A, B>>> {
  tensorArgs('outer', { a, b });
  const x = erase(a);
  const y = erase(b);
  const [m, n] = outerShape(dims(x), dims(y));
  requireFloat('outer', [x, y]);
  return typed<Tensor<Result<OuterShape<A, B>>>>(mulRaw(reshapeRaw(x, [m!, 1]), reshapeRaw(y, [1, n!])));
}

// ---------------------------------------------------------------- transpose

/**
 * Permute the axes: out.shape[i] = x.shape[perm[i]] (negative entries count from the end);
 * without perm the axes are reversed. Works for every dtype.
 */
export function transpose<S extends Shape, const P extends readonly number[] | undefined = undefined, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  perm?: P & Check<TransposeShape<S, P>>,
): Tensor<Result<TransposeShape<S, P>>, D> {
  tensorArgs('transpose', { x });
  const t = erase(x);
  const rank = t.shape.length;
  const given = perm as readonly number[] | undefined;
  // the shape rule validates the perm (length, range, repeats) before it is normalised
  transposeShape(dims(t), given);
  const norm = given === undefined ? Array.from({ length: rank }, (_, i) => rank - 1 - i) : given.map((p) => (p < 0 ? p + rank : p));
  return typed<Tensor<Result<TransposeShape<S, P>>, D>>(transposeRaw(t, norm));
}
