/**
 * Losses: differentiable tensor functions returning a scalar `Tensor<[]>` (the mean over every
 * position) unless another reduction is asked for.
 *
 * Reductions (`{ reduction }`):
 * - 'mean' (default): the mean of the per-position losses;
 * - 'sum': their sum;
 * - 'none': the per-position losses themselves. For mse / mae / binary cross-entropy a
 *   position is an element (shape of the predictions, as tf.losses with Reduction.NONE); for
 *   the categorical losses it is everything but the class axis (the logits' leading dims).
 *
 * Shapes are checked in the type and at run time with the same words:
 * - predictions and targets of mse / mae / binaryCrossEntropyFromLogits /
 *   categoricalCrossEntropyFromLogits must have equal shapes
 *   (`mse: predictions and targets must have equal shapes (expected [32, 1], got [32])`);
 * - the int32 labels of sparseCategoricalCrossEntropy must have the logits' leading dims
 *   (`sparseCategoricalCrossEntropy: labels must have the logits' leading dims (expected [32], got [32, 1])`);
 * - masks of the masked variants must have the per-position shape.
 * The error lands on the offending argument (targets, labels or mask).
 *
 * Masked variants weight each position by a float or bool mask and normalise by the mask sum
 * (padded sequences); a mask summing to 0 gives a loss of 0, not NaN.
 *
 * Every loss is a composite of public ops, so gradients of any order come from those ops'
 * rules; the cross-entropies go through softplus / logSoftmax, which stay finite for any
 * finite logits (±1e4 included).
 */
