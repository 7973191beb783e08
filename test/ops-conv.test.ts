import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays } from './helpers/tf';
import {
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  maxPool1d,
  maxPool2d,
} from '../src/ops/conv';
import { mul } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { evalGraph, grad, jvp, makeGraph, vjp } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray, permutationArray } from '../src/random';
import { ShapeError } from '../src/shape/dims';
import type { Tensor } from '../src/tensor/tensor';

type AnyT = Tensor<any>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** normal values from a seed */
const randn = (seed: number, shape: readonly number[]): AnyT => fromFlat(normalArray(key(seed), size(shape)), shape) as AnyT;
/** distinct values 0.05 apart (no ties, and finite differences never flip a max) */
const distinct = (seed: number, shape: readonly number[]): AnyT => {
  const p = permutationArray(key(seed), size(shape));
  return fromFlat(Array.from(p, (v) => (v - p.length / 2) * 0.05), shape) as AnyT;
};
const tfPad = (p: unknown) => p as 'valid';

// ---------------------------------------------------------------- generators

type Pad2 = 'valid' | 'same' | number | [number, number] | [[number, number], [number, number]];
interface ConvCase {
  b: number; h: number; w: number; cin: number; cout: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pad: Pad2; seed: number;
}

const convCase = fc
  .record({
    b: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 8 }),
    w: fc.integer({ min: 1, max: 8 }),
    cin: fc.integer({ min: 1, max: 3 }),
    cout: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    dil: fc.boolean(),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 3 }),
    pad: fc.oneof(
      fc.constant<Pad2>('valid'),
      fc.constant<Pad2>('same'),
      fc.integer({ min: 0, max: 2 }),
      fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      fc.tuple(fc.tuple(fc.nat(2), fc.nat(2)), fc.tuple(fc.nat(2), fc.nat(2))),
    ),
    seed: fc.nat(1e6),
  })
  // tfjs supports dilation only with stride 1
  .map(({ dil, ...c }): ConvCase => (dil ? { ...c, sh: 1, sw: 1 } : { ...c, dh: 1, dw: 1 }))
  .filter((c) => {
    const [t, bt, l, r] = explicitPads(c);
    return c.h + t + bt >= c.dh * (c.kh - 1) + 1 && c.w + l + r >= c.dw * (c.kw - 1) + 1;
  });

/** pads [t, b, l, r] of a case for the fit filter (same padding always fits) */
function explicitPads(c: ConvCase): [number, number, number, number] {
  if (c.pad === 'valid') return [0, 0, 0, 0];
  if (c.pad === 'same') return [99, 99, 99, 99];
  if (typeof c.pad === 'number') return [c.pad, c.pad, c.pad, c.pad];
  if (typeof c.pad[0] === 'number') {
    const [ph, pw] = c.pad as [number, number];
    return [ph, ph, pw, pw];
  }
  const [[t, b], [l, r]] = c.pad as [[number, number], [number, number]];
  return [t, b, l, r];
}
/** the same padding in tfjs' terms */
function tfConvPad(c: ConvCase): 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]] {
  // tfjs 4.22 sizes a numeric pad with the height stride on both axes: pass it as explicit pads
  if (c.pad === 'valid' || c.pad === 'same') return c.pad;
  const [t, b, l, r] = explicitPads(c);
  return [[0, 0], [t, b], [l, r], [0, 0]];
}
const convInputs = (c: ConvCase) => ({
  x: randn(c.seed, [c.b, c.h, c.w, c.cin]),
  f: randn(c.seed + 1, [c.kh, c.kw, c.cin, c.cout]),
});
const convOpts = (c: ConvCase) => ({ strides: [c.sh, c.sw] as [number, number], padding: c.pad, dilation: [c.dh, c.dw] as [number, number] });
const runConv = (x: AnyT, f: AnyT, c: ConvCase): AnyT => conv2d(x as any, f as any, convOpts(c) as any) as AnyT;
const tfConv = (x: tf.Tensor, f: tf.Tensor, c: ConvCase) =>
  tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [c.sh, c.sw], tfPad(tfConvPad(c)), 'NHWC', [c.dh, c.dw]);

// ---------------------------------------------------------------- conv2d

