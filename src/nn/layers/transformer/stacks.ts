/**
 * The encoder–decoder Transformer's runtime, as plain functions over a resolved model `Seq2Seq`:
 * config validation, params init, the embedding, and the encoder and decoder stacks. The typed
 * factory (./model.ts) and the decoding loops (./decoding.ts) are thin layers over these.
 *
 * Embeddings are scaled by √D and the sinusoidal encoding is added (the paper); they start as
 * N(0, 1/D), so the scaled embeddings have unit variance. Pre-norm stacks end with a final layer
 * norm (the Transformer adds it).
 */
import { ShapeError } from '../../../shape/dims';
import { makeTensor, type Tensor } from '../../../tensor/tensor';
import { erase, wide, type AnyTensor, dimsOf } from '../../../tensor/untyped';
import { foldIn, normalArray, type Key } from '../../../random';
import { mulRaw } from '../../../ops/elementwise';
import { paddingMask } from '../../../ops/attention';
import { keys, zerosInit } from '../../init';
import type { Layer } from '../../layer';
import { embedding } from '../embedding';
import { addSinusoidal } from '../positional';
import {
  blockConfig,
  decoderBlock,
  drop,
  encoderBlock,
  initDecoderParams,
  initEncoderParams,
  linear,
  lnInit,
  norm,
  type BlockConfig,
  type Lin,
  type LN,
  type BlockRunContext,
} from './blocks';
import type { TransformerConfig } from './model-types';

interface RuntimeTransformer {
  readonly srcEmbedding: unknown;
  readonly tgtEmbedding: unknown;
  readonly encoder: readonly unknown[];
  readonly decoder: readonly unknown[];
  readonly encoderNorm?: LN;
  readonly decoderNorm?: LN;
  readonly output: Lin;
}

/** A validated Transformer config with its blocks and embedding layers, ready to run. */
export interface Seq2Seq {
  readonly name: 'transformer';
  readonly config: TransformerConfig;
  readonly block: BlockConfig;
  readonly srcEmb: Layer;
  readonly tgtEmb: Layer;
  readonly sqrtD: number;
}

function positiveInt(what: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`transformer: ${what} must be a positive integer, got ${n}`);
}

/** the run-time twin of TransformerConfigRules: the same rules and texts, for configs the types did not see */
export function seq2seq(c: TransformerConfig): Seq2Seq {
  const name = 'transformer';
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
  // the same text as TransformerRule (the heads count in both the rule and the expected value)
  if (d % c.numHeads !== 0) throw new ShapeError(name, `${c.numHeads} heads do not divide d_model ${d} (expected a multiple of ${c.numHeads}, got ${d})`);
  if (d % 2 !== 0) throw new ShapeError(name, `d_model must be even (got ${d})`);
  const sqrtD = Math.sqrt(d);
  // embeddings start as N(0, 1/D): after the √D scaling they have unit variance
  const table = (vocab: number) =>
    embedding(vocab, d, { embeddingsInitializer: (k, shape) => makeTensor(shape, 'float32', normalArray(k, vocab * d, 0, 1 / sqrtD)) });
  return { name, config: c, block, srcEmb: table(c.srcVocab), tgtEmb: table(c.tgtVocab), sqrtD };
}

/** fresh params: embeddings, encoder[], decoder[], output (+ the final norms when normFirst) */
export function initSeq2Seq(m: Seq2Seq, key: Key): Record<string, unknown> {
  const { config: c, block } = m;
  const d = c.dModel;
  const ks = keys(key, 3 + c.numEncoderLayers + c.numDecoderLayers);
  const p: Record<string, unknown> = {
    srcEmbedding: m.srcEmb.init(ks[0]!, ['batch', 'seq']),
    tgtEmbedding: m.tgtEmb.init(ks[1]!, ['batch', 'seq']),
    encoder: Array.from({ length: c.numEncoderLayers }, (_, i) => initEncoderParams(block, ks[3 + i]!, d)),
  };
  if (block.normFirst) p.encoderNorm = lnInit(block, foldIn(ks[2]!, 1), d);
  p.decoder = Array.from({ length: c.numDecoderLayers }, (_, i) => initDecoderParams(block, ks[3 + c.numEncoderLayers + i]!, d));
  if (block.normFirst) p.decoderNorm = lnInit(block, foldIn(ks[2]!, 2), d);
  p.output = { kernel: block.kernelInitializer(ks[2]!, [d, c.tgtVocab]), bias: zerosInit(ks[2]!, [c.tgtVocab]) };
  return p;
}

