import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { tensor, scalar, zeros, ones, full, arange, linspace, eye, fromData, fromDataOrThrow, checkShape, assertShape, zerosLike } from '../src/tensor/create';
import { randomNormal, randomUniform, bernoulli, randint, permutation } from '../src/tensor/random';
import { key, split } from '../src/random';
import { ShapeError } from '../src/shape/dims';
import * as ops from '../src/ops';
import { grad } from '../src/autodiff/transforms';
import { arbShape } from '../src/testing/arbitraries';

describe('constructors', () => {
  it('infer shapes from nested arrays and round-trip through toArray', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).toArray()).toEqual([true, false]);
    expect(tensor([1, 2], 'int32').dataSync()).toBeInstanceOf(Int32Array);
    expect(scalar(3).item()).toBe(3);
  });

  it('round-trips random nested arrays (property)', () => {
    fc.assert(
      fc.property(arbShape({ minRank: 0, maxRank: 4, maxDim: 4 }), fc.integer(), (shape, seed) => {
        const t = randomNormal(key(seed), shape);
        const back = fromDataOrThrow(t.toArray(), shape);
        expect(back.shape).toEqual(shape);
        expect(back.dataSync()).toEqual(t.dataSync());
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('reject ragged arrays with a ShapeError naming the position', () => {
    expect(() => tensor([[1, 2], [3]] as never)).toThrow(/ragged array: expected length 2 at \[1\]/);
    expect(() => tensor([[1, 2], 3] as never)).toThrow(ShapeError);
  });

  it('make zeros / ones / full / arange / linspace / eye', () => {
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 7, 'int32').toArray()).toEqual([7, 7]);
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(zerosLike(eye(2)).shape).toEqual([2, 2]);
    expect(() => zeros([2, -1] as never)).toThrow(ShapeError);
  });

  it('prints readably, eliding large tensors', () => {
    expect(tensor([[1, 2.5], [3, 4]]).toString()).toBe('Tensor<[2, 2], float32>\n[[1., 2.5],\n [3., 4.]]');
    const big = zeros([100, 100]).toString();
    expect(big).toContain('...');
    expect(big.length).toBeLessThan(2000);
  });
});

describe('the typed escape hatch', () => {
  it('returns Right for data that fits and Left with a reason otherwise', () => {
    const ok = fromData([[1, 2, 3]], ['batch', 3]);
    expect(E.isRight(ok) && ok.right.shape).toEqual([1, 3]);
    const flat = fromData(new Float32Array(12), ['batch', 4]);
    expect(E.isRight(flat) && flat.right.shape).toEqual([3, 4]);
    const bad = fromData([[1, 2]], ['batch', 3]);
    expect(E.isLeft(bad) && bad.left.message).toMatch(/dim 1 is 2 but expected 3/);
    const ragged = fromData([[1, 2], [3]], [2, 2]);
    expect(E.isLeft(ragged) && ragged.left).toBeInstanceOf(ShapeError);
    expect(E.isLeft(fromData('nope', [1]))).toBe(true);
    expect(E.isLeft(fromData([['a']], [1, 1]))).toBe(true);
    expect(E.isLeft(fromData(new Float32Array(10), ['batch', 4]))).toBe(true);
  });

  it('checkShape / assertShape narrow a tensor of unknown shape', () => {
    const t = randomNormal(key(0), [2, 5]) as unknown as import('../src/tensor/tensor').Tensor<number[]>;
    expect(E.isRight(checkShape(t, [2, 5]))).toBe(true);
    expect(E.isLeft(checkShape(t, [2, 4]))).toBe(true);
    expect(() => assertShape(t, [3, 5])).toThrow(ShapeError);
  });
});

describe('random tensors', () => {
  it('are pure: the same key gives bit-identical tensors, split keys differ', () => {
    const k = key(123);
    expect(randomNormal(k, [50]).dataSync()).toEqual(randomNormal(k, [50]).dataSync());
    const [a, b] = split(k);
    expect(randomUniform(a, [50]).dataSync()).not.toEqual(randomUniform(b, [50]).dataSync());
    expect(bernoulli(k, [10], 0.5).dtype).toBe('bool');
    expect(randint(k, [10], 0, 5).dtype).toBe('int32');
    expect([...permutation(k, 6).dataSync()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('immutability', () => {
  it('no op writes into its inputs (forward and backward)', () => {
    const k = key(5);
    const [k1, k2, k3] = split(k, 3);
    const a = randomNormal(k1, [2, 3, 4]);
    const b = randomNormal(k2, [4, 3]);
    const img = randomNormal(k3, [1, 5, 5, 2]);
    const ids = tensor([[0, 2], [1, 1]], 'int32');
    const snapshot = [a, b, img, ids].map((t) => t.dataSync().slice());
    const any = ops as unknown as Record<string, (...args: unknown[]) => unknown>;
    const calls: [string, unknown[]][] = [
      ['add', [a, a]], ['mul', [a, 2]], ['exp', [a]], ['relu', [a]], ['sigmoid', [a]], ['softmax', [a]], ['logSoftmax', [a]],
      ['sum', [a, [1]]], ['mean', [a]], ['max', [a, [2]]], ['variance', [a]], ['norm', [a]], ['argmax', [a]],
      ['matmul', [a, randomNormal(k1, [4, 2])]], ['transpose', [a]], ['reshape', [a, [6, 4]]], ['flatten', [a]],
      ['concat', [[a, a], 1]], ['slice', [a, [0, 1, 0], [1, 2, 4]]], ['pad', [a, [[0, 0], [1, 1], [0, 0]]]], ['tile', [a, [1, 2, 1]]],
      ['gather', [b, ids]], ['oneHot', [ids, 3]], ['clip', [a, -0.5, 0.5]], ['where', [ops.greater(a, 0), a, 0]],
      ['conv2d', [img, randomNormal(k2, [3, 3, 2, 4]), { padding: 'same' }]], ['maxPool2d', [img, { poolSize: 2 }]], ['avgPool2d', [img, { poolSize: 2, padding: 'same' }]],
      ['layerNorm', [a, null, null]],
    ];
    for (const [name, args] of calls) {
      const f = any[name];
      expect(f, name).toBeTypeOf('function');
      f!(...args);
    }
    // backward passes too
    const w = randomNormal(k2, [3, 3, 2, 4]);
    grad((x: typeof a, y: typeof img) =>
      ops.add(ops.sum(ops.layerNorm(ops.softmax(x), null, null)), ops.sum(ops.maxPool2d(ops.conv2d(y, w, { padding: 'same' }), { poolSize: 2 }))),
      { argnums: [0, 1] },
    )(a, img);
    [a, b, img, ids].forEach((t, i) => expect(t.dataSync(), `input ${i}`).toEqual(snapshot[i]));
  });

  it('hands out copies of data', () => {
    const t = tensor([1, 2, 3]);
    const d = t.dataSync();
    d[0] = 99;
    expect(t.toArray()).toEqual([1, 2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });
});
