/**
 * The three primitives every derivative rule leans on: sum over axes, broadcastTo and
 * reshape (plus sumToShape, the "unbroadcast" that folds a broadcast cotangent back to an
 * operand's shape). They live apart from the other reductions and shape ops so that the
 * element-wise rules can import them without a cycle.
 */
import { backend } from '../backend';
import type { Dim, Shape } from '../shape/dims';
import { ArgumentError, ShapeError } from '../shape/dims';
import { broadcastShapes, normalizeAxes, reducedShape, reshapeShape, transposeShape, type Check, type ReduceShape, type ReshapeShape, type Result } from '../shape/rules';
import type { Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { bind1, type BatchDim, type Primitive } from '../autodiff/core';
import { tensorArgs } from '../tensor/validate';

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

// ---------------------------------------------------------------- sum

export interface ReduceParams {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

export const sumP: Primitive<ReduceParams> = {
  name: 'sum',
  shape(ins, p) {
    const x = ins[0]!;
    if (x.dtype !== 'float32') throw new ShapeError('sum', `expects float32, got ${x.dtype}`);
    return [{ shape: reducedShape(x.shape, p.axes, p.keepDims), dtype: 'float32' }];
  },
  impl(ins, p) {
    const x = ins[0]!;
    if (p.axes.length === 0) return [(x._data as Float32Array).slice()];
    return [backend().reduce('sum', x._data as Float32Array, x.shape as readonly number[], p.axes)];
  },
  batch(ins, dims, p) {
    const d = dims[0]!;
    const axes = p.axes.map((a) => (a < d ? a : a + 1));
    return [[sumRaw(ins[0]!, axes, p.keepDims)], [p.keepDims ? d : d - p.axes.filter((a) => a < d).length]];
  },
  jvp: (_p, t, _o, p) => [sumRaw(t[0]!, p.axes, p.keepDims)],
  vjp(cts, prim, _o, p) {
    const inShape = prim[0]!.shape as readonly number[];
    const kept = reshapeRaw(cts[0]!, reducedShape(inShape, p.axes, true));
    return [broadcastToRaw(kept, inShape)];
  },
};

export function sumRaw(x: AnyTensor, axes: readonly number[], keepDims: boolean): AnyTensor {
  return bind1(sumP, [x], { axes, keepDims });
}

/** Sum over `axes` (default all; negative axes count from the end). */
export function sum<S extends Shape, const Ax extends number | readonly number[] | undefined = undefined, K extends boolean = false>(
  x: Tensor<S> & Check<ReduceShape<S, Ax, K>>,
  axes?: Ax,
  keepDims?: K,
): Tensor<Result<ReduceShape<S, Ax, K>>> {
  tensorArgs('sum', { x });
  const t = erase(x);
  return typed<Tensor<Result<ReduceShape<S, Ax, K>>>>(sumRaw(t, normalizeAxes(axes as number | readonly number[] | undefined, t.shape.length, 'sum'), keepDims ?? false));
}

// ---------------------------------------------------------------- broadcastTo

export interface ShapeParams {
  readonly shape: readonly number[];
}

export const broadcastToP: Primitive<ShapeParams> = {
  name: 'broadcast_to',
  shape(ins, p) {
    const x = ins[0]!;
    const b = broadcastShapes(x.shape, p.shape);
    if (!sameShape(b, p.shape)) throw new ShapeError('broadcastTo', `cannot broadcast [${x.shape.join(', ')}] to [${p.shape.join(', ')}]`);
    return [{ shape: p.shape, dtype: x.dtype }];
  },
  impl(ins, p) {
    // broadcasting = tiling a rank-matched view along its 1-sized dims
    const x = ins[0]!;
    const padded = [...new Array<number>(p.shape.length - x.shape.length).fill(1), ...(x.shape as readonly number[])];
    return [backend().tile(x._data!, padded, p.shape.map((d, i) => (padded[i] === 1 ? d : 1)))];
  },
  // the batch axis to the front, 1s up to the target rank, then broadcast the rest
  batch: (ins, dims, p) => [[broadcastToRaw(frontAligned(ins[0]!, dims[0]!, p.shape.length), [batchDimSize(ins[0]!, dims[0]!), ...p.shape])], [0]],
  jvp: (_p, t, _o, p) => [broadcastToRaw(t[0]!, p.shape)],
  vjp: (cts, prim) => [sumToShape(cts[0]!, prim[0]!.shape as readonly number[])],
};

export function broadcastToRaw(x: AnyTensor, shape: readonly number[]): AnyTensor {
  if (sameShape(x.shape as readonly number[], shape)) return x;
  return bind1(broadcastToP, [x], { shape: shape.slice() });
}

/** Fold a broadcast result back to `shape` by summing the broadcast axes (the transpose of broadcasting). */
export function sumToShape(x: AnyTensor, shape: readonly number[]): AnyTensor {
  const xs = x.shape as readonly number[];
  if (sameShape(xs, shape)) return x;
  const lead = xs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && xs[i] !== 1) axes.push(i);
  }
  const summed = axes.length > 0 ? sumRaw(x, axes, true) : x;
  return reshapeRaw(summed, shape);
}

