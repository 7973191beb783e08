import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays, type Tol } from './helpers/tf';
import { elu, gelu, leakyRelu, logSoftmax, logSumExp, relu, sigmoid, softmax, softplus, tanh } from '../src/ops/activations';
import { mul } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce';
import { grad, jvp } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray } from '../src/random';
import { ShapeError, type Dim, type Shape } from '../src/shape/dims';
import type { DType } from '../src/tensor/dtype';
import { scalar, tensor } from '../src/tensor/create';
import type { Tensor } from '../src/tensor/tensor';

type T = Tensor<Dim[]>;

// ---------------------------------------------------------------- generators and oracles

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const shapeArb = (minRank: number, maxRank: number, maxDim = 4) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const f32Arb = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround);
/** logits with huge magnitudes and spreads: ±1e4, mixed with ordinary values */
const extremeArb = fc.oneof(fc.constantFrom(1e4, -1e4, 0), f32Arb(-1e4, 1e4), f32Arb(-3, 3));

const tensorArb = (shapes: fc.Arbitrary<number[]>, values: fc.Arbitrary<number>): fc.Arbitrary<T> =>
  shapes.chain((shape) => fc.array(values, { minLength: size(shape), maxLength: size(shape) }).map((v) => fromFlat(v, shape) as T));

/** a tensor with rank >= 1 and one of its axes, possibly negative */
const withAxis = (values: fc.Arbitrary<number>, maxDim = 4) =>
  tensorArb(shapeArb(1, 4, maxDim), values).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.rank, max: x.rank - 1 })));

/** an axes argument for a reduction over rank r: undefined, one axis, or a shuffled subset with random signs */
const axesArb = (r: number): fc.Arbitrary<number | number[] | undefined> => {
  const subsets = fc
    .subarray(range(r))
    .chain((ax) => fc.tuple(fc.shuffledSubarray(ax, { minLength: ax.length, maxLength: ax.length }), fc.array(fc.boolean(), { minLength: ax.length, maxLength: ax.length })))
    .map(([ax, negs]) => ax.map((a, i) => (negs[i] ? a - r : a)));
  return r === 0 ? fc.oneof(fc.constant(undefined), fc.constant<number[]>([])) : fc.oneof(fc.constant(undefined), fc.integer({ min: -r, max: r - 1 }), subsets);
};
const withAxes = (values: fc.Arbitrary<number>) =>
  tensorArb(shapeArb(0, 4), values).chain((x) => fc.tuple(fc.constant(x), axesArb(x.rank), fc.boolean()));

/** run a tfjs expression, compare with ours, free the tfjs memory */
function expectTf(ours: Tensor<Shape, DType>, theirs: () => tf.Tensor, tol: Tol = {}, what = ''): void {
  const r = tf.tidy(theirs);
  try {
    expectCloseTf(ours, r, tol, what);
  } finally {
    r.dispose();
  }
}

/** tfjs softmax-like ops work on the last axis only: move the axis there and back */
function tfAlong(f: (t: tf.Tensor) => tf.Tensor, x: tf.Tensor, axis: number): tf.Tensor {
  const r = x.rank;
  const a = axis < 0 ? axis + r : axis;
  if (a === r - 1) return f(x);
  const perm = [...range(r).filter((i) => i !== a), a];
  const inv = range(r).map((i) => perm.indexOf(i));
  return tf.transpose(f(tf.transpose(x, perm)), inv);
}

const tfGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
// relu(x) + alpha·(e^min(x, 0) − 1): differentiable in tfjs (its where/greater have no gradient)
const tfElu = (x: tf.Tensor, alpha: number) => tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));

const randn = (shape: number[], seed: number, scale = 1): T => fromFlat(normalArray(key(seed), size(shape), 0, scale), shape) as T;
/** random values with |x| >= 0.25: far from the kinks at 0 (checkGrads steps by 1e-3) */
const offKink = (shape: number[], seed: number): T =>
  fromFlat(Array.from(normalArray(key(seed), size(shape)), (v) => v + (v < 0 ? -0.25 : 0.25)), shape) as T;
const allFinite = (x: Tensor<Shape>) => x.dataSync().every((v) => Number.isFinite(v));

// ---------------------------------------------------------------- point-wise activations

