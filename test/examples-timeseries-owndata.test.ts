import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autocorrelation, detectPeriod, detrend } from '../src/data/seasonal';
import { candidateSettings, choosePeriod, prepare, toLevels } from '../src/examples/airpassengers-common';
import type { ExampleContext, ExampleResult } from '../src/examples/example';
import { example as rnnExample } from '../src/examples/rnn-airpassengers';

/** Deterministic pseudo-noise in [-0.5, 0.5). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/** n values with a season of `period`, optional linear trend, noise amplitude `eps`. */
function seasonal(n: number, period: number, trend: number, eps: number, seed = 3): number[] {
  const r = noise(seed);
  return Array.from({ length: n }, (_, t) => 50 + trend * t + 8 * Math.sin((2 * Math.PI * t) / period) + 3 * Math.cos((4 * Math.PI * t) / period) + eps * r());
}

function writeSeries(values: readonly number[], withYear = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'owndata-ts-'));
  const file = join(dir, 'series.csv');
  writeFileSync(file, (withYear ? 'year,value\n' : 'value\n') + values.map((v, i) => (withYear ? `${1900 + i},${v.toFixed(6)}` : v.toFixed(6))).join('\n') + '\n');
  return file;
}

function ctxFor(dataFile: string, period?: number): ExampleContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    quick: true,
    dataDir: '/nonexistent',
    dataFile,
    ...(period === undefined ? {} : { period }),
    lines,
    log: (l) => lines.push(l),
    progress: () => ({ update: () => {}, stop: () => {} }),
  };
}

const pick = (r: ExampleResult) => ({ period: r.details?.['period'], selection: r.details?.['selection'], transform: r.details?.['transform'], lookBack: r.details?.['look-back (months)'] });

describe('seasonal period detection (training part only)', () => {
  it('finds the period of a seasonal series with and without trend; none in noise or a straight line', () => {
    for (const trend of [0, 0.8]) {
      expect(detectPeriod(seasonal(96, 12, trend, 1)).period).toBe(12);
      expect(detectPeriod(seasonal(70, 7, trend, 1)).period).toBe(7);
    }
    const r = noise(9);
    expect(detectPeriod(Array.from({ length: 200 }, r)).period).toBeNull();
    expect(detectPeriod(Array.from({ length: 50 }, (_, i) => 2 * i + 1)).period).toBeNull();
  });

  it('autocorrelation and detrend: r[0] = 1, a constant gives zeros, a line detrends to zero', () => {
    const a = autocorrelation(seasonal(48, 12, 0, 0), 13);
    expect(a[0]).toBeCloseTo(1, 12);
    expect(a[12]).toBeGreaterThan(0.7);
    expect(Array.from(autocorrelation([5, 5, 5, 5], 2))).toEqual([0, 0, 0]);
    for (const v of detrend([1, 3, 5, 7, 9])) expect(v).toBeCloseTo(0, 12);
  });

  it('--period wins over detection; detection reads only the training part', () => {
    const v = Float64Array.from(seasonal(90, 12, 0.3, 1));
    expect(choosePeriod(v, 60, 7)).toEqual({ period: 7, source: '--period' });
    const w = v.slice();
    for (let t = 60; t < 90; t++) w[t] = 1000 * Math.sin(t);
    expect(choosePeriod(w, 60, undefined)).toEqual(choosePeriod(v, 60, undefined));
    expect(choosePeriod(v, 60, undefined).period).toBe(12);
  });
});

describe('transforms and candidates', () => {
  it('every transform maps the true scaled targets back to the series (index bookkeeping)', () => {
    const v = Float64Array.from(seasonal(72, 12, 0.5, 1));
    for (const s of candidateSettings(v, 12, false)) {
      const p = prepare(v, s);
      expect(p.train.targetIndex[0]).toBe(s.lag + s.lookBack);
      expect(p.test.targetIndex[0]).toBe(p.trainEnd);
      for (const w of [p.train, p.test]) {
        const back = toLevels(p, w.y.dataSync(), w.targetIndex);
        w.targetIndex.forEach((t, i) => expect(back[i]).toBeCloseTo(v[t]!, 2));
      }
    }
  });

  it('the grid: log only for positive series, the seasonal lag only with a period, one look-back in quick mode', () => {
    const pos = Float64Array.of(1, 2, 3);
    expect(candidateSettings(pos, 12, false)).toHaveLength(2 * 3 * 3);
    expect(candidateSettings(Float64Array.of(-1, 2), 12, false).every((c) => !c.log)).toBe(true);
    expect(candidateSettings(pos, null, true).map((c) => c.lag)).toEqual([0, 1, 0, 1]);
    expect(new Set(candidateSettings(pos, 10, false).map((c) => c.lookBack))).toEqual(new Set([5, 10, 20]));
  });
});

