/**
 * safetensors: save and load parameter pytrees in the Hugging Face format.
 *
 * Layout of a file:
 *   [8 bytes: N, little-endian u64][N bytes: JSON header, UTF-8, may end in spaces][data]
 *   header = { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *              "__metadata__": { "<key>": "<string>" } }
 * Offsets are relative to the start of the data; the tensors tile the data exactly (no holes, no
 * overlaps, nothing after the last one), little-endian, row-major.
 *
 * Names are pytree key paths ("0.kernel", "encoder.layers.0.bias", from treeFlatten).
 * dtypes: float32 ↔ F32, int32 ↔ I32, bool ↔ BOOL (one byte, 0 or 1). On load:
 * - F64 becomes float32 by rounding to nearest (ties to even, like Math.fround): values beyond
 *   the float32 range become ±Infinity, tiny ones may become subnormal or ±0, NaN stays NaN.
 *   F16 and BF16 widen exactly to float32.
 * - I64 becomes int32 when every value fits in [-2^31, 2^31); otherwise the load fails.
 * - U8 is read as bool when every byte is 0 or 1; otherwise the load fails (so is BOOL).
 * Any other dtype (I8, U16, F8_*, ...) fails with a 'dtype' error.
 *
 * Readers never throw and never return a partial result: the header, every entry and the
 * whole layout are validated before any tensor is built; every problem is a Left(IoError).
 */
import { either as E } from 'fp-ts';
import type { DType, TypedArray } from '../tensor/dtype';
import { concreteData, makeTensor, type Tensor } from '../tensor/tensor';
import type { AnyTensor } from '../autodiff/core';
import { treeFlatten } from '../autodiff/pytree';

/** Why a file could not be read. `message` is a full human-readable sentence. */
export type IoError =
  /** the header is not valid: size over the cap, bad UTF-8 / JSON, a malformed entry, a bad layout */
  | { readonly kind: 'header'; readonly message: string }
  /** the file ends before the header or the data it describes */
  | { readonly kind: 'truncated'; readonly message: string }
  /** a tensor the template needs is not in the file (`name` is the first; the message lists all) */
  | { readonly kind: 'missing'; readonly name: string; readonly message: string }
  /** the file holds a tensor the template has no place for */
  | { readonly kind: 'unexpected'; readonly name: string; readonly message: string }
  | { readonly kind: 'shape'; readonly name: string; readonly expected: readonly number[]; readonly actual: readonly number[]; readonly message: string }
  | { readonly kind: 'dtype'; readonly name: string; readonly expected: string; readonly actual: string; readonly message: string }
  /** values that cannot be represented in the target dtype (I64 out of int32 range, U8 not 0/1) */
  | { readonly kind: 'data'; readonly name: string; readonly message: string };

/** Largest header accepted (as the reference implementation): a bigger one is a corrupt file. */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Bytes per element of every dtype the format defines. A Map, not an object: the dtype comes
 * from the file, and an object lookup would find inherited names ("toString", "__proto__").
 */
const DTYPE_SIZE: ReadonlyMap<string, number> = new Map([
  ['BOOL', 1], ['U8', 1], ['I8', 1], ['F8_E5M2', 1], ['F8_E4M3', 1],
  ['I16', 2], ['U16', 2], ['F16', 2], ['BF16', 2],
  ['I32', 4], ['U32', 4], ['F32', 4],
  ['I64', 8], ['U64', 8], ['F64', 8],
]);

const OUR_DTYPE: Record<DType, string> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/** Which file dtypes load into each of ours (see the module comment for the conversions). */
const ACCEPTS: Record<DType, readonly string[]> = {
  float32: ['F32', 'F64', 'F16', 'BF16'],
  int32: ['I32', 'I64'],
  bool: ['BOOL', 'U8'],
};

/** obj[key] = value as an own property, even for the key "__proto__" */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// =============================================================================================
// save

/**
 * Serialise every tensor leaf of a pytree (names = key paths). Static leaves (numbers,
 * strings, ...) are not stored. Throws on a name clash (two paths spelling the same name, or a
 * leaf named "__metadata__") and on non-string metadata values: both are programming errors.
 */
