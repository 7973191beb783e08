import type { Add, Div, Lt, Lte, Mul, Sub, Sum } from '../arith';
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, IsLit, Same, Show, IsTuple } from '../dim-types';
import { ShapeError } from '../dims';
import { type Axis, type Fail, type IsInt, type NatInt, type PosInt, type SplitAt, isNat, isPos, normalizeAxis } from './common';
import type { SplitShape } from './concat';

// =============================================================================================
// Layout: mergeDims, pad, tile, repeat, gather, oneHot, unstack, split by sizes, strided slice




/** The product of two dims: exact for literals, a 1 keeps the other side, else `number`. */
export type MulDim<A, B> = A extends 1 ? B : B extends 1 ? A : IsLit<A> extends true ? (IsLit<B> extends true ? Mul<A & number, B & number> : number) : number;




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
export type ReplaceAt<S extends Shape, I extends number, X> = SplitAt<S, I> extends [infer Pre extends Dim[], readonly [unknown, ...infer Post extends Shape]]
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
export type UnstackCount<S extends Shape, A extends number> = Axis<S, A, 'unstack'> extends infer I ? (I extends number ? (number extends I ? number : S[I]) : number) : number;

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
// Runtime twins


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

