import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { Agree, Show, IsTuple, AgreeAll } from '../dim-types';
import { ShapeError } from '../dims';
import { type BroadcastShape, broadcastShapes } from './broadcast';
import { type MatmulShape, matmulShape } from './matmul';

// =============================================================================================
// Attention: scores, output, masks

/**
 * The attention scores q·kᵀ: [...bq, Lq, dk] and [...bk, Lk, dk] → [...broadcast(bq, bk), Lq, Lk].
 * `attention: q and k depths differ (64 vs 32)`; batch dims follow matmul's rule.
 */
export type AttentionScoresShape<Q extends Shape, K extends Shape> =
  IsTuple<Q> extends false
    ? Dim[]
    : IsTuple<K> extends false
      ? Dim[]
      : Q extends readonly [...Shape, Dim, infer DQ]
        ? K extends readonly [...infer KB extends Shape, infer LK extends Dim, infer DK extends Dim]
          ? Agree<DQ, DK> extends true
            ? MatmulShape<Q, [...KB, DK, LK]>
            : ShapeMismatch<`attention: q and k depths differ (${Show<DQ>} vs ${Show<DK>})`, Q, K>
          : ShapeMismatch<`attention: q, k and v need rank >= 2 (ranks ${Q['length']} and ${K['length']})`, Q, K>
        : ShapeMismatch<`attention: q, k and v need rank >= 2 (ranks ${Q['length']} and ${K['length']})`, Q, K>;

/**
 * The attention output weights·v: v [...bv, Lk, dv] → [...batch, Lq, dv]; v's length must equal k's:
 * `attention: v length differs from k length (7 vs 8)`.
 */
export type AttentionShape<Q extends Shape, K extends Shape, V extends Shape> =
  AttentionScoresShape<Q, K> extends infer S
    ? S extends ShapeMismatch<any, any, any>
      ? Dim[] // the error is reported on k
      : IsTuple<V> extends false
        ? Dim[]
        : S extends readonly [...infer SB extends Shape, infer LQ extends Dim, infer LK extends Dim]
          ? V extends readonly [...Shape, infer LV, Dim]
            ? Agree<LK, LV> extends true
              ? MatmulShape<[...SB, LQ, LK], V>
              : ShapeMismatch<`attention: v length differs from k length (${Show<LV>} vs ${Show<LK>})`, K, V>
            : ShapeMismatch<`attention: q, k and v need rank >= 2 (rank ${V['length']})`, K, V>
          : Dim[]
    : never;

/** A bool mask must broadcast to the scores' shape without changing it. */
export type AttentionMaskShape<S extends Shape, M extends Shape> =
  IsTuple<S> extends false
    ? S
    : IsTuple<M> extends false
      ? S
      : BroadcastShape<S, M> extends infer R
        ? R extends ShapeMismatch<any, any, any>
          ? R
          : R extends Shape
            ? AgreeAll<R, S> extends true
              ? S
              : ShapeMismatch<'attention: mask does not broadcast to the scores shape', S, M>
            : S
        : never;

/** Runtime twin of AttentionScoresShape / AttentionShape: [scores, output] shapes. */
export function attentionShapes(q: readonly number[], k: readonly number[], v: readonly number[]): [number[], number[]] {
  if (q.length < 2 || k.length < 2) throw new ShapeError('attention', `q, k and v need rank >= 2 (ranks ${q.length} and ${k.length})`);
  const dq = q[q.length - 1]!;
  const dk = k[k.length - 1]!;
  if (dq !== dk) throw new ShapeError('attention', `q and k depths differ (${dq} vs ${dk})`);
  const scores = matmulShape(q, [...k.slice(0, -2), dk, k[k.length - 2]!]);
  if (v.length < 2) throw new ShapeError('attention', `q, k and v need rank >= 2 (rank ${v.length})`);
  const lk = k[k.length - 2]!;
  const lv = v[v.length - 2]!;
  if (lv !== lk) throw new ShapeError('attention', `v length differs from k length (${lv} vs ${lk})`);
  return [scores, matmulShape(scores, v)];
}

/** Runtime `AttentionMaskShape`: the mask must broadcast to the scores without changing them. */
export function attentionMaskShape(scores: readonly number[], m: readonly number[]): void {
  const b = broadcastShapes(scores, m);
  if (b.length !== scores.length || b.some((d, i) => d !== scores[i])) {
    throw new ShapeError('attention', `mask does not broadcast to the scores shape ([${m.join(', ')}] vs [${scores.join(', ')}])`);
  }
}

/** ids [B, L] -> [B, 1, 1, L] (heads) or [B, 1, L]: the mask that broadcasts over the scores. */
export type PaddingMaskShape<S extends Shape, H extends boolean> =
  number extends S['length']
    ? Dim[]
    : S extends readonly [infer B extends Dim, infer L extends Dim]
      ? H extends false
        ? [B, 1, L]
        : [B, 1, 1, L]
      : ShapeMismatch<`paddingMask: ids must be [batch, length] (rank ${S['length']})`, 2, S>;

/** Runtime `PaddingMaskShape`. */
export function paddingMaskShape(ids: readonly number[], heads: boolean): number[] {
  if (ids.length !== 2) throw new ShapeError('paddingMask', `ids must be [batch, length] (rank ${ids.length})`);
  return heads ? [ids[0]!, 1, 1, ids[1]!] : [ids[0]!, 1, ids[1]!];
}
