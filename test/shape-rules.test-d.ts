import { describe, expectTypeOf, test } from 'vitest';
import type { Dim, Shape, ShapeMismatch } from '../src/shape/dims';
import type {
  Axis,
  BroadcastShape,
  Check,
  ConcatShape,
  Conv1dShape,
  Conv2dShape,
  ConvOutSize,
  FlattenShape,
  MatmulShape,
  Padding,
  Padding2d,
  Pool1dShape,
  Pool2dShape,
  Rank,
  ReduceShape,
  ReshapeShape,
  Result,
  SliceShape,
  SplitDimShape,
  SplitShape,
  SqueezeShape,
  StackShape,
  TransposeShape,
  UnsqueezeShape,
} from '../src/shape/rules';

// A minimal stand-in for the real Tensor class (src/tensor/), enough to exercise the call-site
// pattern every op uses: Check<R> on the offending parameter, Result<R> in the return type.
declare class Tensor<S extends Shape> {
  readonly shape: S;
}

declare function add<const A extends Shape, const B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & Check<BroadcastShape<A, B>>,
): Tensor<Result<BroadcastShape<A, B>>>;
declare function matmul<const A extends Shape, const B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & Check<MatmulShape<A, B>>,
): Tensor<Result<MatmulShape<A, B>>>;
declare function reshape<const S extends Shape, const T extends Shape>(
  x: Tensor<S>,
  shape: T & Check<ReshapeShape<S, T>>,
): Tensor<Result<ReshapeShape<S, T>>>;
declare function flatten<const S extends Shape, const A extends number = 1>(
  x: Tensor<S>,
  startAxis?: A & Check<FlattenShape<S, A>>,
): Tensor<Result<FlattenShape<S, A>>>;
declare function transpose<const S extends Shape, const P extends readonly number[] | undefined = undefined>(
  x: Tensor<S>,
  perm?: P & Check<TransposeShape<S, P>>,
): Tensor<Result<TransposeShape<S, P>>>;
declare function squeeze<const S extends Shape, const A extends number | readonly number[] | undefined = undefined>(
  x: Tensor<S>,
  axes?: A & Check<SqueezeShape<S, A>>,
): Tensor<Result<SqueezeShape<S, A>>>;
declare function unsqueeze<const S extends Shape, const A extends number>(
  x: Tensor<S>,
  axis: A & Check<UnsqueezeShape<S, A>>,
): Tensor<Result<UnsqueezeShape<S, A>>>;
declare function concat<const Ss extends readonly Shape[], const A extends number = 0>(
  xs: { readonly [K in keyof Ss]: Tensor<Ss[K]> } & Check<ConcatShape<Ss, A>>,
  axis?: A,
): Tensor<Result<ConcatShape<Ss, A>>>;
declare function stack<const Ss extends readonly Shape[], const A extends number = 0>(
  xs: { readonly [K in keyof Ss]: Tensor<Ss[K]> } & Check<StackShape<Ss, A>>,
  axis?: A,
): Tensor<Result<StackShape<Ss, A>>>;
declare function slice<const S extends Shape, const B extends readonly number[], const Z extends readonly number[] = []>(
  x: Tensor<S>,
  begin: B & Check<SliceShape<S, B, Z>>,
  size?: Z,
): Tensor<Result<SliceShape<S, B, Z>>>;
declare function splitHeads<const S extends Shape, const H extends number>(
  x: Tensor<S>,
  heads: H & Check<SplitDimShape<S, -1, H>>,
): Tensor<Result<SplitDimShape<S, -1, H>>>;
declare function split<const S extends Shape, const N extends number, const A extends number = 0>(
  x: Tensor<S>,
  n: N & Check<SplitShape<S, A, N>>,
  axis?: A,
): Tensor<Result<SplitShape<S, A, N>>>[];
declare function sum<const S extends Shape, const A extends readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axes?: A & Check<ReduceShape<S, A, K>>,
  keepDims?: K,
): Tensor<Result<ReduceShape<S, A, K>>>;
declare function conv2d<
  const S extends Shape,
  const K extends number | readonly [number, number],
  const F extends number,
  const St extends number | readonly [number, number] = 1,
  const P extends Padding2d = 'valid',
>(
  x: Tensor<S> & Check<Conv2dShape<S, K, F, St, P>>,
  opts: { kernelSize: K; filters: F; strides?: St; padding?: P },
): Tensor<Result<Conv2dShape<S, K, F, St, P>>>;
declare function maxPool2d<
  const S extends Shape,
  const K extends number | readonly [number, number],
  const St extends number | readonly [number, number] = K,
  const P extends Padding2d = 'valid',
