import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { Agree, IsDyn, Show } from '../dim-types';
import { type BroadcastLoop, broadcastFrom } from './broadcast';
import { type Fail, type SplitAt, fail } from './common';

// =============================================================================================
// Einsum

/**
 * The shape rule of `einsum(spec, ...operands)`, numpy semantics: `'bhqd,bhkd->bhqk'`
 * (explicit output) or `'ij,jk'` (implicit output: the `...` dims, then the letters that
 * appear exactly once, sorted as numpy sorts them: 'A'-'Z' before 'a'-'z'). Letters are ASCII
 * letters; `...` stands for broadcast dims (right-aligned, numpy broadcasting). A letter names
 * one size everywhere it appears, within an operand too (`'ii->i'` is the diagonal).
 *
 * Errors, each at the argument that causes it: on an operand, `einsum: 'j' is 3 in operand 0
 * but 4 in operand 1`, `einsum: operand 1 has rank 3 but 'ij' names 2 dims`, `einsum: '...'
 * dims of operand 1 not broadcastable at axis -1 (2 vs 3)`; on the spec, `einsum: 'ij,jk->ik'
 * has 2 operands, got 3`, `einsum: output 'z' is in no operand`, `einsum: output 'i'
 * repeated`, `einsum: bad character '1' in 'i1'`, `einsum: the operands have '...' dims but the
 * output has no '...'`. An operand of unknown rank, or a spec typed `string`, makes the result
 * `Dim[]` (checked at run time).
 */
export type EinsumRule<Spec extends string, Ss extends readonly Shape[]> =
  number extends Ss['length']
    ? Dim[]
    : string extends Spec
      ? Dim[]
    : number extends Ss[number]['length']
      ? Dim[]
      : EinsumParse<Spec> extends infer P
        ? P extends Fail<infer M>
          ? EinsumErr<'spec', M>
          : P extends { ins: infer Ins extends string[]; out: infer Out }
            ? Ins['length'] extends Ss['length']
              ? BindAll<Ins, Ss, [], false, []> extends infer B
                ? B extends { env: infer Env extends Entry[]; ell: infer E }
                  ? Out extends string[]
                    ? ExplicitOut<Out, Env, E extends Shape ? E : [], E extends Shape ? E['length'] : 0>
                    : ImplicitOut<JoinAll<Ins>, Env, Alphabet, E extends Dim[] ? E : []>
                  : B
                : never
              : EinsumErr<'spec', `'${Spec}' has ${Ins['length']} operand${Ins['length'] extends 1 ? '' : 's'}, got ${Ss['length']}`>
            : never
        : never;

/** An einsum failure and where it belongs: 'spec' or an operand index ('0', '1', ...). */
export interface EinsumErr<At extends string, Msg extends string> {
  readonly at: At;
  readonly msg: Msg;
}

/** The result shape, or the ShapeMismatch of the first error (wherever it belongs). */
export type EinsumShape<Spec extends string, Ss extends readonly Shape[]> =
  EinsumRule<Spec, Ss> extends infer R ? (R extends EinsumErr<string, infer M> ? ShapeMismatch<`einsum: ${M}`, Spec, Ss> : R) : never;

/** The mismatch to intersect into the argument `At` ('spec' or an operand index), else unknown. */
export type EinsumCheck<Spec extends string, Ss extends readonly Shape[], At extends string> =
  EinsumRule<Spec, Ss> extends EinsumErr<At, infer M> ? ShapeMismatch<`einsum: ${M}`, Spec, At extends keyof Ss ? Ss[At] : Spec> : unknown;

/** [letter, dim, operand index of its first sighting] */
type Entry = [string, Dim, string];

type SplitComma<S extends string, Acc extends string[] = []> = S extends `${infer H},${infer R}` ? SplitComma<R, [...Acc, H]> : [...Acc, S];

/** S without its '...' and its first '->'. */
type Strip<S extends string, Arrow extends boolean = false> = S extends `${infer A}...${infer B}`
  ? Strip<`${A}${B}`, Arrow>
  : Arrow extends false
    ? S extends `${infer A}->${infer B}`
      ? Strip<`${A}${B}`, true>
      : S
    : S;

