/**
 * Attention: scaled dot-product attention and its masks.
 *
 * Mask convention (one, used everywhere): a mask is a BOOL tensor, `true` where attention is
 * allowed, broadcastable to the scores [..., Lq, Lk]. `causalMask(n)` is [n, n] (query i sees
 * keys j <= i), `paddingMask(ids, padId)` is [B, 1, 1, L] (or [B, 1, L] without a heads dim);
 * combine them with `logicalAnd`.
 *
 * Masked positions get exactly 0 weight: scores there are replaced by the most negative finite
 * float32 before the softmax (finite, so no NaN in values or gradients; exp underflows to an
 * exact 0 next to any allowed key). A fully masked row yields all-zero weights and an all-zero
 * output row (not NaN, not a uniform average), and no gradient flows through it: the weights
 * are multiplied by the mask whenever the mask may contain such a row.
 */
import type { Dim, Shape, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { broadcastShapes, matmulShape, type BroadcastShape, type Check, type MatmulShape, type Result } from '../shape/rules';
import { makeTensor, type Tensor } from '../tensor/tensor';
import type { AnyTensor } from '../autodiff/core';
import { cast, mul, notEqual, where } from './elementwise';
import { reshapeRaw } from './reduce-core';
import { softmax } from './activations';
import { matmulRaw } from './linalg';
import type { IsDyn, Same, Agree, Show, IsTuple, AgreeAll } from '../shape/dim-types';

type AnyT = Tensor<Dim[]>;
const A = (x: AnyTensor) => x as unknown as AnyT;
const T = (x: AnyT) => x as unknown as AnyTensor;
const shapeOf = (x: AnyTensor) => x.shape as readonly number[];

/** the most negative finite float32: the score of a masked position */
const MASKED_SCORE = -3.4028234663852886e38;

// ---------------------------------------------------------------- shape rules


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

function checkMask(scores: readonly number[], m: readonly number[]): void {
  const b = broadcastShapes(scores, m);
  if (b.length !== scores.length || b.some((d, i) => d !== scores[i])) {
    throw new ShapeError('attention', `mask does not broadcast to the scores shape ([${m.join(', ')}] vs [${scores.join(', ')}])`);
  }
}

/** false only when the mask is concrete and every row of its last axis allows some key */
function mayMaskWholeRow(m: Tensor<Dim[], 'bool'>): boolean {
  const d = m._data;
  if (d === null) return true;
  const shape = m.shape as readonly number[];
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  if (n === 0) return d.length > 0;
  for (let r = 0; r < d.length; r += n) {
    let any = false;
    for (let j = r; j < r + n; j++) {
      if (d[j] !== 0) {
        any = true;
        break;
      }
    }
    if (!any) return true;
  }
  return false;
}

// ---------------------------------------------------------------- masks

/** [n, n] bool, true where key j <= query i (each position attends to itself and the past). */
export function causalMask<const N extends number>(n: N): Tensor<[N, N], 'bool'> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`causalMask: n must be a non-negative integer, got ${n}`);
  const out = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) out.fill(1, i * n, i * n + i + 1);
  return makeTensor([n, n], 'bool', out);
}

export type PaddingMaskShape<S extends Shape, H extends boolean> =
  number extends S['length']
    ? Dim[]
    : S extends readonly [infer B extends Dim, infer L extends Dim]
      ? H extends false
        ? [B, 1, L]
        : [B, 1, 1, L]
      : ShapeMismatch<`paddingMask: ids must be [batch, length] (rank ${S['length']})`, 2, S>;

export interface PaddingMaskOptions<H extends boolean> {
  /** true (default): [B, 1, 1, L] for scores [B, heads, Lq, Lk]; false: [B, 1, L] for [B, Lq, Lk] */
  readonly heads?: H;
}

