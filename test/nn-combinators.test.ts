import { describe, expect, it } from 'vitest';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays } from './helpers/tf';
import { parallel, residual, textCnnBlock } from '../src/nn/layers/combinators';
import { conv1d, globalMaxPool1d } from '../src/nn/layers/conv';
import { embedding } from '../src/nn/layers/embedding';
import { batchNormalization, layerNormalization, updateMovingStats } from '../src/nn/layers/norm';
import { activation, dense, dropout } from '../src/nn/layers/core';
import { chain, sequential } from '../src/nn/sequential';
import { initLayer, type Layer } from '../src/nn/layer';
import { valueAndGrad } from '../src/autodiff/transforms';
import { treeMap } from '../src/autodiff/pytree';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray, randintArray } from '../src/random';
import { logSoftmax } from '../src/ops/activations';
import { mul, neg, sub } from '../src/ops/elementwise';
import { mean } from '../src/ops/reduce';
import { sum } from '../src/ops/reduce-core';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import type { AnyTensor } from '../src/autodiff/core';

type AnyT = Tensor<any>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (seed: number, shape: readonly number[]): AnyT => fromFlat(normalArray(key(seed), size(shape)), shape) as AnyT;
const ints = (data: ArrayLike<number>, shape: readonly number[]) => makeTensor([...shape], 'int32', Int32Array.from(data)) as unknown as Tensor<any, 'int32'>;
const run = (l: Layer<any, any>, p: unknown, x: unknown, ctx = {}): AnyT => (l as Layer).apply(p, x as AnyTensor, ctx) as unknown as AnyT;
const tol = { atol: 1e-5, rtol: 1e-4 };

/** a tfjs dense layer holding our dense params */
function tfDense(p: { kernel: AnyT; bias: AnyT }, act: 'linear' | 'relu' | 'tanh' = 'linear') {
  const [i, u] = p.kernel.shape as number[];
  const l = tf.layers.dense({ units: u!, activation: act });
  l.build([null, i!]);
  l.setWeights([toTf(p.kernel), toTf(p.bias)]);
  return l;
}

describe('parallel', () => {
  it("concat: branch outputs joined on the last axis (tfjs concatenate oracle)", () => {
    const layer = parallel([dense(3, { activation: 'tanh' }), dense(2), chain(dense(4), activation('relu'))]);
    expect(layer.outputShape(['batch', 'seq', 5])).toEqual(['batch', 'seq', 9]);
    const p = initLayer(layer, key(1), ['batch', 'seq', 5]);
    const x = randn(2, [2, 3, 5]);
    tf.tidy(() => {
      const xt = toTf(x);
      const outs = [tfDense(p[0], 'tanh').apply(xt), tfDense(p[1]).apply(xt), tfDense(p[2][0], 'relu').apply(xt)] as tf.SymbolicTensor[];
      expectCloseTf(run(layer, p, x), tf.layers.concatenate({ axis: -1 }).apply(outs) as tf.Tensor, tol);
    });
  });

  it("add: branch outputs summed (tfjs add oracle)", () => {
    const layer = parallel([dense(4), dense(4, { activation: 'tanh' })], { combine: 'add' });
    const p = initLayer(layer, key(3), [6]);
    const x = randn(4, [3, 6]);
    tf.tidy(() => {
      const xt = toTf(x);
      const outs = [tfDense(p[0]).apply(xt), tfDense(p[1], 'tanh').apply(xt)] as tf.SymbolicTensor[];
      expectCloseTf(run(layer, p, x), tf.layers.add({}).apply(outs) as tf.Tensor, tol);
    });
  });

  it('gradients flow through both combine modes (checkGrads)', () => {
    for (const combine of ['concat', 'add'] as const) {
      const layer = parallel([dense(3, { activation: 'tanh' }), chain(dense(3), activation('sigmoid'))], { combine });
      const p = initLayer(layer, key(5), [4]);
      checkGrads((pp: typeof p, xx: AnyT) => run(layer, pp, xx), [p, randn(6, [2, 4])], { order: 2, atol: 1e-3, rtol: 1e-2 });
    }
  });

  it('gives each branch its own dropout key', () => {
    const layer = parallel([dropout(0.5), dropout(0.5)]);
    const x = fromFlat(new Array(64).fill(1), [1, 64]);
    const y = run(layer, [{}, {}], x, { training: true, key: key(7) }).dataSync();
    expect(Array.from(y.slice(0, 64))).not.toEqual(Array.from(y.slice(64)));
    expect(Array.from(run(layer, [{}, {}], x).dataSync())).toEqual(new Array(128).fill(1));
  });

  it('throws ShapeErrors naming the branch when types are bypassed', () => {
    const bad = parallel([conv1d({ filters: 2, kernelSize: 3 }), conv1d({ filters: 2, kernelSize: 4 })]);
    expect(() => bad.outputShape([2, 10, 3])).toThrow('parallel: branch 1 leading shape differs (expected [2, 8], got [2, 7])');
    expect(() => sequential(['batch', 10, 3] as const, bad as never)).toThrow(/layer 0 \(parallel\): parallel: branch 1 leading shape differs/);
    expect(() => parallel([dense(2), dense(3)], { combine: 'add' }).outputShape(['b', 4])).toThrow('parallel: branch 1 shape differs (expected [b, 2], got [b, 3])');
    expect(() => parallel([dense(2), conv1d({ filters: 2, kernelSize: 9 })]).outputShape(['b', 4, 4])).toThrow(
      "parallel: branch 1 (conv1d): conv1d: kernel 9 (dilated 9) larger than input length 4 with padding 'valid'",
    );
    expect(() => parallel([] as never)).toThrow(RangeError);
  });
});