/** ids [batch, length] int32 with length <= maxLen; returns [batch, length] */
export function checkIds(m: Seq2Seq, what: string, ids: AnyTensor): [number, number] {
  const s = dimsOf(ids);
  if (s.length !== 2) throw new ShapeError(m.name, `${what} ids must be [batch, length] (got rank ${s.length})`);
  if (ids.dtype !== 'int32') throw new ShapeError(m.name, `${what} ids must be int32, got ${ids.dtype}`);
  if (s[1]! > m.config.maxLen) throw new ShapeError(m.name, `${what} length exceeds maxLen (${s[1]} > ${m.config.maxLen})`);
  return [s[0]!, s[1]!];
}

export const padMask = (ids: AnyTensor, pad: number | undefined): AnyTensor | null =>
  pad === undefined ? null : erase(paddingMask(wide<'int32'>(ids), pad));

/** embedding(ids) · √D + PE, then dropout */
function embed(m: Seq2Seq, layer: Layer, table: unknown, ids: AnyTensor, ctx: BlockRunContext, site: number): AnyTensor {
  return drop(m.block, ctx, addSinusoidal(mulRaw(layer.apply(table, ids, {}), m.sqrtD)), site);
}

/** the key of block i of a stack (offset 100 encoder, 200 decoder), none at inference */
const blockCtx = (ctx: BlockRunContext, site: number): BlockRunContext => ({ training: ctx.training, key: ctx.training ? foldIn(ctx.key!, site) : undefined });

/** the encoder stack: src ids [B, Ls] → memory [B, Ls, D] */
export function encodeStack(m: Seq2Seq, params: unknown, src: AnyTensor, mask: AnyTensor | null, ctx: BlockRunContext): AnyTensor {
  const p = params as RuntimeTransformer;
  checkIds(m, 'source', src);
  let h = embed(m, m.srcEmb, p.srcEmbedding, src, ctx, 0);
  p.encoder.forEach((lp, i) => {
    h = encoderBlock(m.block, lp, h, mask, blockCtx(ctx, 100 + i));
  });
  return p.encoderNorm ? norm(m.block, h, p.encoderNorm) : h;
}

export interface DecodeStackResult {
  /** [B, Lt, tgtVocab] */
  readonly logits: AnyTensor;
  /** the last decoder layer's cross-attention weights (when asked for) */
  readonly cross: AnyTensor | null;
}

/** the decoder stack and output projection: tgt ids [B, Lt] over memory [B, Ls, D] → logits */
export function decodeStack(
  m: Seq2Seq,
  params: unknown,
  tgt: AnyTensor,
  memory: AnyTensor,
  memoryMask: AnyTensor | null,
  selfMask: AnyTensor | null,
  ctx: BlockRunContext,
  wantWeights: boolean,
): DecodeStackResult {
  const p = params as RuntimeTransformer;
  const d = m.config.dModel;
  checkIds(m, 'target', tgt);
  const ms = dimsOf(memory);
  if (ms.length !== 3 || ms[0] !== dimsOf(tgt)[0] || ms[2] !== d) {
    throw new ShapeError(m.name, `memory must be [${dimsOf(tgt)[0]}, length, ${d}] (got [${ms.join(', ')}])`);
  }
  let h = embed(m, m.tgtEmb, p.tgtEmbedding, tgt, ctx, 1);
  let cross: AnyTensor | null = null;
  p.decoder.forEach((lp, i) => {
    const last = i === p.decoder.length - 1;
    const r = decoderBlock(m.block, lp, h, memory, selfMask, memoryMask, true, blockCtx(ctx, 200 + i), wantWeights && last);
    h = r.output;
    if (last) cross = r.crossAttention;
  });
  if (p.decoderNorm) h = norm(m.block, h, p.decoderNorm);
  return { logits: linear(h, p.output), cross };
}
