/**
 * fast-check arbitraries that yield typed tensors, so a property test needs no casts:
 *
 *   fc.property(arbTensor([2, 3]), (x) => ...)                  // x: Tensor<[2, 3]>
 *   fc.property(arbTensorFor([[2, 3], [3]]), ([a, b]) => ...)   // [Tensor<[2, 3]>, Tensor<[3]>]
 *   fc.property(arbTensorFor({ w: [3, 4], b: [4] }), (p) => ...) // { w: Tensor<[3, 4]>; b: Tensor<[4]> }
 *   fc.property(arbTensorsLike(params), (p) => ...)             // p: typeof params (e.g. from initLayer)
 *
 * Values are float32 drawn as by arbFloat32Array (range, avoided kinks and margin apply).
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { Tensor, makeTensor } from '../tensor/tensor';
import { treeFlatten } from '../autodiff/pytree';
import type { AnyTensor } from '../autodiff/core';
import { erase } from '../tensor/untyped';
import { arbFloat32Array, shapeSize, type Float32ArrayOptions } from './arbitraries';

/** A concrete shape: every dim a number (literals give exact types, `number[]` a dynamic one). */
export type ConcreteShape = readonly number[];

/** A pytree of shapes: a shape, or tuples / arrays / records of shape trees. */
export type ShapeTree = ConcreteShape | readonly ShapeTree[] | { readonly [key: string]: ShapeTree };

/** The tensor type of a shape (a mutable tuple, as `tensor(...)` and the ops produce). */
export type TensorOfShape<S extends ConcreteShape> = Tensor<[...S], 'float32'>;

/** The pytree of tensors whose leaves have the shapes of T. */
export type TensorsFor<T> = T extends ConcreteShape ? TensorOfShape<T> : { -readonly [K in keyof T]: TensorsFor<T[K]> };

function checkShape(fn: string, shape: unknown, path: string): asserts shape is ConcreteShape {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`${fn}: shape${path ? ` at '${path}'` : ''} must be an array of non-negative integer dims, got ${JSON.stringify(shape)}`);
  }
}

function tensorArb(fn: string, shape: ConcreteShape, options: Float32ArrayOptions, path: string): Arbitrary<AnyTensor> {
  checkShape(fn, shape, path);
  const dims = [...shape];
  return arbFloat32Array(shapeSize(dims), options).map((data) => erase(makeTensor<number[], 'float32'>(dims, 'float32', data)));
}

/** A float32 tensor of exactly this shape, typed `Tensor<[...shape]>`. Shrinks towards 0. */
export function arbTensor<const S extends ConcreteShape>(shape: S, options: Float32ArrayOptions = {}): Arbitrary<TensorOfShape<S>> {
  // cast: tensorArb built a tensor of exactly `shape`, which S spells out
  return tensorArb('arbTensor', shape, options, '') as unknown as Arbitrary<TensorOfShape<S>>;
}

/** A shape is an array of numbers; an empty array is the scalar shape `[]`. */
const isShape = (x: unknown): x is ConcreteShape => Array.isArray(x) && x.every((d) => typeof d === 'number');

function treeArb(fn: string, tree: unknown, options: Float32ArrayOptions, path: string): Arbitrary<unknown> {
  if (isShape(tree)) return tensorArb(fn, tree, options, path);
  const at = (k: string | number) => (path === '' ? String(k) : `${path}.${k}`);
  if (Array.isArray(tree)) return fc.tuple(...tree.map((t, i) => treeArb(fn, t, options, at(i))));
  if (tree !== null && typeof tree === 'object' && Object.getPrototypeOf(tree) === Object.prototype) {
    const parts: Record<string, Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(tree)) parts[k] = treeArb(fn, v, options, at(k));
    return fc.record(parts);
  }
  throw new RangeError(`${fn}: expected a shape, an array of shape trees or a record of them${path ? ` at '${path}'` : ''}, got ${JSON.stringify(tree)}`);
}

/**
 * Tensors for a pytree of shapes: a tuple of shapes gives a tuple of tensors, a record
 * (parameters) a record with the same keys. Each leaf is drawn independently.
 */
export function arbTensorFor<const T extends ShapeTree>(shapes: T, options: Float32ArrayOptions = {}): Arbitrary<TensorsFor<T>> {
  return treeArb('arbTensorFor', shapes, options, '') as Arbitrary<TensorsFor<T>>;
}

/**
 * Fresh float32 values for every float32 tensor leaf of `tree` (same structure, shapes and
 * type, e.g. the params of `initLayer`); other leaves (int32 ids, bool masks, numbers,
 * strings) are kept as they are.
 */
export function arbTensorsLike<T>(tree: T, options: Float32ArrayOptions = {}): Arbitrary<T> {
  const flat = treeFlatten(tree);
  const leafArbs = flat.leaves.map((l, i) =>
    l.dtype === 'float32' && l instanceof Tensor ? tensorArb('arbTensorsLike', l.shape as ConcreteShape, options, flat.paths[i]!) : fc.constant(l),
  );
  return fc.tuple(...leafArbs).map((leaves) => flat.rebuild(leaves));
}