import type { Dim, Shape, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import type { Check, DtypeRule } from '../shape/rules';
import type { DType } from '../tensor/dtype';
import { concreteData, makeTensor, type Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { absRaw, castRaw, compareRaw, divRaw, greaterP, mulRaw, negRaw, squareRaw, subRaw, whereRaw } from '../ops/elementwise';
import { reshapeRaw, sumRaw } from '../ops/reduce-core';
import { logSoftmaxRaw, softplusRaw } from '../ops/activations';
import { gatherRaw, oneHotRaw } from '../ops/indexing';
import type { IsDyn, Same, IsTuple } from '../shape/dim-types';

// =============================================================================================
// Type-level rules

/** Equal dims, or one side dynamic (checked at run time). Symbolic dims equal only themselves. */
type DimAgree<A, B> = IsDyn<A> extends true ? true : IsDyn<B> extends true ? true : Same<A, B>;
type ShowDim<D> = IsDyn<D> extends true ? 'number' : D extends string | number ? `${D}` : '?';
type JoinDims<S extends Shape> = S extends readonly [infer H]
  ? ShowDim<H>
  : S extends readonly [infer H, ...infer T extends Shape]
    ? `${ShowDim<H>}, ${JoinDims<T>}`
    : '';
/** A shape for messages: `[batch, 10]`. */
export type ShowShape<S extends Shape> = IsTuple<S> extends true ? `[${JoinDims<S>}]` : '[...]';

type AllAgree<A extends Shape, B extends Shape> = A extends readonly [infer HA, ...infer TA extends Shape]
  ? B extends readonly [infer HB, ...infer TB extends Shape]
    ? DimAgree<HA, HB> extends true
      ? AllAgree<TA, TB>
      : false
    : false
  : B extends readonly []
    ? true
    : false;

/**
 * `Expected` when `Actual` has the same shape (dims equal or dynamic; an unknown rank on either
 * side passes), else `ShapeMismatch<'<Rule> (expected [..], got [..])', Expected, Actual>`.
 */
export type EqualShapes<Expected extends Shape, Actual extends Shape, Rule extends string> =
  IsTuple<Expected> extends false
    ? Expected
    : IsTuple<Actual> extends false
      ? Expected
      : AllAgree<Expected, Actual> extends true
        ? Expected
        : ShapeMismatch<`${Rule} (expected ${ShowShape<Expected>}, got ${ShowShape<Actual>})`, Expected, Actual>;

/** The leading dims of a logits shape (all but the class axis); Dim[] when the rank is unknown. */
export type LeadingDims<L extends Shape> = IsTuple<L> extends false ? Dim[] : L extends readonly [...infer Lead extends Dim[], Dim] ? Lead : never;

/** predictions vs targets of an element-wise loss */
export type SameShapeRule<Op extends string, P extends Shape, T extends Shape> = EqualShapes<P, T, `${Op}: predictions and targets must have equal shapes`>;

/** logits [..., C] vs int32 labels [...] */
export type SparseLabelsRule<Op extends string, L extends Shape, Lab extends Shape> =
  IsTuple<L> extends false
    ? Lab
    : L extends readonly []
      ? ShapeMismatch<`${Op}: logits need a class axis (rank >= 1, got [])`, L, Lab>
      : EqualShapes<LeadingDims<L>, Lab, `${Op}: labels must have the logits' leading dims`>;

/** a mask vs the per-position loss shape */
export type MaskRule<Op extends string, S extends Shape, M extends Shape> = EqualShapes<S, M, `${Op}: mask must have the per-position loss shape`>;

// =============================================================================================
// Runtime twins

const shapeOf = (t: { readonly shape: readonly number[] | object }) => t.shape as readonly number[];
const show = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Runtime EqualShapes: throws ShapeError `<rule> (expected [..], got [..])`. */
export function checkEqualShapes(op: string, rule: string, expected: readonly number[], actual: readonly number[]): void {
  if (expected.length !== actual.length || expected.some((d, i) => d !== actual[i])) {
    throw new ShapeError(op, `${rule} (expected ${show(expected)}, got ${show(actual)})`);
  }
}

function requireDType(op: string, what: string, t: AnyTensor, dtypes: readonly string[]): void {
  if (!dtypes.includes(t.dtype)) throw new ShapeError(op, `${what} must be ${dtypes.join(' or ')}, got ${t.dtype}`);
}

function checkSame(op: string, p: AnyTensor, t: AnyTensor): void {
  requireDType(op, 'predictions', p, ['float32']);
  requireDType(op, 'targets', t, ['float32']);
  checkEqualShapes(op, 'predictions and targets must have equal shapes', shapeOf(p), shapeOf(t));
}

function leading(op: string, logits: AnyTensor): number[] {
  requireDType(op, 'logits', logits, ['float32']);
  const s = shapeOf(logits);
  if (s.length === 0) throw new ShapeError(op, 'logits need a class axis (rank >= 1, got [])');
  return s.slice(0, -1);
}

export function checkMask(op: string, perPosition: readonly number[], mask: AnyTensor): void {
  requireDType(op, 'mask', mask, ['float32', 'bool']);
  checkEqualShapes(op, 'mask must have the per-position loss shape', perPosition, shapeOf(mask));
}

// =============================================================================================
// Reductions

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions<R extends Reduction = Reduction> {
  /** 'mean' (default), 'sum', or 'none' (per-position losses) */
  readonly reduction?: R;
}

/** A loss value: the scalar, or the per-position losses (shape S) for reduction 'none'. */
export type LossOut<R extends Reduction, S extends Shape> = R extends 'none' ? Tensor<S> : Tensor<[]>;

const allAxes = (x: AnyTensor) => Array.from({ length: x.shape.length }, (_, i) => i);

function reduce(op: string, losses: AnyTensor, reduction: Reduction | undefined): AnyTensor {
  const r = reduction ?? 'mean';
  if (r === 'none') return losses;
  const s = sumRaw(losses, allAxes(losses), false);
  if (r === 'sum') return s;
  if (r !== 'mean') throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  return divRaw(s, losses.size);
}

export function reduceMasked(op: string, losses: AnyTensor, mask: AnyTensor, reduction: Reduction | undefined): AnyTensor {
  const m = castRaw(mask, 'float32');
  const weighted = mulRaw(losses, m);
  const r = reduction ?? 'mean';
  if (r === 'none') return weighted;
  const s = sumRaw(weighted, allAxes(weighted), false);
  if (r === 'sum') return s;
  if (r !== 'mean') throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
  const total = sumRaw(m, allAxes(m), false);
  // an all-zero mask selects nothing: the weighted sum is 0 and so is the loss
  return divRaw(s, whereRaw(compareRaw(greaterP, total, 0), total, 1));
}

// =============================================================================================
// Per-position losses (no reduction); exported for custom reductions

/** (p − t)² element-wise */
export function squaredError(p: AnyTensor, t: AnyTensor): AnyTensor {
  return squareRaw(subRaw(p, t));
}

/** |p − t| element-wise (derivative 0 where p = t) */
export function absoluteError(p: AnyTensor, t: AnyTensor): AnyTensor {
  return absRaw(subRaw(p, t));
}

/** softplus(x) − x·z = max(x, 0) − x·z + log1p(exp(−|x|)): finite for every finite x */
export function sigmoidCrossEntropy(x: AnyTensor, z: AnyTensor): AnyTensor {
  return subRaw(softplusRaw(x), mulRaw(x, z));
}

/** −Σ_c z_c · logSoftmax(x)_c over the last axis */
export function softmaxCrossEntropy(x: AnyTensor, z: AnyTensor): AnyTensor {
  const lp = logSoftmaxRaw(x, -1);
  return negRaw(sumRaw(mulRaw(z, lp), [x.shape.length - 1], false));
}

/** −logSoftmax(x)[label] per position; labels are range-checked first. */
export function sparseSoftmaxCrossEntropy(op: string, x: AnyTensor, labels: AnyTensor): AnyTensor {
  const lead = shapeOf(labels);
  const classes = shapeOf(x).at(-1)!;
  const lp = logSoftmaxRaw(x, -1);
  let ids: Int32Array | null = null;
  try {
    ids = concreteData(labels) as Int32Array;
  } catch {
    ids = null; // abstract trace (makeGraph): values unknown, no range check possible
  }
  if (ids === null) {
    const hot = oneHotRaw(labels, classes);
    return negRaw(sumRaw(mulRaw(hot, lp), [lead.length], false));
  }
  // pick logSoftmax[i, label_i] from the flattened rows: one gather, no one-hot matrix
  const flatIdx = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const c = ids[i]!;
    if (!(c >= 0 && c < classes)) {
      const pos = new Array<number>(lead.length);
      for (let k = lead.length - 1, r = i; k >= 0; k--) {
        pos[k] = r % lead[k]!;
        r = Math.floor(r / lead[k]!);
      }
      throw new RangeError(`${op}: label ${c} at position [${pos.join(', ')}] is out of range for ${classes} classes (valid: 0 to ${classes - 1})`);
    }
    flatIdx[i] = i * classes + c;
  }
  const picked = gatherRaw(reshapeRaw(lp, [ids.length * classes]), makeTensor<[number], 'int32'>([ids.length], 'int32', flatIdx), 0);
  return negRaw(reshapeRaw(picked, lead));
}

// =============================================================================================
// Public losses


/** Mean squared error: mean((predictions − targets)²). */
export function mse<P extends Shape, Tg extends Shape, const R extends Reduction = 'mean'>(
  predictions: Tensor<P>,
  targets: Tensor<Tg> & Check<SameShapeRule<'mse', P, Tg>>,
  options?: LossOptions<R>,
): LossOut<R, P> {
  checkSame('mse', erase(predictions), erase(targets));
  return typed<LossOut<R, P>>(reduce('mse', squaredError(erase(predictions), erase(targets)), options?.reduction));
}

/** Mean absolute error: mean(|predictions − targets|). */
export function mae<P extends Shape, Tg extends Shape, const R extends Reduction = 'mean'>(
  predictions: Tensor<P>,
  targets: Tensor<Tg> & Check<SameShapeRule<'mae', P, Tg>>,
  options?: LossOptions<R>,
): LossOut<R, P> {
  checkSame('mae', erase(predictions), erase(targets));
  return typed<LossOut<R, P>>(reduce('mae', absoluteError(erase(predictions), erase(targets)), options?.reduction));
}

/**
 * Binary cross-entropy on logits x with targets z in [0, 1] (element-wise, multi-label):
 * max(x, 0) − x·z + log1p(exp(−|x|)), as tf.losses.sigmoidCrossEntropy.
 */
export function binaryCrossEntropyFromLogits<L extends Shape, Tg extends Shape, const R extends Reduction = 'mean'>(
  logits: Tensor<L>,
  targets: Tensor<Tg> & Check<SameShapeRule<'binaryCrossEntropyFromLogits', L, Tg>>,
  options?: LossOptions<R>,
): LossOut<R, L> {
  checkSame('binaryCrossEntropyFromLogits', erase(logits), erase(targets));
  return typed<LossOut<R, L>>(reduce('binaryCrossEntropyFromLogits', sigmoidCrossEntropy(erase(logits), erase(targets)), options?.reduction));
}

/**
 * Categorical cross-entropy on logits [..., C] with one-hot or probability targets of the same
 * shape: −Σ_c targets_c · logSoftmax(logits)_c per position (tf.losses.softmaxCrossEntropy).
 */
export function categoricalCrossEntropyFromLogits<L extends Shape, Tg extends Shape, const R extends Reduction = 'mean'>(
  logits: Tensor<L>,
  targets: Tensor<Tg> & Check<SameShapeRule<'categoricalCrossEntropyFromLogits', L, Tg>>,
  options?: LossOptions<R>,
): LossOut<R, LeadingDims<L>> {
  const op = 'categoricalCrossEntropyFromLogits';
  leading(op, erase(logits));
  checkSame(op, erase(logits), erase(targets));
  return typed<LossOut<R, LeadingDims<L>>>(reduce(op, softmaxCrossEntropy(erase(logits), erase(targets)), options?.reduction));
}

/**
 * Cross-entropy of logits [..., C] against int32 class labels [...] (the logits' leading dims,
 * checked at compile time): −logSoftmax(logits)[label]. A label outside [0, C) is a RangeError
 * naming the label, its position and the class count.
 */
export function sparseCategoricalCrossEntropy<L extends Shape, Lab extends Shape, const R extends Reduction = 'mean', DL extends DType = 'int32'>(
  logits: Tensor<L>,
  labels: Tensor<Lab, DL> & Check<SparseLabelsRule<'sparseCategoricalCrossEntropy', L, Lab>> & Check<DtypeRule<'sparseCategoricalCrossEntropy', 'labels', 'int32', DL>>,
  options?: LossOptions<R>,
): LossOut<R, LeadingDims<L>> {
  const op = 'sparseCategoricalCrossEntropy';
  const lead = leading(op, erase(logits));
  requireDType(op, 'labels', erase(labels), ['int32']);
  checkEqualShapes(op, "labels must have the logits' leading dims", lead, shapeOf(erase(labels)));
  return typed<LossOut<R, LeadingDims<L>>>(reduce(op, sparseSoftmaxCrossEntropy(op, erase(logits), erase(labels)), options?.reduction));
}

// =============================================================================================
// Masked variants (padded sequences)

/** The dtypes a loss mask may have: float weights or a bool mask. */
export type MaskDType = 'float32' | 'bool';

/** Σ mask·(p − t)² / Σ mask; the mask has the predictions' shape. */
export function maskedMse<P extends Shape, Tg extends Shape, M extends Shape, const R extends Reduction = 'mean', DM extends DType = 'bool'>(
  predictions: Tensor<P>,
  targets: Tensor<Tg> & Check<SameShapeRule<'maskedMse', P, Tg>>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedMse', P, M>> & Check<DtypeRule<'maskedMse', 'mask', 'float32' | 'bool', DM, 'float32 or bool'>>,
  options?: LossOptions<R>,
): LossOut<R, P> {
  const op = 'maskedMse';
  checkSame(op, erase(predictions), erase(targets));
  checkMask(op, shapeOf(erase(predictions)), erase(mask));
  return typed<LossOut<R, P>>(reduceMasked(op, squaredError(erase(predictions), erase(targets)), erase(mask), options?.reduction));
}

/** Σ mask·|p − t| / Σ mask; the mask has the predictions' shape. */
export function maskedMae<P extends Shape, Tg extends Shape, M extends Shape, const R extends Reduction = 'mean', DM extends DType = 'bool'>(
  predictions: Tensor<P>,
  targets: Tensor<Tg> & Check<SameShapeRule<'maskedMae', P, Tg>>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedMae', P, M>> & Check<DtypeRule<'maskedMae', 'mask', 'float32' | 'bool', DM, 'float32 or bool'>>,
  options?: LossOptions<R>,
): LossOut<R, P> {
  const op = 'maskedMae';
  checkSame(op, erase(predictions), erase(targets));
  checkMask(op, shapeOf(erase(predictions)), erase(mask));
  return typed<LossOut<R, P>>(reduceMasked(op, absoluteError(erase(predictions), erase(targets)), erase(mask), options?.reduction));
}

/** Masked binary cross-entropy on logits; the mask has the logits' shape. */
export function maskedBinaryCrossEntropyFromLogits<L extends Shape, Tg extends Shape, M extends Shape, const R extends Reduction = 'mean', DM extends DType = 'bool'>(
  logits: Tensor<L>,
  targets: Tensor<Tg> & Check<SameShapeRule<'maskedBinaryCrossEntropyFromLogits', L, Tg>>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedBinaryCrossEntropyFromLogits', L, M>> & Check<DtypeRule<'maskedBinaryCrossEntropyFromLogits', 'mask', 'float32' | 'bool', DM, 'float32 or bool'>>,
  options?: LossOptions<R>,
): LossOut<R, L> {
  const op = 'maskedBinaryCrossEntropyFromLogits';
  checkSame(op, erase(logits), erase(targets));
  checkMask(op, shapeOf(erase(logits)), erase(mask));
  return typed<LossOut<R, L>>(reduceMasked(op, sigmoidCrossEntropy(erase(logits), erase(targets)), erase(mask), options?.reduction));
}

/** Masked categorical cross-entropy; the mask has the logits' leading dims [..., L]. */
export function maskedCategoricalCrossEntropyFromLogits<L extends Shape, Tg extends Shape, M extends Shape, const R extends Reduction = 'mean', DM extends DType = 'bool'>(
  logits: Tensor<L>,
  targets: Tensor<Tg> & Check<SameShapeRule<'maskedCategoricalCrossEntropyFromLogits', L, Tg>>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedCategoricalCrossEntropyFromLogits', LeadingDims<L>, M>> & Check<DtypeRule<'maskedCategoricalCrossEntropyFromLogits', 'mask', 'float32' | 'bool', DM, 'float32 or bool'>>,
  options?: LossOptions<R>,
): LossOut<R, LeadingDims<L>> {
  const op = 'maskedCategoricalCrossEntropyFromLogits';
  const lead = leading(op, erase(logits));
  checkSame(op, erase(logits), erase(targets));
  checkMask(op, lead, erase(mask));
  return typed<LossOut<R, LeadingDims<L>>>(reduceMasked(op, softmaxCrossEntropy(erase(logits), erase(targets)), erase(mask), options?.reduction));
}

/**
 * Masked sparse cross-entropy for padded sequences: logits [..., L, C], labels [..., L],
 * mask [..., L] (1 / true on real tokens); Σ mask·loss / Σ mask.
 */
export function maskedSparseCategoricalCrossEntropy<L extends Shape, Lab extends Shape, M extends Shape, const R extends Reduction = 'mean', DL extends DType = 'int32', DM extends DType = 'bool'>(
  logits: Tensor<L>,
  labels: Tensor<Lab, DL> & Check<SparseLabelsRule<'maskedSparseCategoricalCrossEntropy', L, Lab>> & Check<DtypeRule<'maskedSparseCategoricalCrossEntropy', 'labels', 'int32', DL>>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedSparseCategoricalCrossEntropy', LeadingDims<L>, M>> & Check<DtypeRule<'maskedSparseCategoricalCrossEntropy', 'mask', 'float32' | 'bool', DM, 'float32 or bool'>>,
  options?: LossOptions<R>,
): LossOut<R, LeadingDims<L>> {
  const op = 'maskedSparseCategoricalCrossEntropy';
  const lead = leading(op, erase(logits));
  requireDType(op, 'labels', erase(labels), ['int32']);
  checkEqualShapes(op, "labels must have the logits' leading dims", lead, shapeOf(erase(labels)));
  checkMask(op, lead, erase(mask));
  return typed<LossOut<R, LeadingDims<L>>>(reduceMasked(op, sparseSoftmaxCrossEntropy(op, erase(logits), erase(labels)), erase(mask), options?.reduction));
}

/**
 * Σ mask·values / Σ mask (0 when the mask is all zero): the masked mean of any per-position
 * values of the mask's shape, for custom losses and metrics.
 */
export function maskedMean<S extends Shape, M extends Shape, DM extends DType = 'bool'>(
  values: Tensor<S>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedMean', S, M>> & Check<DtypeRule<'maskedMean', 'mask', MaskDType, DM, 'float32 or bool'>>,
): Tensor<[]> {
  requireDType('maskedMean', 'values', erase(values), ['float32']);
  checkMask('maskedMean', shapeOf(erase(values)), erase(mask));
  return typed<Tensor<[]>>(reduceMasked('maskedMean', erase(values), erase(mask), 'mean'));
}
