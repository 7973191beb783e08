/**
 * Shared pieces of the batching rules (vmap): moving a batch axis, and the rule families
 * (shape-preserving, NumPy-broadcasting, axis-shifting) that many primitives share. Each
 * primitive's own rule sits beside its other rules; these only keep them short.
 */
import { dimsOf } from '../tensor/untyped';
import { noBatchRuleMessage } from '../autodiff/batching';
import { bind, type AnyTensor, type BatchDim, type BatchResult, type Primitive } from '../autodiff/core';
import { broadcastToRaw, frontAligned, moveAxis, reshapeRaw } from './reduce-core';
export { moveAxis };



/** The batch value of x with its batch axis at `to`; an unbatched x is broadcast to `size` examples there. */
export function moveBatch(x: AnyTensor, bdim: BatchDim, to: number, size: number): AnyTensor {
  if (bdim !== null) return moveAxis(x, bdim, to);
  const s = dimsOf(x);
  const one = [...s.slice(0, to), 1, ...s.slice(to)];
  return broadcastToRaw(reshapeRaw(x, one), [...s.slice(0, to), size, ...s.slice(to)]);
}

/** The per-example rank of a batch value. */
export const exampleRank = (x: AnyTensor, bdim: BatchDim): number => x.shape.length - (bdim === null ? 0 : 1);

/** A per-example axis as an axis of the batch value (the batch axis sits at bdim). */
export const physicalAxis = (axis: number, bdim: number): number => (axis < bdim ? axis : axis + 1);

/** A per-example params array (one entry per axis) with `fill` inserted at the batch axis. */
export function insertAt<T>(xs: readonly T[], at: number, fill: T): T[] {
  const out = xs.slice();
  out.splice(at, 0, fill);
  return out;
}

/** The number of examples, read off the first batched input. */
export function batchSize(ins: readonly AnyTensor[], dims: readonly BatchDim[]): number {
  const i = dims.findIndex((d) => d !== null);
  return dimsOf(ins[i]!)[dims[i]!]!;
}

/**
 * Batch values aligned for NumPy broadcasting: every batched input gets its batch axis in front
 * and 1s after it up to the largest per-example rank, so the examples line up and the
 * per-example dims broadcast as they would for one example; unbatched inputs are left as they
 * are (they broadcast against the trailing dims). matmul uses it too: its matrix dims are the
 * trailing ones, untouched by the alignment.
 */
export function alignBatched(ins: readonly AnyTensor[], dims: readonly BatchDim[]): AnyTensor[] {
  let rank = 0;
  ins.forEach((x, i) => (rank = Math.max(rank, exampleRank(x, dims[i]!))));
  return ins.map((x, i) => (dims[i] === null ? x : frontAligned(x, dims[i]!, rank)));
}

/** Rule of a shape-preserving, element-wise primitive of one input: the batch axis stays put. */
export function batchSameAxis<P>(prim: Primitive<P, string>, ins: readonly AnyTensor[], dims: readonly BatchDim[], p: P): BatchResult {
  const outs = bind(prim, ins, p);
  return [outs, outs.map(() => dims[0]!)];
}

/** Rule of an element-wise primitive with NumPy broadcasting: align the batch axes in front. */
export function batchBroadcast<P>(prim: Primitive<P, string>, ins: readonly AnyTensor[], dims: readonly BatchDim[], p: P): BatchResult {
  const outs = bind(prim, alignBatched(ins, dims), p);
  return [outs, outs.map(() => 0)];
}

/** Rule of a one-input primitive with a single per-example `axis` param (softmax, argmax): shift it past the batch axis. */
export function batchOneAxis<P extends { readonly axis: number }>(prim: Primitive<P, string>, removesAxis: boolean, ins: readonly AnyTensor[], dims: readonly BatchDim[], p: P): BatchResult {
  const d = dims[0]!;
  const outs = bind(prim, ins, { ...p, axis: physicalAxis(p.axis, d) });
  return [outs, outs.map(() => (removesAxis && p.axis < d ? d - 1 : d))];
}

/** Rule of a reduction over per-example `axes` (sum, max, logSumExp...): shift them past the batch axis. */
export function batchReduce<P extends { readonly axes: readonly number[]; readonly keepDims: boolean }>(prim: Primitive<P, string>, ins: readonly AnyTensor[], dims: readonly BatchDim[], p: P): BatchResult {
  const d = dims[0]!;
  const outs = bind(prim, ins, { ...p, axes: p.axes.map((a) => physicalAxis(a, d)) });
  const out = p.keepDims ? d : d - p.axes.filter((a) => a < d).length;
  return [outs, outs.map(() => out)];
}

/**
 * Rule of a primitive over N-leading operands (conv, pooling, fused layers): the examples fold
 * into N ([B, N, ...] → [B·N, ...]), the primitive runs once, and each output is unfolded.
 * `lead[i]` says input i is N-leading (an unbatched one is broadcast to the batch); the others
 * (filters, weights) must be unbatched: a batched one is an error naming the primitive.
 * `fold(p, size)` adjusts params that hold an N-leading shape.
 */
export function batchFoldN<P>(prim: Primitive<P, string>, ins: readonly AnyTensor[], dims: readonly BatchDim[], p: P, lead: readonly boolean[], fold?: (p: P, size: number) => P): BatchResult {
  const size = batchSize(ins, dims);
  const bad = ins.findIndex((_, i) => !lead[i] && dims[i] !== null);
  if (bad >= 0) throw new Error(`${noBatchRuleMessage(prim.name)} with operand ${bad} batched (only its N-leading operands can be)`);
  const folded = ins.map((x, i) => {
    if (!lead[i]) return x;
    const front = moveBatch(x, dims[i]!, 0, size);
    const s = dimsOf(front);
    return reshapeRaw(front, [s[0]! * s[1]!, ...s.slice(2)]);
  });
  const outs = bind(prim, folded, fold ? fold(p, size) : p).map((o) => {
    const s = dimsOf(o);
    return reshapeRaw(o, [size, s[0]! / size, ...s.slice(1)]);
  });
  return [outs, outs.map(() => 0)];
}

/** A params shape that is N-leading, for a batch folded into N. */
export const foldShape = (s: readonly number[], size: number): number[] => [size * s[0]!, ...s.slice(1)];
