import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays } from './helpers/tf';
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
import { dense, dropout, flatten } from '../src/nn/layers/core';
import { sequential } from '../src/nn/sequential';
import { initLayer, type Layer, type RDim } from '../src/nn/layer';
import { valueAndGrad } from '../src/autodiff/transforms';
import { treeMap } from '../src/autodiff/pytree';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray, permutationArray, randintArray, split, type Key } from '../src/random';
import { logSoftmax } from '../src/ops/activations';
import { mul, neg, sub } from '../src/ops/elementwise';
import { mean } from '../src/ops/reduce';
import { sum } from '../src/ops/reduce-core';
import { ShapeError } from '../src/shape/dims';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import type { AnyTensor } from '../src/autodiff/core';

type AnyT = Tensor<any>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (seed: number, shape: readonly number[], scale = 1): AnyT => fromFlat(Array.from(normalArray(key(seed), size(shape)), (v) => v * scale), shape) as AnyT;
/** distinct values 0.05 apart: no ties, so max pools are differentiable and finite differences never flip a max */
const distinct = (seed: number, shape: readonly number[]): AnyT => {
  const p = permutationArray(key(seed), size(shape));
  return fromFlat(Array.from(p, (v) => (v - p.length / 2) * 0.05), shape) as AnyT;
};
const ints = (data: ArrayLike<number>, shape: readonly number[]) => makeTensor([...shape], 'int32', Int32Array.from(data)) as unknown as Tensor<any, 'int32'>;

/** run a layer with types bypassed (the property tests draw options at random) */
const run = (l: Layer<any, any>, p: unknown, x: unknown, ctx = {}): AnyT => (l as Layer).apply(p, x as AnyTensor, ctx) as unknown as AnyT;
const init = (l: Layer<any, any>, seed: number, shape: readonly RDim[]): any => (l as Layer).init(key(seed), shape);
/** our params → tfjs weights in Keras order */
const weights = (p: Record<string, AnyT>, names: readonly string[]) => names.filter((n) => p[n]).map((n) => toTf(p[n]!));

const tol = { atol: 1e-5, rtol: 1e-4 };

// ---------------------------------------------------------------- conv2d / conv1d

describe('conv2d layer', () => {
  it('matches tf.layers.conv2d with copied weights (kernel sizes, strides, dilation, padding, activation, bias)', () => {
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 3, max: 7 }),
          w: fc.integer({ min: 3, max: 7 }),
          cin: fc.integer({ min: 1, max: 3 }),
          filters: fc.integer({ min: 1, max: 4 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          square: fc.boolean(),
          stride: fc.integer({ min: 1, max: 2 }),
          dilation: fc.integer({ min: 1, max: 2 }),
          padding: fc.constantFrom('valid' as const, 'same' as const),
          activation: fc.constantFrom('linear' as const, 'relu' as const, 'tanh' as const),
          useBias: fc.boolean(),
          seed: fc.nat(1e6),
        }),
        (c) => {
          const kernelSize: number | [number, number] = c.square ? c.kh : [c.kh, c.kw];
          const [kh, kw] = c.square ? [c.kh, c.kh] : [c.kh, c.kw];
          // tfjs supports dilation only with stride 1
          const strides = c.dilation > 1 ? 1 : c.stride;
          if (c.padding === 'valid' && (c.h < c.dilation * (kh - 1) + 1 || c.w < c.dilation * (kw - 1) + 1)) return;
          const opts = { filters: c.filters, kernelSize, strides, padding: c.padding, dilationRate: c.dilation, activation: c.activation, useBias: c.useBias };
          const layer = conv2d(opts as any);
          const p = init(layer, c.seed, [c.b, c.h, c.w, c.cin]);
          if (c.useBias) p.bias = randn(c.seed + 2, [c.filters]); // non-zero bias, so adding it is tested
          const x = randn(c.seed + 1, [c.b, c.h, c.w, c.cin]);
          const tl = tf.layers.conv2d({ ...opts, kernelSize: [kh, kw] });
          tl.build([null, c.h, c.w, c.cin]);
          tl.setWeights(weights(p, ['kernel', 'bias']));
          const y = run(layer, p, x);
          expect(y.shape).toEqual(layer.outputShape([c.b, c.h, c.w, c.cin]));
          tf.tidy(() => expectCloseTf(y, tl.apply(toTf(x)) as tf.Tensor, tol, JSON.stringify(c)));
        },
      ),
      { seed: 11, numRuns: 40 },
    );
  });

  it('has Keras param shapes and glorot-uniform kernels, zero biases', () => {
    const layer = conv2d({ filters: 8, kernelSize: [3, 2] });
    const p = initLayer(layer, key(0), ['batch', 10, 10, 4]);
    expect(p.kernel.shape).toEqual([3, 2, 4, 8]);
    expect(p.bias.shape).toEqual([8]);
    const limit = Math.sqrt(6 / (3 * 2 * 4 + 3 * 2 * 8));
    const k = p.kernel.dataSync();
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(limit * 0.8);
    expect([...p.bias.dataSync()]).toEqual(new Array(8).fill(0));
    expect(Object.keys(initLayer(conv2d({ filters: 2, kernelSize: 1, useBias: false }), key(0), [1, 2, 2, 1]))).toEqual(['kernel']);
  });

  it('gradients flow through conv2d (checkGrads, params and input)', () => {
    const layer = conv2d({ filters: 3, kernelSize: [2, 3], strides: [1, 2], padding: 'same', activation: 'tanh' });
    const p = initLayer(layer, key(3), [2, 5, 6, 2]);
    const x = randn(4, [2, 5, 6, 2]);
    checkGrads((params: typeof p, xx: AnyT) => run(layer, params, xx), [p, x], { order: 1, atol: 1e-3, rtol: 1e-2 });
  });
});

