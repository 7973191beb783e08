/**
 * Labelled grey-image sets from the two common file layouts: an IDX image array [n, h, w]
 * (or [n, h·w] when square) with an IDX label vector [n], and a CSV of rows
 * `label,pixel1,pixel2,…` (a header row is recognised and skipped) whose image side is the
 * square root of the pixel count. Labels may be any strings or integers; they become class
 * indices 0..C−1 in sorted order (numerically when every label is a number), and the names are
 * kept for the report. Pixels are divided by a fixed maximum (255 for uint8 IDX, else the
 * largest pixel in the file) so they land in [0, 1] — one scale for the whole file, so no
 * label or split information leaks into it. Every function returns Either; none throws.
 *
 * No Node imports here (src/data/image-files reads files).
 */
import { either as E } from 'fp-ts';
import type { IdxArray } from './idx';
import { parseCsv } from './csv';
import { dataError, preview, type DataError } from './types';

/** n grey images of side × side pixels, row-major, scaled to [0, 1], with class indices. */
export interface LabelledImages {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
  readonly side: number;
  /** classNames[c]: the file's label for class index c */
  readonly classNames: readonly string[];
  /** what the pixels were divided by */
  readonly pixelScale: number;
}

/** Class indices for raw labels: distinct labels sorted (numerically if all are numbers). */
export function indexLabels(raw: readonly string[]): { y: Int32Array; classNames: string[] } {
  const distinct = [...new Set(raw)];
  const numeric = distinct.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const index = new Map(distinct.map((s, i) => [s, i]));
  return { y: Int32Array.from(raw, (s) => index.get(s)!), classNames: distinct };
}

/** The integer square root of n, or undefined when n is not a perfect square. */
export function squareSide(n: number): number | undefined {
  const s = Math.round(Math.sqrt(n));
  return s > 0 && s * s === n ? s : undefined;
}

function notSquare(what: string, pixels: number, extra: Omit<DataError, 'code' | 'message'> = {}): DataError {
  const s = Math.floor(Math.sqrt(pixels));
  return dataError('image-not-square', `${what}: ${pixels} pixels per image is not a square image (${s}x${s} = ${s * s}, ${s + 1}x${s + 1} = ${(s + 1) ** 2})`, {
    expected: 'a square number of pixels per image',
    found: String(pixels),
    ...extra,
  });
}

/**
 * Images from decoded IDX arrays: images [n, h, w] with h = w, or [n, p] with p a square;
 * labels [n] of an integer dtype. Left when the images are not square, the counts differ, or a
 * value is not finite.
 */
export function imagesFromIdx(images: IdxArray, labels: IdxArray): E.Either<DataError, LabelledImages> {
  const d = images.dims;
  if (d.length !== 3 && d.length !== 2) {
    return E.left(dataError('ragged-array', `IDX images: expected dims [n, h, w] or [n, pixels], found [${d.join(', ')}]`, { expected: '2 or 3 dims', found: `${d.length} dims` }));
  }
  const n = d[0]!;
  const pixels = d.length === 3 ? d[1]! * d[2]! : d[1]!;
  if (d.length === 3 && d[1] !== d[2]) {
    return E.left(dataError('image-not-square', `IDX images: images are ${d[1]}x${d[2]}; only square images are supported`, { expected: 'h = w', found: `${d[1]}x${d[2]}` }));
  }
  const side = squareSide(pixels);
  if (side === undefined) return E.left(notSquare('IDX images', pixels));
  if (n === 0) return E.left(dataError('empty-data', 'IDX images: the file holds no images', { expected: 'at least one image', found: '0' }));
  if (labels.dims.length !== 1 || labels.dims[0] !== n) {
    return E.left(dataError('image-label-mismatch', `IDX labels: expected a vector of ${n} labels (one per image), found dims [${labels.dims.join(', ')}]`, { expected: `[${n}]`, found: `[${labels.dims.join(', ')}]` }));
  }
  if (labels.dtype === 'float32' || labels.dtype === 'float64') {
    const bad = Array.from(labels.data).findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) return E.left(dataError('not-a-number', `IDX labels: label ${bad} is ${labels.data[bad]}, expected an integer class`, { index: bad, expected: 'an integer', found: String(labels.data[bad]) }));
  }
  let max = 0;
  for (let i = 0; i < images.data.length; i++) {
    const v = images.data[i]!;
    if (!Number.isFinite(v)) return E.left(dataError('non-finite', `IDX images: element ${i} is ${v}`, { index: i, expected: 'a finite pixel value', found: String(v) }));
    if (Math.abs(v) > max) max = Math.abs(v);
  }
  const pixelScale = images.dtype === 'uint8' ? 255 : max > 0 ? max : 1;
  const { y, classNames } = indexLabels(Array.from(labels.data, String));
  return E.right({ x: Float32Array.from(images.data, (v) => v / pixelScale), y, n, side, classNames, pixelScale });
}

const isNumber = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * Images from CSV text `label,pixel1,…,pixelP` (P a square). A first row whose pixel fields
 * are not all numbers is a header and skipped. Left on a CSV error, a non-square P (the row
 * length names it), a non-numeric pixel (record and field), or no data rows.
 */
export function parseLabelPixelCsv(text: string): E.Either<DataError, LabelledImages> {
  const parsed = parseCsv(text);
  if (E.isLeft(parsed)) return parsed;
  let rows = parsed.right.rows;
  const first = rows[0];
  const hasHeader = first !== undefined && !first.slice(1).every(isNumber);
  if (hasHeader) rows = rows.slice(1);
  if (rows.length === 0) return E.left(dataError('empty-data', 'label,pixel CSV: no data rows', { expected: 'at least one image row', found: 'none' }));
  const pixels = rows[0]!.length - 1;
  const side = squareSide(pixels);
  if (side === undefined) return E.left(notSquare(`label,pixel CSV (rows of ${pixels + 1} fields: a label and ${pixels} pixels)`, pixels));
  const x = new Float32Array(rows.length * pixels);
  let max = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 1; c <= pixels; c++) {
      const cell = row[c]!;
      const v = Number(cell);
      if (!isNumber(cell)) {
        const record = r + 1 + (hasHeader ? 1 : 0);
        return E.left(dataError('not-a-number', `label,pixel CSV record ${record} field ${c + 1}: expected a pixel number, found ${preview(cell)}`, { row: r, col: c, expected: 'a number', found: cell }));
      }
      x[r * pixels + c - 1] = v;
      if (Math.abs(v) > max) max = Math.abs(v);
    }
  }
  const pixelScale = max > 0 ? max : 1;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! / pixelScale;
  const { y, classNames } = indexLabels(rows.map((row) => row[0]!.trim()));
  return E.right({ x, y, n: rows.length, side, classNames, pixelScale });
}
