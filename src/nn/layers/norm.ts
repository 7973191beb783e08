/**
 * Normalisation layers: layerNormalization and batchNormalization (Keras names, defaults and
 * weight order, so weights copy 1:1 to tf.layers via setWeights).
 *
 * batchNormalization keeps its moving statistics in its params:
 *   { gamma, beta, movingMean, movingVariance }   (each [C], C = the last dim, channels-last)
 * - inference (`ctx.training` falsy): normalises with the moving statistics;
 * - training (`ctx.training: true`): normalises with the batch's own statistics (biased
 *   variance over every axis but the last), and gradients flow through them.
 * Moving statistics are not trained: apply reads them through stopGradient, so their gradient
 * is structurally zero. Since apply returns only the output, their update is a separate pure
 * function:
 *   batchNormUpdate(layer, params, x)          one layer: new params from the layer's input x
 *   updateMovingStats(model, params, x, ctx)   a whole model: new params tuple
 * each computing moving ← momentum · moving + (1 - momentum) · batch statistic (Keras / tfjs).
 * A training step is then: grads from valueAndGrad, the optimizer update, then
 * `params = updateMovingStats(model, params, x, ctx)` (pass the same ctx/key as the loss so
 * dropout masks match). It costs one extra forward pass.
 */
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { Tensor } from '../../tensor/tensor';
import type { DType } from '../../tensor/dtype';
import { erase, wide, type AnyTensor } from '../../tensor/untyped';
import { stopGradient } from '../../autodiff/transforms';
import { addRaw, mulRaw, squareRaw, subRaw } from '../../ops/elementwise';
import { meanRaw } from '../../ops/reduce';
import { normalizeAxes, type LayerNormDims } from '../../shape/rules';
import { batchNorm, layerNorm } from '../../ops/norm';
import { keys, onesInit, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type ApplyContext, type InOf, type Layer, type LayerKind, type RDim } from '../layer';
import type { Model, ParamsOf } from '../sequential';
import type { IsTuple } from '../../shape/dim-types';

// layerNorm, batchNorm and stopGradient have no exported untyped cores: called on rank-unknown views
const stopGradientRaw = (x: AnyTensor): AnyTensor => erase(stopGradient(wide(x)));

type LastD<S extends Shape> = S extends readonly [...Dim[], infer L extends Dim] ? L : Dim;
/** the input, unchanged, if it has rank >= 1 */
type SameShapeRank1<S extends Shape, Name extends string> = IsTuple<S> extends false ? Dim[] : S extends readonly [] ? ShapeMismatch<`${Name}: expects an input of rank >= 1 (got a scalar)`, 1, S> : [...S];

// ---------------------------------------------------------------- layerNormalization

export interface LayerNormalizationOptions<Ax extends number | readonly number[]> {
  /** the normalised axes: -1 (default) or several trailing axes, e.g. [-2, -1] */
  readonly axis?: Ax;
  /** added to the variance (default 1e-3, Keras) */
  readonly epsilon?: number;
  /** default ones */
  readonly gammaInitializer?: InitializerName | Initializer;
  /** default zeros */
  readonly betaInitializer?: InitializerName | Initializer;
}

export interface LayerNormalizationKind<Ax extends number | readonly number[]> extends LayerKind {
  readonly Out: SameShapeRank1<InOf<this>, 'layerNormalization'>;
  readonly Params: LayerNormalizationParams<LayerNormDims<InOf<this>, Ax>>;
}
export type LayerNormalizationParams<G extends Shape> = { gamma: Tensor<[...G]>; beta: Tensor<[...G]> };

/** the normalised dims (trailing axes) for an input shape; throws ShapeError otherwise */
function normalisedDims(input: readonly RDim[], axis: number | readonly number[]): RDim[] {
  if (input.length === 0) throw new ShapeError('layerNormalization', 'expects an input of rank >= 1 (got a scalar)');
  const axes = normalizeAxes(axis, input.length, 'layerNormalization');
  if (axes.length === 0 || axes.some((a, i) => a !== input.length - axes.length + i)) {
    throw new ShapeError('layerNormalization', `axes must be the trailing axes of the input (got [${axes.join(', ')}] for rank ${input.length})`);
  }
  return axes.map((a) => input[a]!);
}

/**
 * Layer normalisation (Keras LayerNormalization): statistics over the trailing `axis` of each
 * example, then · gamma + beta (gamma / beta have the normalised dims' shape).
 */
