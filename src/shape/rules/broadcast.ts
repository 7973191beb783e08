import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, Same, Show, IsTuple } from '../dim-types';
import { type NoDim, fail } from './common';

// =============================================================================================
// Broadcasting

type BroadcastDim<A, B> =
  Same<A, B> extends true
    ? A
    : IsDyn<A> extends true
      ? B extends 1
        ? number
        : B
      : IsDyn<B> extends true
        ? A extends 1
          ? number
          : A
        : A extends 1
          ? B
          : B extends 1
            ? A
            : NoDim;

/** Right-aligned broadcast; Acc holds the result's tail (its length gives the failing axis). */
export type BroadcastLoop<A extends Shape, B extends Shape, What extends string, Acc extends Dim[], A0, B0> = A extends readonly [
  ...infer AI extends Shape,
  infer AL,
]
  ? B extends readonly [...infer BI extends Shape, infer BL]
    ? BroadcastDim<AL, BL> extends infer D
      ? D extends NoDim
        ? ShapeMismatch<`${What} not broadcastable at axis -${[...Acc, 0]['length']} (${Show<AL>} vs ${Show<BL>})`, A0, B0>
        : BroadcastLoop<AI, BI, What, [D & Dim, ...Acc], A0, B0>
      : never
    : [...A, ...Acc]
  : [...B, ...Acc];

/**
 * NumPy broadcasting, right-aligned: equal dims; 1 vs X -> X; 'sym' vs 'sym' -> 'sym';
 * 'sym' vs 1 -> 'sym'; number vs X -> X unless X is 1 (then number). Anything else:
 * `broadcast: dims not broadcastable at axis -k (a vs b)` (k counted from the right).
 */
export type BroadcastShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false ? Dim[] : IsTuple<B> extends false ? Dim[] : BroadcastLoop<A, B, 'broadcast: dims', [], A, B>;

export function broadcastFrom(a: readonly number[], b: readonly number[], op: string, what: string, skip: number): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 1; i <= n; i++) {
    const x = i <= a.length ? a[a.length - i]! : undefined;
    const y = i <= b.length ? b[b.length - i]! : undefined;
    let r: number;
    if (x === undefined) r = y!;
    else if (y === undefined || x === y) r = x;
    else if (x === 1) r = y;
    else if (y === 1) r = x;
    else fail(op, `${what} not broadcastable at axis -${i + skip} (${x} vs ${y})`);
    out[n - i] = r;
  }
  return out;
}

/** Runtime `BroadcastShape`. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  return broadcastFrom(a, b, 'broadcast', 'dims', 0);
}
