import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays, type Tol } from './helpers/tf';
import {
  binaryCrossEntropyFromLogits,
  categoricalCrossEntropyFromLogits,
  mae,
  maskedBinaryCrossEntropyFromLogits,
  maskedCategoricalCrossEntropyFromLogits,
  maskedMae,
  maskedMean,
  maskedMse,
  maskedSparseCategoricalCrossEntropy,
  mse,
  sparseCategoricalCrossEntropy,
  type Reduction,
} from '../src/nn/losses';
import { accuracy, binaryAccuracy, maskedAccuracy, rmse } from '../src/nn/metrics';
import { grad, makeGraph } from '../src/autodiff';
import { evalGraph } from '../src/autodiff/graph';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray, randintArray, uniformArray } from '../src/random';
import { ShapeError, type Dim, type Shape } from '../src/shape/dims';
import type { DType } from '../src/tensor/dtype';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { tensor } from '../src/tensor/create';
import { softmax } from '../src/ops/activations';

type T = Tensor<Dim[]>;
type L = Tensor<Dim[], 'int32'>;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (shape: number[], seed: number, scale = 1): T => fromFlat(normalArray(key(seed), size(shape), 0, scale), shape) as T;
const uniform = (shape: number[], seed: number, lo = 0, hi = 1): T => fromFlat(uniformArray(key(seed), size(shape), lo, hi), shape) as T;
const labelsOf = (shape: number[], classes: number, seed: number): L => makeTensor(shape, 'int32', randintArray(key(seed), size(shape), 0, classes)) as unknown as L;
const maskOf = (shape: number[], seed: number): T => fromFlat(Array.from(uniformArray(key(seed), size(shape)), (u) => (u < 0.3 ? 0 : 1)), shape) as T;
const probsOf = (shape: number[], seed: number): T => softmax(randn(shape, seed, 2)) as T;

function expectTf(ours: Tensor<Shape, DType>, theirs: () => tf.Tensor, tol: Tol = {}, what = ''): void {
  const r = tf.tidy(theirs);
  try {
    expectCloseTf(ours, r, tol, what);
  } finally {
    r.dispose();
  }
}

const REDUCTIONS: readonly [Reduction, tf.Reduction][] = [
  ['mean', tf.Reduction.MEAN],
  ['sum', tf.Reduction.SUM],
  ['none', tf.Reduction.NONE],
];

/** rank 1-3 shapes, the last dim >= 1 */
const shapeArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 });
/** moderate values mixed with extreme logits (±1e4) and exact zeros */
const logitArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }).map(Math.fround) },
  { weight: 1, arbitrary: fc.constantFrom(1e4, -1e4, 100, -100, 0) },
);
const valuesArb = (shape: number[], values: fc.Arbitrary<number>) => fc.array(values, { minLength: size(shape), maxLength: size(shape) }).map((v) => fromFlat(v, shape) as T);

// ---------------------------------------------------------------- values and gradients vs tfjs

interface PairLoss {
  readonly name: string;
  readonly ours: (p: T, t: T, r: Reduction) => T;
  readonly theirs: (p: tf.Tensor, t: tf.Tensor, r: tf.Reduction) => tf.Tensor;
  readonly preds: fc.Arbitrary<number>;
  readonly targets: (shape: number[]) => fc.Arbitrary<T>;
  readonly tol?: Tol;
}

const f32 = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround);
const pairLosses: readonly PairLoss[] = [
  {
    name: 'mse',
    ours: (p, t, r) => mse(p, t, { reduction: r }),
    theirs: (p, t, r) => tf.losses.meanSquaredError(t, p, undefined, r),
    preds: f32(-10, 10),
    targets: (s) => valuesArb(s, f32(-10, 10)),
  },
  {
    name: 'mae',
    ours: (p, t, r) => mae(p, t, { reduction: r }),
    theirs: (p, t, r) => tf.losses.absoluteDifference(t, p, undefined, r),
    preds: f32(-10, 10),
    targets: (s) => valuesArb(s, f32(-10, 10)),
  },
  {
    name: 'binaryCrossEntropyFromLogits',
    ours: (p, t, r) => binaryCrossEntropyFromLogits(p, t, { reduction: r }),
    theirs: (p, t, r) => tf.losses.sigmoidCrossEntropy(t, p, undefined, 0, r),
    preds: logitArb,
    targets: (s) => valuesArb(s, fc.oneof(f32(0, 1), fc.constantFrom(0, 1))),
    // both compute 1e4·(1 − z) style terms in float32: relative rounding of large values
    tol: { atol: 1e-5, rtol: 2e-5 },
  },
  {
    name: 'categoricalCrossEntropyFromLogits',
    ours: (p, t, r) => categoricalCrossEntropyFromLogits(p, t, { reduction: r }),
    theirs: (p, t, r) => tf.losses.softmaxCrossEntropy(t, p, undefined, 0, r),
    preds: logitArb,
    targets: (s) => fc.integer({ min: 0, max: 1e6 }).map((seed) => probsOf(s, seed)),
    tol: { atol: 1e-5, rtol: 2e-5 },
  },
];

