import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import { causalMask, paddingMask, scaledDotProductAttention, type AttentionWithWeights } from '../src/ops/attention';
import { logicalAnd } from '../src/ops/elementwise';

declare const q: Tensor<['batch', 8, 128, 64]>;
declare const k: Tensor<['batch', 8, 128, 64]>;
declare const v: Tensor<['batch', 8, 128, 32]>;
declare const kShared: Tensor<['batch', 1, 77, 64]>;
declare const vShared: Tensor<['batch', 1, 77, 512]>;
declare const k32: Tensor<['batch', 8, 128, 32]>;
declare const vShort: Tensor<['batch', 8, 100, 32]>;
declare const q3: Tensor<[4, 10, 16]>;
declare const k3: Tensor<[4, 12, 16]>;
declare const v3: Tensor<[4, 12, 5]>;
declare const kOtherBatch: Tensor<[3, 12, 16]>;
declare const ids: Tensor<['batch', 128], 'int32'>;
declare const ids3: Tensor<[4, 12], 'int32'>;
declare const mask3: Tensor<[4, 10, 12], 'bool'>;
declare const floatMask: Tensor<[4, 10, 12]>;
declare const badMask: Tensor<[4, 10, 11], 'bool'>;
declare const vec: Tensor<[16]>;

describe('attention types', () => {
  it('exact output shapes: heads, symbolic batch, cross-attention, broadcast k/v', () => {
    expectTypeOf(scaledDotProductAttention(q, k, v)).toEqualTypeOf<Tensor<['batch', 8, 128, 32]>>();
    expectTypeOf(scaledDotProductAttention(q, kShared, vShared)).toEqualTypeOf<Tensor<['batch', 8, 128, 512]>>();
    expectTypeOf(scaledDotProductAttention(q3, k3, v3)).toEqualTypeOf<Tensor<[4, 10, 5]>>();
    expectTypeOf(scaledDotProductAttention(q3, k3, v3, mask3)).toEqualTypeOf<Tensor<[4, 10, 5]>>();
    expectTypeOf(scaledDotProductAttention(q3, k3, v3, null, { scale: 0.5 })).toEqualTypeOf<Tensor<[4, 10, 5]>>();
  });

  it('returnWeights gives { output, weights } with the scores shape', () => {
    expectTypeOf(scaledDotProductAttention(q, k, v, causalMask(128), { returnWeights: true })).toEqualTypeOf<
      AttentionWithWeights<['batch', 8, 128, 32], ['batch', 8, 128, 128]>
    >();
    expectTypeOf(scaledDotProductAttention(q3, k3, v3, paddingMask(ids3, 0, { heads: false }), { returnWeights: true }).weights).toEqualTypeOf<Tensor<[4, 10, 12]>>();
  });

  it('masks', () => {
    expectTypeOf(causalMask(128)).toEqualTypeOf<Tensor<[128, 128], 'bool'>>();
    expectTypeOf(paddingMask(ids)).toEqualTypeOf<Tensor<['batch', 1, 1, 128], 'bool'>>();
    expectTypeOf(paddingMask(ids3, 0, { heads: false })).toEqualTypeOf<Tensor<[4, 1, 12], 'bool'>>();
    const both = logicalAnd(causalMask(128), paddingMask(ids));
    expectTypeOf(both).toEqualTypeOf<Tensor<['batch', 1, 128, 128], 'bool'>>();
    expectTypeOf(scaledDotProductAttention(q, k, v, both)).toEqualTypeOf<Tensor<['batch', 8, 128, 32]>>();
  });

  it('rejects each way to get it wrong', () => {
    // @ts-expect-error dk mismatch between q (64) and k (32), reported on k
    scaledDotProductAttention(q, k32, v);
    // @ts-expect-error v length (100) differs from k length (128), reported on v
    scaledDotProductAttention(q, k, vShort);
    // @ts-expect-error batch dims 4 vs 3 do not broadcast
    scaledDotProductAttention(q3, kOtherBatch, v3);
    // @ts-expect-error a mask whose last dim (11) does not fit the scores (12)
    scaledDotProductAttention(q3, k3, v3, badMask);
    // @ts-expect-error a [B, 1, 1, L] mask would enlarge head-less [B, Lq, Lk] scores
    scaledDotProductAttention(q3, k3, v3, paddingMask(ids3));
    // @ts-expect-error a float tensor is not a mask (bool, true = attend)
    scaledDotProductAttention(q3, k3, v3, floatMask);
    // @ts-expect-error rank-1 q
    scaledDotProductAttention(vec, k3, v3);
    // @ts-expect-error ids must be [batch, length]
    paddingMask(mask3);
  });
});
