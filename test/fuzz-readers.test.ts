/**
 * Deterministic fuzzing of every reader at the untyped boundary (issue 19, last part):
 * safetensors (readSafetensors, loadSafetensors), CSV (parseCsv, parseNumericColumn,
 * parseLabelTextCsv, parseTsvPairs, parseDecimal), IDX (parseIdx) and fromData.
 *
 * Every property has a fixed seed and run count, so a failure reproduces exactly. Inputs are
 * valid files built with the library's own writers and then mutated (truncation, bit flips,
 * header-length and header-JSON mutations, trailing bytes), random strings from a CSV token
 * grammar (with "pumped" long runs, the classic shape of inputs that expose super-linear
 * scanning), and random nested / typed arrays for fromData.
 *
 * The properties: a reader never throws (a documented RangeError for bad *options* is the
 * only exception, and is checked as such); every Right is structurally right (data length =
 * product of the shape, the dtype declared, values that round-trip for unmutated inputs, CSV
 * that re-parses the same after re-serialising); each call stays inside a time budget and each
 * whole property under 5 s. The afterAll hook prints a Left / Right / thrown table per reader
 * and asserts that nothing threw.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadSafetensors, readSafetensors, saveSafetensors, MAX_HEADER_BYTES } from '../src/io/safetensors';
import { parseCsv, parseDecimal, parseLabelTextCsv, parseNumericColumn, parseTsvPairs } from '../src/data/csv';
import { encodeIdx, parseIdx, IDX_DTYPES, type IdxData, type IdxDtype } from '../src/data/idx';
import { fromData } from '../src/tensor/create';
import { makeTensor, Tensor } from '../src/tensor/tensor';
import type { DType } from '../src/tensor/dtype';
import { treeFlatten } from '../src/autodiff/pytree';
import { ShapeError } from '../src/shape/dims';

// =============================================================================================
// bookkeeping: every reader call goes through `probe`, which counts Left / Right / thrown,
// times the call, and fails the property on a throw or an overrun

const READERS = ['readSafetensors', 'loadSafetensors', 'parseCsv', 'parseNumericColumn', 'parseLabelTextCsv', 'parseTsvPairs', 'parseDecimal', 'parseIdx', 'fromData'] as const;
type Reader = (typeof READERS)[number];
interface Tally {
  calls: number;
  left: number;
  right: number;
  thrown: number;
  /** RangeErrors for invalid options, which the CSV readers document (not counted as thrown) */
  contract: number;
  slowestMs: number;
}
const tally = new Map<Reader, Tally>(READERS.map((r) => [r, { calls: 0, left: 0, right: 0, thrown: 0, contract: 0, slowestMs: 0 }]));
const thrownSamples: string[] = [];

/** Per-call budget: generous (a loaded 2-core machine), far below what a super-linear scan of the pumped inputs takes. */
const CALL_BUDGET_MS = 1000;
const PUMPED_BUDGET_MS = 500;
const PROPERTY_BUDGET_MS = 5000;

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function probe<T>(reader: Reader, f: () => T, isLeft: (r: T) => boolean, budgetMs = CALL_BUDGET_MS): T {
  const t = tally.get(reader)!;
  t.calls++;
  const t0 = performance.now();
  let r: T;
  try {
    r = f();
  } catch (e) {
    t.thrown++;
    if (thrownSamples.length < 20) thrownSamples.push(`${reader}: ${describeError(e).slice(0, 200)}`);
    throw new Error(`${reader} threw instead of returning a Left: ${describeError(e).slice(0, 300)}`);
  }
  let ms = performance.now() - t0;
  if (isLeft(r)) t.left++;
  else t.right++;
  // an overrun is re-timed twice and the fastest run counts: a GC pause or a busy core is
  // transient, a super-linear reader is slow every time
  for (let retry = 0; retry < 2 && ms > budgetMs; retry++) {
    const t1 = performance.now();
    f();
    ms = Math.min(ms, performance.now() - t1);
  }
  t.slowestMs = Math.max(t.slowestMs, ms);
  if (ms > budgetMs) throw new Error(`${reader} took ${ms.toFixed(0)} ms (budget ${budgetMs} ms, best of 3)`);
  return r;
}

const isLeftE = (r: E.Either<unknown, unknown>): boolean => E.isLeft(r);

/** A call whose documented contract is a RangeError (bad CSV options): counted apart. */
function probeContract(reader: Reader, f: () => unknown): 'threw' | 'returned' {
  const t = tally.get(reader)!;
  t.calls++;
  try {
    const r = f() as E.Either<unknown, unknown>;
    if (E.isLeft(r)) t.left++;
    else t.right++;
    return 'returned';
  } catch (e) {
    if (e instanceof RangeError) {
      t.contract++;
      return 'threw';
    }
    t.thrown++;
    if (thrownSamples.length < 20) thrownSamples.push(`${reader}: ${describeError(e).slice(0, 200)}`);
    throw new Error(`${reader} threw a ${describeError(e)} (only a RangeError for bad options is documented)`);
  }
}

function check<Ts extends [unknown, ...unknown[]]>(prop: fc.IProperty<Ts>, seed: number, numRuns: number): void {
  const t0 = performance.now();
  fc.assert(prop, { seed, numRuns });
  const ms = performance.now() - t0;
  expect(ms, `property took ${ms.toFixed(0)} ms`).toBeLessThan(PROPERTY_BUDGET_MS);
}

function ok(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

afterAll(() => {
  const rows = READERS.map((r) => {
    const t = tally.get(r)!;
    return `${r.padEnd(18)} ${String(t.calls).padStart(7)} ${String(t.left).padStart(7)} ${String(t.right).padStart(7)} ${String(t.thrown).padStart(7)} ${String(t.contract).padStart(9)} ${t.slowestMs.toFixed(1).padStart(9)}`;
  });
  // eslint-disable-next-line no-console
  console.log(
    ['fuzz-readers: calls per reader', `${'reader'.padEnd(18)} ${'calls'.padStart(7)} ${'Left'.padStart(7)} ${'Right'.padStart(7)} ${'thrown'.padStart(7)} ${'contract'.padStart(9)} ${'slowest'.padStart(9)}`, ...rows, ...(thrownSamples.length ? ['thrown:', ...thrownSamples] : [])].join('\n'),
  );
  for (const r of READERS) {
    const t = tally.get(r)!;
    expect(t.thrown, `${r} threw ${t.thrown} times`).toBe(0);
    // the table is only evidence if every reader was exercised both ways
    expect(t.left, `${r}: no Left was produced`).toBeGreaterThan(0);
    expect(t.right, `${r}: no Right was produced`).toBeGreaterThan(0);
  }
});

// =============================================================================================
// shared checks

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function bytesOf(d: ArrayBufferView): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A tensor that is what it says it is: integer shape, size = product, data of that length and class. */
function wellFormedTensor(t: unknown, where: string): asserts t is Tensor<number[], DType> {
  ok(t instanceof Tensor, `${where}: not a Tensor`);
  const shape = t.shape as readonly number[];
  ok(Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0), `${where}: shape [${String(shape)}] is not non-negative integers`);
  ok(t.size === product(shape), `${where}: size ${t.size} but shape [${shape.join(', ')}]`);
  const data = t.dataSync();
  ok(data.length === t.size, `${where}: ${data.length} values for shape [${shape.join(', ')}]`);
  const cls = t.dtype === 'float32' ? Float32Array : t.dtype === 'int32' ? Int32Array : Uint8Array;
  ok(['float32', 'int32', 'bool'].includes(t.dtype) && data instanceof cls, `${where}: dtype ${t.dtype} with a ${data.constructor.name}`);
  if (t.dtype === 'bool') ok(data.every((v) => v === 0 || v === 1), `${where}: a bool value that is not 0/1`);
}

function sameTensor(a: Tensor<number[], DType>, b: Tensor<number[], DType>): boolean {
  const sa = a.shape as readonly number[];
  const sb = b.shape as readonly number[];
  return a.dtype === b.dtype && sa.length === sb.length && sa.every((d, i) => d === sb[i]) && sameBytes(bytesOf(a.dataSync()), bytesOf(b.dataSync()));
}

// =============================================================================================
// safetensors

type Leaf = Tensor<number[], DType>;
const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

const leafArb: fc.Arbitrary<Leaf> = fc
  .tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([d, s]) => {
    const n = product(s);
    const values: fc.Arbitrary<Float32Array | Int32Array | Uint8Array> =
      d === 'float32' ? fc.float32Array({ minLength: n, maxLength: n }) : d === 'int32' ? fc.int32Array({ minLength: n, maxLength: n }) : fc.uint8Array({ min: 0, max: 1, minLength: n, maxLength: n });
    return values.map((v) => makeTensor(s, d, v as never) as Leaf);
  });

const nameArb = fc.oneof(fc.constantFrom('w', 'b', 'kernel', 'bias', 'toString', 'constructor', 'hasOwnProperty', '__proto__', 'é', 'a b', '10', '0'), fc.stringMatching(/^[a-z_]{1,6}$/));

/** A flat record of named tensors (names without '.', so no two paths clash). */
const dictArb: fc.Arbitrary<Record<string, Leaf>> = fc.uniqueArray(nameArb, { maxLength: 4 }).chain((names) =>
  fc.tuple(...names.map(() => leafArb)).map((leaves) => {
    const out: Record<string, Leaf> = {};
    names.forEach((n, i) => Object.defineProperty(out, n, { value: leaves[i], enumerable: true, writable: true, configurable: true }));
    return out;
  }),
);

/** A pytree of parameters: a record, a list of records, or { layers: [...], scale: 2 }. */
const paramsArb: fc.Arbitrary<unknown> = fc.oneof(
  dictArb,
  fc.array(dictArb, { maxLength: 3 }),
  fc.record({ layers: fc.array(dictArb, { maxLength: 2 }), head: leafArb, scale: fc.constant(2) }),
);

const metadataArb = fc.option(fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }), { nil: undefined });

interface ValidFile {
  readonly params: unknown;
  readonly metadata: Record<string, string> | undefined;
  readonly bytes: Uint8Array;
}

const validFileArb: fc.Arbitrary<ValidFile> = fc.tuple(paramsArb, metadataArb).map(([params, metadata]) => ({ params, metadata, bytes: saveSafetensors(params, metadata) }));

function splitFile(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return { header, data: bytes.subarray(8 + n) };
}

