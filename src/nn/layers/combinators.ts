/**
 * Branches and skips as layers: `parallel` (several branches on one input, outputs
 * concatenated on the last axis or added), `residual` (x + body(x)) and `textCnnBlock`
 * (the TextCNN pattern: conv1d → global max pool per kernel size, concatenated).
 *
 *   sequential(['batch', 40], embedding(5000, 64),
 *     textCnnBlock({ filters: 100, kernelSizes: [3, 4, 5] }),   // ['batch', 300]
 *     dense(6));
 *
 * Errors are compile errors at the combinator's position in the model, with the branch named:
 *   "parallel: branch 1 leading shape differs (expected [batch, 38], got [batch, 37])"
 *   "residual: widths differ (expected 512, got 256)"
 * Params: parallel → a tuple with each branch's params; residual → the body's params.
 */
import type { Add } from '../../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { AnyTensor } from '../../tensor/untyped';
import { addRaw } from '../../ops/elementwise';
import { concatRaw } from '../../ops/layout';
import { split, type Key } from '../../random';
import { chain, type ChainKind } from '../sequential';
import type { ActivationName } from '../activation';
import type { ApplyContext, ApplyKind, InOf, KindOf, Layer, LayerKind, NameOf, ParamsKind, RDim } from '../layer';
import { conv1d, globalMaxPool1d, type Conv1dKind, type GlobalPool1dKind } from './conv';
import { applyUpdatingStats, type StatsLayer } from './norm';
import type { IsDyn, IsLit, Same, Agree, Show, IsTuple, AgreeAll, ShowShape } from '../../shape/dim-types';

// ---------------------------------------------------------------- type helpers

/** W + D when both are literals, else the wide number */
type AddW<W, D> = [IsLit<W>, IsLit<D>] extends [true, true] ? Add<W & number, D & number> : number;

/** each branch's output shape (or mismatch) for input S */
type BranchOuts<S extends Shape, Bs extends readonly unknown[]> = { [I in keyof Bs]: ApplyKind<KindOf<Bs[I]>, S> };

/** the first failing branch's mismatch, prefixed with the combinator and the branch */
type FirstBranchError<N extends string, Os extends readonly unknown[], Bs extends readonly unknown[], I extends unknown[] = []> = Os extends readonly [infer O, ...infer Rest]
  ? O extends ShapeMismatch<infer R, infer E, infer A>
    ? ShapeMismatch<`${N}: branch ${I['length']} (${NameOf<Bs[I['length']]> & string}): ${R}`, E, A>
    : FirstBranchError<N, Rest, Bs, [...I, 0]>
  : unknown;

type ConcatOuts<N extends string, Os extends readonly unknown[], Lead extends Shape, W, I extends unknown[]> = Os extends readonly [infer O extends Shape, ...infer Rest]
  ? IsTuple<O> extends false
    ? Dim[]
    : O extends readonly [...infer L extends Dim[], infer Last extends Dim]
      ? AgreeAll<L, Lead> extends true
        ? ConcatOuts<N, Rest, Lead, AddW<W, Last>, [...I, 0]>
        : ShapeMismatch<`${N}: branch ${I['length']} leading shape differs (expected ${ShowShape<Lead>}, got ${ShowShape<L>})`, Lead, L>
      : ShapeMismatch<`${N}: branch ${I['length']} output is a scalar (nothing to concatenate)`, Lead, O>
  : [...Lead, W & Dim];

type AddOuts<N extends string, Os extends readonly unknown[], Ref extends Shape, I extends unknown[]> = Os extends readonly [infer O extends Shape, ...infer Rest]
  ? IsTuple<O> extends false
    ? AddOuts<N, Rest, Ref, [...I, 0]>
    : AgreeAll<O, Ref> extends true
      ? AddOuts<N, Rest, Ref, [...I, 0]>
      : ShapeMismatch<`${N}: branch ${I['length']} shape differs (expected ${ShowShape<Ref>}, got ${ShowShape<O>})`, Ref, O>
  : [...Ref];

