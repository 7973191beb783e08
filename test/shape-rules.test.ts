import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ShapeError } from '../src/shape/dims';
import {
  broadcastShapes,
  concatShapes,
  conv1dShape,
  conv2dShape,
  convOutSize,
  flattenShape,
  matmulShape,
  normalizeAxis,
  paddingAmounts,
  pool1dShape,
  pool2dShape,
  reduceShape,
  reshapeShape,
  samePadding,
  sliceShape,
  splitDimShape,
  splitShape,
  squeezeShape,
  stackShapes,
  transposeShape,
  unsqueezeShape,
} from '../src/shape/rules';
import type { Padding } from '../src/shape/rules';

const RUNS = { seed: 42, numRuns: 300 };

/** Runs f and returns the ShapeError it throws (failing the test if it throws nothing or something else). */
function shapeError(f: () => unknown): ShapeError {
  try {
    f();
  } catch (e) {
    if (e instanceof ShapeError) return e;
    throw e;
  }
  throw new Error('expected a ShapeError');
}

function expectRule(f: () => unknown, rule: string): ShapeError {
  const e = shapeError(f);
  expect(e.rule).toBe(rule);
  expect(e.message.startsWith(`${rule}: `)).toBe(true);
  expect(e.name).toBe('ShapeError');
  return e;
}

const product = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Every multi-index of a shape, in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = product(shape);
  for (let flat = 0; flat < n; flat++) {
    const idx = new Array<number>(shape.length);
    let r = flat;
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = r % shape[k]!;
      r = Math.floor(r / shape[k]!);
    }
    yield idx;
  }
}

// ---------------------------------------------------------------------------------------------
// Reference definitions, written from the semantics rather than from the implementation.

/**
 * Broadcasting by its meaning: R is the broadcast of A and B when reading every element of R
 * through the stretched index map (size-1 axes pinned to 0, missing leading axes dropped) hits
 * every element of A exactly as often as every other, and stays in bounds. We enumerate the
 * candidate result shapes and keep the one for which both maps are total and onto.
 */
function refBroadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const pad = (s: readonly number[]) => [...new Array<number>(n - s.length).fill(1), ...s];
  const pa = pad(a);
  const pb = pad(b);
  const stretches = (x: readonly number[], r: readonly number[]): boolean => {
    const seen = new Set<string>();
    for (const i of indices(r)) {
      const j = i.map((v, k) => (x[k] === 1 ? 0 : v));
      if (j.some((v, k) => v >= x[k]!)) return false;
      seen.add(j.join(','));
    }
    return seen.size === product(x);
  };
  let candidates: number[][] = [[]];
  for (let k = 0; k < n; k++) {
    const opts = [...new Set([pa[k]!, pb[k]!])];
    candidates = candidates.flatMap((c) => opts.map((o) => [...c, o]));
  }
  return candidates.find((r) => stretches(pa, r) && stretches(pb, r));
}

/** Number of window positions of extent d(k-1)+1 that fit in a (padded) length, stepping by s. */
function countWindows(len: number, k: number, s: number, d: number): number {
  let c = 0;
  for (let start = 0; start + d * (k - 1) < len; start += s) c++;
  return c;
}

type Nested = Nested[] | number;
function nested(shape: readonly number[]): Nested {
  if (shape.length === 0) return 0;
  return Array.from({ length: shape[0]! }, () => nested(shape.slice(1)));
}
/** Shape of a rectangular nested array (throws on ragged input). */
function shapeOf(x: Nested): number[] {
  if (!Array.isArray(x)) return [];
  const inner = x.map(shapeOf);
  const first = inner[0] ?? [];
  if (inner.some((s) => s.join(',') !== first.join(','))) throw new Error('ragged');
  return [x.length, ...first];
}
/** Concatenation of nested arrays along an axis, by walking down to it. */
function concatNested(xs: Nested[], axis: number): Nested {
  if (axis === 0) return xs.flatMap((x) => x as Nested[]);
  const lens = new Set(xs.map((x) => (x as Nested[]).length));
  if (lens.size !== 1) throw new Error('outer dims differ');
  const first = xs[0] as Nested[];
  return first.map((_, i) => concatNested(xs.map((x) => (x as Nested[])[i]!), axis - 1));
}
function wrapAt(x: Nested, axis: number): Nested {
  return axis === 0 ? [x] : (x as Nested[]).map((y) => wrapAt(y, axis - 1));
}

