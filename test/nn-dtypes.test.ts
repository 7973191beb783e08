// Runtime twins of the dtype rules of models (test/nn-dtypes.test-d.ts has the types): the
// same texts when the types are bypassed (casts, JavaScript callers).
import { describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { sequential, chain } from '../src/nn/sequential';
import { dense, flatten, dropout } from '../src/nn/layers/core';
import { conv2d } from '../src/nn/layers/conv';
import { lstm } from '../src/nn/layers/recurrent';
import { embedding } from '../src/nn/layers/embedding';
import { applyLayer, initLayer } from '../src/nn/layer';
import { key } from '../src/random';

const ids = makeTensor<[2, 3], 'int32'>([2, 3], 'int32', Int32Array.of(1, 2, 3, 0, 4, 5));
const floats = makeTensor<[2, 3], 'float32'>([2, 3], 'float32', Float32Array.of(1, 2, 3, 0, 4, 5));
const bypass = (t: unknown) => t as any; // the cast a JavaScript caller never needs

describe('model input dtype at run time', () => {
  it('models carry the dtype of their first typed layer', () => {
    expect(sequential(['batch', 3], embedding(6, 2), flatten(), dense(1)).inputDtype).toBe('int32');
    expect(sequential(['batch', 3], dropout(0.5), dense(1)).inputDtype).toBe('float32');
    expect(sequential(['batch', 3], flatten()).inputDtype).toBeUndefined();
    expect(sequential(['batch', 3], chain(embedding(6, 2), flatten()), dense(1)).inputDtype).toBe('int32');
  });

  it('apply names the layer and both dtypes, before any kernel runs', () => {
    const text = sequential(['batch', 3], embedding(6, 2), flatten(), dense(1));
    const p = text.init(key(0));
    expect(text.apply(p, ids).shape).toEqual([2, 1]);
    expect(() => text.apply(p, bypass(floats))).toThrow('layer 0 (embedding): embedding: ids must be int32, got float32');
    const mlp = sequential(['batch', 3], dropout(0.1), dense(2));
    expect(() => mlp.apply(mlp.init(key(0)), bypass(ids))).toThrow('layer 1 (dense): dense: input must be float32, got int32');
    const cnn = sequential(['batch', 3, 3, 1], conv2d({ filters: 1, kernelSize: 2 }));
    const px = makeTensor<[1, 3, 3, 1], 'int32'>([1, 3, 3, 1], 'int32', new Int32Array(9));
    expect(() => cnn.apply(cnn.init(key(0)), bypass(px))).toThrow('layer 0 (conv2d): conv2d: input must be float32, got int32');
    const rnn = sequential(['batch', 3, 1], lstm(2));
    const sx = makeTensor<[1, 3, 1], 'bool'>([1, 3, 1], 'bool', new Uint8Array(3));
    expect(() => rnn.apply(rnn.init(key(0)), bypass(sx))).toThrow('layer 0 (lstm): lstm: input must be float32, got bool');
  });

  it('construction rejects a layer needing int32 after one that outputs float32', () => {
    expect(() => sequential(['batch', 3], bypass(dense(3)), bypass(embedding(6, 2)))).toThrow('layer 1 (embedding): embedding: ids must be int32, got float32');
    expect(() => chain(bypass(dense(3)), bypass(flatten()), bypass(embedding(6, 2)))).toThrow('layer 2 (embedding): embedding: ids must be int32, got float32');
  });

  it('applyLayer names the layer', () => {
    const e = embedding(6, 2);
    const p = initLayer(e, key(0), ['batch', 3]);
    expect(applyLayer(e, p, ids).shape).toEqual([2, 3, 2]);
    expect(() => applyLayer(e, p, bypass(floats) as Tensor<[2, 3], 'int32'>)).toThrow('embedding: ids must be int32, got float32');
  });
});
