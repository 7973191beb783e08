/**
 * CPU element-wise, reduction and normalisation kernels, checked differentially against
 * TensorFlow.js (cpu backend) with fast-check (fixed seeds), and against float64
 * references where tfjs has no equivalent (gelu, layerNorm).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from '../src/backend/backend';
import {
  binary, cast, clip, compare, elu, leakyRelu, unary, where,
} from '../src/backend/cpu/elementwise';
import { argReduce, layerNorm, logSoftmax, reduce, softmax } from '../src/backend/cpu/reduce';
import { erf, erfc } from '../src/backend/cpu/erf';
import { exp as fastExp } from '../src/backend/cpu/exp';
import { readFileSync } from 'node:fs';
import { BINARY_LOOPS_PATH, binaryLoopsSource } from '../src/backend/cpu/build/binary-loops';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---- helpers ------------------------------------------------------------------------------

const SEED = 42;

/** |a - b| <= atol + rtol·|b| element-wise; NaN matches NaN, equal infinities match. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6, rtol = 1e-5, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      expect.fail(`${what} element ${i}: got ${a}, expected ${b}`);
    }
  }
}

const sizeOf = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** xorshift32 stream → deterministic data from one fast-check integer. */
function rng(seed: number): () => number {
  let s = (seed | 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function floats(n: number, seed: number, lo = -5, hi = 5): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** small integers as floats: plenty of ties and exact halves */
function smallInts(n: number, seed: number, k = 4): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * (2 * k + 1)) - k;
  return out;
}

/** dims favouring 1 and tails that are not multiples of 4 or 8 */
const dimArb = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 7 }), fc.constantFrom(9, 13));
const shapeArb = (minRank: number, maxRank: number) => fc.array(dimArb, { minLength: minRank, maxLength: maxRank });

/** an output shape and two operand shapes broadcasting to it (rank differences, 1s anywhere) */
function operandOf(out: readonly number[]) {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}
const broadcastArb = (k: number) =>
  shapeArb(0, 5).chain((out) => fc.tuple(fc.constant(out), fc.array(operandOf(out), { minLength: k, maxLength: k })));

function broadcastShape(shapes: readonly (readonly number[])[]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(r).fill(1);
  for (const s of shapes) for (let i = 0; i < s.length; i++) {
    const j = r - s.length + i;
    if (s[i] !== 1) out[j] = s[i]!;
  }
  return out;
}

/** hand-picked broadcast patterns: each fast path and the general path */
const BROADCAST_CASES: [number[], number[]][] = [
  [[32, 200], [32, 200]], // same shape
  [[5, 7], []], // scalar b
  [[], [3, 9]], // scalar a
  [[1, 1], [4, 5]], // one-element a with rank
  [[6, 13], [13]], // trailing row broadcast
  [[13], [6, 13]],
  [[6, 13], [6, 1]], // column broadcast: scalar per row
  [[1, 6, 13], [6, 13]], // leading 1s
  [[4, 1, 5], [4, 3, 5]], // middle 1
  [[4, 1, 5], [1, 3, 1]], // both sides broadcast
  [[2, 1, 3, 1, 5], [3, 4, 1]], // rank difference, interleaved
  [[7, 1], [1, 9]], // outer product
  [[2, 3, 4, 5, 6], [5, 1]],
];

// ---- unary ------------------------------------------------------------------------------

const TF_UNARY: Partial<Record<UnaryOp, (x: tf.Tensor) => tf.Tensor>> = {
  neg: tf.neg, abs: tf.abs, exp: tf.exp, log: tf.log, sqrt: tf.sqrt, rsqrt: tf.rsqrt,
  square: tf.square, reciprocal: tf.reciprocal, sign: tf.sign, sigmoid: tf.sigmoid,
  tanh: tf.tanh, relu: tf.relu, softplus: tf.softplus, sin: tf.sin, cos: tf.cos,
  floor: tf.floor, round: tf.round, step: (x) => tf.step(x, 0),
};

