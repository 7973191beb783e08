/**
 * cnn-digits: a small CNN on the 8x8 handwritten digits. 'same' padding keeps the 8x8 grid
 * through each 3x3 convolution, max-pooling halves it, and the channel axis grows 1 → 16 → 32
 * while the grid shrinks; the types carry every one of those shapes.
 */
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import { parseCsv } from '../data';
import { readTextFileEither } from '../data/node';
import { sequential } from '../nn/sequential';
import { dense, flatten } from '../nn/layers/core';
import { conv2d, maxPool2d } from '../nn/layers/conv';
import { sparseCategoricalCrossEntropy } from '../nn/losses';
import { fitAsync } from '../nn/train';
import { adam } from '../optim';
import { key } from '../random';
import type { Example, ExampleContext, ExampleResult } from './example';
import { accuracyMetric, accuracyOf, cnnReport, epochReporter, head, logisticRegression, nearestNeighbour, predictedClasses, splitImages, toTensors, type ImageSet } from './cnn-shared';

/** Reads digits8x8.csv: 64 pixel intensities 0-16 then the label 0-9 per row; pixels scaled to [0, 1]. */
export function readDigits(path: string): ImageSet {
  const parsed = E.chain(parseCsv)(readTextFileEither(path));
  if (E.isLeft(parsed)) throw new Error(`cnn-digits: ${parsed.left.message}`);
  const rows = parsed.right.rows;
  const x = new Float32Array(rows.length * 64);
  const y = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    if (row.length !== 65) throw new Error(`cnn-digits: ${path} line ${r + 1}: expected 65 fields (64 pixels and a label), found ${row.length}`);
    row.forEach((cell, c) => {
      const v = Number(cell);
      const max = c === 64 ? 9 : 16;
      if (cell.trim() === '' || !Number.isInteger(v) || v < 0 || v > max) throw new Error(`cnn-digits: ${path} line ${r + 1} field ${c + 1}: expected an integer 0-${max}, found '${cell}'`);
      if (c === 64) y[r] = v;
      else x[r * 64 + c] = v / 16;
    });
  });
  return { x, y, n: rows.length, h: 8, w: 8 };
}

// 'same' padding: each 3x3 conv keeps the grid; pooling halves it; channels 1 → 16 → 32.
export const digitsModel = sequential(
  ['batch', 8, 8, 1],
  conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }), // [batch, 8, 8, 16]
  maxPool2d({ poolSize: 2 }), //                                                 [batch, 4, 4, 16]
  conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }), // [batch, 4, 4, 32]
  flatten(), //                                                                   [batch, 512]
  dense(10), //                                                                   [batch, 10]
);

async function run(ctx: ExampleContext): Promise<ExampleResult> {
  if (ctx.dataFile !== undefined) throw new Error('cnn-digits takes no --data file: it trains on the bundled 8x8 digits');
  const all = readDigits(join(ctx.dataDir, 'images', 'digits8x8.csv'));
  const split = splitImages(all, 0.8, key(2024));
  // quick: a slice of the (shuffled) split, two epochs
  const train = ctx.quick ? head(split.train, 400) : split.train;
  const test = ctx.quick ? head(split.test, 150) : split.test;
  const epochs = ctx.quick ? 2 : 20;
  ctx.log(`${all.n} images 8x8, ${train.n} train / ${test.n} test (shuffled 80/20 split, key 2024)`);

  const knn = nearestNeighbour(train, test);
  const knnAcc = accuracyOf(test.y, knn);
  const logreg = await logisticRegression(train, test, { epochs: ctx.quick ? 3 : 40, learningRate: 0.01, seed: 5 });
  ctx.log(`baselines on raw pixels: logistic regression ${logreg.toFixed(4)}, 1-nearest-neighbour ${knnAcc.toFixed(4)}`);

  const tr = toTensors(train, 8, 8);
  const te = toTensors(test, 8, 8);
  const params0 = digitsModel.init(key(7));
  const reporter = epochReporter(ctx, 'cnn-digits: CNN 16-32 (adam)', epochs);
  const result = await fitAsync(params0, {
    model: digitsModel,
    loss: (logits, labels) => sparseCategoricalCrossEntropy(logits, labels),
    optimizer: adam({ learningRate: 3e-3 }),
    data: tr,
    validation: te,
    validationBatchSize: 512,
    epochs,
    batchSize: 32,
    key: key(11),
    metrics: accuracyMetric,
    onEpoch: reporter.onEpoch,
  });
  reporter.stop();

  const params = result.params;
  const predicted = predictedClasses(digitsModel.apply(params, te.x));
  const report = cnnReport(result.history, test.y, predicted, params[0].kernel, params[2].kernel);
  return {
    metric: 'test accuracy',
    value: report.accuracy,
    target: 0.97,
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
    notes: [digitsModel.summary(params)],
  };
}

export const example: Example = {
  id: 'cnn-digits',
  title: 'CNN on 8x8 digits: padding, pooling and channels',
  description:
    "A small convolutional network on the 1,797 8x8 handwritten digits (shuffled 80/20 split): 3x3 convolutions with 'same' padding keep the 8x8 grid, 2x2 max-pooling halves it, and the channel axis grows 1 → 16 → 32 as the grid shrinks, before a dense softmax layer. Every intermediate shape is part of the model's type. Compared with a logistic regression and 1-nearest-neighbour on the raw pixels; plots show the learning curves, the confusion matrix, the 16 learned 3x3 filters and how the second layer's filters mix the first layer's channels.",
  run,
};