>(
  x: Tensor<S> & Check<Pool2dShape<S, K, St, P>>,
  opts: { poolSize: K; strides?: St; padding?: P },
): Tensor<Result<Pool2dShape<S, K, St, P>>>;
declare function conv1d<
  const S extends Shape,
  const K extends number,
  const F extends number,
  const P extends Padding = 'valid',
  const D extends number = 1,
>(
  x: Tensor<S> & Check<Conv1dShape<S, K, F, 1, P, D>>,
  opts: { kernelSize: K; filters: F; padding?: P; dilation?: D },
): Tensor<Result<Conv1dShape<S, K, F, 1, P, D>>>;

declare class T<S extends Shape> {
  readonly shape: S;
}
declare function sameLoose<const N extends number>(a: T<[N]>, b: T<[N]>): N;
declare function same<const N extends number>(a: T<[N]>, b: T<[NoInfer<N>]>): N;

declare const x784: Tensor<['batch', 784]>;
declare const w784: Tensor<[784, 128]>;
declare const w128: Tensor<[128, 10]>;
declare const img: Tensor<['batch', 28, 28, 1]>;
declare const rgb: Tensor<['batch', 224, 224, 3]>;
declare const tokens: Tensor<['batch', 'seq', 512]>;
declare const anyRank: Tensor<Dim[]>;
declare const dyn: Tensor<[number, 784]>;

describe('broadcast', () => {
  test('NumPy rules with literals, symbols and dynamic dims', () => {
    expectTypeOf<BroadcastShape<[4096, 1], [1, 4096]>>().toEqualTypeOf<[4096, 4096]>();
    expectTypeOf<BroadcastShape<['batch', 1, 50257], [7, 1]>>().toEqualTypeOf<['batch', 7, 50257]>();
    expectTypeOf<BroadcastShape<['batch', 512], ['batch', 512]>>().toEqualTypeOf<['batch', 512]>();
    expectTypeOf<BroadcastShape<[1, 512], ['batch', 1]>>().toEqualTypeOf<['batch', 512]>();
    expectTypeOf<BroadcastShape<[], [224, 224]>>().toEqualTypeOf<[224, 224]>();
    expectTypeOf<BroadcastShape<[number, 3], [7, 1]>>().toEqualTypeOf<[7, 3]>();
    expectTypeOf<BroadcastShape<[number], [1]>>().toEqualTypeOf<[number]>();
    expectTypeOf<BroadcastShape<[number], ['batch']>>().toEqualTypeOf<['batch']>();
    expectTypeOf<BroadcastShape<Dim[], [3, 4]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<BroadcastShape<[3, 4], number[]>>().toEqualTypeOf<Dim[]>();
  });

  test('results are plain mutable tuples even for readonly inputs', () => {
    expectTypeOf<BroadcastShape<readonly [2, 3], readonly [3]>>().toEqualTypeOf<[2, 3]>();
    expectTypeOf(add(x784, x784)).toEqualTypeOf<Tensor<['batch', 784]>>();
  });

  test('mismatches name the axis and both dims', () => {
    expectTypeOf<BroadcastShape<[2, 3], [4]>>().toEqualTypeOf<
      ShapeMismatch<'broadcast: dims not broadcastable at axis -1 (3 vs 4)', [2, 3], [4]>
    >();
    expectTypeOf<BroadcastShape<['batch', 3], ['seq', 3]>>().toEqualTypeOf<
      ShapeMismatch<'broadcast: dims not broadcastable at axis -2 (batch vs seq)', ['batch', 3], ['seq', 3]>
    >();
    expectTypeOf<BroadcastShape<['batch'], [32]>>().toEqualTypeOf<
      ShapeMismatch<'broadcast: dims not broadcastable at axis -1 (batch vs 32)', ['batch'], [32]>
    >();
    // @ts-expect-error 784 vs 128
    add(x784, w784);
  });
});