// ---------------------------------------------------------------- reshape

export const reshapeP: Primitive<ShapeParams> = {
  name: 'reshape',
  shape: (ins, p) => [{ shape: p.shape, dtype: ins[0]!.dtype }],
  impl: (ins) => [ins[0]!._data!], // same data, new shape: safe because tensors are immutable
  batch: (ins, dims, p) => [[reshapeRaw(moveAxis(ins[0]!, dims[0]!, 0), [batchDimSize(ins[0]!, dims[0]!), ...p.shape])], [0]],
  jvp: (_p, t, _o, p) => [reshapeRaw(t[0]!, p.shape)],
  vjp: (cts, prim) => [reshapeRaw(cts[0]!, prim[0]!.shape as readonly number[])],
};

export function reshapeRaw(x: AnyTensor, shape: readonly number[]): AnyTensor {
  if (sameShape(x.shape as readonly number[], shape)) return x;
  let n = 1;
  for (const d of shape) n *= d;
  if (n !== x.size) throw new ShapeError('reshape', `cannot reshape [${x.shape.join(', ')}] (${x.size} elements) to [${shape.join(', ')}] (${n} elements)`);
  return bind1(reshapeP, [x], { shape: shape.slice() });
}

/**
 * Reshape to `shape` (one dim may be -1, inferred). Products must match, checked in the
 * type (digit-wise arithmetic) and at run time. Symbolic dims must appear on both sides.
 */