function buildFile(headerText: string, data: Uint8Array, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, declaredLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/**
 * Checks a readSafetensors Right against the file itself: the header must parse (by our own
 * reading), every entry is a well-formed tensor with the header's name, shape and dtype, its
 * values are an independent decoding of its bytes, and the metadata is the header's.
 */
function checkReadRight(r: ReturnType<typeof readSafetensors>, bytes: Uint8Array): void {
  if (E.isLeft(r)) return;
  const { tensors, metadata } = r.right;
  for (const [name, t] of Object.entries(tensors)) wellFormedTensor(t, `tensor ${JSON.stringify(name)}`);
  ok(Object.values(metadata).every((v) => typeof v === 'string'), 'a metadata value that is not a string');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  ok(JSON.stringify(metadata) === JSON.stringify(header['__metadata__'] ?? {}), 'metadata differs from the header');
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as { dtype: RawEntry['dtype']; shape: number[]; data_offsets: [number, number] };
    const want = expectedValues({ name, dtype: e.dtype, shape: e.shape, bytes: bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]) });
    ok(want !== null, `${name}: a Right for values the reader must reject`);
    const got = Array.from(tensors[name]!.dataSync());
    ok(got.length === want.length && got.every((x, i) => Object.is(x, want[i])), `${name}: values differ from an independent decoding of its bytes`);
  }
  const names = Object.keys(header).filter((k) => k !== '__metadata__').sort();
  ok(JSON.stringify(Object.keys(tensors).sort()) === JSON.stringify(names), `tensors [${Object.keys(tensors).join(', ')}] but header entries [${names.join(', ')}]`);
  for (const name of names) {
    const e = header[name] as { dtype: string; shape: number[] };
    const t = tensors[name]!;
    ok(JSON.stringify(t.shape) === JSON.stringify(e.shape), `${name}: shape [${t.shape.join(', ')}] but the header says ${JSON.stringify(e.shape)}`);
    const want = ['F32', 'F64', 'F16', 'BF16'].includes(e.dtype) ? 'float32' : ['I32', 'I64'].includes(e.dtype) ? 'int32' : 'bool';
    ok(t.dtype === want, `${name}: dtype ${t.dtype} for a ${e.dtype} entry`);
  }
}

/** Checks a loadSafetensors Right: the template's structure, shapes and dtypes, well-formed leaves. */
function checkLoadRight(r: E.Either<unknown, unknown>, like: unknown): void {
  if (E.isLeft(r)) return;
  const got = treeFlatten(r.right);
  const want = treeFlatten(like);
  ok(JSON.stringify(got.paths) === JSON.stringify(want.paths), `loaded paths [${got.paths.join(', ')}] but the template has [${want.paths.join(', ')}]`);
  got.leaves.forEach((t, i) => {
    wellFormedTensor(t, `leaf ${got.paths[i]}`);
    const w = want.leaves[i]!;
    ok(t.dtype === w.dtype && JSON.stringify(t.shape) === JSON.stringify(w.shape), `leaf ${got.paths[i]}: ${t.dtype}[${t.shape.join(', ')}] but the template has ${w.dtype}[${w.shape.join(', ')}]`);
  });
}

function readST(bytes: Uint8Array, budgetMs = CALL_BUDGET_MS): ReturnType<typeof readSafetensors> {
  return probe('readSafetensors', () => readSafetensors(bytes), isLeftE, budgetMs);
}
function loadST<P>(bytes: Uint8Array, like: P, budgetMs = CALL_BUDGET_MS): E.Either<unknown, P> {
  return probe('loadSafetensors', () => loadSafetensors(bytes, like), isLeftE, budgetMs);
}

/** Raw JSON texts for header values: wrong types, edge numbers, deep nesting, random JSON. */
const jsonFragmentArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'null', 'true', 'false', '0', '-0', '-1', '1.5', '1e400', '-1e400', '9007199254740992', '9007199254740993', '1e21', '4294967296', '18446744073709551616',
    '""', '"F32"', '"I64"', '"U8"', '"F8_E4M3"', '"f32"', '"float32"', '"toString"', '"__proto__"', '"constructor"',
    '[]', '{}', '[1]', '[-1]', '[0,0]', '[1,0]', '[0.5,4]', '["0","4"]', '[null]', '[[2]]', '[0,4,8]', '[1e400]', '[-0]', '[4294967296,4294967296]',
    '{"dtype":"F32"}', '{"__proto__":{"dtype":"F32"}}', '{"toString":1}',
  ),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 1, max: 20_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
  fc.integer({ min: 1, max: 20_000 }).map((d) => '['.repeat(d) + '"F32"' + ']'.repeat(d)),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 2 ** 40 }), fc.double(), fc.constantFrom(2 ** 53, 2 ** 64, 2 ** 31)), { maxLength: 6 }).map((a) => JSON.stringify(a)),
);

const HOLE = '\u0000hole\u0000';
const HOLE_JSON = JSON.stringify(HOLE);

type EntryKey = 'dtype' | 'shape' | 'data_offsets';
type HeaderMutation =
  | { readonly kind: 'field'; readonly pick: number; readonly key: EntryKey; readonly value: string }
  | { readonly kind: 'delete'; readonly pick: number; readonly key: EntryKey }
  | { readonly kind: 'entry'; readonly pick: number; readonly value: string }
  | { readonly kind: 'extraKey'; readonly pick: number; readonly value: string }
  | { readonly kind: 'addEntry'; readonly name: string; readonly value: string }
  | { readonly kind: 'metadata'; readonly value: string }
  | { readonly kind: 'root'; readonly value: string }
  | { readonly kind: 'dims'; readonly pick: number; readonly how: 'inc' | 'dec' | 'double' | 'append1' | 'prepend0' | 'huge' | 'fraction' | 'negative' | 'drop' }
  | { readonly kind: 'offsets'; readonly pick: number; readonly how: 'shift' | 'swap' | 'endPlus' | 'beginMinus' | 'negative' | 'huge' | 'copyOther' | 'fraction' | 'past' }
  | { readonly kind: 'dtypeName'; readonly pick: number; readonly value: string }
  | { readonly kind: 'leadingSpace' };

const FILE_DTYPES = ['F32', 'F64', 'F16', 'BF16', 'I32', 'I64', 'BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'f32', 'F32 ', '', 'toString', '__proto__', 'valueOf'];

const headerMutationArb: fc.Arbitrary<HeaderMutation> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), pick: fc.nat(), key: fc.constantFrom<EntryKey>('dtype', 'shape', 'data_offsets'), value: jsonFragmentArb }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(), key: fc.constantFrom<EntryKey>('dtype', 'shape', 'data_offsets') }),
  fc.record({ kind: fc.constant('entry' as const), pick: fc.nat(), value: jsonFragmentArb }),
  fc.record({ kind: fc.constant('extraKey' as const), pick: fc.nat(), value: jsonFragmentArb }),
  fc.record({ kind: fc.constant('addEntry' as const), name: nameArb, value: jsonFragmentArb }),
  fc.record({ kind: fc.constant('metadata' as const), value: jsonFragmentArb }),
  fc.record({ kind: fc.constant('root' as const), value: jsonFragmentArb }),
  fc.record({ kind: fc.constant('dims' as const), pick: fc.nat(), how: fc.constantFrom('inc', 'dec', 'double', 'append1', 'prepend0', 'huge', 'fraction', 'negative', 'drop') }),
  fc.record({ kind: fc.constant('offsets' as const), pick: fc.nat(), how: fc.constantFrom('shift', 'swap', 'endPlus', 'beginMinus', 'negative', 'huge', 'copyOther', 'fraction', 'past') }),
  fc.record({ kind: fc.constant('dtypeName' as const), pick: fc.nat(), value: fc.constantFrom(...FILE_DTYPES) }),
  fc.constant({ kind: 'leadingSpace' as const }),
);

/** Applies a mutation; returns the header text, and whether the result is certainly invalid. */
const READABLE_SIZE: Readonly<Record<string, number>> = { F32: 4, F64: 8, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, BOOL: 1 };

/**
 * Applies a mutation; returns the header text, whether readSafetensors must fail, and whether
 * it must still succeed (a shape of the same byte count, a dtype of the same width).
 */
