/**
 * Multinomial naive Bayes over token-id documents: the classic bag-of-words text baseline.
 */

/** Options of NaiveBayesText.fit. */
export interface NaiveBayesOptions {
  /** Number of token ids (ids are in [0, vocabSize); id 0 is padding and ignored). */
  readonly vocabSize: number;
  /** Number of classes (default: largest label + 1). */
  readonly numClasses?: number;
  /** Additive (Laplace) smoothing per word and class (default 1). */
  readonly alpha?: number;
}

function checkDoc(doc: ArrayLike<number>, vocabSize: number, d: number, who: string): void {
  for (let j = 0; j < doc.length; j++) {
    const id = doc[j] as number;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`${who}: document ${d} has id ${id} at position ${j}, outside [0, ${vocabSize})`);
    }
  }
}

/**
 * Multinomial naive Bayes with Laplace smoothing: P(w | c) = (count(c, w) + α) / (Σ_w count(c, w) + α·(V-1))
 * over the V-1 non-padding ids, and class priors from label frequencies. Immutable once fitted.
 */
export class NaiveBayesText {
  private constructor(
    readonly vocabSize: number,
    readonly numClasses: number,
    /** log P(c), length numClasses. */
    readonly logPrior: Float64Array,
    /** log P(w | c), row-major [numClasses, vocabSize] (column 0, padding, unused). */
    readonly logLikelihood: Float64Array,
  ) {
    Object.freeze(this);
  }

  /** Counts words per class. Throws RangeError on mismatched lengths, a bad label or id. */
  static fit(docs: readonly ArrayLike<number>[], labels: ArrayLike<number>, options: NaiveBayesOptions): NaiveBayesText {
    const { vocabSize } = options;
    const alpha = options.alpha ?? 1;
    if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new RangeError(`NaiveBayesText.fit: vocabSize must be an integer >= 2, got ${vocabSize}`);
    if (!(alpha > 0)) throw new RangeError(`NaiveBayesText.fit: alpha must be > 0, got ${alpha}`);
    if (docs.length !== labels.length) throw new RangeError(`NaiveBayesText.fit: ${docs.length} documents vs ${labels.length} labels`);
    if (docs.length === 0) throw new RangeError('NaiveBayesText.fit: no documents');
    let maxLabel = 0;
    for (let i = 0; i < labels.length; i++) maxLabel = Math.max(maxLabel, labels[i] as number);
    const numClasses = options.numClasses ?? maxLabel + 1;
    const classCount = new Float64Array(numClasses);
    const wordCount = new Float64Array(numClasses * vocabSize);
    const classTotal = new Float64Array(numClasses);
    docs.forEach((doc, d) => {
      const c = labels[d] as number;
      if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`NaiveBayesText.fit: label ${c} of document ${d} is outside [0, ${numClasses})`);
      checkDoc(doc, vocabSize, d, 'NaiveBayesText.fit');
      classCount[c] = (classCount[c] as number) + 1;
      for (let j = 0; j < doc.length; j++) {
        const w = doc[j] as number;
        if (w === 0) continue;
        wordCount[c * vocabSize + w] = (wordCount[c * vocabSize + w] as number) + 1;
        classTotal[c] = (classTotal[c] as number) + 1;
      }
    });
    const logPrior = classCount.map((n) => Math.log(n / docs.length));
    const logLikelihood = new Float64Array(numClasses * vocabSize);
    for (let c = 0; c < numClasses; c++) {
      const denom = Math.log((classTotal[c] as number) + alpha * (vocabSize - 1));
      for (let w = 1; w < vocabSize; w++) logLikelihood[c * vocabSize + w] = Math.log((wordCount[c * vocabSize + w] as number) + alpha) - denom;
    }
    return new NaiveBayesText(vocabSize, numClasses, logPrior, logLikelihood);
  }

  /** Unnormalised log posterior log P(c) + Σ log P(w | c) for each class. */
  logJoint(doc: ArrayLike<number>): Float64Array {
    checkDoc(doc, this.vocabSize, 0, 'NaiveBayesText.logJoint');
    const out = Float64Array.from(this.logPrior);
    for (let c = 0; c < this.numClasses; c++) {
      let s = out[c] as number;
      for (let j = 0; j < doc.length; j++) {
        const w = doc[j] as number;
        if (w !== 0) s += this.logLikelihood[c * this.vocabSize + w] as number;
      }
      out[c] = s;
    }
    return out;
  }

  /** The most probable class of each document (first class on ties). */
  predict(docs: readonly ArrayLike<number>[]): Int32Array {
    return Int32Array.from(docs, (doc) => {
      const lj = this.logJoint(doc);
      let best = 0;
      for (let c = 1; c < lj.length; c++) if ((lj[c] as number) > (lj[best] as number)) best = c;
      return best;
    });
  }
}
