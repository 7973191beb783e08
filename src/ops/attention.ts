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
import type { Shape, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import {
  attentionMaskShape,
  attentionShapes,
  paddingMaskShape,
  type AttentionMaskShape,
  type AttentionScoresShape,
  type AttentionShape,
  checkDtype,
  type Check,
  type DtypeRule,
  type PaddingMaskShape,
  type Result,
} from '../shape/rules';
import { makeTensor, type Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import { erase, typed, type AnyTensor, dimsOf } from '../tensor/untyped';
import { castRaw, compareRaw, mulRaw, notEqualP, whereRaw } from './elementwise';
import { reshapeRaw } from './reduce-core';
import { softmaxRaw } from './activations';
import { matmulRaw } from './linalg';
import { fusedAttention } from './attention-fused';
import { boolArg, intArg, numberArg, optionsArg, tensorArgs } from '../tensor/validate';


/** the most negative finite float32: the score of a masked position */
const MASKED_SCORE = -3.4028234663852886e38;

/** false only when the mask is concrete and every row of its last axis allows some key */
function mayMaskWholeRow(m: AnyTensor): boolean {
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

export interface PaddingMaskOptions<H extends boolean> {
  /** true (default): [B, 1, 1, L] for scores [B, heads, Lq, Lk]; false: [B, 1, L] for [B, Lq, Lk] */
  readonly heads?: H;
}

/** ids [B, L] → bool mask, true where ids !== padId, shaped to broadcast over the scores. */
export function paddingMask<S extends Shape, const H extends boolean = true, D extends DType = 'int32'>(
  ids: Tensor<S, D> & Check<PaddingMaskShape<S, H>> & Check<DtypeRule<'paddingMask', 'ids', 'int32', D>>,
  padId = 0,
  options?: PaddingMaskOptions<H>,
): Tensor<Result<PaddingMaskShape<S, H>>, 'bool'> {
  tensorArgs('paddingMask', { ids });
  intArg('paddingMask', 'padId', padId);
  optionsArg('paddingMask', options, ['heads']);
  boolArg('paddingMask', 'heads', options?.heads);
  const t = erase(ids);
  checkDtype('paddingMask', 'ids', ['int32'], t.dtype);
  const s = dimsOf(t);
  const shape = paddingMaskShape(s, options?.heads !== false);
  const keep = compareRaw(notEqualP, t, padId);
  return typed<Tensor<Result<PaddingMaskShape<S, H>>, 'bool'>>(reshapeRaw(keep, shape));
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

export type AttentionOut<Q extends Shape, K extends Shape, V extends Shape, R extends boolean> = R extends true
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
): AttentionOut<Q, K, V, R> {
  tensorArgs('scaledDotProductAttention', { q, k, v });
  tensorArgs('scaledDotProductAttention', { mask }, true);
  optionsArg('scaledDotProductAttention', options, ['scale', 'returnWeights']);
  numberArg('scaledDotProductAttention', 'scale', options?.scale);
  boolArg('scaledDotProductAttention', 'returnWeights', options?.returnWeights);
  const qt = erase(q);
  const kt = erase(k);
  const vt = erase(v);
  const [scoresShape] = attentionShapes(dimsOf(qt), dimsOf(kt), dimsOf(vt));
  const m = mask == null ? null : erase(mask);
  if (m !== null) {
    if (m.dtype !== 'bool') throw new ShapeError('attention', `mask must be bool (true = attend), got ${m.dtype}`);
    attentionMaskShape(scoresShape, dimsOf(m));
  }
  const qs = dimsOf(qt);
  const scale = options?.scale ?? 1 / Math.sqrt(qs[qs.length - 1]!);
  // scale whichever of q and the scores is smaller (same value up to rounding)
  const lk = dimsOf(kt)[dimsOf(kt).length - 2]!;
  const dk = qs[qs.length - 1]!;
  if (options?.returnWeights !== true) {
    // concrete inputs: one backend call where the backend fuses attention (attention-fused.ts)
    const outShape = attentionShapes(qs, dimsOf(kt), dimsOf(vt))[1];
    const fused = fusedAttention(qt, kt, vt, m, scoresShape, outShape, scale, dk > lk, m !== null && mayMaskWholeRow(m));
    if (fused !== null) return typed<AttentionOut<Q, K, V, R>>(fused);
  }
  let scores = dk <= lk ? matmulRaw(mulRaw(qt, scale), kt, false, true) : mulRaw(matmulRaw(qt, kt, false, true), scale);
  if (m !== null) scores = whereRaw(m, scores, MASKED_SCORE);
  let weights = softmaxRaw(scores, -1);
  // masked keys already get exactly 0 from the softmax; rows where every key is masked would
  // be uniform, so they are zeroed by the mask (skipped when a concrete mask has no such row)
  if (m !== null && mayMaskWholeRow(m)) weights = mulRaw(weights, castRaw(m, 'float32'));
  const output = matmulRaw(weights, vt);
  if (options?.returnWeights !== true) return typed<AttentionOut<Q, K, V, R>>(output);
  const withWeights: AttentionWithWeights<Result<AttentionShape<Q, K, V>>, Result<AttentionScoresShape<Q, K>>> = {
    output: typed<Tensor<Result<AttentionShape<Q, K, V>>>>(output),
    weights: typed<Tensor<Result<AttentionScoresShape<Q, K>>>>(weights),
  };
  return withWeights as AttentionOut<Q, K, V, R>; // cast: R is still generic here, so TS cannot resolve AttentionOut's returnWeights branch
}