export function layerNormalization<const Ax extends number | readonly number[] = -1>(
  options: LayerNormalizationOptions<Ax> = {},
): Layer<LayerNormalizationKind<Ax>, 'layerNormalization'> {
  const axis: number | readonly number[] = options.axis ?? -1;
  const epsilon = options.epsilon ?? 1e-3;
  if (!(epsilon >= 0)) throw new RangeError(`layerNormalization: epsilon must be >= 0, got ${epsilon}`);
  const gInit = resolveInit(options.gammaInitializer, onesInit);
  const bInit = resolveInit(options.betaInitializer, zerosInit);
  return {
    name: 'layerNormalization',
    config: { axis, epsilon },
    outputShape(input) {
      normalisedDims(input, axis);
      return input.slice();
    },
    init(key, input) {
      const dims = normalisedDims(input, axis).map((d) => knownDim(d, 'layerNormalization', 'the normalised dims'));
      const [k1, k2] = keys(key, 2);
      return { gamma: gInit(k1!, dims), beta: bInit(k2!, dims) };
    },
    apply(params, x) {
      const p = params as { gamma: AnyTensor; beta: AnyTensor };
      return erase(layerNorm(wide(x), wide(p.gamma), wide(p.beta), { axis, epsilon }));
    },
  };
}

// ---------------------------------------------------------------- batchNormalization

export interface BatchNormalizationOptions {
  /** moving-average factor of the moving statistics (default 0.99, Keras) */
  readonly momentum?: number;
  /** added to the variance (default 1e-3, Keras) */
  readonly epsilon?: number;
  readonly gammaInitializer?: InitializerName | Initializer;
  readonly betaInitializer?: InitializerName | Initializer;
  readonly movingMeanInitializer?: InitializerName | Initializer;
  readonly movingVarianceInitializer?: InitializerName | Initializer;
}

export type BatchNormalizationParams<C extends Dim> = { gamma: Tensor<[C]>; beta: Tensor<[C]>; movingMean: Tensor<[C]>; movingVariance: Tensor<[C]> };

export interface BatchNormalizationKind extends LayerKind {
  readonly Out: SameShapeRank1<InOf<this>, 'batchNormalization'>;
  readonly Params: BatchNormalizationParams<LastD<InOf<this>>>;
}

type BnP = { gamma: AnyTensor; beta: AnyTensor; movingMean: AnyTensor; movingVariance: AnyTensor };

/** mean and biased variance over every axis but the last */
function batchStats(x: AnyTensor): [AnyTensor, AnyTensor] {
  const r = x.shape.length;
  const axes = Array.from({ length: r - 1 }, (_, i) => i);
  const m = meanRaw(x, axes);
  const v = meanRaw(squareRaw(subRaw(x, m)), axes);
  return [m, v];
}

/** A batchNormalization layer's runtime extras: moving-stat updates (see the module comment). */
interface BatchNormLayer extends Layer<BatchNormalizationKind, 'batchNormalization'>, StatsLayer {}

/**
 * Batch normalisation over the last (channel) axis (Keras BatchNormalization, axis -1).
 * Training mode uses batch statistics; inference mode the moving ones. Update the moving
 * statistics with `batchNormUpdate` / `updateMovingStats`.
 */
export function batchNormalization(options: BatchNormalizationOptions = {}): Layer<BatchNormalizationKind, 'batchNormalization'> {
  const momentum = options.momentum ?? 0.99;
  const epsilon = options.epsilon ?? 1e-3;
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`batchNormalization: momentum must be in [0, 1], got ${momentum}`);
  if (!(epsilon >= 0)) throw new RangeError(`batchNormalization: epsilon must be >= 0, got ${epsilon}`);
  const inits = {
    gamma: resolveInit(options.gammaInitializer, onesInit),
    beta: resolveInit(options.betaInitializer, zerosInit),
    movingMean: resolveInit(options.movingMeanInitializer, zerosInit),
    movingVariance: resolveInit(options.movingVarianceInitializer, onesInit),
  };
  const forward = (p: BnP, x: AnyTensor, training: boolean): AnyTensor => {
    if (x.shape.length === 0) throw new ShapeError('batchNormalization', 'expects an input of rank >= 1 (got a scalar)');
    const [m, v] = training ? batchStats(x) : [stopGradientRaw(p.movingMean), stopGradientRaw(p.movingVariance)];
    return erase(batchNorm(wide(x), wide(m), wide(v), wide(p.gamma), wide(p.beta), { epsilon }));
  };
  const layer: BatchNormLayer = {
    name: 'batchNormalization',
    config: { axis: -1, momentum, epsilon },
    outputShape(input) {
      if (input.length === 0) throw new ShapeError('batchNormalization', 'expects an input of rank >= 1 (got a scalar)');
      return input.slice();
    },
    init(key, input) {
      const c = knownDim(input[input.length - 1], 'batchNormalization', 'the channel (last) dim');
      const [k1, k2, k3, k4] = keys(key, 4);
      return {
        gamma: inits.gamma(k1!, [c]),
        beta: inits.beta(k2!, [c]),
        movingMean: inits.movingMean(k3!, [c]),
        movingVariance: inits.movingVariance(k4!, [c]),
      };
    },
    apply: (params, x, ctx) => forward(params as BnP, x, ctx.training === true),
    applyUpdatingStats(params, x) {
      const p = params as BnP;
      if (x.shape.length === 0) throw new ShapeError('batchNormalization', 'expects an input of rank >= 1 (got a scalar)');
      const [m, v] = batchStats(x);
      const blend = (old: AnyTensor, batch: AnyTensor) => addRaw(mulRaw(old, momentum), mulRaw(stopGradientRaw(batch), 1 - momentum));
      const next: BnP = { ...p, movingMean: blend(p.movingMean, m), movingVariance: blend(p.movingVariance, v) };
      return [forward(p, x, true), next];
    },
  };
  return layer;
}

