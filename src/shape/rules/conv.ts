import type { Add, Div, Lt, Mul, Sub } from '../arith';
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, IsLit, Show, IsTuple } from '../dim-types';
import { type Fail, type NatInt, type PosInt, fail, isNat, isPos } from './common';

// =============================================================================================
// Convolution and pooling

/** Keras padding: 'valid' (none), 'same' (output ceil(n / s)), 'causal' (left only), or explicit p per side. */
export type Padding = 'valid' | 'same' | 'causal' | number;
/** Padding for 2-D conv/pool: causal makes no sense there; explicit padding may differ per axis. */
export type Padding2d = 'valid' | 'same' | number | readonly [number, number];

type PadStr<P> = P extends string ? `'${P}'` : Show<P>;
/** Kernels report their dilated extent; pooling windows are never dilated. */
type Dilated<Noun, E extends number> = Noun extends 'kernel' ? ` (dilated ${E})` : '';

/**
 * One spatial output size, or a Fail. Order of checks (matched by the runtime): kernel, stride,
 * dilation, explicit padding >= 0, then the size itself.
 */
type ConvOut<N, K, S, D, P, Op extends string, Noun extends 'kernel' | 'window', Input extends string> =
  [IsLit<K>, PosInt<K>] extends [true, false]
    ? Fail<`${Op}: ${Noun} must be >= 1 (${Show<K>})`>
    : [IsLit<S>, PosInt<S>] extends [true, false]
      ? Fail<`${Op}: stride must be >= 1 (${Show<S>})`>
      : [IsLit<D>, PosInt<D>] extends [true, false]
        ? Fail<`${Op}: dilation must be >= 1 (${Show<D>})`>
        : [IsLit<P>, NatInt<P>] extends [true, false]
          ? Fail<`${Op}: padding must be >= 0 (${Show<P>})`>
          : P extends 'same' | 'causal'
            ? N extends 0
              ? Fail<`${Op}: ${Input} must be >= 1 (0)`>
              : S extends 1
                ? N // stride 1 keeps the size, even a symbolic one
                : IsLit<N> extends true
                  ? IsLit<S> extends true
                    ? Add<Div<Sub<N & number, 1>, S & number> & number, 1>
                    : number
                  : number
            : true extends IsDyn<N> | IsDyn<K> | IsDyn<S> | IsDyn<D> | IsDyn<P>
              ? number
              : IsLit<N> extends false
                ? number
                : ConvValid<
                    P extends number ? Add<N & number, Mul<P, 2>> : N & number,
                    Add<Mul<D & number, Sub<K & number, 1> & number>, 1>,
                    S & number,
                    [Op, Noun, Input, K, N, P]
                  >;
/**
 * floor((M - E) / S) + 1 for padded size M and dilated extent E, or a Fail when M < E; the message
 * parts travel in Why so the string is only built on failure.
 */
type ConvValid<M extends number, E extends number, S extends number, Why extends unknown[]> =
  Lt<M, E> extends true
    ? Why extends [infer Op extends string, infer Noun extends string, infer Input extends string, infer K, infer N, infer P]
      ? Fail<`${Op}: ${Noun} ${Show<K>}${Dilated<Noun, E>} larger than ${Input} ${Show<N>} with padding ${PadStr<P>}`>
      : never
    : Add<Div<Sub<M, E> & number, S> & number, 1>;

/**
 * Output length of a convolution/pooling window along one axis:
 * valid: floor((n - d(k-1) - 1) / s) + 1; same and causal: floor((n - 1) / s) + 1 = ceil(n / s);
 * explicit p: floor((n + 2p - d(k-1) - 1) / s) + 1. A window that does not fit is
 * `ShapeMismatch<"conv: kernel 5 (dilated 5) larger than input 3 with padding 'valid'", N, K>`.
 * Symbolic or dynamic operands give `number`.
 */
export type ConvOutSize<N extends Dim, K extends number, S extends number = 1, D extends number = 1, P extends Padding = 'valid'> =
  ConvOut<N, K, S, D, P, 'conv', 'kernel', 'input'> extends infer R ? (R extends Fail<infer M> ? ShapeMismatch<M, N, K> : R) : never;

type PairOf<V> = V extends readonly [infer A, infer B] ? [A, B] : [V, V];
type PadPair<P> = P extends readonly [infer A, infer B] ? [A, B] : [P, P];