interface Pointwise {
  readonly name: string;
  readonly ours: (x: T) => T;
  readonly theirs: (x: tf.Tensor) => tf.Tensor;
  /** smooth: checked to second order */
  readonly smooth: boolean;
  /** has a kink at 0 (tests keep inputs away from it) */
  readonly kink: boolean;
}

const pointwise: readonly Pointwise[] = [
  { name: 'sigmoid', ours: sigmoid, theirs: tf.sigmoid, smooth: true, kink: false },
  { name: 'tanh', ours: tanh, theirs: tf.tanh, smooth: true, kink: false },
  { name: 'relu', ours: relu, theirs: tf.relu, smooth: false, kink: true },
  { name: 'leakyRelu (default alpha)', ours: (x) => leakyRelu(x), theirs: (x) => tf.leakyRelu(x), smooth: false, kink: true },
  { name: 'leakyRelu(0.05)', ours: (x) => leakyRelu(x, 0.05), theirs: (x) => tf.leakyRelu(x, 0.05), smooth: false, kink: true },
  { name: 'elu (default alpha)', ours: (x) => elu(x), theirs: tf.elu, smooth: false, kink: true },
  { name: 'elu(0.5)', ours: (x) => elu(x, 0.5), theirs: (x) => tfElu(x, 0.5), smooth: false, kink: true },
  { name: 'gelu', ours: gelu, theirs: tfGelu, smooth: true, kink: false },
  { name: 'softplus', ours: softplus, theirs: tf.softplus, smooth: true, kink: false },
];

describe('point-wise activations vs tfjs', () => {
  for (const op of pointwise) {
    it(`${op.name}: values on random shapes (rank 0-4)`, () => {
      fc.assert(
        fc.property(tensorArb(shapeArb(0, 4), f32Arb(-12, 12)), (x) => {
          const y = op.ours(x);
          expect(y.shape).toEqual(x.shape);
          expect(y.dtype).toBe('float32');
          expectTf(y, () => op.theirs(toTf(x)), {}, op.name);
        }),
        { seed: 11, numRuns: 40 },
      );
    });

    it(`${op.name}: saturating inputs (±100, ±1e4) give finite values like tfjs`, () => {
      const x = tensor([-1e4, -100, -30, -1e-6, 0, 1e-6, 30, 100, 1e4]);
      const y = op.ours(x);
      expect(allFinite(y)).toBe(true);
      expectTf(y, () => op.theirs(toTf(x)), {}, op.name);
    });

    it(`${op.name}: first-order derivatives (fwd and rev)`, () => {
      checkGrads(op.ours, [op.kink ? offKink([3, 4], 1) : randn([3, 4], 1, 2)], { order: 1, seed: 3 });
    });

    if (op.smooth) {
      it(`${op.name}: second-order derivatives`, () => {
        checkGrads(op.ours, [randn([2, 5], 2, 2)], { order: 2, seed: 4 });
      });
    }

    it(`${op.name}: grad agrees with tf.grad`, () => {
      const x = op.kink ? offKink([4, 5], 5) : randn([4, 5], 5, 3);
      const w = randn([4, 5], 6);
      const ours = grad((v: T) => sum(mul(op.ours(v), w)))(x);
      expectTf(ours, () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op.theirs(v), toTf(w))))(toTf(x)), { atol: 1e-6, rtol: 1e-5 }, op.name);
    });
  }
});