describe('conv1d layer', () => {
  it('matches tf.layers.conv1d (valid / same, strides, dilation) and causal = left-padded valid', () => {
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 2 }),
          len: fc.integer({ min: 4, max: 10 }),
          cin: fc.integer({ min: 1, max: 3 }),
          filters: fc.integer({ min: 1, max: 4 }),
          k: fc.integer({ min: 1, max: 4 }),
          stride: fc.integer({ min: 1, max: 3 }),
          dilation: fc.integer({ min: 1, max: 3 }),
          padding: fc.constantFrom('valid' as const, 'same' as const, 'causal' as const),
          activation: fc.constantFrom('linear' as const, 'relu' as const),
          seed: fc.nat(1e6),
        }),
        (c) => {
          const strides = c.dilation > 1 ? 1 : c.stride;
          if (c.padding === 'valid' && c.len < c.dilation * (c.k - 1) + 1) return;
          const opts = { filters: c.filters, kernelSize: c.k, strides, padding: c.padding, dilationRate: c.dilation, activation: c.activation };
          const layer = conv1d(opts as any);
          const p = init(layer, c.seed, [c.b, c.len, c.cin]);
          p.bias = randn(c.seed + 2, [c.filters]);
          const x = randn(c.seed + 1, [c.b, c.len, c.cin]);
          // tfjs layers do not implement 'causal': it is 'valid' after d·(k - 1) zeros on the left (Keras' definition)
          const causal = c.padding === 'causal';
          const tl = tf.layers.conv1d({ ...opts, padding: causal ? 'valid' : c.padding });
          tl.build([null, c.len, c.cin]);
          tl.setWeights(weights(p, ['kernel', 'bias']));
          const y = run(layer, p, x);
          expect(y.shape).toEqual(layer.outputShape([c.b, c.len, c.cin]));
          tf.tidy(() => {
            const xt = causal ? tf.pad(toTf(x), [[0, 0], [c.dilation * (c.k - 1), 0], [0, 0]]) : toTf(x);
            expectCloseTf(y, tl.apply(xt) as tf.Tensor, tol, JSON.stringify(c));
          });
        },
      ),
      { seed: 12, numRuns: 40 },
    );
  });

  it('causal output at step t depends only on inputs <= t', () => {
    const layer = conv1d({ filters: 2, kernelSize: 3, padding: 'causal', dilationRate: 2 });
    const p = initLayer(layer, key(1), [1, 9, 2]);
    const x = randn(2, [1, 9, 2]);
    const changed = fromFlat(x.dataSync().map((v, i) => (i >= 2 * 6 ? v + 1 : v)), [1, 9, 2]);
    const a = run(layer, p, x).dataSync();
    const b = run(layer, p, changed).dataSync();
    expect(Array.from(a.slice(0, 12))).toEqual(Array.from(b.slice(0, 12))); // steps 0..5 untouched
    expect(Array.from(a.slice(12))).not.toEqual(Array.from(b.slice(12)));
  });

  it('gradients flow through a dilated causal conv1d (checkGrads)', () => {
    const layer = conv1d({ filters: 3, kernelSize: 2, padding: 'causal', dilationRate: 2, activation: 'tanh' });
    const p = initLayer(layer, key(5), [2, 6, 2]);
    const x = randn(6, [2, 6, 2]);
    checkGrads((params: typeof p, xx: AnyT) => run(layer, params, xx), [p, x], { order: 1, atol: 1e-3, rtol: 1e-2 });
  });
});

