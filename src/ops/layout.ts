/**
 * Shape and layout ops: flatten, squeeze, unsqueeze, splitDim / mergeDims (all reshapes, no
 * copy), concat / stack / split / unstack, slice / stridedSlice, pad, tile, repeat,
 * gather (take) and oneHot. Every op works on float32, int32 and bool tensors (oneHot maps
 * int32 ids to float32); derivatives flow through float32 ones only.
 *
 * Each derivative is the op's transpose, written with these same ops so it is differentiable
 * again: slice ↔ pad, concat ↔ split, gather ↔ scatterAdd, tile / repeat → sum over the
 * copies, stack → unstack (stack is unsqueeze + concat).
 */
import { backend } from '../backend';
import type { Add, Div, Lt, Lte, Mul, Sub, Sum } from '../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import {
  concatShapes,
  flattenShape,
  normalizeAxis,
  sliceShape,
  splitDimShape,
  splitShape,
  squeezeShape,
  stackShapes,
  unsqueezeShape,
  type Axis,
  type Check,
  type ConcatShape,
  type FlattenShape,
  type Result,
  type SliceShape,
  type SplitDimShape,
  type SplitShape,
  type SqueezeShape,
  type StackShape,
  type UnsqueezeShape,
} from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { zerosLike } from '../tensor/create';
import { bind, bind1, type AVal, type AnyTensor, type Primitive } from '../autodiff/core';
import { reshapeRaw, sumRaw } from './reduce-core';
import type { IsDyn, IsLit, Same, Show, IsTuple } from '../shape/dim-types';

// =============================================================================================
// Type-level helpers

type NatInt<N> = N extends number ? (`${N}` extends `-${string}` ? false : `${N}` extends `${bigint}` ? true : false) : false;
type PosInt<N> = N extends number ? (`${N}` extends `-${string}` | '0' ? false : `${N}` extends `${bigint}` ? true : false) : false;
type IsInt<N> = N extends number ? (`${N}` extends `${bigint}` ? true : false) : false;

/** A failure inside a per-dim helper, wrapped into a ShapeMismatch by the rule. */
interface Fail<Msg extends string> {
  readonly __fail: Msg;
}

/** [dims before index I, dims from I on]. */
type SplitAt<S extends Shape, I extends number, Pre extends Dim[] = []> = Pre['length'] extends I
  ? [Pre, S]
  : S extends readonly [infer H extends Dim, ...infer T extends Shape]
    ? SplitAt<T, I, [...Pre, H]>
    : [Pre, []];

/** The product of two dims: exact for literals, a 1 keeps the other side, else `number`. */
type MulDim<A, B> = A extends 1 ? B : B extends 1 ? A : IsLit<A> extends true ? (IsLit<B> extends true ? Mul<A & number, B & number> : number) : number;

/** N copies of T as a tuple when N is a literal up to 256, else T[]. */
export type Pieces<T, N> = IsLit<N> extends true ? (Lte<N & number, 256> extends true ? PiecesLoop<T, N & number> : T[]) : T[];
type PiecesLoop<T, N extends number, Acc extends T[] = []> = Acc['length'] extends N ? Acc : PiecesLoop<T, N, [...Acc, T]>;

/** R when it is a mismatch whose message matches Pat (the error belongs to that parameter), else unknown. */
type CheckIf<R, Pat extends string> = R extends ShapeMismatch<infer M, any, any> ? (M extends Pat ? R : unknown) : unknown;
/** R when it is a mismatch whose message does NOT match Pat, else unknown. */
type CheckUnless<R, Pat extends string> = R extends ShapeMismatch<infer M, any, any> ? (M extends Pat ? unknown : R) : unknown;
type AxisMsg = `${string}axis${string}`;
type StrideMsg = `stridedSlice: stride must${string}` | `stridedSlice: more strides${string}`;
type EndMsg = `stridedSlice: end must${string}` | `stridedSlice: more end${string}`;

