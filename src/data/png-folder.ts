/**
 * Node-only: a labelled image set from a folder of PNG files, one sub-folder per class
 * (`digits/0/*.png`, `digits/1/*.png`, … — the layout of Keras' `image_dataset_from_directory`
 * and torchvision's `ImageFolder`). The class names are the sub-folder names, indexed in the
 * same order as the other readers (numerically when all are numbers). PNGs are decoded with
 * pngjs (any bit depth, palette, interlace); colour becomes grey by Rec. 601 luminance
 * (0.299 R + 0.587 G + 0.114 B), composited over black by alpha; pngjs brings every bit depth
 * to 8 bits, so pixels are divided by 255 — one fixed scale, like uint8 IDX.
 * Every image must be square and the same size. Every problem is a Left naming the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import { PNG } from 'pngjs';
import { indexLabels, type LabelledImages } from './images';
import { dataError, type DataError } from './types';

/** Whether `path` is a directory (false when it does not exist or cannot be read). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const isHidden = (name: string) => name.startsWith('.');

function listDir(path: string): E.Either<DataError, string[]> {
  try {
    return E.right(readdirSync(path).filter((n) => !isHidden(n)).sort());
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return E.left(dataError('io-error', `${path}: cannot list: ${msg}`, { expected: 'a readable folder', found: msg }));
  }
}

interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** grey values in [0, 1] */
  readonly grey: Float32Array;
}

/** Decodes one PNG file into grey values in [0, 1]; Left (image-decode) when it is not a PNG. */
export function decodePngGrey(path: string): E.Either<DataError, GreyImage> {
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(readFileSync(path));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return E.left(dataError('image-decode', `${path}: not a readable PNG: ${msg}`, { expected: 'a PNG image', found: msg }));
  }
  const { width, height, data } = png;
  const n = width * height;
  if (width <= 0 || height <= 0 || data.length < 4 * n) {
    return E.left(dataError('image-decode', `${path}: decoded ${data.length} bytes for a ${width}x${height} image`, { expected: `${4 * n} RGBA bytes`, found: String(data.length) }));
  }
  // pngjs rescales every bit depth to 8-bit RGBA by default
  const grey = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = data[4 * i]!;
    const g = data[4 * i + 1]!;
    const b = data[4 * i + 2]!;
    const a = data[4 * i + 3]!;
    grey[i] = ((0.299 * r + 0.587 * g + 0.114 * b) * (a / 255)) / 255;
  }
  return E.right({ width, height, grey });
}

/**
 * Reads `dir/<class>/<image>.png`. Left when the folder has no class sub-folders, a class
 * folder holds no PNG, a file in a class folder is not a `.png` (hidden files are ignored), a
 * PNG does not decode, an image is not square, or its size differs from the first image's.
 */
export function readPngFolder(dir: string): E.Either<DataError, LabelledImages> {
  const entries = listDir(dir);
  if (E.isLeft(entries)) return entries;
  const classes = entries.right.filter((name) => isDirectory(join(dir, name)));
  const strays = entries.right.filter((name) => !classes.includes(name));
  if (classes.length === 0) {
    return E.left(dataError('image-folder', `${dir}: expected one sub-folder of PNG images per class, found no sub-folders`, { expected: 'class sub-folders', found: `${entries.right.length} files` }));
  }
  if (strays.length > 0) {
    return E.left(dataError('image-folder', `${dir}: expected only class sub-folders, found file ${strays[0]}`, { expected: 'class sub-folders', found: strays[0]! }));
  }
  const files: { path: string; label: string }[] = [];
  for (const label of classes) {
    const listed = listDir(join(dir, label));
    if (E.isLeft(listed)) return listed;
    const other = listed.right.find((f) => !/\.png$/i.test(f));
    if (other !== undefined) {
      return E.left(dataError('image-folder', `${join(dir, label, other)}: expected only .png files in a class folder`, { expected: 'a .png file', found: other }));
    }
    if (listed.right.length === 0) {
      return E.left(dataError('empty-data', `${join(dir, label)}: class '${label}' has no PNG images`, { expected: 'at least one image per class', found: 'none' }));
    }
    for (const f of listed.right) files.push({ path: join(dir, label, f), label });
  }
  let side = 0;
  let x = new Float32Array(0);
  for (let i = 0; i < files.length; i++) {
    const { path } = files[i]!;
    const img = decodePngGrey(path);
    if (E.isLeft(img)) return img;
    const { width, height, grey } = img.right;
    if (width !== height) {
      return E.left(dataError('image-not-square', `${path}: the image is ${width}x${height}; only square images are supported`, { expected: 'width = height', found: `${width}x${height}` }));
    }
    if (i === 0) {
      side = width;
      x = new Float32Array(files.length * side * side);
    } else if (width !== side) {
      return E.left(dataError('image-size-mismatch', `${path}: the image is ${width}x${height}, but ${files[0]!.path} is ${side}x${side}; all images must be the same size`, { index: i, expected: `${side}x${side}`, found: `${width}x${height}` }));
    }
    x.set(grey, i * side * side);
  }
  const { y, classNames } = indexLabels(files.map((f) => f.label));
  return E.right({ x, y, n: files.length, side, classNames, pixelScale: 255 });
}
