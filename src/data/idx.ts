/**
 * The IDX binary format (MNIST's container): magic `00 00 <dtype> <ndims>`, then `ndims`
 * big-endian uint32 dims, then the elements big-endian in row-major order.
 *
 * This module has no Node imports, so browser bundles stay clean. Gzip input is recognised by
 * its magic; pass a `gunzip` function to inflate it (src/data/node exports `parseIdxNode`, which
 * wires in node:zlib).
 */
import { either as E } from 'fp-ts';
import { dataError, type DataError } from './types';

/** Element type names of the IDX format, with their type codes. */
export const IDX_DTYPES = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
} as const;

export type IdxDtype = keyof typeof IDX_DTYPES;
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array: `data` is row-major with `dims`. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: number[];
  readonly data: IdxData;
}

const SIZE: Record<IdxDtype, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
const BY_CODE = new Map<number, IdxDtype>(Object.entries(IDX_DTYPES).map(([k, v]) => [v, k as IdxDtype]));
// Refuse arrays bigger than this rather than attempting a giant allocation on a corrupt header.
const MAX_BYTES = 2 ** 31 - 1;

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Options of parseIdx. */
export interface ParseIdxOptions {
  /** Inflates gzip input; may throw (the error becomes a Left). Without it, gzip input is a Left. */
  readonly gunzip?: (bytes: Uint8Array) => Uint8Array;
}

function truncated(at: number, what: string, expected: string, found: string, where: string): DataError {
  return dataError('idx-truncated', `byte offset ${at}${where}: input ends inside the ${what}: expected ${expected}, found ${found}`, {
    byteOffset: at,
    expected,
    found,
  });
}

function notBytes(x: unknown, what: string): DataError {
  const found = x === null ? 'null' : typeof x === 'object' ? ((x as object).constructor?.name ?? 'an object') : typeof x;
  return dataError('idx-bad-magic', `byte offset 0: the ${what} is ${found}, expected the IDX bytes as a Uint8Array (wrap an ArrayBuffer: new Uint8Array(buffer))`, {
    byteOffset: 0,
    expected: 'a Uint8Array',
    found,
  });
}

/**
 * Decodes IDX bytes (gzip-compressed if `options.gunzip` is given). Left, with a byte offset,
 * on a bad magic, an unknown dtype, a truncated header or data, bytes after the data, or a
 * failed inflate. Never throws on any input.
 */
