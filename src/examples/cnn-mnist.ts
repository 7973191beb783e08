/**
 * cnn-mnist: a CNN on a 2,000-image MNIST subset (28x28, IDX files). Here the convolutions use
 * 'valid' padding, so each 3x3 window trims a one-pixel border (28 → 26, 13 → 11) and each
 * 2x2 max-pool halves the grid (26 → 13, 11 → 5, flooring), while the channels grow 1 → 16 → 32.
 */
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import { readIdxFile } from '../data/node';
import { sequential } from '../nn/sequential';
import { dense, flatten } from '../nn/layers/core';
import { conv2d, maxPool2d } from '../nn/layers/conv';
import type { Example, ExampleContext, ExampleResult } from './example';
import { DIGIT_NAMES, IMAGE_DATA_FORMAT, loadUserImages, runCnnExample, type ImageSet } from './cnn-shared';

/** Reads an IDX image file [n, 28, 28] (uint8) and its label file [n]; pixels scaled to [0, 1]. */
export function readMnist(imagesPath: string, labelsPath: string): ImageSet {
  const images = readIdxFile(imagesPath);
  if (E.isLeft(images)) throw new Error(`cnn-mnist: ${images.left.message}`);
  const labels = readIdxFile(labelsPath);
  if (E.isLeft(labels)) throw new Error(`cnn-mnist: ${labels.left.message}`);
  const im = images.right;
  const lb = labels.right;
  if (im.dtype !== 'uint8' || im.dims.length !== 3 || im.dims[1] !== 28 || im.dims[2] !== 28) {
    throw new Error(`cnn-mnist: ${imagesPath}: expected uint8 images [n, 28, 28], found ${im.dtype} [${im.dims.join(', ')}]`);
  }
  const n = im.dims[0]!;
  if (lb.dims.length !== 1 || lb.dims[0] !== n) throw new Error(`cnn-mnist: ${labelsPath}: expected ${n} labels, found dims [${lb.dims.join(', ')}]`);
  const y = Int32Array.from(lb.data);
  const bad = y.findIndex((v) => v < 0 || v > 9);
  if (bad >= 0) throw new Error(`cnn-mnist: ${labelsPath}: label ${bad} is ${y[bad]}, expected 0-9`);
  return { x: Float32Array.from(im.data, (v) => v / 255), y, n, h: 28, w: 28 };
}

/**
 * The MNIST CNN's layers for `classes` classes. 'valid' padding: each 3x3 conv trims a border
 * pixel; each pool halves (floor); channels 1 → 16 → 32. One list for both models below.
 */
const mnistLayers = <const C extends number>(classes: C) =>
  [
    conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
    maxPool2d({ poolSize: 2 }),
    conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
    maxPool2d({ poolSize: 2 }),
    flatten(),
    dense(classes),
  ] as const;

/** The MNIST CNN for side × side images (side ≥ MNIST_CNN_MIN_SIDE) and `classes` classes, read from a file. */
export const mnistCnn = (side: number, classes: number) => sequential(['batch', side, side, 1], ...mnistLayers(classes));

// [batch, 28, 28, 1] → [batch, 26, 26, 16] → [batch, 13, 13, 16] → [batch, 11, 11, 32] → [batch, 5, 5, 32] → [batch, 800] → [batch, 10]
export const mnistModel = sequential(['batch', 28, 28, 1], ...mnistLayers(10));

/** Smallest side the two valid convs and two pools leave at least a 1x1 grid for: floor((s−2)/2) − 2 ≥ 2. */
export const MNIST_CNN_MIN_SIDE = 10;

const MNIST = { epochs: 10, learningRate: 2e-3, validationBatchSize: 200, quickSizes: [300, 100], logisticRegression: { epochs: 30, learningRate: 3e-3 } } as const;

async function run(ctx: ExampleContext): Promise<ExampleResult> {
  if (ctx.dataFile !== undefined) {
    const u = loadUserImages('cnn-mnist', ctx.dataFile, ctx.labelsFile);
    if (u.side < MNIST_CNN_MIN_SIDE) throw new Error(`cnn-mnist: images are ${u.side}x${u.side}; its two valid 3x3 convolutions and two 2x2 pools need at least ${MNIST_CNN_MIN_SIDE}x${MNIST_CNN_MIN_SIDE} (use cnn-digits for small images)`);
    return runCnnExample(ctx, { id: 'cnn-mnist', ...u, classes: u.classNames.length, model: mnistCnn(u.side, u.classNames.length), kernels: (p) => [p[0].kernel, p[2].kernel], target: null, ...MNIST });
  }
  const dir = join(ctx.dataDir, 'images');
  return runCnnExample(ctx, {
    id: 'cnn-mnist',
    images: readMnist(join(dir, 'mnist-2k-images-idx3-ubyte.gz'), join(dir, 'mnist-2k-labels-idx1-ubyte.gz')),
    side: 28,
    classes: 10,
    classNames: DIGIT_NAMES,
    provenance: { file: 'bundled images/mnist-2k-images-idx3-ubyte.gz (labels mnist-2k-labels-idx1-ubyte.gz)', 'rows (images)': 2000, 'columns used': '28x28 pixels per image', 'pixel scaling': 'divided by 255' },
    model: mnistModel,
    kernels: (p) => [p[0].kernel, p[2].kernel],
    target: 0.92,
    ...MNIST,
  });
}

export const example: Example = {
  id: 'cnn-mnist',
  title: 'CNN on MNIST (2,000 images)',
  description:
    "A two-block convolutional network on a 2,000-image MNIST subset read from IDX files (shuffled 80/20 split). The 3x3 convolutions use 'valid' padding, so each trims a one-pixel border (28 → 26, 13 → 11), each 2x2 max-pool halves the grid (26 → 13, 11 → 5), and the channels grow 1 → 16 → 32; the 5·5·32 = 800 features feed a dense softmax layer. All of these shapes are in the model's type. Compared with 1-nearest-neighbour and a logistic regression on the raw pixels; plots show the learning curves, the confusion matrix, the learned 3x3 filters and the second layer's channel mixing.",
  dataFormat: IMAGE_DATA_FORMAT,
  run,
};
