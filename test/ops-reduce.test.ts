import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays, type Tol } from './helpers/tf';
import { argmax, argmin, max, mean, min, norm, prod, sum, variance } from '../src/ops/reduce';
import { sum as sumCore } from '../src/ops/reduce-core';
import { mul } from '../src/ops/elementwise';
import { grad, jvp } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray } from '../src/random';
import { ShapeError, type Dim, type Shape } from '../src/shape/dims';
import type { DType } from '../src/tensor/dtype';
import { scalar, tensor, zeros } from '../src/tensor/create';
import type { Tensor } from '../src/tensor/tensor';

type T = Tensor<Dim[]>;
type Axes = number | number[] | undefined;

// ---------------------------------------------------------------- generators and oracles

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const shapeArb = (minRank: number, maxRank: number, maxDim = 4) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const f32Arb = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround);
const tensorArb = (shapes: fc.Arbitrary<number[]>, values: fc.Arbitrary<number>): fc.Arbitrary<T> =>
  shapes.chain((shape) => fc.array(values, { minLength: size(shape), maxLength: size(shape) }).map((v) => fromFlat(v, shape) as T));

/** undefined (all), one axis, or a shuffled subset of the axes with random signs (possibly []) */
const axesArb = (r: number): fc.Arbitrary<Axes> => {
  const subsets = fc
    .subarray(range(r))
    .chain((ax) => fc.tuple(fc.shuffledSubarray(ax, { minLength: ax.length, maxLength: ax.length }), fc.array(fc.boolean(), { minLength: ax.length, maxLength: ax.length })))
    .map(([ax, negs]) => ax.map((a, i) => (negs[i] ? a - r : a)));
  return r === 0 ? fc.oneof(fc.constant(undefined), fc.constant<number[]>([])) : fc.oneof(fc.constant(undefined), fc.integer({ min: -r, max: r - 1 }), subsets);
};
const withAxes = (values: fc.Arbitrary<number>, maxDim = 4) =>
  tensorArb(shapeArb(0, 4, maxDim), values).chain((x) => fc.tuple(fc.constant(x), axesArb(x.rank), fc.boolean()));

function expectTf(ours: Tensor<Shape, DType>, theirs: () => tf.Tensor, tol: Tol = {}, what = ''): void {
  const r = tf.tidy(theirs);
  try {
    expectCloseTf(ours, r, tol, what);
  } finally {
    r.dispose();
  }
}

const randn = (shape: number[], seed: number, scale = 1): T => fromFlat(normalArray(key(seed), size(shape), 0, scale), shape) as T;
/** distinct values 0.1 apart in random order: no ties, and no near-ties for checkGrads' 1e-3 steps */
function distinct(shape: number[], seed: number): T {
  const r = normalArray(key(seed), size(shape));
  const order = range(r.length).sort((a, b) => r[a]! - r[b]!);
  const v = new Array<number>(r.length);
  order.forEach((idx, rank) => (v[idx] = (rank - r.length / 2) * 0.1));
  return fromFlat(v, shape) as T;
}
/** random values with |x| in [0.5, 1.5]: products stay moderate, no zeros */
function awayFromZero(shape: number[], seed: number): T {
  const r = normalArray(key(seed), size(shape));
  return fromFlat(Array.from(r, (v) => (v < 0 ? -1 : 1) * (0.5 + Math.min(Math.abs(v), 2) / 2)), shape) as T;
}

// ---------------------------------------------------------------- values vs tfjs

interface Reduction {
  readonly name: string;
  readonly ours: (x: T, axes: Axes, keepDims: boolean) => T;
  readonly theirs: (x: tf.Tensor, axes: number | number[] | undefined, keepDims: boolean) => tf.Tensor;
  readonly values: fc.Arbitrary<number>;
  readonly tol?: Tol;
}

