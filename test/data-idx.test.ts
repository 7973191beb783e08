import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { encodeIdx, isGzip, parseIdx, type IdxData, type IdxDtype } from '../src/data/idx';
import { gunzipEither, parseIdxNode, readFileEither, readIdxFile } from '../src/data/node';
import type { DataError } from '../src/data/types';
import { dataset } from './helpers/datasets';

function right<A>(e: E.Either<DataError, A>): A {
  if (E.isLeft(e)) throw new Error(`expected Right, got Left: ${e.left.message}`);
  return e.right;
}
function left<A>(e: E.Either<DataError, A>): DataError {
  if (E.isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
}


const makers: Record<IdxDtype, (n: number) => fc.Arbitrary<IdxData>> = {
  uint8: (n) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a)),
  int8: (n) => fc.array(fc.integer({ min: -128, max: 127 }), { minLength: n, maxLength: n }).map((a) => Int8Array.from(a)),
  int16: (n) => fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: n, maxLength: n }).map((a) => Int16Array.from(a)),
  int32: (n) => fc.array(fc.integer(), { minLength: n, maxLength: n }).map((a) => Int32Array.from(a)),
  float32: (n) => fc.array(fc.float({ noNaN: true }), { minLength: n, maxLength: n }).map((a) => Float32Array.from(a)),
  float64: (n) => fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }).map((a) => Float64Array.from(a)),
};
const dtypes = Object.keys(makers) as IdxDtype[];

const idxArray = fc
  .tuple(fc.constantFrom(...dtypes), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }))
  .chain(([dtype, dims]) => makers[dtype](dims.reduce((a, b) => a * b, 1)).map((data) => ({ dtype, dims, data })));

describe('parseIdx', () => {
  it('round-trips every dtype (encodeIdx → parseIdx), including 0-d and empty arrays', () => {
    fc.assert(
      fc.property(idxArray, ({ dtype, dims, data }) => {
        const back = right(parseIdx(encodeIdx(dims, data)));
        expect(back.dtype).toBe(dtype);
        expect(back.dims).toEqual(dims);
        expect(back.data.constructor).toBe(data.constructor);
        expect(Array.from(back.data)).toEqual(Array.from(data));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('decodes a hand-written big-endian file', () => {
    const bytes = Uint8Array.from([0, 0, 0x0b, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
    expect(right(parseIdx(bytes))).toEqual({ dtype: 'int16', dims: [1, 2], data: Int16Array.from([0x0102, -2]) });
  });

  it('returns Left with the byte offset for every truncation of every dtype, never throwing', () => {
    for (const [i, dtype] of dtypes.entries()) {
      const data = fc.sample(makers[dtype](6), { seed: i, numRuns: 1 })[0]!;
      const bytes = encodeIdx([2, 3], data);
      for (let cut = 0; cut < bytes.length; cut++) {
        const e = left(parseIdx(bytes.subarray(0, cut)));
        expect(e).toMatchObject({ code: 'idx-truncated', byteOffset: cut });
        expect(e.message).toContain(`byte offset ${cut}`);
      }
      expect(right(parseIdx(bytes)).dims).toEqual([2, 3]);
    }
  });

  it('rejects bad magic, unknown dtypes and trailing bytes; never throws on random bytes', () => {
    expect(left(parseIdx(Uint8Array.from([0, 1, 8, 0])))).toMatchObject({ code: 'idx-bad-magic', byteOffset: 1 });
    expect(left(parseIdx(Uint8Array.from([0, 0, 0x0a, 0])))).toMatchObject({ code: 'idx-unknown-dtype', byteOffset: 2, found: '0x0a' });
    const ok = encodeIdx([2], Uint8Array.from([1, 2]));
    expect(left(parseIdx(Uint8Array.from([...ok, 9])))).toMatchObject({ code: 'idx-trailing-bytes', byteOffset: ok.length });
    const huge = Uint8Array.from([0, 0, 0x0e, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(left(parseIdx(huge))).toMatchObject({ code: 'idx-too-large' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 5 }), (tail, nd) => {
        const r = parseIdx(Uint8Array.from([0, 0, 8, nd, ...tail]));
        expect(E.isLeft(r) || E.isRight(r)).toBe(true);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('handles gzip: Left without an inflater, inflates in Node, Left on every truncated stream', () => {
    const raw = encodeIdx([3, 2], Float32Array.from([1, 2, 3, 4, 5, 6.5]));
    const gz = gzipSync(raw);
    expect(isGzip(gz)).toBe(true);
    expect(left(parseIdx(gz))).toMatchObject({ code: 'gzip-unsupported', byteOffset: 0 });
    expect(Array.from(right(parseIdxNode(gz)).data)).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(right(parseIdxNode(raw)).dims).toEqual([3, 2]);
    for (let cut = 2; cut < gz.length; cut++) {
      const e = left(parseIdxNode(gz.subarray(0, cut)));
      expect(e.code).toBe('gzip-error');
    }
    expect(left(gunzipEither(Uint8Array.from([0x1f, 0x8b, 1, 2, 3])))).toMatchObject({ code: 'gzip-error' });
    // Offsets of a decompressed file are labelled as such.
    const truncatedInside = gzipSync(raw.subarray(0, raw.length - 1));
    expect(left(parseIdxNode(truncatedInside)).message).toContain('(of the decompressed data)');
  });

  it('reads the real MNIST label file (gzip) and reports unreadable paths as Left', () => {
    const path = dataset('images/mnist-2k-labels-idx1-ubyte.gz');
    const labels = right(readIdxFile(path));
    expect(labels.dtype).toBe('uint8');
    expect(labels.dims).toEqual([2000]);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels.data) counts[l] = counts[l]! + 1;
    expect(counts).toEqual(new Array(10).fill(200));
    expect(right(readFileEither(path)).length).toBe(readFileSync(path).length);
    expect(left(readFileEither('/nonexistent/file.idx'))).toMatchObject({ code: 'io-error' });
  });

  it('reads the gzipped MNIST 2k image file as [2000, 28, 28] uint8', () => {
    const images = right(readIdxFile(dataset('images/mnist-2k-images-idx3-ubyte.gz')));
    expect(images.dtype).toBe('uint8');
    expect(images.dims).toEqual([2000, 28, 28]);
    expect(images.data.length).toBe(2000 * 784);
    let max = 0;
    for (const v of images.data) max = Math.max(max, v);
    expect(max).toBe(255);
  });
});
