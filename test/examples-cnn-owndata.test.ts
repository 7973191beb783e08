import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { either as E } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { encodeIdx } from '../src/data/idx';
import { imagesFromIdx, indexLabels, parseLabelPixelCsv, squareSide } from '../src/data/images';
import { readImageSet } from '../src/data/image-files';
import type { ExampleContext } from '../src/examples/example';
import { example as digits } from '../src/examples/cnn-digits';
import { example as mnist } from '../src/examples/cnn-mnist';

/**
 * n synthetic side×side images of `classes` classes: class k is a bright bar across row band k
 * (so the classes are separable), plus deterministic pseudo-noise. uint8 pixels 0-255.
 */
function synthetic(n: number, side: number, classes: number, seed = 1): { pixels: Uint8Array; labels: Uint8Array } {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pixels = new Uint8Array(n * side * side);
  const labels = new Uint8Array(n);
  const band = Math.max(1, Math.floor(side / classes));
  for (let i = 0; i < n; i++) {
    const k = i % classes;
    labels[i] = k;
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const on = Math.floor(r / band) === k;
        pixels[(i * side + r) * side + c] = Math.min(255, Math.floor((on ? 180 : 20) + rnd() * 60));
      }
    }
  }
  return { pixels, labels };
}

function csvOf(img: { pixels: Uint8Array; labels: Uint8Array }, side: number, names: readonly string[], header: boolean): string {
  const d = side * side;
  const rows = Array.from(img.labels, (k, i) => [names[k]!, ...Array.from(img.pixels.subarray(i * d, (i + 1) * d))].join(','));
  const head = header ? ['label', ...Array.from({ length: d }, (_, j) => `pixel${j + 1}`)].join(',') + '\n' : '';
  return head + rows.join('\n') + '\n';
}

const tmp = () => mkdtempSync(join(tmpdir(), 'owndata-img-'));

function quietContext(extra: Partial<ExampleContext>) {
  const logs: string[] = [];
  const ctx: ExampleContext = { quick: true, dataDir: '/nonexistent', progress: () => ({ update: () => {}, stop: () => {} }), log: (l) => logs.push(l), ...extra };
  return { ctx, logs };
}

