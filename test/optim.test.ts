import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, fromFlat, expectCloseArrays } from './helpers/tf';
import {
  adam,
  adamw,
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  globalNorm,
  linearSchedule,
  linearWarmup,
  piecewiseConstant,
  rmsprop,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  trace,
  stepCount,
  stepDecay,
  warmupCosineDecay,
  type GradientTransformation,
  type Schedule,
  type State,
} from '../src/optim';
import { grad, jvp, treeFlatten, treeLeaves } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray } from '../src/random';
import type { Dim } from '../src/shape/dims';
import type { Tensor } from '../src/tensor/tensor';
import { tensor, zeros } from '../src/tensor/create';
import { mul, square } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce';

type T = Tensor<Dim[]>;
/** a small pytree: a record with a nested array of leaves (scalars included) */
interface Tree {
  w: T;
  more: T[];
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (shape: number[], seed: number, scale = 1): T => fromFlat(normalArray(key(seed), size(shape), 0, scale), shape) as T;
const treeOf = (shapes: number[][], seed: number, s = 1): Tree => ({ w: randn(shapes[0]!, seed, s), more: shapes.slice(1).map((sh, i) => randn(sh, seed * 31 + i + 1, s)) });
const leaves64 = (t: unknown): Float64Array[] => treeLeaves(t).map((l) => Float64Array.from(l.dataSync() as Float32Array));
const pathsOf = (t: unknown) => treeFlatten(t).paths;

// ---------------------------------------------------------------- float64 references

/** A reference optimizer on flat float64 leaves; `step` returns the updates (to add). */
interface Ref {
  step(g: Float64Array[], p: Float64Array[], count: number, paths: string[]): Float64Array[];
}
const at = (v: number | Schedule, c: number) => (typeof v === 'function' ? v(c) : v);
const zerosLikeAll = (xs: Float64Array[]) => xs.map((x) => new Float64Array(x.length));

function refSgd(lr: number | Schedule, m = 0, nesterov = false): Ref {
  let v: Float64Array[] | null = null;
  return {
    step(g, _p, c) {
      v ??= zerosLikeAll(g);
      return g.map((gl, k) =>
        gl.map((gi, i) => {
          if (m === 0) return -at(lr, c) * gi;
          const vi = gi + m * v![k]![i]!;
          v![k]![i] = vi;
          return -at(lr, c) * (nesterov ? gi + m * vi : vi);
        }),
      );
    },
  };
}

function refAdam(lr: number | Schedule, b1: number, b2: number, eps: number, wd = 0, mask?: (path: string) => boolean): Ref {
  let mu: Float64Array[] | null = null;
  let nu: Float64Array[] | null = null;
  return {
    step(g, p, c, paths) {
      mu ??= zerosLikeAll(g);
      nu ??= zerosLikeAll(g);
      const t = c + 1;
      return g.map((gl, k) =>
        gl.map((gi, i) => {
          const m = b1 * mu![k]![i]! + (1 - b1) * gi;
          const v = b2 * nu![k]![i]! + (1 - b2) * gi * gi;
          mu![k]![i] = m;
          nu![k]![i] = v;
          const dir = m / (1 - b1 ** t) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
          const decay = wd !== 0 && (!mask || mask(paths[k]!)) ? wd * p[k]![i]! : 0;
          return -at(lr, c) * (dir + decay);
        }),
      );
    },
  };
}

function refRmsprop(lr: number, rho: number, eps: number, momentum: number, centered: boolean): Ref {
  let nu: Float64Array[] | null = null;
  let mg: Float64Array[] | null = null;
  let tr: Float64Array[] | null = null;
  return {
    step(g) {
      nu ??= zerosLikeAll(g);
      mg ??= zerosLikeAll(g);
      tr ??= zerosLikeAll(g);
      return g.map((gl, k) =>
        gl.map((gi, i) => {
          const v = rho * nu![k]![i]! + (1 - rho) * gi * gi;
          nu![k]![i] = v;
          let d = v;
          if (centered) {
            const a = rho * mg![k]![i]! + (1 - rho) * gi;
            mg![k]![i] = a;
            d = v - a * a;
          }
          const s = gi / Math.sqrt(d + eps);
          if (momentum === 0) return -lr * s;
          const t = momentum * tr![k]![i]! + lr * s;
          tr![k]![i] = t;
          return -t;
        }),
      );
    },
  };
}

/** clip to the global norm, then another reference */
function refClipThen(maxNorm: number, inner: Ref): Ref {
  return {
    step(g, p, c, paths) {
      let s = 0;
      for (const gl of g) for (const v of gl) s += v * v;
      const n = Math.sqrt(s);
      const f = n > maxNorm ? maxNorm / n : 1;
      return inner.step(
        g.map((gl) => gl.map((v) => v * f)),
        p,
        c,
        paths,
      );
    },
  };
}

interface Case {
  readonly name: string;
  readonly ours: () => GradientTransformation;
  readonly ref: () => Ref;
}

const warmCos = warmupCosineDecay({ peak: 0.05, warmupSteps: 2, decaySteps: 6, init: 0.01, end: 0.001 });
const noBias = (path: string) => !path.startsWith('more');
const cases: readonly Case[] = [
  { name: 'sgd', ours: () => sgd({ learningRate: 0.1 }), ref: () => refSgd(0.1) },
  { name: 'sgd + momentum', ours: () => sgd({ learningRate: 0.1, momentum: 0.9 }), ref: () => refSgd(0.1, 0.9) },
  { name: 'sgd + nesterov', ours: () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true }), ref: () => refSgd(0.05, 0.8, true) },
  { name: 'sgd with a step-decay schedule', ours: () => sgd({ learningRate: stepDecay({ init: 0.1, factor: 0.5, every: 2 }), momentum: 0.5 }), ref: () => refSgd(stepDecay({ init: 0.1, factor: 0.5, every: 2 }), 0.5) },
  { name: 'adam', ours: () => adam({ learningRate: 0.01 }), ref: () => refAdam(0.01, 0.9, 0.999, 1e-8) },
  { name: 'adam (custom betas, large eps)', ours: () => adam({ learningRate: 0.003, beta1: 0.5, beta2: 0.9, epsilon: 0.1 }), ref: () => refAdam(0.003, 0.5, 0.9, 0.1) },
  { name: 'adam with warm-up + cosine decay', ours: () => adam({ learningRate: warmCos }), ref: () => refAdam(warmCos, 0.9, 0.999, 1e-8) },
  { name: 'adamw', ours: () => adamw({ learningRate: 0.01, weightDecay: 0.1 }), ref: () => refAdam(0.01, 0.9, 0.999, 1e-8, 0.1) },
  { name: 'adamw with a decay mask', ours: () => adamw({ learningRate: 0.01, weightDecay: 0.1, decayMask: noBias }), ref: () => refAdam(0.01, 0.9, 0.999, 1e-8, 0.1, noBias) },
  { name: 'rmsprop', ours: () => rmsprop({ learningRate: 0.01 }), ref: () => refRmsprop(0.01, 0.9, 1e-8, 0, false) },
  { name: 'rmsprop centred + momentum', ours: () => rmsprop({ learningRate: 0.01, decay: 0.8, momentum: 0.9, centered: true, epsilon: 1e-6 }), ref: () => refRmsprop(0.01, 0.8, 1e-6, 0.9, true) },
  { name: 'rmsprop + momentum', ours: () => rmsprop({ learningRate: 0.02, momentum: 0.5 }), ref: () => refRmsprop(0.02, 0.9, 1e-8, 0.5, false) },
  { name: 'chain(clipByGlobalNorm(1), adam)', ours: () => chain(clipByGlobalNorm(1), adam({ learningRate: 0.01 })), ref: () => refClipThen(1, refAdam(0.01, 0.9, 0.999, 1e-8)) },
  {
    name: 'chain(addDecayedWeights, scale) = sgd with L2-style decay',
    ours: () => chain(addDecayedWeights(0.01), scale(-0.1)),
    ref: () => ({ step: (g, p) => g.map((gl, k) => gl.map((gi, i) => -0.1 * (gi + 0.01 * p[k]![i]!))) }),
  },
];

