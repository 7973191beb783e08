import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays } from './helpers/tf';
import { batchNorm, dropout, layerNorm } from '../src/ops/norm';
import { add, mul } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { evalGraph, grad, jvp, makeGraph } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray, split } from '../src/random';
import { ShapeError } from '../src/shape/dims';
import type { Tensor } from '../src/tensor/tensor';

type AnyT = Tensor<any>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (seed: number, shape: readonly number[], mean = 0, std = 1): AnyT => fromFlat(normalArray(key(seed), size(shape), mean, std), shape) as AnyT;

/** float64 layer norm over the last `n` axes */
function layerNormRef(x: Float32Array, shape: readonly number[], n: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number): Float64Array {
  const cols = size(shape.slice(shape.length - n));
  const rows = x.length / cols;
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m += x[r * cols + j]!;
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x[r * cols + j]! - m) ** 2;
    v /= cols;
    const rs = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = (x[r * cols + j]! - m) * rs * (gamma ? gamma[j]! : 1) + (beta ? beta[j]! : 0);
  }
  return out;
}

const ln = (x: AnyT, g: AnyT | null, b: AnyT | null, o?: object): AnyT => layerNorm(x as any, g as any, b as any, o as any) as AnyT;

describe('layerNorm', () => {
  it('matches a float64 reference (axis -1 or trailing pairs, offsets, tiny variance, eps 1e-3 default / 1e-5)', () => {
    fc.assert(
      fc.property(
        fc.record({
          shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
          two: fc.boolean(),
          mean: fc.constantFrom(0, 100, -3),
          std: fc.constantFrom(1, 1e-2, 30),
          affine: fc.boolean(),
          eps: fc.constantFrom(undefined, 1e-5),
          seed: fc.nat(1e6),
        }),
        (c) => {
          const n = c.two && c.shape.length >= 2 ? 2 : 1;
          const nd = c.shape.slice(c.shape.length - n);
          const x = randn(c.seed, c.shape, c.mean, c.std);
          const g = c.affine ? randn(c.seed + 1, nd) : null;
          const b = c.affine ? randn(c.seed + 2, nd) : null;
          const y = ln(x, g, b, { axis: n === 2 ? [-2, -1] : -1, ...(c.eps === undefined ? {} : { epsilon: c.eps }) });
          expect(y.shape).toEqual(c.shape);
          const want = layerNormRef(x.dataSync() as Float32Array, c.shape, n, g && (g.dataSync() as Float32Array), b && (b.dataSync() as Float32Array), c.eps ?? 1e-3);
          expectCloseArrays(y.dataSync(), want, { atol: 1e-5, rtol: 1e-5 }, JSON.stringify(c));
        },
      ),
      { seed: 1, numRuns: 120 },
    );
  });

  it('matches tf.layers.layerNormalization with its default epsilon (Keras: 1e-3), axis -1 and [-2, -1]', () => {
    for (const [axis, pshape] of [[-1, [5]], [[-2, -1], [3, 5]]] as const) {
      const x = randn(3, [2, 3, 5], 0.5, 0.1);
      const g = randn(4, pshape);
      const b = randn(5, pshape);
      tf.tidy(() => {
        const layer = tf.layers.layerNormalization({ axis: axis as number | number[] });
        layer.build([2, 3, 5]);
        layer.setWeights([toTf(g), toTf(b)]);
        expectCloseTf(ln(x, g, b, { axis }), layer.apply(toTf(x)) as tf.Tensor, { atol: 1e-5, rtol: 1e-5 });
      });
    }
  });

  it('gradients w.r.t. x, gamma, beta match tf.grad of a tf.moments reference', () => {
    const x = randn(6, [4, 7]);
    const g = randn(7, [7]);
    const b = randn(8, [7]);
    const r = randn(9, [4, 7]);
    const [gx, gg, gb] = grad((a: AnyT, c: AnyT, d: AnyT) => sum(mul(ln(a, c, d) as any, r as any) as any) as any, { argnums: [0, 1, 2] })(x, g, b) as AnyT[];
    tf.tidy(() => {
      const rt = toTf(r);
      const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, -1, true);
        return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-3))), c), d), rt));
      };
      const [tx, tg, tb] = tf.grads(f)([toTf(x), toTf(g), toTf(b)]);
      expectCloseTf(gx!, tx!, { atol: 1e-5, rtol: 1e-4 }, 'dx');
      expectCloseTf(gg!, tg!, { atol: 1e-5, rtol: 1e-4 }, 'dgamma');
      expectCloseTf(gb!, tb!, { atol: 1e-5, rtol: 1e-4 }, 'dbeta');
    });
  });

  it('checkGrads order 1 (both modes) and order 2, with and without affine params, one or two axes', () => {
    const x = randn(10, [3, 2, 5]);
    checkGrads((a: AnyT, c: AnyT, d: AnyT) => ln(a, c, d), [x, randn(11, [5]), randn(12, [5])], { order: 2, seed: 1 });
    checkGrads((a: AnyT, c: AnyT, d: AnyT) => ln(a, c, d, { axis: [-2, -1], epsilon: 1e-5 }), [x, randn(13, [2, 5]), randn(14, [2, 5])], { order: 2, seed: 2 });
    checkGrads((a: AnyT) => ln(a, null, null), [x], { order: 2, seed: 3 });
    // third order exercises the rules of the rstd output inside the derivative rules
    checkGrads((a: AnyT) => ln(a, null, null, { axis: 2 }), [randn(15, [2, 1, 4])], { order: 3, seed: 4 });
  });

  it('gamma / beta run in the fused kernel and match the composition xhat · gamma + beta in values, gradients and tangents', () => {
    const x = randn(20, [3, 4, 6], 2, 3);
    const g = randn(21, [6]);
    const b = randn(22, [6]);
    const r = randn(23, [3, 4, 6]);
    const comp = (a: AnyT, c: AnyT | null, d: AnyT | null): AnyT => {
      let y = ln(a, null, null, { epsilon: 1e-5 });
      if (c) y = mul(y as any, c as any) as AnyT;
      if (d) y = add(y as any, d as any) as AnyT;
      return y;
    };
    for (const [c, d] of [[g, b], [g, null], [null, b]] as const) {
      const fused = (a: AnyT, cc: AnyT | null, dd: AnyT | null) => ln(a, cc, dd, { epsilon: 1e-5 });
      // one primitive, no element-wise ops after it
      const graph = makeGraph(((a: AnyT) => fused(a, c, d)) as any, [{ shape: [3, 4, 6], dtype: 'float32' as const }]);
      expect(graph.eqns.map((e) => e.prim.name)).toEqual(['layer_norm_affine']);
      expectCloseArrays(fused(x, c, d).dataSync(), comp(x, c, d).dataSync(), { atol: 1e-6, rtol: 1e-6 });
      const loss = (f: typeof comp) => (a: AnyT, cc: AnyT, dd: AnyT) => sum(mul(f(a, c && cc, d && dd) as any, r as any) as any) as any;
      const gf = grad(loss(fused), { argnums: [0, 1, 2] })(x, g, b) as AnyT[];
      const gc = grad(loss(comp), { argnums: [0, 1, 2] })(x, g, b) as AnyT[];
      gf.forEach((t, i) => expectCloseArrays(t.dataSync(), gc[i]!.dataSync(), { atol: 1e-5, rtol: 1e-5 }, `grad ${i} (gamma ${!!c}, beta ${!!d})`));
      const tx = randn(24, [3, 4, 6]), tg = randn(25, [6]), tb = randn(26, [6]);
      const [, tf1] = jvp((a: AnyT, cc: AnyT, dd: AnyT) => fused(a, c && cc, d && dd), [x, g, b], [tx, tg, tb]) as unknown as [AnyT, AnyT];
      const [, tc1] = jvp((a: AnyT, cc: AnyT, dd: AnyT) => comp(a, c && cc, d && dd), [x, g, b], [tx, tg, tb]) as unknown as [AnyT, AnyT];
      expectCloseArrays(tf1.dataSync(), tc1.dataSync(), { atol: 1e-5, rtol: 1e-5 }, `jvp (gamma ${!!c}, beta ${!!d})`);
    }
  });

  it('checkGrads with only gamma or only beta (order 2), and order 3 with both', () => {
    const x = randn(30, [2, 3, 4]);
    checkGrads((a: AnyT, c: AnyT) => ln(a, c, null), [x, randn(31, [4])], { order: 2, seed: 5 });
    checkGrads((a: AnyT, d: AnyT) => ln(a, null, d, { axis: [-2, -1] }), [x, randn(32, [3, 4])], { order: 2, seed: 6 });
    // third order: the rules of the mean / rstd outputs inside the affine primitive's own rules
    checkGrads((a: AnyT, c: AnyT, d: AnyT) => ln(a, c, d), [randn(33, [2, 1, 4]), randn(34, [4]), randn(35, [4])], { order: 3, seed: 7 });
  });

  it('throws on bypassed types and bad options', () => {
    const x = randn(1, [2, 3, 4]);
    expect(() => ln(x, randn(2, [3]), null)).toThrow(new ShapeError('layerNorm', 'gamma shape differs from the normalized dims ([3] vs [4])'));
    expect(() => ln(x, null, randn(2, [3, 4]))).toThrow('layerNorm: beta shape differs from the normalized dims ([3, 4] vs [4])');
    expect(() => ln(x, null, null, { axis: 1 })).toThrow('layerNorm: axes must be the trailing axes of x (got [1] for rank 3)');
    expect(() => ln(x, null, null, { axis: [0, 2] })).toThrow('layerNorm: axes must be the trailing axes of x');
    expect(() => ln(x, null, null, { axis: 3 })).toThrow(/^layerNorm: axis .*out of range/);
    expect(() => ln(x, null, null, { epsilon: -1 })).toThrow(RangeError);
  });
});

