import { describe, expectTypeOf, test } from 'vitest';
import type { Dim } from '../src/shape/dims';
import type { Tensor } from '../src/tensor/tensor';
import {
  concat,
  expandDims,
  flatten,
  mergeDims,
  pad,
  repeat,
  slice,
  split,
  splitDim,
  squeeze,
  stack,
  stridedSlice,
  tile,
  unsqueeze,
  unstack,
} from '../src/ops/layout';
import { gather, oneHot, take } from '../src/ops/indexing';

declare const conv: Tensor<['batch', 7, 7, 64]>;
declare const img: Tensor<[32, 224, 224, 3]>;
declare const a: Tensor<['batch', 10, 64]>;
declare const b: Tensor<['batch', 10, 32]>;
declare const c: Tensor<['batch', 11, 32]>;
declare const ai: Tensor<['batch', 10, 64], 'int32'>;
declare const m: Tensor<[2, 3]>;
declare const m2: Tensor<[2, 3]>;
declare const m43: Tensor<[4, 3]>;
declare const mi: Tensor<[2, 3], 'int32'>;
declare const mb: Tensor<[2, 3], 'bool'>;
declare const one: Tensor<[1, 5, 1]>;
declare const hid: Tensor<['b', 't', 512]>;
declare const heads: Tensor<['b', 't', 8, 64]>;
declare const table: Tensor<[50257, 768]>;
declare const ids: Tensor<['batch', 'seq'], 'int32'>;
declare const labels: Tensor<['batch'], 'int32'>;
declare const v10: Tensor<[10]>;
declare const dyn: Tensor<Dim[]>;

describe('reshape-like ops', () => {
  test('flatten', () => {
    expectTypeOf(flatten(conv)).toEqualTypeOf<Tensor<['batch', 3136]>>();
    expectTypeOf(flatten(img, 0)).toEqualTypeOf<Tensor<[4816896]>>();
    expectTypeOf(flatten(img, -2)).toEqualTypeOf<Tensor<[32, 224, 672]>>();
    expectTypeOf(flatten(mi)).toEqualTypeOf<Tensor<[2, 3], 'int32'>>();
    expectTypeOf(flatten(hid, 0)).toEqualTypeOf<Tensor<[number]>>();
    // @ts-expect-error flatten: axis out of range (axis 4, rank 4)
    flatten(conv, 4);
    // @ts-expect-error flatten: the default startAxis 1 needs rank >= 2
    flatten(v10);
  });
  test('squeeze / unsqueeze / expandDims', () => {
    expectTypeOf(squeeze(one)).toEqualTypeOf<Tensor<[5]>>();
    expectTypeOf(squeeze(one, 0)).toEqualTypeOf<Tensor<[5, 1]>>();
    expectTypeOf(squeeze(one, [0, -1])).toEqualTypeOf<Tensor<[5]>>();
    expectTypeOf(unsqueeze(m, 0)).toEqualTypeOf<Tensor<[1, 2, 3]>>();
    expectTypeOf(unsqueeze(m, -1)).toEqualTypeOf<Tensor<[2, 3, 1]>>();
    expectTypeOf(expandDims(mb, 1)).toEqualTypeOf<Tensor<[2, 1, 3], 'bool'>>();
    // @ts-expect-error squeeze: squeezed dim must be 1 (axis 1 has 5)
    squeeze(one, 1);
    // @ts-expect-error squeeze: axis out of range
    squeeze(one, 3);
    // @ts-expect-error unsqueeze: axis out of range (axis 3, rank 2)
    unsqueeze(m, 3);
  });
  test('splitDim / mergeDims', () => {
    expectTypeOf(splitDim(hid, -1, 8)).toEqualTypeOf<Tensor<['b', 't', 8, 64]>>();
    expectTypeOf(splitDim(hid, 2, 512)).toEqualTypeOf<Tensor<['b', 't', 512, 1]>>();
    expectTypeOf(mergeDims(heads, 2)).toEqualTypeOf<Tensor<['b', 't', 512]>>();
    expectTypeOf(mergeDims(heads, -2)).toEqualTypeOf<Tensor<['b', 't', 512]>>();
    expectTypeOf(mergeDims(heads, 0)).toEqualTypeOf<Tensor<[number, 8, 64]>>();
    // @ts-expect-error splitDim: parts do not divide dim (7 does not divide 512)
    splitDim(hid, -1, 7);
    // @ts-expect-error splitDim: axis out of range (axis 3, rank 3)
    splitDim(hid, 3, 8);
    // @ts-expect-error mergeDims: axis 3 has no next axis
    mergeDims(heads, 3);
    // @ts-expect-error mergeDims: axis out of range
    mergeDims(heads, 4);
  });
});

