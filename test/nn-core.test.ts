import { describe, expect, it } from 'vitest';
import { key, split } from '../src/random';
import { sequential, chain } from '../src/nn/sequential';
import { dense, flatten, activation, dropout, reshapeLayer } from '../src/nn/layers/core';
import { applyLayer, initLayer } from '../src/nn/layer';
import { randomNormal } from '../src/tensor/random';
import { tensor } from '../src/tensor/create';
import { valueAndGrad } from '../src/autodiff/transforms';
import { treeMap } from '../src/autodiff/pytree';
import { mean } from '../src/ops/reduce';
import { square, sub, mul } from '../src/ops/elementwise';
import { checkGrads } from '../src/testing/check-grads';
import { ShapeError } from '../src/shape/dims';
import type { Tensor } from '../src/tensor/tensor';
import { tf, toTf, expectCloseTf } from './helpers/tf';

describe('sequential models', () => {
  it('computes shapes without running kernels and prints a summary', () => {
    const m = sequential(['batch', 28, 28], flatten(), dense(128, { activation: 'relu' }), dropout(0.2), dense(10));
    expect(m.outputShape).toEqual(['batch', 10]);
    const p = m.init(key(0));
    const s = m.summary(p);
    expect(s).toContain('[batch, 784]');
    expect(s).toContain('100,480'); // 784*128 + 128
    expect(s).toContain('total params: 101,770');
  });

  it('dense matches tfjs with copied weights, on 2-D and 3-D inputs', () => {
    const d = dense(7, { activation: 'tanh' });
    const p = initLayer(d, key(1), [5]);
    const tl = tf.layers.dense({ units: 7, activation: 'tanh', inputShape: [5] });
    tl.build([null, 5]);
    tl.setWeights([toTf(p.kernel), toTf(p.bias)]);
    const x2 = randomNormal(key(2), [4, 5]);
    expectCloseTf(applyLayer(d, p, x2), tl.apply(toTf(x2)) as never);
    const x3 = randomNormal(key(3), [2, 3, 5]);
    expectCloseTf(applyLayer(d, p, x3), tl.apply(toTf(x3)) as never, { atol: 1e-6, rtol: 1e-5 });
  });

  it('gradients flow through dense layers (checkGrads)', () => {
    const d = dense(3, { activation: 'sigmoid' });
    const p = initLayer(d, key(4), [4]);
    const x = randomNormal(key(5), [2, 4]);
    checkGrads((params: typeof p) => applyLayer(d, params, x), [p], { order: 2 });
  });

  it('throws a ShapeError naming the layer when types are bypassed', () => {
    const m = sequential(['batch', 4], dense(3));
    expect(() => m.apply(m.init(key(0)), randomNormal(key(1), [2, 5]) as never)).toThrow(ShapeError);
    expect(() => sequential(['batch', 8] as const, reshapeLayer([3, -1]) as never)).toThrow(/layer 0 \(reshape\)/);
  });

  it('a tiny MLP overfits a tiny batch', () => {
    const m = sequential(['batch', 2], dense(16, { activation: 'tanh' }), chain(dense(16), activation('tanh')), dense(1));
    let p = m.init(key(7));
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = tensor([[0], [1], [1], [0]]);
    const loss = (params: typeof p) => mean(square(sub(m.apply(params, x), y)));
    const step = valueAndGrad(loss);
    let last = Infinity;
    for (let i = 0; i < 1500; i++) {
      const [l, g] = step(p);
      last = l.item();
      p = treeMap((w, gw) => sub(w, mul(gw, 0.2)), p, g);
    }
    expect(last).toBeLessThan(1e-3);
  });

  it('dropout is the identity at inference and keyed when training', () => {
    const m = sequential(['batch', 100], dropout(0.5));
    const x = randomNormal(key(1), [4, 100]);
    const p = m.init(key(0));
    expect(m.apply(p, x).dataSync()).toEqual(x.dataSync());
    const [k1, k2] = split(key(9));
    const a = m.apply(p, x, { training: true, key: k1 }).dataSync();
    const b = m.apply(p, x, { training: true, key: k1 }).dataSync();
    const c = m.apply(p, x, { training: true, key: k2 }).dataSync();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(() => m.apply(p, x, { training: true })).toThrow(/key/);
  });
});

void (null as unknown as Tensor);
