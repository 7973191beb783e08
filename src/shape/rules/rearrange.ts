/**
 * The shape rule of einops' `rearrange`, in the type and at runtime (the op is in
 * src/ops/einsum.ts).
 */
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { Agree, IsDyn, Show, IsTuple } from '../dim-types';
import type { DivMod } from '../arith';
import { type Fail, type LitProduct, type SplitAt, fail } from './common';

// =============================================================================================
// Rearrange (einops)

/**
 * The shape rule of `rearrange(x, pattern, sizes)`, einops semantics: `'b s (h d) -> b h s d'`
 * with `{ h: 8 }`. A side is a list of names and parenthesised groups (`()` is a dim of size 1);
 * every name appears once on each side. A group on the left splits its dim (all sizes but at
 * most one given, the last inferred); a group on the right merges. `...` stands for the dims
 * the left side's names leave over (any number, none included), in order: on the left it is an
 * item of its own, on the right an item or part of a group, which merges them
 * (`'b ... (h d) -> b h ... d'`, `'b ... -> b (...)'`).
 *
 * Errors (on the pattern): `rearrange: 'h d' groups 512 but h = 6 does not divide it`,
 * `rearrange: 'h d' groups 512 but h*d = 48`, `rearrange: cannot infer both 'h' and 'd' in
 * '(h d)'; give all sizes but one`, `rearrange: 'b s (h d)' names 3 dims but x has rank 4`,
 * `rearrange: 'z' is on the right but not the left`, `rearrange: 'b' is on the left but not the
 * right`, `rearrange: 'h' appears twice on the left`, `rearrange: size given for 'q', which is
 * not in the pattern`, `rearrange: 'h' is 8 in x but given as 6`, `rearrange: bad pattern ...`,
 * `rearrange: '...' cannot be in a group on the left`, `rearrange: 'b ... d' names at least 2
 * dims but x has rank 1` (the '...' errors of names read as for any name: `'...' is on the left
 * but not the right`, `'...' appears twice on the left`).
 * Products of symbolic dims are `number`; x of unknown rank, or a pattern typed `string`, gives `Dim[]`.
 */
export type RearrangeShape<S extends Shape, P extends string, Z> =
  IsTuple<S> extends false
    ? Dim[]
    : string extends P
      ? Dim[]
    : P extends `${infer L}->${infer R}`
      ? [Side<L>, Side<R>] extends [infer LI, infer RI]
        ? LI extends Fail<infer M>
          ? RErr<M, S, P>
          : RI extends Fail<infer M>
            ? RErr<M, S, P>
            : LI extends Item[]
              ? RI extends Item[]
                ? NamesCheck<Flat<LI>, Flat<RI>, Extract<keyof Z, string>> extends infer NC extends string
                  ? RErr<NC, S, P>
                  : Expand<LI, RI, S> extends infer X
                    ? X extends Fail<infer M>
                      ? RErr<M extends `names ${infer N}` ? `'${Trim<L>}' names ${N} but x has rank ${S['length']}` : M, S, P>
                      : X extends [infer LX extends Item[], infer RX extends Item[]]
                        ? BindSide<LX, S, Z> extends infer Env
                          ? Env extends Fail<infer M>
                            ? RErr<M, S, P>
                            : Env extends Record<string, Dim>
                              ? OutSide<RX, Env>
                              : never
                          : never
                        : never
                    : never
                : never
              : never
        : never
      : RErr<`bad pattern '${P}' (no '->')`, S, P>;
type RErr<M extends string, S, P> = M extends string ? ShapeMismatch<`rearrange: ${M}`, S, P> : never;

/** A name or a group of names. */
type Item = string | string[];

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S;