describe('concat / stack / split / unstack', () => {
  test('concat', () => {
    expectTypeOf(concat([a, b], -1)).toEqualTypeOf<Tensor<['batch', 10, 96]>>();
    expectTypeOf(concat([a, b, b], 2)).toEqualTypeOf<Tensor<['batch', 10, 128]>>();
    expectTypeOf(concat([m, m43])).toEqualTypeOf<Tensor<[6, 3]>>();
    expectTypeOf(concat([m, m2], 1)).toEqualTypeOf<Tensor<[2, 6]>>();
    expectTypeOf(concat([mi, mi])).toEqualTypeOf<Tensor<[4, 3], 'int32'>>();
    expectTypeOf(concat([b, c], 1)).toEqualTypeOf<Tensor<['batch', 21, 32]>>();
    expectTypeOf(concat([a, a], 0)).toEqualTypeOf<Tensor<[number, 10, 64]>>();
    // @ts-expect-error concat: dims differ at axis 1 (10 vs 11 at input 1)
    concat([a, c], -1);
    // @ts-expect-error concat: dims differ at axis 2 (64 vs 32): widths must agree off the axis
    concat([a, b], 1);
    // @ts-expect-error concat: ranks differ
    concat([m, v10]);
    // @ts-expect-error concat: axis out of range (axis 3, rank 3)
    concat([a, b], 3);
    // @ts-expect-error concat: dtypes differ (float32 vs int32)
    concat([a, ai], -1);
  });
  test('stack / unstack', () => {
    expectTypeOf(stack([m, m2])).toEqualTypeOf<Tensor<[2, 2, 3]>>();
    expectTypeOf(stack([m, m2, m], -1)).toEqualTypeOf<Tensor<[2, 3, 3]>>();
    expectTypeOf(stack([mb, mb], 1)).toEqualTypeOf<Tensor<[2, 2, 3], 'bool'>>();
    expectTypeOf(unstack(m)).toEqualTypeOf<[Tensor<[3]>, Tensor<[3]>]>();
    expectTypeOf(unstack(m, 1)).toEqualTypeOf<[Tensor<[2]>, Tensor<[2]>, Tensor<[2]>]>();
    expectTypeOf(unstack(a)).toEqualTypeOf<Tensor<[10, 64]>[]>();
    // @ts-expect-error stack: dims differ at axis 0 (2 vs 4 at input 1)
    stack([m, m43]);
    // @ts-expect-error stack: axis out of range (axis 3, rank 2)
    stack([m, m2], 3);
    // @ts-expect-error unstack: axis out of range
    unstack(m, 2);
  });
  test('split', () => {
    expectTypeOf(split(a, 2, -1)).toEqualTypeOf<[Tensor<['batch', 10, 32]>, Tensor<['batch', 10, 32]>]>();
    expectTypeOf(split(m43, 4)).toEqualTypeOf<[Tensor<[1, 3]>, Tensor<[1, 3]>, Tensor<[1, 3]>, Tensor<[1, 3]>]>();
    expectTypeOf(split(a, [16, 48], 2)).toEqualTypeOf<[Tensor<['batch', 10, 16]>, Tensor<['batch', 10, 48]>]>();
    expectTypeOf(split(a, [16, -1, 8], 2)).toEqualTypeOf<[Tensor<['batch', 10, 16]>, Tensor<['batch', 10, 40]>, Tensor<['batch', 10, 8]>]>();
    expectTypeOf(split(a, [3, -1])).toEqualTypeOf<[Tensor<[3, 10, 64]>, Tensor<[number, 10, 64]>]>();
    expectTypeOf(split(mi, [1, 2], 1)).toEqualTypeOf<[Tensor<[2, 1], 'int32'>, Tensor<[2, 2], 'int32'>]>();
    // @ts-expect-error split: pieces do not divide dim (3 does not divide 64)
    split(a, 3, -1);
    // @ts-expect-error split: sizes do not add up to dim (60 vs 64)
    split(a, [16, 44], -1);
    // @ts-expect-error split: sizes exceed dim (70 > 64)
    split(a, [70, -1], -1);
    // @ts-expect-error split: only one -1 allowed in sizes (2 found)
    split(a, [-1, -1], -1);
    // @ts-expect-error split: sizes must be >= 0 or -1 (-2 at index 0)
    split(a, [-2, 66], -1);
    // @ts-expect-error split: axis out of range (axis 3, rank 3)
    split(a, 2, 3);
  });
});