const shapesArb = fc.array(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }), { minLength: 1, maxLength: 4 });

describe('optimizers vs their update rules written out in float64, on random pytrees, several steps', () => {
  for (const c of cases) {
    it(c.name, () => {
      fc.assert(
        fc.property(shapesArb, fc.integer({ min: 1, max: 1e6 }), (shapes, seed) => {
          const opt = c.ours();
          const ref = c.ref();
          let params = treeOf(shapes, seed);
          let state = opt.init(params);
          let p64 = leaves64(params);
          const paths = pathsOf(params);
          for (let step = 0; step < 6; step++) {
            // gradients of mixed scale, the first step large enough for clipping to act
            const grads = treeOf(shapes, seed + 1000 * (step + 1), step === 0 ? 3 : 1);
            const [updates, next] = opt.update(grads, state, params);
            const u64 = ref.step(leaves64(grads), p64, step, paths);
            leaves64(updates).forEach((u, k) => expectCloseArrays(u, u64[k]!, { atol: 1e-7, rtol: 1e-5 }, `${c.name} step ${step} leaf ${paths[k]} update`));
            params = applyUpdates(params, updates);
            p64 = p64.map((p, k) => p.map((v, i) => v + u64[k]![i]!));
            leaves64(params).forEach((p, k) => expectCloseArrays(p, p64[k]!, { atol: 1e-6, rtol: 1e-5 }, `${c.name} step ${step} params`));
            expect(stepCount(next)).toBe(step + 1);
            state = next;
          }
        }),
        { seed: 21, numRuns: 15 },
      );
    });
  }
});

