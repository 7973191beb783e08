import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Vocabulary,
  bagOfWords,
  charTokenize,
  encodeLabels,
  fitIdf,
  oneHotEncode,
  padSequences,
  sparsityReport,
  wordTokenize,
} from '../src/data/text';

describe('tokenizers', () => {
  it('wordTokenize lowercases, keeps inner apostrophes and drops punctuation', () => {
    expect(wordTokenize("_You_ can't--well, twenty-one! 'Tis Mr. Bennet's.")).toEqual([
      'you',
      "can't",
      'well',
      'twenty',
      'one',
      'tis',
      'mr',
      "bennet's",
    ]);
    expect(wordTokenize('Rock’n’roll café, naïve 42x', { lowercase: false })).toEqual(['Rock’n’roll', 'café', 'naïve', '42x']);
    expect(wordTokenize(" ' -- ")).toEqual([]);
  });

  it('charTokenize splits into code points', () => {
    expect(charTokenize('Ab 😀!')).toEqual(['A', 'b', ' ', '😀', '!']);
    expect(charTokenize('AB', { lowercase: true })).toEqual(['a', 'b']);
  });
});

describe('Vocabulary', () => {
  it('orders by frequency desc, then lexicographically, after <pad>=0 and <unk>=1', () => {
    const v = Vocabulary.build([['b', 'a', 'c', 'a'], ['c', 'd', 'a', '<unk>']]);
    expect(v.tokens).toEqual(['<pad>', '<unk>', 'a', 'c', 'b', 'd']);
    expect(Array.from(v.encode(['a', 'zzz', 'd']))).toEqual([2, 1, 5]);
    expect(v.decode([0, 2, 3, 0], { skipPadding: true })).toEqual(['a', 'c']);
    expect(v.decode([0, 1])).toEqual(['<pad>', '<unk>']);
    expect(() => v.decode([6])).toThrow(RangeError);
  });

  it('applies minCount and maxSize (maxSize counts the reserved tokens)', () => {
    const toks = 'x x x y y z'.split(' ');
    expect(Vocabulary.build(toks, { minCount: 2 }).tokens).toEqual(['<pad>', '<unk>', 'x', 'y']);
    expect(Vocabulary.build(toks, { maxSize: 3 }).tokens).toEqual(['<pad>', '<unk>', 'x']);
    expect(Vocabulary.build(toks, { maxSize: 2 }).size).toBe(2);
    expect(() => Vocabulary.build(toks, { maxSize: 1 })).toThrow(RangeError);
  });

  it('round-trips: decode(encode(ts)) = ts for known tokens, <unk> for unknown ones; build is order-independent', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 60 }), (tokens) => {
        const v = Vocabulary.build(tokens);
        const known = tokens.filter((t) => t !== '<pad>' && t !== '<unk>');
        expect(v.decode(v.encode(known))).toEqual(known);
        expect(v.decode(v.encode(['\u0000never'])).at(0)).toBe('<unk>');
        expect(Vocabulary.build([...tokens].reverse()).tokens).toEqual(v.tokens);
        expect(Vocabulary.fromList(v.tokens.slice(2)).tokens).toEqual(v.tokens);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('encodeLabels sorts classes', () => {
    const { ids, classes } = encodeLabels(['plant', 'animal', 'plant', 'food']);
    expect(classes).toEqual(['animal', 'food', 'plant']);
    expect(Array.from(ids)).toEqual([2, 0, 2, 1]);
  });
});

describe('padSequences (Keras semantics)', () => {
  const seqs = [[1, 2, 3], [4, 5], [6]];
  const rows = (m: { data: Int32Array; shape: readonly [number, number] }) =>
    Array.from({ length: m.shape[0] }, (_, i) => Array.from(m.data.subarray(i * m.shape[1], (i + 1) * m.shape[1])));

  it('matches pad_sequences on hand cases', () => {
    // Defaults: padding='pre', truncating='pre', maxlen = longest.
    expect(rows(padSequences(seqs))).toEqual([[1, 2, 3], [0, 4, 5], [0, 0, 6]]);
    expect(rows(padSequences(seqs, 2))).toEqual([[2, 3], [4, 5], [0, 6]]);
    expect(rows(padSequences(seqs, 2, { padding: 'post' }))).toEqual([[2, 3], [4, 5], [6, 0]]);
    expect(rows(padSequences(seqs, 2, { truncating: 'post' }))).toEqual([[1, 2], [4, 5], [0, 6]]);
    expect(rows(padSequences(seqs, 4, { padding: 'post', value: -1 }))).toEqual([[1, 2, 3, -1], [4, 5, -1, -1], [6, -1, -1, -1]]);
    expect(rows(padSequences([[], [7]], 2))).toEqual([[0, 0], [0, 7]]);
    expect(padSequences(seqs, 0).shape).toEqual([3, 0]);
    expect(padSequences([]).shape).toEqual([0, 0]);
    expect(() => padSequences([[1.5]])).toThrow(RangeError);
  });
});

describe('one-hot and bag of words', () => {
  it('oneHotEncode puts one 1 per row', () => {
    const m = oneHotEncode([2, 0, 1], 3);
    expect(m.shape).toEqual([3, 3]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(() => oneHotEncode([3], 3)).toThrow(/outside \[0, 3\)/);
  });

  it('bagOfWords counts, binarises and weights tf-idf like Keras texts_to_matrix, ignoring padding', () => {
    const docs = [
      [0, 2, 2, 3],
      [3, 4],
    ];
    expect(Array.from(bagOfWords(docs, 5).data)).toEqual([0, 0, 2, 1, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(bagOfWords(docs, 5, { mode: 'binary' }).data)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 1, 1]);
    const idf = fitIdf(docs, 5);
    expect(idf[2]).toBeCloseTo(Math.log(1 + 2 / 2), 12);
    expect(idf[3]).toBeCloseTo(Math.log(1 + 2 / 3), 12);
    const tfidf = bagOfWords(docs, 5, { mode: 'tfidf' }).data;
    expect(tfidf[2]).toBeCloseTo((1 + Math.log(2)) * Math.log(2), 6);
    expect(tfidf[3]).toBeCloseTo(Math.log(1 + 2 / 3), 6);
    expect(tfidf[0]).toBe(0);
    // Test documents reuse the training idf.
    const test = bagOfWords([[2]], 5, { mode: 'tfidf', idf }).data;
    expect(test[2]).toBeCloseTo(idf[2]!, 6);
  });

  it('sparsityReport gives size and fraction of zeros of a one-hot matrix', () => {
    const r = sparsityReport(oneHotEncode([1, 2, 3, 4], 1000));
    expect(r).toMatchObject({ rows: 4, cols: 1000, size: 4000, zeros: 3996, bytes: 16000 });
    expect(r.zeroFraction).toBeCloseTo(0.999, 12);
    expect(r.summary).toBe('[4, 1000] float32: 4000 values (0.02 MiB), 99.90% zeros');
  });
});
