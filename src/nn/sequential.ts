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
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { treeLeaves } from '../autodiff/pytree';
import { checkLayerDtype, type ApplyContext, type ApplyKind, type InDtypeOf, type InOf, type KindOf, type Layer, type LayerDtypeRule, type LayerKind, type NameOf, type OutDtypeOf, type ParamsKind, type RDim } from './layer';

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

/** [D0, D1, ..., Dn]: the dtype entering each layer, then the output's (D0 wide: not known yet). */
export type DtypesOf<Ls extends readonly unknown[], D extends DType = DType, Acc extends readonly DType[] = [D]> = Ls extends readonly [infer L, ...infer Rest]
  ? DtypesOf<Rest, OutDtypeOf<KindOf<L>, D>, [...Acc, OutDtypeOf<KindOf<L>, D>]>
  : Acc;

/** Dtype check of layer K for the dtype reaching it, prefixed like the shape check. */
type LayerDtypeCheck<Dtypes extends readonly DType[], Ls extends readonly unknown[], K> =
  LayerDtypeRule<KindOf<Ls[ToNum<K> & number]>, NameOf<Ls[ToNum<K> & number]> & string, Dtypes[ToNum<K> & number]> extends ShapeMismatch<infer R, infer E, infer A>
    ? ShapeMismatch<`layer ${ToNum<K> & number} (${NameOf<Ls[ToNum<K> & number]> & string}): ${R}`, E, A>
    : unknown;

/** The layer arguments of a chain, each with its dtype check (shapes are checked where the chain is used). */
export type DtypeCheckedLayers<Ls extends readonly unknown[], Dtypes extends readonly DType[] = DtypesOf<Ls>> = {
  [K in keyof Ls]: Ls[K] & LayerDtypeCheck<Dtypes, Ls, K>;
};

/** The input dtype a composition needs: that of its first layer that declares one (DType: any). */
export type FirstInDtype<Ls extends readonly unknown[]> = Ls extends readonly [infer L, ...infer Rest]
  ? DType extends InDtypeOf<KindOf<L>>
    ? FirstInDtype<Rest>
    : InDtypeOf<KindOf<L>>
  : DType;

/** The model input's dtype check: the first layer that declares a dtype names a wrong one. */
export type InputDtypeCheck<Ls extends readonly unknown[], D, I extends unknown[] = []> = Ls extends readonly [infer L, ...infer Rest]
  ? DType extends InDtypeOf<KindOf<L>>
    ? InputDtypeCheck<Rest, D, [...I, 0]>
    : LayerDtypeRule<KindOf<L>, NameOf<L> & string, D> extends ShapeMismatch<infer R, infer E, infer A>
      ? ShapeMismatch<`layer ${I['length']} (${NameOf<L> & string}): ${R}`, E, A>
      : unknown
  : unknown;

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
export type CheckedLayers<S, Ls extends readonly unknown[], Shapes extends readonly unknown[] = ShapesOf<S, Ls>, Dtypes extends readonly DType[] = DtypesOf<Ls>> = {
  [K in keyof Ls]: Ls[K] & LayerCheck<Shapes, Ls, K> & LayerDtypeCheck<Dtypes, Ls, K>;
};

/** Whether a tensor of shape X may enter a model declared for S (symbolic dims of S accept any size). */
export type DimFits<D, X> = D extends string ? true : number extends D ? true : X extends D ? (D extends X ? true : false) : number extends X ? true : false;
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

/** Runtime twin of `DtypesOf` for construction: a layer needing another dtype than the float32 an earlier layer outputs. */
function checkDtypesAlong(layers: readonly Layer[]): void {
  let known = false;
  layers.forEach((l, i) => {
    if (known) checkLayerDtype(l, 'float32', `layer ${i} (${l.name})`);
    if (l.inputDtype !== undefined) known = true;
  });
}

/** The first layer that declares an input dtype, with its index (runtime twin of `InputDtypeCheck`). */
function firstTyped(layers: readonly Layer[]): { layer: Layer; index: number } | undefined {
  const index = layers.findIndex((l) => l.inputDtype !== undefined);
  return index < 0 ? undefined : { layer: layers[index]!, index };
}

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
  const keys = layers.length > 0 ? split(key, layers.length) : [];
  return layers.map((l, i) => l.init(keys[i]!, shapes[i]!));
}

