import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { Key } from '../src/random';
import { sequential } from '../src/nn/sequential';
import { initLayer } from '../src/nn/layer';
import { dense, flatten } from '../src/nn/layers/core';
import {
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  maxPool1d,
  maxPool2d,
} from '../src/nn/layers/conv';
import { embedding, embeddingMask } from '../src/nn/layers/embedding';
import { batchNormalization, batchNormUpdate, layerNormalization, updateMovingStats } from '../src/nn/layers/norm';

declare const key: Key;
declare const images: Tensor<[16, 28, 28, 1]>;
declare const imagesB: Tensor<['batch', 28, 28, 1]>;
declare const ids: Tensor<[8, 40], 'int32'>;
declare const x3: Tensor<[4, 10, 6]>;

describe('the seed CNN', () => {
  it('has an exact output shape and exactly typed params', () => {
    const m = sequential(
      ['batch', 28, 28, 1],
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      flatten(),
      dense(10),
    );
    const p = m.init(key);
    expectTypeOf(p[0]).toEqualTypeOf<{ kernel: Tensor<[3, 3, 1, 32]>; bias: Tensor<[32]> }>();
    expectTypeOf(p[1]).toEqualTypeOf<Record<string, never>>();
    expectTypeOf(p[2]).toEqualTypeOf<{ kernel: Tensor<[3, 3, 32, 64]>; bias: Tensor<[64]> }>();
    expectTypeOf(p[5]).toEqualTypeOf<{ kernel: Tensor<[1600, 10]>; bias: Tensor<[10]> }>();
    expectTypeOf(m.apply(p, images)).toEqualTypeOf<Tensor<[16, 10]>>();
    expectTypeOf(m.apply(p, imagesB)).toEqualTypeOf<Tensor<['batch', 10]>>();
    expectTypeOf(m.layers[4]).toMatchTypeOf<ReturnType<typeof flatten>>();
  });

  it('a wrong flatten size into a dense with explicit inputDim fails at the dense', () => {
    sequential(
      ['batch', 28, 28, 1],
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      flatten(),
      // @ts-expect-error layer 5 (dense): dense: input dim differs (expected 3136, got 1600)
      dense(10, { inputDim: 3136 }),
    );
    sequential(['batch', 28, 28, 1], conv2d({ filters: 32, kernelSize: 3 }), maxPool2d({ poolSize: 2 }), flatten(), dense(10, { inputDim: 5408 }));
  });

  it('a 7x7 conv after the pools (5x5 maps) fails at that conv', () => {
    sequential(
      ['batch', 28, 28, 1],
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      // @ts-expect-error layer 4 (conv2d): conv2d: kernel 7 (dilated 7) larger than input height 5 with padding 'valid'
      conv2d({ filters: 64, kernelSize: 7 }),
      flatten(),
      dense(10),
    );
    // the same kernel fits with 'same' padding, and a 5x5 kernel fits exactly
    sequential(['batch', 5, 5, 64], conv2d({ filters: 8, kernelSize: 7, padding: 'same' }), conv2d({ filters: 8, kernelSize: 5 }));
  });

  it('a pool or a strided/dilated kernel that leaves no room fails at that layer', () => {
    sequential(
      ['batch', 28, 28, 1],
      conv2d({ filters: 32, kernelSize: 3 }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3 }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, strides: 2 }),
      // @ts-expect-error layer 5 (maxPool2d): pool2d: window 3 larger than input height 2 with padding 'valid'
      maxPool2d({ poolSize: 3 }),
    );
    sequential(
      ['batch', 11, 11, 3],
      // @ts-expect-error layer 0 (conv2d): conv2d: kernel 3 (dilated 13) larger than input height 11 with padding 'valid'
      conv2d({ filters: 4, kernelSize: 3, dilationRate: 6 }),
    );
    sequential(
      ['batch', 28, 28],
      // @ts-expect-error layer 0 (conv2d): conv2d: input must be [batch, height, width, channels] (rank 3)
      conv2d({ filters: 32, kernelSize: 3 }),
    );
  });
});

