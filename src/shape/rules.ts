/**
 * Shape rules, each as a type and its runtime twin.
 *
 * A rule type evaluates to the resulting shape (a plain mutable tuple, so hovers read
 * `Tensor<['batch', 26, 26, 32]>`) or to a `ShapeMismatch<'<op>: <rule> (<values>)', Expected, Actual>`.
 * Ops never return the mismatch: they intersect `Check<R>` into the offending parameter and
 * return `Tensor<Result<R>>`, so the error lands on that argument and nothing downstream turns
 * into `never`.
 *
 * The runtime twin computes the same shape on `readonly number[]` or throws a `ShapeError`
 * whose message is the same text (symbolic names print as their run-time numbers).
 *
 * Dims: number literals; symbolic string literals ('batch'), equal only to themselves and
 * broadcasting with 1; the wide `number` (also the wide `string`), a dynamic dim that passes
 * every check. A shape that is not a tuple (`Dim[]`, `number[]`: unknown rank) passes every check
 * and yields `Dim[]`. Every axis argument may be negative (-1 = last).
 *
 * In `ShapeMismatch<Msg, Expected, Actual>`: for two-shape rules Expected is the first shape and
 * Actual the second (the one the op should flag); for lists (concat, stack) Expected is the first
 * shape and Actual the offending one; for one-shape rules Expected is the input shape and Actual
 * the offending parameter (axis, axes, perm, target shape, [begin, size], kernel size, ...), except
 * rank errors of conv/pool, where Expected is the required rank and Actual the input shape.
 */
import type { Add, Div, DivMod, Lt, Lte, Mul, Product, Sub } from './arith';
import { ShapeError } from './dims';
import type { Dim, Shape, ShapeMismatch } from './dims';
import type { IsDyn, IsLit, Same, Agree, Show, IsTuple } from './dim-types';

/**
 * Intersected into the offending parameter's type: unknown when R is a shape, else the mismatch.
 * (A `never` R, which only a `never` input shape produces, counts as a shape: no error.)
 */
export type Check<R> = [R] extends [never] ? unknown : R extends ShapeMismatch<any, any, any> ? R : unknown;

/** The result shape, or a wide fallback (Dim[]) on error: never `never`, so errors don't cascade. */
export type Result<R> = [R] extends [never] ? Dim[] : R extends Shape ? R : Dim[];

// =============================================================================================
// Type-level helpers

type PosInt<N> = N extends number ? (`${N}` extends `-${string}` | '0' ? false : `${N}` extends `${bigint}` ? true : false) : false;
type NatInt<N> = N extends number ? (`${N}` extends `-${string}` ? false : `${N}` extends `${bigint}` ? true : false) : false;

/** No dim fits here (two dims failed to broadcast or unify). */
interface NoDim {
  readonly __noDim: true;
}
/** A failure carried up from a per-dim helper before it is wrapped into a ShapeMismatch. */
interface Fail<Msg extends string> {
  readonly __fail: Msg;
}

/** Index of an axis among N positions: A in [-N, N), negative counted from the end; false out of range. */
type NormIdx<N extends number, A extends number> = number extends A
  ? number
  : `${A}` extends `-${infer P extends number}`
    ? number extends N
      ? number
      : Lte<P, N> extends true
        ? Sub<N, P>
        : false
    : NatInt<A> extends true
      ? number extends N
        ? A
        : Lt<A, N> extends true
          ? A
          : false
      : false;

// Error helpers are conditional types so that hovers and messages show the ShapeMismatch itself,
// not the helper's alias name.
type AxisErr<Op extends string, A extends number, R extends number, S, Act> = Op extends string
  ? ShapeMismatch<`${Op}: axis out of range (axis ${A}, rank ${R})`, S, Act>
  : never;

/** Normalise a list of axes: the indices, a mismatch (out of range / repeated) or `number` if any axis is wide. */
type NormAxes<
  R extends number,
  Ax extends readonly number[],
  Op extends string,
  S,
  A0,
  Seen extends number[] = [],
> = Ax extends readonly [infer H extends number, ...infer T extends readonly number[]]
  ? NormIdx<R, H> extends infer I
    ? I extends false
      ? AxisErr<Op, H, R, S, A0>
      : I extends number
        ? number extends I
          ? number
          : I extends Seen[number]
            ? ShapeMismatch<`${Op}: axis repeated (${I})`, S, A0>
            : NormAxes<R, T, Op, S, A0, [...Seen, I]>
        : never
    : never
  : Seen;

/** [dims before index I, dims from I on]. */
type SplitAt<S extends Shape, I extends number, Pre extends Dim[] = []> = Pre['length'] extends I
  ? [Pre, S]
  : S extends readonly [infer H extends Dim, ...infer T extends Shape]
    ? SplitAt<T, I, [...Pre, H]>
    : [Pre, []];

type Reverse<S extends Shape, Acc extends Dim[] = []> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? Reverse<T, [H, ...Acc]>
  : Acc;

type Join<L extends readonly string[], Sep extends string> = L extends readonly [infer H extends string]
  ? H
  : L extends readonly [infer H extends string, ...infer T extends readonly string[]]
    ? `${H}${Sep}${Join<T, Sep>}`
    : '';

/** Product of the literal dims, or `number` if any dim is symbolic or dynamic. */
type LitProduct<S extends Shape> = S extends readonly number[] ? Product<S> : number;

/** Sum of two dims along a concat axis (`number` unless both are literals). */
type AddDim<A, B> = IsLit<A> extends true ? (IsLit<B> extends true ? Add<A & number, B & number> : number) : number;

/** Two dims that must be equal: the more specific one, or NoDim. */
type Unify<A, B> = Same<A, B> extends true ? A : IsDyn<A> extends true ? B : IsDyn<B> extends true ? A : NoDim;

// =============================================================================================
// Axis, Rank

/** The rank of S (`number` when unknown). */
export type Rank<S extends Shape> = S['length'];

/**
 * Axis A of S normalised to [0, rank): negative axes count from the end; out of range (or not an
 * integer) is `ShapeMismatch<'<Op>: axis out of range (axis A, rank R)', S, A>`. A wide axis, or a
 * negative axis on an unknown-rank shape, gives `number`.
 */
export type Axis<S extends Shape, A extends number, Op extends string = 'axis'> =
  NormIdx<S['length'], A> extends infer I ? (I extends false ? AxisErr<Op, A, S['length'], S, A> : I) : never;

// =============================================================================================
// Broadcasting

type BroadcastDim<A, B> =
  Same<A, B> extends true
    ? A
    : IsDyn<A> extends true
      ? B extends 1
        ? number
        : B
      : IsDyn<B> extends true
        ? A extends 1
          ? number
          : A
        : A extends 1
          ? B
          : B extends 1
            ? A
            : NoDim;

