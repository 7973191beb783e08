import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExampleContext, ExampleResult } from '../src/examples/example';
import { example as rnnExample } from '../src/examples/rnn-airpassengers';
import { example as lstmExample } from '../src/examples/lstm-airpassengers';
import { baselines, chooseLookBack, parseSeries, prepare, toLevels } from '../src/examples/airpassengers-common';

const dataDir = fileURLToPath(new URL('../src/examples/data', import.meta.url));
const airCsv = readFileSync(join(dataDir, 'timeseries', 'AirPassengers.csv'), 'utf8');

/** The lag a report's transform names: 0 raw, 1 first difference, P seasonal difference. */
function lagOf(transform: unknown): number {
  const t = String(transform);
  const m = /seasonal difference \(lag (\d+)\)/.exec(t);
  return m ? Number(m[1]) : t.includes('first difference') ? 1 : 0;
}

function fakeContext(dataFile?: string, period?: number): ExampleContext & { lines: string[]; bars: { title: string; total: number; updates: number; stopped: boolean }[] } {
  const lines: string[] = [];
  const bars: { title: string; total: number; updates: number; stopped: boolean }[] = [];
  return {
    quick: true,
    dataDir,
    ...(dataFile === undefined ? {} : { dataFile }),
    ...(period === undefined ? {} : { period }),
    lines,
    bars,
    log: (line) => lines.push(line),
    progress(title, total) {
      const bar = { title, total, updates: 0, stopped: false };
      bars.push(bar);
      return {
        update: (done, values) => {
          expect(done).toBeGreaterThanOrEqual(1);
          expect(done).toBeLessThanOrEqual(total);
          expect(Number.isFinite(values['loss'])).toBe(true);
          bar.updates++;
        },
        stop: () => {
          bar.stopped = true;
        },
      };
    },
  };
}

function checkResult(r: ExampleResult, unit: string): void {
  expect(r.metric).toBe(`test RMSE (${unit})`);
  expect(r.lowerIsBetter).toBe(true);
  expect(Number.isFinite(r.value)).toBe(true);
  expect(r.value).toBeGreaterThan(0);
  expect(r.plots).toHaveLength(2);
  for (const p of r.plots) {
    const values = (p.spec as { data: { values: { x: number; y: number; series: string }[] } }).data.values;
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => Number.isFinite(v.x) && Number.isFinite(v.y))).toBe(true);
  }
}

describe('AirPassengers data pipeline', () => {
  const series = parseSeries(airCsv, 'AirPassengers.csv');
  const p = prepare(series.values);

  it('splits 96 / 48 months, windows of 12 changes, time axis in years', () => {
    expect(p.n).toBe(144);
    expect(p.trainEnd).toBe(96);
    expect(p.lookBack).toBe(12);
    expect(p.logged).toBe(true);
    // 95 training differences give 83 windows; every test month is forecast
    expect(p.train.x.shape).toEqual([83, 12, 1]);
    expect(p.train.y.shape).toEqual([83, 1]);
    expect(p.test.x.shape).toEqual([48, 12, 1]);
    expect(Array.from(p.train.targetIndex)).toEqual(Array.from({ length: 83 }, (_, i) => 13 + i));
    expect(Array.from(p.test.targetIndex)).toEqual(Array.from({ length: 48 }, (_, i) => 96 + i));
    expect(series.timeLabel).toBe('year');
    expect(series.time[0]).toBe(1949);
    expect(series.time[143]).toBeCloseTo(1960 + 11 / 12, 10);
  });

  it('scales on the training part only; test inputs stay near the training range', () => {
    const tr = Array.from(p.train.y.dataSync());
    const te = Array.from(p.test.x.dataSync());
    const trainDiffs = Array.from({ length: 95 }, (_, i) => p.level[i + 1]! - p.level[i]!);
    expect(p.scaler.dataMin[0]).toBe(Math.min(...trainDiffs));
    expect(p.scaler.dataMax[0]).toBe(Math.max(...trainDiffs));
    // the training extremes fall inside the training windows' targets
    expect(Math.min(...tr)).toBeCloseTo(0, 6);
    expect(Math.max(...tr)).toBeCloseTo(1, 6);
    // 1957-1960 has a sharper drop than any training month (a scaler fitted on all data would hide it),
    // yet every scaled change stays within [-0.2, 1], where raw MinMax levels would reach 1.68
    expect(Math.min(...te)).toBeLessThan(0);
    expect(Math.min(...te)).toBeGreaterThan(-0.2);
    expect(Math.max(...te)).toBeLessThan(1);
  });

  it('the true scaled targets map back to the actual passengers (index bookkeeping of toLevels)', () => {
    for (const w of [p.train, p.test]) {
      const back = toLevels(p, w.y.dataSync(), w.targetIndex);
      w.targetIndex.forEach((t, i) => expect(back[i]).toBeCloseTo(series.values[t]!, 3));
    }
    // the windows hold the changes just before their target
    const x = p.test.x.dataSync();
    const last = toLevels(p, [x[11]!], Int32Array.of(95));
    expect(last[0]).toBeCloseTo(series.values[95]!, 3);
  });

  it('baselines reproduce persistence 48.04 and seasonal naive 41.85; the seasonal rule on log changes is 15.62', () => {
    const b = baselines(p);
    expect(b.persistence).toBeCloseTo(48.04, 2);
    expect(b.seasonalNaive).toBeCloseTo(41.85, 2);
    // y[t-1]·y[t-12]/y[t-13], computed independently
    const v = series.values;
    let s = 0;
    for (let t = 96; t < 144; t++) s += (v[t]! - (v[t - 1]! * v[t - 12]!) / v[t - 13]!) ** 2;
    expect(b.seasonalNaiveChange).toBeCloseTo(Math.sqrt(s / 48), 6);
  });

  it('look-back 12 needs 25 training values; shorter files use half their training differences', () => {
    expect(chooseLookBack(96)).toBe(12);
    expect(chooseLookBack(25)).toBe(12);
    expect(chooseLookBack(24)).toBe(11);
    expect(chooseLookBack(20)).toBe(9);
    expect(chooseLookBack(5)).toBe(2);
  });

  it('rejects a series that is too short, a file without a value column, and a constant-change series', () => {
    expect(() => prepare(Float64Array.of(1, 2, 3, 4, 5, 6, 7))).toThrow(/7 values; at least 8/);
    expect(() => parseSeries('year,passengers\n1949,112\n', 'x.csv')).toThrow(/x\.csv: .*no column "value"/);
    expect(() => prepare(Float64Array.from({ length: 40 }, (_, i) => -5 + 2 * i))).toThrow(/constant/);
  });
});