type Combined<N extends string, Os extends readonly unknown[], C extends CombineMode> = Os extends readonly [infer O0 extends Shape, ...unknown[]]
  ? IsTuple<O0> extends false
    ? Dim[]
    : C extends 'add'
      ? AddOuts<N, Os, O0, []>
      : O0 extends readonly [...infer L extends Dim[], Dim]
        ? ConcatOuts<N, Os, L, 0, []>
        : ShapeMismatch<`${N}: branch 0 output is a scalar (nothing to concatenate)`, 1, O0>
  : Dim[];

/** The output of branches Bs combined by C, for input S (or the first mismatch). */
export type ParallelOut<N extends string, S extends Shape, Bs extends readonly unknown[], C extends CombineMode> =
  BranchOuts<S, Bs> extends infer Os extends readonly unknown[]
    ? FirstBranchError<N, Os, Bs> extends infer E extends ShapeMismatch<any, any, any>
      ? E
      : Combined<N, Os, C>
    : never;

export type CombineMode = 'concat' | 'add';

export interface ParallelKind<Bs extends readonly unknown[], C extends CombineMode, N extends string = 'parallel'> extends LayerKind {
  readonly Out: ParallelOut<N, InOf<this>, Bs, C>;
  readonly Params: ParallelParams<InOf<this>, Bs>;
}
export type ParallelParams<S extends Shape, Bs extends readonly unknown[]> = { -readonly [I in keyof Bs]: ParamsKind<KindOf<Bs[I]>, S> };

// ---------------------------------------------------------------- runtime

const fmt = (s: readonly RDim[]) => `[${s.join(', ')}]`;
/** '?' (a computed dim of unknown size) agrees with anything, as a dynamic dim does in the types */
const dimAgrees = (a: RDim, b: RDim) => a === b || a === '?' || b === '?';
const shapesAgree = (a: readonly RDim[], b: readonly RDim[]) => a.length === b.length && a.every((d, i) => dimAgrees(d, b[i]!));

function branchShapes(name: string, branches: readonly Layer[], input: readonly RDim[]): RDim[][] {
  return branches.map((b, i) => {
    try {
      return b.outputShape(input);
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError(name, `branch ${i} (${b.name}): ${e.message}`);
      throw e;
    }
  });
}

function combinedShape(name: string, outs: readonly (readonly RDim[])[], combine: CombineMode): RDim[] {
  const ref = outs[0]!;
  if (combine === 'add') {
    outs.forEach((o, i) => {
      if (!shapesAgree(o, ref)) throw new ShapeError(name, `branch ${i} shape differs (expected ${fmt(ref)}, got ${fmt(o)})`);
    });
    return ref.slice();
  }
  if (ref.length === 0) throw new ShapeError(name, 'branch 0 output is a scalar (nothing to concatenate)');
  const lead = ref.slice(0, -1);
  let width: RDim = 0;
  outs.forEach((o, i) => {
    if (o.length === 0) throw new ShapeError(name, `branch ${i} output is a scalar (nothing to concatenate)`);
    const l = o.slice(0, -1);
    if (!shapesAgree(l, lead)) throw new ShapeError(name, `branch ${i} leading shape differs (expected ${fmt(lead)}, got ${fmt(l)})`);
    const w = o[o.length - 1]!;
    width = typeof width === 'number' && typeof w === 'number' ? width + w : '?';
  });
  return [...lead, width];
}

const splitKeys = (k: Key | undefined, n: number): (Key | undefined)[] => (k ? split(k, n) : new Array<undefined>(n).fill(undefined));
const withKey = (ctx: ApplyContext, k: Key | undefined): ApplyContext => (k ? { ...ctx, key: k } : ctx);

