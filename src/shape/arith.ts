/**
 * Type-level arithmetic on non-negative integer literal types.
 *
 * Numbers are turned into their decimal strings (`${N}`) and worked on digit by digit with
 * lookup tables, the way one does it on paper. Counting tuple lengths instead breaks above
 * 9,999 (TS2799); digit strings stay exact for every safe integer (up to 2^53 - 1) and cost
 * O(digits) instantiations per addition, O(digits^2) per multiplication or division.
 *
 * Conventions shared by every export:
 * - If either operand is the wide type `number`, the result is "dynamic": `number` for the
 *   numeric operations, `boolean` for Lt/Lte/Gt/Gte/Eq and `-1 | 0 | 1` for Compare.
 * - Operands outside the domain (negative, fractional, or printed in exponent form) are treated
 *   the same way, as dynamic.
 * - Unions distribute: `Add<1 | 2, 10>` is `11 | 12`.
 * - A result is a literal whenever its decimal string round-trips through a JS number, which
 *   every integer up to 2^53 - 1 does (and it is then exact); a larger result that does not
 *   round-trip widens to `number`.
 * - Impossible results are an `ArithError<'...'>` marker, not `never`: `Sub<3, 5>` is
 *   `ArithError<'3 - 5 is negative'>` and `Div<7, 0>` is `ArithError<'7 / 0 divides by zero'>`.
 *
 * Every recursive helper is tail-recursive (its recursive call is the branch of a conditional
 * type), so TS evaluates it in a loop instead of nesting; the longest loop is ~40 steps.
 */

/** Marker for an arithmetic result that does not exist among the naturals. */
export interface ArithError<Msg extends string> {
  readonly __arithError: Msg;
}

// Digit tables (generated: src/shape/build/digit-tables.ts).
import type { ADD, CMP, DIV1, MULC, SUB } from './digit-tables';

// ---------------------------------------------------------------------------------------------
// Digit-string helpers. "R" strings are reversed (least significant digit first), which is the
// order carries travel in; canonical strings have no leading zeros (no trailing ones when R).
// Captured digits are plain `infer x` (not `infer x extends Digit`) for the same reason the
// tables have index signatures: the inputs are validated once, up front, by Nat.

type Rev<S extends string, Acc extends string = ''> = S extends `${infer H}${infer T}` ? Rev<T, `${H}${Acc}`> : Acc;

type StripLeading<S extends string> = S extends `0${infer R}` ? (R extends '' ? '0' : StripLeading<R>) : S;

/** Canonical form of a reversed string: drop trailing (= most significant) zeros. */
type StripR<S extends string> = S extends `${infer X}0` ? (X extends '' ? '0' : StripR<X>) : S;

/** Parse a decimal string; a value that does not round-trip through a JS number widens. */
type ToNum<S extends string> = StripLeading<S> extends `${infer N extends number}` ? N : number;

type FromR<R extends string> = ToNum<Rev<R>>;

/** The decimal string of a natural-number literal, or false outside the domain. */
type Nat<N extends number> = `${N}` extends `-${string}` ? false : `${N}` extends `${bigint}` ? `${N}` : false;

/** Both operands as decimal strings (the tuple fails to match when either is out of domain). */
type Args<A extends number, B extends number> = [Nat<A>, Nat<B>];

/** A + B on reversed strings, with carry C ('0' | '1'). */
type AddR<A extends string, B extends string, C extends string = '0', Acc extends string = ''> =
  A extends `${infer a}${infer AR}`
    ? B extends `${infer b}${infer BR}`
      ? ADD[`${C}${a}${b}`] extends `${infer c}${infer s}`
        ? AddR<AR, BR, c, `${Acc}${s}`>
        : never
      : C extends '0'
        ? `${Acc}${A}`
        : ADD[`1${a}0`] extends `${infer c}${infer s}`
          ? AddR<AR, '', c, `${Acc}${s}`>
          : never
    : B extends ''
      ? C extends '1'
        ? `${Acc}1`
        : Acc
      : AddR<B, '0', C, Acc>;

/** A - B on canonical reversed strings; '-' when A < B. The result may carry leading zeros. */
type SubR<A extends string, B extends string, Br extends string = '0', Acc extends string = ''> =
  A extends `${infer a}${infer AR}`
    ? B extends `${infer b}${infer BR}`
      ? SUB[`${Br}${a}${b}`] extends `${infer c}${infer s}`
        ? SubR<AR, BR, c, `${Acc}${s}`>
        : never
      : Br extends '0'
        ? `${Acc}${A}`
        : SUB[`1${a}0`] extends `${infer c}${infer s}`
          ? SubR<AR, '', c, `${Acc}${s}`>
          : never
    : B extends ''
      ? Br extends '0'
        ? Acc
        : '-'
      : '-';

/** A * d for a reversed string A and one digit d. */
type MulDigitR<A extends string, D extends string, C extends string = '0', Acc extends string = ''> =
  A extends `${infer a}${infer AR}`
    ? MULC[`${C}${a}${D}`] extends `${infer c}${infer s}`
      ? MulDigitR<AR, D, c, `${Acc}${s}`>
      : never
    : C extends '0'
      ? Acc
      : `${Acc}${C}`;