const reductions: readonly Reduction[] = [
  { name: 'sum', ours: (x, a, k) => sum(x, a, k), theirs: (x, a, k) => tf.sum(x, a, k), values: f32Arb(-10, 10) },
  { name: 'mean', ours: (x, a, k) => mean(x, a, k), theirs: (x, a, k) => tf.mean(x, a, k), values: f32Arb(-10, 10) },
  { name: 'max', ours: (x, a, k) => max(x, a, k), theirs: (x, a, k) => tf.max(x, a, k), values: f32Arb(-1e6, 1e6) },
  { name: 'min', ours: (x, a, k) => min(x, a, k), theirs: (x, a, k) => tf.min(x, a, k), values: f32Arb(-1e6, 1e6) },
  // tfjs multiplies in float32 (up to 255 roundings), we accumulate in float64 and round once
  { name: 'prod', ours: (x, a, k) => prod(x, a, k), theirs: (x, a, k) => tf.prod(x, a, k), values: f32Arb(-1.4, 1.4), tol: { atol: 1e-6, rtol: 3e-5 } },
  // tfjs sums squared deviations in float32; values up to 10 give variances ~30
  { name: 'variance', ours: (x, a, k) => variance(x, a, k), theirs: (x, a, k) => tf.moments(x, a, k).variance, values: f32Arb(-10, 10), tol: { atol: 1e-5, rtol: 2e-5 } },
  { name: 'norm', ours: (x, a, k) => norm(x, a, k), theirs: (x, a, k) => tf.sqrt(tf.sum(tf.square(x), a, k)), values: f32Arb(-10, 10) },
];

describe('reductions vs tfjs on random shapes (rank 0-4), axis sets (negative, shuffled, []) and keepDims', () => {
  for (const r of reductions) {
    it(r.name, () => {
      fc.assert(
        fc.property(withAxes(r.values), ([x, axes, keepDims]) => {
          const y = r.ours(x, axes, keepDims);
          expectTf(y, () => r.theirs(toTf(x), axes, keepDims), r.tol ?? {}, `${r.name} axes ${JSON.stringify(axes)} keepDims ${keepDims}`);
        }),
        { seed: 101, numRuns: 80 },
      );
    });
  }

  it('sum is re-exported from reduce-core, not duplicated', () => {
    expect(sum).toBe(sumCore);
  });
});