export function saveSafetensors(params: unknown, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const flat = treeFlatten(params);
  const seen = new Set<string>();
  for (const name of flat.paths) {
    if (name === '__metadata__') throw new RangeError("saveSafetensors: a leaf is named '__metadata__', which the format reserves");
    if (seen.has(name)) throw new RangeError(`saveSafetensors: two leaves are both named '${name}' (a key containing '.' clashes with a nested path)`);
    seen.add(name);
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`saveSafetensors: metadata values must be strings ('${k}' is ${typeof v})`);
    }
  }
  // Widest dtypes first (stable), as the reference writer does, so every tensor starts aligned.
  const order = flat.leaves.map((_, i) => i).sort((a, b) => elemBytes(flat.leaves[b]!.dtype) - elemBytes(flat.leaves[a]!.dtype) || a - b);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const i of order) {
    const t = flat.leaves[i]!;
    const n = t.size * elemBytes(t.dtype);
    setOwn(header, flat.paths[i]!, { dtype: OUR_DTYPE[t.dtype], shape: [...(t.shape as readonly number[])], data_offsets: [offset, offset + n] });
    offset += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // pad the header with spaces so the data starts 8-byte aligned
  const headerLen = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const i of order) {
    const t = flat.leaves[i]!;
    pos = writeData(out, view, pos, t.dtype, concreteData(t) as TypedArray);
  }
  return out;
}

function elemBytes(d: DType): number {
  return d === 'bool' ? 1 : 4;
}

function writeData(out: Uint8Array, view: DataView, pos: number, dtype: DType, data: TypedArray): number {
  if (dtype === 'bool') {
    for (let j = 0; j < data.length; j++) out[pos + j] = data[j] !== 0 ? 1 : 0;
    return pos + data.length;
  }
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    return pos + data.byteLength;
  }
  for (let j = 0; j < data.length; j++) {
    if (dtype === 'float32') view.setFloat32(pos + 4 * j, data[j]!, true);
    else view.setInt32(pos + 4 * j, data[j]!, true);
  }
  return pos + 4 * data.length;
}

// =============================================================================================
// parse (validation of the header and the layout; no tensor is built here)

interface Entry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** absolute byte range in the file */
  readonly begin: number;
  readonly end: number;
}

interface Parsed {
  readonly entries: readonly Entry[];
  readonly metadata: Record<string, string>;
}

const headerErr = (message: string): E.Either<IoError, never> => E.left({ kind: 'header', message: `safetensors: ${message}` });
const truncated = (message: string): E.Either<IoError, never> => E.left({ kind: 'truncated', message: `safetensors: ${message}` });

const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (s: string) => JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
/**
 * A header value for a message, without recursion: String() of an array joins its elements
 * recursively, so a dtype nested 10,000 arrays deep would overflow the stack.
 */
const describeJson = (v: unknown): string => (typeof v === 'string' ? quote(v) : Array.isArray(v) ? `(an array of ${v.length})` : isRecord(v) ? '(an object)' : quote(String(v)));

