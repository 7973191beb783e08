import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import {
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  maxPool1d,
  maxPool2d,
} from '../src/ops/conv';

declare const img: Tensor<['batch', 224, 224, 3]>;
declare const w7: Tensor<[7, 7, 3, 64]>;
declare const mnist: Tensor<[32, 28, 28, 1]>;
declare const w3: Tensor<[3, 3, 1, 32]>;
declare const wBadCin: Tensor<[3, 3, 4, 32]>;
declare const w5: Tensor<[5, 5, 1, 8]>;
declare const small: Tensor<[1, 4, 4, 1]>;
declare const w3x3: Tensor<[3, 3, 1, 2]>;
declare const dyn: Tensor<[number, number, number, 3]>;
declare const seq: Tensor<['batch', 100, 8]>;
declare const seqSym: Tensor<['batch', 'time', 8]>;
declare const k3: Tensor<[3, 8, 16]>;
declare const k3bad: Tensor<[3, 4, 16]>;
declare const short: Tensor<['batch', 4, 8]>;
declare const fmap: Tensor<['batch', 32, 32, 16]>;
declare const odd: Tensor<[2, 7, 9, 4]>;

describe('conv2d types', () => {
  it('exact output shapes: symbolic batch, large sizes, strides, same/valid, dilation, explicit pads', () => {
    expectTypeOf(conv2d(img, w7, { strides: 2, padding: 'same' })).toEqualTypeOf<Tensor<['batch', 112, 112, 64]>>();
    expectTypeOf(conv2d(mnist, w3)).toEqualTypeOf<Tensor<[32, 26, 26, 32]>>();
    expectTypeOf(conv2d(mnist, w3, { padding: 'same' })).toEqualTypeOf<Tensor<[32, 28, 28, 32]>>();
    expectTypeOf(conv2d(mnist, w3, { strides: [2, 3] })).toEqualTypeOf<Tensor<[32, 13, 9, 32]>>();
    expectTypeOf(conv2d(mnist, w3, { dilation: 2 })).toEqualTypeOf<Tensor<[32, 24, 24, 32]>>();
    expectTypeOf(conv2d(mnist, w3, { padding: 1 })).toEqualTypeOf<Tensor<[32, 28, 28, 32]>>();
    expectTypeOf(conv2d(mnist, w3, { padding: [1, 0] })).toEqualTypeOf<Tensor<[32, 28, 26, 32]>>();
    expectTypeOf(conv2d(mnist, w3, { padding: [[2, 0], [0, 0]], strides: 2 })).toEqualTypeOf<Tensor<[32, 14, 13, 32]>>();
    expectTypeOf(conv2d(small, w3x3, { padding: 'same', strides: 3 })).toEqualTypeOf<Tensor<[1, 2, 2, 2]>>();
    // dynamic spatial dims give number; the channel check still runs on the literal 3
    expectTypeOf(conv2d(dyn, w7)).toEqualTypeOf<Tensor<[number, number, number, 64]>>();
  });

  it('rejects each way to get it wrong, on the filter argument', () => {
    // @ts-expect-error filter Cin (4) differs from x's channels (1)
    conv2d(mnist, wBadCin);
    // @ts-expect-error kernel 5 larger than input 4 with 'valid'
    conv2d(small, w5);
    // @ts-expect-error dilated kernel 3 → 5 larger than input 4
    conv2d(small, w3x3, { dilation: 2 });
    // @ts-expect-error asymmetric padding still too small: 4 + 0 + 0 < 5
    conv2d(small, w5, { padding: [[0, 0], [1, 0]] });
    // @ts-expect-error the filter must be rank 4
    conv2d(mnist, k3);
    // @ts-expect-error stride 0
    conv2d(mnist, w3, { strides: 0 });
  });
});

