import { describe, expectTypeOf, test } from 'vitest';
import type { Dim } from '../src/shape/dims';
import type { Tensor } from '../src/tensor/tensor';
import { dot, matmul, outer, transpose } from '../src/ops/linalg';
import { flatten, mergeDims } from '../src/ops/layout';

declare const x: Tensor<['batch', 784]>;
declare const w1: Tensor<[784, 128]>;
declare const w2: Tensor<[128, 10]>;
declare const wBad: Tensor<[128, 10]>;
declare const q: Tensor<['batch', 8, 'seq', 64]>;
declare const k: Tensor<['batch', 8, 'seq', 64]>;
declare const v: Tensor<['batch', 8, 'seq', 64]>;
declare const big: Tensor<[50257, 4096]>;
declare const h: Tensor<['batch', 'seq', 4096]>;
declare const dyn: Tensor<[number, number]>;
declare const unknownRank: Tensor<Dim[]>;
declare const vec3: Tensor<[3]>;
declare const vec4: Tensor<[4]>;
declare const vecN: Tensor<['n']>;
declare const m34: Tensor<[3, 4]>;
declare const m45: Tensor<[4, 5]>;
declare const ids: Tensor<[2, 3], 'int32'>;
declare const convOut: Tensor<['batch', 7, 7, 64]>;
declare const head: Tensor<[3136, 10]>;
declare const headBad: Tensor<[3000, 10]>;
declare const heads: Tensor<['batch', 'seq', 8, 64]>;
declare const wo: Tensor<[512, 512]>;

declare const a: Tensor<[2, 1, 3, 4]>;
declare const b: Tensor<[5, 4, 6]>;
declare const shared: Tensor<[4, 6]>;
declare const xt: Tensor<[784, 'batch']>;
declare const w1t: Tensor<[128, 784]>;
declare const flag: boolean;
declare const a234: Tensor<[2, 3, 4]>;
declare const b345: Tensor<[3, 4, 5]>;
declare const r3: Tensor<[2, 3, 4]>;
declare const mask: Tensor<[2, 5, 7], 'bool'>;

describe('matmul', () => {
  test('2-D and chains', () => {
    expectTypeOf(matmul(x, w1)).toEqualTypeOf<Tensor<['batch', 128]>>();
    expectTypeOf(matmul(matmul(x, w1), w2)).toEqualTypeOf<Tensor<['batch', 10]>>();
  });
  test('batched with broadcasting batch dims', () => {
    expectTypeOf(matmul(a, b)).toEqualTypeOf<Tensor<[2, 5, 3, 6]>>();
    expectTypeOf(matmul(h, big, { transposeB: true })).toEqualTypeOf<Tensor<['batch', 'seq', 50257]>>();
    expectTypeOf(matmul(a, shared)).toEqualTypeOf<Tensor<[2, 1, 3, 6]>>();
  });
  test('transposed operands (attention)', () => {
    const scores = matmul(q, k, { transposeB: true });
    expectTypeOf(scores).toEqualTypeOf<Tensor<['batch', 8, 'seq', 'seq']>>();
    expectTypeOf(matmul(scores, v)).toEqualTypeOf<Tensor<['batch', 8, 'seq', 64]>>();
    expectTypeOf(matmul(xt, w1, { transposeA: true })).toEqualTypeOf<Tensor<['batch', 128]>>();
    expectTypeOf(matmul(xt, w1t, { transposeA: true, transposeB: true })).toEqualTypeOf<Tensor<['batch', 128]>>();
    expectTypeOf(matmul(w1, xt, { transposeA: true })).toEqualTypeOf<Tensor<[128, 'batch']>>();
    expectTypeOf(matmul(x, w1, { transposeA: false, transposeB: false })).toEqualTypeOf<Tensor<['batch', 128]>>();
  });
  test('dynamic dims and unknown rank pass', () => {
    expectTypeOf(matmul(dyn, w1)).toEqualTypeOf<Tensor<[number, 128]>>();
    expectTypeOf(matmul(unknownRank, w1)).toEqualTypeOf<Tensor<Dim[]>>();
    expectTypeOf(matmul(x, w1, { transposeB: flag })).toEqualTypeOf<Tensor<Dim[]>>();
  });
  test('mistakes fail on the offending argument', () => {
    // @ts-expect-error inner dims differ (784 vs 128)
    matmul(x, wBad);
    // @ts-expect-error inner dims differ: the transpose flag makes it [10, 128]
    matmul(matmul(x, w1), w2, { transposeB: true });
    // @ts-expect-error q·k without transposeB: 64 vs 'seq'
    matmul(q, k);
    // @ts-expect-error batch dims not broadcastable (2 vs 3)
    matmul(a234, b345);
    // @ts-expect-error rank-1 operands need dot
    matmul(vec4, m45);
    // @ts-expect-error int32 tensors are not matmul operands
    matmul(ids, m34);
  });
  test('the mismatch carries the message', () => {
    type P = Parameters<typeof matmul<['batch', 784], [128, 10], false, false>>[1];
    expectTypeOf<P>().toMatchTypeOf<{ readonly __shapeMismatch: 'matmul: inner dims differ (784 vs 128)' }>();
  });
});