// ---------------------------------------------------------------- vs tf.train

interface TfCase {
  readonly name: string;
  readonly ours: GradientTransformation;
  readonly theirs: () => tf.Optimizer;
  readonly tol?: { atol: number; rtol: number };
}

describe('optimizers vs tf.train on one tensor (same conventions; tfjs defaults differ)', () => {
  const tfCases: readonly TfCase[] = [
    { name: 'sgd', ours: sgd({ learningRate: 0.1 }), theirs: () => tf.train.sgd(0.1) },
    { name: 'momentum', ours: sgd({ learningRate: 0.1, momentum: 0.9 }), theirs: () => tf.train.momentum(0.1, 0.9) },
    { name: 'nesterov', ours: sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), theirs: () => tf.train.momentum(0.1, 0.9, true) },
    // explicit epsilon: tfjs' default is its backend epsilon 1e-7
    { name: 'adam', ours: adam({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }), theirs: () => tf.train.adam(0.01, 0.8, 0.99, 1e-3) },
    { name: 'rmsprop', ours: rmsprop({ learningRate: 0.01, decay: 0.9, epsilon: 1e-3 }), theirs: () => tf.train.rmsprop(0.01, 0.9, 0, 1e-3) },
    { name: 'rmsprop + momentum', ours: rmsprop({ learningRate: 0.01, decay: 0.8, momentum: 0.7, epsilon: 1e-3 }), theirs: () => tf.train.rmsprop(0.01, 0.8, 0.7, 1e-3) },
    // tfjs' centred rmsprop subtracts epsilon (√(ν − γ² − ε)); the rules agree at ε = 0
    { name: 'rmsprop centred', ours: rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true, epsilon: 0 }), theirs: () => tf.train.rmsprop(0.01, 0.9, 0.5, 0, true) },
  ];
  for (const c of tfCases) {
    it(c.name, () => {
      const shape = [3, 5];
      let p = randn(shape, 50);
      let state = c.ours.init(p);
      const v = tf.variable(tf.tensor(p.dataSync(), shape));
      const opt = c.theirs();
      try {
        for (let step = 0; step < 10; step++) {
          const g = randn(shape, 60 + step);
          const [u, next] = c.ours.update(g, state, p);
          p = applyUpdates(p, u);
          state = next;
          tf.tidy(() => opt.applyGradients({ [v.name]: tf.tensor(g.dataSync(), shape) }));
          // tfjs rounds every intermediate to float32 (and accumulates β^t in float32)
          expectCloseArrays(p.dataSync(), v.dataSync(), c.tol ?? { atol: 2e-6, rtol: 2e-5 }, `${c.name} step ${step}`);
        }
      } finally {
        opt.dispose();
        v.dispose();
      }
    });
  }
});