type ShapeOfT<T> = T extends Tensor<infer S, any> ? S : never;
type DTypeOfT<T> = T extends Tensor<any, infer D> ? D : never;
type ShapesOf<Xs extends readonly unknown[]> = { -readonly [K in keyof Xs]: ShapeOfT<Xs[K]> };
type FirstDType<Xs extends readonly unknown[]> = Xs extends readonly [infer F, ...unknown[]] ? DTypeOfT<F> : DTypeOfT<Xs[number]>;

/** All tensors of a list share one dtype, or `<op>: dtypes differ (float32 vs int32)`. */
type DTypeRule<Op extends string, Xs extends readonly unknown[], F> = Xs extends readonly [infer H, ...infer T]
  ? Same<DTypeOfT<H>, F> extends true
    ? DTypeRule<Op, T, F>
    : ShapeMismatch<`${Op}: dtypes differ (${F & string} vs ${DTypeOfT<H> & string})`, F, DTypeOfT<H>>
  : true;
type ListRule<Op extends string, Xs extends readonly unknown[], R> =
  DTypeRule<Op, Xs, FirstDType<Xs>> extends infer E ? (E extends ShapeMismatch<any, any, any> ? E : R) : never;

// =============================================================================================
// Type rules that rules.ts does not have (each with its runtime twin below)

/**
 * Merge dims Axis and Axis + 1 into their product: ['b', 't', 8, 64] with Axis 2 → ['b', 't', 512].
 * `mergeDims: axis out of range (axis 4, rank 3)`, `mergeDims: axis 2 has no next axis (rank 3)`.
 */
export type MergeDimsShape<S extends Shape, A extends number> =
  IsTuple<S> extends false
    ? Dim[]
    : Axis<S, A, 'mergeDims'> extends infer I
      ? I extends number
        ? number extends I
          ? Dim[]
          : SplitAt<S, I> extends [infer Pre extends Dim[], readonly [infer X, infer Y, ...infer Post extends Shape]]
            ? [...Pre, MulDim<X, Y> & Dim, ...Post]
            : ShapeMismatch<`mergeDims: axis ${A} has no next axis (rank ${S['length']})`, S, A>
        : I
      : never;

/** Constant padding: dim i grows by P[i][0] before and P[i][1] after. */
export type PadShape<S extends Shape, P extends readonly (readonly [number, number])[]> =
  IsTuple<S> extends false
    ? Dim[]
    : number extends P['length']
      ? Dim[]
      : Same<P['length'], S['length']> extends true
        ? PadLoop<S, P, S, P>
        : ShapeMismatch<`pad: paddings length differs from rank (${P['length']} vs ${S['length']})`, S, P>;
type PadLoop<S extends Shape, P extends readonly unknown[], S0, P0, Acc extends Dim[] = []> = S extends readonly [infer D, ...infer ST extends Shape]
  ? P extends readonly [readonly [infer B, infer A], ...infer PT]
    ? [NatInt<B>, NatInt<A>] extends [true, true]
      ? PadLoop<ST, PT, S0, P0, [...Acc, PadDim<D, B & number, A & number> & Dim]>
      : IsDyn<B> | IsDyn<A> extends false
        ? ShapeMismatch<`pad: padding must be >= 0 ([${Show<B>}, ${Show<A>}] at axis ${Acc['length']})`, S0, P0>
        : PadLoop<ST, PT, S0, P0, [...Acc, number]>
    : never
  : Acc;
type PadDim<D, B extends number, A extends number> = [B, A] extends [0, 0] ? D : IsLit<D> extends true ? Add<Add<D & number, B>, A> : number;

/** Tile: dim i repeated Reps[i] times. `tile: reps length differs from rank (2 vs 3)`, `tile: reps must be >= 0 (-1 at axis 0)`. */
export type TileShape<S extends Shape, Reps extends readonly number[]> =
  IsTuple<S> extends false
    ? Dim[]
    : number extends Reps['length']
      ? Dim[]
      : Same<Reps['length'], S['length']> extends true
        ? TileLoop<S, Reps, S, Reps>
        : ShapeMismatch<`tile: reps length differs from rank (${Reps['length']} vs ${S['length']})`, S, Reps>;
