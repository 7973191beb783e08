/**
 * Multi-head attention with Keras MultiHeadAttention semantics and weight layout.
 *
 *   sequential(['batch', 'seq', 64], multiHeadAttention({ numHeads: 4 }))          // self-attention
 *   mhaApply(params, query, memory, { mask, causal, returnWeights })              // cross-attention
 *
 * Layout (the order of Keras `get_weights()`; copies 1:1 into a Keras layer):
 *   query.kernel [Dq, H, K], query.bias [H, K], key.kernel [Dkv, H, K], key.bias [H, K],
 *   value.kernel [Dkv, H, V], value.bias [H, V], output.kernel [H, V, O], output.bias [O],
 * with H = numHeads, K = keyDim (default Dq / H), V = valueDim (default K), O = outputDim
 * (default Dq). Scores are q·kᵀ / √K; dropout (Keras `dropout`) drops attention weights while
 * training. Kernels are Glorot-uniform over the 3-D kernel shape (Keras' fans for it), biases 0.
 *
 * Masks follow src/ops/attention.ts: bool, true = attend. A mask of rank 3 is Keras'
 * `attention_mask` [B, Lq, Lk] (or [B, 1, Lk] from `paddingMask(ids, pad, { heads: false })`),
 * broadcast over heads; rank 4 is used as is ([B, 1, 1, Lk] from `paddingMask(ids)`); rank 2
 * [Lq, Lk] is shared by the batch. `causal: true` adds the lower-triangular mask (key j <= query
 * i, also for Lq != Lk as Keras' `use_causal_mask`). Weights come back as [B, H, Lq, Lk].
 */
import type { Div, Mod } from '../../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { BatchDimOf as BatchOf, Check, FeatureDimOf as FeatOf, SeqLenOf as LenOf } from '../../shape/rules';
import { makeTensor, type Tensor } from '../../tensor/tensor';
import { erase, typed, wide, type AnyTensor, dimsOf } from '../../tensor/untyped';
import type { Key } from '../../random';
import { addRaw, castRaw, logicalAndRaw, mulRaw, whereRaw } from '../../ops/elementwise';
import { matmulRaw } from '../../ops/linalg';
import { rearrangeRaw } from '../../ops/einsum';
import { reshapeRaw } from '../../ops/reduce-core';
import { softmaxRaw } from '../../ops/activations';
import { scaledDotProductAttention } from '../../ops/attention';
import type { AttentionMaskShape } from '../../shape/rules';
import { dropout as dropoutOp } from '../../ops/norm';
import { glorotUniform, keys, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type InOf, type Layer, type LayerKind, type RDim } from '../layer';
import type { IsDyn, IsLit, Same, Agree, Show } from '../../shape/dim-types';

/** A bool mask of unknown rank. */
export type MaskTensor = Tensor<Dim[], 'bool'>;

/** the score of a masked position (the most negative finite float32, as src/ops/attention.ts) */
const MASKED_SCORE = -3.4028234663852886e38;

// =============================================================================================
// Type-level rules


/**
 * `true` when H heads split d_model D (or an explicit keyDim K makes the split unnecessary, or a
 * size is not a literal: the run-time check decides), else
 * `<Name>: 8 heads do not divide d_model 500`.
 */
export type HeadsRule<Name extends string, D, H, K = undefined> = K extends number
  ? true
  : [IsLit<D>, IsLit<H>] extends [true, true]
    ? Mod<D & number, H & number> extends 0
      ? true
      : ShapeMismatch<`${Name}: ${H & number} heads do not divide d_model ${D & number}`, H, D>
    : true;

/** The per-head depth: K when given, else D / H (`number` when either is not a literal). */
export type HeadDim<D, H, K = undefined> = K extends number ? K : [IsLit<D>, IsLit<H>] extends [true, true] ? Div<D & number, H & number> & number : number;