/** float64 reference of d cce / d logits: (softmax(x)·Σz − z), divided by the row count for 'mean' */
function cceGrad64(x: T, z: T, r: Reduction): number[] {
  const s = x.shape as number[];
  const c = s.at(-1)!;
  const xd = x.dataSync();
  const zd = z.dataSync();
  const rows = xd.length / c;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, xd[i * c + j]!);
    let se = 0;
    for (let j = 0; j < c; j++) se += Math.exp(xd[i * c + j]! - m);
    let zs = 0;
    for (let j = 0; j < c; j++) zs += zd[i * c + j]!;
    for (let j = 0; j < c; j++) out.push(((Math.exp(xd[i * c + j]! - m) / se) * zs - zd[i * c + j]!) / (r === 'mean' ? rows : 1));
  }
  return out;
}

/**
 * tfjs evaluates softmax(x) as exp(x − lse) in float32: with logits near ±1e4, x − lse carries an
 * absolute error of ulp(1e4) ≈ 1e-3, which shows up in its gradients (ours work in float64 and
 * are checked against a float64 reference separately).
 */
const gradTol = (x: T): Tol => (x.dataSync().some((v) => Math.abs(v) >= 100) ? { atol: 2e-3, rtol: 2e-3 } : { atol: 1e-5, rtol: 1e-4 });

/** a one-hot tfjs tensor from our labels (tf.oneHot rejects depth 1) */
function oneHotTf(labels: L, depth: number): tf.Tensor {
  const d = labels.dataSync();
  const out = new Float32Array(d.length * depth);
  d.forEach((c, i) => (out[i * depth + c] = 1));
  return tf.tensor(out, [...(labels.shape as number[]), depth]);
}

