/**
 * Per-column feature scalers (scikit-learn semantics) on plain 2-D arrays.
 *
 * `fit` is the only way to obtain a scaler that can transform: it returns a separate, frozen
 * `Fitted...` object inside an Either, so "transform before fit" does not type-check. The
 * unfitted classes still carry `transform`/`inverseTransform` members typed `never` that throw
 * a clear error, for JS callers (or `any`) that bypass the types.
 *
 * Data comes in two forms and results come back in the same form:
 * - a row-major `Float32Array` plus its `[rows, cols]` shape (result: a new Float32Array),
 * - `number[][]`, one inner array per row (result: new `number[][]`, computed in float64).
 * Statistics are always computed in float64.
 */
import { either as E } from 'fp-ts';
import { ShapeError } from '../shape/dims';
import { dataError, type DataError } from './types';

/** Rows of numbers, one inner array per sample. */
export type Rows = readonly (readonly number[])[];

const FITTED = Symbol('fitted');

/** Uniform read access to either input form, after validating its shape. */
interface View {
  readonly rows: number;
  readonly cols: number;
  get(r: number, c: number): number;
}

function viewOf(
  data: Float32Array | Rows,
  shape: readonly [number, number] | undefined,
  who: string,
): E.Either<DataError, View> {
  if (data instanceof Float32Array) {
    if (shape === undefined) throw new ShapeError(`${who}`, 'a Float32Array needs its [rows, cols] shape');
    const [rows, cols] = shape;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || rows * cols !== data.length) {
      throw new ShapeError(who, `shape [${rows}, ${cols}] does not match a buffer of length ${data.length}`);
    }
    return E.right({ rows, cols, get: (r, c) => data[r * cols + c] as number });
  }
  if (!Array.isArray(data)) throw new TypeError(`${who}: expected a Float32Array with a shape, or number[][]`);
  const rows = data.length;
  const cols = rows === 0 ? 0 : (data[0] as readonly number[]).length;
  for (let r = 0; r < rows; r++) {
    const row = data[r];
    if (!Array.isArray(row) || row.length !== cols) {
      const found = Array.isArray(row) ? `${row.length} values` : typeof row;
      return E.left(
        dataError('ragged-array', `${who}: row ${r} has ${found}, expected ${cols} values like row 0`, {
          row: r,
          expected: `${cols} values`,
          found,
        }),
      );
    }
  }
  return E.right({ rows, cols, get: (r, c) => (data[r] as readonly number[])[c] as number });
}

interface ColumnStats {
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** Validates finiteness and computes min/max/mean/population std per column (two-pass). */
function columnStats(v: View, who: string): E.Either<DataError, ColumnStats> {
  if (v.rows === 0 || v.cols === 0) {
    return E.left(
      dataError('empty-data', `${who}: cannot fit on empty data (shape [${v.rows}, ${v.cols}])`, {
        expected: 'at least one row and one column',
        found: `[${v.rows}, ${v.cols}]`,
      }),
    );
  }
  const min = new Float64Array(v.cols).fill(Infinity);
  const max = new Float64Array(v.cols).fill(-Infinity);
  const mean = new Float64Array(v.cols);
  for (let r = 0; r < v.rows; r++) {
    for (let c = 0; c < v.cols; c++) {
      const x = v.get(r, c);
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        return E.left(
          dataError('non-finite', `${who}: value at row ${r}, column ${c} is ${String(x)}, expected a finite number`, {
            row: r,
            col: c,
            expected: 'a finite number',
            found: String(x),
          }),
        );
      }
      if (x < (min[c] as number)) min[c] = x;
      if (x > (max[c] as number)) max[c] = x;
      mean[c] = (mean[c] as number) + x;
    }
  }
  for (let c = 0; c < v.cols; c++) mean[c] = (mean[c] as number) / v.rows;
  const std = new Float64Array(v.cols);
  for (let r = 0; r < v.rows; r++) {
    for (let c = 0; c < v.cols; c++) {
      const d = v.get(r, c) - (mean[c] as number);
      std[c] = (std[c] as number) + d * d;
    }
  }
  for (let c = 0; c < v.cols; c++) std[c] = Math.sqrt((std[c] as number) / v.rows);
  return E.right({ min, max, mean, std });
}

/** Applies `f(x, col)` elementwise, returning the same form as the input. */
function mapColumns(
  data: Float32Array | Rows,
  shape: readonly [number, number] | undefined,
  nFeatures: number,
  who: string,
  f: (x: number, c: number) => number,
): Float32Array | number[][] {
  const v = viewOf(data, shape, who);
  if (E.isLeft(v)) throw new ShapeError(who, v.left.message);
  if (v.right.rows > 0 && v.right.cols !== nFeatures) {
    throw new ShapeError(who, `expected ${nFeatures} columns (as fitted), got ${v.right.cols}`);
  }
  if (data instanceof Float32Array) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = f(data[i] as number, i % nFeatures);
    return out;
  }
  return (data as Rows).map((row) => row.map((x, c) => f(x, c)));
}

