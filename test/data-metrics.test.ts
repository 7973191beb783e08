import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accuracy, confusionMatrix, editDistance, mae, phonemeErrorRate, rmse } from '../src/data/metrics';

describe('metrics', () => {
  it('accuracy, rmse and mae on hand cases', () => {
    expect(accuracy([0, 1, 2, 1], [0, 2, 2, 1])).toBe(0.75);
    expect(rmse([1, 2, 3], [1, 4, 0])).toBeCloseTo(Math.sqrt(13 / 3), 12);
    expect(mae([1, 2, 3], [1, 4, 0])).toBeCloseTo(5 / 3, 12);
    expect(() => accuracy([1], [1, 2])).toThrow(RangeError);
    expect(() => rmse([], [])).toThrow(RangeError);
  });

  it('confusionMatrix has true labels as rows and predictions as columns', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(m.shape).toEqual([3, 3]);
    expect(Array.from(m.data)).toEqual([1, 1, 0, 0, 1, 0, 1, 0, 2]);
    expect(() => confusionMatrix([3], [0], 3)).toThrow(/position 0/);
  });

  it('editDistance on known pairs', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance(['AH0', 'B', 'AA1', 'D'], ['AH0', 'B', 'AE1', 'D', 'Z'])).toBe(2);
  });

  it('editDistance is a metric bounded by the lengths', () => {
    const seq = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 10 });
    fc.assert(
      fc.property(seq, seq, seq, (a, b, c) => {
        const ab = editDistance(a, b);
        expect(editDistance(a, a)).toBe(0);
        expect(editDistance(b, a)).toBe(ab);
        expect(ab).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
        expect(ab).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(editDistance(a, c)).toBeLessThanOrEqual(ab + editDistance(b, c));
        expect(ab === 0).toBe(a.join() === b.join());
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('phonemeErrorRate = total edits / total reference length', () => {
    const refs = [['K', 'AE1', 'T'], ['D', 'AO1', 'G', 'Z']];
    const hyps = [['K', 'AE1', 'T'], ['D', 'AA1', 'G']];
    expect(phonemeErrorRate(refs, hyps)).toBeCloseTo(2 / 7, 12);
    expect(() => phonemeErrorRate([[]], [['A']])).toThrow(RangeError);
  });
});
