/**
 * Reductions over axes: sum (from ./reduce-core), mean, max, min, prod, variance, norm, and
 * argmax / argmin along one axis.
 *
 * Axes: one axis, a tuple of axes, or undefined (= all); negative axes count from the end;
 * `[]` reduces nothing. keepDims keeps reduced dims as 1. The result shape is `ReduceShape`
 * in the type and `reduceShape` (same words) at run time.
 *
 * Conventions:
 * - max / min: the gradient is shared evenly among the elements that attain the extremum
 *   (ties split, as JAX; tfjs gives each tied element the full gradient).
 * - mean over zero elements is NaN (0 / 0, as NumPy and PyTorch; tfjs returns 0).
 * - variance is the population (biased) variance, as tf.moments.
 * - norm is the L2 norm, scaled by the max |x| so it neither overflows nor underflows; its
 *   gradient x / ‖x‖ is taken as 0 where ‖x‖ = 0 (a subgradient, no NaN).
 * - prod's gradient is the product of the other elements, exact when the reduced group holds
 *   zeros; its second derivative is exact away from zeros only.
 * - argmax / argmin: int32, first index on ties, NaN counts as the extremum; no gradient.
 */
import { backend } from '../backend';
import type { Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { normalizeAxis, reduceShape, type Axis, type Check, type ReduceShape, type Result } from '../shape/rules';
import type { Tensor } from '../tensor/tensor';
import { bind1, type AVal, type Primitive } from '../autodiff/core';
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { castRaw, compareRaw, divRaw, equalP, greaterP, mulRaw, squareRaw, subRaw, whereRaw } from './elementwise';
import { reshapeRaw, sumRaw, type ReduceParams } from './reduce-core';
import { normalizeAxes, reducedShape } from '../shape/rules';
import { tensorArgs } from '../tensor/validate';
import { batchOneAxis, batchReduce } from './batch-rules';

export { sum } from './reduce-core';

const f32 = (x: AnyTensor) => x._data as Float32Array;
/** a bool mask as 0/1 floats */
const mask = (m: AnyTensor): AnyTensor => castRaw(m, 'float32');
const equalRaw = (a: AnyTensor | number, b: AnyTensor | number) => compareRaw(equalP, a, b);

export type AxesArg = number | readonly number[] | undefined;
export type ReduceOut<S extends Shape, Ax extends AxesArg, K extends boolean> = Tensor<Result<ReduceShape<S, Ax, K>>>;

function requireFloat(op: string, a: AVal): void {
  if (a.dtype !== 'float32') throw new ShapeError(op, `expects float32, got ${a.dtype}`);
}

/** Check the axes with the type rule's runtime twin, then normalise them (sorted, non-negative). */
function reduceParams(x: AnyTensor, axes: AxesArg, keepDims: boolean | undefined, op: string): ReduceParams {
  const shape = x.shape as readonly number[];
  reduceShape(shape, axes, keepDims ?? false, op);
  return { axes: normalizeAxes(axes, shape.length, op), keepDims: keepDims ?? false };
}

const keptShape = (x: AnyTensor, p: ReduceParams) => reducedShape(x.shape as readonly number[], p.axes, true);
/** a reduced tensor (or cotangent) reshaped to keepDims form, so it broadcasts against the input */
const kept = (r: AnyTensor, x: AnyTensor, p: ReduceParams): AnyTensor => reshapeRaw(r, keptShape(x, p));
const countOf = (x: AnyTensor, p: ReduceParams): number => p.axes.reduce((n, a) => n * (x.shape[a] as number), 1);

/**
 * A reduction primitive given the derivative of its output with respect to each input element
 * (a tensor of the input's shape, written with ops): jvp = Σ t ⊙ d, vjp = g ⊙ d.
 */
function reducePrimitive(op: 'max' | 'min' | 'prod' | 'norm', kernel: (x: AnyTensor, p: ReduceParams) => Float32Array, partials: (x: AnyTensor, out: AnyTensor, p: ReduceParams) => AnyTensor): Primitive<ReduceParams> {
  const prim: Primitive<ReduceParams> = {
    name: op,
    shape(ins, p) {
      const x = ins[0]!;
      requireFloat(op, x);
      return [{ shape: reducedShape(x.shape, p.axes, p.keepDims), dtype: 'float32' }];
    },
    impl: (ins, p) => [kernel(ins[0]!, p)],
    jvp: (pr, t, o, p) => [sumRaw(mulRaw(t[0]!, partials(pr[0]!, o[0]!, p)), p.axes, p.keepDims)],
    vjp: (cts, pr, o, p) => [mulRaw(kept(cts[0]!, pr[0]!, p), partials(pr[0]!, o[0]!, p))],
    batch: (ins, dims, p) => batchReduce(prim, ins, dims, p),
  };
  return prim;
}

function reduceKernel(op: 'max' | 'min' | 'prod') {
  return (x: AnyTensor, p: ReduceParams): Float32Array =>
    p.axes.length === 0 ? f32(x).slice() : backend().reduce(op, f32(x), x.shape as readonly number[], p.axes);
}

// Each element attaining the extremum gets 1 / (number of such elements in its group).
function extremumPartials(x: AnyTensor, out: AnyTensor, p: ReduceParams): AnyTensor {
  const hit = mask(equalRaw(x, kept(out, x, p)));
  return divRaw(hit, sumRaw(hit, p.axes, true));
}

export const maxP = reducePrimitive('max', reduceKernel('max'), extremumPartials);
export const minP = reducePrimitive('min', reduceKernel('min'), extremumPartials);

// ∂ prod / ∂x_i = Π_{j≠i} x_j, without dividing by zero: with no zero in the group it is
// prod / x_i; with one zero only that element gets the product of the others; with more, all 0.
function prodPartials(x: AnyTensor, _out: AnyTensor, p: ReduceParams): AnyTensor {
  const isZero = equalRaw(x, 0);
  const nonZero = whereRaw(isZero, 1, x);
  const rest = bind1(prodP, [nonZero], { axes: p.axes, keepDims: true });
  const zeros = sumRaw(mask(isZero), p.axes, true);
  const atZero = mulRaw(rest, mask(equalRaw(zeros, 1)));
  const elsewhere = mulRaw(divRaw(rest, nonZero), mask(equalRaw(zeros, 0)));
  return whereRaw(isZero, atZero, elsewhere);
}
export const prodP: Primitive<ReduceParams> = reducePrimitive('prod', reduceKernel('prod'), prodPartials);

/**
 * ‖x‖ = m·√Σ(x/m)² with m = max |x| per group (1 where m = 0), so squares neither overflow
 * (|x| ~ 1e20) nor underflow (|x| ~ 1e-25); a group holding ±∞ gives ∞.
 */
function normKernel(x: AnyTensor, p: ReduceParams): Float32Array {
  const b = backend();
  const abs = b.unary('abs', f32(x));
  if (p.axes.length === 0) return abs;
  const xs = x.shape as readonly number[];
  const ks = keptShape(x, p);
  const m = b.reduce('max', abs, xs, p.axes);
  const zero = new Float32Array(1);
  const scale = b.where(b.compare('gt', m, ks, zero, [], ks), ks, m, ks, Float32Array.of(1), [], ks);
  const ss = b.reduce('sum', b.unary('square', b.binary('div', abs, xs, scale, ks, xs)), xs, p.axes);
  const n = b.binary('mul', b.unary('sqrt', ss), ks, scale, ks, ks);
  const inf = Float32Array.of(Infinity);
  return b.where(b.compare('eq', m, ks, inf, [], ks), ks, inf, [], n, ks, ks);
}
// ∂‖x‖/∂x = x / ‖x‖, and 0 where ‖x‖ = 0 (then x = 0 too, so dividing by 1 gives it)
function normPartials(x: AnyTensor, out: AnyTensor, p: ReduceParams): AnyTensor {
  const n = kept(out, x, p);
  return divRaw(x, whereRaw(compareRaw(greaterP, n, 0), n, 1));
}
export const normP: Primitive<ReduceParams> = reducePrimitive('norm', normKernel, normPartials);

/** the untyped core of max / min / prod / norm */
export function reduceRaw(prim: Primitive<ReduceParams>, x: AnyTensor, axes: AxesArg, keepDims?: boolean): AnyTensor {
  return bind1(prim, [x], reduceParams(x, axes, keepDims, 'reduce'));
}
function reduceWith<S extends Shape, Ax extends AxesArg, K extends boolean>(prim: Primitive<ReduceParams>, x: Tensor<S>, axes: Ax | undefined, keepDims: K | undefined): ReduceOut<S, Ax, K> {
  return typed<ReduceOut<S, Ax, K>>(reduceRaw(prim, erase(x), axes, keepDims));
}

/** Maximum over `axes` (default all). The gradient is split evenly among tied maxima. */
export function max<S extends Shape, const Ax extends AxesArg = undefined, K extends boolean = false>(x: Tensor<S> & Check<ReduceShape<S, Ax, K>>, axes?: Ax, keepDims?: K): ReduceOut<S, Ax, K> {
  tensorArgs('max', { x });
  return reduceWith(maxP, x, axes, keepDims);
}

/** Minimum over `axes` (default all). The gradient is split evenly among tied minima. */
export function min<S extends Shape, const Ax extends AxesArg = undefined, K extends boolean = false>(x: Tensor<S> & Check<ReduceShape<S, Ax, K>>, axes?: Ax, keepDims?: K): ReduceOut<S, Ax, K> {
  tensorArgs('min', { x });
  return reduceWith(minP, x, axes, keepDims);
}

/** Product over `axes` (default all). */
export function prod<S extends Shape, const Ax extends AxesArg = undefined, K extends boolean = false>(x: Tensor<S> & Check<ReduceShape<S, Ax, K>>, axes?: Ax, keepDims?: K): ReduceOut<S, Ax, K> {
  tensorArgs('prod', { x });
  return reduceWith(prodP, x, axes, keepDims);
}

/** L2 norm √Σx² over `axes` (default all), overflow-safe; gradient x/‖x‖, 0 at 0. */
export function norm<S extends Shape, const Ax extends AxesArg = undefined, K extends boolean = false>(x: Tensor<S> & Check<ReduceShape<S, Ax, K>>, axes?: Ax, keepDims?: K): ReduceOut<S, Ax, K> {
  tensorArgs('norm', { x });
  return reduceWith(normP, x, axes, keepDims);
}

/** Arithmetic mean over `axes` (default all): sum / count. */
export function mean<S extends Shape, const Ax extends AxesArg = undefined, K extends boolean = false>(x: Tensor<S> & Check<ReduceShape<S, Ax, K>>, axes?: Ax, keepDims?: K): ReduceOut<S, Ax, K> {
  tensorArgs('mean', { x });
  return typed<ReduceOut<S, Ax, K>>(meanRaw(erase(x), axes, keepDims));
}
export function meanRaw(x: AnyTensor, axes: AxesArg, keepDims?: boolean): AnyTensor {
  const p = reduceParams(x, axes, keepDims, 'reduce');
  return divRaw(sumRaw(x, p.axes, p.keepDims), countOf(x, p));
}

/** Population variance mean((x − mean(x))²) over `axes` (default all), two-pass. */
export function variance<S extends Shape, const Ax extends AxesArg = undefined, K extends boolean = false>(x: Tensor<S> & Check<ReduceShape<S, Ax, K>>, axes?: Ax, keepDims?: K): ReduceOut<S, Ax, K> {
  tensorArgs('variance', { x });
  return typed<ReduceOut<S, Ax, K>>(varianceRaw(erase(x), axes, keepDims));
}
export function varianceRaw(x: AnyTensor, axes: AxesArg, keepDims?: boolean): AnyTensor {
  const p = reduceParams(x, axes, keepDims, 'reduce');
  const n = countOf(x, p);
  const centred = subRaw(x, divRaw(sumRaw(x, p.axes, true), n));
  return divRaw(sumRaw(squareRaw(centred), p.axes, p.keepDims), n);
}

// ---------------------------------------------------------------- argmax, argmin

interface ArgParams {
  readonly axis: number;
}

function argPrimitive(op: 'max' | 'min'): Primitive<ArgParams> {
  const name = op === 'max' ? 'argmax' : 'argmin';
  const prim: Primitive<ArgParams> = {
    name,
    shape(ins, p) {
      const x = ins[0]!;
      requireFloat(name, x);
      const out = reducedShape(x.shape, [p.axis], false);
      if (x.shape[p.axis] === 0 && out.every((d) => d > 0)) throw new ShapeError(name, `axis ${p.axis} is empty (size 0): no index to return`);
      return [{ shape: out, dtype: 'int32' }];
    },
    impl: (ins, p) => [backend().argReduce(op, f32(ins[0]!), ins[0]!.shape as readonly number[], p.axis)],
    // an index is piecewise constant in x
    jvp: () => [null],
    vjp: () => [null],
    batch: (ins, dims, p) => batchOneAxis(prim, true, ins, dims, p),
  };
  return prim;
}
export const argmaxP = argPrimitive('max');
export const argminP = argPrimitive('min');

export type ArgOut<S extends Shape, Ax extends number> = Tensor<Result<ReduceShape<S, Ax, false>>, 'int32'>;

/** Index (int32) of the largest element along `axis` (default -1; first on ties); the axis is removed. */
export function argmax<S extends Shape, const Ax extends number = -1>(x: Tensor<S> & Check<Axis<S, Ax, 'argmax'>>, axis?: Ax): ArgOut<S, Ax> {
  tensorArgs('argmax', { x });
  return typed<ArgOut<S, Ax>>(argRaw(argmaxP, erase(x), axis ?? -1));
}
/** the untyped core of argmax / argmin */
export function argRaw(prim: Primitive<ArgParams>, x: AnyTensor, axis = -1): AnyTensor {
  return bind1(prim, [x], { axis: normalizeAxis(axis, x.shape.length, prim.name) });
}

/** Index (int32) of the smallest element along `axis` (default -1; first on ties); the axis is removed. */
export function argmin<S extends Shape, const Ax extends number = -1>(x: Tensor<S> & Check<Axis<S, Ax, 'argmin'>>, axis?: Ax): ArgOut<S, Ax> {
  tensorArgs('argmin', { x });
  return typed<ArgOut<S, Ax>>(argRaw(argminP, erase(x), axis ?? -1));
}