/** finite extremes every op must survive */
const EXTREMES = [-1e4, 1e4, -100, 100, -88.8, 88.8, -20, 20, -1e-30, 1e-30, 0, -0, 0.5, -0.5, 1.5, -2.5, 3.4e38, -3.4e38];

function tfData(f: () => tf.Tensor): Float32Array | Int32Array | Uint8Array {
  return tf.tidy(() => f().dataSync() as Float32Array | Int32Array | Uint8Array);
}

describe('unary', () => {
  for (const [op, tfOp] of Object.entries(TF_UNARY) as [UnaryOp, (x: tf.Tensor) => tf.Tensor][]) {
    it(`${op} matches tfjs`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer(), fc.boolean(), (n, seed, ints) => {
          const x = ints ? smallInts(n, seed) : floats(n, seed, -30, 30);
          expectClose(unary(op, x), tfData(() => tfOp(tf.tensor(x))), 1e-6, 1e-5, op);
        }),
        { seed: SEED, numRuns: 30 },
      );
      const x = Float32Array.from(EXTREMES);
      const ours = unary(op, x);
      // tfjs sign maps NaN to 0; with no NaN input every op is compared as is.
      expectClose(ours, tfData(() => tfOp(tf.tensor(x))), 1e-6, 1e-5, `${op} extremes`);
    });
  }

  it('sigmoid and softplus never produce NaN or overflow for large |x|', () => {
    const x = Float32Array.from([-3.4e38, -1e4, -1000, -89, 89, 1000, 1e4, 3.4e38]);
    const s = unary('sigmoid', x);
    expect(Array.from(s)).toEqual([0, 0, 0, Math.fround(1 / (1 + Math.exp(89))), 1, 1, 1, 1]);
    const sp = unary('softplus', x);
    expect(sp[0]).toBe(0);
    expect(sp[1]).toBe(0);
    expect(sp[5]).toBe(1000);
    expect(sp[7]).toBe(Math.fround(3.4e38));
    for (const v of [...s, ...sp]) expect(Number.isFinite(v)).toBe(true);
    // softplus(x) ≈ e^x far left: relative accuracy, not a flushed 0
    const tiny = unary('softplus', Float32Array.from([-50]))[0]!;
    expect(Math.abs(tiny - Math.exp(-50)) / Math.exp(-50)).toBeLessThan(1e-6);
  });

  it('round is half-to-even, step(0) = 0, sign and relu propagate NaN, step(NaN) = 0', () => {
    expect(Array.from(unary('round', Float32Array.from([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6])))).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
    expect(Array.from(unary('step', Float32Array.from([-1, 0, -0, 1e-30, NaN])))).toEqual([0, 0, 0, 1, 0]);
    expect(unary('sign', Float32Array.from([NaN]))[0]).toBeNaN();
    expect(unary('relu', Float32Array.from([NaN]))[0]).toBeNaN();
  });

  it('branch-free selects keep ±Infinity, NaN and the chosen value exactly', () => {
    const x = Float32Array.from([-Infinity, Infinity, NaN, -3, 3, 0]);
    expect(Array.from(unary('relu', x))).toEqual([0, Infinity, NaN, 0, 3, 0]);
    expect(Array.from(unary('sigmoid', x))).toEqual([0, 1, NaN, Math.fround(1 / (1 + Math.exp(3))), Math.fround(1 / (1 + Math.exp(-3))), 0.5]);
    expect(Array.from(unary('sign', x))).toEqual([-1, 1, NaN, -1, 1, 0]);
    expect(Array.from(unary('step', x))).toEqual([0, 1, 0, 0, 1, 0]);
    expect(Array.from(unary('softplus', x))).toEqual([0, Infinity, NaN, Math.fround(Math.log1p(Math.exp(-3))), Math.fround(3 + Math.log1p(Math.exp(-3))), Math.fround(Math.LN2)]);
    expect(Array.from(leakyRelu(x, 0.5))).toEqual([-Infinity, Infinity, NaN, -1.5, 3, 0]);
    const y = Float32Array.from([1, -Infinity, 2, NaN, 3, Infinity]);
    expect(Array.from(binary('maximum', x, [6], y, [6], [6]))).toEqual([1, Infinity, NaN, NaN, 3, Infinity]);
    expect(Array.from(binary('minimum', x, [6], y, [6], [6]))).toEqual([-Infinity, -Infinity, NaN, NaN, 3, 0]);
    for (const s of [NaN, Infinity, -Infinity, 1]) {
      const sv = Float32Array.from([s]);
      const want = (f: (p: number, q: number) => number, swap: boolean) => Array.from(x, (v) => (swap ? f(s, v) : f(v, s)));
      expect(Array.from(binary('maximum', x, [6], sv, [], [6]))).toEqual(want(Math.max, false));
      expect(Array.from(binary('maximum', sv, [], x, [6], [6]))).toEqual(want(Math.max, true));
      expect(Array.from(binary('minimum', x, [6], sv, [], [6]))).toEqual(want(Math.min, false));
      expect(Array.from(binary('minimum', sv, [], x, [6], [6]))).toEqual(want(Math.min, true));
    }
    const cond = Uint8Array.from([1, 0, 1, 0, 1, 0]);
    expect(Array.from(where(cond, [6], x, [6], y, [6], [6]))).toEqual([-Infinity, -Infinity, NaN, NaN, 3, Infinity]);
    expect(Array.from(where(cond, [2, 3], x, [2, 3], y.subarray(0, 3), [3], [2, 3]))).toEqual([-Infinity, -Infinity, NaN, 1, 3, 2]);
  });

  it('leakyRelu and elu match tfjs; elu with other alphas matches alpha·expm1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer(), fc.double({ min: 0, max: 3, noNaN: true }), (n, seed, alpha) => {
        const x = floats(n, seed, -20, 20);
        expectClose(leakyRelu(x, alpha), tfData(() => tf.leakyRelu(tf.tensor(x), alpha)), 1e-6, 1e-5, 'leakyRelu');
        expectClose(elu(x, 1), tfData(() => tf.elu(tf.tensor(x))), 1e-6, 1e-5, 'elu');
        const ref = Array.from(x, (v) => (v > 0 ? v : alpha * Math.expm1(v)));
        expectClose(elu(x, alpha), ref, 1e-6, 1e-5, 'elu alpha');
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

describe('exp helper', () => {
  it('agrees with Math.exp to ~2 ulp and defers to it at the edges', () => {
    fc.assert(
      fc.property(fc.double({ min: -707.9, max: 708.9, noNaN: true }), (x) => {
        const want = Math.exp(x);
        expect(Math.abs(fastExp(x) - want)).toBeLessThanOrEqual(5e-16 * want);
      }),
      { seed: SEED, numRuns: 20000 },
    );
    for (const x of [0, -0, 1, -1, 1e-300, -1e-300, 88.72, -103.9, -708, 709, -745.2, 710, -1e4, 1e4]) {
      const want = Math.exp(x);
      const got = fastExp(x);
      expect(got === want || Math.abs(got - want) <= 5e-16 * want, `exp(${x})`).toBe(true);
    }
    expect(fastExp(-Infinity)).toBe(0);
    expect(fastExp(Infinity)).toBe(Infinity);
    expect(fastExp(NaN)).toBeNaN();
    expect(fastExp(0)).toBe(1);
  });
});

describe('erf and exact gelu', () => {
  // mpmath (40 digits) values
  // mpmath values at 40 digits, rounded to float64
  const ERF: [number, number][] = [
    [0.1, 0.1124629160182849],
    [0.49, 0.511668261188523],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2.3, 0.9988568234026434],
    [-3.7, -0.9999998328489421],
  ];
  const ERFC: [number, number][] = [
    [0.75, 0.28884436634648486],
    [3, 2.209049699858544e-5],
    [6, 2.1519736712498913e-17],
    [8.4, 1.514615352797302e-32],
    [10, 2.088487583762545e-45],
    [20, 5.395865611607901e-176],
  ];
  // inputs exactly representable in float32
  const GELU: [number, number][] = [
    [1, 0.8413447460685429],
    [-1, -0.15865525393145705],
    [-0.25, -0.10032341857926907],
    [-0.375, -0.13268633749772857],
    [0.625, 0.45875904434456216],
    [3, 2.99595030590511],
    [-5, -1.4332578593959695e-6],
    [-8, -4.976768459417427e-15],
    [-12, -2.1317785344932147e-32],
  ];

  it('erf / erfc agree with high-precision values to ~1e-15 relative', () => {
    for (const [x, v] of ERF) expect(Math.abs(erf(x) - v) / Math.abs(v)).toBeLessThan(1e-15);
    for (const [x, v] of ERFC) expect(Math.abs(erfc(x) - v) / v).toBeLessThan(2e-14);
    expect(erf(Infinity)).toBe(1);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(30)).toBe(0);
    expect(erf(NaN)).toBeNaN();
  });

  it('gelu = 0.5·x·(1 + erf(x/√2)) with relative accuracy in the negative tail', () => {
    const x = Float32Array.from(GELU.map(([v]) => v));
    const g = unary('gelu', x);
    // float32 rounding of the output is the only error left: ≤ 2^-24 relative
    GELU.forEach(([, v], i) => expect(Math.abs(g[i]! - v) / Math.abs(v)).toBeLessThan(6e-8));
    expect(Array.from(unary('gelu', Float32Array.from([0, -30, 30, -1e4, 1e4])))).toEqual([0, -0, 30, -0, 1e4]);
  });

  it('gelu matches a float64 series reference over [-10, 10]', () => {
    // erf by its Maclaurin series (|z| <= 3.5, cancellation-safe enough in float64) and
    // erfc by its continued fraction beyond: independent of the kernel's fitted pieces.
    const erfRef = (z: number): number => {
      const a = Math.abs(z);
      if (a <= 3.5) {
        let term = a;
        let sum = a;
        for (let n = 1; n < 200; n++) {
          term *= (-a * a) / n;
          const t = term / (2 * n + 1);
          sum += t;
          if (Math.abs(t) < 1e-18) break;
        }
        const r = (2 / Math.sqrt(Math.PI)) * sum;
        return z < 0 ? -r : r;
      }
      let f = 0;
      for (let k = 60; k >= 1; k--) f = (k / 2) / (a + f);
      const c = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
      return z < 0 ? -(1 - c) : 1 - c;
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer(), (n, seed) => {
        const x = floats(n, seed, -10, 10);
        const ref = Array.from(x, (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2)));
        // 1 + erf cancels for v < -4 in the reference itself; absolute 1e-9 covers that
        expectClose(unary('gelu', x), ref, 1e-9, 1e-6, 'gelu');
      }),
      { seed: SEED, numRuns: 20 },
    );
  });
});

