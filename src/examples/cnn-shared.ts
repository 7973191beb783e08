/**
 * Pieces shared by the two CNN tour examples (cnn-digits, cnn-mnist): a labelled image set
 * as flat arrays, the shuffled split, the two raw-pixel baselines (1-nearest-neighbour and a
 * logistic regression trained with the same `fit`), training with a progress bar, and the
 * plots (loss curves, confusion matrix, first-layer filters, channel-mixing heat map).
 */
import { accuracy as accuracyOf, confusionMatrix, trainTestSplitShuffled } from '../data';

export { accuracyOf };
import { argmax } from '../ops/reduce';
import { sequential } from '../nn/sequential';
import { dense } from '../nn/layers/core';
import { sparseCategoricalCrossEntropy } from '../nn/losses';
import { accuracy } from '../nn/metrics';
import { fitAsync, type History } from '../nn/train';
import { adam } from '../optim';
import { key, permutationArray, type Key } from '../random';
import { fromDataOrThrow } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import type { ExampleContext, ExamplePlot, ExampleResult } from './example';
import { confusion, heatmap, imageGrid, lines } from './plots';

/** n grey images of h × w pixels (row-major, scaled to [0, 1]) with integer labels. */
export interface ImageSet {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
  readonly h: number;
  readonly w: number;
}

/** The images at `idx`, in that order. */
export function subset(set: ImageSet, idx: ArrayLike<number>): ImageSet {
  const d = set.h * set.w;
  const x = new Float32Array(idx.length * d);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    x.set(set.x.subarray(j * d, (j + 1) * d), i * d);
    y[i] = set.y[j]!;
  }
  return { x, y, n: idx.length, h: set.h, w: set.w };
}

/** Shuffled split by key: the first floor(n·trainFraction) of a permutation train, the rest test. */
export function splitImages(set: ImageSet, trainFraction: number, k: Key): { train: ImageSet; test: ImageSet } {
  const s = trainTestSplitShuffled(set.n, trainFraction, (n) => permutationArray(k, n));
  return { train: subset(set, s.train), test: subset(set, s.test) };
}

/** The first `n` images (quick mode's small slice of an already shuffled set). */
export const head = (set: ImageSet, n: number): ImageSet => subset(set, Int32Array.from({ length: Math.min(n, set.n) }, (_, i) => i));

/** Images as an NHWC tensor [n, h, w, 1] and labels as int32 [n]. */
export function toTensors<const H extends number, const W extends number>(set: ImageSet, h: H, w: W): { x: Tensor<[number, H, W, 1]>; y: Tensor<[number], 'int32'> } {
  if (set.h !== h || set.w !== w) throw new RangeError(`toTensors: images are ${set.h}x${set.w}, expected ${h}x${w}`);
  return {
    x: fromDataOrThrow(set.x, [set.n, h, w, 1]),
    y: fromDataOrThrow(set.y, [set.n], { dtype: 'int32' }),
  };
}

/** 1-nearest-neighbour predictions (squared Euclidean distance on raw pixels; first on ties). */
export function nearestNeighbour(train: ImageSet, test: ImageSet): Int32Array {
  const d = train.h * train.w;
  const out = new Int32Array(test.n);
  for (let i = 0; i < test.n; i++) {
    const q = test.x.subarray(i * d, (i + 1) * d);
    let best = Infinity;
    let label = 0;
    for (let j = 0; j < train.n; j++) {
      let dist = 0;
      const off = j * d;
      for (let p = 0; p < d && dist < best; p++) {
        const diff = q[p]! - train.x[off + p]!;
        dist += diff * diff;
      }
      if (dist < best) {
        best = dist;
        label = train.y[j]!;
      }
    }
    out[i] = label;
  }
  return out;
}

/** Arg-max class of each row of logits. */
export function predictedClasses(logits: Tensor<[number, number]>): Int32Array {
  return argmax(logits, -1).dataSync();
}

/**
 * Multinomial logistic regression on raw pixels (one dense layer, softmax cross-entropy,
 * adam): the linear baseline the CNN has to beat. Returns test accuracy.
 */
