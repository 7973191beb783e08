// Dtypes flow through models like shapes: a layer kind declares the input dtype it needs, a
// model carries it, and apply / fit / evaluate / applyLayer name a wrong one at the argument.
// The message texts are asserted on the check types; the calls carry @ts-expect-error.
import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { DType } from '../src/tensor/dtype';
import type { ShapeMismatch } from '../src/shape/dims';
import { sequential, chain, type InputDtypeCheck } from '../src/nn/sequential';
import { dense, flatten, dropout } from '../src/nn/layers/core';
import { conv2d } from '../src/nn/layers/conv';
import { lstm } from '../src/nn/layers/recurrent';
import { embedding } from '../src/nn/layers/embedding';
import { applyLayer, bindParams, initLayer, type LayerDtypeRule, type KindOf } from '../src/nn/layer';
import { fit, evaluate } from '../src/nn/train';
import { sparseCategoricalCrossEntropy, maskedSparseCategoricalCrossEntropy, maskedMean, mse } from '../src/nn/losses';
import { accuracy } from '../src/nn/metrics';
import { paddingMask } from '../src/ops/attention';
import { gather, oneHot } from '../src/ops/layout';
import type { DtypeRule } from '../src/shape/rules';
import { adam } from '../src/optim';
import type { Key } from '../src/random';

declare const k: Key;
declare const ids: Tensor<[32, 40], 'int32'>;
declare const floatIds: Tensor<[32, 40]>;
declare const labels: Tensor<[32], 'int32'>;
declare const pixels: Tensor<[8, 28, 28, 1]>;
declare const intPixels: Tensor<[8, 28, 28, 1], 'int32'>;
declare const features: Tensor<[8, 784]>;
declare const intFeatures: Tensor<[8, 784], 'int32'>;
declare const anyDtype: Tensor<[32, 40], DType>;
declare const series: Tensor<[16, 12, 1]>;
declare const targets10: Tensor<[8, 10]>;
declare const table: Tensor<[1000, 16]>;
declare const floatLabels: Tensor<[32]>;
declare const logits: Tensor<[32, 10]>;
declare const seqLogits: Tensor<[32, 40, 100]>;
declare const boolMask: Tensor<[32, 40], 'bool'>;
declare const floatMask: Tensor<[32, 40]>;
declare const intSeries: Tensor<[16, 12, 1], 'int32'>;

const textModel = sequential(['batch', 40], embedding(1000, 16), flatten(), dense(4));
const cnn = sequential(['batch', 28, 28, 1], conv2d({ filters: 4, kernelSize: 3 }), flatten(), dense(10));
const mlp = sequential(['batch', 784], dense(10));
const flatFirst = sequential(['batch', 784], dropout(0.1), dense(10));
const rnn = sequential(['batch', 12, 1], lstm(8), dense(1));

describe('model input dtypes', () => {
  it('an embedding-first model takes int32 ids and names float ones', () => {
    const p = textModel.init(k);
    expectTypeOf(textModel.apply(p, ids)).toEqualTypeOf<Tensor<[32, 4]>>();
    expectTypeOf(textModel.inputDtype).toEqualTypeOf<'int32'>();
    // @ts-expect-error layer 0 (embedding): embedding: ids must be int32, got float32
    textModel.apply(p, floatIds);
    expectTypeOf<InputDtypeCheck<typeof textModel.layers, 'float32'>>().toEqualTypeOf<
      ShapeMismatch<'layer 0 (embedding): embedding: ids must be int32, got float32', 'int32', 'float32'>
    >();
    expectTypeOf<InputDtypeCheck<typeof textModel.layers, 'int32'>>().toEqualTypeOf<unknown>();
  });

  it('conv, dense and recurrent models take float32 and name int32', () => {
    const pc = cnn.init(k);
    expectTypeOf(cnn.apply(pc, pixels)).toEqualTypeOf<Tensor<[8, 10]>>();
    // @ts-expect-error layer 0 (conv2d): conv2d: input must be float32, got int32
    cnn.apply(pc, intPixels);
    expectTypeOf<InputDtypeCheck<typeof cnn.layers, 'int32'>>().toEqualTypeOf<
      ShapeMismatch<'layer 0 (conv2d): conv2d: input must be float32, got int32', 'float32', 'int32'>
    >();
    const pm = mlp.init(k);
    mlp.apply(pm, features);
    // @ts-expect-error layer 0 (dense): dense: input must be float32, got int32
    mlp.apply(pm, intFeatures);
    expectTypeOf(rnn.apply(rnn.init(k), series)).toEqualTypeOf<Tensor<[16, 1]>>();
    // @ts-expect-error layer 0 (lstm): lstm: input must be float32, got int32
    rnn.apply(rnn.init(k), intSeries);
    expectTypeOf<InputDtypeCheck<typeof rnn.layers, 'bool'>>().toEqualTypeOf<
      ShapeMismatch<'layer 0 (lstm): lstm: input must be float32, got bool', 'float32', 'bool'>
    >();
  });

  it('pass-through layers carry the dtype to the first layer that needs one', () => {
    const p = flatFirst.init(k);
    flatFirst.apply(p, features);
    // @ts-expect-error layer 1 (dense): dense: input must be float32, got int32
    flatFirst.apply(p, intFeatures);
    expectTypeOf<InputDtypeCheck<typeof flatFirst.layers, 'int32'>>().toEqualTypeOf<
      ShapeMismatch<'layer 1 (dense): dense: input must be float32, got int32', 'float32', 'int32'>
    >();
    const onlyFlatten = sequential(['batch', 4, 4], flatten());
    expectTypeOf(onlyFlatten.inputDtype).toEqualTypeOf<undefined>();
    onlyFlatten.apply(onlyFlatten.init(k), intPixels as unknown as Tensor<[8, 4, 4], 'int32'>);
  });

  it('a chain declares the dtype of its first typed layer', () => {
    const m = sequential(['batch', 40], chain(embedding(100, 8), flatten()), dense(2));
    const p = m.init(k);
    m.apply(p, ids);
    // @ts-expect-error layer 0 (chain): chain: ids must be int32, got float32
    m.apply(p, floatIds);
  });

  it('a dtype not known at compile time is checked at run time, like a dynamic dim', () => {
    textModel.apply(textModel.init(k), anyDtype);
  });
});

