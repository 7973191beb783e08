/**
 * Shape and layout ops: flatten, squeeze, unsqueeze, splitDim / mergeDims (all reshapes, no
 * copy), concat / stack / split / unstack, slice / stridedSlice, pad, tile, repeat,
 * with gather / oneHot in ./indexing. Every op works on float32, int32 and bool tensors;
 * derivatives flow through float32 ones only.
 *
 * Each derivative is the op's transpose, written with these same ops so it is differentiable
 * again: slice ↔ pad, concat ↔ split, tile / repeat → sum over the
 * copies, stack → unstack (stack is unsqueeze + concat).
 */
import { batchSize, insertAt, moveBatch, physicalAxis } from './batch-rules';
import { backend } from '../backend';
import type { Dim, Shape, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import {
  concatShapes,
  flattenShape,
  isNat,
  isPos,
  mergeDimsShape,
  normalizeAxis,
  padShape,
  repeatShape,
  sliceShape,
  splitDimShape,
  splitShape,
  splitSizes,
  squeezeShape,
  stackShapes,
  stridedSlicePlan,
  tileShape,
  unsqueezeShape,
  type Check,
  type CheckIf,
  type CheckUnless,
  type ConcatShape,
  type FlattenShape,
  type MergeDimsShape,
  type PadShape,
  type Pieces,
  type RepeatShape,
  type Result,
  type SliceShape,
  type SplitDimShape,
  type SplitRule,
  type SplitShape,
  type SplitSizesShape,
  type SqueezeShape,
  type StackShape,
  type StridedSliceShape,
  type TileShape,
  type UnsqueezeShape,
  type UnstackCount,
  type UnstackShape,
} from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { zerosLike } from '../tensor/create';
import { erase, eraseAll, typed, typedAll, type AnyTensor } from '../tensor/untyped';
import { bind, bind1, type AVal, type Primitive } from '../autodiff/core';
import { reshapeRaw, sumRaw } from './reduce-core';
import type { Same } from '../shape/dim-types';
import { intListArg, tensorArgs, tensorListArg } from '../tensor/validate';

// =============================================================================================
// Signature helpers (the shape rules live in src/shape/rules/layout.ts)

export type AxisMsg = `${string}axis${string}`;
export type StrideMsg = `stridedSlice: stride must${string}` | `stridedSlice: more strides${string}`;
export type EndMsg = `stridedSlice: end must${string}` | `stridedSlice: more end${string}`;

export type ShapeOfT<T> = T extends Tensor<infer S, any> ? S : never;
export type DTypeOfT<T> = T extends Tensor<any, infer D> ? D : never;
export type ShapesOf<Xs extends readonly unknown[]> = { -readonly [K in keyof Xs]: ShapeOfT<Xs[K]> };
export type FirstDType<Xs extends readonly unknown[]> = Xs extends readonly [infer F, ...unknown[]] ? DTypeOfT<F> : DTypeOfT<Xs[number]>;

/** All tensors of a list share one dtype, or `<op>: dtypes differ (float32 vs int32)`. */
export type ListDtypeRule<Op extends string, Xs extends readonly unknown[], F> = Xs extends readonly [infer H, ...infer T]
  ? Same<DTypeOfT<H>, F> extends true
    ? ListDtypeRule<Op, T, F>
    : ShapeMismatch<`${Op}: dtypes differ (${F & string} vs ${DTypeOfT<H> & string})`, F, DTypeOfT<H>>
  : true;
export type ListRule<Op extends string, Xs extends readonly unknown[], R> =
  ListDtypeRule<Op, Xs, FirstDType<Xs>> extends infer E ? (E extends ShapeMismatch<any, any, any> ? E : R) : never;
/** split's result: a tuple of tensors (an array when the count is not a small literal). */
export type SplitOut<S extends Shape, Z extends number | readonly number[], A extends number, D extends DType> = Z extends number
  ? SplitShape<S, A, Z> extends infer P
    ? P extends Shape
      ? Pieces<Tensor<P, D>, Z>
      : Tensor<Dim[], D>[]
    : never
  : Z extends readonly number[]
    ? SplitSizesShape<S, Z, A> extends infer L
      ? L extends readonly Shape[]
        ? { -readonly [K in keyof L]: L[K] extends infer Q extends Shape ? Tensor<Q, D> : never }
        : Tensor<Dim[], D>[]
      : never
    : never;

// =============================================================================================
// Primitives

const dims = (x: AnyTensor | AVal) => x.shape as readonly number[];
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const zerosFor = (x: AnyTensor): AnyTensor => zerosLike(x);

// ---------------------------------------------------------------- concat / split

export interface AxisParams {
  readonly axis: number;
}

export const concatP: Primitive<AxisParams> = {
  name: 'concat',
  shape(ins, p) {
    const dt = ins[0]!.dtype;
    ins.forEach((a, i) => {
      if (a.dtype !== dt) throw new ShapeError('concat', `dtypes differ (${dt} vs ${a.dtype} at input ${i})`);
    });
    return [{ shape: concatShapes(ins.map(dims), p.axis), dtype: dt }];
  },
  impl: (ins, p) => [backend().concat(ins.map((x) => x._data!), ins.map(dims), p.axis)],
  jvp(prims, t, _o, p) {
    if (t.every((x) => x === null)) return [null];
    return [concatRaw(t.map((x, i) => x ?? zerosFor(prims[i]!)), p.axis)];
  },
  vjp: (cts, prims, _o, p) => splitRaw(cts[0]!, p.axis, prims.map((x) => dims(x)[p.axis]!)),
  // every input with its batch axis in front (unbatched ones broadcast), joined one axis further on
  batch(ins, bdims, p) {
    const n = batchSize(ins, bdims);
    return [[concatRaw(ins.map((x, i) => moveBatch(x, bdims[i]!, 0, n)), p.axis + 1)], [0]];
  },
};

export function concatRaw(xs: readonly AnyTensor[], axis: number): AnyTensor {
  return xs.length === 1 ? xs[0]! : bind1(concatP, xs, { axis });
}

export interface SplitParams {
  readonly axis: number;
  readonly sizes: readonly number[];
}

export const splitP: Primitive<SplitParams> = {
  name: 'split',
  shape(ins, p) {
    const x = ins[0]!;
    const s = splitSizes(x.shape, p.sizes, p.axis);
    return s.map((z) => ({ shape: x.shape.map((d, k) => (k === p.axis ? z : d)), dtype: x.dtype }));
  },
  impl(ins, p, outs) {
    const x = ins[0]!;
    const begin = new Array<number>(x.shape.length).fill(0);
    return outs.map((o) => {
      const piece = backend().slice(x._data!, dims(x), begin, o.shape);
      begin[p.axis] = begin[p.axis]! + o.shape[p.axis]!;
      return piece;
    });
  },
  jvp: (_p, t, _o, p) => splitRaw(t[0]!, p.axis, p.sizes),
  vjp(cts, _p, outs, p) {
    if (cts.every((c) => c === null)) return [null];
    return [concatRaw(cts.map((c, i) => c ?? zerosFor(outs[i]!)), p.axis)];
  },
  batch(ins, bdims, p) {
    const d = bdims[0]!;
    const outs = splitRaw(ins[0]!, physicalAxis(p.axis, d), p.sizes);
    return [outs, outs.map(() => d)];
  },
};

export function splitRaw(x: AnyTensor, axis: number, sizes: readonly number[]): AnyTensor[] {
  return sizes.length === 1 ? [x] : bind(splitP, [x], { axis, sizes: sizes.slice() });
}

// ---------------------------------------------------------------- slice / pad

export interface SliceParams {
  readonly begin: readonly number[];
  readonly size: readonly number[];
  /** null: contiguous (all strides 1) */
  readonly strides: readonly number[] | null;
}

export const sliceP: Primitive<SliceParams> = {
  name: 'slice',
  shape(ins, p) {
    const x = ins[0]!;
    const st = p.strides;
    if (st === null) return [{ shape: sliceShape(x.shape, p.begin, p.size), dtype: x.dtype }];
    x.shape.forEach((d, ax) => {
      const b = p.begin[ax]!;
      const n = p.size[ax]!;
      const s = st[ax]!;
      if (!isPos(s) || !isNat(b) || !isNat(n) || (n > 0 && b + (n - 1) * s >= d)) {
        throw new ShapeError('stridedSlice', `window out of range (begin ${b}, size ${n}, stride ${s} in dim ${d} at axis ${ax})`);
      }
    });
    return [{ shape: p.size.slice(), dtype: x.dtype }];
  },
  impl: (ins, p) => [p.strides === null ? backend().slice(ins[0]!._data!, dims(ins[0]!), p.begin, p.size) : backend().slice(ins[0]!._data!, dims(ins[0]!), p.begin, p.size, p.strides)],
  jvp: (_p, t, _o, p) => [sliceRaw(t[0]!, p.begin, p.size, p.strides)],
  vjp: (cts, prims, _o, p) => [sliceTranspose(cts[0]!, dims(prims[0]!), p)],
  // the whole batch axis is part of the window
  batch(ins, bdims, p) {
    const d = bdims[0]!;
    const x = ins[0]!;
    return [[sliceRaw(x, insertAt(p.begin, d, 0), insertAt(p.size, d, dims(x)[d]!), p.strides && insertAt(p.strides, d, 1))], [d]];
  },
};

export function sliceRaw(x: AnyTensor, begin: readonly number[], size: readonly number[], strides: readonly number[] | null): AnyTensor {
  const plain = strides === null || strides.every((s) => s === 1);
  if (begin.every((b) => b === 0) && sameDims(size, dims(x))) return x;
  return bind1(sliceP, [x], { begin: begin.slice(), size: size.slice(), strides: plain ? null : strides.slice() });
}

/**
 * The transpose of slice: put the cotangent back where the window was read, zeros elsewhere.
 * Contiguous: a pad. Strided: each strided axis is first dilated (pad a new unit axis with
 * stride - 1 zeros, merge it into the axis, trim the trailing zeros), then padded.
 */
function sliceTranspose(ct: AnyTensor, inShape: readonly number[], p: SliceParams): AnyTensor {
  let g = ct;
  const rank = inShape.length;
  const after = new Array<number>(rank);
  for (let ax = 0; ax < rank; ax++) {
    const s = p.strides?.[ax] ?? 1;
    const n = p.size[ax]!;
    let extent = n;
    if (s > 1 && n > 1) {
      const sh = dims(g);
      g = reshapeRaw(g, [...sh.slice(0, ax + 1), 1, ...sh.slice(ax + 1)]);
      const pb = new Array<number>(rank + 1).fill(0);
      const pa = new Array<number>(rank + 1).fill(0);
      pa[ax + 1] = s - 1;
      g = padRaw(g, pb, pa, 0);
      const merged = sh.map((d, k) => (k === ax ? n * s : d));
      g = reshapeRaw(g, merged);
      extent = (n - 1) * s + 1;
      g = sliceRaw(g, new Array<number>(rank).fill(0), merged.map((d, k) => (k === ax ? extent : d)), null);
    }
    after[ax] = inShape[ax]! - p.begin[ax]! - extent;
  }
  return padRaw(g, p.begin, after, 0);
}

export interface PadParams {
  readonly before: readonly number[];
  readonly after: readonly number[];
  readonly value: number;
}

export const padP: Primitive<PadParams> = {
  name: 'pad',
  shape: (ins, p) => [{ shape: padShape(ins[0]!.shape, p.before.map((b, i) => [b, p.after[i]!] as const)), dtype: ins[0]!.dtype }],
  impl: (ins, p) => [backend().pad(ins[0]!._data!, dims(ins[0]!), p.before, p.after, p.value)],
  // the padding constant does not depend on x: its tangent is 0
  jvp: (_p, t, _o, p) => [padRaw(t[0]!, p.before, p.after, 0)],
  vjp: (cts, prims, _o, p) => [sliceRaw(cts[0]!, p.before, dims(prims[0]!), null)],
  batch: (ins, bdims, p) => [[padRaw(ins[0]!, insertAt(p.before, bdims[0]!, 0), insertAt(p.after, bdims[0]!, 0), p.value)], [bdims[0]!]],
};

export function padRaw(x: AnyTensor, before: readonly number[], after: readonly number[], value: number): AnyTensor {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  return bind1(padP, [x], { before: before.slice(), after: after.slice(), value });
}

// ---------------------------------------------------------------- tile

export interface TileParams {
  readonly reps: readonly number[];
}

export const tileP: Primitive<TileParams> = {
  name: 'tile',
  shape: (ins, p) => [{ shape: tileShape(ins[0]!.shape, p.reps), dtype: ins[0]!.dtype }],
  impl: (ins, p) => [backend().tile(ins[0]!._data!, dims(ins[0]!), p.reps)],
  jvp: (_p, t, _o, p) => [tileRaw(t[0]!, p.reps)],
  // out = [r0·d0, r1·d1, ...] is row-major [r0, d0, r1, d1, ...]: sum the copies away
  vjp(cts, prims, _o, p) {
    const s = dims(prims[0]!);
    const inter: number[] = [];
    const axes: number[] = [];
    s.forEach((d, i) => {
      if (p.reps[i] !== 1) {
        axes.push(inter.length);
        inter.push(p.reps[i]!);
      }
      inter.push(d);
    });
    return [reshapeRaw(sumRaw(reshapeRaw(cts[0]!, inter), axes, false), s)];
  },
  batch: (ins, bdims, p) => [[tileRaw(ins[0]!, insertAt(p.reps, bdims[0]!, 1))], [bdims[0]!]],
};

export function tileRaw(x: AnyTensor, reps: readonly number[]): AnyTensor {
  if (reps.every((r) => r === 1)) return x;
  return bind1(tileP, [x], { reps: reps.slice() });
}

// =============================================================================================
// Public ops


/**
 * Keep the dims before startAxis and flatten the rest into one (a reshape, no copy):
 * [batch, 7, 7, 64] → [batch, 3136]. startAxis may be negative.
 */
export function flatten<S extends Shape, const A extends number = 1, D extends DType = 'float32'>(
  x: Tensor<S, D> & Check<FlattenShape<S, A>>,
  startAxis?: A,
): Tensor<Result<FlattenShape<S, A>>, D> {
  tensorArgs('flatten', { x });
  const t = erase(x);
  return typed<Tensor<Result<FlattenShape<S, A>>, D>>(reshapeRaw(t, flattenShape(dims(t), startAxis ?? 1)));
}

/** Remove the given size-1 axes (all size-1 axes when none are given). */
export function squeeze<S extends Shape, const Ax extends number | readonly number[] | undefined = undefined, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axes?: Ax & Check<SqueezeShape<S, Ax>>,
): Tensor<Result<SqueezeShape<S, Ax>>, D> {
  tensorArgs('squeeze', { x });
  const t = erase(x);
  return typed<Tensor<Result<SqueezeShape<S, Ax>>, D>>(reshapeRaw(t, squeezeShape(dims(t), axes as number | readonly number[] | undefined)));
}

