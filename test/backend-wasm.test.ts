/**
 * The WebAssembly SIMD backend against the CPU backend (the reference), with thresholds 0 so
 * every shape takes the wasm path: GEMM on random shapes with tails that are not multiples
 * of the 4x8 micro-tile or the vector width, all transposition combinations, broadcast and
 * offset batches, and the cache-blocked sizes (k > KC, m > MC, n > NC); element-wise ops
 * bit for bit, including NaN, ±∞, ±0 and half-integers; and that the committed
 * kernels.generated.ts is exactly what the .wat sources (macros expanded) assemble to.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, UnaryOp } from '../src/backend/backend';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend } from '../src/backend/wasm';
import { fileURLToPath } from 'node:url';
import { assembleModules, readKernelSources, renderGenerated } from '../src/backend/wasm/build/assemble';
import { expandMacros } from '../src/backend/wasm/build/macros';
import { randArray } from './helpers/rand';

const SEED = 42;
const wasm = createWasmBackend({ minMatmulFlops: 0, minElementwise: 0 });

interface Case {
  batch: number; m: number; k: number; n: number;
  transA: boolean; transB: boolean;
  bcastA: boolean; bcastB: boolean;
  padA: number; padB: number;
  seed: number;
}

function layout(c: Case): { a: Float32Array; aOff: Int32Array; b: Float32Array; bOff: Int32Array } {
  const aSize = c.m * c.k, bSize = c.k * c.n;
  const a = randArray(c.padA + aSize * (c.bcastA ? 1 : c.batch), c.seed);
  const b = randArray(c.padB + bSize * (c.bcastB ? 1 : c.batch), c.seed + 1);
  const aOff = new Int32Array(c.batch), bOff = new Int32Array(c.batch);
  for (let t = 0; t < c.batch; t++) {
    aOff[t] = c.padA + (c.bcastA ? 0 : t * aSize);
    bOff[t] = c.padB + (c.bcastB ? 0 : t * bSize);
  }
  return { a, aOff, b, bOff };
}

/**
 * wasm and cpu agree within float32 accumulation error: per element,
 * |wasm - cpu| <= 1e-5 · sqrt(k) · Σ_p |A[i,p]·B[p,j]| (the scale of the rounding errors of both).
 */
function checkMatmul(c: Case): void {
  const { a, aOff, b, bOff } = layout(c);
  const aCopy = a.slice(), bCopy = b.slice();
  const got = wasm.matmul(a, aOff, b, bOff, c.batch, c.m, c.k, c.n, c.transA, c.transB);
  const want = cpuBackend.matmul(a, aOff, b, bOff, c.batch, c.m, c.k, c.n, c.transA, c.transB);
  expect(a).toEqual(aCopy);
  expect(b).toEqual(bCopy);
  expect(got.length).toBe(c.batch * c.m * c.n);
  expect(got.buffer.byteLength).toBe(got.length * 4); // its own buffer, not a view of wasm memory
  const tol = 1e-5 * Math.sqrt(c.k);
  let worst = 0;
  for (let t = 0; t < c.batch; t++) {
    for (let i = 0; i < c.m; i++) {
      for (let j = 0; j < c.n; j++) {
        let scale = 0;
        for (let p = 0; p < c.k; p++) {
          const av = a[aOff[t]! + (c.transA ? p * c.m + i : i * c.k + p)]!;
          const bv = b[bOff[t]! + (c.transB ? j * c.k + p : p * c.n + j)]!;
          scale += Math.abs(av * bv);
        }
        const o = (t * c.m + i) * c.n + j;
        const err = Math.abs(got[o]! - want[o]!);
        if (err > tol * scale) worst = Math.max(worst, err / (tol * scale));
      }
    }
  }
  expect(worst).toBe(0);
}

const caseArb = (maxDim: number, maxK: number): fc.Arbitrary<Case> =>
  fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    m: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxK }),
    n: fc.integer({ min: 1, max: maxDim }),
    transA: fc.boolean(), transB: fc.boolean(),
    bcastA: fc.boolean(), bcastB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 5 }), padB: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer({ min: 1, max: 1 << 20 }),
  });

