/**
 * Transformer blocks and the encoder–decoder Transformer ("Attention is all you need").
 *
 *   sequential(['batch', 'seq', 64],
 *     sinusoidalPositionalEncoding(),
 *     transformerEncoderLayer({ numHeads: 4, ffDim: 128 }),
 *     transformerEncoderLayer({ numHeads: 4, ffDim: 128 }));                    // → ['batch', 'seq', 64]
 *
 *   const dec = transformerDecoderLayer({ numHeads: 4, ffDim: 128 });
 *   const p = dec.init(key, 64);
 *   dec.forward(p, y, memory, { selfMask, memoryMask });                          // y: [B, Lt, 64]
 *
 *   const model = transformer({ srcVocab, tgtVocab, dModel: 64, numHeads: 4, ffDim: 128,
 *     numEncoderLayers: 2, numDecoderLayers: 2, maxLen: 32, dropout: 0.1 });
 *   model.forward(params, srcIds, tgtInIds, { srcPadId: 0, tgtPadId: 0 })       // → [B, Lt, tgtVocab]
 *   model.greedyDecode(params, srcIds, { bosId: 1, eosId: 2, maxLen: 10 })
 *
 * Blocks (Keras-NLP TransformerEncoder / TransformerDecoder):
 *   post-norm (default, the paper):  x = LN(x + Drop(Attn(x))),  x = LN(x + Drop(FFN(x)))
 *   pre-norm (`normFirst: true`):    x = x + Drop(Attn(LN(x))),  x = x + Drop(FFN(LN(x)))
 * with FFN(x) = dense(relu(dense(x))) of width ffDim, attention dropout on the attention
 * weights, and the decoder's three sub-layers: causal self-attention, cross-attention over the
 * encoder output ("memory"), FFN. Pre-norm stacks end with a final layer norm (the Transformer
 * adds it). Layer norms use epsilon 1e-5 (Keras-NLP / PyTorch; the layerNorm op defaults to
 * Keras' 1e-3).
 *
 * Params (plain records, every attention block in the Keras layout of ./attention.ts):
 *   encoder layer: selfAttention, selfAttentionNorm {gamma, beta}, ffnInner {kernel [D, F], bias},
 *                  ffnOuter {kernel [F, D], bias}, ffnNorm
 *   decoder layer: the same plus crossAttention and crossAttentionNorm
 *   transformer:   srcEmbedding / tgtEmbedding {embeddings [vocab, D]} (embedding layers), encoder[], decoder[],
 *                  output {kernel [D, tgtVocab], bias} (+ encoderNorm, decoderNorm when normFirst)
 * Embeddings are scaled by √D and the sinusoidal encoding is added (the paper); they start as
 * N(0, 1/D), so the scaled embeddings have unit variance.
 */
import type { Lte } from '../../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { Check } from '../../shape/rules';
import { makeTensor, type Tensor } from '../../tensor/tensor';
import type { AnyTensor } from '../../autodiff/core';
import { categoricalSample, foldIn, normalArray, type Key } from '../../random';
import { add, mul } from '../../ops/elementwise';
import { matmulRaw } from '../../ops/linalg';
import { reshapeRaw } from '../../ops/reduce-core';
import { dropout as dropoutOp } from '../../ops/norm';
import { paddingMask } from '../../ops/attention';
import { activationFn, type ActivationName } from '../activation';
import { glorotUniform, keys, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type InOf, type Layer, type LayerKind } from '../layer';
import { embedding } from './embedding';
import { layerNormalization, type LayerNormalizationParams } from './norm';
import { checkDropoutRate, checkHeads, initMhaParams, mhaCall, mhaConfig, type HeadDim, type HeadsRule, type MhaConfig, type MhaMaskRule, type MhaParams } from './attention';
import { addSinusoidal, type EvenDModelRule } from './positional';
import type { IsDyn, IsLit, Same, Agree, Show } from '../../shape/dim-types';

type T = Tensor<Dim[]>;
type BoolT = Tensor<Dim[], 'bool'>;
const A = (x: AnyTensor) => x as unknown as T;
const Any = (x: T) => x as unknown as AnyTensor;
const dimsOf = (x: AnyTensor) => x.shape as readonly number[];

type BatchOf<S> = S extends readonly [infer B extends Dim, ...Dim[]] ? B : Dim;
type LenOf<S> = S extends readonly [Dim, infer L extends Dim, ...Dim[]] ? L : Dim;
type FeatOf<S> = S extends readonly [Dim, Dim, infer D extends Dim] ? D : Dim;

// =============================================================================================
// Param types

