import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import { sequential, chain } from '../src/nn/sequential';
import { dense, flatten, activation, dropout } from '../src/nn/layers/core';
import { applyLayer, initLayer } from '../src/nn/layer';
import type { Key } from '../src/random';

declare const key: Key;
declare const x: Tensor<[32, 28, 28]>;
declare const xb: Tensor<['batch', 28, 28]>;
declare const bad: Tensor<[32, 785]>;
declare const rank3: Tensor<[32, 784, 1]>;
declare const xs: Tensor<['batch', 'seq', 16]>;
declare const x64: Tensor<[64, 784]>;

describe('sequential types', () => {
  it('computes the output shape through every layer', () => {
    const m = sequential(['batch', 28, 28], flatten(), dense(128, { activation: 'relu' }), dropout(0.2), dense(10));
    const p = m.init(key);
    expectTypeOf(p[1]).toEqualTypeOf<{ kernel: Tensor<[784, 128]>; bias: Tensor<[128]> }>();
    expectTypeOf(p[3].kernel).toEqualTypeOf<Tensor<[128, 10]>>();
    expectTypeOf(m.apply(p, x)).toEqualTypeOf<Tensor<[32, 10]>>();
    expectTypeOf(m.apply(p, xb)).toEqualTypeOf<Tensor<['batch', 10]>>();
  });

  it('reports a wrong explicit input dim at that layer', () => {
    // @ts-expect-error layer 2 (dense): input dim differs (expected 800, got 784)
    sequential(['batch', 28, 28], flatten(), dense(128), dense(10, { inputDim: 800 }));
    sequential(['batch', 28, 28], flatten(), dense(128), dense(10, { inputDim: 128 }));
  });

  it('rejects apply with a tensor of another shape', () => {
    const m = sequential(['batch', 784], dense(10));
    const p = m.init(key);
    // @ts-expect-error model input: dim 1 differs (expected 784, got 785)
    m.apply(p, bad);
    // @ts-expect-error model input: rank differs
    m.apply(p, rank3);
  });

  it('nests chains and keeps leading dims', () => {
    const block = chain(dense(64), activation('relu'), dense(32));
    const m = sequential(['batch', 'seq', 16], block, dense(1));
    expectTypeOf(m.apply(m.init(key), xs)).toEqualTypeOf<Tensor<['batch', 'seq', 1]>>();
  });

  it('single layers have exact param and output types', () => {
    const d = dense(10);
    const p = initLayer(d, key, [784]);
    expectTypeOf(p.kernel).toEqualTypeOf<Tensor<[784, 10]>>();
    expectTypeOf(applyLayer(d, p, x64)).toEqualTypeOf<Tensor<[64, 10]>>();
  });
});