/** Right-aligned broadcast; Acc holds the result's tail (its length gives the failing axis). */
type BroadcastLoop<A extends Shape, B extends Shape, What extends string, Acc extends Dim[], A0, B0> = A extends readonly [
  ...infer AI extends Shape,
  infer AL,
]
  ? B extends readonly [...infer BI extends Shape, infer BL]
    ? BroadcastDim<AL, BL> extends infer D
      ? D extends NoDim
        ? ShapeMismatch<`${What} not broadcastable at axis -${[...Acc, 0]['length']} (${Show<AL>} vs ${Show<BL>})`, A0, B0>
        : BroadcastLoop<AI, BI, What, [D & Dim, ...Acc], A0, B0>
      : never
    : [...A, ...Acc]
  : [...B, ...Acc];

/**
 * NumPy broadcasting, right-aligned: equal dims; 1 vs X -> X; 'sym' vs 'sym' -> 'sym';
 * 'sym' vs 1 -> 'sym'; number vs X -> X unless X is 1 (then number). Anything else:
 * `broadcast: dims not broadcastable at axis -k (a vs b)` (k counted from the right).
 */
export type BroadcastShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false ? Dim[] : IsTuple<B> extends false ? Dim[] : BroadcastLoop<A, B, 'broadcast: dims', [], A, B>;

// =============================================================================================
// Matmul

/**
 * [...batchA, M, K] @ [...batchB, K, N] -> [...broadcast(batchA, batchB), M, N].
 * Rank-1 operands are rejected (`matmul: operands need rank >= 2 (ranks 1 and 2)`): reshape
 * vectors to [1, K] / [K, 1] first. Inner dims: `matmul: inner dims differ (784 vs 128)`;
 * batch dims: `matmul: batch dims not broadcastable at axis -3 (2 vs 3)`.
 */
export type MatmulShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Dim[]
    : IsTuple<B> extends false
      ? Dim[]
      : A extends readonly [...infer AB extends Shape, infer M extends Dim, infer K]
        ? B extends readonly [...infer BB extends Shape, infer K2, infer N extends Dim]
          ? Agree<K, K2> extends true
            ? BroadcastLoop<AB, BB, 'matmul: batch dims', [M, N], A, B>
            : ShapeMismatch<`matmul: inner dims differ (${Show<K>} vs ${Show<K2>})`, A, B>
          : MatmulRankErr<A, B>
        : MatmulRankErr<A, B>;
type MatmulRankErr<A extends Shape, B extends Shape> = A extends Shape
  ? ShapeMismatch<`matmul: operands need rank >= 2 (ranks ${A['length']} and ${B['length']})`, A, B>
  : never;

// =============================================================================================
// Reshape, flatten

interface Scanned {
  lits: number[];
  syms: string[];
  dyn: boolean;
  holes: number;
  bad: unknown[];
}
/** Split a shape into literal dims, symbolic names, a dynamic flag, the count of -1 and invalid dims. */
type Scan<
  S extends Shape,
  Lits extends number[] = [],
  Syms extends string[] = [],
  Dyn extends boolean = false,
  Holes extends 0[] = [],
  Bad extends unknown[] = [],
> = S extends readonly [infer H, ...infer T extends Shape]
  ? IsDyn<H> extends true
    ? Scan<T, Lits, Syms, true, Holes, Bad>
    : H extends string
      ? Scan<T, Lits, [...Syms, H], Dyn, Holes, Bad>
      : H extends -1
        ? Scan<T, Lits, Syms, Dyn, [...Holes, 0], Bad>
        : NatInt<H> extends true
          ? Scan<T, [...Lits, H & number], Syms, Dyn, Holes, Bad>
          : Scan<T, Lits, Syms, Dyn, Holes, [...Bad, H]>
  : { lits: Lits; syms: Syms; dyn: Dyn; holes: Holes['length']; bad: Bad };

/** L without its first X, or false if X is not in L. */
type RemoveOne<L extends string[], X extends string, Pre extends string[] = []> = L extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? Same<H, X> extends true
    ? [...Pre, ...R]
    : RemoveOne<R, X, [...Pre, H]>
  : false;
/** Multiset difference L - R, or false when R has a name L lacks. */
type SymMinus<L extends string[], R extends string[]> = R extends [infer H extends string, ...infer T extends string[]]
  ? RemoveOne<L, H> extends infer L2 extends string[]
    ? SymMinus<L2, T>
    : false
  : L;

/** A size for messages: 'batch*3136', 'batch', '35'. */
type SizeExpr<Syms extends string[], L extends number> = Syms extends []
  ? `${L}`
  : L extends 1
    ? Join<Syms, '*'>
    : `${Join<Syms, '*'>}*${L}`;

/** T with -1 replaced by X, as a mutable tuple. */
type Fill<T extends Shape, X> = { -readonly [K in keyof T]: T[K] extends -1 ? X : T[K] };

type ReshapeKnown<S extends Shape, T extends Shape, SS extends Scanned, ST extends Scanned> =
  SymMinus<SS['syms'], ST['syms']> extends infer Left
    ? [Product<SS['lits']>, Product<ST['lits']>] extends [infer PS extends number, infer PT extends number]
      ? ST['holes'] extends 0
        ? Left extends []
          ? Agree<PS, PT> extends true
            ? Fill<T, never>
            : ReshapeSizeErr<S, T, SS, ST, PS, PT>
          : ReshapeSizeErr<S, T, SS, ST, PS, PT>
        : Left extends string[]
          ? DivMod<PS, PT> extends [infer Q, 0]
            ? Fill<T, Left extends [] ? Q : number>
            : ReshapeInferErr<S, T, SS, ST, PS, PT>
          : ReshapeInferErr<S, T, SS, ST, PS, PT>
      : never
    : never;
type ReshapeSizeErr<S, T, SS extends Scanned, ST extends Scanned, PS extends number, PT extends number> = PS extends number
  ? ShapeMismatch<`reshape: sizes differ (${SizeExpr<SS['syms'], PS>} vs ${SizeExpr<ST['syms'], PT>})`, S, T>
  : never;
type ReshapeInferErr<S, T, SS extends Scanned, ST extends Scanned, PS extends number, PT extends number> = PS extends number
  ? ShapeMismatch<`reshape: cannot infer -1 (${SizeExpr<SS['syms'], PS>} is not divisible by ${SizeExpr<ST['syms'], PT>})`, S, T>
  : never;

