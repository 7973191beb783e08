import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleGreedy, sampleTemperature, sampleTopK } from '../src/data/sampling';

// Logits with occasional -Infinity, at least one finite.
const logits = fc
  .array(fc.oneof({ weight: 9, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(-Infinity) }), {
    minLength: 1,
    maxLength: 30,
  })
  .filter((xs) => xs.some((x) => x !== -Infinity));
const uniform = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('samplers', () => {
  it('sampleGreedy returns the first maximum', () => {
    expect(sampleGreedy([1, 3, 3, -Infinity])).toBe(1);
    expect(() => sampleGreedy([])).toThrow(RangeError);
    expect(() => sampleGreedy([-Infinity])).toThrow(/nothing can be sampled/);
    expect(() => sampleGreedy([0, NaN])).toThrow(/logit 1 is NaN/);
  });

  it('temperature 0 is exactly greedy for all inputs, whatever u', () => {
    fc.assert(
      fc.property(logits, fc.double({ noNaN: true }), (l, u) => {
        expect(sampleTemperature(l, 0, u)).toBe(sampleGreedy(l));
        expect(sampleTopK(l, 3, 0, u)).toBe(sampleGreedy(l));
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('top-k never picks outside the k largest logits, nor a -Infinity one', () => {
    fc.assert(
      fc.property(logits, fc.integer({ min: 1, max: 10 }), fc.double({ min: 0.01, max: 100, noNaN: true }), uniform, (l, k, t, u) => {
        const i = sampleTopK(l, k, t, u);
        const kth = [...l].sort((a, b) => b - a)[Math.min(k, l.length) - 1]!;
        expect(l[i]).toBeGreaterThanOrEqual(kth);
        expect(l[i]).not.toBe(-Infinity);
        expect(l[sampleTemperature(l, t, u)]).not.toBe(-Infinity);
      }),
      { seed: 42, numRuns: 500 },
    );
    expect(sampleTopK([5, 1, 4, 3], 2, 1e9, 0.99)).toBe(2);
  });

  it('follows softmax(logits / T) by inverse CDF', () => {
    const p = [0.1, 0.2, 0.3, 0.4];
    const l = p.map(Math.log);
    const hits = new Array<number>(4).fill(0);
    const n = 10_000;
    for (let j = 0; j < n; j++) hits[sampleTemperature(l, 1, (j + 0.5) / n)]!++;
    expect(hits.map((h) => h / n)).toEqual(p.map((x) => expect.closeTo(x, 3)));
    // T = 2 flattens: weights sqrt(p).
    const w = p.map(Math.sqrt);
    const cut0 = w[0]! / w.reduce((a, b) => a + b, 0);
    expect(sampleTemperature(l, 2, cut0 - 1e-9)).toBe(0);
    expect(sampleTemperature(l, 2, cut0 + 1e-9)).toBe(1);
  });

  it('is uniform over finite logits at T = ∞ and stable for huge logits and tiny temperatures', () => {
    const l = [1e300, -Infinity, -1e300, 5];
    expect([0, 0.32, 0.34, 0.9].map((u) => sampleTemperature(l, Infinity, u))).toEqual([0, 0, 2, 3]);
    expect(sampleTemperature([1e308, -1e308, 1e308], 1, 0.75)).toBe(2);
    expect(sampleTemperature([1e308, -1e308, 1e308], 1, 0.25)).toBe(0);
    expect(sampleTemperature([1, 2, 3], 1e-300, 0.999)).toBe(2);
    expect(sampleTemperature([0, 1e-3], 5e-324, 0.1)).toBe(1);
    expect(() => sampleTemperature([0, 1], 1, 1)).toThrow(RangeError);
    expect(() => sampleTemperature([0, 1], -1, 0.5)).toThrow(RangeError);
  });
});