/** A projection into heads: kernel [In, H, K] (+ bias [H, K]). */
export type MhaProjection<In extends Dim, H extends Dim, K extends Dim, B extends boolean = true> = B extends false
  ? { kernel: Tensor<[In, H, K]> }
  : { kernel: Tensor<[In, H, K]>; bias: Tensor<[H, K]> };
/** The output projection: kernel [H, V, O] (+ bias [O]). */
export type MhaOutputProjection<H extends Dim, V extends Dim, O extends Dim, B extends boolean = true> = B extends false
  ? { kernel: Tensor<[H, V, O]> }
  : { kernel: Tensor<[H, V, O]>; bias: Tensor<[O]> };

/** The params of multi-head attention from query width Dq and key/value width Dkv. */
export type MhaParams<Dq extends Dim, Dkv extends Dim, H extends Dim, K extends Dim, V extends Dim = K, O extends Dim = Dq, B extends boolean = true> = {
  query: MhaProjection<Dq, H, K, B>;
  key: MhaProjection<Dkv, H, K, B>;
  value: MhaProjection<Dkv, H, V, B>;
  output: MhaOutputProjection<H, V, O, B>;
};

/** What `mhaApply` reads (every MhaParams fits; the dims are inferred from it). */
export interface MhaWeights<Dq extends Dim, Dkv extends Dim, H extends Dim, K extends Dim, V extends Dim, O extends Dim> {
  readonly query: { readonly kernel: Tensor<[Dq, H, K]>; readonly bias?: Tensor<[H, K]> };
  readonly key: { readonly kernel: Tensor<[Dkv, H, K]>; readonly bias?: Tensor<[H, K]> };
  readonly value: { readonly kernel: Tensor<[Dkv, H, V]>; readonly bias?: Tensor<[H, V]> };
  readonly output: { readonly kernel: Tensor<[H, V, O]>; readonly bias?: Tensor<[O]> };
}


/** The output of the self-attention layer on [B, L, D]: [B, L, O ?? D], or the mismatch. */
export type MhaLayerOut<S extends Shape, H, K, O> = number extends S['length']
  ? Dim[]
  : S extends readonly [infer B extends Dim, infer L extends Dim, infer D extends Dim]
    ? HeadsRule<'multiHeadAttention', D, H, K> extends infer R
      ? R extends ShapeMismatch<any, any, any>
        ? R
        : [B, L, O extends number ? O : D]
      : never
    : ShapeMismatch<`multiHeadAttention: expects [batch, seq, features] (got rank ${S['length']})`, 3, S>;

export type KeyDimOf<D, H, K> = HeadDim<D, H, K> & Dim;
export type ValueDimOf<D, H, K, V> = (V extends number ? V : HeadDim<D, H, K>) & Dim;
export type OutDimOf<D, O> = (O extends number ? O : D) & Dim;

/** The params of the self-attention layer for input S (key/value width = query width). */
export type MhaLayerParams<S, H extends number, K, V, O, B extends boolean> = MhaParams<
  FeatOf<S>,
  FeatOf<S>,
  H,
  KeyDimOf<FeatOf<S>, H, K>,
  ValueDimOf<FeatOf<S>, H, K, V>,
  OutDimOf<FeatOf<S>, O>,
  B
>;

export interface MultiHeadAttentionKind<H extends number, K extends number | undefined, V extends number | undefined, O extends number | undefined, B extends boolean>
  extends LayerKind {
  readonly Out: MhaLayerOut<InOf<this>, H, K, O>;
  readonly Params: MhaLayerParams<InOf<this>, H, K, V, O, B>;
}

/** query [B, L, D] with D = the params' query width. */
export type MhaQueryRule<Q extends Shape, Dq> = number extends Q['length']
  ? Q
  : Q extends readonly [Dim, Dim, infer D]
    ? Agree<D, Dq> extends true
      ? Q
      : ShapeMismatch<`multiHeadAttention: query width differs (expected ${Show<Dq>}, got ${Show<D>})`, Dq, Q>
    : ShapeMismatch<`multiHeadAttention: query must be [batch, seq, features] (got rank ${Q['length']})`, 3, Q>;