describe('slice / stridedSlice / pad / tile / repeat', () => {
  test('slice', () => {
    expectTypeOf(slice(img, [0, 16, 16], [-1, 192, 192])).toEqualTypeOf<Tensor<[32, 192, 192, 3]>>();
    expectTypeOf(slice(m43, [1])).toEqualTypeOf<Tensor<[3, 3]>>();
    expectTypeOf(slice(a, [0, 2, 0], [-1, 5, 32])).toEqualTypeOf<Tensor<['batch', 5, 32]>>();
    expectTypeOf(slice(mi, [1, 1], [1, 2])).toEqualTypeOf<Tensor<[1, 2], 'int32'>>();
    // @ts-expect-error slice: begin + size exceeds dim (2 + 4 > 3 at axis 1) — on the size
    slice(m, [0, 2], [1, 4]);
    // @ts-expect-error slice: begin out of range (5 > 4 at axis 0) — on the begin
    slice(m43, [5]);
    // @ts-expect-error slice: more begin entries than rank (3 vs 2)
    slice(m, [0, 0, 0]);
    // @ts-expect-error slice: begin must be >= 0
    slice(m, [-1]);
  });
  test('stridedSlice', () => {
    expectTypeOf(stridedSlice(v10, [1], [8], [3])).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(stridedSlice(v10, [0], [10], [3])).toEqualTypeOf<Tensor<[4]>>();
    expectTypeOf(stridedSlice(v10, [-3])).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(stridedSlice(v10, [2], [-2])).toEqualTypeOf<Tensor<[6]>>();
    expectTypeOf(stridedSlice(v10, [5], [100])).toEqualTypeOf<Tensor<[5]>>();
    expectTypeOf(stridedSlice(v10, [7], [3])).toEqualTypeOf<Tensor<[0]>>();
    expectTypeOf(stridedSlice(img, [0, 0, 0], [32, 224, 224], [1, 2, 2])).toEqualTypeOf<Tensor<[32, 112, 112, 3]>>();
    expectTypeOf(stridedSlice(a, [0, 1], [], [1, 2])).toEqualTypeOf<Tensor<['batch', 5, 64]>>();
    expectTypeOf(stridedSlice(a, [1, 1], [], [1, 2])).toEqualTypeOf<Tensor<[number, 5, 64]>>();
    expectTypeOf(stridedSlice(a, [0, 1])).toEqualTypeOf<Tensor<['batch', 9, 64]>>();
    // @ts-expect-error stridedSlice: stride must be >= 1 (0 at axis 0)
    stridedSlice(v10, [0], [5], [0]);
    // @ts-expect-error stridedSlice: more begin entries than rank (2 vs 1)
    stridedSlice(v10, [0, 1]);
    // @ts-expect-error stridedSlice: more end entries than rank (2 vs 1)
    stridedSlice(v10, [0], [1, 2]);
  });
  test('pad / tile / repeat', () => {
    expectTypeOf(pad(img, [[0, 0], [2, 2], [1, 3], [0, 0]])).toEqualTypeOf<Tensor<[32, 228, 228, 3]>>();
    expectTypeOf(pad(a, [[0, 0], [1, 0], [0, 0]], -1)).toEqualTypeOf<Tensor<['batch', 11, 64]>>();
    expectTypeOf(pad(a, [[1, 0], [0, 0], [0, 0]])).toEqualTypeOf<Tensor<[number, 10, 64]>>();
    expectTypeOf(tile(m, [2, 3])).toEqualTypeOf<Tensor<[4, 9]>>();
    expectTypeOf(tile(a, [1, 2, 1])).toEqualTypeOf<Tensor<['batch', 20, 64]>>();
    expectTypeOf(tile(mb, [1, 0])).toEqualTypeOf<Tensor<[2, 0], 'bool'>>();
    expectTypeOf(repeat(m, 3, 1)).toEqualTypeOf<Tensor<[2, 9]>>();
    expectTypeOf(repeat(a, 2, -2)).toEqualTypeOf<Tensor<['batch', 20, 64]>>();
    expectTypeOf(repeat(a, 2, 0)).toEqualTypeOf<Tensor<[number, 10, 64]>>();
    // @ts-expect-error pad: paddings length differs from rank (1 vs 2)
    pad(m, [[1, 1]]);
    // @ts-expect-error pad: padding must be >= 0 ([-1, 0] at axis 1)
    pad(m, [[0, 0], [-1, 0]]);
    // @ts-expect-error tile: reps length differs from rank (1 vs 2)
    tile(m, [2]);
    // @ts-expect-error tile: reps must be >= 0 (-1 at axis 0)
    tile(m, [-1, 1]);
    // @ts-expect-error repeat: axis out of range (axis 2, rank 2) — on the axis
    repeat(m, 2, 2);
    // @ts-expect-error repeat: repeats must be >= 0 (-1) — on n
    repeat(m, -1, 0);
  });
});

