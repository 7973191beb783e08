/**
 * The Transformer's building blocks: the param records, the block-level shape rules and the
 * runtime encoder / decoder blocks (Keras-NLP TransformerEncoder / TransformerDecoder):
 *   post-norm (default, the paper):  x = LN(x + Drop(Attn(x))),  x = LN(x + Drop(FFN(x)))
 *   pre-norm (`normFirst: true`):    x = x + Drop(Attn(LN(x))),  x = x + Drop(FFN(LN(x)))
 * with FFN(x) = dense(relu(dense(x))) of width ffDim, attention dropout on the attention
 * weights, and the decoder's three sub-layers: causal self-attention, cross-attention over the
 * encoder output ("memory"), FFN. Layer norms use epsilon 1e-5 (Keras-NLP / PyTorch; the
 * layerNorm op defaults to Keras' 1e-3).
 *
 * Params (plain records, every attention block in the Keras layout of ../attention.ts):
 *   encoder layer: selfAttention, selfAttentionNorm {gamma, beta}, ffnInner {kernel [D, F], bias},
 *                  ffnOuter {kernel [F, D], bias}, ffnNorm
 *   decoder layer: the same plus crossAttention and crossAttentionNorm
 */
import type { Dim, Shape, ShapeMismatch } from '../../../shape/dims';
import { ShapeError } from '../../../shape/dims';
import type { Tensor } from '../../../tensor/tensor';
import { erase, wide, type AnyTensor, dimsOf } from '../../../tensor/untyped';
import { foldIn, type Key } from '../../../random';
import { addRaw } from '../../../ops/elementwise';
import { matmulRaw } from '../../../ops/linalg';
import { reshapeRaw } from '../../../ops/reduce-core';
import { dropout as dropoutOp } from '../../../ops/norm';
import { activationFn, type ActivationName } from '../../activation';
import { glorotUniform, keys, resolveInit, zerosInit, type Initializer, type InitializerName } from '../../init';
import type { Layer } from '../../layer';
import { layerNormalization, type LayerNormalizationParams } from '../norm';
import { checkDropoutRate, initMhaParams, mhaCall, mhaConfig, type HeadDim, type HeadsRule, type MhaConfig, type MhaParams } from '../attention';
import type { Agree, IsDyn, Show } from '../../../shape/dim-types';

// the untyped core works on erased tensors and op cores; crossings go through tensor/untyped
export type T = Tensor<Dim[]>;

import type { BatchDimOf as BatchOf, SeqLenOf as LenOf, FeatureDimOf as FeatOf } from '../../../shape/rules';
export type { BatchOf, LenOf, FeatOf };

// =============================================================================================
// Param types

/** a layerNormalization layer's params over the last dim */
export type LayerNormParams<D extends Dim> = LayerNormalizationParams<[D]>;
/** an embedding layer's params (Keras Embedding) */
export type EmbeddingParams<V extends Dim, D extends Dim> = { embeddings: Tensor<[V, D]> };
export type LinearParams<I extends Dim, O extends Dim> = { kernel: Tensor<[I, O]>; bias: Tensor<[O]> };
/** Multi-head attention params of width D (queries and keys/values) with H heads of depth D / H. */
export type SelfAttentionParams<D extends Dim, H extends Dim> = MhaParams<D, D, H, HeadDim<D, H> & Dim>;

export type EncoderLayerParams<D extends Dim, H extends Dim, F extends Dim> = {
  selfAttention: SelfAttentionParams<D, H>;
  selfAttentionNorm: LayerNormParams<D>;
  ffnInner: LinearParams<D, F>;
  ffnOuter: LinearParams<F, D>;
  ffnNorm: LayerNormParams<D>;
};

export type DecoderLayerParams<D extends Dim, H extends Dim, F extends Dim> = {
  selfAttention: SelfAttentionParams<D, H>;
  selfAttentionNorm: LayerNormParams<D>;
  crossAttention: SelfAttentionParams<D, H>;
  crossAttentionNorm: LayerNormParams<D>;
  ffnInner: LinearParams<D, F>;
  ffnOuter: LinearParams<F, D>;
  ffnNorm: LayerNormParams<D>;
};

