import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { example as wordnet } from '../src/examples/textcnn-wordnet';
import { example as austen } from '../src/examples/textcnn-austen';
import { chooseMaxLen, cosineByClass, embeddingRows } from '../src/examples/textcnn-common';
import { tensor } from '../src/tensor/create';
import type { ExampleContext, ExampleResult } from '../src/examples/example';

const ctx = (extra: Partial<ExampleContext> = {}): ExampleContext => ({
  quick: true,
  dataDir: join(__dirname, '..', 'src', 'examples', 'data'),
  progress: () => ({ update: () => undefined, stop: () => undefined }),
  log: () => undefined,
  ...extra,
});

/** The confusion plot's cells: (true, predicted, count) from its vega-lite data. */
function confusionCells(r: ExampleResult): { r: string; c: string; v: number }[] {
  const plot = r.plots.find((p) => p.title.startsWith('Confusion matrix'));
  expect(plot).toBeDefined();
  return (plot!.spec as unknown as { data: { values: { r: string; c: string; v: number }[] } }).data.values;
}

function checkCommon(r: ExampleResult, classes: readonly string[], testRows: number): void {
  expect(r.metric).toBe('test accuracy');
  expect(r.lowerIsBetter).toBe(false);
  expect(Number.isFinite(r.value)).toBe(true);
  expect(r.value).toBeGreaterThanOrEqual(0);
  expect(r.value).toBeLessThanOrEqual(1);
  expect(r.baseline).not.toBeNull();
  expect(r.baselineName).toMatch(/naive Bayes/);
  expect(r.details!['classes']).toBe(classes.join(', '));
  // loss and accuracy curves, the confusion matrix, embedding vectors and their cosines
  expect(r.plots.map((p) => p.title.split(' ')[0])).toEqual(['Loss', 'Accuracy', 'Confusion', 'Learnt', 'Cosine']);
  for (const p of r.plots) expect(() => compile(p.spec)).not.toThrow();
  // the confusion matrix is labelled with the class names and counts every test row once
  const cells = confusionCells(r);
  expect(new Set(cells.map((c) => c.r))).toEqual(new Set(classes));
  expect(new Set(cells.map((c) => c.c))).toEqual(new Set(classes));
  expect(cells.reduce((s, c) => s + c.v, 0)).toBe(testRows);
  const diagonal = cells.filter((c) => c.r === c.c).reduce((s, c) => s + c.v, 0);
  expect(diagonal / testRows).toBeCloseTo(r.value, 10);
  for (const k of ['embedding cosine, telling words of the same class', 'embedding cosine, telling words of different classes']) {
    const c = r.details![k] as number;
    expect(Math.abs(c)).toBeLessThanOrEqual(1 + 1e-6);
  }
  const notes = r.notes!.join('\n');
  expect(notes).toContain('textCnnBlock');
  expect(notes).toMatch(/one-hot, .*% zeros/);
  expect(notes).toMatch(/bag of words, .*% zeros/);
}

describe('textcnn examples (quick)', () => {
  it('textcnn-wordnet: six categories, a naive Bayes baseline well above chance, a model that learns', async () => {
    const r = await wordnet.run(ctx());
    expect(wordnet.id).toBe('textcnn-wordnet');
    expect(r.target).toBe(0.8);
    checkCommon(r, ['animal', 'artifact', 'food', 'location', 'person', 'plant'], 200);
    expect(r.details!['train / test rows']).toBe('600 / 200');
    expect(r.baseline!).toBeGreaterThan(0.6);
    // two quick epochs already beat chance (1/6) clearly
    expect(r.value).toBeGreaterThan(0.35);
    // one-hot: one 1 per token among V values, so far sparser than bag of words; embeddings are dense and small
    const d = r.details!;
    expect(d['one-hot values per document']).toBe((d['padded length'] as number) * (d['vocabulary'] as number));
    expect(d['embedding values per document']).toBe((d['padded length'] as number) * 32);
    expect(parseFloat(d['one-hot zeros'] as string)).toBeGreaterThan(parseFloat(d['bag-of-words zeros'] as string));
  });

  it('textcnn-austen: six novels, no target, naive Bayes baseline reported; telling words are character names', async () => {
    const r = await austen.run(ctx());
    expect(austen.id).toBe('textcnn-austen');
    expect(r.target).toBeNull();
    checkCommon(r, ['emma', 'mansfieldpark', 'northangerabbey', 'persuasion', 'prideprejudice', 'sensesensibility'], 200);
    expect(r.baseline!).toBeGreaterThan(1 / 6);
    expect(r.notes!.join('\n')).toMatch(/emma \(emma\).*elinor \(sensesensibility\)/);
  });

  it('runs on a user CSV (--data) with its own classes and recomputed baseline; rejects bad files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'textcnn-'));
    try {
      const file = join(dir, 'own.csv');
      const topics: Record<string, string[]> = {
        sport: ['goal', 'match', 'team', 'score', 'player', 'coach'],
        weather: ['rain', 'wind', 'sunny', 'cloud', 'storm', 'cold'],
        music: ['song', 'guitar', 'band', 'drum', 'melody', 'singer'],
      };
      const rows = ['label,text'];
      for (let i = 0; i < 40; i++) {
        for (const [label, words] of Object.entries(topics)) {
          rows.push(`${label},"the ${words[i % 6]}, a ${words[(i + 1) % 6]} and the ${words[(i + 3) % 6]} today"`);
        }
      }
      writeFileSync(file, rows.join('\n') + '\n');
      const r = await wordnet.run(ctx({ dataFile: file }));
      // 120 rows: 96 train / 24 test, classes in sorted order
      checkCommon(r, ['music', 'sport', 'weather'], 24);
      expect(r.details!['train / test rows']).toBe('96 / 24');
      // topic words never overlap, so naive Bayes is perfect on this file
      expect(r.baseline).toBe(1);
      // every row has 8 tokens; <pad>, <unk>, 18 topic words and 'the', 'a', 'and', 'today'
      expect(r.details!['padded length']).toBe(8);
      expect(r.details!['vocabulary']).toBe(2 + 3 * 6 + 4);

      writeFileSync(file, 'label,text\n' + 'only,one label here\n'.repeat(20));
      await expect(wordnet.run(ctx({ dataFile: file }))).rejects.toThrow(/at least two labels/);
      writeFileSync(file, 'label,text\na,"unclosed\n');
      await expect(austen.run(ctx({ dataFile: file }))).rejects.toThrow(/textcnn-austen/);
      await expect(austen.run(ctx({ dataFile: join(dir, 'missing.csv') }))).rejects.toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pads to the 95th percentile of training lengths, at least 8 and at most 128', () => {
    expect(chooseMaxLen(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(96);
    expect(chooseMaxLen([1, 2, 3])).toBe(8);
    expect(chooseMaxLen([500, 600])).toBe(128);
    expect(chooseMaxLen([])).toBe(8);
  });

  it('embedding rows and their cosine similarities, averaged within and across classes', () => {
    const table = tensor([
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 3],
    ]);
    const { rows, cosine } = embeddingRows(table, [1, 2, 3]);
    expect(rows).toEqual([
      [1, 0],
      [2, 0],
      [0, 3],
    ]);
    expect(cosine[0]![1]).toBeCloseTo(1, 6);
    expect(cosine[0]![2]).toBeCloseTo(0, 6);
    const m = cosineByClass(cosine, [0, 0, 1]);
    expect(m.same).toBeCloseTo(1, 6);
    expect(m.different).toBeCloseTo(0, 6);
  });
});