type TileLoop<S extends Shape, R extends readonly number[], S0, R0, Acc extends Dim[] = []> = S extends readonly [infer D, ...infer ST extends Shape]
  ? R extends readonly [infer N extends number, ...infer RT extends readonly number[]]
    ? IsDyn<N> extends true
      ? TileLoop<ST, RT, S0, R0, [...Acc, number]>
      : NatInt<N> extends true
        ? TileLoop<ST, RT, S0, R0, [...Acc, MulDim<D, N> & Dim]>
        : ShapeMismatch<`tile: reps must be >= 0 (${Show<N>} at axis ${Acc['length']})`, S0, R0>
    : never
  : Acc;

/** np.repeat along one axis: each element N times, dim → dim·N. `repeat: repeats must be >= 0 (-1)`. */
export type RepeatShape<S extends Shape, N extends number, A extends number> =
  IsTuple<S> extends false
    ? Dim[]
    : Axis<S, A, 'repeat'> extends infer I
      ? I extends number
        ? number extends I
          ? Dim[]
          : IsDyn<N> extends true
            ? ReplaceAt<S, I, number>
            : NatInt<N> extends true
              ? ReplaceAt<S, I, MulDim<S[I], N> & Dim>
              : ShapeMismatch<`repeat: repeats must be >= 0 (${Show<N>})`, S, N>
        : I
      : never;
type ReplaceAt<S extends Shape, I extends number, X> = SplitAt<S, I> extends [infer Pre extends Dim[], readonly [unknown, ...infer Post extends Shape]]
  ? [...Pre, X, ...Post]
  : never;

/** gather along Axis: S[:axis] ++ I ++ S[axis+1:] (indices of shape I replace the gathered dim). */
export type GatherShape<S extends Shape, I extends Shape, A extends number = 0> =
  IsTuple<S> extends false
    ? Dim[]
    : IsTuple<I> extends false
      ? Dim[]
      : Axis<S, A, 'gather'> extends infer X
        ? X extends number
          ? number extends X
            ? Dim[]
            : SplitAt<S, X> extends [infer Pre extends Dim[], readonly [unknown, ...infer Post extends Shape]]
              ? [...Pre, ...I, ...Post]
              : never
          : X
        : never;

/** oneHot: [...S, Depth]; `oneHot: depth must be >= 1 (0)`. */
export type OneHotShape<S extends Shape, Depth extends number> =
  IsDyn<Depth> extends true ? [...S, number] : PosInt<Depth> extends true ? [...S, Depth] : ShapeMismatch<`oneHot: depth must be >= 1 (${Show<Depth>})`, S, Depth>;

/** Remove dim Axis: the shape of each piece of unstack, or the mismatch. */
export type UnstackShape<S extends Shape, A extends number = 0> =
  IsTuple<S> extends false
    ? Dim[]
    : Axis<S, A, 'unstack'> extends infer I
      ? I extends number
        ? number extends I
          ? Dim[]
          : SplitAt<S, I> extends [infer Pre extends Dim[], readonly [unknown, ...infer Post extends Shape]]
            ? [...Pre, ...Post]
            : never
        : I
      : never;
type UnstackCount<S extends Shape, A extends number> = Axis<S, A, 'unstack'> extends infer I ? (I extends number ? (number extends I ? number : S[I]) : number) : number;

/**
 * Split dim Axis into pieces of the given sizes (one may be -1: the rest). The pieces' shapes
 * as a tuple. `split: sizes do not add up to dim (9 vs 10)`, `split: sizes exceed dim (12 > 10)`,
 * `split: sizes must be >= 0 or -1 (-2 at index 1)`, `split: only one -1 allowed in sizes (2 found)`.
 */
export type SplitSizesShape<S extends Shape, Z extends readonly number[], A extends number = 0> =
  IsTuple<S> extends false
    ? Dim[][]
    : number extends Z['length']
      ? Dim[][]
      : Axis<S, A, 'split'> extends infer I
        ? I extends number
          ? number extends I
            ? Dim[][]
            : ScanSizes<Z> extends infer Sc
              ? Sc extends Fail<infer M>
                ? ShapeMismatch<M, S, Z>
                : Sc extends { known: infer K extends number[]; holes: infer H; dyn: infer Dy }
                  ? SplitFill<S, I, Z, SizesHole<S[I], K, H, Dy>> extends infer R
                    ? R extends Fail<infer M>
                      ? ShapeMismatch<M, S, Z>
                      : R
                    : never
                  : never
              : never
          : I
        : never;