// =============================================================================================
// Shape rules

/** The encoder layer on [B, L, D]: the same shape, or the heads / rank mismatch. */
export type EncoderLayerOut<S extends Shape, H> = number extends S['length']
  ? Dim[]
  : S extends readonly [Dim, Dim, infer D]
    ? HeadsRule<'transformerEncoderLayer', D, H> extends infer R
      ? R extends ShapeMismatch<any, any, any>
        ? R
        : [...S]
      : never
    : ShapeMismatch<`transformerEncoderLayer: expects [batch, seq, d_model] (got rank ${S['length']})`, 3, S>;

/** x [B, L, D] with D = the params' width. */
export type BlockInputRule<Name extends string, X extends Shape, D> = number extends X['length']
  ? X
  : X extends readonly [Dim, Dim, infer W]
    ? Agree<W, D> extends true
      ? X
      : ShapeMismatch<`${Name}: input width differs (expected ${Show<D>}, got ${Show<W>})`, D, X>
    : ShapeMismatch<`${Name}: expects [batch, seq, d_model] (got rank ${X['length']})`, 3, X>;

/** memory [B, Ls, D] with the decoder's batch and width. */
export type MemoryRule<X extends Shape, M extends Shape, D> = number extends M['length']
  ? M
  : M extends readonly [infer B, Dim, infer W]
    ? Agree<B, BatchOf<X>> extends true
      ? Agree<W, IsDyn<FeatOf<X>> extends true ? D : FeatOf<X>> extends true
        ? M
        : ShapeMismatch<`transformerDecoderLayer: decoder width differs from encoder width (expected ${Show<IsDyn<FeatOf<X>> extends true ? D : FeatOf<X>>}, got ${Show<W>})`, D, M>
      : ShapeMismatch<`transformerDecoderLayer: memory batch differs from decoder batch (expected ${Show<BatchOf<X>>}, got ${Show<B>})`, X, M>
    : ShapeMismatch<`transformerDecoderLayer: memory must be [batch, seq, d_model] (got rank ${M['length']})`, 3, M>;

// =============================================================================================
// Runtime building blocks

export interface BlockConfig {
  readonly mha: MhaConfig;
  readonly ffDim: number;
  readonly dropout: number;
  readonly normFirst: boolean;
  readonly activation: (x: T) => T;
  readonly epsilon: number;
  /** the layer norm of every sub-layer (a layerNormalization layer over the last dim) */
  readonly norm: Layer;
  readonly kernelInitializer: Initializer;
}

export interface Lin {
  readonly kernel: AnyTensor;
  readonly bias?: AnyTensor;
}
export interface LN {
  readonly gamma: AnyTensor;
  readonly beta: AnyTensor;
}
export interface RuntimeEncoder {
  readonly selfAttention: unknown;
  readonly selfAttentionNorm: LN;
  readonly ffnInner: Lin;
  readonly ffnOuter: Lin;
  readonly ffnNorm: LN;
}
export interface RuntimeDecoder extends RuntimeEncoder {
  readonly crossAttention: unknown;
  readonly crossAttentionNorm: LN;
}

/** x [..., I] · kernel [I, O] + bias as one GEMM over all leading positions. */
export function linear(x: AnyTensor, p: Lin): AnyTensor {
  const s = dimsOf(x);
  const [i, o] = dimsOf(p.kernel) as [number, number];
  const rows = s.slice(0, -1).reduce((a, b) => a * b, 1);
  let y = matmulRaw(reshapeRaw(x, [rows, i]), p.kernel);
  if (p.bias) y = addRaw(y, p.bias);
  return reshapeRaw(y, [...s.slice(0, -1), o]);
}

export const norm = (cfg: BlockConfig, x: AnyTensor, p: LN): AnyTensor => cfg.norm.apply(p, x, {});
const plus = (x: AnyTensor, y: AnyTensor): AnyTensor => addRaw(x, y);

/** how a block runs: training (dropout on) and the block's dropout key (none at inference) */
export interface BlockRunContext {
  readonly training: boolean;
  readonly key: Key | undefined;
}

