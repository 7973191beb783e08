/**
 * The CPU GEMM kernel against a float64 triple loop: random shapes (1-sized dims, tails
 * that are not multiples of the 2x4 micro-tile or of the cache blocks), all four
 * transposition combinations, broadcast batch offsets, non-zero offsets, and the paths
 * for tiny, thin (m = 1, n = 1: no packing) and blocked (k > KC, m > MC, n > NC) products.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { matmul } from '../src/backend/cpu/gemm';
import { randArray } from './helpers/rand';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SEED = 42;

interface Case {
  batch: number; m: number; k: number; n: number;
  transA: boolean; transB: boolean;
  /** A_b / B_b all start at the same place (broadcast batch dim) */
  bcastA: boolean; bcastB: boolean;
  /** leading unused floats before the first operand */
  padA: number; padB: number;
  seed: number;
}

function layout(c: Case): { a: Float32Array; aOff: Int32Array; b: Float32Array; bOff: Int32Array } {
  const aSize = c.m * c.k, bSize = c.k * c.n;
  const aCount = c.bcastA ? 1 : c.batch, bCount = c.bcastB ? 1 : c.batch;
  const a = randArray(c.padA + aCount * aSize, c.seed);
  const b = randArray(c.padB + bCount * bSize, c.seed + 1);
  const aOff = new Int32Array(c.batch), bOff = new Int32Array(c.batch);
  for (let t = 0; t < c.batch; t++) {
    aOff[t] = c.padA + (c.bcastA ? 0 : t * aSize);
    bOff[t] = c.padB + (c.bcastB ? 0 : t * bSize);
  }
  return { a, aOff, b, bOff };
}

/**
 * float64 reference C and the per-entry error bound 1e-5 * sum |terms| (plus a tiny floor
 * for all-zero sums): float32 storage of the operands is exact, the kernel only rounds
 * its partial sums.
 */
function reference(c: Case, a: Float32Array, aOff: Int32Array, b: Float32Array, bOff: Int32Array): { C: Float64Array; tol: Float64Array } {
  const { batch, m, k, n } = c;
  const C = new Float64Array(batch * m * n), tol = new Float64Array(batch * m * n);
  // op(A)[i, p] = a[aOff + i*aRs + p*aCs], op(B)[p, j] = b[bOff + p*bRs + j*bCs]
  const aRs = c.transA ? 1 : k, aCs = c.transA ? m : 1;
  const bRs = c.transB ? 1 : n, bCs = c.transB ? k : 1;
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      const ai = aOff[t]! + i * aRs;
      for (let j = 0; j < n; j++) {
        const bj = bOff[t]! + j * bCs;
        let s = 0, abs = 0;
        for (let p = 0; p < k; p++) {
          const prod = a[ai + p * aCs]! * b[bj + p * bRs]!;
          s += prod;
          abs += Math.abs(prod);
        }
        C[(t * m + i) * n + j] = s;
        tol[(t * m + i) * n + j] = 1e-5 * abs + 1e-30;
      }
    }
  }
  return { C, tol };
}

/** element-wise identity (a plain loop: deep equality on big typed arrays is slow) */
function sameBits(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

function check(c: Case): void {
  const { a, aOff, b, bOff } = layout(c);
  const aCopy = a.slice(), bCopy = b.slice();
  const out = matmul(a, aOff, b, bOff, c.batch, c.m, c.k, c.n, c.transA, c.transB);
  expect(out).toBeInstanceOf(Float32Array);
  expect(out.length).toBe(c.batch * c.m * c.n);
  expect(sameBits(a, aCopy) && sameBits(b, bCopy), 'inputs unchanged').toBe(true);
  const { C, tol } = reference(c, a, aOff, b, bOff);
  for (let i = 0; i < C.length; i++) {
    if (!(Math.abs(out[i]! - C[i]!) <= tol[i]!)) {
      expect.fail(`${JSON.stringify(c)}: entry ${i} got ${out[i]}, expected ${C[i]} (tol ${tol[i]})`);
    }
  }
}

const caseArb = (dim: fc.Arbitrary<number>, batch: fc.Arbitrary<number>): fc.Arbitrary<Case> =>
  fc.record({
    batch, m: dim, k: dim, n: dim,
    transA: fc.boolean(), transB: fc.boolean(),
    bcastA: fc.boolean(), bcastB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 7 }), padB: fc.integer({ min: 0, max: 7 }),
    seed: fc.integer({ min: 0, max: 1 << 20 }),
  });