type ScanSizes<Z extends readonly number[], K extends number[] = [], H extends 0[] = [], Dy extends boolean = false, I extends 0[] = []> = Z extends readonly [
  infer X extends number,
  ...infer T extends readonly number[],
]
  ? IsDyn<X> extends true
    ? ScanSizes<T, K, H, true, [...I, 0]>
    : X extends -1
      ? ScanSizes<T, K, [...H, 0], Dy, [...I, 0]>
      : NatInt<X> extends true
        ? ScanSizes<T, [...K, X], H, Dy, [...I, 0]>
        : Fail<`split: sizes must be >= 0 or -1 (${Show<X>} at index ${I['length']})`>
  : H['length'] extends 0 | 1
    ? { known: K; holes: H['length']; dyn: Dy }
    : Fail<`split: only one -1 allowed in sizes (${H['length']} found)`>;
/** The size that fills the -1 (`number` when unknown), 'no hole' when there is none, or a Fail. */
type SizesHole<D, K extends number[], H, Dy> = Dy extends true
  ? number
  : IsLit<D> extends false
    ? number
    : Sum<K> extends infer T extends number
      ? H extends 0
        ? Same<T, D> extends true
          ? 'no hole'
          : Fail<`split: sizes do not add up to dim (${T} vs ${Show<D>})`>
        : Lte<T, D & number> extends true
          ? Sub<D & number, T>
          : Fail<`split: sizes exceed dim (${T} > ${Show<D>})`>
      : number;
type SplitFill<S extends Shape, I extends number, Z extends readonly number[], Hole> =
  [Hole] extends [Fail<string>] ? Hole : { -readonly [K in keyof Z]: ReplaceAt<S, I, Z[K] extends -1 ? Hole : Z[K]> };

/** split's rule: N equal pieces (SplitShape) or explicit sizes (SplitSizesShape). */
export type SplitRule<S extends Shape, Z extends number | readonly number[], A extends number> = Z extends number
  ? SplitShape<S, A, Z>
  : Z extends readonly number[]
    ? SplitSizesShape<S, Z, A>
    : never;
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

/**
 * Python-style strided slice per axis: begin / end may be negative (from the end) and are
 * clamped to [0, dim]; Strides >= 1; missing entries mean the whole axis. Size per axis:
 * max(0, ceil((end - begin) / stride)). `stridedSlice: stride must be >= 1 (0 at axis 1)`,
 * `stridedSlice: more begin entries than rank (3 vs 2)` (also end, strides).
 */
export type StridedSliceShape<S extends Shape, B extends readonly number[], E extends readonly number[] = [], St extends readonly number[] = []> =
  IsTuple<S> extends false
    ? Dim[]
    : number extends B['length'] | E['length'] | St['length']
      ? Dim[]
      : Lte<B['length'], S['length']> extends false
        ? ShapeMismatch<`stridedSlice: more begin entries than rank (${B['length']} vs ${S['length']})`, S, [B, E, St]>
        : Lte<E['length'], S['length']> extends false
          ? ShapeMismatch<`stridedSlice: more end entries than rank (${E['length']} vs ${S['length']})`, S, [B, E, St]>
          : Lte<St['length'], S['length']> extends false
            ? ShapeMismatch<`stridedSlice: more strides entries than rank (${St['length']} vs ${S['length']})`, S, [B, E, St]>
            : StridedLoop<S, B, E, St, [B, E, St], S>;
type Head<L, Dflt> = L extends readonly [infer H, ...unknown[]] ? H : Dflt;
type Tail<L> = L extends readonly [unknown, ...infer T] ? T : [];
type StridedLoop<S extends Shape, B, E, St, A0, S0, Acc extends Dim[] = []> = S extends readonly [infer D, ...infer ST extends Shape]
  ? StridedDim<D, Head<B, 0>, Head<E, 'end'>, Head<St, 1>, Acc['length']> extends infer R
    ? R extends Fail<infer M>
      ? ShapeMismatch<M, S0, A0>
      : StridedLoop<ST, Tail<B>, Tail<E>, Tail<St>, A0, S0, [...Acc, R & Dim]>
    : never
  : Acc;
