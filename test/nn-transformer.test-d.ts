import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { ShapeMismatch } from '../src/shape/dims';
import { sequential } from '../src/nn/sequential';
import { initLayer, type ApplyKind, type KindOf } from '../src/nn/layer';
import { dense } from '../src/nn/layers/core';
import { initMultiHeadAttention, mhaApply, multiHeadAttention, type MhaKeyValueRule, type MhaParams } from '../src/nn/layers/attention';
import { learnedPositionalEncoding, sinusoidalEncoding, sinusoidalPositionalEncoding } from '../src/nn/layers/positional';
import {
  transformer,
  transformerDecoderLayer,
  transformerEncoderLayer,
  type DecoderLayerParams,
  type EncoderLayerParams,
  type MemoryRule,
} from '../src/nn/layers/transformer';
import type { Key } from '../src/random';
import type { nn } from '../src/index';

declare const key: Key;
declare const xs: Tensor<['batch', 'seq', 64]>;
declare const x8: Tensor<[8, 20, 64]>;
declare const q: Tensor<[2, 7, 64]>;
declare const kv32: Tensor<[2, 9, 32]>;
declare const kv64: Tensor<[2, 9, 64]>;
declare const kv3: Tensor<[3, 9, 32]>;
declare const pad4: Tensor<[2, 1, 1, 9], 'bool'>;
declare const pad3: Tensor<[2, 1, 9], 'bool'>;
declare const badMask: Tensor<[2, 1, 1, 8], 'bool'>;
declare const y: Tensor<['batch', 10, 128]>;
declare const mem: Tensor<['batch', 12, 128]>;
declare const mem64: Tensor<['batch', 12, 64]>;
declare const src: Tensor<['batch', 12], 'int32'>;
declare const tgt: Tensor<['batch', 9], 'int32'>;
declare const longSrc: Tensor<['batch', 40], 'int32'>;

describe('multi-head attention types', () => {
  it('the self-attention layer has Keras-layout params and keeps [batch, seq, d]', () => {
    const m = sequential(['batch', 'seq', 64], multiHeadAttention({ numHeads: 4 }));
    const p = m.init(key);
    expectTypeOf(p[0]).toEqualTypeOf<MhaParams<64, 64, 4, 16, 16, 64>>();
    expectTypeOf(p[0].query.kernel).toEqualTypeOf<Tensor<[64, 4, 16]>>();
    expectTypeOf(p[0].query.bias).toEqualTypeOf<Tensor<[4, 16]>>();
    expectTypeOf(p[0].output.kernel).toEqualTypeOf<Tensor<[4, 16, 64]>>();
    expectTypeOf(m.apply(p, xs)).toEqualTypeOf<Tensor<['batch', 'seq', 64]>>();

    const custom = initLayer(multiHeadAttention({ numHeads: 8, keyDim: 12, valueDim: 10, outputDim: 32, useBias: false }), key, [2, 5, 100]);
    expectTypeOf(custom).toEqualTypeOf<{
      query: { kernel: Tensor<[100, 8, 12]> };
      key: { kernel: Tensor<[100, 8, 12]> };
      value: { kernel: Tensor<[100, 8, 10]> };
      output: { kernel: Tensor<[8, 10, 32]> };
    }>();
  });

  it('heads that do not divide d_model fail at that layer, with the rule as the message', () => {
    sequential(
      ['batch', 'seq', 500],
      dense(500),
      // @ts-expect-error layer 1 (multiHeadAttention): multiHeadAttention: 8 heads do not divide d_model 500
      multiHeadAttention({ numHeads: 8 }),
      dense(10),
    );
    const bad = multiHeadAttention({ numHeads: 8 });
    expectTypeOf<ApplyKind<KindOf<typeof bad>, ['batch', 'seq', 500]>>().toEqualTypeOf<ShapeMismatch<'multiHeadAttention: 8 heads do not divide d_model 500', 8, 500>>();
    // an explicit keyDim needs no division
    sequential(['batch', 'seq', 500], multiHeadAttention({ numHeads: 8, keyDim: 64 }));
    // @ts-expect-error multiHeadAttention: 3 heads do not divide d_model 64
    initMultiHeadAttention(multiHeadAttention({ numHeads: 3 }), key, 64);
  });

  it('cross-attention: exact output and weight shapes; a wrong key/value width fails on that argument', () => {
    const layer = multiHeadAttention({ numHeads: 4 });
    const p = initMultiHeadAttention(layer, key, 64, 32);
    expectTypeOf(p.key.kernel).toEqualTypeOf<Tensor<[32, 4, 16]>>();
    expectTypeOf(mhaApply(p, q, kv32)).toEqualTypeOf<Tensor<[2, 7, 64]>>();
    const r = mhaApply(p, q, kv32, { mask: pad4, causal: false, returnWeights: true });
    expectTypeOf(r.output).toEqualTypeOf<Tensor<[2, 7, 64]>>();
    expectTypeOf(r.weights).toEqualTypeOf<Tensor<[2, 4, 7, 9]>>();
    mhaApply(p, q, kv32, { mask: pad3 });
    mhaApply(
      p,
      q,
      // @ts-expect-error multiHeadAttention: key/value width differs (expected 32, got 64)
      kv64,
    );
    expectTypeOf<MhaKeyValueRule<[2, 7, 64], [2, 9, 64], 32>>().toEqualTypeOf<
      ShapeMismatch<'multiHeadAttention: key/value width differs (expected 32, got 64)', 32, [2, 9, 64]>
    >();
    mhaApply(
      p,
      q,
      // @ts-expect-error multiHeadAttention: key/value batch differs from query batch (expected 2, got 3)
      kv3,
    );
    mhaApply(p, kv32 as unknown as Tensor<[2, 9, 64]>, kv32);
    mhaApply(
      p,
      // @ts-expect-error multiHeadAttention: query width differs (expected 64, got 32)
      kv32,
      kv32,
    );
    mhaApply(p, q, kv32, {
      // @ts-expect-error broadcast: dims not broadcastable at axis -1 (9 vs 8)
      mask: badMask,
    });
  });
});

