import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKey, key } from '../src/random/index';
import {
  arbBroadcastableShapes,
  arbConv2dCase,
  arbDim,
  arbDistinctFloat32Array,
  arbFloat32,
  arbFloat32Array,
  arbKey,
  arbKeySeed,
  arbMatmulShapes,
  arbPool2dCase,
  arbShape,
  shapeSize,
} from '../src/testing/arbitraries';
import type { Padding } from '../src/testing/arbitraries';

const run = { seed: 42, numRuns: 400 } as const;
const sample = <T>(arb: fc.Arbitrary<T>, numRuns = 1000): T[] => fc.sample(arb, { seed: 7, numRuns });

/** Independent NumPy broadcasting: the result shape, or undefined when the shapes clash. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * Brute-force window count along one axis: positions p >= 0 where a window of k taps spaced
 * d apart, starting at p * s, fits inside the padded input.
 */
function windows(inSize: number, k: number, s: number, d: number, before: number, after: number): number {
  let count = 0;
  for (let p = 0; p * s + d * (k - 1) <= inSize + before + after - 1; p++) count++;
  return count;
}

describe('arbDim and arbShape', () => {
  it('arbDim stays within its bounds', () => {
    fc.assert(fc.property(arbDim(), (d) => d >= 1 && d <= 8), run);
    fc.assert(fc.property(arbDim({ min: 0, max: 3 }), (d) => Number.isInteger(d) && d >= 0 && d <= 3), run);
    expect(() => arbDim({ min: 3, max: 2 })).toThrow(RangeError);
  });

  it('arbShape respects rank, dim and element bounds, with small defaults', () => {
    fc.assert(
      fc.property(arbShape(), (s) => s.length <= 4 && s.every((d) => d >= 1 && d <= 6) && shapeSize(s) <= 2048),
      run,
    );
    const opts = { minRank: 2, maxRank: 5, minDim: 2, maxDim: 20, maxElements: 100 };
    fc.assert(
      fc.property(
        arbShape(opts),
        (s) => s.length >= 2 && s.length <= 5 && s.every((d) => d >= 2 && d <= 20) && shapeSize(s) <= 100,
      ),
      run,
    );
    // Scalars, empty dims and the full rank range all occur.
    const shapes = sample(arbShape({ minDim: 0 }));
    expect(new Set(shapes.map((s) => s.length))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(shapes.some((s) => s.includes(0))).toBe(true);
    expect(() => arbShape({ minRank: 3, minDim: 20, maxElements: 1000 })).toThrow(RangeError);
  });
});

describe('arbBroadcastableShapes', () => {
  it('always gives pairs that broadcast', () => {
    fc.assert(fc.property(arbBroadcastableShapes(), ([a, b]) => broadcast(a, b) !== undefined), run);
  });

  it('covers rank differences, 1s on either side, scalars and equal shapes', () => {
    const pairs = sample(arbBroadcastableShapes(), 2000);
    expect(pairs.some(([a, b]) => a.length !== b.length)).toBe(true);
    expect(pairs.some(([a, b]) => a.length === 0 || b.length === 0)).toBe(true);
    expect(pairs.some(([a, b]) => a.length > 1 && a.length === b.length && JSON.stringify(a) === JSON.stringify(b))).toBe(true);
    // a real stretch on both sides in one pair: a has 1 where b has > 1 and vice versa
    const stretch = (x: number[], y: number[]) => {
      const r = Math.min(x.length, y.length);
      return x.slice(x.length - r).some((d, i) => d === 1 && y[y.length - r + i]! > 1);
    };
    expect(pairs.some(([a, b]) => stretch(a, b) && stretch(b, a))).toBe(true);
    expect(Math.max(...pairs.map(([a, b]) => shapeSize(broadcast(a, b)!)))).toBeLessThanOrEqual(5 ** 4);
  });
});

describe('arbMatmulShapes', () => {
  it('gives compatible operands and the right output shape', () => {
    fc.assert(
      fc.property(arbMatmulShapes(), ({ a, b, out }) => {
        const [m, k] = a.slice(-2) as [number, number];
        const [k2, n] = b.slice(-2) as [number, number];
        const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
        return a.length >= 2 && b.length >= 2 && k === k2 && batch !== undefined && JSON.stringify(out) === JSON.stringify([...batch, m, n]);
      }),
      run,
    );
    const cases = sample(arbMatmulShapes());
    expect(cases.some(({ a, b }) => a.length !== b.length)).toBe(true);
    expect(cases.some(({ a, b }) => a.length > 2 && b.length > 2 && a.slice(0, -2).includes(1))).toBe(true);
  });
});

describe('arbConv2dCase', () => {
  it('always gives an output of at least 1x1, matching a brute-force window count', () => {
    fc.assert(
      fc.property(arbConv2dCase(), (c) => {
        const [n, ih, iw, cin] = c.input;
        const [kh, kw, kin, cout] = c.kernel;
        const [top, bottom, left, right] = c.pads;
        const oh = windows(ih, kh, c.strides[0], c.dilation[0], top, bottom);
        const ow = windows(iw, kw, c.strides[1], c.dilation[1], left, right);
        const padsOk =
          c.padding === 'valid'
            ? c.pads.every((p) => p === 0)
            : [bottom - top, right - left].every((x) => x === 0 || x === 1);
        return (
          kin === cin &&
          c.output[0] === n &&
          c.output[3] === cout &&
          c.output[1] === oh &&
          c.output[2] === ow &&
          oh >= 1 &&
          ow >= 1 &&
          padsOk &&
          // 'same' keeps ceil(in / stride)
          (c.padding === 'valid' || (oh === Math.ceil(ih / c.strides[0]) && ow === Math.ceil(iw / c.strides[1])))
        );
      }),
      run,
    );
  });

  it('covers both paddings, strides, dilations and strided remainders, and stays small', () => {
    const cases = sample(arbConv2dCase(), 2000);
    const paddings = new Set<Padding>(cases.map((c) => c.padding));
    expect(paddings).toEqual(new Set(['valid', 'same']));
    expect(cases.some((c) => c.strides[0] > 1 && c.dilation[0] > 1)).toBe(true);
    // a 'valid' case whose last stride step leaves input cells unused
    expect(
      cases.some(
        (c) => c.padding === 'valid' && (c.input[1] - c.dilation[0] * (c.kernel[0] - 1) - 1) % c.strides[0] !== 0,
      ),
    ).toBe(true);
    expect(cases.some((c) => c.padding === 'same' && c.pads.some((p) => p > 0))).toBe(true);
    expect(Math.max(...cases.map((c) => shapeSize(c.input)))).toBeLessThanOrEqual(2000);
  });

  it('honours a fixed padding and the tfjs restriction (all strides or all dilations 1)', () => {
    fc.assert(fc.property(arbConv2dCase({ padding: 'same' }), (c) => c.padding === 'same'), run);
    fc.assert(
      fc.property(
        arbConv2dCase({ stridedDilation: false }),
        (c) => c.strides.every((s) => s === 1) || c.dilation.every((d) => d === 1),
      ),
      run,
    );
    expect(sample(arbConv2dCase({ stridedDilation: false })).some((c) => c.dilation.some((d) => d > 1))).toBe(true);
  });
});

describe('arbPool2dCase', () => {
  it('always gives an output of at least 1x1, matching a brute-force window count', () => {
    fc.assert(
      fc.property(arbPool2dCase(), (c) => {
        const [top, bottom, left, right] = c.pads;
        const oh = windows(c.input[1], c.poolSize[0], c.strides[0], 1, top, bottom);
        const ow = windows(c.input[2], c.poolSize[1], c.strides[1], 1, left, right);
        return (
          oh >= 1 &&
          ow >= 1 &&
          c.output[1] === oh &&
          c.output[2] === ow &&
          c.output[0] === c.input[0] &&
          c.output[3] === c.input[3] &&
          (c.padding === 'same' || c.pads.every((p) => p === 0))
        );
      }),
      run,
    );
  });

  it('covers default strides (= pool size), other strides and both paddings', () => {
    const cases = sample(arbPool2dCase());
    expect(cases.some((c) => c.strides[0] === c.poolSize[0] && c.poolSize[0] > 1)).toBe(true);
    expect(cases.some((c) => c.strides[0] !== c.poolSize[0])).toBe(true);
    expect(new Set(cases.map((c) => c.padding))).toEqual(new Set(['valid', 'same']));
  });
});

describe('arbFloat32Array', () => {
  it('gives n float32 values in [min, max]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }).chain((n) => fc.tuple(fc.constant(n), arbFloat32Array(n, { min: -2, max: 3 }))), ([n, a]) =>
        a instanceof Float32Array && a.length === n && a.every((x) => x >= -2 && x <= 3),
      ),
      run,
    );
  });

  it('keeps every value at least `margin` away from the avoided points', () => {
    const avoid = [0, 1, -1.5, 2.995, 100];
    const margin = 0.05;
    fc.assert(
      fc.property(arbFloat32Array(30, { min: -3, max: 3, avoid, margin }), (a) =>
        a.every((x) => x >= -3 && x <= 3 && avoid.every((p) => Math.abs(x - p) >= margin)),
      ),
      run,
    );
    // the default margin, with fast-check's bias towards 0 in play
    fc.assert(fc.property(arbFloat32Array(50, { avoid: [0] }), (a) => a.every((x) => Math.abs(x) >= 1e-2)), run);
    // values still land on both sides of each kink
    const xs = sample(arbFloat32({ min: -1, max: 1, avoid: [0], margin: 0.1 }));
    expect(xs.some((x) => x < 0) && xs.some((x) => x > 0)).toBe(true);
  });

  it('rejects impossible requests', () => {
    expect(() => arbFloat32Array(3, { min: -1, max: 1, avoid: [0], margin: 2 })).toThrow(RangeError);
    expect(() => arbFloat32Array(3, { min: 1, max: 0 })).toThrow(RangeError);
    expect(() => arbFloat32Array(-1)).toThrow(RangeError);
    expect(() => arbFloat32Array(3, { avoid: [Number.NaN] })).toThrow(RangeError);
  });
});