describe('losses vs tf.losses on random shapes, all reductions, extreme logits', () => {
  for (const loss of pairLosses) {
    it(`${loss.name}: values and gradients`, () => {
      fc.assert(
        fc.property(
          shapeArb.chain((s) => fc.tuple(valuesArb(s, loss.preds), loss.targets(s))),
          fc.constantFrom(...REDUCTIONS),
          ([p, t], [r, tr]) => {
            const y = loss.ours(p, t, r);
            expect(Array.from(y.dataSync()).every(Number.isFinite), `${loss.name} finite`).toBe(true);
            expectTf(y, () => loss.theirs(toTf(p), toTf(t), tr), loss.tol, `${loss.name} ${r}`);
            if (r === 'none') return;
            const g = grad((q: T) => loss.ours(q, t, r) as Tensor<[]>)(p);
            expect(Array.from(g.dataSync()).every(Number.isFinite), `${loss.name} grad finite`).toBe(true);
            // mae's kink: tfjs takes abs'(0) = -1, we take 0 (as JAX); compare off the kink
            if (loss.name === 'mae' && p.dataSync().some((v, i) => v === t.dataSync()[i])) return;
            expectTf(g, () => tf.grad((q: tf.Tensor) => loss.theirs(q, toTf(t), tr))(toTf(p)), gradTol(p), `${loss.name} grad ${r}`);
            if (loss.name === 'categoricalCrossEntropyFromLogits') expectCloseArrays(g.dataSync(), cceGrad64(p, t, r), { atol: 1e-6, rtol: 1e-5 }, 'cce grad vs float64');
          },
        ),
        { seed: 11, numRuns: 40 },
      );
    });
  }

  it('sparseCategoricalCrossEntropy matches softmaxCrossEntropy on one-hot labels (values, gradients, reductions)', () => {
    fc.assert(
      fc.property(
        shapeArb.chain((s) => fc.tuple(valuesArb(s, logitArb), fc.integer({ min: 0, max: 1e6 }))),
        fc.constantFrom(...REDUCTIONS),
        ([logits, seed], [r, tr]) => {
          const s = logits.shape as number[];
          const labels = labelsOf(s.slice(0, -1), s.at(-1)!, seed);
          const depth = s.at(-1)!;
          const oh = () => oneHotTf(labels, depth);
          const y = sparseCategoricalCrossEntropy(logits, labels, { reduction: r });
          expectTf(y, () => tf.losses.softmaxCrossEntropy(oh(), toTf(logits), undefined, 0, tr), { atol: 1e-5, rtol: 2e-5 }, `sparse ${r}`);
          if (r === 'none') return;
          const g = grad((q: T) => sparseCategoricalCrossEntropy(q, labels, { reduction: r }) as Tensor<[]>)(logits);
          expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
          expectTf(g, () => tf.grad((q: tf.Tensor) => tf.losses.softmaxCrossEntropy(oh(), q, undefined, 0, tr))(toTf(logits)), gradTol(logits), `sparse grad ${r}`);
          const ohOurs = fromFlat(oneHotTf(labels, depth).dataSync(), s) as T;
          expectCloseArrays(g.dataSync(), cceGrad64(logits, ohOurs, r), { atol: 1e-6, rtol: 1e-5 }, 'sparse grad vs float64');
        },
      ),
      { seed: 12, numRuns: 40 },
    );
  });

  it('extreme logits (±1e4) give exact, finite losses and gradients', () => {
    const x = tensor([[1e4, -1e4, 0]]) as T;
    expectCloseArrays(categoricalCrossEntropyFromLogits(x, tensor([[0, 1, 0]]) as T, { reduction: 'none' }).dataSync(), [2e4]);
    expectCloseArrays(sparseCategoricalCrossEntropy(x, tensor([0], 'int32') as L).dataSync(), [0]);
    expectCloseArrays(grad((q: T) => sparseCategoricalCrossEntropy(q, tensor([1], 'int32') as L))(x).dataSync(), [1, -1, 0]);
    const b = tensor([1e4, -1e4, 1e4, -1e4]) as T;
    const z = tensor([1, 0, 0, 1]) as T;
    expectCloseArrays(binaryCrossEntropyFromLogits(b, z, { reduction: 'none' }).dataSync(), [0, 0, 1e4, 1e4]);
    expectCloseArrays(grad((q: T) => binaryCrossEntropyFromLogits(q, z, { reduction: 'sum' }))(b).dataSync(), [0, 0, 1, -1]);
  });

  it('binary cross-entropy at logit 0 has the true derivative ½ − z (no kink from max(x, 0))', () => {
    const g = grad((q: T) => binaryCrossEntropyFromLogits(q, tensor([0, 1, 0.25]) as T, { reduction: 'sum' }))(tensor([0, 0, 0]) as T);
    expectCloseArrays(g.dataSync(), [0.5, -0.5, 0.25]);
  });
});

// ---------------------------------------------------------------- masked variants