// ---------------------------------------------------------------- purity, fused vs ops path, differentiability

describe('updates are pure and differentiable', () => {
  it('never mutates params, grads or state; the state is a pytree of the params type', () => {
    const opt = chain(clipByGlobalNorm(0.1), adamw({ learningRate: 0.1 }));
    const params = treeOf([[3, 2], [2], []], 1);
    const grads = treeOf([[3, 2], [2], []], 2);
    const state = opt.init(params);
    const snap = (x: unknown) => leaves64(x).map((a) => Array.from(a));
    const [p0, g0, s0] = [snap(params), snap(grads), snap(state)];
    const [u, s1] = opt.update(grads, state, params);
    const p1 = applyUpdates(params, u);
    expect([snap(params), snap(grads), snap(state)]).toEqual([p0, g0, s0]);
    expect(snap(p1)).not.toEqual(p0);
    expect(stepCount(state)).toBe(0);
    expect(stepCount(s1)).toBe(1);
    expect(s1.inner.map((s) => stepCount(s))).toEqual([1, 1]);
    // adam's slots mirror the params pytree
    expect(pathsOf(s1.inner[1]!.slots['mu'])).toEqual(pathsOf(params));
    expect(Object.keys(s1.inner[1]!.slots).sort()).toEqual(['mu', 'nu']);
    // the step counts are int32 scalar leaves (one per transformation), so a jitted step keeps one signature
    expect(pathsOf(s1)).toEqual(['count', 'inner.0.count', 'inner.1.count', ...pathsOf(params).map((p) => `inner.1.slots.mu.${p}`), ...pathsOf(params).map((p) => `inner.1.slots.nu.${p}`)]);
  });

  it('the ops path (traced inputs) computes what the fused loop computes', () => {
    const shapes = [[4, 3], [3]];
    const params = treeOf(shapes, 3);
    const grads = treeOf(shapes, 4);
    for (const opt of [adamw({ learningRate: 0.01, decayMask: noBias }), sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), rmsprop({ learningRate: 0.01, centered: true, momentum: 0.3 }), chain(clipByGlobalNorm(0.5), scale(-1))]) {
      // two steps so the state is non-zero
      const s1 = opt.update(grads, opt.init(params), params)[1];
      const [fusedU, fusedS] = opt.update(treeOf(shapes, 5), s1, params);
      // jvp makes every grads leaf a tracer: the update runs through ops
      const [[opsU, opsS]] = jvp((g: Tree) => opt.update(g, s1, params), [treeOf(shapes, 5)], [treeOf(shapes, 6)]);
      leaves64(opsU).forEach((u, k) => expectCloseArrays(u, leaves64(fusedU)[k]!, { atol: 1e-7, rtol: 1e-6 }, `${opt.name} update`));
      leaves64(opsS).forEach((s, k) => expectCloseArrays(s, leaves64(fusedS)[k]!, { atol: 1e-7, rtol: 1e-6 }, `${opt.name} state`));
    }
  });

  it('an update step is differentiable (checkGrads through adam, rmsprop, clipping)', () => {
    const shapes = [[2, 3], [3]];
    const params = treeOf(shapes, 7);
    for (const opt of [adam({ learningRate: 0.1 }), rmsprop({ learningRate: 0.1, centered: true }), chain(clipByGlobalNorm(0.5), sgd({ learningRate: 0.1, momentum: 0.9 }))]) {
      const s1 = opt.update(treeOf(shapes, 8), opt.init(params), params)[1];
      checkGrads((g: Tree) => opt.update(g, s1, params)[0], [treeOf(shapes, 9)], { order: 1, seed: 1 });
    }
    // d/dlr of one sgd step's effect on a loss: meta-gradient through applyUpdates
    const p = randn([3], 10);
    const g = randn([3], 11);
    const metaGrad = grad((lr: Tensor<[]>) => sum(square(applyUpdates(p, mul(g, mul(lr, -1)) as T) as T)))(tensor(0.1) as Tensor<[]>);
    const pd = p.dataSync();
    const gd = g.dataSync();
    let expected = 0;
    for (let i = 0; i < 3; i++) expected += 2 * (pd[i]! - 0.1 * gd[i]!) * -gd[i]!;
    expect(metaGrad.item()).toBeCloseTo(expected, 5);
  });
});

