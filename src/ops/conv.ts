/**
 * Convolution and pooling, channels-last (NHWC) like Keras: conv2d, conv1d, max/avg pooling
 * (2-D and 1-D) and the global pools.
 *
 * Conventions:
 * - x is [batch, height, width, channels] (1-D: [batch, length, channels]); a conv filter is
 *   [kH, kW, inC, outC] (1-D: [k, inC, outC]). 1-D ops run the 2-D kernels with height 1.
 * - Padding: 'valid' (none), 'same' (TensorFlow's: output ceil(n / s), the odd extra cell goes
 *   after), an explicit number p (p on every side), [pH, pW] (per axis, both sides), or, for
 *   conv2d, [[top, bottom], [left, right]]. conv1d also takes 'causal' (left padding d(k - 1)).
 * - Bias is NOT an argument: add it separately, `add(conv2d(x, w), b)` with b: [outC]
 *   broadcasts over [..., outC] (one extra pass; the conv kernels stay bias-free).
 * - Pool strides default to the pool size (Keras); the pool size defaults to 2. Padded cells
 *   never win a max and are not counted in an average (Keras / tfjs 'same').
 * - Max pool ties go to the first maximum in row-major window order (as tfjs). The forward
 *   primitive computes y only; its jvp gathers tangents at the argmax and its vjp scatters
 *   cotangents to it, both taking the argmax from a separate non-differentiable primitive of x
 *   (maxPoolArgmaxP), so calls that are never differentiated never compute it.
 *
 * Derivatives: conv2d's vjp uses conv2dBackpropInput / conv2dBackpropFilter, which are
 * primitives too. Each is bilinear, and its own derivatives are again conv2d / backprop ops
 * (the three form a closed family of transposes), so conv2d has derivatives of every order.
 * The same holds for the pools: avgPool ↔ its backprop, max-pool gather ↔ scatter at the argmax.
 */
