/**
 * Node-only helpers: file reading and gzip inflation as Eithers. Kept out of src/data/index so
 * that importing the data utilities in a browser never pulls in node:fs or node:zlib.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { either as E } from 'fp-ts';
import { parseIdx, type IdxArray } from './idx';
import { dataError, type DataError } from './types';

function ioError(path: string, err: unknown): DataError {
  const msg = err instanceof Error ? err.message : String(err);
  return dataError('io-error', `${path}: cannot read: ${msg}`, { expected: 'a readable file', found: msg });
}

/** Reads a whole file as bytes; Left (io-error) if it cannot be read. */
export function readFileEither(path: string): E.Either<DataError, Uint8Array> {
  try {
    const buf = readFileSync(path);
    return E.right(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (err) {
    return E.left(ioError(path, err));
  }
}

/** Reads a whole file as UTF-8 text; Left (io-error) if it cannot be read. */
export function readTextFileEither(path: string): E.Either<DataError, string> {
  try {
    return E.right(readFileSync(path, 'utf8'));
  } catch (err) {
    return E.left(ioError(path, err));
  }
}

/** Inflates gzip bytes; Left (gzip-error) on corrupt or truncated input. */
export function gunzipEither(bytes: Uint8Array): E.Either<DataError, Uint8Array> {
  try {
    const out = gunzipSync(bytes);
    return E.right(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  } catch (err) {
    return E.left(dataError('gzip-error', `gzip: cannot inflate: ${err instanceof Error ? err.message : String(err)}`, { expected: 'a complete gzip stream', found: 'corrupt or truncated gzip data' }));
  }
}

/** parseIdx with gzip support through node:zlib: plain or gzip-compressed IDX bytes. */
export function parseIdxNode(bytes: Uint8Array): E.Either<DataError, IdxArray> {
  return parseIdx(bytes, { gunzip: (b) => gunzipSync(b) });
}

/** Reads and decodes an IDX file (`.gz` or not, detected by content). */
export function readIdxFile(path: string): E.Either<DataError, IdxArray> {
  return E.chain(parseIdxNode)(readFileEither(path));
}