/**
 * Reshape S to T; T may hold one -1, inferred. Literal sizes are compared by digit arithmetic and
 * symbolic names must match as multisets: ['batch', 7, 7, 64] -> ['batch', 3136] or ['batch', -1]
 * (-> ['batch', 3136]). With -1, symbolic dims of S missing from T are absorbed into it, which then
 * becomes `number` (['batch', 'seq', 512] -> [-1, 512] gives [number, 512]); the literal part must
 * still divide exactly. A dynamic dim on either side skips the check (-1 -> number). An unknown-rank
 * S yields T (with -1 -> number). Errors: `reshape: sizes differ (35 vs 36)`,
 * `reshape: cannot infer -1 (35 is not divisible by 6)`, `reshape: only one -1 allowed (2 found)`,
 * `reshape: invalid target dim (-3)`.
 */
export type ReshapeShape<S extends Shape, T extends Shape> =
  IsTuple<T> extends false
    ? Dim[]
    : Scan<T> extends infer ST extends Scanned
      ? ST['bad'] extends [infer B, ...unknown[]]
        ? ShapeMismatch<`reshape: invalid target dim (${Show<B>})`, S, T>
        : ST['holes'] extends 0 | 1
          ? IsTuple<S> extends false
            ? Fill<T, number>
            : Scan<S> extends infer SS extends Scanned
              ? true extends SS['dyn'] | ST['dyn']
                ? Fill<T, number>
                : ReshapeKnown<S, T, SS, ST>
              : never
          : ShapeMismatch<`reshape: only one -1 allowed (${ST['holes']} found)`, S, T>
      : never;

/**
 * Keep the dims before StartAxis and multiply the rest into one: [b, 7, 7, 64] -> [b, 3136].
 * A symbolic or dynamic dim in the flattened part makes it `number`. Nothing to flatten is not
 * possible: StartAxis must be a real axis of S.
 */
export type FlattenShape<S extends Shape, StartAxis extends number = 1> =
  IsTuple<S> extends false
    ? Dim[]
    : NormIdx<S['length'], StartAxis> extends infer I
      ? I extends false
        ? AxisErr<'flatten', StartAxis, S['length'], S, StartAxis>
        : I extends number
          ? number extends I
            ? Dim[]
            : SplitAt<S, I> extends [infer Pre extends Dim[], infer Rest extends Shape]
              ? [...Pre, LitProduct<Rest>]
              : never
          : never
      : never;

// =============================================================================================
// Transpose, squeeze, unsqueeze

type PermLoop<
  S extends Shape,
  P extends readonly number[],
  P0,
  Seen extends number[] = [],
  Acc extends Dim[] = [],
> = P extends readonly [infer H extends number, ...infer T extends readonly number[]]
  ? NormIdx<S['length'], H> extends infer I
    ? I extends false
      ? AxisErr<'transpose', H, S['length'], S, P0>
      : I extends number
        ? number extends I
          ? Dim[]
          : I extends Seen[number]
            ? ShapeMismatch<`transpose: perm repeats axis (${I})`, S, P0>
            : PermLoop<S, T, P0, [...Seen, I], [...Acc, S[I]]>
        : never
    : never
  : Acc;

/**
 * Result[i] = S[Perm[i]]; Perm entries may be negative; no Perm reverses the dims.
 * Errors: `transpose: perm length differs from rank (2 vs 3)`, axis out of range, `perm repeats axis (1)`.
 */
export type TransposeShape<S extends Shape, Perm extends readonly number[] | undefined = undefined> =
  IsTuple<S> extends false
    ? Dim[]
    : Perm extends readonly number[]
      ? number extends Perm['length']
        ? Dim[]
        : Perm['length'] extends S['length']
          ? PermLoop<S, Perm, Perm>
          : ShapeMismatch<`transpose: perm length differs from rank (${Perm['length']} vs ${S['length']})`, S, Perm>
      : Reverse<S>;

type SqueezeLoop<S extends Shape, Ax extends number, S0, A0, I extends 0[] = [], Acc extends Dim[] = []> = S extends readonly [
  infer H extends Dim,
  ...infer T extends Shape,
]
  ? I['length'] extends Ax
    ? H extends 1
      ? SqueezeLoop<T, Ax, S0, A0, [...I, 0], Acc>
      : IsDyn<H> extends true
        ? SqueezeLoop<T, Ax, S0, A0, [...I, 0], Acc>
        : ShapeMismatch<`squeeze: squeezed dim must be 1 (axis ${I['length']} has ${Show<H>})`, S0, A0>
    : SqueezeLoop<T, Ax, S0, A0, [...I, 0], [...Acc, H]>
  : Acc;

type SqueezeAll<S extends Shape, Acc extends Dim[] = []> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? IsLit<H> extends true
    ? SqueezeAll<T, H extends 1 ? Acc : [...Acc, H]>
    : Dim[]
  : Acc;

/**
 * Remove the given axes, whose dims must be 1 (a dynamic dim passes; a symbolic one does not):
 * `squeeze: squeezed dim must be 1 (axis 1 has 3)`, `squeeze: axis repeated (1)`. Without Axes,
 * every literal 1 is removed; if S has symbolic or dynamic dims the resulting rank is unknown at
 * compile time, so that case gives `Dim[]`.
 */
export type SqueezeShape<S extends Shape, Axes extends number | readonly number[] | undefined = undefined> =
  IsTuple<S> extends false
    ? Dim[]
    : Axes extends undefined
      ? SqueezeAll<S>
      : (Axes extends number ? [Axes] : Axes) extends infer AxList extends readonly number[]
        ? number extends AxList['length']
          ? Dim[]
          : NormAxes<S['length'], AxList, 'squeeze', S, Axes> extends infer N
            ? N extends number[]
              ? SqueezeLoop<S, N[number], S, Axes>
              : N extends number
                ? Dim[]
                : N
            : never
        : never;

/**
 * Insert a 1 at Axis, which ranges over [-(rank + 1), rank] (-1 appends):
 * `unsqueeze: axis out of range (axis 4, rank 2)`.
 */
export type UnsqueezeShape<S extends Shape, A extends number> =
  IsTuple<S> extends false
    ? Dim[]
    : NormIdx<Add<S['length'], 1>, A> extends infer I
      ? I extends false
        ? AxisErr<'unsqueeze', A, S['length'], S, A>
        : I extends number
          ? number extends I
            ? Dim[]
            : SplitAt<S, I> extends [infer Pre extends Dim[], infer Post extends Shape]
              ? [...Pre, 1, ...Post]
              : never
          : never
      : never;

// =============================================================================================
// Concat, stack

interface Clash<Ax extends number, A, B> {
  readonly clash: [Ax, A, B];
}
/** Zip Acc with X: dims at Ax add, others unify; the new shape or the first Clash. Ax = never: unify all. */
type ConcatOne<
  Acc extends Shape,
  X extends Shape,
  Ax extends number,
  I extends 0[] = [],
  Out extends Dim[] = [],
