import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { Dim } from '../src/shape/dims';
import { argmax, argmin, max, mean, min, norm, prod, sum, variance } from '../src/ops/reduce';

declare const x: Tensor<['batch', 10, 32]>;
declare const logits: Tensor<[64, 50257]>;
declare const s: Tensor<[]>;
declare const ids: Tensor<['batch', 10], 'int32'>;
declare const dynAxis: number;

describe('reductions: exact output shapes', () => {
  it('mean over one axis, with and without keepDims', () => {
    expectTypeOf(mean(x, [1])).toEqualTypeOf<Tensor<['batch', 32]>>();
    expectTypeOf(mean(x, [1], true)).toEqualTypeOf<Tensor<['batch', 1, 32]>>();
    expectTypeOf(mean(x, 1)).toEqualTypeOf<Tensor<['batch', 32]>>();
    expectTypeOf(mean(x, -1)).toEqualTypeOf<Tensor<['batch', 10]>>();
  });

  it('all axes by default; several axes in any order, negative included; [] reduces nothing', () => {
    expectTypeOf(mean(x)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(mean(x, undefined, true)).toEqualTypeOf<Tensor<[1, 1, 1]>>();
    expectTypeOf(max(x, [-1, 0])).toEqualTypeOf<Tensor<[10]>>();
    expectTypeOf(min(x, [2, 0], true)).toEqualTypeOf<Tensor<[1, 10, 1]>>();
    expectTypeOf(prod(x, [])).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(variance(x, [0, 1])).toEqualTypeOf<Tensor<[32]>>();
    expectTypeOf(norm(x, -2, true)).toEqualTypeOf<Tensor<['batch', 1, 32]>>();
    expectTypeOf(sum(x, 0)).toEqualTypeOf<Tensor<[10, 32]>>();
    expectTypeOf(mean(s)).toEqualTypeOf<Tensor<[]>>();
  });

  it('large sizes', () => {
    expectTypeOf(mean(logits, 1, true)).toEqualTypeOf<Tensor<[64, 1]>>();
    expectTypeOf(max(logits, 0)).toEqualTypeOf<Tensor<[50257]>>();
  });

  it('a dynamic axis gives a wide shape (checked at run time)', () => {
    expectTypeOf(mean(x, dynAxis)).toEqualTypeOf<Tensor<Dim[]>>();
  });

  it('rejects out-of-range and repeated axes; the result is wide, not never', () => {
    // @ts-expect-error axis 3 is out of range for rank 3
    const bad = mean(x, 3);
    expectTypeOf(bad).toEqualTypeOf<Tensor<Dim[]>>();
    // @ts-expect-error axis -4 is out of range for rank 3
    max(x, [-4]);
    // @ts-expect-error 0 and -3 are the same axis
    min(x, [0, -3]);
    // @ts-expect-error axis 2 is out of range for rank 2
    variance(logits, [0, 2], true);
    // @ts-expect-error a scalar has no axis 0
    norm(s, 0);
    // @ts-expect-error int32 ids are not float32
    mean(ids);
  });
});

describe('argmax / argmin', () => {
  it('int32 output with the axis removed; default axis -1', () => {
    expectTypeOf(argmax(x)).toEqualTypeOf<Tensor<['batch', 10], 'int32'>>();
    expectTypeOf(argmax(x, 1)).toEqualTypeOf<Tensor<['batch', 32], 'int32'>>();
    expectTypeOf(argmin(x, -3)).toEqualTypeOf<Tensor<[10, 32], 'int32'>>();
    expectTypeOf(argmax(logits)).toEqualTypeOf<Tensor<[64], 'int32'>>();
  });

  it('rejects out-of-range axes, axis lists and scalars', () => {
    // @ts-expect-error axis 3 is out of range for rank 3
    argmax(x, 3);
    // @ts-expect-error axis -3 is out of range for rank 2
    argmin(logits, -3);
    // @ts-expect-error a single axis only
    argmax(x, [0]);
    // @ts-expect-error a scalar has no axis -1
    argmax(s);
  });
});
