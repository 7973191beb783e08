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
import { DIGIT_NAMES, IMAGE_DATA_FORMAT, loadUserImages, runCnnExample, type ImageSet } from './cnn-shared';

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

/**
 * The digits CNN's layers for `classes` classes. 'same' padding: each 3x3 conv keeps the grid;
 * pooling halves it (floor); channels 1 → 16 → 32. One list for both models below: exact
 * types for the bundled 8x8 digits, `number` dims for sizes that come from a file.
 */
const digitsLayers = <const C extends number>(classes: C) =>
  [
    conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
    maxPool2d({ poolSize: 2 }),
    conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    flatten(),
    dense(classes),
  ] as const;

/** The digits CNN for side × side images (side ≥ 2) and `classes` classes, both read from a file. */
export const digitsCnn = (side: number, classes: number) => sequential(['batch', side, side, 1], ...digitsLayers(classes));

// [batch, 8, 8, 1] → [batch, 8, 8, 16] → [batch, 4, 4, 16] → [batch, 4, 4, 32] → [batch, 512] → [batch, 10]
export const digitsModel = sequential(['batch', 8, 8, 1], ...digitsLayers(10));

const DIGITS = { epochs: 20, learningRate: 3e-3, validationBatchSize: 512, quickSizes: [400, 150], logisticRegression: { epochs: 40, learningRate: 0.01 } } as const;

async function run(ctx: ExampleContext): Promise<ExampleResult> {
  if (ctx.dataFile !== undefined) {
    const u = loadUserImages('cnn-digits', ctx.dataFile, ctx.labelsFile);
    if (u.side < 2) throw new Error(`cnn-digits: images are ${u.side}x${u.side}; the 2x2 pooling needs at least 2x2`);
    return runCnnExample(ctx, { id: 'cnn-digits', ...u, classes: u.classNames.length, model: digitsCnn(u.side, u.classNames.length), kernels: (p) => [p[0].kernel, p[2].kernel], target: null, ...DIGITS });
  }
  const path = join(ctx.dataDir, 'images', 'digits8x8.csv');
  return runCnnExample(ctx, {
    id: 'cnn-digits',
    images: readDigits(path),
    side: 8,
    classes: 10,
    classNames: DIGIT_NAMES,
    provenance: { file: 'bundled images/digits8x8.csv', 'rows (images)': 1797, 'columns used': '64 pixels (8x8) then the label', 'pixel scaling': 'divided by 16' },
    model: digitsModel,
    kernels: (p) => [p[0].kernel, p[2].kernel],
    target: 0.97,
    ...DIGITS,
  });
}

export const example: Example = {
  id: 'cnn-digits',
  title: 'CNN on 8x8 digits: padding, pooling and channels',
  description:
    "A small convolutional network on the 1,797 8x8 handwritten digits (shuffled 80/20 split): 3x3 convolutions with 'same' padding keep the 8x8 grid, 2x2 max-pooling halves it, and the channel axis grows 1 → 16 → 32 as the grid shrinks, before a dense softmax layer. Every intermediate shape is part of the model's type. Compared with a logistic regression and 1-nearest-neighbour on the raw pixels; plots show the learning curves, the confusion matrix, the 16 learned 3x3 filters and how the second layer's filters mix the first layer's channels.",
  dataFormat: IMAGE_DATA_FORMAT,
  run,
};