/** key/value [B, Lk, Dkv]: the query's batch and the params' key/value width. */
export type MhaKeyValueRule<Q extends Shape, KV extends Shape, Dkv> = number extends KV['length']
  ? KV
  : KV extends readonly [infer B, Dim, infer D]
    ? Agree<B, BatchOf<Q>> extends true
      ? Agree<D, Dkv> extends true
        ? KV
        : ShapeMismatch<`multiHeadAttention: key/value width differs (expected ${Show<Dkv>}, got ${Show<D>})`, Dkv, KV>
      : ShapeMismatch<`multiHeadAttention: key/value batch differs from query batch (expected ${Show<BatchOf<Q>>}, got ${Show<B>})`, Q, KV>
    : ShapeMismatch<`multiHeadAttention: key/value must be [batch, seq, features] (got rank ${KV['length']})`, 3, KV>;

/** A mask broadcasts to the scores [B, H, Lq, Lk] (rank 3: to [B, Lq, Lk], heads broadcast). */
export type MhaMaskRule<Q extends Shape, KV extends Shape, H, M extends Shape> = number extends Q['length'] | KV['length']
  ? unknown
  : M['length'] extends 3
    ? AttentionMaskShape<[BatchOf<Q>, LenOf<Q>, LenOf<KV>], M>
    : AttentionMaskShape<[BatchOf<Q>, H & Dim, LenOf<Q>, LenOf<KV>], M>;

export interface MhaWithWeights<O extends Shape, W extends Shape> {
  readonly output: Tensor<O>;
  /** attention weights [batch, heads, Lq, Lk] (before dropout) */
  readonly weights: Tensor<W>;
}

export type MhaOut<Q extends Shape, KV extends Shape, H, O, R extends boolean> = R extends true
  ? MhaWithWeights<[BatchOf<Q>, LenOf<Q>, O & Dim], [BatchOf<Q>, H & Dim, LenOf<Q>, LenOf<KV>]>
  : Tensor<[BatchOf<Q>, LenOf<Q>, O & Dim]>;

// =============================================================================================
// Runtime

/** The resolved hyper-parameters of one attention block. */
export interface MhaConfig {
  readonly numHeads: number;
  readonly keyDim: number | undefined;
  readonly valueDim: number | undefined;
  readonly outputDim: number | undefined;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly causal: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
}

function positiveInt(name: string, what: string, n: number | undefined): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new RangeError(`${name}: ${what} must be a positive integer, got ${n}`);
}

export function checkDropoutRate(name: string, rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`${name}: dropout must be in [0, 1), got ${rate}`);
  return rate;
}

/** The head depths for query width dq: [keyDim, valueDim, outputDim] (ShapeError when heads do not divide). */
export function mhaDims(cfg: MhaConfig, dq: RDim, name = 'multiHeadAttention'): [number, number, number] {
  let k = cfg.keyDim;
  if (k === undefined) {
    const d = knownDim(dq, name, 'd_model (to size the heads without keyDim)');
    if (d % cfg.numHeads !== 0) throw new ShapeError(name, `${cfg.numHeads} heads do not divide d_model ${d}`);
    k = d / cfg.numHeads;
  }
  const o = cfg.outputDim ?? knownDim(dq, name, 'd_model');
  return [k, cfg.valueDim ?? k, o];
}

/** Runtime twin of HeadsRule for a shape-only pass (symbolic d_model passes). */
export function checkHeads(cfg: { numHeads: number; keyDim?: number | undefined }, d: RDim, name: string): void {
  if (cfg.keyDim === undefined && typeof d === 'number' && d % cfg.numHeads !== 0) throw new ShapeError(name, `${cfg.numHeads} heads do not divide d_model ${d}`);
}