/** Insert a size-1 axis at `axis` in [-(rank + 1), rank] (-1 appends). */
export function unsqueeze<S extends Shape, const A extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axis: A & Check<UnsqueezeShape<S, A>>,
): Tensor<Result<UnsqueezeShape<S, A>>, D> {
  tensorArgs('unsqueeze', { x });
  const t = erase(x);
  return typed<Tensor<Result<UnsqueezeShape<S, A>>, D>>(reshapeRaw(t, unsqueezeShape(dims(t), axis)));
}
/** Alias of unsqueeze (TensorFlow's name). */
export const expandDims = unsqueeze;

/** Split dim `axis` into [parts, dim / parts] (d_model → [heads, headSize]); parts must divide the dim. */
export function splitDim<S extends Shape, const A extends number, const P extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axis: A & CheckIf<SplitDimShape<S, A, P>, AxisMsg>,
  parts: P & CheckUnless<SplitDimShape<S, A, P>, AxisMsg>,
): Tensor<Result<SplitDimShape<S, A, P>>, D> {
  tensorArgs('splitDim', { x });
  const t = erase(x);
  return typed<Tensor<Result<SplitDimShape<S, A, P>>, D>>(reshapeRaw(t, splitDimShape(dims(t), axis, parts)));
}

/** Merge dims `axis` and `axis + 1` into one (the inverse of splitDim). */
export function mergeDims<S extends Shape, const A extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axis: A & Check<MergeDimsShape<S, A>>,
): Tensor<Result<MergeDimsShape<S, A>>, D> {
  tensorArgs('mergeDims', { x });
  const t = erase(x);
  return typed<Tensor<Result<MergeDimsShape<S, A>>, D>>(reshapeRaw(t, mergeDimsShape(dims(t), axis)));
}