> = Acc extends readonly [infer A, ...infer AT extends Shape]
  ? X extends readonly [infer B, ...infer XT extends Shape]
    ? I['length'] extends Ax
      ? ConcatOne<AT, XT, Ax, [...I, 0], [...Out, AddDim<A, B>]>
      : Unify<A, B> extends infer U
        ? U extends NoDim
          ? Clash<I['length'], A, B>
          : ConcatOne<AT, XT, Ax, [...I, 0], [...Out, U & Dim]>
        : never
    : Out
  : Out;

type JoinLoop<
  Op extends string,
  Rest extends readonly Shape[],
  Ax extends number,
  F extends Shape,
  Acc extends Shape,
  N extends 0[],
> = Rest extends readonly [infer X extends Shape, ...infer R extends readonly Shape[]]
  ? X['length'] extends F['length']
    ? ConcatOne<Acc, X, Ax> extends infer Out
      ? Out extends Clash<infer K, infer A, infer B>
        ? ShapeMismatch<`${Op}: dims differ at axis ${K} (${Show<A>} vs ${Show<B>} at input ${N['length']})`, F, X>
        : Out extends Shape
          ? JoinLoop<Op, R, Ax, F, Out, [...N, 0]>
          : never
      : never
    : ShapeMismatch<`${Op}: ranks differ (${F['length']} vs ${X['length']} at input ${N['length']})`, F, X>
  : Acc;

type AnyUnknownRank<L extends readonly Shape[]> = L extends readonly [infer H extends Shape, ...infer T extends readonly Shape[]]
  ? IsTuple<H> extends false
    ? true
    : AnyUnknownRank<T>
  : false;

/**
 * Concatenate along Axis: sizes there add (digit arithmetic; `number` if any is symbolic or
 * dynamic), other dims must unify. Errors: `concat: needs at least one input (0 given)`,
 * `concat: ranks differ (2 vs 3 at input 1)`, `concat: dims differ at axis 0 (2 vs 3 at input 2)`,
 * axis out of range (checked against the first shape's rank).
 */
export type ConcatShape<Shapes extends readonly Shape[], Axis extends number = 0> = number extends Shapes['length']
  ? Dim[]
  : Shapes extends readonly [infer F extends Shape, ...infer Rest extends readonly Shape[]]
    ? AnyUnknownRank<Shapes> extends true
      ? Dim[]
      : NormIdx<F['length'], Axis> extends infer I
        ? I extends false
          ? AxisErr<'concat', Axis, F['length'], F, Axis>
          : I extends number
            ? number extends I
              ? Dim[]
              : JoinLoop<'concat', Rest, I, F, [...F], [0]>
            : never
        : never
    : ShapeMismatch<'concat: needs at least one input (0 given)', [], Shapes>;

/**
 * Stack equal shapes along a new Axis in [-(rank + 1), rank]; the new dim is the count.
 * Errors as for concat (`stack: dims differ at axis 1 (4 vs 3 at input 1)`).
 */
export type StackShape<Shapes extends readonly Shape[], Axis extends number = 0> = number extends Shapes['length']
  ? Dim[]
  : Shapes extends readonly [infer F extends Shape, ...infer Rest extends readonly Shape[]]
    ? AnyUnknownRank<Shapes> extends true
      ? Dim[]
      : NormIdx<Add<F['length'], 1>, Axis> extends infer I
        ? I extends false
          ? AxisErr<'stack', Axis, F['length'], F, Axis>
          : I extends number
            ? number extends I
              ? Dim[]
              : JoinLoop<'stack', Rest, never, F, [...F], [0]> extends infer U
                ? U extends Shape
                  ? SplitAt<U, I> extends [infer Pre extends Dim[], infer Post extends Shape]
                    ? [...Pre, Shapes['length'], ...Post]
                    : never
                  : U
                : never
            : never
        : never
    : ShapeMismatch<'stack: needs at least one input (0 given)', [], Shapes>;

// =============================================================================================
// Slice, split

/** One sliced dim or a Fail; checks run in the runtime's order: begin, size, then bounds. */
type SliceDim<D, B, Z, Ax extends number> =
  [IsDyn<B>, NatInt<B>] extends [false, false]
    ? Fail<`slice: begin must be >= 0 (${Show<B>} at axis ${Ax})`>
    : [IsDyn<Z>, Z extends -1 ? true : NatInt<Z>] extends [false, false]
      ? Fail<`slice: size must be >= 0 or -1 (${Show<Z>} at axis ${Ax})`>
      : IsDyn<Z> extends true
        ? number
        : IsDyn<B> extends true
          ? Z extends -1
            ? number
            : Z
          : IsLit<D> extends false
            ? Z extends -1
              ? B extends 0
                ? D
                : number
              : Z
            : Lte<B & number, D & number> extends false
              ? Fail<`slice: begin out of range (${Show<B>} > ${Show<D>} at axis ${Ax})`>
              : Z extends -1
                ? Sub<D & number, B & number>
                : Lte<Add<B & number, Z & number>, D & number> extends true
                  ? Z
                  : Fail<`slice: begin + size exceeds dim (${Show<B>} + ${Show<Z>} > ${Show<D>} at axis ${Ax})`>;

type SliceLoop<
  S extends Shape,
  B extends readonly number[],
  Z extends readonly number[],
  S0,
  A0,
  Acc extends Dim[] = [],
> = S extends readonly [infer D, ...infer T extends Shape]
  ? SliceDim<
      D,
      B extends readonly [infer b, ...unknown[]] ? b : 0,
      Z extends readonly [infer z, ...unknown[]] ? z : -1,
      Acc['length']
    > extends infer R
    ? R extends Fail<infer M>
      ? ShapeMismatch<M, S0, A0>
      : SliceLoop<
          T,
          B extends readonly [unknown, ...infer BT extends readonly number[]] ? BT : [],
          Z extends readonly [unknown, ...infer ZT extends readonly number[]] ? ZT : [],
          S0,
          A0,
          [...Acc, R & Dim]
        >
    : never
  : Acc;

/**
 * tf.slice: Begin[i] >= 0, Size[i] >= 0 or -1 (to the end), Begin[i] + Size[i] <= dim. Begin and
 * Size may be shorter than the rank (missing begin = 0, missing size = -1). A symbolic or dynamic
 * dim is not bounds-checked; its slice is Size, or the dim itself for begin 0 / size -1, else
 * `number`. Errors: `slice: begin + size exceeds dim (2 + 4 > 5 at axis 1)`,
 * `slice: begin out of range (6 > 5 at axis 0)`, `slice: begin must be >= 0 (-1 at axis 0)`,
 * `slice: size must be >= 0 or -1 (-2 at axis 0)`, `slice: more begin entries than rank (3 vs 2)`.
 */