/** Fresh attention params for query width dq and key/value width dkv. */
export function initMhaParams(cfg: MhaConfig, key: Key, dq: number, dkv: number): Record<string, Record<string, Tensor<number[]>>> {
  const [k, v, o] = mhaDims(cfg, dq);
  const h = cfg.numHeads;
  const ks = keys(key, 8);
  const proj = (i: number, inDim: number, depth: number) =>
    cfg.useBias ? { kernel: cfg.kernelInitializer(ks[2 * i]!, [inDim, h, depth]), bias: cfg.biasInitializer(ks[2 * i + 1]!, [h, depth]) } : { kernel: cfg.kernelInitializer(ks[2 * i]!, [inDim, h, depth]) };
  return {
    query: proj(0, dq, k),
    key: proj(1, dkv, k),
    value: proj(2, dkv, v),
    output: cfg.useBias ? { kernel: cfg.kernelInitializer(ks[6]!, [h, v, o]), bias: cfg.biasInitializer(ks[7]!, [o]) } : { kernel: cfg.kernelInitializer(ks[6]!, [h, v, o]) },
  };
}

interface Proj {
  readonly kernel: AnyTensor;
  readonly bias?: AnyTensor;
}
interface RuntimeMha {
  readonly query: Proj;
  readonly key: Proj;
  readonly value: Proj;
  readonly output: Proj;
}

/** x [B, L, I] · kernel [I, H, K] + bias [H, K] → [B, H, L, K], as one GEMM over B·L rows. */
function project(x: AnyTensor, p: Proj): AnyTensor {
  const [b, l, i] = dimsOf(x) as [number, number, number];
  const [, h, k] = dimsOf(p.kernel) as [number, number, number];
  let y = matmulRaw(reshapeRaw(x, [b * l, i]), reshapeRaw(p.kernel, [i, h * k]));
  if (p.bias) y = addRaw(y, reshapeRaw(p.bias, [h * k]));
  return rearrangeRaw(y, '(b l) (h k) -> b h l k', { b, l, h, k });
}

/** [Lq, Lk] bool, true where key j <= query i. */
export function causalRect(lq: number, lk: number): MaskTensor {
  const out = new Uint8Array(lq * lk);
  for (let i = 0; i < lq; i++) out.fill(1, i * lk, i * lk + Math.min(i + 1, lk));
  return makeTensor([lq, lk], 'bool', out);
}

/** The user's mask (rank 3 gets a heads axis) and-ed with the causal mask when asked. */
function buildMask(mask: AnyTensor | null | undefined, causal: boolean, b: number, h: number, lq: number, lk: number): AnyTensor | null {
  let m: AnyTensor | null = null;
  if (mask !== null && mask !== undefined) {
    if (mask.dtype !== 'bool') throw new ShapeError('multiHeadAttention', `mask must be bool (true = attend), got ${mask.dtype}`);
    const s = dimsOf(mask);
    // runtime twin of MhaMaskRule: right-aligned broadcast into the scores without growing them
    const target = s.length === 3 ? [b, lq, lk] : [b, h, lq, lk];
    if (s.length > target.length || s.some((d, i) => d !== 1 && d !== target[target.length - s.length + i])) {
      throw new ShapeError('multiHeadAttention', `mask does not broadcast to the scores shape ([${s.join(', ')}] vs [${target.join(', ')}])`);
    }
    m = s.length === 3 ? reshapeRaw(mask, [s[0]!, 1, s[1]!, s[2]!]) : mask;
  }
  if (causal) {
    const c = erase(causalRect(lq, lk));
    m = m === null ? c : logicalAndRaw(m, c);
  }
  return m;
}

/**
 * softmax(q·kᵀ/√dk, masked)·v on [B, H, L, ·] heads. Without dropout this is the
 * scaledDotProductAttention op; with dropout the weights are dropped before multiplying v
 * (Keras), so the same steps are spelled out (masked rows zeroed exactly as the op does).
 */