describe('conv2d', () => {
  it('matches tf.conv2d over shapes, strides 1-3, dilations, valid / same / explicit padding', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const { x, f } = convInputs(c);
        tf.tidy(() => expectCloseTf(runConv(x, f, c), tfConv(toTf(x), toTf(f), c), { atol: 1e-5, rtol: 1e-5 }, JSON.stringify(c)));
      }),
      { seed: 1, numRuns: 150 },
    );
  });

  it('input and filter gradients match tf.grad (dilation 1)', () => {
    fc.assert(
      fc.property(
        convCase.filter((c) => c.dh === 1 && c.dw === 1),
        (c) => {
          const { x, f } = convInputs(c);
          const y = runConv(x, f, c);
          const r = randn(c.seed + 2, y.shape as number[]);
          const loss = (a: AnyT, b: AnyT) => sum(mul(runConv(a, b, c) as any, r as any) as any) as any;
          const [gx, gf] = grad(loss, { argnums: [0, 1] })(x, f) as [AnyT, AnyT];
          tf.tidy(() => {
            const rt = toTf(r);
            const [tgx, tgf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tfConv(a, b, c), rt)))([toTf(x), toTf(f)]);
            expectCloseTf(gx, tgx!, { atol: 1e-5, rtol: 1e-4 }, `dx ${JSON.stringify(c)}`);
            expectCloseTf(gf, tgf!, { atol: 1e-5, rtol: 1e-4 }, `df ${JSON.stringify(c)}`);
          });
        },
      ),
      { seed: 2, numRuns: 60 },
    );
  });

  it('large kernels at the edge of fitting, and a 1x1 conv', () => {
    const x = randn(3, [1, 5, 4, 2]);
    const f = randn(4, [5, 4, 2, 3]);
    expectCloseTf(conv2d(x, f), tf.conv2d(toTf(x) as tf.Tensor4D, toTf(f) as tf.Tensor4D, 1, 'valid'));
    const f1 = randn(5, [1, 1, 2, 6]);
    expectCloseTf(conv2d(x, f1, { strides: 2 }), tf.conv2d(toTf(x) as tf.Tensor4D, toTf(f1) as tf.Tensor4D, 2, 'valid'));
    expect(conv2d(x, f1, { strides: 2 }).shape).toEqual([1, 3, 2, 6]);
  });

  it('checkGrads order 1 (both modes) and order 2, incl. stride + dilation + asymmetric padding', () => {
    const cases: ConvCase[] = [
      { b: 2, h: 5, w: 6, cin: 2, cout: 3, kh: 3, kw: 2, sh: 2, sw: 1, dh: 1, dw: 2, pad: 'same', seed: 10 },
      { b: 1, h: 6, w: 5, cin: 3, cout: 2, kh: 2, kw: 3, sh: 3, sw: 2, dh: 2, dw: 1, pad: [[1, 0], [0, 2]], seed: 11 },
      { b: 1, h: 4, w: 4, cin: 1, cout: 2, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 'valid', seed: 12 },
    ];
    for (const c of cases) {
      const { x, f } = convInputs(c);
      checkGrads((a: AnyT, b: AnyT) => runConv(a, b, c), [x, f], { order: 1, seed: c.seed });
      checkGrads((a: AnyT, b: AnyT) => runConv(a, b, c), [x, f], { order: 2, seed: c.seed + 100 });
    }
  });

  it('the backprop ops are differentiable public ops (checkGrads order 2) and agree with grad', () => {
    const c: ConvCase = { b: 1, h: 5, w: 5, cin: 2, cout: 2, kh: 3, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, pad: 'same', seed: 20 };
    const { x, f } = convInputs(c);
    const dy = randn(21, runConv(x, f, c).shape as number[]);
    const opts = convOpts(c);
    const bpi = (d: AnyT, w: AnyT) => conv2dBackpropInput(d, w, [1, 5, 5, 2], opts) as AnyT;
    const bpf = (a: AnyT, d: AnyT) => conv2dBackpropFilter(a, d, [3, 2, 2, 2], opts) as AnyT;
    const [gx, gf] = grad((a: AnyT, b: AnyT) => sum(mul(runConv(a, b, c) as any, dy as any) as any) as any, { argnums: [0, 1] })(x, f) as [AnyT, AnyT];
    expectCloseArrays(bpi(dy, f).dataSync(), gx.dataSync(), {}, 'bpi');
    expectCloseArrays(bpf(x, dy).dataSync(), gf.dataSync(), {}, 'bpf');
    checkGrads(bpi, [dy, f], { order: 2, seed: 22 });
    checkGrads(bpf, [x, dy], { order: 2, seed: 23 });
  });

  it('throws the rules messages when types are bypassed', () => {
    const x = randn(1, [1, 4, 4, 3]);
    expect(() => conv2d(x, randn(2, [3, 3, 2, 5]) as any)).toThrow(new ShapeError('conv2d', 'input channels differ (3 vs 2)'));
    expect(() => conv2d(x, randn(2, [5, 3, 3, 5]) as any)).toThrow("conv2d: kernel 5 (dilated 5) larger than input height 4 with padding 'valid'");
    expect(() => conv2d(x, randn(2, [3, 3, 3, 5]) as any, { dilation: 2 })).toThrow("conv2d: kernel 3 (dilated 5) larger than input height 4 with padding 'valid'");
    expect(() => conv2d(x, randn(2, [3, 3, 3, 5]) as any, { padding: [[0, 0], [0, 0]], strides: 1, dilation: [1, 3] } as any)).toThrow(
      "conv2d: kernel 3 (dilated 7) larger than input width 4 with padding 'valid'",
    );
    expect(() => conv2d(x, randn(2, [3, 3, 3]) as any)).toThrow('conv2d: filter must be [kH, kW, inC, outC] (rank 3)');
    expect(() => conv2d(randn(1, [4, 4, 3]) as any, randn(2, [3, 3, 3, 1]) as any)).toThrow('conv2d: input must be [batch, height, width, channels] (rank 3)');
    expect(() => conv2d(x, randn(2, [3, 3, 3, 1]) as any, { strides: 0 } as any)).toThrow('conv2d: stride must be >= 1 (0)');
    expect(() => conv2d(x, randn(2, [3, 3, 3, 1]) as any, { padding: [[-1, 0], [0, 0]] } as any)).toThrow('conv2d: padding must be >= 0 (-1)');
    expect(() => conv2d(x, randn(2, [3, 3, 3, 1]) as any, { padding: -1 } as any)).toThrow('conv2d: padding must be >= 0 (-1)');
  });
});

