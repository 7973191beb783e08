/**
 * Batching the max-pool derivative primitives (their rules sit beside them in ./conv.ts): the
 * examples fold into N as for the pools, and the argmax indices, flat into one example's pool
 * input, are shifted to flat indices into the folded input and back.
 */
import { batchSize, foldShape, moveBatch } from './batch-rules';
import { addRaw, castRaw, compareRaw, greaterEqualP, whereRaw } from './elementwise';
import { reshapeRaw } from './reduce-core';
import { makeTensor } from '../tensor/tensor';
import { erase, type AnyTensor, dimsOf } from '../tensor/untyped';
import { bind1, type BatchDim, type BatchResult, type Primitive } from '../autodiff/core';


/**
 * Max-pool indices of a batch at axis 0 (-1: an empty window, kept) shifted by sign·b·per for
 * example b: into the batch folded into N (+1) or back from it (-1). There is no int32 add, so
 * the shift runs in float32, exact below 2^24 positions (as gather's batching rule).
 */
export function shiftIndices(idx: AnyTensor, per: number, sign: 1 | -1): AnyTensor {
  const s = dimsOf(idx);
  const size = s[0]!;
  if (size * per > 2 ** 24) throw new RangeError(`vmap: max-pool indices over ${size} examples of ${per} cells each exceed 2^24 positions`);
  const off = erase(makeTensor([size, ...s.slice(1).map(() => 1)], 'float32', Float32Array.from({ length: size }, (_, b) => sign * b * per)));
  const f = castRaw(idx, 'float32');
  return castRaw(whereRaw(compareRaw(greaterEqualP, f, 0), addRaw(f, off), -1), 'int32');
}

/** Params of the max-pool gather / scatter: the pool input's shape (N-leading). */
interface PoolIndexed {
  readonly inShape: readonly number[];
}

/**
 * Rule of max_pool_gather (x, argmax) and max_pool_scatter (dy, argmax): both operands fold
 * into N (an unbatched one is broadcast first), the indices shifted to the folded pool input,
 * and the primitive runs once for the batch.
 */
export function batchPoolIndexed<P extends PoolIndexed>(prim: Primitive<P>, ins: readonly AnyTensor[], dims: readonly BatchDim[], p: P): BatchResult {
  const size = batchSize(ins, dims);
  const fold = (x: AnyTensor) => {
    const s = dimsOf(x);
    return reshapeRaw(x, [s[0]! * s[1]!, ...s.slice(2)]);
  };
  const per = p.inShape.reduce((a, b) => a * b, 1);
  const v = fold(moveBatch(ins[0]!, dims[0]!, 0, size));
  const idx = fold(shiftIndices(moveBatch(ins[1]!, dims[1]!, 0, size), per, 1));
  const out = bind1(prim, [v, idx], { ...p, inShape: foldShape(p.inShape, size) });
  const s = dimsOf(out);
  return [[reshapeRaw(out, [size, s[0]! / size, ...s.slice(1)])], [0]];
}