describe('residual', () => {
  it('is x + body(x) (tfjs add oracle) and keeps the input shape', () => {
    const layer = residual(chain(dense(8, { activation: 'relu' }), dense(5)));
    expect(layer.outputShape(['batch', 'seq', 5])).toEqual(['batch', 'seq', 5]);
    const p = initLayer(layer, key(8), [5]);
    const x = randn(9, [4, 5]);
    tf.tidy(() => {
      const xt = toTf(x);
      const body = tfDense(p[1]).apply(tfDense(p[0], 'relu').apply(xt)) as tf.Tensor;
      expectCloseTf(run(layer, p, x), tf.add(xt, body), tol);
    });
  });

  it('gradients flow through the skip and the body (checkGrads order 2)', () => {
    const layer = residual(chain(dense(3, { activation: 'tanh' }), layerNormalization()));
    const p = initLayer(layer, key(10), [3]);
    checkGrads((pp: typeof p, xx: AnyT) => run(layer, pp, xx), [p, randn(11, [2, 3])], { order: 2, atol: 1e-3, rtol: 1e-2 });
  });

  it('reports a width change, a shape change and body errors at run time', () => {
    expect(() => residual(dense(256)).outputShape(['batch', 512])).toThrow('residual: widths differ (expected 512, got 256)');
    expect(() => sequential(['batch', 512] as const, residual(dense(256)) as never)).toThrow('layer 0 (residual): residual: widths differ (expected 512, got 256)');
    expect(() => residual(globalMaxPool1d()).outputShape(['b', 4, 4])).toThrow('residual: ranks differ (expected [b, 4, 4], got [b, 4])');
    expect(() => residual(conv1d({ filters: 4, kernelSize: 2 })).outputShape(['b', 4, 4])).toThrow('residual: shapes differ (expected [b, 4, 4], got [b, 3, 4])');
    expect(() => residual(dense(4, { inputDim: 3 })).outputShape(['b', 4])).toThrow('residual: body: dense: input dim differs (expected 3, got 4)');
  });
});

describe('moving statistics inside combinators', () => {
  it('updateMovingStats reaches batchNormalization inside residual and parallel', () => {
    const m = sequential(['batch', 3], residual(batchNormalization({ momentum: 0.5 })), parallel([batchNormalization({ momentum: 0 }), dense(2)]));
    const p = m.init(key(12));
    const x = randn(13, [6, 3]);
    const q = updateMovingStats(m, p, x);
    const bm = mean(x, [0]).dataSync();
    expectCloseArrays(q[0].movingMean.dataSync(), Array.from(bm, (v) => 0.5 * v), tol);
    const h = run(m.layers[0], p[0], x, { training: true });
    expectCloseArrays(q[1][0].movingMean.dataSync(), mean(h, [0]).dataSync(), tol);
    expect(q[1][1]).toBe(p[1][1]);
  });

  it('refuses to skip a batchNormalization hidden in a chain', () => {
    const m = sequential(['batch', 3], chain(dense(3), batchNormalization()));
    expect(() => updateMovingStats(m, m.init(key(14)), randn(15, [4, 3]))).toThrow(/inside chain\(dense, batchNormalization\)/);
  });
});

// ---------------------------------------------------------------- TextCNN

