import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { Key } from '../src/random';
import { chain, sequential } from '../src/nn/sequential';
import { initLayer } from '../src/nn/layer';
import { activation, dense, dropout } from '../src/nn/layers/core';
import { conv1d, globalMaxPool1d } from '../src/nn/layers/conv';
import { embedding } from '../src/nn/layers/embedding';
import { layerNormalization } from '../src/nn/layers/norm';
import { parallel, residual, textCnnBlock } from '../src/nn/layers/combinators';

declare const key: Key;
declare const ids: Tensor<[8, 40], 'int32'>;
declare const idsB: Tensor<['batch', 40], 'int32'>;
declare const h: Tensor<[4, 'seq', 512]>;

describe('the seed TextCNN', () => {
  it('has an exact output shape and exactly typed params', () => {
    const m = sequential(
      ['batch', 40],
      embedding(5000, 64),
      textCnnBlock({ filters: 100, kernelSizes: [3, 4, 5] }),
      dropout(0.5),
      dense(6),
    );
    const p = m.init(key);
    expectTypeOf(m.apply(p, ids)).toEqualTypeOf<Tensor<[8, 6]>>();
    expectTypeOf(m.apply(p, idsB)).toEqualTypeOf<Tensor<['batch', 6]>>();
    expectTypeOf(p[0].embeddings).toEqualTypeOf<Tensor<[5000, 64]>>();
    expectTypeOf(p[1][0]).toEqualTypeOf<[{ kernel: Tensor<[3, 64, 100]>; bias: Tensor<[100]> }, Record<string, never>]>();
    expectTypeOf(p[1][2][0].kernel).toEqualTypeOf<Tensor<[5, 64, 100]>>();
    expectTypeOf(p[3]).toEqualTypeOf<{ kernel: Tensor<[300, 6]>; bias: Tensor<[6]> }>();
  });

  it('a kernel size larger than the sequence fails at the block', () => {
    sequential(
      ['batch', 40],
      embedding(5000, 64),
      // @ts-expect-error layer 1 (textCnnBlock): textCnnBlock: branch 2 (chain): layer 0 (conv1d) conv1d: kernel 41 (dilated 41) larger than input length 40 ...
      textCnnBlock({ filters: 100, kernelSizes: [3, 4, 41] }),
      dropout(0.5),
      dense(6),
    );
  });

  it('a wrong explicit inputDim after the block fails at the dense', () => {
    sequential(
      ['batch', 40],
      embedding(5000, 64),
      textCnnBlock({ filters: 100, kernelSizes: [3, 4, 5] }),
      dropout(0.5),
      // @ts-expect-error layer 3 (dense): dense: input dim differs (expected 200, got 300)
      dense(6, { inputDim: 200 }),
    );
    sequential(['batch', 40], embedding(5000, 64), textCnnBlock({ filters: 100, kernelSizes: [3, 4] }), dropout(0.5), dense(6, { inputDim: 200 }));
  });

  it('the block without an embedding (rank-2 ids) fails at the block', () => {
    sequential(
      ['batch', 40],
      // @ts-expect-error layer 0 (textCnnBlock): textCnnBlock: branch 0 (chain): layer 0 (conv1d) conv1d: input must be [batch, length, channels] (rank 2)
      textCnnBlock({ filters: 100, kernelSizes: [3, 4, 5] }),
      dense(6),
    );
  });

  it('hand-built branches whose lengths differ (no global pool) fail at the parallel layer', () => {
    sequential(
      ['batch', 40],
      embedding(5000, 64),
      // @ts-expect-error layer 1 (parallel): parallel: branch 1 leading shape differs (expected [batch, 38], got [batch, 37])
      parallel([conv1d({ filters: 100, kernelSize: 3 }), conv1d({ filters: 100, kernelSize: 4 })]),
      dense(6),
    );
    // with the pools the same branches line up
    const ok = sequential(['batch', 40], embedding(5000, 64), parallel([chain(conv1d({ filters: 100, kernelSize: 3 }), globalMaxPool1d()), chain(conv1d({ filters: 50, kernelSize: 4 }), globalMaxPool1d())]), dense(6));
    expectTypeOf(ok.init(key)[2].kernel).toEqualTypeOf<Tensor<[150, 6]>>();
  });
});

describe('parallel', () => {
  it('concat adds widths; add keeps the common shape', () => {
    const c = initLayer(parallel([dense(3), dense(5), chain(dense(4), activation('relu'))]), key, ['batch', 8]);
    expectTypeOf(c).toEqualTypeOf<[{ kernel: Tensor<[8, 3]>; bias: Tensor<[3]> }, { kernel: Tensor<[8, 5]>; bias: Tensor<[5]> }, [{ kernel: Tensor<[8, 4]>; bias: Tensor<[4]> }, Record<string, never>]]>();
    const m = sequential(['batch', 'seq', 8], parallel([dense(3), dense(5)]), parallel([dense(2), dense(2, { activation: 'tanh' })], { combine: 'add' }));
    expectTypeOf(m.init(key)[1][0].kernel).toEqualTypeOf<Tensor<[8, 2]>>();
    expectTypeOf(m.apply(m.init(key), null as unknown as Tensor<[2, 'seq', 8]>)).toEqualTypeOf<Tensor<[2, 'seq', 2]>>();
  });

  it('branches that differ fail at the parallel layer', () => {
    sequential(
      ['batch', 8],
      // @ts-expect-error layer 0 (parallel): parallel: branch 1 shape differs (expected [batch, 2], got [batch, 3])
      parallel([dense(2), dense(3)], { combine: 'add' }),
    );
    sequential(
      ['batch', 8],
      // @ts-expect-error layer 0 (parallel): parallel: branch 1 (dense): dense: input dim differs (expected 4, got 8)
      parallel([dense(2), dense(3, { inputDim: 4 })]),
    );
    // @ts-expect-error at least one branch
    parallel([]);
  });
});

describe('residual', () => {
  it('keeps the input shape; params are the body params', () => {
    const block = residual(chain(layerNormalization(), dense(2048, { activation: 'relu' }), dense(512)));
    const m = sequential(['batch', 'seq', 512], block, residual(dense(512)));
    const p = m.init(key);
    expectTypeOf(p[0][1].kernel).toEqualTypeOf<Tensor<[512, 2048]>>();
    expectTypeOf(p[0][2].kernel).toEqualTypeOf<Tensor<[2048, 512]>>();
    expectTypeOf(p[1]).toEqualTypeOf<{ kernel: Tensor<[512, 512]>; bias: Tensor<[512]> }>();
    expectTypeOf(m.apply(p, h)).toEqualTypeOf<Tensor<[4, 'seq', 512]>>();
  });

  it('a body that changes the width fails at the residual', () => {
    sequential(
      ['batch', 'seq', 512],
      dense(512),
      // @ts-expect-error layer 1 (residual): residual: widths differ (expected 512, got 256)
      residual(dense(256)),
      dense(10),
    );
    sequential(
      ['batch', 10, 8],
      // @ts-expect-error layer 0 (residual): residual: shapes differ (expected [batch, 10, 8], got [batch, 8, 8])
      residual(conv1d({ filters: 8, kernelSize: 3 })),
    );
    sequential(
      ['batch', 10, 8],
      // @ts-expect-error layer 0 (residual): residual: ranks differ (expected [batch, 10, 8], got [batch, 8])
      residual(globalMaxPool1d()),
    );
  });
});
