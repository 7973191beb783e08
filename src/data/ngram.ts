/**
 * Character-level n-gram language model.
 *
 * Smoothing (decision): interpolated add-k. With V symbols (the training characters plus one
 * `<unk>`), α = k·V, and h_m the last m characters of the context,
 *
 *   P_0(c)       = 1 / V
 *   P_m+1(c | h) = (count(h_m c) + α · P_m(c | h_m-1)) / (count(h_m ·) + α)     m = 0 .. n-1
 *
 * So order 1 is exactly add-k (Laplace for k = 1) on unigrams, and each higher order adds k
 * pseudo-counts per symbol distributed like the next-lower order instead of uniformly; an
 * unseen context falls back to the lower order unchanged. Every distribution sums to 1 over
 * the vocabulary and is strictly positive, so held-out text (even with unseen characters,
 * which score as `<unk>`) always has finite bits per character.
 */

/** Options of NGramModel.fit. */
export interface NGramOptions {
  /** Pseudo-count per symbol at every order (default 0.1; 1 = Laplace at order 1). */
  readonly k?: number;
}

/** The unknown-character symbol; index 0 of every model's vocabulary. */
export const UNK_CHAR = '<unk>';

export class NGramModel {
  /** Symbols by index: vocab[0] = '<unk>', then the training characters in code-point order. */
  readonly vocab: readonly string[];
  private readonly index: ReadonlyMap<string, number>;
  // counts[m]: (m-char context + next char) → count, i.e. every (m+1)-gram of the text.
  private readonly counts: readonly Map<string, number>[];
  // How often an m-char context is followed by anything is its m-gram count, minus one if it
  // is also the text's final m characters (nothing follows those); tails[m] holds them.
  private readonly tails: readonly string[];
  private readonly length: number;
  private readonly alpha: number;

  private constructor(
    readonly order: number,
    readonly k: number,
    vocab: readonly string[],
    counts: Map<string, number>[],
    tails: string[],
    length: number,
  ) {
    this.vocab = Object.freeze(vocab.slice());
    this.index = new Map(this.vocab.map((c, i) => [c, i]));
    this.counts = counts;
    this.tails = tails;
    this.length = length;
    this.alpha = k * this.vocab.length;
    Object.freeze(this);
  }

  /** Counts all 1..n-grams of the text's code points (contexts are shorter at the very start). */
  static fit(text: string, n: number, options: NGramOptions = {}): NGramModel {
    const k = options.k ?? 0.1;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`NGramModel.fit: order n must be a positive integer, got ${n}`);
    if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`NGramModel.fit: k must be a positive finite number, got ${k}`);
    const chars = Array.from(text);
    // offsets[i] = UTF-16 offset of code point i, so an m-gram is one slice of the text.
    const offsets = new Int32Array(chars.length + 1);
    for (let i = 0; i < chars.length; i++) offsets[i + 1] = (offsets[i] as number) + (chars[i] as string).length;
    const counts = Array.from({ length: n }, () => new Map<string, number>());
    for (let i = 0; i < chars.length; i++) {
      const end = offsets[i + 1] as number;
      for (let m = 0; m < n && m <= i; m++) {
        const gram = text.slice(offsets[i - m] as number, end);
        const cm = counts[m] as Map<string, number>;
        cm.set(gram, (cm.get(gram) ?? 0) + 1);
      }
    }
    const tails = Array.from({ length: n }, (_, m) => (m <= chars.length ? text.slice(offsets[chars.length - m] as number) : ''));
    const symbols = [...new Set(chars)].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
    return new NGramModel(n, k, [UNK_CHAR, ...symbols], counts, tails, chars.length);
  }

  /** Vocabulary index of a symbol (one code point or '<unk>'); unseen characters map to 0 ('<unk>'). */
  indexOf(symbol: string): number {
    const i = this.index.get(symbol);
    if (i !== undefined) return i;
    if (Array.from(symbol).length !== 1) throw new RangeError(`NGramModel: expected one character or '<unk>', got ${JSON.stringify(symbol)}`);
    return 0;
  }

  /** The last min(order-1, |context|) code points: the part of the context the model uses. */
  private history(context: string): string[] {
    const cps = Array.from(context);
    return cps.slice(Math.max(0, cps.length - (this.order - 1)));
  }

  /** P(symbol | hist) by the interpolation recursion; `symbol` is a vocabulary entry. */
  private probOf(hist: readonly string[], symbol: string): number {
    const isUnk = symbol === UNK_CHAR;
    let p = 1 / this.vocab.length;
    for (let m = 0; m <= hist.length; m++) {
      const ctx = hist.slice(hist.length - m).join('');
      const total = m === 0 ? this.length : ((this.counts[m - 1] as Map<string, number>).get(ctx) ?? 0) - (ctx === this.tails[m] ? 1 : 0);
      if (total === 0) break; // never seen as a context: no longer context containing it was either
      const c = isUnk ? 0 : ((this.counts[m] as Map<string, number>).get(ctx + symbol) ?? 0);
      p = (c + this.alpha * p) / (total + this.alpha);
    }
    return p;
  }

  /** Natural-log probability of the next character given a context (only its last order-1 characters matter). */
  logProb(context: string, char: string): number {
    return Math.log(this.probOf(this.history(context), this.vocab[this.indexOf(char)] as string));
  }

  /** The next-character distribution over `vocab` (index 0 = '<unk>'); sums to 1. */
  nextDistribution(context: string): Float64Array {
    return this.distributionOf(this.history(context));
  }

  private distributionOf(hist: readonly string[]): Float64Array {
    return Float64Array.from(this.vocab, (s) => this.probOf(hist, s));
  }

  /**
   * Cross-entropy in bits per character of held-out text: the mean of -log2 P(c_i | the
   * preceding order-1 characters of the same text). Characters never seen in training score
   * as '<unk>'. NaN for empty text.
   */
  bitsPerChar(text: string): number {
    const chars = Array.from(text);
    let bits = 0;
    for (let i = 0; i < chars.length; i++) {
      const hist = chars.slice(Math.max(0, i - (this.order - 1)), i);
      const sym = this.vocab[this.indexOf(chars[i] as string)] as string;
      bits -= Math.log2(this.probOf(hist, sym));
    }
    return bits / chars.length;
  }

  /**
   * Generates `length` characters after `prompt`. At each step `pick` receives the logits
   * (natural-log probabilities over `vocab`, with '<unk>' at -Infinity so it is never chosen)
   * and returns an index, e.g. `l => sampleTemperature(l, 0.8, nextUniform())`.
   */
  generate(prompt: string, length: number, pick: (logits: Float64Array) => number): string {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`NGramModel.generate: length must be a non-negative integer, got ${length}`);
    let hist = this.history(prompt);
    let out = '';
    for (let step = 0; step < length; step++) {
      const logits = this.distributionOf(hist).map(Math.log);
      logits[0] = -Infinity;
      const i = pick(logits);
      const sym = this.vocab[i];
      if (!Number.isInteger(i) || i === 0 || sym === undefined) {
        throw new RangeError(`NGramModel.generate: pick returned ${i}, expected an index in [1, ${this.vocab.length})`);
      }
      out += sym;
      hist = [...hist, sym].slice(Math.max(0, hist.length + 1 - (this.order - 1)));
    }
    return out;
  }
}