export type SliceShape<S extends Shape, Begin extends readonly number[], Size extends readonly number[] = []> =
  IsTuple<S> extends false
    ? Dim[]
    : number extends Begin['length'] | Size['length']
      ? Dim[]
      : Lte<Begin['length'], S['length']> extends false
        ? ShapeMismatch<`slice: more begin entries than rank (${Begin['length']} vs ${S['length']})`, S, [Begin, Size]>
        : Lte<Size['length'], S['length']> extends false
          ? ShapeMismatch<`slice: more size entries than rank (${Size['length']} vs ${S['length']})`, S, [Begin, Size]>
          : SliceLoop<S, Begin, Size, S, [Begin, Size]>;

/** Shared by SplitDimShape / SplitShape: [Pre, Parts-or-quotient dims, Post] or a mismatch. */
type SplitCore<S extends Shape, Axis extends number, Parts extends number, Op extends 'splitDim' | 'split', Noun extends string> =
  IsTuple<S> extends false
    ? Dim[]
    : NormIdx<S['length'], Axis> extends infer I
      ? I extends false
        ? AxisErr<Op, Axis, S['length'], S, Axis>
        : I extends number
          ? number extends I
            ? Dim[]
            : SplitAt<S, I> extends [infer Pre extends Dim[], readonly [infer D, ...infer Post extends Shape]]
              ? IsDyn<Parts> extends true
                ? [Pre, number, Post]
                : PosInt<Parts> extends false
                  ? ShapeMismatch<`${Op}: ${Noun} must be >= 1 (${Parts})`, S, Parts>
                  : IsLit<D> extends true
                    ? DivMod<D & number, Parts> extends [infer Q, 0]
                      ? [Pre, Q, Post]
                      : ShapeMismatch<`${Op}: ${Noun} do not divide dim (${Parts} does not divide ${Show<D>})`, S, Parts>
                    : [Pre, number, Post]
              : never
          : never
      : never;

/**
 * Split dim Axis into [Parts, dim / Parts], e.g. d_model 512 into 8 heads: ['b', 't', 512] with
 * Axis -1, Parts 8 -> ['b', 't', 8, 64]. `splitDim: parts do not divide dim (8 does not divide 500)`,
 * `splitDim: parts must be >= 1 (0)`. A symbolic/dynamic dim gives [Parts, number].
 */
export type SplitDimShape<S extends Shape, Axis extends number, Parts extends number> =
  SplitCore<S, Axis, Parts, 'splitDim', 'parts'> extends infer R
    ? R extends [infer Pre extends Dim[], infer Q, infer Post extends Shape]
      ? [...Pre, Parts, Q & Dim, ...Post]
      : R
    : never;

/**
 * The shape of each of N equal pieces when S is split along Axis: dim / N there.
 * `split: pieces do not divide dim (3 does not divide 10)`, `split: pieces must be >= 1 (0)`.
 */
export type SplitShape<S extends Shape, Axis extends number, N extends number> =
  SplitCore<S, Axis, N, 'split', 'pieces'> extends infer R
    ? R extends [infer Pre extends Dim[], infer Q, infer Post extends Shape]
      ? [...Pre, Q & Dim, ...Post]
      : R
    : never;

// =============================================================================================
// Reductions

type ReduceLoop<
  S extends Shape,
  Ax extends number,
  Keep extends boolean,
  I extends 0[] = [],
  Acc extends Dim[] = [],
> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? I['length'] extends Ax
    ? ReduceLoop<T, Ax, Keep, [...I, 0], Keep extends true ? [...Acc, 1] : Acc>
    : ReduceLoop<T, Ax, Keep, [...I, 0], [...Acc, H]>
  : Acc;

type Ones<S extends Shape> = { -readonly [K in keyof S]: 1 };

/**
 * Reduce over Axes (a tuple of axes, one axis, or undefined = all): reduced dims are dropped, or
 * become 1 with KeepDims. `[]` reduces nothing. `reduce: axis repeated (1)`, axis out of range.
 * Reducing all axes of an unknown-rank shape without KeepDims gives `[]`.
 */
export type ReduceShape<
  S extends Shape,
  Axes extends number | readonly number[] | undefined = undefined,
  KeepDims extends boolean = false,
> =
  boolean extends KeepDims
    ? Dim[]
    : Axes extends undefined
      ? KeepDims extends true
        ? IsTuple<S> extends true
          ? Ones<S>
          : Dim[]
        : []
      : IsTuple<S> extends false
        ? Dim[]
        : (Axes extends number ? [Axes] : Axes) extends infer AxList extends readonly number[]
          ? number extends AxList['length']
            ? Dim[]
            : NormAxes<S['length'], AxList, 'reduce', S, Axes> extends infer N
              ? N extends number[]
                ? ReduceLoop<S, N[number], KeepDims>
                : N extends number
                  ? Dim[]
                  : N
              : never
          : never;

// =============================================================================================
// Convolution and pooling

/** Keras padding: 'valid' (none), 'same' (output ceil(n / s)), 'causal' (left only), or explicit p per side. */
export type Padding = 'valid' | 'same' | 'causal' | number;
/** Padding for 2-D conv/pool: causal makes no sense there; explicit padding may differ per axis. */
export type Padding2d = 'valid' | 'same' | number | readonly [number, number];

type PadStr<P> = P extends string ? `'${P}'` : Show<P>;
/** Kernels report their dilated extent; pooling windows are never dilated. */
type Dilated<Noun, E extends number> = Noun extends 'kernel' ? ` (dilated ${E})` : '';

/**
 * One spatial output size, or a Fail. Order of checks (matched by the runtime): kernel, stride,
 * dilation, explicit padding >= 0, then the size itself.
 */
type ConvOut<N, K, S, D, P, Op extends string, Noun extends 'kernel' | 'window', Input extends string> =
  [IsLit<K>, PosInt<K>] extends [true, false]
    ? Fail<`${Op}: ${Noun} must be >= 1 (${Show<K>})`>
    : [IsLit<S>, PosInt<S>] extends [true, false]
      ? Fail<`${Op}: stride must be >= 1 (${Show<S>})`>
      : [IsLit<D>, PosInt<D>] extends [true, false]
        ? Fail<`${Op}: dilation must be >= 1 (${Show<D>})`>
        : [IsLit<P>, NatInt<P>] extends [true, false]
          ? Fail<`${Op}: padding must be >= 0 (${Show<P>})`>
          : P extends 'same' | 'causal'
            ? N extends 0
              ? Fail<`${Op}: ${Input} must be >= 1 (0)`>
              : S extends 1
                ? N // stride 1 keeps the size, even a symbolic one
                : IsLit<N> extends true
                  ? IsLit<S> extends true
                    ? Add<Div<Sub<N & number, 1>, S & number> & number, 1>
                    : number
                  : number
            : true extends IsDyn<N> | IsDyn<K> | IsDyn<S> | IsDyn<D> | IsDyn<P>
              ? number
              : IsLit<N> extends false
                ? number
                : ConvValid<
                    P extends number ? Add<N & number, Mul<P, 2>> : N & number,
                    Add<Mul<D & number, Sub<K & number, 1> & number>, 1>,
                    S & number,
                    [Op, Noun, Input, K, N, P]
                  >;