describe('matmul', () => {
  test('shapes, batch broadcasting, dynamic and unknown rank', () => {
    expectTypeOf(matmul(x784, w784)).toEqualTypeOf<Tensor<['batch', 128]>>();
    expectTypeOf<MatmulShape<[4096, 4096], [4096, 50257]>>().toEqualTypeOf<[4096, 50257]>();
    expectTypeOf<MatmulShape<['b', 8, 'seq', 64], ['b', 8, 64, 'seq']>>().toEqualTypeOf<['b', 8, 'seq', 'seq']>();
    expectTypeOf<MatmulShape<[2, 1, 5, 6], [3, 6, 7]>>().toEqualTypeOf<[2, 3, 5, 7]>();
    expectTypeOf<MatmulShape<['batch', number], [784, 10]>>().toEqualTypeOf<['batch', 10]>();
    expectTypeOf(matmul(dyn, w784)).toEqualTypeOf<Tensor<[number, 128]>>();
    expectTypeOf(matmul(anyRank, w784)).toEqualTypeOf<Tensor<Dim[]>>();
  });

  test('the error is on the offending argument and carries rule and values', () => {
    expectTypeOf<MatmulShape<['batch', 784], [128, 10]>>().toEqualTypeOf<
      ShapeMismatch<'matmul: inner dims differ (784 vs 128)', ['batch', 784], [128, 10]>
    >();
    // the parameter's own type is the tensor intersected with exactly that mismatch
    expectTypeOf(matmul<['batch', 784], [128, 10]>)
      .parameter(1)
      .toEqualTypeOf<Tensor<[128, 10]> & ShapeMismatch<'matmul: inner dims differ (784 vs 128)', ['batch', 784], [128, 10]>>();
    // @ts-expect-error inner dims differ (784 vs 128)
    const bad = matmul(x784, w128);
    // a failed op yields a wide tensor, not never, so later lines do not pile up errors
    expectTypeOf(bad).toEqualTypeOf<Tensor<Dim[]>>();
    expectTypeOf(matmul(bad, w128)).toEqualTypeOf<Tensor<Dim[]>>();
  });

  test('rank-1 operands and batch clashes are rejected', () => {
    expectTypeOf<MatmulShape<[784], [784, 10]>>().toEqualTypeOf<
      ShapeMismatch<'matmul: operands need rank >= 2 (ranks 1 and 2)', [784], [784, 10]>
    >();
    expectTypeOf<MatmulShape<[2, 5, 6], [3, 6, 7]>>().toEqualTypeOf<
      ShapeMismatch<'matmul: batch dims not broadcastable at axis -3 (2 vs 3)', [2, 5, 6], [3, 6, 7]>
    >();
    // @ts-expect-error symbolic inner dims must be the same name
    matmul(tokens, {} as Tensor<['d', 64]>);
  });
});

describe('reshape and flatten', () => {
  test('sizes compared by digit arithmetic, -1 inferred, symbols kept', () => {
    expectTypeOf<ReshapeShape<['batch', 7, 7, 64], ['batch', 3136]>>().toEqualTypeOf<['batch', 3136]>();
    expectTypeOf<ReshapeShape<['batch', 7, 7, 64], ['batch', -1]>>().toEqualTypeOf<['batch', 3136]>();
    expectTypeOf<ReshapeShape<[5, 7], [35]>>().toEqualTypeOf<[35]>();
    expectTypeOf<ReshapeShape<[32, 224, 224, 3], [-1, 50176]>>().toEqualTypeOf<[96, 50176]>();
    expectTypeOf<ReshapeShape<[4096, 4096], [16, -1, 4096]>>().toEqualTypeOf<[16, 256, 4096]>();
    expectTypeOf<ReshapeShape<['b', 't', 512], ['b', 't', 8, 64]>>().toEqualTypeOf<['b', 't', 8, 64]>();
    expectTypeOf<ReshapeShape<['b', 't', 512], ['t', 'b', 512]>>().toEqualTypeOf<['t', 'b', 512]>();
    // symbols of the input missing from the target are absorbed by -1, which becomes dynamic
    expectTypeOf<ReshapeShape<['b', 't', 50257], [-1, 50257]>>().toEqualTypeOf<[number, 50257]>();
    expectTypeOf<ReshapeShape<[number, 784], [-1, 28, 28]>>().toEqualTypeOf<[number, 28, 28]>();
    expectTypeOf<ReshapeShape<Dim[], [-1, 28, 28]>>().toEqualTypeOf<[number, 28, 28]>();
    expectTypeOf<ReshapeShape<[5, 7], number[]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf(reshape(x784, ['batch', 28, 28])).toEqualTypeOf<Tensor<['batch', 28, 28]>>();
  });

  test('mismatches name both sizes', () => {
    expectTypeOf<ReshapeShape<[5, 7], [6, 6]>>().toEqualTypeOf<ShapeMismatch<'reshape: sizes differ (35 vs 36)', [5, 7], [6, 6]>>();
    expectTypeOf<ReshapeShape<['batch', 7, 7, 64], ['batch', 3137]>>().toEqualTypeOf<
      ShapeMismatch<'reshape: sizes differ (batch*3136 vs batch*3137)', ['batch', 7, 7, 64], ['batch', 3137]>
    >();
    expectTypeOf<ReshapeShape<['b', 512], ['t', 512]>>().toEqualTypeOf<
      ShapeMismatch<'reshape: sizes differ (b*512 vs t*512)', ['b', 512], ['t', 512]>
    >();
    expectTypeOf<ReshapeShape<[5, 7], [-1, 6]>>().toEqualTypeOf<
      ShapeMismatch<'reshape: cannot infer -1 (35 is not divisible by 6)', [5, 7], [-1, 6]>
    >();
    expectTypeOf<ReshapeShape<[5, 7], [-1, -1]>>().toEqualTypeOf<
      ShapeMismatch<'reshape: only one -1 allowed (2 found)', [5, 7], [-1, -1]>
    >();
    expectTypeOf<ReshapeShape<[5, 7], [-3, 7]>>().toEqualTypeOf<ShapeMismatch<'reshape: invalid target dim (-3)', [5, 7], [-3, 7]>>();
    // @ts-expect-error sizes differ (batch*784 vs batch*783)
    reshape(x784, ['batch', 27, 29]);
    // @ts-expect-error 784 is not divisible by 27 * 28
    reshape(x784, ['batch', -1, 27, 28]);
  });

  test('flatten keeps the leading dims', () => {
    expectTypeOf<FlattenShape<['batch', 7, 7, 64]>>().toEqualTypeOf<['batch', 3136]>();
    expectTypeOf<FlattenShape<[32, 224, 224, 3], 0>>().toEqualTypeOf<[4816896]>();
    expectTypeOf<FlattenShape<['b', 't', 8, 64], -2>>().toEqualTypeOf<['b', 't', 512]>();
    expectTypeOf<FlattenShape<['b', 't', 64]>>().toEqualTypeOf<['b', number]>();
    expectTypeOf<FlattenShape<Dim[]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf(flatten(img)).toEqualTypeOf<Tensor<['batch', 784]>>();
    // @ts-expect-error axis out of range (axis 4, rank 4)
    flatten(img, 4);
  });
});

