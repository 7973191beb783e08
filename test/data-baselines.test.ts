import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { either as E } from 'fp-ts';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { parseLabelTextCsv } from '../src/data/csv';
import { NaiveBayesText } from '../src/data/naiveBayes';
import { accuracy, confusionMatrix } from '../src/data/metrics';
import { trainTestSplitShuffled } from '../src/data/splits';
import { Vocabulary, encodeLabels, wordTokenize } from '../src/data/text';
import { dataset } from './helpers/datasets';


/** A seeded Fisher-Yates permutation standing in for src/random's permutationArray. */
const permutation = (seed: number) => (n: number) => {
  const g = xoroshiro128plus(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(g, 0, i);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
};

describe('NaiveBayesText', () => {
  it('classifies a hand-made corpus and ignores padding', () => {
    // ids: 2 = "purr", 3 = "bark", 4 = "pet"
    const nb = NaiveBayesText.fit([[2, 2, 4], [2, 0, 0], [3, 4], [3, 3, 0]], [0, 0, 1, 1], { vocabSize: 5, alpha: 1 });
    expect(Array.from(nb.predict([[2], [3], [0, 0, 3, 4]]))).toEqual([0, 1, 1]);
    // P(purr | class 0) = (3 + 1) / (4 + 4)
    expect(nb.logLikelihood[2]).toBeCloseTo(Math.log(4 / 8), 12);
    expect(nb.logPrior[0]).toBeCloseTo(Math.log(0.5), 12);
    expect(() => NaiveBayesText.fit([[5]], [0], { vocabSize: 5 })).toThrow(RangeError);
  });

  it('WordNet glosses (6 classes), shuffled 80/20 split: accuracy >= 0.8', () => {
    const parsed = parseLabelTextCsv(readFileSync(dataset('text/wordnet-gloss-6class.csv'), 'utf8'));
    if (E.isLeft(parsed)) throw new Error(parsed.left.message);
    const { labels, texts } = parsed.right;
    expect(texts.length).toBe(3600);
    const { ids, classes } = encodeLabels(labels);
    const tokens = texts.map((t) => wordTokenize(t));
    const accs: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const { train, test } = trainTestSplitShuffled(texts.length, 0.8, permutation(seed));
      const vocab = Vocabulary.build(Array.from(train, (i) => tokens[i]!)); // training words only: no leakage
      const docs = tokens.map((t) => vocab.encode(t));
      const pick = (idx: Int32Array) => Array.from(idx, (i) => docs[i]!);
      const nb = NaiveBayesText.fit(pick(train), Array.from(train, (i) => ids[i]!), { vocabSize: vocab.size, numClasses: classes.length });
      const truth = Array.from(test, (i) => ids[i]!);
      const pred = nb.predict(pick(test));
      const acc = accuracy(truth, pred);
      accs.push(acc);
      expect(acc).toBeGreaterThanOrEqual(0.8);
      if (seed === 1) {
        const cm = confusionMatrix(truth, pred, classes.length);
        expect(cm.data.reduce((a, b) => a + b, 0)).toBe(720);
      }
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    console.log(`naive Bayes on WordNet glosses, 5 shuffled 80/20 splits (seeds 1-5): ${accs.map((a) => a.toFixed(4)).join(', ')}; mean ${mean.toFixed(4)}`);
  });
});