/**
 * floor((M - E) / S) + 1 for padded size M and dilated extent E, or a Fail when M < E; the message
 * parts travel in Why so the string is only built on failure.
 */
type ConvValid<M extends number, E extends number, S extends number, Why extends unknown[]> =
  Lt<M, E> extends true
    ? Why extends [infer Op extends string, infer Noun extends string, infer Input extends string, infer K, infer N, infer P]
      ? Fail<`${Op}: ${Noun} ${Show<K>}${Dilated<Noun, E>} larger than ${Input} ${Show<N>} with padding ${PadStr<P>}`>
      : never
    : Add<Div<Sub<M, E> & number, S> & number, 1>;

/**
 * Output length of a convolution/pooling window along one axis:
 * valid: floor((n - d(k-1) - 1) / s) + 1; same and causal: floor((n - 1) / s) + 1 = ceil(n / s);
 * explicit p: floor((n + 2p - d(k-1) - 1) / s) + 1. A window that does not fit is
 * `ShapeMismatch<"conv: kernel 5 (dilated 5) larger than input 3 with padding 'valid'", N, K>`.
 * Symbolic or dynamic operands give `number`.
 */
export type ConvOutSize<N extends Dim, K extends number, S extends number = 1, D extends number = 1, P extends Padding = 'valid'> =
  ConvOut<N, K, S, D, P, 'conv', 'kernel', 'input'> extends infer R ? (R extends Fail<infer M> ? ShapeMismatch<M, N, K> : R) : never;

type PairOf<V> = V extends readonly [infer A, infer B] ? [A, B] : [V, V];
type PadPair<P> = P extends readonly [infer A, infer B] ? [A, B] : [P, P];

/** [outH, outW] or a ShapeMismatch for a 2-D window over [.., H, W, ..]. */
type Spatial2d<X extends Shape, H, W, K, S, P, D, Op extends string, Noun extends 'kernel' | 'window', Act> =
  [PairOf<K>, PairOf<S>, PadPair<P>, PairOf<D>] extends [
    [infer KH, infer KW],
    [infer SH, infer SW],
    [infer PH, infer PW],
    [infer DH, infer DW],
  ]
    ? ConvOut<H, KH, SH, DH, PH, Op, Noun, 'input height'> extends infer OH
      ? OH extends Fail<infer M>
        ? ShapeMismatch<M, X, Act>
        : ConvOut<W, KW, SW, DW, PW, Op, Noun, 'input width'> extends infer OW
          ? OW extends Fail<infer M>
            ? ShapeMismatch<M, X, Act>
            : [OH, OW]
          : never
      : never
    : never;

/**
 * NHWC 2-D convolution: [B, H, W, C] -> [B, outH, outW, Filters]; KernelSize, Strides, Dilation
 * are one number or [h, w]; explicit padding is one number or [h, w] per side.
 * `conv2d: input must be [batch, height, width, channels] (rank 3)`,
 * `conv2d: kernel 5 (dilated 5) larger than input height 3 with padding 'valid'`.
 * Input channels are not checked here (that is the kernel tensor's business).
 */
export type Conv2dShape<
  X extends Shape,
  KernelSize extends number | readonly [number, number],
  Filters extends Dim,
  Strides extends number | readonly [number, number] = 1,
  Pad extends Padding2d = 'valid',
  Dilation extends number | readonly [number, number] = 1,
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer H, infer W, unknown]
      ? Spatial2d<X, H, W, KernelSize, Strides, Pad, Dilation, 'conv2d', 'kernel', KernelSize> extends infer O
        ? O extends [infer OH extends Dim, infer OW extends Dim]
          ? [B, OH, OW, Filters]
          : O
        : never
      : ShapeMismatch<`conv2d: input must be [batch, height, width, channels] (rank ${X['length']})`, 4, X>;

/**
 * NHWC 2-D pooling: [B, H, W, C] -> [B, outH, outW, C]; Strides default to PoolSize (Keras).
 * `pool2d: window 3 larger than input width 2 with padding 'valid'`.
 */
export type Pool2dShape<
  X extends Shape,
  PoolSize extends number | readonly [number, number],
  Strides extends number | readonly [number, number] = PoolSize,
  Pad extends Padding2d = 'valid',
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer H, infer W, infer C extends Dim]
      ? Spatial2d<X, H, W, PoolSize, Strides, Pad, 1, 'pool2d', 'window', PoolSize> extends infer O
        ? O extends [infer OH extends Dim, infer OW extends Dim]
          ? [B, OH, OW, C]
          : O
        : never
      : ShapeMismatch<`pool2d: input must be [batch, height, width, channels] (rank ${X['length']})`, 4, X>;

/**
 * 1-D convolution over [B, L, C] -> [B, outL, Filters] (padding may be 'causal').
 * `conv1d: kernel 3 (dilated 5) larger than input length 4 with padding 'valid'`.
 */
export type Conv1dShape<
  X extends Shape,
  KernelSize extends number,
  Filters extends Dim,
  Stride extends number = 1,
  Pad extends Padding = 'valid',
  Dilation extends number = 1,
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer L, unknown]
      ? ConvOut<L, KernelSize, Stride, Dilation, Pad, 'conv1d', 'kernel', 'input length'> extends infer O
        ? O extends Fail<infer M>
          ? ShapeMismatch<M, X, KernelSize>
          : [B, O & Dim, Filters]
        : never
      : ShapeMismatch<`conv1d: input must be [batch, length, channels] (rank ${X['length']})`, 3, X>;

/** 1-D pooling over [B, L, C] -> [B, outL, C]; Stride defaults to PoolSize. */
export type Pool1dShape<
  X extends Shape,
  PoolSize extends number,
  Stride extends number = PoolSize,
  Pad extends Exclude<Padding, 'causal'> = 'valid',
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer L, infer C extends Dim]
      ? ConvOut<L, PoolSize, Stride, 1, Pad, 'pool1d', 'window', 'input length'> extends infer O
        ? O extends Fail<infer M>
          ? ShapeMismatch<M, X, PoolSize>
          : [B, O & Dim, C]
        : never
      : ShapeMismatch<`pool1d: input must be [batch, length, channels] (rank ${X['length']})`, 3, X>;

// =============================================================================================
// Runtime twins

function fail(op: string, message: string): never {
  throw new ShapeError(op, message);
}

const isNat = (n: number): boolean => Number.isInteger(n) && n >= 0;
const isPos = (n: number): boolean => Number.isInteger(n) && n >= 1;

function product(s: readonly number[]): number {
  let p = 1;
  for (const d of s) p *= d;
  return p;
}