describe('transpose, squeeze, unsqueeze', () => {
  test('transpose', () => {
    expectTypeOf<TransposeShape<['b', 224, 3]>>().toEqualTypeOf<[3, 224, 'b']>();
    expectTypeOf<TransposeShape<['b', 'h', 't', 64], [0, 2, 1, -1]>>().toEqualTypeOf<['b', 't', 'h', 64]>();
    expectTypeOf<TransposeShape<Dim[], [1, 0]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<TransposeShape<[2, 3], [0, 0]>>().toEqualTypeOf<ShapeMismatch<'transpose: perm repeats axis (0)', [2, 3], [0, 0]>>();
    expectTypeOf<TransposeShape<[2, 3], [1]>>().toEqualTypeOf<
      ShapeMismatch<'transpose: perm length differs from rank (1 vs 2)', [2, 3], [1]>
    >();
    expectTypeOf(transpose(w784, [1, 0])).toEqualTypeOf<Tensor<[128, 784]>>();
    // @ts-expect-error -3 is out of range for rank 2
    transpose(w784, [-3, 0]);
  });

  test('squeeze', () => {
    expectTypeOf<SqueezeShape<['b', 1, 4096, 1], [1, -1]>>().toEqualTypeOf<['b', 4096]>();
    expectTypeOf<SqueezeShape<[1, 50257, 1]>>().toEqualTypeOf<[50257]>();
    expectTypeOf<SqueezeShape<['b', 1]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<SqueezeShape<[number, 3], 0>>().toEqualTypeOf<[3]>();
    expectTypeOf<SqueezeShape<['b', 3], 0>>().toEqualTypeOf<
      ShapeMismatch<'squeeze: squeezed dim must be 1 (axis 0 has b)', ['b', 3], 0>
    >();
    expectTypeOf<SqueezeShape<[1, 3], [0, -2]>>().toEqualTypeOf<ShapeMismatch<'squeeze: axis repeated (0)', [1, 3], [0, -2]>>();
    // @ts-expect-error squeezed dim must be 1 (axis 1 has 784)
    squeeze(x784, 1);
  });

  test('unsqueeze', () => {
    expectTypeOf<UnsqueezeShape<['b', 784], 0>>().toEqualTypeOf<[1, 'b', 784]>();
    expectTypeOf<UnsqueezeShape<['b', 784], -1>>().toEqualTypeOf<['b', 784, 1]>();
    expectTypeOf<UnsqueezeShape<['b', 784], 2>>().toEqualTypeOf<['b', 784, 1]>();
    expectTypeOf<UnsqueezeShape<['b', 784], -3>>().toEqualTypeOf<[1, 'b', 784]>();
    expectTypeOf<UnsqueezeShape<Dim[], 0>>().toEqualTypeOf<Dim[]>();
    // @ts-expect-error axis out of range (axis 3, rank 2)
    unsqueeze(x784, 3);
  });
});

