/**
 * Layers: pure descriptions (hyper-parameters) with `init(key, inputShape) → params` and
 * `apply(params, x, ctx) → y`. A layer's output shape and its params' type are type-level
 * functions of its input shape, encoded as a "kind": an interface whose `Out` and
 * `Params` members read `In` through `this` (the usual higher-kinded-type encoding), so
 * `dense(10)` knows nothing of its input until a model feeds it one:
 *
 *   interface DenseKind<U> extends LayerKind {
 *     Out: [...Init<InOf<this>>, U];
 *     Params: { kernel: Tensor<[Last<InOf<this>>, U]>; bias: Tensor<[U]> };
 *   }
 *
 * `Out` may be a ShapeMismatch: models (src/nn/sequential.ts) report it at that layer.
 * A kind that computes on its input declares the dtype it needs as `InDtype` (embedding:
 * int32 ids; dense, conv, recurrent: float32) and outputs float32; a kind without it
 * (flatten, reshape, dropout) passes its input's dtype on. Models carry the dtype along the
 * layers like the shape (`DtypesOf`), so a wrong one is named at the argument.
 *
 * At run time shapes are `RDim[]`: numbers, or strings for symbolic dims ('batch'), so
 * shape-only evaluation and summaries work on the declared input shape, names included.
 */
import type { Dim, Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { checkDtype, type Check, type DtypeRule, type Result } from '../shape/rules';
import type { Key } from '../random';
import type { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import { erase, typed, type AnyTensor } from '../tensor/untyped';

/** A run-time dim: a size, or the name of a symbolic dim (unknown until data arrives). */
export type RDim = number | string;

export interface LayerKind {
  readonly In: unknown;
  readonly Out: unknown;
  readonly Params: unknown;
}

/** The input shape a kind is being applied to (use inside kinds as `InOf<this>`). */
export type InOf<K extends { readonly In: unknown }> = K['In'] extends infer S extends Shape ? S : never;
/** A kind's output shape (or ShapeMismatch) for input S. */
export type ApplyKind<K, S extends Shape> = K extends LayerKind ? (K & { readonly In: S })['Out'] : never;
/** A kind's params type for input S. */
export type ParamsKind<K, S extends Shape> = K extends LayerKind ? (K & { readonly In: S })['Params'] : never;

/** The input dtype a kind needs (its `InDtype`), or DType when it takes any and passes it on. */
export type InDtypeOf<K> = K extends { readonly InDtype: infer D extends DType } ? D : DType;
/** The dtype a kind outputs for input dtype D: float32 when it declares an input dtype, else D. */
export type OutDtypeOf<K, D extends DType> = DType extends InDtypeOf<K> ? D : 'float32';
/** A layer's dtype rule for input dtype D: `<name>: ids must be int32, got float32`, `<name>: input must be float32, got int32`. */
export type LayerDtypeRule<K, Name extends string, D> = InDtypeOf<K> extends infer Need extends DType
  ? DtypeRule<Name, [Need] extends ['int32'] ? 'ids' : 'input', Need, D>
  : unknown;

/** Options of a forward pass: training vs inference is an argument, never global state. */
export interface ApplyContext {
  readonly training?: boolean;
  /** randomness for dropout and the like (required when training with dropout) */
  readonly key?: Key;
}

export interface Layer<K extends LayerKind = LayerKind, N extends string = string> {
  /** phantom: the layer's type-level kind */
  readonly __kind?: K;
  /** the layer's type, e.g. 'dense' (used in error messages and summaries) */
  readonly name: N;
  /** hyper-parameters, for summaries and export */
  readonly config: Readonly<Record<string, unknown>>;
  /** runtime twin of the kind's Out: output shape for an input shape, or throw ShapeError */
  outputShape(input: readonly RDim[]): RDim[];
  /** fresh params for an input shape */
  init(key: Key, input: readonly RDim[]): unknown;
  /** the forward pass */
  apply(params: unknown, x: AnyTensor, ctx: ApplyContext): AnyTensor;
  /** layers composed inside this one (chains), in params order */
  readonly sublayers?: readonly Layer[];
  /** runtime twin of the kind's InDtype: the dtype the layer's input must have (absent: any) */
  readonly inputDtype?: DType;
}

export type KindOf<L> = L extends Layer<infer K, any> ? K : never;
export type NameOf<L> = L extends Layer<any, infer N> ? N : string;

/** Initialise one layer for an input shape; the params' type follows from the shape. */
export function initLayer<K extends LayerKind, N extends string, const S extends Shape>(
  layer: Layer<K, N>,
  key: Key,
  inputShape: S & Check<ApplyKind<K, S>>,
): ParamsKind<K, S> {
  const s = inputShape as readonly RDim[];
  layer.outputShape(s);
  return layer.init(key, s) as ParamsKind<K, S>;
}

/** Apply one layer (outside a model) with exact types. */
export function applyLayer<K extends LayerKind, N extends string, S extends Shape, D extends DType = 'float32'>(
  layer: Layer<K, N>,
  params: ParamsKind<K, S>,
  x: Tensor<S, D> & Check<ApplyKind<K, S>> & Check<LayerDtypeRule<K, N, D>>,
  ctx: ApplyContext = {},
): Tensor<Result<ApplyKind<K, S>>> {
  const t = erase(x);
  checkLayerDtype(layer, t.dtype);
  // the layer's outputShape (its kind's runtime twin) ran inside apply's ops
  return typed<Tensor<Result<ApplyKind<K, S>>>>(layer.apply(params, t, ctx));
}

/** A layer's forward pass with its params bound: a plain typed function, for fp-ts `pipe` / `flow`. */
export function bindParams<K extends LayerKind, N extends string, const S extends Shape, D extends DType = DType extends InDtypeOf<K> ? 'float32' : InDtypeOf<K>>(
  layer: Layer<K, N>,
  params: ParamsKind<K, S>,
  _inputShape: S,
  ctx: ApplyContext = {},
): (x: Tensor<S, D>) => Tensor<Result<ApplyKind<K, S>>> {
  return (x) => typed<Tensor<Result<ApplyKind<K, S>>>>(layer.apply(params, erase(x), ctx));
}

// ---------------------------------------------------------------- runtime shape helpers for layers

/** Runtime twin of `LayerDtypeRule` (`rule` prefixes the message, e.g. 'layer 0 (embedding)'). */
export function checkLayerDtype(layer: Layer, dtype: DType, rule?: string): void {
  const need = layer.inputDtype;
  if (need === undefined || need === dtype) return;
  const what = need === 'int32' ? 'ids' : 'input';
  if (rule === undefined) checkDtype(layer.name, what, [need], dtype);
  else throw new ShapeError(rule, `${layer.name}: ${what} must be ${need}, got ${dtype}`);
}

/** a literal dim a layer needs to size its params (symbolic dims cannot size weights) */
export function knownDim(d: RDim | undefined, layer: string, what: string): number {
  if (typeof d !== 'number') throw new ShapeError(layer, `${what} must be a known size to create weights, got ${d === undefined ? 'nothing (rank too small)' : `symbolic '${d}'`}`);
  return d;
}

export function requireRank(shape: readonly RDim[], min: number, layer: string, what: string): void {
  if (shape.length < min) throw new ShapeError(layer, `expects rank >= ${min} (${what}), got [${shape.join(', ')}]`);
}

export function lastDim(shape: readonly RDim[]): RDim | undefined {
  return shape[shape.length - 1];
}

