/**
 * Windowed datasets and naive forecasting baselines for univariate time series.
 */
import { either as E } from 'fp-ts';
import { rmse, mae } from './metrics';
import { dataError, type DataError } from './types';

/** Sliding-window supervised dataset: N samples of `lookBack` past values and the next value. */
export interface WindowDataset {
  /** Row-major [n, lookBack, 1]: sample i holds series[i .. i + lookBack). */
  readonly inputs: Float32Array;
  /** Row-major [n, 1]: sample i's target is series[i + lookBack]. */
  readonly targets: Float32Array;
  readonly n: number;
  readonly lookBack: number;
  readonly inputShape: readonly [n: number, lookBack: number, features: 1];
  readonly targetShape: readonly [n: number, 1];
}

/**
 * The Keras time-series tutorial's `create_dataset` without its off-by-one: every window whose
 * target exists is used, so n = series.length - lookBack. (The tutorial loops to
 * `len - lookBack - 1` and drops the last window; here no sample is silently lost.)
 *
 * Left when the series is shorter than lookBack + 1 or a value is not finite (with its index);
 * RangeError when lookBack itself is not a positive integer (a programming error, not data).
 */
export function createDataset(series: ArrayLike<number>, lookBack: number): E.Either<DataError, WindowDataset> {
  if (!Number.isInteger(lookBack) || lookBack < 1) {
    throw new RangeError(`createDataset: lookBack must be a positive integer, got ${lookBack}`);
  }
  const len = series.length;
  if (len < lookBack + 1) {
    return E.left(
      dataError('series-too-short', `createDataset: a series of length ${len} has no window of ${lookBack} values plus a target`, {
        expected: `length >= ${lookBack + 1}`,
        found: `length ${len}`,
      }),
    );
  }
  for (let i = 0; i < len; i++) {
    const x = series[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      return E.left(
        dataError('non-finite', `createDataset: series[${i}] is ${String(x)}, expected a finite number`, {
          index: i,
          expected: 'a finite number',
          found: String(x),
        }),
      );
    }
  }
  const n = len - lookBack;
  const inputs = new Float32Array(n * lookBack);
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < lookBack; j++) inputs[i * lookBack + j] = series[i + j] as number;
    targets[i] = series[i + lookBack] as number;
  }
  return E.right({ inputs, targets, n, lookBack, inputShape: [n, lookBack, 1], targetShape: [n, 1] });
}

/** One-step-ahead forecasts for the test range [testStart, series.length) and their errors. */
export interface Forecast {
  readonly testStart: number;
  /** predictions[j] forecasts series[testStart + j]. */
  readonly predictions: Float64Array;
  readonly actual: Float64Array;
  readonly rmse: number;
  readonly mae: number;
}

function forecastWith(series: ArrayLike<number>, testStart: number, lag: number, who: string): Forecast {
  const len = series.length;
  if (!Number.isInteger(testStart) || testStart < lag || testStart >= len) {
    throw new RangeError(`${who}: testStart must be an integer in [${lag}, ${len - 1}] (needs ${lag} past values), got ${testStart}`);
  }
  const m = len - testStart;
  const predictions = new Float64Array(m);
  const actual = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const t = testStart + j;
    predictions[j] = series[t - lag] as number;
    actual[j] = series[t] as number;
  }
  return { testStart, predictions, actual, rmse: rmse(actual, predictions), mae: mae(actual, predictions) };
}

/**
 * Persistence (random-walk) baseline: the forecast of y[t] is y[t-1], the last *observed* value
 * (walk-forward, so inside the test range it uses the actual previous test value).
 */
export function persistenceForecast(series: ArrayLike<number>, testStart: number): Forecast {
  return forecastWith(series, testStart, 1, 'persistenceForecast');
}

/**
 * Seasonal naive baseline: the forecast of y[t] is y[t - season], the same point one season
 * earlier (walk-forward, like persistenceForecast).
 */
export function seasonalNaiveForecast(series: ArrayLike<number>, season: number, testStart: number): Forecast {
  if (!Number.isInteger(season) || season < 1) throw new RangeError(`seasonalNaiveForecast: season must be a positive integer, got ${season}`);
  return forecastWith(series, testStart, season, 'seasonalNaiveForecast');
}