describe('masked losses vs tf.losses with weights (Reduction.MEAN = Σ w·loss / Σ w)', () => {
  it('maskedMse / maskedMae / maskedBinaryCrossEntropyFromLogits (mask of the predictions shape)', () => {
    const p = randn([3, 5], 1, 2);
    const t = uniform([3, 5], 2);
    const m = maskOf([3, 5], 3);
    expectTf(maskedMse(p, t, m), () => tf.losses.meanSquaredError(toTf(t), toTf(p), toTf(m), tf.Reduction.MEAN));
    expectTf(maskedMae(p, t, m), () => tf.losses.absoluteDifference(toTf(t), toTf(p), toTf(m), tf.Reduction.MEAN));
    expectTf(maskedBinaryCrossEntropyFromLogits(p, t, m), () => tf.losses.sigmoidCrossEntropy(toTf(t), toTf(p), toTf(m), 0, tf.Reduction.MEAN));
    expectTf(maskedMse(p, t, m, { reduction: 'sum' }), () => tf.losses.meanSquaredError(toTf(t), toTf(p), toTf(m), tf.Reduction.SUM));
    expectTf(maskedMse(p, t, m, { reduction: 'none' }), () => tf.losses.meanSquaredError(toTf(t), toTf(p), toTf(m), tf.Reduction.NONE));
  });

  it('maskedSparseCategoricalCrossEntropy / maskedCategoricalCrossEntropyFromLogits on padded sequences [batch, L, C]', () => {
    const logits = randn([4, 6, 7], 4, 3);
    const labels = labelsOf([4, 6], 7, 5);
    const mask = maskOf([4, 6], 6);
    const oh = () => oneHotTf(labels, 7);
    expectTf(maskedSparseCategoricalCrossEntropy(logits, labels, mask), () => tf.losses.softmaxCrossEntropy(oh(), toTf(logits), toTf(mask), 0, tf.Reduction.MEAN), { atol: 1e-6, rtol: 2e-5 });
    const probs = probsOf([4, 6, 7], 7);
    expectTf(maskedCategoricalCrossEntropyFromLogits(logits, probs, mask), () => tf.losses.softmaxCrossEntropy(toTf(probs), toTf(logits), toTf(mask), 0, tf.Reduction.MEAN), { atol: 1e-6, rtol: 2e-5 });
    // gradient vs tfjs: padded positions get exactly zero gradient
    const g = grad((q: T) => maskedSparseCategoricalCrossEntropy(q, labels, mask))(logits);
    expectTf(g, () => tf.grad((q: tf.Tensor) => tf.losses.softmaxCrossEntropy(oh(), q, toTf(mask), 0, tf.Reduction.MEAN))(toTf(logits)), { atol: 1e-6, rtol: 1e-5 });
    const gd = g.dataSync();
    const md = mask.dataSync();
    for (let i = 0; i < md.length; i++) if (md[i] === 0) for (let c = 0; c < 7; c++) expect(gd[i * 7 + c]).toBe(0);
  });

  it('a bool mask equals the same float mask; the result ignores padded positions entirely', () => {
    const logits = randn([2, 5, 3], 8);
    const labels = labelsOf([2, 5], 3, 9);
    const mf = tensor([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 0],
    ]) as T;
    const mb = tensor([
      [true, true, true, false, false],
      [true, true, true, true, false],
    ]) as unknown as Tensor<Dim[], 'bool'>;
    const a = maskedSparseCategoricalCrossEntropy(logits, labels, mf).item();
    expect(maskedSparseCategoricalCrossEntropy(logits, labels, mb).item()).toBe(a);
    // changing logits or labels at padded positions changes nothing
    const ld = logits.dataSync();
    for (let c = 0; c < 3; c++) ld[(0 * 5 + 4) * 3 + c] = 50 * (c + 1);
    const lb = labels.dataSync();
    lb[1 * 5 + 4] = 2;
    expect(maskedSparseCategoricalCrossEntropy(fromFlat(ld, [2, 5, 3]) as T, makeTensor([2, 5], 'int32', lb) as unknown as L, mf).item()).toBeCloseTo(a, 6);
    // = the plain mean over the 7 real positions
    const none = sparseCategoricalCrossEntropy(logits, labels, { reduction: 'none' }).dataSync();
    const md = mf.dataSync();
    let s = 0;
    for (let i = 0; i < 10; i++) s += none[i]! * md[i]!;
    expect(a).toBeCloseTo(s / 7, 6);
  });

  it('an all-zero mask gives 0 (not NaN) with zero gradient', () => {
    const p = randn([2, 3], 10);
    const z = fromFlat([0, 0, 0, 0, 0, 0], [2, 3]) as T;
    expect(maskedMse(p, randn([2, 3], 11), z).item()).toBe(0);
    const g = grad((q: T) => maskedMse(q, randn([2, 3], 11), z))(p);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    expect(maskedMean(p, z).item()).toBe(0);
  });
});

// ---------------------------------------------------------------- gradient checks

