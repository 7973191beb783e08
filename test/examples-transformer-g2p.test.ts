import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { example, epochBatches, makeBatch, nearestSpelling, parseG2p, prepareG2p } from '../src/examples/transformer-g2p';
import type { ExampleContext } from '../src/examples/example';
import { key } from '../src/random';

const dataDir = join(__dirname, '..', 'src', 'examples', 'data');

function fakeContext(extra: Partial<ExampleContext> = {}): { ctx: ExampleContext; logs: string[]; updates: number[] } {
  const logs: string[] = [];
  const updates: number[] = [];
  const ctx: ExampleContext = {
    quick: true,
    dataDir,
    progress: () => ({ update: (done) => updates.push(done), stop: () => undefined }),
    log: (line) => logs.push(line),
    ...extra,
  };
  return { ctx, logs, updates };
}

describe('transformer-g2p data pipeline', () => {
  const text = 'word\tphonemes\nabel\tEY1 B AH0 L\n# a comment line\n\naalsmeer\tAA1 L S M IH0 R # place, dutch\nAbe\tEY1 B\n';

  it('parses word<TAB>phonemes with header, comments and case folded', () => {
    const pairs = parseG2p(text, 'mem');
    expect(pairs.map((p) => p.word)).toEqual(['abel', 'aalsmeer', 'abe']);
    expect(pairs[1]!.phonemes).toEqual(['AA1', 'L', 'S', 'M', 'IH0', 'R']);
    expect(pairs[2]!.letters).toEqual(['a', 'b', 'e']);
    expect(() => parseG2p('abel EY1 B AH0 L\n', 'bad.tsv')).toThrow(/bad\.tsv: line 1/);
  });

  it('splits 90/10 without overlap, reserves BOS/EOS and pads batches after the tokens', () => {
    const words = Array.from({ length: 50 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${'x'.repeat(i % 5)}\t${'AH0 B '.repeat(1 + (i % 3)).trim()}`);
    const pairs = parseG2p(words.join('\n'), 'mem');
    const d = prepareG2p(pairs, key(1));
    expect(d.train.length).toBe(45);
    expect(d.test.length).toBe(5);
    expect(new Set([...d.train, ...d.test]).size).toBe(50);
    expect([d.tgt.tokens[d.bosId], d.tgt.tokens[d.eosId]]).toEqual(['<s>', '</s>']);
    expect(d.maxLen).toBe(7); // at most 6 letters; at most 6 phonemes + EOS
    const b = makeBatch(d, [pairs[0]!, pairs[4]!]);
    expect(b.src.shape).toEqual([2, pairs[4]!.letters.length]);
    const tin = Array.from(b.tin.dataSync());
    const tout = Array.from(b.tout.dataSync());
    const lt = b.tin.shape[1];
    expect(tin[0]).toBe(d.bosId);
    expect(tout.slice(0, lt)).toEqual([...d.tgt.encode(pairs[0]!.phonemes), d.eosId, 0, 0, 0, 0].slice(0, lt));
    expect(tin.slice(1, lt)).toEqual(tout.slice(0, lt - 1).map((x) => (x === d.eosId ? 0 : x)));
  });

  it('epoch batches cover every example once, sorted by length within a window', () => {
    const lengths = Array.from({ length: 203 }, (_, i) => (i * 7) % 11);
    const batches = epochBatches(203, 8, (i) => lengths[i]!, key(3));
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 203 }, (_, i) => i));
    for (const b of batches) for (let j = 1; j < b.length; j++) expect(lengths[b[j]!]!).toBeGreaterThanOrEqual(lengths[b[j - 1]!]!);
    expect(epochBatches(203, 8, (i) => lengths[i]!, key(4))).not.toEqual(batches);
  });

  it('the nearest-spelling baseline copies the closest training word', () => {
    const train = parseG2p('cat\tK AE1 T\ncatch\tK AE1 CH\nzebra\tZ IY1 B R AH0\n', 'mem');
    const test = parseG2p('bat\tB AE1 T\nzebras\tZ IY1 B R AH0 Z\ncatc\tK AE1 CH\n', 'mem');
    expect(nearestSpelling(train, test)).toEqual([
      ['K', 'AE1', 'T'],
      ['Z', 'IY1', 'B', 'R', 'AH0'],
      ['K', 'AE1', 'T'], // catc: distance 1 to both cat and catch; the first in training order wins
    ]);
  });
});

describe('transformer-g2p example (quick)', () => {
  it('trains, decodes and reports PER, baseline, plots and samples', async () => {
    const { ctx, logs, updates } = fakeContext();
    const r = await example.run(ctx);
    expect(r.metric).toBe('test phoneme error rate');
    expect(r.lowerIsBetter).toBe(true);
    expect(r.target).toBe(0.35);
    expect(Number.isFinite(r.value)).toBe(true);
    expect(r.value).toBeGreaterThanOrEqual(0);
    expect(r.baseline).not.toBeNull();
    expect(r.baseline!).toBeGreaterThan(0.2);
    expect(r.baseline!).toBeLessThan(1);
    expect(r.details?.['sampling at temperature 0 = greedy']).toMatch(/^(\d+)\/\1 words identical$/);
    expect(r.plots.length).toBeGreaterThanOrEqual(2);
    expect(r.plots[1]!.title).toMatch(/Cross-attention/);
    // each heat-map row (one written phoneme) is an attention distribution over the letters
    const heat = r.plots[1]!.spec as { data: { values: { r: string; v: number }[] } };
    expect(heat.data.values.length).toBeGreaterThan(0);
    const rowSums = new Map<string, number>();
    for (const { r: row, v } of heat.data.values) {
      expect(v).toBeGreaterThanOrEqual(0);
      rowSums.set(row, (rowSums.get(row) ?? 0) + v);
    }
    for (const total of rowSums.values()) expect(total).toBeCloseTo(1, 4);
    expect(r.notes?.[0]).toMatch(/reference/);
    expect(updates.at(-1)).toBe(8);
    expect(logs[0]).toMatch(/9000 train \/ 1000 test/);
  }, 30_000);

  it('runs on a --data file and sets no target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g2p-'));
    try {
      const file = join(dir, 'mine.tsv');
      const rows = ['cat\tK AE1 T', 'hat\tHH AE1 T', 'bat\tB AE1 T', 'mat\tM AE1 T', 'sat\tS AE1 T', 'rat\tR AE1 T', 'pat\tP AE1 T', 'fat\tF AE1 T', 'vat\tV AE1 T', 'tat\tT AE1 T'];
      const more = ['cab\tK AE1 B', 'tab\tT AE1 B', 'dab\tD AE1 B', 'jab\tJH AE1 B', 'lab\tL AE1 B', 'nab\tN AE1 B', 'gab\tG AE1 B', 'sab\tS AE1 B', 'fab\tF AE1 B', 'rab\tR AE1 B'];
      writeFileSync(file, [...rows, ...more].join('\n'));
      const { ctx, logs } = fakeContext({ dataFile: file });
      const r = await example.run(ctx);
      expect(r.target).toBeNull();
      expect(Number.isFinite(r.value)).toBe(true);
      expect(logs[0]).toMatch(/20 words, 18 train \/ 2 test/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
