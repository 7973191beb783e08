/**
 * Random tensors from explicit keys (src/random): pure — the same key gives a
 * bit-identical tensor on every platform. Split a key to get independent draws.
 */
import type { Key } from '../random';
import { bernoulliArray, normalArray, permutationArray, randintArray, truncatedNormalArray, uniformArray } from '../random';
import { ShapeError } from '../shape/dims';
import { makeTensor, type Tensor } from './tensor';
import type { Mutable } from './create';


function count(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(what, `dims must be non-negative integers, got [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function randomUniform<const S extends readonly number[]>(key: Key, shape: S, lo = 0, hi = 1): Tensor<Mutable<S>> {
  return makeTensor([...shape], 'float32', uniformArray(key, count(shape, 'randomUniform'), lo, hi));
}

export function randomNormal<const S extends readonly number[]>(key: Key, shape: S, mean = 0, std = 1): Tensor<Mutable<S>> {
  return makeTensor([...shape], 'float32', normalArray(key, count(shape, 'randomNormal'), mean, std));
}

/** normal values redrawn beyond 2 standard deviations (Keras' truncated normal) */
export function truncatedNormal<const S extends readonly number[]>(key: Key, shape: S, mean = 0, std = 1): Tensor<Mutable<S>> {
  return makeTensor([...shape], 'float32', truncatedNormalArray(key, count(shape, 'truncatedNormal'), mean, std));
}

/** a bool mask, true with probability p */
export function bernoulli<const S extends readonly number[]>(key: Key, shape: S, p: number): Tensor<Mutable<S>, 'bool'> {
  return makeTensor([...shape], 'bool', bernoulliArray(key, count(shape, 'bernoulli'), p));
}

/** int32 values uniform in [lo, hi) */
export function randint<const S extends readonly number[]>(key: Key, shape: S, lo: number, hi: number): Tensor<Mutable<S>, 'int32'> {
  return makeTensor([...shape], 'int32', randintArray(key, count(shape, 'randint'), lo, hi));
}

/** a random permutation of 0..n-1 (int32) */
export function permutation<const N extends number>(key: Key, n: N): Tensor<[N], 'int32'> {
  return makeTensor([n], 'int32', permutationArray(key, n));
}