function notFitted(name: string, method: string): never {
  throw new Error(
    `${name}.${method} called on an unfitted scaler: call fit(data), which returns the fitted scaler (inside an Either), and use that`,
  );
}

// ---------------------------------------------------------------------------------------------

/** Options of MinMaxScaler. */
export interface MinMaxScalerOptions {
  /** Target interval [lo, hi] for every column; default [0, 1]. */
  readonly featureRange?: readonly [number, number];
}

/**
 * Scales every column linearly so its training min maps to `featureRange[0]` and its max to
 * `featureRange[1]`. A constant column cannot be scaled this way and makes `fit` return Left.
 */
export class MinMaxScaler {
  readonly featureRange: readonly [number, number];

  constructor(options: MinMaxScalerOptions = {}) {
    const range = options.featureRange ?? [0, 1];
    const [lo, hi] = range;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new RangeError(`MinMaxScaler: featureRange must be finite with lo < hi, got [${lo}, ${hi}]`);
    }
    this.featureRange = Object.freeze([lo, hi] as const);
    Object.freeze(this);
  }

  /** Learns per-column min and max. Left on empty/ragged data, a non-finite value, or a constant column. */
  fit(data: Float32Array, shape: readonly [rows: number, cols: number]): E.Either<DataError, FittedMinMaxScaler>;
  fit(rows: Rows): E.Either<DataError, FittedMinMaxScaler>;
  fit(data: Float32Array | Rows, shape?: readonly [number, number]): E.Either<DataError, FittedMinMaxScaler> {
    const who = 'MinMaxScaler.fit';
    const v = viewOf(data, shape, who);
    if (E.isLeft(v)) return v;
    const stats = columnStats(v.right, who);
    if (E.isLeft(stats)) return stats;
    const { min, max } = stats.right;
    for (let c = 0; c < min.length; c++) {
      if (min[c] === max[c]) {
        return E.left(
          dataError('constant-column', `${who}: column ${c} is constant (every value is ${min[c]}), so it has no range to scale`, {
            col: c,
            expected: 'a column with at least two distinct values',
            found: `constant ${min[c]}`,
          }),
        );
      }
    }
    return E.right(new FittedMinMaxScaler(FITTED, this.featureRange, Array.from(min), Array.from(max)));
  }

  /** Not available before fit: `fit` returns the scaler that can transform. Throws if called anyway. */
  transform(notYetFitted: never): never {
    return notFitted('MinMaxScaler', 'transform');
  }

  /** Not available before fit: `fit` returns the scaler that can inverse-transform. Throws if called anyway. */
  inverseTransform(notYetFitted: never): never {
    return notFitted('MinMaxScaler', 'inverseTransform');
  }
}

/** A fitted, immutable MinMaxScaler. Obtain it from `MinMaxScaler.prototype.fit`. */
export class FittedMinMaxScaler {
  readonly nFeatures: number;

  /** @internal Only `MinMaxScaler.fit` can construct this (checked at run time too). */
  constructor(
    token: typeof FITTED,
    readonly featureRange: readonly [number, number],
    readonly dataMin: readonly number[],
    readonly dataMax: readonly number[],
  ) {
    if (token !== FITTED) throw new Error('FittedMinMaxScaler cannot be constructed directly: use new MinMaxScaler().fit(data)');
    this.nFeatures = dataMin.length;
    Object.freeze(dataMin);
    Object.freeze(dataMax);
    Object.freeze(this);
  }

  /** Maps each column from [dataMin, dataMax] onto featureRange (values outside extrapolate). */
  transform(data: Float32Array, shape: readonly [rows: number, cols: number]): Float32Array;
  transform(rows: Rows): number[][];
  transform(data: Float32Array | Rows, shape?: readonly [number, number]): Float32Array | number[][] {
    const [lo, hi] = this.featureRange;
    const { dataMin, dataMax } = this;
    return mapColumns(data, shape, this.nFeatures, 'FittedMinMaxScaler.transform', (x, c) => {
      const dmin = dataMin[c] as number;
      return lo + ((x - dmin) / ((dataMax[c] as number) - dmin)) * (hi - lo);
    });
  }