describe('conv1d types', () => {
  it('exact output shapes (valid, same, causal, dilation, stride, symbolic length)', () => {
    expectTypeOf(conv1d(seq, k3)).toEqualTypeOf<Tensor<['batch', 98, 16]>>();
    expectTypeOf(conv1d(seq, k3, { padding: 'causal', dilation: 4 })).toEqualTypeOf<Tensor<['batch', 100, 16]>>();
    expectTypeOf(conv1d(seq, k3, { padding: 'same', strides: 3 })).toEqualTypeOf<Tensor<['batch', 34, 16]>>();
    expectTypeOf(conv1d(seq, k3, { dilation: 2 })).toEqualTypeOf<Tensor<['batch', 96, 16]>>();
    expectTypeOf(conv1d(seqSym, k3, { padding: 'causal' })).toEqualTypeOf<Tensor<['batch', 'time', 16]>>();
    expectTypeOf(conv1d(seqSym, k3)).toEqualTypeOf<Tensor<['batch', number, 16]>>();
  });

  it('rejects mismatches', () => {
    // @ts-expect-error filter Cin 4 vs input channels 8
    conv1d(seq, k3bad);
    // @ts-expect-error dilated kernel 3 → 5 larger than input length 4
    conv1d(short, k3, { dilation: 2 });
    // @ts-expect-error a 2-D filter
    conv1d(seq, w3);
    // @ts-expect-error the option is spelt `strides` (TS: "Did you mean to write 'strides'?")
    conv1d(seq, k3, { stride: 2 });
    // @ts-expect-error the same spelling for the 1-D pools
    maxPool1d(seq, { poolSize: 2, stride: 2 });
  });
});

describe('pooling types', () => {
  it('exact output shapes; strides default to the pool size', () => {
    expectTypeOf(maxPool2d(fmap)).toEqualTypeOf<Tensor<['batch', 16, 16, 16]>>();
    expectTypeOf(maxPool2d(fmap, { poolSize: 3, strides: 2 })).toEqualTypeOf<Tensor<['batch', 15, 15, 16]>>();
    expectTypeOf(avgPool2d(odd, { poolSize: 3, strides: 2, padding: 'same' })).toEqualTypeOf<Tensor<[2, 4, 5, 4]>>();
    expectTypeOf(avgPool2d(odd, { poolSize: [2, 3] })).toEqualTypeOf<Tensor<[2, 3, 3, 4]>>();
    expectTypeOf(maxPool2d(img, { poolSize: 2, padding: 'same' })).toEqualTypeOf<Tensor<['batch', 112, 112, 3]>>();
    expectTypeOf(maxPool1d(seq, { poolSize: 3 })).toEqualTypeOf<Tensor<['batch', 33, 8]>>();
    expectTypeOf(avgPool1d(seq, { poolSize: 4, strides: 1, padding: 'same' })).toEqualTypeOf<Tensor<['batch', 100, 8]>>();
    expectTypeOf(globalMaxPool2d(fmap)).toEqualTypeOf<Tensor<['batch', 16]>>();
    expectTypeOf(globalAvgPool2d(odd)).toEqualTypeOf<Tensor<[2, 4]>>();
    expectTypeOf(globalMaxPool1d(seq)).toEqualTypeOf<Tensor<['batch', 8]>>();
    expectTypeOf(globalAvgPool1d(seqSym)).toEqualTypeOf<Tensor<['batch', 8]>>();
  });

  it('rejects bad pools', () => {
    // @ts-expect-error window 5 larger than input height 4
    maxPool2d(small, { poolSize: 5 });
    // @ts-expect-error pooling needs rank 4
    avgPool2d(seq);
    // @ts-expect-error window 5 larger than input length 4
    maxPool1d(short, { poolSize: 5 });
    // @ts-expect-error global 2-D pool on a rank-3 tensor
    globalMaxPool2d(seq);
    // @ts-expect-error global 1-D pool on a rank-4 tensor
    globalAvgPool1d(fmap);
  });
});