describe('positional encoding types', () => {
  it('keep the shape; odd d_model fails at the sinusoidal layer', () => {
    const m = sequential(['batch', 'seq', 64], sinusoidalPositionalEncoding(), learnedPositionalEncoding({ maxLen: 128 }));
    const p = m.init(key);
    expectTypeOf(p[0]).toEqualTypeOf<Record<string, never>>();
    expectTypeOf(p[1]).toEqualTypeOf<{ embeddings: Tensor<[128, 64]> }>();
    expectTypeOf(m.apply(p, xs)).toEqualTypeOf<Tensor<['batch', 'seq', 64]>>();
    expectTypeOf(sinusoidalEncoding(50, 16)).toEqualTypeOf<Tensor<[50, 16]>>();
    sequential(
      ['batch', 'seq', 63],
      // @ts-expect-error layer 0 (sinusoidalPositionalEncoding): sinusoidalPositionalEncoding: d_model must be even (got 63)
      sinusoidalPositionalEncoding(),
    );
    const pe = sinusoidalPositionalEncoding();
    expectTypeOf<ApplyKind<KindOf<typeof pe>, ['batch', 'seq', 63]>>().toEqualTypeOf<
      ShapeMismatch<'sinusoidalPositionalEncoding: d_model must be even (got 63)', 'even', 63>
    >();
    // @ts-expect-error sinusoidalEncoding: d_model must be even (got 7)
    sinusoidalEncoding(10, 7);
  });

  it('a literal length beyond maxLen fails at the learned layer', () => {
    sequential(['batch', 50, 64], learnedPositionalEncoding({ maxLen: 50 }));
    sequential(
      ['batch', 51, 64],
      // @ts-expect-error layer 0 (learnedPositionalEncoding): learnedPositionalEncoding: sequence length exceeds maxLen (51 > 50)
      learnedPositionalEncoding({ maxLen: 50 }),
    );
  });
});

