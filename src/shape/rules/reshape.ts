import type { Add, DivMod, Product } from '../arith';
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, IsLit, Same, Agree, Show, IsTuple } from '../dim-types';
import { type AxisErr, type Join, type LitProduct, type NatInt, type NormAxes, type NormIdx, type Reverse, type SplitAt, fail, isNat, normIndex, normalizeAxes, normalizeAxis, product } from './common';

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
  const ax = normalizeAxes(axes, s.length, 'squeeze');
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