export async function logisticRegression(train: ImageSet, test: ImageSet, opts: { epochs: number; learningRate: number; seed: number }): Promise<number> {
  const d = train.h * train.w;
  const model = sequential(['batch', d], dense(10));
  const flat = (s: ImageSet) => ({ x: fromDataOrThrow(s.x, [s.n, d]), y: fromDataOrThrow(s.y, [s.n], { dtype: 'int32' }) });
  const tr = flat(train);
  const r = await fitAsync(model.init(key(opts.seed)), {
    model,
    loss: (logits, labels) => sparseCategoricalCrossEntropy(logits, labels),
    optimizer: adam({ learningRate: opts.learningRate }),
    data: tr,
    epochs: opts.epochs,
    batchSize: 64,
    key: key(opts.seed + 1),
  });
  const te = flat(test);
  return accuracyOf(test.y, predictedClasses(model.apply(r.params, te.x)));
}

/** Per-epoch numbers for the progress bar from fit's epoch callback. */
export function epochReporter(ctx: ExampleContext, title: string, epochs: number) {
  const bar = ctx.progress(title, epochs);
  return {
    onEpoch: (p: { epoch: number; loss: number; metrics: Readonly<Record<string, number>>; valLoss: number | undefined; valMetrics: Readonly<Record<string, number>> }) => {
      bar.update(p.epoch + 1, { loss: p.loss, acc: p.metrics['accuracy'] ?? Number.NaN, 'test loss': p.valLoss ?? Number.NaN, 'test acc': p.valMetrics['accuracy'] ?? Number.NaN });
    },
    stop: () => bar.stop(),
  };
}

/** The accuracy metric for fit (logits [b, C], int32 labels [b]). */
export const accuracyMetric = { accuracy: (logits: Tensor<[number, 10]>, labels: Tensor<[number], 'int32'>) => accuracy(logits, labels) };

/** Kernel [kH, kW, Cin, F] → F small images (input channel `c`), named f0, f1, ... */
export function filterImages(kernel: Tensor<[number, number, number, number]>, c = 0): { name: string; pixels: number[][] }[] {
  const [kh, kw, cin, f] = kernel.shape;
  const data = kernel.dataSync();
  return Array.from({ length: f }, (_, o) => ({
    name: `f${o}`,
    pixels: Array.from({ length: kh }, (_, i) => Array.from({ length: kw }, (_, j) => data[((i * kw + j) * cin + c) * f + o]!)),
  }));
}

/**
 * Kernel [kH, kW, Cin, F] → a Cin × F matrix of mean |w| over the window: how strongly each
 * output channel reads each input channel.
 */
export function channelMixing(kernel: Tensor<[number, number, number, number]>): number[][] {
  const [kh, kw, cin, f] = kernel.shape;
  const data = kernel.dataSync();
  const m = Array.from({ length: cin }, () => new Array<number>(f).fill(0));
  for (let p = 0; p < kh * kw; p++) {
    for (let c = 0; c < cin; c++) for (let o = 0; o < f; o++) m[c]![o]! += Math.abs(data[(p * cin + c) * f + o]!) / (kh * kw);
  }
  return m;
}

export interface CnnReport {
  readonly accuracy: number;
  readonly confusion: number[][];
  readonly plots: ExamplePlot[];
}

/** Test accuracy, confusion matrix and the four plots of a trained CNN. */
export function cnnReport(
  history: History,
  yTest: Int32Array,
  predicted: Int32Array,
  firstKernel: Tensor<[number, number, number, number]>,
  secondKernel: Tensor<[number, number, number, number]>,
): CnnReport {
  const labels = Array.from({ length: 10 }, (_, i) => String(i));
  const cm = confusionMatrix(yTest, predicted, 10);
  const rows = Array.from({ length: 10 }, (_, i) => Array.from(cm.data.subarray(i * 10, (i + 1) * 10)));
  const [, , cin, f2] = secondKernel.shape;
  return {
    accuracy: accuracyOf(yTest, predicted),
    confusion: rows,
    plots: [
      { title: 'Loss per epoch (train and test)', spec: lines({ train: history.loss, test: history.valLoss }, { y: 'cross-entropy' }) },
      { title: 'Confusion matrix on the test set', spec: confusion(rows, labels) },
      { title: `First conv layer: ${firstKernel.shape[3]} filters of ${firstKernel.shape[0]}x${firstKernel.shape[1]} (blue small → red large)`, spec: imageGrid(filterImages(firstKernel), { columns: 8, cell: 14 }) },
      {
        title: `Second conv layer: mean |weight| from each of ${cin} input channels (rows) to each of ${f2} filters (columns)`,
        spec: heatmap(channelMixing(secondKernel), { x: 'output channel (filter)', y: 'input channel', cell: 12 }),
      },
    ],
  };
}