describe('Transformer types', () => {
  it('the encoder stack composes in sequential', () => {
    const m = sequential(
      ['batch', 'seq', 64],
      sinusoidalPositionalEncoding(),
      transformerEncoderLayer({ numHeads: 4, ffDim: 128 }),
      transformerEncoderLayer({ numHeads: 4, ffDim: 128, normFirst: true, dropout: 0.1 }),
    );
    const p = m.init(key);
    expectTypeOf(m.apply(p, xs)).toEqualTypeOf<Tensor<['batch', 'seq', 64]>>();
    expectTypeOf(m.apply(p, x8)).toEqualTypeOf<Tensor<[8, 20, 64]>>();
    expectTypeOf(p[1]).toEqualTypeOf<EncoderLayerParams<64, 4, 128>>();
    expectTypeOf(p[1].selfAttention.value.kernel).toEqualTypeOf<Tensor<[64, 4, 16]>>();
    expectTypeOf(p[2].ffnInner.kernel).toEqualTypeOf<Tensor<[64, 128]>>();
    expectTypeOf(p[2].ffnOuter.bias).toEqualTypeOf<Tensor<[64]>>();
    expectTypeOf(p[2].ffnNorm.gamma).toEqualTypeOf<Tensor<[64]>>();
    const enc = transformerEncoderLayer({ numHeads: 4, ffDim: 128 });
    expectTypeOf(enc.forward(p[1], xs, { mask: null })).toEqualTypeOf<Tensor<['batch', 'seq', 64]>>();
  });

  it('an encoder layer whose heads do not divide d_model fails at that layer', () => {
    sequential(
      ['batch', 'seq', 500],
      sinusoidalPositionalEncoding(),
      transformerEncoderLayer({ numHeads: 4, ffDim: 128 }),
      // @ts-expect-error layer 2 (transformerEncoderLayer): transformerEncoderLayer: 8 heads do not divide d_model 500
      transformerEncoderLayer({ numHeads: 8, ffDim: 128 }),
    );
    const bad = transformerEncoderLayer({ numHeads: 8, ffDim: 128 });
    expectTypeOf<ApplyKind<KindOf<typeof bad>, ['batch', 'seq', 500]>>().toEqualTypeOf<
      ShapeMismatch<'transformerEncoderLayer: 8 heads do not divide d_model 500', 8, 500>
    >();
  });

  it('the decoder layer: typed params, output and weights; memory of another width fails on memory', () => {
    const dec = transformerDecoderLayer({ numHeads: 8, ffDim: 512 });
    const p = dec.init(key, 128);
    expectTypeOf(p).toEqualTypeOf<DecoderLayerParams<128, 8, 512>>();
    expectTypeOf(p.crossAttention.key.kernel).toEqualTypeOf<Tensor<[128, 8, 16]>>();
    expectTypeOf(dec.forward(p, y, mem)).toEqualTypeOf<Tensor<['batch', 10, 128]>>();
    const r = dec.forward(p, y, mem, { returnWeights: true });
    expectTypeOf(r.crossAttention).toEqualTypeOf<Tensor<['batch', 8, 10, 12]>>();
    expectTypeOf(r.selfAttention).toEqualTypeOf<Tensor<['batch', 8, 10, 10]>>();
    dec.forward(
      p,
      y,
      // @ts-expect-error transformerDecoderLayer: decoder width differs from encoder width (expected 128, got 64)
      mem64,
    );
    expectTypeOf<MemoryRule<['batch', 10, 128], ['batch', 12, 64], 128>>().toEqualTypeOf<
      ShapeMismatch<'transformerDecoderLayer: decoder width differs from encoder width (expected 128, got 64)', 128, ['batch', 12, 64]>
    >();
    // @ts-expect-error transformerDecoderLayer: 8 heads do not divide d_model 100
    dec.init(key, 100);
  });

  it('the full model: typed params, logits and decoding results; bad configs fail', () => {
    const model = transformer({ srcVocab: 1000, tgtVocab: 800, dModel: 64, numHeads: 4, ffDim: 128, numEncoderLayers: 2, numDecoderLayers: 2, maxLen: 32, dropout: 0.1 });
    const p = model.init(key);
    expectTypeOf(p.srcEmbedding.embeddings).toEqualTypeOf<Tensor<[1000, 64]>>();
    expectTypeOf(p.output.kernel).toEqualTypeOf<Tensor<[64, 800]>>();
    expectTypeOf(p.encoder[0]!).toEqualTypeOf<EncoderLayerParams<64, 4, 128>>();
    expectTypeOf(model.forward(p, src, tgt, { srcPadId: 0, tgtPadId: 0 })).toEqualTypeOf<Tensor<['batch', 9, 800]>>();
    expectTypeOf(model.encode(p, src)).toEqualTypeOf<Tensor<['batch', 12, 64]>>();
    const g = model.greedyDecode(p, src, { bosId: 1, eosId: 2, maxLen: 20, returnWeights: true });
    expectTypeOf(g.ids).toEqualTypeOf<Tensor<['batch', 20], 'int32'>>();
    expectTypeOf(g.crossAttention).toEqualTypeOf<Tensor<['batch', 4, 20, 12]>>();
    const s = model.sampleDecode(p, src, { bosId: 1, eosId: 2, temperature: 0.7, key });
    expectTypeOf(s.ids).toEqualTypeOf<Tensor<['batch', 32], 'int32'>>();
    model.forward(
      p,
      // @ts-expect-error transformer: source length exceeds maxLen (40 > 32)
      longSrc,
      tgt,
    );
    const pre = transformer({ srcVocab: 10, tgtVocab: 10, dModel: 16, numHeads: 2, ffDim: 32, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 8, normFirst: true });
    expectTypeOf(pre.init(key).decoderNorm.gamma).toEqualTypeOf<Tensor<[16]>>();
    // @ts-expect-error transformer: 3 heads do not divide d_model 64
    transformer({ srcVocab: 10, tgtVocab: 10, dModel: 64, numHeads: 3, ffDim: 32, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 8 });
    // @ts-expect-error transformer: d_model must be even (got 15)
    transformer({ srcVocab: 10, tgtVocab: 10, dModel: 15, numHeads: 3, ffDim: 32, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 8 });
  });
});