const base: Case = { batch: 1, m: 1, k: 1, n: 1, transA: false, transB: false, bcastA: false, bcastB: false, padA: 0, padB: 0, seed: 1 };
const transCombos: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('matmul (cpu GEMM)', () => {
  it('matches a float64 triple loop on random shapes 1..70, all transpositions, broadcast offsets', () => {
    fc.assert(fc.property(caseArb(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 4 })), (c) => { check(c); }),
      { seed: SEED, numRuns: 150 });
  });

  it('matches on larger shapes (several cache blocks along m and k)', () => {
    fc.assert(fc.property(caseArb(fc.integer({ min: 100, max: 300 }), fc.constant(1)), (c) => { check(c); }),
      { seed: SEED, numRuns: 5 });
  });

  it('handles every path: tiny, thin (m = 1 / n = 1), k > KC, m > MC, n > NC, in all transpositions', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1], [1, 5, 1], [3, 1, 4], [2, 4, 3],          // tiny
      [1, 300, 90], [90, 300, 1], [1, 67, 257], [2, 67, 1], // thin: dot products / axpy, k % 4 != 0
      [2, 4, 8], [3, 513, 5], [7, 257, 9],                 // k split into balanced blocks
      [131, 3, 6], [257, 20, 5],                           // several MC blocks, odd tail row
      [3, 5, 1100], [2, 2, 2049],                          // several NC blocks
      [5, 3, 7], [6, 40, 4],                               // exact micro-tiles / one edge
    ];
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of transCombos) check({ ...base, m, k, n, transA, transB, seed: m * 7 + k * 3 + n });
    }
  });

  it('reuses packed panels only while the broadcast operand really is the same', () => {
    // offsets repeat in runs, so the kernel must repack exactly when they change
    for (const [transA, transB] of transCombos) {
      const m = 9, k = 13, n = 11, batch = 5;
      const a = randArray(3 * m * k, 5), b = randArray(3 * k * n, 6);
      const aOff = Int32Array.from([0, 0, m * k, m * k, 0]);
      const bOff = Int32Array.from([k * n, 0, 0, 2 * k * n, 2 * k * n]);
      const out = matmul(a, aOff, b, bOff, batch, m, k, n, transA, transB);
      for (let t = 0; t < batch; t++) {
        const single = matmul(a.subarray(aOff[t]!, aOff[t]! + m * k), new Int32Array(1), b.subarray(bOff[t]!, bOff[t]! + k * n), new Int32Array(1), 1, m, k, n, transA, transB);
        expect(Array.from(out.subarray(t * m * n, (t + 1) * m * n))).toEqual(Array.from(single));
      }
    }
  });

  it('returns zeros for k = 0 and empty results for m = 0 or n = 0', () => {
    const z = new Int32Array(2);
    expect(Array.from(matmul(new Float32Array(0), z, new Float32Array(0), z, 2, 2, 0, 3, false, false))).toEqual(new Array(12).fill(0));
    expect(matmul(new Float32Array(0), z, new Float32Array(6), z, 2, 0, 2, 3, false, false).length).toBe(0);
    expect(matmul(new Float32Array(6), z, new Float32Array(0), z, 2, 3, 2, 0, false, false).length).toBe(0);
  });

  it('agrees with tf.matMul on a batched attention-like product', () => {
    const batch = 3, m = 20, k = 8, n = 20;
    const a = randArray(batch * m * k, 11), b = randArray(batch * n * k, 12);
    const off = (s: number): Int32Array => Int32Array.from({ length: batch }, (_, t) => t * s);
    const ours = matmul(a, off(m * k), b, off(n * k), batch, m, k, n, false, true);
    const theirs = tf.tidy(() => tf.matMul(tf.tensor3d(a, [batch, m, k]), tf.tensor3d(b, [batch, n, k]), false, true).dataSync());
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - theirs[i]!)).toBeLessThanOrEqual(1e-5 * k);
  });
});

describe('matmul into a given array (jit plans pass their own buffers)', () => {
  it('writes C into `into` over whatever it held, with the bits of a fresh call, on both backends and every path', async () => {
    const { createWasmBackend } = await import('../src/backend/wasm');
    const wasm = createWasmBackend();
    // thin (m = 1), tiny, blocked and threaded-size products; k = 0 gives zeros
    const shapes = [[1, 1, 7, 5], [2, 3, 4, 5], [1, 64, 64, 64], [2, 128, 96, 80], [1, 4, 0, 3]] as const;
    for (const bk of [{ name: 'cpu', matmul }, wasm]) {
      for (const [batch, m, k, n] of shapes) {
        const a = randArray(batch * m * k, 3), b = randArray(batch * k * n, 4);
        const aOff = Int32Array.from({ length: batch }, (_, i) => i * m * k), bOff = Int32Array.from({ length: batch }, (_, i) => i * k * n);
        const fresh = bk.matmul(a, aOff, b, bOff, batch, m, k, n, false, true);
        const into = new Float32Array(batch * m * n).fill(Number.NaN);
        const got = bk.matmul(a, aOff, b, bOff, batch, m, k, n, false, true, into);
        expect(got, `${bk.name} ${[batch, m, k, n].join('x')}`).toBe(into);
        expect(Array.from(got), `${bk.name} ${[batch, m, k, n].join('x')}`).toEqual(Array.from(fresh));
      }
    }
  });
});