function mutateHeader(header: Record<string, unknown>, m: HeaderMutation): { text: string; mustFail: boolean; mustRead?: boolean } {
  const h = structuredClone(header);
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const pickName = (pick: number): string | undefined => (names.length === 0 ? undefined : names[pick % names.length]);
  const entry = (pick: number): Record<string, unknown> | undefined => {
    const n = pickName(pick);
    return n === undefined ? undefined : (h[n] as Record<string, unknown>);
  };
  const withHole = (value: string): string => JSON.stringify(h).replace(HOLE_JSON, value);
  switch (m.kind) {
    case 'field': {
      const e = entry(m.pick);
      if (e === undefined) return { text: JSON.stringify(h), mustFail: false };
      e[m.key] = HOLE;
      // a dtype that is not a string, a shape or offsets that are not arrays cannot be valid
      const notValid = (m.key === 'dtype' && !m.value.startsWith('"')) || (m.key !== 'dtype' && !m.value.startsWith('['));
      return { text: withHole(m.value), mustFail: notValid };
    }
    case 'delete': {
      const e = entry(m.pick);
      if (e === undefined) return { text: JSON.stringify(h), mustFail: false };
      delete e[m.key];
      return { text: JSON.stringify(h), mustFail: true };
    }
    case 'entry': {
      const n = pickName(m.pick);
      if (n === undefined) return { text: JSON.stringify(h), mustFail: false };
      Object.defineProperty(h, n, { value: HOLE, enumerable: true, writable: true, configurable: true });
      return { text: withHole(m.value), mustFail: !m.value.startsWith('{') };
    }
    case 'extraKey': {
      const e = entry(m.pick);
      if (e === undefined) return { text: JSON.stringify(h), mustFail: false };
      e['extra'] = HOLE;
      return { text: withHole(m.value), mustFail: false };
    }
    case 'addEntry': {
      const taken = Object.hasOwn(h, m.name);
      Object.defineProperty(h, m.name, { value: HOLE, enumerable: true, writable: true, configurable: true });
      // a new non-object entry is invalid; one that replaces the metadata or an entry may not be
      return { text: withHole(m.value), mustFail: !taken && !m.value.startsWith('{') };
    }
    case 'metadata':
      h['__metadata__'] = HOLE;
      return { text: withHole(m.value), mustFail: !m.value.startsWith('{') };
    case 'root':
      return { text: m.value, mustFail: !m.value.startsWith('{') };
    case 'dims': {
      const e = entry(m.pick);
      if (e === undefined) return { text: JSON.stringify(h), mustFail: false };
      const s = [...(e['shape'] as number[])];
      const k = s.length === 0 ? 0 : m.pick % s.length;
      let raw: string | undefined;
      if (m.how === 'inc' && s.length > 0) s[k]! += 1;
      else if (m.how === 'dec' && s.length > 0) s[k]! -= 1;
      else if (m.how === 'double' && s.length > 0) s[k]! *= 2;
      else if (m.how === 'append1') s.push(1);
      else if (m.how === 'prepend0') s.unshift(0);
      else if (m.how === 'huge') s.splice(k, 1, 2 ** 40, 2 ** 30);
      else if (m.how === 'fraction') raw = JSON.stringify(s).replace(/^\[/, '[0.5,');
      else if (m.how === 'negative') raw = JSON.stringify(s).replace(/^\[/, '[-1,');
      else if (m.how === 'drop') s.splice(k, 1);
      e['shape'] = raw === undefined ? s : HOLE;
      if (raw !== undefined) return { text: withHole(raw), mustFail: true };
      // the entry stays valid exactly when the shape still describes its bytes (huge dims next
      // to a 0 dim describe 0 bytes; an appended 1 changes nothing)
      const [b, en] = e['data_offsets'] as [number, number];
      const valid = s.every((d) => d >= 0) && product(s) * READABLE_SIZE[e['dtype'] as string]! === en - b;
      return { text: JSON.stringify(h), mustFail: !valid, mustRead: valid };
    }
    case 'offsets': {
      const e = entry(m.pick);
      if (e === undefined) return { text: JSON.stringify(h), mustFail: false };
      const [b, en] = e['data_offsets'] as [number, number];
      const other = entry(m.pick + 1)!['data_offsets'] as [number, number];
      const total = Math.max(0, ...names.map((n) => (h[n] as { data_offsets: [number, number] }).data_offsets[1]));
      const table: Record<typeof m.how, unknown> = {
        shift: [b + 1, en + 1],
        swap: [en, b],
        endPlus: [b, en + 1],
        beginMinus: [b - 1, en],
        negative: [-1 - b, en],
        huge: [b, 2 ** 64],
        copyOther: other,
        fraction: [b + 0.5, en + 0.5],
        past: [total + 4, total + 4 + (en - b)],
      };
      e['data_offsets'] = table[m.how];
      const changed = JSON.stringify(e['data_offsets']) !== JSON.stringify([b, en]);
      // every change of one entry's offsets breaks the exact tiling (a zero-width entry can
      // move to another zero-width spot, or swap with an equal one, and stay valid)
      const certain = changed && (m.how === 'negative' || m.how === 'huge' || m.how === 'fraction' || m.how === 'endPlus' || m.how === 'beginMinus' || m.how === 'past') && en > b;
      return { text: JSON.stringify(h), mustFail: certain };
    }
    case 'dtypeName': {
      const e = entry(m.pick);
      if (e === undefined) return { text: JSON.stringify(h), mustFail: false };
      const old = e['dtype'] as string;
      e['dtype'] = m.value;
      // another dtype of the same width reads (F32 <-> I32 reinterpret, BOOL <-> U8 hold 0/1);
      // an unknown, unsupported (I8, U16, ...) or wider / narrower one cannot
      const same = Object.hasOwn(READABLE_SIZE, m.value) && READABLE_SIZE[m.value] === READABLE_SIZE[old];
      const sized = (e['shape'] as number[]).includes(0);
      return { text: JSON.stringify(h), mustFail: !same && !(sized && Object.hasOwn(READABLE_SIZE, m.value)), mustRead: same };
    }
    case 'leadingSpace':
      return { text: ' ' + JSON.stringify(h), mustFail: true };
  }
}


/** An entry of a hand-built file in any dtype the readers convert, with its raw little-endian bytes. */
interface RawEntry {
  readonly name: string;
  readonly dtype: 'F32' | 'F64' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'BOOL';
  readonly shape: number[];
  readonly bytes: Uint8Array;
}
const RAW_SIZE = { F32: 4, F64: 8, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, BOOL: 1 } as const;

const rawEntryArb = (name: string): fc.Arbitrary<RawEntry> =>
  fc.tuple(fc.constantFrom<RawEntry['dtype']>('F32', 'F64', 'F16', 'BF16', 'I32', 'I64', 'U8', 'BOOL'), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.boolean()).chain(([dtype, shape, inRange]) => {
    const n = product(shape);
    // random bytes, or values every reader accepts (I64 within int32, U8/BOOL 0 or 1)
    const bytes: fc.Arbitrary<Uint8Array> =
      dtype === 'I64' && inRange
        ? fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: n, maxLength: n }).map((v) => new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer))
        : (dtype === 'U8' || dtype === 'BOOL') && inRange
          ? fc.uint8Array({ min: 0, max: 1, minLength: n, maxLength: n })
          : fc.uint8Array({ minLength: n * RAW_SIZE[dtype], maxLength: n * RAW_SIZE[dtype] });
    return bytes.map((b) => ({ name, dtype, shape, bytes: b }));
  });

const rawFileArb: fc.Arbitrary<RawEntry[]> = fc.uniqueArray(nameArb, { maxLength: 4 }).chain((names) => fc.tuple(...names.map(rawEntryArb)));

function buildRawFile(entries: readonly RawEntry[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const e of entries) {
    Object.defineProperty(header, e.name, { value: { dtype: e.dtype, shape: e.shape, data_offsets: [at, at + e.bytes.length] }, enumerable: true, writable: true, configurable: true });
    at += e.bytes.length;
  }
  const data = new Uint8Array(at);
  let pos = 0;
  for (const e of entries) {
    data.set(e.bytes, pos);
    pos += e.bytes.length;
  }
  return buildFile(JSON.stringify(header), data);
}

/** IEEE half → float32 by building the float32 bit pattern (independent of the reader's arithmetic). */
function halfBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  if (e === 0) return (sign ? -1 : 1) * m * 2 ** -24; // subnormal (or zero): exact in float32
  u[0] = (sign | ((e === 31 ? 255 : e - 15 + 127) << 23) | (m << 13)) >>> 0;
  return f[0]!;
}

/** The values a reader must give for a raw entry, or null when the entry cannot be read. */
function expectedValues(e: RawEntry): number[] | null {
  const v = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  const n = product(e.shape);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (e.dtype) {
      case 'F32': out.push(v.getFloat32(4 * i, true)); break;
      case 'F64': out.push(Math.fround(v.getFloat64(8 * i, true))); break;
      case 'F16': out.push(halfBits(v.getUint16(2 * i, true))); break;
      case 'BF16': out.push(new Float32Array(new Uint32Array([v.getUint16(2 * i, true) * 65536]).buffer)[0]!); break;
      case 'I32': out.push(v.getInt32(4 * i, true)); break;
      case 'I64': {
        const x = v.getBigInt64(8 * i, true);
        if (x < -(2n ** 31n) || x >= 2n ** 31n) return null;
        out.push(Number(x));
        break;
      }
      default:
        if (e.bytes[i]! > 1) return null;
        out.push(e.bytes[i]!);
    }
  }
  return out;
}

const NATURAL: Record<RawEntry['dtype'], DType> = { F32: 'float32', F64: 'float32', F16: 'float32', BF16: 'float32', I32: 'int32', I64: 'int32', U8: 'bool', BOOL: 'bool' };

