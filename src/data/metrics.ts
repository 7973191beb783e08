/**
 * Evaluation metrics on plain arrays. Mismatched lengths and empty inputs are programming
 * errors here (the arrays come from our own code), so they throw RangeError.
 */
import type { Array2D } from './types';

function sameNonEmpty(a: ArrayLike<unknown>, b: ArrayLike<unknown>, who: string): number {
  if (a.length !== b.length) throw new RangeError(`${who}: lengths differ (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new RangeError(`${who}: empty input has no defined value`);
  return a.length;
}

/** Fraction of positions where yPred equals yTrue. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameNonEmpty(yTrue, yPred, 'accuracy');
  let hits = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / n;
}

/**
 * Counts of (true class, predicted class): element [t, p] = `data[t * numClasses + p]`
 * (rows are true labels, columns predictions, as in scikit-learn).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): Array2D<Int32Array> {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  if (yTrue.length !== yPred.length) throw new RangeError(`confusionMatrix: lengths differ (${yTrue.length} vs ${yPred.length})`);
  const data = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const p = yPred[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= numClasses || !Number.isInteger(p) || p < 0 || p >= numClasses) {
      throw new RangeError(`confusionMatrix: labels at position ${i} (true ${t}, predicted ${p}) are not classes in [0, ${numClasses})`);
    }
    data[t * numClasses + p] = (data[t * numClasses + p] as number) + 1;
  }
  return { data, shape: [numClasses, numClasses] };
}

/** Root mean squared error. */
export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameNonEmpty(yTrue, yPred, 'rmse');
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = (yTrue[i] as number) - (yPred[i] as number);
    s += d * d;
  }
  return Math.sqrt(s / n);
}

/** Mean absolute error. */
export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = sameNonEmpty(yTrue, yPred, 'mae');
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs((yTrue[i] as number) - (yPred[i] as number));
  return s / n;
}

/**
 * Levenshtein distance (unit-cost insertions, deletions, substitutions; elements compared
 * with ===) between two sequences, e.g. phoneme arrays or strings. O(|a|·|b|) time, O(|b|) memory.
 */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const m = b.length;
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = (prev[j - 1] as number) + (ai === b[j - 1] ? 0 : 1);
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      cur[j] = Math.min(sub, del, ins);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m] as number;
}

/**
 * Corpus-level phoneme (token) error rate: the summed edit distance over all pairs divided by
 * the summed reference length (not a mean of per-pair rates, so long words weigh more).
 */
export function phonemeErrorRate<T>(references: readonly ArrayLike<T>[], hypotheses: readonly ArrayLike<T>[]): number {
  if (references.length !== hypotheses.length) {
    throw new RangeError(`phonemeErrorRate: ${references.length} references vs ${hypotheses.length} hypotheses`);
  }
  let edits = 0;
  let total = 0;
  for (let i = 0; i < references.length; i++) {
    const ref = references[i] as ArrayLike<T>;
    edits += editDistance(ref, hypotheses[i] as ArrayLike<T>);
    total += ref.length;
  }
  if (total === 0) throw new RangeError('phonemeErrorRate: total reference length is 0');
  return edits / total;
}