function parse(bytes: Uint8Array): E.Either<IoError, Parsed> {
  if (!(bytes instanceof Uint8Array)) return headerErr('expected a Uint8Array');
  if (bytes.length < 8) return truncated(`file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    const n = hi * 2 ** 32 + lo;
    return headerErr(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte cap (corrupt file?)`);
  }
  const n = lo;
  if (8 + n > bytes.length) return truncated(`header is ${n} bytes but only ${bytes.length - 8} bytes follow the length`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return headerErr('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) return headerErr("header does not start with '{'");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return headerErr(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) return headerErr('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(raw)) return headerErr('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw)) if (typeof v !== 'string') return headerErr(`__metadata__ value ${quote(k)} is not a string`);
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    if (!isRecord(raw)) return headerErr(`entry ${quote(name)} is not an object`);
    const { dtype, shape, data_offsets: offs } = raw;
    const elem = typeof dtype === 'string' ? DTYPE_SIZE.get(dtype) : undefined;
    if (typeof dtype !== 'string' || elem === undefined) return headerErr(`entry ${quote(name)} has an unknown dtype ${describeJson(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isNat)) return headerErr(`entry ${quote(name)} has an invalid shape (expected an array of non-negative integers)`);
    if (!Array.isArray(offs) || offs.length !== 2 || !isNat(offs[0]) || !isNat(offs[1]) || offs[0] > offs[1]) {
      return headerErr(`entry ${quote(name)} has invalid data_offsets (expected [begin, end] with 0 <= begin <= end)`);
    }
    const [begin, end] = offs as [number, number];
    // byte count, exact up to 2^64 (BigInt, so a corrupt shape cannot overflow into a false
    // match; capped, so a header of a million dims cannot make the product huge and slow)
    const width = end - begin;
    const dims = shape as number[];
    let need: bigint | null = dims.includes(0) ? 0n : BigInt(elem);
    for (const d of dims) {
      if (need === 0n) break;
      need = need! * BigInt(d);
      if (need > 2n ** 64n) {
        need = null;
        break;
      }
    }
    if (need !== BigInt(width)) {
      return headerErr(`entry ${quote(name)}: shape [${dims.length > 8 ? dims.slice(0, 8).join(', ') + ', ...' : dims.join(', ')}] of ${dtype} needs ${need === null ? 'over 2^64' : need} bytes but data_offsets span ${width}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  // the tensors must tile the data exactly
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = dataStart;
  for (const e of sorted) {
    if (e.begin !== at) {
      return headerErr(e.begin < at ? `entry ${quote(e.name)} overlaps the previous tensor's data` : `the data has a gap before entry ${quote(e.name)}`);
    }
    at = e.end;
  }
  if (at > bytes.length) return truncated(`the header describes ${at - dataStart} bytes of data but the file holds ${dataLen}`);
  if (at < bytes.length) return headerErr(`${bytes.length - at} bytes after the last tensor are not described by the header`);
  return E.right({ entries, metadata });
}

// =============================================================================================
// decode one tensor's bytes into our dtypes (after validation; never throws)

function decode(bytes: Uint8Array, e: Entry, to: DType): E.Either<IoError, TypedArray> {
  const n = (e.end - e.begin) / DTYPE_SIZE.get(e.dtype)!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + e.begin, e.end - e.begin);
  const dataErr = (message: string): E.Either<IoError, never> => E.left({ kind: 'data', name: e.name, message: `safetensors: tensor ${quote(e.name)}: ${message}` });
  if (to === 'float32') {
    const out = new Float32Array(n);
    if (e.dtype === 'F32') {
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(e.begin, e.end));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    } else if (e.dtype === 'F64') {
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true); // rounds to nearest float32
    } else if (e.dtype === 'BF16') {
      // bfloat16 is the top half of a float32
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
    } else {
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    }
    return E.right(out);
  }
  if (to === 'int32') {
    const out = new Int32Array(n);
    if (e.dtype === 'I32') {
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(e.begin, e.end));
      else for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return E.right(out);
    }
    for (let i = 0; i < n; i++) {
      const v = view.getBigInt64(8 * i, true);
      if (v < -2147483648n || v > 2147483647n) return dataErr(`I64 value ${v} at index ${i} does not fit in int32`);
      out[i] = Number(v);
    }
    return E.right(out);
  }
  const out = new Uint8Array(bytes.subarray(e.begin, e.end)); // a copy (Buffer#slice would share memory)
  for (let i = 0; i < n; i++) if (out[i]! > 1) return dataErr(`${e.dtype} value ${out[i]} at index ${i} is not a boolean (0 or 1)`);
  return E.right(out);
}

/** IEEE half → float32 (exact) */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const ex = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (ex === 0) return s * m * 2 ** -24;
  if (ex === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (ex - 15);
}

/** Our dtype for a file dtype when reading without a template; null when unsupported. */
function naturalDtype(fileDtype: string): DType | null {
  for (const d of ['float32', 'int32', 'bool'] as const) if (ACCEPTS[d].includes(fileDtype)) return d;
  return null;
}