describe('rnn-airpassengers on a user series (--data, quick)', () => {
  const values = seasonal(108, 12, 0.6, 2);

  it('chooses on the training part only: perturbing the test third changes the test RMSE, never the choice', async () => {
    const a = await rnnExample.run(ctxFor(writeSeries(values)));
    const perturbed = values.map((v, t) => (t >= 72 ? v * 1.5 + 20 * Math.sin(t) : v));
    const b = await rnnExample.run(ctxFor(writeSeries(perturbed)));
    expect(pick(b)).toEqual(pick(a));
    expect(a.details?.['period']).toMatch(/^12 \(autocorrelation/);
    expect(a.details?.['selection']).toMatch(/^6 candidates trained on the first 48 values, scored on the next 24/);
    expect(b.value).not.toBeCloseTo(a.value, 3);
    expect(a.details?.['train / test values']).toBe('72 / 36');
  });

  it('is deterministic per seed (choice and RMSE), and reports provenance', async () => {
    const file = writeSeries(values, true);
    const a = await rnnExample.run(ctxFor(file));
    const b = await rnnExample.run(ctxFor(file));
    expect(b.value).toBe(a.value);
    expect(pick(b)).toEqual(pick(a));
    expect(a.details?.['data file']).toBe(file);
    expect(a.details?.['rows, columns used']).toBe("108, 'value' (time axis from 'year')");
    expect(a.target).toBeNull();
  });

  it('without trend and with a given --period; says plainly when it does not beat seasonal naive', async () => {
    // an almost exactly periodic series: same-month-last-season is nearly perfect, 20 epochs are not
    const ctx = ctxFor(writeSeries(seasonal(96, 8, 0, 0.01)), 8);
    const r = await rnnExample.run(ctx);
    expect(r.details?.['period']).toBe('8 (--period)');
    expect(r.baselineName).toBe('seasonal naive RMSE (period 8)');
    expect(r.value).toBeGreaterThan(r.baseline!);
    expect(r.details?.['beats seasonal naive (period 8)']).toBe('NO');
    expect(ctx.lines.join('\n')).toMatch(/WARNING: SimpleRNN\(50\) does NOT beat the seasonal naive \(period 8\) forecast on the test third/);
    expect(r.notes?.[0]).toMatch(/does NOT beat/);
  });

  it('a series without a season: no period, persistence is the baseline', async () => {
    // a random walk; the detector is a statistical test: about 1 in 30 such 60-value walks (seeds
    // 1-29: only seed 4) shows a spurious peak, this one (seed 5) does not
    const r0 = noise(5);
    let x = 10;
    const walk = Array.from({ length: 90 }, () => (x += r0()));
    const r = await rnnExample.run(ctxFor(writeSeries(walk)));
    expect(r.details?.['period']).toMatch(/^none/);
    expect(r.baselineName).toBe('persistence RMSE');
    expect(r.details?.['selection']).toMatch(/^4 candidates/);
  });

  it('bad input: a missing file and a file without a value column fail naming the file', async () => {
    await expect(rnnExample.run(ctxFor('/nonexistent/x.csv'))).rejects.toThrow(/x\.csv: cannot read/);
    await expect(rnnExample.run({ ...ctxFor('/nonexistent/x.csv'), labelsFile: 'l.idx' })).rejects.toThrow(/takes no --labels/);
    const dir = mkdtempSync(join(tmpdir(), 'owndata-ts-'));
    writeFileSync(join(dir, 'y.csv'), 'year,count\n1,2\n');
    await expect(rnnExample.run(ctxFor(join(dir, 'y.csv')))).rejects.toThrow(/y\.csv: .*no column "value"/);
  });
});
