/**
 * fast-check arbitraries for shapes, op cases and float data (shipped as `shapeflow/testing`).
 *
 * Everything here is plain data (number[] shapes, Float32Array values) so the tensor layer
 * can build on it (typed tensor arbitraries are in tensor-arbitraries.ts). Defaults are small (at most ~2000 elements per array) to keep property
 * tests fast; every size bound can be raised through the options.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { ceilF32, nextUpF32 } from '../random/arith';
import { key } from '../random/key';
import type { Key } from '../random/key';

const F32_MAX = 3.4028234663852886e38;

function checkRange(fn: string, name: string, min: number, max: number, lowest: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < lowest || min > max) {
    throw new RangeError(`${fn}: need integers ${lowest} <= min${name} <= max${name}, got ${min}..${max}`);
  }
}

function checkPositive(fn: string, bounds: Record<string, number>): void {
  for (const [name, v] of Object.entries(bounds)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${fn}: ${name} must be an integer >= 1, got ${v}`);
  }
}

// ---------------------------------------------------------------- dims and shapes

export interface DimOptions {
  /** Smallest dim (default 1). */
  readonly min?: number;
  /** Largest dim (default 8). */
  readonly max?: number;
}

/** A dim size in [min, max] (default 1..8); shrinks towards min. */
export function arbDim(options: DimOptions = {}): Arbitrary<number> {
  const { min = 1, max = Math.max(min, 8) } = options;
  checkRange('arbDim', '', min, max, 0);
  return fc.integer({ min, max });
}

export interface ShapeOptions {
  /** Default 0 (scalars included). */
  readonly minRank?: number;
  /** Default 4. */
  readonly maxRank?: number;
  /** Default 1. Use 0 to include empty tensors. */
  readonly minDim?: number;
  /** Default 6. */
  readonly maxDim?: number;
  /**
   * Upper bound on the number of elements (default 2048). Dims that would overflow it are
   * lowered (never below minDim), so generation never retries.
   */
  readonly maxElements?: number;
}

/** Lower dims left to right so that the product stays within budget (dims stay >= minDim). */
function capElements(dims: number[], minDim: number, maxElements: number): number[] {
  const out: number[] = [];
  let rest = dims.length;
  let used = 1;
  for (const d of dims) {
    rest--;
    // Leave room for the remaining dims at their minimum.
    const room = Math.floor(maxElements / (used * Math.max(1, minDim) ** rest));
    const capped = Math.max(minDim, Math.min(d, room));
    out.push(capped);
    used *= Math.max(1, capped);
  }
  return out;
}

/** A shape (array of dims) with rank in [minRank, maxRank] and dims in [minDim, maxDim]. */
export function arbShape(options: ShapeOptions = {}): Arbitrary<number[]> {
  const { minRank = 0, maxRank = Math.max(minRank, 4), minDim = 1, maxDim = Math.max(minDim, 6), maxElements = 2048 } = options;
  checkRange('arbShape', 'Rank', minRank, maxRank, 0);
  checkRange('arbShape', 'Dim', minDim, maxDim, 0);
  if (Math.max(1, minDim) ** minRank > maxElements) {
    throw new RangeError(`arbShape: minDim^minRank = ${minDim}^${minRank} exceeds maxElements = ${maxElements}`);
  }
  return fc
    .array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank })
    .map((dims) => capElements(dims, minDim, maxElements));
}

/** The number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface BroadcastOptions {
  /** Rank of the broadcast result (default 4). */
  readonly maxRank?: number;
  /** Largest dim (default 5). */
  readonly maxDim?: number;
}

/**
 * Pairs [a, b] of shapes that broadcast together (NumPy rules): both are right-aligned
 * suffixes of one output shape, possibly of different ranks (scalars included), with some
 * dims replaced by 1 in either or both. Equal shapes occur too.
 */