/** a layerNormalization layer's params over the last dim */
export type LayerNormParams<D extends Dim> = LayerNormalizationParams<[D]>;
/** an embedding layer's params (Keras Embedding) */
export type EmbeddingParams<V extends Dim, D extends Dim> = { embeddings: Tensor<[V, D]> };
export type LinearParams<I extends Dim, O extends Dim> = { kernel: Tensor<[I, O]>; bias: Tensor<[O]> };
type SelfAttn<D extends Dim, H extends Dim> = MhaParams<D, D, H, HeadDim<D, H> & Dim>;

export type EncoderLayerParams<D extends Dim, H extends Dim, F extends Dim> = {
  selfAttention: SelfAttn<D, H>;
  selfAttentionNorm: LayerNormParams<D>;
  ffnInner: LinearParams<D, F>;
  ffnOuter: LinearParams<F, D>;
  ffnNorm: LayerNormParams<D>;
};

export type DecoderLayerParams<D extends Dim, H extends Dim, F extends Dim> = {
  selfAttention: SelfAttn<D, H>;
  selfAttentionNorm: LayerNormParams<D>;
  crossAttention: SelfAttn<D, H>;
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

interface Lin {
  readonly kernel: AnyTensor;
  readonly bias?: AnyTensor;
}
interface LN {
  readonly gamma: AnyTensor;
  readonly beta: AnyTensor;
}
interface RuntimeEncoder {
  readonly selfAttention: unknown;
  readonly selfAttentionNorm: LN;
  readonly ffnInner: Lin;
  readonly ffnOuter: Lin;
  readonly ffnNorm: LN;
}
interface RuntimeDecoder extends RuntimeEncoder {
  readonly crossAttention: unknown;
  readonly crossAttentionNorm: LN;
}

/** x [..., I] · kernel [I, O] + bias as one GEMM over all leading positions. */
function linear(x: AnyTensor, p: Lin): AnyTensor {
  const s = dimsOf(x);
  const [i, o] = dimsOf(p.kernel) as [number, number];
  const rows = s.slice(0, -1).reduce((a, b) => a * b, 1);
  let y = A(matmulRaw(reshapeRaw(x, [rows, i]), p.kernel));
  if (p.bias) y = add(y, A(p.bias));
  return reshapeRaw(Any(y), [...s.slice(0, -1), o]);
}

const norm = (cfg: BlockConfig, x: AnyTensor, p: LN): AnyTensor => cfg.norm.apply(p, x, {});
const plus = (x: AnyTensor, y: AnyTensor): AnyTensor => Any(add(A(x), A(y)));

interface RunCtx {
  readonly training: boolean;
  readonly key: Key | undefined;
}

/** dropout at site i (its own key folded from the block's key); identity at inference */
function drop(cfg: BlockConfig, ctx: RunCtx, x: AnyTensor, site: number): AnyTensor {
  if (!ctx.training || cfg.dropout === 0) return x;
  return Any(dropoutOp(A(x), foldIn(ctx.key!, site), cfg.dropout));
}

function requireKey(name: string, rate: number, ctx: { training?: boolean | undefined; key?: Key | undefined }): RunCtx {
  const training = ctx.training === true && rate > 0;
  if (training && ctx.key === undefined) throw new Error(`${name}: training with dropout needs a key ({ training: true, key })`);
  return { training, key: ctx.key };
}

function ffn(cfg: BlockConfig, p: RuntimeEncoder, x: AnyTensor): AnyTensor {
  return linear(Any(cfg.activation(A(linear(x, p.ffnInner)))), p.ffnOuter);
}

function attention(cfg: BlockConfig, ctx: RunCtx, params: unknown, q: AnyTensor, kv: AnyTensor, mask: AnyTensor | null, causal: boolean, site: number, wantWeights = false) {
  return mhaCall(params, q, kv, { mask, causal, dropout: cfg.dropout, training: ctx.training, key: ctx.training ? foldIn(ctx.key!, site) : undefined, returnWeights: wantWeights });
}

/** One encoder block on [B, L, D]. */
export function encoderBlock(cfg: BlockConfig, params: unknown, x: AnyTensor, mask: AnyTensor | null, ctx: RunCtx): AnyTensor {
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
  ctx: RunCtx,
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

const lnInit = (cfg: BlockConfig, key: Key, d: number) => cfg.norm.init(key, [d]);

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
    norm: layerNormalization({ epsilon: eps }) as unknown as Layer,
    kernelInitializer,
  };
}

function blockInput(name: string, x: AnyTensor, d: number): void {
  const s = dimsOf(x);
  if (s.length !== 3) throw new ShapeError(name, `expects [batch, seq, d_model] (got rank ${s.length})`);
  if (s[2] !== d) throw new ShapeError(name, `input width differs (expected ${d}, got ${s[2]})`);
}
const widthOf = (p: { selfAttentionNorm: LN }) => dimsOf(p.selfAttentionNorm.gamma)[0]!;

