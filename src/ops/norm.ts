/**
 * Normalisation and dropout: layerNorm (fused kernel, hand-written differentiable rules),
 * batchNorm in inference form, and dropout with an explicit key.
 *
 * Defaults follow Keras: LayerNormalization and BatchNormalization both use epsilon = 1e-3
 * (PyTorch uses 1e-5; pass `epsilon` to match it). Variances are the biased (population) ones.
 */
import { moveAxis } from './batch-rules';
import { noBatchRuleMessage } from '../autodiff/batching';
import { backend } from '../backend';
import type { Shape } from '../shape/dims';
import { ArgumentError, ShapeError } from '../shape/dims';
import { batchNormParamShape, broadcastsInto, layerNormParamShape, type BatchNormParamShape, type Check, type LayerNormParamShape } from '../shape/rules';
import { makeTensor, type Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor, dimsOf } from '../tensor/untyped';
import { bind, type AVal, type MaybeTensor, type Primitive } from '../autodiff/core';
import { addRaw, mulRaw, rsqrtRaw, squareRaw, subRaw } from './elementwise';
import { broadcastToRaw, sumRaw, sumToShape } from './reduce-core';
import { normalizeAxes, reducedShape } from '../shape/rules';
import { bernoulliArray, isKey, type Key } from '../random';
import { boolArg, numberArg, optionsArg, tensorArgs } from '../tensor/validate';


// ---------------------------------------------------------------- type helpers

// ---------------------------------------------------------------- layerNorm

interface LayerNormParams {
  /** the normalised axes: sorted, the trailing ones */
  readonly axes: readonly number[];
  readonly eps: number;
}

/** rows × cols view of x for the row-wise kernel: cols = product of the normalised (trailing) dims */
function rowsCols(shape: readonly number[], axes: readonly number[]): [number, number] {
  let rows = 1;
  let cols = 1;
  shape.forEach((d, i) => {
    if (axes.includes(i)) cols *= d;
    else rows *= d;
  });
  return [rows, cols];
}

/** mean over the normalised axes, kept as size-1 dims */
const meanK = (z: AnyTensor, p: LayerNormParams, n: number): AnyTensor => mulRaw(sumRaw(z, p.axes, true), 1 / n);

/** the tangents of [xhat, rstd] for a tangent tx of x (the rules below) */
function normalizeJvp(tx: AnyTensor, xhat: AnyTensor, rstd: AnyTensor, p: LayerNormParams, n: number): [AnyTensor, AnyTensor] {
  const mxx = meanK(mulRaw(xhat, tx), p, n);
  const txhat = mulRaw(rstd, subRaw(subRaw(tx, meanK(tx, p, n)), mulRaw(xhat, mxx)));
  const trstd = mulRaw(squareRaw(rstd), mulRaw(mxx, -1));
  return [txhat, trstd];
}

/** the cotangent of x for cotangents g of xhat and c of rstd (null = zero) */
function normalizeVjp(g: AnyTensor | null, c: AnyTensor | null, xhat: AnyTensor, rstd: AnyTensor, p: LayerNormParams, n: number): AnyTensor | null {
  let dx: AnyTensor | null = null;
  if (g !== null) dx = mulRaw(rstd, subRaw(subRaw(g, meanK(g, p, n)), mulRaw(xhat, meanK(mulRaw(g, xhat), p, n))));
  if (c !== null) {
    const fromRstd = mulRaw(xhat, mulRaw(mulRaw(c, squareRaw(rstd)), -1 / n));
    dx = dx === null ? fromRstd : addRaw(dx, fromRstd);
  }
  return dx;
}

/**
 * [xhat, rstd] = [(x - mean) · rstd, 1/√(var + eps)] over the trailing `axes` (rstd keeps them as 1s).
 * Both outputs are differentiable, so the rules below hold for any use of either and nest:
 *   d rstd = -rstd² · mean(xhat · dx)
 *   d xhat = rstd · (dx - mean(dx) - xhat · mean(xhat · dx))
 * and the vjp is the transpose: dx = rstd · (g - mean(g) - xhat · mean(g · xhat)) - xhat · c · rstd² / n.
 * They use the saved outputs xhat and rstd, never recomputing the statistics.
 */