// ---- binary / compare / where / clip / cast ---------------------------------------------------

const TF_BINARY: Record<BinaryOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, pow: tf.pow, maximum: tf.maximum, minimum: tf.minimum,
};

function binaryData(op: BinaryOp, n: number, seed: number, which: number): Float32Array {
  if (op === 'pow') return which === 0 ? floats(n, seed, 0, 4) : floats(n, seed, -3, 3);
  return smallInts(n, seed).map((v, i) => (i % 3 === 0 ? v : v * 0.37 + 0.11));
}

describe('binary', () => {
  for (const op of Object.keys(TF_BINARY) as BinaryOp[]) {
    it(`${op} matches tfjs under every kind of broadcasting`, () => {
      const check = (aShape: number[], bShape: number[], seed: number): void => {
        const outShape = broadcastShape([aShape, bShape]);
        const a = binaryData(op, sizeOf(aShape), seed, 0);
        const b = binaryData(op, sizeOf(bShape), seed + 1, 1);
        const ours = binary(op, a, aShape, b, bShape, outShape);
        const theirs = tfData(() => TF_BINARY[op](tf.tensor(a, aShape), tf.tensor(b, bShape)));
        expectClose(ours, theirs, 1e-6, 1e-5, `${op} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`);
      };
      BROADCAST_CASES.forEach(([a, b], i) => check(a, b, i + 1));
      fc.assert(
        fc.property(broadcastArb(2), fc.integer(), ([, [aShape, bShape]], seed) => check(aShape!, bShape!, seed)),
        { seed: SEED, numRuns: 60 },
      );
    });
  }

  it('division by zero, pow edge cases and NaN follow IEEE / Math.pow', () => {
    const a = Float32Array.from([1, -1, 0, NaN, -8, 0, 2]);
    const b = Float32Array.from([0, 0, 0, 1, 1 / 3, -1, NaN]);
    expect(Array.from(binary('div', a, [7], b, [7], [7]))).toEqual([Infinity, -Infinity, NaN, NaN, -24, -0, NaN]);
    const p = binary('pow', a, [7], b, [7], [7]);
    expect(Array.from(p)).toEqual(Array.from(a, (v, i) => Math.fround(Math.pow(v, b[i]!))));
    const m = binary('maximum', Float32Array.from([NaN, 1]), [2], Float32Array.from([0, NaN]), [2], [2]);
    expect(Array.from(m)).toEqual([NaN, NaN]);
  });

  it('empty outputs', () => {
    expect(binary('add', new Float32Array(0), [0, 3], new Float32Array(3), [3], [0, 3]).length).toBe(0);
  });
});