/** dropout at site i (its own key folded from the block's key); identity at inference */
export function drop(cfg: BlockConfig, ctx: BlockRunContext, x: AnyTensor, site: number): AnyTensor {
  if (!ctx.training || cfg.dropout === 0) return x;
  // no untyped core for dropout: the typed op on a rank-unknown view
  return erase(dropoutOp(wide(x), foldIn(ctx.key!, site), cfg.dropout));
}

export function requireKey(name: string, rate: number, ctx: { training?: boolean | undefined; key?: Key | undefined }): BlockRunContext {
  const training = ctx.training === true && rate > 0;
  if (training && ctx.key === undefined) throw new Error(`${name}: training with dropout needs a key ({ training: true, key })`);
  return { training, key: ctx.key };
}

function ffn(cfg: BlockConfig, p: RuntimeEncoder, x: AnyTensor): AnyTensor {
  // BlockConfig.activation is public and typed: applied to a rank-unknown view
  return linear(erase(cfg.activation(wide(linear(x, p.ffnInner)))), p.ffnOuter);
}

function attention(cfg: BlockConfig, ctx: BlockRunContext, params: unknown, q: AnyTensor, kv: AnyTensor, mask: AnyTensor | null, causal: boolean, site: number, wantWeights = false) {
  return mhaCall(params, q, kv, { mask, causal, dropout: cfg.dropout, training: ctx.training, key: ctx.training ? foldIn(ctx.key!, site) : undefined, returnWeights: wantWeights });
}

/** One encoder block on [B, L, D]. */
export function encoderBlock(cfg: BlockConfig, params: unknown, x: AnyTensor, mask: AnyTensor | null, ctx: BlockRunContext): AnyTensor {
  const p = params as RuntimeEncoder;
  if (cfg.normFirst) {
    const h = norm(cfg, x, p.selfAttentionNorm);
    const y = plus(x, drop(cfg, ctx, attention(cfg, ctx, p.selfAttention, h, h, mask, false, 0).output, 1));
    return plus(y, drop(cfg, ctx, ffn(cfg, p, norm(cfg, y, p.ffnNorm)), 2));
  }
  const y = norm(cfg, plus(x, drop(cfg, ctx, attention(cfg, ctx, p.selfAttention, x, x, mask, false, 0).output, 1)), p.selfAttentionNorm);
  return norm(cfg, plus(y, drop(cfg, ctx, ffn(cfg, p, y), 2)), p.ffnNorm);
}

export interface DecoderBlockResult {
  readonly output: AnyTensor;
  readonly selfAttention: AnyTensor | null;
  readonly crossAttention: AnyTensor | null;
}

/** One decoder block: causal self-attention (and selfMask), cross-attention over memory, FFN. */
export function decoderBlock(
  cfg: BlockConfig,
  params: unknown,
  x: AnyTensor,
  memory: AnyTensor,
  selfMask: AnyTensor | null,
  memoryMask: AnyTensor | null,
  causal: boolean,
  ctx: BlockRunContext,
  wantWeights: boolean,
): DecoderBlockResult {
  const p = params as RuntimeDecoder;
  let y = x;
  let sa;
  let ca;
  if (cfg.normFirst) {
    const h = norm(cfg, y, p.selfAttentionNorm);
    sa = attention(cfg, ctx, p.selfAttention, h, h, selfMask, causal, 0, wantWeights);
    y = plus(y, drop(cfg, ctx, sa.output, 1));
    ca = attention(cfg, ctx, p.crossAttention, norm(cfg, y, p.crossAttentionNorm), memory, memoryMask, false, 2, wantWeights);
    y = plus(y, drop(cfg, ctx, ca.output, 3));
    y = plus(y, drop(cfg, ctx, ffn(cfg, p, norm(cfg, y, p.ffnNorm)), 4));
  } else {
    sa = attention(cfg, ctx, p.selfAttention, y, y, selfMask, causal, 0, wantWeights);
    y = norm(cfg, plus(y, drop(cfg, ctx, sa.output, 1)), p.selfAttentionNorm);
    ca = attention(cfg, ctx, p.crossAttention, y, memory, memoryMask, false, 2, wantWeights);
    y = norm(cfg, plus(y, drop(cfg, ctx, ca.output, 3)), p.crossAttentionNorm);
    y = norm(cfg, plus(y, drop(cfg, ctx, ffn(cfg, p, y), 4)), p.ffnNorm);
  }
  return { output: y, selfAttention: sa.weights, crossAttention: ca.weights };
}

