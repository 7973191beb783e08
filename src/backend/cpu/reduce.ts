/**
 * Reductions and row-wise normalisations: reduce, argReduce, softmax, logSoftmax, layerNorm.
 *
 * `reduce` makes one pass over the input in memory order, whatever the axes: dims of size 1
 * are dropped and adjacent dims that are all reduced (or all kept) are merged, leaving
 * alternating kept / reduced groups. The innermost group is the tight loop: a reduced one
 * folds a contiguous run into one accumulator, a kept one adds the run element-wise into a
 * row of accumulators. The outer groups advance an odometer that only tracks the output
 * offset. Accumulators are float64 (JS numbers / Float64Array); the result is rounded to
 * float32 once at the end.
 */
import type { F32, I32, ReduceOp } from '../backend';
import { exp } from './exp';

/** Folds x[off .. off+n) into acc. */
type RunFold = (x: F32, off: number, n: number, acc: number) => number;
/** acc[ao+i] = acc[ao+i] ⊕ x[off+i] for i < n. */
type RowFold = (x: F32, off: number, acc: Float64Array, ao: number, n: number) => void;
interface ReduceLoops {
  readonly init: number;
  readonly run: RunFold;
  readonly row: RowFold;
}

const SUM: ReduceLoops = {
  init: 0,
  run(x, off, n, acc) {
    for (let i = off, e = off + n; i < e; i++) acc += x[i]!;
    return acc;
  },
  row(x, off, acc, ao, n) {
    for (let i = 0; i < n; i++) acc[ao + i] = acc[ao + i]! + x[off + i]!;
  },
};
const PROD: ReduceLoops = {
  init: 1,
  run(x, off, n, acc) {
    for (let i = off, e = off + n; i < e; i++) acc *= x[i]!;
    return acc;
  },
  row(x, off, acc, ao, n) {
    for (let i = 0; i < n; i++) acc[ao + i] = acc[ao + i]! * x[off + i]!;
  },
};
// Math.max / Math.min propagate NaN: once the accumulator is NaN it stays NaN.
const MAX: ReduceLoops = {
  init: -Infinity,
  run(x, off, n, acc) {
    for (let i = off, e = off + n; i < e; i++) acc = Math.max(acc, x[i]!);
    return acc;
  },
  row(x, off, acc, ao, n) {
    for (let i = 0; i < n; i++) acc[ao + i] = Math.max(acc[ao + i]!, x[off + i]!);
  },
};
const MIN: ReduceLoops = {
  init: Infinity,
  run(x, off, n, acc) {
    for (let i = off, e = off + n; i < e; i++) acc = Math.min(acc, x[i]!);
    return acc;
  },
  row(x, off, acc, ao, n) {
    for (let i = 0; i < n; i++) acc[ao + i] = Math.min(acc[ao + i]!, x[off + i]!);
  },
};
const REDUCE: Record<ReduceOp, ReduceLoops> = { sum: SUM, prod: PROD, max: MAX, min: MIN };

/**
 * Reduces `x` over `axes` (sorted, unique, non-empty); the result has the kept dims in
 * order. Empty reductions give the identity (sum 0, prod 1, max -∞, min +∞).
 */
/**
 * The dims of a reduction merged into alternating kept / reduced groups (size-1 dims dropped,
 * adjacent dims that are all reduced or all kept multiplied together), and the output size.
 * `axes` sorted ascending.
 */
export function reduceGroups(shape: readonly number[], axes: readonly number[]): { sizes: number[]; reduced: boolean[]; outSize: number } {
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  let outSize = 1;
  let ai = 0;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    const isRed = ai < axes.length && axes[ai] === d;
    if (isRed) ai++;
    else outSize *= n;
    if (n === 1) continue;
    const g = sizes.length - 1;
    if (g >= 0 && reduced[g] === isRed) sizes[g] = sizes[g]! * n;
    else {
      sizes.push(n);
      reduced.push(isRed);
    }
  }
  return { sizes, reduced, outSize };
}

export function reduce(op: ReduceOp, x: F32, shape: readonly number[], axes: readonly number[]): F32 {
  const k = REDUCE[op];
  const { sizes, reduced, outSize } = reduceGroups(shape, axes);
  const out = new Float32Array(outSize);
  if (x.length === 0) {
    out.fill(k.init);
    return out;
  }
  const G = sizes.length;
  if (G === 0) {
    out[0] = x[0]!;
    return out;
  }
  const L = sizes[G - 1]!;
  const lastReduced = reduced[G - 1]!;
  // Fast paths that need no accumulator array: everything, or [kept, reduced].
  if (G === 1 && lastReduced) {
    out[0] = k.run(x, 0, L, k.init);
    return out;
  }
  if (G === 2 && lastReduced) {
    for (let o = 0, off = 0; o < outSize; o++, off += L) out[o] = k.run(x, off, L, k.init);
    return out;
  }
  if (G === 1) {
    // Only size-1 dims were reduced: a copy.
    out.set(x);
    return out;
  }
  const acc = new Float64Array(outSize);
  if (k.init !== 0) acc.fill(k.init);
  // Output stride of each outer group (0 for reduced groups).
  const ostr = new Array<number>(G).fill(0);
  let s = lastReduced ? 1 : L;
  for (let g = G - 2; g >= 0; g--) {
    if (!reduced[g]) {
      ostr[g] = s;
      s *= sizes[g]!;
    }
  }
  const idx = new Int32Array(G - 1);
  const total = x.length;
  let o = 0;
  for (let off = 0; off < total; off += L) {
    if (lastReduced) acc[o] = k.run(x, off, L, acc[o]!);
    else k.row(x, off, acc, o, L);
    for (let g = G - 2; g >= 0; g--) {
      o += ostr[g]!;
      if (++idx[g]! < sizes[g]!) break;
      idx[g] = 0;
      o -= ostr[g]! * sizes[g]!;
    }
  }
  out.set(acc);
  return out;
}