describe('loss derivatives (checkGrads, order 1 both modes; order 2 where smooth)', () => {
  const p = randn([3, 4], 20, 2);
  const t = uniform([3, 4], 21);
  const probs = probsOf([3, 4], 22);
  const labels = labelsOf([3], 4, 23);
  const seqLogits = randn([2, 3, 4], 24, 2);
  const seqLabels = labelsOf([2, 3], 4, 25);
  const seqMask = tensor([
    [1, 1, 0],
    [1, 0.5, 1],
  ]) as T;
  // mae's kink is where p = t: keep them at least 0.5 apart
  const tFar = fromFlat(
    Array.from(p.dataSync(), (v, i) => v + (i % 2 === 0 ? 1 : -1) * (0.5 + (i % 3) * 0.3)),
    [3, 4],
  ) as T;
  const smooth: readonly [string, (x: T) => T][] = [
    ['mse', (x) => mse(x, t)],
    ['binaryCrossEntropyFromLogits', (x) => binaryCrossEntropyFromLogits(x, t)],
    ['categoricalCrossEntropyFromLogits', (x) => categoricalCrossEntropyFromLogits(x, probs)],
    ['sparseCategoricalCrossEntropy', (x) => sparseCategoricalCrossEntropy(x, labels)],
    ['maskedMse', (x) => maskedMse(x, t, t)],
    ['maskedBinaryCrossEntropyFromLogits', (x) => maskedBinaryCrossEntropyFromLogits(x, t, t)],
    ['rmse', (x) => rmse(x, t)],
  ];
  for (const [name, f] of smooth) {
    it(`${name}: orders 1 and 2`, () => {
      checkGrads(f, [p], { order: 2, seed: 3 });
    });
  }
  it('sparse / categorical masked cross-entropy on sequences: orders 1 and 2', () => {
    checkGrads((x: T) => maskedSparseCategoricalCrossEntropy(x, seqLabels, seqMask), [seqLogits], { order: 2, seed: 4 });
    checkGrads((x: T) => maskedCategoricalCrossEntropyFromLogits(x, probsOf([2, 3, 4], 26), seqMask), [seqLogits], { order: 2, seed: 5 });
  });
  it('losses differentiate in both arguments (targets too)', () => {
    checkGrads((x: T, y: T) => mse(x, y), [p, t], { order: 2, seed: 6 });
    checkGrads((x: T, y: T) => categoricalCrossEntropyFromLogits(x, y), [p, probs], { order: 1, seed: 7 });
  });
  it('mae (off its kink): order 1', () => {
    checkGrads((x: T) => mae(x, tFar), [p], { order: 1, seed: 8 });
    checkGrads((x: T) => maskedMae(x, tFar, t), [p], { order: 1, seed: 9 });
  });
});

// ---------------------------------------------------------------- metrics

describe('metrics vs tf.metrics', () => {
  it('accuracy = tf.metrics.categoricalAccuracy averaged (int labels vs one-hot)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (n, c, seed) => {
        const logits = randn([n, c], seed);
        const labels = labelsOf([n], c, seed + 1);
        expectTf(accuracy(logits, labels), () => tf.mean(tf.metrics.categoricalAccuracy(tf.oneHot(toTf(labels) as tf.Tensor1D, c), toTf(logits))));
      }),
      { seed: 13, numRuns: 30 },
    );
  });

  it('binaryAccuracy from logits = tf.metrics.binaryAccuracy on sigmoid probabilities', () => {
    const logits = randn([6, 3], 30, 3);
    const targets = fromFlat(Array.from(uniformArray(key(31), 18), (u) => (u < 0.5 ? 0 : 1)), [6, 3]) as T;
    expectTf(binaryAccuracy(logits, targets), () => tf.mean(tf.metrics.binaryAccuracy(toTf(targets), tf.sigmoid(toTf(logits)))));
  });

  it('rmse = √(tf.metrics.meanSquaredError averaged)', () => {
    const p = randn([5, 4], 32);
    const t = randn([5, 4], 33);
    expectTf(rmse(p, t), () => tf.sqrt(tf.mean(tf.metrics.meanSquaredError(toTf(t), toTf(p)))));
  });

  it('maskedAccuracy counts only real positions', () => {
    const logits = tensor([
      [
        [2, 1],
        [0, 3],
        [5, 0],
      ],
    ]) as T;
    const labels = tensor([[0, 0, 1]], 'int32') as L;
    expect(maskedAccuracy(logits, labels, tensor([[1, 1, 0]]) as T).item()).toBeCloseTo(0.5, 7);
    expect(maskedAccuracy(logits, labels, tensor([[true, false, false]]) as unknown as Tensor<Dim[], 'bool'>).item()).toBe(1);
    expect(accuracy(logits, labels).item()).toBeCloseTo(1 / 3, 7);
  });
});

