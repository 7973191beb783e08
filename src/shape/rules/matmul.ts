import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { Agree, Show, IsTuple } from '../dim-types';
import { fail } from './common';
import { type BroadcastLoop, broadcastFrom } from './broadcast';

// =============================================================================================
// Matmul

/**
 * [...batchA, M, K] @ [...batchB, K, N] -> [...broadcast(batchA, batchB), M, N].
 * Rank-1 operands are rejected (`matmul: operands need rank >= 2 (ranks 1 and 2)`): reshape
 * vectors to [1, K] / [K, 1] first. Inner dims: `matmul: inner dims differ (784 vs 128)`;
 * batch dims: `matmul: batch dims not broadcastable at axis -3 (2 vs 3)`.
 */
export type MatmulShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Dim[]
    : IsTuple<B> extends false
      ? Dim[]
      : A extends readonly [...infer AB extends Shape, infer M extends Dim, infer K]
        ? B extends readonly [...infer BB extends Shape, infer K2, infer N extends Dim]
          ? Agree<K, K2> extends true
            ? BroadcastLoop<AB, BB, 'matmul: batch dims', [M, N], A, B>
            : ShapeMismatch<`matmul: inner dims differ (${Show<K>} vs ${Show<K2>})`, A, B>
          : MatmulRankErr<A, B>
        : MatmulRankErr<A, B>;
type MatmulRankErr<A extends Shape, B extends Shape> = A extends Shape
  ? ShapeMismatch<`matmul: operands need rank >= 2 (ranks ${A['length']} and ${B['length']})`, A, B>
  : never;

/** Runtime `MatmulShape`. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length < 2 || b.length < 2) fail('matmul', `operands need rank >= 2 (ranks ${a.length} and ${b.length})`);
  const k = a[a.length - 1]!;
  const k2 = b[b.length - 2]!;
  if (k !== k2) fail('matmul', `inner dims differ (${k} vs ${k2})`);
  const batch = broadcastFrom(a.slice(0, -2), b.slice(0, -2), 'matmul', 'batch dims', 2);
  return [...batch, a[a.length - 2]!, b[b.length - 1]!];
}

// =============================================================================================
// Matmul with transpose flags, dot, outer

/** S with its last two dims swapped (unchanged below rank 2, so rank errors still read right). */
export type SwapLast<S extends Shape> = S extends readonly [...infer P extends Shape, infer X extends Dim, infer Y extends Dim] ? [...P, Y, X] : S;
export type OpShape<S extends Shape, T extends boolean> = T extends true ? SwapLast<S> : S;

/**
 * matmul with transpose flags: op(A) @ op(B), where op swaps the last two dims when the flag
 * is true. A flag whose value is only known at run time (`boolean`) leaves the shape unknown.
 */
export type MatmulTShape<A extends Shape, B extends Shape, TA extends boolean = false, TB extends boolean = false> =
  boolean extends TA ? Dim[] : boolean extends TB ? Dim[] : MatmulShape<OpShape<A, TA>, OpShape<B, TB>>;

/**
 * numpy.dot for rank 1 and 2: [K]·[K] → [], [M, K]·[K] → [M], [K]·[K, N] → [N], [M, K]·[K, N] → [M, N].
 * `dot: inner dims differ (3 vs 4)`, `dot: operands need rank 1 or 2 (ranks 3 and 1)`.
 */
export type DotShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Dim[]
    : IsTuple<B> extends false
      ? Dim[]
      : [DotSplitA<A>, DotSplitB<B>] extends [[infer MA extends Dim[], infer K], [infer K2, infer NB extends Dim[]]]
        ? Agree<K, K2> extends true
          ? [...MA, ...NB]
          : ShapeMismatch<`dot: inner dims differ (${Show<K>} vs ${Show<K2>})`, A, B>
        : ShapeMismatch<`dot: operands need rank 1 or 2 (ranks ${A['length']} and ${B['length']})`, A, B>;
type DotSplitA<A extends Shape> = A extends readonly [infer K] ? [[], K] : A extends readonly [infer M extends Dim, infer K] ? [[M], K] : false;
type DotSplitB<B extends Shape> = B extends readonly [infer K] ? [K, []] : B extends readonly [infer K, infer N extends Dim] ? [K, [N]] : false;

/** [M] ⊗ [N] → [M, N]; `outer: operands need rank 1 (ranks 2 and 1)`. */
export type OuterShape<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Dim[]
    : IsTuple<B> extends false
      ? Dim[]
      : [A, B] extends [readonly [infer M extends Dim], readonly [infer N extends Dim]]
        ? [M, N]
        : ShapeMismatch<`outer: operands need rank 1 (ranks ${A['length']} and ${B['length']})`, A, B>;

/** Runtime `SwapLast`. */
export function swapLast(s: readonly number[]): number[] {
  const r = s.slice();
  if (r.length >= 2) {
    const n = r.length;
    [r[n - 2], r[n - 1]] = [r[n - 1]!, r[n - 2]!];
  }
  return r;
}

/** Runtime `MatmulTShape`. */
export function matmulTShape(a: readonly number[], b: readonly number[], transA: boolean, transB: boolean): number[] {
  return matmulShape(transA ? swapLast(a) : a, transB ? swapLast(b) : b);
}

/** Runtime `DotShape`. */
export function dotShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length < 1 || a.length > 2 || b.length < 1 || b.length > 2) {
    fail('dot', `operands need rank 1 or 2 (ranks ${a.length} and ${b.length})`);
  }
  const k = a[a.length - 1]!;
  const k2 = b[0]!;
  if (k !== k2) fail('dot', `inner dims differ (${k} vs ${k2})`);
  return [...a.slice(0, -1), ...b.slice(1)];
}

/** Runtime `OuterShape`. */
export function outerShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== 1 || b.length !== 1) fail('outer', `operands need rank 1 (ranks ${a.length} and ${b.length})`);
  return [a[0]!, b[0]!];
}