export function arbBroadcastableShapes(options: BroadcastOptions = {}): Arbitrary<[number[], number[]]> {
  const { maxRank = 4, maxDim = 5 } = options;
  checkRange('arbBroadcastableShapes', 'Rank', 0, maxRank, 0);
  checkRange('arbBroadcastableShapes', 'Dim', 1, maxDim, 1);
  // One operand view of `out`: keep a suffix of length `rank`, turning dims marked `ones` into 1.
  const view = (out: number[]) =>
    fc
      .record({
        rank: fc.integer({ min: 0, max: out.length }),
        ones: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: out.length, maxLength: out.length }),
      })
      .map(({ rank, ones }) => out.slice(out.length - rank).map((d, i) => (ones[i] === 0 ? 1 : d)));
  return fc
    .array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank })
    .chain((out) => fc.tuple(view(out), view(out)));
}

export interface MatmulShapes {
  /** [...batchA, m, k] */
  readonly a: number[];
  /** [...batchB, k, n] */
  readonly b: number[];
  /** [...broadcast(batchA, batchB), m, n], computed by construction. */
  readonly out: number[];
}

export interface MatmulOptions {
  /** Most batch dims (default 2). */
  readonly maxBatchRank?: number;
  /** Largest m, k, n (default 6). */
  readonly maxDim?: number;
  /** Largest batch dim (default 3). */
  readonly maxBatchDim?: number;
}

/**
 * Batched matmul operands: a = [...batchA, m, k], b = [...batchB, k, n] where batchA and
 * batchB broadcast (different ranks and 1s), and the expected output shape.
 */
export function arbMatmulShapes(options: MatmulOptions = {}): Arbitrary<MatmulShapes> {
  const { maxBatchRank = 2, maxDim = 6, maxBatchDim = 3 } = options;
  const dim = fc.integer({ min: 1, max: maxDim });
  return fc
    .record({
      batch: arbBroadcastableShapes({ maxRank: maxBatchRank, maxDim: maxBatchDim }),
      m: dim,
      k: dim,
      n: dim,
    })
    .map(({ batch: [ba, bb], m, k, n }) => {
      const rank = Math.max(ba.length, bb.length);
      const pa = [...new Array<number>(rank - ba.length).fill(1), ...ba];
      const pb = [...new Array<number>(rank - bb.length).fill(1), ...bb];
      const batch = pa.map((d, i) => Math.max(d, pb[i]!));
      return { a: [...ba, m, k], b: [...bb, k, n], out: [...batch, m, n] };
    });
}

// ---------------------------------------------------------------- conv and pool cases

export type Padding = 'valid' | 'same';

/** Keras/TF output size of one spatial axis. */
export function convOutSize(inSize: number, k: number, stride: number, dilation: number, padding: Padding): number {
  return padding === 'valid'
    ? Math.floor((inSize - dilation * (k - 1) - 1) / stride) + 1
    : Math.floor((inSize - 1) / stride) + 1;
}

/**
 * TF's 'same' padding of one axis: [before, after], the extra cell going after.
 * Written apart from shape/rules' samePadding on purpose: these cases are the oracle the conv ops
 * are tested against, so they must not share the code under test.
 */