// =============================================================================================
// Encoder layer

export interface TransformerEncoderKind<H extends number, F extends number> extends LayerKind {
  readonly Out: EncoderLayerOut<InOf<this>, H>;
  readonly Params: EncoderLayerParams<FeatOf<InOf<this>>, H, F>;
}

export interface BlockForwardOptions {
  readonly training?: boolean;
  /** randomness for dropout (required when training with dropout > 0) */
  readonly key?: Key;
}
type MaskOf<M extends Shape, Rule> = (Tensor<M, 'bool'> & Check<Rule>) | null;

export type TransformerEncoderLayer<H extends number, F extends number> = Layer<TransformerEncoderKind<H, F>, 'transformerEncoderLayer'> & {
  readonly block: BlockConfig;
  /**
   * The block with an attention mask (bool, true = attend; e.g. `paddingMask(ids, pad)`
   * [B, 1, 1, L]), as Keras-NLP's `padding_mask` / `attention_mask`.
   */
  forward<X extends Shape, D extends Dim, M extends Shape = []>(
    params: EncoderLayerParams<D, H, F>,
    x: Tensor<X> & Check<BlockInputRule<'transformerEncoderLayer', X, NoInfer<D>>>,
    options?: BlockForwardOptions & { readonly mask?: MaskOf<M, MhaMaskRule<X, X, H, M>> },
  ): Tensor<X>;
};

/**
 * A Transformer encoder block as a layer on [batch, seq, d_model] (self-attention + FFN,
 * residuals, layer norms). numHeads must divide d_model — a compile error at this layer.
 */
export function transformerEncoderLayer<const H extends number, const F extends number>(options: TransformerLayerOptions<H, F>): TransformerEncoderLayer<H, F> {
  const name = 'transformerEncoderLayer';
  const cfg = blockConfig(name, options);
  const run = (params: unknown, x: AnyTensor, mask: AnyTensor | null, o: { training?: boolean | undefined; key?: Key | undefined }) => {
    blockInput(name, x, widthOf(params as RuntimeEncoder));
    return encoderBlock(cfg, params, x, mask, requireKey(name, cfg.dropout, o));
  };
  return {
    name,
    config: { numHeads: cfg.mha.numHeads, ffDim: cfg.ffDim, dropout: cfg.dropout, normFirst: cfg.normFirst, activation: options.activation ?? 'relu' },
    block: cfg,
    outputShape(input) {
      if (input.length !== 3) throw new ShapeError(name, `expects [batch, seq, d_model] (got rank ${input.length})`);
      checkHeads(cfg.mha, input[2]!, name);
      return input.slice();
    },
    init(key, input) {
      const d = knownDim(input[2], name, 'd_model');
      checkHeads(cfg.mha, d, name);
      return initEncoderParams(cfg, key, d);
    },
    apply: (params, x, ctx) => run(params, x, null, ctx),
    forward: ((params: unknown, x: unknown, o: BlockForwardOptions & { mask?: unknown } = {}) =>
      run(params, x as AnyTensor, (o.mask ?? null) as AnyTensor | null, o)) as TransformerEncoderLayer<H, F>['forward'],
  };
}

// =============================================================================================
// Decoder layer

export interface DecoderForwardOptions<R extends boolean> extends BlockForwardOptions {
  /** causal self-attention (default true) */
  readonly causal?: boolean;
  /** also return the attention weights of both attention blocks */
  readonly returnWeights?: R;
}

export interface DecoderWithWeights<X extends Shape, Mem extends Shape, H> {
  readonly output: Tensor<X>;
  /** [batch, heads, Lt, Lt] */
  readonly selfAttention: Tensor<[BatchOf<X>, H & Dim, LenOf<X>, LenOf<X>]>;
  /** [batch, heads, Lt, Ls]: which source positions each target position reads */
  readonly crossAttention: Tensor<[BatchOf<X>, H & Dim, LenOf<X>, LenOf<Mem>]>;
}