/** Index among n positions for an axis in [-n, n), or -1 when out of range. */
function normIndex(axis: number, n: number): number {
  if (!Number.isInteger(axis) || axis < -n || axis >= n) return -1;
  return axis < 0 ? axis + n : axis;
}

/** Runtime `Axis`: axis normalised to [0, rank), else ShapeError `<op>: axis out of range (axis a, rank r)`. */
export function normalizeAxis(axis: number, rank: number, op = 'axis'): number {
  const i = normIndex(axis, rank);
  if (i < 0) fail(op, `axis out of range (axis ${axis}, rank ${rank})`);
  return i;
}

function normalizeAxes(axes: readonly number[], rank: number, op: string): number[] {
  const out: number[] = [];
  for (const a of axes) {
    const i = normalizeAxis(a, rank, op);
    if (out.includes(i)) fail(op, `axis repeated (${i})`);
    out.push(i);
  }
  return out;
}

function broadcastFrom(a: readonly number[], b: readonly number[], op: string, what: string, skip: number): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 1; i <= n; i++) {
    const x = i <= a.length ? a[a.length - i]! : undefined;
    const y = i <= b.length ? b[b.length - i]! : undefined;
    let r: number;
    if (x === undefined) r = y!;
    else if (y === undefined || x === y) r = x;
    else if (x === 1) r = y;
    else if (y === 1) r = x;
    else fail(op, `${what} not broadcastable at axis -${i + skip} (${x} vs ${y})`);
    out[n - i] = r;
  }
  return out;
}

/** Runtime `BroadcastShape`. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  return broadcastFrom(a, b, 'broadcast', 'dims', 0);
}

/** Runtime `MatmulShape`. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length < 2 || b.length < 2) fail('matmul', `operands need rank >= 2 (ranks ${a.length} and ${b.length})`);
  const k = a[a.length - 1]!;
  const k2 = b[b.length - 2]!;
  if (k !== k2) fail('matmul', `inner dims differ (${k} vs ${k2})`);
  const batch = broadcastFrom(a.slice(0, -2), b.slice(0, -2), 'matmul', 'batch dims', 2);
  return [...batch, a[a.length - 2]!, b[b.length - 1]!];
}

/** Runtime `ReshapeShape`: the target with -1 resolved. */
export function reshapeShape(s: readonly number[], t: readonly number[]): number[] {
  const bad = t.find((d) => d !== -1 && !isNat(d));
  if (bad !== undefined) fail('reshape', `invalid target dim (${bad})`);
  const holes = t.filter((d) => d === -1).length;
  if (holes > 1) fail('reshape', `only one -1 allowed (${holes} found)`);
  const ps = product(s);
  const pt = product(t.filter((d) => d !== -1));
  if (holes === 0) {
    if (ps !== pt) fail('reshape', `sizes differ (${ps} vs ${pt})`);
    return [...t];
  }
  if (pt === 0 || ps % pt !== 0) fail('reshape', `cannot infer -1 (${ps} is not divisible by ${pt})`);
  return t.map((d) => (d === -1 ? ps / pt : d));
}

/** Runtime `FlattenShape`. */
export function flattenShape(s: readonly number[], startAxis = 1): number[] {
  const i = normalizeAxis(startAxis, s.length, 'flatten');
  return [...s.slice(0, i), product(s.slice(i))];
}

/** Runtime `TransposeShape` (no perm: reversed). */
export function transposeShape(s: readonly number[], perm?: readonly number[]): number[] {
  if (perm === undefined) return [...s].reverse();
  if (perm.length !== s.length) fail('transpose', `perm length differs from rank (${perm.length} vs ${s.length})`);
  const seen: number[] = [];
  for (const p of perm) {
    const i = normalizeAxis(p, s.length, 'transpose');
    if (seen.includes(i)) fail('transpose', `perm repeats axis (${i})`);
    seen.push(i);
  }
  return seen.map((i) => s[i]!);
}

/** Runtime `SqueezeShape` (no axes: every 1 is removed). */
export function squeezeShape(s: readonly number[], axes?: number | readonly number[]): number[] {
  if (axes === undefined) return s.filter((d) => d !== 1);
  const ax = normalizeAxes(typeof axes === 'number' ? [axes] : axes, s.length, 'squeeze');
  s.forEach((d, i) => {
    if (ax.includes(i) && d !== 1) fail('squeeze', `squeezed dim must be 1 (axis ${i} has ${d})`);
  });
  return s.filter((_, i) => !ax.includes(i));
}

/** Runtime `UnsqueezeShape`. */
export function unsqueezeShape(s: readonly number[], axis: number): number[] {
  const i = normIndex(axis, s.length + 1);
  if (i < 0) fail('unsqueeze', `axis out of range (axis ${axis}, rank ${s.length})`);
  return [...s.slice(0, i), 1, ...s.slice(i)];
}

function joinCheck(op: string, shapes: readonly (readonly number[])[], axis: number): number[] {
  const f = shapes[0]!;
  const acc = [...f];
  for (let n = 1; n < shapes.length; n++) {
    const x = shapes[n]!;
    if (x.length !== f.length) fail(op, `ranks differ (${f.length} vs ${x.length} at input ${n})`);
    for (let k = 0; k < f.length; k++) {
      if (k === axis) acc[k] = acc[k]! + x[k]!;
      else if (acc[k] !== x[k]) fail(op, `dims differ at axis ${k} (${acc[k]} vs ${x[k]} at input ${n})`);
    }
  }
  return acc;
}

/** Runtime `ConcatShape`. */
export function concatShapes(shapes: readonly (readonly number[])[], axis = 0): number[] {
  const f = shapes[0];
  if (f === undefined) fail('concat', 'needs at least one input (0 given)');
  return joinCheck('concat', shapes, normalizeAxis(axis, f.length, 'concat'));
}

/** Runtime `StackShape`. */
export function stackShapes(shapes: readonly (readonly number[])[], axis = 0): number[] {
  const f = shapes[0];
  if (f === undefined) fail('stack', 'needs at least one input (0 given)');
  const i = normIndex(axis, f.length + 1);
  if (i < 0) fail('stack', `axis out of range (axis ${axis}, rank ${f.length})`);
  const s = joinCheck('stack', shapes, -1);
  return [...s.slice(0, i), shapes.length, ...s.slice(i)];
}