describe('arbDistinctFloat32Array', () => {
  const distinct = (a: Float32Array) => new Set(Array.from(a, (x) => (x === 0 ? 0 : x))).size === a.length;

  it('gives n pairwise-distinct float32 values within range', () => {
    fc.assert(
      fc.property(arbDistinctFloat32Array(40), (a) => a.length === 40 && distinct(a) && a.every((x) => x >= -10 && x <= 10)),
      run,
    );
    // a range so narrow that float32 rounding alone would create ties
    fc.assert(fc.property(arbDistinctFloat32Array(20, { min: 1, max: 1.00001 }), (a) => a.length === 20 && distinct(a)), run);
  });

  it('keeps the minimum gap and is not sorted', () => {
    const minGap = 0.01;
    fc.assert(
      fc.property(arbDistinctFloat32Array(25, { min: -1, max: 1, minGap }), (a) => {
        const s = Array.from(a).sort((x, y) => x - y);
        return s.every((x, i) => i === 0 || x - s[i - 1]! >= minGap) && s[0]! >= -1 && s[24]! <= 1;
      }),
      run,
    );
    const arrays = sample(arbDistinctFloat32Array(5), 200);
    expect(arrays.some((a) => a[0]! > a[1]!) && arrays.some((a) => a[0]! < a[1]!)).toBe(true);
    expect(() => arbDistinctFloat32Array(300, { min: 0, max: 1, minGap: 0.01 })).toThrow(RangeError);
  });
});

describe('arbKeySeed and arbKey', () => {
  it('always gives seeds that key() accepts, small and large, negative too', () => {
    fc.assert(fc.property(arbKeySeed(), (s) => isKey(key(s))), run);
    fc.assert(fc.property(arbKey(), isKey), run);
    const seeds = sample(arbKeySeed());
    expect(seeds.some((s) => s < 0) && seeds.some((s) => Math.abs(s) > 2 ** 40)).toBe(true);
  });
});