type StridedDim<D, B, E, St, Ax extends number> =
  IsDyn<St> extends true
    ? number
    : PosInt<St> extends false
      ? Fail<`stridedSlice: stride must be >= 1 (${Show<St>} at axis ${Ax})`>
      : IsDyn<B> | IsDyn<E> extends false
        ? IsInt<B> extends false
          ? Fail<`stridedSlice: begin must be an integer (${Show<B>} at axis ${Ax})`>
          : E extends 'end' | number
            ? E extends number
              ? IsInt<E> extends false
                ? Fail<`stridedSlice: end must be an integer (${Show<E>} at axis ${Ax})`>
                : StridedSize<D, B & number, E, St & number>
              : StridedSize<D, B & number, E, St & number>
            : never
        : number;
type StridedSize<D, B extends number, E, St extends number> =
  IsLit<D> extends true
    ? ClampIdx<B, D & number> extends infer NB extends number
      ? (E extends number ? ClampIdx<E, D & number> : D) extends infer NE extends number
        ? Lt<NB, NE> extends true
          ? Div<Add<Sub<NE, NB> & number, Sub<St, 1> & number>, St>
          : 0
        : never
      : never
    : [B, E, St] extends [0, 'end', 1]
      ? D
      : number;
/** Python index clamping: negative counts from the end, then clamp into [0, D]. */
type ClampIdx<X extends number, D extends number> = `${X}` extends `-${infer P extends number}`
  ? Lte<P, D> extends true
    ? Sub<D, P>
    : 0
  : Lte<X, D> extends true
    ? X
    : D;

// =============================================================================================
// Runtime twins of the rules above

const isNat = (n: number): boolean => Number.isInteger(n) && n >= 0;
const isPos = (n: number): boolean => Number.isInteger(n) && n >= 1;

export function mergeDimsShape(s: readonly number[], axis: number): number[] {
  const i = normalizeAxis(axis, s.length, 'mergeDims');
  if (i + 1 >= s.length) throw new ShapeError('mergeDims', `axis ${axis} has no next axis (rank ${s.length})`);
  return [...s.slice(0, i), s[i]! * s[i + 1]!, ...s.slice(i + 2)];
}

export function padShape(s: readonly number[], paddings: readonly (readonly [number, number])[]): number[] {
  if (paddings.length !== s.length) throw new ShapeError('pad', `paddings length differs from rank (${paddings.length} vs ${s.length})`);
  return s.map((d, i) => {
    const p = paddings[i]!;
    if (!Array.isArray(p) || p.length !== 2 || !isNat(p[0]) || !isNat(p[1])) throw new ShapeError('pad', `padding must be >= 0 ([${String(p[0])}, ${String(p[1])}] at axis ${i})`);
    return d + p[0] + p[1];
  });
}

export function tileShape(s: readonly number[], reps: readonly number[]): number[] {
  if (reps.length !== s.length) throw new ShapeError('tile', `reps length differs from rank (${reps.length} vs ${s.length})`);
  return s.map((d, i) => {
    const r = reps[i]!;
    if (!isNat(r)) throw new ShapeError('tile', `reps must be >= 0 (${r} at axis ${i})`);
    return d * r;
  });
}

export function repeatShape(s: readonly number[], n: number, axis: number): number[] {
  const i = normalizeAxis(axis, s.length, 'repeat');
  if (!isNat(n)) throw new ShapeError('repeat', `repeats must be >= 0 (${n})`);
  return s.map((d, k) => (k === i ? d * n : d));
}

export function gatherShape(s: readonly number[], idx: readonly number[], axis: number): number[] {
  const i = normalizeAxis(axis, s.length, 'gather');
  return [...s.slice(0, i), ...idx, ...s.slice(i + 1)];
}

export function oneHotShape(s: readonly number[], depth: number): number[] {
  if (!isPos(depth)) throw new ShapeError('oneHot', `depth must be >= 1 (${depth})`);
  return [...s, depth];
}