export const layerNormalizeP: Primitive<LayerNormParams> = {
  name: 'layer_normalize',
  shape(ins, p) {
    const x = ins[0]!;
    if (x.dtype !== 'float32') throw new ShapeError('layerNorm', `expects float32, got ${x.dtype}`);
    return [
      { shape: x.shape, dtype: 'float32' },
      { shape: reducedShape(dimsOf(x), p.axes, true), dtype: 'float32' },
    ];
  },
  impl(ins, p) {
    const x = ins[0]!;
    const [rows, cols] = rowsCols(dimsOf(x), p.axes);
    const r = backend().layerNorm(x._data as Float32Array, rows, cols, p.eps);
    return [r.y, r.rstd];
  },
  jvp(_pr, t, o, p) {
    const n = rowsCols(dimsOf(o[0]!), p.axes)[1];
    return normalizeJvp(t[0]!, o[0]!, o[1]!, p, n);
  },
  vjp(cts, _pr, o, p) {
    const [g, c] = cts as [MaybeTensor, MaybeTensor];
    const n = rowsCols(dimsOf(o[0]!), p.axes)[1];
    return [normalizeVjp(g, c, o[0]!, o[1]!, p, n)];
  },
  // the batch axis in front, so the normalised axes stay the trailing ones
  batch: (ins, dims, p) => {
    const outs = bind(layerNormalizeP, [moveAxis(ins[0]!, dims[0]!, 0)], { ...p, axes: p.axes.map((a) => a + 1) });
    return [outs, [0, 0]];
  },
};

interface LayerNormAffineParams extends LayerNormParams {
  /** which of gamma / beta are inputs (after x, in that order) */
  readonly gamma: boolean;
  readonly beta: boolean;
}

/**
 * [y, mean, rstd] with y = xhat · gamma + beta (either optional, at least one given) in one
 * kernel pass; mean and rstd keep the normalised axes as 1s (ONNX LayerNormalization's
 * outputs). The rules get xhat and rstd from layerNormalizeP (see `normalized`) and reuse its rules:
 *   dy = gamma · dxhat + dgamma · xhat + dbeta,  d mean = mean(dx),  d rstd as above;
 *   vjp: dx = normalizeVjp(gamma · gy, c_rstd) + c_mean / n, dgamma = Σ_rows gy · xhat, dbeta = Σ_rows gy.
 * All outputs are differentiable and the rules are public ops, so they nest.
 */
export const layerNormAffineP: Primitive<LayerNormAffineParams> = {
  name: 'layer_norm_affine',
  shape(ins, p) {
    const x = ins[0]!;
    if (ins.some((t) => t.dtype !== 'float32')) throw new ShapeError('layerNorm', `expects float32, got ${ins.find((t) => t.dtype !== 'float32')!.dtype}`);
    const stat = { shape: reducedShape(dimsOf(x), p.axes, true), dtype: 'float32' as const };
    return [{ shape: x.shape, dtype: 'float32' }, stat, { ...stat }];
  },
  impl(ins, p) {
    const x = ins[0]!;
    const [rows, cols] = rowsCols(dimsOf(x), p.axes);
    const [g, b] = affineInputs(ins, p);
    const r = backend().layerNorm(x._data as Float32Array, rows, cols, p.eps, g && (g._data as Float32Array), b && (b._data as Float32Array));
    return [r.y, r.mean, r.rstd];
  },
  jvp(pr, t, _o, p) {
    const x = pr[0]!;
    const [g] = affineInputs(pr, p);
    const [tg, tb] = affineInputs(t, p);
    const n = rowsCols(dimsOf(x), p.axes)[1];
    const tx = t[0] ?? null;
    const [xhat, rstd] = tx !== null || tg !== null ? normalized(x, p) : [null, null];
    let ty: AnyTensor | null = null;
    let tmean: AnyTensor | null = null;
    let trstd: AnyTensor | null = null;
    if (tx !== null) {
      const [txhat, tr] = normalizeJvp(tx, xhat!, rstd!, p, n);
      ty = g ? mulRaw(txhat, g) : txhat;
      tmean = meanK(tx, p, n);
      trstd = tr;
    }
    if (tg) ty = ty === null ? mulRaw(xhat!, tg) : addRaw(ty, mulRaw(xhat!, tg));
    if (tb) ty = ty === null ? broadcastToRaw(tb, dimsOf(x)) : addRaw(ty, tb);
    return [ty, tmean, trstd];
  },
  vjp(cts, pr, _o, p, needed) {
    const [gy, cm, cr] = cts as [MaybeTensor, MaybeTensor, MaybeTensor];
    const x = pr[0]!;
    const [g] = affineInputs(pr, p);
    const n = rowsCols(dimsOf(x), p.axes)[1];
    const pshape = dimsOf(x).slice(dimsOf(x).length - p.axes.length);
    const wantG = p.gamma && needed[1] !== false;
    const wantB = p.beta && needed[p.gamma ? 2 : 1] !== false;
    const [xhat, rstd] = gy !== null || cr !== null ? normalized(x, p) : [null, null];
    let dx: AnyTensor | null = null;
    if (needed[0] !== false) {
      dx = xhat && normalizeVjp(gy && (g ? mulRaw(gy, g) : gy), cr, xhat, rstd!, p, n);
      if (cm !== null) {
        const fromMean = mulRaw(cm, 1 / n);
        dx = dx === null ? broadcastToRaw(fromMean, dimsOf(x)) : addRaw(dx, fromMean);
      }
    }
    const dg = wantG && gy !== null ? sumToShape(mulRaw(gy, xhat!), pshape) : null;
    const db = wantB && gy !== null ? sumToShape(gy, pshape) : null;
    const res: MaybeTensor[] = [dx];
    if (p.gamma) res.push(dg);
    if (p.beta) res.push(db);
    return res;
  },
  // as layer_normalize; gamma and beta broadcast over the batch unchanged (a batched one would
  // need its own kernel pass per example: no rule)
  batch: (ins, dims, p) => {
    if (dims.slice(1).some((d) => d !== null)) throw new Error(`${noBatchRuleMessage('layer_norm_affine')} with a batched gamma or beta`);
    const outs = bind(layerNormAffineP, [moveAxis(ins[0]!, dims[0]!, 0), ...ins.slice(1)], { ...p, axes: p.axes.map((a) => a + 1) });
    return [outs, [0, 0, 0]];
  },
};