describe('public names of the Transformer types (what hovers show)', () => {
  it('params types are exported under the names hovers show', () => {
    const model = transformer({ srcVocab: 30000, tgtVocab: 30000, dModel: 512, numHeads: 8, ffDim: 2048, numEncoderLayers: 6, numDecoderLayers: 6, maxLen: 128 });
    const p = model.init(key);
    expectTypeOf(p).toEqualTypeOf<nn.TransformerParams<30000, 30000, 512, 8, 2048>>();
    expectTypeOf(p).toEqualTypeOf<nn.TransformerParamsOf<typeof model extends nn.Transformer<infer C> ? C : never>>();
    expectTypeOf(p.encoder[0]!.selfAttention).toEqualTypeOf<nn.SelfAttentionParams<512, 8>>();
    expectTypeOf(p.decoder[0]!.crossAttention.query.kernel).toEqualTypeOf<Tensor<[512, 8, 64]>>();
    expectTypeOf(p).not.toHaveProperty('encoderNorm');

    const pre = transformer({ srcVocab: 100, tgtVocab: 90, dModel: 64, numHeads: 4, ffDim: 128, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 16, normFirst: true });
    const pp = pre.init(key);
    expectTypeOf(pp).toEqualTypeOf<nn.PreNormTransformerParams<100, 90, 64, 4, 128>>();
    expectTypeOf(pp.encoderNorm).toEqualTypeOf<nn.LayerNormParams<64>>();
    expectTypeOf(pp).toMatchTypeOf<nn.TransformerParams<100, 90, 64, 4, 128>>();
    // the params of one model do not fit another's
    expectTypeOf(p).not.toEqualTypeOf<nn.TransformerParams<30000, 30000, 512, 4, 2048>>();
  });

  it('the block types in layer signatures are public', () => {
    const enc = transformerEncoderLayer({ numHeads: 4, ffDim: 128 });
    expectTypeOf(enc).toEqualTypeOf<nn.TransformerEncoderLayer<4, 128>>();
    expectTypeOf(enc).toMatchTypeOf<nn.Layer<nn.TransformerEncoderKind<4, 128>, 'transformerEncoderLayer'>>();
    expectTypeOf<nn.BlockMask<[2, 1, 1, 9], true>>().toEqualTypeOf<Tensor<[2, 1, 1, 9], 'bool'> | null>();
    expectTypeOf<nn.BlockRunContext>().toEqualTypeOf<{ readonly training: boolean; readonly key: Key | undefined }>();
  });
});

