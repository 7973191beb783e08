import type { Dim, Shape, ShapeMismatch } from '../dims';
import { ShapeError } from '../dims';
import type { Agree, IsTuple, Show } from '../dim-types';
import { type NormIdx, type SplitAt, normIndex } from './common';

// =============================================================================================
// Batching (vmap): where the batch dim sits in a batched shape, and batch-size agreement.
//
// An axis of vmap (`inAxes` / `outAxes`) is an axis of the *batched* value, of rank r + 1 for
// an example of rank r; negative axes count from its end (-1 = last).

/**
 * The per-example shape S with the batch dim B inserted at axis Ax of the batched rank:
 * `BatchedShape<[3, 4], 0, 8>` is `[8, 3, 4]`, `BatchedShape<[3, 4], -1, 'batch'>` is
 * `[3, 4, 'batch']`. Out of range: `vmap: batch axis out of range (axis 3, rank 3)`.
 */
export type BatchedShape<S extends Shape, Ax extends number, B extends Dim> =
  IsTuple<S> extends false
    ? Dim[]
    : NormIdx<[...S, 0]['length'], Ax> extends infer I
      ? I extends false
        ? ShapeMismatch<`vmap: batch axis out of range (axis ${Ax}, rank ${[...S, 0]['length']})`, S, Ax>
        : I extends number
          ? number extends I
            ? Dim[]
            : SplitAt<S, I> extends [infer P extends Dim[], infer Q extends Shape]
              ? [...P, B, ...Q]
              : never
          : never
      : never;

/** Runtime twin of BatchedShape. */
export function batchedShape(s: readonly number[], axis: number, size: number): number[] {
  const i = normIndex(axis, s.length + 1);
  if (!Number.isInteger(axis) || i < 0) throw new ShapeError('vmap', `batch axis out of range (axis ${axis}, rank ${s.length + 1})`);
  return [...s.slice(0, i), size, ...s.slice(i)];
}

/** The batch dim of a batched shape X at axis Ax (`number` for an unknown rank; never out of range). */
export type BatchDimAt<X extends Shape, Ax extends number> =
  IsTuple<X> extends false ? number : NormIdx<X['length'], Ax> extends infer I ? (I extends number ? X[I] : never) : never;

/**
 * Runtime twin of BatchDimAt: the batch axis (normalised) of an argument leaf of shape x, or
 * `vmap: in axis 2 out of range for argument 0 ('w') of rank 2`.
 */
export function batchAxisOf(x: readonly number[], axis: number, where: string): number {
  const i = normIndex(axis, x.length);
  if (!Number.isInteger(axis) || i < 0) throw new ShapeError('vmap', `in axis ${axis} out of range for ${where} of rank ${x.length}`);
  return i;
}

/**
 * Two batched arguments must agree on the batch size:
 * `vmap: batch sizes differ (3 at argument 0 vs 4 at argument 1)`; a dynamic `number` agrees
 * with anything. Gives the agreed dim (the more specific one).
 */
export type AgreeBatch<B0, I0 extends number, B1, I1 extends number> =
  Agree<B0, B1> extends true
    ? (number extends B0 ? B1 : B0)
    : ShapeMismatch<`vmap: batch sizes differ (${Show<B0>} at argument ${I0} vs ${Show<B1>} at argument ${I1})`, B0, B1>;

/** Runtime twin of AgreeBatch (the message names the leaves when an argument is a pytree). */
export function agreeBatch(b0: number, where0: string, b1: number, where1: string): void {
  if (b0 !== b1) throw new ShapeError('vmap', `batch sizes differ (${b0} at ${where0} vs ${b1} at ${where1})`);
}
