/**
 * Pieces shared by the two CNN tour examples (cnn-digits, cnn-mnist): a labelled image set
 * as flat arrays, the shuffled split, the two raw-pixel baselines (1-nearest-neighbour and a
 * logistic regression trained with the same `fit`), training with a progress bar, and the
 * plots (loss curves, confusion matrix, first-layer filters, channel-mixing heat map).
 */
import { either as E } from 'fp-ts';
import { accuracy as accuracyOf, confusionMatrix, trainTestSplitShuffled } from '../data';
import { readImageSet } from '../data/image-files';
import { isDirectory } from '../data/png-folder';

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

/** A user's image set (--data, with --labels for IDX) and what the report says about it. */
export interface UserImages {
  readonly images: ImageSet;
  readonly side: number;
  readonly classNames: readonly string[];
  readonly provenance: Readonly<Record<string, string | number>>;
}

/** Class names of the bundled digit sets. */
export const DIGIT_NAMES: readonly string[] = Array.from({ length: 10 }, (_, i) => String(i));

export const IMAGE_DATA_FORMAT =
  'Either an IDX image file (uint8 [n, h, w] with h = w, gzip or not) together with --labels <IDX label file [n]>, ' +
  "or a CSV of rows 'label,pixel1,pixel2,…' (an optional header row; the pixel count must be a square, side = its root), " +
  'or a folder of PNG files with one sub-folder per class (folder/<class>/*.png; square images of one size, colour ' +
  'made grey by luminance). Pixels are divided by 255 (uint8 IDX, PNG) or by the largest pixel in the CSV; labels (any strings or integers) become ' +
  'classes in sorted order. Shuffled 80/20 split, the CNN sized from the image side and class count.';

