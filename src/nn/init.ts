/**
 * Weight initialisers (Keras names and formulas). Each takes an explicit key and a shape;
 * fan-in / fan-out follow Keras: for a kernel [..receptive, in, out], fanIn = in·receptive
 * and fanOut = out·receptive.
 */
import { normalArray, split, truncatedNormalArray, uniformArray, type Key } from '../random';
import { makeTensor, type Tensor } from '../tensor/tensor';

export type Initializer = (key: Key, shape: readonly number[]) => Tensor<number[]>;
export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'orthogonal' | 'zeros' | 'ones';

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i]!;
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const wrap = (shape: readonly number[], data: Float32Array) => makeTensor<number[], 'float32'>(shape, 'float32', data);

export const zerosInit: Initializer = (_key, shape) => wrap(shape, new Float32Array(count(shape)));
export const onesInit: Initializer = (_key, shape) => wrap(shape, new Float32Array(count(shape)).fill(1));

/** U(-l, l), l = sqrt(6 / (fanIn + fanOut)) */
export const glorotUniform: Initializer = (key, shape) => {
  const [fi, fo] = fans(shape);
  const l = Math.sqrt(6 / (fi + fo));
  return wrap(shape, uniformArray(key, count(shape), -l, l));
};
/** truncated N(0, sqrt(2 / (fanIn + fanOut))) as Keras (std corrected for the truncation) */
export const glorotNormal: Initializer = (key, shape) => {
  const [fi, fo] = fans(shape);
  return wrap(shape, truncatedNormalArray(key, count(shape), 0, Math.sqrt(2 / (fi + fo)) / 0.8796256610342398));
};
/** U(-l, l), l = sqrt(6 / fanIn) */
export const heUniform: Initializer = (key, shape) => {
  const l = Math.sqrt(6 / fans(shape)[0]);
  return wrap(shape, uniformArray(key, count(shape), -l, l));
};
/** truncated N(0, sqrt(2 / fanIn)) */
export const heNormal: Initializer = (key, shape) =>
  wrap(shape, truncatedNormalArray(key, count(shape), 0, Math.sqrt(2 / fans(shape)[0]) / 0.8796256610342398));

/**
 * A random orthogonal matrix (rows or columns orthonormal), as Keras' Orthogonal for
 * recurrent kernels: Gram–Schmidt (in float64) on a normal matrix, flattened to
 * [prod(shape[:-1]), shape[-1]].
 */
export const orthogonal: Initializer = (key, shape) => {
  const cols = shape[shape.length - 1] ?? 1;
  const rows = count(shape) / cols;
  const [n, m] = rows < cols ? [cols, rows] : [rows, cols]; // orthonormalise the m columns of an n×m matrix
  const a = Float64Array.from(normalArray(key, n * m));
  for (let j = 0; j < m; j++) {
    for (let pass = 0; pass < 2; pass++) {
      // two passes of modified Gram–Schmidt for stability
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += a[i * m + j]! * a[i * m + p]!;
        for (let i = 0; i < n; i++) a[i * m + j]! -= d * a[i * m + p]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[i * m + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) a[i * m + j]! /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = rows < cols ? a[c * m + r]! : a[r * m + c]!;
  return wrap(shape, out);
};

export const initializers: Record<InitializerName, Initializer> = {
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  orthogonal,
  zeros: zerosInit,
  ones: onesInit,
};

export function resolveInit(i: InitializerName | Initializer | undefined, fallback: Initializer): Initializer {
  return i === undefined ? fallback : typeof i === 'function' ? i : initializers[i];
}

/** split helper so layers read well: `const [k1, k2] = keys(key, 2)` */
export function keys(key: Key, n: number): Key[] {
  return split(key, n);
}