describe('dtypes between layers', () => {
  it('a layer that needs int32 after one that outputs float32 fails at that layer', () => {
    // @ts-expect-error layer 1 (embedding): embedding: ids must be int32, got float32
    sequential(['batch', 40], dense(40), embedding(100, 8));
    // @ts-expect-error the same inside a chain
    chain(dense(40), embedding(100, 8));
    type Rule = LayerDtypeRule<KindOf<ReturnType<typeof embedding<100, 8>>>, 'embedding', 'float32'>;
    expectTypeOf<Rule>().toEqualTypeOf<ShapeMismatch<'embedding: ids must be int32, got float32', 'int32', 'float32'>>();
  });
});

describe('one layer outside a model', () => {
  it('applyLayer names the dtype; bindParams defaults to the layer dtype', () => {
    const e = embedding(1000, 16);
    const p = initLayer(e, k, ['batch', 40]);
    expectTypeOf(applyLayer(e, p, ids)).toEqualTypeOf<Tensor<[32, 40, 16]>>();
    // @ts-expect-error embedding: ids must be int32, got float32
    applyLayer(e, p, floatIds);
    const f = bindParams(e, p, ['batch', 40]);
    expectTypeOf<Parameters<typeof f>[0]['dtype']>().toEqualTypeOf<'int32'>();
  });
});

describe('fit and evaluate', () => {
  it('reject data of the wrong dtype for the model, on the data', () => {
    const p = textModel.init(k);
    fit(p, { model: textModel, loss: sparseCategoricalCrossEntropy, optimizer: adam({ learningRate: 1e-3 }), data: { x: ids, y: labels }, epochs: 1 });
    fit(p, {
      model: textModel,
      loss: sparseCategoricalCrossEntropy,
      optimizer: adam({ learningRate: 1e-3 }),
      // @ts-expect-error fit: data.x: layer 0 (embedding): embedding: ids must be int32, got float32
      data: { x: floatIds, y: labels },
      epochs: 1,
    });
    evaluate(p, { model: textModel, loss: sparseCategoricalCrossEntropy, data: { x: ids, y: labels } });
    evaluate(p, {
      model: textModel,
      loss: sparseCategoricalCrossEntropy,
      // @ts-expect-error evaluate: data.x: layer 0 (embedding): embedding: ids must be int32, got float32
      data: { x: floatIds, y: labels },
    });
    const pm = mlp.init(k);
    evaluate(pm, {
      model: mlp,
      loss: (pred, target) => mse(pred, target),
      // @ts-expect-error evaluate: data.x: layer 0 (dense): dense: input must be float32, got int32
      data: { x: intFeatures, y: targets10 },
    });
  });
});

describe('ops taking ids, masks and labels', () => {
  // Each rule names the op, the operand and both dtypes; the texts are asserted on the
  // parameter types, the calls carry @ts-expect-error.
  it('paddingMask, gather, oneHot take int32 ids', () => {
    paddingMask(ids);
    // @ts-expect-error paddingMask: ids must be int32, got float32
    paddingMask(floatIds);
    expectTypeOf<Parameters<typeof paddingMask<[32, 40], true, 'float32'>>[0]>().toEqualTypeOf<
      Tensor<[32, 40]> & ShapeMismatch<'paddingMask: ids must be int32, got float32', 'int32', 'float32'>
    >();
    gather(table, ids);
    // @ts-expect-error gather: indices must be int32, got float32
    gather(table, floatIds);
    expectTypeOf<DtypeRule<'gather', 'indices', 'int32', 'bool'>>().toEqualTypeOf<ShapeMismatch<'gather: indices must be int32, got bool', 'int32', 'bool'>>();
    oneHot(labels, 10);
    // @ts-expect-error oneHot: indices must be int32, got float32
    oneHot(floatLabels, 10);
  });

  it('sparse losses and accuracy take int32 labels; masked ones float32 or bool masks', () => {
    sparseCategoricalCrossEntropy(logits, labels);
    // @ts-expect-error sparseCategoricalCrossEntropy: labels must be int32, got float32
    sparseCategoricalCrossEntropy(logits, floatLabels);
    accuracy(logits, labels);
    // @ts-expect-error accuracy: labels must be int32, got float32
    accuracy(logits, floatLabels);
    maskedSparseCategoricalCrossEntropy(seqLogits, ids, boolMask);
    maskedSparseCategoricalCrossEntropy(seqLogits, ids, floatMask);
    // @ts-expect-error maskedSparseCategoricalCrossEntropy: mask must be float32 or bool, got int32
    maskedSparseCategoricalCrossEntropy(seqLogits, ids, ids);
    maskedMean(floatMask, boolMask);
    // @ts-expect-error maskedMean: mask must be float32 or bool, got int32
    maskedMean(floatMask, ids);
    expectTypeOf<DtypeRule<'maskedMean', 'mask', 'float32' | 'bool', 'int32', 'float32 or bool'>>().toEqualTypeOf<
      ShapeMismatch<'maskedMean: mask must be float32 or bool, got int32', 'float32' | 'bool', 'int32'>
    >();
  });
});
