import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { loadSafetensors, readSafetensors, saveSafetensors, MAX_HEADER_BYTES, type IoError } from '../src/io/safetensors';
import { treeFlatten } from '../src/autodiff/pytree';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import type { DType } from '../src/tensor/dtype';
import { sequential } from '../src/nn/sequential';
import { dense } from '../src/nn/layers/core';
import { lstm } from '../src/nn/layers/recurrent';
import { key } from '../src/random';

type AnyT = Tensor<number[], DType>;

const t = (shape: number[], dtype: DType, values: ArrayLike<number>): AnyT => {
  const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
  return makeTensor(shape, dtype, data as never);
};

const bytesOf = (x: AnyT) => {
  const d = x.dataSync();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
};

function sameTree(a: unknown, b: unknown): void {
  const fa = treeFlatten(a);
  const fb = treeFlatten(b);
  expect(fb.paths).toEqual(fa.paths);
  fa.leaves.forEach((l, i) => {
    const m = fb.leaves[i]!;
    expect(m.dtype).toBe(l.dtype);
    expect([...m.shape]).toEqual([...l.shape]);
    expect(bytesOf(m as AnyT)).toEqual(bytesOf(l as AnyT)); // bit-exact, NaN payloads included
  });
}

const left = <A>(r: E.Either<IoError, A>): IoError => {
  if (E.isRight(r)) throw new Error('expected a Left');
  return r.left;
};

// ---------------------------------------------------------------- arbitraries

const arbShape = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 });

const arbTensor: fc.Arbitrary<AnyT> = fc
  .tuple(arbShape, fc.constantFrom<DType>('float32', 'int32', 'bool'))
  .chain(([shape, dtype]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (dtype === 'float32') {
      // any float32 bit pattern (NaNs with payloads, ±0, ±Infinity, subnormals), written through
      // a Uint32Array view so no NaN passes through a JS number (which may canonicalise it)
      return fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n }).map((bits) => makeTensor(shape, 'float32', new Float32Array(Uint32Array.from(bits).buffer)) as AnyT);
    }
    const el = dtype === 'int32' ? fc.integer({ min: -2147483648, max: 2147483647 }) : fc.integer({ min: 0, max: 1 });
    return fc.array(el, { minLength: n, maxLength: n }).map((vs) => t(shape, dtype, vs));
  });

const arbKeyName = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !k.includes('.') && k !== '__metadata__' && k !== '__proto__');

const { tree: arbTree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbTensor,
    fc.array(tie('tree'), { minLength: 1, maxLength: 3 }),
    fc.dictionary(arbKeyName, tie('tree'), { minKeys: 1, maxKeys: 3 }),
  ),
}));

// a pytree with at least one tensor, not a bare tensor (names must be non-empty paths)
const arbParams = fc.dictionary(arbKeyName, arbTree, { minKeys: 1, maxKeys: 4 });

// ---------------------------------------------------------------- round trips