describe('abstract tracing', () => {
  it('conv2d, conv1d and the pools trace into graphs (no kernels run) that evaluate to the same values', () => {
    const x = distinct(1, [2, 6, 5, 3]);
    const f = randn(2, [3, 2, 3, 4]);
    const x1 = distinct(3, [2, 7, 3]);
    const f1 = randn(4, [2, 3, 2]); // a constant (literal) operand in the graph
    const fn = (a: AnyT, b: AnyT, c: AnyT) => [
      conv2d(a as any, b as any, { strides: 2, padding: 'same' }),
      maxPool2d(a as any, { poolSize: 3, strides: 2, padding: 'same' }),
      avgPool2d(a as any),
      globalMaxPool2d(a as any),
      conv1d(c as any, f1 as any, { padding: 'causal' }),
      maxPool1d(c as any),
    ];
    const g = makeGraph(fn as any, [x, f, x1].map((t) => ({ shape: t.shape as number[], dtype: 'float32' as const })));
    const direct = fn(x, f, x1) as AnyT[];
    evalGraph(g, [x, f, x1] as any).forEach((o, i) => expect(o.dataSync()).toEqual(direct[i]!.dataSync()));
  });
});

// ---------------------------------------------------------------- conv1d

describe('conv1d', () => {
  const case1d = fc
    .record({
      b: fc.integer({ min: 1, max: 2 }),
      l: fc.integer({ min: 1, max: 12 }),
      cin: fc.integer({ min: 1, max: 3 }),
      cout: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'valid' | 'same' | 'causal'>('valid', 'same', 'causal'),
      seed: fc.nat(1e6),
    })
    .map((c) => (c.d > 1 ? { ...c, s: 1 } : c))
    .filter((c) => c.pad !== 'valid' || c.l >= c.d * (c.k - 1) + 1);

  it('matches tf.conv1d (valid / same, strides, dilations) and causal = left-padded valid', () => {
    fc.assert(
      fc.property(case1d, (c) => {
        const x = randn(c.seed, [c.b, c.l, c.cin]);
        const f = randn(c.seed + 1, [c.k, c.cin, c.cout]);
        const y = conv1d(x as any, f as any, { strides: c.s, padding: c.pad, dilation: c.d }) as AnyT;
        tf.tidy(() => {
          const xt = c.pad === 'causal' ? tf.pad(toTf(x), [[0, 0], [c.d * (c.k - 1), 0], [0, 0]]) : toTf(x);
          const want = tf.conv1d(xt as tf.Tensor3D, toTf(f) as tf.Tensor3D, c.s, c.pad === 'causal' ? 'valid' : c.pad, 'NWC', c.d);
          expectCloseTf(y, want, { atol: 1e-5 }, JSON.stringify(c));
        });
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('causal output t depends only on inputs <= t', () => {
    const x = randn(5, [1, 9, 2]);
    const f = randn(6, [3, 2, 1]);
    const [, t] = jvp((a: AnyT) => conv1d(a as any, f, { padding: 'causal', dilation: 2 }) as AnyT, [x], [fromFlat(Array.from({ length: 18 }, (_, i) => (i >= 12 ? 1 : 0)), [1, 9, 2])]);
    const td = (t as AnyT).dataSync();
    for (let i = 0; i < 6; i++) expect(td[i]).toBe(0); // inputs 6.. perturbed → outputs 0..5 unchanged
    expect(Array.from(td.slice(6)).some((v) => v !== 0)).toBe(true);
  });

  it('checkGrads order 1 and 2 (causal, dilated)', () => {
    const x = randn(7, [2, 7, 2]);
    const f = randn(8, [3, 2, 3]);
    checkGrads((a: AnyT, b: AnyT) => conv1d(a as any, b as any, { padding: 'causal', dilation: 2 }) as AnyT, [x, f], { order: 2, seed: 9 });
    checkGrads((a: AnyT, b: AnyT) => conv1d(a as any, b as any, { padding: 'same', strides: 2 }) as AnyT, [x, f], { order: 1, seed: 10 });
  });

  it('throws on bypassed types', () => {
    expect(() => conv1d(randn(1, [1, 5, 3]), randn(2, [2, 2, 4]) as any)).toThrow('conv1d: input channels differ (3 vs 2)');
    expect(() => conv1d(randn(1, [1, 3, 2]), randn(2, [3, 2, 4]) as any, { dilation: 2 })).toThrow("conv1d: kernel 3 (dilated 5) larger than input length 3 with padding 'valid'");
    expect(() => conv1d(randn(1, [1, 3, 2]), randn(2, [3, 2]) as any)).toThrow('conv1d: filter must be [k, inC, outC] (rank 2)');
    expect(() => conv1d(randn(1, [3, 2]) as any, randn(2, [1, 2, 2]) as any)).toThrow('conv1d: input must be [batch, length, channels] (rank 2)');
    expect(() => conv1d(randn(1, [1, 5, 2]), randn(2, [2, 2, 4]), { stride: 2 } as any)).toThrow("conv1d: the option is spelt 'strides', not 'stride'");
  });
});

// ---------------------------------------------------------------- pooling

const poolCase = fc
  .record({
    b: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 8 }),
    w: fc.integer({ min: 1, max: 8 }),
    c: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    pad: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
    seed: fc.nat(1e6),
  })
  .filter((p) => p.pad === 'same' || (p.h >= p.kh && p.w >= p.kw));

describe('maxPool2d / avgPool2d', () => {
  it('match tf.maxPool / tf.avgPool (odd and even windows, strides 1-3, valid / same)', () => {
    fc.assert(
      fc.property(poolCase, (p) => {
        const x = distinct(p.seed, [p.b, p.h, p.w, p.c]);
        const o = { poolSize: [p.kh, p.kw] as [number, number], strides: [p.sh, p.sw] as [number, number], padding: p.pad };
        tf.tidy(() => {
          const xt = toTf(x) as tf.Tensor4D;
          expectCloseTf(maxPool2d(x as any, o) as AnyT, tf.maxPool(xt, [p.kh, p.kw], [p.sh, p.sw], p.pad), {}, `max ${JSON.stringify(p)}`);
          expectCloseTf(avgPool2d(x as any, o) as AnyT, tf.avgPool(xt, [p.kh, p.kw], [p.sh, p.sw], p.pad), {}, `avg ${JSON.stringify(p)}`);
        });
      }),
      { seed: 4, numRuns: 150 },
    );
  });

  it('gradients match tf.grad (inputs without ties)', () => {
    fc.assert(
      fc.property(poolCase, (p) => {
        const x = distinct(p.seed, [p.b, p.h, p.w, p.c]);
        const o = { poolSize: [p.kh, p.kw] as [number, number], strides: [p.sh, p.sw] as [number, number], padding: p.pad };
        const y = maxPool2d(x as any, o) as AnyT;
        const r = randn(p.seed + 1, y.shape as number[]);
        const gMax = grad((a: AnyT) => sum(mul(maxPool2d(a as any, o) as any, r as any) as any) as any)(x) as AnyT;
        const gAvg = grad((a: AnyT) => sum(mul(avgPool2d(a as any, o) as any, r as any) as any) as any)(x) as AnyT;
        tf.tidy(() => {
          const rt = toTf(r);
          const tMax = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, [p.kh, p.kw], [p.sh, p.sw], p.pad), rt)))(toTf(x));
          const tAvg = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, [p.kh, p.kw], [p.sh, p.sw], p.pad), rt)))(toTf(x));
          expectCloseTf(gMax, tMax, {}, `max ${JSON.stringify(p)}`);
          // tfjs' avgPool gradient divides by the full window even where its forward excluded
          // padded cells, so it is only the true derivative for 'valid' (checkGrads covers 'same')
          if (p.pad === 'valid') expectCloseTf(gAvg, tAvg, { atol: 1e-6, rtol: 1e-5 }, `avg ${JSON.stringify(p)}`);
        });
      }),
      { seed: 5, numRuns: 80 },
    );
  });

  it('defaults: pool size 2, strides = pool size (Keras)', () => {
    const x = distinct(1, [1, 5, 7, 2]);
    expect(maxPool2d(x).shape).toEqual([1, 2, 3, 2]);
    expect(avgPool2d(x, { poolSize: 3 }).shape).toEqual([1, 1, 2, 2]);
    expect(maxPool2d(x, { poolSize: 3, padding: 'same' }).shape).toEqual([1, 2, 3, 2]);
  });

  it('ties send the whole gradient to the first maximum in the window, in both modes', () => {
    const x = fromFlat([1, 3, 3, 0, 3, 3, 2, 3, 0], [1, 3, 3, 1]);
    const o = { poolSize: 2, strides: 1 } as const;
    const g = grad((a: AnyT) => sum(maxPool2d(a as any, o) as any) as any)(x) as AnyT;
    // windows (row-major): {1,3,0,3} → idx 1; {3,3,3,3} → idx 1; {0,3,2,3} → idx 4; {3,3,3,0} → idx 4
    expect(Array.from(g.dataSync())).toEqual([0, 2, 0, 0, 2, 0, 0, 0, 0]);
    const u = fromFlat([1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8], [1, 3, 3, 1]);
    const [, t] = jvp((a: AnyT) => maxPool2d(a as any, o) as AnyT, [x], [u]);
    expect(Array.from((t as AnyT).dataSync())).toEqual([10, 10, 1e4, 1e4]);
  });

  it('checkGrads order 1 (both modes) and order 2 for max and avg pooling', () => {
    const x = distinct(6, [2, 5, 6, 2]);
    for (const o of [
      { poolSize: 2 },
      { poolSize: [3, 2], strides: [2, 1], padding: 'same' },
      { poolSize: 3, strides: 2, padding: 'valid' },
    ] as const) {
      checkGrads((a: AnyT) => maxPool2d(a as any, o as any) as AnyT, [x], { order: 2, seed: 7 });
      checkGrads((a: AnyT) => avgPool2d(a as any, o as any) as AnyT, [x], { order: 2, seed: 8 });
    }
  });

  it('the pool vjps are differentiable in the cotangent too (scatter ↔ gather, avg backprop ↔ avg pool)', () => {
    const x = distinct(9, [1, 5, 5, 2]);
    const o = { poolSize: 3, strides: 2, padding: 'same' } as const;
    for (const pool of [maxPool2d, avgPool2d]) {
      const dy = randn(10, (pool(x as any, o) as AnyT).shape as number[]);
      const pullback = (a: AnyT, d: AnyT) => vjp((z: AnyT) => pool(z as any, o) as AnyT, a)[1](d)[0];
      checkGrads(pullback, [x, dy], { order: 2, seed: 11 });
    }
  });

  it('throws on bypassed types', () => {
    const x = distinct(1, [1, 3, 4, 1]);
    expect(() => maxPool2d(x as any, { poolSize: 4 })).toThrow("pool2d: window 4 larger than input height 3 with padding 'valid'");
    expect(() => avgPool2d(distinct(1, [3, 4, 1]) as any)).toThrow('pool2d: input must be [batch, height, width, channels] (rank 3)');
    expect(() => avgPool2d(x as any, { strides: 0 } as any)).toThrow('pool2d: stride must be >= 1 (0)');
    expect(() => avgPool2d(x as any, { padding: 'causal' } as any)).toThrow(ShapeError);
  });
});

