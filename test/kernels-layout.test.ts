/**
 * CPU layout kernels checked differentially against TensorFlow.js (cpu backend) with
 * fast-check (fixed seeds), for Float32Array, Int32Array and Uint8Array inputs.
 * tfjs has no uint8 dtype: uint8 results are checked against our own int32 run of the same
 * values (which tfjs checked), plus the output class.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NumArray } from '../src/backend/backend';
import { concat, gather, oneHot, pad, scatterAdd, slice, tile, transpose } from '../src/backend/cpu/layout';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SEED = 42;

type DT = 'float32' | 'int32' | 'uint8';
const dtArb = fc.constantFrom<DT>('float32', 'int32', 'uint8');

const sizeOf = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

function rng(seed: number): () => number {
  let s = (seed | 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** distinct-ish values of the dtype, so misplaced elements show */
function data(dt: DT, n: number, seed: number): NumArray {
  const r = rng(seed);
  if (dt === 'float32') return Float32Array.from({ length: n }, () => (r() - 0.5) * 1000);
  if (dt === 'int32') return Int32Array.from({ length: n }, () => Math.floor((r() - 0.5) * 2e9));
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

function tfTensor(x: NumArray, shape: readonly number[]): tf.Tensor {
  return x instanceof Float32Array ? tf.tensor(x, [...shape], 'float32') : tf.tensor(Int32Array.from(x), [...shape], 'int32');
}

function tfData(f: () => tf.Tensor): number[] {
  return tf.tidy(() => Array.from(f().dataSync() as ArrayLike<number>));
}

/** exact equality with the oracle and the input's typed-array class */
function expectSame(ours: NumArray, like: NumArray, expected: ArrayLike<number>, what: string): void {
  expect(ours.constructor, `${what} class`).toBe(like.constructor);
  expect(Array.from(ours), what).toEqual(Array.from(expected));
}

const dimArb = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 6 }), fc.constantFrom(7, 9, 13));
const shapeArb = (minRank: number, maxRank: number) => fc.array(dimArb, { minLength: minRank, maxLength: maxRank });

/** a random permutation of [0, n) */
const permArb = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 1 << 20 }), { minLength: n, maxLength: n }).map((keys) =>
    keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i),
  );

