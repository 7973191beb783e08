/** rearrange with '...' (einops ellipsis): shapes computed in the type, mistakes at the pattern. */
import { describe, expectTypeOf, test } from 'vitest';
import type { Dim } from '../src/shape/dims';
import type { RearrangeShape } from '../src/shape/rules';
import type { Tensor } from '../src/tensor/tensor';
import { rearrange } from '../src/ops/einsum';
import { rearrange as publicRearrange } from '../src';

declare const x: Tensor<['batch', 10, 20, 512]>;
declare const y: Tensor<['batch', 8, 10, 20, 64]>;
declare const m: Tensor<[2, 12]>;
declare const v: Tensor<[6]>;
declare const ids: Tensor<[2, 3, 4], 'int32'>;
declare const dyn: Tensor<[number, 3, 4]>;
declare const unknownRank: Tensor<Dim[]>;

describe("rearrange with '...'", () => {
  test('the heads split and merge over any number of middle dims', () => {
    expectTypeOf(rearrange(x, 'b ... (h d) -> b h ... d', { h: 8 })).toEqualTypeOf<Tensor<['batch', 8, 10, 20, 64]>>();
    expectTypeOf(rearrange(y, 'b h ... d -> b ... (h d)')).toEqualTypeOf<Tensor<['batch', 10, 20, 512]>>();
    expectTypeOf(publicRearrange(x, 'b ... (h d) -> b h ... d', { d: 64 })).toEqualTypeOf<Tensor<['batch', 8, 10, 20, 64]>>();
  });
  test("'...' stands for no dims too, and merges in a group on the right", () => {
    expectTypeOf(rearrange(m, 'b ... (h d) -> b h ... d', { h: 3 })).toEqualTypeOf<Tensor<[2, 3, 4]>>();
    expectTypeOf(rearrange(ids, 'b ... -> b (...)')).toEqualTypeOf<Tensor<[2, 12], 'int32'>>();
    expectTypeOf(rearrange(ids, '... c -> c ...')).toEqualTypeOf<Tensor<[4, 2, 3], 'int32'>>();
    expectTypeOf(rearrange(ids, '... -> (...)')).toEqualTypeOf<Tensor<[24], 'int32'>>();
    expectTypeOf(rearrange(v, '... -> ...')).toEqualTypeOf<Tensor<[6]>>();
    expectTypeOf(rearrange(ids, 'a ... -> (... a)')).toEqualTypeOf<Tensor<[24], 'int32'>>();
  });
  test('symbolic and dynamic dims flow through; unknown rank gives Dim[]', () => {
    expectTypeOf(rearrange(dyn, '... c -> c ...')).toEqualTypeOf<Tensor<[4, number, 3]>>();
    expectTypeOf(rearrange(x, 'b ... d -> (b ...) d')).toEqualTypeOf<Tensor<[number, 512]>>();
    expectTypeOf(rearrange(unknownRank, 'b ... -> ... b')).toEqualTypeOf<Tensor<Dim[]>>();
  });
  test('mistakes fail at the pattern', () => {
    // @ts-expect-error '...' on the left only
    rearrange(x, 'b ... d -> b d');
    // @ts-expect-error '...' twice on the left
    rearrange(x, 'b ... ... d -> b ... d');
    // @ts-expect-error '...' in a group on the left
    rearrange(x, 'b (...) d -> b ... d');
    // @ts-expect-error more names than x has dims
    rearrange(v, 'a b ... -> b a ...');
    // @ts-expect-error a group that does not divide, after '...'
    rearrange(x, 'b ... (h d) -> b h ... d', { h: 6 });
    // @ts-expect-error a lone '.'
    rearrange(x, 'b . d -> b d');
  });
  test('the messages', () => {
    expectTypeOf<RearrangeShape<[6], 'a b ... -> b a ...', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'a b ...' names at least 2 dims but x has rank 1" }>();
    expectTypeOf<RearrangeShape<[2, 3], 'a (b ...) -> a b ...', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: '...' cannot be in a group on the left" }>();
    expectTypeOf<RearrangeShape<[2, 3], 'a ... -> a', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: '...' is on the left but not the right" }>();
    expectTypeOf<RearrangeShape<[2, 3], 'a -> a ...', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: '...' is on the right but not the left" }>();
    expectTypeOf<RearrangeShape<[2, 12], 'b ... (h d) -> b h ... d', { h: 5 }>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'h d' groups 12 but h = 5 does not divide it" }>();
  });
});