/** [outH, outW] or a ShapeMismatch for a 2-D window over [.., H, W, ..]. */
type Spatial2d<X extends Shape, H, W, K, S, P, D, Op extends string, Noun extends 'kernel' | 'window', Act> =
  [PairOf<K>, PairOf<S>, PadPair<P>, PairOf<D>] extends [
    [infer KH, infer KW],
    [infer SH, infer SW],
    [infer PH, infer PW],
    [infer DH, infer DW],
  ]
    ? ConvOut<H, KH, SH, DH, PH, Op, Noun, 'input height'> extends infer OH
      ? OH extends Fail<infer M>
        ? ShapeMismatch<M, X, Act>
        : ConvOut<W, KW, SW, DW, PW, Op, Noun, 'input width'> extends infer OW
          ? OW extends Fail<infer M>
            ? ShapeMismatch<M, X, Act>
            : [OH, OW]
          : never
      : never
    : never;

/**
 * NHWC 2-D convolution: [B, H, W, C] -> [B, outH, outW, Filters]; KernelSize, Strides, Dilation
 * are one number or [h, w]; explicit padding is one number or [h, w] per side.
 * `conv2d: input must be [batch, height, width, channels] (rank 3)`,
 * `conv2d: kernel 5 (dilated 5) larger than input height 3 with padding 'valid'`.
 * Input channels are not checked here (that is the kernel tensor's business).
 */
export type Conv2dShape<
  X extends Shape,
  KernelSize extends number | readonly [number, number],
  Filters extends Dim,
  Strides extends number | readonly [number, number] = 1,
  Pad extends Padding2d = 'valid',
  Dilation extends number | readonly [number, number] = 1,
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer H, infer W, unknown]
      ? Spatial2d<X, H, W, KernelSize, Strides, Pad, Dilation, 'conv2d', 'kernel', KernelSize> extends infer O
        ? O extends [infer OH extends Dim, infer OW extends Dim]
          ? [B, OH, OW, Filters]
          : O
        : never
      : ShapeMismatch<`conv2d: input must be [batch, height, width, channels] (rank ${X['length']})`, 4, X>;

/**
 * NHWC 2-D pooling: [B, H, W, C] -> [B, outH, outW, C]; Strides default to PoolSize (Keras).
 * `pool2d: window 3 larger than input width 2 with padding 'valid'`.
 */
export type Pool2dShape<
  X extends Shape,
  PoolSize extends number | readonly [number, number],
  Strides extends number | readonly [number, number] = PoolSize,
  Pad extends Padding2d = 'valid',
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer H, infer W, infer C extends Dim]
      ? Spatial2d<X, H, W, PoolSize, Strides, Pad, 1, 'pool2d', 'window', PoolSize> extends infer O
        ? O extends [infer OH extends Dim, infer OW extends Dim]
          ? [B, OH, OW, C]
          : O
        : never
      : ShapeMismatch<`pool2d: input must be [batch, height, width, channels] (rank ${X['length']})`, 4, X>;

/**
 * 1-D convolution over [B, L, C] -> [B, outL, Filters] (padding may be 'causal').
 * `conv1d: kernel 3 (dilated 5) larger than input length 4 with padding 'valid'`.
 */
export type Conv1dShape<
  X extends Shape,
  KernelSize extends number,
  Filters extends Dim,
  Stride extends number = 1,
  Pad extends Padding = 'valid',
  Dilation extends number = 1,
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer L, unknown]
      ? ConvOut<L, KernelSize, Stride, Dilation, Pad, 'conv1d', 'kernel', 'input length'> extends infer O
        ? O extends Fail<infer M>
          ? ShapeMismatch<M, X, KernelSize>
          : [B, O & Dim, Filters]
        : never
      : ShapeMismatch<`conv1d: input must be [batch, length, channels] (rank ${X['length']})`, 3, X>;

/** 1-D pooling over [B, L, C] -> [B, outL, C]; Stride defaults to PoolSize. */
export type Pool1dShape<
  X extends Shape,
  PoolSize extends number,
  Stride extends number = PoolSize,
  Pad extends Exclude<Padding, 'causal'> = 'valid',
> =
  IsTuple<X> extends false
    ? Dim[]
    : X extends readonly [infer B extends Dim, infer L, infer C extends Dim]
      ? ConvOut<L, PoolSize, Stride, 1, Pad, 'pool1d', 'window', 'input length'> extends infer O
        ? O extends Fail<infer M>
          ? ShapeMismatch<M, X, PoolSize>
          : [B, O & Dim, C]
        : never
      : ShapeMismatch<`pool1d: input must be [batch, length, channels] (rank ${X['length']})`, 3, X>;

