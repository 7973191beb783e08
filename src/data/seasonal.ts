/**
 * Seasonal-period detection from the sample autocorrelation. Pure functions on plain arrays,
 * meant to be given the training part of a series only.
 */

/** Sample autocorrelation r[k], k = 0..maxLag (r[0] = 1; all 0 for a constant series). */
export function autocorrelation(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (x[i]! - mean) ** 2;
  const r = new Float64Array(Math.min(maxLag, n - 1) + 1);
  if (c0 === 0) return r;
  for (let k = 0; k < r.length; k++) {
    let c = 0;
    for (let i = k; i < n; i++) c += (x[i]! - mean) * (x[i - k]! - mean);
    r[k] = c / c0;
  }
  return r;
}

/** x minus its least-squares line (so a trend does not swamp the autocorrelation). */
export function detrend(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const tm = (n - 1) / 2;
  let ym = 0;
  for (let i = 0; i < n; i++) ym += x[i]!;
  ym /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - tm) * (x[i]! - ym);
    sxx += (i - tm) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return Float64Array.from({ length: n }, (_, i) => x[i]! - ym - slope * (i - tm));
}

export interface PeriodEstimate {
  /** the detected period, or null when no lag stands out */
  readonly period: number | null;
  /** its autocorrelation (of the detrended series) */
  readonly acf: number;
  /** the significance bound used, 1.96/√n */
  readonly bound: number;
}

/**
 * The seasonal period: the lag k in [2, maxLag] (maxLag defaults to n/3, so at least three
 * cycles are seen) that is a local peak of the detrended series' autocorrelation, exceeds the
 * 95% white-noise bound 1.96/√n, rises above the lowest autocorrelation at a smaller lag by two
 * bounds (so the slow bumps of a random walk do not count), and has the largest value of such
 * peaks. null when none qualifies.
 */
export function detectPeriod(x: ArrayLike<number>, maxLag = Math.floor(x.length / 3)): PeriodEstimate {
  const n = x.length;
  const bound = 1.96 / Math.sqrt(Math.max(n, 1));
  const r = autocorrelation(detrend(x), Math.max(maxLag, 0) + 1);
  let period: number | null = null;
  let acf = -Infinity;
  // the lowest autocorrelation since lag 1: a season has a trough before its peak
  let trough = r[1] ?? 0;
  for (let k = 2; k <= maxLag && k + 1 < r.length; k++) {
    trough = Math.min(trough, r[k]!);
    const peak = r[k]! > r[k - 1]! && r[k]! >= r[k + 1]!;
    // a trending random walk's slowly decaying autocorrelation has small bumps: ask for a rise of 2 bounds
    if (peak && r[k]! > bound && r[k]! - trough > 2 * bound && r[k]! > acf) {
      period = k;
      acf = r[k]!;
    }
  }
  return { period, acf: period === null ? Number.NaN : acf, bound };
}
