/**
 * Convolution and pooling layers, channels-last like Keras (NHWC for 2-D, NLC for 1-D):
 * conv2d, conv1d, maxPool2d / avgPool2d, maxPool1d / avgPool1d and the global pools.
 *
 *   sequential(['batch', 28, 28, 1],
 *     conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),   // ['batch', 26, 26, 32]
 *     maxPool2d({ poolSize: 2 }),                                    // ['batch', 13, 13, 32]
 *     flatten(), dense(10));
 *
 * Output shapes come from the shared rules (`Conv2dShape`, `Conv1dShape`, `Pool2dShape`,
 * `Pool1dShape`), so a window that does not fit is a compile error at that layer with the
 * rule's words, e.g. "conv2d: kernel 5 (dilated 5) larger than input height 2 with padding 'valid'".
 * Params: conv2d { kernel: [kH, kW, Cin, filters], bias: [filters] }, conv1d
 * { kernel: [k, Cin, filters], bias: [filters] }, with Cin the input's last dim (Keras layout,
 * so weights copy 1:1 to tf.layers via setWeights([kernel, bias])).
 */
import type { Dim, Shape } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import { conv1dShape, conv2dShape, pool1dShape, pool2dShape, type Conv1dShape, type Conv2dShape, type Pool1dShape, type Pool2dShape } from '../../shape/rules';
import type { Tensor } from '../../tensor/tensor';
import { erase, wide, type WideTensor } from '../../tensor/untyped';
import { addRaw } from '../../ops/elementwise';
import {
  avgPool1d as avgPool1dOp,
  avgPool2d as avgPool2dOp,
  conv1d as conv1dOp,
  conv2d as conv2dOp,
  globalAvgPool1d as globalAvgPool1dOp,
  globalAvgPool2d as globalAvgPool2dOp,
  globalMaxPool1d as globalMaxPool1dOp,
  globalMaxPool2d as globalMaxPool2dOp,
  maxPool1d as maxPool1dOp,
  maxPool2d as maxPool2dOp,
} from '../../ops/conv';
import type { GlobalPool1dShape, GlobalPool2dShape } from '../../shape/rules';
import { activationRaw, type ActivationName } from '../activation';
import { glorotUniform, keys, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type InOf, type Layer, type LayerKind, type RDim } from '../layer';

// the conv and pool ops have no exported untyped cores: layers call them on rank-unknown views
type T = WideTensor;

/** one number for both spatial axes, or [h, w] */
export type Size2d = number | readonly [number, number];
const pair = (v: Size2d): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

type LastD<S extends Shape> = S extends readonly [...Dim[], infer L extends Dim] ? L : Dim;
type PairT<P> = P extends readonly [infer A extends number, infer B extends number] ? [A, B] : P extends number ? [P, P] : [number, number];

/** conv/pool params: kernel (+ bias unless useBias: false) */
export type ConvParams<KShape extends Shape, F extends number, B extends boolean> = B extends false
  ? { kernel: Tensor<[...KShape]> }
  : { kernel: Tensor<[...KShape]>; bias: Tensor<[F]> };

/** conv2d params for input S: kernel [kH, kW, Cin, F] with Cin = S's last dim */
export type Conv2dParams<S extends Shape, K extends Size2d, F extends number, B extends boolean> = ConvParams<[...PairT<K>, LastD<S>, F], F, B>;
/** conv1d params for input S: kernel [k, Cin, F] */
export type Conv1dParams<S extends Shape, K extends number, F extends number, B extends boolean> = ConvParams<[K, LastD<S>, F], F, B>;