export interface TransformerDecoderLayer<H extends number, F extends number> {
  readonly name: 'transformerDecoderLayer';
  readonly config: Readonly<Record<string, unknown>>;
  readonly block: BlockConfig;
  /** fresh params for width dModel (numHeads must divide it: a compile error on the argument) */
  init<const D extends number>(key: Key, dModel: D & Check<HeadsRule<'transformerDecoderLayer', D, H>>): DecoderLayerParams<D, H, F>;
  /**
   * x [B, Lt, D] attends causally to itself (and `selfMask`), then to `memory` [B, Ls, D] (the
   * encoder output, with `memoryMask`, e.g. `paddingMask(srcIds, pad)`), then the FFN.
   * A memory of another width is a compile error on `memory`.
   */
  forward<X extends Shape, Mem extends Shape, D extends Dim, SM extends Shape = [], MM extends Shape = [], const R extends boolean = false>(
    params: DecoderLayerParams<D, H, F>,
    x: Tensor<X> & Check<BlockInputRule<'transformerDecoderLayer', X, NoInfer<D>>>,
    memory: Tensor<Mem> & Check<MemoryRule<X, Mem, NoInfer<D>>>,
    options?: DecoderForwardOptions<R> & {
      readonly selfMask?: MaskOf<SM, MhaMaskRule<X, X, H, SM>>;
      readonly memoryMask?: MaskOf<MM, MhaMaskRule<X, Mem, H, MM>>;
    },
  ): R extends true ? DecoderWithWeights<X, Mem, H> : Tensor<X>;
}

/** A Transformer decoder block (function API: it has two inputs). */
export function transformerDecoderLayer<const H extends number, const F extends number>(options: TransformerLayerOptions<H, F>): TransformerDecoderLayer<H, F> {
  const name = 'transformerDecoderLayer';
  const cfg = blockConfig(name, options);
  return {
    name,
    config: { numHeads: cfg.mha.numHeads, ffDim: cfg.ffDim, dropout: cfg.dropout, normFirst: cfg.normFirst, activation: options.activation ?? 'relu' },
    block: cfg,
    init(key, dModel) {
      const d = dModel as number;
      if (!(Number.isInteger(d) && d >= 1)) throw new RangeError(`${name}: dModel must be a positive integer, got ${d}`);
      checkHeads(cfg.mha, d, name);
      return initDecoderParams(cfg, key, d) as never;
    },
    forward(params, x, memory, options) {
      const o = (options ?? {}) as DecoderForwardOptions<boolean> & { selfMask?: AnyTensor | null; memoryMask?: AnyTensor | null };
      const xt = x as unknown as AnyTensor;
      const mt = memory as unknown as AnyTensor;
      const d = widthOf(params as unknown as RuntimeDecoder);
      blockInput(name, xt, d);
      const ms = dimsOf(mt);
      if (ms.length !== 3) throw new ShapeError(name, `memory must be [batch, seq, d_model] (got rank ${ms.length})`);
      if (ms[0] !== dimsOf(xt)[0]) throw new ShapeError(name, `memory batch differs from decoder batch (expected ${dimsOf(xt)[0]}, got ${ms[0]})`);
      if (ms[2] !== d) throw new ShapeError(name, `decoder width differs from encoder width (expected ${d}, got ${ms[2]})`);
      const r = decoderBlock(cfg, params, xt, mt, o.selfMask ?? null, o.memoryMask ?? null, o.causal ?? true, requireKey(name, cfg.dropout, o), o.returnWeights === true);
      return (o.returnWeights === true ? { output: r.output, selfAttention: r.selfAttention, crossAttention: r.crossAttention } : r.output) as never;
    },
  };
}

// =============================================================================================
// The encoder–decoder Transformer

export interface TransformerConfig {
  readonly srcVocab: number;
  readonly tgtVocab: number;
  readonly dModel: number;
  readonly numHeads: number;
  readonly ffDim: number;
  readonly numEncoderLayers: number;
  readonly numDecoderLayers: number;
  /** the longest source / target sequence */
  readonly maxLen: number;
  readonly dropout?: number;
  readonly normFirst?: boolean;
  readonly activation?: ActivationName;
  readonly layerNormEpsilon?: number;
}

/** numHeads divides dModel and dModel is even (sinusoidal encoding). */
export type TransformerRule<C extends TransformerConfig> =
  HeadsRule<'transformer', C['dModel'], C['numHeads']> extends infer R
    ? R extends ShapeMismatch<any, any, any>
      ? R
      : EvenDModelRule<'transformer', C['dModel']>
    : never;

type TP<SV extends Dim, TV extends Dim, D extends Dim, H extends Dim, F extends Dim> = {
  srcEmbedding: EmbeddingParams<SV, D>;
  tgtEmbedding: EmbeddingParams<TV, D>;
  encoder: EncoderLayerParams<D, H, F>[];
  decoder: DecoderLayerParams<D, H, F>[];
  output: LinearParams<D, TV>;
};
type TPNorm<SV extends Dim, TV extends Dim, D extends Dim, H extends Dim, F extends Dim> = {
  srcEmbedding: EmbeddingParams<SV, D>;
  tgtEmbedding: EmbeddingParams<TV, D>;
  encoder: EncoderLayerParams<D, H, F>[];
  encoderNorm: LayerNormParams<D>;
  decoder: DecoderLayerParams<D, H, F>[];
  decoderNorm: LayerNormParams<D>;
  output: LinearParams<D, TV>;
};
/** The Transformer's params for config C (final norms only with normFirst). */
export type TransformerParams<C extends TransformerConfig> = C['normFirst'] extends true
  ? TPNorm<C['srcVocab'], C['tgtVocab'], C['dModel'], C['numHeads'], C['ffDim']>
  : TP<C['srcVocab'], C['tgtVocab'], C['dModel'], C['numHeads'], C['ffDim']>;