// =============================================================================================
// public readers

/**
 * Read every tensor of a file without a template (for inspection): F32/F64/F16/BF16 become
 * float32, I32/I64 int32, BOOL/U8 bool. Other dtypes are a Left 'dtype' error.
 */
export function readSafetensors(bytes: Uint8Array): E.Either<IoError, { readonly tensors: Record<string, Tensor<number[], DType>>; readonly metadata: Record<string, string> }> {
  const parsed = parse(bytes);
  if (E.isLeft(parsed)) return parsed;
  const { entries, metadata } = parsed.right;
  for (const e of entries) {
    if (naturalDtype(e.dtype) === null) {
      return E.left({ kind: 'dtype', name: e.name, expected: 'one of F32, F64, F16, BF16, I32, I64, BOOL, U8', actual: e.dtype, message: `safetensors: tensor ${quote(e.name)} has dtype ${e.dtype}, which has no shapeflow dtype` });
    }
  }
  const tensors: Record<string, Tensor<number[], DType>> = {};
  for (const e of entries) {
    const d = naturalDtype(e.dtype)!;
    const data = decode(bytes, e, d);
    if (E.isLeft(data)) return data;
    setOwn(tensors, e.name, makeTensor(e.shape, d, data.right));
  }
  return E.right({ tensors, metadata });
}

/**
 * Load a file into the structure of `like` (e.g. `model.init(key)`): every tensor leaf of the
 * template must be in the file under its key path with the template's shape and a dtype that
 * loads into the template's dtype, and the file must hold nothing else. Static leaves come
 * from the template. Nothing is built unless everything checks out.
 */
export function loadSafetensors<P>(bytes: Uint8Array, like: P): E.Either<IoError, P> {
  const parsed = parse(bytes);
  if (E.isLeft(parsed)) return parsed;
  const byName = new Map(parsed.right.entries.map((e) => [e.name, e]));
  const flat = treeFlatten(like);
  const wanted = new Set(flat.paths);
  const missing = flat.paths.filter((p) => !byName.has(p));
  if (missing.length > 0) {
    const list = missing.slice(0, 10).map(quote).join(', ') + (missing.length > 10 ? `, ... (${missing.length} in all)` : '');
    return E.left({ kind: 'missing', name: missing[0]!, message: `safetensors: missing tensor${missing.length > 1 ? 's' : ''} ${list}` });
  }
  for (const e of parsed.right.entries) {
    if (!wanted.has(e.name)) return E.left({ kind: 'unexpected', name: e.name, message: `safetensors: unexpected tensor ${quote(e.name)} (not in the template)` });
  }
  for (let i = 0; i < flat.leaves.length; i++) {
    const t = flat.leaves[i]!;
    const e = byName.get(flat.paths[i]!)!;
    if (!ACCEPTS[t.dtype].includes(e.dtype)) {
      return E.left({ kind: 'dtype', name: e.name, expected: OUR_DTYPE[t.dtype], actual: e.dtype, message: `safetensors: tensor ${quote(e.name)} has dtype ${e.dtype} but the template wants ${t.dtype} (${ACCEPTS[t.dtype].join(', ')})` });
    }
    const want = t.shape as readonly number[];
    if (want.length !== e.shape.length || want.some((d, k) => d !== e.shape[k])) {
      return E.left({ kind: 'shape', name: e.name, expected: [...want], actual: [...e.shape], message: `safetensors: tensor ${quote(e.name)} has shape [${e.shape.join(', ')}] but the template wants [${want.join(', ')}]` });
    }
  }
  const leaves: AnyTensor[] = [];
  for (let i = 0; i < flat.leaves.length; i++) {
    const t = flat.leaves[i]!;
    const data = decode(bytes, byName.get(flat.paths[i]!)!, t.dtype);
    if (E.isLeft(data)) return data;
    leaves.push(makeTensor<AnyTensor['shape'], DType>(t.shape as readonly number[], t.dtype, data.right));
  }
  return E.right(flat.rebuild(leaves));
}
