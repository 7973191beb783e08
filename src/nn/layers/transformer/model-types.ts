/**
 * The encoder–decoder Transformer's types: its config and config rule, its params, the rules on
 * its id inputs, the run / decode options and the model's interface. The factory is ./model.ts.
 *
 *   transformer:   srcEmbedding / tgtEmbedding {embeddings [vocab, D]} (embedding layers), encoder[], decoder[],
 *                  output {kernel [D, tgtVocab], bias} (+ encoderNorm, decoderNorm when normFirst)
 */
import type { Lte } from '../../../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../../../shape/dims';
import type { Check } from '../../../shape/rules';
import type { Tensor } from '../../../tensor/tensor';
import type { Key } from '../../../random';
import type { ActivationName } from '../../activation';
import type { HeadsRule } from '../attention';
import type { EvenDModelRule } from '../positional';
import type { Agree, IsLit, Show } from '../../../shape/dim-types';
import type { PosInt } from '../../../shape/rules/common';
import type { BatchOf, DecoderLayerParams, EmbeddingParams, EncoderLayerParams, LayerNormParams, LenOf, LinearParams, MemoryRule } from './blocks';

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

/** a size of the config: a positive integer (checked when it is a literal) */
export type SizeRule<K extends string, N, Op extends string = 'transformer'> = IsLit<N> extends true
  ? PosInt<N> extends true
    ? true
    : ShapeMismatch<`${Op}: ${K} must be a positive integer, got ${N & number}`, 'positive integer', N>
  : true;

/** a rate in [0, 1): a literal's decimal form is 0, 0.x or a tiny xe-y (1 and above print otherwise) */
export type RateRule<N, Op extends string = 'transformer'> = IsLit<N> extends true
  ? `${N & number}` extends '0' | `0.${string}` | `${Digit}e-${string}` | `${Digit}.${string}e-${string}`
    ? true
    : ShapeMismatch<`${Op}: dropout must be in [0, 1), got ${N & number}`, '[0, 1)', N>
  : true;
type Digit = '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';

type EpsilonRule<N> = IsLit<N> extends true
  ? `${N & number}` extends `-${string}`
    ? ShapeMismatch<`transformer: layerNormEpsilon must be >= 0, got ${N & number}`, '>= 0', N>
    : true
  : true;

/**
 * dModel: numHeads divides it (each head gets dModel / numHeads) and it is even (sinusoidal
 * encoding); true or the mismatch, e.g. `transformer: 4 heads do not divide d_model 30 (expected
 * a multiple of 4, got 30)`.
 */
export type TransformerRule<C extends TransformerConfig> = [PosInt<C['dModel']>, PosInt<C['numHeads']>] extends [true, true]
  ? HeadsRule<'transformer', C['dModel'], C['numHeads']> extends ShapeMismatch<any, any, any>
    ? ShapeMismatch<
        `transformer: ${C['numHeads']} heads do not divide d_model ${C['dModel']} (expected a multiple of ${C['numHeads']}, got ${C['dModel']})`,
        `multiple of ${C['numHeads']}`,
        C['dModel']
      >
    : EvenDModelRule<'transformer', C['dModel']>
  : true;

/** the rule of each config property: true, or the mismatch to report on that property */
export type TransformerConfigRules<C extends TransformerConfig> = {
  srcVocab: SizeRule<'srcVocab', C['srcVocab']>;
  tgtVocab: SizeRule<'tgtVocab', C['tgtVocab']>;
  dModel: SizeRule<'dModel', C['dModel']> extends true ? TransformerRule<C> : SizeRule<'dModel', C['dModel']>;
  numHeads: SizeRule<'numHeads', C['numHeads']>;
  ffDim: SizeRule<'ffDim', C['ffDim']>;
  numEncoderLayers: SizeRule<'numEncoderLayers', C['numEncoderLayers']>;
  numDecoderLayers: SizeRule<'numDecoderLayers', C['numDecoderLayers']>;
  maxLen: SizeRule<'maxLen', C['maxLen']>;
  dropout: RateRule<C['dropout']>;
  layerNormEpsilon: EpsilonRule<C['layerNormEpsilon']>;
};

/**
 * The failing properties of config C, each typed as its mismatch ({} when C is right).
 */
export type TransformerConfigCheck<C extends TransformerConfig> = {
  readonly [K in keyof TransformerConfigRules<C> as TransformerConfigRules<C>[K] extends ShapeMismatch<any, any, any> ? K : never]: TransformerConfigRules<C>[K];
};

/**
 * The factory's parameter: C itself when every rule holds, else C with each failing property
 * typed as its mismatch, so that TypeScript reports each mistake on the offending property's
 * line (`dModel: 30,`) with the rule first, rather than on the whole call.
 */
