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