export type ConcatRule<Xs extends readonly unknown[], A extends number> = ListRule<'concat', Xs, ConcatShape<ShapesOf<Xs>, A>>;
export type StackRule<Xs extends readonly unknown[], A extends number> = ListRule<'stack', Xs, StackShape<ShapesOf<Xs>, A>>;

function listOf(op: string, xs: readonly Tensor<Shape, DType>[]): AnyTensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError(op, 'needs at least one input (0 given)');
  return eraseAll(xs);
}

/**
 * Join tensors along an existing axis: sizes there add, other dims must agree.
 * `concat([a, b], -1)` with ['batch', 10, 64] and ['batch', 10, 32] → ['batch', 10, 96].
 */
export function concat<const Xs extends readonly Tensor<any, any>[], const A extends number = 0>(
  xs: Xs & Check<ConcatRule<Xs, A>>,
  axis?: A,
): Tensor<Result<ConcatRule<Xs, A>>, FirstDType<Xs>> {
  tensorListArg('concat', 'xs', xs);
  const ts = listOf('concat', xs);
  const ax = normalizeAxis(axis ?? 0, dims(ts[0]!).length, 'concat');
  if (ts.length === 1) {
    concatP.shape(ts, { axis: ax });
    return typed<Tensor<Result<ConcatRule<Xs, A>>, FirstDType<Xs>>>(ts[0]!);
  }
  return typed<Tensor<Result<ConcatRule<Xs, A>>, FirstDType<Xs>>>(concatRaw(ts, ax));
}

