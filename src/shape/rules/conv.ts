import type { Add, Div, Lt, Mul, Sub } from '../arith';
import type { Dim, Shape, ShapeMismatch } from '../dims';
import type { IsDyn, IsLit, Agree, Show, IsTuple } from '../dim-types';
import { ShapeError } from '../dims';
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

export type PairOf<V> = V extends readonly [infer A, infer B] ? [A, B] : [V, V];
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
  if (!isPos(k)) fail(op, `${noun} must be >= 1 (${show(k)})`);
  if (!isPos(s)) fail(op, `stride must be >= 1 (${show(s)})`);
  if (!isPos(d)) fail(op, `dilation must be >= 1 (${show(d)})`);
  if (typeof padding === 'number' && !isNat(padding)) fail(op, `padding must be >= 0 (${padding})`);
  // the runtime twin of the Padding type: any other string would fall through as 'valid' here
  // and become NaN pads later
  if (typeof padding !== 'number' && padding !== 'valid' && padding !== 'same' && padding !== 'causal') {
    fail(op, `padding must be 'valid', 'same'${op === 'conv1d' ? ", 'causal'" : ''} or a number (${show(padding)})`);
  }
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

export type Pair = number | readonly [number, number];
/** One number or [h, w]; anything else (a string, [1], null) is NaN, which the rules reject. */
export const pair = (v: Pair): [number, number] =>
  typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number' ? [v[0], v[1]] : [NaN, NaN];
const padPair = (p: Padding2d): [Padding, Padding] => (typeof p === 'object' && p !== null ? (Array.isArray(p) && p.length === 2 ? [p[0], p[1]] : [NaN, NaN]) : [p, p]);
/** A value for a message: strings quoted, so 'bogus' reads as a string. */
const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : v === null ? 'null' : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v);

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
export function pool2dShape(x: readonly number[], poolSize: Pair, strides: Pair = poolSize, padding: Padding2d = 'valid', op = 'pool2d'): number[] {
  if (x.length !== 4) fail(op, `input must be [batch, height, width, channels] (rank ${x.length})`);
  const [oh, ow] = spatial2d(x, poolSize, strides, padding, 1, op, 'window');
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
  op = 'pool1d',
): number[] {
  if (x.length !== 3) fail(op, `input must be [batch, length, channels] (rank ${x.length})`);
  return [x[0]!, convOut(op, 'window', 'input length', x[1]!, poolSize, stride, 1, padding), x[2]!];
}


/** conv2d padding: the rule's Padding2d, or explicit [[top, bottom], [left, right]]. */
export type ConvPadding2d = Padding2d | readonly [readonly [number, number], readonly [number, number]];

/** pooling padding (Keras) */
export type PoolPadding = 'valid' | 'same';

/** Output spatial size for explicit pads; throws when the dilated kernel does not fit. */
export function outSize(op: string, n: number, before: number, after: number, k: number, s: number, d: number): number {
  const m = n + before + after;
  const e = d * (k - 1) + 1;
  if (m < e) throw new ShapeError(op, `kernel ${k} (dilated ${e}) larger than padded input ${m}`);
  return Math.floor((m - e) / s) + 1;
}

/** [B, outH, outW, outC] of a conv over x [B, H, W, C] with filter [kH, kW, C, outC]; throws ShapeError. */
export function convOutShape(op: string, x: readonly number[], f: readonly number[], p: ConvParams): number[] {
  if (x.length !== 4) throw new ShapeError(op, `input must be [batch, height, width, channels] (rank ${x.length})`);
  if (f.length !== 4) throw new ShapeError(op, `filter must be [kH, kW, inC, outC] (rank ${f.length})`);
  if (x[3] !== f[2]) throw new ShapeError(op, `input channels differ (${x[3]} vs ${f[2]})`);
  const [t, b, l, r] = p.pads;
  return [
    x[0]!,
    outSize(op, x[1]!, t, b, f[0]!, p.strides[0], p.dilation[0]),
    outSize(op, x[2]!, l, r, f[1]!, p.strides[1], p.dilation[1]),
    f[3]!,
  ];
}

/** a kernel extent as the rules want it: a literal, or the wide number for anything else */
export type KDim<D> = D extends number ? D : number;