/** ids [B, L] with L <= maxLen when both are literals. */
export type IdsRule<What extends string, S extends Shape, ML> = number extends S['length']
  ? S
  : S extends readonly [Dim, infer L]
    ? [IsLit<L>, IsLit<ML>] extends [true, true]
      ? Lte<L & number, ML & number> extends true
        ? S
        : ShapeMismatch<`transformer: ${What} length exceeds maxLen (${L & number} > ${ML & number})`, ML, S>
      : S
    : ShapeMismatch<`transformer: ${What} ids must be [batch, length] (got rank ${S['length']})`, 2, S>;

/** target ids: the source's batch, length <= maxLen. */
export type TargetIdsRule<S extends Shape, Tg extends Shape, ML> =
  IdsRule<'target', Tg, ML> extends infer R
    ? R extends ShapeMismatch<any, any, any>
      ? R
      : Agree<BatchOf<Tg>, BatchOf<S>> extends true
        ? Tg
        : ShapeMismatch<`transformer: target batch differs from source batch (expected ${Show<BatchOf<S>>}, got ${Show<BatchOf<Tg>>})`, S, Tg>
    : never;

export interface TransformerRunOptions {
  readonly training?: boolean;
  /** randomness for dropout (required when training with dropout > 0) */
  readonly key?: Key;
}
export interface ForwardOptions extends TransformerRunOptions {
  /** source padding id: those positions are masked out of encoder self-attention and cross-attention */
  readonly srcPadId?: number;
  /** target padding id: those keys are masked out of decoder self-attention (on top of causal) */
  readonly tgtPadId?: number;
}

export interface DecodeOptions<N extends number, R extends boolean> {
  readonly bosId: number;
  readonly eosId: number;
  /** number of tokens to generate at most (default the config's maxLen) */
  readonly maxLen?: N;
  readonly srcPadId?: number;
  /** written after a sequence's EOS (default eosId) */
  readonly padId?: number;
  /** also return the last decoder layer's cross-attention weights */
  readonly returnWeights?: R;
}
export interface SampleOptions<N extends number, R extends boolean> extends DecodeOptions<N, R> {
  /** softmax temperature; 0 = greedy (argmax) exactly */
  readonly temperature: number;
  readonly key: Key;
  /** sample among the k most likely tokens only */
  readonly topK?: number;
}

export type DecodeResult<B extends Dim, N extends Dim, H extends Dim, Ls extends Dim, R extends boolean> = R extends true
  ? {
      /** generated ids (BOS excluded), padded after EOS */
      ids: Tensor<[B, N], 'int32'>;
      /** tokens generated per sequence, EOS included */
      lengths: number[];
      /** last decoder layer's cross-attention [B, heads, N, Ls]; rows past a sequence's length are 0 */
      crossAttention: Tensor<[B, H, N, Ls]>;
    }
  : { ids: Tensor<[B, N], 'int32'>; lengths: number[] };

