import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { createDataset, persistenceForecast, seasonalNaiveForecast } from '../src/data/timeseries';
import { parseNumericColumn } from '../src/data/csv';
import { trainTestSplitOrdered } from '../src/data/splits';
import { dataset } from './helpers/datasets';

describe('createDataset', () => {
  it('builds the windows of a hand-checked series', () => {
    const r = createDataset([10, 20, 30, 40, 50], 2);
    if (E.isLeft(r)) throw new Error(r.left.message);
    const d = r.right;
    expect(d.n).toBe(3);
    expect(d.lookBack).toBe(2);
    expect(d.inputShape).toEqual([3, 2, 1]);
    expect(d.targetShape).toEqual([3, 1]);
    expect(Array.from(d.inputs)).toEqual([10, 20, 20, 30, 30, 40]);
    expect(Array.from(d.targets)).toEqual([30, 40, 50]);
  });

  it('sample i is series[i .. i+lookBack) with target series[i+lookBack], for every series', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((lb) =>
          fc.tuple(fc.constant(lb), fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: lb + 1, maxLength: 60 })),
        ),
        ([lb, series]) => {
          const d = createDataset(Float64Array.from(series), lb);
          if (E.isLeft(d)) return false;
          const { inputs, targets, n } = d.right;
          expect(n).toBe(series.length - lb);
          expect(inputs.length).toBe(n * lb);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < lb; j++) expect(inputs[i * lb + j]).toBe(Math.fround(series[i + j]!));
            expect(targets[i]).toBe(Math.fround(series[i + lb]!));
          }
          return true;
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('returns Left for a series shorter than lookBack + 1 or a non-finite value; RangeError for a bad lookBack', () => {
    const short = createDataset([1, 2, 3], 3);
    expect(E.isLeft(short) && short.left).toMatchObject({ code: 'series-too-short', expected: 'length >= 4', found: 'length 3' });
    const exact = createDataset([1, 2, 3, 4], 3);
    expect(E.isRight(exact) && exact.right.n).toBe(1);
    const nan = createDataset([1, 2, NaN, 4], 1);
    expect(E.isLeft(nan) && nan.left).toMatchObject({ code: 'non-finite', index: 2 });
    expect(() => createDataset([1, 2, 3], 0)).toThrow(RangeError);
    expect(() => createDataset([1, 2, 3], 1.5)).toThrow(RangeError);
  });
});

describe('naive forecasts', () => {
  it('persistence and seasonal naive predict the lagged actual values', () => {
    const s = [1, 2, 4, 7, 11, 16];
    const p = persistenceForecast(s, 3);
    expect(Array.from(p.predictions)).toEqual([4, 7, 11]);
    expect(Array.from(p.actual)).toEqual([7, 11, 16]);
    expect(p.rmse).toBeCloseTo(Math.sqrt((9 + 16 + 25) / 3), 12);
    expect(p.mae).toBeCloseTo(4, 12);
    const q = seasonalNaiveForecast(s, 2, 4);
    expect(Array.from(q.predictions)).toEqual([4, 7]);
    expect(() => seasonalNaiveForecast(s, 2, 1)).toThrow(RangeError);
    expect(() => persistenceForecast(s, 0)).toThrow(RangeError);
  });

  it('AirPassengers, first 2/3 train: persistence RMSE 48.04, seasonal naive (12) RMSE 41.85 on the last third', () => {
    const parsed = parseNumericColumn(readFileSync(dataset('timeseries/AirPassengers.csv'), 'utf8'), 'value');
    if (E.isLeft(parsed)) throw new Error(parsed.left.message);
    const series = parsed.right;
    const { train, test } = trainTestSplitOrdered(series.length, 2 / 3);
    expect([series.length, train.length, test.length]).toEqual([144, 96, 48]);
    const persistence = persistenceForecast(series, train.length);
    const seasonal = seasonalNaiveForecast(series, 12, train.length);
    console.log(`AirPassengers test months 96..143: persistence RMSE ${persistence.rmse.toFixed(4)}, seasonal-naive(12) RMSE ${seasonal.rmse.toFixed(4)}`);
    expect(persistence.rmse).toBeCloseTo(48.0412, 3);
    expect(seasonal.rmse).toBeCloseTo(41.8537, 3);
  });
});