describe('wasm matmul vs cpu', () => {
  it('random small shapes (tails of the 4x8 tile), transposes, broadcast and offset batches', () => {
    fc.assert(fc.property(caseArb(21, 40), (c) => checkMatmul(c)), { seed: SEED, numRuns: 150 });
  });

  it('medium shapes', () => {
    fc.assert(fc.property(caseArb(70, 90), (c) => checkMatmul(c)), { seed: SEED, numRuns: 20 });
  });

  it('the cache-blocked paths: k over KC = 256, m over MC = 128, n over NC = 512', () => {
    const base = { batch: 1, bcastA: false, bcastB: false, padA: 3, padB: 1, seed: 7 };
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      checkMatmul({ ...base, m: 9, k: 517, n: 13, transA, transB });
    }
    checkMatmul({ ...base, m: 133, k: 37, n: 11, transA: false, transB: false });
    checkMatmul({ ...base, m: 6, k: 21, n: 525, transA: true, transB: true });
    checkMatmul({ ...base, batch: 2, bcastB: true, m: 131, k: 259, n: 9, transA: false, transB: true });
  });

  it('empty and thin products', () => {
    const base = { batch: 2, bcastA: false, bcastB: false, padA: 0, padB: 0, seed: 3, transA: false, transB: false };
    checkMatmul({ ...base, m: 1, k: 33, n: 17 });
    checkMatmul({ ...base, m: 17, k: 33, n: 1 });
    const z = wasm.matmul(new Float32Array(0), Int32Array.of(0, 0), new Float32Array(0), Int32Array.of(0, 0), 2, 3, 0, 4, false, false);
    expect(z).toEqual(new Float32Array(24));
  });

  it('results do not alias: an earlier result survives later calls', () => {
    const a = randArray(64, 1), b = randArray(64, 2), off = Int32Array.of(0);
    const first = wasm.matmul(a, off, b, off, 1, 8, 8, 8, false, false);
    const copy = first.slice();
    wasm.matmul(b, off, a, off, 1, 8, 8, 8, false, false);
    wasm.binary('add', a, [64], b, [64], [64]);
    expect(first).toEqual(copy);
  });

  it('default thresholds give the same results on tiny and large products', () => {
    const dflt = createWasmBackend();
    for (const s of [3, 40]) {
      const a = randArray(s * s, s), b = randArray(s * s, s + 1), off = Int32Array.of(0);
      const got = dflt.matmul(a, off, b, off, 1, s, s, s, false, true);
      const want = cpuBackend.matmul(a, off, b, off, 1, s, s, s, false, true);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-4);
    }
  });
});

/** element-wise results must be identical (NaN matches NaN, -0 must stay -0) */
function expectSame(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (!(Number.isNaN(g) && Number.isNaN(w)) && !Object.is(g, w)) {
      expect({ i, got: g, want: w }).toBeUndefined();
    }
  }
}

/** float32 values including NaN, ±∞, ±0, subnormals, and half-integers (round's ties) */
const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.float() },
  { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }).map((i) => i + 0.5) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1, -1) },
);
const arrayArb = (min: number, max: number): fc.Arbitrary<Float32Array> =>
  fc.array(valueArb, { minLength: min, maxLength: max }).map((xs) => Float32Array.from(xs));

const BIN: BinaryOp[] = ['add', 'sub', 'mul', 'div'];