describe('image readers (Either, never a throw)', () => {
  it('CSV: side inferred, header skipped, string labels sorted into classes, pixels scaled by the file maximum', () => {
    const img = synthetic(12, 5, 3);
    const r = parseLabelPixelCsv(csvOf(img, 5, ['cat', 'ant', 'bee'], true));
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    expect(r.right.side).toBe(5);
    expect(r.right.n).toBe(12);
    expect(r.right.classNames).toEqual(['ant', 'bee', 'cat']);
    // label 'cat' (synthetic class 0) is class 2 after sorting
    expect(r.right.y[0]).toBe(2);
    expect(r.right.pixelScale).toBe(Math.max(...img.pixels));
    expect(Math.max(...r.right.x)).toBe(1);
    expect(r.right.x[7]).toBeCloseTo(img.pixels[7]! / r.right.pixelScale, 6);
  });

  it('CSV: a non-square pixel count is a Left that names the count and the nearest squares', () => {
    const r = parseLabelPixelCsv('1,0,0,0,0,0\n0,1,1,1,1,1\n');
    expect(E.isLeft(r) && r.left.code).toBe('image-not-square');
    expect(E.isLeft(r) && r.left.message).toMatch(/5 pixels per image is not a square image \(2x2 = 4, 3x3 = 9\)/);
  });

  it('CSV: a bad pixel names its record and field; ragged rows and empty files are Lefts', () => {
    const bad = parseLabelPixelCsv('label,p1,p2,p3,p4\n1,0,0,0,0\n2,0,x,0,0\n');
    expect(E.isLeft(bad) && bad.left.code).toBe('not-a-number');
    expect(E.isLeft(bad) && bad.left.message).toMatch(/record 3 field 3: expected a pixel number, found "x"/);
    expect(E.isLeft(parseLabelPixelCsv('1,0,0,0,0\n2,0,0\n')) ).toBe(true);
    const empty = parseLabelPixelCsv('label,p1,p2,p3,p4\n');
    expect(E.isLeft(empty) && empty.left.code).toBe('empty-data');
  });

  it('IDX: [n, h, w] and [n, h·w] images, labels must match the count, non-square is a Left', () => {
    const img = synthetic(6, 4, 2);
    const lab = { dtype: 'uint8' as const, dims: [6], data: img.labels };
    const three = imagesFromIdx({ dtype: 'uint8', dims: [6, 4, 4], data: img.pixels }, lab);
    const two = imagesFromIdx({ dtype: 'uint8', dims: [6, 16], data: img.pixels }, lab);
    expect(E.isRight(three) && three.right.side).toBe(4);
    expect(E.isRight(two) && Array.from(two.right.x)).toEqual(E.isRight(three) ? Array.from(three.right.x) : null);
    expect(E.isRight(three) && three.right.pixelScale).toBe(255);
    const rect = imagesFromIdx({ dtype: 'uint8', dims: [3, 4, 8], data: new Uint8Array(96) }, { dtype: 'uint8', dims: [3], data: new Uint8Array(3) });
    expect(E.isLeft(rect) && rect.left.code).toBe('image-not-square');
    const miss = imagesFromIdx({ dtype: 'uint8', dims: [6, 4, 4], data: img.pixels }, { dtype: 'uint8', dims: [5], data: img.labels.subarray(0, 5) });
    expect(E.isLeft(miss) && miss.left.code).toBe('image-label-mismatch');
    expect(E.isLeft(miss) && miss.left.message).toMatch(/expected a vector of 6 labels/);
  });

  it('files: gzip or plain IDX with labels, CSV without; missing labels, missing files and corrupt gzip are Lefts naming the file', () => {
    const dir = tmp();
    const img = synthetic(8, 4, 2);
    writeFileSync(join(dir, 'i.idx'), encodeIdx([8, 4, 4], img.pixels));
    writeFileSync(join(dir, 'l.idx.gz'), gzipSync(encodeIdx([8], img.labels)));
    writeFileSync(join(dir, 'x.csv'), csvOf(img, 4, ['0', '1'], false));
    const a = readImageSet(join(dir, 'i.idx'), join(dir, 'l.idx.gz'));
    const b = readImageSet(join(dir, 'x.csv'));
    expect(E.isRight(a) && E.isRight(b)).toBe(true);
    if (E.isRight(a) && E.isRight(b)) {
      expect(Array.from(a.right.y)).toEqual(Array.from(b.right.y));
      expect(a.right.side).toBe(b.right.side);
    }
    const noLabels = readImageSet(join(dir, 'i.idx'));
    expect(E.isLeft(noLabels) && noLabels.left.message).toMatch(/needs its label file \(--labels/);
    const missing = readImageSet(join(dir, 'nope.idx'), join(dir, 'l.idx.gz'));
    expect(E.isLeft(missing) && missing.left.code).toBe('io-error');
    writeFileSync(join(dir, 'bad.gz'), gzipSync(encodeIdx([8], img.labels)).subarray(0, 12));
    const corrupt = readImageSet(join(dir, 'i.idx'), join(dir, 'bad.gz'));
    expect(E.isLeft(corrupt) && corrupt.left.message).toContain('bad.gz');
  });

  it('helpers: squareSide and numeric label order', () => {
    expect([1, 4, 64, 784, 5, 0].map(squareSide)).toEqual([1, 2, 8, 28, undefined, undefined]);
    expect(indexLabels(['10', '2', '2', '1']).classNames).toEqual(['1', '2', '10']);
  });
});

describe('the CNN examples on a user data set (--data)', () => {
  it('cnn-digits trains on a 6x6, 3-class CSV: model sized from the data, report with provenance, no target', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bars.csv'), csvOf(synthetic(150, 6, 3), 6, ['a', 'b', 'c'], true));
    const { ctx, logs } = quietContext({ dataFile: join(dir, 'bars.csv') });
    const r = await digits.run(ctx);
    expect(r.target).toBeNull();
    expect(r.details?.['rows (images)']).toBe(150);
    expect(r.details?.['columns used']).toBe('label + 36 pixels (6x6)');
    expect(r.details?.['classes']).toBe('3 (a, b, c)');
    expect(r.notes?.join('\n')).toContain('[batch, 3, 3, 32]');
    expect(r.notes?.join('\n')).toMatch(/\[batch, 3\]/);
    // 3x3 confusion matrix over the 30 test images
    const cm = (r.plots[1]!.spec as { data: { values: { v: number }[] } }).data.values;
    expect(cm).toHaveLength(9);
    expect(cm.reduce((s, v) => s + v.v, 0)).toBe(30);
    // the bars are trivially separable: the baselines are perfect
    expect(r.baseline).toBe(1);
    expect(logs.join('\n')).toMatch(/150 images 6x6, 3 classes/);
  });

  it('cnn-mnist trains on gzip IDX 12x12 images with 4 classes, and refuses images smaller than its minimum', async () => {
    const dir = tmp();
    const img = synthetic(100, 12, 4);
    writeFileSync(join(dir, 'img.gz'), gzipSync(encodeIdx([100, 12, 12], img.pixels)));
    writeFileSync(join(dir, 'lab'), encodeIdx([100], img.labels));
    const r = await mnist.run(quietContext({ dataFile: join(dir, 'img.gz'), labelsFile: join(dir, 'lab') }).ctx);
    // 12 → 10 → 5 → 3 → 1: a 1x1x32 grid feeds dense(4)
    expect(r.notes?.join('\n')).toContain('[batch, 1, 1, 32]');
    expect(r.details?.['classes']).toBe('4 (0, 1, 2, 3)');
    expect(Number.isFinite(r.value)).toBe(true);
    writeFileSync(join(dir, 'small.csv'), csvOf(synthetic(10, 6, 2), 6, ['0', '1'], false));
    await expect(mnist.run(quietContext({ dataFile: join(dir, 'small.csv') }).ctx)).rejects.toThrow(/images are 6x6; .* need at least 10x10/);
    await expect(digits.run(quietContext({ dataFile: join(dir, 'small.csv'), period: 12 }).ctx)).rejects.toThrow(/--period is for time series/);
    writeFileSync(join(dir, 'odd.csv'), '1,0,0,0\n0,1,1,1\n');
    await expect(digits.run(quietContext({ dataFile: join(dir, 'odd.csv') }).ctx)).rejects.toThrow(/cnn-digits: .*odd.csv: .*3 pixels per image is not a square/);
  });
});