describe('concat and stack', () => {
  test('concat adds along the axis with digit arithmetic', () => {
    expectTypeOf<ConcatShape<[['b', 50257], ['b', 4096], ['b', 1]], -1>>().toEqualTypeOf<['b', 54354]>();
    expectTypeOf<ConcatShape<[[9999, 3], [1, 3]]>>().toEqualTypeOf<[10000, 3]>();
    expectTypeOf<ConcatShape<[['b', 3], ['b', 3]]>>().toEqualTypeOf<[number, 3]>();
    expectTypeOf<ConcatShape<[[number, 3], [2, number]], 1>>().toEqualTypeOf<[2, number]>();
    expectTypeOf<ConcatShape<Dim[][]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<ConcatShape<[[2, 3], Dim[]]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf(concat([x784, x784], -1)).toEqualTypeOf<Tensor<['batch', 1568]>>();
  });

  test('concat mismatches', () => {
    expectTypeOf<ConcatShape<[[2, 3], [2, 3], [2, 4]], 0>>().toEqualTypeOf<
      ShapeMismatch<'concat: dims differ at axis 1 (3 vs 4 at input 2)', [2, 3], [2, 4]>
    >();
    expectTypeOf<ConcatShape<[[2, 3], [2, 3, 1]]>>().toEqualTypeOf<
      ShapeMismatch<'concat: ranks differ (2 vs 3 at input 1)', [2, 3], [2, 3, 1]>
    >();
    expectTypeOf<ConcatShape<[]>>().toEqualTypeOf<ShapeMismatch<'concat: needs at least one input (0 given)', [], []>>();
    expectTypeOf<ConcatShape<[[2, 3]], 2>>().toEqualTypeOf<ShapeMismatch<'concat: axis out of range (axis 2, rank 2)', [2, 3], 2>>();
    // @ts-expect-error dims differ at axis 0 (batch vs 784 at input 1)
    concat([x784, w784], 1);
  });

  test('stack', () => {
    expectTypeOf<StackShape<[[224, 224], [224, 224], [224, 224]]>>().toEqualTypeOf<[3, 224, 224]>();
    expectTypeOf<StackShape<[['b', 64], ['b', 64]], -1>>().toEqualTypeOf<['b', 64, 2]>();
    expectTypeOf<StackShape<[['b', 64], [number, 64]], 1>>().toEqualTypeOf<['b', 2, 64]>();
    expectTypeOf<StackShape<[2, 3][]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<StackShape<[[2, 3], [2, 4]]>>().toEqualTypeOf<
      ShapeMismatch<'stack: dims differ at axis 1 (3 vs 4 at input 1)', [2, 3], [2, 4]>
    >();
    expectTypeOf<StackShape<[[2, 3]], 3>>().toEqualTypeOf<ShapeMismatch<'stack: axis out of range (axis 3, rank 2)', [2, 3], 3>>();
    expectTypeOf(stack([w784, w784], 2)).toEqualTypeOf<Tensor<[784, 128, 2]>>();
    // @ts-expect-error dims differ at axis 1 (784 vs 10 at input 1)
    stack([x784, {} as Tensor<['batch', 10]>]);
  });
});