  /** Undoes `transform`: maps featureRange back onto [dataMin, dataMax] per column. */
  inverseTransform(data: Float32Array, shape: readonly [rows: number, cols: number]): Float32Array;
  inverseTransform(rows: Rows): number[][];
  inverseTransform(data: Float32Array | Rows, shape?: readonly [number, number]): Float32Array | number[][] {
    const [lo, hi] = this.featureRange;
    const { dataMin, dataMax } = this;
    return mapColumns(data, shape, this.nFeatures, 'FittedMinMaxScaler.inverseTransform', (y, c) => {
      const dmin = dataMin[c] as number;
      return dmin + ((y - lo) / (hi - lo)) * ((dataMax[c] as number) - dmin);
    });
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Standardises every column to zero mean and unit (population, ddof = 0) standard deviation.
 *
 * Decision: a constant column does not fail; it gets scale 1 (as in scikit-learn), so it
 * transforms to all zeros and inverse-transforms back exactly. The same holds for a column
 * whose spread is at floating-point rounding level (std ≤ 8ε·max|x|). Constant columns are common
 * and harmless here (e.g. always-blank border pixels), unlike MinMaxScaler where a constant
 * column has no range to map.
 */
export class StandardScaler {
  constructor() {
    Object.freeze(this);
  }

  /** Learns per-column mean and standard deviation. Left on empty/ragged data or a non-finite value. */
  fit(data: Float32Array, shape: readonly [rows: number, cols: number]): E.Either<DataError, FittedStandardScaler>;
  fit(rows: Rows): E.Either<DataError, FittedStandardScaler>;
  fit(data: Float32Array | Rows, shape?: readonly [number, number]): E.Either<DataError, FittedStandardScaler> {
    const who = 'StandardScaler.fit';
    const v = viewOf(data, shape, who);
    if (E.isLeft(v)) return v;
    const stats = columnStats(v.right, who);
    if (E.isLeft(stats)) return stats;
    const { min, max, mean, std } = stats.right;
    // Constancy is decided on min === max (a float mean of equal values can be off by an ulp,
    // leaving a tiny std that would blow the column up), or on a spread at rounding level
    // (std ≤ 8ε·max|x|, including a std that underflowed to 0).
    const scale = Array.from(std, (s, c) => {
      const maxAbs = Math.max(Math.abs(min[c] as number), Math.abs(max[c] as number));
      return min[c] === max[c] || s <= 8 * Number.EPSILON * maxAbs ? 1 : s;
    });
    const center = Array.from(mean, (m, c) => (min[c] === max[c] ? (min[c] as number) : m));
    return E.right(new FittedStandardScaler(FITTED, center, scale));
  }

  /** Not available before fit: `fit` returns the scaler that can transform. Throws if called anyway. */
  transform(notYetFitted: never): never {
    return notFitted('StandardScaler', 'transform');
  }

  /** Not available before fit: `fit` returns the scaler that can inverse-transform. Throws if called anyway. */
  inverseTransform(notYetFitted: never): never {
    return notFitted('StandardScaler', 'inverseTransform');
  }
}

/** A fitted, immutable StandardScaler. Obtain it from `StandardScaler.prototype.fit`. */
export class FittedStandardScaler {
  readonly nFeatures: number;

  /** @internal Only `StandardScaler.fit` can construct this (checked at run time too). */
  constructor(
    token: typeof FITTED,
    readonly mean: readonly number[],
    /** Per-column divisor: the population std, or 1 for a constant column. */
    readonly scale: readonly number[],
  ) {
    if (token !== FITTED) throw new Error('FittedStandardScaler cannot be constructed directly: use new StandardScaler().fit(data)');
    this.nFeatures = mean.length;
    Object.freeze(mean);
    Object.freeze(scale);
    Object.freeze(this);
  }

  /** (x - mean) / scale per column. */
  transform(data: Float32Array, shape: readonly [rows: number, cols: number]): Float32Array;
  transform(rows: Rows): number[][];
  transform(data: Float32Array | Rows, shape?: readonly [number, number]): Float32Array | number[][] {
    const { mean, scale } = this;
    return mapColumns(data, shape, this.nFeatures, 'FittedStandardScaler.transform', (x, c) => (x - (mean[c] as number)) / (scale[c] as number));
  }

  /** z * scale + mean per column. */
  inverseTransform(data: Float32Array, shape: readonly [rows: number, cols: number]): Float32Array;
  inverseTransform(rows: Rows): number[][];
  inverseTransform(data: Float32Array | Rows, shape?: readonly [number, number]): Float32Array | number[][] {
    const { mean, scale } = this;
    return mapColumns(data, shape, this.nFeatures, 'FittedStandardScaler.inverseTransform', (z, c) => z * (scale[c] as number) + (mean[c] as number));
  }
}