// ---------------------------------------------------------------- pooling

describe('pooling layers', () => {
  it('2-D pools match tf.layers.maxPooling2d / averagePooling2d (pool sizes, strides, padding)', () => {
    fc.assert(
      fc.property(
        fc.record({
          h: fc.integer({ min: 2, max: 7 }),
          w: fc.integer({ min: 2, max: 7 }),
          c: fc.integer({ min: 1, max: 3 }),
          ph: fc.integer({ min: 1, max: 3 }),
          pw: fc.integer({ min: 1, max: 3 }),
          strides: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { nil: undefined }),
          padding: fc.constantFrom('valid' as const, 'same' as const),
          kind: fc.constantFrom('max' as const, 'avg' as const),
          seed: fc.nat(1e6),
        }),
        (c) => {
          if (c.padding === 'valid' && (c.h < c.ph || c.w < c.pw)) return;
          const opts = { poolSize: [c.ph, c.pw] as [number, number], padding: c.padding, ...(c.strides ? { strides: c.strides } : {}) };
          const layer = c.kind === 'max' ? maxPool2d(opts as any) : avgPool2d(opts as any);
          const x = randn(c.seed, [2, c.h, c.w, c.c]);
          const tl = c.kind === 'max' ? tf.layers.maxPooling2d(opts) : tf.layers.averagePooling2d(opts);
          const y = run(layer, {}, x);
          expect(y.shape).toEqual(layer.outputShape([2, c.h, c.w, c.c]));
          tf.tidy(() => expectCloseTf(y, tl.apply(toTf(x)) as tf.Tensor, tol, JSON.stringify(c)));
        },
      ),
      { seed: 13, numRuns: 40 },
    );
  });

  it('1-D pools match tf.layers.maxPooling1d / averagePooling1d', () => {
    fc.assert(
      fc.property(
        fc.record({
          len: fc.integer({ min: 2, max: 9 }),
          c: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 3 }),
          strides: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
          padding: fc.constantFrom('valid' as const, 'same' as const),
          kind: fc.constantFrom('max' as const, 'avg' as const),
          seed: fc.nat(1e6),
        }),
        (c) => {
          if (c.padding === 'valid' && c.len < c.k) return;
          const opts = { poolSize: c.k, padding: c.padding, ...(c.strides ? { strides: c.strides } : {}) };
          const layer = c.kind === 'max' ? maxPool1d(opts as any) : avgPool1d(opts as any);
          const x = randn(c.seed, [2, c.len, c.c]);
          const tl = c.kind === 'max' ? tf.layers.maxPooling1d(opts) : tf.layers.averagePooling1d(opts);
          const y = run(layer, {}, x);
          expect(y.shape).toEqual(layer.outputShape([2, c.len, c.c]));
          tf.tidy(() => expectCloseTf(y, tl.apply(toTf(x)) as tf.Tensor, tol, JSON.stringify(c)));
        },
      ),
      { seed: 14, numRuns: 40 },
    );
  });

  it('global pools match tfjs', () => {
    const x4 = randn(1, [2, 3, 4, 5]);
    const x3 = randn(2, [3, 6, 4]);
    tf.tidy(() => {
      expectCloseTf(run(globalMaxPool2d(), {}, x4), tf.layers.globalMaxPooling2d({}).apply(toTf(x4)) as tf.Tensor, tol);
      expectCloseTf(run(globalAvgPool2d(), {}, x4), tf.layers.globalAveragePooling2d({}).apply(toTf(x4)) as tf.Tensor, tol);
      expectCloseTf(run(globalMaxPool1d(), {}, x3), tf.layers.globalMaxPooling1d({}).apply(toTf(x3)) as tf.Tensor, tol);
      expectCloseTf(run(globalAvgPool1d(), {}, x3), tf.layers.globalAveragePooling1d({}).apply(toTf(x3)) as tf.Tensor, tol);
    });
    expect(globalMaxPool2d().outputShape(['batch', 'h', 'w', 7])).toEqual(['batch', 7]);
  });

  it('gradients flow through every pool (checkGrads, inputs without ties)', () => {
    const x4 = distinct(3, [2, 5, 4, 2]);
    const x3 = distinct(4, [2, 7, 3]);
    const cases: [Layer<any, any>, AnyT][] = [
      [maxPool2d({ poolSize: 2, strides: 1 }), x4],
      [avgPool2d({ poolSize: [2, 3], padding: 'same' }), x4],
      [maxPool1d({ poolSize: 3, strides: 2, padding: 'same' }), x3],
      [avgPool1d({ poolSize: 2 }), x3],
      [globalMaxPool2d(), x4],
      [globalAvgPool2d(), x4],
      [globalMaxPool1d(), x3],
      [globalAvgPool1d(), x3],
    ];
    for (const [layer, x] of cases) checkGrads((xx: AnyT) => run(layer, {}, xx), [x], { order: 1, atol: 1e-3, rtol: 1e-2 });
  });
});