describe('slice and split', () => {
  test('slice', () => {
    expectTypeOf<SliceShape<[50257, 768], [50000, 0], [257, -1]>>().toEqualTypeOf<[257, 768]>();
    expectTypeOf<SliceShape<[50257, 768], [1]>>().toEqualTypeOf<[50256, 768]>();
    expectTypeOf<SliceShape<['b', 't', 512], [0, 1], [-1, -1, 64]>>().toEqualTypeOf<['b', number, 64]>();
    expectTypeOf<SliceShape<[number, 10], [0, 0], [5, -1]>>().toEqualTypeOf<[5, 10]>();
    expectTypeOf<SliceShape<[10, 10], [10], [0]>>().toEqualTypeOf<[0, 10]>();
    expectTypeOf<SliceShape<Dim[], [1]>>().toEqualTypeOf<Dim[]>();
    // a dynamic begin skips the bounds check but not the size check
    expectTypeOf<SliceShape<[10, 20], [number, 0], [3, -1]>>().toEqualTypeOf<[3, 20]>();
    expectTypeOf<SliceShape<[10], [number], [-2]>>().toEqualTypeOf<
      ShapeMismatch<'slice: size must be >= 0 or -1 (-2 at axis 0)', [10], [[number], [-2]]>
    >();
    expectTypeOf<SliceShape<[224, 224], [0, 200], [-1, 25]>>().toEqualTypeOf<
      ShapeMismatch<'slice: begin + size exceeds dim (200 + 25 > 224 at axis 1)', [224, 224], [[0, 200], [-1, 25]]>
    >();
    expectTypeOf<SliceShape<[224], [225]>>().toEqualTypeOf<
      ShapeMismatch<'slice: begin out of range (225 > 224 at axis 0)', [224], [[225], []]>
    >();
    expectTypeOf<SliceShape<[224], [0, 0]>>().toEqualTypeOf<
      ShapeMismatch<'slice: more begin entries than rank (2 vs 1)', [224], [[0, 0], []]>
    >();
    expectTypeOf<SliceShape<[224], [0], [-2]>>().toEqualTypeOf<
      ShapeMismatch<'slice: size must be >= 0 or -1 (-2 at axis 0)', [224], [[0], [-2]]>
    >();
    // @ts-expect-error begin + size exceeds dim (700 + 100 > 784 at axis 1)
    slice(x784, [0, 700], [-1, 100]);
  });

  test('splitting a dim into heads', () => {
    expectTypeOf<SplitDimShape<['b', 't', 512], -1, 8>>().toEqualTypeOf<['b', 't', 8, 64]>();
    expectTypeOf<SplitDimShape<[4096, 4096], 0, 64>>().toEqualTypeOf<[64, 64, 4096]>();
    expectTypeOf<SplitDimShape<['b', 't'], 1, 4>>().toEqualTypeOf<['b', 4, number]>();
    expectTypeOf<SplitDimShape<['b', 't', 500], -1, 8>>().toEqualTypeOf<
      ShapeMismatch<'splitDim: parts do not divide dim (8 does not divide 500)', ['b', 't', 500], 8>
    >();
    expectTypeOf<SplitDimShape<['b', 500], -1, 0>>().toEqualTypeOf<ShapeMismatch<'splitDim: parts must be >= 1 (0)', ['b', 500], 0>>();
    expectTypeOf(splitHeads(tokens, 8)).toEqualTypeOf<Tensor<['batch', 'seq', 8, 64]>>();
    // @ts-expect-error 7 does not divide 512
    splitHeads(tokens, 7);
  });

  test('splitting into equal pieces', () => {
    expectTypeOf<SplitShape<['b', 't', 2304], -1, 3>>().toEqualTypeOf<['b', 't', 768]>();
    expectTypeOf<SplitShape<[10, 3], 0, 3>>().toEqualTypeOf<
      ShapeMismatch<'split: pieces do not divide dim (3 does not divide 10)', [10, 3], 3>
    >();
    expectTypeOf(split(w784, 4)).toEqualTypeOf<Tensor<[196, 128]>[]>();
    // @ts-expect-error 3 does not divide 784
    split(w784, 3);
  });
});

describe('reductions', () => {
  test('axes, keepDims, all', () => {
    expectTypeOf<ReduceShape<['b', 't', 50257], [-1]>>().toEqualTypeOf<['b', 't']>();
    expectTypeOf<ReduceShape<['b', 't', 50257], [-1], true>>().toEqualTypeOf<['b', 't', 1]>();
    expectTypeOf<ReduceShape<['b', 't', 50257], 1>>().toEqualTypeOf<['b', 50257]>();
    expectTypeOf<ReduceShape<['b', 't', 50257]>>().toEqualTypeOf<[]>();
    expectTypeOf<ReduceShape<['b', 't', 50257], undefined, true>>().toEqualTypeOf<[1, 1, 1]>();
    expectTypeOf<ReduceShape<['b', 't'], []>>().toEqualTypeOf<['b', 't']>();
    expectTypeOf<ReduceShape<Dim[], [0]>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<ReduceShape<Dim[]>>().toEqualTypeOf<[]>();
    expectTypeOf<ReduceShape<['b', 't'], [0, -2]>>().toEqualTypeOf<ShapeMismatch<'reduce: axis repeated (0)', ['b', 't'], [0, -2]>>();
    expectTypeOf<ReduceShape<['b', 't'], [2]>>().toEqualTypeOf<ShapeMismatch<'reduce: axis out of range (axis 2, rank 2)', ['b', 't'], [2]>>();
    expectTypeOf(sum(x784, [1], true)).toEqualTypeOf<Tensor<['batch', 1]>>();
    // @ts-expect-error axis out of range (axis -3, rank 2)
    sum(x784, [-3]);
  });
});