export function parseIdx(input: Uint8Array, options: ParseIdxOptions = {}): E.Either<DataError, IdxArray> {
  // from plain JavaScript: an ArrayBuffer, a number[] or another typed array used to throw a
  // TypeError (DataView) or be misread element by element
  if (!(input instanceof Uint8Array)) return E.left(notBytes(input, 'input'));
  let bytes = input;
  let where = '';
  if (isGzip(input)) {
    if (options.gunzip === undefined) {
      return E.left(
        dataError('gzip-unsupported', 'byte offset 0: input is gzip-compressed (magic 1f 8b); use parseIdxNode from src/data/node or pass options.gunzip', {
          byteOffset: 0,
          expected: 'raw IDX (magic 00 00)',
          found: 'gzip magic 1f 8b',
        }),
      );
    }
    try {
      bytes = options.gunzip(input);
    } catch (err) {
      return E.left(dataError('gzip-error', `gzip: cannot inflate: ${err instanceof Error ? err.message : String(err)}`, { expected: 'a complete gzip stream', found: 'corrupt or truncated gzip data' }));
    }
    if (!(bytes instanceof Uint8Array)) return E.left(notBytes(bytes, 'options.gunzip result'));
    where = ' (of the decompressed data)';
  }
  const len = bytes.length;
  for (let k = 0; k < Math.min(2, len); k++) {
    if (bytes[k] !== 0) {
      const found = (bytes[k] as number).toString(16).padStart(2, '0');
      return E.left(dataError('idx-bad-magic', `byte offset ${k}${where}: expected IDX magic 00 00 <dtype> <ndims>, found ${found}`, { byteOffset: k, expected: '00', found }));
    }
  }
  if (len >= 3 && !BY_CODE.has(bytes[2] as number)) {
    const found = `0x${(bytes[2] as number).toString(16).padStart(2, '0')}`;
    return E.left(
      dataError('idx-unknown-dtype', `byte offset 2${where}: unknown IDX dtype ${found}, expected one of 08 09 0b 0c 0d 0e`, {
        byteOffset: 2,
        expected: 'one of 0x08 0x09 0x0b 0x0c 0x0d 0x0e',
        found,
      }),
    );
  }
  if (len < 4) return E.left(truncated(len, 'magic number', '4 bytes', `${len}`, where));
  const dtype = BY_CODE.get(bytes[2] as number) as IdxDtype;
  const ndims = bytes[3] as number;
  const headerLen = 4 + 4 * ndims;
  if (len < headerLen) return E.left(truncated(len, `header of ${ndims} dims`, `${headerLen} header bytes`, `${len} bytes`, where));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  // The element count, exact: a zero dim makes it 0 whatever the others are (multiplying in
  // order could reach Infinity first, and Infinity * 0 = NaN would slip past every size check);
  // otherwise stop as soon as the product passes the cap.
  const size = SIZE[dtype];
  let count = dims.includes(0) ? 0 : 1;
  for (const dim of dims) {
    if (count === 0 || count * size > MAX_BYTES) break;
    count *= dim;
  }
  const dataBytes = count * size;
  if (dataBytes > MAX_BYTES) {
    return E.left(
      dataError('idx-too-large', `byte offset 4${where}: dims [${dims.join(', ')}] describe more than ${MAX_BYTES} bytes of data`, {
        byteOffset: 4,
        expected: `at most ${MAX_BYTES} data bytes`,
        found: `more than ${MAX_BYTES}`,
      }),
    );
  }
  const end = headerLen + dataBytes;
  if (len < end) {
    return E.left(truncated(len, `${dtype} data of dims [${dims.join(', ')}]`, `${end} bytes in total`, `${len} bytes`, where));
  }
  if (len > end) {
    return E.left(
      dataError('idx-trailing-bytes', `byte offset ${end}${where}: ${len - end} unexpected bytes after the data of dims [${dims.join(', ')}]`, {
        byteOffset: end,
        expected: `${end} bytes in total`,
        found: `${len} bytes`,
      }),
    );
  }
  return E.right({ dtype, dims, data: decode(view, headerLen, count, dtype, bytes) });
}

function decode(view: DataView, at: number, count: number, dtype: IdxDtype, bytes: Uint8Array): IdxData {
  switch (dtype) {
    // copies into fresh arrays: on a Node Buffer, slice() is a view sharing the input's memory
    // (and, for a small Buffer, a pool far bigger than the file, which `.buffer` would expose)
    case 'uint8':
      return new Uint8Array(bytes.subarray(at, at + count));
    case 'int8':
      return new Int8Array(new Uint8Array(bytes.subarray(at, at + count)).buffer);
    case 'int16':
      return Int16Array.from({ length: count }, (_, i) => view.getInt16(at + 2 * i, false));
    case 'int32':
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(at + 4 * i, false));
    case 'float32':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(at + 4 * i, false));
    case 'float64':
      return Float64Array.from({ length: count }, (_, i) => view.getFloat64(at + 8 * i, false));
  }
}

function dtypeOf(data: IdxData): IdxDtype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

/** Encodes an array as IDX bytes (dtype from the typed array's type). Throws RangeError if dims do not match. */
export function encodeIdx(dims: readonly number[], data: IdxData): Uint8Array {
  if (dims.length > 255) throw new RangeError(`encodeIdx: at most 255 dims, got ${dims.length}`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new RangeError(`encodeIdx: dim ${d} is not a uint32`);
    count *= d;
  }
  if (count !== data.length) throw new RangeError(`encodeIdx: dims [${dims.join(', ')}] hold ${count} elements, data has ${data.length}`);
  const dtype = dtypeOf(data);
  const headerLen = 4 + 4 * dims.length;
  const out = new Uint8Array(headerLen + count * SIZE[dtype]);
  const view = new DataView(out.buffer);
  out[2] = IDX_DTYPES[dtype];
  out[3] = dims.length;
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  for (let i = 0; i < count; i++) {
    const x = data[i] as number;
    const at = headerLen + i * SIZE[dtype];
    switch (dtype) {
      case 'uint8':
        view.setUint8(at, x);
        break;
      case 'int8':
        view.setInt8(at, x);
        break;
      case 'int16':
        view.setInt16(at, x, false);
        break;
      case 'int32':
        view.setInt32(at, x, false);
        break;
      case 'float32':
        view.setFloat32(at, x, false);
        break;
      case 'float64':
        view.setFloat64(at, x, false);
        break;
    }
  }
  return out;
}