const TF_COMPARE: Record<CompareOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  eq: tf.equal, ne: tf.notEqual, lt: tf.less, le: tf.lessEqual, gt: tf.greater, ge: tf.greaterEqual,
};

describe('compare', () => {
  for (const op of Object.keys(TF_COMPARE) as CompareOp[]) {
    it(`${op} matches tfjs for float32 and int32 under broadcasting`, () => {
      const check = (aShape: number[], bShape: number[], seed: number, int: boolean): void => {
        const outShape = broadcastShape([aShape, bShape]);
        const af = smallInts(sizeOf(aShape), seed, 2);
        const bf = smallInts(sizeOf(bShape), seed + 7, 2);
        const a = int ? Int32Array.from(af) : af;
        const b = int ? Int32Array.from(bf) : bf;
        const dt = int ? 'int32' : 'float32';
        const ours = compare(op, a, aShape, b, bShape, outShape);
        expect(ours).toBeInstanceOf(Uint8Array);
        const theirs = tfData(() => TF_COMPARE[op](tf.tensor(a, aShape, dt), tf.tensor(b, bShape, dt)));
        expect(Array.from(ours)).toEqual(Array.from(theirs));
      };
      BROADCAST_CASES.forEach(([a, b], i) => check(a, b, i + 3, i % 2 === 0));
      fc.assert(
        fc.property(broadcastArb(2), fc.integer(), fc.boolean(), ([, [aShape, bShape]], seed, int) => check(aShape!, bShape!, seed, int)),
        { seed: SEED, numRuns: 40 },
      );
    });
  }

  it('NaN compares false except ne', () => {
    const a = Float32Array.from([NaN, NaN]);
    const b = Float32Array.from([NaN, 1]);
    for (const op of ['eq', 'lt', 'le', 'gt', 'ge'] as const) expect(Array.from(compare(op, a, [2], b, [2], [2]))).toEqual([0, 0]);
    expect(Array.from(compare('ne', a, [2], b, [2], [2]))).toEqual([1, 1]);
  });
});

