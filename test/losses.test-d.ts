import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { Dim } from '../src/shape/dims';
import {
  binaryCrossEntropyFromLogits,
  categoricalCrossEntropyFromLogits,
  mae,
  maskedCategoricalCrossEntropyFromLogits,
  maskedMean,
  maskedMse,
  maskedSparseCategoricalCrossEntropy,
  mse,
  sparseCategoricalCrossEntropy,
} from '../src/nn/losses';
import { accuracy, binaryAccuracy, maskedAccuracy, rmse } from '../src/nn/metrics';
import { grad } from '../src/autodiff';

declare const pred: Tensor<['batch', 1]>;
declare const target: Tensor<['batch', 1]>;
declare const flatTarget: Tensor<['batch']>;
declare const pred32: Tensor<[32, 10]>;
declare const target32: Tensor<[32, 10]>;
declare const target16: Tensor<[16, 10]>;
declare const logits: Tensor<['batch', 10]>;
declare const labels: Tensor<['batch'], 'int32'>;
declare const labels2d: Tensor<['batch', 1], 'int32'>;
declare const floatLabels: Tensor<['batch'], 'float32'>;
declare const otherBatch: Tensor<['n'], 'int32'>;
declare const seqLogits: Tensor<['batch', 20, 5000]>;
declare const seqLabels: Tensor<['batch', 20], 'int32'>;
declare const seqLabelsShort: Tensor<['batch', 19], 'int32'>;
declare const seqMask: Tensor<['batch', 20]>;
declare const seqBoolMask: Tensor<['batch', 20], 'bool'>;
declare const badMask: Tensor<['batch', 20, 5000]>;
declare const seqTargets: Tensor<['batch', 20, 5000]>;
declare const scalarLogits: Tensor<[]>;
declare const scalarLabels: Tensor<[], 'int32'>;
declare const vecLogits: Tensor<[7]>;
declare const dynPred: Tensor<Dim[]>;
declare const dynLabels: Tensor<Dim[], 'int32'>;
declare const wide: Tensor<[number, 10]>;