export function samePadding(inSize: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.floor((inSize - 1) / stride) + 1;
  const total = Math.max((out - 1) * stride + dilation * (k - 1) + 1 - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export interface Conv2dCase {
  /** NHWC */
  readonly input: [number, number, number, number];
  /** [kh, kw, inChannels, outChannels] (TF's HWIO) */
  readonly kernel: [number, number, number, number];
  readonly strides: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding;
  /** [top, bottom, left, right]: all 0 for 'valid'; TF's split for 'same'. */
  readonly pads: [number, number, number, number];
  /** NHWC; both spatial sizes >= 1. */
  readonly output: [number, number, number, number];
}

export interface Conv2dOptions {
  readonly maxBatch?: number; // default 2
  readonly maxChannels?: number; // default 3 (in and out)
  readonly maxKernel?: number; // default 3
  readonly maxStride?: number; // default 2
  readonly maxDilation?: number; // default 2
  /** Largest 'valid' output size per axis used to derive the input size (default 4). */
  readonly maxOut?: number;
  /** Only this padding (default: both). */
  readonly padding?: Padding;
  /**
   * Allow strides > 1 together with dilations > 1 (default true). tfjs requires all strides
   * or all dilations to be 1, so set false when tfjs is the oracle.
   */
  readonly stridedDilation?: boolean;
}

interface AxisDraw {
  readonly k: number;
  readonly s: number;
  readonly out: number;
  readonly extra: number;
}

/**
 * The input size of one spatial axis, derived from its 'valid' output size as Grenade does:
 * in = (out - 1) * s + d * (k - 1) + 1 + extra, with 0 <= extra < s so that strided
 * remainders occur. The valid output is then exactly `out` (>= 1), the same output ceil(in / s).
 */
const axisInput = ({ k, s, out, extra }: AxisDraw, dilation: number): number =>
  (out - 1) * s + dilation * (k - 1) + 1 + (extra % s);

/** A conv2d case (NHWC input, HWIO kernel) whose output is at least 1x1, with the expected output shape. */
export function arbConv2dCase(options: Conv2dOptions = {}): Arbitrary<Conv2dCase> {
  const {
    maxBatch = 2,
    maxChannels = 3,
    maxKernel = 3,
    maxStride = 2,
    maxDilation = 2,
    maxOut = 4,
    padding,
    stridedDilation = true,
  } = options;
  checkPositive('arbConv2dCase', { maxBatch, maxChannels, maxKernel, maxStride, maxDilation, maxOut });
  const axis = fc.record({
    k: fc.integer({ min: 1, max: maxKernel }),
    s: fc.integer({ min: 1, max: maxStride }),
    d: fc.integer({ min: 1, max: maxDilation }),
    out: fc.integer({ min: 1, max: maxOut }),
    extra: fc.nat({ max: maxStride - 1 }),
  });
  return fc
    .record({
      n: fc.integer({ min: 1, max: maxBatch }),
      cin: fc.integer({ min: 1, max: maxChannels }),
      cout: fc.integer({ min: 1, max: maxChannels }),
      h: axis,
      w: axis,
      padding: padding === undefined ? fc.constantFrom<Padding>('valid', 'same') : fc.constant(padding),
    })
    .map(({ n, cin, cout, h, w, padding: pad }): Conv2dCase => {
      // tfjs wants all strides or all dilations equal to 1.
      const plain = !stridedDilation && (h.s > 1 || w.s > 1);
      const dh = plain ? 1 : h.d;
      const dw = plain ? 1 : w.d;
      const ih = axisInput(h, dh);
      const iw = axisInput(w, dw);
      const [top, bottom] = pad === 'same' ? samePadding(ih, h.k, h.s, dh) : [0, 0];
      const [left, right] = pad === 'same' ? samePadding(iw, w.k, w.s, dw) : [0, 0];
      return {
        input: [n, ih, iw, cin],
        kernel: [h.k, w.k, cin, cout],
        strides: [h.s, w.s],
        dilation: [dh, dw],
        padding: pad,
        pads: [top, bottom, left, right],
        output: [n, convOutSize(ih, h.k, h.s, dh, pad), convOutSize(iw, w.k, w.s, dw, pad), cout],
      };
    });
}

export interface Pool2dCase {
  /** NHWC */
  readonly input: [number, number, number, number];
  readonly poolSize: [number, number];
  /** Equal to poolSize in about half the cases (the Keras default). */
  readonly strides: [number, number];
  readonly padding: Padding;
  /** [top, bottom, left, right]: all 0 for 'valid'; TF's split for 'same'. */
  readonly pads: [number, number, number, number];
  /** NHWC; both spatial sizes >= 1. */
  readonly output: [number, number, number, number];
}

export interface Pool2dOptions {
  readonly maxBatch?: number; // default 2
  readonly maxChannels?: number; // default 3
  readonly maxPool?: number; // default 3
  readonly maxStride?: number; // default 3
  readonly maxOut?: number; // default 4
  readonly padding?: Padding;
}

/** A 2-D pooling case (NHWC) whose output is at least 1x1, with the expected output shape. */
export function arbPool2dCase(options: Pool2dOptions = {}): Arbitrary<Pool2dCase> {
  const { maxBatch = 2, maxChannels = 3, maxPool = 3, maxStride = 3, maxOut = 4, padding } = options;
  checkPositive('arbPool2dCase', { maxBatch, maxChannels, maxPool, maxStride, maxOut });
  const axis = fc
    .record({
      k: fc.integer({ min: 1, max: maxPool }),
      s: fc.integer({ min: 1, max: maxStride }),
      out: fc.integer({ min: 1, max: maxOut }),
      extra: fc.nat({ max: Math.max(maxStride, maxPool) - 1 }),
    });
  return fc
    .record({
      n: fc.integer({ min: 1, max: maxBatch }),
      c: fc.integer({ min: 1, max: maxChannels }),
      h: axis,
      w: axis,
      defaultStrides: fc.boolean(),
      padding: padding === undefined ? fc.constantFrom<Padding>('valid', 'same') : fc.constant(padding),
    })
    .map(({ n, c, h, w, defaultStrides, padding: pad }): Pool2dCase => {
      const sh = defaultStrides ? h.k : h.s;
      const sw = defaultStrides ? w.k : w.s;
      const ih = axisInput({ ...h, s: sh }, 1);
      const iw = axisInput({ ...w, s: sw }, 1);
      const [top, bottom] = pad === 'same' ? samePadding(ih, h.k, sh, 1) : [0, 0];
      const [left, right] = pad === 'same' ? samePadding(iw, w.k, sw, 1) : [0, 0];
      return {
        input: [n, ih, iw, c],
        poolSize: [h.k, w.k],
        strides: [sh, sw],
        padding: pad,
        pads: [top, bottom, left, right],
        output: [n, convOutSize(ih, h.k, sh, 1, pad), convOutSize(iw, w.k, sw, 1, pad), c],
      };
    });
}

// ---------------------------------------------------------------- float data

export interface Float32ArrayOptions {
  /** Default -10. */
  readonly min?: number;
  /** Default 10. */
  readonly max?: number;
  /** Points to stay away from (kinks such as 0 for relu/abs, 1 for hinge losses). */
  readonly avoid?: readonly number[];
  /** Every value v satisfies |v - p| >= margin for each p in avoid (default 1e-2). */
  readonly margin?: number;
}

/** Largest float32 <= x. */
const floorF32 = (x: number): number => -ceilF32(-x);

/**
 * The float32 intervals of [min, max] left after cutting (p - margin, p + margin) around
 * every avoided point p.
 */
function allowedIntervals(fn: string, min: number, max: number, avoid: readonly number[], margin: number): [number, number][] {
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max && min >= -F32_MAX && max <= F32_MAX)) {
    throw new RangeError(`${fn}: need finite min <= max within float32 range, got [${min}, ${max}]`);
  }
  if (!(margin >= 0) || !Number.isFinite(margin)) throw new RangeError(`${fn}: margin must be finite and >= 0, got ${margin}`);
  let intervals: [number, number][] = [[min, max]];
  for (const p of avoid) {
    if (!Number.isFinite(p)) throw new RangeError(`${fn}: avoided points must be finite, got ${p}`);
    const next: [number, number][] = [];
    for (const [lo, hi] of intervals) {
      if (hi <= p - margin || lo >= p + margin) {
        next.push([lo, hi]);
        continue;
      }
      // Keep the parts at distance >= margin from p, on each side.
      if (lo <= p - margin) next.push([lo, p - margin]);
      if (hi >= p + margin) next.push([p + margin, hi]);
    }
    intervals = next;
  }
  // Round inwards to float32 so every generated value keeps its margin exactly.
  const f32: [number, number][] = [];
  for (const [lo, hi] of intervals) {
    const a = ceilF32(lo);
    const b = floorF32(hi);
    if (a <= b && avoid.every((p) => Math.abs(a - p) >= margin && Math.abs(b - p) >= margin)) f32.push([a, b]);
  }
  if (f32.length === 0) {
    throw new RangeError(`${fn}: no float32 in [${min}, ${max}] is at least ${margin} away from [${avoid.join(', ')}]`);
  }
  return f32;
}