describe('saveSafetensors / loadSafetensors round trips', () => {
  it('random pytrees of float32 / int32 / bool tensors round-trip bit-exactly', () => {
    fc.assert(
      fc.property(arbParams, fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), (params, meta) => {
        const bytes = saveSafetensors(params, meta);
        const loaded = loadSafetensors(bytes, params);
        expect(E.isRight(loaded)).toBe(true);
        if (E.isRight(loaded)) sameTree(params, loaded.right);
        const read = readSafetensors(bytes);
        if (E.isLeft(read)) throw new Error(read.left.message);
        expect(read.right.metadata).toEqual({ ...meta });
        const flat = treeFlatten(params);
        expect(Object.keys(read.right.tensors).sort()).toEqual([...flat.paths].sort());
        flat.paths.forEach((p, i) => expect(bytesOf(read.right.tensors[p]!)).toEqual(bytesOf(flat.leaves[i] as AnyT)));
      }),
      { seed: 42, numRuns: 120 },
    );
  });

  it('NaN payloads, signalling NaNs, -0 and subnormals keep their bits', () => {
    const bits = Uint32Array.of(0x7fc00001, 0xffa00000, 0x80000000, 0x00000001, 0x7f800000);
    const x = makeTensor([5], 'float32', new Float32Array(bits.buffer.slice(0)));
    const r = loadSafetensors(saveSafetensors({ x }), { x });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect([...new Uint32Array(r.right.x.dataSync().buffer)]).toEqual([...bits]);
  });

  it('the data starts 8-byte aligned and the header length field is right', () => {
    const bytes = saveSafetensors({ a: t([3], 'bool', [1, 0, 1]), b: t([2], 'float32', [1.5, -2]) }, { format: 'pt' });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    // widest dtype first: b (F32) at 0, then a (BOOL)
    expect(header).toEqual({
      __metadata__: { format: 'pt' },
      b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      a: { dtype: 'BOOL', shape: [3], data_offsets: [8, 11] },
    });
    expect(bytes.length).toBe(8 + n + 11);
    // a view into a larger buffer (e.g. a Node Buffer from a file) reads the same
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const r = readSafetensors(padded.subarray(3));
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.tensors['b']!.toArray()).toEqual([1.5, -2]);
    expect(r.right.tensors['a']!.toArray()).toEqual([true, false, true]);
  });

  it('a model\'s params load back with the params\' structure (names are key paths)', () => {
    const model = sequential(['batch', 5, 3], lstm(4), dense(2));
    const params = model.init(key(1));
    const bytes = saveSafetensors(params);
    const names = Object.keys(E.getOrElseW(() => ({ tensors: {} }))(readSafetensors(bytes)).tensors).sort();
    expect(names).toEqual(['0.bias', '0.kernel', '0.recurrentKernel', '1.bias', '1.kernel']);
    const back = loadSafetensors(bytes, model.init(key(2)));
    if (E.isLeft(back)) throw new Error(back.left.message);
    sameTree(params, back.right);
  });

  it('static leaves come from the template; name clashes and bad metadata throw on save', () => {
    const like = { w: t([1], 'float32', [0]), act: 'relu', n: 3 };
    const r = loadSafetensors(saveSafetensors({ w: t([1], 'float32', [7]), act: 'tanh', n: 4 }), like);
    expect(E.isRight(r) && r.right.act === 'relu' && r.right.n === 3 && r.right.w.item() === 7).toBe(true);
    expect(() => saveSafetensors({ 'a.b': t([1], 'float32', [0]), a: { b: t([1], 'float32', [0]) } })).toThrow(/both named 'a.b'/);
    expect(() => saveSafetensors({ __metadata__: t([1], 'float32', [0]) })).toThrow(/reserves/);
    expect(() => saveSafetensors({ w: t([1], 'float32', [0]) }, { v: 1 } as never)).toThrow(/metadata values must be strings/);
  });
});

// ---------------------------------------------------------------- the official format, by hand

