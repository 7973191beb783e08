import { expectTypeOf, test } from 'vitest';
import { digitsModel } from '../src/examples/cnn-digits';
import { mnistModel } from '../src/examples/cnn-mnist';
import type { ShapesOf } from '../src/nn/sequential';
import type { Tensor } from '../src/tensor/tensor';

declare const digitBatch: Tensor<[number, 8, 8, 1]>;
declare const mnistBatch: Tensor<[32, 28, 28, 1]>;

test("cnn-digits: 'same' padding keeps 8x8, pooling halves it, channels 1 → 16 → 32", () => {
  type S = typeof digitsModel extends { layers: infer Ls extends readonly unknown[] } ? ShapesOf<['batch', 8, 8, 1], Ls> : never;
  expectTypeOf<S>().toEqualTypeOf<[['batch', 8, 8, 1], ['batch', 8, 8, 16], ['batch', 4, 4, 16], ['batch', 4, 4, 32], ['batch', 512], ['batch', 10]]>();
  expectTypeOf(digitsModel.apply(null as unknown as ReturnType<typeof digitsModel.init>, digitBatch)).toEqualTypeOf<Tensor<[number, 10]>>();
  type P = ReturnType<typeof digitsModel.init>;
  expectTypeOf<P[0]['kernel']>().toEqualTypeOf<Tensor<[3, 3, 1, 16]>>();
  expectTypeOf<P[2]['kernel']>().toEqualTypeOf<Tensor<[3, 3, 16, 32]>>();
  expectTypeOf<P[4]['kernel']>().toEqualTypeOf<Tensor<[512, 10]>>();
});

test("cnn-mnist: 'valid' padding trims a border per conv, pooling floors, channels 1 → 16 → 32", () => {
  type S = typeof mnistModel extends { layers: infer Ls extends readonly unknown[] } ? ShapesOf<['batch', 28, 28, 1], Ls> : never;
  expectTypeOf<S>().toEqualTypeOf<[['batch', 28, 28, 1], ['batch', 26, 26, 16], ['batch', 13, 13, 16], ['batch', 11, 11, 32], ['batch', 5, 5, 32], ['batch', 800], ['batch', 10]]>();
  expectTypeOf(mnistModel.apply(null as unknown as ReturnType<typeof mnistModel.init>, mnistBatch)).toEqualTypeOf<Tensor<[32, 10]>>();
  type P = ReturnType<typeof mnistModel.init>;
  expectTypeOf<P[2]['kernel']>().toEqualTypeOf<Tensor<[3, 3, 16, 32]>>();
  expectTypeOf<P[5]['kernel']>().toEqualTypeOf<Tensor<[800, 10]>>();
  // a 28x28 model refuses 8x8 digits
  // @ts-expect-error model input: dim 1 differs
  mnistModel.apply(null as unknown as P, digitBatch);
});