describe('Transformer config errors land on the offending property', () => {
  it('each rule names the property, with expected vs actual', () => {
    transformer({
      srcVocab: 30,
      tgtVocab: 30,
      // @ts-expect-error transformer: 4 heads do not divide d_model 30 (expected a multiple of 4, got 30)
      dModel: 30,
      numHeads: 4,
      ffDim: 64,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      maxLen: 16,
    });
    transformer({
      srcVocab: 30, tgtVocab: 30, maxLen: 16, numHeads: 3, ffDim: 64,
      // @ts-expect-error transformer: d_model must be even (got 15)
      dModel: 15,
      numEncoderLayers: 1, numDecoderLayers: 1,
    });
    transformer({
      srcVocab: 30,
      tgtVocab: 30,
      dModel: 32,
      numHeads: 4,
      // @ts-expect-error transformer: ffDim must be a positive integer, got 0
      ffDim: 0,
      // @ts-expect-error transformer: numEncoderLayers must be a positive integer, got 1.5
      numEncoderLayers: 1.5,
      numDecoderLayers: 1,
      maxLen: 16,
      // @ts-expect-error transformer: dropout must be in [0, 1), got 1
      dropout: 1,
      // @ts-expect-error transformer: layerNormEpsilon must be >= 0, got -1
      layerNormEpsilon: -1,
    });
    // the right neighbours of those mistakes compile, and so does a config of plain numbers
    transformer({ srcVocab: 30, tgtVocab: 30, dModel: 30, numHeads: 3, ffDim: 64, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 16, dropout: 1e-7, layerNormEpsilon: 0 });
    transformer({ srcVocab: 30, tgtVocab: 30, dModel: 32, numHeads: 4, ffDim: 64, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 16, dropout: 0.1, layerNormEpsilon: 1e-6 });
    const n = 8 as number;
    transformer({ srcVocab: n, tgtVocab: n, dModel: n, numHeads: n, ffDim: n, numEncoderLayers: n, numDecoderLayers: n, maxLen: n, dropout: n / 10 });
  });

  it('the per-property rules as types', () => {
    type Bad = { readonly srcVocab: 30; readonly tgtVocab: 30; readonly dModel: 30; readonly numHeads: 4; readonly ffDim: 0; readonly numEncoderLayers: 1; readonly numDecoderLayers: 1; readonly maxLen: 16 };
    expectTypeOf<nn.TransformerConfigCheck<Bad>>().toEqualTypeOf<{
      readonly dModel: ShapeMismatch<'transformer: 4 heads do not divide d_model 30 (expected a multiple of 4, got 30)', 'multiple of 4', 30>;
      readonly ffDim: ShapeMismatch<'transformer: ffDim must be a positive integer, got 0', 'positive integer', 0>;
    }>();
    type Good = { readonly srcVocab: 30; readonly tgtVocab: 30; readonly dModel: 32; readonly numHeads: 4; readonly ffDim: 64; readonly numEncoderLayers: 1; readonly numDecoderLayers: 1; readonly maxLen: 16 };
    expectTypeOf<nn.TransformerConfigCheck<Good>>().toEqualTypeOf<{}>();
    expectTypeOf<nn.CheckedTransformerConfig<Good>>().toEqualTypeOf<Good>();
    expectTypeOf<nn.TransformerRule<Good>>().toEqualTypeOf<true>();
  });
});

describe('transformer layer options: each rule on its own property', () => {
  it('numHeads, ffDim and dropout literals are checked where they are written', () => {
    expectTypeOf(transformerEncoderLayer({ numHeads: 4, ffDim: 64, dropout: 0.1 })).toEqualTypeOf<nn.TransformerEncoderLayer<4, 64>>();
    transformerEncoderLayer({
      // @ts-expect-error transformerEncoderLayer: numHeads must be a positive integer, got 0
      numHeads: 0,
      ffDim: 64,
    });
    transformerDecoderLayer({
      numHeads: 2,
      // @ts-expect-error transformerDecoderLayer: ffDim must be a positive integer, got 2.5
      ffDim: 2.5,
    });
    transformerDecoderLayer({
      numHeads: 2,
      ffDim: 8,
      // @ts-expect-error transformerDecoderLayer: dropout must be in [0, 1), got 1.5
      dropout: 1.5,
    });
    // a wide number is checked at run time only
    const rate: number = 0.2;
    transformerEncoderLayer({ numHeads: 2, ffDim: 8, dropout: rate });
    expectTypeOf<nn.TransformerLayerOptionsCheck<'l', 4, 64, 0.1>>().toEqualTypeOf<{ readonly numHeads: unknown; readonly ffDim: unknown; readonly dropout?: 0.1 }>();
  });
});

