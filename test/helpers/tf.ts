/**
 * Shared test helpers: TensorFlow.js as the oracle (cpu backend, full package so every op
 * and gradient registers), conversions, and closeness assertions.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { makeTensor, type Tensor } from '../../src/tensor/tensor';
import type { Shape } from '../../src/shape/dims';
import type { DType } from '../../src/tensor/dtype';

await tf.setBackend('cpu');
export { tf };

/** our tensor → a tfjs tensor with the same values */
export function toTf(t: Tensor<Shape, DType>): tf.Tensor {
  const d = t.dataSync();
  const shape = [...(t.shape as readonly number[])];
  if (t.dtype === 'bool') return tf.tensor(Array.from(d, (v) => v !== 0), shape, 'bool');
  return tf.tensor(d as Float32Array | Int32Array, shape, t.dtype === 'int32' ? 'int32' : 'float32');
}

/** a float32 tensor of our own from a flat array and a shape */
export function fromFlat<S extends readonly number[]>(data: ArrayLike<number>, shape: S): Tensor<[...S]> {
  return makeTensor([...shape], 'float32', Float32Array.from(data));
}

export interface Tol {
  atol?: number;
  rtol?: number;
}

/** |a - b| <= atol + rtol·|b| element-wise, shapes equal; NaN matches NaN. */
export function expectCloseArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol = {}, what = ''): void {
  const atol = tol.atol ?? 1e-6;
  const rtol = tol.rtol ?? 1e-5;
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    const ok = Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) expect.fail(`${what} element ${i}: got ${a}, expected ${b} (atol ${atol}, rtol ${rtol})`);
  }
}

/** our tensor vs a tfjs tensor: same shape, close values */
export function expectCloseTf(ours: Tensor<Shape, DType>, theirs: tf.Tensor, tol: Tol = {}, what = ''): void {
  expect([...(ours.shape as readonly number[])], `${what} shape`).toEqual(theirs.shape);
  expectCloseArrays(ours.dataSync(), theirs.dataSync() as ArrayLike<number>, tol, what);
}