// ---------------------------------------------------------------- runtime shapes and errors

describe('runtime shape twins', () => {
  it('propagate symbolic dims as the types do', () => {
    expect(conv1d({ filters: 4, kernelSize: 3, padding: 'same' }).outputShape(['batch', 'seq', 8])).toEqual(['batch', 'seq', 4]);
    expect(conv1d({ filters: 4, kernelSize: 3, padding: 'causal' }).outputShape(['batch', 'seq', 8])).toEqual(['batch', 'seq', 4]);
    expect(conv1d({ filters: 4, kernelSize: 3 }).outputShape(['batch', 'seq', 8])).toEqual(['batch', '?', 4]);
    expect(conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).outputShape(['batch', 'h', 9, 1])).toEqual(['batch', '?', 5, 4]);
    expect(maxPool2d().outputShape(['batch', 28, 'w', 3])).toEqual(['batch', 14, '?', 3]);
    expect(maxPool1d({ poolSize: 3, strides: 1, padding: 'same' }).outputShape(['b', 'seq', 2])).toEqual(['b', 'seq', 2]);
  });

  it('throws the rule\'s ShapeError at the offending layer when types are bypassed', () => {
    const build = () =>
      sequential(
        ['batch', 28, 28, 1] as const,
        conv2d({ filters: 8, kernelSize: 3 }),
        maxPool2d({ poolSize: 2 }),
        conv2d({ filters: 8, kernelSize: 3 }),
        maxPool2d({ poolSize: 2 }),
        conv2d({ filters: 8, kernelSize: 7 }) as never,
      );
    expect(build).toThrow(ShapeError);
    expect(build).toThrow("layer 4 (conv2d): conv2d: kernel 7 (dilated 7) larger than input height 5 with padding 'valid'");
    expect(() => sequential(['batch', 28, 28] as const, conv2d({ filters: 8, kernelSize: 3 }) as never)).toThrow('conv2d: input must be [batch, height, width, channels] (rank 3)');
    expect(() => sequential(['batch', 5, 2] as const, maxPool1d({ poolSize: 6 }) as never)).toThrow("pool1d: window 6 larger than input length 5 with padding 'valid'");
    expect(() => conv2d({ filters: 0, kernelSize: 3 })).toThrow(RangeError);
    expect(() => conv1d({ filters: 2, kernelSize: 0 })).toThrow('conv1d: kernel must be >= 1 (0)');
    expect(() => maxPool2d({ poolSize: 2, strides: 0 })).toThrow('pool2d: stride must be >= 1 (0)');
    expect(() => conv1d({ filters: 2, kernelSize: 2, padding: 'full' as never })).toThrow(/padding/);
    // a kernel whose Cin differs from the input's channels (params from another shape)
    const l = conv2d({ filters: 2, kernelSize: 1 });
    expect(() => run(l, init(l, 0, [1, 3, 3, 2]), randn(1, [1, 3, 3, 3]))).toThrow('conv2d: input channels differ (3 vs 2)');
    expect(() => init(l, 0, [1, 3, 3, 'c'])).toThrow(/symbolic 'c'/);
  });
});