/** Parse one side into items; Cur is the name being read, G the open group (false outside one). */
type Side<S extends string, Acc extends Item[] = [], Cur extends string = '', G extends string[] | false = false> = S extends `${infer C}${infer R}`
  ? C extends ' '
    ? Push<Acc, Cur, G> extends [infer A extends Item[], '', infer G2 extends string[] | false]
      ? Side<R, A, '', G2>
      : never
    : C extends '.'
      ? S extends `...${infer R2}`
        ? Push<Acc, Cur, G> extends [infer A extends Item[], '', infer G2 extends string[] | false]
          ? Push<A, '...', G2> extends [infer A2 extends Item[], '', infer G3 extends string[] | false]
            ? Side<R2, A2, '', G3>
            : never
          : never
        : Fail<`bad pattern: character '.'`>
    : C extends '('
      ? G extends string[]
        ? Fail<'bad pattern: nested parentheses'>
        : Side<R, Push<Acc, Cur, G>[0], '', []>
      : C extends ')'
        ? G extends string[]
          ? Side<R, [...Acc, Cur extends '' ? G : [...G, Cur]], '', false>
          : Fail<`bad pattern: unbalanced ')'`>
        : Uppercase<C> extends Lowercase<C>
          ? C extends '_' | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9'
            ? Side<R, Acc, `${Cur}${C}`, G>
            : Fail<`bad pattern: character '${C}'`>
          : Side<R, Acc, `${Cur}${C}`, G>
  : G extends string[]
    ? Fail<`bad pattern: unbalanced '('`>
    : Push<Acc, Cur, G>[0];
/** End the current name: [items, name '', group]. */
type Push<Acc extends Item[], Cur extends string, G extends string[] | false> = Cur extends ''
  ? [Acc, '', G]
  : G extends string[]
    ? [Acc, '', [...G, Cur]]
    : [[...Acc, Cur], '', G];

type Flat<L extends Item[], Acc extends string[] = []> = L extends [infer H, ...infer R extends Item[]]
  ? Flat<R, H extends string[] ? [...Acc, ...H] : [...Acc, H & string]>
  : Acc;

type Dup<L extends string[], Seen extends string = never> = L extends [infer H extends string, ...infer R extends string[]]
  ? [H] extends [Seen]
    ? H
    : Dup<R, Seen | H>
  : false;

/** The first naming problem as text, or false. */
type NamesCheck<L extends string[], R extends string[], ZK extends string> =
  Dup<L> extends infer D extends string
    ? `'${D}' appears twice on the left`
    : Dup<R> extends infer D extends string
      ? `'${D}' appears twice on the right`
      : Exclude<R[number], L[number]> extends infer X extends string
        ? [X] extends [never]
          ? Exclude<L[number], R[number]> extends infer Y extends string
            ? [Y] extends [never]
              ? string extends ZK
                ? false
                : Exclude<ZK, L[number]> extends infer Q extends string
                  ? [Q] extends [never]
                    ? false
                    : `size given for '${Q}', which is not in the pattern`
                  : false
              : `'${Y}' is on the left but not the right`
            : false
          : `'${X}' is on the right but not the left`
        : false;

/** The items before '...' and after it: [before, after], or false (no '...' on the side). */
type AtEll<L extends Item[], Pre extends Item[] = []> = L extends [infer H extends Item, ...infer R extends Item[]]
  ? H extends '...'
    ? [Pre, R]
    : AtEll<R, [...Pre, H]>
  : false;
/** [the dims of Q but its last P['length'], those last ones]. */
type SplitTail<Q extends Shape, P extends unknown[], Acc extends Dim[] = []> = Acc['length'] extends P['length']
  ? [Q, Acc]
  : Q extends readonly [...infer I extends Dim[], infer D extends Dim]
    ? SplitTail<I, P, [D, ...Acc]>
    : [[], Acc];