// ---------------------------------------------------------------- clipping

describe('clipByGlobalNorm', () => {
  it('caps the global norm at maxNorm and keeps the direction', () => {
    const g = treeOf([[3, 4], [5], []], 12, 3);
    const n = globalNorm(g);
    expect(n).toBeGreaterThan(2);
    const [u] = clipByGlobalNorm(2).update(g, clipByGlobalNorm(2).init(g));
    expect(globalNorm(u)).toBeCloseTo(2, 5);
    leaves64(u).forEach((l, k) => expectCloseArrays(l, leaves64(g)[k]!.map((v) => (v * 2) / n), { atol: 1e-7, rtol: 1e-6 }));
  });

  it('leaves small updates untouched (the same tensors)', () => {
    const g = treeOf([[3], [2, 2]], 13, 0.01);
    const [u] = clipByGlobalNorm(1).update(g, clipByGlobalNorm(1).init(g));
    expect(u).toBe(g);
  });

  it('global norm of a float32 pytree in float64 (no overflow for large values)', () => {
    expect(globalNorm({ a: tensor([3e30, 4e30]), b: [tensor(0)] })).toBeCloseTo(5e30, -24);
    expect(globalNorm({ a: tensor([3, 4]), b: [tensor([12])] })).toBeCloseTo(13, 10);
  });
});

// ---------------------------------------------------------------- schedules