function attend(q: AnyTensor, k: AnyTensor, v: AnyTensor, mask: AnyTensor | null, rate: number, key: Key | undefined, wantWeights: boolean): { output: AnyTensor; weights: AnyTensor | null } {
  if (rate === 0 || key === undefined) {
    // the op has no untyped core: called on rank-unknown views, its runtime checks still apply
    const m = mask === null ? null : wide<'bool'>(mask);
    if (wantWeights) {
      const r = scaledDotProductAttention(wide(q), wide(k), wide(v), m, { returnWeights: true });
      return { output: erase(r.output), weights: erase(r.weights) };
    }
    return { output: erase(scaledDotProductAttention(wide(q), wide(k), wide(v), m)), weights: null };
  }
  const dk = dimsOf(q)[3]!;
  let scores = matmulRaw(mulRaw(q, 1 / Math.sqrt(dk)), k, false, true);
  if (mask !== null) scores = whereRaw(mask, scores, MASKED_SCORE);
  let w = softmaxRaw(scores, -1);
  if (mask !== null) w = mulRaw(w, castRaw(mask, 'float32'));
  const dropped = erase(dropoutOp(wide(w), key, rate));
  return { output: matmulRaw(dropped, v), weights: wantWeights ? w : null };
}

export interface MhaCallOptions {
  readonly mask?: AnyTensor | null | undefined;
  readonly causal?: boolean | undefined;
  readonly returnWeights?: boolean | undefined;
  readonly dropout?: number | undefined;
  readonly training?: boolean | undefined;
  readonly key?: Key | undefined;
}

/** Validate query / key-value against the params (the runtime twins of the type rules). */
function checkInputs(p: RuntimeMha, q: AnyTensor, kv: AnyTensor): void {
  const name = 'multiHeadAttention';
  const qs = dimsOf(q);
  const ks = dimsOf(kv);
  if (qs.length !== 3) throw new ShapeError(name, `query must be [batch, seq, features] (got rank ${qs.length})`);
  if (ks.length !== 3) throw new ShapeError(name, `key/value must be [batch, seq, features] (got rank ${ks.length})`);
  const dq = dimsOf(p.query.kernel)[0]!;
  const dkv = dimsOf(p.key.kernel)[0]!;
  if (qs[2] !== dq) throw new ShapeError(name, `query width differs (expected ${dq}, got ${qs[2]})`);
  if (ks[0] !== qs[0]) throw new ShapeError(name, `key/value batch differs from query batch (expected ${qs[0]}, got ${ks[0]})`);
  if (ks[2] !== dkv) throw new ShapeError(name, `key/value width differs (expected ${dkv}, got ${ks[2]})`);
}

/** The untyped core of mhaApply (used by the layers in this folder). */
export function mhaCall(params: unknown, query: AnyTensor, keyValue: AnyTensor, o: MhaCallOptions = {}): { output: AnyTensor; weights: AnyTensor | null } {
  const p = params as RuntimeMha;
  checkInputs(p, query, keyValue);
  const rate = checkDropoutRate('multiHeadAttention', o.dropout ?? 0);
  const training = o.training === true && rate > 0;
  if (training && o.key === undefined) throw new Error('multiHeadAttention: training with dropout needs a key ({ training: true, key })');
  const [b, lq] = dimsOf(query) as [number, number];
  const lk = dimsOf(keyValue)[1]!;
  const mask = buildMask(o.mask, o.causal === true, b, dimsOf(p.query.kernel)[1]!, lq, lk);
  const q = project(query, p.query);
  const k = project(keyValue, p.key);
  const v = project(keyValue, p.value);
  const r = attend(q, k, v, mask, training ? rate : 0, training ? o.key : undefined, o.returnWeights === true);
  // [B, H, Lq, V] → [B, Lq, H·V] · [H·V, O]
  const [, h, , vd] = dimsOf(r.output) as [number, number, number, number];
  const od = dimsOf(p.output.kernel)[2]!;
  const merged = rearrangeRaw(r.output, 'b h l v -> (b l) (h v)');
  let y = matmulRaw(merged, reshapeRaw(p.output.kernel, [h * vd, od]));
  if (p.output.bias) y = addRaw(y, p.output.bias);
  return { output: reshapeRaw(y, [b, lq, od]), weights: r.weights };
}