// ---------------------------------------------------------------------------------------------
// Generators

const dim = fc.integer({ min: 1, max: 4 });
const shapeArb = (maxRank = 4) => fc.array(dim, { maxLength: maxRank });

/** Pairs that broadcast often: B is A's suffix with some dims replaced by 1 or by a random dim. */
const broadcastPair = fc
  .tuple(shapeArb(4), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), dim), { maxLength: 4 }), fc.nat(4))
  .map(([a, edits, drop]) => {
    const b = a.slice(Math.min(drop, a.length)).map((d, i) => {
      const [mode, other] = edits[i] ?? [0, 1];
      return mode === 1 ? 1 : mode === 2 ? other : d;
    });
    return [a, b] as const;
  });

describe('broadcastShapes', () => {
  test('agrees with the index-map definition', () => {
    fc.assert(
      fc.property(broadcastPair, fc.boolean(), ([a, b], swap) => {
        const [x, y] = swap ? [b, a] : [a, b];
        const ref = refBroadcast(x, y);
        if (ref === undefined) {
          const e = expectRule(() => broadcastShapes(x, y), 'broadcast');
          expect(e.message).toMatch(/^broadcast: dims not broadcastable at axis -\d+ \(\d+ vs \d+\)$/);
        } else {
          expect(broadcastShapes(x, y)).toEqual(ref);
        }
      }),
      RUNS,
    );
  });

  test('reports the rightmost clash, counted from the right', () => {
    expect(shapeError(() => broadcastShapes([2, 3, 4], [5, 3, 6])).message).toBe(
      'broadcast: dims not broadcastable at axis -1 (4 vs 6)',
    );
    expect(shapeError(() => broadcastShapes([2, 3], [4])).message).toBe('broadcast: dims not broadcastable at axis -1 (3 vs 4)');
  });

  test('zero-size dims broadcast against 1 only', () => {
    expect(broadcastShapes([0, 3], [1, 3])).toEqual([0, 3]);
    expectRule(() => broadcastShapes([0], [3]), 'broadcast');
  });
});

describe('matmulShape', () => {
  const operands = fc
    .tuple(broadcastPair, dim, dim, dim, fc.integer({ min: 0, max: 4 }))
    .map(([[ba, bb], m, k, n, k2raw]) => {
      const k2 = k2raw === 0 ? k : k2raw;
      return [
        [...ba, m, k],
        [...bb, k2, n],
      ] as const;
    });

  test('batch dims broadcast, inner dims must match', () => {
    fc.assert(
      fc.property(operands, ([a, b]) => {
        const k = a[a.length - 1]!;
        const k2 = b[b.length - 2]!;
        const batch = refBroadcast(a.slice(0, -2), b.slice(0, -2));
        if (k !== k2) {
          expect(shapeError(() => matmulShape(a, b)).message).toBe(`matmul: inner dims differ (${k} vs ${k2})`);
        } else if (batch === undefined) {
          expect(shapeError(() => matmulShape(a, b)).message).toMatch(/^matmul: batch dims not broadcastable at axis -\d+/);
        } else {
          expect(matmulShape(a, b)).toEqual([...batch, a[a.length - 2], b[b.length - 1]]);
        }
      }),
      RUNS,
    );
  });

  test('messages match the type-level text', () => {
    expect(shapeError(() => matmulShape([32, 784], [128, 10])).message).toBe('matmul: inner dims differ (784 vs 128)');
    expect(shapeError(() => matmulShape([784], [784, 10])).message).toBe('matmul: operands need rank >= 2 (ranks 1 and 2)');
    expect(shapeError(() => matmulShape([2, 5, 6], [3, 6, 7])).message).toBe(
      'matmul: batch dims not broadcastable at axis -3 (2 vs 3)',
    );
  });
});