/** The first character that is neither a letter nor ',' (once '...' and '->' are gone), or false. */
type BadChar<S extends string> = S extends `${infer C}${infer R}`
  ? C extends ','
    ? BadChar<R>
    : Uppercase<C> extends Lowercase<C>
      ? C
      : BadChar<R>
  : false;

type EinsumParse<Spec extends string> =
  BadChar<Strip<Spec>> extends infer C extends string
    ? Fail<`bad character '${C}' in '${Spec}'`>
    : Spec extends `${infer L}->${infer R}`
      ? { ins: SplitComma<L>; out: Tokens<R> }
      : { ins: SplitComma<Spec>; out: false };

/** A term's tokens: its letters, with '...' as one token. */
type Tokens<T extends string, Acc extends string[] = []> = T extends `...${infer R}`
  ? Tokens<R, [...Acc, '...']>
  : T extends `${infer C}${infer R}`
    ? Tokens<R, [...Acc, C]>
    : Acc;

type JoinAll<L extends string[]> = L extends [infer H extends string, ...infer R extends string[]] ? `${H},${JoinAll<R>}` : '';

type Lookup<Env extends Entry[], C extends string> = Env[number] extends infer E ? (E extends [C, infer D, infer I] ? [D, I] : never) : never;

type Replace<Env extends Entry[], C extends string, D extends Dim, I extends string> = {
  [K in keyof Env]: Env[K] extends [C, Dim, string] ? [C, D, I] : Env[K];
};

/** Record letter C = D seen in operand I, or the disagreement. */
type BindLetter<C extends string, D extends Dim, I extends string, Env extends Entry[]> = [Lookup<Env, C>] extends [never]
  ? [...Env, [C, D, I]]
  : Lookup<Env, C> extends [infer D0 extends Dim, infer I0 extends string]
    ? Agree<D0, D> extends true
      ? IsDyn<D0> extends true
        ? IsDyn<D> extends true
          ? Env
          : Replace<Env, C, D, I>
        : Env
      : Fail<`'${C}' is ${Show<D0>} in operand ${I0} but ${Show<D>} in operand ${I}`>
    : never;

type BindLetters<Ls extends string[], S extends Shape, I extends string, Env extends Entry[]> = Ls extends [
  infer C extends string,
  ...infer LR extends string[],
]
  ? S extends readonly [infer D extends Dim, ...infer SR extends Shape]
    ? BindLetter<C, D, I, Env> extends infer E
      ? E extends Entry[]
        ? BindLetters<LR, SR, I, E>
        : E
      : never
    : Env
  : Env;

/** [letters before '...', letters after] or false (no '...'); two '...' fail. */
type SplitEll<Ts extends string[], Pre extends string[] = []> = Ts extends [infer H extends string, ...infer R extends string[]]
  ? H extends '...'
    ? '...' extends R[number]
      ? Fail<'two ... in one term'>
      : [Pre, R]
    : SplitEll<R, [...Pre, H]>
  : false;

/** [S without its last N dims, its last N dims]. */
type TakeLast<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc['length'] extends N
  ? [S, Acc]
  : S extends readonly [...infer Init extends Shape, infer L extends Dim]
    ? TakeLast<Init, N, [L, ...Acc]>
    : [S, Acc];