/** P narrowed to the rules' Padding2d (an intersection would keep `'valid' & [number, number]` members) */
export type AsPad2d<P> = P extends Padding2d ? P : never;

/** dim + before + after, or the wide number unless all are literals */
export type PadDim<N, B, E> = [IsLit<N>, IsLit<B>, IsLit<E>] extends [true, true, true] ? Add<N & number, Add<B & number, E & number> & number> : number;

/**
 * The conv2d rule on a filter tensor: x [B, H, W, C], filter [kH, kW, C, outC] → [B, outH, outW, outC].
 * On top of the rules' Conv2dShape: the filter's rank, its input channels (must equal C) and
 * asymmetric explicit padding [[t, b], [l, r]] (checked as 'valid' on the padded input).
 */
export type Conv2dFilterShape<X extends Shape, F extends Shape, S extends Pair = 1, P extends ConvPadding2d = 'valid', D extends Pair = 1> =
  number extends F['length']
    ? Dim[]
    : F extends readonly [infer KH, infer KW, infer CI, infer CO extends Dim]
      ? X extends readonly [infer B, infer H, infer W, infer C]
        ? Agree<C, CI> extends false
          ? ShapeMismatch<`conv2d: input channels differ (${Show<C>} vs ${Show<CI>})`, X, F>
          : P extends readonly [readonly [infer PT, infer PB], readonly [infer PL, infer PR]]
            ? Conv2dShape<[B & Dim, PadDim<H, PT, PB>, PadDim<W, PL, PR>, C & Dim], [KDim<KH>, KDim<KW>], CO, S, 'valid', D>
            : Conv2dShape<X, [KDim<KH>, KDim<KW>], CO, S, AsPad2d<P>, D>
        : Conv2dShape<X, [KDim<KH>, KDim<KW>], CO, S, 'valid', D>
      : ShapeMismatch<`conv2d: filter must be [kH, kW, inC, outC] (rank ${F['length']})`, X, F>;

/** The conv1d rule on a filter tensor: x [B, L, C], filter [k, C, outC] → [B, outL, outC]. */
export type Conv1dFilterShape<X extends Shape, F extends Shape, S extends number = 1, P extends Padding = 'valid', D extends number = 1> =
  number extends F['length']
    ? Dim[]
    : F extends readonly [infer K, infer CI, infer CO extends Dim]
      ? X extends readonly [Dim, Dim, infer C]
        ? Agree<C, CI> extends false
          ? ShapeMismatch<`conv1d: input channels differ (${Show<C>} vs ${Show<CI>})`, X, F>
          : Conv1dShape<X, KDim<K>, CO, S, P, D>
        : Conv1dShape<X, KDim<K>, CO, S, P, D>
      : ShapeMismatch<`conv1d: filter must be [k, inC, outC] (rank ${F['length']})`, X, F>;

export function poolOutShape(op: string, x: readonly number[], p: PoolParams): number[] {
  if (x.length !== 4) throw new ShapeError(op, `input must be [batch, height, width, channels] (rank ${x.length})`);
  const [t, b, l, r] = p.pads;
  // every window must hold at least one real cell (true for 'valid' and 'same')
  if (t >= p.k[0] || b >= p.k[0] || l >= p.k[1] || r >= p.k[1]) throw new ShapeError(op, `padding must be smaller than the window (pads [${p.pads.join(', ')}], window [${p.k.join(', ')}])`);
  return [x[0]!, outSize(op, x[1]!, t, b, p.k[0], p.strides[0], 1), outSize(op, x[2]!, l, r, p.k[1], p.strides[1], 1), x[3]!];
}

/** [B, H, W, C] → [B, C] (2-D) and [B, L, C] → [B, C] (1-D); other ranks are mismatches. */
export type GlobalPool2dShape<X extends Shape> =
  number extends X['length']
    ? Dim[]
    : X extends readonly [infer B extends Dim, Dim, Dim, infer C extends Dim]
      ? [B, C]
      : ShapeMismatch<`globalPool2d: input must be [batch, height, width, channels] (rank ${X['length']})`, 4, X>;

export type GlobalPool1dShape<X extends Shape> =
  number extends X['length']
    ? Dim[]
    : X extends readonly [infer B extends Dim, Dim, infer C extends Dim]
      ? [B, C]
      : ShapeMismatch<`globalPool1d: input must be [batch, length, channels] (rank ${X['length']})`, 3, X>;