export interface Transformer<C extends TransformerConfig> {
  readonly name: 'transformer';
  readonly config: Readonly<Required<Omit<TransformerConfig, 'activation'>>> & { readonly activation: ActivationName };
  init(key: Key): TransformerParams<C>;
  /** the encoder stack: srcIds [B, Ls] int32 → memory [B, Ls, dModel] */
  encode<S extends Shape>(
    params: TransformerParams<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    options?: TransformerRunOptions & { readonly srcPadId?: number },
  ): Tensor<[BatchOf<S>, LenOf<S>, C['dModel']]>;
  /** the decoder stack and output projection over memory: tgtInIds [B, Lt] → logits [B, Lt, tgtVocab] */
  decode<Tg extends Shape, Mem extends Shape, const R extends boolean = false>(
    params: TransformerParams<C>,
    tgtInIds: Tensor<Tg, 'int32'> & Check<IdsRule<'target', Tg, C['maxLen']>>,
    memory: Tensor<Mem> & Check<MemoryRule<[BatchOf<Tg>, LenOf<Tg>, C['dModel']], Mem, C['dModel']>>,
    options?: TransformerRunOptions & { readonly memoryMask?: Tensor<Shape, 'bool'> | null; readonly tgtPadId?: number; readonly returnWeights?: R },
  ): R extends true
    ? { logits: Tensor<[BatchOf<Tg>, LenOf<Tg>, C['tgtVocab']]>; crossAttention: Tensor<[BatchOf<Tg>, C['numHeads'], LenOf<Tg>, LenOf<Mem>]> }
    : Tensor<[BatchOf<Tg>, LenOf<Tg>, C['tgtVocab']]>;
  /** teacher forcing: logits [B, Lt, tgtVocab] for target inputs (BOS + target[:-1]) */
  forward<S extends Shape, Tg extends Shape>(
    params: TransformerParams<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    tgtInIds: Tensor<Tg, 'int32'> & Check<TargetIdsRule<S, Tg, C['maxLen']>>,
    options?: ForwardOptions,
  ): Tensor<[BatchOf<S>, LenOf<Tg>, C['tgtVocab']]>;
  /** greedy decoding (argmax at every step) from BOS until EOS or maxLen tokens */
  greedyDecode<S extends Shape, const N extends number = C['maxLen'], const R extends boolean = false>(
    params: TransformerParams<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    options: DecodeOptions<N, R>,
  ): DecodeResult<BatchOf<S>, N, C['numHeads'], LenOf<S>, R>;
  /** sampling from softmax(logits / temperature) (optionally top-k); temperature 0 is greedyDecode */
  sampleDecode<S extends Shape, const N extends number = C['maxLen'], const R extends boolean = false>(
    params: TransformerParams<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    options: SampleOptions<N, R>,
  ): DecodeResult<BatchOf<S>, N, C['numHeads'], LenOf<S>, R>;
}

interface RuntimeTransformer {
  readonly srcEmbedding: unknown;
  readonly tgtEmbedding: unknown;
  readonly encoder: readonly unknown[];
  readonly decoder: readonly unknown[];
  readonly encoderNorm?: LN;
  readonly decoderNorm?: LN;
  readonly output: Lin;
}

function positiveInt(what: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`transformer: ${what} must be a positive integer, got ${n}`);
}

/**
 * An encoder–decoder Transformer for token ids. numHeads must divide dModel and dModel must
 * be even — compile errors on the config otherwise.
 */