// ---------------------------------------------------------------- embedding

describe('embedding layer', () => {
  it('matches tf.layers.embedding with copied weights, on [batch, seq] and [batch] ids', () => {
    const layer = embedding(11, 4);
    const p = initLayer(layer, key(1), ['batch', 6]);
    expect(p.embeddings.shape).toEqual([11, 4]);
    const tl = tf.layers.embedding({ inputDim: 11, outputDim: 4 });
    tl.build([null, 6]);
    tl.setWeights([toTf(p.embeddings)]);
    for (const shape of [[3, 6], [5]]) {
      const ids = ints(randintArray(key(shape.length), size(shape), 0, 11), shape);
      tf.tidy(() => expectCloseTf(run(layer, p, ids), tl.apply(toTf(ids)) as tf.Tensor, { atol: 0, rtol: 0 }));
    }
  });

  it('initialises U(-0.05, 0.05) like Keras', () => {
    const e = initLayer(embedding(1000, 16), key(2), [1, 1]).embeddings.dataSync();
    expect(Math.min(...e)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...e)).toBeLessThanOrEqual(0.05);
    expect(Math.max(...e)).toBeGreaterThan(0.049);
    expect(Math.abs(e.reduce((a, b) => a + b, 0) / e.length)).toBeLessThan(0.002);
  });

  it('maskZero zeroes padding rows (and their gradient); embeddingMask marks real tokens', () => {
    const layer = embedding(5, 3, { maskZero: true });
    const p = initLayer(layer, key(3), [2, 3]);
    const ids = ints([1, 0, 4, 0, 0, 2], [2, 3]);
    const y = run(layer, p, ids).toArray() as number[][][];
    const table = p.embeddings.toArray() as number[][];
    expect(y[0]![1]).toEqual([0, 0, 0]);
    expect(y[1]![0]).toEqual([0, 0, 0]);
    expect(y[0]![2]).toEqual(table[4]);
    const g = valueAndGrad((pp: typeof p) => sum(run(layer, pp, ids)))(p)[1].embeddings.toArray() as number[][];
    expect(g[0]).toEqual([0, 0, 0]);
    expect(g[4]).toEqual([1, 1, 1]);
    expect(g[2]).toEqual([1, 1, 1]);
    expect(embeddingMask(ids).toArray()).toEqual([[true, false, true], [false, false, true]]);
    expect(embeddingMask(ids, 4).toArray()).toEqual([[true, true, false], [true, true, true]]);
  });

  it('gradient w.r.t. the table accumulates repeated ids (checkGrads + exact counts)', () => {
    const layer = embedding(6, 2);
    const p = initLayer(layer, key(4), [2, 4]);
    const ids = ints([1, 1, 5, 0, 1, 3, 3, 2], [2, 4]);
    checkGrads((pp: typeof p) => run(layer, pp, ids), [p], { order: 2 });
    const g = valueAndGrad((pp: typeof p) => sum(run(layer, pp, ids)))(p)[1].embeddings.toArray() as number[][];
    expect(g.map((r) => r[0])).toEqual([1, 3, 1, 2, 0, 1]);
  });

  it('rejects out-of-range ids and float ids with clear errors', () => {
    const layer = embedding(5, 2);
    const p = initLayer(layer, key(5), [1, 3]);
    expect(() => run(layer, p, ints([1, 5, 2], [1, 3]))).toThrow(RangeError);
    expect(() => run(layer, p, ints([1, 5, 2], [1, 3]))).toThrow('index 5 at position [0, 1] of the indices is out of range for axis 0 of size 5 (valid: 0 to 4)');
    expect(() => run(layer, p, ints([-1, 0, 0], [1, 3]))).toThrow(/index -1/);
    expect(() => run(layer, p, fromFlat([1, 2, 3], [1, 3]))).toThrow("embedding: ids must be int32, got float32 (convert with cast(ids, 'int32'))");
    expect(() => embedding(0, 4)).toThrow(RangeError);
  });

  it('an int32-input model runs through sequential', () => {
    const m = sequential(['batch', 4], embedding(10, 3), flatten(), dense(2));
    const p = m.init(key(6));
    const y = m.apply(p, ints([1, 2, 3, 4, 0, 9, 9, 9], [2, 4]) as Tensor<[2, 4], 'int32'>);
    expect(y.shape).toEqual([2, 2]);
  });
});