describe('transpose', () => {
  const check = (dt: DT, shape: number[], perm: number[], seed: number): void => {
    const x = data(dt, sizeOf(shape), seed);
    const ours = transpose(x, shape, perm);
    const what = `${dt} ${JSON.stringify(shape)} perm ${JSON.stringify(perm)}`;
    expectSame(ours, x, tfData(() => tf.transpose(tfTensor(x, shape), perm)), what);
  };

  it('matches tfjs for random permutations, ranks 0–5, every dtype', () => {
    fc.assert(
      fc.property(shapeArb(0, 5).chain((s) => fc.tuple(fc.constant(s), permArb(s.length))), dtArb, fc.integer(), ([shape, perm], dt, seed) =>
        check(dt, shape, perm, seed),
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('covers the blocked paths across tile edges: 2-D, batched last-two swap, general', () => {
    for (const dt of ['float32', 'int32', 'uint8'] as const) {
      check(dt, [37, 70], [1, 0], 1);
      check(dt, [65, 33], [1, 0], 2);
      check(dt, [3, 33, 65], [0, 2, 1], 3);
      check(dt, [2, 35, 3, 40], [0, 3, 2, 1], 4);
      check(dt, [5, 34, 36], [2, 0, 1], 5);
      check(dt, [4, 1, 6, 1, 5], [4, 3, 2, 1, 0], 6);
      check(dt, [6, 5, 4], [1, 0, 2], 7); // innermost dim stays: run copies
      check(dt, [6, 5, 4], [0, 1, 2], 8); // identity: a copy
    }
  });

  it('moves float bits exactly (NaN, -0, subnormals) and never aliases the input', () => {
    const x = Float32Array.from([NaN, -0, 1e-45, -Infinity, 3, 4]);
    const y = transpose(x, [2, 3], [1, 0]) as Float32Array;
    expect(Array.from(y)).toEqual([NaN, -Infinity, -0, 3, Math.fround(1e-45), 4]);
    expect(Object.is(y[2], -0)).toBe(true);
    const z = transpose(x, [6], [0]);
    expect(z).not.toBe(x);
    expect(z.buffer).not.toBe(x.buffer);
  });
});

describe('slice', () => {
  const sliceArb = shapeArb(1, 5).chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.tuple(...shape.map((n) =>
        fc.integer({ min: 0, max: n - 1 }).chain((b) =>
          fc.integer({ min: 1, max: 3 }).chain((st) =>
            fc.tuple(fc.constant(b), fc.integer({ min: 0, max: Math.floor((n - 1 - b) / st) + 1 }), fc.constant(st)),
          ),
        ),
      )),
      fc.boolean(),
    ),
  );

  it('matches tf.stridedSlice with strides, and tf.slice without', () => {
    fc.assert(
      fc.property(sliceArb, dtArb, fc.integer(), ([shape, spec, strided], dt, seed) => {
        const x = data(dt, sizeOf(shape), seed);
        const begin = spec.map(([b]) => b);
        const size = spec.map(([, s]) => s);
        const strides = strided ? spec.map(([, , st]) => st) : undefined;
        const ours = slice(x, shape, begin, size, strides);
        const what = `${dt} ${JSON.stringify({ shape, begin, size, strides })}`;
        if (strides === undefined) {
          expectSame(ours, x, tfData(() => tf.slice(tfTensor(x, shape), begin, size)), what);
        } else {
          const end = begin.map((b, i) => b + (size[i]! - 1) * strides[i]! + 1);
          // tfjs takes end === begin as empty only when size is 0
          const expected = sizeOf(size) === 0 ? [] : tfData(() => tf.stridedSlice(tfTensor(x, shape), begin, end, strides));
          expectSame(ours, x, expected, what);
        }
      }),
      { seed: SEED, numRuns: 250 },
    );
  });

  it('handles contiguous slices, long runs and single elements', () => {
    const x = data('float32', 40 * 50, 3);
    const rows = slice(x, [40, 50], [5, 0], [30, 50]);
    expect(Array.from(rows)).toEqual(Array.from(x.subarray(250, 1750)));
    const one = slice(x, [40, 50], [7, 9], [1, 1]);
    expect(Array.from(one)).toEqual([x[359]]);
    const cols = slice(x, [40, 50], [0, 10], [20, 30], [2, 1]);
    expect(Array.from(cols)).toEqual(tfData(() => tf.stridedSlice(tf.tensor(x, [40, 50]), [0, 10], [40, 40], [2, 1])));
  });
});

describe('pad', () => {
  it('matches tf.pad with constant values for every dtype', () => {
    const padArb = shapeArb(1, 5).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: shape.length, maxLength: shape.length })),
    );
    fc.assert(
      fc.property(padArb, dtArb, fc.integer(), fc.constantFrom(0, 7, -3), ([shape, spec], dt, seed, value) => {
        const x = data(dt, sizeOf(shape), seed);
        // leave some axes unpadded so merged runs are exercised
        const paddings = spec.map(([b, a, none]) => (none ? [0, 0] : [b, a]) as [number, number]);
        const ours = pad(x, shape, paddings.map((p) => p[0]), paddings.map((p) => p[1]), value);
        const v = dt === 'uint8' ? (value & 255) : value;
        const expected = tfData(() => tf.pad(tfTensor(x, shape), paddings, v));
        expectSame(ours, x, expected, `${dt} ${JSON.stringify({ shape, paddings, value })}`);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('pads empty inputs and keeps -0 / fractional fill values per dtype', () => {
    expect(Array.from(pad(new Float32Array(0), [0, 2], [1, 0], [0, 1], 5))).toEqual([5, 5, 5]);
    const f = pad(Float32Array.from([1]), [1], [1], [0], -0) as Float32Array;
    expect(Object.is(f[0], -0)).toBe(true);
    expect(Array.from(pad(Int32Array.from([1]), [1], [1], [1], 2.7))).toEqual([2, 1, 2]);
    expect(Array.from(pad(Uint8Array.from([1]), [1], [0], [1], 300))).toEqual([1, 44]);
  });
});

describe('concat', () => {
  it('matches tf.concat along every axis', () => {
    const concatArb = shapeArb(1, 5).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.integer({ min: 0, max: shape.length - 1 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
      ),
    );
    fc.assert(
      fc.property(concatArb, dtArb, fc.integer(), ([shape, axis, sizes], dt, seed) => {
        const shapes = sizes.map((n) => shape.map((d, i) => (i === axis ? n : d)));
        const xs = shapes.map((s, i) => data(dt, sizeOf(s), seed + i));
        const ours = concat(xs, shapes, axis);
        const expected = tfData(() => tf.concat(xs.map((x, i) => tfTensor(x, shapes[i]!)), axis));
        expectSame(ours, xs[0]!, expected, `${dt} ${JSON.stringify({ shapes, axis })}`);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('copies long rows with block copies', () => {
    const a = data('int32', 3 * 100, 1);
    const b = data('int32', 3 * 50, 2);
    const out = concat([a, b], [[3, 100], [3, 50]], 1);
    expect(Array.from(out)).toEqual(tfData(() => tf.concat([tfTensor(a, [3, 100]), tfTensor(b, [3, 50])], 1)));
  });
});

describe('tile', () => {
  it('matches tf.tile', () => {
    const tileArb = shapeArb(1, 4).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: shape.length, maxLength: shape.length })),
    );
    fc.assert(
      fc.property(tileArb, dtArb, fc.integer(), ([shape, reps], dt, seed) => {
        const x = data(dt, sizeOf(shape), seed);
        const ours = tile(x, shape, reps);
        expectSame(ours, x, tfData(() => tf.tile(tfTensor(x, shape), reps)), `${dt} ${JSON.stringify({ shape, reps })}`);
      }),
      { seed: SEED, numRuns: 200 },
    );
    const x = data('float32', 2, 5);
    expectSame(tile(x, [2], [0]), x, [], 'zero reps');
    expectSame(tile(x, [1, 2, 1], [37, 1, 3]), x, tfData(() => tf.tile(tfTensor(x, [1, 2, 1]), [37, 1, 3])), 'many reps');
  });
});

describe('gather / scatterAdd / oneHot', () => {
  const gatherArb = shapeArb(1, 4).chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.integer({ min: 0, max: shape.length - 1 }),
      fc.array(dimArb, { minLength: 0, maxLength: 2 }),
    ),
  );

  it('gather matches tf.gather along any axis with indices of rank 0–2 (duplicates included)', () => {
    fc.assert(
      fc.property(gatherArb, dtArb, fc.integer(), ([shape, axis, idxShape], dt, seed) => {
        const x = data(dt, sizeOf(shape), seed);
        const r = rng(seed ^ 0x5bd1e995);
        const indices = Int32Array.from({ length: sizeOf(idxShape) }, () => Math.floor(r() * shape[axis]!));
        const ours = gather(x, shape, indices, axis);
        const expected = tfData(() => tf.gather(tfTensor(x, shape), tf.tensor(indices, idxShape, 'int32'), axis));
        expectSame(ours, x, expected, `${dt} ${JSON.stringify({ shape, axis, idxShape })}`);
      }),
      { seed: SEED, numRuns: 200 },
    );
    const emb = data('float32', 50 * 64, 9);
    const ids = Int32Array.from([3, 3, 49, 0]);
    expectSame(gather(emb, [50, 64], ids, 0), emb, tfData(() => tf.gather(tfTensor(emb, [50, 64]), tf.tensor1d(ids, 'int32'), 0)), 'embedding rows');
  });

  it('scatterAdd is the adjoint of gather: <gather(x), u> = <x, scatterAdd(u)>', () => {
    fc.assert(
      fc.property(gatherArb, fc.integer(), ([shape, axis, idxShape], seed) => {
        const r = rng(seed);
        const n = shape[axis]!;
        // few distinct indices: plenty of duplicates to accumulate
        const indices = Int32Array.from({ length: sizeOf(idxShape) + 3 }, () => Math.floor(r() * Math.min(n, 2)));
        const x = Float32Array.from({ length: sizeOf(shape) }, () => r() * 2 - 1);
        const gx = gather(x, shape, indices, axis) as Float32Array;
        const u = Float32Array.from({ length: gx.length }, () => r() * 2 - 1);
        const su = scatterAdd(u, shape, indices, axis);
        expect(su).toBeInstanceOf(Float32Array);
        expect(su.length).toBe(x.length);
        let lhs = 0;
        let rhs = 0;
        let scale = 0;
        for (let i = 0; i < gx.length; i++) {
          lhs += gx[i]! * u[i]!;
          scale += Math.abs(gx[i]! * u[i]!);
        }
        for (let i = 0; i < x.length; i++) rhs += x[i]! * su[i]!;
        // scatterAdd accumulates duplicates in float32: relative 1e-6 of the magnitude
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-9 + 1e-6 * scale);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('scatterAdd accumulates duplicates and leaves untouched rows zero', () => {
    const u = Float32Array.from([1, 2, 10, 20, 100, 200]);
    expect(Array.from(scatterAdd(u, [4, 2], Int32Array.from([1, 1, 3]), 0))).toEqual([0, 0, 11, 22, 0, 0, 100, 200]);
    expect(Array.from(scatterAdd(u, [2, 3], Int32Array.from([2, 2, 0]), 1))).toEqual([10, 0, 3, 200, 0, 120]);
  });

  it('oneHot matches tf.oneHot, out-of-range indices give an all-off row', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3, max: 12 }), { maxLength: 40 }),
        fc.integer({ min: 2, max: 10 }), // tfjs rejects depth 1
        fc.constantFrom(1, 7.5),
        fc.constantFrom(0, -1, 0.25),
        (idx, depth, on, off) => {
          const indices = Int32Array.from(idx);
          const ours = oneHot(indices, depth, on, off);
          expect(ours).toBeInstanceOf(Float32Array);
          expect(Array.from(ours)).toEqual(tfData(() => tf.oneHot(tf.tensor1d(indices, 'int32'), depth, on, off, 'float32')));
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
    expect(Array.from(oneHot(Int32Array.from([0, 1, -1]), 1, 5, 2))).toEqual([5, 2, 2]);
    expect(oneHot(new Int32Array(0), 3, 1, 0).length).toBe(0);
  });
});