function parallelLayer<N extends string>(name: N, branches: readonly Layer[], combine: CombineMode): Layer<LayerKind, N> & StatsLayer {
  if (branches.length === 0) throw new RangeError(`${name}: needs at least one branch`);
  if (combine !== 'concat' && combine !== 'add') throw new RangeError(`${name}: combine must be 'concat' or 'add', got ${String(combine)}`);
  const combineYs = (ys: readonly AnyTensor[]): AnyTensor => {
    combinedShape(name, ys.map((y) => y.shape as readonly number[]), combine);
    if (combine === 'concat') return ys.length === 1 ? ys[0]! : concatRaw(ys, ys[0]!.shape.length - 1);
    return ys.reduce((a, b) => addRaw(a, b));
  };
  const checkParams = (ps: unknown): readonly unknown[] => {
    if (!Array.isArray(ps) || ps.length !== branches.length) throw new Error(`${name} params: expected a tuple of ${branches.length} branch params`);
    return ps;
  };
  return {
    name,
    config: { branches: branches.map((b) => b.name), combine },
    outputShape: (input) => combinedShape(name, branchShapes(name, branches, input), combine),
    init(key, input) {
      branchShapes(name, branches, input);
      const ks = split(key, branches.length);
      return branches.map((b, i) => b.init(ks[i]!, input));
    },
    apply(params, x, ctx) {
      const ps = checkParams(params);
      const ks = splitKeys(ctx.key, branches.length);
      return combineYs(branches.map((b, i) => b.apply(ps[i], x, withKey(ctx, ks[i]))));
    },
    applyUpdatingStats(params, x, ctx) {
      const ps = checkParams(params);
      const ks = splitKeys(ctx.key, branches.length);
      const rs = branches.map((b, i) => applyUpdatingStats(b, ps[i], x, withKey(ctx, ks[i])));
      return [combineYs(rs.map((r) => r[0])), rs.map((r) => r[1])];
    },
  };
}

export interface ParallelOptions<C extends CombineMode> {
  /** 'concat' (default): concatenate on the last axis (widths add); 'add': sum, shapes must be equal */
  readonly combine?: C;
}

/**
 * Several branches on the same input, combined: `concat` joins them on the last axis (the
 * leading dims must agree, the widths add), `add` sums them (the shapes must be equal).
 */
export function parallel<const Bs extends readonly [Layer<any, any>, ...Layer<any, any>[]], const C extends CombineMode = 'concat'>(
  branches: Bs,
  options: ParallelOptions<C> = {},
): Layer<ParallelKind<Bs, C>, 'parallel'> {
  return parallelLayer('parallel', branches, options.combine ?? 'concat') as Layer<ParallelKind<Bs, C>, 'parallel'>;
}

// ---------------------------------------------------------------- residual

type LastOf<S extends Shape> = S extends readonly [...Dim[], infer L] ? L : never;
type InitOf<S extends Shape> = S extends readonly [...infer I extends Dim[], Dim] ? I : [];

/** x + body(x): the body's output must equal the input shape. */
export type ResidualOut<S extends Shape, O> = O extends ShapeMismatch<infer R, infer E, infer A>
  ? ShapeMismatch<`residual: body: ${R}`, E, A>
  : O extends Shape
    ? IsTuple<S> extends false
      ? S
      : IsTuple<O> extends false
        ? [...S]
        : S['length'] extends O['length']
          ? AgreeAll<O, S> extends true
            ? [...S]
            : AgreeAll<InitOf<O>, InitOf<S>> extends true
              ? ShapeMismatch<`residual: widths differ (expected ${Show<LastOf<S>>}, got ${Show<LastOf<O>>})`, S, O>
              : ShapeMismatch<`residual: shapes differ (expected ${ShowShape<S>}, got ${ShowShape<O>})`, S, O>
          : ShapeMismatch<`residual: ranks differ (expected ${ShowShape<S>}, got ${ShowShape<O>})`, S, O>
    : never;

