/**
 * The wasm math kernels (math.wat / math.ts) against the CPU backend, which computes in
 * float64 and rounds once: unary ops within a few float32 ulp (rsqrt and leakyRelu bit for
 * bit), exact at ±0, ±∞, NaN and overflowing / subnormal results; softmax and logSoftmax
 * within the bounds derived for their float32 arithmetic (softmaxBound below), layerNorm
 * (plain and with gamma / beta) within 1 ulp, on random shapes with row lengths that are not multiples of 4, special rows
 * (−∞, +∞, NaN, all equal, one column); the same results for 1 and 2 threads on inputs
 * large enough to be split; inputs never written; and TensorFlow.js as a second oracle.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { UnaryOp } from '../src/backend/backend';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend, getThreads, setThreads } from '../src/backend/wasm';
import { region, runtime } from '../src/backend/wasm/runtime';
import { tf } from './helpers/tf';

const SEED = 42;
const wasm = createWasmBackend({ minElementwise: 0 });
const initialThreads = getThreads();
afterAll(() => setThreads(initialThreads));

const BITS = new Int32Array(1);
const F = new Float32Array(BITS.buffer);
/** float32 bits as a signed order: adjacent floats differ by 1, ±0 both map to 0 */
function ord(v: number): number {
  F[0] = v;
  const b = BITS[0]!;
  return b < 0 ? -(b & 0x7fffffff) : b;
}
/** distance in float32 ulps (subnormal steps included); NaN only matches NaN */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(ord(a) - ord(b));
}
function maxUlps(a: Float32Array, b: Float32Array): { max: number; at: number } {
  expect(a.length).toBe(b.length);
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const u = ulps(a[i]!, b[i]!);
    if (u > max) { max = u; at = i; }
  }
  return { max, at };
}
function expectUlps(got: Float32Array, want: Float32Array, bound: number, x?: Float32Array): void {
  const { max, at } = maxUlps(got, want);
  if (max > bound) {
    expect.fail(`${max} ulps at ${at}: got ${got[at]}, want ${want[at]}${x ? `, x = ${x[at]}` : ''}`);
  }
}
function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** deterministic data: uniform in [lo, hi) (LCG) */
function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + (hi - lo) * (s / 2 ** 32);
  }
  return a;
}

/**
 * The error bound of the wasm softmax / logSoftmax against the CPU kernel (float64, rounded
 * once), from the kernel's float32 operations (u = 2^-24; per element, d = x − max ≤ 0):
 * x − max rounded (≤ u·|d| relative in e^d), exp's polynomial and roundings (≤ 3.4u measured
 * over [-87, 0]), the row sum over 16 partial sums of at most k = ⌊cols/16⌋ + 1 terms each,
 * combined pairwise in 4 levels (≤ (k + 3)·u relative), the terms' own errors (≤ 3.4u + D·u,
 * D = Σ e^d·|d| / Σ e^d, the sum-weighted |d|), 1/sum and the product (u each):
 *   softmax:    |got − cpu| ≤ (|d| + D + k + 12)·u·cpu + 2^-149 (subnormal shares)
 *   logSoftmax: |got − cpu| ≤ 6u·|cpu| + (D + k + 8)·u
 * (the sum's relative error becomes an absolute one in log(sum); 6u·|cpu| covers x − max,
 * the float32 log and the last subtraction, each ≤ |cpu| = |d| + log(sum) in size).
 * Non-finite or zero CPU results must match exactly. Returns the largest error / bound.
 */
function softmaxExcess(got: Float32Array, want: Float32Array, x: Float32Array, rows: number, cols: number, log: boolean): number {
  const u = 2 ** -24, k = Math.floor(cols / 16) + 1;
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > m) m = x[o + j]!;
    let s = 0, sd = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j]! - m, e = Math.exp(d);
      s += e;
      if (e > 0) sd += e * -d;
    }
    const D = sd / s;
    for (let j = o; j < o + cols; j++) {
      const g = got[j]!, w = want[j]!;
      if (!Number.isFinite(w) || w === 0) {
        if (!Object.is(g, w) && !(w === 0 && g === 0)) expect.fail(`at ${j}: got ${g}, want ${w}, x = ${x[j]}`);
        continue;
      }
      const bound = log ? 6 * u * Math.abs(w) + (D + k + 8) * u : (Math.abs(x[j]! - m) + D + k + 12) * u * w + 2 ** -149;
      worst = Math.max(worst, Math.abs(g - w) / bound);
    }
  }
  return worst;
}
function expectSoftmaxClose(x: Float32Array, rows: number, cols: number): void {
  const s = softmaxExcess(wasm.softmax(x, rows, cols), cpuBackend.softmax(x, rows, cols), x, rows, cols, false);
  const l = softmaxExcess(wasm.logSoftmax(x, rows, cols), cpuBackend.logSoftmax(x, rows, cols), x, rows, cols, true);
  expect(s, 'softmax error / bound').toBeLessThanOrEqual(1);
  expect(l, 'logSoftmax error / bound').toBeLessThanOrEqual(1);
}