export function reshape<S extends Shape, const T extends readonly Dim[], D extends import('../tensor/dtype').DType = 'float32'>(
  x: Tensor<S, D>,
  shape: T & Check<ReshapeShape<S, T>>,
): Tensor<Result<ReshapeShape<S, T>>, D> {
  tensorArgs('reshape', { x });
  const t = erase(x);
  // At run time a symbolic target dim ('batch') takes the size of the input dim at the
  // same position (the type rule has already matched the names); products are re-checked.
  const xs = t.shape as readonly number[];
  if (!Array.isArray(shape)) throw new ArgumentError('reshape', 'shape', `shape must be an array of sizes, got ${shape === null ? 'null' : typeof shape}`);
  (shape as readonly unknown[]).forEach((d, i) => {
    if (typeof d === 'string' ? d === '' : typeof d !== 'number' || !(Number.isInteger(d) && d >= -1)) {
      throw new ArgumentError('reshape', 'shape', `shape[${i}] must be an integer >= 0, -1 or a symbolic dim name, got ${typeof d === 'number' ? d : d === null ? 'null' : JSON.stringify(d) ?? typeof d}`);
    }
  });
  const target = (shape as readonly Dim[]).map((d, i) => {
    if (typeof d === 'number') return d;
    if (i >= xs.length) throw new ShapeError('reshape', `symbolic dim '${d}' at position ${i} has no input dim at that position to take its size from; use -1`);
    return xs[i]!;
  });
  const named = (shape as readonly Dim[]).some((d) => typeof d === 'string');
  let resolved: number[];
  try {
    resolved = reshapeShape(xs, target);
  } catch (e) {
    // a symbolic dim takes the input's size at its position: say what it became
    if (!named || !(e instanceof ShapeError)) throw e;
    const how = (shape as readonly Dim[]).map((d, i) => (typeof d === 'string' ? `'${d}' = ${target[i]} (input dim ${i})` : null)).filter((s) => s !== null);
    throw new ShapeError('reshape', `${e.message.replace(/^reshape: /, '')}: target [${(shape as readonly Dim[]).map((d) => (typeof d === 'string' ? `'${d}'` : d)).join(', ')}] with ${how.join(', ')} is [${target.join(', ')}], x is [${xs.join(', ')}]`);
  }
  return typed<Tensor<Result<ReshapeShape<S, T>>, D>>(reshapeRaw(t, resolved));
}

/** Broadcast x to `shape` (NumPy rules; the result must be exactly `shape`). */
export function broadcastTo<S extends Shape, const T extends readonly number[]>(
  x: Tensor<S> & Check<import('../shape/rules').BroadcastShape<S, T>>,
  shape: T,
): Tensor<[...T]> {
  tensorArgs('broadcastTo', { x });
  return typed<Tensor<[...T]>>(broadcastToRaw(erase(x), shape));
}

// ---------------------------------------------------------------- transpose

export interface TransposeParams {
  readonly perm: readonly number[];
}

export const transposeP: Primitive<TransposeParams> = {
  name: 'transpose',
  shape: (ins, p) => [{ shape: transposeShape(ins[0]!.shape, p.perm), dtype: ins[0]!.dtype }],
  impl: (ins, p, _o, into) => [backend().transpose(ins[0]!._data!, ins[0]!.shape as readonly number[], p.perm, into?.[0])],
  // one transpose: the batch axis goes in front, the others as perm says
  batch: (ins, dims, p) => {
    const d = dims[0]!;
    return [[transposeRaw(ins[0]!, [d, ...p.perm.map((a) => (a < d ? a : a + 1))])], [0]];
  },
  jvp: (_p, t, _o, p) => [transposeRaw(t[0]!, p.perm)],
  vjp: (cts, _p, _o, p) => [transposeRaw(cts[0]!, inversePerm(p.perm))],
};

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Transpose with a normalised perm (non-negative); the identity perm returns x itself. */
export function transposeRaw(x: AnyTensor, perm: readonly number[]): AnyTensor {
  if (perm.every((p, i) => p === i)) return x;
  return bind1(transposeP, [x], { perm: perm.slice() });
}

// ---------------------------------------------------------------- batching helpers (vmap)

/** x with axis `from` moved to position `to` (the others keep their order). */
export function moveAxis(x: AnyTensor, from: number, to: number): AnyTensor {
  if (from === to) return x;
  const perm = (x.shape as readonly number[]).map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transposeRaw(x, perm);
}

const batchDimSize = (x: AnyTensor, bdim: BatchDim): number => (x.shape as readonly number[])[bdim!]!;

/** A batch value with its batch axis in front and 1s after it up to per-example rank `rank`. */
export function frontAligned(x: AnyTensor, bdim: BatchDim, rank: number): AnyTensor {
  const front = moveAxis(x, bdim!, 0);
  const s = front.shape as readonly number[];
  const pad = rank - (s.length - 1);
  return pad === 0 ? front : reshapeRaw(front, [s[0]!, ...new Array<number>(pad).fill(1), ...s.slice(1)]);
}