describe('where / clip / cast', () => {
  it('where matches tfjs with all three operands broadcasting', () => {
    const check = (cShape: number[], aShape: number[], bShape: number[], seed: number): void => {
      const outShape = broadcastShape([cShape, aShape, bShape]);
      const cond = Uint8Array.from(smallInts(sizeOf(cShape), seed, 1), (v) => (v > 0 ? 1 : 0));
      const a = floats(sizeOf(aShape), seed + 1);
      const b = floats(sizeOf(bShape), seed + 2);
      const ours = where(cond, cShape, a, aShape, b, bShape, outShape);
      const theirs = tfData(() => tf.where(tf.tensor(cond, cShape, 'bool'), tf.tensor(a, aShape), tf.tensor(b, bShape)));
      expect(Array.from(ours)).toEqual(Array.from(theirs));
    };
    check([4, 5], [4, 5], [4, 5], 1);
    check([4, 1], [1, 5], [], 2);
    check([], [3, 2], [3, 2], 3);
    check([2, 1, 3], [4, 1], [1, 1, 1, 3], 4);
    fc.assert(
      fc.property(broadcastArb(3), fc.integer(), ([, [c, a, b]], seed) => check(c!, a!, b!, seed)),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('clip matches tfjs clipByValue and lets NaN through', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer(), fc.double({ min: -3, max: 0, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }), (n, seed, lo, hi) => {
        const x = floats(n, seed);
        expectClose(clip(x, lo, hi), tfData(() => tf.clipByValue(tf.tensor(x), lo, hi)), 0, 0, 'clip');
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(clip(Float32Array.from([NaN]), 0, 1)[0]).toBeNaN();
  });

  it('cast matches tfjs: float→int32 truncates toward zero, bool is x != 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer(), (n, seed) => {
        const x = floats(n, seed, -1e6, 1e6).map((v, i) => (i % 4 === 0 ? Math.trunc(v) + 0.5 : i % 4 === 1 ? 0 : v));
        const i32 = cast(x, 'int32');
        expect(i32).toBeInstanceOf(Int32Array);
        expect(Array.from(i32)).toEqual(Array.from(tfData(() => tf.cast(tf.tensor(x), 'int32'))));
        const b = cast(x, 'bool');
        expect(b).toBeInstanceOf(Uint8Array);
        expect(Array.from(b)).toEqual(Array.from(tfData(() => tf.cast(tf.tensor(x), 'bool'))));
        const back = cast(i32, 'float32');
        expect(back).toBeInstanceOf(Float32Array);
        expect(Array.from(back)).toEqual(Array.from(i32));
        expect(Array.from(cast(b, 'int32'))).toEqual(Array.from(b));
      }),
      { seed: SEED, numRuns: 40 },
    );
    expect(Array.from(cast(Float32Array.from([-2.9, 2.9, -0.5, NaN]), 'int32'))).toEqual([-2, 2, 0, 0]);
    const src = Float32Array.from([1, 2]);
    const same = cast(src, 'float32');
    expect(same).not.toBe(src);
    expect(Array.from(same)).toEqual([1, 2]);
  });
});

