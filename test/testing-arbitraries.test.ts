/** Typed tensor arbitraries: right shapes, values and structure; usable in property tests without casts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor';
import { tensor } from '../src/tensor/create';
import { arbTensor, arbTensorFor, arbTensorsLike, checkGrads } from '../src/testing';
import { matmul, transpose } from '../src/ops/linalg';
import { add } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { tanh } from '../src/ops/activations';
import { dense } from '../src/nn/layers/core';
import { initLayer, applyLayer } from '../src/nn/layer';
import { key } from '../src/random';

const sample = <T>(arb: fc.Arbitrary<T>, numRuns = 50): T[] => fc.sample(arb, { seed: 3, numRuns });

describe('arbTensor', () => {
  it('gives float32 tensors of the shape, values within the options', () => {
    for (const shape of [[], [0], [3], [2, 3, 1]]) {
      for (const t of sample(arbTensor(shape, { min: -2, max: 2, avoid: [0], margin: 0.1 }))) {
        expect(t).toBeInstanceOf(Tensor);
        expect(t.shape).toEqual(shape);
        expect(t.dtype).toBe('float32');
        for (const v of t.dataSync()) {
          expect(Math.abs(v)).toBeLessThanOrEqual(2);
          expect(Math.abs(v)).toBeGreaterThanOrEqual(0.1);
        }
      }
    }
  });

  it('draws varied data and shrinks a failing case towards a small counterexample', () => {
    const firsts = new Set(sample(arbTensor([4])).map((t) => t.dataSync()[0]));
    expect(firsts.size).toBeGreaterThan(40);
    const r = fc.check(fc.property(arbTensor([3]), (t) => t.dataSync().every((v) => v < 5)), { seed: 1 });
    expect(r.failed).toBe(true);
    const [cex] = r.counterexample as [Tensor<[3]>];
    expect(Array.from(cex.dataSync()).filter((v) => v !== 0)).toEqual([5]); // one value at the bound, others 0
  });

  it('rejects shapes that are not arrays of non-negative integers, naming the function', () => {
    expect(() => arbTensor([2, -1])).toThrow('arbTensor: shape must be an array of non-negative integer dims, got [2,-1]');
    expect(() => arbTensor([1.5] as never)).toThrow(RangeError);
  });
});

describe('arbTensorFor', () => {
  it('follows tuples and records of shapes', () => {
    for (const [a, b] of sample(arbTensorFor([[2, 3], []]))) {
      expect(a.shape).toEqual([2, 3]);
      expect(b.shape).toEqual([]);
    }
    for (const p of sample(arbTensorFor({ w: [3, 4], b: [4], more: [{ s: [2] }] }))) {
      expect(Object.keys(p)).toEqual(['w', 'b', 'more']);
      expect([p.w.shape, p.b.shape, p.more[0].s.shape]).toEqual([[3, 4], [4], [2]]);
    }
  });

  it('names the path of a bad leaf', () => {
    expect(() => arbTensorFor({ w: [3, 4], layers: [{ b: [-4] }] })).toThrow("arbTensorFor: shape at 'layers.0.b' must be an array of non-negative integer dims, got [-4]");
    expect(() => arbTensorFor({ w: 'big' } as never)).toThrow("arbTensorFor: expected a shape, an array of shape trees or a record of them at 'w', got \"big\"");
  });
});

describe('arbTensorsLike', () => {
  it('redraws float leaves and keeps the structure and every other leaf', () => {
    const ids = tensor([1, 2], 'int32');
    const tree = { w: tensor([[1, 2], [3, 4]]), meta: { ids, name: 'x', n: 3 } };
    const drawn = sample(arbTensorsLike(tree));
    for (const t of drawn) {
      expect(t.w.shape).toEqual([2, 2]);
      expect(t.meta.ids).toBe(ids);
      expect(t.meta).toMatchObject({ name: 'x', n: 3 });
    }
    expect(new Set(drawn.map((t) => t.w.dataSync()[0])).size).toBeGreaterThan(40);
  });
});

describe('property tests with typed tensors, no casts', () => {
  it('(AB)ᵀ = BᵀAᵀ', () => {
    fc.assert(
      fc.property(arbTensorFor([[2, 3], [3, 4]], { min: -3, max: 3 }), ([a, b]) => {
        const lhs = transpose(matmul(a, b)).dataSync();
        const rhs = matmul(transpose(b), transpose(a)).dataSync();
        lhs.forEach((v, i) => expect(v).toBeCloseTo(rhs[i]!, 4));
      }),
      { seed: 5, numRuns: 50 },
    );
  });

  it('checkGrads of a dense tanh layer at random params and inputs (order 1, both modes)', () => {
    const d = dense(3, { activation: 'tanh' });
    const p0 = initLayer(d, key(0), [4]);
    fc.assert(
      fc.property(arbTensorsLike(p0, { min: -1, max: 1 }), arbTensor([2, 4], { min: -2, max: 2 }), (p, x) => {
        checkGrads((pp: typeof p, xx: typeof x) => sum(tanh(add(applyLayer(d, pp, xx), 1))), [p, x], { seed: 1 });
      }),
      { seed: 6, numRuns: 15 },
    );
  });
});
