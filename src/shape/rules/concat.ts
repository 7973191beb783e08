import type { Add, DivMod, Lte, Sub } from '../arith';
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, IsLit, Show, IsTuple } from '../dim-types';
import { type AddDim, type AxisErr, type Fail, type NatInt, type NoDim, type NormIdx, type PosInt, type SplitAt, type Unify, fail, isNat, isPos, normIndex, normalizeAxis } from './common';

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