/** Stack equal-shaped tensors along a new axis in [-(rank + 1), rank]. */
export function stack<const Xs extends readonly Tensor<any, any>[], const A extends number = 0>(
  xs: Xs & Check<StackRule<Xs, A>>,
  axis?: A,
): Tensor<Result<StackRule<Xs, A>>, FirstDType<Xs>> {
  tensorListArg('stack', 'xs', xs);
  const ts = listOf('stack', xs);
  const dt = ts[0]!.dtype;
  ts.forEach((x, i) => {
    if (x.dtype !== dt) throw new ShapeError('stack', `dtypes differ (${dt} vs ${x.dtype} at input ${i})`);
  });
  const s = stackShapes(ts.map(dims), axis ?? 0);
  const r = dims(ts[0]!).length;
  const ax = (axis ?? 0) < 0 ? (axis ?? 0) + r + 1 : (axis ?? 0);
  const expanded = ts.map((x) => reshapeRaw(x, unsqueezeShape(dims(x), ax)));
  const res = concatRaw(expanded, ax);
  return typed<Tensor<Result<StackRule<Xs, A>>, FirstDType<Xs>>>(reshapeRaw(res, s));
}

/** The pieces of x along `axis`, that axis removed (the inverse of stack). */
export function unstack<S extends Shape, const A extends number = 0, D extends DType = 'float32'>(
  x: Tensor<S, D> & Check<UnstackShape<S, A>>,
  axis?: A,
): Pieces<Tensor<Result<UnstackShape<S, A>>, D>, UnstackCount<S, A>> {
  tensorArgs('unstack', { x });
  const t = erase(x);
  const s = dims(t);
  const ax = normalizeAxis(axis ?? 0, s.length, 'unstack');
  const rest = [...s.slice(0, ax), ...s.slice(ax + 1)];
  const pieces = s[ax]! === 0 ? [] : splitRaw(t, ax, new Array<number>(s[ax]!).fill(1));
  return typedAll<Pieces<Tensor<Result<UnstackShape<S, A>>, D>, UnstackCount<S, A>>>(pieces.map((p) => reshapeRaw(p, rest)));
}

