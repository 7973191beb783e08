/**
 * The encoder–decoder Transformer ("Attention is all you need") for token ids:
 *
 *   const model = transformer({ srcVocab, tgtVocab, dModel: 64, numHeads: 4, ffDim: 128,
 *     numEncoderLayers: 2, numDecoderLayers: 2, maxLen: 32, dropout: 0.1 });
 *   model.forward(params, srcIds, tgtInIds, { srcPadId: 0, tgtPadId: 0 })       // → [B, Lt, tgtVocab]
 *   model.greedyDecode(params, srcIds, { bosId: 1, eosId: 2, maxLen: 10 })
 *
 * The factory only binds the typed signatures (./model-types.ts) to the runtime: the stacks
 * (./stacks.ts) and the decoding loops (./decoding.ts).
 */
import { ShapeError } from '../../../shape/dims';
import { erase, typed, type AnyTensor } from '../../../tensor/untyped';
import { requireKey } from './blocks';
import { greedyDecode, sampleDecode } from './decoding';
import { checkIds, decodeStack, encodeStack, initSeq2Seq, padMask, seq2seq } from './stacks';
import type { Transformer, TransformerConfig, CheckedTransformerConfig, TransformerParamsOf } from './model-types';

/**
 * An encoder–decoder Transformer for token ids. numHeads must divide dModel, dModel must be
 * even, the sizes positive integers and dropout in [0, 1): otherwise a compile error on the
 * offending property (CheckedTransformerConfig) and a run-time error with the same text.
 */
export function transformer<const C extends TransformerConfig>(config: CheckedTransformerConfig<C>): Transformer<C> {
  const m = seq2seq(config as TransformerConfig);
  const { name, block, config: c } = m;
  return {
    name,
    config: {
      srcVocab: c.srcVocab,
      tgtVocab: c.tgtVocab,
      dModel: c.dModel,
      numHeads: c.numHeads,
      ffDim: c.ffDim,
      numEncoderLayers: c.numEncoderLayers,
      numDecoderLayers: c.numDecoderLayers,
      maxLen: c.maxLen,
      dropout: block.dropout,
      normFirst: block.normFirst,
      activation: c.activation ?? 'relu',
      layerNormEpsilon: block.epsilon,
    },
    init: (key) => initSeq2Seq(m, key) as TransformerParamsOf<C>,
    encode(params, srcIds, options = {}) {
      const src = erase(srcIds);
      return typed(encodeStack(m, params, src, padMask(src, options.srcPadId), requireKey(name, block.dropout, options)));
    },
    decode(params, tgtInIds, memory, options = {}) {
      const tgt = erase(tgtInIds);
      const memoryMask = (options.memoryMask ?? null) as AnyTensor | null;
      const r = decodeStack(m, params, tgt, erase(memory), memoryMask, padMask(tgt, options.tgtPadId), requireKey(name, block.dropout, options), options.returnWeights === true);
      if (options.returnWeights !== true) return typed(r.logits);
      // cast: the result type is conditional on R, which TS cannot narrow from the runtime returnWeights flag
      return { logits: r.logits, crossAttention: r.cross } as never;
    },
    forward(params, srcIds, tgtInIds, options = {}) {
      const src = erase(srcIds);
      const tgt = erase(tgtInIds);
      const [bs] = checkIds(m, 'source', src);
      const [bt] = checkIds(m, 'target', tgt);
      if (bs !== bt) throw new ShapeError(name, `target batch differs from source batch (expected ${bs}, got ${bt})`);
      const ctx = requireKey(name, block.dropout, options);
      const memMask = padMask(src, options.srcPadId);
      const memory = encodeStack(m, params, src, memMask, ctx);
      return typed(decodeStack(m, params, tgt, memory, memMask, padMask(tgt, options.tgtPadId), ctx, false).logits);
    },
    // cast: DecodeResult<S, N, R> is conditional on R (crossAttention), which TS cannot narrow from the runtime flag
    greedyDecode: (params, srcIds, options) => greedyDecode(m, params, erase(srcIds), options) as never,
    // cast: as greedyDecode
    sampleDecode: (params, srcIds, options) => sampleDecode(m, params, erase(srcIds), options) as never,
  };
}