/** Runtime `SliceShape`. */
export function sliceShape(s: readonly number[], begin: readonly number[], size: readonly number[] = []): number[] {
  if (begin.length > s.length) fail('slice', `more begin entries than rank (${begin.length} vs ${s.length})`);
  if (size.length > s.length) fail('slice', `more size entries than rank (${size.length} vs ${s.length})`);
  return s.map((d, ax) => {
    const b = begin[ax] ?? 0;
    const z = size[ax] ?? -1;
    if (!isNat(b)) fail('slice', `begin must be >= 0 (${b} at axis ${ax})`);
    if (z !== -1 && !isNat(z)) fail('slice', `size must be >= 0 or -1 (${z} at axis ${ax})`);
    if (b > d) fail('slice', `begin out of range (${b} > ${d} at axis ${ax})`);
    if (z === -1) return d - b;
    if (b + z > d) fail('slice', `begin + size exceeds dim (${b} + ${z} > ${d} at axis ${ax})`);
    return z;
  });
}

function splitCore(s: readonly number[], axis: number, parts: number, op: string, noun: string): [number, number] {
  const i = normalizeAxis(axis, s.length, op);
  if (!isPos(parts)) fail(op, `${noun} must be >= 1 (${parts})`);
  const d = s[i]!;
  if (d % parts !== 0) fail(op, `${noun} do not divide dim (${parts} does not divide ${d})`);
  return [i, d / parts];
}

/** Runtime `SplitDimShape`: dim `axis` becomes [parts, dim / parts]. */
export function splitDimShape(s: readonly number[], axis: number, parts: number): number[] {
  const [i, q] = splitCore(s, axis, parts, 'splitDim', 'parts');
  return [...s.slice(0, i), parts, q, ...s.slice(i + 1)];
}

/** Runtime `SplitShape`: the shape of each of n equal pieces. */
export function splitShape(s: readonly number[], axis: number, n: number): number[] {
  const [i, q] = splitCore(s, axis, n, 'split', 'pieces');
  return s.map((d, k) => (k === i ? q : d));
}

/** Runtime `ReduceShape`. */
export function reduceShape(s: readonly number[], axes?: number | readonly number[], keepDims = false): number[] {
  const ax =
    axes === undefined ? s.map((_, i) => i) : normalizeAxes(typeof axes === 'number' ? [axes] : axes, s.length, 'reduce');
  const out: number[] = [];
  s.forEach((d, i) => {
    if (!ax.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

function convOut(
  op: string,
  noun: 'kernel' | 'window',
  input: string,
  n: number,
  k: number,
  s: number,
  d: number,
  padding: Padding,
): number {
  if (!isPos(k)) fail(op, `${noun} must be >= 1 (${k})`);
  if (!isPos(s)) fail(op, `stride must be >= 1 (${s})`);
  if (!isPos(d)) fail(op, `dilation must be >= 1 (${d})`);
  if (typeof padding === 'number' && !isNat(padding)) fail(op, `padding must be >= 0 (${padding})`);
  if (padding === 'same' || padding === 'causal') {
    if (n < 1) fail(op, `${input} must be >= 1 (${n})`);
    return Math.floor((n - 1) / s) + 1;
  }
  const m = typeof padding === 'number' ? n + 2 * padding : n;
  const e = d * (k - 1) + 1;
  if (m < e) {
    const dil = noun === 'kernel' ? ` (dilated ${e})` : '';
    const pad = typeof padding === 'number' ? `${padding}` : `'${padding}'`;
    fail(op, `${noun} ${k}${dil} larger than ${input} ${n} with padding ${pad}`);
  }
  return Math.floor((m - e) / s) + 1;
}

/** Runtime `ConvOutSize`. */
export function convOutSize(n: number, k: number, s = 1, d = 1, padding: Padding = 'valid'): number {
  return convOut('conv', 'kernel', 'input', n, k, s, d, padding);
}

/**
 * TensorFlow's 'same' padding as [before, after]: total = max((ceil(n/s) - 1) * s + (k - 1) * d + 1 - n, 0),
 * before = floor(total / 2) (the extra one goes after).
 */
export function samePadding(n: number, k: number, s = 1, d = 1): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** [before, after] padding for any mode: valid [0, 0], same as TF, causal [d(k-1), 0], explicit [p, p]. */
export function paddingAmounts(n: number, k: number, s: number, d: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') return samePadding(n, k, s, d);
  if (padding === 'causal') return [d * (k - 1), 0];
  return [padding, padding];
}

type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const padPair = (p: Padding2d): [Padding, Padding] => (typeof p === 'object' ? [p[0], p[1]] : [p, p]);

function spatial2d(
  x: readonly number[],
  k: Pair,
  s: Pair,
  p: Padding2d,
  d: Pair,
  op: string,
  noun: 'kernel' | 'window',
): [number, number] {
  const [kh, kw] = pair(k);
  const [sh, sw] = pair(s);
  const [ph, pw] = padPair(p);
  const [dh, dw] = pair(d);
  const oh = convOut(op, noun, 'input height', x[1]!, kh, sh, dh, ph);
  const ow = convOut(op, noun, 'input width', x[2]!, kw, sw, dw, pw);
  return [oh, ow];
}

/** Runtime `Conv2dShape` (NHWC). */
export function conv2dShape(
  x: readonly number[],
  kernelSize: Pair,
  filters: number,
  strides: Pair = 1,
  padding: Padding2d = 'valid',
  dilation: Pair = 1,
): number[] {
  if (x.length !== 4) fail('conv2d', `input must be [batch, height, width, channels] (rank ${x.length})`);
  const [oh, ow] = spatial2d(x, kernelSize, strides, padding, dilation, 'conv2d', 'kernel');
  return [x[0]!, oh, ow, filters];
}

/** Runtime `Pool2dShape` (NHWC; strides default to the pool size). */
export function pool2dShape(x: readonly number[], poolSize: Pair, strides: Pair = poolSize, padding: Padding2d = 'valid'): number[] {
  if (x.length !== 4) fail('pool2d', `input must be [batch, height, width, channels] (rank ${x.length})`);
  const [oh, ow] = spatial2d(x, poolSize, strides, padding, 1, 'pool2d', 'window');
  return [x[0]!, oh, ow, x[3]!];
}

/** Runtime `Conv1dShape` ([B, L, C]). */
export function conv1dShape(
  x: readonly number[],
  kernelSize: number,
  filters: number,
  stride = 1,
  padding: Padding = 'valid',
  dilation = 1,
): number[] {
  if (x.length !== 3) fail('conv1d', `input must be [batch, length, channels] (rank ${x.length})`);
  return [x[0]!, convOut('conv1d', 'kernel', 'input length', x[1]!, kernelSize, stride, dilation, padding), filters];
}

/** Runtime `Pool1dShape` ([B, L, C]; stride defaults to the pool size). */
export function pool1dShape(
  x: readonly number[],
  poolSize: number,
  stride: number = poolSize,
  padding: Exclude<Padding, 'causal'> = 'valid',
): number[] {
  if (x.length !== 3) fail('pool1d', `input must be [batch, length, channels] (rank ${x.length})`);
  return [x[0]!, convOut('pool1d', 'window', 'input length', x[1]!, poolSize, stride, 1, padding), x[2]!];
}