/** Runtime `SplitSizesShape`: the sizes with a -1 resolved. */
export function splitSizes(s: readonly number[], sizes: readonly number[], axis: number): number[] {
  const i = normalizeAxis(axis, s.length, 'split');
  let known = 0;
  let holes = 0;
  sizes.forEach((z, k) => {
    if (z === -1) holes++;
    else if (!isNat(z)) throw new ShapeError('split', `sizes must be >= 0 or -1 (${z} at index ${k})`);
    else known += z;
  });
  if (holes > 1) throw new ShapeError('split', `only one -1 allowed in sizes (${holes} found)`);
  const d = s[i]!;
  if (holes === 0 && known !== d) throw new ShapeError('split', `sizes do not add up to dim (${known} vs ${d})`);
  if (known > d) throw new ShapeError('split', `sizes exceed dim (${known} > ${d})`);
  return sizes.map((z) => (z === -1 ? d - known : z));
}

interface StridedPlan {
  readonly begin: number[];
  readonly size: number[];
  readonly strides: number[];
}

/** Runtime `StridedSliceShape`: normalised begin, the output size and strides per axis. */
export function stridedSlicePlan(s: readonly number[], begin: readonly number[], end: readonly number[] = [], strides: readonly number[] = []): StridedPlan {
  const r = s.length;
  for (const [what, l] of [['begin', begin], ['end', end], ['strides', strides]] as const) {
    if (l.length > r) throw new ShapeError('stridedSlice', `more ${what} entries than rank (${l.length} vs ${r})`);
  }
  const plan: StridedPlan = { begin: [], size: [], strides: [] };
  s.forEach((d, ax) => {
    const st = strides[ax] ?? 1;
    if (!isPos(st)) throw new ShapeError('stridedSlice', `stride must be >= 1 (${st} at axis ${ax})`);
    const b = begin[ax] ?? 0;
    const e = end[ax] ?? d;
    if (!Number.isInteger(b)) throw new ShapeError('stridedSlice', `begin must be an integer (${b} at axis ${ax})`);
    if (!Number.isInteger(e)) throw new ShapeError('stridedSlice', `end must be an integer (${e} at axis ${ax})`);
    const clamp = (x: number) => (x < 0 ? Math.max(0, d + x) : Math.min(x, d));
    const nb = clamp(b);
    const ne = clamp(e);
    const n = ne > nb ? Math.ceil((ne - nb) / st) : 0;
    plan.begin.push(n === 0 ? 0 : nb);
    plan.size.push(n);
    plan.strides.push(st);
  });
  return plan;
}

// =============================================================================================
// Primitives

const AT = (x: unknown) => x as AnyTensor;
const dims = (x: AnyTensor | AVal) => x.shape as readonly number[];
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const zerosFor = (x: AnyTensor): AnyTensor => zerosLike(x) as unknown as AnyTensor;

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
};

export function tileRaw(x: AnyTensor, reps: readonly number[]): AnyTensor {
  if (reps.every((r) => r === 1)) return x;
  return bind1(tileP, [x], { reps: reps.slice() });
}

// ---------------------------------------------------------------- gather / scatterAdd / oneHot

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
};

// =============================================================================================
// Public ops

const out = <R>(x: unknown) => x as R;

/**
 * Keep the dims before startAxis and flatten the rest into one (a reshape, no copy):
 * [batch, 7, 7, 64] → [batch, 3136]. startAxis may be negative.
 */
export function flatten<S extends Shape, const A extends number = 1, D extends DType = 'float32'>(
  x: Tensor<S, D> & Check<FlattenShape<S, A>>,
  startAxis?: A,
): Tensor<Result<FlattenShape<S, A>>, D> {
  const t = AT(x);
  return out(reshapeRaw(t, flattenShape(dims(t), startAxis ?? 1)));
}

/** Remove the given size-1 axes (all size-1 axes when none are given). */
export function squeeze<S extends Shape, const Ax extends number | readonly number[] | undefined = undefined, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axes?: Ax & Check<SqueezeShape<S, Ax>>,
): Tensor<Result<SqueezeShape<S, Ax>>, D> {
  const t = AT(x);
  return out(reshapeRaw(t, squeezeShape(dims(t), axes as number | readonly number[] | undefined)));
}