describe('convolution sizes', () => {
  const conv = fc.record({
    n: fc.integer({ min: 0, max: 40 }),
    k: fc.integer({ min: 1, max: 7 }),
    s: fc.integer({ min: 1, max: 4 }),
    d: fc.integer({ min: 1, max: 3 }),
    p: fc.integer({ min: 0, max: 3 }),
  });

  test('valid and explicit padding count the windows that fit', () => {
    fc.assert(
      fc.property(conv, ({ n, k, s, d, p }) => {
        for (const padding of ['valid', p] as const) {
          const padded = padding === 'valid' ? n : n + 2 * padding;
          const windows = countWindows(padded, k, s, d);
          if (windows === 0) {
            const e = expectRule(() => convOutSize(n, k, s, d, padding), 'conv');
            const pad = padding === 'valid' ? "'valid'" : `${padding}`;
            expect(e.message).toBe(`conv: kernel ${k} (dilated ${d * (k - 1) + 1}) larger than input ${n} with padding ${pad}`);
          } else {
            expect(convOutSize(n, k, s, d, padding)).toBe(windows);
          }
        }
      }),
      RUNS,
    );
  });

  test("'same' gives ceil(n / s) windows with TensorFlow's minimal padding; 'causal' pads the left only", () => {
    fc.assert(
      fc.property(conv, ({ n, k, s, d }) => {
        if (n === 0) {
          expectRule(() => convOutSize(n, k, s, d, 'same'), 'conv');
          return;
        }
        const out = Math.ceil(n / s);
        expect(convOutSize(n, k, s, d, 'same')).toBe(out);
        const [before, after] = samePadding(n, k, s, d);
        expect(countWindows(n + before + after, k, s, d)).toBe(out);
        // minimal total: the smallest padding that yields that many windows
        let t = 0;
        while (countWindows(n + t, k, s, d) < out) t++;
        expect(before + after).toBe(t);
        expect(before).toBe(Math.floor(t / 2));
        const [cb, ca] = paddingAmounts(n, k, s, d, 'causal');
        expect(ca).toBe(0);
        expect(countWindows(n + cb, k, s, d)).toBe(convOutSize(n, k, s, d, 'causal'));
      }),
      RUNS,
    );
  });

  test('agrees with tfjs conv2d/pool2d shape inference (oracle)', () => {
    const cfg = fc.record({
      h: fc.integer({ min: 1, max: 30 }),
      w: fc.integer({ min: 1, max: 30 }),
      kh: fc.integer({ min: 1, max: 5 }),
      kw: fc.integer({ min: 1, max: 5 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      pad: fc.constantFrom<'valid' | 'same' | number>('valid', 'same', 0, 1, 2),
    });
    fc.assert(
      fc.property(cfg, ({ h, w, kh, kw, s, d, pad }) => {
        const x = [2, h, w, 3];
        const tfPad = typeof pad === 'number' ? [[0, 0], [pad, pad], [pad, pad], [0, 0]] : pad;
        const info = tf.backend_util.computeConv2DInfo(
          x as [number, number, number, number],
          [kh, kw, 3, 8],
          [s, s],
          [d, d],
          tfPad as 'valid',
        );
        const fits = info.outHeight >= 1 && info.outWidth >= 1;
        if (!fits) {
          expectRule(() => conv2dShape(x, [kh, kw], 8, s, pad, d), 'conv2d');
          return;
        }
        expect(conv2dShape(x, [kh, kw], 8, s, pad, d)).toEqual(info.outShape);
        if (pad === 'same') {
          expect(samePadding(h, kh, s, d)).toEqual([info.padInfo.top, info.padInfo.bottom]);
          expect(samePadding(w, kw, s, d)).toEqual([info.padInfo.left, info.padInfo.right]);
        }
        if (d === 1) {
          const pinfo = tf.backend_util.computePool2DInfo(x as [number, number, number, number], [kh, kw], [s, s], 1, tfPad as 'valid');
          expect(pool2dShape(x, [kh, kw], s, pad)).toEqual(pinfo.outShape);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  test('1-D and 2-D wrappers, defaults and messages', () => {
    expect(conv2dShape([8, 28, 28, 1], 3, 32)).toEqual([8, 26, 26, 32]);
    expect(conv2dShape([8, 224, 224, 3], 7, 64, 2, 'same')).toEqual([8, 112, 112, 64]);
    expect(pool2dShape([8, 26, 26, 32], 2)).toEqual([8, 13, 13, 32]);
    expect(conv1dShape([4, 1000, 16], 3, 32, 1, 'causal', 4)).toEqual([4, 1000, 32]);
    expect(pool1dShape([4, 1000, 16], 3)).toEqual([4, 333, 16]);
    expect(shapeError(() => convOutSize(3, 5)).message).toBe("conv: kernel 5 (dilated 5) larger than input 3 with padding 'valid'");
    expect(shapeError(() => conv2dShape([8, 3, 28, 1], 5, 32)).message).toBe(
      "conv2d: kernel 5 (dilated 5) larger than input height 3 with padding 'valid'",
    );
    expect(shapeError(() => pool2dShape([8, 26, 1, 32], 2)).message).toBe(
      "pool2d: window 2 larger than input width 1 with padding 'valid'",
    );
    expect(shapeError(() => conv2dShape([8, 28, 28], 3, 8)).message).toBe(
      'conv2d: input must be [batch, height, width, channels] (rank 3)',
    );
    expect(shapeError(() => conv1dShape([8, 4, 16], 3, 8, 1, 'valid', 2)).message).toBe(
      "conv1d: kernel 3 (dilated 5) larger than input length 4 with padding 'valid'",
    );
    expect(shapeError(() => convOutSize(8, 3, 0)).message).toBe('conv: stride must be >= 1 (0)');
    expect(shapeError(() => convOutSize(8, 0)).message).toBe('conv: kernel must be >= 1 (0)');
    expect(shapeError(() => convOutSize(8, 3, 1, 0)).message).toBe('conv: dilation must be >= 1 (0)');
    expect(shapeError(() => convOutSize(8, 3, 1, 1, -1 as Padding)).message).toBe('conv: padding must be >= 0 (-1)');
    expect(paddingAmounts(10, 3, 1, 1, 'valid')).toEqual([0, 0]);
    expect(paddingAmounts(10, 3, 1, 1, 2)).toEqual([2, 2]);
  });
});

describe('reshapeShape', () => {
  /** A shape and a regrouping of its prime factors into a target of the same size. */
  const regroup = fc
    .tuple(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(3), { maxLength: 20 }))
    .map(([s, slots]) => {
      const primes: number[] = [];
      for (let d of s) {
        for (let p = 2; d > 1; p++) {
          while (d % p === 0) {
            primes.push(p);
            d /= p;
          }
        }
      }
      const t = [1, 1, 1, 1];
      primes.forEach((p, i) => {
        const slot = slots[i] ?? 0;
        t[slot] = t[slot]! * p;
      });
      return [s, t] as const;
    });

  test('any regrouping of the same size is accepted and returned as given', () => {
    fc.assert(
      fc.property(regroup, ([s, t]) => {
        expect(reshapeShape(s, t)).toEqual(t);
      }),
      RUNS,
    );
  });

  test('-1 is inferred as the missing factor', () => {
    fc.assert(
      fc.property(regroup, fc.nat(3), ([s, t], hole) => {
        const withHole = t.map((d, i) => (i === hole ? -1 : d));
        const r = reshapeShape(s, withHole);
        expect(r).toEqual(t);
        expect(product(r)).toBe(product(s));
      }),
      RUNS,
    );
  });

  test('a different size is rejected, naming both sizes', () => {
    fc.assert(
      fc.property(regroup, fc.nat(3), fc.integer({ min: 2, max: 5 }), ([s, t], at, f) => {
        const bigger = t.map((d, i) => (i === at ? d * f : d));
        const e = expectRule(() => reshapeShape(s, bigger), 'reshape');
        expect(e.message).toBe(`reshape: sizes differ (${product(s)} vs ${product(bigger)})`);
      }),
      RUNS,
    );
  });

  test('-1 that cannot divide, several -1, invalid dims', () => {
    expect(shapeError(() => reshapeShape([5, 7], [6, 6])).message).toBe('reshape: sizes differ (35 vs 36)');
    expect(shapeError(() => reshapeShape([5, 7], [-1, 6])).message).toBe('reshape: cannot infer -1 (35 is not divisible by 6)');
    expect(shapeError(() => reshapeShape([5, 7], [-1, -1])).message).toBe('reshape: only one -1 allowed (2 found)');
    expect(shapeError(() => reshapeShape([5, 7], [-3, 7])).message).toBe('reshape: invalid target dim (-3)');
    expect(shapeError(() => reshapeShape([0, 7], [0, -1])).message).toBe('reshape: cannot infer -1 (0 is not divisible by 0)');
    expect(reshapeShape([32, 7, 7, 64], [32, -1])).toEqual([32, 3136]);
  });
});

describe('flatten, transpose, squeeze, unsqueeze, reduce', () => {
  const shapeAndAxis = shapeArb(5)
    .filter((s) => s.length > 0)
    .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 })));

  test('normalizeAxis maps [-r, r) onto [0, r) and rejects the rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -10, max: 10 }), (r, a) => {
        if (a >= -r && a < r) expect(normalizeAxis(a, r)).toBe(a < 0 ? a + r : a);
        else expect(shapeError(() => normalizeAxis(a, r, 'sum')).message).toBe(`sum: axis out of range (axis ${a}, rank ${r})`);
      }),
      RUNS,
    );
  });

  test('flatten keeps the prefix and the total size', () => {
    fc.assert(
      fc.property(shapeAndAxis, ([s, a]) => {
        const i = a < 0 ? a + s.length : a;
        const f = flattenShape(s, a);
        expect(f.slice(0, i)).toEqual(s.slice(0, i));
        expect(f).toHaveLength(i + 1);
        expect(product(f)).toBe(product(s));
      }),
      RUNS,
    );
    expectRule(() => flattenShape([2, 3], 2), 'flatten');
  });

  test('transpose by a permutation, undone by its inverse; negative entries are the same axes', () => {
    const permuted = shapeArb(5).chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.shuffledSubarray(
          s.map((_, i) => i),
          { minLength: s.length, maxLength: s.length },
        ),
      ),
    );
    fc.assert(
      fc.property(permuted, ([s, p]) => {
        const t = transposeShape(s, p);
        p.forEach((axis, i) => expect(t[i]).toBe(s[axis]));
        const inv: number[] = [];
        p.forEach((axis, i) => (inv[axis] = i));
        expect(transposeShape(t, inv)).toEqual(s);
        expect(transposeShape(s, p.map((x) => x - s.length))).toEqual(t);
      }),
      RUNS,
    );
    expect(transposeShape([1, 2, 3])).toEqual([3, 2, 1]);
    expect(shapeError(() => transposeShape([2, 3], [0, 0])).message).toBe('transpose: perm repeats axis (0)');
    expect(shapeError(() => transposeShape([2, 3], [1])).message).toBe('transpose: perm length differs from rank (1 vs 2)');
    expectRule(() => transposeShape([2, 3], [0, 2]), 'transpose');
  });

  test('unsqueeze then squeeze at the same axis is the identity', () => {
    const s_ax = shapeArb(4).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -(s.length + 1), max: s.length })));
    fc.assert(
      fc.property(s_ax, ([s, a]) => {
        const u = unsqueezeShape(s, a);
        const i = a < 0 ? a + s.length + 1 : a;
        expect(u[i]).toBe(1);
        expect(u).toHaveLength(s.length + 1);
        expect(squeezeShape(u, i)).toEqual(s);
        expect(squeezeShape(u, i - u.length)).toEqual(s);
      }),
      RUNS,
    );
    expect(shapeError(() => unsqueezeShape([3, 4], 3)).message).toBe('unsqueeze: axis out of range (axis 3, rank 2)');
    expect(squeezeShape([1, 3, 1, 1])).toEqual([3]);
    expect(shapeError(() => squeezeShape([2, 3], 1)).message).toBe('squeeze: squeezed dim must be 1 (axis 1 has 3)');
    expect(shapeError(() => squeezeShape([1, 3], [0, -2])).message).toBe('squeeze: axis repeated (0)');
  });

  test('reduce drops or keeps axes and conserves size', () => {
    const s_axes = shapeArb(5).chain((s) =>
      fc.tuple(fc.constant(s), fc.subarray(s.map((_, i) => i)), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 })),
    );
    fc.assert(
      fc.property(s_axes, ([s, axes, negate]) => {
        const given = axes.map((a, i) => (negate[i] ? a - s.length : a));
        const kept = reduceShape(s, given, true);
        const dropped = reduceShape(s, given);
        expect(kept).toHaveLength(s.length);
        expect(product(kept) * product(axes.map((a) => s[a]!))).toBe(product(s));
        expect(dropped).toEqual(s.filter((_, i) => !axes.includes(i)));
        expect(squeezeShape(kept, axes)).toEqual(dropped);
      }),
      RUNS,
    );
    expect(reduceShape([2, 3])).toEqual([]);
    expect(reduceShape([2, 3], undefined, true)).toEqual([1, 1]);
    expect(reduceShape([2, 3], -1)).toEqual([2]);
    expect(shapeError(() => reduceShape([2, 3], [0, -2])).message).toBe('reduce: axis repeated (0)');
    expect(shapeError(() => reduceShape([2, 3], [2])).message).toBe('reduce: axis out of range (axis 2, rank 2)');
  });
});

