/**
 * Text preprocessing: tokenizers, a deterministic vocabulary, Keras-style padding, one-hot and
 * bag-of-words encodings. Ids are plain Int32Arrays; matrices are row-major `Array2D`s.
 */
import type { Array2D } from './types';

/** Options of the tokenizers. */
export interface TokenizeOptions {
  /** Lowercase the text first (charTokenize default false, wordTokenize default true). */
  readonly lowercase?: boolean;
}

/** Splits text into Unicode code points (not UTF-16 units, so an emoji stays one token). */
export function charTokenize(text: string, options: TokenizeOptions = {}): string[] {
  return Array.from(options.lowercase === true ? text.toLowerCase() : text);
}

// A word is a run of letters/digits, optionally joined by single apostrophes (straight or
// curly) that sit between word characters: "don't", "o'clock", "Bennet's" stay whole.
const WORD = /[\p{L}\p{M}\p{N}]+(?:['\u2019][\p{L}\p{M}\p{N}]+)*/gu;

/**
 * Splits text into words. Rules: words are maximal runs of Unicode letters, combining marks and
 * digits; an apostrophe (' or ’) between two such characters stays inside the word; every other
 * character (punctuation, underscores, hyphens, quotes, whitespace, a leading or trailing
 * apostrophe) separates words and is dropped. Lowercases by default, like Keras's Tokenizer.
 * "_You_ can't--well, twenty-one!" → ["you", "can't", "well", "twenty", "one"].
 */
export function wordTokenize(text: string, options: TokenizeOptions = {}): string[] {
  const src = options.lowercase === false ? text : text.toLowerCase();
  return src.match(WORD) ?? [];
}

/** Options of Vocabulary.build. */
export interface VocabularyOptions {
  /** Keep only tokens seen at least this often (default 1). */
  readonly minCount?: number;
  /** Maximum size *including* the two reserved tokens (default unlimited), like Keras's max_tokens. */
  readonly maxSize?: number;
}

/**
 * A token ↔ id mapping with reserved `<pad>` = 0 and `<unk>` = 1. Built tokens get ids from 2
 * in a deterministic order: frequency descending, then code-unit lexicographic order. Tokens
 * equal to the reserved strings are not counted (they already have their ids).
 */
export class Vocabulary {
  static readonly PAD = '<pad>';
  static readonly UNK = '<unk>';
  static readonly PAD_ID = 0;
  static readonly UNK_ID = 1;

  /** All tokens by id: tokens[0] = '<pad>', tokens[1] = '<unk>'. */
  readonly tokens: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  private constructor(tokens: readonly string[]) {
    this.tokens = Object.freeze(tokens.slice());
    this.index = new Map(this.tokens.map((t, i) => [t, i]));
    Object.freeze(this);
  }

  /** Counts tokens (a flat stream, or documents as token arrays) and keeps the most frequent. */
  static build(tokens: Iterable<string | readonly string[]>, options: VocabularyOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 1;
    const maxSize = options.maxSize ?? Infinity;
    if (!Number.isInteger(minCount) || minCount < 1) throw new RangeError(`Vocabulary.build: minCount must be a positive integer, got ${minCount}`);
    if (!(maxSize >= 2) || (maxSize !== Infinity && !Number.isInteger(maxSize))) {
      throw new RangeError(`Vocabulary.build: maxSize must be an integer >= 2 (it includes <pad> and <unk>), got ${maxSize}`);
    }
    const counts = new Map<string, number>();
    const add = (t: string): void => {
      if (t !== Vocabulary.PAD && t !== Vocabulary.UNK) counts.set(t, (counts.get(t) ?? 0) + 1);
    };
    for (const item of tokens) {
      if (typeof item === 'string') add(item);
      else for (const t of item) add(t);
    }
    const kept = [...counts].filter(([, c]) => c >= minCount);
    kept.sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0));
    const words = kept.slice(0, Math.max(0, maxSize - 2)).map(([t]) => t);
    return new Vocabulary([Vocabulary.PAD, Vocabulary.UNK, ...words]);
  }

  /** A vocabulary with exactly these tokens after the reserved two, in this order (e.g. to restore a saved one). */
  static fromList(tokens: readonly string[]): Vocabulary {
    const seen = new Set<string>([Vocabulary.PAD, Vocabulary.UNK]);
    for (const t of tokens) {
      if (seen.has(t)) throw new RangeError(`Vocabulary.fromList: duplicate or reserved token ${JSON.stringify(t)}`);
      seen.add(t);
    }
    return new Vocabulary([Vocabulary.PAD, Vocabulary.UNK, ...tokens]);
  }

  /** Number of ids, reserved ones included. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token, or 1 (`<unk>`) if unknown. */
  idOf(token: string): number {
    return this.index.get(token) ?? Vocabulary.UNK_ID;
  }

  /** Token ids; unknown tokens become 1 (`<unk>`). */
  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (t) => this.idOf(t));
  }

  /** Tokens for ids; with `skipPadding`, ids 0 are left out. Throws RangeError on an id outside the vocabulary. */
  decode(ids: ArrayLike<number>, options: { readonly skipPadding?: boolean } = {}): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const tok = this.tokens[id];
      if (!Number.isInteger(id) || tok === undefined) throw new RangeError(`Vocabulary.decode: id ${id} at position ${i} is outside [0, ${this.size})`);
      if (id === Vocabulary.PAD_ID && options.skipPadding === true) continue;
      out.push(tok);
    }
    return out;
  }
}