describe('matmul after reshape-like ops (products computed in the type)', () => {
  test('flatten into a dense head; merged attention heads into the output projection', () => {
    expectTypeOf(matmul(flatten(convOut), head)).toEqualTypeOf<Tensor<['batch', 10]>>();
    expectTypeOf(matmul(mergeDims(heads, 2), wo)).toEqualTypeOf<Tensor<['batch', 'seq', 512]>>();
    // @ts-expect-error inner dims differ (3136 vs 3000)
    matmul(flatten(convOut), headBad);
    // @ts-expect-error inner dims differ (64 vs 512): heads not merged
    matmul(heads, wo);
  });
});

describe('dot, outer', () => {
  test('exact shapes', () => {
    expectTypeOf(dot(vec4, vec4)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(dot(m34, vec4)).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(dot(vec3, m34)).toEqualTypeOf<Tensor<[4]>>();
    expectTypeOf(dot(m34, m45)).toEqualTypeOf<Tensor<[3, 5]>>();
    expectTypeOf(dot(vecN, vecN)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(outer(vec3, vec4)).toEqualTypeOf<Tensor<[3, 4]>>();
    expectTypeOf(outer(vecN, vec4)).toEqualTypeOf<Tensor<['n', 4]>>();
  });
  test('mistakes', () => {
    // @ts-expect-error dot: inner dims differ (3 vs 4)
    dot(vec3, vec4);
    // @ts-expect-error dot: inner dims differ (4 vs 3)
    dot(m34, vec3);
    // @ts-expect-error dot: symbolic 'n' vs 4
    dot(vecN, vec4);
    // @ts-expect-error dot: operands need rank 1 or 2
    dot(r3, vec4);
    // @ts-expect-error outer: operands need rank 1
    outer(m34, vec4);
  });
});

describe('transpose', () => {
  test('default reverses; perms (negative too); all dtypes', () => {
    expectTypeOf(transpose(m34)).toEqualTypeOf<Tensor<[4, 3]>>();
    expectTypeOf(transpose(q, [0, 2, 1, 3])).toEqualTypeOf<Tensor<['batch', 'seq', 8, 64]>>();
    expectTypeOf(transpose(q, [0, -2, 1, -1])).toEqualTypeOf<Tensor<['batch', 'seq', 8, 64]>>();
    expectTypeOf(transpose(ids)).toEqualTypeOf<Tensor<[3, 2], 'int32'>>();
    expectTypeOf(transpose(mask, [2, 0, 1])).toEqualTypeOf<Tensor<[7, 2, 5], 'bool'>>();
  });
  test('mistakes fail on the perm', () => {
    // @ts-expect-error perm length differs from rank (2 vs 4)
    transpose(q, [1, 0]);
    // @ts-expect-error axis out of range (axis 4, rank 4)
    transpose(q, [0, 1, 2, 4]);
    // @ts-expect-error perm repeats axis
    transpose(q, [0, 1, 1, 3]);
  });
});