function positiveInt(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${layer}: ${what} must be a positive integer, got ${v}`);
}

// ---------------------------------------------------------------- runtime shape twins on symbolic dims

/** a stand-in size for a symbolic spatial dim: large enough for any window, so only the options are checked */
const PROBE = 1 << 24;

/**
 * One spatial output dim from the rule's numeric result: a known input keeps the rule's
 * number; a symbolic input stays itself under 'same'/'causal' with stride 1 (as the type
 * rule keeps it), else becomes '?'.
 */
function spatialOut(n: RDim, computed: number, padding: string | number, stride: number): RDim {
  if (typeof n === 'number') return computed;
  return (padding === 'same' || padding === 'causal') && stride === 1 ? n : '?';
}
const probe = (n: RDim | undefined): number => (typeof n === 'number' ? n : PROBE);

/** the rank check of the rules, same words */
function rank(input: readonly RDim[], r: 3 | 4, rule: string): void {
  if (input.length !== r) {
    throw new ShapeError(rule, r === 4 ? `input must be [batch, height, width, channels] (rank ${input.length})` : `input must be [batch, length, channels] (rank ${input.length})`);
  }
}

function conv2dOut(input: readonly RDim[], k: Size2d, f: number, s: Size2d, p: 'valid' | 'same', d: Size2d): RDim[] {
  rank(input, 4, 'conv2d');
  const out = conv2dShape([1, probe(input[1]), probe(input[2]), 1], k, f, s, p, d);
  const [sh, sw] = pair(s);
  return [input[0]!, spatialOut(input[1]!, out[1]!, p, sh), spatialOut(input[2]!, out[2]!, p, sw), f];
}

function conv1dOut(input: readonly RDim[], k: number, f: number, s: number, p: 'valid' | 'same' | 'causal', d: number): RDim[] {
  rank(input, 3, 'conv1d');
  const out = conv1dShape([1, probe(input[1]), 1], k, f, s, p, d);
  return [input[0]!, spatialOut(input[1]!, out[1]!, p, s), f];
}

function pool2dOut(input: readonly RDim[], k: Size2d, s: Size2d, p: 'valid' | 'same'): RDim[] {
  rank(input, 4, 'pool2d');
  const out = pool2dShape([1, probe(input[1]), probe(input[2]), 1], k, s, p);
  const [sh, sw] = pair(s);
  return [input[0]!, spatialOut(input[1]!, out[1]!, p, sh), spatialOut(input[2]!, out[2]!, p, sw), input[3]!];
}

function pool1dOut(input: readonly RDim[], k: number, s: number, p: 'valid' | 'same'): RDim[] {
  rank(input, 3, 'pool1d');
  const out = pool1dShape([1, probe(input[1]), 1], k, s, p);
  return [input[0]!, spatialOut(input[1]!, out[1]!, p, s), input[2]!];
}

// ---------------------------------------------------------------- conv2d

export interface Conv2dLayerOptions<F extends number, K extends Size2d, S extends Size2d, P extends 'valid' | 'same', D extends Size2d, B extends boolean> {
  readonly filters: F;
  /** one number or [kH, kW] */
  readonly kernelSize: K;
  /** one number or [h, w] (default 1) */
  readonly strides?: S;
  /** 'valid' (default) or 'same' (TensorFlow's: output ceil(n / stride)) */
  readonly padding?: P;
  /** one number or [h, w] (default 1) */
  readonly dilationRate?: D;
  /** default 'linear' */
  readonly activation?: ActivationName;
  /** default true */
  readonly useBias?: B;
  /** default glorotUniform (fans include the receptive field, as Keras) */
  readonly kernelInitializer?: InitializerName | Initializer;
  /** default zeros */
  readonly biasInitializer?: InitializerName | Initializer;
}

export interface Conv2dKind<F extends number, K extends Size2d, S extends Size2d, P extends 'valid' | 'same', D extends Size2d, B extends boolean> extends LayerKind {
  readonly Out: Conv2dShape<InOf<this>, K, F, S, P, D>;
  readonly Params: Conv2dParams<InOf<this>, K, F, B>;
  readonly InDtype: 'float32';
}

/** 2-D convolution over [batch, H, W, Cin] → [batch, outH, outW, filters] (Keras Conv2D, NHWC). */
export function conv2d<
  const F extends number,
  const K extends Size2d,
  const S extends Size2d = 1,
  const P extends 'valid' | 'same' = 'valid',
  const D extends Size2d = 1,
  const B extends boolean = true,
>(options: Conv2dLayerOptions<F, K, S, P, D, B>): Layer<Conv2dKind<F, K, S, P, D, B>, 'conv2d'> {
  const { filters, kernelSize } = options;
  const strides: Size2d = options.strides ?? 1;
  const padding: 'valid' | 'same' = options.padding ?? 'valid';
  const dilation: Size2d = options.dilationRate ?? 1;
  const useBias = options.useBias ?? true;
  positiveInt('conv2d', 'filters', filters);
  if (padding !== 'valid' && padding !== 'same') throw new RangeError(`conv2d: padding must be 'valid' or 'same', got ${String(padding)}`);
  // validates kernel, strides and dilation once, at construction
  conv2dShape([1, PROBE, PROBE, 1], kernelSize, filters, strides, padding, dilation);
  const act = activationRaw(options.activation ?? 'linear');
  const kInit = resolveInit(options.kernelInitializer, glorotUniform);
  const bInit = resolveInit(options.biasInitializer, zerosInit);
  const [kh, kw] = pair(kernelSize);
  return {
    name: 'conv2d',
    inputDtype: 'float32',
    config: { filters, kernelSize, strides, padding, dilationRate: dilation, activation: options.activation ?? 'linear', useBias },
    outputShape: (input) => conv2dOut(input, kernelSize, filters, strides, padding, dilation),
    init(key, input) {
      const cin = knownDim(input[3], 'conv2d', 'the input channels');
      const [k1, k2] = keys(key, 2);
      const kernel = kInit(k1!, [kh, kw, cin, filters]);
      return useBias ? { kernel, bias: bInit(k2!, [filters]) } : { kernel };
    },
    apply(params, x) {
      const p = params as { kernel: T; bias?: T };
      let y = erase(conv2dOp(wide(x), p.kernel, { strides, padding, dilation }));
      if (p.bias) y = addRaw(y, erase(p.bias));
      return act(y);
    },
  };
}

// ---------------------------------------------------------------- conv1d

export interface Conv1dLayerOptions<F extends number, K extends number, S extends number, P extends 'valid' | 'same' | 'causal', D extends number, B extends boolean> {
  readonly filters: F;
  readonly kernelSize: K;
  /** default 1 */
  readonly strides?: S;
  /** 'valid' (default), 'same', or 'causal' (left padding d·(k - 1): output t sees inputs <= t) */
  readonly padding?: P;
  /** default 1 */
  readonly dilationRate?: D;
  readonly activation?: ActivationName;
  readonly useBias?: B;
  readonly kernelInitializer?: InitializerName | Initializer;
  readonly biasInitializer?: InitializerName | Initializer;
}

export interface Conv1dKind<F extends number, K extends number, S extends number, P extends 'valid' | 'same' | 'causal', D extends number, B extends boolean> extends LayerKind {
  readonly Out: Conv1dShape<InOf<this>, K, F, S, P, D>;
  readonly Params: Conv1dParams<InOf<this>, K, F, B>;
  readonly InDtype: 'float32';
}

/** 1-D convolution over [batch, L, Cin] → [batch, outL, filters] (Keras Conv1D, channels-last). */
export function conv1d<
  const F extends number,
  const K extends number,
  const S extends number = 1,
  const P extends 'valid' | 'same' | 'causal' = 'valid',
  const D extends number = 1,
  const B extends boolean = true,
>(options: Conv1dLayerOptions<F, K, S, P, D, B>): Layer<Conv1dKind<F, K, S, P, D, B>, 'conv1d'> {
  const { filters, kernelSize } = options;
  const stride: number = options.strides ?? 1;
  const padding: 'valid' | 'same' | 'causal' = options.padding ?? 'valid';
  const dilation: number = options.dilationRate ?? 1;
  const useBias = options.useBias ?? true;
  positiveInt('conv1d', 'filters', filters);
  if (padding !== 'valid' && padding !== 'same' && padding !== 'causal') throw new RangeError(`conv1d: padding must be 'valid', 'same' or 'causal', got ${String(padding)}`);
  conv1dShape([1, PROBE, 1], kernelSize, filters, stride, padding, dilation);
  const act = activationRaw(options.activation ?? 'linear');
  const kInit = resolveInit(options.kernelInitializer, glorotUniform);
  const bInit = resolveInit(options.biasInitializer, zerosInit);
  return {
    name: 'conv1d',
    inputDtype: 'float32',
    config: { filters, kernelSize, strides: stride, padding, dilationRate: dilation, activation: options.activation ?? 'linear', useBias },
    outputShape: (input) => conv1dOut(input, kernelSize, filters, stride, padding, dilation),
    init(key, input) {
      const cin = knownDim(input[2], 'conv1d', 'the input channels');
      const [k1, k2] = keys(key, 2);
      const kernel = kInit(k1!, [kernelSize, cin, filters]);
      return useBias ? { kernel, bias: bInit(k2!, [filters]) } : { kernel };
    },
    apply(params, x) {
      const p = params as { kernel: T; bias?: T };
      let y = erase(conv1dOp(wide(x), p.kernel, { strides: stride, padding, dilation }));
      if (p.bias) y = addRaw(y, erase(p.bias));
      return act(y);
    },
  };
}

// ---------------------------------------------------------------- pooling

export interface Pool2dLayerOptions<K extends Size2d, S extends Size2d, P extends 'valid' | 'same'> {
  /** one number or [h, w] (default 2) */
  readonly poolSize?: K;
  /** default: the pool size (Keras) */
  readonly strides?: S;
  /** 'valid' (default) or 'same' (padded cells never win a max and are not averaged) */
  readonly padding?: P;
}
export interface Pool1dLayerOptions<K extends number, S extends number, P extends 'valid' | 'same'> {
  /** default 2 */
  readonly poolSize?: K;
  /** default: the pool size (Keras) */
  readonly strides?: S;
  readonly padding?: P;
}

export interface Pool2dKind<K extends Size2d, S extends Size2d, P extends 'valid' | 'same'> extends LayerKind {
  readonly Out: Pool2dShape<InOf<this>, K, S, P>;
  readonly Params: Record<string, never>;
}
export interface Pool1dKind<K extends number, S extends number, P extends 'valid' | 'same'> extends LayerKind {
  readonly Out: Pool1dShape<InOf<this>, K, S, P>;
  readonly Params: Record<string, never>;
}

function pool2dLayer<N extends 'maxPool2d' | 'avgPool2d'>(name: N, o: Pool2dLayerOptions<Size2d, Size2d, 'valid' | 'same'>): Layer<LayerKind, N> {
  const poolSize = o.poolSize ?? 2;
  const strides = o.strides ?? poolSize;
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new RangeError(`${name}: padding must be 'valid' or 'same', got ${String(padding)}`);
  pool2dShape([1, PROBE, PROBE, 1], poolSize, strides, padding);
  const op = name === 'maxPool2d' ? maxPool2dOp : avgPool2dOp;
  return {
    name,
    config: { poolSize, strides, padding },
    outputShape: (input) => pool2dOut(input, poolSize, strides, padding),
    init: () => ({}),
    apply: (_p, x) => erase(op(wide(x), { poolSize, strides, padding })),
  };
}

function pool1dLayer<N extends 'maxPool1d' | 'avgPool1d'>(name: N, o: Pool1dLayerOptions<number, number, 'valid' | 'same'>): Layer<LayerKind, N> {
  const poolSize = o.poolSize ?? 2;
  const stride = o.strides ?? poolSize;
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new RangeError(`${name}: padding must be 'valid' or 'same', got ${String(padding)}`);
  pool1dShape([1, PROBE, 1], poolSize, stride, padding);
  const op = name === 'maxPool1d' ? maxPool1dOp : avgPool1dOp;
  return {
    name,
    config: { poolSize, strides: stride, padding },
    outputShape: (input) => pool1dOut(input, poolSize, stride, padding),
    init: () => ({}),
    apply: (_p, x) => erase(op(wide(x), { poolSize, strides: stride, padding })),
  };
}

type AnyPool2d = Pool2dLayerOptions<Size2d, Size2d, 'valid' | 'same'>;
type AnyPool1d = Pool1dLayerOptions<number, number, 'valid' | 'same'>;

/** Max over windows of [batch, H, W, C] → [batch, outH, outW, C] (Keras MaxPooling2D; ties → first max). */
export function maxPool2d<const K extends Size2d = 2, const S extends Size2d = K, const P extends 'valid' | 'same' = 'valid'>(
  options: Pool2dLayerOptions<K, S, P> = {},
): Layer<Pool2dKind<K, S, P>, 'maxPool2d'> {
  return pool2dLayer('maxPool2d', options as AnyPool2d) as Layer<Pool2dKind<K, S, P>, 'maxPool2d'>;
}
/** Mean over windows of [batch, H, W, C] (Keras AveragePooling2D). */
export function avgPool2d<const K extends Size2d = 2, const S extends Size2d = K, const P extends 'valid' | 'same' = 'valid'>(
  options: Pool2dLayerOptions<K, S, P> = {},
): Layer<Pool2dKind<K, S, P>, 'avgPool2d'> {
  return pool2dLayer('avgPool2d', options as AnyPool2d) as Layer<Pool2dKind<K, S, P>, 'avgPool2d'>;
}
/** Max over windows of [batch, L, C] → [batch, outL, C] (Keras MaxPooling1D). */
export function maxPool1d<const K extends number = 2, const S extends number = K, const P extends 'valid' | 'same' = 'valid'>(
  options: Pool1dLayerOptions<K, S, P> = {},
): Layer<Pool1dKind<K, S, P>, 'maxPool1d'> {
  return pool1dLayer('maxPool1d', options as AnyPool1d) as Layer<Pool1dKind<K, S, P>, 'maxPool1d'>;
}
/** Mean over windows of [batch, L, C] (Keras AveragePooling1D). */
export function avgPool1d<const K extends number = 2, const S extends number = K, const P extends 'valid' | 'same' = 'valid'>(
  options: Pool1dLayerOptions<K, S, P> = {},
): Layer<Pool1dKind<K, S, P>, 'avgPool1d'> {
  return pool1dLayer('avgPool1d', options as AnyPool1d) as Layer<Pool1dKind<K, S, P>, 'avgPool1d'>;
}

// ---------------------------------------------------------------- global pooling

export interface GlobalPool2dKind extends LayerKind {
  readonly Out: GlobalPool2dShape<InOf<this>>;
  readonly Params: Record<string, never>;
}
export interface GlobalPool1dKind extends LayerKind {
  readonly Out: GlobalPool1dShape<InOf<this>>;
  readonly Params: Record<string, never>;
}

function globalLayer<N extends string>(name: N, r: 3 | 4, op: (x: T) => Tensor<Shape>): Layer<LayerKind, N> {
  const rule = r === 4 ? 'globalPool2d' : 'globalPool1d';
  return {
    name,
    config: {},
    outputShape(input) {
      rank(input, r, rule);
      const spatial = input.slice(1, -1);
      if (spatial.some((d) => d === 0)) throw new ShapeError(rule, `spatial size must be >= 1 ([${input.join(', ')}])`);
      return [input[0]!, input[r - 1]!];
    },
    init: () => ({}),
    apply: (_p, x) => erase(op(wide(x))),
  };
}

/** Max over H and W: [batch, H, W, C] → [batch, C] (Keras GlobalMaxPooling2D). */
export function globalMaxPool2d(): Layer<GlobalPool2dKind, 'globalMaxPool2d'> {
  return globalLayer('globalMaxPool2d', 4, (x) => globalMaxPool2dOp(x)) as Layer<GlobalPool2dKind, 'globalMaxPool2d'>;
}
/** Mean over H and W: [batch, H, W, C] → [batch, C] (Keras GlobalAveragePooling2D). */
export function globalAvgPool2d(): Layer<GlobalPool2dKind, 'globalAvgPool2d'> {
  return globalLayer('globalAvgPool2d', 4, (x) => globalAvgPool2dOp(x)) as Layer<GlobalPool2dKind, 'globalAvgPool2d'>;
}
/** Max over the length: [batch, L, C] → [batch, C] (Keras GlobalMaxPooling1D). */
export function globalMaxPool1d(): Layer<GlobalPool1dKind, 'globalMaxPool1d'> {
  return globalLayer('globalMaxPool1d', 3, (x) => globalMaxPool1dOp(x)) as Layer<GlobalPool1dKind, 'globalMaxPool1d'>;
}
/** Mean over the length: [batch, L, C] → [batch, C] (Keras GlobalAveragePooling1D). */
export function globalAvgPool1d(): Layer<GlobalPool1dKind, 'globalAvgPool1d'> {
  return globalLayer('globalAvgPool1d', 3, (x) => globalAvgPool1dOp(x)) as Layer<GlobalPool1dKind, 'globalAvgPool1d'>;
}
