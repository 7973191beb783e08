/**
 * Transformer blocks and the encoder–decoder Transformer ("Attention is all you need"):
 *   ./blocks.ts       param records, block shape rules, the runtime encoder / decoder blocks
 *   ./layers.ts       transformerEncoderLayer / transformerDecoderLayer (typed layers)
 *   ./model-types.ts  the seq2seq model's config, params, id rules, options and interface
 *   ./stacks.ts       its runtime: validation, init, embedding, encoder and decoder stacks
 *   ./decoding.ts     greedy and sampling decoding as plain functions
 *   ./model.ts        the `transformer` factory binding the types to the runtime
 * Only the public names are re-exported here; the runtime helpers stay internal.
 */
export {
  blockConfig,
  decoderBlock,
  encoderBlock,
  initDecoderParams,
  initEncoderParams,
  type BlockConfig,
  type BlockInputRule,
  type DecoderBlockResult,
  type DecoderLayerParams,
  type EmbeddingParams,
  type EncoderLayerOut,
  type EncoderLayerParams,
  type LayerNormParams,
  type LinearParams,
  type MemoryRule,
  type SelfAttentionParams,
  type BlockRunContext,
  type TransformerLayerOptions,
} from './blocks';
export {
  transformerDecoderLayer,
  transformerEncoderLayer,
  type BlockForwardOptions,
  type BlockMask,
  type DecoderForwardOptions,
  type DecoderWithWeights,
  type TransformerDecoderLayer,
  type TransformerEncoderKind,
  type TransformerEncoderLayer,
  type TransformerLayerOptionsCheck,
} from './layers';
export type {
  CheckedTransformerConfig,
  DecodeOptions,
  DecodeResult,
  ForwardOptions,
  IdsRule,
  SampleOptions,
  TargetIdsRule,
  Transformer,
  TransformerConfig,
  TransformerConfigCheck,
  TransformerConfigRules,
  PreNormTransformerParams,
  TransformerParams,
  TransformerParamsOf,
  TransformerRule,
  TransformerRunOptions,
} from './model-types';
export { transformer } from './model';