describe('fuzz: safetensors', () => {
  it('unmutated files round-trip through readSafetensors and loadSafetensors', () => {
    check(
      fc.property(validFileArb, ({ params, metadata, bytes }) => {
        const r = readST(bytes);
        ok(E.isRight(r), `a valid file is a Left: ${E.isLeft(r) ? r.left.message : ''}`);
        checkReadRight(r, bytes);
        const flat = treeFlatten(params);
        flat.leaves.forEach((t, i) => ok(sameTensor(r.right.tensors[flat.paths[i]!]!, t as Leaf), `tensor ${flat.paths[i]} did not round-trip`));
        ok(JSON.stringify(r.right.metadata) === JSON.stringify(metadata ?? {}), 'metadata did not round-trip');
        const l = loadST(bytes, params);
        ok(E.isRight(l), `a valid file does not load into its own template: ${E.isLeft(l) ? (l.left as { message: string }).message : ''}`);
        checkLoadRight(l, params);
        const back = treeFlatten(l.right);
        back.leaves.forEach((t, i) => ok(sameTensor(t as Leaf, flat.leaves[i] as Leaf), `leaf ${back.paths[i]} did not round-trip`));
      }),
      0x5afe01,
      150,
    );
  });

  it('F64, F16, BF16, I64 and U8 files convert exactly (against independent decoders), also from a Buffer or an offset view', () => {
    check(
      fc.property(rawFileArb, fc.integer({ min: 1, max: 7 }), (entries, offset) => {
        const bytes = buildRawFile(entries);
        const want = entries.map(expectedValues);
        const readable = want.every((w) => w !== null);
        const big = new Uint8Array(bytes.length + offset);
        big.set(bytes, offset);
        for (const input of [bytes, Buffer.from(bytes), big.subarray(offset)]) {
          const r = readST(input);
          checkReadRight(r, bytes);
          ok(E.isRight(r) === readable, `readable ${readable} but ${E.isLeft(r) ? r.left.message : 'Right'}`);
          if (E.isLeft(r)) {
            ok(r.left.kind === 'data', `an unreadable value is a ${r.left.kind} Left`);
            continue;
          }
          entries.forEach((e, k) => {
            const got = Array.from(r.right.tensors[e.name]!.dataSync());
            ok(got.length === want[k]!.length && got.every((x, i) => Object.is(x, want[k]![i])), `${e.dtype} ${e.name}: [${got.slice(0, 4).join(', ')}...] but expected [${want[k]!.slice(0, 4).join(', ')}...]`);
          });
          // the same file into a template of the natural dtypes; a wrong dtype is a 'dtype' Left
          const like: Record<string, Leaf> = {};
          for (const e of entries) Object.defineProperty(like, e.name, { value: makeTensor(e.shape, NATURAL[e.dtype], new (NATURAL[e.dtype] === 'float32' ? Float32Array : NATURAL[e.dtype] === 'int32' ? Int32Array : Uint8Array)(product(e.shape)) as never), enumerable: true, writable: true, configurable: true });
          const l = loadST(input, like);
          checkLoadRight(l, like);
          ok(E.isRight(l), `a readable file does not load into its natural template: ${E.isLeft(l) ? (l.left as { message: string }).message : ''}`);
          const first = entries[0];
          if (first !== undefined) {
            const wrong = { ...like };
            Object.defineProperty(wrong, first.name, { value: makeTensor(first.shape, NATURAL[first.dtype] === 'int32' ? 'bool' : 'int32', new (NATURAL[first.dtype] === 'int32' ? Uint8Array : Int32Array)(product(first.shape)) as never), enumerable: true, writable: true, configurable: true });
            const w = loadST(input, wrong);
            ok(E.isLeft(w) && (w.left as { kind: string }).kind === 'dtype', 'a template of the wrong dtype is not a dtype Left');
          }
        }
      }),
      0x5afe07,
      200,
    );
  });

  it('every truncation of a valid file is a truncated Left', () => {
    check(
      fc.property(validFileArb, ({ params, bytes }) => {
        // every length for small files, a stride for bigger ones
        const step = Math.max(1, Math.floor(bytes.length / 200));
        for (let n = 0; n < bytes.length; n += step) {
          const cut = bytes.subarray(0, n);
          const r = readST(cut);
          ok(E.isLeft(r) && r.left.kind === 'truncated', `a file cut to ${n} of ${bytes.length} bytes: ${E.isLeft(r) ? r.left.kind : 'Right'}`);
          const l = loadST(cut, params);
          ok(E.isLeft(l), `a file cut to ${n} bytes loads`);
        }
      }),
      0x5afe02,
      40,
    );
  });

  it('trailing bytes and header-length mutations are Lefts', () => {
    const lengthArb = fc.oneof(
      fc.integer({ min: -16, max: 16 }).map((d) => ({ delta: d })),
      fc.oneof(fc.nat(), fc.constant(MAX_HEADER_BYTES), fc.constant(MAX_HEADER_BYTES + 1), fc.constant(0xffffffff), fc.constant(0)).map((v) => ({ lo: v })),
      fc.integer({ min: 1, max: 0xffffffff }).map((hi) => ({ hi })),
    );
    check(
      fc.property(validFileArb, fc.integer({ min: 1, max: 64 }), lengthArb, ({ params, bytes }, extra, len) => {
        const longer = new Uint8Array(bytes.length + extra);
        longer.set(bytes);
        const t = readST(longer);
        ok(E.isLeft(t) && t.left.kind === 'header' && t.left.message.includes('after the last tensor'), 'trailing bytes are not a header Left');
        ok(E.isLeft(loadST(longer, params)), 'trailing bytes load');

        const m = bytes.slice();
        const view = new DataView(m.buffer);
        const n0 = view.getUint32(0, true);
        if ('delta' in len) view.setUint32(0, Math.max(0, n0 + len.delta), true);
        else if ('lo' in len) view.setUint32(0, len.lo >>> 0, true);
        else view.setUint32(4, len.hi, true);
        const changed = !sameBytes(m.subarray(0, 8), bytes.subarray(0, 8));
        const r = readST(m);
        checkReadRight(r, m);
        ok(!changed || E.isLeft(r), `header length ${n0} -> ${view.getUint32(0, true)} (hi ${view.getUint32(4, true)}) still reads`);
        const l = loadST(m, params);
        checkLoadRight(l, params);
        ok(!changed || E.isLeft(l), 'a changed header length still loads');
      }),
      0x5afe03,
      200,
    );
  });

  it('random bit flips: never a throw, every Right well-formed; flips in the data keep shapes and read the flipped bytes', () => {
    const flipsArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 });
    check(
      fc.property(validFileArb, flipsArb, fc.boolean(), ({ params, bytes }, flips, dataOnly) => {
        const m = bytes.slice();
        const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
        const from = dataOnly ? 8 + n : 0;
        if (m.length === from) return;
        for (const [p, bit] of flips) m[from + (p % (m.length - from))]! ^= 1 << bit;
        const r = readST(m);
        checkReadRight(r, m);
        const l = loadST(m, params);
        checkLoadRight(l, params);
        if (!dataOnly) return;
        // the header is intact: the same tensors, each read from the flipped bytes
        const { header } = splitFile(bytes);
        const hasBool = Object.values(header).some((e) => (e as { dtype?: string }).dtype === 'BOOL');
        if (hasBool && E.isLeft(r)) {
          ok(r.left.kind === 'data', `flipped bool data: a ${r.left.kind} Left`);
          return;
        }
        ok(E.isRight(r), `flips in the data of a file without bools: ${E.isLeft(r) ? r.left.message : ''}`);
        checkReadRight(r, m);
        for (const [name, e] of Object.entries(header)) {
          if (name === '__metadata__') continue;
          const [b, en] = (e as { data_offsets: [number, number] }).data_offsets;
          ok(sameBytes(bytesOf(r.right.tensors[name]!.dataSync()), m.subarray(8 + n + b, 8 + n + en)), `${name}: values are not the file's bytes`);
        }
      }),
      0x5afe04,
      300,
    );
  });

  it('header JSON mutations (dtype, shape, data_offsets, missing keys, non-objects, deep nesting) are Lefts or right Rights', () => {
    check(
      fc.property(validFileArb, headerMutationArb, fc.integer({ min: 0, max: 9 }), ({ params, bytes }, mutation, pad) => {
        const { header, data } = splitFile(bytes);
        const { text, mustFail, mustRead } = mutateHeader(header, mutation);
        const m = buildFile(text + ' '.repeat(pad), data);
        const r = readST(m);
        if (mustRead) ok(E.isRight(r), `mutation ${JSON.stringify(mutation).slice(0, 200)} keeps the file valid but reads as ${E.isLeft(r) ? r.left.message : ''}`);
        if (E.isRight(r)) {
          ok(!mustFail, `mutation ${JSON.stringify(mutation).slice(0, 200)} still reads`);
          checkReadRight(r, m);
        } else ok(r.left.message.startsWith('safetensors: '), `a Left whose message does not name safetensors: ${r.left.message}`);
        const l = loadST(m, params);
        checkLoadRight(l, params);
        if (E.isRight(l) && E.isRight(r)) {
          // loading reads the same values as reading (every accepted file dtype has one target)
          const flat = treeFlatten(l.right);
          flat.leaves.forEach((t, i) => ok(sameTensor(t as Leaf, r.right.tensors[flat.paths[i]!]!), `${flat.paths[i]}: load and read disagree`));
        }
        if (mustFail) ok(E.isLeft(l), `mutation ${JSON.stringify(mutation).slice(0, 200)} still loads`);
      }),
      0x5afe05,
      400,
    );
  });

  it('inputs that are not a Uint8Array are header Lefts', () => {
    const notBytesArb = fc.oneof(
      validFileArb.chain(({ bytes }) => fc.constantFrom<unknown>(bytes.buffer, Array.from(bytes), new Int8Array(bytes), new Uint16Array(bytes.length), new DataView(bytes.buffer), new TextDecoder().decode(bytes))),
      fc.anything({ maxDepth: 2, withTypedArray: true, withNullPrototype: true }).filter((x) => !(x instanceof Uint8Array)),
    );
    check(
      fc.property(notBytesArb, (input) => {
        const r = readST(input as Uint8Array);
        ok(E.isLeft(r) && r.left.kind === 'header' && r.left.message === 'safetensors: expected a Uint8Array', 'a non-Uint8Array input is not a header Left');
        const l = loadST(input as Uint8Array, { w: makeTensor([1], 'float32', new Float32Array(1)) });
        ok(E.isLeft(l), 'a non-Uint8Array input loads');
      }),
      0x5afe08,
      150,
    );
  });

  it('random headers and random bytes', () => {
    const headerTextArb = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.dictionary(nameArb, fc.record({ dtype: fc.constantFrom(...FILE_DTYPES), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), data_offsets: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })) }), { maxKeys: 3 }).map((h) => JSON.stringify(h)),
      fc.string({ maxLength: 40 }),
    );
    check(
      fc.property(headerTextArb, fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 80 }), (text, data, junk) => {
        const m = buildFile(text, data);
        const r = readST(m);
        checkReadRight(r, m);
        checkLoadRight(loadST(m, { w: makeTensor([2], 'float32', new Float32Array(2)) }), { w: makeTensor([2], 'float32', new Float32Array(2)) });
        checkReadRight(readST(junk), junk);
      }),
      0x5afe06,
      400,
    );
  });
});

// =============================================================================================
// CSV and friends

const CSV_TOKENS = ['"', '""', ',', ';', '\t', '\n', '\r\n', '\r', ' ', 'a', 'bc', '#', '1', '-2.5', '1e3', '.5', '+7', '0x1', 'NaN', 'label', 'text', 'value', 'é', '😀', '\u2028', '\u2029', '\u0085', '\u0000', '\uFEFF', '\uD800', "'"];
const csvTextArb: fc.Arbitrary<string> = fc.tuple(fc.boolean(), fc.array(fc.constantFrom(...CSV_TOKENS), { maxLength: 40 })).map(([bom, ts]) => (bom ? '\uFEFF' : '') + ts.join(''));

/**
 * Long runs of a short fragment, then a terminator and a tail: the shape of input that makes a
 * backtracking or re-scanning reader super-linear (each run is 2k–60k characters).
 */
const PUMP_TOKENS = ['"', '""', ',', '\t', ' ', '#', ' #', '\t#', 'a', '1', '.', 'e', '-', '\n', '\r'];
const pumpedArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.constantFrom(...CSV_TOKENS), { maxLength: 3 }),
    fc.array(fc.constantFrom(...PUMP_TOKENS), { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 2_000, max: 20_000 }),
    // what ends the run: nothing, a line break, a character some matcher treats as a line
    // break and another does not, or one more token
    fc.constantFrom('', '\n', '\r', '\u2028', '\u2029', '\u0085', 'x', '"', '\t'),
    fc.array(fc.constantFrom(...CSV_TOKENS), { maxLength: 3 }),
  )
  .map(([pre, frag, k, end, post]) => pre.join('') + frag.join('').repeat(k) + end + post.join(''));

const csvLeft = (r: E.Either<unknown, unknown>): boolean => E.isLeft(r);

function quoteAll(rows: readonly (readonly string[])[], delimiter: string, quote: string): string {
  return rows.map((r) => r.map((f) => quote + f.split(quote).join(quote + quote) + quote).join(delimiter)).join('\n');
}