describe('point-wise activations: tails, kinks and exact values', () => {
  // float64 references; the float32 result must be within a few ulps wherever it is a normal number
  const sigmoid64 = (v: number) => (v < 0 ? Math.exp(v) / (1 + Math.exp(v)) : 1 / (1 + Math.exp(-v)));
  const softplus64 = (v: number) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
  const grid = Array.from({ length: 161 }, (_, i) => Math.fround(-80 + i));

  it('sigmoid keeps relative accuracy in both tails; sigmoid(±100) is 1 and a tiny positive', () => {
    expectCloseArrays(sigmoid(tensor(grid)).dataSync(), grid.map(sigmoid64), { atol: 0, rtol: 3e-7 }, 'sigmoid');
    const y = sigmoid(tensor([100, -100])).dataSync();
    expect(y[0]).toBe(1);
    expect(y[1]).toBeGreaterThan(0);
    expect(y[1]).toBeLessThan(1e-43);
  });

  it('softplus keeps relative accuracy in both tails; softplus(100) = 100, softplus(-100) tiny and positive', () => {
    expectCloseArrays(softplus(tensor(grid)).dataSync(), grid.map(softplus64), { atol: 0, rtol: 3e-7 }, 'softplus');
    const y = softplus(tensor([100, -100])).dataSync();
    expect(y[0]).toBe(100);
    expect(y[1]).toBeGreaterThan(0);
    expect(y[1]).toBeLessThan(1e-43);
  });

  it('gelu is the exact erf form (high-precision reference values, including the negative tail)', () => {
    // x·Φ(x) with Φ from the standard normal table to 16 digits
    const x = [1, -1, 2, -5, -8];
    const ref = [0.8413447460685429, -0.15865525393145707, 2 * 0.9772498680518208, -5 * 2.866515718791939e-7, -8 * 6.220960574271784e-16];
    expectCloseArrays(gelu(tensor(x)).dataSync(), ref, { atol: 0, rtol: 1e-6 }, 'gelu');
  });

  it("gelu' = Φ + xφ: exactly 1/2 at 0, 0 and 1 far out (no NaN), and gelu''(0) = 2φ(0)", () => {
    const g = grad((v: T) => sum(gelu(v)));
    const d = g(tensor([0, -50, 50, -1, 1]) as T).dataSync();
    expect(d[0]).toBe(0.5);
    expect(d[1]).toBe(0);
    expect(d[2]).toBe(1);
    const phi1 = Math.exp(-0.5) / Math.sqrt(2 * Math.PI);
    expectCloseArrays([d[3]!, d[4]!], [0.15865525393145707 - phi1, 0.8413447460685429 + phi1], { atol: 0, rtol: 1e-6 });
    const d2 = grad((v: T) => sum(g(v)))(tensor([0]) as T).dataSync();
    expectCloseArrays(d2, [2 / Math.sqrt(2 * Math.PI)], { atol: 0, rtol: 1e-6 });
  });

  it("kink conventions: relu'(0) = 0, leakyRelu'(0) = alpha, elu'(0) = alpha (tfjs agrees for its defaults)", () => {
    const x = tensor([0, 0]) as T;
    expect(Array.from(grad((v: T) => sum(relu(v)))(x).dataSync())).toEqual([0, 0]);
    expectCloseArrays(grad((v: T) => sum(leakyRelu(v)))(x).dataSync(), [0.2, 0.2]);
    expectCloseArrays(grad((v: T) => sum(leakyRelu(v, 0.1)))(x).dataSync(), [0.1, 0.1]);
    expectCloseArrays(grad((v: T) => sum(elu(v, 0.5)))(x).dataSync(), [0.5, 0.5]);
    expectTf(grad((v: T) => sum(relu(v)))(x), () => tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(toTf(x)));
    expectTf(grad((v: T) => sum(leakyRelu(v)))(x), () => tf.grad((v: tf.Tensor) => tf.sum(tf.leakyRelu(v)))(toTf(x)));
    expectTf(grad((v: T) => sum(elu(v)))(x), () => tf.grad((v: tf.Tensor) => tf.sum(tf.elu(v)))(toTf(x)));
  });

  it('saturated derivatives are (nearly) 0 or 1, never NaN (sigmoid, tanh, softplus at ±100)', () => {
    const x = tensor([-100, 100]) as T;
    // sigmoid'(±100) = e^-100 (a float32 subnormal) or 0; tanh'(±100) = 0
    for (const f of [sigmoid, tanh]) {
      const d = grad((v: T) => sum(f(v)))(x).dataSync();
      for (const v of d) expect(v >= 0 && v < 1e-43).toBe(true);
    }
    const sp = grad((v: T) => sum(softplus(v)))(x).dataSync();
    expect(sp[1]).toBe(1);
    expect(sp[0]! >= 0 && sp[0]! < 1e-43).toBe(true);
  });

  it('leakyRelu defaults to alpha = 0.2 like tf.leakyRelu', () => {
    expect(Array.from(leakyRelu(tensor([-1, 2])).dataSync())).toEqual([Math.fround(-0.2), 2]);
  });

  it('rejects non-float inputs and a non-finite alpha with clear errors', () => {
    const ids = tensor([1, 2], 'int32');
    expect(() => sigmoid(ids as any)).toThrow(ShapeError);
    expect(() => leakyRelu(ids as any)).toThrow(/leakyRelu: expects float32/);
    expect(() => elu(tensor([1]), Number.NaN)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- softmax, logSoftmax

describe('softmax / logSoftmax vs tfjs', () => {
  const cases = [
    { name: 'softmax', ours: (x: T, a: number) => softmax(x, a), theirs: tf.softmax },
    { name: 'logSoftmax', ours: (x: T, a: number) => logSoftmax(x, a), theirs: tf.logSoftmax },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: random shapes (rank 1-4) and any axis, negative included`, () => {
      fc.assert(
        fc.property(withAxis(f32Arb(-10, 10), 5), ([x, axis]) => {
          const y = c.ours(x, axis);
          expect(y.shape).toEqual(x.shape);
          expectTf(y, () => tfAlong((t) => c.theirs(t), toTf(x), axis), {}, `${c.name} axis ${axis}`);
        }),
        { seed: 21, numRuns: 60 },
      );
    });

    it(`${c.name}: extreme logits (±1e4, large spreads) stay finite and match tfjs`, () => {
      fc.assert(
        fc.property(withAxis(extremeArb, 5), ([x, axis]) => {
          const y = c.ours(x, axis);
          expect(allFinite(y)).toBe(true);
          expectTf(y, () => tfAlong((t) => c.theirs(t), toTf(x), axis), {}, `${c.name} axis ${axis}`);
        }),
        { seed: 22, numRuns: 60 },
      );
    });

    it(`${c.name}: default axis is the last`, () => {
      const x = randn([2, 3, 4], 30);
      expect(Array.from(c.ours(x, -1).dataSync())).toEqual(Array.from((c.name === 'softmax' ? softmax(x) : logSoftmax(x)).dataSync()));
    });
  }

  it('softmax rows sum to 1 along the chosen axis', () => {
    fc.assert(
      fc.property(withAxis(extremeArb), ([x, axis]) => {
        const s = sum(softmax(x, axis) as T, axis).dataSync();
        expectCloseArrays(s, new Array<number>(s.length).fill(1), { atol: 1e-5, rtol: 0 });
      }),
      { seed: 23, numRuns: 40 },
    );
  });

  it('softmax([1000, 0]) = [1, 0]; logSoftmax([1000, 0]) = [0, -1000]', () => {
    expect(Array.from(softmax(tensor([1000, 0])).dataSync())).toEqual([1, 0]);
    expect(Array.from(logSoftmax(tensor([1000, 0])).dataSync())).toEqual([0, -1000]);
    expect(Array.from(softmax(tensor([[-1e4], [1e4]]), 0).dataSync())).toEqual([0, 1]);
  });

  it('an axis followed only by size-1 dims takes the direct path and agrees with the transposed one', () => {
    const x = randn([3, 4, 1, 1], 31);
    const viaLast = softmax(x, 1);
    expectTf(viaLast, () => tfAlong(tf.softmax, toTf(x), 1));
  });

  it('rejects axes out of range and rank-0 input (ShapeError with the type rule words)', () => {
    const x = tensor([[1, 2]]);
    expect(() => softmax(x as any, 2)).toThrow('softmax: axis out of range (axis 2, rank 2)');
    expect(() => logSoftmax(x as any, -3)).toThrow('logSoftmax: axis out of range (axis -3, rank 2)');
    expect(() => softmax(scalar(1) as any)).toThrow(ShapeError);
    expect(() => softmax(tensor([1, 2], 'int32') as any)).toThrow(ShapeError);
  });
});

describe('softmax / logSoftmax derivatives', () => {
  for (const [name, f] of [
    ['softmax', softmax],
    ['logSoftmax', logSoftmax],
  ] as const) {
    it(`${name}: first and second order, last and inner axes`, () => {
      for (const axis of [-1, 0, 1]) {
        checkGrads((x: T) => f(x, axis), [randn([3, 4, 2], 40 + axis, 2)], { order: 2, seed: 41 });
      }
    });
  }

  it('grad of sum(softmax(x)·w) and sum(logSoftmax(x)·w) agree with tf.grad', () => {
    fc.assert(
      fc.property(fc.tuple(shapeArb(1, 3, 5), fc.integer({ min: 0, max: 1000 })), ([shape, seed]) => {
        const x = randn(shape, seed, 4);
        const w = randn(shape, seed + 1);
        const gs = grad((v: T) => sum(mul(softmax(v), w)))(x);
        expectTf(gs, () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.softmax(v), toTf(w))))(toTf(x)), { atol: 1e-6, rtol: 1e-5 }, 'softmax grad');
        const gl = grad((v: T) => sum(mul(logSoftmax(v), w)))(x);
        expectTf(gl, () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(v), toTf(w))))(toTf(x)), { atol: 1e-6, rtol: 1e-5 }, 'logSoftmax grad');
      }),
      { seed: 42, numRuns: 30 },
    );
  });

  it('gradients at extreme logits are finite (no ∞ − ∞)', () => {
    const x = tensor([[1e4, -1e4, 0], [-1e4, -1e4, -1e4]]) as T;
    const w = tensor([[1, 2, 3], [4, 5, 6]]) as T;
    expect(allFinite(grad((v: T) => sum(mul(softmax(v), w)))(x))).toBe(true);
    expect(allFinite(grad((v: T) => sum(mul(logSoftmax(v), w)))(x))).toBe(true);
    expect(allFinite(grad((v: T) => sum(logSumExp(v, 1)))(x))).toBe(true);
  });

  it('jvp of softmax is tangent-linear and sums to 0 along the axis', () => {
    const x = randn([2, 6], 50);
    const t = randn([2, 6], 51);
    const [, dy] = jvp((v: T) => softmax(v), [x], [t]);
    const rows = sum(dy as T, -1).dataSync();
    expectCloseArrays(rows, [0, 0], { atol: 1e-6, rtol: 0 });
  });
});

// ---------------------------------------------------------------- logSumExp

describe('logSumExp', () => {
  it('matches tf.logSumExp on random shapes (rank 0-4), axis sets and keepDims', () => {
    fc.assert(
      fc.property(withAxes(f32Arb(-20, 20)), ([x, axes, keepDims]) => {
        const y = logSumExp(x, axes, keepDims);
        expectTf(y, () => tf.logSumExp(toTf(x), axes, keepDims), {}, `axes ${JSON.stringify(axes)} keepDims ${keepDims}`);
      }),
      { seed: 61, numRuns: 80 },
    );
  });

  it('is stable for extreme logits (±1e4, large spreads): finite and equal to tfjs', () => {
    fc.assert(
      fc.property(withAxes(extremeArb), ([x, axes, keepDims]) => {
        const y = logSumExp(x, axes, keepDims);
        expect(allFinite(y)).toBe(true);
        expectTf(y, () => tf.logSumExp(toTf(x), axes, keepDims), {}, `axes ${JSON.stringify(axes)}`);
      }),
      { seed: 62, numRuns: 80 },
    );
  });

  it('handles non-finite groups: all -∞ gives -∞, a +∞ gives +∞ (tfjs gives NaN for both)', () => {
    const x = tensor([[-Infinity, -Infinity], [Infinity, 1], [1000, 1000]]);
    const y = logSumExp(x, 1).dataSync();
    expect(y[0]).toBe(-Infinity);
    expect(y[1]).toBe(Infinity);
    expectCloseArrays([y[2]!], [1000 + Math.LN2]);
  });

  it('over no axes is the identity; over all axes of a scalar is the scalar', () => {
    const x = randn([2, 3], 63);
    expect(Array.from(logSumExp(x, []).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(logSumExp(scalar(3)).item()).toBe(3);
  });

  it('derivatives: first and second order over several axis sets', () => {
    for (const [axes, keep] of [
      [undefined, false],
      [[0, 2], true],
      [-1, false],
      [[1], true],
    ] as const) {
      checkGrads((x: T) => logSumExp(x, axes as number | readonly number[] | undefined, keep), [randn([3, 2, 4], 64, 3)], { order: 2, seed: 65 });
    }
  });

  it('grad agrees with tf.grad', () => {
    const x = randn([3, 4, 5], 66, 5);
    const w = randn([3, 5], 67);
    const ours = grad((v: T) => sum(mul(logSumExp(v, 1), w)))(x);
    expectTf(ours, () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.logSumExp(v, 1), toTf(w))))(toTf(x)), { atol: 1e-6, rtol: 1e-5 });
  });

  it('rejects bad axes with the reduce rule words', () => {
    const x = tensor([[1, 2]]);
    expect(() => logSumExp(x as any, [0, 0])).toThrow('reduce: axis repeated (0)');
    expect(() => logSumExp(x as any, 2)).toThrow('reduce: axis out of range (axis 2, rank 2)');
  });
});
