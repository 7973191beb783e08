import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExampleContext, ExampleResult } from '../src/examples/example';
import { QUICK, bitsPerChar, charLstm, example, generate } from '../src/examples/charlm-pride';
import { loadText, promptFrom, splitText } from '../src/examples/pride-common';
import { NGramModel } from '../src/data/ngram';
import { sampleGreedy } from '../src/data/sampling';
import { Vocabulary } from '../src/data/text';
import { sparseCategoricalCrossEntropy } from '../src/nn/losses';
import { key, randintArray } from '../src/random';
import { makeTensor } from '../src/tensor/tensor';

const dataDir = fileURLToPath(new URL('../src/examples/data', import.meta.url));

function fakeContext(dataFile?: string): ExampleContext & { lines: string[]; bars: { title: string; total: number; last: number; stopped: boolean }[] } {
  const lines: string[] = [];
  const bars: { title: string; total: number; last: number; stopped: boolean }[] = [];
  return {
    quick: true,
    dataDir,
    ...(dataFile === undefined ? {} : { dataFile }),
    lines,
    bars,
    log: (line) => lines.push(line),
    progress(title, total) {
      const bar = { title, total, last: 0, stopped: false };
      bars.push(bar);
      return {
        update(done, values) {
          expect(done).toBeGreaterThan(bar.last);
          expect(done).toBeLessThanOrEqual(total);
          expect(Number.isFinite(values['loss'])).toBe(true);
          expect(Number.isFinite(values['val bits/char'])).toBe(true);
          bar.last = done;
        },
        stop() {
          bar.stopped = true;
        },
      };
    },
  };
}

type Values = { data: { values: Record<string, unknown>[] } };

function checkStructure(r: ExampleResult): void {
  expect(r.metric).toBe('validation bits/char');
  expect(r.lowerIsBetter).toBe(true);
  expect(r.target).toBe(2.2);
  expect(Number.isFinite(r.value)).toBe(true);
  // a model that starts from the unigram output bias cannot be worse than uniform guessing
  expect(r.value).toBeGreaterThan(0);
  expect(r.value).toBeLessThan(Math.log2(Number(r.details!['vocabulary'])));
  expect(r.plots).toHaveLength(2);
  const curve = (r.plots[0]!.spec as unknown as Values).data.values;
  const bars = (r.plots[1]!.spec as unknown as Values).data.values;
  expect(curve.length).toBeGreaterThan(0);
  expect(curve.every((v) => Number.isFinite(v['x']) && Number.isFinite(v['y']))).toBe(true);
  expect(bars.map((b) => b['v'])).toEqual([r.baseline, r.details!['order 4 n-gram bits/char'], r.details!['order 5 n-gram bits/char'], r.value]);
  expect(r.details!['temperature 0 deterministic']).toMatch(/^yes/);
}

describe('text split', () => {
  it('splits code points 90/10 in reading order', () => {
    const text = '😀'.repeat(5) + 'abcdefghij'.repeat(9) + 'z'.repeat(5) + 'y'.repeat(100); // 200 code points
    const s = splitText(text, 't');
    expect(s.trainChars).toBe(180);
    expect(s.valChars).toBe(20);
    expect(s.train + s.val).toBe(text);
    // quick runs keep the start, then the same rule: 90 + 10 code points (the emoji count once)
    const head = splitText(text, 't', 100);
    expect(head.trainChars).toBe(90);
    expect(head.valChars).toBe(10);
    expect(head.val).toBe('fghijzzzzz');
    expect(head.train + head.val).toBe(Array.from(text).slice(0, 100).join(''));
    expect(() => splitText('abc', 't')).toThrow(/too short/);
  });

  it('reads --data files with CRLF line endings as LF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charlm-'));
    const file = join(dir, 'crlf.txt');
    writeFileSync(file, 'one\r\ntwo\rthree\n');
    expect(loadText({ dataDir, dataFile: file }).text).toBe('one\ntwo\nthree\n');
    expect(() => loadText({ dataDir, dataFile: join(dir, 'missing.txt') })).toThrow();
  });

  it('prompts with whole words from the start of the validation text', () => {
    expect(promptFrom('ing over. Then the rain\nstopped and the sun came out at last, warm')).toBe('over. Then the rain stopped and the sun ');
  });
});