// ---- reductions ---------------------------------------------------------------------------------

const TF_REDUCE: Record<ReduceOp, (x: tf.Tensor, axes: number[]) => tf.Tensor> = {
  sum: (x, a) => tf.sum(x, a), max: (x, a) => tf.max(x, a), min: (x, a) => tf.min(x, a), prod: (x, a) => tf.prod(x, a),
};

/** a shape (rank ≥ 1) with a sorted, unique, non-empty axis subset */
const shapeAxesArb = shapeArb(1, 5).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.subarray(shape.map((_, i) => i), { minLength: 1 }),
  ),
);

describe('reduce', () => {
  for (const op of Object.keys(TF_REDUCE) as ReduceOp[]) {
    it(`${op} over random axis sets matches tfjs`, () => {
      const check = (shape: number[], axes: number[], seed: number): void => {
        const x = op === 'prod' ? floats(sizeOf(shape), seed, 0.5, 1.5) : floats(sizeOf(shape), seed);
        const ours = reduce(op, x, shape, axes);
        const theirs = tfData(() => TF_REDUCE[op](tf.tensor(x, shape), axes));
        // prod: tfjs multiplies in float32, we in float64; rounding error grows with the count
        expectClose(ours, theirs, 1e-6, op === 'prod' ? 1e-4 : 1e-5, `${op} ${JSON.stringify(shape)} ${JSON.stringify(axes)}`);
      };
      check([6, 7], [0], 1);
      check([6, 7], [1], 2);
      check([6, 7], [0, 1], 3);
      check([3, 4, 5], [1], 4);
      check([3, 4, 5, 6], [0, 2], 5);
      check([2, 3, 4, 5, 6], [1, 3], 6);
      check([2, 1, 3, 1, 5], [1, 2], 7);
      check([1, 1], [0], 8);
      check([5, 1, 4], [1], 9);
      fc.assert(
        fc.property(shapeAxesArb, fc.integer(), ([shape, axes], seed) => check(shape, axes, seed)),
        { seed: SEED, numRuns: 80 },
      );
    });
  }

  it('sums in float64 (no float32 drift over long rows)', () => {
    const n = 1 << 20;
    const x = new Float32Array(n).fill(0.1);
    const s = reduce('sum', x, [n], [0])[0]!;
    expect(s).toBe(Math.fround(n * Math.fround(0.1)));
    const cols = reduce('sum', x, [n / 4, 4], [0]);
    expect(Array.from(cols)).toEqual(new Array(4).fill(Math.fround((n / 4) * Math.fround(0.1))));
  });

  it('max / min propagate NaN along any axis; empty reductions give the identity', () => {
    const x = Float32Array.from([1, NaN, 3, 4, 5, 6]);
    expect(Array.from(reduce('max', x, [2, 3], [1]))).toEqual([NaN, 6]);
    expect(Array.from(reduce('min', x, [2, 3], [0]))).toEqual([1, NaN, 3]);
    expect(reduce('max', x, [6], [0])[0]).toBeNaN();
    expect(Array.from(reduce('sum', new Float32Array(0), [2, 0], [1]))).toEqual([0, 0]);
    expect(Array.from(reduce('max', new Float32Array(0), [0, 2], [0]))).toEqual([-Infinity, -Infinity]);
    expect(Array.from(reduce('prod', new Float32Array(0), [0], [0]))).toEqual([1]);
  });
});