describe('convolution and pooling', () => {
  test('ConvOutSize for every padding mode', () => {
    expectTypeOf<ConvOutSize<224, 7, 2>>().toEqualTypeOf<109>();
    expectTypeOf<ConvOutSize<224, 7, 2, 1, 'same'>>().toEqualTypeOf<112>();
    expectTypeOf<ConvOutSize<224, 7, 2, 1, 3>>().toEqualTypeOf<112>();
    expectTypeOf<ConvOutSize<50257, 5, 3, 2, 'valid'>>().toEqualTypeOf<16750>();
    expectTypeOf<ConvOutSize<1000, 3, 1, 4, 'causal'>>().toEqualTypeOf<1000>();
    expectTypeOf<ConvOutSize<3, 3>>().toEqualTypeOf<1>();
    expectTypeOf<ConvOutSize<'seq', 3>>().toEqualTypeOf<number>();
    expectTypeOf<ConvOutSize<number, 3, 2, 1, 'same'>>().toEqualTypeOf<number>();
    expectTypeOf<ConvOutSize<3, 5>>().toEqualTypeOf<
      ShapeMismatch<"conv: kernel 5 (dilated 5) larger than input 3 with padding 'valid'", 3, 5>
    >();
    expectTypeOf<ConvOutSize<8, 3, 1, 4>>().toEqualTypeOf<
      ShapeMismatch<"conv: kernel 3 (dilated 9) larger than input 8 with padding 'valid'", 8, 3>
    >();
    expectTypeOf<ConvOutSize<2, 7, 1, 1, 2>>().toEqualTypeOf<
      ShapeMismatch<'conv: kernel 7 (dilated 7) larger than input 2 with padding 2', 2, 7>
    >();
    expectTypeOf<ConvOutSize<8, 3, 0>>().toEqualTypeOf<ShapeMismatch<'conv: stride must be >= 1 (0)', 8, 3>>();
  });

  test('conv2d / pool2d over NHWC', () => {
    expectTypeOf(conv2d(img, { kernelSize: 3, filters: 32 })).toEqualTypeOf<Tensor<['batch', 26, 26, 32]>>();
    expectTypeOf(conv2d(rgb, { kernelSize: 7, filters: 64, strides: 2, padding: 'same' })).toEqualTypeOf<
      Tensor<['batch', 112, 112, 64]>
    >();
    expectTypeOf<Conv2dShape<[1, 224, 224, 3], [3, 5], 16, [1, 2], [1, 2], [2, 1]>>().toEqualTypeOf<[1, 222, 112, 16]>();
    expectTypeOf<Conv2dShape<['b', number, 64, 3], 3, 8>>().toEqualTypeOf<['b', number, 62, 8]>();
    expectTypeOf<Conv2dShape<Dim[], 3, 8>>().toEqualTypeOf<Dim[]>();
    expectTypeOf<Pool2dShape<['b', 26, 26, 32], 2>>().toEqualTypeOf<['b', 13, 13, 32]>();
    expectTypeOf<Pool2dShape<['b', 112, 112, 64], 3, 2, 'same'>>().toEqualTypeOf<['b', 56, 56, 64]>();
    expectTypeOf<Pool2dShape<['b', 7, 7, 512], [7, 7]>>().toEqualTypeOf<['b', 1, 1, 512]>();
    expectTypeOf<Conv2dShape<['b', 28, 28], 3, 8>>().toEqualTypeOf<
      ShapeMismatch<'conv2d: input must be [batch, height, width, channels] (rank 3)', 4, ['b', 28, 28]>
    >();
    expectTypeOf<Pool2dShape<['b', 26, 1, 32], 2>>().toEqualTypeOf<
      ShapeMismatch<"pool2d: window 2 larger than input width 1 with padding 'valid'", ['b', 26, 1, 32], 2>
    >();
    // @ts-expect-error kernel 30 (dilated 30) larger than input height 28
    conv2d(img, { kernelSize: 30, filters: 8 });
    // @ts-expect-error a rank-2 input is not NHWC
    conv2d(x784, { kernelSize: 3, filters: 8 });
    // @ts-expect-error causal padding is 1-D only
    conv2d(img, { kernelSize: 3, filters: 8, padding: 'causal' });
    // @ts-expect-error window 29 larger than input height 28
    maxPool2d(img, { poolSize: 29 });
  });

  test('conv1d / pool1d', () => {
    expectTypeOf(conv1d(tokens, { kernelSize: 3, filters: 64, padding: 'causal', dilation: 4 })).toEqualTypeOf<
      Tensor<['batch', 'seq', 64]>
    >();
    expectTypeOf(conv1d(tokens, { kernelSize: 3, filters: 64 })).toEqualTypeOf<Tensor<['batch', number, 64]>>();
    expectTypeOf<Conv1dShape<['b', 50257, 16], 5, 32, 3, 'valid', 2>>().toEqualTypeOf<['b', 16750, 32]>();
    expectTypeOf<Pool1dShape<['b', 1000, 16], 3>>().toEqualTypeOf<['b', 333, 16]>();
    expectTypeOf<Pool1dShape<['b', 1000, 16], 3, 1, 'same'>>().toEqualTypeOf<['b', 1000, 16]>();
    expectTypeOf<Conv1dShape<['b', 4, 16], 3, 8, 1, 'valid', 2>>().toEqualTypeOf<
      ShapeMismatch<"conv1d: kernel 3 (dilated 5) larger than input length 4 with padding 'valid'", ['b', 4, 16], 3>
    >();
    // @ts-expect-error kernel 7 larger than input length 5
    conv1d({} as Tensor<['b', 5, 3]>, { kernelSize: 7, filters: 8 });
  });
});