describe('textCnnBlock', () => {
  it('matches a tfjs functional TextCNN (conv1d → globalMaxPooling1d per kernel size, concatenate)', () => {
    const layer = textCnnBlock({ filters: 4, kernelSizes: [2, 3, 5] });
    expect(layer.outputShape(['batch', 9, 6])).toEqual(['batch', 12]);
    const p = initLayer(layer, key(16), ['batch', 9, 6]);
    const x = randn(17, [3, 9, 6]);
    tf.tidy(() => {
      const input = tf.input({ shape: [9, 6] });
      const branches = p.map((bp, i) => {
        const conv = tf.layers.conv1d({ filters: 4, kernelSize: [2, 3, 5][i]!, activation: 'relu' });
        const y = conv.apply(input) as tf.SymbolicTensor;
        conv.setWeights([toTf(bp[0].kernel), toTf(randn(30 + i, [4]))]);
        return tf.layers.globalMaxPooling1d({}).apply(y) as tf.SymbolicTensor;
      });
      const model = tf.model({ inputs: input, outputs: tf.layers.concatenate({}).apply(branches) as tf.SymbolicTensor });
      const ours = p.map((bp, i) => [{ kernel: bp[0].kernel, bias: randn(30 + i, [4]) }, bp[1]] as const);
      expectCloseTf(run(layer, ours, x), model.predict(toTf(x)) as tf.Tensor, tol);
    });
  });

  it('gradients flow through the block (checkGrads, first order: relu and max have kinks)', () => {
    const layer = textCnnBlock({ filters: 2, kernelSizes: [2, 3], activation: 'tanh' });
    const p = initLayer(layer, key(18), [2, 6, 3]);
    checkGrads((pp: typeof p, xx: AnyT) => run(layer, pp, xx), [p, randn(19, [2, 6, 3])], { order: 1, atol: 1e-3, rtol: 1e-2 });
  });

  it('the seed TextCNN: shapes, params, summary; a kernel longer than the sequence fails at that layer', () => {
    const m = sequential(['batch', 40], embedding(5000, 64), textCnnBlock({ filters: 100, kernelSizes: [3, 4, 5] }), dropout(0.5), dense(6));
    expect(m.outputShape).toEqual(['batch', 6]);
    const p = m.init(key(20));
    expect(p[1].map((b) => b[0].kernel.shape)).toEqual([[3, 64, 100], [4, 64, 100], [5, 64, 100]]);
    expect(p[3].kernel.shape).toEqual([300, 6]);
    // 320,000 + 3·(k·64·100 + 100) for k = 3, 4, 5 + 1,806
    expect(m.summary(p)).toContain(`total params: ${(320000 + 76800 + 300 + 1806).toLocaleString('en-US')}`);
    const ids = ints(randintArray(key(21), 2 * 40, 0, 5000), [2, 40]);
    expect(m.apply(p, ids as Tensor<[2, 40], 'int32'>).shape).toEqual([2, 6]);
    expect(() => sequential(['batch', 4] as const, embedding(10, 8), textCnnBlock({ filters: 2, kernelSizes: [3, 5] }) as never)).toThrow(
      "layer 1 (textCnnBlock): textCnnBlock: branch 1 (chain): layer 0 (conv1d): conv1d: kernel 5 (dilated 5) larger than input length 4 with padding 'valid'",
    );
  });

  it('a tiny TextCNN overfits a tiny batch (valueAndGrad + SGD)', () => {
    const m = sequential(['batch', 10], embedding(20, 8), textCnnBlock({ filters: 6, kernelSizes: [2, 3] }), dense(2));
    let p = m.init(key(22));
    // class 1 iff the sequence contains token 7: a pattern a conv + max pool can find
    const rows = [
      [1, 2, 3, 7, 4, 5, 0, 0, 0, 0],
      [3, 3, 2, 1, 5, 6, 8, 0, 0, 0],
      [9, 7, 1, 1, 2, 0, 0, 0, 0, 0],
      [4, 5, 6, 8, 9, 1, 2, 3, 0, 0],
      [2, 2, 2, 2, 2, 2, 2, 7, 1, 0],
      [6, 5, 4, 3, 2, 1, 0, 0, 0, 0],
    ];
    const labels = [1, 0, 1, 0, 1, 0];
    const ids = ints(rows.flat(), [6, 10]) as Tensor<[6, 10], 'int32'>;
    const target = fromFlat(labels.flatMap((l) => (l === 1 ? [0, 1] : [1, 0])), [6, 2]);
    const loss = (pp: typeof p) => neg(mean(sum(mul(logSoftmax(m.apply(pp, ids)), target), [1])));
    const step = valueAndGrad(loss);
    let last = Infinity;
    for (let i = 0; i < 600 && last > 2e-3; i++) {
      const [l, g] = step(p);
      last = l.item();
      p = treeMap((w, gw) => sub(w, mul(gw, 0.5)), p, g);
    }
    expect(last).toBeLessThan(2e-3);
  });
});