export interface ResidualKind<Body> extends LayerKind {
  readonly Out: ResidualOut<InOf<this>, ApplyKind<KindOf<Body>, InOf<this>>>;
  readonly Params: ParamsKind<KindOf<Body>, InOf<this>>;
}

/** A skip connection: y = x + body(x) (ResNet / Transformer blocks). Params are the body's. */
export function residual<const Body extends Layer<any, any>>(body: Body): Layer<ResidualKind<Body>, 'residual'> {
  const b: Layer = body;
  const check = (input: readonly RDim[]): RDim[] => {
    let o: RDim[];
    try {
      o = b.outputShape(input);
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError('residual', `body: ${e.message}`);
      throw e;
    }
    if (o.length !== input.length) throw new ShapeError('residual', `ranks differ (expected ${fmt(input)}, got ${fmt(o)})`);
    if (!shapesAgree(o, input)) {
      const lastOnly = shapesAgree(o.slice(0, -1), input.slice(0, -1));
      throw new ShapeError('residual', lastOnly ? `widths differ (expected ${input.at(-1)}, got ${o.at(-1)})` : `shapes differ (expected ${fmt(input)}, got ${fmt(o)})`);
    }
    return input.slice();
  };
  const layer: Layer<ResidualKind<Body>, 'residual'> & StatsLayer = {
    name: 'residual',
    config: { body: b.name },
    outputShape: check,
    init(key, input) {
      check(input);
      return b.init(key, input);
    },
    apply(params, x, ctx) {
      const y = b.apply(params, x, ctx);
      check(x.shape as readonly number[]);
      return addRaw(x, y);
    },
    applyUpdatingStats(params, x, ctx) {
      const [y, p] = applyUpdatingStats(b, params, x, ctx);
      check(x.shape as readonly number[]);
      return [addRaw(x, y), p];
    },
  };
  return layer;
}

// ---------------------------------------------------------------- textCnnBlock

/** one chain(conv1d, globalMaxPool1d) branch per kernel size (the activation does not change types) */
type TextCnnBranches<F extends number, Ks extends readonly number[]> = {
  [I in keyof Ks]: Layer<ChainKind<[Layer<Conv1dKind<F, Ks[I], 1, 'valid', 1, true>, 'conv1d'>, Layer<GlobalPool1dKind, 'globalMaxPool1d'>]>, 'chain'>;
};

export interface TextCnnOptions<F extends number, Ks extends readonly number[], A extends ActivationName> {
  readonly filters: F;
  /** one branch per kernel size, e.g. [3, 4, 5] (Kim 2014) */
  readonly kernelSizes: Ks;
  /** default 'relu' */
  readonly activation?: A;
}

export type TextCnnKind<F extends number, Ks extends readonly number[]> = ParallelKind<TextCnnBranches<F, Ks>, 'concat', 'textCnnBlock'>;

/**
 * The TextCNN block: for each kernel size k, conv1d({ filters, kernelSize: k, activation })
 * then a global max pool over the sequence; the branch outputs are concatenated:
 * [batch, seq, emb] → [batch, filters · kernelSizes.length]. Params: one
 * [conv1d params, {}] pair per kernel size (the branches are chains).
 */
export function textCnnBlock<const F extends number, const Ks extends readonly [number, ...number[]], const A extends ActivationName = 'relu'>(
  options: TextCnnOptions<F, Ks, A>,
): Layer<TextCnnKind<F, Ks>, 'textCnnBlock'> {
  const activation = options.activation ?? 'relu';
  if (options.kernelSizes.length === 0) throw new RangeError('textCnnBlock: kernelSizes must not be empty');
  const branches = options.kernelSizes.map((k) => chain(conv1d({ filters: options.filters, kernelSize: k, activation }), globalMaxPool1d()));
  const layer = parallelLayer('textCnnBlock', branches, 'concat');
  return { ...layer, config: { filters: options.filters, kernelSizes: options.kernelSizes, activation } } as Layer<TextCnnKind<F, Ks>, 'textCnnBlock'>;
}
