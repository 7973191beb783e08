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
import type { Check } from '../../../shape/rules';
import type { AnyTensor } from '../../../autodiff/core';
import { requireKey } from './blocks';
import { greedyDecode, sampleDecode } from './decoding';
import { checkIds, decodeStack, encodeStack, initSeq2Seq, padMask, seq2seq } from './stacks';
import type { Transformer, TransformerConfig, TransformerParamsOf, TransformerRule } from './model-types';

/**
 * An encoder–decoder Transformer for token ids. numHeads must divide dModel and dModel must
 * be even — compile errors on the config otherwise.
 */
export function transformer<const C extends TransformerConfig>(config: C & Check<TransformerRule<C>>): Transformer<C> {
  const m = seq2seq(config as TransformerConfig);
  const { name, block, config: c } = m;
  const raw = (t: unknown) => t as AnyTensor;
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
      const src = raw(srcIds);
      return encodeStack(m, params, src, padMask(src, options.srcPadId), requireKey(name, block.dropout, options)) as never;
    },
    decode(params, tgtInIds, memory, options = {}) {
      const tgt = raw(tgtInIds);
      const memoryMask = (options.memoryMask ?? null) as AnyTensor | null;
      const r = decodeStack(m, params, tgt, raw(memory), memoryMask, padMask(tgt, options.tgtPadId), requireKey(name, block.dropout, options), options.returnWeights === true);
      return (options.returnWeights === true ? { logits: r.logits, crossAttention: r.cross } : r.logits) as never;
    },
    forward(params, srcIds, tgtInIds, options = {}) {
      const src = raw(srcIds);
      const tgt = raw(tgtInIds);
      const [bs] = checkIds(m, 'source', src);
      const [bt] = checkIds(m, 'target', tgt);
      if (bs !== bt) throw new ShapeError(name, `target batch differs from source batch (expected ${bs}, got ${bt})`);
      const ctx = requireKey(name, block.dropout, options);
      const memMask = padMask(src, options.srcPadId);
      const memory = encodeStack(m, params, src, memMask, ctx);
      return decodeStack(m, params, tgt, memory, memMask, padMask(tgt, options.tgtPadId), ctx, false).logits as never;
    },
    greedyDecode: (params, srcIds, options) => greedyDecode(m, params, raw(srcIds), options) as never,
    sampleDecode: (params, srcIds, options) => sampleDecode(m, params, raw(srcIds), options) as never,
  };
}