/** A float32 value in [min, max] at least `margin` away from every avoided point. */
export function arbFloat32(options: Float32ArrayOptions = {}): Arbitrary<number> {
  const { min = -10, max = 10, avoid = [], margin = 1e-2 } = options;
  const intervals = allowedIntervals('arbFloat32', min, max, avoid, margin);
  const arbs = intervals.map(([lo, hi]) => fc.float({ min: lo, max: hi, noNaN: true }));
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

/**
 * A Float32Array of exactly n values in [min, max] (default [-10, 10]), each at least
 * `margin` from every point in `avoid`, so finite differences never straddle a kink.
 */
export function arbFloat32Array(n: number, options: Float32ArrayOptions = {}): Arbitrary<Float32Array> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`arbFloat32Array: n must be a non-negative integer, got ${n}`);
  return fc.array(arbFloat32(options), { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));
}

export interface DistinctFloat32ArrayOptions {
  /** Default -10. */
  readonly min?: number;
  /** Default 10. */
  readonly max?: number;
  /**
   * Smallest gap between any two values (default 0: merely distinct, with -0 and 0 counted
   * as equal). Use a gap above the finite-difference step when checking max/argmax gradients.
   */
  readonly minGap?: number;
}

const RANK_GRID = 1_000_000;

/**
 * A Float32Array of n pairwise-distinct values in [min, max] (no ties), for max / argmax /
 * sort tests. Built without rejection: n grid integers t_i are drawn, the value of rank r
 * (ties broken by index) is lo + r * gap + t_(r) * (span - n * gap) / 1e6, so sorted values
 * are at least `gap` apart, and position i gets the value of t_i's rank. Shrinks towards
 * evenly spaced ascending values.
 */