// ---------------------------------------------------------------- normalisation

describe('layerNormalization layer', () => {
  it('matches tf.layers.layerNormalization on the last axis and on trailing axes', () => {
    for (const [axis, shape] of [[-1, [3, 4, 5]], [[-2, -1], [2, 3, 4]], [1, [4, 6]]] as const) {
      const layer = layerNormalization({ axis: axis as never });
      const p = init(layer, 1, shape);
      p.gamma = randn(2, p.gamma.shape);
      p.beta = randn(3, p.beta.shape);
      const x = randn(4, shape, 3);
      const tl = tf.layers.layerNormalization({ axis: axis as number });
      tl.build([null, ...shape.slice(1)]);
      tl.setWeights([toTf(p.gamma), toTf(p.beta)]);
      tf.tidy(() => expectCloseTf(run(layer, p, x), tl.apply(toTf(x)) as tf.Tensor, tol, `axis ${String(axis)}`));
    }
    expect(() => layerNormalization({ axis: 0 }).outputShape([2, 3])).toThrow(/trailing axes/);
  });

  it('gradients flow through layerNormalization (checkGrads order 2)', () => {
    const layer = layerNormalization();
    const p = initLayer(layer, key(7), [3, 4]);
    const x = randn(8, [3, 4]);
    checkGrads((pp: typeof p, xx: AnyT) => run(layer, pp, xx), [{ gamma: randn(9, [4]), beta: randn(10, [4]) }, x], { order: 2, atol: 1e-3, rtol: 1e-2 });
  });
});

