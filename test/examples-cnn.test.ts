import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Example, ExampleContext, ExampleResult } from '../src/examples/example';
import { example as digits, readDigits } from '../src/examples/cnn-digits';
import { example as mnist } from '../src/examples/cnn-mnist';
import { channelMixing, filterImages, nearestNeighbour, splitImages } from '../src/examples/cnn-shared';
import { fromDataOrThrow } from '../src/tensor/create';
import { key } from '../src/random';

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'examples', 'data');

/** A context without terminal output that records what the example reports. */
function fakeContext(extra: Partial<ExampleContext> = {}) {
  const updates: { title: string; done: number; values: Readonly<Record<string, number>> }[] = [];
  const bars: { title: string; total: number; stopped: boolean }[] = [];
  const logs: string[] = [];
  const ctx: ExampleContext = {
    quick: true,
    dataDir,
    progress(title, total) {
      const bar = { title, total, stopped: false };
      bars.push(bar);
      return {
        update: (done, values) => updates.push({ title, done, values }),
        stop: () => {
          bar.stopped = true;
        },
      };
    },
    log: (line) => logs.push(line),
    ...extra,
  };
  return { ctx, updates, bars, logs };
}

function plotValues(r: ExampleResult, titleStart: string): Record<string, unknown>[] {
  const p = r.plots.find((q) => q.title.startsWith(titleStart));
  expect(p, titleStart).toBeDefined();
  return ((p!.spec as { data?: { values?: Record<string, unknown>[] } }).data?.values ?? []) as Record<string, unknown>[];
}

function checkResult(ex: Example, r: ExampleResult, f: { target: number; testN: number; filters: number; mixing: [number, number]; shapes: string[] }, rec: ReturnType<typeof fakeContext>) {
  expect(ex.dataFormat).toMatch(/IDX image file .*label,pixel1/);
  expect(r.metric).toBe('test accuracy');
  expect(r.lowerIsBetter).toBe(false);
  expect(r.target).toBe(f.target);
  // two quick epochs already beat chance (0.1) by far
  expect(Number.isFinite(r.value)).toBe(true);
  expect(r.value).toBeGreaterThan(0.3);
  expect(r.value).toBeLessThanOrEqual(1);
  expect(r.baseline).not.toBeNull();
  expect(r.baseline!).toBeGreaterThan(0.5);
  expect(r.baselineName).toMatch(/nearest-neighbour/);
  expect(r.details?.['logistic regression on raw pixels']).toBeGreaterThan(0.2);

  // one progress bar, updated once per epoch and stopped
  expect(rec.bars).toHaveLength(1);
  expect(rec.bars[0]!.stopped).toBe(true);
  expect(rec.updates.map((u) => u.done)).toEqual(Array.from({ length: rec.bars[0]!.total }, (_, i) => i + 1));
  for (const u of rec.updates) for (const v of Object.values(u.values)) expect(Number.isFinite(v)).toBe(true);

  expect(r.plots).toHaveLength(4);
  // loss curves: train and test, one point per epoch each
  const loss = plotValues(r, 'Loss per epoch');
  expect(new Set(loss.map((v) => v['series']))).toEqual(new Set(['train', 'test']));
  expect(loss).toHaveLength(2 * rec.bars[0]!.total);
  // the confusion matrix counts every test image once, and its diagonal is the accuracy
  const cm = plotValues(r, 'Confusion matrix');
  expect(cm).toHaveLength(100);
  expect(cm.reduce((s, v) => s + (v['v'] as number), 0)).toBe(f.testN);
  expect(cm.filter((v) => v['r'] === v['c']).reduce((s, v) => s + (v['v'] as number), 0) / f.testN).toBeCloseTo(r.value, 10);
  // filters: F images of 3x3; channel mixing: Cin x F cells, all non-negative
  const filt = plotValues(r, 'First conv layer');
  expect(new Set(filt.map((v) => v['img'])).size).toBe(f.filters);
  expect(filt).toHaveLength(9 * f.filters);
  const mix = plotValues(r, 'Second conv layer');
  expect(mix).toHaveLength(f.mixing[0] * f.mixing[1]);
  expect(mix.every((v) => (v['v'] as number) >= 0)).toBe(true);
  // the summary in the notes shows the shape story
  for (const s of f.shapes) expect(r.notes?.join('\n')).toContain(s);
}

