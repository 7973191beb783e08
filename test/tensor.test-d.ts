import { describe, expectTypeOf, it } from 'vitest';
import { either as E } from 'fp-ts';
import type { Tensor } from '../src/tensor/tensor';
import { tensor, zeros, arange, eye, fromData, scalar } from '../src/tensor/create';
import { randomNormal } from '../src/tensor/random';
import type { Key } from '../src/random';
import type { ShapeError } from '../src/shape/dims';

declare const k: Key;
declare const t: Tensor<['batch', 28, 28]>;

describe('constructor types', () => {
  it('infer shapes from literals', () => {
    expectTypeOf(tensor([[1, 2, 3], [4, 5, 6]])).toEqualTypeOf<Tensor<[2, 3]>>();
    expectTypeOf(tensor([true, false])).toEqualTypeOf<Tensor<[2], 'bool'>>();
    expectTypeOf(tensor([1, 2], 'int32')).toEqualTypeOf<Tensor<[2], 'int32'>>();
    expectTypeOf(scalar(1)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(zeros([32, 784])).toEqualTypeOf<Tensor<[32, 784]>>();
    expectTypeOf(randomNormal(k, [4096, 4096])).toEqualTypeOf<Tensor<[4096, 4096]>>();
    expectTypeOf(arange(5)).toEqualTypeOf<Tensor<[5]>>();
    expectTypeOf(eye(3)).toEqualTypeOf<Tensor<[3, 3]>>();
  });

  it('narrow outside data through Either', () => {
    expectTypeOf(fromData([[1, 2]] as unknown, ['batch', 2])).toEqualTypeOf<E.Either<ShapeError, Tensor<['batch', 2]>>>();
  });

  it('shape is typed per dim; symbolic dims read as number', () => {
    expectTypeOf(t.shape[1]).toEqualTypeOf<28>();
    expectTypeOf(t.shape[0]).toEqualTypeOf<number>();
    expectTypeOf(t.toArray()).toEqualTypeOf<number[][][]>();
  });

  it('keeps tensors of different shapes apart', () => {
    const a = zeros([2, 3]);
    // @ts-expect-error a [2, 3] tensor is not a [3, 2] tensor
    const b: Tensor<[3, 2]> = a;
    // @ts-expect-error symbolic dims are not literals
    const c: Tensor<[32, 3]> = zeros([2, 3]) as Tensor<['batch', 3]>;
    void b;
    void c;
  });
});