export const lnInit = (cfg: BlockConfig, key: Key, d: number) => cfg.norm.init(key, [d]);

export function initEncoderParams(cfg: BlockConfig, key: Key, d: number): Record<string, unknown> {
  const [k1, k2, k3, k4, k5] = keys(key, 5);
  return {
    selfAttention: initMhaParams(cfg.mha, k1!, d, d),
    selfAttentionNorm: lnInit(cfg, k2!, d),
    ffnInner: { kernel: cfg.kernelInitializer(k3!, [d, cfg.ffDim]), bias: zerosInit(k3!, [cfg.ffDim]) },
    ffnOuter: { kernel: cfg.kernelInitializer(k4!, [cfg.ffDim, d]), bias: zerosInit(k4!, [d]) },
    ffnNorm: lnInit(cfg, k5!, d),
  };
}

export function initDecoderParams(cfg: BlockConfig, key: Key, d: number): Record<string, unknown> {
  const [k1, k2, k3, k4, k5, k6, k7] = keys(key, 7);
  return {
    selfAttention: initMhaParams(cfg.mha, k1!, d, d),
    selfAttentionNorm: lnInit(cfg, k2!, d),
    crossAttention: initMhaParams(cfg.mha, k3!, d, d),
    crossAttentionNorm: lnInit(cfg, k4!, d),
    ffnInner: { kernel: cfg.kernelInitializer(k5!, [d, cfg.ffDim]), bias: zerosInit(k5!, [cfg.ffDim]) },
    ffnOuter: { kernel: cfg.kernelInitializer(k6!, [cfg.ffDim, d]), bias: zerosInit(k6!, [d]) },
    ffnNorm: lnInit(cfg, k7!, d),
  };
}

export interface TransformerLayerOptions<H extends number, F extends number> {
  readonly numHeads: H;
  /** width of the feed-forward hidden layer */
  readonly ffDim: F;
  /** dropout on attention weights and on each sub-layer's output while training (default 0) */
  readonly dropout?: number;
  /** pre-norm (LN before each sub-layer) instead of the paper's post-norm (default false) */
  readonly normFirst?: boolean;
  /** the feed-forward activation (default 'relu') */
  readonly activation?: ActivationName;
  /** layer-norm epsilon (default 1e-5) */
  readonly layerNormEpsilon?: number;
  readonly kernelInitializer?: InitializerName | Initializer;
}

export function blockConfig(name: string, o: TransformerLayerOptions<number, number>): BlockConfig {
  if (!(Number.isInteger(o.ffDim) && o.ffDim >= 1)) throw new RangeError(`${name}: ffDim must be a positive integer, got ${o.ffDim}`);
  const eps = o.layerNormEpsilon ?? 1e-5;
  if (!(eps >= 0)) throw new RangeError(`${name}: layerNormEpsilon must be >= 0, got ${eps}`);
  const dropout = checkDropoutRate(name, o.dropout ?? 0);
  const kernelInitializer = resolveInit(o.kernelInitializer, glorotUniform);
  return {
    mha: mhaConfig(name, { numHeads: o.numHeads, dropout, kernelInitializer }),
    ffDim: o.ffDim,
    dropout,
    normFirst: o.normFirst ?? false,
    activation: activationFn(o.activation ?? 'relu'),
    epsilon: eps,
    norm: layerNormalization({ epsilon: eps }),
    kernelInitializer,
  };
}

export function blockInput(name: string, x: AnyTensor, d: number): void {
  const s = dimsOf(x);
  if (s.length !== 3) throw new ShapeError(name, `expects [batch, seq, d_model] (got rank ${s.length})`);
  if (s[2] !== d) throw new ShapeError(name, `input width differs (expected ${d}, got ${s[2]})`);
}
export const widthOf = (p: { selfAttentionNorm: LN }) => dimsOf(p.selfAttentionNorm.gamma)[0]!;
