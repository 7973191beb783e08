/**
 * Activations: sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus (shape-preserving, float32),
 * softmax / logSoftmax along one axis, and logSumExp over axes.
 *
 * Each is one primitive whose kernel is numerically stable (see src/backend/cpu): no overflow
 * from large finite inputs, softmax([1000, 0]) = [1, 0]. Derivative rules are written with
 * public ops, reusing the output where that is cheaper (sigmoid' = y(1 - y), tanh' = 1 - y²,
 * softmax' via y, logSoftmax' via exp(y)), so they are differentiable again.
 *
 * Kink conventions: relu'(0) = 0, leakyRelu'(0) = alpha, elu'(0) = alpha (the x <= 0 branch,
 * as PyTorch; with the default alpha = 1 both sides agree).
 */
import { backend } from '../backend';
import type { UnaryOp } from '../backend/backend';
import type { Dim, Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { normalizeAxis, reduceShape, type Axis, type Check, type ReduceShape, type Result } from '../shape/rules';
import type { Tensor } from '../tensor/tensor';
import { erase, typed } from '../tensor/untyped';
import { bind1, type AVal, type AnyTensor, type Primitive } from '../autodiff/core';
import { addRaw, compareRaw, expRaw, greaterP, mulRaw, squareRaw, subRaw, unaryPrimitive, whereRaw } from './elementwise';
import { broadcastToRaw, reshapeRaw, sumRaw, type ReduceParams } from './reduce-core';
import { normalizeAxes, reducedShape } from '../shape/rules';
import { tensorArgs } from '../tensor/validate';
import { batchOneAxis, batchReduce, batchSameAxis } from './batch-rules';

const f32 = (x: AnyTensor) => x._data as Float32Array;
const k = (op: UnaryOp) => (x: Float32Array) => backend().unary(op, x);

function requireFloat(op: string, a: AVal): void {
  if (a.dtype !== 'float32') throw new ShapeError(op, `expects float32, got ${a.dtype}`);
}

function unary<S extends Shape>(prim: Primitive<null>, x: Tensor<S>): Tensor<S> {
  return typed<Tensor<S>>(bind1(prim, [erase(x)], null));
}

// ---------------------------------------------------------------- point-wise activations

/** step(x) = x > 0 ? 1 : 0: the relu derivative; its own derivative is zero. */
export const stepP = unaryPrimitive('step', k('step'), null);
const stepRaw = (x: AnyTensor): AnyTensor => bind1(stepP, [x], null);

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** the standard normal density, with ops (so it is differentiable) */
const normalPdf = (x: AnyTensor): AnyTensor => mulRaw(expRaw(mulRaw(squareRaw(x), -0.5)), INV_SQRT_2PI);

/**
 * Φ(x), the standard normal CDF (gelu'(x) = Φ(x) + x·φ(x)). The kernel interface has no erf, so
 * Φ is read off the exact gelu kernel: Φ(x) = gelu(x) / x, which keeps float32 relative accuracy
 * (the gelu kernel is accurate in its negative tail); Φ(0) = 1/2, and |x| is clipped to 40, where
 * Φ is already 0 or 1 in float32, so ±∞ give 0 and 1 instead of ∞/∞.
 */
export const normalCdfP: Primitive<null> = {
  name: 'normal_cdf',
  shape(ins) {
    requireFloat('normalCdf', ins[0]!);
    return [ins[0]!];
  },
  impl(ins) {
    const b = backend();
    const shape = ins[0]!.shape as readonly number[];
    const xc = b.clip(f32(ins[0]!), -40, 40);
    const q = b.binary('div', b.unary('gelu', xc), shape, xc, shape, shape);
    const isZero = b.compare('eq', xc, shape, new Float32Array(1), [], shape);
    return [b.where(isZero, shape, Float32Array.of(0.5), [], q, shape, shape)];
  },
  jvp: (p, t) => [mulRaw(t[0]!, normalPdf(p[0]!))],
  vjp: (cts, p) => [mulRaw(cts[0]!, normalPdf(p[0]!))],
  batch: (ins, dims) => batchSameAxis(normalCdfP, ins, dims, null),
};
const normalCdf = (x: AnyTensor): AnyTensor => bind1(normalCdfP, [x], null);

export const sigmoidP = unaryPrimitive('sigmoid', k('sigmoid'), (_x, y) => mulRaw(y, subRaw(1, y)));
export const tanhP = unaryPrimitive('tanh', k('tanh'), (_x, y) => subRaw(1, squareRaw(y)));
export const reluP = unaryPrimitive('relu', k('relu'), (x) => stepRaw(x));
export const geluP = unaryPrimitive('gelu', k('gelu'), (x) => addRaw(normalCdf(x), mulRaw(x, normalPdf(x))));
export const softplusP = unaryPrimitive('softplus', k('softplus'), (x) => sigmoidRaw(x));

// untyped cores
export const sigmoidRaw = (x: AnyTensor): AnyTensor => bind1(sigmoidP, [x], null);
export const tanhRaw = (x: AnyTensor): AnyTensor => bind1(tanhP, [x], null);
export const reluRaw = (x: AnyTensor): AnyTensor => bind1(reluP, [x], null);
export const geluRaw = (x: AnyTensor): AnyTensor => bind1(geluP, [x], null);
export const softplusRaw = (x: AnyTensor): AnyTensor => bind1(softplusP, [x], null);

/** 1 / (1 + e^-x), without overflow for large |x| */
export const sigmoid = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(sigmoidP, x);
export const tanh = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(tanhP, x);
/** max(x, 0); relu'(0) = 0 */
export const relu = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(reluP, x);
/** exact GELU x·Φ(x) (the erf form: tfjs-layers' 'gelu', PyTorch's default, not the tanh approximation) */
export const gelu = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(geluP, x);
/** log(1 + e^x), stable for large |x| (softplus(100) = 100, softplus(-100) = e^-100) */
export const softplus = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(softplusP, x);

interface AlphaParams {
  readonly alpha: number;
}

function alphaPrimitive(name: 'leaky_relu' | 'elu', op: 'leakyRelu' | 'elu', kernel: (x: Float32Array, alpha: number) => Float32Array, deriv: (x: AnyTensor, y: AnyTensor, alpha: number) => AnyTensor): Primitive<AlphaParams> {
  const prim: Primitive<AlphaParams> = {
    name,
    shape(ins, p) {
      requireFloat(op, ins[0]!);
      if (!Number.isFinite(p.alpha)) throw new RangeError(`${op}: alpha must be finite, got ${p.alpha}`);
      return [ins[0]!];
    },
    impl: (ins, p) => [kernel(f32(ins[0]!), p.alpha)],
    jvp: (pr, t, o, p) => [mulRaw(t[0]!, deriv(pr[0]!, o[0]!, p.alpha))],
    vjp: (cts, pr, o, p) => [mulRaw(cts[0]!, deriv(pr[0]!, o[0]!, p.alpha))],
    batch: (ins, dims, p) => batchSameAxis(prim, ins, dims, p),
  };
  return prim;
}

// leakyRelu' = 1 for x > 0, alpha for x <= 0, i.e. alpha + (1 - alpha)·step(x)
export const leakyReluP = alphaPrimitive('leaky_relu', 'leakyRelu', (x, a) => backend().leakyRelu(x, a), (x, _y, a) => addRaw(mulRaw(stepRaw(x), 1 - a), a));
// elu' = 1 for x > 0, alpha·e^x = y + alpha for x <= 0
export const eluP = alphaPrimitive('elu', 'elu', (x, a) => backend().elu(x, a), (x, y, a) => whereRaw(compareRaw(greaterP, x, 0), 1, addRaw(y, a)));

/** x for x > 0, alpha·x otherwise; alpha defaults to 0.2 like tf.leakyRelu (PyTorch uses 0.01) */
export function leakyRelu<S extends Shape>(x: Tensor<S>, alpha = 0.2): Tensor<S> {
  tensorArgs('leakyRelu', { x });
  return typed<Tensor<S>>(bind1(leakyReluP, [erase(x)], { alpha }));
}

/** x for x > 0, alpha·(e^x - 1) otherwise (tf.elu is alpha = 1) */
export function elu<S extends Shape>(x: Tensor<S>, alpha = 1): Tensor<S> {
  tensorArgs('elu', { x });
  return typed<Tensor<S>>(bind1(eluP, [erase(x)], { alpha }));
}

// ---------------------------------------------------------------- softmax, logSoftmax

interface AxisParams {
  /** normalised to [0, rank) */
  readonly axis: number;
}

/**
 * Runs a fused last-axis kernel along any axis: directly when every dim after the axis is 1,
 * otherwise moving the axis last with the transpose kernel and back again.
 */
function alongAxis(kernel: 'softmax' | 'logSoftmax', x: AnyTensor, axis: number, into?: Float32Array): Float32Array {
  const b = backend();
  const shape = x.shape as readonly number[];
  const rank = shape.length;
  const cols = shape[axis]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  let inner = 1;
  for (let i = axis + 1; i < rank; i++) inner *= shape[i]!;
  if (inner === 1) return b[kernel](f32(x), rows, cols, into);
  const perm: number[] = [];
  for (let i = 0; i < rank; i++) if (i !== axis) perm.push(i);
  perm.push(axis);
  const moved = perm.map((i) => shape[i]!);
  const inv = new Array<number>(rank);
  perm.forEach((p, i) => (inv[p] = i));
  const y = b[kernel](b.transpose(f32(x), shape, perm) as Float32Array, rows, cols);
  return b.transpose(y, moved, inv) as Float32Array;
}

function softmaxShape(op: string) {
  return (ins: readonly AVal[], p: AxisParams): AVal[] => {
    requireFloat(op, ins[0]!);
    normalizeAxis(p.axis, ins[0]!.shape.length, op);
    return [ins[0]!];
  };
}

/** Σ over the axis, kept, for the derivative rules */
const sumAxis = (x: AnyTensor, axis: number): AnyTensor => sumRaw(x, [axis], true);

// softmax: dy = y ⊙ (dx − Σ dx ⊙ y); the same form for the cotangent
const softmaxLinear = (d: AnyTensor, y: AnyTensor, axis: number): AnyTensor => mulRaw(y, subRaw(d, sumAxis(mulRaw(d, y), axis)));
export const softmaxP: Primitive<AxisParams> = {
  name: 'softmax',
  shape: softmaxShape('softmax'),
  impl: (ins, p, _o, into) => [alongAxis('softmax', ins[0]!, p.axis, into?.[0] as Float32Array | undefined)],
  jvp: (_pr, t, o, p) => [softmaxLinear(t[0]!, o[0]!, p.axis)],
  vjp: (cts, _pr, o, p) => [softmaxLinear(cts[0]!, o[0]!, p.axis)],
  batch: (ins, dims, p) => batchOneAxis(softmaxP, false, ins, dims, p),
};

// logSoftmax (y = log s, s = e^y): jvp dx − Σ(s ⊙ dx), vjp g − s·Σg. The jvp broadcasts Σ
// explicitly: nested jvp may see dx as a constant, and the binary ops' jvp rules do not
// broadcast a lone tangent of the smaller operand to the output shape.
export const logSoftmaxP: Primitive<AxisParams> = {
  name: 'log_softmax',
  shape: softmaxShape('logSoftmax'),
  impl: (ins, p, _o, into) => [alongAxis('logSoftmax', ins[0]!, p.axis, into?.[0] as Float32Array | undefined)],
  jvp: (_pr, t, o, p) => {
    const dx = t[0]!;
    const s = sumAxis(mulRaw(expRaw(o[0]!), dx), p.axis);
    return [subRaw(dx, broadcastToRaw(s, dx.shape as readonly number[]))];
  },
  vjp: (cts, _pr, o, p) => [subRaw(cts[0]!, mulRaw(expRaw(o[0]!), sumAxis(cts[0]!, p.axis)))],
  batch: (ins, dims, p) => batchOneAxis(logSoftmaxP, false, ins, dims, p),
};

/**
 * exp(x) / Σ exp(x) along `axis` (default -1), shifted by the max so large finite logits are
 * safe. A rank-0 tensor has no axis and is rejected.
 */
export function softmax<S extends Shape, const Ax extends number = -1>(x: Tensor<S> & Check<Axis<S, Ax, 'softmax'>>, axis?: Ax): Tensor<S> {
  tensorArgs('softmax', { x });
  return typed<Tensor<S>>(softmaxRaw(erase(x), axis ?? -1));
}
/** untyped core of `softmax` (any axis, negative from the end) */
export function softmaxRaw(x: AnyTensor, axis = -1): AnyTensor {
  return bind1(softmaxP, [x], { axis: normalizeAxis(axis, x.shape.length, 'softmax') });
}

/** x − logSumExp(x) along `axis` (default -1): finite for all finite logits (no log of an underflowed 0). */
export function logSoftmax<S extends Shape, const Ax extends number = -1>(x: Tensor<S> & Check<Axis<S, Ax, 'logSoftmax'>>, axis?: Ax): Tensor<S> {
  tensorArgs('logSoftmax', { x });
  return typed<Tensor<S>>(logSoftmaxRaw(erase(x), axis ?? -1));
}
/** untyped core of `logSoftmax` */
export function logSoftmaxRaw(x: AnyTensor, axis = -1): AnyTensor {
  return bind1(logSoftmaxP, [x], { axis: normalizeAxis(axis, x.shape.length, 'logSoftmax') });
}

// ---------------------------------------------------------------- logSumExp

/** exp(x − lse), the weights of the lse derivative (lse kept-dims so it broadcasts against x) */
function lseWeights(x: AnyTensor, out: AnyTensor, p: ReduceParams): AnyTensor {
  const kept = reshapeRaw(out, reducedShape(x.shape as readonly number[], p.axes, true));
  return expRaw(subRaw(x, kept));
}

export const logSumExpP: Primitive<ReduceParams> = {
  name: 'log_sum_exp',
  shape(ins, p) {
    const x = ins[0]!;
    requireFloat('logSumExp', x);
    return [{ shape: reducedShape(x.shape, p.axes, p.keepDims), dtype: 'float32' }];
  },
  impl(ins, p) {
    const b = backend();
    const x = ins[0]!;
    const xs = x.shape as readonly number[];
    // Over no axes, log(exp(x)) is x itself.
    if (p.axes.length === 0) return [f32(x).slice()];
    const ks = reducedShape(xs, p.axes, true);
    const m = b.reduce('max', f32(x), xs, p.axes);
    // Shift by the max where it is finite; a row of -∞ (or holding +∞) is shifted by 0 instead,
    // giving -∞ (or +∞) rather than the NaN of ∞ − ∞.
    const finite = b.compare('lt', b.unary('abs', m), ks, Float32Array.of(Infinity), [], ks);
    const shift = b.where(finite, ks, m, ks, new Float32Array(1), [], ks);
    const s = b.reduce('sum', b.unary('exp', b.binary('sub', f32(x), xs, shift, ks, xs)), xs, p.axes);
    return [b.binary('add', b.unary('log', s), ks, shift, ks, ks)];
  },
  // d lse = Σ softmax(x) ⊙ dx
  jvp: (pr, t, o, p) => [sumRaw(mulRaw(t[0]!, lseWeights(pr[0]!, o[0]!, p)), p.axes, p.keepDims)],
  vjp(cts, pr, o, p) {
    const g = reshapeRaw(cts[0]!, reducedShape(pr[0]!.shape as readonly number[], p.axes, true));
    return [mulRaw(g, lseWeights(pr[0]!, o[0]!, p))];
  },
  batch: (ins, dims, p) => batchReduce(logSumExpP, ins, dims, p),
};

/**
 * log Σ exp(x) over `axes` (default all), computed as m + log Σ exp(x − m) with m the max, so
 * it neither overflows nor underflows; an all -∞ reduction gives -∞.
 */
export function logSumExp<S extends Shape, const Ax extends number | readonly number[] | undefined = undefined, K extends boolean = false>(
  x: Tensor<S> & Check<ReduceShape<S, Ax, K>>,
  axes?: Ax,
  keepDims?: K,
): Tensor<Result<ReduceShape<S, Ax, K>>> {
  tensorArgs('logSumExp', { x });
  return typed<Tensor<Result<ReduceShape<S, Ax, K>>>>(logSumExpRaw(erase(x), axes as number | readonly number[] | undefined, keepDims ?? false));
}
/** untyped core of `logSumExp` */
export function logSumExpRaw(x: AnyTensor, axes: number | readonly number[] | undefined, keepDims: boolean): AnyTensor {
  const shape = x.shape as readonly number[];
  reduceShape(shape, axes, keepDims); // the type rule's ShapeError when types were bypassed
  return bind1(logSumExpP, [x], { axes: normalizeAxes(axes, shape.length, 'reduce'), keepDims });
}
