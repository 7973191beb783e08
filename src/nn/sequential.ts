/**
 * Composition with errors at the offending layer.
 *
 *   const model = sequential(['batch', 28, 28, 1],
 *     conv2d({ filters: 32, kernelSize: 3 }), maxPool2d({ poolSize: 2 }), flatten(), dense(10));
 *
 * The type computes every intermediate shape once (`ShapesOf`); each layer argument is
 * intersected with the mismatch its kind reports for the shape reaching it, so the
 * compiler underlines exactly that argument with a message such as
 *   'layer 3 (dense): input dim differs (expected 784, got 800)'.
 * `chain(...)` is the same composition as a layer (for nesting, residual blocks, branches).
 */
import type { Dim, Shape, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import type { Check, Result } from '../shape/rules';
import { split, type Key } from '../random';
import type { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import type { AnyTensor } from '../autodiff/core';
import { treeLeaves } from '../autodiff/pytree';
import type { ApplyContext, ApplyKind, InOf, KindOf, Layer, LayerKind, NameOf, ParamsKind, RDim } from './layer';

// ---------------------------------------------------------------- type-level composition

/** [S0, S1, ..., Sn]: the shape entering each layer, then the output; a mismatch stops the walk. */
export type ShapesOf<S, Ls extends readonly unknown[], Acc extends readonly unknown[] = [S]> = Ls extends readonly [infer L, ...infer Rest]
  ? S extends Shape
    ? ApplyKind<KindOf<L>, S> extends infer O
      ? ShapesOf<O, Rest, [...Acc, O]>
      : never
    : Acc
  : Acc;

type ToNum<K> = K extends `${infer N extends number}` ? N : K;

/** Check of layer K: unknown, or its mismatch prefixed with its position and name. */
export type LayerCheck<Shapes extends readonly unknown[], Ls extends readonly unknown[], K> = Shapes[ToNum<K> & number] extends infer In
  ? In extends Shape
    ? ApplyKind<KindOf<Ls[ToNum<K> & number]>, In> extends infer O
      ? O extends ShapeMismatch<infer R, infer E, infer A>
        ? ShapeMismatch<`layer ${ToNum<K> & number} (${NameOf<Ls[ToNum<K> & number]> & string}): ${R}`, E, A>
        : unknown
      : unknown
    : unknown // an earlier layer failed: only the first failure is reported
  : unknown;

type LastOf<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : never;
/** The output shape of the composition (Dim[] when some layer failed). */
export type OutputOf<S, Ls extends readonly unknown[]> = Result<LastOf<ShapesOf<S, Ls>>>;
/** The params of the composition: a tuple, one entry per layer. */
export type ParamsOf<S, Ls extends readonly unknown[], Shapes extends readonly unknown[] = ShapesOf<S, Ls>> = {
  -readonly [K in keyof Ls]: Shapes[ToNum<K> & number] extends infer In extends Shape ? ParamsKind<KindOf<Ls[K]>, In> : unknown;
};
/** The layer arguments, each with its own check. */
export type CheckedLayers<S, Ls extends readonly unknown[], Shapes extends readonly unknown[] = ShapesOf<S, Ls>> = {
  [K in keyof Ls]: Ls[K] & LayerCheck<Shapes, Ls, K>;
};

/** Whether a tensor of shape X may enter a model declared for S (symbolic dims of S accept any size). */
type DimFits<D, X> = D extends string ? true : number extends D ? true : X extends D ? (D extends X ? true : false) : number extends X ? true : false;
type FitsAll<S extends Shape, X extends Shape, I extends unknown[] = []> = I['length'] extends S['length']
  ? true
  : DimFits<S[I['length']], X[I['length']]> extends true
    ? FitsAll<S, X, [...I, 0]>
    : ShapeMismatch<`model input: dim ${I['length']} differs (expected ${S[I['length']] & (string | number)}, got ${X[I['length']] & (string | number)})`, S, X>;
export type InputCheck<S extends Shape, X extends Shape> = number extends X['length']
  ? unknown
  : X['length'] extends S['length']
    ? Check<FitsAll<S, X>>
    : ShapeMismatch<`model input: rank differs (expected ${S['length']}, got ${X['length']})`, S, X>;

// ---------------------------------------------------------------- runtime composition

function shapesAlong(layers: readonly Layer[], input: readonly RDim[]): RDim[][] {
  const shapes: RDim[][] = [input.slice()];
  layers.forEach((l, i) => {
    try {
      shapes.push(l.outputShape(shapes[i]!));
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError(`layer ${i} (${l.name})`, `${e.message} (input shape [${shapes[i]!.join(', ')}])`);
      throw e;
    }
  });
  return shapes;
}

function initAlong(layers: readonly Layer[], key: Key, input: readonly RDim[]): unknown[] {
  const shapes = shapesAlong(layers, input);
  const keys = layers.length > 0 ? (split(key, layers.length) as unknown as Key[]) : [];
  return layers.map((l, i) => l.init(keys[i]!, shapes[i]!));
}

function applyAlong(layers: readonly Layer[], params: readonly unknown[], x: AnyTensor, ctx: ApplyContext): AnyTensor {
  if (!Array.isArray(params) || params.length !== layers.length) {
    throw new Error(`model params: expected a tuple of ${layers.length} layer params, got ${Array.isArray(params) ? params.length : typeof params}`);
  }
  const keys = ctx.key && layers.length > 0 ? (split(ctx.key, layers.length) as unknown as Key[]) : null;
  let h = x;
  layers.forEach((l, i) => {
    h = l.apply(params[i], h, keys ? { ...ctx, key: keys[i]! } : ctx);
  });
  return h;
}

/** Composition of layers as one layer. */
export interface ChainKind<Ls extends readonly unknown[]> extends LayerKind {
  readonly Out: LastOf<ShapesOf<InOf<this>, Ls>> extends infer O
    ? O extends Shape
      ? O
      : ShapesOf<InOf<this>, Ls> extends infer Sh extends readonly unknown[]
        ? FirstError<Sh, Ls>
        : never
    : never;
  readonly Params: ParamsOf<InOf<this>, Ls>;
}
type FirstError<Sh extends readonly unknown[], Ls extends readonly unknown[], I extends unknown[] = []> = I['length'] extends Ls['length']
  ? ShapeMismatch<'chain: failed'>
  : Sh[[...I, 0]['length']] extends ShapeMismatch<infer R, infer E, infer A>
    ? ShapeMismatch<`layer ${I['length']} (${NameOf<Ls[I['length']]> & string}): ${R}`, E, A>
    : FirstError<Sh, Ls, [...I, 0]>;

/** Layers composed as one layer (a block inside a model, a residual body, a branch). */
export function chain<const Ls extends readonly Layer<any, any>[]>(...layers: Ls): Layer<ChainKind<Ls>, 'chain'> {
  return {
    name: 'chain',
    config: { layers: layers.map((l) => l.name) },
    sublayers: layers as unknown as readonly Layer[],
    outputShape: (input) => shapesAlong(layers, input).at(-1)!,
    init: (key, input) => initAlong(layers, key, input),
    apply: (params, x, ctx) => applyAlong(layers, params as unknown[], x, ctx),
  };
}

export interface SummaryRow {
  readonly index: number;
  readonly layer: string;
  readonly outputShape: readonly RDim[];
  readonly params: number;
}

/** A model: a declared input shape and layers, with exact types for params, input and output. */
export interface Model<S extends Shape, Ls extends readonly unknown[]> {
  readonly inputShape: S;
  readonly layers: Ls;
  /** shape-only evaluation: the output shape for the declared input, no kernels run */
  readonly outputShape: readonly RDim[];
  init(key: Key): ParamsOf<S, Ls>;
  /**
   * The forward pass. The input must fit the declared shape (symbolic dims accept any
   * size); the output type is computed for the actual input shape. The input may be of
   * any dtype (int32 token ids for an embedding-first model).
   */
  apply<X extends Shape, D extends DType = 'float32'>(params: ParamsOf<S, Ls>, x: Tensor<X, D> & InputCheck<S, X>, ctx?: ApplyContext): Tensor<OutputOf<X, Ls>>;
  /** rows of a Keras-like summary (needs params for the counts) */
  summaryRows(params: ParamsOf<S, Ls>): SummaryRow[];
  /** a Keras-like summary table */
  summary(params: ParamsOf<S, Ls>): string;
}

/**
 * Compose layers from a declared input shape. Each layer is checked against the shape
 * reaching it: a mismatch is a compile error on that layer's argument.
 */
export function sequential<const S extends Shape, const Ls extends readonly Layer<any, any>[]>(inputShape: S, ...layers: CheckedLayers<S, Ls>): Model<S, Ls> {
  const ls = layers as unknown as readonly Layer[];
  const input = inputShape as readonly RDim[];
  const shapes = shapesAlong(ls, input);
  const rows = (params: readonly unknown[]): SummaryRow[] =>
    ls.map((l, i) => ({ index: i, layer: l.name, outputShape: shapes[i + 1]!, params: treeLeaves(params[i]).reduce((n, t) => n + t.size, 0) }));
  return {
    inputShape,
    layers: layers as unknown as Ls,
    outputShape: shapes.at(-1)!,
    init: (key) => initAlong(ls, key, input) as ParamsOf<S, Ls>,
    apply: (params, x, ctx = {}) => {
      const xs = (x as unknown as AnyTensor).shape as readonly number[];
      if (xs.length !== input.length || input.some((d, i) => typeof d === 'number' && d !== xs[i])) {
        throw new ShapeError('model input', `expected [${input.join(', ')}], got [${xs.join(', ')}]`);
      }
      return applyAlong(ls, params as unknown as unknown[], x as unknown as AnyTensor, ctx) as unknown as Tensor<OutputOf<never, Ls>>;
    },
    summaryRows: (params) => rows(params as unknown as unknown[]),
    summary: (params) => formatSummary(rows(params as unknown as unknown[]), input),
  } as Model<S, Ls>;
}

export function formatSummary(rows: readonly SummaryRow[], input: readonly RDim[]): string {
  const fmt = (s: readonly RDim[]) => `[${s.join(', ')}]`;
  const table = [['#', 'layer', 'output shape', 'params'], ['', 'input', fmt(input), ''], ...rows.map((r) => [String(r.index), r.layer, fmt(r.outputShape), r.params.toLocaleString('en-US')])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  const total = rows.reduce((n, r) => n + r.params, 0);
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [line(table[0]!), rule, ...table.slice(1).map(line), rule, `total params: ${total.toLocaleString('en-US')}`].join('\n');
}

export type { Dim };