describe('argmax / argmin', () => {
  const cases = [
    { name: 'argmax', ours: argmax, theirs: tf.argMax },
    { name: 'argmin', ours: argmin, theirs: tf.argMin },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: int32 indices like tfjs, ties (small integers) go to the first`, () => {
      const values = fc.oneof(fc.integer({ min: -3, max: 3 }), f32Arb(-100, 100));
      fc.assert(
        fc.property(
          tensorArb(shapeArb(1, 4), values).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.rank, max: x.rank - 1 }))),
          ([x, axis]) => {
            const y = c.ours(x, axis);
            expect(y.dtype).toBe('int32');
            expectTf(y, () => c.theirs(toTf(x), axis), { atol: 0, rtol: 0 }, `${c.name} axis ${axis}`);
          },
        ),
        { seed: 111, numRuns: 80 },
      );
    });
  }

  it('default axis is -1; values are exact', () => {
    const x = tensor([
      [1, 5, 5, 0],
      [7, -1, 7, -1],
    ]);
    expect(Array.from(argmax(x).dataSync())).toEqual([1, 0]);
    expect(Array.from(argmin(x).dataSync())).toEqual([3, 1]);
    expect(Array.from(argmax(x, 0).dataSync())).toEqual([1, 0, 1, 0]);
  });

  it('NaN counts as the extremum (first NaN wins)', () => {
    const x = tensor([1, Number.NaN, 3, Number.NaN]);
    expect(argmax(x).item()).toBe(1);
    expect(argmin(x).item()).toBe(1);
  });

  it('has no gradient but works on traced values inside grad and jvp', () => {
    const x = tensor([0.5, 2, -1]) as T;
    let seen: number[] = [];
    const g = grad((v: T) => {
      seen = Array.from(argmax(v).dataSync());
      return sum(mul(v, v));
    })(x);
    expect(seen).toEqual([1]);
    expectCloseArrays(g.dataSync(), [1, 4, -2]);
    const [idx, tangent] = jvp((v: T) => argmin(v), [x], [tensor([1, 1, 1]) as T]);
    expect(idx.item()).toBe(2);
    expect(tangent.dtype).toBe('int32');
  });

  it('rejects out-of-range axes, rank 0, empty axes and non-float input', () => {
    const x = tensor([[1, 2]]);
    expect(() => argmax(x as any, 2)).toThrow('argmax: axis out of range (axis 2, rank 2)');
    expect(() => argmin(x as any, -3)).toThrow('argmin: axis out of range (axis -3, rank 2)');
    expect(() => argmax(scalar(1) as any)).toThrow(ShapeError);
    expect(() => argmax(zeros([2, 0]) as any, 1)).toThrow(/argmax: axis 1 is empty/);
    expect(argmax(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(() => argmax(tensor([1, 2], 'int32') as any)).toThrow(ShapeError);
  });
});

// ---------------------------------------------------------------- derivatives

describe('reduction derivatives (checkGrads)', () => {
  const axisSets: readonly [Axes, boolean][] = [
    [undefined, false],
    [1, false],
    [[0, -1], true],
    [[-2], true],
    [[], false],
  ];
  const first = [
    { name: 'sum', f: sum, x: (s: number) => randn([3, 2, 4], s) },
    { name: 'mean', f: mean, x: (s: number) => randn([3, 2, 4], s) },
    { name: 'max', f: max, x: (s: number) => distinct([3, 2, 4], s) },
    { name: 'min', f: min, x: (s: number) => distinct([3, 2, 4], s) },
    { name: 'prod', f: prod, x: (s: number) => awayFromZero([3, 2, 4], s) },
    { name: 'variance', f: variance, x: (s: number) => randn([3, 2, 4], s) },
    { name: 'norm', f: norm, x: (s: number) => randn([3, 2, 4], s) },
  ] as const;
  for (const op of first) {
    it(`${op.name}: first order, fwd and rev, over several axis sets`, () => {
      axisSets.forEach(([axes, keep], i) => {
        checkGrads((x: T) => (op.f as (x: T, a: Axes, k: boolean) => T)(x, axes, keep), [op.x(200 + i)], { order: 1, seed: 7 + i });
      });
    });
  }
  // mean and variance are polynomials; prod too, and norm is smooth away from 0
  for (const op of first.filter((o) => ['mean', 'variance', 'prod', 'norm'].includes(o.name))) {
    it(`${op.name}: second order`, () => {
      for (const [axes, keep] of [[undefined, false], [[0, 2], true], [-1, false]] as const) {
        checkGrads((x: T) => (op.f as (x: T, a: Axes, k: boolean) => T)(x, axes as Axes, keep), [op.x(300)], { order: 2, seed: 9 });
      }
    });
  }
});

describe('reduction gradients vs tf.grad', () => {
  const cases = [
    { name: 'mean', ours: (x: T) => mean(x, [0, 2], false), theirs: (x: tf.Tensor) => tf.mean(x, [0, 2], false), x: randn },
    { name: 'max', ours: (x: T) => max(x, 1, false), theirs: (x: tf.Tensor) => tf.max(x, 1, false), x: distinct },
    { name: 'min', ours: (x: T) => min(x, -1, false), theirs: (x: tf.Tensor) => tf.min(x, -1, false), x: distinct },
    { name: 'prod', ours: (x: T) => prod(x, [1, 2], false), theirs: (x: tf.Tensor) => tf.prod(x, [1, 2], false), x: awayFromZero },
    { name: 'variance', ours: (x: T) => variance(x, 0, false), theirs: (x: tf.Tensor) => tf.moments(x, 0, false).variance, x: randn },
    { name: 'norm', ours: (x: T) => norm(x, [0, 1], false), theirs: (x: tf.Tensor) => tf.sqrt(tf.sum(tf.square(x), [0, 1], false)), x: randn },
  ];
  for (const c of cases) {
    it(c.name, () => {
      for (const seed of [1, 2, 3]) {
        const x = c.x([3, 4, 5], seed);
        const w = randn(c.ours(x).shape as number[], seed + 10);
        const ours = grad((v: T) => sum(mul(c.ours(v), w)))(x);
        expectTf(ours, () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(c.theirs(v), toTf(w))))(toTf(x)), { atol: 1e-6, rtol: 1e-5 }, c.name);
      }
    });
  }
});

describe('reduction conventions and edge cases', () => {
  it('max / min split the gradient evenly among ties (tfjs gives each tie the full gradient)', () => {
    const x = tensor([
      [3, 3, 1],
      [2, 5, 5],
      [4, 4, 4],
    ]) as T;
    expectCloseArrays(grad((v: T) => sum(max(v, 1)))(x).dataSync(), [0.5, 0.5, 0, 0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]);
    expectCloseArrays(grad((v: T) => sum(min(v)))(x).dataSync(), [0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const y = tensor([
      [1, 2, 0],
      [1, 3, 0],
      [2, 2, 0],
    ]) as T;
    expectCloseArrays(grad((v: T) => sum(min(v, 0, true)))(y).dataSync(), [0.5, 0.5, 1 / 3, 0.5, 0, 1 / 3, 0, 0.5, 1 / 3]);
    // the jvp splits the same way
    const [, t] = jvp((v: T) => max(v, 1), [x], [tensor([[1, 3, 0], [0, 2, 4], [3, 3, 6]]) as T]);
    expectCloseArrays(t.dataSync(), [2, 3, 4]);
  });

  it('norm: gradient 0 (not NaN) at a zero group, x/‖x‖ elsewhere; second derivative finite', () => {
    const x = tensor([
      [0, 0, 0],
      [3, 0, -4],
    ]) as T;
    expectCloseArrays(grad((v: T) => sum(norm(v, 1)))(x).dataSync(), [0, 0, 0, 0.6, 0, -0.8]);
    const hv = grad((v: T) => sum(grad((u: T) => sum(norm(u, 1)))(v)))(x);
    expect(hv.dataSync().every(Number.isFinite)).toBe(true);
    const [, t] = jvp((v: T) => norm(v), [zeros([4]) as T], [tensor([1, 2, 3, 4]) as T]);
    expect(t.item()).toBe(0);
  });

  it('norm neither overflows nor underflows, and ±∞ / NaN propagate', () => {
    const big = norm(tensor([3e20, -4e20])).item();
    expectCloseArrays([big], [5e20], { atol: 0, rtol: 1e-6 });
    const tiny = norm(tensor([3e-25, 4e-25])).item();
    expectCloseArrays([tiny], [5e-25], { atol: 0, rtol: 1e-6 });
    expect(norm(tensor([Infinity, 1])).item()).toBe(Infinity);
    expect(norm(tensor([-Infinity, Infinity])).item()).toBe(Infinity);
    expect(norm(tensor([Number.NaN, 1])).item()).toBeNaN();
    expect(norm(tensor([0, 0])).item()).toBe(0);
    expect(Array.from(norm(tensor([-2, 3]), []).dataSync())).toEqual([2, 3]);
  });

  it('prod gradient with zeros is the product of the others, like tf.grad', () => {
    const cases = [
      [1, 0, 3],
      [0, 0, 2],
      [2, -3, 4],
      [0, 5, -1],
    ];
    for (const c of cases) {
      const x = tensor(c) as T;
      expectTf(grad((v: T) => prod(v))(x), () => tf.grad((v: tf.Tensor) => tf.prod(v))(toTf(x)), { atol: 0, rtol: 0 }, `prod grad [${c}]`);
    }
    fc.assert(
      fc.property(
        tensorArb(shapeArb(2, 3, 3), fc.integer({ min: -2, max: 2 })).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.rank, max: x.rank - 1 }))),
        ([x, axis]) => {
          const w = randn(prod(x, axis).shape as number[], 5);
          const ours = grad((v: T) => sum(mul(prod(v, axis), w)))(x);
          // tfjs' prod gradient fails on negative axes: give it the normalised one
          const pos = axis < 0 ? axis + x.rank : axis;
          expectTf(ours, () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.prod(v, pos), toTf(w))))(toTf(x)), { atol: 1e-6, rtol: 1e-6 }, `axis ${axis}`);
        },
      ),
      { seed: 121, numRuns: 40 },
    );
  });

  it('mean over zero elements is NaN; variance is the population variance', () => {
    expect(Array.from(mean(zeros([0, 3]), 0).dataSync()).every(Number.isNaN)).toBe(true);
    expect(mean(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(variance(tensor([1, 2, 3, 4])).item()).toBe(1.25);
    expect(Array.from(variance(tensor([[1, 3], [5, 5]]), -1, true).dataSync())).toEqual([1, 0]);
  });

  it('empty reductions give the identities: sum 0, prod 1, max -∞, min +∞, norm 0', () => {
    const e = zeros([2, 0]);
    expect(Array.from(prod(e, 1).dataSync())).toEqual([1, 1]);
    expect(Array.from(max(e, 1).dataSync())).toEqual([-Infinity, -Infinity]);
    expect(Array.from(min(e, 1).dataSync())).toEqual([Infinity, Infinity]);
    expect(Array.from(norm(e, 1).dataSync())).toEqual([0, 0]);
  });

  it('rejects bad axes with the reduce rule words and non-float input', () => {
    const x = tensor([[1, 2]]);
    expect(() => mean(x as any, 2)).toThrow('reduce: axis out of range (axis 2, rank 2)');
    expect(() => max(x as any, [1, -1])).toThrow('reduce: axis repeated (1)');
    expect(() => variance(x as any, [0.5])).toThrow(ShapeError);
    expect(() => norm(scalar(1) as any, 0)).toThrow('reduce: axis out of range (axis 0, rank 0)');
    for (const f of [max, min, prod, norm]) expect(() => (f as (x: unknown) => unknown)(tensor([1, 2], 'int32'))).toThrow(ShapeError);
  });
});