/** ulp bounds against the CPU kernels, from the measured maxima (exp 1, sigmoid / log / gelu 2, tanh / softplus 3) */
const BOUND: Record<string, number> = { exp: 2, sigmoid: 3, tanh: 4, softplus: 4, log: 3, gelu: 3, rsqrt: 0 };
const OPS = Object.keys(BOUND) as UnaryOp[];

/** inputs that hit the branches: ±0, ±∞, NaN, subnormals, the overflow / underflow edges */
const SPECIAL = Float32Array.from([
  0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-40, -1e-40, 1.17549435e-38, 3.4028235e38, -3.4028235e38,
  88.72283, 88.72284, 89, -87.33654, -87.34, -103.97, -103.98, -104, -150, 1, -1, 0.5, -0.5, 1e-8, -1e-8,
  0.7071, -0.7072, 9, -9, 10, -10, 14, -14, 30, -30, 100, -100, 1e30, -1e30,
]);

/** floats over the whole range (specials included) and many in the interesting [-20, 20] */
const anyFloat = fc.oneof(fc.float(), fc.float({ min: -20, max: 20, noNaN: true }), fc.constantFrom(...SPECIAL));

describe('wasm unary math ops vs the CPU kernels', () => {
  it('stay within the ulp bounds on random arrays (tails of every length)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPS), fc.array(anyFloat, { maxLength: 37 }), (op, vals) => {
        const x = Float32Array.from(vals);
        const copy = x.slice();
        const got = wasm.unary(op, x);
        expectUlps(got, cpuBackend.unary(op, x), BOUND[op]!, x);
        expect(bitsEqual(x, copy)).toBe(true);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('match the CPU kernels on dense sweeps of each range (the measured maxima)', () => {
    const sweeps: [UnaryOp, number, number][] = [
      ['exp', -104, 89], ['exp', -1, 1], ['sigmoid', -105, 20], ['sigmoid', -4, 4], ['tanh', -10, 10], ['tanh', -0.01, 0.01],
      ['softplus', -105, 40], ['softplus', -3, 3], ['log', 0, 4], ['log', 0, 1e30], ['log', 0, 1e-36], ['gelu', -15, 8],
      ['gelu', -1.2, 1.2], ['rsqrt', 0, 100], ['rsqrt', 0, 1e-38],
    ];
    for (const [k, [op, lo, hi]] of sweeps.entries()) {
      const x = randArray(20011, k + 1, lo, hi);
      expectUlps(wasm.unary(op, x), cpuBackend.unary(op, x), BOUND[op]!, x);
    }
  });

  it('are exact at special values', () => {
    for (const op of OPS) {
      const got = wasm.unary(op, SPECIAL);
      const want = cpuBackend.unary(op, SPECIAL);
      for (let i = 0; i < SPECIAL.length; i++) {
        const v = SPECIAL[i]!;
        if (!Number.isFinite(want[i]!) || want[i] === 0 || !Number.isFinite(v) || v === 0) {
          expect(Object.is(got[i], want[i]), `${op}(${v}) = ${got[i]}, cpu ${want[i]}`).toBe(true);
        } else {
          expect(ulps(got[i]!, want[i]!), `${op}(${v})`).toBeLessThanOrEqual(BOUND[op]!);
        }
      }
    }
    const at = (op: UnaryOp, v: number): number => wasm.unary(op, Float32Array.of(v))[0]!;
    expect(at('exp', -Infinity)).toBe(0);
    expect(at('exp', Infinity)).toBe(Infinity);
    expect(at('exp', 89)).toBe(Infinity);
    expect(at('exp', -104)).toBe(0);
    expect(at('exp', -103.5)).toBeGreaterThan(0); // subnormal, not flushed
    expect(at('sigmoid', Infinity)).toBe(1);
    expect(at('sigmoid', -Infinity)).toBe(0);
    expect(at('sigmoid', 20)).toBe(1);
    expect(at('tanh', 9.1)).toBe(1);
    expect(at('tanh', -9.1)).toBe(-1);
    expect(at('tanh', -Infinity)).toBe(-1);
    expect(Object.is(at('tanh', -0), -0)).toBe(true);
    expect(at('tanh', 1e-30)).toBe(Math.fround(1e-30));
    expect(at('log', 0)).toBe(-Infinity);
    expect(at('log', -1)).toBeNaN();
    expect(at('log', 1)).toBe(0);
    expect(at('gelu', Infinity)).toBe(Infinity);
    expect(Object.is(at('gelu', -Infinity), -0)).toBe(true);
    for (const op of OPS) expect(at(op, NaN), op).toBeNaN();
  });

  it('leakyRelu is bit-identical and elu within 4 ulps, for several alphas', () => {
    fc.assert(
      fc.property(fc.array(anyFloat, { maxLength: 37 }), fc.constantFrom(0, 0.01, 0.2, 1, 1.6732632423543772, -0.5), (vals, alpha) => {
        const x = Float32Array.from(vals);
        expect(bitsEqual(wasm.leakyRelu(x, alpha), cpuBackend.leakyRelu(x, alpha))).toBe(true);
        expectUlps(wasm.elu(x, alpha), cpuBackend.elu(x, alpha), 4, x);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('the helpers other fragments call ($v_exp, $v_sigmoid, $v_tanh) equal the inline loops bit for bit', () => {
    const rt = runtime();
    const vmap = rt.fn<(op: number, x: number, o: number, n: number) => void>('math_vmap');
    const x = Float32Array.from([...SPECIAL, ...randArray(4001, 9, -120, 120), ...randArray(4001, 10, -2, 2)]);
    for (const [code, op] of (['exp', 'sigmoid', 'tanh'] as const).entries()) {
      const n = x.length, px = rt.heapBase, po = px + region(n);
      rt.reserve(2 * region(n));
      rt.f32().set(x, px >> 2);
      vmap(code, px, po, n);
      const got = rt.f32().slice(po >> 2, (po >> 2) + n);
      expect(bitsEqual(got, wasm.unary(op, x)), op).toBe(true);
    }
  });

  it('small inputs of the default backend run the CPU kernels (bit-identical)', () => {
    const x = randArray(15, 3, -5, 5);
    const def = createWasmBackend();
    for (const op of OPS) expect(bitsEqual(def.unary(op, x), cpuBackend.unary(op, x)), op).toBe(true);
    expect(bitsEqual(def.softmax(x, 1, 15), cpuBackend.softmax(x, 1, 15))).toBe(true);
    expect(bitsEqual(def.layerNorm(x, 3, 5, 1e-5).y, cpuBackend.layerNorm(x, 3, 5, 1e-5).y)).toBe(true);
    const g = randArray(5, 4), b = randArray(5, 5);
    expect(bitsEqual(def.layerNorm(x, 3, 5, 1e-5, g, b).y, cpuBackend.layerNorm(x, 3, 5, 1e-5, g, b).y)).toBe(true);
  });
});

/**
 * rows of mostly moderate logits, some spread far apart or shifted (the kernel's three exp
 * paths: rows within [-80, 40], other rows of spread < 80, the rest), now and then special values
 */
const rowsOf = (specialValues: readonly number[]) => fc
  .record({
    rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 70 }), seed: fc.nat(),
    spread: fc.constantFrom(1, 10, 60), offset: fc.constantFrom(0, 0, 50, -100),
  })
  .chain((s) =>
    fc.record({
      s: fc.constant(s),
      specials: fc.array(fc.record({ at: fc.nat({ max: s.rows * s.cols - 1 }), v: fc.constantFrom(...specialValues) }), { maxLength: 3 }),
      constRow: fc.option(fc.nat({ max: s.rows - 1 })),
    }),
  )
  .map(({ s, specials, constRow }) => {
    const x = randArray(s.rows * s.cols, s.seed, s.offset - s.spread, s.offset + s.spread);
    for (const { at, v } of specials) x[at] = v;
    if (constRow !== null) x.fill(-3.5, constRow * s.cols, (constRow + 1) * s.cols);
    return { x, rows: s.rows, cols: s.cols };
  });
const rowsArb = rowsOf([-Infinity, Infinity, NaN, 1e30, -1e30, 0]);
/**
 * layerNorm without ±1e30 in finite rows: 1e30 − 1e30 + … cancels, and then the float64 sums
 * depend on their order (4 lanes here, sequential on the CPU) far beyond float32 precision
 */
const lnRowsArb = rowsOf([-Infinity, Infinity, NaN, 0, 1e6]);

describe('wasm softmax / logSoftmax / layerNorm vs the CPU kernels', () => {
  it('softmax and logSoftmax within the float32 bounds (NaN, ±∞ and 0 exactly), inputs untouched', () => {
    fc.assert(
      fc.property(rowsArb, ({ x, rows, cols }) => {
        const copy = x.slice();
        expectSoftmaxClose(x, rows, cols);
        expect(bitsEqual(x, copy)).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('long rows (several main-loop steps, every tail length) stay within the bounds', () => {
    for (const cols of [16, 17, 18, 19, 31, 1000, 1021, 4099]) {
      for (const [lo, hi] of [[-4, 4], [-30, 10], [-120, 0]] as const) {
        const x = randArray(3 * cols, cols + lo, lo, hi);
        expectSoftmaxClose(x, 3, cols);
      }
    }
    // −∞ (masked) logits give exactly 0 / −∞, also amid a long row
    const masked = randArray(2 * 1027, 4, -3, 3);
    for (let i = 0; i < masked.length; i += 3) masked[i] = -Infinity;
    expectSoftmaxClose(masked, 2, 1027);
    const sm = wasm.softmax(masked, 2, 1027);
    for (let i = 0; i < masked.length; i += 3) expect(sm[i]).toBe(0);
  });

  it('subnormal shares are rounded from the exact ratio, far ones are exactly 0', () => {
    const x = Float32Array.of(0, -87.5, -95.25, -100, -103.25, -103.9, -104.5, -107.99, -108, -150, -1e30, -3.4e38);
    const got = wasm.softmax(x, 1, x.length);
    const want = cpuBackend.softmax(x, 1, x.length);
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(got[i]! - want[i]!), `x = ${x[i]}`).toBeLessThanOrEqual(2 ** -149 + 32 * 2 ** -24 * want[i]!);
    }
    for (let i = 6; i < x.length; i++) expect(got[i], `x = ${x[i]}`).toBe(0);
    expect(got[5]).toBeGreaterThan(0);
  });

  it('layerNorm within 1 ulp (y, mean, rstd), with and without gamma / beta, inputs untouched', () => {
    fc.assert(
      fc.property(lnRowsArb, fc.constantFrom(1e-5, 1e-3, 0), fc.constantFrom('none', 'gamma', 'beta', 'both'), fc.nat(), ({ x, rows, cols }, eps, affine, seed) => {
        const g = affine === 'gamma' || affine === 'both' ? randArray(cols, seed, -3, 3) : null;
        const b = affine === 'beta' || affine === 'both' ? randArray(cols, seed + 1, -2, 2) : null;
        if (g && cols > 2) g[1] = 0; // a zero scale gives exactly beta (or ±0)
        const copies = [x, g, b].map((a) => a && a.slice());
        const got = wasm.layerNorm(x, rows, cols, eps, g, b);
        const want = cpuBackend.layerNorm(x, rows, cols, eps, g, b);
        expectUlps(got.y, want.y, 1, x);
        expectUlps(got.mean, want.mean, 1);
        expectUlps(got.rstd, want.rstd, 1);
        [x, g, b].forEach((a, i) => expect(a === null || bitsEqual(a, copies[i]!)).toBe(true));
        // without gamma / beta the kernel is the plain normalisation (same bits as before)
        if (affine === 'none') expect(bitsEqual(got.y, wasm.layerNorm(x, rows, cols, eps).y)).toBe(true);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('layerNorm with gamma / beta: the CPU kernel is the float64 affine step of its plain result, ±0 kept', () => {
    const rows = 5, cols = 67;
    const x = randArray(rows * cols, 9, -4, 4);
    x.fill(1.25, 2 * cols, 3 * cols); // a constant row: x − mean = +0
    const g = randArray(cols, 10, -2, 2), b = randArray(cols, 11, -1, 1);
    g[3] = -1;
    const plain = cpuBackend.layerNorm(x, rows, cols, 1e-5);
    const both = cpuBackend.layerNorm(x, rows, cols, 1e-5, g, b);
    const onlyG = cpuBackend.layerNorm(x, rows, cols, 1e-5, g, null);
    expect(bitsEqual(both.mean, plain.mean) && bitsEqual(both.rstd, plain.rstd)).toBe(true);
    for (let i = 0; i < rows * cols; i++) {
      const xh = (x[i]! - plain.mean[Math.floor(i / cols)]!) * plain.rstd[Math.floor(i / cols)]!;
      expect(Math.abs(both.y[i]! - (plain.y[i]! * g[i % cols]! + b[i % cols]!))).toBeLessThanOrEqual(2e-6 * (1 + Math.abs(xh * g[i % cols]!)));
    }
    // the constant row: +0 · −1 is −0, and the wasm kernel's stand-in beta (−0) keeps it
    expect(Object.is(onlyG.y[2 * cols + 3], -0)).toBe(true);
    for (const [gg, bb] of [[g, b], [g, null], [null, b]] as const) {
      const w = wasm.layerNorm(x, rows, cols, 1e-5, gg, bb), c = cpuBackend.layerNorm(x, rows, cols, 1e-5, gg, bb);
      expect(bitsEqual(w.y, c.y)).toBe(true);
    }
  });

  it('special rows: one column, all equal, all −∞, far-apart logits', () => {
    const one = Float32Array.of(3, -Infinity, 1e30, 0);
    expect([...wasm.softmax(one, 4, 1)]).toEqual([1, NaN, 1, 1]);
    expect([...wasm.logSoftmax(one, 4, 1)]).toEqual([0, NaN, 0, 0]);
    const eq = new Float32Array(7).fill(2.5);
    expect(bitsEqual(wasm.softmax(eq, 1, 7), cpuBackend.softmax(eq, 1, 7))).toBe(true);
    const ninf = new Float32Array(6).fill(-Infinity);
    expect(wasm.softmax(ninf, 1, 6).every(Number.isNaN)).toBe(true);
    const far = Float32Array.of(0, -80.123, -95.5, -200, 7.25, -1e-7);
    expectSoftmaxClose(far, 1, 6);
    // a row of 1 + tiny terms: log(sum) is off by up to the sum's rounding, here tiny vs 2^-24
    const tiny = Float32Array.of(0, -30, -31);
    expectSoftmaxClose(tiny, 1, 3);
    expect(Math.abs(wasm.logSoftmax(tiny, 1, 3)[0]!)).toBeLessThan(2 ** -24);
    // rows containing +∞ or NaN and all −∞ rows are NaN rows, as in the CPU kernel
    const bad = Float32Array.of(1, Infinity, 2, 3, 1, NaN, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity, 1e30, -1e30, -Infinity, 0);
    for (const f of ['softmax', 'logSoftmax'] as const) {
      const got = wasm[f](bad, 4, 4), want = cpuBackend[f](bad, 4, 4);
      expect(got.slice(0, 12).every(Number.isNaN)).toBe(true);
      expect(bitsEqual(got.slice(12), want.slice(12))).toBe(true);
    }
  });
});

describe('threads', () => {
  it('large inputs give bit-identical results for 1 and 2 threads', async () => {
    // above the sizes where two threads are used (2^17 elements for softmax, 2^18 otherwise)
    const x = randArray(1031 * 257, 5, -8, 8);
    const xu = randArray(300_007, 6, -30, 30);
    const lnGamma = randArray(1031, 7, -2, 2), lnBeta = randArray(1031, 8, -1, 1);
    const run = () => ({
      s: wasm.softmax(x, 1031, 257),
      l: wasm.logSoftmax(x, 1031, 257),
      n: wasm.layerNorm(x, 257, 1031, 1e-5),
      na: wasm.layerNorm(x, 257, 1031, 1e-5, lnGamma, lnBeta),
      u: (['exp', 'sigmoid', 'tanh', 'gelu'] as const).map((op) => wasm.unary(op, xu)),
    });
    setThreads(1);
    const a = run();
    setThreads(2);
    // let the workers boot, then make sure a worker really took chunks (the caller may
    // finish them all before a worker wakes: retry a few times)
    wasm.softmax(x, 1031, 257);
    await new Promise((r) => setTimeout(r, 500));
    const before = runtime().workerChunks();
    for (let i = 0; i < 20 && runtime().workerChunks() === before; i++) wasm.softmax(x, 1031, 257);
    expect(runtime().workerChunks()).toBeGreaterThan(before);
    const b = run();
    expect(bitsEqual(a.s, b.s)).toBe(true);
    expect(bitsEqual(a.l, b.l)).toBe(true);
    expect(bitsEqual(a.n.y, b.n.y) && bitsEqual(a.n.mean, b.n.mean) && bitsEqual(a.n.rstd, b.n.rstd)).toBe(true);
    expect(bitsEqual(a.na.y, b.na.y) && bitsEqual(a.na.mean, b.na.mean) && bitsEqual(a.na.rstd, b.na.rstd)).toBe(true);
    a.u.forEach((u, i) => expect(bitsEqual(u, b.u[i]!)).toBe(true));
    expect(softmaxExcess(b.s, cpuBackend.softmax(x, 1031, 257), x, 1031, 257, false)).toBeLessThanOrEqual(1);
    expect(softmaxExcess(b.l, cpuBackend.logSoftmax(x, 1031, 257), x, 1031, 257, true)).toBeLessThanOrEqual(1);
    expectUlps(b.n.y, cpuBackend.layerNorm(x, 257, 1031, 1e-5).y, 1);
    expectUlps(b.na.y, cpuBackend.layerNorm(x, 257, 1031, 1e-5, lnGamma, lnBeta).y, 1);
    expectUlps(b.u[0]!, cpuBackend.unary('exp', xu), 2);
  });
});

describe('vs TensorFlow.js', () => {
  const close = (got: Float32Array, want: ArrayLike<number>, rtol: number, atol: number): void => {
    for (let i = 0; i < got.length; i++) {
      const w = want[i]!;
      expect(Math.abs(got[i]! - w), `at ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w));
    }
  };
  it('softmax, logSoftmax, moments-based layer norm (plain and · gamma + beta)', () => {
    for (const [rows, cols] of [[3, 5], [8, 33], [16, 128]] as const) {
      const x = randArray(rows * cols, rows + cols, -6, 6);
      const xt = tf.tensor2d(x, [rows, cols]);
      close(wasm.softmax(x, rows, cols), tf.softmax(xt).dataSync(), 1e-5, 1e-7);
      close(wasm.logSoftmax(x, rows, cols), tf.logSoftmax(xt).dataSync(), 1e-5, 1e-5);
      const { mean, variance } = tf.moments(xt, -1, true);
      const ref = tf.mul(tf.sub(xt, mean), tf.rsqrt(tf.add(variance, 1e-5)));
      const got = wasm.layerNorm(x, rows, cols, 1e-5);
      close(got.y, ref.dataSync(), 1e-4, 1e-4);
      close(got.mean, mean.dataSync(), 1e-5, 1e-6);
      const g = randArray(cols, cols, -2, 2), b = randArray(cols, cols + 1, -1, 1);
      const refA = tf.add(tf.mul(ref, tf.tensor1d(g)), tf.tensor1d(b));
      close(wasm.layerNorm(x, rows, cols, 1e-5, g, b).y, refA.dataSync(), 1e-4, 1e-4);
      tf.dispose([xt, mean, variance, ref, refA]);
    }
  });
  it('exp, sigmoid, tanh, softplus, log', () => {
    const x = randArray(1001, 77, -12, 12);
    const pos = randArray(1001, 78, 1e-3, 50);
    const xt = tf.tensor1d(x), pt = tf.tensor1d(pos);
    close(wasm.unary('exp', x), tf.exp(xt).dataSync(), 1e-6, 0);
    close(wasm.unary('sigmoid', x), tf.sigmoid(xt).dataSync(), 1e-6, 1e-7);
    close(wasm.unary('tanh', x), tf.tanh(xt).dataSync(), 1e-6, 1e-7);
    close(wasm.unary('softplus', x), tf.softplus(xt).dataSync(), 1e-6, 1e-7);
    close(wasm.unary('log', pos), tf.log(pt).dataSync(), 1e-6, 1e-7);
    tf.dispose([xt, pt]);
  });
});
