import type { Add, Lt, Lte, Product, Sub } from '../arith';
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, IsLit, Same } from '../dim-types';
import { ShapeError } from '../dims';

/**
 * Intersected into the offending parameter's type: unknown when R is a shape, else the mismatch.
 * (A `never` R, which only a `never` input shape produces, counts as a shape: no error.)
 */
export type Check<R> = [R] extends [never] ? unknown : R extends ShapeMismatch<any, any, any> ? R : unknown;

export type IsInt<N> = N extends number ? (`${N}` extends `${bigint}` ? true : false) : false;

/** R when it is a mismatch whose message matches Pat (the error belongs to that parameter), else unknown. */
export type CheckIf<R, Pat extends string> = R extends ShapeMismatch<infer M, any, any> ? (M extends Pat ? R : unknown) : unknown;
/** R when it is a mismatch whose message does NOT match Pat, else unknown. */
export type CheckUnless<R, Pat extends string> = R extends ShapeMismatch<infer M, any, any> ? (M extends Pat ? unknown : R) : unknown;

/** N copies of T as a tuple when N is a literal up to 256, else T[]. */
export type Pieces<T, N> = IsLit<N> extends true ? (Lte<N & number, 256> extends true ? PiecesLoop<T, N & number> : T[]) : T[];
export type PiecesLoop<T, N extends number, Acc extends T[] = []> = Acc['length'] extends N ? Acc : PiecesLoop<T, N, [...Acc, T]>;

/** The result shape, or a wide fallback (Dim[]) on error: never `never`, so errors don't cascade. */
export type Result<R> = [R] extends [never] ? Dim[] : R extends Shape ? R : Dim[];

// =============================================================================================
// Type-level helpers

export type PosInt<N> = N extends number ? (`${N}` extends `-${string}` | '0' ? false : `${N}` extends `${bigint}` ? true : false) : false;
export type NatInt<N> = N extends number ? (`${N}` extends `-${string}` ? false : `${N}` extends `${bigint}` ? true : false) : false;

/** No dim fits here (two dims failed to broadcast or unify). */
export interface NoDim {
  readonly __noDim: true;
}
/** A failure carried up from a per-dim helper before it is wrapped into a ShapeMismatch. */
export interface Fail<Msg extends string> {
  readonly __fail: Msg;
}

/** Index of an axis among N positions: A in [-N, N), negative counted from the end; false out of range. */
export type NormIdx<N extends number, A extends number> = number extends A
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
export type AxisErr<Op extends string, A extends number, R extends number, S, Act> = Op extends string
  ? ShapeMismatch<`${Op}: axis out of range (axis ${A}, rank ${R})`, S, Act>
  : never;

/** Normalise a list of axes: the indices, a mismatch (out of range / repeated) or `number` if any axis is wide. */
export type NormAxes<
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
export type SplitAt<S extends Shape, I extends number, Pre extends Dim[] = []> = Pre['length'] extends I
  ? [Pre, S]
  : S extends readonly [infer H extends Dim, ...infer T extends Shape]
    ? SplitAt<T, I, [...Pre, H]>
    : [Pre, []];

export type Reverse<S extends Shape, Acc extends Dim[] = []> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? Reverse<T, [H, ...Acc]>
  : Acc;

export type Join<L extends readonly string[], Sep extends string> = L extends readonly [infer H extends string]
  ? H
  : L extends readonly [infer H extends string, ...infer T extends readonly string[]]
    ? `${H}${Sep}${Join<T, Sep>}`
    : '';

/** Product of the literal dims, or `number` if any dim is symbolic or dynamic. */
export type LitProduct<S extends Shape> = S extends readonly number[] ? Product<S> : number;

/** Sum of two dims along a concat axis (`number` unless both are literals). */
export type AddDim<A, B> = IsLit<A> extends true ? (IsLit<B> extends true ? Add<A & number, B & number> : number) : number;

/** Two dims that must be equal: the more specific one, or NoDim. */
export type Unify<A, B> = Same<A, B> extends true ? A : IsDyn<A> extends true ? B : IsDyn<B> extends true ? A : NoDim;

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

export function fail(op: string, message: string): never {
  throw new ShapeError(op, message);
}

export const isNat = (n: number): boolean => Number.isInteger(n) && n >= 0;
export const isPos = (n: number): boolean => Number.isInteger(n) && n >= 1;

export function product(s: readonly number[]): number {
  let p = 1;
  for (const d of s) p *= d;
  return p;
}

/** Index among n positions for an axis in [-n, n), or -1 when out of range. */
export function normIndex(axis: number, n: number): number {
  if (!Number.isInteger(axis) || axis < -n || axis >= n) return -1;
  return axis < 0 ? axis + n : axis;
}

/** Runtime `Axis`: axis normalised to [0, rank), else ShapeError `<op>: axis out of range (axis a, rank r)`. */
export function normalizeAxis(axis: number, rank: number, op = 'axis'): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) fail(op, `axis must be an integer, got ${typeof axis === 'number' ? axis : axis === null ? 'null' : typeof axis === 'string' ? JSON.stringify(axis) : typeof axis}`);
  const i = normIndex(axis, rank);
  if (i < 0) fail(op, `axis out of range (axis ${axis}, rank ${rank})`);
  return i;
}

/**
 * The one axis-list normaliser: each axis into [0, rank) (negative from the end), sorted, no
 * repeats; `undefined` means every axis. ShapeError `<op>: axis out of range (axis a, rank r)` or
 * `<op>: axis repeated (i)` (i normalised), the texts of the `NormAxes` type.
 */
export function normalizeAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  // untyped callers: an axis must be an integer, the list an array (not '1', {} or 0.5)
  if (typeof axes !== 'number' && !Array.isArray(axes)) fail(op, `axes must be an integer or an array of integers, got ${axes === null ? 'null' : typeof axes}`);
  const out: number[] = [];
  for (const a of typeof axes === 'number' ? [axes] : axes) {
    const i = normalizeAxis(a, rank, op);
    if (out.includes(i)) fail(op, `axis repeated (${i})`);
    out.push(i);
  }
  return out.sort((x, y) => x - y);
}

/** The batch dim of a [B, L, ...] shape (Dim when S is not a tuple). */
export type BatchDimOf<S> = S extends readonly [infer B extends Dim, ...Dim[]] ? B : Dim;
/** The length (time) dim of a [B, L, ...] shape. */
export type SeqLenOf<S> = S extends readonly [Dim, infer L extends Dim, ...Dim[]] ? L : Dim;
/** The feature dim of a [B, L, D] shape. */
export type FeatureDimOf<S> = S extends readonly [Dim, Dim, infer D extends Dim] ? D : Dim;