describe('rnn-airpassengers and lstm-airpassengers (quick)', () => {
  for (const ex of [rnnExample, lstmExample]) {
    it(`${ex.id} runs on the bundled data with sane results`, async () => {
      const ctx = fakeContext();
      const r = await ex.run(ctx);
      checkResult(r, 'passengers');
      expect(r.target).toBe(45);
      expect(r.baseline).toBeCloseTo(41.85, 2);
      expect(r.details?.['persistence RMSE']).toBeCloseTo(48.04, 2);
      expect(r.details?.['look-back (months)']).toBe(12);
      expect(r.details?.['train / test values']).toBe('96 / 48');
      // even 20 epochs of log changes keep the forecast in the right range
      expect(r.value).toBeLessThan(100);
      // quick: 6 selection runs (raw/log × raw/difference/seasonal difference at look-back 12), then the final one
      expect(ctx.bars).toHaveLength(7);
      expect(ctx.bars.slice(0, 6).every((b) => b.title.startsWith('select '))).toBe(true);
      for (const b of ctx.bars) expect([b.total, b.updates, b.stopped]).toEqual([20, 20, true]);
      expect(r.details?.['period']).toMatch(/^12 \(autocorrelation peak/);
      expect(r.details?.['data file']).toMatch(/AirPassengers\.csv$/);
      expect(r.details?.['rows, columns used']).toBe("144, 'value' (time axis from 'year', 'period')");
      expect(r.details?.['selection']).toMatch(/^6 candidates trained on the first 64 values, scored on the next 32/);
      expect(r.details?.['beats seasonal naive (period 12)']).toBe(r.value < 41.85 ? 'yes' : 'NO');
      expect(ctx.lines.join('\n')).toMatch(/seasonal naive 41\.85/);
      expect(r.notes?.[0]).toMatch(/beats the seasonal naive|does NOT beat/);
      expect(r.notes?.at(-1)).toMatch(ex.id.startsWith('lstm') ? /lstm/ : /simpleRnn/);
      // the forecast plot covers the whole series: 144 actual, 96 − lag − 12 fitted, 48 forecast points (+1 joint)
      const forecast = (r.plots[1]!.spec as { data: { values: { series: string }[] } }).data.values;
      const count = (name: string) => forecast.filter((v) => v.series === name).length;
      expect([count('actual'), count('train fit'), count('test forecast')]).toEqual([144, 96 - lagOf(r.details?.['transform']) - 12, 49]);
    });
  }

  it('is deterministic for its fixed seed', async () => {
    const a = await rnnExample.run(fakeContext());
    const b = await rnnExample.run(fakeContext());
    expect(b.value).toBe(a.value);
  });

  it('--data: a short file without year/period, with non-positive values, --period 12 (too short to select: the seed recipe, no log, look-back 9, no target)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airpassengers-'));
    const file = join(dir, 'series.csv');
    // 30 values: a seasonal wave around zero with a trend; train 20, test 10
    const values = Array.from({ length: 30 }, (_, i) => (0.5 * i - 5 + 3 * Math.sin((2 * Math.PI * i) / 12)).toFixed(3));
    writeFileSync(file, `value\n${values.join('\n')}\n`);
    const ctx = fakeContext(file, 12);
    const r = await rnnExample.run(ctx);
    checkResult(r, 'value');
    expect(r.details?.['period']).toBe('12 (--period)');
    expect(r.details?.['selection']).toMatch(/too short to select/);
    expect(r.target).toBeNull();
    expect(r.details?.['look-back (months)']).toBe(9);
    expect(r.details?.['train / test values']).toBe('20 / 10');
    expect(String(r.details?.['transform'])).not.toMatch(/log/);
    expect(r.baselineName).toMatch(/seasonal naive/);
    expect(r.details?.['seasonal naive on changes RMSE']).toBeGreaterThan(0);
    expect(ctx.lines.join('\n')).toMatch(/30 values: train 20, test 10; lookBack 9/);
  });
});