function sameTable(a: { header?: string[]; rows: string[][] }, b: { header?: string[]; rows: string[][] }): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Runs every text reader on `text` and checks each Right against parseCsv (the oracle). */
function allTextReaders(text: string, budgetMs: number): void {
  for (const [delimiter, quote] of [[',', '"'], [';', "'"], ['\t', '"']] as const) {
    for (const header of [false, true]) {
      const r = probe('parseCsv', () => parseCsv(text, { delimiter, quote, header }), csvLeft, budgetMs);
      if (E.isLeft(r)) {
        ok(typeof r.left.message === 'string' && r.left.message.length > 0, 'a Left without a message');
        continue;
      }
      const t = r.right;
      const width = t.header?.length ?? t.rows[0]?.length ?? 0;
      ok(t.rows.every((row) => row.length === width), 'a ragged Right');
      if (header) ok(t.header !== undefined, 'header: true without a header');
      const all = t.header === undefined ? t.rows : [t.header, ...t.rows];
      const again = probe('parseCsv', () => parseCsv(quoteAll(all, delimiter, quote), { delimiter, quote, header }), csvLeft, budgetMs);
      ok(E.isRight(again) && sameTable(again.right, t), `re-serialised table does not re-parse the same (delimiter ${JSON.stringify(delimiter)}, header ${header})`);
    }
  }
  const table = parseCsv(text, { header: true });
  for (const column of ['value', 'a', '', '1']) {
    const n = probe('parseNumericColumn', () => parseNumericColumn(text, column), csvLeft, budgetMs);
    if (E.isRight(n)) {
      ok(E.isRight(table), 'a numeric column from a text parseCsv rejects');
      const c = table.right.header!.indexOf(column);
      ok(c >= 0 && n.right.length === table.right.rows.length, 'numeric column length differs from the rows');
      n.right.forEach((x, i) => ok(Number.isFinite(x) && Object.is(x, parseDecimal(table.right.rows[i]![c]!)), `row ${i}: ${x} is not parseDecimal of the cell`));
    }
  }
  const lt = probe('parseLabelTextCsv', () => parseLabelTextCsv(text), csvLeft, budgetMs);
  if (E.isRight(lt)) {
    const { labels, texts } = lt.right;
    ok(labels.length === texts.length && labels.every((l) => l.trim() !== ''), 'labels and texts misaligned or a blank label');
    const plain = parseCsv(text);
    ok(E.isRight(plain), 'label/text Right but parseCsv Left');
    let rows = plain.right.rows;
    if (rows[0]?.[0] === 'label' && rows[0]?.[1] === 'text') rows = rows.slice(1);
    ok(JSON.stringify(rows) === JSON.stringify(labels.map((l, i) => [l, texts[i]])), 'label/text pairs differ from the CSV rows');
  }
  for (const header of [false, true]) {
    const tp = probe('parseTsvPairs', () => parseTsvPairs(text, { header }), csvLeft, budgetMs);
    if (E.isRight(tp)) {
      const sides = [...tp.right.pairs, ...(tp.right.header ? [tp.right.header] : [])].flat();
      ok(sides.every((s) => s !== '' && s === s.trim() && !/[\t\n\r]/.test(s)), `a TSV side that is empty, untrimmed or holds a tab / line break: ${JSON.stringify(sides).slice(0, 200)}`);
    }
  }
  for (const cell of [text, ...text.split(/[,\n\r\t;]/).slice(0, 20)]) checkDecimal(cell, budgetMs);
}

/** The documented decimal grammar, scanned by hand: [+-] digits [. digits] | [+-] . digits, then [eE [+-] digits]. */
function refDecimal(s: string): number | undefined {
  const t = s.trim();
  const digit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let i = 0;
  let mantissa = 0;
  if (t[i] === '+' || t[i] === '-') i++;
  while (digit(t[i])) i++, mantissa++;
  if (t[i] === '.') {
    i++;
    while (digit(t[i])) i++, mantissa++;
  }
  if (mantissa === 0) return undefined;
  if (t[i] === 'e' || t[i] === 'E') {
    i++;
    if (t[i] === '+' || t[i] === '-') i++;
    let exponent = 0;
    while (digit(t[i])) i++, exponent++;
    if (exponent === 0) return undefined;
  }
  if (i !== t.length) return undefined;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
}

function checkDecimal(s: string, budgetMs = CALL_BUDGET_MS): void {
  const x = probe('parseDecimal', () => parseDecimal(s), (v) => v === undefined, budgetMs);
  const want = refDecimal(s);
  ok(Object.is(x, want), `parseDecimal(${JSON.stringify(s).slice(0, 80)}) = ${x}, the grammar says ${want}`);
}

/** Strings that survive CSV writing with minimal quoting (anything, quoted when needed). */
const cellArb = fc.oneof(fc.array(fc.constantFrom(...CSV_TOKENS), { maxLength: 4 }).map((ts) => ts.join('')), fc.string({ maxLength: 6, unit: 'binary' }));

function writeCell(f: string, delimiter: string, quote: string, onlyColumn: boolean, first: boolean): string {
  const needs = f.includes(delimiter) || f.includes(quote) || /[\r\n]/.test(f) || (onlyColumn && f === '') || (first && f.startsWith('\uFEFF'));
  return needs ? quote + f.split(quote).join(quote + quote) + quote : f;
}

type RefResult = { ok: true; header?: string[]; rows: string[][] } | { ok: false; code: string; line: number; column?: number };

/**
 * A reference reader for the documented CSV rules, written as a character-at-a-time state
 * machine (the library scans with indexOf), for differential fuzzing: the same tables, and
 * the same error code, line and column for every Left.
 */
function refCsv(input: string, delimiter: string, quote: string, header: boolean): RefResult {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const len = text.length;
  const records: { fields: string[]; line: number }[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const isBreak = (c: string | undefined): boolean => c === '\n' || c === '\r';
  const newline = (): void => {
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    lineStart = i;
  };
  while (i < len) {
    if (isBreak(text[i])) {
      newline();
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text[i] === quote) {
        const openLine = line;
        const openCol = i - lineStart + 1;
        i++;
        let value = '';
        for (;;) {
          if (i >= len) return { ok: false, code: 'csv-unterminated-quote', line: openLine, column: openCol };
          const c = text[i]!;
          if (c === quote) {
            if (text[i + 1] === quote) {
              value += quote;
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (isBreak(c)) {
            value += c === '\r' && text[i + 1] === '\n' ? '\r\n' : c;
            newline();
            continue;
          }
          value += c;
          i++;
        }
        if (i < len && text[i] !== delimiter && !isBreak(text[i])) return { ok: false, code: 'csv-stray-quote', line, column: i - lineStart + 1 };
        fields.push(value);
      } else {
        let value = '';
        while (i < len && text[i] !== delimiter && !isBreak(text[i])) {
          if (text[i] === quote) return { ok: false, code: 'csv-stray-quote', line, column: i - lineStart + 1 };
          value += text[i];
          i++;
        }
        fields.push(value);
      }
      if (i < len && text[i] === delimiter) {
        i++;
        continue;
      }
      break;
    }
    records.push({ fields, line: recordLine });
    if (i < len) newline();
  }
  if (header && records.length === 0) return { ok: false, code: 'csv-empty', line: 1 };
  const head = header ? records[0] : undefined;
  const rows = header ? records.slice(1) : records;
  const width = head?.fields.length ?? rows[0]?.fields.length ?? 0;
  for (const r of rows) if (r.fields.length !== width) return { ok: false, code: 'csv-ragged-row', line: r.line };
  return head === undefined ? { ok: true, rows: rows.map((r) => r.fields) } : { ok: true, header: head.fields, rows: rows.map((r) => r.fields) };
}

type RefTsv = { ok: true; header?: [string, string]; pairs: [string, string][] } | { ok: false; code: string; line: number };

/** A reference for the documented TSV rules: lines split and comments found by a character scan. */
function refTsv(input: string, header: boolean): RefTsv {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const lines: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\r' || c === '\n') {
      lines.push(cur);
      cur = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else cur += c;
  }
  lines.push(cur);
  let wantHeader = header;
  let head: [string, string] | undefined;
  const pairs: [string, string][] = [];
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k]!;
    let content = raw;
    // a comment is a '#' at the line start or after whitespace, and takes that whitespace with it
    for (let j = 0; j < raw.length; j++) {
      if (raw[j] === '#' && (j === 0 || /\s/.test(raw[j - 1]!))) {
        content = raw.slice(0, Math.max(0, j - 1));
        break;
      }
    }
    if (content.trim() === '') continue;
    const parts = content.split('\t');
    if (parts.length !== 2) return { ok: false, code: parts.length < 2 ? 'tsv-missing-tab' : 'tsv-extra-tab', line: k + 1 };
    const a = parts[0]!.trim();
    const b = parts[1]!.trim();
    if (a === '' || b === '') return { ok: false, code: 'empty-field', line: k + 1 };
    if (wantHeader) {
      head = [a, b];
      wantHeader = false;
    } else pairs.push([a, b]);
  }
  return head === undefined ? { ok: true, pairs } : { ok: true, header: head, pairs };
}