/** Class names → ids, with classes sorted in code-unit order (so ids are reproducible). */
export function encodeLabels(labels: readonly string[]): { readonly ids: Int32Array; readonly classes: readonly string[] } {
  const classes = [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classes.map((c, i) => [c, i]));
  return { ids: Int32Array.from(labels, (l) => index.get(l) as number), classes };
}

/** Options of padSequences (defaults as in Keras). */
export interface PadOptions {
  /** Where to add padding: 'pre' (default, Keras) or 'post'. */
  readonly padding?: 'pre' | 'post';
  /** Which end to cut from a sequence longer than maxLen: 'pre' (default, keep the end) or 'post'. */
  readonly truncating?: 'pre' | 'post';
  /** Padding value, an integer (default 0 = `<pad>`). */
  readonly value?: number;
}

/**
 * Keras `pad_sequences`: an [n, maxLen] Int32 matrix. maxLen defaults to the longest sequence.
 * Longer sequences are truncated at the `truncating` end, shorter ones padded at `padding`.
 */
export function padSequences(seqs: readonly ArrayLike<number>[], maxLen?: number, options: PadOptions = {}): Array2D<Int32Array> {
  const padding = options.padding ?? 'pre';
  const truncating = options.truncating ?? 'pre';
  const value = options.value ?? 0;
  if (!Number.isInteger(value)) throw new RangeError(`padSequences: value must be an integer, got ${value}`);
  const len = maxLen ?? seqs.reduce((m, s) => Math.max(m, s.length), 0);
  if (!Number.isInteger(len) || len < 0) throw new RangeError(`padSequences: maxLen must be a non-negative integer, got ${maxLen}`);
  const n = seqs.length;
  const data = new Int32Array(n * len).fill(value);
  for (let i = 0; i < n; i++) {
    const s = seqs[i] as ArrayLike<number>;
    const keep = Math.min(len, s.length);
    const from = truncating === 'pre' ? s.length - keep : 0;
    const to = padding === 'pre' ? len - keep : 0;
    for (let j = 0; j < keep; j++) {
      const id = s[from + j] as number;
      if (!Number.isInteger(id)) throw new RangeError(`padSequences: sequence ${i} has non-integer element ${id} at ${from + j}`);
      data[i * len + to + j] = id;
    }
  }
  return { data, shape: [n, len] };
}

/** One row per id with a 1 in column `id`: an [n, depth] Float32 matrix. Throws RangeError on an id outside [0, depth). */
export function oneHotEncode(ids: ArrayLike<number>, depth: number): Array2D {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`oneHotEncode: depth must be a positive integer, got ${depth}`);
  const n = ids.length;
  const data = new Float32Array(n * depth);
  for (let i = 0; i < n; i++) {
    const id = ids[i] as number;
    if (!Number.isInteger(id) || id < 0 || id >= depth) throw new RangeError(`oneHotEncode: id ${id} at position ${i} is outside [0, ${depth})`);
    data[i * depth + id] = 1;
  }
  return { data, shape: [n, depth] };
}