/**
 * Split along `axis` (default 0) into `n` equal pieces (n must divide the dim) or into pieces of
 * the given sizes (one may be -1: the rest). Returns a tuple typed piece by piece.
 */
export function split<S extends Shape, const Z extends number | readonly number[], const A extends number = 0, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  numOrSizes: Z & Check<SplitRule<S, Z, A>>,
  axis?: A,
): SplitOut<S, Z, A, D> {
  tensorArgs('split', { x });
  if (typeof numOrSizes !== 'number') intListArg('split', 'numOrSizes', numOrSizes);
  const t = erase(x);
  const s = dims(t);
  const a = axis ?? 0;
  let sizes: number[];
  if (typeof numOrSizes === 'number') {
    const piece = splitShape(s, a, numOrSizes);
    const ax = normalizeAxis(a, s.length, 'split');
    sizes = new Array<number>(numOrSizes).fill(piece[ax]!);
  } else sizes = splitSizes(s, numOrSizes as readonly number[], a);
  return typedAll<SplitOut<S, Z, A, D>>(splitRaw(t, normalizeAxis(a, s.length, 'split'), sizes));
}

/**
 * tf.slice: `size[i]` elements from `begin[i]` on each axis (size -1: to the end; missing
 * entries take the whole axis).
 */
export function slice<S extends Shape, const B extends readonly number[], const Z extends readonly number[] = [], D extends DType = 'float32'>(
  x: Tensor<S, D>,
  begin: B & CheckUnless<SliceShape<S, B, Z>, `${string}size${string}`>,
  size?: Z & CheckIf<SliceShape<S, B, Z>, `${string}size${string}`>,
): Tensor<Result<SliceShape<S, B, Z>>, D> {
  tensorArgs('slice', { x });
  const t = erase(x);
  const s = dims(t);
  const b = begin as readonly number[];
  const sz = sliceShape(s, b, (size ?? []) as readonly number[]);
  return typed<Tensor<Result<SliceShape<S, B, Z>>, D>>(sliceRaw(t, s.map((_, i) => b[i] ?? 0), sz, null));
}