describe('conv and pool layers', () => {
  it('compute exact shapes for strides, padding, dilation, [h, w] pairs', () => {
    const s2 = sequential([8, 32, 32, 3], conv2d({ filters: 16, kernelSize: 5, strides: 2, padding: 'same' }));
    expectTypeOf(s2.apply(s2.init(key), null as unknown as Tensor<[8, 32, 32, 3]>)).toEqualTypeOf<Tensor<[8, 16, 16, 16]>>();
    const m = sequential(['batch', 20, 30, 3], conv2d({ filters: 4, kernelSize: [3, 5], strides: [1, 2] }), avgPool2d({ poolSize: [2, 3], strides: 1 }));
    expectTypeOf(m.apply(m.init(key), null as unknown as Tensor<[2, 20, 30, 3]>)).toEqualTypeOf<Tensor<[2, 17, 11, 4]>>();
    expectTypeOf(m.init(key)[0].kernel).toEqualTypeOf<Tensor<[3, 5, 3, 4]>>();
    const d = sequential(['batch', 12, 12, 2], conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, useBias: false }));
    expectTypeOf(d.init(key)[0]).toEqualTypeOf<{ kernel: Tensor<[3, 3, 2, 3]> }>();
    expectTypeOf(d.apply(d.init(key), null as unknown as Tensor<[1, 12, 12, 2]>)).toEqualTypeOf<Tensor<[1, 8, 8, 3]>>();
  });

  it('conv1d: valid, same, causal, dilation; symbolic lengths', () => {
    const v = initLayer(conv1d({ filters: 8, kernelSize: 3 }), key, [4, 10, 6]);
    expectTypeOf(v).toEqualTypeOf<{ kernel: Tensor<[3, 6, 8]>; bias: Tensor<[8]> }>();
    const m = sequential(
      ['batch', 10, 6],
      conv1d({ filters: 8, kernelSize: 3, padding: 'causal', dilationRate: 2 }),
      conv1d({ filters: 8, kernelSize: 2, strides: 2, padding: 'same' }),
      conv1d({ filters: 5, kernelSize: 2, dilationRate: 3 }),
      maxPool1d(),
    );
    expectTypeOf(m.apply(m.init(key), x3)).toEqualTypeOf<Tensor<[4, 1, 5]>>();
    const s = sequential(['batch', 'seq', 6], conv1d({ filters: 8, kernelSize: 3, padding: 'same' }), conv1d({ filters: 2, kernelSize: 3, padding: 'causal' }));
    expectTypeOf(s.apply(s.init(key), null as unknown as Tensor<['batch', 'seq', 6]>)).toEqualTypeOf<Tensor<['batch', 'seq', 2]>>();
    const vs = sequential(['batch', 'seq', 6], conv1d({ filters: 8, kernelSize: 3 }), avgPool1d({ poolSize: 2, strides: 1, padding: 'same' }));
    expectTypeOf(vs.apply(vs.init(key), null as unknown as Tensor<['batch', 'seq', 6]>)).toEqualTypeOf<Tensor<['batch', number, 8]>>();
  });

  it('conv1d: a kernel larger than the sequence fails at that layer', () => {
    sequential(
      ['batch', 10, 6],
      // @ts-expect-error layer 0 (conv1d): conv1d: kernel 11 (dilated 11) larger than input length 10 with padding 'valid'
      conv1d({ filters: 8, kernelSize: 11 }),
    );
    sequential(
      ['batch', 10, 6],
      conv1d({ filters: 8, kernelSize: 3 }),
      // @ts-expect-error layer 1 (conv1d): conv1d: kernel 5 (dilated 9) larger than input length 8 with padding 'valid'
      conv1d({ filters: 8, kernelSize: 5, dilationRate: 2 }),
    );
    sequential(
      ['batch', 10, 6],
      // @ts-expect-error layer 0 (maxPool1d): pool1d: window 12 larger than input length 10 with padding 'valid'
      maxPool1d({ poolSize: 12 }),
    );
  });

  it('global pools: rank rules', () => {
    const g = sequential(['batch', 7, 7, 32], globalAvgPool2d(), dense(3));
    expectTypeOf(g.apply(g.init(key), null as unknown as Tensor<[5, 7, 7, 32]>)).toEqualTypeOf<Tensor<[5, 3]>>();
    const g1 = sequential(['batch', 'seq', 32], globalMaxPool1d());
    expectTypeOf(g1.apply(g1.init(key), null as unknown as Tensor<[5, 9, 32]>)).toEqualTypeOf<Tensor<[5, 32]>>();
    sequential(
      ['batch', 'seq', 32],
      // @ts-expect-error layer 0 (globalMaxPool2d): globalPool2d: input must be [batch, height, width, channels] (rank 3)
      globalMaxPool2d(),
    );
    sequential(
      ['batch', 32],
      // @ts-expect-error layer 0 (globalAvgPool1d): globalPool1d: input must be [batch, length, channels] (rank 2)
      globalAvgPool1d(),
    );
  });
});