describe('batchNormalization layer', () => {
  const bnParams = (c: number, seed: number) => ({
    gamma: randn(seed, [c]),
    beta: randn(seed + 1, [c]),
    movingMean: randn(seed + 2, [c]),
    movingVariance: fromFlat(Array.from(normalArray(key(seed + 3), c), (v) => 0.5 + v * v), [c]) as AnyT,
  });
  const bnNames = ['gamma', 'beta', 'movingMean', 'movingVariance'];

  it('matches tf.layers.batchNormalization in inference and training mode, and its moving-stat update', () => {
    const layer = batchNormalization({ momentum: 0.9 });
    for (const shape of [[6, 3], [2, 3, 4, 3]]) {
      const p = bnParams(3, shape.length);
      const x = randn(20 + shape.length, shape, 2);
      const tl = tf.layers.batchNormalization({ momentum: 0.9 });
      tl.build([null, ...shape.slice(1)]);
      tl.setWeights(weights(p, bnNames));
      tf.tidy(() => {
        expectCloseTf(run(layer, p, x), tl.apply(toTf(x)) as tf.Tensor, tol, 'inference');
        expectCloseTf(run(layer, p, x, { training: true }), tl.apply(toTf(x), { training: true }) as tf.Tensor, tol, 'training');
      });
      // tfjs updated its moving statistics during the training call
      const updated = batchNormUpdate(layer, p as never, x) as unknown as typeof p;
      const [, , tm, tv] = tl.getWeights();
      expectCloseTf(updated.movingMean, tm!, tol, 'moving mean');
      expectCloseTf(updated.movingVariance, tv!, tol, 'moving variance');
      expect(updated.gamma).toBe(p.gamma);
    }
  });

  it('moving statistics get no gradient; gamma/beta/x get checked gradients in both modes', () => {
    const layer = batchNormalization();
    const p = bnParams(2, 30);
    const x = randn(31, [5, 2]);
    const g = valueAndGrad((pp: typeof p) => sum(mul(run(layer, pp, x), randn(32, [5, 2]))))(p)[1];
    expect([...g.movingMean.dataSync(), ...g.movingVariance.dataSync()]).toEqual([0, 0, 0, 0]);
    expect(g.gamma.dataSync().some((v) => v !== 0)).toBe(true);
    for (const training of [false, true]) {
      checkGrads((gb: { gamma: AnyT; beta: AnyT }, xx: AnyT) => run(layer, { ...p, ...gb }, xx, { training }), [{ gamma: p.gamma, beta: p.beta }, x], { order: 1, atol: 1e-3, rtol: 1e-2 });
    }
  });

  it('updateMovingStats updates every batchNormalization of a model, purely', () => {
    const m = sequential(['batch', 4], dense(3), batchNormalization({ momentum: 0.5 }), dense(2), batchNormalization());
    const p = m.init(key(40));
    const x = randn(41, [8, 4]);
    const q = updateMovingStats(m, p, x);
    expect(q[0]).toBe(p[0]);
    expect([...p[1].movingMean.dataSync()]).toEqual([0, 0, 0]); // untouched
    const h = run(m.layers[0], p[0], x);
    const batchMean = mean(h, [0]).dataSync();
    expectCloseArrays(q[1].movingMean.dataSync(), Array.from(batchMean, (v) => 0.5 * v), tol);
    const h2 = run(m.layers[2], p[2], run(m.layers[1], p[1], h, { training: true }));
    expectCloseArrays(q[3].movingMean.dataSync(), Array.from(mean(h2, [0]).dataSync(), (v) => 0.01 * v), tol);
  });

  it('updateMovingStats runs dropout with the training key split as the model does', () => {
    const m = sequential(['batch', 4], dropout(0.5), batchNormalization({ momentum: 0 }));
    const p = m.init(key(42));
    const x = randn(43, [8, 4]);
    expect(() => updateMovingStats(m, p, x)).toThrow(/key/);
    const ctx = { training: true, key: key(44) };
    const q = updateMovingStats(m, p, x, ctx);
    // momentum 0: the moving mean is the batch mean of exactly what the training forward pass saw
    const dropped = run(m.layers[0], p[0], x, { training: true, key: (split(key(44), 2) as unknown as Key[])[0] });
    expectCloseArrays(q[1].movingMean.dataSync(), mean(dropped, [0]).dataSync(), tol);
  });
});

// ---------------------------------------------------------------- the seed CNN

describe('CNN models', () => {
  it('the seed CNN: shapes, summary, params', () => {
    const m = sequential(
      ['batch', 28, 28, 1],
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      flatten(),
      dense(10),
    );
    expect(m.outputShape).toEqual(['batch', 10]);
    const p = m.init(key(0));
    expect(p[0].kernel.shape).toEqual([3, 3, 1, 32]);
    expect(p[2].kernel.shape).toEqual([3, 3, 32, 64]);
    expect(p[5].kernel.shape).toEqual([1600, 10]);
    const s = m.summary(p);
    expect(s).toContain('[batch, 5, 5, 64]');
    expect(s).toContain('total params: 34,826'); // 320 + 18,496 + 16,010
    expect(m.apply(p, randn(1, [2, 28, 28, 1])).shape).toEqual([2, 10]);
  });

  it('a tiny CNN overfits a tiny batch (valueAndGrad + SGD)', () => {
    const m = sequential(
      ['batch', 8, 8, 1],
      conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      maxPool2d({ poolSize: 2 }),
      conv2d({ filters: 8, kernelSize: 2, padding: 'same', activation: 'relu' }),
      globalAvgPool2d(),
      dense(3),
    );
    let p = m.init(key(50));
    const x = randn(51, [6, 8, 8, 1]);
    const labels = [0, 1, 2, 0, 1, 2];
    const oneHot = fromFlat(labels.flatMap((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0))), [6, 3]);
    const loss = (pp: typeof p) => neg(mean(sum(mul(logSoftmax(m.apply(pp, x)), oneHot), [1])));
    const step = valueAndGrad(loss);
    let last = Infinity;
    for (let i = 0; i < 600 && last > 2e-3; i++) {
      const [l, g] = step(p);
      last = l.item();
      p = treeMap((w, gw) => sub(w, mul(gw, 0.3)), p, g);
    }
    expect(last).toBeLessThan(2e-3);
  });
});