describe('axes', () => {
  test('Axis normalises negative axes, Rank reads the length', () => {
    expectTypeOf<Axis<['b', 224, 224, 3], -1>>().toEqualTypeOf<3>();
    expectTypeOf<Axis<['b', 224, 224, 3], -4>>().toEqualTypeOf<0>();
    expectTypeOf<Axis<['b', 224, 224, 3], 2>>().toEqualTypeOf<2>();
    expectTypeOf<Axis<['b', 224], -3>>().toEqualTypeOf<ShapeMismatch<'axis: axis out of range (axis -3, rank 2)', ['b', 224], -3>>();
    expectTypeOf<Axis<['b', 224], 1.5>>().toEqualTypeOf<ShapeMismatch<'axis: axis out of range (axis 1.5, rank 2)', ['b', 224], 1.5>>();
    expectTypeOf<Axis<Dim[], -1>>().toEqualTypeOf<number>();
    expectTypeOf<Axis<Dim[], 2>>().toEqualTypeOf<2>();
    expectTypeOf<Rank<['b', 224, 224, 3]>>().toEqualTypeOf<4>();
    expectTypeOf<Rank<Dim[]>>().toEqualTypeOf<number>();
  });
});

describe('call-site guards', () => {
  const t3 = {} as T<[3]>;
  const t5 = {} as T<[5]>;

  test('without NoInfer a mismatch silently widens to a union', () => {
    expectTypeOf(sameLoose(t3, t5)).toEqualTypeOf<3 | 5>();
  });

  test('with NoInfer the second argument is checked against the first', () => {
    expectTypeOf(same(t3, t3)).toEqualTypeOf<3>();
    // @ts-expect-error [5] is not [3]
    same(t3, t5);
  });

  test('errors do not cascade through a chain', () => {
    // @ts-expect-error the one real error
    const h = matmul(x784, w128);
    const y = add(h, h);
    expectTypeOf(flatten(y)).toEqualTypeOf<Tensor<Dim[]>>();
  });
});

describe('a 20-op network stays cheap and exact', () => {
  test('VGG-ish convolution stack down to logits', () => {
    const c1 = conv2d(rgb, { kernelSize: 7, filters: 64, strides: 2, padding: 'same' });
    const p1 = maxPool2d(c1, { poolSize: 3, strides: 2, padding: 'same' });
    const c2 = conv2d(p1, { kernelSize: 3, filters: 64, padding: 'same' });
    const c3 = conv2d(c2, { kernelSize: 3, filters: 128, strides: 2, padding: 'same' });
    const c4 = conv2d(c3, { kernelSize: 3, filters: 128, padding: 'same' });
    const c5 = conv2d(c4, { kernelSize: 3, filters: 256, strides: 2, padding: 'same' });
    const c6 = conv2d(c5, { kernelSize: 3, filters: 256, padding: 'same' });
    const c7 = conv2d(c6, { kernelSize: 3, filters: 512, strides: 2, padding: 'same' });
    const c8 = conv2d(c7, { kernelSize: 3, filters: 512, padding: 1 });
    const p2 = maxPool2d(c8, { poolSize: 7 });
    const f = flatten(p2);
    const d1 = matmul(f, {} as Tensor<[512, 4096]>);
    const a1 = add(d1, {} as Tensor<[4096]>);
    const d2 = matmul(a1, {} as Tensor<[4096, 4096]>);
    const a2 = add(d2, {} as Tensor<[4096]>);
    const d3 = matmul(a2, {} as Tensor<[4096, 1000]>);
    const a3 = add(d3, {} as Tensor<[1000]>);
    const r = reshape(a3, ['batch', 10, 100]);
    const s = sum(r, [-1]);
    const t = transpose(s);
    expectTypeOf(c1).toEqualTypeOf<Tensor<['batch', 112, 112, 64]>>();
    expectTypeOf(p1).toEqualTypeOf<Tensor<['batch', 56, 56, 64]>>();
    expectTypeOf(c7).toEqualTypeOf<Tensor<['batch', 7, 7, 512]>>();
    expectTypeOf(c8).toEqualTypeOf<Tensor<['batch', 7, 7, 512]>>();
    expectTypeOf(f).toEqualTypeOf<Tensor<['batch', 512]>>();
    expectTypeOf(a3).toEqualTypeOf<Tensor<['batch', 1000]>>();
    expectTypeOf(t).toEqualTypeOf<Tensor<[10, 'batch']>>();
  });
});