describe('losses: result types', () => {
  it('a scalar Tensor<[]> by default and for sum; per-position shapes for none', () => {
    expectTypeOf(mse(pred, target)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(mae(pred32, target32, { reduction: 'sum' })).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(mse(pred, target, { reduction: 'none' })).toEqualTypeOf<Tensor<['batch', 1]>>();
    expectTypeOf(binaryCrossEntropyFromLogits(pred32, target32, { reduction: 'none' })).toEqualTypeOf<Tensor<[32, 10]>>();
    expectTypeOf(categoricalCrossEntropyFromLogits(pred32, target32, { reduction: 'none' })).toEqualTypeOf<Tensor<[32]>>();
    expectTypeOf(sparseCategoricalCrossEntropy(logits, labels)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(sparseCategoricalCrossEntropy(seqLogits, seqLabels, { reduction: 'none' })).toEqualTypeOf<Tensor<['batch', 20]>>();
    expectTypeOf(maskedSparseCategoricalCrossEntropy(seqLogits, seqLabels, seqMask)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(maskedSparseCategoricalCrossEntropy(seqLogits, seqLabels, seqBoolMask, { reduction: 'none' })).toEqualTypeOf<Tensor<['batch', 20]>>();
    expectTypeOf(maskedCategoricalCrossEntropyFromLogits(seqLogits, seqTargets, seqMask)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(maskedMean(seqMask, seqBoolMask)).toEqualTypeOf<Tensor<[]>>();
  });

  it('losses are valid grad targets (scalar results)', () => {
    const g = grad((p: Tensor<['batch', 10]>) => sparseCategoricalCrossEntropy(p, labels))(logits);
    expectTypeOf(g).toEqualTypeOf<Tensor<['batch', 10]>>();
  });

  it('dynamic and unknown-rank shapes defer to the runtime check', () => {
    expectTypeOf(mse(dynPred, target)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(mse(wide, target32)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(sparseCategoricalCrossEntropy(dynPred, labels)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(sparseCategoricalCrossEntropy(logits, dynLabels)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(sparseCategoricalCrossEntropy(vecLogits, scalarLabels, { reduction: 'none' })).toEqualTypeOf<Tensor<[]>>();
  });
});

describe('equal-shape rule (mse, mae, cross-entropies)', () => {
  it('fails on the targets argument, naming the rule', () => {
    mse(
      pred,
      // @ts-expect-error mse: predictions and targets must have equal shapes (expected [batch, 1], got [batch])
      flatTarget,
    );
    mae(
      pred32,
      // @ts-expect-error mae: ... (expected [32, 10], got [16, 10])
      target16,
    );
    binaryCrossEntropyFromLogits(
      pred32,
      // @ts-expect-error symbolic 'batch' never equals 32 at compile time
      target,
    );
    categoricalCrossEntropyFromLogits(
      seqLogits,
      // @ts-expect-error one-hot targets need the class axis
      seqLabels,
    );
  });

  it('the mismatch type carries the message', () => {
    // the parameter type is the tensor intersected with the ShapeMismatch naming the rule
    type Param = Parameters<typeof mse<['batch', 1], ['batch']>>[1];
    expectTypeOf<Param['__shapeMismatch']>().toEqualTypeOf<'mse: predictions and targets must have equal shapes (expected [batch, 1], got [batch])'>();
  });
});

describe("sparse labels must have the logits' leading dims at compile time", () => {
  it('fails on the labels argument', () => {
    sparseCategoricalCrossEntropy(
      logits,
      // @ts-expect-error labels [batch, 1] vs logits' leading dims [batch]
      labels2d,
    );
    sparseCategoricalCrossEntropy(
      seqLogits,
      // @ts-expect-error labels [batch, 19] vs [batch, 20]
      seqLabelsShort,
    );
    sparseCategoricalCrossEntropy(
      logits,
      // @ts-expect-error float labels are not int32
      floatLabels,
    );
    sparseCategoricalCrossEntropy(
      logits,
      // @ts-expect-error a different symbolic batch dim
      otherBatch,
    );
    sparseCategoricalCrossEntropy(
      scalarLogits,
      // @ts-expect-error logits need a class axis
      scalarLabels,
    );
    accuracy(
      seqLogits,
      // @ts-expect-error metrics share the rule
      labels,
    );
  });

  it('the message names the rule and both shapes', () => {
    type Param = Parameters<typeof sparseCategoricalCrossEntropy<['batch', 10], ['batch', 1]>>[1];
    expectTypeOf<Param['__shapeMismatch']>().toEqualTypeOf<"sparseCategoricalCrossEntropy: labels must have the logits' leading dims (expected [batch], got [batch, 1])">();
  });
});

describe('masks must have the per-position shape', () => {
  it('fails on the mask argument', () => {
    maskedSparseCategoricalCrossEntropy(
      seqLogits,
      seqLabels,
      // @ts-expect-error mask [batch, 20, 5000] vs [batch, 20]
      badMask,
    );
    maskedMse(
      pred,
      target,
      // @ts-expect-error mask [batch, 20] vs predictions [batch, 1]
      seqMask,
    );
    maskedAccuracy(
      seqLogits,
      seqLabels,
      // @ts-expect-error mask [batch, 20, 5000]
      badMask,
    );
  });
});

describe('metrics: result types', () => {
  it('scalars', () => {
    expectTypeOf(accuracy(logits, labels)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(maskedAccuracy(seqLogits, seqLabels, seqBoolMask)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(binaryAccuracy(pred, target)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(rmse(pred32, target32)).toEqualTypeOf<Tensor<[]>>();
    rmse(
      pred32,
      // @ts-expect-error rmse: equal shapes
      target16,
    );
  });
});
