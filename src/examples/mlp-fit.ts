/**
 * mlp-fit: a network is a composition of simple functions (affine maps and tanh / relu) that
 * approximates a target function. Three MLPs of very different capacity fit the same 60
 * noisy samples of y = sin(2x) + 0.3x + ε on [-3, 3]; their train and test errors show
 * under-fitting (too small: both errors high), a good fit (test error near the noise
 * variance) and over-fitting (too large and trained long: train error far below the noise
 * variance, test error up).
 */
import type { Example, ExampleContext, ExampleResult } from './example';
import { bars, lines, scatterWithCurves } from './plots';
import { sequential } from '../nn/sequential';
import { dense } from '../nn/layers/core';
import { evaluate, fitAsync } from '../nn/train';
import { mse } from '../nn/losses';
import { adam, type State } from '../optim';
import { treeLeaves } from '../autodiff/pytree';
import { key, normalArray, split, uniformArray, type Key } from '../random';
import { fromDataOrThrow } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';

type Col = Tensor<[number, 1]>;
interface XY {
  readonly x: Col;
  readonly y: Col;
  readonly xs: Float32Array;
  readonly ys: Float32Array;
}

/** the target function */
const target = (x: number) => Math.sin(2 * x) + 0.3 * x;
const NOISE_STD = 0.3;
const X_MIN = -3;
const X_MAX = 3;

/** n samples of the target at x ~ U[-3, 3) with N(0, 0.3²) noise, from one key */
function sample(k: Key, n: number): XY {
  const [kx, kn] = split(k, 2);
  const xs = uniformArray(kx, n, X_MIN, X_MAX);
  const noise = normalArray(kn, n, 0, NOISE_STD);
  const ys = Float32Array.from(xs, (x, i) => target(x) + noise[i]!);
  return { x: fromDataOrThrow(xs, [n, 1]) as Col, y: fromDataOrThrow(ys, [n, 1]) as Col, xs, ys };
}

const column = (values: Float32Array): Col => fromDataOrThrow(values, [values.length, 1]) as Col;
const meanSq = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return s / a.length;
};

// The three models: one input, one output; 4, 321 and 33,409 parameters.
const tooSmall = sequential(['batch', 1], dense(1, { activation: 'tanh' }), dense(1));
const rightSized = sequential(['batch', 1], dense(16, { activation: 'tanh' }), dense(16, { activation: 'tanh' }), dense(1));
const tooLarge = sequential(
  ['batch', 1],
  dense(128, { activation: 'relu' }),
  dense(128, { activation: 'relu' }),
  dense(128, { activation: 'relu' }),
  dense(1),
);

interface Plan {
  /** short, for plot legends */
  readonly label: string;
  readonly role: 'too small' | 'right-sized' | 'too large';
  readonly epochs: number;
  readonly learningRate: number;
}

interface Trained {
  readonly label: string;
  readonly role: string;
  readonly paramCount: number;
  readonly trainMse: number;
  readonly testMse: number;
  /** train and test MSE at each checkpoint */
  readonly curve: { readonly epochs: number[]; readonly train: number[]; readonly test: number[] };
  readonly predict: (x: Col) => Col;
}

/**
 * Full-batch Adam with the library's `fitAsync` (so the progress bar can redraw), run in
 * chunks of `every` epochs that carry the optimizer state over, so train and test MSE can be
 * recorded along the way. The test set is only measured, never used to choose anything.
 */
async function train<P>(ctx: ExampleContext, plan: Plan, params0: P, apply: (p: P, x: Col) => Col, every: number, data: { train: XY; test: XY }): Promise<Trained> {
  const model = (p: P, x: Col) => apply(p, x);
  const loss = (pred: Col, y: Col) => mse(pred, y);
  const optimizer = adam({ learningRate: plan.learningRate });
  const n = data.train.xs.length;
  const measure = (p: P, d: XY) => evaluate(p, { model, loss, data: { x: d.x, y: d.y }, batchSize: d.xs.length }).loss;
  const bar = ctx.progress(`mlp-fit: ${plan.role} (${plan.label})`, plan.epochs);
  let params = params0;
  let state: State<P> | undefined;
  const curve = { epochs: [] as number[], train: [] as number[], test: [] as number[] };
  for (let done = 0; done < plan.epochs; ) {
    const epochs = Math.min(every, plan.epochs - done);
    const r = await fitAsync(params, {
      model,
      loss,
      optimizer,
      data: { x: data.train.x, y: data.train.y },
      epochs,
      batchSize: n,
      shuffle: false,
      ...(state ? { initialState: state } : {}),
    });
    params = r.params;
    state = r.optState;
    done += epochs;
    curve.epochs.push(done);
    curve.train.push(measure(params, data.train));
    curve.test.push(measure(params, data.test));
    bar.update(done, { train: curve.train.at(-1)!, test: curve.test.at(-1)! });
  }
  bar.stop();
  const final = params;
  return {
    label: plan.label,
    role: plan.role,
    paramCount: treeLeaves(final).reduce((s, t) => s + t.size, 0),
    trainMse: curve.train.at(-1)!,
    testMse: curve.test.at(-1)!,
    curve,
    predict: (x) => apply(final, x),
  };
}

/** least-squares line y = a + b·x on the training points (b = 0 gives the best constant) */
function lineFit(xs: Float32Array, ys: Float32Array): { a: number; b: number; mean: number } {
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b, mean: my };
}