describe('argReduce', () => {
  it('argMax / argMin match tfjs along any axis, first index on ties', () => {
    const check = (shape: number[], axis: number, seed: number): void => {
      const x = smallInts(sizeOf(shape), seed, 2);
      for (const op of ['max', 'min'] as const) {
        const ours = argReduce(op, x, shape, axis);
        expect(ours).toBeInstanceOf(Int32Array);
        const theirs = tfData(() => (op === 'max' ? tf.argMax : tf.argMin)(tf.tensor(x, shape), axis));
        expect(Array.from(ours), `${op} ${JSON.stringify(shape)} axis ${axis}`).toEqual(Array.from(theirs));
      }
    };
    check([1, 7], 1, 1);
    check([9, 13], 0, 2);
    check([3, 4, 5], 1, 3);
    fc.assert(
      fc.property(shapeArb(1, 5).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }))), fc.integer(), ([shape, axis], seed) => check(shape, axis, seed)),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('the first NaN wins (NumPy semantics), for rows and columns', () => {
    const x = Float32Array.from([1, NaN, 9, NaN, 0, 5]);
    expect(Array.from(argReduce('max', x, [6], 0))).toEqual([1]);
    expect(Array.from(argReduce('min', x, [6], 0))).toEqual([1]);
    // columns of [3, 2]: [1, 9, 0] and [NaN, NaN, 5]
    expect(Array.from(argReduce('max', x, [3, 2], 0))).toEqual([1, 0]);
    expect(Array.from(argReduce('min', x, [3, 2], 0))).toEqual([2, 0]);
    // columns of [4, 2]: [1, 3, NaN, 7] and [2, 4, 6, NaN]
    const y = Float32Array.from([1, 2, 3, 4, NaN, 6, 7, NaN]);
    expect(Array.from(argReduce('max', y, [4, 2], 0))).toEqual([2, 3]);
  });
});