// ---------------------------------------------------------------- runtime errors

describe('runtime checks when the types are bypassed', () => {
  const p = randn([4, 3], 40);
  it('equal-shape rule names the loss and both shapes', () => {
    expect(() => mse(p, randn([4], 41) as any)).toThrow(new ShapeError('mse', 'predictions and targets must have equal shapes (expected [4, 3], got [4])'));
    expect(() => mae(p, randn([3, 4], 41) as any)).toThrow('mae: predictions and targets must have equal shapes (expected [4, 3], got [3, 4])');
    expect(() => binaryCrossEntropyFromLogits(p, randn([4, 1], 41) as any)).toThrow(ShapeError);
    expect(() => categoricalCrossEntropyFromLogits(p, randn([4, 2], 41) as any)).toThrow(/categoricalCrossEntropyFromLogits: predictions and targets must have equal shapes/);
    expect(() => rmse(p, randn([4], 41) as any)).toThrow(/rmse: predictions and targets must have equal shapes/);
  });

  it("labels must have the logits' leading dims and be int32", () => {
    expect(() => sparseCategoricalCrossEntropy(p, labelsOf([4, 1], 3, 1) as any)).toThrow(
      "sparseCategoricalCrossEntropy: labels must have the logits' leading dims (expected [4], got [4, 1])",
    );
    expect(() => sparseCategoricalCrossEntropy(p, randn([4], 1) as any)).toThrow('sparseCategoricalCrossEntropy: labels must be int32, got float32');
    expect(() => accuracy(p, labelsOf([3], 3, 1) as any)).toThrow(/accuracy: labels must have the logits' leading dims/);
    expect(() => sparseCategoricalCrossEntropy(tensor(1) as any, labelsOf([], 3, 1) as any)).toThrow(/logits need a class axis/);
  });

  it('out-of-range labels are a clear RangeError', () => {
    const bad = tensor([0, 2, 3, 1], 'int32') as L;
    expect(() => sparseCategoricalCrossEntropy(p, bad)).toThrow(new RangeError('sparseCategoricalCrossEntropy: label 3 at position [2] is out of range for 3 classes (valid: 0 to 2)'));
    expect(() => sparseCategoricalCrossEntropy(p, tensor([0, -1, 0, 0], 'int32') as L)).toThrow(/label -1 at position \[1\]/);
    const seqLabels = tensor([[0, 1, 2], [3, 0, 1]], 'int32') as L;
    expect(() => sparseCategoricalCrossEntropy(randn([2, 3, 3], 46), seqLabels)).toThrow('sparseCategoricalCrossEntropy: label 3 at position [1, 0] is out of range for 3 classes (valid: 0 to 2)');
    expect(() => maskedSparseCategoricalCrossEntropy(p, bad, tensor([1, 1, 0, 1]) as T)).toThrow(/maskedSparseCategoricalCrossEntropy: label 3/);
  });

  it('masks must have the per-position shape; reductions are validated', () => {
    const seq = randn([2, 3, 4], 42);
    const lab = labelsOf([2, 3], 4, 43);
    expect(() => maskedSparseCategoricalCrossEntropy(seq, lab, randn([2, 3, 4], 1) as any)).toThrow(
      'maskedSparseCategoricalCrossEntropy: mask must have the per-position loss shape (expected [2, 3], got [2, 3, 4])',
    );
    expect(() => maskedMse(p, p, labelsOf([4, 3], 2, 1) as any)).toThrow('maskedMse: mask must be float32 or bool, got int32');
    expect(() => mse(p, p, { reduction: 'avg' as any })).toThrow(/reduction must be 'mean', 'sum' or 'none'/);
  });

  it('the sparse loss traces abstractly (makeGraph: labels unknown) and evaluates like the eager one', () => {
    const logits = randn([3, 4], 44);
    const labels = labelsOf([3], 4, 45);
    const g = makeGraph((x, y) => sparseCategoricalCrossEntropy(x as T, y as unknown as L), [
      { shape: [3, 4], dtype: 'float32' },
      { shape: [3], dtype: 'int32' },
    ]);
    const [out] = evalGraph(g, [logits as never, labels as never]);
    expect(out!.item()).toBeCloseTo(sparseCategoricalCrossEntropy(logits, labels).item(), 6);
  });
});