describe('wasm element-wise vs cpu (bit for bit)', () => {
  it('binary, same shape and scalar on either side', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BIN), arrayArb(0, 37), arrayArb(0, 37), valueArb, (op, xs, ys, s) => {
        const n = Math.min(xs.length, ys.length);
        const a = xs.subarray(0, n), b = ys.subarray(0, n), sc = Float32Array.of(s);
        expectSame(wasm.binary(op, a, [n], b, [n], [n]), cpuBackend.binary(op, a, [n], b, [n], [n]));
        expectSame(wasm.binary(op, a, [n], sc, [], [n]), cpuBackend.binary(op, a, [n], sc, [], [n]));
        expectSame(wasm.binary(op, sc, [1, 1], a, [n], [1, n]), cpuBackend.binary(op, sc, [1, 1], a, [n], [1, n]));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('binary, row broadcast [r, c] op [c] and [c] op [r, c], and a general broadcast', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BIN), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 1000 }),
        (op, r, c, seed) => {
          const big = randArray(r * c, seed), small = randArray(c, seed + 1), col = randArray(r, seed + 2);
          expectSame(wasm.binary(op, big, [r, c], small, [1, c], [r, c]), cpuBackend.binary(op, big, [r, c], small, [1, c], [r, c]));
          expectSame(wasm.binary(op, small, [c], big, [r, c], [r, c]), cpuBackend.binary(op, small, [c], big, [r, c], [r, c]));
          expectSame(wasm.binary(op, col, [r, 1], small, [c], [r, c]), cpuBackend.binary(op, col, [r, 1], small, [c], [r, c]));
          expectSame(wasm.binary(op, big, [r, c], col, [r, 1], [r, c]), cpuBackend.binary(op, big, [r, c], col, [r, 1], [r, c]));
        }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('ops without a wasm kernel fall back to the cpu ones', () => {
    const a = randArray(50, 1), b = randArray(50, 2);
    for (const op of ['pow', 'maximum', 'minimum'] as const) {
      expectSame(wasm.binary(op, a, [50], b, [50], [50]), cpuBackend.binary(op, a, [50], b, [50], [50]));
    }
    for (const op of ['sin', 'cos'] as const) expectSame(wasm.unary(op, a), cpuBackend.unary(op, a));
  });

  const UN: UnaryOp[] = ['neg', 'abs', 'sqrt', 'square', 'reciprocal', 'relu', 'step', 'floor', 'round', 'sign'];
  it('unary ops with a wasm kernel', () => {
    fc.assert(
      fc.property(fc.constantFrom(...UN), arrayArb(0, 45), (op, x) => {
        expectSame(wasm.unary(op, x), cpuBackend.unary(op, x));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  /** bounds: plain doubles, exact zeros and doubles too small for float32 */
  const boundArb = fc.oneof(
    fc.double({ min: -2, max: 2, noNaN: true }),
    fc.constantFrom(0, -0, 1e-300, -1e-300, 0.1),
  );
  it('clip, including bounds that float32 cannot represent and lo > hi', () => {
    fc.assert(
      fc.property(arrayArb(0, 30), boundArb, boundArb, (x, lo, hi) => {
        expectSame(wasm.clip(x, lo, hi), cpuBackend.clip(x, lo, hi));
        expectSame(wasm.clip(x, hi, lo), cpuBackend.clip(x, hi, lo));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('large inputs grow the wasm memory and stay correct', () => {
    const n = 300_001;
    const a = randArray(n, 5), b = randArray(n, 6);
    expectSame(wasm.binary('mul', a, [n], b, [n], [n]), cpuBackend.binary('mul', a, [n], b, [n], [n]));
    expectSame(wasm.unary('relu', a), cpuBackend.unary('relu', a));
  });
});

describe('generated module', () => {
  it('kernels.generated.ts is exactly what the .wat sources assemble to (plain and relaxed SIMD, shared and unshared)', async () => {
    const dir = new URL('../src/backend/wasm/', import.meta.url);
    const modules = await assembleModules(readKernelSources(fileURLToPath(dir)));
    expect(readFileSync(new URL('kernels.generated.ts', dir), 'utf8')).toBe(renderGenerated(modules));
  });
});

describe('wat macros (build/macros.ts: each kernel body written once, inlined at build)', () => {
  const src = (name: string, text: string) => ({ name, text });
  it('expands nested calls with their arguments, indented like the call, across files', () => {
    const defs = src('a.wat', [
      '  ;;@define sq p out',
      '    (local.set {out} (f32x4.mul (local.get ${p}x) (local.get ${p}x)))',
      '  ;;@end',
      '  ;;@define quad p out',
      '    ;;@sq {p} ${p}y',
      '    (local.set {out} (f32x4.mul (local.get ${p}y) (local.get ${p}y)))',
      '  ;;@end',
    ].join('\n'));
    const use = src('b.wat', '(func\n      ;;@quad e $v\n)');
    const [a, b] = expandMacros([defs, use]);
    expect(a!.text).toBe('');
    expect(b!.text).toBe([
      '(func',
      '      (local.set $ey (f32x4.mul (local.get $ex) (local.get $ex)))',
      '      (local.set $v (f32x4.mul (local.get $ey) (local.get $ey)))',
      ')',
    ].join('\n'));
  });
  it('names the file, line and rule of a bad call or definition', () => {
    const def = ';;@define m a\n(x {a})\n;;@end';
    expect(() => expandMacros([src('k.wat', ';;@nope 1')])).toThrow('k.wat:1: unknown macro ;;@nope');
    expect(() => expandMacros([src('k.wat', `${def}\n;;@m 1 2`)])).toThrow('k.wat:4: m takes 1 argument(s) (a), got 2');
    expect(() => expandMacros([src('k.wat', ';;@define m a\n(x {b})\n;;@end\n;;@m 1')])).toThrow('m uses {b}, which is not a parameter');
    expect(() => expandMacros([src('k.wat', ';;@define m\n;;@m\n;;@end\n;;@m')])).toThrow('nests deeper than 8');
    expect(() => expandMacros([src('k.wat', def), src('l.wat', def)])).toThrow('l.wat:1: m is defined twice (first at k.wat:1)');
    expect(() => expandMacros([src('k.wat', ';;@define m\n(x)')])).toThrow('k.wat:1: m has no ;;@end');
  });
});
