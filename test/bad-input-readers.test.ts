/**
 * Readers at the untyped boundary (issue 19, part 1): every finding of the fuzzing round has a
 * test here. Inherited names as safetensors dtypes, quadratic number parsing, bool / int32
 * data that the typed arrays would silently wrap or truncate, IDX dims whose product
 * overflows, and the documented throwing contract of the CSV options.
 */
import { describe, expect, it } from 'vitest';
import { either as E } from 'fp-ts';
import { loadSafetensors, readSafetensors } from '../src/io/safetensors';
import { parseCsv, parseDecimal, parseNumericColumn, parseLabelTextCsv, parseTsvPairs } from '../src/data/csv';
import { parseIdx } from '../src/data/idx';
import { fromData, tensor } from '../src/tensor/create';
import { ShapeError } from '../src/shape/dims';
import { activationFn } from '../src/nn/activation';
import { makeTensor } from '../src/tensor/tensor';
import { encodeIdx } from '../src/data/idx';
import { parseIdxNode } from '../src/data/node';
import { gzipSync } from 'node:zlib';

/** A safetensors file from a header object and a data length. */
function file(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

const PROTO_NAMES = ['toString', 'valueOf', 'constructor', 'hasOwnProperty', '__proto__', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__'];

describe('safetensors: a dtype that is an Object.prototype name', () => {
  for (const dtype of PROTO_NAMES) {
    it(`'${dtype}' is a Left 'header' error from both readers, never an exception`, () => {
      const bytes = file({ b: { dtype, shape: [4], data_offsets: [0, 16] } }, 16);
      const r = readSafetensors(bytes);
      expect(E.isLeft(r) && r.left.kind).toBe('header');
      expect(E.isLeft(r) && r.left.message).toContain('unknown dtype');
      const like = { b: makeTensor([4], 'float32', new Float32Array(4)) };
      const l = loadSafetensors(bytes, like);
      expect(E.isLeft(l) && l.left.kind).toBe('header');
    });
  }
  it('prototype names as tensor names and metadata keys load as ordinary names', () => {
    const bytes = file({ __metadata__: { constructor: 'x' }, toString: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    const r = readSafetensors(bytes);
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) {
      expect(Object.keys(r.right.tensors)).toEqual(['toString']);
      expect(r.right.metadata['constructor']).toBe('x');
    }
  });
});

describe('parseDecimal is linear in the length of the cell', () => {
  it('accepts and rejects as before', () => {
    for (const [s, v] of [['1', 1], ['-1.5', -1.5], ['+.5', 0.5], ['3.', 3], ['1e3', 1000], [' 2.5E-1 ', 0.25]] as const) expect(parseDecimal(s)).toBe(v);
    for (const s of ['', '.', 'NaN', 'NA', 'Infinity', '0x10', '1,5', '1e', '1.2.3', '--1', '1e400']) expect(parseDecimal(s)).toBeUndefined();
  });
  it('a 2,000,000-digit cell ending in a non-digit is rejected at once (quadratic backtracking would take hours)', () => {
    // 2e6 digits: a quadratic matcher does ~2e12 steps; the linear one ~2e6 (a few ms). The
    // budget is generous (2 s on a loaded machine) and still 1000x below the quadratic time.
    const cell = '1'.repeat(2_000_000) + 'x';
    const t0 = performance.now();
    expect(parseDecimal(cell)).toBeUndefined();
    expect(parseDecimal('1'.repeat(2_000_000) + '.' + '2'.repeat(100) + 'e')).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
  it('a numeric column with a hostile cell is a Left quickly', () => {
    const csv = `value\n1\n${'9'.repeat(500_000)}.5.5\n`;
    const t0 = performance.now();
    const r = parseNumericColumn(csv, 'value');
    expect(E.isLeft(r) && r.left.code).toBe('not-a-number');
    expect(E.isLeft(r) && r.left.line).toBe(3);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('fromData maps or rejects values the dtype cannot hold', () => {
  it('bool: true/false and 0/1 are stored as 0/1', () => {
    const r = fromData([true, false, 1, 0], [4], { dtype: 'bool' });
    expect(E.isRight(r) && Array.from(r.right.dataSync())).toEqual([1, 0, 1, 0]);
    const flat = fromData(new Float32Array([0, 1, 1]), [3], { dtype: 'bool' });
    expect(E.isRight(flat) && Array.from(flat.right.dataSync())).toEqual([0, 1, 1]);
  });
  it('bool: 2, 256, -1, 0.5 and NaN are Lefts naming the value and where it is', () => {
    for (const [v, at] of [[2, '[1]'], [256, '[1]'], [-1, '[1]'], [0.5, '[1]'], [NaN, '[1]']] as const) {
      const r = fromData([1, v], [2], { dtype: 'bool' });
      expect(E.isLeft(r)).toBe(true);
      if (E.isLeft(r)) {
        expect(r.left).toBeInstanceOf(ShapeError);
        expect(r.left.message).toContain(`bool value ${v} at ${at}`);
      }
    }
    const flat = fromData(new Float32Array([0, 2]), [2], { dtype: 'bool' });
    expect(E.isLeft(flat) && flat.left.message).toContain('bool value 2 at index 1');
    const single = fromData(256, [], { dtype: 'bool' });
    expect(E.isLeft(single)).toBe(true);
  });
  it('int32: fractions, NaN, ±Infinity and out-of-range values are Lefts, not truncated to 0', () => {
    for (const v of [-0.577, 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1]) {
      const r = fromData([[1, v]], [1, 2], { dtype: 'int32' });
      expect(E.isLeft(r) && r.left.message).toContain(`int32 value ${v} at [0][1] is not an integer`);
    }
    const flat = fromData(new Float64Array([1, -0.577]), [2], { dtype: 'int32' });
    expect(E.isLeft(flat) && flat.left.message).toContain('int32 value -0.577 at index 1');
    const ok = fromData([2 ** 31 - 1, -(2 ** 31), -0, 7], [4], { dtype: 'int32' });
    expect(E.isRight(ok) && Array.from(ok.right.dataSync())).toEqual([2 ** 31 - 1, -(2 ** 31), 0, 7]);
  });
  it('float32 keeps NaN and ±Infinity (they are float values)', () => {
    const r = fromData([NaN, Infinity, -Infinity, 0.1], [4]);
    expect(E.isRight(r) && Array.from(r.right.dataSync())).toEqual([NaN, Infinity, -Infinity, Math.fround(0.1)]);
  });
  it('an unknown dtype option is a Left (it used to allocate a Uint8Array)', () => {
    const r = fromData([1, 2], [2], { dtype: 'float64' as never });
    expect(E.isLeft(r) && r.left.message).toContain("dtype must be 'float32', 'int32' or 'bool'");
  });
  it('non-numbers are Lefts naming the path', () => {
    const r = fromData([1, 'a'], [2]);
    expect(E.isLeft(r) && r.left.message).toContain('expected a number at [1], got string');
    const n = fromData([[1], [null]], [2, 1]);
    expect(E.isLeft(n) && n.left.message).toContain('got null');
  });
  it('tensor() applies the same rule and throws a ShapeError', () => {
    expect(() => tensor([2], 'bool')).toThrow(ShapeError);
    expect(() => tensor([0.5], 'int32')).toThrow(/int32 value 0.5 at \[0\]/);
    expect(Array.from(tensor([true, false]).dataSync())).toEqual([1, 0]);
  });
});

describe('parseIdx: dims whose product overflows', () => {
  const idx = (dims: number[], junk: number): Uint8Array => {
    const out = new Uint8Array(4 + 4 * dims.length + junk);
    out[2] = 0x08;
    out[3] = dims.length;
    const view = new DataView(out.buffer);
    dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
    return out;
  };
  it('33 dims of 2^32-1 then a 0 dim then 3 junk bytes is a Left (the product is 0, the junk is trailing)', () => {
    // the case: magic 00 00 08 22 (34 dims)
    const r = parseIdx(idx([...Array<number>(33).fill(0xffffffff), 0], 3));
    expect(E.isLeft(r) && r.left.code).toBe('idx-trailing-bytes');
  });
  it('the same dims with no junk is the empty array it describes', () => {
    const r = parseIdx(idx([...Array<number>(33).fill(0xffffffff), 0], 0));
    expect(E.isRight(r) && r.right.data.length).toBe(0);
  });
  it('huge dims with no zero are idx-too-large, with a message that does not print a partial product', () => {
    const r = parseIdx(idx(Array<number>(40).fill(0xffffffff), 0));
    expect(E.isLeft(r) && r.left.code).toBe('idx-too-large');
    expect(E.isLeft(r) && r.left.message).toContain('more than 2147483647 bytes');
  });
});

describe('throwing contract of the text readers', () => {
  it('parseCsv and parseNumericColumn throw RangeError for bad options (programming errors) and document it', () => {
    expect(() => parseCsv('a,b', { delimiter: ',,' })).toThrow(RangeError);
    expect(() => parseCsv('a,b', { quote: '\n' })).toThrow(RangeError);
    expect(() => parseCsv('a,b', { delimiter: '"' })).toThrow(/must differ/);
    expect(() => parseNumericColumn('a\n1', 'a', { delimiter: '' })).toThrow(RangeError);
  });
  it('no text makes a reader throw', () => {
    for (const text of ['', '\uFEFF', '"', 'a,"b', '\r\r\n', 'x\ty\tz', '#only comment', '"a""', '\u0000,\u0000']) {
      expect(() => parseCsv(text)).not.toThrow();
      expect(() => parseCsv(text, { header: true })).not.toThrow();
      expect(() => parseLabelTextCsv(text)).not.toThrow();
      expect(() => parseTsvPairs(text)).not.toThrow();
      expect(() => parseNumericColumn(text, 'x')).not.toThrow();
    }
  });
});

describe('option tables use own keys', () => {
  it("activationFn('toString') is a RangeError, not Object.prototype.toString", () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(() => activationFn(name as never)).toThrow(/unknown activation/);
  });
});

// ---------------------------------------------------------------------------------------------
// findings of the fast-check fuzz suite (test/fuzz-readers.test.ts)

/** A safetensors file from a raw header text and a data length. */
function fileText(headerText: string, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

describe('fuzz findings: safetensors', () => {
  it('a dtype nested 30,000 arrays deep is a header Left (String() of it overflowed the stack)', () => {
    const deep = '['.repeat(30_000) + '"F32"' + ']'.repeat(30_000);
    const bytes = fileText(`{"a":{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}}`, 4);
    const r = readSafetensors(bytes);
    expect(E.isLeft(r) && r.left.kind).toBe('header');
    expect(E.isLeft(r) && r.left.message).toContain('has an unknown dtype (an array of 1)');
    const l = loadSafetensors(bytes, { a: makeTensor([1], 'float32', new Float32Array(1)) });
    expect(E.isLeft(l) && l.left.kind).toBe('header');
    const obj = readSafetensors(fileText(`{"a":{"dtype":${'{"x":'.repeat(30_000)}1${'}'.repeat(30_000)},"shape":[1],"data_offsets":[0,4]}}`, 4));
    expect(E.isLeft(obj) && obj.left.message).toContain('has an unknown dtype (an object)');
  });
});

describe('fuzz findings: parseIdx on Node Buffers', () => {
  it('uint8 and int8 data are fresh arrays of the right length, not views of the Buffer (pool)', () => {
    // a small Buffer lives in a shared 8 KiB pool: Buffer#slice is a view, and its .buffer is the pool
    const u = parseIdx(Buffer.from(encodeIdx([3], new Uint8Array([1, 2, 3]))));
    expect(E.isRight(u) && u.right.data.constructor).toBe(Uint8Array);
    expect(E.isRight(u) && Array.from(u.right.data)).toEqual([1, 2, 3]);
    const input = Buffer.from(encodeIdx([3], new Int8Array([1, -2, 3])));
    const i8 = parseIdx(input);
    expect(E.isRight(i8) && i8.right.data.length).toBe(3);
    expect(E.isRight(i8) && Array.from(i8.right.data)).toEqual([1, -2, 3]);
    input[input.length - 1] = 9; // the result does not alias the input
    expect(E.isRight(i8) && i8.right.data[2]).toBe(3);
  });
  it('parseIdxNode on gzipped int8 data (gunzipSync returns a Buffer) gives the 3 values, not 16 KiB', () => {
    const r = parseIdxNode(gzipSync(encodeIdx([3], new Int8Array([1, -2, 3]))));
    expect(E.isRight(r) && r.right.data).toEqual(new Int8Array([1, -2, 3]));
  });
});

describe('fuzz findings: parseIdx on inputs that are not a Uint8Array', () => {
  it('an ArrayBuffer, a number[], null or a gunzip result that is not bytes is a Left (they threw TypeErrors)', () => {
    const bytes = encodeIdx([2], new Uint8Array([5, 6]));
    for (const [input, found] of [[bytes.buffer, 'ArrayBuffer'], [Array.from(bytes), 'Array'], [null, 'null'], [new Uint16Array(8), 'Uint16Array']] as const) {
      const r = parseIdx(input as never);
      expect(E.isLeft(r) && r.left).toMatchObject({ code: 'idx-bad-magic', byteOffset: 0, found });
      expect(E.isLeft(r) && r.left.message).toContain('expected the IDX bytes as a Uint8Array');
    }
    const z = parseIdx(gzipSync(bytes), { gunzip: () => 'inflated' as never });
    expect(E.isLeft(z) && z.left.message).toContain('the options.gunzip result is string');
    // a Buffer is a Uint8Array and still reads
    expect(E.isRight(parseIdx(Buffer.from(bytes)))).toBe(true);
  });
});

describe('fuzz findings: parseTsvPairs comments', () => {
  it('a comment containing U+2028 / U+2029 is stripped like any other', () => {
    const r = parseTsvPairs('a\tb # c\u2028d\ne\tf #\u2029');
    expect(E.isRight(r) && r.right.pairs).toEqual([['a', 'b'], ['e', 'f']]);
  });
  it('a line of 100,000 comment starts before a U+2028 is read in linear time', () => {
    // the old /(?:^|\s)#.*$/ retried at every '#' and scanned to the U+2028 each time (~10 s here)
    const t0 = performance.now();
    const r = parseTsvPairs('a\tb' + ' #'.repeat(100_000) + '\u2028x');
    expect(E.isRight(r) && r.right.pairs).toEqual([['a', 'b']]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('fuzz findings: fromData', () => {
  it('a non-numeric leaf found while inferring the shape is a Left naming fromData (it named tensor)', () => {
    for (const data of [[new Float32Array(1)], [{}], ['1']]) {
      const r = fromData(data, [1, 1]);
      expect(E.isLeft(r) && r.left.message).toMatch(/^fromData: expected a number, boolean or array at \[0\]/);
    }
  });
  it('a dim that is neither a non-negative integer nor a symbolic name is a Left (null passed as "any size")', () => {
    for (const [dim, shown] of [[null, 'null'], [undefined, 'undefined'], [-1, '-1'], [1.5, '1.5'], [NaN, 'NaN'], [{}, 'object']] as const) {
      for (const data of [[1, 2], new Float32Array(2)]) {
        const r = fromData(data, [dim as never]);
        expect(E.isLeft(r) && r.left.message).toBe(`fromData: dim 0 of the shape must be a non-negative integer or a symbolic name, got ${shown}`);
      }
    }
    // a hole in the shape array (it failed inside as 'shape: dims must be ...')
    // eslint-disable-next-line no-sparse-arrays
    const hole = fromData(new Uint16Array(0), [, ] as never);
    expect(E.isLeft(hole) && hole.left.message).toContain('fromData: dim 0 of the shape');
    const notArray = fromData([1], null as never);
    expect(E.isLeft(notArray) && notArray.left.message).toBe('fromData: shape must be an array of dims, got null');
  });
  it('a dtype without a string form is a Left, not a TypeError', () => {
    const r = fromData([1], [1], { dtype: Object.create(null) as never });
    expect(E.isLeft(r) && r.left.message).toBe("fromData: dtype must be 'float32', 'int32' or 'bool', got an object");
  });
  it('shape inference is linear in the nesting depth (the recursive spread was quadratic: ~0.75 s at 5,000)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const t0 = performance.now();
    const r = fromData(deep, Array<number>(5000).fill(1));
    expect(performance.now() - t0).toBeLessThan(300);
    // a Right of 5,000 unit dims where the stack allows, else a Left: never a throw
    if (E.isRight(r)) expect(r.right.size).toBe(1);
    else expect(r.left.message).toMatch(/^fromData:/);
  });
});

describe('fuzz findings: loadSafetensors into a template with a "__proto__" key', () => {
  it('the loaded tree keeps "__proto__" as an own key (the pytree rebuild assigned it, setting the prototype)', () => {
    const like: Record<string, unknown> = {};
    Object.defineProperty(like, '__proto__', { value: makeTensor([1], 'float32', new Float32Array([5])), enumerable: true, writable: true, configurable: true });
    const bytes = file({ ['__proto__']: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4);
    new DataView(bytes.buffer).setFloat32(bytes.length - 4, 7, true);
    // the computed key makes an own property named "__proto__" in the literal
    expect(Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(8, bytes.length - 4))))).toEqual(['__proto__']);
    const r = loadSafetensors(bytes, like);
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) {
      expect(Object.getPrototypeOf(r.right)).toBe(Object.prototype);
      expect(Object.keys(r.right)).toEqual(['__proto__']);
      expect(Array.from((Object.getOwnPropertyDescriptor(r.right, '__proto__')!.value as ReturnType<typeof makeTensor>).dataSync())).toEqual([7]);
    }
  });
});