/** Reads ctx.dataFile (and ctx.labelsFile); throws the reader's Left as a message naming the example. */
export function loadUserImages(id: string, dataFile: string, labelsFile: string | undefined): UserImages {
  const r = readImageSet(dataFile, labelsFile);
  if (E.isLeft(r)) throw new Error(`${id}: ${r.left.message}`);
  const s = r.right;
  const folder = labelsFile === undefined && isDirectory(dataFile);
  return {
    images: { x: s.x, y: s.y, n: s.n, h: s.side, w: s.side },
    side: s.side,
    classNames: s.classNames,
    provenance: {
      file: labelsFile === undefined ? dataFile : `${dataFile} (labels ${labelsFile})`,
      'rows (images)': s.n,
      'columns used': folder
        ? `${s.side}x${s.side} PNG pixels per image, ${s.classNames.length} class folders`
        : labelsFile === undefined
          ? `label + ${s.side * s.side} pixels (${s.side}x${s.side})`
          : `${s.side}x${s.side} pixels per image`,
      'pixel scaling': `divided by ${s.pixelScale}`,
    },
  };
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
export async function logisticRegression(train: ImageSet, test: ImageSet, opts: { epochs: number; learningRate: number; seed: number; classes: number }): Promise<number> {
  const d = train.h * train.w;
  const model = sequential(['batch', d], dense(opts.classes));
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
export const accuracyMetric = { accuracy: (logits: Tensor<[number, number]>, labels: Tensor<[number], 'int32'>) => accuracy(logits, labels) };

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
  labels: readonly string[],
): CnnReport {
  const c = labels.length;
  const cm = confusionMatrix(yTest, predicted, c);
  const rows = Array.from({ length: c }, (_, i) => Array.from(cm.data.subarray(i * c, (i + 1) * c)));
  const [, , cin, f2] = secondKernel.shape;
  return {
    accuracy: accuracyOf(yTest, predicted),
    confusion: rows,
    plots: [
      { title: 'Loss per epoch (train and test)', spec: lines({ train: history.loss, test: history.valLoss }, { y: 'cross-entropy' }) },
      { title: 'Confusion matrix on the test set', spec: confusion(rows, [...labels]) },
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
export interface CnnSpec<P, S extends number, C extends number> {
  readonly id: string;
  readonly images: ImageSet;
  /** image side in pixels */
  readonly side: S;
  /** the model's output width: the number of classes */
  readonly classes: C;
  /** class names, index = label (as many as `classes`) */
  readonly classNames: readonly string[];
  readonly model: {
    init(k: Key): P;
    readonly apply: (params: P, x: Tensor<[number, S, S, 1]>) => Tensor<[number, C]>;
    summary(params: P): string;
  };
  /** where the images came from, for the log and report (file, rows, columns, scaling) */
  readonly provenance: Readonly<Record<string, string | number>>;
  /** the first and second conv kernels, for the plots */
  kernels(params: P): readonly [Kernel, Kernel];
  readonly epochs: number;
  readonly learningRate: number;
  readonly validationBatchSize: number;
  /** null for a user's own data (compared with its baselines only) */
  readonly target: number | null;
  /** train / test images kept in quick mode */
  readonly quickSizes: readonly [number, number];

  readonly logisticRegression: { readonly epochs: number; readonly learningRate: number };
}

/** Split, baselines, training with a progress bar, evaluation and plots of a tour CNN. */
export async function runCnnExample<P, S extends number, C extends number>(ctx: ExampleContext, spec: CnnSpec<P, S, C>): Promise<ExampleResult> {
  if (ctx.period !== undefined) throw new Error(`${spec.id}: --period is for time series; an image example takes none`);
  if (ctx.labelsFile !== undefined && ctx.dataFile === undefined) throw new Error(`${spec.id}: --labels goes with an IDX --data image file`);
  // sizes from a file are only known at run time: check them before any tensor is built
  const classes: number = spec.classes;
  if (spec.classNames.length !== classes) throw new RangeError(`${spec.id}: ${spec.classNames.length} class names for ${classes} classes`);
  if (spec.images.h !== spec.side || spec.images.w !== spec.side) throw new RangeError(`${spec.id}: images are ${spec.images.h}x${spec.images.w}, the model expects ${spec.side}x${spec.side}`);
  const badLabel = spec.images.y.findIndex((v) => v < 0 || v >= classes);
  if (badLabel >= 0) throw new RangeError(`${spec.id}: image ${badLabel} has class ${spec.images.y[badLabel]}, expected 0-${classes - 1}`);
  if (classes < 2) throw new RangeError(`${spec.id}: the data has ${classes} class; at least 2 are needed`);
  for (const [k, v] of Object.entries(spec.provenance)) ctx.log(`data ${k}: ${v}`);
  const split = splitImages(spec.images, 0.8, key(2024));
  // quick: a slice of the (shuffled) split, two epochs
  const train = ctx.quick ? head(split.train, spec.quickSizes[0]) : split.train;
  const test = ctx.quick ? head(split.test, spec.quickSizes[1]) : split.test;
  const epochs = ctx.quick ? 2 : spec.epochs;
  ctx.log(`${spec.images.n} images ${spec.side}x${spec.side}, ${classes} classes, ${train.n} train / ${test.n} test (shuffled 80/20 split, key 2024)`);

  const knnAcc = accuracyOf(test.y, nearestNeighbour(train, test));
  const logreg = await logisticRegression(train, test, { epochs: ctx.quick ? 3 : spec.logisticRegression.epochs, learningRate: spec.logisticRegression.learningRate, seed: 5, classes });
  ctx.log(`baselines on raw pixels: logistic regression ${logreg.toFixed(4)}, 1-nearest-neighbour ${knnAcc.toFixed(4)}`);

  const tr = toTensors(train, spec.side, spec.side);
  const te = toTensors(test, spec.side, spec.side);
  const reporter = epochReporter(ctx, `${spec.id}: CNN 16-32 (adam)`, epochs);
  // the class count was checked against the labels above; the loss sees logits [batch, classes]
  const model: CnnSpec<P, S, number>['model'] = spec.model;
  const result = await fitAsync(model.init(key(7)), {
    model,
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
  const report = cnnReport(result.history, test.y, predicted, first, second, spec.classNames);
  const best = Math.max(knnAcc, logreg);
  if (report.accuracy < best) ctx.log(`NOTE: the CNN (test accuracy ${report.accuracy.toFixed(4)}) does not beat the best raw-pixel baseline (${best.toFixed(4)}) on this data`);
  return {
    metric: 'test accuracy',
    value: report.accuracy,
    target: spec.target,
    lowerIsBetter: false,
    baseline: knnAcc,
    baselineName: '1-nearest-neighbour on raw pixels',
    details: {
      ...spec.provenance,
      classes: `${classes} (${spec.classNames.join(', ')})`,
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