import { batchFoldN, batchSize, foldShape } from './batch-rules';
import { batchPoolIndexed, shiftIndices } from './pool-indices';
import { batchedFilterConv, batchedFilterGradient, batchedFilterInputGradient } from './conv-batch';
import { backend } from '../backend';
import type { Conv2dGeometry, Pool2dGeometry } from '../backend/backend';
import type { Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import {
  conv1dShape,
  convOutShape,
  poolOutShape,
  resolveConv2d,
  resolvePool1d,
  resolvePool2d,
  samePadding,
  type Check,
  type Conv1dFilterShape,
  type Conv2dFilterShape,
  type ConvOptionValues,
  type ConvPadding2d,
  type ConvParams,
  type GlobalPool1dShape,
  type GlobalPool2dShape,
  type Pair,
  type Padding,
  type Pool1dOptionValues,
  type Pool1dShape,
  type Pool2dOptionValues,
  type Pool2dShape,
  type PoolPadding,
  type PoolParams,
  type Result,
} from '../shape/rules';
import type { Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor, dimsOf } from '../tensor/untyped';
import { bind1, type AVal, type MaybeTensor, type Primitive } from '../autodiff/core';
import { addRaw, mulRaw } from './elementwise';
import { reshapeRaw, sumRaw } from './reduce-core';
import { optionsArg, tensorArgs } from '../tensor/validate';

const f32 = (x: AnyTensor) => x._data as Float32Array;
const addT = (a: MaybeTensor, b: MaybeTensor): MaybeTensor => (a === null ? b : b === null ? a : addRaw(a, b));

function requireFloat(op: string, ins: readonly AVal[]): void {
  for (const a of ins) if (a.dtype !== 'float32') throw new ShapeError(op, `expects float32 operands, got ${a.dtype}`);
}

// =============================================================================================
// Conv primitives. Params hold the resolved geometry: explicit pads, strides, dilation.

interface BackpropInputParams extends ConvParams {
  readonly inShape: readonly number[];
}
interface BackpropFilterParams extends ConvParams {
  readonly filterShape: readonly number[];
}

function convGeometry(x: readonly number[], f: readonly number[], y: readonly number[], p: ConvParams): Conv2dGeometry {
  return {
    batch: x[0]!, inH: x[1]!, inW: x[2]!, inC: x[3]!,
    kH: f[0]!, kW: f[1]!, outC: f[3]!,
    outH: y[1]!, outW: y[2]!,
    strideH: p.strides[0], strideW: p.strides[1],
    dilationH: p.dilation[0], dilationW: p.dilation[1],
    padTop: p.pads[0], padLeft: p.pads[2],
  };
}

/** One example's shape of a batch value (batch axis d; null: the value itself). */
const exampleShape = (x: AnyTensor, d: number | null) => dimsOf(x).filter((_, i) => i !== d);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const convParams = (p: ConvParams): ConvParams => ({ strides: p.strides, dilation: p.dilation, pads: p.pads });

export const conv2dP: Primitive<ConvParams> = {
  name: 'conv2d',
  shape(ins, p) {
    requireFloat('conv2d', ins);
    return [{ shape: convOutShape('conv2d', dimsOf(ins[0]!), dimsOf(ins[1]!), p), dtype: 'float32' }];
  },
  impl(ins, p, outs) {
    const [x, w] = ins as [AnyTensor, AnyTensor];
    return [backend().conv2d(f32(x), f32(w), convGeometry(dimsOf(x), dimsOf(w), dimsOf(outs[0]!), p))];
  },
  // bilinear: d(x * w) = dx * w + x * dw
  jvp: (pr, t, _o, p) => [addT(t[0] ? conv2dRaw(t[0], pr[1]!, p) : null, t[1] ? conv2dRaw(pr[0]!, t[1], p) : null)],
  // skip the pass for a constant operand (the data, or a frozen filter)
  vjp(cts, pr, _o, p, needed) {
    const ct = cts[0]!;
    const [x, w] = pr as [AnyTensor, AnyTensor];
    return [
      needed[0] === false ? null : backpropInputRaw(ct, w, { ...convParams(p), inShape: dimsOf(x) }),
      needed[1] === false ? null : backpropFilterRaw(x, ct, { ...convParams(p), filterShape: dimsOf(w) }),
    ];
  },
  // the examples fold into N; a filter per example takes im2col and one batched GEMM (./conv-batch)
  batch: (ins, dims, p) => dims[1] === null
    ? batchFoldN(conv2dP, ins, dims, p, [true, false])
    : [[batchedFilterConv(ins[0]!, dims[0]!, ins[1]!, dims[1]!, p, convOutShape('conv2d', exampleShape(ins[0]!, dims[0]!), exampleShape(ins[1]!, dims[1]!), p))], [0]],
};

/** dx = conv2dBackpropInput(dy, w): the transpose of x ↦ conv2d(x, w). */
export const conv2dBackpropInputP: Primitive<BackpropInputParams> = {
  name: 'conv2d_backprop_input',
  shape(ins, p) {
    requireFloat('conv2dBackpropInput', ins);
    const y = convOutShape('conv2dBackpropInput', p.inShape, dimsOf(ins[1]!), p);
    if (!sameShape(y, dimsOf(ins[0]!))) throw new ShapeError('conv2dBackpropInput', `dy shape [${dimsOf(ins[0]!).join(', ')}] differs from the conv output [${y.join(', ')}]`);
    return [{ shape: p.inShape, dtype: 'float32' }];
  },
  impl(ins, p) {
    const [dy, w] = ins as [AnyTensor, AnyTensor];
    return [backend().conv2dBackpropInput(f32(dy), f32(w), convGeometry(p.inShape, dimsOf(w), dimsOf(dy), p))];
  },
  jvp: (pr, t, _o, p) => [addT(t[0] ? backpropInputRaw(t[0], pr[1]!, p) : null, t[1] ? backpropInputRaw(pr[0]!, t[1], p) : null)],
  // <g, bpi(dy, w)> = <conv2d(g, w), dy> = <bpf(g, dy), w>
  vjp(cts, pr, _o, p) {
    const g = cts[0]!;
    const [dy, w] = pr as [AnyTensor, AnyTensor];
    return [conv2dRaw(g, w, p), backpropFilterRaw(g, dy, { ...convParams(p), filterShape: dimsOf(w) })];
  },
  batch: (ins, dims, p) => dims[1] === null
    ? batchFoldN(conv2dBackpropInputP, ins, dims, p, [true, false], (q, n) => ({ ...q, inShape: foldShape(q.inShape, n) }))
    : [[batchedFilterInputGradient(ins[0]!, dims[0]!, ins[1]!, dims[1]!, p)], [0]],
};

/** dw = conv2dBackpropFilter(x, dy): the transpose of w ↦ conv2d(x, w). */
export const conv2dBackpropFilterP: Primitive<BackpropFilterParams> = {
  name: 'conv2d_backprop_filter',
  shape(ins, p) {
    requireFloat('conv2dBackpropFilter', ins);
    const y = convOutShape('conv2dBackpropFilter', dimsOf(ins[0]!), p.filterShape, p);
    if (!sameShape(y, dimsOf(ins[1]!))) throw new ShapeError('conv2dBackpropFilter', `dy shape [${dimsOf(ins[1]!).join(', ')}] differs from the conv output [${y.join(', ')}]`);
    return [{ shape: p.filterShape, dtype: 'float32' }];
  },
  impl(ins, p) {
    const [x, dy] = ins as [AnyTensor, AnyTensor];
    return [backend().conv2dBackpropFilter(f32(x), f32(dy), convGeometry(dimsOf(x), p.filterShape, dimsOf(dy), p))];
  },
  jvp: (pr, t, _o, p) => [addT(t[0] ? backpropFilterRaw(t[0], pr[1]!, p) : null, t[1] ? backpropFilterRaw(pr[0]!, t[1], p) : null)],
  // <G, bpf(x, dy)> = <bpi(dy, G), x> = <conv2d(x, G), dy>
  vjp(cts, pr, _o, p) {
    const g = cts[0]!;
    const [x, dy] = pr as [AnyTensor, AnyTensor];
    return [backpropInputRaw(dy, g, { ...convParams(p), inShape: dimsOf(x) }), conv2dRaw(x, g, p)];
  },
  // per-example filter gradients: im2col with ops (pad, one strided slice per kernel tap,
  // concat) and one batched GEMM over the examples, [B, P, K]ᵀ·[B, P, outC] → [B, K, outC]
  batch: (ins, dims, p) => [[batchedFilterGradient(ins[0]!, dims[0]!, ins[1]!, dims[1]!, p)], [0]],
};

function conv2dRaw(x: AnyTensor, w: AnyTensor, p: ConvParams): AnyTensor {
  return bind1(conv2dP, [x, w], convParams(p));
}
function backpropInputRaw(dy: AnyTensor, w: AnyTensor, p: BackpropInputParams): AnyTensor {
  return bind1(conv2dBackpropInputP, [dy, w], p);
}
function backpropFilterRaw(x: AnyTensor, dy: AnyTensor, p: BackpropFilterParams): AnyTensor {
  return bind1(conv2dBackpropFilterP, [x, dy], p);
}

/**
 * The gradient of conv2d w.r.t. its input, as a public (differentiable) op: for the conv
 * `y = conv2d(x, filter, options)` with x of shape `inShape`, maps dy to dx.
 */
export function conv2dBackpropInput<const XS extends readonly number[]>(
  dy: Tensor<Shape>,
  filter: Tensor<Shape>,
  inShape: XS,
  options: Conv2dOptions<Pair, ConvPadding2d, Pair> = {},
): Tensor<[...XS]> {
  tensorArgs('conv2dBackpropInput', { dy, filter });
  const f = dimsOf(erase(filter));
  if (inShape.length !== 4 || f.length !== 4) throw new ShapeError('conv2dBackpropInput', `inShape must be [batch, height, width, channels] and the filter [kH, kW, inC, outC] (ranks ${inShape.length} and ${f.length})`);
  const p = resolveConv2d('conv2dBackpropInput', inShape, f, options);
  return typed<Tensor<[...XS]>>(backpropInputRaw(erase(dy), erase(filter), { ...p, inShape: [...inShape] }));
}

/** The gradient of conv2d w.r.t. its filter, as a public (differentiable) op: maps (x, dy) to dw. */
export function conv2dBackpropFilter<const FS extends readonly number[]>(
  x: Tensor<Shape>,
  dy: Tensor<Shape>,
  filterShape: FS,
  options: Conv2dOptions<Pair, ConvPadding2d, Pair> = {},
): Tensor<[...FS]> {
  tensorArgs('conv2dBackpropFilter', { x, dy });
  const xs = dimsOf(erase(x));
  if (xs.length !== 4 || filterShape.length !== 4) throw new ShapeError('conv2dBackpropFilter', `x must be [batch, height, width, channels] and filterShape [kH, kW, inC, outC] (ranks ${xs.length} and ${filterShape.length})`);
  const p = resolveConv2d('conv2dBackpropFilter', xs, filterShape, options);
  return typed<Tensor<[...FS]>>(backpropFilterRaw(erase(x), erase(dy), { ...p, filterShape: [...filterShape] }));
}

// =============================================================================================
// conv2d / conv1d: public ops

export interface Conv2dOptions<S extends Pair, P extends ConvPadding2d, D extends Pair> {
  /** one number or [h, w] (default 1) */
  readonly strides?: S;
  /** default 'valid' */
  readonly padding?: P;
  /** one number or [h, w] (default 1) */
  readonly dilation?: D;
}

/**
 * 2-D convolution (cross-correlation, as in every DL library), NHWC.
 * x: [B, H, W, Cin], filter: [kH, kW, Cin, Cout] → [B, outH, outW, Cout].
 * The output shape is exact in the type; a filter whose Cin differs from x's, a kernel larger
 * than the (padded) input, or a bad stride/dilation fails on the filter argument.
 * No bias argument: `add(conv2d(x, w), b)`.
 */
export function conv2d<
  X extends Shape,
  F extends Shape,
  const S extends Pair = 1,
  const P extends ConvPadding2d = 'valid',
  const D extends Pair = 1,
>(
  x: Tensor<X>,
  filter: Tensor<F> & Check<Conv2dFilterShape<X, F, S, P, D>>,
  options?: Conv2dOptions<S, P, D>,
): Tensor<Result<Conv2dFilterShape<X, F, S, P, D>>> {
  tensorArgs('conv2d', { x, filter });
  optionsArg('conv2d', options, ['strides', 'padding', 'dilation']);
  const xt = erase(x);
  const ft = erase(filter);
  const p = resolveConv2d('conv2d', dimsOf(xt), dimsOf(ft), options ?? {});
  return typed<Tensor<Result<Conv2dFilterShape<X, F, S, P, D>>>>(conv2dRaw(xt, ft, p));
}

/**
 * The 1-D ops spelt the option `stride` before it became `strides` (as in conv2d and the
 * layers); an untyped caller's old spelling would otherwise be ignored and stride 1 used.
 */
function rejectStride(op: string, options: object | undefined): void {
  if (options !== undefined && 'stride' in options) throw new ShapeError(op, "the option is spelt 'strides', not 'stride'");
}

export interface Conv1dOptions<S extends number, P extends Padding, D extends number> {
  /** default 1 (spelt `strides` like conv2d's and the layers' option) */
  readonly strides?: S;
  /** 'valid' (default), 'same', 'causal' (left padding d(k - 1)) or explicit p per side */
  readonly padding?: P;
  /** default 1 */
  readonly dilation?: D;
}

/**
 * 1-D convolution over [B, L, Cin] with filter [k, Cin, Cout] → [B, outL, Cout], run as conv2d
 * with height 1. 'causal' pads d(k - 1) on the left only, so output t sees inputs <= t.
 */
export function conv1d<X extends Shape, F extends Shape, const S extends number = 1, const P extends Padding = 'valid', const D extends number = 1>(
  x: Tensor<X>,
  filter: Tensor<F> & Check<Conv1dFilterShape<X, F, S, P, D>>,
  options?: Conv1dOptions<S, P, D>,
): Tensor<Result<Conv1dFilterShape<X, F, S, P, D>>> {
  tensorArgs('conv1d', { x, filter });
  const xt = erase(x);
  const ft = erase(filter);
  const xs = dimsOf(xt);
  const fs = dimsOf(ft);
  if (fs.length !== 3) throw new ShapeError('conv1d', `filter must be [k, inC, outC] (rank ${fs.length})`);
  if (xs.length === 3 && xs[2] !== fs[1]) throw new ShapeError('conv1d', `input channels differ (${xs[2]} vs ${fs[1]})`);
  rejectStride('conv1d', options);
  optionsArg('conv1d', options, ['strides', 'padding', 'dilation']);
  const stride = options?.strides ?? 1;
  const dilation = options?.dilation ?? 1;
  const padding: Padding = options?.padding ?? 'valid';
  const out = conv1dShape(xs, fs[0]!, fs[2]!, stride, padding, dilation);
  const [l, r] =
    padding === 'valid' ? [0, 0] : padding === 'same' ? samePadding(xs[1]!, fs[0]!, stride, dilation) : padding === 'causal' ? [dilation * (fs[0]! - 1), 0] : [padding, padding];
  const y = conv2dRaw(reshapeRaw(xt, [xs[0]!, 1, xs[1]!, xs[2]!]), reshapeRaw(ft, [1, ...fs]), {
    strides: [1, stride],
    dilation: [1, dilation],
    pads: [0, 0, l, r],
  });
  return typed<Tensor<Result<Conv1dFilterShape<X, F, S, P, D>>>>(reshapeRaw(y, out));
}

// =============================================================================================
// Pooling primitives

interface PoolBackParams extends PoolParams {
  readonly inShape: readonly number[];
}

function poolGeometry(x: readonly number[], y: readonly number[], p: PoolParams): Pool2dGeometry {
  return {
    batch: x[0]!, inH: x[1]!, inW: x[2]!, channels: x[3]!,
    kH: p.k[0], kW: p.k[1], outH: y[1]!, outW: y[2]!,
    strideH: p.strides[0], strideW: p.strides[1], padTop: p.pads[0], padLeft: p.pads[2],
  };
}
const poolParams = (p: PoolParams): PoolParams => ({ k: p.k, strides: p.strides, pads: p.pads });

/** y = the max of each window (ties → the first; a NaN wins only as the first valid cell) */
export const maxPool2dP: Primitive<PoolParams> = {
  name: 'max_pool2d',
  shape(ins, p) {
    requireFloat('maxPool2d', ins);
    return [{ shape: poolOutShape('maxPool2d', dimsOf(ins[0]!), p), dtype: 'float32' }];
  },
  impl(ins, p, outs) {
    const x = ins[0]!;
    return [backend().maxPool2d(f32(x), poolGeometry(dimsOf(x), dimsOf(outs[0]!), p))];
  },
  jvp: (pr, t, _o, p) => [gatherAtRaw(t[0]!, maxPoolArgmaxRaw(pr[0]!, p), { ...poolParams(p), inShape: dimsOf(pr[0]!) })],
  vjp: (cts, pr, _o, p) => [cts[0] ? scatterToRaw(cts[0], maxPoolArgmaxRaw(pr[0]!, p), { ...poolParams(p), inShape: dimsOf(pr[0]!) }) : null],
  batch: (ins, dims, p) => batchFoldN(maxPool2dP, ins, dims, p, [true]),
};

/**
 * The flat index into x of each window's first maximum (int32), the winner maxPool2dP picks;
 * piecewise constant in x, so it has no derivative. Computed by the max-pool derivatives only.
 */
export const maxPoolArgmaxP: Primitive<PoolParams> = {
  name: 'max_pool2d_argmax',
  shape(ins, p) {
    requireFloat('maxPoolArgmax', ins);
    return [{ shape: poolOutShape('maxPoolArgmax', dimsOf(ins[0]!), p), dtype: 'int32' }];
  },
  impl(ins, p, outs) {
    const x = ins[0]!;
    return [backend().maxPool2dArgmax(f32(x), poolGeometry(dimsOf(x), dimsOf(outs[0]!), p))];
  },
  jvp: () => [null],
  vjp: () => [null],
  // folded into N, the indices run over the whole batch: each example's come back by b·(its size)
  batch: (ins, dims, p) => {
    const [outs, at] = batchFoldN(maxPoolArgmaxP, ins, dims, p, [true]);
    return [[shiftIndices(outs[0]!, ins[0]!.size / batchSize(ins, dims), -1)], at];
  },
};

function maxPoolArgmaxRaw(x: AnyTensor, p: PoolParams): AnyTensor {
  return bind1(maxPoolArgmaxP, [x], poolParams(p));
}

/**
 * out[i] = x[argmax[i]]: the max-pool jvp, linear in x (argmax is a flat index into x).
 * It carries the pool geometry so that its transpose is the max-pool scatter below.
 */
export const maxPoolGatherP: Primitive<PoolBackParams> = {
  name: 'max_pool_gather',
  nondiff: [1],
  shape(ins, p) {
    requireFloat('maxPoolGather', [ins[0]!]);
    if (!sameShape(dimsOf(ins[0]!), p.inShape)) throw new ShapeError('maxPoolGather', `x shape [${dimsOf(ins[0]!).join(', ')}] differs from the pool input [${p.inShape.join(', ')}]`);
    return [{ shape: ins[1]!.shape, dtype: 'float32' }];
  },
  impl(ins) {
    const [x, idx] = ins as [AnyTensor, AnyTensor];
    return [backend().gather(f32(x), [x.size], idx._data as Int32Array, 0) as Float32Array];
  },
  jvp: (pr, t, _o, p) => [gatherAtRaw(t[0]!, pr[1]!, p)],
  vjp: (cts, pr, _o, p) => [scatterToRaw(cts[0]!, pr[1]!, p), null],
  batch: (ins, dims, p) => batchPoolIndexed(maxPoolGatherP, ins, dims, p),
};

/** dx = zeros(inShape) with dy added at argmax: the max-pool vjp (linear in dy). */
export const maxPoolScatterP: Primitive<PoolBackParams> = {
  name: 'max_pool_scatter',
  nondiff: [1],
  shape(ins, p) {
    requireFloat('maxPoolScatter', [ins[0]!]);
    const y = poolOutShape('maxPoolScatter', p.inShape, p);
    if (!sameShape(y, dimsOf(ins[0]!))) throw new ShapeError('maxPoolScatter', `dy shape [${dimsOf(ins[0]!).join(', ')}] differs from the pool output [${y.join(', ')}]`);
    return [{ shape: p.inShape, dtype: 'float32' }];
  },
  impl(ins, p) {
    const [dy, idx] = ins as [AnyTensor, AnyTensor];
    return [backend().maxPool2dBackprop(f32(dy), idx._data as Int32Array, poolGeometry(p.inShape, dimsOf(dy), p))];
  },
  jvp: (pr, t, _o, p) => [scatterToRaw(t[0]!, pr[1]!, p)],
  vjp: (cts, pr, _o, p) => [gatherAtRaw(cts[0]!, pr[1]!, p), null],
  batch: (ins, dims, p) => batchPoolIndexed(maxPoolScatterP, ins, dims, p),
};

function gatherAtRaw(x: AnyTensor, idx: AnyTensor, p: PoolBackParams): AnyTensor {
  return bind1(maxPoolGatherP, [x, idx], p);
}
function scatterToRaw(dy: AnyTensor, idx: AnyTensor, p: PoolBackParams): AnyTensor {
  return bind1(maxPoolScatterP, [dy, idx], p);
}

export const avgPool2dP: Primitive<PoolParams> = {
  name: 'avg_pool2d',
  shape(ins, p) {
    requireFloat('avgPool2d', ins);
    return [{ shape: poolOutShape('avgPool2d', dimsOf(ins[0]!), p), dtype: 'float32' }];
  },
  impl(ins, p, outs) {
    const x = ins[0]!;
    return [backend().avgPool2d(f32(x), poolGeometry(dimsOf(x), dimsOf(outs[0]!), p))];
  },
  // linear
  jvp: (_pr, t, _o, p) => [avgPoolRaw(t[0]!, p)],
  vjp: (cts, pr, _o, p) => [avgPoolBackpropRaw(cts[0]!, { ...poolParams(p), inShape: dimsOf(pr[0]!) })],
  batch: (ins, dims, p) => batchFoldN(avgPool2dP, ins, dims, p, [true]),
};

/** the transpose of avgPool2d (linear in dy); its own transpose is avgPool2d */
export const avgPool2dBackpropP: Primitive<PoolBackParams> = {
  name: 'avg_pool2d_backprop',
  shape(ins, p) {
    requireFloat('avgPool2dBackprop', ins);
    const y = poolOutShape('avgPool2dBackprop', p.inShape, p);
    if (!sameShape(y, dimsOf(ins[0]!))) throw new ShapeError('avgPool2dBackprop', `dy shape [${dimsOf(ins[0]!).join(', ')}] differs from the pool output [${y.join(', ')}]`);
    return [{ shape: p.inShape, dtype: 'float32' }];
  },
  impl(ins, p) {
    const dy = ins[0]!;
    return [backend().avgPool2dBackprop(f32(dy), poolGeometry(p.inShape, dimsOf(dy), p))];
  },
  jvp: (_pr, t, _o, p) => [avgPoolBackpropRaw(t[0]!, p)],
  vjp: (cts, _pr, _o, p) => [avgPoolRaw(cts[0]!, poolParams(p))],
  batch: (ins, dims, p) => batchFoldN(avgPool2dBackpropP, ins, dims, p, [true], (q, n) => ({ ...q, inShape: foldShape(q.inShape, n) })),
};

function avgPoolRaw(x: AnyTensor, p: PoolParams): AnyTensor {
  return bind1(avgPool2dP, [x], poolParams(p));
}
function avgPoolBackpropRaw(dy: AnyTensor, p: PoolBackParams): AnyTensor {
  return bind1(avgPool2dBackpropP, [dy], p);
}
function maxPoolRaw(x: AnyTensor, p: PoolParams): AnyTensor {
  return bind1(maxPool2dP, [x], poolParams(p));
}

// =============================================================================================
// Pooling: public ops

export interface Pool2dOptions<K extends Pair, S extends Pair, P extends PoolPadding> {
  /** one number or [h, w] (default 2) */
  readonly poolSize?: K;
  /** default: the pool size (Keras) */
  readonly strides?: S;
  /** 'valid' (default) or 'same' */
  readonly padding?: P;
}
export interface Pool1dOptions<K extends number, S extends number, P extends PoolPadding> {
  /** default 2 */
  readonly poolSize?: K;
  /** default: the pool size (Keras) */
  readonly strides?: S;
  readonly padding?: P;
}

export type Pool2dOut<X extends Shape, K extends Pair, S extends Pair, P extends PoolPadding> = Tensor<Result<Pool2dShape<X, K, S, P>>>;
export type Pool1dOut<X extends Shape, K extends number, S extends number, P extends PoolPadding> = Tensor<Result<Pool1dShape<X, K, S, P>>>;

/** Max over poolSize windows of [B, H, W, C] → [B, outH, outW, C] (ties → first max). */
export function maxPool2d<X extends Shape, const K extends Pair = 2, const S extends Pair = K, const P extends PoolPadding = 'valid'>(
  x: Tensor<X> & Check<Pool2dShape<X, K, S, P>>,
  options?: Pool2dOptions<K, S, P>,
): Pool2dOut<X, K, S, P> {
  tensorArgs('maxPool2d', { x });
  optionsArg('maxPool2d', options, ['poolSize', 'strides', 'padding']);
  const t = erase(x);
  return typed<Pool2dOut<X, K, S, P>>(maxPoolRaw(t, resolvePool2d(dimsOf(t), options ?? {})));
}

/** Mean over poolSize windows of [B, H, W, C] → [B, outH, outW, C] (padding excluded from the count). */
export function avgPool2d<X extends Shape, const K extends Pair = 2, const S extends Pair = K, const P extends PoolPadding = 'valid'>(
  x: Tensor<X> & Check<Pool2dShape<X, K, S, P>>,
  options?: Pool2dOptions<K, S, P>,
): Pool2dOut<X, K, S, P> {
  tensorArgs('avgPool2d', { x });
  optionsArg('avgPool2d', options, ['poolSize', 'strides', 'padding']);
  const t = erase(x);
  return typed<Pool2dOut<X, K, S, P>>(avgPoolRaw(t, resolvePool2d(dimsOf(t), options ?? {})));
}

function pool1d(kind: 'max' | 'avg', x: AnyTensor, options: Pool1dOptionValues): AnyTensor {
  rejectStride(`${kind}Pool1d`, options);
  const xs = dimsOf(x);
  const { p, out } = resolvePool1d(xs, options);
  const x4 = reshapeRaw(x, [xs[0]!, 1, xs[1]!, xs[2]!]);
  return reshapeRaw(kind === 'max' ? maxPoolRaw(x4, p) : avgPoolRaw(x4, p), out);
}

/** Max over windows of [B, L, C] → [B, outL, C]. */
export function maxPool1d<X extends Shape, const K extends number = 2, const S extends number = K, const P extends PoolPadding = 'valid'>(
  x: Tensor<X> & Check<Pool1dShape<X, K, S, P>>,
  options?: Pool1dOptions<K, S, P>,
): Pool1dOut<X, K, S, P> {
  tensorArgs('maxPool1d', { x });
  rejectStride('maxPool1d', options);
  optionsArg('maxPool1d', options, ['poolSize', 'strides', 'padding']);
  return typed<Pool1dOut<X, K, S, P>>(pool1d('max', erase(x), options ?? {}));
}

/** Mean over windows of [B, L, C] → [B, outL, C]. */
export function avgPool1d<X extends Shape, const K extends number = 2, const S extends number = K, const P extends PoolPadding = 'valid'>(
  x: Tensor<X> & Check<Pool1dShape<X, K, S, P>>,
  options?: Pool1dOptions<K, S, P>,
): Pool1dOut<X, K, S, P> {
  tensorArgs('avgPool1d', { x });
  rejectStride('avgPool1d', options);
  optionsArg('avgPool1d', options, ['poolSize', 'strides', 'padding']);
  return typed<Pool1dOut<X, K, S, P>>(pool1d('avg', erase(x), options ?? {}));
}

function globalPool(kind: 'max' | 'avg', x: AnyTensor, rank: 3 | 4): AnyTensor {
  const xs = dimsOf(x);
  const op = rank === 4 ? 'globalPool2d' : 'globalPool1d';
  if (xs.length !== rank) {
    throw new ShapeError(op, rank === 4 ? `input must be [batch, height, width, channels] (rank ${xs.length})` : `input must be [batch, length, channels] (rank ${xs.length})`);
  }
  const [b, h, w, c] = rank === 4 ? (xs as [number, number, number, number]) : [xs[0]!, 1, xs[1]!, xs[2]!];
  if (h * w === 0) throw new ShapeError(op, `spatial size must be >= 1 ([${xs.join(', ')}])`);
  if (kind === 'avg') return mulRaw(sumRaw(x, rank === 4 ? [1, 2] : [1], false), 1 / (h * w));
  // one window over the whole map: ties go to the first max, as in maxPool2d
  return reshapeRaw(maxPoolRaw(reshapeRaw(x, [b, h, w, c]), { k: [h, w], strides: [h, w], pads: [0, 0, 0, 0] }), [b, c]);
}

/** Max over H and W: [B, H, W, C] → [B, C] (ties → first max). */
export function globalMaxPool2d<X extends Shape>(x: Tensor<X> & Check<GlobalPool2dShape<X>>): Tensor<Result<GlobalPool2dShape<X>>> {
  tensorArgs('globalMaxPool2d', { x });
  return typed<Tensor<Result<GlobalPool2dShape<X>>>>(globalPool('max', erase(x), 4));
}
/** Mean over H and W: [B, H, W, C] → [B, C]. */
export function globalAvgPool2d<X extends Shape>(x: Tensor<X> & Check<GlobalPool2dShape<X>>): Tensor<Result<GlobalPool2dShape<X>>> {
  tensorArgs('globalAvgPool2d', { x });
  return typed<Tensor<Result<GlobalPool2dShape<X>>>>(globalPool('avg', erase(x), 4));
}
/** Max over L: [B, L, C] → [B, C]. */
export function globalMaxPool1d<X extends Shape>(x: Tensor<X> & Check<GlobalPool1dShape<X>>): Tensor<Result<GlobalPool1dShape<X>>> {
  tensorArgs('globalMaxPool1d', { x });
  return typed<Tensor<Result<GlobalPool1dShape<X>>>>(globalPool('max', erase(x), 3));
}
/** Mean over L: [B, L, C] → [B, C]. */
export function globalAvgPool1d<X extends Shape>(x: Tensor<X> & Check<GlobalPool1dShape<X>>): Tensor<Result<GlobalPool1dShape<X>>> {
  tensorArgs('globalAvgPool1d', { x });
  return typed<Tensor<Result<GlobalPool1dShape<X>>>>(globalPool('avg', erase(x), 3));
}
