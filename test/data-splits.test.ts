import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { batchIndices, trainTestSplitOrdered, trainTestSplitShuffled } from '../src/data/splits';

/** A seeded Fisher-Yates permutation standing in for src/random's permutationArray. */
const permutation = (seed: number) => (n: number) => {
  const g = xoroshiro128plus(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(g, 0, i);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
};

const coversExactlyOnce = (n: number, parts: Int32Array[]) => {
  const all = parts.flatMap((p) => Array.from(p)).sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
};

describe('train/test splits', () => {
  it('ordered: train is the first floor(n·f) indices, test the rest', () => {
    const { train, test } = trainTestSplitOrdered(10, 0.7);
    expect(Array.from(train)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(test)).toEqual([7, 8, 9]);
    expect(trainTestSplitOrdered(144, 2 / 3).train.length).toBe(96);
    expect(trainTestSplitOrdered(144, 0.67).train.length).toBe(96);
  });

  it('sizes, disjointness and cover hold for every n and fraction (ordered and shuffled)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (n, f, seed) => {
        for (const s of [trainTestSplitOrdered(n, f), trainTestSplitShuffled(n, f, permutation(seed))]) {
          expect(s.train.length).toBe(Math.floor(n * f + 1e-9));
          expect(s.train.length + s.test.length).toBe(n);
          coversExactlyOnce(n, [s.train, s.test]);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('shuffled: follows the permutation and rejects an rng that is not a permutation', () => {
    const s = trainTestSplitShuffled(5, 0.6, () => Int32Array.from([4, 2, 0, 1, 3]));
    expect(Array.from(s.train)).toEqual([4, 2, 0]);
    expect(Array.from(s.test)).toEqual([1, 3]);
    expect(() => trainTestSplitShuffled(3, 0.5, () => Int32Array.from([0, 0, 1]))).toThrow(/not a permutation/);
    expect(() => trainTestSplitShuffled(3, 0.5, () => Int32Array.from([0, 1]))).toThrow(/length 2, expected 3/);
    expect(() => trainTestSplitOrdered(3, 1.5)).toThrow(RangeError);
  });
});

describe('batchIndices', () => {
  it('cuts n samples into batches, keeping or dropping the remainder', () => {
    expect(batchIndices(7, 3).map((b) => Array.from(b))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batchIndices(7, 3, { dropRemainder: true }).map((b) => Array.from(b))).toEqual([[0, 1, 2], [3, 4, 5]]);
    const order = Int32Array.from([3, 1, 0, 2]);
    expect(batchIndices(4, 2, { order }).map((b) => Array.from(b))).toEqual([[3, 1], [0, 2]]);
    expect(batchIndices(0, 4)).toEqual([]);
    expect(() => batchIndices(4, 0)).toThrow(RangeError);
  });

  it('has ceil(n/b) batches (floor with dropRemainder) that cover the order in sequence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), (n, b, drop) => {
        const batches = batchIndices(n, b, { dropRemainder: drop });
        expect(batches.length).toBe(drop ? Math.floor(n / b) : Math.ceil(n / b));
        expect(batches.every((x) => x.length === b || (!drop && x === batches.at(-1)))).toBe(true);
        const flat = batches.flatMap((x) => Array.from(x));
        expect(flat).toEqual(Array.from({ length: flat.length }, (_, i) => i));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