describe('fuzz: CSV, label/text, numeric columns, TSV, decimals', () => {
  it('random texts from a token grammar: never a throw, every Right consistent with parseCsv and re-parses the same', () => {
    check(
      fc.property(csvTextArb, (text) => allTextReaders(text, CALL_BUDGET_MS)),
      0xc5a01,
      400,
    );
  });

  it('differential: parseCsv agrees with a reference state machine on tables, error codes, lines and columns', () => {
    check(
      fc.property(csvTextArb, fc.constantFrom([',', '"'], [';', "'"], ['\t', '"'], ['"', "'"], ['a', '"']), fc.boolean(), (text, [delimiter, quote], header) => {
        const r = probe('parseCsv', () => parseCsv(text, { delimiter, quote, header }), csvLeft);
        const ref = refCsv(text, delimiter, quote, header);
        if (ref.ok) {
          ok(E.isRight(r), `the reference reads ${JSON.stringify(text)} but parseCsv says ${E.isLeft(r) ? r.left.message : ''}`);
          ok(sameTable(r.right, ref.header === undefined ? { rows: ref.rows } : { header: ref.header, rows: ref.rows }), `tables differ for ${JSON.stringify(text)}`);
        } else {
          ok(E.isLeft(r), `parseCsv reads ${JSON.stringify(text)} but the reference says ${ref.code} at line ${ref.line}`);
          const got = { code: r.left.code, line: r.left.line, column: r.left.column };
          const want = { code: ref.code, line: ref.line, column: ref.column };
          ok(JSON.stringify(got) === JSON.stringify(want), `${JSON.stringify(text)}: ${JSON.stringify(got)} but the reference says ${JSON.stringify(want)}`);
          ok(r.left.message.startsWith(`line ${ref.line}`), `the message does not lead with the line: ${r.left.message}`);
        }
      }),
      0xc5a09,
      800,
    );
    // well-formed tables with multi-line quoted cells and blank lines, then one edit at a random
    // place: the errors come late, after quoted line breaks, where line counting can slip
    const multiLineCell = fc.array(fc.constantFrom('a', ',', '"', '\n', '\r\n', '\r', ' ', 'é'), { maxLength: 5 }).map((ts) => ts.join(''));
    const tableText = fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
      .chain(([w, eol, blank]) =>
        fc.array(fc.array(multiLineCell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 6 }).map((rows) =>
          rows.map((r) => r.map((f) => writeCell(f, ',', '"', w === 1, false)).join(',')).join(blank ? eol + eol : eol),
        ),
      );
    check(
      fc.property(tableText, fc.nat(), fc.constantFrom('"', ',', '\n', '\r', '\r\n', 'x', '""', 'drop'), fc.boolean(), (text, at, edit, header) => {
        const k = at % (text.length + 1);
        const edited = edit === 'drop' ? text.slice(0, k) + text.slice(k + 1) : text.slice(0, k) + edit + text.slice(k);
        const r = probe('parseCsv', () => parseCsv(edited, { header }), csvLeft);
        const ref = refCsv(edited, ',', '"', header);
        ok(E.isRight(r) === ref.ok, `${JSON.stringify(edited)}: parseCsv ${E.isRight(r) ? 'reads it' : r.left.message}, the reference ${ref.ok ? 'reads it' : ref.code}`);
        if (E.isRight(r) && ref.ok) ok(sameTable(r.right, ref.header === undefined ? { rows: ref.rows } : { header: ref.header, rows: ref.rows }), `tables differ for ${JSON.stringify(edited)}`);
        if (E.isLeft(r) && !ref.ok) {
          const got = { code: r.left.code, line: r.left.line, column: r.left.column };
          const want = { code: ref.code, line: ref.line, column: ref.column };
          ok(JSON.stringify(got) === JSON.stringify(want), `${JSON.stringify(edited)}: ${JSON.stringify(got)} but the reference says ${JSON.stringify(want)}`);
        }
      }),
      0xc5a0a,
      800,
    );
  });

  it('differential: parseTsvPairs agrees with a reference scan on pairs, error codes and lines', () => {
    const tsvToken = fc.constantFrom('a', 'bc', ' ', '\t', '#', ' #', 'c#', '\n', '\r\n', '\r', '\u2028', '\u00a0', '\uFEFF', 'é', '"');
    const tsvText = fc.oneof(
      csvTextArb,
      fc.array(tsvToken, { maxLength: 30 }).map((ts) => ts.join('')),
      // well-formed lines, then one inserted token
      fc.tuple(fc.array(fc.tuple(fc.constantFrom('a', 'b c', 'é'), fc.constantFrom('x', 'y z', '1')), { minLength: 1, maxLength: 5 }), fc.constantFrom('\n', '\r\n', '\r'), fc.nat(), tsvToken).map(([pairs, eol, at, t]) => {
        const text = pairs.map(([x, y]) => `${x}\t${y}`).join(eol);
        const k = at % (text.length + 1);
        return text.slice(0, k) + t + text.slice(k);
      }),
    );
    check(
      fc.property(tsvText, fc.boolean(), (text, header) => {
        const r = probe('parseTsvPairs', () => parseTsvPairs(text, { header }), csvLeft);
        const ref = refTsv(text, header);
        if (ref.ok) {
          ok(E.isRight(r), `the reference reads ${JSON.stringify(text)} but parseTsvPairs says ${E.isLeft(r) ? r.left.message : ''}`);
          ok(JSON.stringify(r.right) === JSON.stringify(ref.header === undefined ? { pairs: ref.pairs } : { header: ref.header, pairs: ref.pairs }), `pairs differ for ${JSON.stringify(text)}: ${JSON.stringify(r.right)}`);
        } else {
          ok(E.isLeft(r), `parseTsvPairs reads ${JSON.stringify(text)} but the reference says ${ref.code} at line ${ref.line}`);
          ok(r.left.code === ref.code && r.left.line === ref.line, `${JSON.stringify(text)}: ${r.left.code} at line ${r.left.line}, the reference ${ref.code} at line ${ref.line}`);
        }
      }),
      0xc5a0b,
      800,
    );
  });

  it('pumped texts (long runs of a fragment) stay linear: each call under the budget', () => {
    check(
      fc.property(pumpedArb, (text) => {
        for (const header of [false, true]) probe('parseCsv', () => parseCsv(text, { header }), csvLeft, PUMPED_BUDGET_MS);
        probe('parseNumericColumn', () => parseNumericColumn(text, 'a'), csvLeft, PUMPED_BUDGET_MS);
        probe('parseLabelTextCsv', () => parseLabelTextCsv(text), csvLeft, PUMPED_BUDGET_MS);
        for (const header of [false, true]) probe('parseTsvPairs', () => parseTsvPairs(text, { header }), csvLeft, PUMPED_BUDGET_MS);
        checkDecimal(text, PUMPED_BUDGET_MS);
        checkDecimal(`value\n${text}`.split('\n')[1] ?? '', PUMPED_BUDGET_MS);
      }),
      0xc5a02,
      100,
    );
  });

  it('generated tables written with minimal quoting, any line ending, optional BOM, parse back exactly', () => {
    const tableArb = fc.integer({ min: 1, max: 4 }).chain((w) => fc.array(fc.array(cellArb, { minLength: w, maxLength: w }), { maxLength: 6 }));
    check(
      fc.property(
        tableArb,
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom([',', '"'], [';', "'"], ['\t', '"'], ['|', '#']),
        fc.boolean(),
        (rows, eol, trailing, bom, [delimiter, quote], header) => {
          const w = rows[0]?.length ?? 1;
          const text = (bom ? '\uFEFF' : '') + rows.map((r, i) => r.map((f, j) => writeCell(f, delimiter, quote, w === 1, i === 0 && j === 0 && !bom)).join(delimiter)).join(eol) + (trailing && rows.length > 0 ? eol : '');
          const r = probe('parseCsv', () => parseCsv(text, { delimiter, quote, header }), csvLeft);
          if (header && rows.length === 0) {
            ok(E.isLeft(r) && r.left.code === 'csv-empty', 'an empty text with header: true is not csv-empty');
            return;
          }
          ok(E.isRight(r), `a written table does not parse: ${E.isLeft(r) ? r.left.message : ''} in ${JSON.stringify(text).slice(0, 200)}`);
          const want = header ? { header: rows[0]!, rows: rows.slice(1) } : { rows };
          ok(sameTable(r.right, want), `parsed ${JSON.stringify(r.right).slice(0, 200)} but wrote ${JSON.stringify(want).slice(0, 200)}`);
        },
      ),
      0xc5a03,
      400,
    );
  });

  it('label/text files round-trip; numeric columns of written doubles read back exactly', () => {
    const labelArb = cellArb.filter((s) => s.trim() !== '');
    check(
      fc.property(fc.array(fc.tuple(labelArb, cellArb), { maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'), (pairs, eol) => {
        const text = ['label,text', ...pairs.map(([l, t]) => `${writeCell(l, ',', '"', false, false)},${writeCell(t, ',', '"', false, false)}`)].join(eol);
        const r = probe('parseLabelTextCsv', () => parseLabelTextCsv(text), csvLeft);
        ok(E.isRight(r), `written label/text does not parse: ${E.isLeft(r) ? r.left.message : ''}`);
        ok(JSON.stringify(r.right) === JSON.stringify({ labels: pairs.map((p) => p[0]), texts: pairs.map((p) => p[1]) }), 'label/text did not round-trip');
      }),
      0xc5a04,
      300,
    );
    const numberText = fc.double({ noNaN: true, noDefaultInfinity: true }).chain((x) => fc.constantFrom(String(x), x.toExponential(), ` ${x} `, x >= 0 ? `+${x}` : String(x)).map((s) => [x, s] as const));
    check(
      fc.property(fc.array(numberText, { maxLength: 8 }), fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 8 }), (cells, others) => {
        const text = ['id,value', ...cells.map(([, s], i) => `${others[i] ?? i},${s}`)].join('\n');
        const r = probe('parseNumericColumn', () => parseNumericColumn(text, 'value'), csvLeft);
        ok(E.isRight(r), `written numbers do not parse: ${E.isLeft(r) ? r.left.message : ''}`);
        ok(r.right.length === cells.length && cells.every(([x], i) => Object.is(r.right[i], x)), 'numbers did not round-trip');
        cells.forEach(([x, s]) => ok(Object.is(probe('parseDecimal', () => parseDecimal(s), (v) => v === undefined), x), `parseDecimal(${s}) !== ${x}`));
        const missing = probe('parseNumericColumn', () => parseNumericColumn(text, 'values'), csvLeft);
        ok(E.isLeft(missing) && missing.left.code === 'csv-missing-column', 'a missing column is not csv-missing-column');
      }),
      0xc5a05,
      300,
    );
  });

  it('TSV pairs round-trip; random decimal-looking strings are read strictly', () => {
    const sideArb = fc.array(fc.constantFrom('a', 'bc', 'é', '😀', ' ', '#', 'c#', '1', '"', ',', '\u0000'), { minLength: 1, maxLength: 5 })
      .map((ts) => ts.join(''))
      .filter((s) => s !== '' && s === s.trim() && !/(^|\s)#/.test(s));
    check(
      fc.property(fc.array(fc.tuple(sideArb, sideArb), { maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), (pairs, eol, comments) => {
        const lines = pairs.map(([a, b]) => `${a}\t${b}${comments ? ' # note\t\t' : ''}`);
        const text = (comments ? ['# header comment', '', ...lines] : lines).join(eol);
        const r = probe('parseTsvPairs', () => parseTsvPairs(text), csvLeft);
        ok(E.isRight(r), `written pairs do not parse: ${E.isLeft(r) ? r.left.message : ''}`);
        ok(JSON.stringify(r.right.pairs) === JSON.stringify(pairs), 'TSV pairs did not round-trip');
      }),
      0xc5a06,
      300,
    );
    check(
      fc.property(fc.array(fc.constantFrom('1', '0', '9', '.', 'e', 'E', '+', '-', ' ', 'x', 'Infinity', '_', '\u00a0', '٣'), { maxLength: 12 }), (ts) => checkDecimal(ts.join(''))),
      0xc5a07,
      500,
    );
  });

  it('CSV options: a RangeError exactly when the delimiter or quote is invalid (the documented contract)', () => {
    const charArb = fc.oneof(fc.constantFrom(',', ';', '"', "'", '\t', '\n', '\r', '', ',,', '😀', 'ab', '|'), fc.string({ maxLength: 2 }));
    check(
      fc.property(csvTextArb, charArb, charArb, (text, delimiter, quote) => {
        const valid = (c: string): boolean => c.length === 1 && c !== '\n' && c !== '\r';
        const legal = valid(delimiter) && valid(quote) && delimiter !== quote;
        const a = probeContract('parseCsv', () => parseCsv(text, { delimiter, quote }));
        const b = probeContract('parseNumericColumn', () => parseNumericColumn(text, 'a', { delimiter, quote }));
        ok((a === 'threw') === !legal && (b === 'threw') === !legal, `delimiter ${JSON.stringify(delimiter)}, quote ${JSON.stringify(quote)}: ${a}/${b}`);
      }),
      0xc5a08,
      300,
    );
  });
});

// =============================================================================================
// IDX

const IDX_CODES = Object.values(IDX_DTYPES) as number[];
const IDX_SIZE: Record<IdxDtype, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
const IDX_CLASS = { uint8: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array } as const;

const idxArb: fc.Arbitrary<{ dims: number[]; data: IdxData }> = fc
  .tuple(fc.constantFrom<IdxDtype>('uint8', 'int8', 'int16', 'int32', 'float32', 'float64'), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }))
  .chain(([dtype, dims]) => {
    const n = product(dims);
    const c = { minLength: n, maxLength: n };
    const data: fc.Arbitrary<IdxData> =
      dtype === 'uint8' ? fc.uint8Array(c) : dtype === 'int8' ? fc.int8Array(c) : dtype === 'int16' ? fc.int16Array(c) : dtype === 'int32' ? fc.int32Array(c) : dtype === 'float32' ? fc.float32Array(c) : fc.float64Array(c);
    return data.map((d) => ({ dims, data: d }));
  });