/** One private name per dim of '...' ('...0', '...1': a user's name never contains '.'). */
type EllNames<M extends Shape> = { -readonly [I in keyof M]: `...${I & string}` };
/** Items with '...' (an item or a group member) replaced by the names Ns. */
type Subst<L extends Item[], Ns extends string[]> = L extends [infer H, ...infer R extends Item[]]
  ? H extends '...'
    ? [...Ns, ...Subst<R, Ns>]
    : H extends string[]
      ? [AtEll<H> extends [infer A extends string[], infer B extends string[]] ? [...A, ...Ns, ...B] : H, ...Subst<R, Ns>]
      : [H, ...Subst<R, Ns>]
  : [];
type HasEllGroup<L extends Item[]> = L extends [infer H, ...infer R extends Item[]] ? (H extends string[] ? ('...' extends H[number] ? true : HasEllGroup<R>) : HasEllGroup<R>) : false;
/**
 * Both sides with '...' expanded to one name per dim it stands for ([left, right]), or a Fail:
 * a rank that does not fit (`names ...`, completed by the caller), or '...' in a left group.
 */
type Expand<LI extends Item[], RI extends Item[], S extends Shape> =
  HasEllGroup<LI> extends true
    ? Fail<`'...' cannot be in a group on the left`>
    : AtEll<LI> extends [infer Pre extends Item[], infer Post extends Item[]]
      ? [...Pre, ...Post]['length'] extends infer N extends number
        ? SplitAt<S, Pre['length']> extends [infer H extends Dim[], infer Q extends Shape]
          ? H['length'] extends Pre['length']
            ? SplitTail<Q, Post> extends [infer Mid extends Shape, infer T extends Dim[]]
              ? T['length'] extends Post['length']
                ? EllNames<Mid> extends infer Ns extends string[]
                  ? [Subst<LI, Ns>, Subst<RI, Ns>]
                  : never
                : Fail<`names at least ${N} dims`>
              : never
            : Fail<`names at least ${N} dims`>
          : never
        : never
      : LI['length'] extends S['length']
        ? [LI, RI]
        : Fail<`names ${LI['length']} dims`>;

type SizeOf<Z, N extends string> = N extends keyof Z ? (Z[N] extends number ? Z[N] : number) : never;

/** Bind the left items to S: a record name -> dim, or a Fail. */
type BindSide<L extends Item[], S extends Shape, Z, Env = {}> = L extends [infer H, ...infer LR extends Item[]]
  ? S extends readonly [infer D extends Dim, ...infer SR extends Shape]
    ? (H extends string[] ? BindGroup<H, D, Z> : BindName<H & string, D, Z>) extends infer B
      ? B extends Fail<string>
        ? B
        : BindSide<LR, SR, Z, Env & B>
      : never
    : never
  : { [K in keyof Env]: Env[K] };

type BindName<N extends string, D extends Dim, Z> = [SizeOf<Z, N>] extends [never]
  ? { [K in N]: D }
  : Agree<SizeOf<Z, N>, D> extends true
    ? { [K in N]: IsDyn<D> extends true ? SizeOf<Z, N> : D }
    : Fail<`'${N}' is ${Show<D>} in x but given as ${Show<SizeOf<Z, N>>}`>;

/** Names of G with a given size, and those without. */
type Known<G extends string[], Z, K extends string[] = [], U extends string[] = []> = G extends [infer H extends string, ...infer R extends string[]]
  ? [SizeOf<Z, H>] extends [never]
    ? Known<R, Z, K, [...U, H]>
    : Known<R, Z, [...K, H], U>
  : [K, U];
type SizesOf<Ns extends string[], Z> = { [I in keyof Ns]: SizeOf<Z, Ns[I]> };
type Joined<Ns extends string[], Sep extends string> = Ns extends [infer H extends string, ...infer R extends string[]]
  ? R extends []
    ? H
    : `${H}${Sep}${Joined<R, Sep>}`
  : '';