/**
 * [xhat, rstd] for the affine rules: layerNormalizeP again (one fused pass: 2.2-2.6 ms on
 * [4096, 256] with wasm, vs 4.6-5.2 ms for (x - mean) · rstd from the saved statistics with two
 * broadcast ops; an xhat output would cost every forward call a 4 MB write and copy). Its
 * values are the kernel's (rstd the same bits as the affine kernel's), and its rules make the
 * affine ones nest.
 */
function normalized(x: AnyTensor, p: LayerNormAffineParams): [AnyTensor, AnyTensor] {
  const [xhat, rstd] = bind(layerNormalizeP, [x], { axes: p.axes, eps: p.eps });
  return [xhat!, rstd!];
}

/** [gamma, beta] (null when absent) from the affine primitive's inputs or tangents */
function affineInputs<X>(ins: readonly (X | null)[], p: LayerNormAffineParams): [X | null, X | null] {
  const g = p.gamma ? (ins[1] ?? null) : null;
  const b = p.beta ? (ins[p.gamma ? 2 : 1] ?? null) : null;
  return [g, b];
}

export interface LayerNormOptions<Ax extends number | readonly number[]> {
  /** the normalised axes: -1 (default) or several trailing axes, e.g. [-2, -1] */
  readonly axis?: Ax;
  /** added to the variance (default 1e-3, the Keras LayerNormalization default) */
  readonly epsilon?: number;
}

/**
 * Layer normalisation: (x - mean) / √(var + eps) · gamma + beta, statistics over the trailing
 * `axis` (default -1). gamma / beta have the normalised dims' shape, or are null (Keras'
 * scale=false / center=false). The normalisation, with the scale and shift, runs as one fused
 * kernel pass.
 */
export function layerNorm<
  S extends Shape,
  G extends Shape,
  B extends Shape,
  const Ax extends number | readonly number[] = -1,
>(
  x: Tensor<S>,
  gamma: (Tensor<G> & Check<LayerNormParamShape<S, Ax, G, 'gamma'>>) | null,
  beta: (Tensor<B> & Check<LayerNormParamShape<S, Ax, B, 'beta'>>) | null,
  options?: LayerNormOptions<Ax>,
): Tensor<S> {
  tensorArgs('layerNorm', { x });
  tensorArgs('layerNorm', { gamma, beta }, true);
  optionsArg('layerNorm', options, ['axis', 'epsilon']);
  numberArg('layerNorm', 'epsilon', options?.epsilon);
  const t = erase(x);
  const xs = dimsOf(t);
  const axis = (options?.axis ?? -1) as number | readonly number[];
  const axes = normalizeAxes(axis, xs.length, 'layerNorm');
  if (axes.length === 0 || axes.some((a, i) => a !== xs.length - axes.length + i)) {
    throw new ShapeError('layerNorm', `axes must be the trailing axes of x (got [${axes.join(', ')}] for rank ${xs.length})`);
  }
  const eps = options?.epsilon ?? 1e-3;
  if (!(eps >= 0)) throw new RangeError(`layerNorm: epsilon must be >= 0, got ${eps}`);
  const dims = axes.map((a) => xs[a]!);
  const g = gamma === null ? null : erase(gamma);
  const b = beta === null ? null : erase(beta);
  if (g !== null) layerNormParamShape('layerNorm', 'gamma', dimsOf(g), dims);
  if (b !== null) layerNormParamShape('layerNorm', 'beta', dimsOf(b), dims);
  if (g === null && b === null) return typed<Tensor<S>>(bind(layerNormalizeP, [t], { axes, eps })[0]!);
  const ins = [t, ...(g !== null ? [g] : []), ...(b !== null ? [b] : [])];
  return typed<Tensor<S>>(bind(layerNormAffineP, ins, { axes, eps, gamma: g !== null, beta: b !== null })[0]!);
}