describe('concat and stack', () => {
  /** Same-rank shapes that agree off the axis, with an occasional off-axis disagreement. */
  const concatCase = fc
    .tuple(shapeArb(4), fc.array(fc.tuple(dim, fc.integer({ min: 0, max: 9 }), dim), { minLength: 1, maxLength: 4 }), fc.nat())
    .filter(([s]) => s.length > 0)
    .map(([s, extras, ax]) => {
      const axis = ax % s.length;
      const shapes = [s, ...extras.map(([d, spoil, other]) => s.map((x, i) => (i === axis ? d : spoil === 0 && other !== x ? other : x)))];
      return { shapes, axis };
    });

  test('concat agrees with concatenating nested arrays', () => {
    fc.assert(
      fc.property(concatCase, fc.boolean(), ({ shapes, axis }, negative) => {
        const given = negative ? axis - shapes[0]!.length : axis;
        let ref: number[] | undefined;
        try {
          ref = shapeOf(
            concatNested(
              shapes.map((s) => nested(s)),
              axis,
            ),
          );
        } catch {
          ref = undefined;
        }
        if (ref === undefined) {
          expect(shapeError(() => concatShapes(shapes, given)).message).toMatch(/^concat: dims differ at axis \d+ \(\d+ vs \d+ at input \d+\)$/);
        } else {
          expect(concatShapes(shapes, given)).toEqual(ref);
        }
      }),
      RUNS,
    );
  });

  test('stack agrees with concatenating nested arrays wrapped at the axis', () => {
    const stackCase = shapeArb(3).chain((s) =>
      fc.tuple(fc.constant(s), fc.integer({ min: 1, max: 4 }), fc.integer({ min: -(s.length + 1), max: s.length })),
    );
    fc.assert(
      fc.property(stackCase, ([s, count, axis]) => {
        const i = axis < 0 ? axis + s.length + 1 : axis;
        const shapes = Array.from({ length: count }, () => s);
        const ref = shapeOf(
          concatNested(
            shapes.map((x) => wrapAt(nested(x), i)),
            i,
          ),
        );
        expect(stackShapes(shapes, axis)).toEqual(ref);
      }),
      RUNS,
    );
  });

  test('messages', () => {
    expect(concatShapes([[9999, 3], [1, 3]])).toEqual([10000, 3]);
    expect(shapeError(() => concatShapes([[2, 3], [2, 3], [2, 4]], 0)).message).toBe(
      'concat: dims differ at axis 1 (3 vs 4 at input 2)',
    );
    expect(shapeError(() => concatShapes([[2, 3], [2, 3, 1]])).message).toBe('concat: ranks differ (2 vs 3 at input 1)');
    expect(shapeError(() => concatShapes([])).message).toBe('concat: needs at least one input (0 given)');
    expect(shapeError(() => concatShapes([[2, 3]], 2)).message).toBe('concat: axis out of range (axis 2, rank 2)');
    expect(shapeError(() => stackShapes([[2, 3], [2, 4]])).message).toBe('stack: dims differ at axis 1 (3 vs 4 at input 1)');
    expect(shapeError(() => stackShapes([[2, 3]], 3)).message).toBe('stack: axis out of range (axis 3, rank 2)');
    expect(shapeError(() => stackShapes([])).message).toBe('stack: needs at least one input (0 given)');
  });
});