function convOut(
  op: string,
  noun: 'kernel' | 'window',
  input: string,
  n: number,
  k: number,
  s: number,
  d: number,
  padding: Padding,
): number {
  if (!isPos(k)) fail(op, `${noun} must be >= 1 (${k})`);
  if (!isPos(s)) fail(op, `stride must be >= 1 (${s})`);
  if (!isPos(d)) fail(op, `dilation must be >= 1 (${d})`);
  if (typeof padding === 'number' && !isNat(padding)) fail(op, `padding must be >= 0 (${padding})`);
  if (padding === 'same' || padding === 'causal') {
    if (n < 1) fail(op, `${input} must be >= 1 (${n})`);
    return Math.floor((n - 1) / s) + 1;
  }
  const m = typeof padding === 'number' ? n + 2 * padding : n;
  const e = d * (k - 1) + 1;
  if (m < e) {
    const dil = noun === 'kernel' ? ` (dilated ${e})` : '';
    const pad = typeof padding === 'number' ? `${padding}` : `'${padding}'`;
    fail(op, `${noun} ${k}${dil} larger than ${input} ${n} with padding ${pad}`);
  }
  return Math.floor((m - e) / s) + 1;
}

/** Runtime `ConvOutSize`. */
export function convOutSize(n: number, k: number, s = 1, d = 1, padding: Padding = 'valid'): number {
  return convOut('conv', 'kernel', 'input', n, k, s, d, padding);
}

/**
 * TensorFlow's 'same' padding as [before, after]: total = max((ceil(n/s) - 1) * s + (k - 1) * d + 1 - n, 0),
 * before = floor(total / 2) (the extra one goes after).
 */
export function samePadding(n: number, k: number, s = 1, d = 1): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** [before, after] padding for any mode: valid [0, 0], same as TF, causal [d(k-1), 0], explicit [p, p]. */
export function paddingAmounts(n: number, k: number, s: number, d: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') return samePadding(n, k, s, d);
  if (padding === 'causal') return [d * (k - 1), 0];
  return [padding, padding];
}

type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const padPair = (p: Padding2d): [Padding, Padding] => (typeof p === 'object' ? [p[0], p[1]] : [p, p]);

function spatial2d(
  x: readonly number[],
  k: Pair,
  s: Pair,
  p: Padding2d,
  d: Pair,
  op: string,
  noun: 'kernel' | 'window',
): [number, number] {
  const [kh, kw] = pair(k);
  const [sh, sw] = pair(s);
  const [ph, pw] = padPair(p);
  const [dh, dw] = pair(d);
  const oh = convOut(op, noun, 'input height', x[1]!, kh, sh, dh, ph);
  const ow = convOut(op, noun, 'input width', x[2]!, kw, sw, dw, pw);
  return [oh, ow];
}

/** Runtime `Conv2dShape` (NHWC). */
export function conv2dShape(
  x: readonly number[],
  kernelSize: Pair,
  filters: number,
  strides: Pair = 1,
  padding: Padding2d = 'valid',
  dilation: Pair = 1,
): number[] {
  if (x.length !== 4) fail('conv2d', `input must be [batch, height, width, channels] (rank ${x.length})`);
  const [oh, ow] = spatial2d(x, kernelSize, strides, padding, dilation, 'conv2d', 'kernel');
  return [x[0]!, oh, ow, filters];
}

/** Runtime `Pool2dShape` (NHWC; strides default to the pool size). */
export function pool2dShape(x: readonly number[], poolSize: Pair, strides: Pair = poolSize, padding: Padding2d = 'valid'): number[] {
  if (x.length !== 4) fail('pool2d', `input must be [batch, height, width, channels] (rank ${x.length})`);
  const [oh, ow] = spatial2d(x, poolSize, strides, padding, 1, 'pool2d', 'window');
  return [x[0]!, oh, ow, x[3]!];
}

/** Runtime `Conv1dShape` ([B, L, C]). */
export function conv1dShape(
  x: readonly number[],
  kernelSize: number,
  filters: number,
  stride = 1,
  padding: Padding = 'valid',
  dilation = 1,
): number[] {
  if (x.length !== 3) fail('conv1d', `input must be [batch, length, channels] (rank ${x.length})`);
  return [x[0]!, convOut('conv1d', 'kernel', 'input length', x[1]!, kernelSize, stride, dilation, padding), filters];
}

/** Runtime `Pool1dShape` ([B, L, C]; stride defaults to the pool size). */
export function pool1dShape(
  x: readonly number[],
  poolSize: number,
  stride: number = poolSize,
  padding: Exclude<Padding, 'causal'> = 'valid',
): number[] {
  if (x.length !== 3) fail('pool1d', `input must be [batch, length, channels] (rank ${x.length})`);
  return [x[0]!, convOut('pool1d', 'window', 'input length', x[1]!, poolSize, stride, 1, padding), x[2]!];
}