export interface MhaApplyOptions<R extends boolean = boolean> {
  /** add the causal mask: query i attends to keys j <= i */
  readonly causal?: boolean;
  /** also return the attention weights [batch, heads, Lq, Lk] (for heat maps) */
  readonly returnWeights?: R;
  /** dropout rate on the attention weights while training (default 0) */
  readonly dropout?: number;
  readonly training?: boolean;
  /** randomness for dropout (required when training with dropout > 0) */
  readonly key?: Key;
}
/** the `mask` option of mhaApply: bool (true = attend) that obeys Rule, or null (exported: hovers show it) */
export type MaskOption<M extends Shape, Rule> = { readonly mask?: (Tensor<M, 'bool'> & Check<Rule>) | null };

/**
 * Multi-head attention of `query` [B, Lq, Dq] over `keyValue` [B, Lk, Dkv] (keys and values
 * come from the same tensor) → [B, Lq, O]; with `returnWeights: true`, `{ output, weights }`.
 * `params` is what `initLayer(multiHeadAttention(...), key, [B, L, D])` (self-attention) or
 * `initMultiHeadAttention(layer, key, Dq, Dkv)` (cross-attention) returns. A query or
 * key/value width other than the params' is a compile error on that argument.
 */
export function mhaApply<
  Q extends Shape,
  KV extends Shape,
  Dq extends Dim,
  Dkv extends Dim,
  H extends Dim,
  K extends Dim,
  V extends Dim,
  O extends Dim,
  M extends Shape = [],
  const R extends boolean = false,
>(
  params: MhaWeights<Dq, Dkv, H, K, V, O>,
  query: Tensor<Q> & Check<MhaQueryRule<Q, NoInfer<Dq>>>,
  keyValue: Tensor<KV> & Check<MhaKeyValueRule<Q, KV, NoInfer<Dkv>>>,
  options?: MhaApplyOptions<R> & MaskOption<M, MhaMaskRule<Q, KV, NoInfer<H>, M>>,
): MhaOut<Q, KV, H, O, R> {
  const o = (options ?? {}) as MhaCallOptions;
  const r = mhaCall(params, erase(query), erase(keyValue), o);
  type Out = Tensor<[BatchOf<Q>, LenOf<Q>, O & Dim]>;
  if (o.returnWeights !== true) return typed<MhaOut<Q, KV, H, O, R>>(r.output);
  const withWeights: MhaWithWeights<[BatchOf<Q>, LenOf<Q>, O & Dim], [BatchOf<Q>, H & Dim, LenOf<Q>, LenOf<KV>]> = { output: typed<Out>(r.output), weights: typed(r.weights!) };
  // cast: MhaOut is conditional on R, which TS cannot narrow from the runtime returnWeights flag
  return withWeights as unknown as MhaOut<Q, KV, H, O, R>;
}

// =============================================================================================
// The layer

export interface MultiHeadAttentionOptions<H extends number, K extends number | undefined, V extends number | undefined, O extends number | undefined, B extends boolean> {
  readonly numHeads: H;
  /** per-head depth of queries and keys (default d_model / numHeads) */
  readonly keyDim?: K;
  /** per-head depth of values (default keyDim) */
  readonly valueDim?: V;
  /** output width (default the query width) */
  readonly outputDim?: O;
  readonly useBias?: B;
  /** dropout rate on the attention weights while training (default 0) */
  readonly dropout?: number;
  /** the layer attends causally (position i sees positions <= i) */
  readonly causal?: boolean;
  readonly kernelInitializer?: InitializerName | Initializer;
  readonly biasInitializer?: InitializerName | Initializer;
}

export type MultiHeadAttentionLayer<H extends number, K extends number | undefined, V extends number | undefined, O extends number | undefined, B extends boolean> = Layer<
  MultiHeadAttentionKind<H, K, V, O, B>,
  'multiHeadAttention'
> & {
  /** the resolved hyper-parameters (read by initMultiHeadAttention and the Transformer layers) */
  readonly mha: MhaConfig;
};