describe('softmax / logSoftmax / layerNorm', () => {
  const logitsArb = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }), fc.integer(), fc.constantFrom(1, 30, 1e4));

  it('softmax and logSoftmax match tfjs, including extreme logits and wide spreads', () => {
    fc.assert(
      fc.property(logitsArb, ([rows, cols, seed, scale]) => {
        const x = floats(rows * cols, seed, -scale, scale);
        const s = softmax(x, rows, cols);
        const ls = logSoftmax(x, rows, cols);
        expectClose(s, tfData(() => tf.softmax(tf.tensor(x, [rows, cols]))), 1e-6, 1e-5, 'softmax');
        // logSoftmax values reach -2e4: tfjs subtracts in float32 (ulp 2e-3 there), relative 1e-5 covers it
        expectClose(ls, tfData(() => tf.logSoftmax(tf.tensor(x, [rows, cols]))), 1e-5, 1e-5, 'logSoftmax');
        for (const v of s) expect(Number.isFinite(v)).toBe(true);
        for (const v of ls) expect(Number.isNaN(v)).toBe(false);
        for (let r = 0; r < rows; r++) {
          let t = 0;
          for (let j = 0; j < cols; j++) t += s[r * cols + j]!;
          expect(Math.abs(t - 1)).toBeLessThan(1e-5);
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('softmax([1000, 0]) = [1, 0]; all -Infinity rows give NaN (documented)', () => {
    expect(Array.from(softmax(Float32Array.from([1000, 0, -1e4, 1e4]), 2, 2))).toEqual([1, 0, 0, 1]);
    expect(Array.from(logSoftmax(Float32Array.from([1000, 0]), 1, 2))).toEqual([0, -1000]);
    const inf = Float32Array.from([-Infinity, -Infinity, 0, -Infinity]);
    const s = softmax(inf, 2, 2);
    expect(s[0]).toBeNaN();
    expect(Array.from(s.subarray(2))).toEqual([1, 0]);
    expect(Array.from(logSoftmax(inf, 2, 2).subarray(2))).toEqual([0, -Infinity]);
  });

  it('layerNorm matches a float64 reference, also for rows with a large offset', () => {
    fc.assert(
      fc.property(logitsArb, fc.constantFrom(0, 1e4), fc.constantFrom(1e-5, 1e-3), ([rows, cols, seed, scale], offset, eps) => {
        const x = floats(rows * cols, seed, -Math.min(scale, 10), Math.min(scale, 10)).map((v) => v + offset);
        const { y, mean, rstd } = layerNorm(x, rows, cols, eps);
        const yRef: number[] = [];
        for (let r = 0; r < rows; r++) {
          const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
          const mu = row.reduce((p, v) => p + v, 0) / cols;
          const v = row.reduce((p, w) => p + (w - mu) * (w - mu), 0) / cols;
          const rs = 1 / Math.sqrt(v + eps);
          expectClose([mean[r]!], [mu], 0, 1e-6, 'mean');
          expectClose([rstd[r]!], [rs], 0, 1e-6, 'rstd');
          for (const w of row) yRef.push((w - mu) * rs);
        }
        expectClose(y, yRef, 1e-6, 1e-5, 'layerNorm');
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});

describe('generated loops', () => {
  it('the committed binary-loops.generated.ts is what its generator writes (run npm run build:kernels)', () => {
    expect(readFileSync(BINARY_LOOPS_PATH, 'utf8')).toBe(binaryLoopsSource());
  });
});