describe('embedding', () => {
  it('maps int32 ids [batch, seq] to [batch, seq, outputDim], table [inputDim, outputDim]', () => {
    const m = sequential(['batch', 40], embedding(5000, 64), flatten(), dense(2));
    const p = m.init(key);
    expectTypeOf(p[0]).toEqualTypeOf<{ embeddings: Tensor<[5000, 64]> }>();
    expectTypeOf(p[2].kernel).toEqualTypeOf<Tensor<[2560, 2]>>();
    expectTypeOf(m.apply(p, ids)).toEqualTypeOf<Tensor<[8, 2]>>();
    expectTypeOf(embeddingMask(ids)).toEqualTypeOf<Tensor<[8, 40], 'bool'>>();
    // @ts-expect-error embeddingMask takes int32 ids
    embeddingMask(null as unknown as Tensor<[8, 40]>);
    sequential(
      [],
      // @ts-expect-error layer 0 (embedding): embedding: expects ids of rank >= 1 (got a scalar)
      embedding(10, 4),
    );
  });
});

describe('normalisation layers', () => {
  it('layerNormalization params follow the normalised axes', () => {
    expectTypeOf(initLayer(layerNormalization(), key, ['batch', 'seq', 512])).toEqualTypeOf<{ gamma: Tensor<[512]>; beta: Tensor<[512]> }>();
    expectTypeOf(initLayer(layerNormalization({ axis: [-2, -1] }), key, ['batch', 7, 9])).toEqualTypeOf<{ gamma: Tensor<[7, 9]>; beta: Tensor<[7, 9]> }>();
    const m = sequential(['batch', 'seq', 16], layerNormalization({ epsilon: 1e-5 }), dense(4));
    expectTypeOf(m.apply(m.init(key), null as unknown as Tensor<[2, 3, 16]>)).toEqualTypeOf<Tensor<[2, 3, 4]>>();
  });

  it('batchNormalization params are per channel; updates keep the params type', () => {
    const m = sequential(['batch', 28, 28, 1], conv2d({ filters: 8, kernelSize: 3 }), batchNormalization(), flatten(), dense(10));
    const p = m.init(key);
    expectTypeOf(p[1]).toEqualTypeOf<{ gamma: Tensor<[8]>; beta: Tensor<[8]>; movingMean: Tensor<[8]>; movingVariance: Tensor<[8]> }>();
    expectTypeOf(updateMovingStats(m, p, images)).toEqualTypeOf<typeof p>();
    expectTypeOf(batchNormUpdate(m.layers[1], p[1], images)).toEqualTypeOf<typeof p[1]>();
    // @ts-expect-error params of another model
    updateMovingStats(m, [p[0]], images);
  });
});