describe('1-D and global pooling', () => {
  it('maxPool1d / avgPool1d match tf pooling on [B, 1, L, C]', () => {
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 2 }),
          l: fc.integer({ min: 1, max: 12 }),
          c: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 4 }),
          s: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
          pad: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
          seed: fc.nat(1e6),
        }),
        (p) => {
          fc.pre(p.pad === 'same' || p.l >= p.k);
          const x = distinct(p.seed, [p.b, p.l, p.c]);
          const o = p.s === undefined ? { poolSize: p.k, padding: p.pad } : { poolSize: p.k, strides: p.s, padding: p.pad };
          const s = p.s ?? p.k;
          tf.tidy(() => {
            const x4 = toTf(x).reshape([p.b, 1, p.l, p.c]) as tf.Tensor4D;
            const wantMax = tf.maxPool(x4, [1, p.k], [1, s], p.pad);
            const wantAvg = tf.avgPool(x4, [1, p.k], [1, s], p.pad);
            expectCloseTf(maxPool1d(x as any, o) as AnyT, wantMax.reshape([p.b, wantMax.shape[2], p.c]));
            expectCloseTf(avgPool1d(x as any, o) as AnyT, wantAvg.reshape([p.b, wantAvg.shape[2], p.c]));
          });
        },
      ),
      { seed: 6, numRuns: 80 },
    );
  });

  it('global pools match tf.max / tf.mean and have gradients', () => {
    const x4 = distinct(3, [2, 3, 4, 5]);
    const x3 = distinct(4, [2, 6, 3]);
    tf.tidy(() => {
      expectCloseTf(globalMaxPool2d(x4), tf.max(toTf(x4), [1, 2]));
      expectCloseTf(globalAvgPool2d(x4), tf.mean(toTf(x4), [1, 2]));
      expectCloseTf(globalMaxPool1d(x3), tf.max(toTf(x3), [1]));
      expectCloseTf(globalAvgPool1d(x3), tf.mean(toTf(x3), [1]));
    });
    checkGrads((a: AnyT) => globalMaxPool2d(a as any) as AnyT, [x4], { order: 2, seed: 1 });
    checkGrads((a: AnyT) => globalAvgPool2d(a as any) as AnyT, [x4], { order: 2, seed: 2 });
    checkGrads((a: AnyT) => globalMaxPool1d(a as any) as AnyT, [x3], { order: 1, seed: 3 });
    checkGrads((a: AnyT) => globalAvgPool1d(a as any) as AnyT, [x3], { order: 1, seed: 4 });
    checkGrads((a: AnyT) => maxPool1d(a as any, { poolSize: 3, strides: 2, padding: 'same' }) as AnyT, [x3], { order: 1, seed: 5 });
    checkGrads((a: AnyT) => avgPool1d(a as any, { poolSize: 2, strides: 1 }) as AnyT, [x3], { order: 1, seed: 6 });
    expect(() => globalAvgPool2d(x3 as any)).toThrow('globalPool2d: input must be [batch, height, width, channels] (rank 3)');
    expect(() => globalMaxPool1d(x4 as any)).toThrow('globalPool1d: input must be [batch, length, channels] (rank 4)');
  });

  it('pool1d errors', () => {
    expect(() => maxPool1d(distinct(1, [1, 3, 2]) as any, { poolSize: 4 })).toThrow("pool1d: window 4 larger than input length 3 with padding 'valid'");
    expect(() => avgPool1d(distinct(1, [1, 4, 2]), { stride: 1 } as any)).toThrow("avgPool1d: the option is spelt 'strides', not 'stride'");
  });
});