export function transformer<const C extends TransformerConfig>(config: C & Check<TransformerRule<C>>): Transformer<C> {
  const name = 'transformer';
  const c = config as TransformerConfig;
  for (const k of ['srcVocab', 'tgtVocab', 'dModel', 'numHeads', 'ffDim', 'numEncoderLayers', 'numDecoderLayers', 'maxLen'] as const) positiveInt(k, c[k]);
  const d = c.dModel;
  const block = blockConfig(name, {
    numHeads: c.numHeads,
    ffDim: c.ffDim,
    ...(c.dropout !== undefined ? { dropout: c.dropout } : {}),
    ...(c.normFirst !== undefined ? { normFirst: c.normFirst } : {}),
    ...(c.activation !== undefined ? { activation: c.activation } : {}),
    ...(c.layerNormEpsilon !== undefined ? { layerNormEpsilon: c.layerNormEpsilon } : {}),
  });
  checkHeads(block.mha, d, name);
  if (d % 2 !== 0) throw new ShapeError(name, `d_model must be even (got ${d})`);
  const resolved = {
    srcVocab: c.srcVocab,
    tgtVocab: c.tgtVocab,
    dModel: d,
    numHeads: c.numHeads,
    ffDim: c.ffDim,
    numEncoderLayers: c.numEncoderLayers,
    numDecoderLayers: c.numDecoderLayers,
    maxLen: c.maxLen,
    dropout: block.dropout,
    normFirst: block.normFirst,
    activation: c.activation ?? 'relu',
    layerNormEpsilon: block.epsilon,
  };
  const sqrtD = Math.sqrt(d);

  const checkIds = (what: string, ids: AnyTensor): [number, number] => {
    const s = dimsOf(ids);
    if (s.length !== 2) throw new ShapeError(name, `${what} ids must be [batch, length] (got rank ${s.length})`);
    if (ids.dtype !== 'int32') throw new ShapeError(name, `${what} ids must be int32, got ${ids.dtype}`);
    if (s[1]! > c.maxLen) throw new ShapeError(name, `${what} length exceeds maxLen (${s[1]} > ${c.maxLen})`);
    return [s[0]!, s[1]!];
  };

  // embeddings start as N(0, 1/D): after the √D scaling they have unit variance
  const srcEmb = embedding(c.srcVocab, d, { embeddingsInitializer: (k, shape) => makeTensor(shape, 'float32', normalArray(k, c.srcVocab * d, 0, 1 / sqrtD)) });
  const tgtEmb = embedding(c.tgtVocab, d, { embeddingsInitializer: (k, shape) => makeTensor(shape, 'float32', normalArray(k, c.tgtVocab * d, 0, 1 / sqrtD)) });
  /** embedding(ids) · √D + PE, then dropout */
  const embed = (layer: Layer, table: unknown, ids: AnyTensor, ctx: RunCtx, site: number): AnyTensor =>
    drop(block, ctx, addSinusoidal(Any(mul(A(layer.apply(table, ids, {})), sqrtD))), site);

  const padMask = (ids: AnyTensor, pad: number | undefined): AnyTensor | null =>
    pad === undefined ? null : (paddingMask(ids as unknown as Tensor<[number, number], 'int32'>, pad) as unknown as AnyTensor);

  const encodeRaw = (params: unknown, src: AnyTensor, mask: AnyTensor | null, ctx: RunCtx): AnyTensor => {
    const p = params as RuntimeTransformer;
    checkIds('source', src);
    let h = embed(srcEmb as unknown as Layer, p.srcEmbedding, src, ctx, 0);
    p.encoder.forEach((lp, i) => {
      h = encoderBlock(block, lp, h, mask, { training: ctx.training, key: ctx.training ? foldIn(ctx.key!, 100 + i) : undefined });
    });
    return p.encoderNorm ? norm(block, h, p.encoderNorm) : h;
  };

  const decodeRaw = (params: unknown, tgt: AnyTensor, memory: AnyTensor, memoryMask: AnyTensor | null, selfMask: AnyTensor | null, ctx: RunCtx, wantWeights: boolean) => {
    const p = params as RuntimeTransformer;
    checkIds('target', tgt);
    const ms = dimsOf(memory);
    if (ms.length !== 3 || ms[0] !== dimsOf(tgt)[0] || ms[2] !== d) {
      throw new ShapeError(name, `memory must be [${dimsOf(tgt)[0]}, length, ${d}] (got [${ms.join(', ')}])`);
    }
    let h = embed(tgtEmb as unknown as Layer, p.tgtEmbedding, tgt, ctx, 1);
    let cross: AnyTensor | null = null;
    p.decoder.forEach((lp, i) => {
      const last = i === p.decoder.length - 1;
      const r = decoderBlock(block, lp, h, memory, selfMask, memoryMask, true, { training: ctx.training, key: ctx.training ? foldIn(ctx.key!, 200 + i) : undefined }, wantWeights && last);
      h = r.output;
      if (last) cross = r.crossAttention;
    });
    if (p.decoderNorm) h = norm(block, h, p.decoderNorm);
    return { logits: linear(h, p.output), cross: cross as AnyTensor | null };
  };

  /** one decoding loop; choose(logitsRow, step, batchIndex) picks the next id */
  const decodeLoop = (params: unknown, src: AnyTensor, o: DecodeOptions<number, boolean>, choose: (row: Float32Array, t: number, b: number) => number) => {
    const [B, ls] = checkIds('source', src);
    const n = o.maxLen ?? c.maxLen;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`transformer: decode maxLen must be a positive integer, got ${n}`);
    if (n > c.maxLen) throw new ShapeError(name, `decode maxLen exceeds the model's maxLen (${n} > ${c.maxLen})`);
    const filler = o.padId ?? o.eosId;
    const inference: RunCtx = { training: false, key: undefined };
    const memMask = padMask(src, o.srcPadId);
    const memory = encodeRaw(params, src, memMask, inference);
    const V = c.tgtVocab;
    const seq = new Int32Array(B * (n + 1)).fill(filler);
    for (let b = 0; b < B; b++) seq[b * (n + 1)] = o.bosId;
    const lengths = new Array<number>(B).fill(n);
    const done = new Array<boolean>(B).fill(false);
    let cross: AnyTensor | null = null;
    let steps = 0;
    for (let t = 0; t < n; t++) {
      const prefix = new Int32Array(B * (t + 1));
      for (let b = 0; b < B; b++) prefix.set(seq.subarray(b * (n + 1), b * (n + 1) + t + 1), b * (t + 1));
      const r = decodeRaw(params, makeTensor([B, t + 1], 'int32', prefix) as unknown as AnyTensor, memory, memMask, null, inference, o.returnWeights === true);
      cross = r.cross;
      steps = t + 1;
      const logits = r.logits._data as Float32Array;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const off = (b * (t + 1) + t) * V;
        const next = choose(logits.subarray(off, off + V), t, b);
        seq[b * (n + 1) + t + 1] = next;
        if (next === o.eosId) {
          done[b] = true;
          lengths[b] = t + 1;
        }
      }
      if (done.every(Boolean)) break;
    }
    const ids = new Int32Array(B * n);
    for (let b = 0; b < B; b++) ids.set(seq.subarray(b * (n + 1) + 1, (b + 1) * (n + 1)), b * n);
    const out: { ids: AnyTensor; lengths: number[]; crossAttention?: AnyTensor } = { ids: makeTensor([B, n], 'int32', ids) as unknown as AnyTensor, lengths };
    if (o.returnWeights === true) {
      // rows of the last step's weights, zero past each sequence's length (and past the steps run)
      const H = c.numHeads;
      const w = cross!._data as Float32Array;
      const full = new Float32Array(B * H * n * ls);
      for (let b = 0; b < B; b++)
        for (let h = 0; h < H; h++)
          for (let q = 0; q < Math.min(lengths[b]!, steps); q++) {
            const src0 = ((b * H + h) * steps + q) * ls;
            full.set(w.subarray(src0, src0 + ls), ((b * H + h) * n + q) * ls);
          }
      out.crossAttention = makeTensor([B, H, n, ls], 'float32', full) as unknown as AnyTensor;
    }
    return out;
  };

  const argmaxRow = (row: Float32Array): number => {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
    return best;
  };

  return {
    name,
    config: resolved,
    init(key) {
      const ks = keys(key, 3 + c.numEncoderLayers + c.numDecoderLayers);
      const p: Record<string, unknown> = {
        srcEmbedding: srcEmb.init(ks[0]!, ['batch', 'seq']),
        tgtEmbedding: tgtEmb.init(ks[1]!, ['batch', 'seq']),
        encoder: Array.from({ length: c.numEncoderLayers }, (_, i) => initEncoderParams(block, ks[3 + i]!, d)),
      };
      if (block.normFirst) p.encoderNorm = lnInit(block, foldIn(ks[2]!, 1), d);
      p.decoder = Array.from({ length: c.numDecoderLayers }, (_, i) => initDecoderParams(block, ks[3 + c.numEncoderLayers + i]!, d));
      if (block.normFirst) p.decoderNorm = lnInit(block, foldIn(ks[2]!, 2), d);
      p.output = { kernel: block.kernelInitializer(ks[2]!, [d, c.tgtVocab]), bias: zerosInit(ks[2]!, [c.tgtVocab]) };
      return p as TransformerParams<C>;
    },
    encode(params, srcIds, options = {}) {
      const src = srcIds as unknown as AnyTensor;
      return encodeRaw(params, src, padMask(src, options.srcPadId), requireKey(name, block.dropout, options)) as never;
    },
    decode(params, tgtInIds, memory, options = {}) {
      const tgt = tgtInIds as unknown as AnyTensor;
      const r = decodeRaw(params, tgt, memory as unknown as AnyTensor, (options.memoryMask ?? null) as AnyTensor | null, padMask(tgt, options.tgtPadId), requireKey(name, block.dropout, options), options.returnWeights === true);
      return (options.returnWeights === true ? { logits: r.logits, crossAttention: r.cross } : r.logits) as never;
    },
    forward(params, srcIds, tgtInIds, options = {}) {
      const src = srcIds as unknown as AnyTensor;
      const tgt = tgtInIds as unknown as AnyTensor;
      const [bs] = checkIds('source', src);
      const [bt] = checkIds('target', tgt);
      if (bs !== bt) throw new ShapeError(name, `target batch differs from source batch (expected ${bs}, got ${bt})`);
      const ctx = requireKey(name, block.dropout, options);
      const memMask = padMask(src, options.srcPadId);
      const memory = encodeRaw(params, src, memMask, ctx);
      return decodeRaw(params, tgt, memory, memMask, padMask(tgt, options.tgtPadId), ctx, false).logits as never;
    },
    greedyDecode(params, srcIds, options) {
      return decodeLoop(params, srcIds as unknown as AnyTensor, options, argmaxRow) as never;
    },
    sampleDecode(params, srcIds, options) {
      const temp = options.temperature;
      if (!(temp >= 0) || !Number.isFinite(temp)) throw new RangeError(`transformer: temperature must be a finite number >= 0, got ${temp}`);
      const topK = options.topK;
      if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`transformer: topK must be a positive integer, got ${topK}`);
      if (temp === 0) return decodeLoop(params, srcIds as unknown as AnyTensor, options, argmaxRow) as never;
      const choose = (row: Float32Array, t: number, b: number): number => {
        const scaled = new Float64Array(row.length);
        for (let i = 0; i < row.length; i++) scaled[i] = row[i]! / temp;
        if (topK !== undefined && topK < row.length) {
          const kth = Float64Array.from(scaled).sort()[row.length - topK]!;
          for (let i = 0; i < row.length; i++) if (scaled[i]! < kth) scaled[i] = -Infinity;
        }
        return categoricalSample(foldIn(foldIn(options.key, t), b), scaled);
      };
      return decodeLoop(params, srcIds as unknown as AnyTensor, options, choose) as never;
    },
  };
}