describe('gather / take / oneHot', () => {
  test('embedding lookup and axis gathers', () => {
    expectTypeOf(gather(table, ids)).toEqualTypeOf<Tensor<['batch', 'seq', 768]>>();
    expectTypeOf(take(table, labels)).toEqualTypeOf<Tensor<['batch', 768]>>();
    expectTypeOf(gather(a, labels, -1)).toEqualTypeOf<Tensor<['batch', 10, 'batch']>>();
    expectTypeOf(gather(mi, labels, 1)).toEqualTypeOf<Tensor<[2, 'batch'], 'int32'>>();
    expectTypeOf(gather(dyn, labels)).toEqualTypeOf<Tensor<Dim[]>>();
    // @ts-expect-error gather: axis out of range (axis 2, rank 2)
    gather(table, ids, 2);
    // @ts-expect-error indices must be int32
    gather(table, m);
  });
  test('oneHot', () => {
    expectTypeOf(oneHot(labels, 10)).toEqualTypeOf<Tensor<['batch', 10]>>();
    expectTypeOf(oneHot(ids, 50257)).toEqualTypeOf<Tensor<['batch', 'seq', 50257]>>();
    // @ts-expect-error oneHot: depth must be >= 1 (0)
    oneHot(labels, 0);
    // @ts-expect-error oneHot takes int32 ids, not floats
    oneHot(v10, 10);
  });
});
