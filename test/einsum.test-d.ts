import { describe, expectTypeOf, test } from 'vitest';
import type { Dim } from '../src/shape/dims';
import type { EinsumShape, RearrangeShape } from '../src/shape/rules';
import type { Tensor } from '../src/tensor/tensor';
import { einsum, rearrange } from '../src/ops/einsum';
import { einsum as publicEinsum, rearrange as publicRearrange } from '../src';

declare const q: Tensor<['batch', 8, 'seq', 64]>;
declare const k: Tensor<['batch', 8, 'seq', 64]>;
declare const q8: Tensor<[8, 8, 128, 32]>;
declare const a: Tensor<[2, 3]>;
declare const b: Tensor<[3, 4]>;
declare const c: Tensor<[4, 4]>;
declare const v3: Tensor<[3]>;
declare const v4: Tensor<[4]>;
declare const e: Tensor<[5, 2, 3]>;
declare const f: Tensor<[1, 3, 4]>;
declare const m33: Tensor<[3, 3]>;
declare const dyn: Tensor<[number, 3]>;
declare const unknownRank: Tensor<Dim[]>;
declare const x: Tensor<['batch', 'seq', 512]>;
declare const spec: string;
declare const x10: Tensor<[2, 10, 512]>;
declare const heads: Tensor<['batch', 8, 'seq', 64]>;
declare const img: Tensor<['batch', 28, 28, 3]>;
declare const ids: Tensor<[2, 6], 'int32'>;