/** ids [B, L] → bool mask, true where ids !== padId, shaped to broadcast over the scores. */
export function paddingMask<S extends Shape, const H extends boolean = true>(
  ids: Tensor<S, 'int32' | 'float32'> & Check<PaddingMaskShape<S, H>>,
  padId = 0,
  options?: PaddingMaskOptions<H>,
): Tensor<Result<PaddingMaskShape<S, H>>, 'bool'> {
  const t = ids as unknown as AnyTensor;
  const s = shapeOf(t);
  if (s.length !== 2) throw new ShapeError('paddingMask', `ids must be [batch, length] (rank ${s.length})`);
  const keep = notEqual(ids as unknown as Tensor<Dim[], 'int32'>, padId) as unknown as AnyTensor;
  const shape = options?.heads === false ? [s[0]!, 1, s[1]!] : [s[0]!, 1, 1, s[1]!];
  return reshapeRaw(keep, shape) as unknown as Tensor<Result<PaddingMaskShape<S, H>>, 'bool'>;
}

// ---------------------------------------------------------------- attention

export interface AttentionOptions<R extends boolean> {
  /** multiplies q·kᵀ (default 1/√dk) */
  readonly scale?: number;
  /** also return the attention weights [..., Lq, Lk] (for heat maps) */
  readonly returnWeights?: R;
}

export interface AttentionWithWeights<O extends Shape, W extends Shape> {
  readonly output: Tensor<O>;
  readonly weights: Tensor<W>;
}

type AttnOut<Q extends Shape, K extends Shape, V extends Shape, R extends boolean> = R extends true
  ? AttentionWithWeights<Result<AttentionShape<Q, K, V>>, Result<AttentionScoresShape<Q, K>>>
  : Tensor<Result<AttentionShape<Q, K, V>>>;

/**
 * softmax(q·kᵀ · scale + mask) · v, batched over leading dims (broadcast):
 * q [..., Lq, dk], k [..., Lk, dk], v [..., Lk, dv] → [..., Lq, dv].
 * `mask` is a bool tensor (true = attend) broadcastable to [..., Lq, Lk], or null/undefined.
 * With `{ returnWeights: true }` returns `{ output, weights }`.
 * kᵀ is never materialised (the matmul reads k transposed in place).
 */
export function scaledDotProductAttention<
  Q extends Shape,
  K extends Shape,
  V extends Shape,
  M extends Shape = [],
  const R extends boolean = false,
>(
  q: Tensor<Q>,
  k: Tensor<K> & Check<AttentionScoresShape<Q, K>>,
  v: Tensor<V> & Check<AttentionShape<Q, K, V>>,
  mask?: (Tensor<M, 'bool'> & Check<AttentionMaskShape<Result<AttentionScoresShape<Q, K>>, M>>) | null,
  options?: AttentionOptions<R>,
): AttnOut<Q, K, V, R> {
  const qt = q as unknown as AnyTensor;
  const kt = k as unknown as AnyTensor;
  const vt = v as unknown as AnyTensor;
  const [scoresShape] = attentionShapes(shapeOf(qt), shapeOf(kt), shapeOf(vt));
  const m = (mask ?? null) as unknown as Tensor<Dim[], 'bool'> | null;
  if (m !== null) {
    if (m.dtype !== 'bool') throw new ShapeError('attention', `mask must be bool (true = attend), got ${m.dtype}`);
    checkMask(scoresShape, m.shape as readonly number[]);
  }
  const qs = shapeOf(qt);
  const scale = options?.scale ?? 1 / Math.sqrt(qs[qs.length - 1]!);
  // scale whichever of q and the scores is smaller (same value up to rounding)
  const lk = shapeOf(kt)[shapeOf(kt).length - 2]!;
  const dk = qs[qs.length - 1]!;
  let scores: AnyT =
    dk <= lk ? A(matmulRaw(T(mul(A(qt), scale)), kt, false, true)) : mul(A(matmulRaw(qt, kt, false, true)), scale);
  if (m !== null) scores = where(m, scores, MASKED_SCORE);
  let weights: AnyT = softmax(scores, -1);
  // masked keys already get exactly 0 from the softmax; rows where every key is masked would
  // be uniform, so they are zeroed by the mask (skipped when a concrete mask has no such row)
  if (m !== null && mayMaskWholeRow(m)) weights = mul(weights, cast(m, 'float32'));
  const output = matmulRaw(T(weights), vt);
  if (options?.returnWeights === true) return { output, weights } as unknown as AttnOut<Q, K, V, R>;
  return output as unknown as AttnOut<Q, K, V, R>;
}