describe('cnn-digits (quick)', () => {
  it('trains and returns a sane result with the four plots', async () => {
    const rec = fakeContext();
    const r = await digits.run(rec.ctx);
    checkResult(digits, r, { target: 0.97, testN: 150, filters: 16, mixing: [16, 32], shapes: ['[batch, 8, 8, 16]', '[batch, 4, 4, 16]', '[batch, 4, 4, 32]', '[batch, 512]'] }, rec);
    expect(rec.logs.join('\n')).toMatch(/1797 images 8x8, 10 classes, 400 train \/ 150 test/);
  });

  it('reads digits8x8.csv and names the line of a bad field', () => {
    const all = readDigits(join(dataDir, 'images', 'digits8x8.csv'));
    expect(all.n).toBe(1797);
    expect(Math.max(...all.x)).toBe(1);
    expect(new Set(all.y).size).toBe(10);
    const dir = mkdtempSync(join(tmpdir(), 'cnn-digits-'));
    const good = Array.from({ length: 64 }, () => '0').join(',') + ',3';
    const bad = Array.from({ length: 64 }, (_, i) => (i === 5 ? '17' : '0')).join(',') + ',3';
    writeFileSync(join(dir, 'bad.csv'), `${good}\n${bad}\n`);
    expect(() => readDigits(join(dir, 'bad.csv'))).toThrow(/line 2 field 6: expected an integer 0-16, found '17'/);
  });
});

describe('cnn-mnist (quick)', () => {
  it('trains and returns a sane result with the four plots', async () => {
    const rec = fakeContext();
    const r = await mnist.run(rec.ctx);
    checkResult(mnist, r, { target: 0.92, testN: 100, filters: 16, mixing: [16, 32], shapes: ['[batch, 26, 26, 16]', '[batch, 13, 13, 16]', '[batch, 11, 11, 32]', '[batch, 5, 5, 32]', '[batch, 800]'] }, rec);
    expect(rec.logs.join('\n')).toMatch(/2000 images 28x28, 10 classes, 300 train \/ 100 test/);
  });
});

describe('cnn example helpers', () => {
  it('the shuffled split is a partition, fixed by the key', () => {
    const set = { x: Float32Array.from({ length: 40 }, (_, i) => i), y: Int32Array.from({ length: 10 }, (_, i) => i), n: 10, h: 2, w: 2 };
    const a = splitImages(set, 0.8, key(1));
    expect(a.train.n).toBe(8);
    expect([...a.train.y, ...a.test.y].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // images travel with their labels
    for (let i = 0; i < a.train.n; i++) expect(a.train.x[4 * i]).toBe(4 * a.train.y[i]!);
    expect(Array.from(splitImages(set, 0.8, key(1)).test.y)).toEqual(Array.from(a.test.y));
    expect(Array.from(splitImages(set, 0.8, key(2)).train.y)).not.toEqual(Array.from(a.train.y));
  });

  it('1-NN picks the closest training image', () => {
    const train = { x: Float32Array.of(0, 0, 1, 1, 5, 5), y: Int32Array.of(3, 7, 9), n: 3, h: 1, w: 2 };
    const test = { x: Float32Array.of(0.9, 1.2, 4, 6, -1, 0), y: Int32Array.of(0, 0, 0), n: 3, h: 1, w: 2 };
    expect(Array.from(nearestNeighbour(train, test))).toEqual([7, 9, 3]);
  });

  it('filter images and channel mixing read the [kH, kW, Cin, F] layout', () => {
    // kernel[i, j, c, o] = 1000 i + 100 j + 10 c + o, with kH = 2, kW = 3, Cin = 2, F = 4
    const vals: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 2; c++) for (let o = 0; o < 4; o++) vals.push(1000 * i + 100 * j + 10 * c + o);
    const k = fromDataOrThrow(Float32Array.from(vals), [2, 3, 2, 4]);
    const imgs = filterImages(k, 1);
    expect(imgs.map((m) => m.name)).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(imgs[2]!.pixels).toEqual([
      [12, 112, 212],
      [1012, 1112, 1212],
    ]);
    const mix = channelMixing(k);
    expect(mix).toHaveLength(2);
    // mean over the 6 window cells of 1000 i + 100 j = 600, plus 10 c + o
    expect(mix[1]![3]).toBeCloseTo(600 + 13, 3);
    expect(mix[0]![0]).toBeCloseTo(600, 3);
  });
});