describe('slice and split', () => {
  test('slice sizes equal the number of indices in [begin, begin + size)', () => {
    const sliceCase = shapeArb(4).chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d + 1 }))),
        fc.tuple(...s.map((d) => fc.integer({ min: -1, max: d + 1 }))),
      ),
    );
    fc.assert(
      fc.property(sliceCase, ([s, begin, size]) => {
        const fits = s.every((d, i) => begin[i]! <= d && (size[i] === -1 || begin[i]! + size[i]! <= d));
        if (!fits) {
          expectRule(() => sliceShape(s, begin, size), 'slice');
          return;
        }
        const ref = s.map((d, i) => {
          let c = 0;
          for (let j = 0; j < d; j++) if (j >= begin[i]! && (size[i] === -1 || j < begin[i]! + size[i]!)) c++;
          return c;
        });
        expect(sliceShape(s, begin, size)).toEqual(ref);
      }),
      RUNS,
    );
    expect(sliceShape([10, 20], [3])).toEqual([7, 20]);
    expect(shapeError(() => sliceShape([224, 224], [0, 200], [-1, 25])).message).toBe(
      'slice: begin + size exceeds dim (200 + 25 > 224 at axis 1)',
    );
    expect(shapeError(() => sliceShape([224], [225])).message).toBe('slice: begin out of range (225 > 224 at axis 0)');
    expect(shapeError(() => sliceShape([224], [0, 0])).message).toBe('slice: more begin entries than rank (2 vs 1)');
    expect(shapeError(() => sliceShape([224], [0], [-2])).message).toBe('slice: size must be >= 0 or -1 (-2 at axis 0)');
    expect(shapeError(() => sliceShape([224], [-1])).message).toBe('slice: begin must be >= 0 (-1 at axis 0)');
  });

  test('splitDim is a reshape with the parts in front; split pieces concatenate back', () => {
    const splitCase = fc
      .tuple(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }))
      .map(([s, ax, parts, q]) => {
        const axis = ax % s.length;
        return { s: s.map((d, i) => (i === axis ? parts * q : d)), axis, parts };
      });
    fc.assert(
      fc.property(splitCase, ({ s, axis, parts }) => {
        const viaReshape = reshapeShape(s, [...s.slice(0, axis), parts, -1, ...s.slice(axis + 1)]);
        expect(splitDimShape(s, axis, parts)).toEqual(viaReshape);
        expect(splitDimShape(s, axis - s.length, parts)).toEqual(viaReshape);
        const piece = splitShape(s, axis, parts);
        expect(concatShapes(Array.from({ length: parts }, () => piece), axis)).toEqual(s);
      }),
      RUNS,
    );
    expect(splitDimShape([2, 7, 512], -1, 8)).toEqual([2, 7, 8, 64]);
    expect(shapeError(() => splitDimShape([2, 7, 500], -1, 8)).message).toBe('splitDim: parts do not divide dim (8 does not divide 500)');
    expect(shapeError(() => splitDimShape([2, 500], -1, 0)).message).toBe('splitDim: parts must be >= 1 (0)');
    expect(shapeError(() => splitShape([10, 3], 0, 3)).message).toBe('split: pieces do not divide dim (3 does not divide 10)');
    expectRule(() => splitShape([10, 3], 2, 2), 'split');
  });
});
