import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NGramModel } from '../src/data/ngram';
import { sampleGreedy, sampleTemperature } from '../src/data/sampling';
import { dataset } from './helpers/datasets';


const sum = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0);

describe('NGramModel', () => {
  it('order 1 is add-k (Laplace for k = 1) over the characters plus <unk>', () => {
    const m = NGramModel.fit('abbccc', 1, { k: 1 });
    expect(m.vocab).toEqual(['<unk>', 'a', 'b', 'c']);
    // (count + 1) / (6 + 4)
    expect(Array.from(m.nextDistribution('anything'))).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(m.logProb('', 'z')).toBeCloseTo(Math.log(0.1), 12);
  });

  it('interpolates each order towards the next-lower one (hand-checked bigram)', () => {
    const m = NGramModel.fit('abab', 2, { k: 0.5 });
    // V = 3 (<unk>, a, b), α = 1.5; unigram P(b) = (2 + 0.5) / (4 + 1.5); context "a" seen twice, followed by b twice.
    const pb1 = 2.5 / 5.5;
    expect(Math.exp(m.logProb('a', 'b'))).toBeCloseTo((2 + 1.5 * pb1) / (2 + 1.5), 12);
    // Context "b" is followed by "a" once (the final b has no successor).
    const pa1 = 2.5 / 5.5;
    expect(Math.exp(m.logProb('xb', 'a'))).toBeCloseTo((1 + 1.5 * pa1) / (1 + 1.5), 12);
    // An unseen context falls back to the unigram distribution unchanged.
    expect(Math.exp(m.logProb('z', 'b'))).toBeCloseTo(pb1, 12);
  });

  it('gives a distribution that sums to 1 and is positive for every context', () => {
    const text = 'the cat sat on the mat; the dog sat on the log. ';
    const models = [1, 2, 3, 4].map((n) => NGramModel.fit(text, n, { k: 0.1 }));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'the catdoglzq;. \n'), maxLength: 6 }), (context) => {
        for (const m of models) {
          const p = m.nextDistribution(context);
          expect(p.length).toBe(m.vocab.length);
          expect(sum(p)).toBeCloseTo(1, 12);
          expect(p.every((x) => x > 0)).toBe(true);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('has finite bits per character on text with unseen characters', () => {
    const m = NGramModel.fit('aaab', 3);
    const bpc = m.bitsPerChar('ab€xy😀');
    expect(Number.isFinite(bpc)).toBe(true);
    expect(bpc).toBeGreaterThan(0);
    expect(() => NGramModel.fit('a', 0)).toThrow(RangeError);
  });

  it('generates with a sampler and never emits <unk>', () => {
    const m = NGramModel.fit('abcabcabcabd', 3);
    expect(m.generate('ab', 4, sampleGreedy)).toBe('cabc');
    let i = 0;
    const us = [0.99, 0.01, 0.5, 0.7, 0.2, 0.999, 0.3, 0.8];
    const out = m.generate('', 8, (l) => sampleTemperature(l, 2, us[i++]!));
    expect(Array.from(out).every((c) => 'abcd'.includes(c))).toBe(true);
    expect(Array.from(out).length).toBe(8);
  });

  it('Pride and Prejudice, 90/10 split: bits/char for orders 1, 3, 4, 5 are finite and below log2(V)', () => {
    const text = readFileSync(dataset('text/pride-and-prejudice.txt'), 'utf8');
    const cut = Math.floor(text.length * 0.9);
    const train = text.slice(0, cut);
    const test = text.slice(cut);
    const results: string[] = [];
    let previous = Infinity;
    for (const n of [1, 3, 4, 5]) {
      const m = NGramModel.fit(train, n);
      const bpc = m.bitsPerChar(test);
      results.push(`order ${n}: ${bpc.toFixed(3)}`);
      expect(Number.isFinite(bpc)).toBe(true);
      expect(bpc).toBeLessThan(Math.log2(m.vocab.length));
      expect(bpc).toBeLessThan(previous);
      previous = bpc;
      if (n >= 3) expect(bpc).toBeGreaterThan(1.5);
      if (n >= 3) expect(bpc).toBeLessThan(2.8);
    }
    console.log(`P&P held-out bits/char (k = 0.1, ${train.length} train / ${test.length} test chars): ${results.join(', ')}`);
  });
});