/** Insert a size-1 axis at `axis` in [-(rank + 1), rank] (-1 appends). */
export function unsqueeze<S extends Shape, const A extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axis: A & Check<UnsqueezeShape<S, A>>,
): Tensor<Result<UnsqueezeShape<S, A>>, D> {
  const t = AT(x);
  return out(reshapeRaw(t, unsqueezeShape(dims(t), axis)));
}
/** Alias of unsqueeze (TensorFlow's name). */
export const expandDims = unsqueeze;

/** Split dim `axis` into [parts, dim / parts] (d_model → [heads, headSize]); parts must divide the dim. */
export function splitDim<S extends Shape, const A extends number, const P extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axis: A & CheckIf<SplitDimShape<S, A, P>, AxisMsg>,
  parts: P & CheckUnless<SplitDimShape<S, A, P>, AxisMsg>,
): Tensor<Result<SplitDimShape<S, A, P>>, D> {
  const t = AT(x);
  return out(reshapeRaw(t, splitDimShape(dims(t), axis, parts)));
}

/** Merge dims `axis` and `axis + 1` into one (the inverse of splitDim). */
export function mergeDims<S extends Shape, const A extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  axis: A & Check<MergeDimsShape<S, A>>,
): Tensor<Result<MergeDimsShape<S, A>>, D> {
  const t = AT(x);
  return out(reshapeRaw(t, mergeDimsShape(dims(t), axis)));
}

type ConcatRule<Xs extends readonly unknown[], A extends number> = ListRule<'concat', Xs, ConcatShape<ShapesOf<Xs>, A>>;
type StackRule<Xs extends readonly unknown[], A extends number> = ListRule<'stack', Xs, StackShape<ShapesOf<Xs>, A>>;

function listOf(op: string, xs: readonly unknown[]): AnyTensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError(op, 'needs at least one input (0 given)');
  return xs as AnyTensor[];
}

/**
 * Join tensors along an existing axis: sizes there add, other dims must agree.
 * `concat([a, b], -1)` with ['batch', 10, 64] and ['batch', 10, 32] → ['batch', 10, 96].
 */
export function concat<const Xs extends readonly Tensor<any, any>[], const A extends number = 0>(
  xs: Xs & Check<ConcatRule<Xs, A>>,
  axis?: A,
): Tensor<Result<ConcatRule<Xs, A>>, FirstDType<Xs>> {
  const ts = listOf('concat', xs);
  const ax = normalizeAxis(axis ?? 0, dims(ts[0]!).length, 'concat');
  if (ts.length === 1) {
    concatP.shape(ts, { axis: ax });
    return out(ts[0]!);
  }
  return out(concatRaw(ts, ax));
}

/** Stack equal-shaped tensors along a new axis in [-(rank + 1), rank]. */
export function stack<const Xs extends readonly Tensor<any, any>[], const A extends number = 0>(
  xs: Xs & Check<StackRule<Xs, A>>,
  axis?: A,
): Tensor<Result<StackRule<Xs, A>>, FirstDType<Xs>> {
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
  return out(reshapeRaw(res, s));
}

/** The pieces of x along `axis`, that axis removed (the inverse of stack). */
export function unstack<S extends Shape, const A extends number = 0, D extends DType = 'float32'>(
  x: Tensor<S, D> & Check<UnstackShape<S, A>>,
  axis?: A,
): Pieces<Tensor<Result<UnstackShape<S, A>>, D>, UnstackCount<S, A>> {
  const t = AT(x);
  const s = dims(t);
  const ax = normalizeAxis(axis ?? 0, s.length, 'unstack');
  const rest = [...s.slice(0, ax), ...s.slice(ax + 1)];
  const pieces = s[ax]! === 0 ? [] : splitRaw(t, ax, new Array<number>(s[ax]!).fill(1));
  return out(pieces.map((p) => reshapeRaw(p, rest)));
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
  const t = AT(x);
  const s = dims(t);
  const a = axis ?? 0;
  let sizes: number[];
  if (typeof numOrSizes === 'number') {
    const piece = splitShape(s, a, numOrSizes);
    const ax = normalizeAxis(a, s.length, 'split');
    sizes = new Array<number>(numOrSizes).fill(piece[ax]!);
  } else sizes = splitSizes(s, numOrSizes as readonly number[], a);
  return out(splitRaw(t, normalizeAxis(a, s.length, 'split'), sizes));
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
  const t = AT(x);
  const s = dims(t);
  const b = begin as readonly number[];
  const sz = sliceShape(s, b, (size ?? []) as readonly number[]);
  return out(sliceRaw(t, s.map((_, i) => b[i] ?? 0), sz, null));
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
  const t = AT(x);
  const plan = stridedSlicePlan(dims(t), begin as readonly number[], end as readonly number[] | undefined, strides as readonly number[] | undefined);
  return out(sliceRaw(t, plan.begin, plan.size, plan.strides));
}