export type CheckedTransformerConfig<C extends TransformerConfig> = [keyof TransformerConfigCheck<C>] extends [never]
  ? C
  : { readonly [K in keyof C]: K extends keyof TransformerConfigCheck<C> ? TransformerConfigCheck<C>[K] : C[K] };

/**
 * The params of a post-norm `transformer(...)` (the default): source vocabulary SV, target
 * vocabulary TV, width D (dModel), H heads, feed-forward width F. Hovers over a model's params
 * show this name, e.g. `TransformerParams<30000, 30000, 512, 8, 2048>`; from a config type use
 * `TransformerParamsOf<typeof config>`.
 */
export type TransformerParams<SV extends Dim, TV extends Dim, D extends Dim, H extends Dim, F extends Dim> = {
  srcEmbedding: EmbeddingParams<SV, D>;
  tgtEmbedding: EmbeddingParams<TV, D>;
  encoder: EncoderLayerParams<D, H, F>[];
  decoder: DecoderLayerParams<D, H, F>[];
  output: LinearParams<D, TV>;
};
/** The params of a pre-norm (`normFirst: true`) `transformer(...)`: those of {@link TransformerParams} plus the final norms of both stacks. */
export type PreNormTransformerParams<SV extends Dim, TV extends Dim, D extends Dim, H extends Dim, F extends Dim> = TransformerParams<SV, TV, D, H, F> & {
  encoderNorm: LayerNormParams<D>;
  decoderNorm: LayerNormParams<D>;
};
/** The params of `transformer(config)` for a config type C: {@link PreNormTransformerParams} with normFirst, else {@link TransformerParams}. */
export type TransformerParamsOf<C extends TransformerConfig> = C['normFirst'] extends true
  ? PreNormTransformerParams<C['srcVocab'], C['tgtVocab'], C['dModel'], C['numHeads'], C['ffDim']>
  : TransformerParams<C['srcVocab'], C['tgtVocab'], C['dModel'], C['numHeads'], C['ffDim']>;

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
  init(key: Key): TransformerParamsOf<C>;
  /** the encoder stack: srcIds [B, Ls] int32 → memory [B, Ls, dModel] */
  encode<S extends Shape>(
    params: TransformerParamsOf<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    options?: TransformerRunOptions & { readonly srcPadId?: number },
  ): Tensor<[BatchOf<S>, LenOf<S>, C['dModel']]>;
  /** the decoder stack and output projection over memory: tgtInIds [B, Lt] → logits [B, Lt, tgtVocab] */
  decode<Tg extends Shape, Mem extends Shape, const R extends boolean = false>(
    params: TransformerParamsOf<C>,
    tgtInIds: Tensor<Tg, 'int32'> & Check<IdsRule<'target', Tg, C['maxLen']>>,
    memory: Tensor<Mem> & Check<MemoryRule<[BatchOf<Tg>, LenOf<Tg>, C['dModel']], Mem, C['dModel']>>,
    options?: TransformerRunOptions & { readonly memoryMask?: Tensor<Shape, 'bool'> | null; readonly tgtPadId?: number; readonly returnWeights?: R },
  ): R extends true
    ? { logits: Tensor<[BatchOf<Tg>, LenOf<Tg>, C['tgtVocab']]>; crossAttention: Tensor<[BatchOf<Tg>, C['numHeads'], LenOf<Tg>, LenOf<Mem>]> }
    : Tensor<[BatchOf<Tg>, LenOf<Tg>, C['tgtVocab']]>;
  /** teacher forcing: logits [B, Lt, tgtVocab] for target inputs (BOS + target[:-1]) */
  forward<S extends Shape, Tg extends Shape>(
    params: TransformerParamsOf<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    tgtInIds: Tensor<Tg, 'int32'> & Check<TargetIdsRule<S, Tg, C['maxLen']>>,
    options?: ForwardOptions,
  ): Tensor<[BatchOf<S>, LenOf<Tg>, C['tgtVocab']]>;
  /** greedy decoding (argmax at every step) from BOS until EOS or maxLen tokens */
  greedyDecode<S extends Shape, const N extends number = C['maxLen'], const R extends boolean = false>(
    params: TransformerParamsOf<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    options: DecodeOptions<N, R>,
  ): DecodeResult<BatchOf<S>, N, C['numHeads'], LenOf<S>, R>;
  /** sampling from softmax(logits / temperature) (optionally top-k); temperature 0 is greedyDecode */
  sampleDecode<S extends Shape, const N extends number = C['maxLen'], const R extends boolean = false>(
    params: TransformerParamsOf<C>,
    srcIds: Tensor<S, 'int32'> & Check<IdsRule<'source', S, C['maxLen']>>,
    options: SampleOptions<N, R>,
  ): DecodeResult<BatchOf<S>, N, C['numHeads'], LenOf<S>, R>;
}