// ---------------------------------------------------------------- batchNorm (inference)

export interface BatchNormOptions {
  /** added to the variance (default 1e-3, the Keras BatchNormalization default) */
  readonly epsilon?: number;
}

/**
 * Batch normalisation in inference form with given (moving) statistics:
 * (x - mean) / √(variance + eps) · gamma + beta. Each statistic broadcasts against x (usually
 * [C] for channels-last); gamma / beta may be null. Differentiable in every argument.
 */
export function batchNorm<S extends Shape, M extends Shape, V extends Shape, G extends Shape, B extends Shape>(
  x: Tensor<S>,
  mean: Tensor<M> & Check<BatchNormParamShape<S, M, 'mean'>>,
  variance: Tensor<V> & Check<BatchNormParamShape<S, V, 'variance'>>,
  gamma: (Tensor<G> & Check<BatchNormParamShape<S, G, 'gamma'>>) | null,
  beta: (Tensor<B> & Check<BatchNormParamShape<S, B, 'beta'>>) | null,
  options?: BatchNormOptions,
): Tensor<S> {
  tensorArgs('batchNorm', { x, mean, variance });
  tensorArgs('batchNorm', { gamma, beta }, true);
  optionsArg('batchNorm', options, ['epsilon']);
  numberArg('batchNorm', 'epsilon', options?.epsilon);
  const xt = erase(x);
  const xs = dimsOf(xt);
  const m = erase(mean);
  const v = erase(variance);
  const g = gamma === null ? null : erase(gamma);
  const b = beta === null ? null : erase(beta);
  batchNormParamShape('mean', xs, dimsOf(m));
  batchNormParamShape('variance', xs, dimsOf(v));
  if (g !== null) batchNormParamShape('gamma', xs, dimsOf(g));
  if (b !== null) batchNormParamShape('beta', xs, dimsOf(b));
  const eps = options?.epsilon ?? 1e-3;
  if (!(eps >= 0)) throw new RangeError(`batchNorm: epsilon must be >= 0, got ${eps}`);
  // the per-feature factor is computed on the small tensors; x is touched by three passes
  let inv = rsqrtRaw(addRaw(v, eps));
  if (g !== null) inv = mulRaw(inv, g);
  let y = mulRaw(subRaw(xt, m), inv);
  if (b !== null) y = addRaw(y, b);
  return typed<Tensor<S>>(y);
}

// ---------------------------------------------------------------- dropout

export interface DropoutOptions {
  /** false → identity (inference). Default true: calling dropout means training. */
  readonly training?: boolean;
  /**
   * Shape of the random keep-mask, broadcast against x (Keras noise_shape), e.g. [B, 1, 1, C]
   * drops whole feature maps. Default: x's shape.
   */
  readonly noiseShape?: readonly number[];
}

/**
 * Inverted dropout: each element is zeroed with probability `rate` and the survivors are
 * scaled by 1 / (1 - rate), so the expectation is unchanged (Keras). Pure: the mask is drawn
 * from `key` (bernoulliArray), so the same key gives the same mask. rate 0 or
 * `training: false` return x itself. rate must be in [0, 1).
 */
export function dropout<S extends Shape>(x: Tensor<S>, key: Key, rate: number, options?: DropoutOptions): Tensor<S> {
  tensorArgs('dropout', { x });
  if (!isKey(key)) throw new ArgumentError('dropout', 'key', `key must be a Key (from key(seed)), got ${key === null ? 'null' : typeof key}`);
  optionsArg('dropout', options, ['training', 'noiseShape']);
  boolArg('dropout', 'training', options?.training);
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (options?.training === false || rate === 0) return x;
  const t = erase(x);
  const xs = dimsOf(t);
  const ns = options?.noiseShape ?? xs;
  if (!broadcastsInto(xs, ns)) throw new ShapeError('dropout', `noiseShape does not broadcast to x ([${ns.join(', ')}] vs [${xs.join(', ')}])`);
  let n = 1;
  for (const d of ns) n *= d;
  const keep = bernoulliArray(key, n, 1 - rate);
  const scale = 1 / (1 - rate);
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = keep[i]! === 1 ? scale : 0;
  return typed<Tensor<S>>(mulRaw(t, makeTensor([...ns], 'float32', mask)));
}