/** Long multiplication: one shifted partial product per digit of B, summed as we go. */
type MulR<A extends string, B extends string, Z extends string = '', Acc extends string = '0'> =
  B extends `${infer b}${infer BR}`
    ? b extends '0'
      ? MulR<A, BR, `${Z}0`, Acc>
      : MulR<A, BR, `${Z}0`, AddR<Acc, `${Z}${b extends '1' ? A : MulDigitR<A, b>}`>>
    : Acc;

/** Whether A has fewer digits than B (multiplying by the shorter operand means fewer partial sums). */
type Shorter<A extends string, B extends string> = A extends `${string}${infer AR}`
  ? B extends `${string}${infer BR}`
    ? Shorter<AR, BR>
    : false
  : B extends ''
    ? false
    : true;

/** Compare canonical decimal strings in one pass: a longer string is larger, else the first differing digit decides. */
type CmpN<A extends string, B extends string, R extends number = 0> =
  A extends `${infer a}${infer AR}`
    ? B extends `${infer b}${infer BR}`
      ? CmpN<AR, BR, R extends 0 ? CMP[`${a}${b}`] : R>
      : 1
    : B extends ''
      ? R
      : -1;

/** Compare canonical reversed strings in one pass (the most significant difference wins). */
type CmpR<A extends string, B extends string, R extends number = 0> =
  A extends `${infer a}${infer AR}`
    ? B extends `${infer b}${infer BR}`
      ? CmpR<AR, BR, CMP[`${a}${b}`] extends 0 ? R : CMP[`${a}${b}`]>
      : 1
    : B extends ''
      ? R
      : -1;

/** Short division of a decimal string by one digit B, remainder R < B: [quotient (maybe with leading zeros), remainder]. */
type Div1<A extends string, B extends string, R extends string = '0', Q extends string = ''> =
  A extends `${infer d}${infer AR}`
    ? DIV1[`${R}${d}${B}`] extends `${infer q}${infer r}`
      ? Div1<AR, B, r, `${Q}${q}`>
      : never
    : [Q, R];

/** [0, B, 2B, ..., 9B] as reversed strings. */
type Multiples<B extends string, Last extends string = B, M extends string[] = ['0', B]> = M['length'] extends 10
  ? M
  : AddR<Last, B> extends infer N extends string
    ? Multiples<B, N, [...M, N]>
    : never;

/** [q, q * divisor] for the largest quotient digit q with q * divisor <= R: a binary search over the multiples. */
type QDigit<R extends string, M extends string[]> =
  CmpR<R, M[1]> extends -1
    ? ['0', '0']
    : CmpR<R, M[5]> extends -1
      ? CmpR<R, M[3]> extends -1
        ? CmpR<R, M[2]> extends -1
          ? ['1', M[1]]
          : ['2', M[2]]
        : CmpR<R, M[4]> extends -1
          ? ['3', M[3]]
          : ['4', M[4]]
      : CmpR<R, M[7]> extends -1
        ? CmpR<R, M[6]> extends -1
          ? ['5', M[5]]
          : ['6', M[6]]
        : CmpR<R, M[8]> extends -1
          ? ['7', M[7]]
          : CmpR<R, M[9]> extends -1
            ? ['8', M[8]]
            : ['9', M[9]];

/**
 * Long division of a decimal string A by a divisor given as its multiples M (reversed): bring
 * down one digit of A at a time into the reversed remainder R, pick the quotient digit by
 * comparison, subtract its multiple. Returns [quotient (maybe with leading zeros), remainder (reversed)].
 */
type DivLong<A extends string, M extends string[], R extends string = '0', Q extends string = ''> =
  A extends `${infer d}${infer AR}`
    ? (R extends '0' ? d : `${d}${R}`) extends infer R2 extends string
      ? QDigit<R2, M> extends [infer q extends string, infer Mq extends string]
        ? q extends '0'
          ? DivLong<AR, M, R2, `${Q}0`>
          : DivLong<AR, M, StripR<SubR<R2, Mq>>, `${Q}${q}`>
        : never
      : never
    : [Q, R];

type DivModS<A extends string, B extends string> = B extends `${string}${infer Rest}`
  ? CmpN<A, B> extends -1
    ? [0, ToNum<A>]
    : Rest extends ''
      ? Div1<A, B> extends [infer Q extends string, infer R extends string]
        ? [ToNum<Q>, ToNum<R>]
        : never
      : DivLong<A, Multiples<Rev<B>>> extends [infer Q extends string, infer R extends string]
        ? [ToNum<Q>, FromR<R>]
        : never
  : never;

type ProductLoop<D extends readonly number[], Acc extends string> = D extends readonly [
  infer H extends number,
  ...infer T extends readonly number[],
]
  ? number extends H
    ? number
    : Nat<H> extends infer h extends string
      ? ProductLoop<T, MulR<Acc, Rev<h>>>
      : number
  : FromR<Acc>;