function checkIdxRight(r: ReturnType<typeof parseIdx>, bytes: Uint8Array): void {
  if (E.isLeft(r)) return;
  const { dtype, dims, data } = r.right;
  ok(Object.hasOwn(IDX_SIZE, dtype) && data instanceof IDX_CLASS[dtype], `dtype ${dtype} with a ${data.constructor.name}`);
  ok(dims.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff), `dims [${dims.join(', ')}]`);
  ok(data.length === product(dims), `${data.length} values for dims [${dims.join(', ')}]`);
  ok(bytes.length === 4 + 4 * dims.length + data.length * IDX_SIZE[dtype], 'the Right does not account for every byte');
  // the header and the values, read independently (big-endian)
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  ok(bytes[0] === 0 && bytes[1] === 0 && IDX_CODES.includes(bytes[2]!) && IDX_DTYPES[dtype] === bytes[2] && dims.length === bytes[3], 'the magic does not match the Right');
  dims.forEach((d, k) => ok(d === v.getUint32(4 + 4 * k, false), `dim ${k} is not the header's`));
  const at = 4 + 4 * dims.length;
  const size = IDX_SIZE[dtype];
  for (let i = 0; i < data.length; i++) {
    const p = at + size * i;
    const want = dtype === 'uint8' ? v.getUint8(p) : dtype === 'int8' ? v.getInt8(p) : dtype === 'int16' ? v.getInt16(p, false) : dtype === 'int32' ? v.getInt32(p, false) : dtype === 'float32' ? v.getFloat32(p, false) : v.getFloat64(p, false);
    ok(Object.is(data[i], want), `value ${i}: ${data[i]} but the bytes say ${want}`);
  }
}

function sameIdx(a: IdxData, b: IdxData): boolean {
  return a.constructor === b.constructor && a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

const idx = (bytes: Uint8Array, options?: Parameters<typeof parseIdx>[1]): ReturnType<typeof parseIdx> => probe('parseIdx', () => parseIdx(bytes, options), isLeftE);

describe('fuzz: IDX', () => {
  it('unmutated files round-trip, also from a subarray at an odd offset and through gzip', () => {
    check(
      fc.property(idxArb, fc.integer({ min: 1, max: 7 }), ({ dims, data }, offset) => {
        const bytes = encodeIdx(dims, data);
        const r = idx(bytes);
        ok(E.isRight(r) && sameIdx(r.right.data, data) && JSON.stringify(r.right.dims) === JSON.stringify(dims), 'a valid IDX file did not round-trip');
        checkIdxRight(r, bytes);
        const big = new Uint8Array(bytes.length + offset + 3);
        big.set(bytes, offset);
        const sub = idx(big.subarray(offset, offset + bytes.length));
        ok(E.isRight(sub) && sameIdx(sub.right.data, data), 'an IDX file inside a larger buffer did not round-trip');
        // a Node Buffer (small ones share an 8 KiB pool: slice() views it, .buffer is all of it)
        const buf = idx(Buffer.from(bytes));
        ok(E.isRight(buf) && sameIdx(buf.right.data, data), 'an IDX file in a Buffer did not round-trip');
        const gz = gzipSync(bytes);
        const z = idx(gz, { gunzip: (b) => gunzipSync(b) });
        ok(E.isRight(z) && sameIdx(z.right.data, data), 'a gzipped IDX file did not round-trip');
        const noGunzip = idx(gz);
        ok(E.isLeft(noGunzip) && noGunzip.left.code === 'gzip-unsupported', 'gzip without gunzip is not gzip-unsupported');
        const cut = idx(gz.subarray(0, Math.max(2, gz.length - 1 - (offset % gz.length))), { gunzip: (b) => gunzipSync(b) });
        ok(E.isLeft(cut) && cut.left.code === 'gzip-error', 'a truncated gzip stream is not gzip-error');
      }),
      0x1d801,
      200,
    );
  });

  it('every truncation is idx-truncated; trailing bytes are idx-trailing-bytes', () => {
    check(
      fc.property(idxArb, fc.uint8Array({ minLength: 1, maxLength: 16 }), ({ dims, data }, junk) => {
        const bytes = encodeIdx(dims, data);
        const step = Math.max(1, Math.floor(bytes.length / 150));
        for (let n = 0; n < bytes.length; n += step) {
          const r = idx(bytes.subarray(0, n));
          ok(E.isLeft(r) && r.left.code === 'idx-truncated', `cut to ${n} of ${bytes.length}: ${E.isLeft(r) ? r.left.code : 'Right'}`);
        }
        const longer = new Uint8Array(bytes.length + junk.length);
        longer.set(bytes);
        longer.set(junk, bytes.length);
        const t = idx(longer);
        ok(E.isLeft(t) && t.left.code === 'idx-trailing-bytes' && t.left.byteOffset === bytes.length, 'trailing bytes are not idx-trailing-bytes at the end of the data');
      }),
      0x1d802,
      150,
    );
  });

  it('mutated magic, dtype byte, rank, dims and random bit flips: never a throw, every Right well-formed', () => {
    const mutationArb = fc.oneof(
      fc.record({ at: fc.constantFrom(0, 1), value: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ at: fc.constant(2), value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...IDX_CODES)) }),
      fc.record({ at: fc.constant(3), value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 6 })) }),
      fc.record({ dim: fc.nat(), value: fc.oneof(fc.nat({ max: 6 }), fc.constantFrom(0, 0xffffffff, 2 ** 31, 2 ** 16)) }),
      fc.record({ flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 6 }) }),
    );
    check(
      fc.property(idxArb, mutationArb, ({ dims, data }, m) => {
        const bytes = encodeIdx(dims, data).slice();
        const view = new DataView(bytes.buffer);
        if ('at' in m) bytes[m.at] = m.value;
        else if ('dim' in m) {
          if (dims.length === 0) return;
          view.setUint32(4 + 4 * (m.dim % dims.length), m.value, false);
        } else for (const [p, bit] of m.flips) bytes[p % bytes.length]! ^= 1 << bit;
        const r = idx(bytes);
        checkIdxRight(r, bytes);
        if ('at' in m && m.at < 2) ok(E.isLeft(r) && (r.left.code === 'idx-bad-magic' || r.left.code === 'gzip-unsupported'), 'a bad magic byte is not idx-bad-magic');
        if ('at' in m && m.at === 2 && !IDX_CODES.includes(m.value)) ok(E.isLeft(r) && r.left.code === 'idx-unknown-dtype', 'an unknown dtype byte is not idx-unknown-dtype');
      }),
      0x1d803,
      600,
    );
  });

  it('inputs that are not a Uint8Array (ArrayBuffer, number[], other typed arrays, anything) and gunzip results that are not bytes are Lefts', () => {
    const notBytesArb = fc.oneof(
      idxArb.map(({ dims, data }) => encodeIdx(dims, data)).chain((b) =>
        fc.constantFrom<unknown>(b.buffer, Array.from(b), new Int8Array(b.buffer), new Uint16Array(b.length), new Uint8ClampedArray(b), new DataView(b.buffer), b.toString()),
      ),
      fc.anything({ maxDepth: 2, withTypedArray: true, withNullPrototype: true }).filter((x) => !(x instanceof Uint8Array)),
    );
    check(
      fc.property(notBytesArb, fc.anything({ maxDepth: 1 }).filter((x) => !(x instanceof Uint8Array)), (input, gunzipped) => {
        const r = idx(input as Uint8Array);
        ok(E.isLeft(r) && r.left.code === 'idx-bad-magic' && r.left.byteOffset === 0, 'a non-Uint8Array input is not an idx-bad-magic Left');
        const z = idx(new Uint8Array([0x1f, 0x8b, 8, 0]), { gunzip: () => gunzipped as Uint8Array });
        ok(E.isLeft(z) && z.left.code === 'idx-bad-magic', 'a gunzip result that is not bytes is not a Left');
      }),
      0x1d805,
      200,
    );
  });

  it('random bytes (and random bytes after a valid magic)', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...IDX_CODES), fc.integer({ min: 0, max: 4 }), (raw, code, rank) => {
        checkIdxRight(idx(raw), raw);
        const b = new Uint8Array(4 + raw.length);
        b.set([0, 0, code, rank]);
        b.set(raw, 4);
        checkIdxRight(idx(b), b);
      }),
      0x1d804,
      500,
    );
  });
});

// =============================================================================================
// fromData

type Spec = (number | string)[];
const SYMBOLS = ['batch', 'n', 'seq'];