function applyAlong(layers: readonly Layer[], params: unknown, x: AnyTensor, ctx: ApplyContext): AnyTensor {
  if (!Array.isArray(params) || params.length !== layers.length) {
    throw new Error(`model params: expected a tuple of ${layers.length} layer params, got ${Array.isArray(params) ? params.length : typeof params}`);
  }
  const keys = ctx.key && layers.length > 0 ? split(ctx.key, layers.length) : null;
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
  readonly InDtype: FirstInDtype<Ls>;
}
type FirstError<Sh extends readonly unknown[], Ls extends readonly unknown[], I extends unknown[] = []> = I['length'] extends Ls['length']
  ? ShapeMismatch<'chain: failed'>
  : Sh[[...I, 0]['length']] extends ShapeMismatch<infer R, infer E, infer A>
    ? ShapeMismatch<`layer ${I['length']} (${NameOf<Ls[I['length']]> & string}): ${R}`, E, A>
    : FirstError<Sh, Ls, [...I, 0]>;

/** Layers composed as one layer (a block inside a model, a residual body, a branch). */
export function chain<const Ls extends readonly Layer<any, any>[]>(...layers: DtypeCheckedLayers<Ls>): Layer<ChainKind<Ls>, 'chain'> {
  checkDtypesAlong(layers);
  const first = firstTyped(layers);
  return {
    name: 'chain',
    ...(first && { inputDtype: first.layer.inputDtype }),
    config: { layers: layers.map((l) => l.name) },
    sublayers: layers,
    outputShape: (input) => shapesAlong(layers, input).at(-1)!,
    init: (key, input) => initAlong(layers, key, input),
    apply: (params, x, ctx) => applyAlong(layers, params, x, ctx),
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
  /** the dtype the input must have: that of the first layer that declares one (undefined: any) */
  readonly inputDtype: DType extends FirstInDtype<Ls> ? undefined : FirstInDtype<Ls>;
  readonly layers: Ls;
  /** shape-only evaluation: the output shape for the declared input, no kernels run */
  readonly outputShape: readonly RDim[];
  init(key: Key): ParamsOf<S, Ls>;
  /**
   * The forward pass. The input must fit the declared shape (symbolic dims accept any
   * size) and have the dtype of the first layer that declares one (int32 ids for an
   * embedding-first model, float32 for dense, conv and recurrent layers); the output type
   * is computed for the actual input shape.
   */
  apply<X extends Shape, D extends DType = 'float32'>(params: ParamsOf<S, Ls>, x: Tensor<X, D> & InputCheck<S, X> & InputDtypeCheck<Ls, D>, ctx?: ApplyContext): Tensor<OutputOf<X, Ls>>;
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
  const ls: readonly Layer[] = layers;
  const input = inputShape as readonly RDim[];
  checkDtypesAlong(ls);
  const first = firstTyped(ls);
  const shapes = shapesAlong(ls, input);
  const rows = (params: unknown): SummaryRow[] =>
    ls.map((l, i) => ({ index: i, layer: l.name, outputShape: shapes[i + 1]!, params: treeLeaves(Array.isArray(params) ? params[i] : undefined).reduce((n, t) => n + t.size, 0) }));
  return {
    inputShape,
    inputDtype: first?.layer.inputDtype as Model<S, Ls>['inputDtype'],
    layers,
    outputShape: shapes.at(-1)!,
    init: (key) => initAlong(ls, key, input) as ParamsOf<S, Ls>,
    apply: (params, x, ctx = {}) => {
      const t = erase(x);
      const xs = t.shape as readonly number[];
      if (xs.length !== input.length || input.some((d, i) => typeof d === 'number' && d !== xs[i])) {
        throw new ShapeError('model input', `expected [${input.join(', ')}], got [${xs.join(', ')}]`);
      }
      if (first) checkLayerDtype(first.layer, t.dtype, `layer ${first.index} (${first.layer.name})`);
      // every layer's outputShape (the runtime twin of its kind) ran along the way
      return typed<Tensor<OutputOf<never, Ls>>>(applyAlong(ls, params, t, ctx));
    },
    summaryRows: (params) => rows(params),
    summary: (params) => formatSummary(rows(params), input),
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