type SumLoop<D extends readonly number[], Acc extends string> = D extends readonly [
  infer H extends number,
  ...infer T extends readonly number[],
]
  ? number extends H
    ? number
    : Nat<H> extends infer h extends string
      ? SumLoop<T, AddR<Acc, Rev<h>>>
      : number
  : FromR<Acc>;

/** Compare for non-wide single operands; `-1 | 0 | 1` when either is outside the domain. */
type Cmp1<A extends number, B extends number> =
  Args<A, B> extends [infer a extends string, infer b extends string] ? CmpN<a, b> : -1 | 0 | 1;

/** Map a single comparison result to a boolean (boolean when it is not a single value). */
type Is<C, Yes> = [C] extends [Yes] ? true : [C] extends [Exclude<-1 | 0 | 1, Yes>] ? false : boolean;

// ---------------------------------------------------------------------------------------------
// Public operations.

/** A + B. */
export type Add<A extends number, B extends number> = number extends A | B
  ? number
  : A extends number
    ? B extends number
      ? Args<A, B> extends [infer a extends string, infer b extends string]
        ? FromR<AddR<Rev<a>, Rev<b>>>
        : number
      : never
    : never;

/** A - B, or `ArithError<'A - B is negative'>` when A < B. */
export type Sub<A extends number, B extends number> = number extends A | B
  ? number
  : A extends number
    ? B extends number
      ? Args<A, B> extends [infer a extends string, infer b extends string]
        ? SubR<Rev<a>, Rev<b>> extends infer R extends string
          ? R extends '-'
            ? ArithError<`${A} - ${B} is negative`>
            : FromR<R>
          : never
        : number
      : never
    : never;

/** A * B. */
export type Mul<A extends number, B extends number> = number extends A | B
  ? number
  : A extends number
    ? B extends number
      ? Args<A, B> extends [infer a extends string, infer b extends string]
        ? FromR<Shorter<a, b> extends true ? MulR<Rev<b>, Rev<a>> : MulR<Rev<a>, Rev<b>>>
        : number
      : never
    : never;

/** [floor(A / B), A mod B] in one long division, or `ArithError<'A / B divides by zero'>` when B = 0. */
export type DivMod<A extends number, B extends number> = number extends A | B
  ? [number, number]
  : A extends number
    ? B extends number
      ? Args<A, B> extends [infer a extends string, infer b extends string]
        ? b extends '0'
          ? ArithError<`${A} / ${B} divides by zero`>
          : DivModS<a, b>
        : [number, number]
      : never
    : never;

/** floor(A / B), or `ArithError<'A / 0 divides by zero'>`. */
export type Div<A extends number, B extends number> =
  DivMod<A, B> extends infer R ? (R extends [infer Q, unknown] ? Q : R) : never;

/** A mod B (the remainder of Div), or `ArithError<'A / 0 divides by zero'>`. */
export type Mod<A extends number, B extends number> =
  DivMod<A, B> extends infer R ? (R extends [unknown, infer M] ? M : R) : never;

/** -1 when A < B, 0 when equal, 1 when A > B. */
export type Compare<A extends number, B extends number> = number extends A | B
  ? -1 | 0 | 1
  : A extends number
    ? B extends number
      ? Cmp1<A, B>
      : never
    : never;

/** A < B. */
export type Lt<A extends number, B extends number> = number extends A | B
  ? boolean
  : A extends number
    ? B extends number
      ? Is<Cmp1<A, B>, -1>
      : never
    : never;

/** A <= B. */
export type Lte<A extends number, B extends number> = number extends A | B
  ? boolean
  : A extends number
    ? B extends number
      ? Is<Cmp1<A, B>, -1 | 0>
      : never
    : never;

/** A > B. */
export type Gt<A extends number, B extends number> = Lt<B, A>;

/** A >= B. */
export type Gte<A extends number, B extends number> = Lte<B, A>;

/** A = B (numerically). */
export type Eq<A extends number, B extends number> = number extends A | B
  ? boolean
  : A extends number
    ? B extends number
      ? Is<Cmp1<A, B>, 0>
      : never
    : never;

/** The larger of A and B. */
export type Max<A extends number, B extends number> = number extends A | B
  ? number
  : A extends number
    ? B extends number
      ? Cmp1<A, B> extends -1
        ? B
        : A
      : never
    : never;

/** The smaller of A and B. */
export type Min<A extends number, B extends number> = number extends A | B
  ? number
  : A extends number
    ? B extends number
      ? Cmp1<A, B> extends 1
        ? B
        : A
      : never
    : never;

/** The product of a tuple of naturals (1 for []); `number` if any element is dynamic or the list has unknown length. */
export type Product<Dims extends readonly number[]> = number extends Dims['length'] ? number : ProductLoop<Dims, '1'>;

/** The sum of a tuple of naturals (0 for []); `number` if any element is dynamic or the list has unknown length. */
export type Sum<Dims extends readonly number[]> = number extends Dims['length'] ? number : SumLoop<Dims, '0'>;