function nest(flat: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [d, ...rest] = shape as [number, ...number[]];
  const step = product(rest);
  return Array.from({ length: d }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}

/** What a valid value is stored as (float32 rounds; booleans are 1/0). */
function stored(x: number | boolean, dtype: DType): number {
  const v = typeof x === 'boolean' ? (x ? 1 : 0) : x;
  return dtype === 'float32' ? Math.fround(v) : dtype === 'int32' ? v | 0 : v ? 1 : 0;
}

const valueArb = (dtype: DType): fc.Arbitrary<number | boolean> =>
  dtype === 'float32'
    ? fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e40, 1e-50), fc.boolean())
    : dtype === 'int32'
      ? fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(-0, 2 ** 31 - 1, -(2 ** 31)), fc.boolean())
      : fc.oneof(fc.boolean(), fc.constantFrom(0, 1, -0));

/** A shape nested arrays can express (nothing after a 0 dim) and values of the dtype. */
const nestedCaseArb = fc
  .tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }))
  .chain(([dtype, raw]) => {
    const z = raw.indexOf(0);
    const shape = z < 0 ? raw : raw.slice(0, z + 1);
    const n = product(shape);
    return fc.tuple(
      fc.constant(dtype),
      fc.constant(shape),
      fc.array(valueArb(dtype), { minLength: n, maxLength: n }),
      fc.array(fc.oneof(fc.constant<'literal'>('literal'), fc.constantFrom(...SYMBOLS)), { minLength: shape.length, maxLength: shape.length }),
      fc.boolean(),
    );
  });

function checkFromDataLeft(r: E.Either<ShapeError, unknown>): void {
  if (E.isRight(r)) return;
  ok(r.left instanceof ShapeError, `a Left that is not a ShapeError: ${String(r.left)}`);
  ok(r.left.message.startsWith('fromData:'), `a Left that does not name fromData: ${r.left.message.slice(0, 120)}`);
}

/** The row-major values a Right must hold: nested leaves in order, or a typed array's elements. */
function expectedFromData(data: unknown, dtype: DType): number[] {
  if (ArrayBuffer.isView(data)) return Array.from(data as unknown as ArrayLike<number | bigint>, (x) => stored(Number(x), dtype));
  const out: number[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) walk(node[i]);
    else out.push(stored(node as number | boolean, dtype));
  };
  walk(data);
  return out;
}

function checkFromDataRight(r: E.Either<ShapeError, Tensor<number[], DType>>, spec: unknown, dtype: unknown, data?: unknown): void {
  if (E.isLeft(r)) return;
  wellFormedTensor(r.right, 'fromData');
  if (data !== undefined) {
    const want = expectedFromData(data, r.right.dtype);
    const got = r.right.dataSync();
    ok(got.length === want.length && want.every((x, i) => Object.is(got[i], x)), 'a Right whose values are not the input values');
  }
  const want = dtype === undefined ? 'float32' : dtype;
  ok(r.right.dtype === want, `dtype ${r.right.dtype}, asked for ${String(want)}`);
  ok(Array.isArray(spec), 'a Right for a shape that is not an array');
  const s = r.right.shape as readonly number[];
  ok(spec.length === s.length, `rank ${s.length} for spec of rank ${spec.length}`);
  spec.forEach((d, i) => ok(typeof d === 'string' || (typeof d === 'number' && d === s[i]), `dim ${i}: ${s[i]} for spec ${String(d)}`));
}

const fd = (data: unknown, shape: unknown, options?: unknown, budgetMs = CALL_BUDGET_MS): E.Either<ShapeError, Tensor<number[], DType>> =>
  probe('fromData', () => fromData(data, shape as never, options as never) as unknown as E.Either<ShapeError, Tensor<number[], DType>>, isLeftE, budgetMs);

describe('fuzz: fromData', () => {
  it('valid nested arrays round-trip with literal and symbolic dims', () => {
    check(
      fc.property(nestedCaseArb, ([dtype, shape, values, kinds, passDtype]) => {
        const spec: Spec = shape.map((d, i) => (kinds[i] === 'literal' ? d : kinds[i]!));
        const asked = dtype === 'float32' && !passDtype ? undefined : dtype;
        const r = fd(nest(values, shape), spec, asked === undefined ? undefined : { dtype: asked });
        ok(E.isRight(r), `valid data is a Left: ${E.isLeft(r) ? r.left.message : ''}`);
        checkFromDataRight(r, spec, asked);
        ok(JSON.stringify(r.right.shape) === JSON.stringify(shape), `shape [${r.right.shape.join(', ')}] for [${shape.join(', ')}]`);
        const got = r.right.dataSync();
        values.forEach((v, i) => ok(Object.is(got[i], stored(v, dtype)), `value ${i}: ${got[i]} for ${String(v)}`));
      }),
      0xfd01,
      400,
    );
  });

  it('flat typed arrays: a Right exactly when every value fits the dtype and the shape fills', () => {
    const ctors = [Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Int16Array, Uint16Array, Uint32Array, Uint8ClampedArray] as const;
    check(
      fc.property(
        fc.constantFrom(...DTYPES),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        fc.nat({ max: ctors.length }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(fc.oneof(fc.double(), fc.integer({ min: -300, max: 300 }), fc.constantFrom(0, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 - 1)), { maxLength: 64 }),
        fc.integer({ min: -1, max: 1 }),
        (dtype, shape, c, symbolic, pool, lengthDelta) => {
          const n = Math.max(0, product(shape) + lengthDelta);
          const nums = Array.from({ length: n }, (_, i) => pool[i % Math.max(1, pool.length)] ?? 0);
          const data = c === ctors.length ? BigInt64Array.from(nums.map((x) => BigInt(Math.trunc(Number.isFinite(x) ? Math.max(-(2 ** 40), Math.min(2 ** 40, x)) : 0)))) : new ctors[c]!(nums);
          const k = symbolic === undefined || shape.length === 0 ? -1 : symbolic % shape.length;
          const spec: Spec = shape.map((d, i) => (i === k ? 'batch' : d));
          const r = fd(data, spec, { dtype });
          checkFromDataLeft(r);
          checkFromDataRight(r, spec, dtype);
          const values = Array.from(data as ArrayLike<number | bigint>, Number);
          const fits = values.every((x) => (dtype === 'float32' ? true : dtype === 'int32' ? Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 : x === 0 || x === 1));
          const known = product(shape.filter((_, i) => i !== k));
          const fills = k < 0 ? values.length === product(shape) : known !== 0 && values.length % known === 0;
          ok(E.isRight(r) === (fits && fills), `${data.constructor.name}(${values.length}) as ${dtype} [${spec.join(', ')}]: ${E.isLeft(r) ? r.left.message : 'Right'} (fits ${fits}, fills ${fills})`);
          if (E.isRight(r)) {
            const got = r.right.dataSync();
            values.forEach((x, i) => ok(Object.is(got[i], stored(x, dtype)), `value ${i}: ${got[i]} for ${x}`));
          }
        },
      ),
      0xfd02,
      500,
    );
  });

  it('ragged, non-numeric and out-of-range mutations of valid data are Lefts naming fromData', () => {
    const hostile = fc.constantFrom<unknown>('1', null, undefined, {}, [], [1], Symbol('s'), 1n, () => 1, NaN, new Float32Array(1), new Date(0), Object.create(null), 2, -1, 0.5, 2 ** 31, Infinity);
    check(
      fc.property(nestedCaseArb, fc.nat(), fc.constantFrom('replace', 'drop', 'push', 'wrap', 'flattenRow'), hostile, ([dtype, shape, values], at, how, bad) => {
        if (values.length === 0 || shape.length === 0) return;
        const data = nest(values, shape) as unknown[];
        // walk to a random innermost array
        let parent = data;
        for (let depth = 0; depth < shape.length - 1; depth++) parent = parent[at % parent.length] as unknown[];
        const i = at % parent.length;
        let mustFail = true;
        if (how === 'replace') {
          parent[i] = bad;
          // only a number the dtype can hold may replace a value
          mustFail = !(typeof bad === 'number' && (dtype === 'float32' || (dtype === 'int32' ? Number.isInteger(bad) && Math.abs(bad) < 2 ** 31 : bad === 0 || bad === 1)));
        } else if (how === 'drop') parent.splice(i, 1); // a length that differs from the literal shape, or ragged
        else if (how === 'push') parent.push(values[0]);
        else if (how === 'wrap') parent[i] = [parent[i]]; // one level too deep
        else {
          if (shape.length < 2) return;
          data[at % data.length] = values[0]; // a value where a row belongs
        }
        const r = fd(data, shape, { dtype });
        checkFromDataLeft(r);
        checkFromDataRight(r, shape, dtype, data);
        ok(!mustFail || E.isLeft(r), `mutation ${how} at ${at} (${typeof bad}) is a Right`);
      }),
      0xfd03,
      400,
    );
  });

  it('anything as data, shape and dtype: never a throw; Lefts are ShapeErrors naming fromData', () => {
    const anyArb = fc.anything({ maxDepth: 3, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withDate: true });
    const specArb = fc.oneof(
      fc.array(fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom(...SYMBOLS), fc.constantFrom<unknown>(null, undefined, NaN, 1.5, Infinity, {}, [], true, 2 ** 53)), { maxLength: 4 }),
      anyArb,
    );
    const dtypeArb = fc.oneof(fc.constantFrom<unknown>('float32', 'int32', 'bool', undefined, 'float64', 'toString', '', 0, null), anyArb);
    const optionsArb = fc.oneof(dtypeArb.map((dtype) => ({ dtype })), fc.constantFrom<unknown>(undefined, null, 5, 'int32', Object.create(null)));
    check(
      fc.property(fc.oneof(anyArb, fc.array(anyArb, { maxLength: 4 })), specArb, optionsArb, (data, spec, options) => {
        const dtype = (options as { dtype?: unknown } | null | undefined)?.dtype;
        const r = fd(data, spec, options);
        checkFromDataLeft(r);
        checkFromDataRight(r, spec, typeof options === 'object' && options !== null ? dtype : undefined, data);
      }),
      0xfd04,
      400,
    );
  });

  it('deeply nested arrays (up to 20,000 levels) are a Right or a Left, never a stack overflow', () => {
    // the depth is the generated value (the nested array itself is too deep for fast-check to print)
    check(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 20_000 })), fc.boolean(), (depth, literal) => {
        let deep: unknown = 1;
        for (let i = 0; i < depth; i++) deep = [deep];
        const spec = literal ? Array<number>(depth).fill(1) : Array<string>(depth).fill('n');
        // linear in the depth: a few ms for 20,000 levels (the recursive shape inference took ~750 ms for 5,000)
        const d = fd(deep, spec, undefined, PUMPED_BUDGET_MS);
        checkFromDataLeft(d);
        checkFromDataRight(d, spec, undefined);
      }),
      0xfd05,
      30,
    );
  });
});