export interface ConvParams {
  readonly strides: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** [top, bottom, left, right] */
  readonly pads: readonly [number, number, number, number];
}

/** Runtime twin of Conv2dFilterShape: checks and resolves the options to explicit pads. */
export function resolveConv2d(op: string, x: readonly number[], f: readonly number[], o: ConvOptionValues): ConvParams {
  if (f.length !== 4) throw new ShapeError(op, `filter must be [kH, kW, inC, outC] (rank ${f.length})`);
  if (x.length === 4 && x[3] !== f[2]) throw new ShapeError(op, `input channels differ (${x[3]} vs ${f[2]})`);
  const strides = pair(o.strides ?? 1);
  const dilation = pair(o.dilation ?? 1);
  const padding = o.padding ?? 'valid';
  const k: [number, number] = [f[0]!, f[1]!];
  let pads: [number, number, number, number];
  if (Array.isArray(padding) && Array.isArray(padding[0])) {
    const [[t, b], [l, r]] = padding as readonly [readonly [number, number], readonly [number, number]];
    for (const v of [t, b, l, r]) if (!(Number.isInteger(v) && v >= 0)) throw new ShapeError(op, `padding must be >= 0 (${v})`);
    // the same rule as the type: 'valid' on the padded input
    conv2dShape(x.length === 4 ? [x[0]!, x[1]! + t + b, x[2]! + l + r, x[3]!] : x, k, f[3]!, strides, 'valid', dilation);
    pads = [t, b, l, r];
  } else {
    const p = padding as Padding2d;
    conv2dShape(x, k, f[3]!, strides, p, dilation);
    const axis = (i: 0 | 1): [number, number] => {
      const pi = typeof p === 'object' ? p[i] : p;
      if (pi === 'valid') return [0, 0];
      if (pi === 'same') return samePadding(x[1 + i]!, k[i], strides[i], dilation[i]);
      return [pi, pi];
    };
    pads = [...axis(0), ...axis(1)];
  }
  return { strides, dilation, pads };
}

export interface PoolParams {
  readonly k: readonly [number, number];
  readonly strides: readonly [number, number];
  /** [top, bottom, left, right] */
  readonly pads: readonly [number, number, number, number];
}

export function resolvePool2d(x: readonly number[], o: Pool2dOptionValues, op = 'pool2d'): PoolParams {
  const size = o.poolSize ?? 2;
  const k = pair(size);
  const strides = pair(o.strides ?? size);
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new ShapeError(op, `padding must be 'valid' or 'same' (${show(padding)})`);
  pool2dShape(x, k, strides, padding, op);
  const [t, b] = padding === 'same' ? samePadding(x[1]!, k[0], strides[0]) : [0, 0];
  const [l, r] = padding === 'same' ? samePadding(x[2]!, k[1], strides[1]) : [0, 0];
  return { k, strides, pads: [t, b, l, r] };
}

export function resolvePool1d(x: readonly number[], o: Pool1dOptionValues, op = 'pool1d'): { p: PoolParams; out: number[] } {
  const k = o.poolSize ?? 2;
  const s = o.strides ?? k;
  const padding = o.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new ShapeError(op, `padding must be 'valid' or 'same' (${show(padding)})`);
  const out = pool1dShape(x, k, s, padding, op);
  const [l, r] = padding === 'same' ? samePadding(x[1]!, k, s) : [0, 0];
  return { p: { k: [1, k], strides: [1, s], pads: [0, 0, l, r] }, out };
}

/** The option values conv2d's runtime twin reads (the op's typed options, erased). */
export interface ConvOptionValues {
  readonly strides?: Pair;
  readonly padding?: ConvPadding2d;
  readonly dilation?: Pair;
}
/** The option values of the 2-D pools. */
export interface Pool2dOptionValues {
  readonly poolSize?: Pair;
  readonly strides?: Pair;
  readonly padding?: PoolPadding;
}
/** The option values of the 1-D pools. */
export interface Pool1dOptionValues {
  readonly poolSize?: number;
  readonly strides?: number;
  readonly padding?: PoolPadding;
}
