import fc from 'fast-check';
import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import { arbTensor, arbTensorFor, arbTensorsLike, type TensorsFor } from '../src/testing';
import { matmul } from '../src/ops/linalg';
import { dense } from '../src/nn/layers/core';
import { initLayer, applyLayer } from '../src/nn/layer';
import { key } from '../src/random';

describe('typed tensor arbitraries', () => {
  it('arbTensor gives the exact tensor type of its shape', () => {
    expectTypeOf(arbTensor([2, 3])).toEqualTypeOf<fc.Arbitrary<Tensor<[2, 3]>>>();
    expectTypeOf(arbTensor([])).toEqualTypeOf<fc.Arbitrary<Tensor<[]>>>();
    const dynamic: number[] = [4];
    expectTypeOf(arbTensor(dynamic)).toEqualTypeOf<fc.Arbitrary<Tensor<number[]>>>();
  });

  it('arbTensorFor maps tuples and records of shapes to tensors', () => {
    expectTypeOf(arbTensorFor([[2, 3], [3]])).toEqualTypeOf<fc.Arbitrary<[Tensor<[2, 3]>, Tensor<[3]>]>>();
    expectTypeOf(arbTensorFor({ w: [3, 4], b: [4], nested: { s: [] } })).toEqualTypeOf<
      fc.Arbitrary<{ w: Tensor<[3, 4]>; b: Tensor<[4]>; nested: { s: Tensor<[]> } }>
    >();
    expectTypeOf<TensorsFor<readonly [readonly [5]]>>().toEqualTypeOf<[Tensor<[5]>]>();
  });

  it('arbTensorsLike keeps the type of the tree it is given', () => {
    const d = dense(3);
    const p = initLayer(d, key(0), [4]);
    expectTypeOf(arbTensorsLike(p)).toEqualTypeOf<fc.Arbitrary<typeof p>>();
  });

  it('the values typecheck against shape-checked ops without casts', () => {
    fc.property(arbTensorFor([[2, 3], [3, 5]]), ([a, b]) => {
      expectTypeOf(matmul(a, b)).toEqualTypeOf<Tensor<[2, 5]>>();
    });
    fc.property(arbTensor([2, 3]), arbTensor([4, 5]), (a, b) => {
      // @ts-expect-error inner dims differ (3 vs 4)
      matmul(a, b);
    });
    const d = dense(3);
    fc.property(arbTensorsLike(initLayer(d, key(0), [4])), arbTensor([2, 4]), (p, x) => {
      expectTypeOf(applyLayer(d, p, x)).toEqualTypeOf<Tensor<[2, 3]>>();
    });
  });
});
