/**
 * Train/test splits and mini-batch index generation, as index arrays into the samples.
 * Invalid arguments are programming errors and throw RangeError.
 */

/** Indices of the training and test samples; together they cover 0..n-1 exactly once. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/**
 * Train size = floor(n * trainFraction), like Keras's `int(len(dataset) * 0.67)` and
 * scikit-learn's `train_size`. A tiny epsilon absorbs float error so that e.g.
 * 144 * (2/3) gives 96, not 95.
 */
export function trainSize(n: number, trainFraction: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`split: n must be a non-negative integer, got ${n}`);
  if (!(trainFraction >= 0 && trainFraction <= 1)) throw new RangeError(`split: trainFraction must be in [0, 1], got ${trainFraction}`);
  return Math.min(n, Math.floor(n * trainFraction + 1e-9));
}

/** Ordered split for time series: the first floor(n·f) indices train, the rest test. */
export function trainTestSplitOrdered(n: number, trainFraction: number): Split {
  const k = trainSize(n, trainFraction);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return { train: all.slice(0, k), test: all.slice(k) };
}

/**
 * Shuffled split: `rng(n)` must return a permutation of 0..n-1 (e.g.
 * `n => permutationArray(key, n)`); its first floor(n·f) entries train, the rest test, in
 * permutation order. The permutation is checked, since a repeated index would leak samples
 * between train and test.
 */
export function trainTestSplitShuffled(n: number, trainFraction: number, rng: (n: number) => Int32Array): Split {
  const k = trainSize(n, trainFraction);
  const perm = rng(n);
  assertPermutation(perm, n, 'trainTestSplitShuffled');
  return { train: perm.slice(0, k), test: perm.slice(k) };
}

/** Throws RangeError unless `perm` is a permutation of 0..n-1. */
export function assertPermutation(perm: ArrayLike<number>, n: number, who = 'assertPermutation'): void {
  if (perm.length !== n) throw new RangeError(`${who}: permutation has length ${perm.length}, expected ${n}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = perm[i] as number;
    if (!Number.isInteger(p) || p < 0 || p >= n || seen[p] === 1) {
      throw new RangeError(`${who}: entry ${i} (${p}) makes this not a permutation of 0..${n - 1}`);
    }
    seen[p] = 1;
  }
}

/** Options of batchIndices. */
export interface BatchOptions {
  /** Drop a last batch smaller than batchSize (default false: keep it). */
  readonly dropRemainder?: boolean;
  /** Sample order to cut into batches (e.g. a shuffled permutation); default 0..n-1. */
  readonly order?: Int32Array;
}

/**
 * Consecutive mini-batches of sample indices: ceil(n / batchSize) batches, or
 * floor(n / batchSize) with dropRemainder. Each batch is a subarray view of the order.
 */
export function batchIndices(n: number, batchSize: number, options: BatchOptions = {}): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`batchIndices: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  const order = options.order ?? Int32Array.from({ length: n }, (_, i) => i);
  if (order.length !== n) throw new RangeError(`batchIndices: order has length ${order.length}, expected ${n}`);
  const batches: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (end - start < batchSize && options.dropRemainder === true) break;
    batches.push(order.subarray(start, end));
  }
  return batches;
}