export function arbDistinctFloat32Array(n: number, options: DistinctFloat32ArrayOptions = {}): Arbitrary<Float32Array> {
  const { min = -10, max = 10, minGap = 0 } = options;
  const fn = 'arbDistinctFloat32Array';
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`);
  if (!(minGap >= 0) || !Number.isFinite(minGap)) throw new RangeError(`${fn}: minGap must be finite and >= 0, got ${minGap}`);
  const [[lo, hi]] = allowedIntervals(fn, min, max, [], 0) as [[number, number]];
  // float32 rounding moves each value by at most half an ulp of the largest magnitude, so
  // two ulps on top of minGap keep rounded neighbours more than minGap apart (hence distinct).
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  const gap = minGap + 2 * (nextUpF32(top) - top);
  const span = hi - lo;
  if (n * gap > span) throw new RangeError(`${fn}: [${min}, ${max}] is too narrow for ${n} values ${minGap} apart`);
  const free = span - n * gap;
  return fc.array(fc.integer({ min: 0, max: RANK_GRID }), { minLength: n, maxLength: n }).map((t) => {
    const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
    const out = new Float32Array(n);
    order.forEach((i, r) => {
      out[i] = lo + r * gap + (t[i]! / RANK_GRID) * free;
    });
    return out;
  });
}

// ---------------------------------------------------------------- PRNG

/** A seed accepted by `key(seed)`: any safe integer, negatives included (biased to small values). */
export function arbKeySeed(): Arbitrary<number> {
  return fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger());
}

/** A PRNG key built from {@link arbKeySeed}. */
export function arbKey(): Arbitrary<Key> {
  return arbKeySeed().map(key);
}