describe('learning-rate schedules: values at chosen steps', () => {
  const values = (s: Schedule, steps: number[]) => steps.map(s);
  it('constant, linear, warm-up', () => {
    expect(values(constantSchedule(0.3), [0, 1, 1000])).toEqual([0.3, 0.3, 0.3]);
    expectCloseArrays(values(linearSchedule({ init: 1, end: 0, steps: 4, begin: 2 }), [0, 2, 3, 4, 6, 10]), [1, 1, 0.75, 0.5, 0, 0], { atol: 1e-15 });
    expectCloseArrays(values(linearWarmup({ peak: 0.1, warmupSteps: 10 }), [0, 5, 10, 50]), [0, 0.05, 0.1, 0.1], { atol: 1e-15 });
    expectCloseArrays(values(linearWarmup({ peak: 0.1, warmupSteps: 0 }), [0, 3]), [0.1, 0.1], { atol: 1e-15 });
  });
  it('cosine decay and warm-up + cosine decay', () => {
    expectCloseArrays(values(cosineDecay({ init: 1, decaySteps: 100 }), [0, 50, 100, 200]), [1, 0.5, 0, 0], { atol: 1e-15 });
    expectCloseArrays(values(cosineDecay({ init: 2, decaySteps: 100, alpha: 0.1 }), [0, 50, 100]), [2, 2 * (0.9 * 0.5 + 0.1), 0.2], { atol: 1e-15 });
    const s = warmupCosineDecay({ peak: 1, warmupSteps: 10, decaySteps: 110, end: 0.1 });
    expectCloseArrays(values(s, [0, 5, 10, 60, 110, 500]), [0, 0.5, 1, 0.55, 0.1, 0.1], { atol: 1e-12 });
  });
  it('exponential, step and piecewise-constant decay', () => {
    expectCloseArrays(values(exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 10 }), [0, 5, 10, 20]), [1, Math.SQRT1_2, 0.5, 0.25], { atol: 1e-15 });
    expectCloseArrays(values(exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 10, staircase: true, end: 0.3 }), [9, 10, 25]), [1, 0.5, 0.3], { atol: 1e-15 });
    expectCloseArrays(values(stepDecay({ init: 0.1, factor: 0.1, every: 3 }), [0, 2, 3, 6]), [0.1, 0.1, 0.01, 0.001], { atol: 1e-15 });
    expect(values(piecewiseConstant([5, 10], [1, 0.5, 0.1]), [0, 4, 5, 9, 10, 99])).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
  });
  it('optimizers read the schedule at the state count (step 0 first)', () => {
    const seen: number[] = [];
    const lr: Schedule = (s) => {
      seen.push(s);
      return 0.1;
    };
    const opt = sgd({ learningRate: lr });
    let st = opt.init(zeros([2]));
    for (let i = 0; i < 3; i++) st = opt.update(tensor([1, 1]), st)[1];
    expect(seen).toEqual([0, 1, 2]);
  });
  it('rejects invalid arguments', () => {
    expect(() => cosineDecay({ init: 1, decaySteps: 0 })).toThrow(RangeError);
    expect(() => warmupCosineDecay({ peak: 1, warmupSteps: 10, decaySteps: 10 })).toThrow(/decaySteps \(10\) must be an integer greater than warmupSteps/);
    expect(() => piecewiseConstant([5, 3], [1, 2, 3])).toThrow(/strictly increasing/);
    expect(() => piecewiseConstant([5], [1])).toThrow(/one more value than boundaries/);
    expect(() => exponentialDecay({ init: 1, decayRate: 0, transitionSteps: 1 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- errors

describe('clear errors', () => {
  const params = treeOf([[2], [3]], 14);
  it('adamw needs params; structures must match; leaves must be float32 of equal shapes', () => {
    const opt = adamw({ learningRate: 0.1 });
    const st = opt.init(params);
    expect(() => opt.update(params, st)).toThrow('adamw: update needs the params (opt.update(grads, state, params))');
    expect(() => opt.update({ w: params.w, more: [] } as Tree, st, params)).toThrow('adamw.update: grads differ from params at more[0]: no leaf vs [3] (grads have none there)');
    expect(() => opt.update({ w: randn([5], 1), more: params.more }, st, params)).toThrow('adamw.update: grads differ from params at w: [5] vs [2]');
    expect(() => adam({ learningRate: 0.1 }).init({ ids: tensor([1, 2], 'int32') })).toThrow("adam: params leaf 'ids' has dtype int32; only float32 leaves can be optimized");
    expect(() => chain(sgd({ learningRate: 1 })).update(params, opt.init(params) as State<Tree>)).toThrow(/holds 0 inner states for 1 transformations/);
  });
  it('rejects bad hyper-parameters', () => {
    expect(() => adam({ learningRate: Number.NaN })).toThrow('adam: learningRate must be a finite number or a schedule, got NaN');
    expect(() => adam({ learningRate: 0.1, beta1: 1 })).toThrow('adam: beta1 must be in [0, 1), got 1');
    expect(() => sgd({ learningRate: 0.1, nesterov: true })).toThrow(/nesterov needs a momentum/);
    expect(() => rmsprop({ learningRate: 0.1, epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0/);
    expect(() => clipByGlobalNorm(0)).toThrow(RangeError);
  });
  it('a state from another optimizer is rejected', () => {
    const st = sgd({ learningRate: 1 }).init(params);
    expect(() => adam({ learningRate: 1 }).update(params, st)).toThrow("adam: the state has no 'mu' slot (was it made by adam.init?)");
  });
  it('update is a pure function of its inputs (same inputs, same update)', () => {
    const opt = adam({ learningRate: warmCos });
    const st = opt.update(params, opt.init(params), params)[1];
    const g = treeOf([[2], [3]], 15);
    expect(leaves64(opt.update(g, st, params)[0])).toEqual(leaves64(opt.update(g, st, params)[0]));
  });
});

describe('optimizers are optax chains of their stages', () => {
  const shapes = [[5, 3], [3], []];
  const noBias = (path: string) => !path.startsWith('more');
  const run = (opt: GradientTransformation, steps: number) => {
    let params: Tree = treeOf(shapes, 11);
    let state = opt.init(params);
    const out: Float64Array[][] = [];
    for (let t = 0; t < steps; t++) {
      const [u, s] = opt.update(treeOf(shapes, 20 + t), state, params);
      params = applyUpdates(params, u);
      state = s;
      out.push(leaves64(u));
    }
    return { out, state };
  };
  const cases: [string, GradientTransformation, GradientTransformation][] = [
    ['adam', adam({ learningRate: linearSchedule({ init: 0.1, end: 0.01, steps: 4 }) }), chain(scaleByAdam(), scaleByLearningRate(linearSchedule({ init: 0.1, end: 0.01, steps: 4 })))],
    ['adamw', adamw({ learningRate: 0.05, weightDecay: 0.1, decayMask: noBias, beta1: 0.8 }), chain(scaleByAdam({ beta1: 0.8 }), addDecayedWeights(0.1, noBias), scaleByLearningRate(0.05))],
    ['sgd (nesterov)', sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), chain(trace({ decay: 0.9, nesterov: true }), scaleByLearningRate(0.1))],
    ['sgd', sgd({ learningRate: 0.1 }), scaleByLearningRate(0.1)],
  ];
  for (const [name, fused, chained] of cases) {
    it(`${name}: the fused optimizer gives the chain's updates (to float32 rounding), with the state of one transformation`, () => {
      const a = run(fused, 4);
      const b = run(chained, 4);
      // the fused loop rounds once per element, the chain once per stage: equal up to float32 rounding
      a.out.forEach((step, t) => step.forEach((l, i) => expectCloseArrays(l, b.out[t]![i]!, { atol: 1e-9, rtol: 1e-6 })));
      const slotsA = Object.keys(a.state.slots).sort();
      const slotsB = b.state.inner.flatMap((s) => Object.keys(s.slots)).sort();
      expect(slotsA).toEqual(slotsB);
      expect(a.state.inner).toEqual([]);
    });
  }
  it('the composed rule runs one pass over the trees, also through the ops path (jvp)', () => {
    const params = treeOf(shapes, 3);
    const grads = treeOf(shapes, 4);
    const opt = adamw({ learningRate: 0.01, decayMask: noBias });
    const viaChain = chain(scaleByAdam(), addDecayedWeights(1e-4, noBias), scaleByLearningRate(0.01));
    const [uf] = jvp((g: Tree) => opt.update(g, opt.init(params), params)[0], [grads], [grads]);
    const [uc] = jvp((g: Tree) => viaChain.update(g, viaChain.init(params), params)[0], [grads], [grads]);
    leaves64(uf).forEach((l, i) => expectCloseArrays(l, leaves64(uc)[i]!, { atol: 1e-6, rtol: 1e-5 }));
  });
});