async function run(ctx: ExampleContext): Promise<ExampleResult> {
  if (ctx.dataFile !== undefined) throw new Error('mlp-fit generates its own data (a noisy 1-D function) and takes no --data file');
  const q = ctx.quick;
  const [kTrain, kTest, kSmall, kRight, kLarge] = split(key(2024), 5);
  const data = { train: sample(kTrain, 60), test: sample(kTest, q ? 100 : 400) };
  const every = q ? 10 : 25;
  const plans: Record<'small' | 'right' | 'large', Plan> = {
    small: { label: '1 tanh unit', role: 'too small', epochs: q ? 30 : 1000, learningRate: 0.03 },
    right: { label: '2×16 tanh', role: 'right-sized', epochs: q ? 30 : 600, learningRate: 0.01 },
    large: { label: '3×128 relu', role: 'too large', epochs: q ? 20 : 3000, learningRate: 0.002 },
  };
  const models: Trained[] = [
    await train(ctx, plans.small, tooSmall.init(kSmall), (p, x) => tooSmall.apply(p, x), every, data),
    await train(ctx, plans.right, rightSized.init(kRight), (p, x) => rightSized.apply(p, x), every, data),
    await train(ctx, plans.large, tooLarge.init(kLarge), (p, x) => tooLarge.apply(p, x), every, data),
  ];
  const [small, right, large] = models as [Trained, Trained, Trained];

  // Baselines: the best constant and the best straight line (least squares on the train set).
  const line = lineFit(data.train.xs, data.train.ys);
  const constTest = meanSq(data.test.ys, new Float32Array(data.test.ys.length).fill(line.mean));
  const lineTest = meanSq(data.test.ys, Float32Array.from(data.test.xs, (x) => line.a + line.b * x));
  const baseline = Math.min(constTest, lineTest);

  for (const m of models) ctx.log(`${m.role} (${m.label}): ${m.paramCount} params, train MSE ${m.trainMse.toFixed(4)}, test MSE ${m.testMse.toFixed(4)}`);
  ctx.log(`noise variance (the best possible expected test MSE): ${(NOISE_STD ** 2).toFixed(4)}`);

  // Plot data: the training points, the true function and the three fits on a grid.
  const gridN = 241;
  const grid = Float32Array.from({ length: gridN }, (_, i) => X_MIN + ((X_MAX - X_MIN) * i) / (gridN - 1));
  const gridCol = column(grid);
  const curves: Record<string, { x: number; y: number }[]> = { 'true f(x)': Array.from(grid, (x) => ({ x, y: target(x) })) };
  for (const m of models) {
    const ys = m.predict(gridCol).dataSync();
    curves[m.label] = Array.from(grid, (x, i) => ({ x, y: ys[i]! }));
  }
  const points = Array.from(data.train.xs, (x, i) => ({ x, y: data.train.ys[i]! }));

  // Loss curves share the epoch axis; shorter runs are padded with NaN (not drawn).
  const longest = models.reduce((a, m) => (m.curve.epochs.length > a.curve.epochs.length ? m : a));
  const pad = (v: number[]) => [...v, ...new Array<number>(longest.curve.epochs.length - v.length).fill(Number.NaN)];
  const lossSeries: Record<string, number[]> = {};
  for (const m of models) {
    lossSeries[`${m.label} train`] = pad(m.curve.train);
    lossSeries[`${m.label} test`] = pad(m.curve.test);
  }

  return {
    metric: 'test MSE (right-sized 2×16 tanh)',
    value: right.testMse,
    target: null,
    lowerIsBetter: true,
    baseline,
    baselineName: `best constant / linear fit (test MSE, ${lineTest <= constTest ? 'linear' : 'constant'})`,
    details: {
      'noise variance (floor)': NOISE_STD ** 2,
      'constant fit test MSE': constTest,
      'linear fit test MSE': lineTest,
      ...Object.fromEntries(models.flatMap((m) => [[`${m.role} ${m.label} train MSE`, m.trainMse], [`${m.role} ${m.label} test MSE`, m.testMse], [`${m.role} ${m.label} params`, m.paramCount]])),
    },
    plots: [
      { title: 'Training data, the true function and the three fits', spec: scatterWithCurves(points, curves) },
      {
        title: 'Train vs test MSE per model',
        spec: bars({ train: models.map((m) => m.trainMse), test: models.map((m) => m.testMse) }, models.map((m) => `${m.role}: ${m.label}`), { y: 'MSE' }),
      },
      { title: 'Train and test MSE during training', spec: lines(lossSeries, { x: 'epoch', y: 'MSE', xValues: longest.curve.epochs, logY: true }) },
    ],
    notes: [
      `Too small, ${small.label}: train MSE ${small.trainMse.toFixed(3)}, test ${small.testMse.toFixed(3)}; the best straight line gets ${lineTest.toFixed(3)} on test (under-fitting: both errors far above the noise variance ${(NOISE_STD ** 2).toFixed(2)}).`,
      `Right-sized, ${right.label}: train MSE ${right.trainMse.toFixed(3)}, test ${right.testMse.toFixed(3)}.`,
      `Too large, ${large.label}: train MSE ${large.trainMse.toFixed(3)} (${(NOISE_STD ** 2 / large.trainMse).toFixed(1)}× below the noise variance: it fits the noise), test ${large.testMse.toFixed(3)} (${(large.testMse / large.trainMse).toFixed(1)}× its train error; the right-sized model's ratio is ${(right.testMse / right.trainMse).toFixed(1)}×).`,
    ],
  };
}

export const example: Example = {
  id: 'mlp-fit',
  title: 'An MLP approximates a function: under-, right- and over-fitting',
  description:
    'A network is a composition of simple functions (affine maps and tanh/relu). Three MLPs fit 60 noisy samples of y = sin(2x) + 0.3x on [-3, 3]: ' +
    'one tanh unit is too simple (train and test error both high), 2×16 tanh fits the curve (test error near the noise variance), ' +
    'and 3×128 relu trained long without regularisation memorises the noise (train error far below the noise, test error up).',
  run,
};
