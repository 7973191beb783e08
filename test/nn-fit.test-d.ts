// fit / evaluate report a `data.x` that does not fit a sequential model on `x` in the data
// line (not on `model` or the call), naming the rule with both sides; the model is then
// checked for its params only. Message texts are asserted on the check types
// (DataCheck / CheckedData); the calls carry @ts-expect-error on the offending line.
import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { ShapeMismatch } from '../src/shape/dims';
import { sequential } from '../src/nn/sequential';
import { dense, flatten } from '../src/nn/layers/core';
import { conv2d } from '../src/nn/layers/conv';
import { embedding } from '../src/nn/layers/embedding';
import { fit, evaluate, type CheckedData, type DataCheck, type FitData, type ModelCheck } from '../src/nn/train';
import { mse, sparseCategoricalCrossEntropy } from '../src/nn/losses';
import { sgd } from '../src/optim';
import type { Key } from '../src/random';

declare const k: Key;
declare const x784: Tensor<[100, 784]>;
declare const x785: Tensor<[100, 785]>;
declare const x3d: Tensor<[100, 28, 28]>;
declare const y10: Tensor<[100, 10]>;
declare const images: Tensor<[8, 28, 28, 1]>;
declare const images27: Tensor<[8, 28, 27, 1]>;
declare const ids: Tensor<[32, 40], 'int32'>;
declare const floatIds: Tensor<[32, 40]>;
declare const labels: Tensor<[32], 'int32'>;
declare const dynamic: Tensor<number[]>;

const mlp = sequential(['batch', 784], dense(10));
const cnn = sequential(['batch', 28, 28, 1], conv2d({ filters: 4, kernelSize: 3 }), flatten(), dense(10));
const text = sequential(['batch', 40], embedding(1000, 16), flatten(), dense(4));
const opt = sgd({ learningRate: 0.1 });

describe('DataCheck', () => {
  it('names the width, a later dim, the rank and the dtype, with expected vs actual', () => {
    expectTypeOf<DataCheck<'fit', typeof mlp, typeof x785>>().toEqualTypeOf<
      ShapeMismatch<'fit: data.x: the model takes 784 features, got 785', readonly ['batch', 784], [100, 785]>
    >();
    expectTypeOf<DataCheck<'evaluate', typeof cnn, typeof images27>>().toEqualTypeOf<
      ShapeMismatch<'evaluate: data.x dim 2 differs (the model takes 28, got 27)', readonly ['batch', 28, 28, 1], [8, 28, 27, 1]>
    >();
    expectTypeOf<DataCheck<'fit', typeof mlp, typeof x3d>>().toEqualTypeOf<
      ShapeMismatch<'fit: data.x: the model takes rank 2, got 3', readonly ['batch', 784], [100, 28, 28]>
    >();
    expectTypeOf<DataCheck<'fit', typeof text, typeof floatIds>>().toEqualTypeOf<
      ShapeMismatch<'fit: data.x: layer 0 (embedding): embedding: ids must be int32, got float32', 'int32', 'float32'>
    >();
  });

  it('passes data that fits, data of dynamic rank (checked at run time) and models that are not sequential', () => {
    expectTypeOf<DataCheck<'fit', typeof mlp, typeof x784>>().toEqualTypeOf<unknown>();
    expectTypeOf<DataCheck<'fit', typeof cnn, typeof images>>().toEqualTypeOf<unknown>();
    expectTypeOf<DataCheck<'fit', typeof text, typeof ids>>().toEqualTypeOf<unknown>();
    expectTypeOf<DataCheck<'fit', typeof mlp, typeof dynamic>>().toEqualTypeOf<unknown>();
    const fn = (_p: unknown, x: Tensor<[number, 785]>) => x;
    expectTypeOf<DataCheck<'fit', typeof fn, typeof x784>>().toEqualTypeOf<unknown>();
    // the data property is FitData when the check passes, only the mismatch when it fails
    expectTypeOf<CheckedData<'fit', typeof mlp, typeof x784, typeof y10>>().toEqualTypeOf<FitData<typeof x784, typeof y10>>();
    expectTypeOf<CheckedData<'fit', typeof mlp, typeof x785, typeof y10>>().toEqualTypeOf<DataCheck<'fit', typeof mlp, typeof x785>>();
  });

  it('leaves a sequential model checked for its params only, other models against the batch', () => {
    type P = ReturnType<typeof mlp.init>;
    expectTypeOf<ModelCheck<typeof mlp, P, typeof x785>>().toEqualTypeOf<{ readonly apply: (params: P, x: never, ctx?: import('../src/nn/layer').ApplyContext) => unknown }>();
  });
});

describe('fit and evaluate report wrong data on the data line', () => {
  it('a width that differs from the model input', () => {
    fit(mlp.init(k), { model: mlp, loss: mse, optimizer: opt, data: { x: x784, y: y10 }, epochs: 1 });
    fit(mlp.init(k), {
      model: mlp,
      loss: mse,
      optimizer: opt,
      // @ts-expect-error fit: data.x: the model takes 784 features, got 785
      data: { x: x785, y: y10 },
      epochs: 1,
    });
    evaluate(mlp.init(k), {
      model: mlp,
      loss: mse,
      // @ts-expect-error evaluate: data.x: the model takes rank 2, got 3
      data: { x: x3d, y: y10 },
    });
  });

  it('a dtype the model does not take, and a later dim of an image model', () => {
    fit(text.init(k), { model: text, loss: sparseCategoricalCrossEntropy, optimizer: opt, data: { x: ids, y: labels }, epochs: 1 });
    fit(text.init(k), {
      model: text,
      loss: sparseCategoricalCrossEntropy,
      optimizer: opt,
      // @ts-expect-error fit: data.x: layer 0 (embedding): embedding: ids must be int32, got float32
      data: { x: floatIds, y: labels },
      epochs: 1,
    });
    // @ts-expect-error evaluate: data.x dim 2 differs (the model takes 28, got 27)
    evaluate(cnn.init(k), { model: cnn, loss: mse, data: { x: images27, y: y10 }, batchSize: 4 });
  });

  it('ready-made batches are checked the same way', () => {
    const batches = [[x784, y10]] as const;
    fit(mlp.init(k), { model: mlp, loss: mse, optimizer: opt, data: batches, epochs: 1 });
    const wrong = [{ x: x785, y: y10 }];
    // @ts-expect-error fit: data.x: the model takes 784 features, got 785
    fit(mlp.init(k), { model: mlp, loss: mse, optimizer: opt, data: wrong, epochs: 1 });
    expectTypeOf<DataCheck<'fit', typeof mlp, (typeof wrong)[number]['x']>>().toEqualTypeOf<
      ShapeMismatch<'fit: data.x: the model takes 784 features, got 785', readonly ['batch', 784], [100, 785]>
    >();
  });

  it('params of another model are still an error (on the params argument)', () => {
    const other = sequential(['batch', 784], dense(12));
    // @ts-expect-error the params do not fit the model ([784, 12] vs [784, 10])
    fit(other.init(k), {
      model: mlp,
      loss: mse,
      optimizer: opt,
      data: { x: x784, y: y10 },
      epochs: 1,
    });
  });
});