/**
 * Python-style strided slice x[b0:e0:s0, b1:e1:s1, ...]: negative begin / end count from the
 * end, both are clamped into [0, dim], strides >= 1, missing entries take the whole axis
 * (tf.stridedSlice without masks, for positive strides).
 */
export function stridedSlice<
  S extends Shape,
  const B extends readonly number[],
  const E extends readonly number[] = [],
  const St extends readonly number[] = [],
  D extends DType = 'float32',
>(
  x: Tensor<S, D>,
  begin: B & CheckUnless<StridedSliceShape<S, B, E, St>, StrideMsg | EndMsg>,
  end?: E & CheckIf<StridedSliceShape<S, B, E, St>, EndMsg>,
  strides?: St & CheckIf<StridedSliceShape<S, B, E, St>, StrideMsg>,
): Tensor<Result<StridedSliceShape<S, B, E, St>>, D> {
  tensorArgs('stridedSlice', { x });
  const t = erase(x);
  const plan = stridedSlicePlan(dims(t), begin as readonly number[], end as readonly number[] | undefined, strides as readonly number[] | undefined);
  return typed<Tensor<Result<StridedSliceShape<S, B, E, St>>, D>>(sliceRaw(t, plan.begin, plan.size, plan.strides));
}

/** Constant padding: paddings[i] = [before, after] for every axis. */
export function pad<S extends Shape, const P extends readonly (readonly [number, number])[], D extends DType = 'float32'>(
  x: Tensor<S, D>,
  paddings: P & Check<PadShape<S, P>>,
  value = 0,
): Tensor<Result<PadShape<S, P>>, D> {
  tensorArgs('pad', { x });
  const t = erase(x);
  const ps = paddings as readonly (readonly [number, number])[];
  padShape(dims(t), ps);
  return typed<Tensor<Result<PadShape<S, P>>, D>>(padRaw(t, ps.map((p) => p[0]), ps.map((p) => p[1]), value));
}

/** Repeat the whole tensor reps[i] times along each axis (tf.tile). */
export function tile<S extends Shape, const R extends readonly number[], D extends DType = 'float32'>(
  x: Tensor<S, D>,
  reps: R & Check<TileShape<S, R>>,
): Tensor<Result<TileShape<S, R>>, D> {
  tensorArgs('tile', { x });
  const t = erase(x);
  const r = reps as readonly number[];
  tileShape(dims(t), r);
  return typed<Tensor<Result<TileShape<S, R>>, D>>(tileRaw(t, r));
}

/** Repeat each element n times along `axis` (np.repeat): [a, b] → [a, a, b, b] for n = 2. */
export function repeat<S extends Shape, const N extends number, const A extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  n: N & CheckUnless<RepeatShape<S, N, A>, AxisMsg>,
  axis: A & CheckIf<RepeatShape<S, N, A>, AxisMsg>,
): Tensor<Result<RepeatShape<S, N, A>>, D> {
  tensorArgs('repeat', { x });
  const t = erase(x);
  const s = dims(t);
  const target = repeatShape(s, n, axis);
  const i = normalizeAxis(axis, s.length, 'repeat');
  // [.., d, ..] → [.., d, 1, ..] tiled n times on the new axis → [.., d·n, ..]: elements stay together
  const withUnit = [...s.slice(0, i + 1), 1, ...s.slice(i + 1)];
  const reps = withUnit.map((_, k) => (k === i + 1 ? n : 1));
  return typed<Tensor<Result<RepeatShape<S, N, A>>, D>>(reshapeRaw(tileRaw(reshapeRaw(t, withUnit), reps), target));
}
