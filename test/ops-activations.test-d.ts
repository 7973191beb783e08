import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import type { Dim } from '../src/shape/dims';
import { elu, gelu, leakyRelu, logSoftmax, logSumExp, relu, sigmoid, softmax, softplus, tanh } from '../src/ops/activations';

declare const x: Tensor<['batch', 10, 32]>;
declare const logits: Tensor<[64, 50257]>;
declare const s: Tensor<[]>;
declare const ids: Tensor<['batch', 10], 'int32'>;
declare const unknownRank: Tensor<Dim[]>;
declare const dynAxis: number;

describe('point-wise activations keep the shape', () => {
  it('every activation returns its input shape', () => {
    expectTypeOf(sigmoid(x)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(tanh(x)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(relu(logits)).toEqualTypeOf<Tensor<[64, 50257]>>();
    expectTypeOf(leakyRelu(x)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(leakyRelu(x, 0.01)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(elu(x, 0.5)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(gelu(s)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(softplus(unknownRank)).toEqualTypeOf<Tensor<Dim[]>>();
  });

  it('rejects non-float tensors', () => {
    // @ts-expect-error int32 ids are not float32
    sigmoid(ids);
    // @ts-expect-error int32 ids are not float32
    gelu(ids);
  });
});

describe('softmax / logSoftmax', () => {
  it('keep the shape for any in-range axis, default -1', () => {
    expectTypeOf(softmax(x)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(softmax(x, 1)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(softmax(x, -3)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(logSoftmax(logits)).toEqualTypeOf<Tensor<[64, 50257]>>();
    expectTypeOf(logSoftmax(logits, 0)).toEqualTypeOf<Tensor<[64, 50257]>>();
    // a dynamic axis is checked at run time
    expectTypeOf(softmax(x, dynAxis)).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
  });

  it('rejects out-of-range axes and rank-0 input', () => {
    // @ts-expect-error axis 3 is out of range for rank 3
    softmax(x, 3);
    // @ts-expect-error axis -4 is out of range for rank 3
    softmax(x, -4);
    // @ts-expect-error axis 2 is out of range for rank 2
    logSoftmax(logits, 2);
    // @ts-expect-error a scalar has no axis -1
    softmax(s);
    // @ts-expect-error a scalar has no axis -1
    logSoftmax(s);
  });
});

describe('logSumExp', () => {
  it('reduces like the other reductions', () => {
    expectTypeOf(logSumExp(x)).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(logSumExp(x, -1)).toEqualTypeOf<Tensor<['batch', 10]>>();
    expectTypeOf(logSumExp(x, [0, 2], true)).toEqualTypeOf<Tensor<[1, 10, 1]>>();
    expectTypeOf(logSumExp(x, [])).toEqualTypeOf<Tensor<['batch', 10, 32]>>();
    expectTypeOf(logSumExp(logits, 1, true)).toEqualTypeOf<Tensor<[64, 1]>>();
    expectTypeOf(logSumExp(x, undefined, true)).toEqualTypeOf<Tensor<[1, 1, 1]>>();
  });

  it('rejects bad axes; the result is a wide tensor, not never', () => {
    // @ts-expect-error axis 3 is out of range for rank 3
    const bad = logSumExp(x, 3);
    expectTypeOf(bad).toEqualTypeOf<Tensor<Dim[]>>();
    // @ts-expect-error axis 1 repeated (as -2)
    logSumExp(x, [1, -2]);
  });
});