/** Constant padding: paddings[i] = [before, after] for every axis. */
export function pad<S extends Shape, const P extends readonly (readonly [number, number])[], D extends DType = 'float32'>(
  x: Tensor<S, D>,
  paddings: P & Check<PadShape<S, P>>,
  value = 0,
): Tensor<Result<PadShape<S, P>>, D> {
  const t = AT(x);
  const ps = paddings as readonly (readonly [number, number])[];
  padShape(dims(t), ps);
  return out(padRaw(t, ps.map((p) => p[0]), ps.map((p) => p[1]), value));
}

/** Repeat the whole tensor reps[i] times along each axis (tf.tile). */
export function tile<S extends Shape, const R extends readonly number[], D extends DType = 'float32'>(
  x: Tensor<S, D>,
  reps: R & Check<TileShape<S, R>>,
): Tensor<Result<TileShape<S, R>>, D> {
  const t = AT(x);
  const r = reps as readonly number[];
  tileShape(dims(t), r);
  return out(tileRaw(t, r));
}

/** Repeat each element n times along `axis` (np.repeat): [a, b] → [a, a, b, b] for n = 2. */
export function repeat<S extends Shape, const N extends number, const A extends number, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  n: N & CheckUnless<RepeatShape<S, N, A>, AxisMsg>,
  axis: A & CheckIf<RepeatShape<S, N, A>, AxisMsg>,
): Tensor<Result<RepeatShape<S, N, A>>, D> {
  const t = AT(x);
  const s = dims(t);
  const target = repeatShape(s, n, axis);
  const i = normalizeAxis(axis, s.length, 'repeat');
  // [.., d, ..] → [.., d, 1, ..] tiled n times on the new axis → [.., d·n, ..]: elements stay together
  const withUnit = [...s.slice(0, i + 1), 1, ...s.slice(i + 1)];
  const reps = withUnit.map((_, k) => (k === i + 1 ? n : 1));
  return out(reshapeRaw(tileRaw(reshapeRaw(t, withUnit), reps), target));
}

/**
 * Take slices along `axis` at int32 `indices` (embedding lookup: `gather(table, ids)`):
 * out.shape = x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]. An index outside
 * [0, dim) is a RangeError naming the index, its position and the valid range.
 */
export function gather<S extends Shape, I extends Shape, const A extends number = 0, D extends DType = 'float32'>(
  x: Tensor<S, D> & Check<GatherShape<S, I, A>>,
  indices: Tensor<I, 'int32'>,
  axis?: A,
): Tensor<Result<GatherShape<S, I, A>>, D> {
  const t = AT(x);
  return out(gatherRaw(t, AT(indices), normalizeAxis(axis ?? 0, dims(t).length, 'gather')));
}
/** Alias of gather (NumPy's name). */
export const take = gather;

/**
 * One-hot encoding of int32 ids: [...S] → float32 [...S, depth], `onValue` at the id and
 * `offValue` elsewhere. An id outside [0, depth) gives an all-off row (as tf.oneHot).
 */
export function oneHot<S extends Shape, const N extends number>(
  indices: Tensor<S, 'int32'>,
  depth: N & Check<OneHotShape<S, N>>,
  onValue = 1,
  offValue = 0,
): Tensor<Result<OneHotShape<S, N>>> {
  return out(bind1(oneHotP, [AT(indices)], { depth, on: onValue, off: offValue }));
}