type Kernel = Tensor<[number, number, number, number]>;

/** What differs between the two CNN examples; everything else is `runCnnExample`. */
export interface CnnSpec<P, S extends number> {
  readonly id: string;
  readonly images: ImageSet;
  /** image side in pixels */
  readonly side: S;
  readonly model: {
    init(k: Key): P;
    readonly apply: (params: P, x: Tensor<[number, S, S, 1]>) => Tensor<[number, 10]>;
    summary(params: P): string;
  };
  /** the first and second conv kernels, for the plots */
  kernels(params: P): readonly [Kernel, Kernel];
  readonly epochs: number;
  readonly learningRate: number;
  readonly validationBatchSize: number;
  readonly target: number;
  /** train / test images kept in quick mode */
  readonly quickSizes: readonly [number, number];
  readonly logisticRegression: { readonly epochs: number; readonly learningRate: number };
}

/** Split, baselines, training with a progress bar, evaluation and plots of a tour CNN. */
export async function runCnnExample<P, S extends number>(ctx: ExampleContext, spec: CnnSpec<P, S>): Promise<ExampleResult> {
  const split = splitImages(spec.images, 0.8, key(2024));
  // quick: a slice of the (shuffled) split, two epochs
  const train = ctx.quick ? head(split.train, spec.quickSizes[0]) : split.train;
  const test = ctx.quick ? head(split.test, spec.quickSizes[1]) : split.test;
  const epochs = ctx.quick ? 2 : spec.epochs;
  ctx.log(`${spec.images.n} images ${spec.side}x${spec.side}, ${train.n} train / ${test.n} test (shuffled 80/20 split, key 2024)`);

  const knnAcc = accuracyOf(test.y, nearestNeighbour(train, test));
  const logreg = await logisticRegression(train, test, { epochs: ctx.quick ? 3 : spec.logisticRegression.epochs, learningRate: spec.logisticRegression.learningRate, seed: 5 });
  ctx.log(`baselines on raw pixels: logistic regression ${logreg.toFixed(4)}, 1-nearest-neighbour ${knnAcc.toFixed(4)}`);

  const tr = toTensors(train, spec.side, spec.side);
  const te = toTensors(test, spec.side, spec.side);
  const reporter = epochReporter(ctx, `${spec.id}: CNN 16-32 (adam)`, epochs);
  const result = await fitAsync(spec.model.init(key(7)), {
    model: spec.model,
    loss: (logits, labels) => sparseCategoricalCrossEntropy(logits, labels),
    optimizer: adam({ learningRate: spec.learningRate }),
    data: tr,
    validation: te,
    validationBatchSize: spec.validationBatchSize,
    epochs,
    batchSize: 32,
    key: key(11),
    metrics: accuracyMetric,
    onEpoch: reporter.onEpoch,
  });
  reporter.stop();

  const params = result.params;
  const predicted = predictedClasses(spec.model.apply(params, te.x));
  const [first, second] = spec.kernels(params);
  const report = cnnReport(result.history, test.y, predicted, first, second);
  return {
    metric: 'test accuracy',
    value: report.accuracy,
    target: spec.target,
    lowerIsBetter: false,
    baseline: knnAcc,
    baselineName: '1-nearest-neighbour on raw pixels',
    details: {
      'logistic regression on raw pixels': logreg,
      'train accuracy (last epoch)': result.history.metrics['accuracy']?.at(-1) ?? Number.NaN,
      'test loss (last epoch)': result.history.valLoss.at(-1) ?? Number.NaN,
      epochs: result.epochs,
      'train / test images': `${train.n} / ${test.n}`,
    },
    plots: report.plots,
    notes: [spec.model.summary(params)],
  };
}