/**
 * Index of the max / min along `axis` (first index on ties). NaN counts as the extreme
 * value, so the first NaN wins (NumPy's argmax / argmin).
 */
export function argReduce(op: 'max' | 'min', x: F32, shape: readonly number[], axis: number): I32 {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  const n = shape[axis]!;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  const out = new Int32Array(outer * inner);
  if (n === 0 || out.length === 0) return out;
  const isMax = op === 'max';
  if (inner === 1) {
    if (isMax) for (let o = 0; o < outer; o++) out[o] = argMaxRun(x, o * n, n);
    else for (let o = 0; o < outer; o++) out[o] = argMinRun(x, o * n, n);
    return out;
  }
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    if (isMax) argMaxRows(x, o * n * inner, n, inner, best, out, o * inner);
    else argMinRows(x, o * n * inner, n, inner, best, out, o * inner);
  }
  return out;
}

function argMaxRun(x: F32, off: number, n: number): number {
  let bv = x[off]!;
  let bi = 0;
  if (bv !== bv) return 0;
  for (let i = 1; i < n; i++) {
    const v = x[off + i]!;
    if (v > bv) {
      bv = v;
      bi = i;
    } else if (v !== v) return i;
  }
  return bi;
}

function argMinRun(x: F32, off: number, n: number): number {
  let bv = x[off]!;
  let bi = 0;
  if (bv !== bv) return 0;
  for (let i = 1; i < n; i++) {
    const v = x[off + i]!;
    if (v < bv) {
      bv = v;
      bi = i;
    } else if (v !== v) return i;
  }
  return bi;
}

/** Scans n rows of length `inner` (the reduced axis is the row index), keeping a best per column. */
function argMaxRows(x: F32, off: number, n: number, inner: number, best: Float64Array, out: I32, oo: number): void {
  for (let j = 0; j < inner; j++) {
    best[j] = x[off + j]!;
    out[oo + j] = 0;
  }
  for (let i = 1; i < n; i++) {
    const r = off + i * inner;
    for (let j = 0; j < inner; j++) {
      const v = x[r + j]!;
      const b = best[j]!;
      if (v > b) {
        best[j] = v;
        out[oo + j] = i;
      } else if (v !== v && b === b) {
        // First NaN wins; storing it in best stops every later update of this column.
        best[j] = v;
        out[oo + j] = i;
      }
    }
  }
}

function argMinRows(x: F32, off: number, n: number, inner: number, best: Float64Array, out: I32, oo: number): void {
  for (let j = 0; j < inner; j++) {
    best[j] = x[off + j]!;
    out[oo + j] = 0;
  }
  for (let i = 1; i < n; i++) {
    const r = off + i * inner;
    for (let j = 0; j < inner; j++) {
      const v = x[r + j]!;
      const b = best[j]!;
      if (v < b) {
        best[j] = v;
        out[oo + j] = i;
      } else if (v !== v && b === b) {
        best[j] = v;
        out[oo + j] = i;
      }
    }
  }
}

/**
 * Softmax over the last axis of [rows, cols]: exp(x - rowMax) / sum, in float64 and rounded
 * once. Large finite logits are safe (softmax([1000, 0]) = [1, 0]); a row that is all -∞,
 * or holds +∞ or NaN, gives NaN (as tfjs, PyTorch and NumPy-based code do).
 */
export function softmax(x: F32, rows: number, cols: number, into?: F32): F32 {
  const out = into ?? new Float32Array(rows * cols); // every element is written
  const e = new Float64Array(cols);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = x[off + j]!;
      if (v > m) m = v;
    }
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const v = exp(x[off + j]! - m);
      e[j] = v;
      s += v;
    }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) out[off + j] = e[j]! * inv;
  }
  return out;
}

/** logSoftmax = (x - max) - log(sum(exp(x - max))), in float64; same non-finite rules as softmax. */
export function logSoftmax(x: F32, rows: number, cols: number, into?: F32): F32 {
  const out = into ?? new Float32Array(rows * cols); // every element is written
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = x[off + j]!;
      if (v > m) m = v;
    }
    let s = 0;
    for (let j = 0; j < cols; j++) s += exp(x[off + j]! - m);
    const ls = Math.log(s);
    for (let j = 0; j < cols; j++) out[off + j] = x[off + j]! - m - ls;
  }
  return out;
}

/**
 * Layer normalisation over the last axis: two passes in float64 (mean, then the mean of
 * squared deviations, i.e. the biased variance as in PyTorch / Keras), rstd = 1/√(var + eps).
 * With gamma / beta: y = ((x − mean)·rstd)·gamma + beta in float64, rounded once (an absent one
 * is the identity: ·1 and + −0 are exact, so the wasm kernel may substitute them).
 */
export function layerNorm(x: F32, rows: number, cols: number, eps: number, gamma?: F32 | null, beta?: F32 | null): { y: F32; mean: F32; rstd: F32 } {
  const y = new Float32Array(rows * cols);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[off + j]!;
    const mu = s / cols;
    let q = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[off + j]! - mu;
      q += d * d;
    }
    const rs = 1 / Math.sqrt(q / cols + eps);
    if (gamma || beta) {
      for (let j = 0; j < cols; j++) {
        let v = (x[off + j]! - mu) * rs;
        if (gamma) v *= gamma[j]!;
        if (beta) v += beta[j]!;
        y[off + j] = v;
      }
    } else {
      for (let j = 0; j < cols; j++) y[off + j] = (x[off + j]! - mu) * rs;
    }
    mean[r] = mu;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}