/**
 * The params of a batchNormalization layer with its moving statistics updated from the
 * batch `x` (the layer's input): moving ← momentum · moving + (1 - momentum) · batch statistic.
 * Pure: returns new params, the given ones are untouched.
 */
export function batchNormUpdate<P extends BatchNormalizationParams<Dim>>(layer: Layer<BatchNormalizationKind, 'batchNormalization'>, params: P, x: Tensor<Shape>): P {
  const l: Layer & Partial<StatsLayer> = layer;
  if (l.name !== 'batchNormalization' || !l.applyUpdatingStats) throw new Error(`batchNormUpdate: expects a batchNormalization layer, got ${l.name}`);
  // cast: applyUpdatingStats returns the same record with new moving statistics (same shapes)
  return l.applyUpdatingStats(params, erase(x), { training: true })[1] as P;
}

// ---------------------------------------------------------------- moving-stat updates through models

/**
 * Layers that hold moving statistics, or contain layers that do, implement this next to
 * `apply`: a training-mode forward pass that also returns the params with updated statistics.
 */
export interface StatsLayer {
  applyUpdatingStats(params: unknown, x: AnyTensor, ctx: ApplyContext): [AnyTensor, unknown];
}

/** names of layers that may hold moving statistics inside them */
const STATEFUL = new Set(['batchNormalization', 'residual', 'parallel']);

/**
 * One layer's training forward pass with updated statistics: layers implementing StatsLayer
 * update theirs; others just apply (their params are returned unchanged).
 */
export function applyUpdatingStats(layer: Layer, params: unknown, x: AnyTensor, ctx: ApplyContext): [AnyTensor, unknown] {
  const s = layer as Layer & Partial<StatsLayer>;
  if (s.applyUpdatingStats) return s.applyUpdatingStats(params, x, ctx);
  const inner = (layer.config as { layers?: unknown }).layers;
  // chain() does not expose its layers: refuse rather than silently skip an update inside it
  if (layer.name === 'chain' && Array.isArray(inner) && inner.some((n) => STATEFUL.has(n as string))) {
    throw new Error(`updateMovingStats: cannot update moving statistics inside chain(${inner.join(', ')}); put those layers directly in the model (chain does not expose its layers)`);
  }
  return [layer.apply(params, x, ctx), params];
}

/**
 * A model's params with every batchNormalization's moving statistics updated from the batch
 * `x` (one training-mode forward pass; pure). `ctx` defaults to `{ training: true }`; pass the
 * key used for the loss so dropout masks match.
 */
export function updateMovingStats<S extends Shape, Ls extends readonly unknown[], X extends Shape, D extends DType = 'float32'>(
  model: Model<S, Ls>,
  params: ParamsOf<S, Ls>,
  x: Tensor<X, D>,
  ctx: ApplyContext = { training: true },
): ParamsOf<S, Ls> {
  // cast: a model's layer tuple holds Layers (Ls is kept unconstrained for inference)
  const layers = model.layers as readonly Layer[];
  const ps: unknown = params;
  if (!Array.isArray(ps) || ps.length !== layers.length) throw new Error(`updateMovingStats: expected a tuple of ${layers.length} layer params`);
  // the same key split as the model's apply, so each layer sees the same randomness
  const ks = ctx.key && layers.length > 0 ? keys(ctx.key, layers.length) : null;
  let h = erase(x);
  const next = layers.map((l, i) => {
    const [y, p] = applyUpdatingStats(l, ps[i], h, ks ? { ...ctx, key: ks[i]! } : ctx);
    h = y;
    return p;
  });
  // cast: one params value per layer, in order, each the layer's own (updated) record — the tuple ParamsOf spells out
  return next as unknown as ParamsOf<S, Ls>;
}