type BindGroup<G extends string[], D extends Dim, Z> = G extends [infer N extends string]
  ? BindName<N, D, Z>
  : Known<G, Z> extends [infer K extends string[], infer U extends string[]]
    ? SizesOf<K, Z> extends infer KS extends number[]
      ? LitProduct<KS> extends infer KP extends number
        ? U extends []
          ? [D, KP] extends [number, number]
            ? IsDyn<D> extends true
              ? { [N in K[number]]: SizeOf<Z, N> }
              : IsDyn<KP> extends true
                ? { [N in K[number]]: SizeOf<Z, N> }
                : D extends KP
                  ? { [N in K[number]]: SizeOf<Z, N> }
                  : Fail<`'${Joined<G, ' '>}' groups ${D} but ${Joined<K, '*'>} = ${KP}`>
            : { [N in K[number]]: SizeOf<Z, N> }
          : U extends [infer N extends string]
            ? [D, KP] extends [number, number]
              ? IsDyn<D> extends true
                ? { [M in K[number]]: SizeOf<Z, M> } & { [M in N]: number }
                : IsDyn<KP> extends true
                  ? { [M in K[number]]: SizeOf<Z, M> } & { [M in N]: number }
                  : DivMod<D & number, KP> extends [infer Q extends number, infer Rm]
                    ? Rm extends 0
                      ? { [M in K[number]]: SizeOf<Z, M> } & { [M in N]: Q }
                      : Fail<`'${Joined<G, ' '>}' groups ${D} but ${Joined<K, '*'>} = ${KP} does not divide it`>
                    : Fail<`'${Joined<G, ' '>}' groups ${D} but ${Joined<K, '*'>} = ${KP} does not divide it`>
              : { [M in K[number]]: SizeOf<Z, M> } & { [M in N]: number }
            : Fail<`cannot infer both '${U[0]}' and '${U[1]}' in '(${Joined<G, ' '>})'; give all sizes but one`>
        : never
      : never
    : never;

type OutSide<R extends Item[], Env extends Record<string, Dim>> = {
  -readonly [I in keyof R]: R[I] extends [infer N extends string] ? Env[N] : R[I] extends string[] ? GroupDim<R[I], Env> : Env[R[I] & string];
};
type GroupDim<G extends string[], Env extends Record<string, Dim>> = LitProduct<{ [I in keyof G]: Env[G[I]] }>;

/** How rearrange runs: reshape x to `split` (one axis per left name), transpose by `perm`, reshape to `outShape`. */
export interface RearrangePlan {
  readonly split: readonly number[];
  readonly perm: readonly number[];
  readonly outShape: readonly number[];
}

type RItem = string | string[];

function parseSide(s: string): RItem[] {
  const items: RItem[] = [];
  let group: string[] | null = null;
  for (const tok of s.replace(/[()]|\.\.\./g, ' $& ').split(/\s+/).filter((t) => t !== '')) {
    if (tok === '(') {
      if (group !== null) fail('rearrange', 'bad pattern: nested parentheses');
      group = [];
    } else if (tok === ')') {
      if (group === null) fail('rearrange', `bad pattern: unbalanced ')'`);
      items.push(group);
      group = null;
    } else {
      const bad = tok === '...' ? null : /[^A-Za-z0-9_]/.exec(tok);
      if (bad) fail('rearrange', `bad pattern: character '${bad[0]}'`);
      if (group !== null) group.push(tok);
      else items.push(tok);
    }
  }
  if (group !== null) fail('rearrange', `bad pattern: unbalanced '('`);
  return items;
}

const flat = (items: readonly RItem[]) => items.flatMap((i) => (typeof i === 'string' ? [i] : i));
const firstDup = (l: readonly string[]) => l.find((n, i) => l.indexOf(n) !== i);