/** Options of bagOfWords. */
export interface BagOfWordsOptions {
  /** 'count' (default): occurrences; 'binary': 1 if present; 'tfidf': (1 + ln count) · idf. */
  readonly mode?: 'count' | 'binary' | 'tfidf';
  /** For 'tfidf': idf weights from the *training* documents (fitIdf); default: fitted on these docs. */
  readonly idf?: Float64Array;
}

function checkId(id: number, vocabSize: number, doc: number, pos: number, who: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new RangeError(`${who}: document ${doc} has id ${id} at position ${pos}, outside [0, ${vocabSize})`);
  }
}

/**
 * Inverse document frequencies as Keras's Tokenizer computes them:
 * idf[w] = ln(1 + nDocs / (1 + df[w])). Padding (id 0) is ignored.
 */
export function fitIdf(docs: readonly ArrayLike<number>[], vocabSize: number): Float64Array {
  const df = new Float64Array(vocabSize);
  const seen = new Int32Array(vocabSize).fill(-1);
  docs.forEach((doc, d) => {
    for (let j = 0; j < doc.length; j++) {
      const id = doc[j] as number;
      checkId(id, vocabSize, d, j, 'fitIdf');
      if (id !== 0 && seen[id] !== d) {
        seen[id] = d;
        df[id] = (df[id] as number) + 1;
      }
    }
  });
  return df.map((f) => Math.log(1 + docs.length / (1 + f)));
}

/**
 * Documents of token ids → an [n, vocabSize] Float32 matrix (Keras `texts_to_matrix`).
 * Padding ids (0) are not counted, so padded sequences can be passed directly.
 */
export function bagOfWords(docs: readonly ArrayLike<number>[], vocabSize: number, options: BagOfWordsOptions = {}): Array2D {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`bagOfWords: vocabSize must be a positive integer, got ${vocabSize}`);
  const mode = options.mode ?? 'count';
  const idf = mode === 'tfidf' ? (options.idf ?? fitIdf(docs, vocabSize)) : undefined;
  if (idf !== undefined && idf.length !== vocabSize) throw new RangeError(`bagOfWords: idf has length ${idf.length}, expected ${vocabSize}`);
  const n = docs.length;
  const data = new Float32Array(n * vocabSize);
  const counts = new Float64Array(vocabSize);
  docs.forEach((doc, d) => {
    counts.fill(0);
    for (let j = 0; j < doc.length; j++) {
      const id = doc[j] as number;
      checkId(id, vocabSize, d, j, 'bagOfWords');
      if (id !== 0) counts[id] = (counts[id] as number) + 1;
    }
    const row = d * vocabSize;
    for (let w = 1; w < vocabSize; w++) {
      const c = counts[w] as number;
      if (c === 0) continue;
      data[row + w] = mode === 'count' ? c : mode === 'binary' ? 1 : (1 + Math.log(c)) * ((idf as Float64Array)[w] as number);
    }
  });
  return { data, shape: [n, vocabSize] };
}

/** Size and sparsity of a matrix (e.g. a one-hot encoding), for explaining why embeddings win. */
export interface SparsityReport {
  readonly rows: number;
  readonly cols: number;
  /** Number of elements, rows·cols. */
  readonly size: number;
  readonly zeros: number;
  readonly zeroFraction: number;
  /** Bytes as dense float32. */
  readonly bytes: number;
  /** One line, e.g. "[1000, 5000] float32: 5000000 values (19.07 MiB), 99.98% zeros". */
  readonly summary: string;
}

/** Counts zeros in a matrix and reports its dense float32 footprint. */
export function sparsityReport(m: Array2D<ArrayLike<number>>): SparsityReport {
  const [rows, cols] = m.shape;
  const size = rows * cols;
  let zeros = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i] === 0) zeros++;
  const zeroFraction = size === 0 ? 0 : zeros / size;
  const bytes = size * 4;
  const mib = (bytes / 2 ** 20).toFixed(2);
  const summary = `[${rows}, ${cols}] float32: ${size} values (${mib} MiB), ${(zeroFraction * 100).toFixed(2)}% zeros`;
  return { rows, cols, size, zeros, zeroFraction, bytes, summary };
}
