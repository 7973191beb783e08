/**
 * The Transformer blocks as typed layers:
 *
 *   sequential(['batch', 'seq', 64],
 *     sinusoidalPositionalEncoding(),
 *     transformerEncoderLayer({ numHeads: 4, ffDim: 128 }),
 *     transformerEncoderLayer({ numHeads: 4, ffDim: 128 }));                    // → ['batch', 'seq', 64]
 *
 *   const dec = transformerDecoderLayer({ numHeads: 4, ffDim: 128 });
 *   const p = dec.init(key, 64);
 *   dec.forward(p, y, memory, { selfMask, memoryMask });                          // y: [B, Lt, 64]
 */
import type { Dim, Shape } from '../../../shape/dims';
import { ShapeError } from '../../../shape/dims';
import type { Check } from '../../../shape/rules';
import type { Tensor } from '../../../tensor/tensor';
import { erase, typed, type AnyTensor, dimsOf } from '../../../tensor/untyped';
import type { Key } from '../../../random';
import { knownDim, type InOf, type Layer, type LayerKind } from '../../layer';
import { checkHeads, type HeadsRule, type MhaMaskRule } from '../attention';
import type { RateRule, SizeRule } from './model-types';
import {
  blockConfig,
  blockInput,
  decoderBlock,
  encoderBlock,
  initDecoderParams,
  initEncoderParams,
  requireKey,
  widthOf,
  type BatchOf,
  type BlockConfig,
  type BlockInputRule,
  type DecoderLayerParams,
  type EncoderLayerOut,
  type EncoderLayerParams,
  type FeatOf,
  type LenOf,
  type MemoryRule,
  type RuntimeDecoder,
  type RuntimeEncoder,
  type TransformerLayerOptions,
} from './blocks';

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
/** An attention mask option of a block: bool [..., Lq, Lk] (true = attend) that obeys Rule, or null. */
export type BlockMask<M extends Shape, Rule> = (Tensor<M, 'bool'> & Check<Rule>) | null;

/**
 * The layer options' own rules, intersected into the options so that a literal mistake is
 * reported on its property's line: `numHeads: 0` → `transformerEncoderLayer: numHeads must be a
 * positive integer, got 0`; the same for ffDim, and dropout outside [0, 1).
 */
export type TransformerLayerOptionsCheck<Op extends string, H, F, R> = {
  readonly numHeads: Check<SizeRule<'numHeads', H, Op>>;
  readonly ffDim: Check<SizeRule<'ffDim', F, Op>>;
  readonly dropout?: R & Check<RateRule<R, Op>>;
};

/** an interface (not an intersection) so that hovers over models show this name */
export interface TransformerEncoderLayer<H extends number, F extends number> extends Layer<TransformerEncoderKind<H, F>, 'transformerEncoderLayer'> {
  readonly block: BlockConfig;
  /**
   * The block with an attention mask (bool, true = attend; e.g. `paddingMask(ids, pad)`
   * [B, 1, 1, L]), as Keras-NLP's `padding_mask` / `attention_mask`.
   */
  forward<X extends Shape, D extends Dim, M extends Shape = []>(
    params: EncoderLayerParams<D, H, F>,
    x: Tensor<X> & Check<BlockInputRule<'transformerEncoderLayer', X, NoInfer<D>>>,
    options?: BlockForwardOptions & { readonly mask?: BlockMask<M, MhaMaskRule<X, X, H, M>> },
  ): Tensor<X>;
}

/**
 * A Transformer encoder block as a layer on [batch, seq, d_model] (self-attention + FFN,
 * residuals, layer norms). numHeads must divide d_model — a compile error at this layer.
 */
export function transformerEncoderLayer<const H extends number, const F extends number, const R extends number = number>(
  options: TransformerLayerOptions<H, F> & TransformerLayerOptionsCheck<'transformerEncoderLayer', H, F, R>,
): TransformerEncoderLayer<H, F> {
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
      readonly selfMask?: BlockMask<SM, MhaMaskRule<X, X, H, SM>>;
      readonly memoryMask?: BlockMask<MM, MhaMaskRule<X, Mem, H, MM>>;
    },
  ): R extends true ? DecoderWithWeights<X, Mem, H> : Tensor<X>;
}

/** A Transformer decoder block (function API: it has two inputs). */
export function transformerDecoderLayer<const H extends number, const F extends number, const R extends number = number>(
  options: TransformerLayerOptions<H, F> & TransformerLayerOptionsCheck<'transformerDecoderLayer', H, F, R>,
): TransformerDecoderLayer<H, F> {
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
      // cast: initDecoderParams builds the record DecoderLayerParams<D, H, F> spells out, for the method's own D
      return initDecoderParams(cfg, key, d) as never;
    },
    forward(params, x, memory, options) {
      const o = (options ?? {}) as DecoderForwardOptions<boolean> & { selfMask?: AnyTensor | null; memoryMask?: AnyTensor | null };
      const xt = erase(x);
      const mt = erase(memory);
      const p: unknown = params;
      const d = widthOf(p as RuntimeDecoder);
      blockInput(name, xt, d);
      const ms = dimsOf(mt);
      if (ms.length !== 3) throw new ShapeError(name, `memory must be [batch, seq, d_model] (got rank ${ms.length})`);
      if (ms[0] !== dimsOf(xt)[0]) throw new ShapeError(name, `memory batch differs from decoder batch (expected ${dimsOf(xt)[0]}, got ${ms[0]})`);
      if (ms[2] !== d) throw new ShapeError(name, `decoder width differs from encoder width (expected ${d}, got ${ms[2]})`);
      const r = decoderBlock(cfg, params, xt, mt, o.selfMask ?? null, o.memoryMask ?? null, o.causal ?? true, requireKey(name, cfg.dropout, o), o.returnWeights === true);
      if (o.returnWeights !== true) return typed(r.output);
      // cast: the result type is conditional on R, which TS cannot narrow from the runtime returnWeights flag
      return { output: r.output, selfAttention: r.selfAttention, crossAttention: r.crossAttention } as never;
    },
  };
}

