/**
 * Metrics on tensors (for plain arrays see src/data/metrics.ts). Each returns a scalar
 * `Tensor<[]>` and has the same compile-time shape rules as the matching loss: labels must
 * have the logits' leading dims, predictions and targets equal shapes. Metrics are not meant
 * to be differentiated (accuracy is piecewise constant); rmse is differentiable anyway.
 */
import type { Shape } from '../shape/dims';
import type { Check, DtypeRule } from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { erase, typed, type AnyTensor } from '../tensor/untyped';
import { castRaw, compareRaw, equalP, greaterP, sqrtRaw } from '../ops/elementwise';
import { argRaw, argmaxP, meanRaw } from '../ops/reduce';
import {
  checkEqualShapes,
  checkMask,
  reduceMasked,
  squaredError,
  type LeadingDims,
  type MaskRule,
  type SameShapeRule,
  type SparseLabelsRule,
} from './losses';
import { ShapeError } from '../shape/dims';

const shapeOf = (x: AnyTensor) => x.shape as readonly number[];

/** 1 where the arg-max class equals the label, else 0 */
function hits(op: string, logits: AnyTensor, labels: AnyTensor): AnyTensor {
  if (logits.dtype !== 'float32') throw new ShapeError(op, `logits must be float32, got ${logits.dtype}`);
  if (labels.dtype !== 'int32') throw new ShapeError(op, `labels must be int32, got ${labels.dtype}`);
  const s = logits.shape as readonly number[];
  if (s.length === 0) throw new ShapeError(op, 'logits need a class axis (rank >= 1, got [])');
  checkEqualShapes(op, "labels must have the logits' leading dims", s.slice(0, -1), labels.shape as readonly number[]);
  return castRaw(compareRaw(equalP, argRaw(argmaxP, logits, -1), labels), 'float32');
}

/**
 * Fraction of positions whose arg-max class (first on ties) equals the int32 label; logits
 * [..., C], labels [...] (the logits' leading dims).
 */
export function accuracy<L extends Shape, Lab extends Shape, DL extends DType = 'int32'>(
  logits: Tensor<L>,
  labels: Tensor<Lab, DL> & Check<SparseLabelsRule<'accuracy', L, Lab>> & Check<DtypeRule<'accuracy', 'labels', 'int32', DL>>,
): Tensor<[]> {
  return typed<Tensor<[]>>(meanRaw(hits('accuracy', erase(logits), erase(labels)), undefined));
}

/** accuracy over the positions where the mask (float or bool, the labels' shape) is set. */
export function maskedAccuracy<L extends Shape, Lab extends Shape, M extends Shape, DL extends DType = 'int32', DM extends DType = 'bool'>(
  logits: Tensor<L>,
  labels: Tensor<Lab, DL> & Check<SparseLabelsRule<'maskedAccuracy', L, Lab>> & Check<DtypeRule<'maskedAccuracy', 'labels', 'int32', DL>>,
  mask: Tensor<M, DM> & Check<MaskRule<'maskedAccuracy', LeadingDims<L>, M>> & Check<DtypeRule<'maskedAccuracy', 'mask', 'float32' | 'bool', DM, 'float32 or bool'>>,
): Tensor<[]> {
  const h = hits('maskedAccuracy', erase(logits), erase(labels));
  checkMask('maskedAccuracy', shapeOf(h), erase(mask));
  return typed<Tensor<[]>>(reduceMasked('maskedAccuracy', h, erase(mask), 'mean'));
}

/**
 * Binary accuracy from logits: a prediction is positive when its logit is > 0 (probability
 * > 0.5, as tf.metrics.binaryAccuracy's threshold); targets are 0/1 (> 0.5 counts as 1).
 */
export function binaryAccuracy<P extends Shape, Tg extends Shape>(logits: Tensor<P>, targets: Tensor<Tg> & Check<SameShapeRule<'binaryAccuracy', P, Tg>>): Tensor<[]> {
  const op = 'binaryAccuracy';
  const l = erase(logits);
  const t = erase(targets);
  if (l.dtype !== 'float32' || t.dtype !== 'float32') throw new ShapeError(op, `logits and targets must be float32, got ${l.dtype} and ${t.dtype}`);
  checkEqualShapes(op, 'predictions and targets must have equal shapes', shapeOf(l), shapeOf(t));
  const predicted = castRaw(compareRaw(greaterP, l, 0), 'float32');
  const actual = castRaw(compareRaw(greaterP, t, 0.5), 'float32');
  return typed<Tensor<[]>>(meanRaw(castRaw(compareRaw(equalP, predicted, actual), 'float32'), undefined));
}

/** Root mean squared error √mean((p − t)²). */
export function rmse<P extends Shape, Tg extends Shape>(predictions: Tensor<P>, targets: Tensor<Tg> & Check<SameShapeRule<'rmse', P, Tg>>): Tensor<[]> {
  const p = erase(predictions);
  const t = erase(targets);
  if (p.dtype !== 'float32' || t.dtype !== 'float32') throw new ShapeError('rmse', `predictions and targets must be float32, got ${p.dtype} and ${t.dtype}`);
  checkEqualShapes('rmse', 'predictions and targets must have equal shapes', shapeOf(p), shapeOf(t));
  return typed<Tensor<[]>>(sqrtRaw(meanRaw(squaredError(p, t), undefined)));
}