/** Runtime `RearrangeShape`: the plan, or a ShapeError with the type's words. */
export function rearrangePlan(shape: readonly number[], pattern: string, sizes: Readonly<Record<string, number>> = {}): RearrangePlan {
  if (typeof pattern !== 'string') fail('rearrange', `pattern must be a string, got ${pattern === null ? 'null' : typeof pattern}`);
  const arrow = pattern.indexOf('->');
  if (arrow < 0) fail('rearrange', `bad pattern '${pattern}' (no '->')`);
  const lText = pattern.slice(0, arrow);
  const left = parseSide(lText);
  const right = parseSide(pattern.slice(arrow + 2));
  const ln = flat(left);
  const rn = flat(right);
  const d1 = firstDup(ln);
  if (d1 !== undefined) fail('rearrange', `'${d1}' appears twice on the left`);
  const d2 = firstDup(rn);
  if (d2 !== undefined) fail('rearrange', `'${d2}' appears twice on the right`);
  const x = rn.find((n) => !ln.includes(n));
  if (x !== undefined) fail('rearrange', `'${x}' is on the right but not the left`);
  const y = ln.find((n) => !rn.includes(n));
  if (y !== undefined) fail('rearrange', `'${y}' is on the left but not the right`);
  if (typeof sizes !== 'object' || sizes === null) fail('rearrange', `sizes must be an object of name: size, got ${sizes === null ? 'null' : typeof sizes}`);
  for (const [k, v] of Object.entries(sizes)) {
    if (!ln.includes(k)) fail('rearrange', `size given for '${k}', which is not in the pattern`);
    if (!Number.isInteger(v) || v < 0) fail('rearrange', `size of '${k}' must be an integer >= 0, got ${v}`);
  }
  if (left.some((i) => typeof i !== 'string' && i.includes('...'))) fail('rearrange', `'...' cannot be in a group on the left`);
  const ell = left.indexOf('...');
  const named = ell < 0 ? left.length : left.length - 1;
  if (ell < 0 ? named !== shape.length : named > shape.length) fail('rearrange', `'${lText.trim()}' names ${ell < 0 ? '' : 'at least '}${named} dims but x has rank ${shape.length}`);
  // '...' becomes one private name per dim it stands for (a user's name never contains '.')
  const names = Array.from({ length: ell < 0 ? 0 : shape.length - named }, (_, k) => `...${k}`);
  const subst = (items: readonly RItem[]): RItem[] => items.flatMap((i): RItem[] => (i === '...' ? names : typeof i === 'string' ? [i] : [i.flatMap((n) => (n === '...' ? names : [n]))]));
  const lx = subst(left);
  const rx = subst(right);
  const env = new Map<string, number>();
  lx.forEach((item, i) => {
    const d = shape[i]!;
    if (typeof item === 'string' || item.length === 1) {
      const n = typeof item === 'string' ? item : item[0]!;
      const z = sizes[n];
      if (z !== undefined && z !== d) fail('rearrange', `'${n}' is ${d} in x but given as ${z}`);
      env.set(n, d);
      return;
    }
    const known = item.filter((n) => sizes[n] !== undefined);
    const unknown = item.filter((n) => sizes[n] === undefined);
    const kp = known.reduce((p, n) => p * sizes[n]!, 1);
    const text = `'${item.join(' ')}' groups ${d} but ${known.join('*')} = ${kp}`;
    for (const n of known) env.set(n, sizes[n]!);
    if (unknown.length === 0) {
      if (kp !== d) fail('rearrange', text);
    } else if (unknown.length === 1) {
      if (kp === 0 ? d !== 0 : d % kp !== 0) fail('rearrange', `${text} does not divide it`);
      // 0 / 0: a group of size 0 with a known size 0 leaves the other size free; take 0
      env.set(unknown[0]!, kp === 0 ? 0 : d / kp);
    } else fail('rearrange', `cannot infer both '${unknown[0]}' and '${unknown[1]}' in '(${item.join(' ')})'; give all sizes but one`);
  });
  const size = (n: string) => env.get(n)!;
  const lf = flat(lx);
  return {
    split: lf.map(size),
    perm: flat(rx).map((n) => lf.indexOf(n)),
    outShape: rx.map((item) => (typeof item === 'string' ? size(item) : item.reduce((p, n) => p * size(n), 1))),
  };
}
