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
import type { Example, ExampleContext, ExampleResult } from './example';
import { runCnnExample, type ImageSet } from './cnn-shared';

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
  return runCnnExample(ctx, {
    id: 'cnn-digits',
    images: readDigits(join(ctx.dataDir, 'images', 'digits8x8.csv')),
    side: 8,
    model: digitsModel,
    kernels: (p) => [p[0].kernel, p[2].kernel],
    epochs: 20,
    learningRate: 3e-3,
    validationBatchSize: 512,
    target: 0.97,
    quickSizes: [400, 150],
    logisticRegression: { epochs: 40, learningRate: 0.01 },
  });
}

export const example: Example = {
  id: 'cnn-digits',
  title: 'CNN on 8x8 digits: padding, pooling and channels',
  description:
    "A small convolutional network on the 1,797 8x8 handwritten digits (shuffled 80/20 split): 3x3 convolutions with 'same' padding keep the 8x8 grid, 2x2 max-pooling halves it, and the channel axis grows 1 → 16 → 32 as the grid shrinks, before a dense softmax layer. Every intermediate shape is part of the model's type. Compared with a logistic regression and 1-nearest-neighbour on the raw pixels; plots show the learning curves, the confusion matrix, the 16 learned 3x3 filters and how the second layer's filters mix the first layer's channels.",
  run,
};