export function mhaConfig(name: string, o: MultiHeadAttentionOptions<number, number | undefined, number | undefined, number | undefined, boolean>): MhaConfig {
  positiveInt(name, 'numHeads', o.numHeads);
  positiveInt(name, 'keyDim', o.keyDim);
  positiveInt(name, 'valueDim', o.valueDim);
  positiveInt(name, 'outputDim', o.outputDim);
  return {
    numHeads: o.numHeads,
    keyDim: o.keyDim,
    valueDim: o.valueDim,
    outputDim: o.outputDim,
    useBias: o.useBias ?? true,
    dropout: checkDropoutRate(name, o.dropout ?? 0),
    causal: o.causal ?? false,
    kernelInitializer: resolveInit(o.kernelInitializer, glorotUniform),
    biasInitializer: resolveInit(o.biasInitializer, zerosInit),
  };
}

/**
 * Multi-head self-attention as a layer on [batch, seq, d_model] (Keras
 * MultiHeadAttention called as `mha(x, x)`): → [batch, seq, outputDim ?? d_model].
 * Without keyDim, numHeads must divide d_model — a compile error at this layer otherwise.
 */
export function multiHeadAttention<
  const H extends number,
  const K extends number | undefined = undefined,
  const V extends number | undefined = undefined,
  const O extends number | undefined = undefined,
  const B extends boolean = true,
>(options: MultiHeadAttentionOptions<H, K, V, O, B>): MultiHeadAttentionLayer<H, K, V, O, B> {
  const cfg = mhaConfig('multiHeadAttention', options);
  return {
    name: 'multiHeadAttention',
    config: { numHeads: cfg.numHeads, keyDim: cfg.keyDim, valueDim: cfg.valueDim, outputDim: cfg.outputDim, useBias: cfg.useBias, dropout: cfg.dropout, causal: cfg.causal },
    mha: cfg,
    outputShape(input) {
      if (input.length !== 3) throw new ShapeError('multiHeadAttention', `expects [batch, seq, features] (got rank ${input.length})`);
      const d = input[2]!;
      checkHeads(cfg, d, 'multiHeadAttention');
      return [input[0]!, input[1]!, cfg.outputDim ?? d];
    },
    init(key, input) {
      const d = knownDim(input[2], 'multiHeadAttention', 'the input feature dim');
      return initMhaParams(cfg, key, d, d);
    },
    apply(params, x, ctx) {
      return mhaCall(params, x, x, { causal: cfg.causal, dropout: cfg.dropout, training: ctx.training, key: ctx.key }).output;
    },
  };
}

/**
 * Params for attention from queries of width Dq over keys / values of width Dkv (default Dq):
 * the cross-attention counterpart of `initLayer`. Heads must divide Dq unless keyDim is given.
 */
export function initMultiHeadAttention<
  H extends number,
  K extends number | undefined,
  V extends number | undefined,
  O extends number | undefined,
  B extends boolean,
  const Dq extends number,
  const Dkv extends number = Dq,
>(
  layer: MultiHeadAttentionLayer<H, K, V, O, B>,
  key: Key,
  queryDim: Dq & Check<HeadsRule<'multiHeadAttention', Dq, H, K>>,
  keyValueDim?: Dkv,
): MhaParams<Dq, Dkv, H, KeyDimOf<Dq, H, K>, ValueDimOf<Dq, H, K, V>, OutDimOf<Dq, O>, B> {
  positiveInt('multiHeadAttention', 'queryDim', queryDim);
  positiveInt('multiHeadAttention', 'keyValueDim', keyValueDim);
  // cast: initMhaParams builds exactly the record MhaParams spells out (shapes from mhaDims), as an untyped Record
  return initMhaParams(layer.mha, key, queryDim, keyValueDim ?? queryDim) as unknown as MhaParams<Dq, Dkv, H, KeyDimOf<Dq, H, K>, ValueDimOf<Dq, H, K, V>, OutDimOf<Dq, O>, B>;
}