describe('abstract tracing', () => {
  it('layerNorm, batchNorm and dropout trace into graphs that evaluate to the same values', () => {
    const x = randn(1, [3, 4]);
    const p = randn(2, [4]);
    const fn = (a: AnyT, c: AnyT) => [ln(a, c, c), bn(a, c, mul(c as any, c as any) as AnyT, c, null), dropout(a as any, key(5), 0.5)];
    const g = makeGraph(fn as any, [x, p].map((t) => ({ shape: t.shape as number[], dtype: 'float32' as const })));
    const direct = fn(x, p) as AnyT[];
    evalGraph(g, [x, p] as any).forEach((o, i) => expect(o.dataSync()).toEqual(direct[i]!.dataSync()));
  });
});

// ---------------------------------------------------------------- batchNorm

const bn = (x: AnyT, m: AnyT, v: AnyT, g: AnyT | null, b: AnyT | null, eps?: number): AnyT =>
  batchNorm(x as any, m as any, v as any, g as any, b as any, eps === undefined ? undefined : { epsilon: eps }) as AnyT;
const positive = (seed: number, shape: readonly number[]): AnyT => fromFlat(Array.from(normalArray(key(seed), size(shape)), (v) => 0.2 + v * v), shape) as AnyT;

describe('batchNorm (inference)', () => {
  it('matches tf.batchNorm (channels-last [C] stats or full-rank broadcast stats, optional gamma / beta)', () => {
    fc.assert(
      fc.property(
        fc.record({
          shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
          fullRank: fc.boolean(),
          affine: fc.boolean(),
          eps: fc.constantFrom(undefined, 1e-5, 0.1),
          seed: fc.nat(1e6),
        }),
        (c) => {
          const ps = c.fullRank ? c.shape.map((d, i) => (i === 0 ? 1 : d)) : [c.shape[c.shape.length - 1]!];
          const x = randn(c.seed, c.shape, 2, 3);
          const [m, v, g, b] = [randn(c.seed + 1, ps, 2), positive(c.seed + 2, ps), randn(c.seed + 3, ps), randn(c.seed + 4, ps)];
          const y = bn(x, m, v, c.affine ? g : null, c.affine ? b : null, c.eps);
          tf.tidy(() => {
            const want = tf.batchNorm(toTf(x), toTf(m), toTf(v), c.affine ? toTf(b) : undefined, c.affine ? toTf(g) : undefined, c.eps ?? 1e-3);
            expectCloseTf(y, want, { atol: 1e-5, rtol: 1e-5 }, JSON.stringify(c));
          });
        },
      ),
      { seed: 2, numRuns: 100 },
    );
  });

  it('gradients: tf.grad agreement and checkGrads order 1 and 2 in every argument', () => {
    const x = randn(1, [2, 3, 4]);
    const args = [x, randn(2, [4]), positive(3, [4]), randn(4, [4]), randn(5, [4])] as const;
    const r = randn(6, [2, 3, 4]);
    const gs = grad((a: AnyT, m: AnyT, v: AnyT, g: AnyT, b: AnyT) => sum(mul(bn(a, m, v, g, b) as any, r as any) as any) as any, { argnums: [0, 1, 2, 3, 4] })(...args) as AnyT[];
    tf.tidy(() => {
      const rt = toTf(r);
      const want = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a, m, v, b, g, 1e-3), rt)))(args.map((t) => toTf(t)));
      gs.forEach((g, i) => expectCloseTf(g, want[i]!, { atol: 1e-5, rtol: 1e-4 }, `arg ${i}`));
    });
    checkGrads((a: AnyT, m: AnyT, v: AnyT, g: AnyT, b: AnyT) => bn(a, m, v, g, b), [...args], { order: 2, seed: 7 });
    checkGrads((a: AnyT, m: AnyT, v: AnyT) => bn(a, m, v, null, null), [args[0], args[1], args[2]], { order: 1, seed: 8 });
  });

  it('throws on bypassed types', () => {
    const x = randn(1, [2, 3, 4]);
    const c = randn(2, [4]);
    expect(() => bn(x, randn(2, [3]), c, null, null)).toThrow(new ShapeError('batchNorm', 'mean does not broadcast to x ([3] vs [2, 3, 4])'));
    expect(() => bn(x, c, c, randn(2, [5, 2, 3, 4]), null)).toThrow('batchNorm: gamma does not broadcast to x ([5, 2, 3, 4] vs [2, 3, 4])');
    expect(() => bn(x, c, randn(2, [2, 1]), null, null)).toThrow('batchNorm: variance does not broadcast to x');
    expect(() => bn(x, c, c, null, null, -1)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- dropout

describe('dropout', () => {
  const x = randn(1, [100, 400], 1, 0.5);

  it('is pure: same key → same mask; other keys → other masks', () => {
    const [k1, k2] = split(key(42));
    const a = dropout(x, k1, 0.3).dataSync();
    const again = dropout(x, k1, 0.3).dataSync();
    expect(again.every((v, i) => Object.is(v, a[i]))).toBe(true);
    const b = dropout(x, k2, 0.3).dataSync();
    let diff = 0;
    for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (b[i] === 0)) diff++;
    expect(diff).toBeGreaterThan(a.length * 0.3);
  });

  it('keeps ≈ 1 - rate of the elements and scales survivors by 1 / (1 - rate)', () => {
    const xd = x.dataSync();
    for (const rate of [0.1, 0.5, 0.9]) {
      const y = dropout(x, key(7), rate).dataSync();
      const n = y.length;
      let kept = 0;
      let badScale = 0;
      for (let i = 0; i < n; i++) {
        if (y[i] !== 0) {
          kept++;
          if (y[i] !== Math.fround(xd[i]! * Math.fround(1 / (1 - rate)))) badScale++;
        }
      }
      expect(badScale).toBe(0);
      const p = 1 - rate;
      // within 5 standard deviations of the binomial mean
      expect(Math.abs(kept - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
      // the expectation is preserved
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        sx += xd[i]!;
        sy += y[i]!;
      }
      expect(Math.abs(sy - sx) / sx).toBeLessThan(0.05);
    }
  });

  it('rate 0 and training: false are the identity (the same tensor)', () => {
    expect(dropout(x, key(1), 0)).toBe(x);
    expect(dropout(x, key(1), 0.5, { training: false })).toBe(x);
  });

  it('its derivative is the scaled mask (jvp, grad, checkGrads)', () => {
    const small = randn(2, [4, 6]);
    const k = key(3);
    const y = dropout(small, k, 0.5).dataSync();
    const sd = small.dataSync();
    const g = grad((a: AnyT) => sum(dropout(a as any, k, 0.5) as any) as any)(small) as AnyT;
    const gd = g.dataSync();
    for (let i = 0; i < gd.length; i++) expect(gd[i]).toBe(y[i] === 0 && sd[i] !== 0 ? 0 : 2);
    const [, t] = jvp((a: AnyT) => dropout(a as any, k, 0.5) as AnyT, [small], [small]);
    expect((t as AnyT).dataSync()).toEqual(y);
    checkGrads((a: AnyT) => dropout(a as any, k, 0.25) as AnyT, [small], { order: 2, seed: 1 });
  });

  it('noiseShape broadcasts one draw over the given axes (spatial dropout)', () => {
    const img = randn(4, [2, 3, 3, 5], 5, 0.1);
    const y = dropout(img, key(9), 0.5, { noiseShape: [2, 1, 1, 5] }).dataSync();
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 5; c++) {
        const zeros = new Set<boolean>();
        for (let p = 0; p < 9; p++) zeros.add(y[(b * 9 + p) * 5 + c] === 0);
        expect(zeros.size).toBe(1);
      }
    }
    expect(() => dropout(img, key(9), 0.5, { noiseShape: [2, 3, 3, 4] })).toThrow('dropout: noiseShape does not broadcast to x');
    expect(() => dropout(img, key(9), 0.5, { noiseShape: [7, 2, 3, 3, 5] })).toThrow(ShapeError);
  });

  it('rejects rates outside [0, 1)', () => {
    expect(() => dropout(x, key(1), 1)).toThrow(RangeError);
    expect(() => dropout(x, key(1), -0.1)).toThrow(RangeError);
    expect(() => dropout(x, key(1), Number.NaN)).toThrow(RangeError);
  });
});