describe('einsum shapes', () => {
  test('explicit outputs: batched matmul, transposes, reductions', () => {
    expectTypeOf(einsum('bhqd,bhkd->bhqk', q, k)).toEqualTypeOf<Tensor<['batch', 8, 'seq', 'seq']>>();
    expectTypeOf(einsum('bhqd,bhkd->bhqk', q8, q8)).toEqualTypeOf<Tensor<[8, 8, 128, 128]>>();
    expectTypeOf(einsum('ij,jk->ki', a, b)).toEqualTypeOf<Tensor<[4, 2]>>();
    expectTypeOf(einsum('ij->', a)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(einsum('ij->j', a)).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(einsum('ii->i', c)).toEqualTypeOf<Tensor<[4]>>();
    expectTypeOf(einsum('ij,jk,kl->il', a, b, c)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(einsum('i,j->ij', v3, v4)).toEqualTypeOf<Tensor<[3, 4]>>();
  });
  test('implicit outputs: the letters that appear once, sorted (upper case first)', () => {
    expectTypeOf(einsum('ij,jk', a, b)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(einsum('ji,jk', b, b)).toEqualTypeOf<Tensor<[4, 4]>>();
    expectTypeOf(einsum('ii', c)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(einsum('i,i', v3, v3)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(einsum('ij,kl', a, b)).toEqualTypeOf<Tensor<[2, 3, 3, 4]>>();
    expectTypeOf(einsum('bA', a)).toEqualTypeOf<Tensor<[3, 2]>>();
  });
  test('ellipsis broadcasting', () => {
    expectTypeOf(einsum('...ij,...jk->...ik', e, f)).toEqualTypeOf<Tensor<[5, 2, 4]>>();
    expectTypeOf(einsum('...ij,...jk', e, f)).toEqualTypeOf<Tensor<[5, 2, 4]>>();
    expectTypeOf(einsum('...j,j->...', e, v3)).toEqualTypeOf<Tensor<[5, 2]>>();
    expectTypeOf(einsum('i...->...i', e)).toEqualTypeOf<Tensor<[2, 3, 5]>>();
  });
  test('symbolic and dynamic dims flow; unknown rank passes', () => {
    expectTypeOf(einsum('bhqd->bqhd', q)).toEqualTypeOf<Tensor<['batch', 'seq', 8, 64]>>();
    expectTypeOf(einsum('ij,ij->ij', dyn, a)).toEqualTypeOf<Tensor<[2, 3]>>();
    expectTypeOf(einsum('ij,jk', unknownRank, b)).toEqualTypeOf<Tensor<Dim[]>>();
    expectTypeOf(einsum(spec, a, b)).toEqualTypeOf<Tensor<Dim[]>>();
    expectTypeOf(rearrange(a, spec)).toEqualTypeOf<Tensor<Dim[]>>();
    expectTypeOf(rearrange(unknownRank, 'a b -> b a')).toEqualTypeOf<Tensor<Dim[]>>();
  });
  test('exported from the package entry', () => {
    expectTypeOf(publicEinsum('ij,jk', a, b)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(publicRearrange(a, 'i j -> j i')).toEqualTypeOf<Tensor<[3, 2]>>();
  });
  test('mistakes fail at the argument that causes them', () => {
    // @ts-expect-error 'j' is 3 in operand 0 but 4 in operand 1
    einsum('ij,jk', a, c);
    // @ts-expect-error 'd' is 64 in operand 0 but 32 in operand 1
    einsum('bhqd,bhkd->bhqk', q, q8);
    // @ts-expect-error 'i' is 4 in operand 0 but 3 in operand 0 (a diagonal needs a square)
    einsum('ii', b);
    // @ts-expect-error wrong operand count: the spec has 2, one given
    einsum('ij,jk->ik', a);
    // @ts-expect-error wrong operand count: the spec has 2, three given
    einsum('ij,jk->ik', a, b, c);
    // @ts-expect-error output letter in no operand
    einsum('ij,jk->iz', a, b);
    // @ts-expect-error output letter repeated
    einsum('ij->ii', a);
    // @ts-expect-error operand 0 has rank 2 but 'ijk' names 3 dims
    einsum('ijk,jk', a, b);
    // @ts-expect-error '...' dims of operand 1 not broadcastable at axis -1 (2 vs 3)
    einsum('...i,...i', e, m33);
    // @ts-expect-error bad character
    einsum('i1', v3);
    // @ts-expect-error int32 operands (einsum is float32, as matmul)
    einsum('ij', ids);
    // @ts-expect-error bad character (a lone '.')
    einsum('i.', v3);
  });
  test('the messages', () => {
    type Ops = [Tensor<[2, 3]>, Tensor<[4, 4]>];
    type P2 = Parameters<typeof einsum<'ij,jk', Ops>>[2];
    expectTypeOf<P2>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: 'j' is 3 in operand 0 but 4 in operand 1" }>();
    type P1 = Parameters<typeof einsum<'ij,jk', Ops>>[1];
    expectTypeOf<P1>().toEqualTypeOf<Tensor<[2, 3]>>();
    type S = Parameters<typeof einsum<'ij,jk->ik', [Tensor<[2, 3]>]>>[0];
    expectTypeOf<S>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: 'ij,jk->ik' has 2 operands, got 1" }>();
    expectTypeOf<EinsumShape<'i.j', [[2, 3]]>>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: bad character '.' in 'i.j'" }>();
    expectTypeOf<EinsumShape<'ij->i->j', [[2, 3]]>>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: bad character '-' in 'ij->i->j'" }>();
    expectTypeOf<EinsumShape<'ij->iz', [[2, 3]]>>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: output 'z' is in no operand" }>();
    expectTypeOf<EinsumShape<'ijk,jk', [[2, 3], [3, 4]]>>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: operand 0 has rank 2 but 'ijk' names 3 dims" }>();
    expectTypeOf<EinsumShape<'...i,...i', [[5, 2, 3], [3, 3]]>>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: '...' dims of operand 1 not broadcastable at axis -1 (2 vs 3)" }>();
    expectTypeOf<EinsumShape<'...i->i', [[2, 3]]>>().toMatchTypeOf<{ readonly __shapeMismatch: "einsum: the operands have '...' dims but the output has no '...'" }>();
  });
});

describe('rearrange shapes', () => {
  test('splits, merges, permutations', () => {
    const split = rearrange(x, 'b s (h d) -> b h s d', { h: 8 });
    expectTypeOf(split).toEqualTypeOf<Tensor<['batch', 8, 'seq', 64]>>();
    expectTypeOf(rearrange(split, 'b h s d -> b s (h d)')).toEqualTypeOf<Tensor<['batch', 'seq', 512]>>();
    expectTypeOf(rearrange(heads, 'b h s d -> b s h d')).toEqualTypeOf<Tensor<['batch', 'seq', 8, 64]>>();
    expectTypeOf(rearrange(x10, 'b s (h d) -> (b h) s d', { d: 64 })).toEqualTypeOf<Tensor<[16, 10, 64]>>();
    expectTypeOf(rearrange(img, 'b h w c -> b (h w c)')).toEqualTypeOf<Tensor<['batch', 2352]>>();
    expectTypeOf(rearrange(img, 'b (h p) (w q) c -> b h w (p q c)', { p: 2, q: 2 })).toEqualTypeOf<Tensor<['batch', 14, 14, 12]>>();
    expectTypeOf(rearrange(ids, 'a b -> b a')).toEqualTypeOf<Tensor<[6, 2], 'int32'>>();
    expectTypeOf(rearrange(a, 'i j -> i () j')).toEqualTypeOf<Tensor<[2, 1, 3]>>();
  });
  test('a merge of symbolic dims is a dynamic dim', () => {
    expectTypeOf(rearrange(x, 'b s d -> (b s) d')).toEqualTypeOf<Tensor<[number, 512]>>();
  });
  test('mistakes fail at the pattern', () => {
    // @ts-expect-error 'h d' groups 512 but h = 6 does not divide it
    rearrange(x, 'b s (h d) -> b h s d', { h: 6 });
    // @ts-expect-error 'h d' groups 512 but h*d = 64
    rearrange(x, 'b s (h d) -> b h s d', { h: 8, d: 8 });
    // @ts-expect-error cannot infer both sizes of a group
    rearrange(x, 'b s (h d) -> b h s d');
    // @ts-expect-error unknown name on the right
    rearrange(x, 'b s (h d) -> b h s z', { h: 8 });
    // @ts-expect-error name dropped on the right
    rearrange(x, 'b s (h d) -> b h d', { h: 8 });
    // @ts-expect-error duplicated name
    rearrange(x, 'b b (h d) -> b h d', { h: 8 });
    // @ts-expect-error rank differs
    rearrange(x, 'b (h d) -> b h d', { h: 8 });
    // @ts-expect-error a size for a name that is not in the pattern
    rearrange(x, 'b s (h d) -> b h s d', { h: 8, q: 2 });
  });
  test('the messages', () => {
    type P = Parameters<typeof rearrange<['batch', 'seq', 512], 'b s (h d) -> b h s d', { h: 6 }>>[1];
    expectTypeOf<P>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'h d' groups 512 but h = 6 does not divide it" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b (h d) -> b h d', { h: 8; d: 8 }>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'h d' groups 512 but h*d = 64" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b (h d) -> b h d', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: cannot infer both 'h' and 'd' in '(h d)'; give all sizes but one" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b d -> b z', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'z' is on the right but not the left" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b d -> b', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'd' is on the left but not the right" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b b -> b', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'b' appears twice on the left" }>();
    expectTypeOf<RearrangeShape<[2, 512, 3], 'b d -> d b', {}>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'b d' names 2 dims but x has rank 3" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b d -> d b', { q: 2 }>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: size given for 'q', which is not in the pattern" }>();
    expectTypeOf<RearrangeShape<[2, 512], 'b d -> d b', { d: 5 }>>().toMatchTypeOf<{ readonly __shapeMismatch: "rearrange: 'd' is 512 in x but given as 5" }>();
  });
});
