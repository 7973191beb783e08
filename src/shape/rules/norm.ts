import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsTuple, AgreeAll, ShowShape } from '../dim-types';
import { ShapeError } from '../dims';
import { type BroadcastShape, broadcastShapes } from './broadcast';

// =============================================================================================
// Normalisation: layerNorm / batchNorm parameter shapes

/** the last N dims of S */
export type LastN<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc['length'] extends N
  ? Acc
  : S extends readonly [...infer P extends Shape, infer L extends Dim]
    ? LastN<P, N, [L, ...Acc]>
    : Acc;

/** The normalised trailing dims of S for an axis option (one axis → 1 dim, a list of k → k dims). */
export type LayerNormDims<S extends Shape, Ax extends number | readonly number[]> = IsTuple<S> extends false
  ? Dim[]
  : Ax extends readonly number[]
    ? number extends Ax['length']
      ? Dim[]
      : LastN<S, Ax['length']>
    : LastN<S, 1>;

/** gamma / beta must have exactly the normalised dims' shape (Keras). */
export type LayerNormParamShape<S extends Shape, Ax extends number | readonly number[], G extends Shape, Name extends string> =
  LayerNormDims<S, Ax> extends infer N extends Shape
    ? IsTuple<N> extends false
      ? N
      : IsTuple<G> extends false
        ? N
        : AgreeAll<G, N> extends true
          ? N
          : ShapeMismatch<`layerNorm: ${Name} shape differs from the normalized dims (${ShowShape<G>} vs ${ShowShape<N>})`, N, G>
    : never;

/** Runtime `LayerNormParamShape` on a given (non-null) parameter shape. */
export function layerNormParamShape(op: string, name: string, s: readonly number[], dims: readonly number[]): void {
  if (s.length !== dims.length || s.some((d, i) => d !== dims[i])) {
    throw new ShapeError(op, `${name} shape differs from the normalized dims ([${s.join(', ')}] vs [${dims.join(', ')}])`);
  }
}

/** A per-feature parameter must broadcast to x without changing x's shape. */
export type BatchNormParamShape<S extends Shape, P extends Shape, Name extends string> =
  IsTuple<S> extends false
    ? S
    : IsTuple<P> extends false
      ? S
      : BroadcastShape<S, P> extends infer R
        ? R extends ShapeMismatch<any, any, any>
          ? ShapeMismatch<`batchNorm: ${Name} does not broadcast to x (${ShowShape<P>} vs ${ShowShape<S>})`, S, P>
          : R extends Shape
            ? AgreeAll<R, S> extends true
              ? S
              : ShapeMismatch<`batchNorm: ${Name} does not broadcast to x (${ShowShape<P>} vs ${ShowShape<S>})`, S, P>
            : S
        : never;

/** p broadcasts against x without changing x's shape */
export function broadcastsInto(x: readonly number[], p: readonly number[]): boolean {
  try {
    const b = broadcastShapes(x, p);
    return b.length === x.length && b.every((d, i) => d === x[i]);
  } catch {
    return false;
  }
}

/** Runtime `BatchNormParamShape` on a given (non-null) parameter shape. */
export function batchNormParamShape(name: string, x: readonly number[], ps: readonly number[]): void {
  if (!broadcastsInto(x, ps)) throw new ShapeError('batchNorm', `${name} does not broadcast to x ([${ps.join(', ')}] vs [${x.join(', ')}])`);
}
