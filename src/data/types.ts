/**
 * Plain-array types shared by the data utilities, and the error value every parser returns.
 *
 * Everything here is tensor-free on purpose: a row-major typed array plus its explicit shape,
 * so a thin tensor wrapper can adopt the buffer without copying.
 */

/** A row-major 2-D array: element (r, c) is `data[r * shape[1] + c]`. */
export interface Array2D<A = Float32Array> {
  readonly data: A;
  readonly shape: readonly [rows: number, cols: number];
}

/** What went wrong, as a stable machine-readable tag (the message carries the details). */
export type DataErrorCode =
  | 'csv-empty'
  | 'csv-ragged-row'
  | 'csv-unterminated-quote'
  | 'csv-stray-quote'
  | 'csv-missing-column'
  | 'empty-field'
  | 'not-a-number'
  | 'tsv-missing-tab'
  | 'tsv-extra-tab'
  | 'idx-bad-magic'
  | 'idx-unknown-dtype'
  | 'idx-truncated'
  | 'idx-trailing-bytes'
  | 'idx-too-large'
  | 'gzip-unsupported'
  | 'gzip-error'
  | 'io-error'
  | 'empty-data'
  | 'ragged-array'
  | 'non-finite'
  | 'constant-column'
  | 'series-too-short'
  | 'image-not-square'
  | 'image-label-mismatch'
  | 'image-decode'
  | 'image-size-mismatch'
  | 'image-folder';

/**
 * A precise, printable description of bad input. Location fields are set when they apply:
 * `line`/`column` are 1-based positions in text, `byteOffset` is a 0-based offset in bytes,
 * `index` a 0-based element index in a series, `row`/`col` 0-based indices into a matrix.
 * `message` always repeats the location, so printing it alone is enough.
 */
export interface DataError {
  readonly code: DataErrorCode;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  readonly byteOffset?: number;
  readonly index?: number;
  readonly row?: number;
  readonly col?: number;
  readonly expected?: string;
  readonly found?: string;
}

/** Builds a DataError; `message` should already name the location. */
export function dataError(code: DataErrorCode, message: string, details: Omit<DataError, 'code' | 'message'> = {}): DataError {
  return { code, message, ...details };
}

/** Shortens a found value for an error message so a huge cell cannot flood the log. */
export function preview(s: string, max = 40): string {
  const json = JSON.stringify(s);
  return json.length <= max ? json : `${json.slice(0, max - 4)}..."`;
}