/** a file written byte by byte as the format describes (independent of saveSafetensors) */
function handBuilt(header: Record<string, unknown>, data: Uint8Array, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('the official format', () => {
  // data: x F64 [2] at [0, 16), ids I64 [3] at [16, 40), w F32 [2, 2] at [40, 56), m BOOL [2] at [56, 58)
  const data = new Uint8Array(58);
  const dv = new DataView(data.buffer);
  dv.setFloat64(0, 0.1, true);
  dv.setFloat64(8, 1e300, true);
  [5n, -7n, 2147483647n].forEach((x, i) => dv.setBigInt64(16 + 8 * i, x, true));
  [1, 2, 3, 4].forEach((x, i) => dv.setFloat32(40 + 4 * i, x, true));
  data[56] = 1;
  data[57] = 0;
  const header = {
    w: { dtype: 'F32', shape: [2, 2], data_offsets: [40, 56] },
    __metadata__: { format: 'pt', note: 'hand built' },
    m: { dtype: 'BOOL', shape: [2], data_offsets: [56, 58] },
    x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
    ids: { dtype: 'I64', shape: [3], data_offsets: [16, 40] },
  };
  const file = handBuilt(header, data, 5);

  it('parses, with metadata, F64 → float32 (rounded) and I64 → int32', () => {
    const r = readSafetensors(file);
    if (E.isLeft(r)) throw new Error(r.left.message);
    const { tensors, metadata } = r.right;
    expect(metadata).toEqual({ format: 'pt', note: 'hand built' });
    expect(tensors['w']!.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensors['x']!.dtype).toBe('float32');
    expect([...tensors['x']!.dataSync()]).toEqual([Math.fround(0.1), Infinity]);
    expect(tensors['ids']!.dtype).toBe('int32');
    expect([...tensors['ids']!.dataSync()]).toEqual([5, -7, 2147483647]);
    expect(tensors['m']!.toArray()).toEqual([true, false]);
  });

  it('loads into a typed template', () => {
    const like = { w: t([2, 2], 'float32', [0, 0, 0, 0]), m: t([2], 'bool', [0, 0]), x: t([2], 'float32', [0, 0]), ids: t([3], 'int32', [0, 0, 0]) };
    const r = loadSafetensors(file, like);
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.ids.toArray()).toEqual([5, -7, 2147483647]);
    expect(r.right.m.dtype).toBe('bool');
  });

  it('a tensor named "__proto__" is an own entry, not a prototype', () => {
    const f = handBuilt(JSON.parse('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'), new Uint8Array(new Float32Array([3]).buffer));
    const r = readSafetensors(f);
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(Object.keys(r.right.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(r.right.tensors)).toBe(Object.prototype);
  });

  it('F16 and BF16 widen exactly; U8 0/1 reads as bool', () => {
    const d = new Uint8Array(12);
    const v = new DataView(d.buffer);
    [0x3c00, 0xc000, 0x0001, 0x7c00].forEach((h, i) => v.setUint16(2 * i, h, true)); // 1, -2, 2^-24, inf
    v.setUint16(8, 0x3fc0, true); // bf16 1.5
    v.setUint16(10, 0x0101, true); // two U8 ones
    const f = handBuilt(
      { h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [1], data_offsets: [8, 10] }, u: { dtype: 'U8', shape: [2], data_offsets: [10, 12] } },
      d,
    );
    const r = readSafetensors(f);
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect([...r.right.tensors['h']!.dataSync()]).toEqual([1, -2, 2 ** -24, Infinity]);
    expect(r.right.tensors['b']!.item()).toBe(1.5);
    expect(r.right.tensors['u']!.toArray()).toEqual([true, true]);
  });
});

// ---------------------------------------------------------------- precise errors

