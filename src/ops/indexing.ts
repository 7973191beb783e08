/**
 * Indexing ops: gather (take), its transpose scatterAdd, and oneHot. gather works on float32,
 * int32 and bool tensors with int32 indices; every index is range-checked with its position.
 * gather ↔ scatterAdd are each other's derivatives, written with these same cores so they are
 * differentiable again.
 */
import { batchSameAxis, batchSize, moveAxis, moveBatch, physicalAxis } from './batch-rules';
import { addRaw, castRaw, compareRaw, greaterEqualP, lessP, logicalAndRaw, whereRaw } from './elementwise';
import { reshapeRaw } from './reduce-core';
import { makeTensor } from '../tensor/tensor';
import { backend } from '../backend';
import type { Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { gatherShape, normalizeAxis, oneHotShape, type Check, type DtypeRule, type GatherShape, type OneHotShape, type Result } from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { bind1, type AVal, type BatchDim, type Primitive } from '../autodiff/core';
import { tensorArgs } from '../tensor/validate';

const dims = (x: AnyTensor | AVal) => x.shape as readonly number[];
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export interface AxisParams {
  readonly axis: number;
}

function checkIndices(op: string, idx: AnyTensor, n: number, axis: number): void {
  const d = idx._data as Int32Array;
  for (let j = 0; j < d.length; j++) {
    const v = d[j]!;
    if (v < 0 || v >= n) {
      const is = dims(idx);
      const pos = new Array<number>(is.length);
      for (let k = is.length - 1, r = j; k >= 0; k--) {
        pos[k] = r % is[k]!;
        r = Math.floor(r / is[k]!);
      }
      const valid = n === 0 ? 'the axis is empty' : `valid: 0 to ${n - 1}`;
      throw new RangeError(`${op}: index ${v} at position [${pos.join(', ')}] of the indices is out of range for axis ${axis} of size ${n} (${valid})`);
    }
  }
}

function requireIndices(op: string, idx: AVal): void {
  if (idx.dtype !== 'int32') throw new ShapeError(op, `indices must be int32, got ${idx.dtype}`);
}

export const gatherP: Primitive<AxisParams> = {
  name: 'gather',
  nondiff: [1],
  shape(ins, p) {
    const [x, idx] = ins as [AVal, AVal];
    requireIndices('gather', idx);
    return [{ shape: gatherShape(x.shape, idx.shape, p.axis), dtype: x.dtype }];
  },
  impl(ins, p) {
    const [x, idx] = ins as [AnyTensor, AnyTensor];
    checkIndices('gather', idx, dims(x)[p.axis]!, p.axis);
    return [backend().gather(x._data!, dims(x), idx._data as Int32Array, p.axis)];
  },
  jvp: (prims, t, _o, p) => [gatherRaw(t[0]!, prims[1]!, p.axis)],
  vjp: (cts, prims, _o, p) => [scatterAddRaw(cts[0]!, prims[1]!, dims(prims[0]!), p.axis), null],
  batch(ins, bdims, p) {
    const [x, idx] = ins as [AnyTensor, AnyTensor];
    const [dx, di] = bdims as [BatchDim, BatchDim];
    // a batch of tables, one index set: gather along the axis past the batch axis
    if (di === null) return [[gatherRaw(x, idx, physicalAxis(p.axis, dx!))], [dx! <= p.axis ? dx! : dx! - 1 + idx.shape.length]];
    // one table, a batch of index sets: the index batch axis lands inside the gathered dims
    if (dx === null) return [[gatherRaw(x, idx, p.axis)], [p.axis + di]];
    // both batched: example b's rows are rows b·n .. b·n + n - 1 of the batch axis merged into the gathered one
    const xm = moveAxis(x, dx, p.axis);
    const s = dims(xm);
    const n = s[p.axis + 1]!;
    const merged = reshapeRaw(xm, [...s.slice(0, p.axis), s[p.axis]! * n, ...s.slice(p.axis + 2)]);
    return [[gatherRaw(merged, mergedIndices(idx, di, n), p.axis)], [p.axis]];
  },
};

export function gatherRaw(x: AnyTensor, indices: AnyTensor, axis: number): AnyTensor {
  return bind1(gatherP, [x, indices], { axis });
}

export interface ScatterParams {
  readonly axis: number;
  /** the output shape (the gathered tensor's shape) */
  readonly shape: readonly number[];
}

/** The transpose of gather: zeros(shape) with the updates added at the indices (duplicates accumulate). */
export const scatterAddP: Primitive<ScatterParams> = {
  name: 'scatter_add',
  nondiff: [1],
  shape(ins, p) {
    const [u, idx] = ins as [AVal, AVal];
    requireIndices('scatterAdd', idx);
    if (u.dtype !== 'float32') throw new ShapeError('scatterAdd', `updates must be float32, got ${u.dtype}`);
    const want = gatherShape(p.shape, idx.shape, p.axis);
    if (!sameDims(want, u.shape)) throw new ShapeError('scatterAdd', `updates shape [${u.shape.join(', ')}] differs from the gathered shape [${want.join(', ')}]`);
    return [{ shape: p.shape, dtype: 'float32' }];
  },
  impl(ins, p) {
    const [u, idx] = ins as [AnyTensor, AnyTensor];
    checkIndices('scatterAdd', idx, p.shape[p.axis]!, p.axis);
    return [backend().scatterAdd(u._data as Float32Array, p.shape, idx._data as Int32Array, p.axis)];
  },
  jvp: (prims, t, _o, p) => [scatterAddRaw(t[0]!, prims[1]!, p.shape, p.axis)],
  vjp: (cts, prims, _o, p) => [gatherRaw(cts[0]!, prims[1]!, p.axis), null],
  batch(ins, bdims, p) {
    const [u, idx] = ins as [AnyTensor, AnyTensor];
    const [du, di] = bdims as [BatchDim, BatchDim];
    const size = batchSize(ins, bdims);
    // one index set: a batch of outputs, scattered along the axis past the batch axis
    if (di === null) return [[scatterAddRaw(moveAxis(u, du!, 0), idx, [size, ...p.shape], p.axis + 1)], [0]];
    // batched indices: scatter into the batch axis merged with the target axis (see gather)
    const n = p.shape[p.axis]!;
    const um = moveBatch(u, du, p.axis, size);
    const target = [...p.shape.slice(0, p.axis), size * n, ...p.shape.slice(p.axis + 1)];
    const out = scatterAddRaw(um, mergedIndices(idx, di, n), target, p.axis);
    return [[reshapeRaw(out, [...p.shape.slice(0, p.axis), size, n, ...p.shape.slice(p.axis + 1)])], [p.axis]];
  },
};

export function scatterAddRaw(updates: AnyTensor, indices: AnyTensor, shape: readonly number[], axis: number): AnyTensor {
  return bind1(scatterAddP, [updates, indices], { axis, shape: shape.slice() });
}

export interface OneHotParams {
  readonly depth: number;
  readonly on: number;
  readonly off: number;
}

export const oneHotP: Primitive<OneHotParams> = {
  name: 'one_hot',
  nondiff: [0],
  shape(ins, p) {
    requireIndices('oneHot', ins[0]!);
    return [{ shape: oneHotShape(ins[0]!.shape, p.depth), dtype: 'float32' }];
  },
  impl: (ins, p) => [backend().oneHot(ins[0]!._data as Int32Array, p.depth, p.on, p.off)],
  // int32 input: nothing to differentiate
  jvp: () => [null],
  vjp: () => [null],
  batch: (ins, bdims, p) => batchSameAxis(oneHotP, ins, bdims, p),
};

/**
 * Batched indices [B, ...I] (batch axis `bdim` moved in front) pointing into a batch axis merged
 * with an axis of size n: example b's index i becomes b·n + i. An index outside [0, n) becomes -1,
 * so it stays out of range (the kernel's RangeError) instead of reading a neighbouring example.
 * The arithmetic is float32, exact below 2^24.
 */
function mergedIndices(idx: AnyTensor, bdim: number, n: number): AnyTensor {
  const front = moveAxis(idx, bdim, 0);
  const s = dims(front);
  const size = s[0]!;
  if (size * n > 2 ** 24) throw new RangeError(`vmap: gather/scatter with batched indices over ${size} examples of an axis of ${n} exceeds 2^24 merged positions`);
  const offsets = new Float32Array(size);
  for (let b = 0; b < size; b++) offsets[b] = b * n;
  const off = erase(makeTensor([size, ...s.slice(1).map(() => 1)], 'float32', offsets));
  const f = castRaw(front, 'float32');
  const valid = logicalAndRaw(compareRaw(greaterEqualP, f, 0), compareRaw(lessP, f, n));
  return castRaw(whereRaw(valid, addRaw(f, off), -1), 'int32');
}

// =============================================================================================
// Public ops

/**
 * Take slices along `axis` at int32 `indices` (embedding lookup: `gather(table, ids)`):
 * out.shape = x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]. An index outside
 * [0, dim) is a RangeError naming the index, its position and the valid range.
 */
export function gather<S extends Shape, I extends Shape, const A extends number = 0, D extends DType = 'float32', DI extends DType = 'int32'>(
  x: Tensor<S, D> & Check<GatherShape<S, I, A>>,
  indices: Tensor<I, DI> & Check<DtypeRule<'gather', 'indices', 'int32', DI>>,
  axis?: A,
): Tensor<Result<GatherShape<S, I, A>>, D> {
  tensorArgs('gather', { x, indices });
  const t = erase(x);
  return typed<Tensor<Result<GatherShape<S, I, A>>, D>>(gatherRaw(t, erase(indices), normalizeAxis(axis ?? 0, dims(t).length, 'gather')));
}
/** Alias of gather (NumPy's name). */
export const take = gather;

/**
 * One-hot encoding of int32 ids: [...S] → float32 [...S, depth], `onValue` at the id and
 * `offValue` elsewhere. An id outside [0, depth) gives an all-off row (as tf.oneHot).
 */
export function oneHot<S extends Shape, const N extends number, DI extends DType = 'int32'>(
  indices: Tensor<S, DI> & Check<DtypeRule<'oneHot', 'indices', 'int32', DI>>,
  depth: N & Check<OneHotShape<S, N>>,
  onValue = 1,
  offValue = 0,
): Tensor<Result<OneHotShape<S, N>>> {
  tensorArgs('oneHot', { indices });
  return typed<Tensor<Result<OneHotShape<S, N>>>>(oneHotRaw(erase(indices), depth, onValue, offValue));
}
export function oneHotRaw(indices: AnyTensor, depth: number, onValue = 1, offValue = 0): AnyTensor {
  return bind1(oneHotP, [indices], { depth, on: onValue, off: offValue });
}

