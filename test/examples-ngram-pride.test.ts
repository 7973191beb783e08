import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { example } from '../src/examples/ngram-pride';
import type { ExampleContext } from '../src/examples/example';

const ctx = (extra: Partial<ExampleContext> = {}): ExampleContext => ({
  quick: true,
  dataDir: join(__dirname, '..', 'src', 'examples', 'data'),
  progress: () => ({ update: () => undefined, stop: () => undefined }),
  log: () => undefined,
  ...extra,
});

describe('ngram-pride example (quick)', () => {
  it('reports bits/char for orders 1..6, the best one as the metric, the unigram as baseline, and samples', async () => {
    const r = await example.run(ctx());
    expect(example.id).toBe('ngram-pride');
    expect(r.lowerIsBetter).toBe(true);
    expect(r.target).toBeNull();
    const d = r.details!;
    const val = [1, 2, 3, 4, 5, 6].map((n) => d[`order ${n} validation bits/char`] as number);
    for (const b of val) expect(b).toBeGreaterThan(0);
    expect(r.value).toBe(Math.min(...val));
    expect(r.baseline).toBe(val[0]);
    // more context helps a lot at first: order 3 beats the unigram by more than a bit per character
    expect(val[0]! - val[2]!).toBeGreaterThan(1);
    expect(r.value).toBeLessThan(r.baseline!);
    // the unigram cannot beat log2 of the vocabulary (the uniform model)
    expect(val[0]!).toBeLessThan(Math.log2(d['vocabulary'] as number));
    expect(d['temperature 0 deterministic']).toMatch(/^yes/);
    const notes = r.notes!.join('\n');
    for (const t of ['0', '0.5', '1', '1.5']) expect(notes).toContain(`--- T = ${t} ---`);
    expect(r.plots).toHaveLength(1);
    for (const p of r.plots) expect(() => compile(p.spec)).not.toThrow();
  });

  it('runs on a user text file (--data) and recomputes its baseline; rejects a too-short or missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ngram-pride-'));
    try {
      const file = join(dir, 'own.txt');
      const line = 'the cat sat on the mat and the dog sat on the log.\r\n';
      writeFileSync(file, line.repeat(200));
      const r = await example.run(ctx({ dataFile: file }));
      const d = r.details!;
      // CRLF is one newline: the vocabulary is <unk> plus the 17 distinct characters of the line
      expect(d['vocabulary']).toBe(1 + new Set(line.replace('\r', '')).size);
      expect(d['train characters']).toBe(Math.floor(0.9 * 200 * (line.length - 1)));
      expect(r.baseline).toBe(d['order 1 validation bits/char']);
      // a perfectly repetitive text is almost free to predict at order 6
      expect(r.value).toBeLessThan(0.2);
      writeFileSync(file, 'too short');
      await expect(example.run(ctx({ dataFile: file }))).rejects.toThrow(/too short/);
      await expect(example.run(ctx({ dataFile: join(dir, 'missing.txt') }))).rejects.toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