describe('precise Left errors', () => {
  const like = { a: t([2], 'float32', [1, 2]), b: { c: t([1, 2], 'int32', [3, 4]) } };
  const good = saveSafetensors(like);

  it('missing, unexpected, shape, dtype', () => {
    const missing = left(loadSafetensors(saveSafetensors({ a: like.a }), like));
    expect(missing).toMatchObject({ kind: 'missing', name: 'b.c' });
    const extra = left(loadSafetensors(saveSafetensors({ ...like, z: t([1], 'bool', [1]) }), like));
    expect(extra).toMatchObject({ kind: 'unexpected', name: 'z' });
    const shape = left(loadSafetensors(saveSafetensors({ a: t([3], 'float32', [1, 2, 3]), b: like.b }), like));
    expect(shape).toMatchObject({ kind: 'shape', name: 'a', expected: [2], actual: [3] });
    expect(shape.message).toBe("safetensors: tensor \"a\" has shape [3] but the template wants [2]");
    const dtype = left(loadSafetensors(saveSafetensors({ a: t([2], 'int32', [1, 2]), b: like.b }), like));
    expect(dtype).toMatchObject({ kind: 'dtype', name: 'a', expected: 'F32', actual: 'I32' });
  });

  it('values that do not fit: I64 beyond int32, U8 / BOOL other than 0/1', () => {
    const d = new Uint8Array(8);
    new DataView(d.buffer).setBigInt64(0, 2147483648n, true);
    expect(left(readSafetensors(handBuilt({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, d)))).toMatchObject({ kind: 'data', name: 'i' });
    expect(left(readSafetensors(handBuilt({ u: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, Uint8Array.of(7))))).toMatchObject({ kind: 'data', name: 'u' });
    expect(left(readSafetensors(handBuilt({ u: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, Uint8Array.of(7))))).toMatchObject({ kind: 'dtype', name: 'u', actual: 'I8' });
  });

  it('truncated data, oversized / corrupt headers, bad layouts', () => {
    expect(left(loadSafetensors(good.subarray(0, good.length - 1), like)).kind).toBe('truncated');
    expect(left(readSafetensors(new Uint8Array(5))).kind).toBe('truncated');
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(0, MAX_HEADER_BYTES + 1, true);
    expect(left(readSafetensors(huge))).toMatchObject({ kind: 'header' });
    expect(left(readSafetensors(huge)).message).toMatch(/exceeds the 100000000-byte cap/);
    const hi = good.slice();
    new DataView(hi.buffer).setUint32(4, 1, true); // a 2^32+ byte header
    expect(left(readSafetensors(hi)).kind).toBe('header');
    const bad = (h: unknown, data = new Uint8Array(8)) => left(readSafetensors(handBuilt(h as Record<string, unknown>, data)));
    expect(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }).message).toMatch(/needs 8 bytes but data_offsets span 4/);
    expect(bad({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }).message).toMatch(/gap before entry "a"/);
    expect(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }).message).toMatch(/overlaps/);
    expect(bad({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }).message).toMatch(/4 bytes after the last tensor/);
    expect(bad({ a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }).message).toMatch(/unknown dtype "F33"/);
    expect(bad({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }).message).toMatch(/invalid shape/);
    expect(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }).message).toMatch(/invalid data_offsets/);
    expect(bad({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }).message).toMatch(/needs over 2\^64 bytes but data_offsets span 8/);
    expect(bad({ __metadata__: { k: 1 }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).message).toMatch(/__metadata__ value "k" is not a string/);
    expect(bad([1, 2]).message).toMatch(/does not start with '\{'|not a JSON object/);
    const notJson = handBuilt({}, new Uint8Array(0));
    notJson[9] = 0x7b; // "{{"
    expect(left(readSafetensors(notJson)).message).toMatch(/not valid JSON/);
  });
});

// ---------------------------------------------------------------- fuzz

/** what a correct reader must return for `file`: each tensor's bytes at its declared offsets */
function checkAgainstHeader(file: Uint8Array, tensors: Record<string, AnyT>): void {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  expect(Object.keys(tensors).sort()).toEqual(names.sort());
  for (const name of names) {
    const h = header[name]!;
    const x = tensors[name]!;
    expect([...x.shape]).toEqual(h.shape);
    const raw = file.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]);
    if (h.dtype === 'F32' || h.dtype === 'I32' || h.dtype === 'BOOL') expect(bytesOf(x)).toEqual(new Uint8Array(raw));
  }
}

describe('fuzz: truncated and corrupted files', () => {
  const like = { w: t([2, 3], 'float32', [1, 2, 3, 4, 5, 6]), ids: t([3], 'int32', [7, 8, 9]), mask: t([2], 'bool', [1, 0]) };
  const file = saveSafetensors(like, { v: '1' });

  it('every proper prefix is a Left, the full file a Right', () => {
    for (let len = 0; len < file.length; len++) {
      const prefix = file.slice(0, len);
      const r = loadSafetensors(prefix, like);
      expect(E.isLeft(r), `prefix ${len}`).toBe(true);
      expect(E.isLeft(readSafetensors(prefix))).toBe(true);
    }
    expect(E.isRight(loadSafetensors(file, like))).toBe(true);
  });

  it('random byte corruption never throws: a Left or a Right that matches the header', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: file.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const f = file.slice();
        for (const [i, b] of edits) f[i] = b;
        const r = readSafetensors(f);
        const l = loadSafetensors(f, like);
        if (E.isRight(r)) checkAgainstHeader(f, r.right.tensors);
        if (E.isRight(l)) {
          expect(E.isRight(r)).toBe(true);
          const flat = treeFlatten(l.right);
          flat.leaves.forEach((x, i) => expect(x.dtype).toBe(treeFlatten(like).leaves[i]!.dtype));
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('random junk never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
        expect(E.isLeft(readSafetensors(junk))).toBe(true);
        expect(E.isLeft(loadSafetensors(junk, like))).toBe(true);
      }),
      { seed: 3, numRuns: 500 },
    );
  });
});