type BindOne<T extends string, S extends Shape, I extends string, Env extends Entry[], E> =
  SplitEll<Tokens<T>> extends infer Sp
    ? Sp extends Fail<infer M>
      ? Fail<`${M} ('${T}')`>
      : Sp extends [infer Pre extends string[], infer Post extends string[]]
        ? [...Pre, ...Post]['length'] extends infer N extends number
          ? SplitAt<S, Pre['length']> extends [infer PreD extends Shape, infer Rest extends Shape]
            ? PreD['length'] extends Pre['length']
              ? TakeLast<Rest, Post['length']> extends [infer Mid extends Shape, infer PostD extends Shape]
                ? PostD['length'] extends Post['length']
                  ? BindLetters<[...Pre, ...Post], [...PreD, ...PostD], I, Env> extends infer Env2
                    ? Env2 extends Entry[]
                      ? (E extends Shape ? BroadcastLoop<E, Mid, `'...' dims of operand ${I}`, [], E, Mid> : Mid) extends infer E2
                        ? E2 extends ShapeMismatch<infer M, any, any>
                          ? Fail<M>
                          : { env: Env2; ell: E2 }
                        : never
                      : Env2
                    : never
                  : RankFail<I, S, T, `at least ${N}`>
                : never
              : RankFail<I, S, T, `at least ${N}`>
            : never
          : never
        : Tokens<T>['length'] extends S['length']
          ? BindLetters<Tokens<T>, S, I, Env> extends infer Env2
            ? Env2 extends Entry[]
              ? { env: Env2; ell: E }
              : Env2
            : never
          : RankFail<I, S, T, Tokens<T>['length']>
    : never;
type RankFail<I extends string, S extends Shape, T extends string, N extends number | string> = Fail<`operand ${I} has rank ${S['length']} but '${T}' names ${N} dims`>;

type BindAll<Ins extends string[], Ss extends readonly Shape[], Env extends Entry[], E, K extends 0[]> = Ins extends [
  infer T extends string,
  ...infer IR extends string[],
]
  ? Ss extends readonly [infer S extends Shape, ...infer SR extends readonly Shape[]]
    ? BindOne<T, S, `${K['length']}`, Env, E> extends infer B
      ? B extends { env: infer Env2 extends Entry[]; ell: infer E2 }
        ? BindAll<IR, SR, Env2, E2, [...K, 0]>
        : B extends Fail<infer M>
          ? EinsumErr<`${K['length']}`, M>
          : never
      : never
    : never
  : { env: Env; ell: E };

type ExplicitOut<Out extends string[], Env extends Entry[], E extends Shape, NE extends number, Acc extends Dim[] = [], Seen extends string = never> = Out extends [
  infer C extends string,
  ...infer R extends string[],
]
  ? C extends '...'
    ? ExplicitOut<R, Env, E, 0, [...Acc, ...E], Seen>
    : [C] extends [Seen]
      ? EinsumErr<'spec', `output '${C}' repeated`>
      : [Lookup<Env, C>] extends [never]
        ? EinsumErr<'spec', `output '${C}' is in no operand`>
        : ExplicitOut<R, Env, E, NE, [...Acc, Lookup<Env, C>[0]], Seen | C>
  : NE extends 0
    ? Acc
    : EinsumErr<'spec', `the operands have '...' dims but the output has no '...'`>;

type Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The letters appearing exactly once in All, in alphabet order, as dims. */
type ImplicitOut<All extends string, Env extends Entry[], Abc extends string = Alphabet, Acc extends Dim[] = []> = Abc extends `${infer C}${infer R}`
  ? All extends `${string}${C}${string}${C}${string}`
    ? ImplicitOut<All, Env, R, Acc>
    : All extends `${string}${C}${string}`
      ? ImplicitOut<All, Env, R, [...Acc, Lookup<Env, C>[0]]>
      : ImplicitOut<All, Env, R, Acc>
  : Acc;

/**
 * The runtime parse of an einsum spec against the operand shapes. `terms[i]` gives operand i a
 * label per axis: its letter; '...' dims become private labels (shared by every operand that has
 * that broadcast dim); a '...' dim of size 1 broadcast against a larger size is labelled ''
 * (drop it: it takes part as a broadcast). `sizes` maps each label to its size, `out` lists
 * the output's labels and `outShape` is the shape of the result.
 */
export interface EinsumPlan {
  readonly terms: readonly (readonly string[])[];
  readonly out: readonly string[];
  readonly sizes: ReadonlyMap<string, number>;
  readonly outShape: readonly number[];
}

/** The label of broadcast dim k of the '...' dims (outside the letter range, never in a spec). */
const ellLabel = (k: number) => String.fromCharCode(0x100 + k);
const isLetter = (c: string) => c.toUpperCase() !== c.toLowerCase() && c.length === 1 && c.charCodeAt(0) < 128;