describe('bitsPerChar with carried state', () => {
  const V = 9;
  const model = charLstm(V, 4, 6);
  const params = model.init(key(3));
  const text = randintArray(key(4), 61, 2, V);
  const total = (t: Int32Array) => {
    const r = bitsPerChar(model, params, t, 1, 0);
    return r.bits * r.scored;
  };

  it('one stream: the mean cross-entropy of the whole sequence, whatever the chunking', () => {
    const x = makeTensor<[number, number], 'int32'>([1, 60], 'int32', text.slice(0, 60));
    const y = makeTensor<[number, number], 'int32'>([1, 60], 'int32', text.slice(1));
    const direct = sparseCategoricalCrossEntropy(model.forward(params, x, model.zeroState(1)).logits, y).item() / Math.LN2;
    expect(bitsPerChar(model, params, text, 1, 0).bits).toBeCloseTo(direct, 5);
    expect(bitsPerChar(model, params, text, 1, 0, 7).bits).toBeCloseTo(direct, 5);
    expect(bitsPerChar(model, params, text, 1, 0).scored).toBe(60);
  });

  it('parallel parts: part j reads burnIn characters, then is scored with the state carried', () => {
    // 60 targets in 3 parts of 20: targets 1..20, 21..40, 41..60
    const K = 5;
    let expected = total(text.subarray(0, 21));
    for (const a of [21, 41]) {
      // bits of the part = bits of (burn-in + part) - bits of the burn-in alone, both from zero state
      expected += total(text.subarray(a - 1 - K, a + 20)) - total(text.subarray(a - 1 - K, a));
    }
    const r = bitsPerChar(model, params, text, 3, K, 8);
    expect(r.scored).toBe(60);
    expect(r.bits * 60).toBeCloseTo(expected, 3);
    // without burn-in every part starts from zero state
    const cold = total(text.subarray(0, 21)) + total(text.subarray(20, 41)) + total(text.subarray(40, 61));
    expect(bitsPerChar(model, params, text, 3, 0).bits * 60).toBeCloseTo(cold, 3);
  });

  it('generate: greedy is deterministic and never emits <pad> or <unk>', () => {
    const a = generate(model, params, text.subarray(0, 5), 30, (l) => sampleGreedy(l));
    const b = generate(model, params, text.subarray(0, 5), 30, (l) => sampleGreedy(l));
    expect(a).toEqual(b);
    expect(a).toHaveLength(30);
    expect(a.every((id) => id >= 2 && id < V)).toBe(true);
    expect(a.every((id) => id !== Vocabulary.PAD_ID && id !== Vocabulary.UNK_ID)).toBe(true);
  });
});

describe('charlm-pride example (quick)', () => {
  it('quick run: the n-gram baselines on the same split, the curve, both plots, four samples', async () => {
    const ctx = fakeContext();
    const r = await example.run(ctx);
    checkStructure(r);
    // the baseline is the order-3 n-gram on the same (quick) split
    const { text, source } = loadText(ctx);
    const s = splitText(text, source, QUICK.maxChars);
    expect(r.baseline).toBeCloseTo(NGramModel.fit(s.train, 3).bitsPerChar(s.val), 10);
    expect(r.details!['order 5 n-gram bits/char']).toBeCloseTo(NGramModel.fit(s.train, 5).bitsPerChar(s.val), 10);
    expect(r.details!['validation characters scored']).toBe(s.valChars - 1);
    // the validation curve starts near the unigram entropy and falls during training
    const curve = (r.plots[0]!.spec as unknown as Values).data.values.filter((v) => v['series'] === 'LSTM validation');
    expect(curve.map((v) => v['x'])).toEqual([0, QUICK.evalEvery, QUICK.steps]);
    expect(Number(curve.at(-1)!['y'])).toBeLessThan(Number(curve[0]!['y']));
    const prompt = promptFrom(s.val);
    for (const t of [0, 0.5, 1, 1.5]) expect(r.notes!.some((n) => n.startsWith(`--- T = ${t} ---\n${prompt}`))).toBe(true);
    expect(ctx.bars).toEqual([{ title: 'charlm-pride: LSTM steps', total: QUICK.steps, last: QUICK.steps, stopped: true }]);
    expect(ctx.lines.some((l) => l.startsWith('trigram (order 3)'))).toBe(true);
  }, 20_000);

  it('runs on a user --data file, wrapping around a short training text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charlm-'));
    const file = join(dir, 'mine.txt');
    const line = 'The cat sat on the mat, and the dog lay by the door.\r\n';
    writeFileSync(file, line.repeat(60)); // 3,180 characters: fewer than 100 steps of 8 × 16
    const ctx = fakeContext(file);
    const r = await example.run(ctx);
    checkStructure(r);
    expect(r.details!['passes over the training text']).toBeGreaterThan(1);
    expect(r.notes!.join('\n')).not.toContain('\r');
  }, 20_000);
});