function tokens(t: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < t.length; ) {
    if (t.startsWith('...', i)) {
      out.push('...');
      i += 3;
    } else out.push(t[i++]!);
  }
  return out;
}

/** Runtime `EinsumRule`: the plan of a spec over the operands' shapes, or a ShapeError with the type's words. */
export function einsumPlan(spec: string, shapes: readonly (readonly number[])[]): EinsumPlan {
  if (typeof spec !== 'string') fail('einsum', `spec must be a string, got ${spec === null ? 'null' : typeof spec}`);
  for (const c of spec.replace(/\.\.\./g, '').replace('->', '')) if (!isLetter(c) && c !== ',') fail('einsum', `bad character '${c}' in '${spec}'`);
  const arrow = spec.indexOf('->');
  const ins = (arrow < 0 ? spec : spec.slice(0, arrow)).split(',');
  const outTokens = arrow < 0 ? null : tokens(spec.slice(arrow + 2));
  if (ins.length !== shapes.length) fail('einsum', `'${spec}' has ${ins.length} operand${ins.length === 1 ? '' : 's'}, got ${shapes.length}`);
  const sizes = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const split: { pre: string[]; post: string[]; mid: number[] | null }[] = [];
  let ell: number[] | null = null;
  ins.forEach((t, i) => {
    const s = shapes[i]!;
    const toks = tokens(t);
    const at = toks.indexOf('...');
    if (at >= 0 && toks.indexOf('...', at + 1) >= 0) fail('einsum', `two ... in one term ('${t}')`);
    const pre = at < 0 ? toks : toks.slice(0, at);
    const post = at < 0 ? [] : toks.slice(at + 1);
    const n = pre.length + post.length;
    if (at < 0 ? s.length !== n : s.length < n) fail('einsum', `operand ${i} has rank ${s.length} but '${t}' names ${at < 0 ? n : `at least ${n}`} dims`);
    const dimsOf = [...s.slice(0, pre.length), ...s.slice(s.length - post.length)];
    [...pre, ...post].forEach((c, k) => {
      const d = dimsOf[k]!;
      const d0 = sizes.get(c);
      if (d0 === undefined) {
        sizes.set(c, d);
        firstSeen.set(c, i);
      } else if (d0 !== d) fail('einsum', `'${c}' is ${d0} in operand ${firstSeen.get(c)} but ${d} in operand ${i}`);
    });
    const mid = at < 0 ? null : s.slice(pre.length, s.length - post.length);
    if (mid !== null) ell = ell === null ? mid : broadcastFrom(ell, mid, 'einsum', `'...' dims of operand ${i}`, 0);
    split.push({ pre, post, mid });
  });
  const e: number[] = ell ?? [];
  e.forEach((d, k) => sizes.set(ellLabel(k), d));
  const terms = split.map(({ pre, post, mid }) => {
    if (mid === null) return [...pre, ...post];
    const lead = e.length - mid.length;
    const labels = mid.map((d, k) => (d === 1 && e[lead + k] !== 1 ? '' : ellLabel(lead + k)));
    return [...pre, ...labels, ...post];
  });
  const ellLabels = e.map((_, k) => ellLabel(k));
  let out: string[];
  if (outTokens === null) {
    const all = ins.join(',');
    const once = [...new Set(all)].filter((c) => isLetter(c) && all.indexOf(c) === all.lastIndexOf(c));
    // numpy's order: by character code, so 'A'-'Z' before 'a'-'z'
    out = [...ellLabels, ...once.sort()];
  } else {
    out = [];
    let sawEll = false;
    for (const c of outTokens) {
      if (c === '...') {
        sawEll = true;
        out.push(...ellLabels);
      } else if (out.includes(c)) fail('einsum', `output '${c}' repeated`);
      else if (!sizes.has(c)) fail('einsum', `output '${c}' is in no operand`);
      else out.push(c);
    }
    if (!sawEll && e.length > 0) fail('einsum', `the operands have '...' dims but the output has no '...'`);
  }
  return { terms, out, sizes, outShape: out.map((c) => sizes.get(c)!) };
}
