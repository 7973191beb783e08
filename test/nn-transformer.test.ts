import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseArrays, expectCloseTf } from './helpers/tf';
import { multiHeadAttention, mhaApply, initMultiHeadAttention, causalRect } from '../src/nn/layers/attention';
import { sinusoidalEncoding, sinusoidalPositionalEncoding, learnedPositionalEncoding } from '../src/nn/layers/positional';
import { transformer, transformerDecoderLayer, transformerEncoderLayer } from '../src/nn/layers/transformer';
import { sequential } from '../src/nn/sequential';
import { applyLayer, initLayer } from '../src/nn/layer';
import { paddingMask } from '../src/ops/attention';
import { mul, notEqual } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { grad, valueAndGrad } from '../src/autodiff/transforms';
import { treeFlatten } from '../src/autodiff/pytree';
import { checkGrads } from '../src/testing/check-grads';
import { bernoulliArray, key, normalArray, randintArray } from '../src/random';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { zeros } from '../src/tensor/create';
import { ShapeError } from '../src/shape/dims';
import { adam, applyUpdates } from '../src/optim';
import { maskedSparseCategoricalCrossEntropy } from '../src/nn/losses';

type AnyT = Tensor<any>;
type Mask = Tensor<any, 'bool'>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (seed: number, shape: readonly number[], std = 1): AnyT => fromFlat(normalArray(key(seed), size(shape), 0, std), shape) as AnyT;
const ids = (shape: readonly [number, number], data: ArrayLike<number>) => makeTensor<[number, number], 'int32'>(shape, 'int32', Int32Array.from(data));
const leaves = (tree: unknown) => treeFlatten(tree).leaves;

/** Keras get_weights() order of our params */
function kerasOrder(p: any): AnyT[] {
  return ['query', 'key', 'value', 'output'].flatMap((n) => (p[n].bias ? [p[n].kernel, p[n].bias] : [p[n].kernel]));
}

/**
 * Multi-head attention from tfjs ops, head by head (a formulation independent of ours: no
 * reshapes into heads, per-head slices of the 3-D kernels). mask: bool [B, Lq, Lk] or null.
 */
function refMha(w: tf.Tensor[], useBias: boolean, q: tf.Tensor, kv: tf.Tensor, mask: tf.Tensor | null): { out: tf.Tensor; weights: tf.Tensor } {
  const [qk, qb, kk, kb, vk, vb, ok, ob] = useBias ? w : [w[0], null, w[1], null, w[2], null, w[3], null];
  const [B, Lq, D] = q.shape as [number, number, number];
  const [, Lk, Dkv] = kv.shape as [number, number, number];
  const [, H, K] = qk!.shape as [number, number, number];
  const V = vk!.shape[2]!;
  const O = ok!.shape[2]!;
  const proj = (x: tf.Tensor, kern: tf.Tensor, bias: tf.Tensor | null | undefined, h: number, inDim: number, L: number, depth: number) => {
    const wk = tf.reshape(tf.slice(kern, [0, h, 0], [inDim, 1, depth]), [inDim, depth]);
    let y = tf.reshape(tf.matMul(tf.reshape(x, [B * L, inDim]), wk), [B, L, depth]);
    if (bias) y = tf.add(y, tf.reshape(tf.slice(bias, [h, 0], [1, depth]), [depth]));
    return y;
  };
  let out: tf.Tensor = tf.zeros([B, Lq, O]);
  const ws: tf.Tensor[] = [];
  for (let h = 0; h < H; h++) {
    const qh = proj(q, qk!, qb, h, D, Lq, K);
    const kh = proj(kv, kk!, kb, h, Dkv, Lk, K);
    const vh = proj(kv, vk!, vb, h, Dkv, Lk, V);
    let s = tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(K));
    if (mask) s = tf.where(mask, s, tf.fill(s.shape, -1e9));
    let a = tf.softmax(s);
    if (mask) a = tf.mul(a, tf.cast(mask, 'float32'));
    ws.push(a);
    const oh = tf.matMul(a, vh);
    const wo = tf.reshape(tf.slice(ok!, [h, 0, 0], [1, V, O]), [V, O]);
    out = tf.add(out, tf.reshape(tf.matMul(tf.reshape(oh, [B * Lq, V]), wo), [B, Lq, O]));
  }
  if (ob) out = tf.add(out, ob);
  return { out, weights: tf.stack(ws, 1) };
}

type MaskKind = 'none' | 'causal' | 'padding' | 'causal+padding' | 'random';
interface MhaCase {
  b: number; lq: number; lk: number; dq: number; dkv: number; heads: number; keyDim: number | undefined; valueDim: number | undefined;
  outputDim: number | undefined; useBias: boolean; mask: MaskKind; seed: number;
}
const mhaCase: fc.Arbitrary<MhaCase> = fc
  .record({
    b: fc.integer({ min: 1, max: 3 }),
    lq: fc.integer({ min: 1, max: 5 }),
    lk: fc.integer({ min: 1, max: 5 }),
    heads: fc.integer({ min: 1, max: 3 }),
    perHead: fc.integer({ min: 1, max: 3 }),
    dkv: fc.integer({ min: 1, max: 6 }),
    keyDim: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    valueDim: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    outputDim: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    useBias: fc.boolean(),
    mask: fc.constantFrom<MaskKind>('none', 'causal', 'padding', 'causal+padding', 'random'),
    seed: fc.nat(1e6),
  })
  .map(({ perHead, ...c }) => ({ ...c, dq: c.heads * perHead }));

/** the mask as Keras' attention_mask [B, Lq, Lk] (flat 0/1) or null */
function maskData(c: MhaCase): Uint8Array | null {
  if (c.mask === 'none') return null;
  const m = new Uint8Array(c.b * c.lq * c.lk).fill(1);
  const rnd = bernoulliArray(key(c.seed + 7), m.length, 0.7);
  const valid = Array.from({ length: c.b }, (_, b) => Math.max(1, c.lk - b)); // sequence b has its last b keys padded
  for (let b = 0; b < c.b; b++)
    for (let i = 0; i < c.lq; i++)
      for (let j = 0; j < c.lk; j++) {
        let on = true;
        if (c.mask.includes('causal')) on &&= j <= i;
        if (c.mask.includes('padding')) on &&= j < valid[b]!;
        if (c.mask === 'random') on = rnd[(b * c.lq + i) * c.lk + j] === 1;
        m[(b * c.lq + i) * c.lk + j] = on ? 1 : 0;
      }
  return m;
}

function buildMha(c: MhaCase) {
  const layer = multiHeadAttention({
    numHeads: c.heads,
    useBias: c.useBias,
    ...(c.keyDim !== undefined ? { keyDim: c.keyDim } : {}),
    ...(c.valueDim !== undefined ? { valueDim: c.valueDim } : {}),
    ...(c.outputDim !== undefined ? { outputDim: c.outputDim } : {}),
  });
  // small weights keep the softmax away from saturation, so gradients are informative
  const params = initMultiHeadAttention(layer as any, key(c.seed), c.dq as never, c.dkv) as any;
  const q = randn(c.seed + 1, [c.b, c.lq, c.dq]);
  const kv = randn(c.seed + 2, [c.b, c.lk, c.dkv]);
  const md = maskData(c);
  const mask = md && (makeTensor([c.b, c.lq, c.lk], 'bool', md) as Mask);
  return { layer, params, q, kv, mask };
}

describe('multiHeadAttention vs a tfjs reference with the same weights', () => {
  it('outputs and weights agree for random shapes, heads, depths and masks', () => {
    fc.assert(
      fc.property(mhaCase, (c) => {
        const { params, q, kv, mask } = buildMha(c);
        const r = mhaApply(params, q as any, kv as any, { mask: mask as any, returnWeights: true }) as unknown as { output: AnyT; weights: AnyT };
        const ref = refMha(kerasOrder(params).map(toTf), c.useBias, toTf(q), toTf(kv), mask && toTf(mask));
        expectCloseTf(r.output, ref.out, { atol: 1e-5, rtol: 1e-5 }, 'output');
        expectCloseTf(r.weights, ref.weights, { atol: 1e-6, rtol: 1e-5 }, 'weights');
        const kd = c.keyDim ?? c.dq / c.heads;
        expect(params.query.kernel.shape).toEqual([c.dq, c.heads, kd]);
        expect(params.key.kernel.shape).toEqual([c.dkv, c.heads, kd]);
        expect(params.value.kernel.shape).toEqual([c.dkv, c.heads, c.valueDim ?? kd]);
        expect(params.output.kernel.shape).toEqual([c.heads, c.valueDim ?? kd, c.outputDim ?? c.dq]);
      }),
      { seed: 11, numRuns: 40 },
    );
  });

  it('gradients for query, key/value and every weight agree with tf.grads', () => {
    fc.assert(
      fc.property(mhaCase, (c) => {
        const { params, q, kv, mask } = buildMha(c);
        const outShape = [c.b, c.lq, c.outputDim ?? c.dq];
        const w = randn(c.seed + 3, outShape);
        const ours = grad((p: any, x: AnyT, y: AnyT) => sum(mul(mhaApply(p, x as any, y as any, { mask: mask as any }) as AnyT, w)) as Tensor<[]>, { argnums: [0, 1, 2] })(params, q, kv);
        const flat = kerasOrder(params).length;
        const tfMask = mask && toTf(mask);
        const tw = toTf(w);
        const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(refMha(xs.slice(0, flat), c.useBias, xs[flat]!, xs[flat + 1]!, tfMask).out, tw)));
        const tg = g([...kerasOrder(params).map(toTf), toTf(q), toTf(kv)]);
        const mine = [...kerasOrder(ours[0]), ours[1], ours[2]];
        mine.forEach((m, i) => expectCloseTf(m, tg[i]!, { atol: 1e-4, rtol: 1e-4 }, `grad ${i}`));
      }),
      { seed: 12, numRuns: 25 },
    );
  });

  it('the self-attention layer is mhaApply(params, x, x); its causal option adds the causal mask', () => {
    const layer = multiHeadAttention({ numHeads: 2, causal: true });
    const p = initLayer(layer, key(1), [2, 4, 6]);
    const x = randn(2, [2, 4, 6]) as Tensor<[2, 4, 6]>;
    const viaLayer = applyLayer(layer, p, x);
    const viaFn = mhaApply(p, x, x, { causal: true });
    expect(viaLayer.dataSync()).toEqual(viaFn.dataSync());
    const explicit = mhaApply(p, x, x, { mask: causalRect(4, 4) as Tensor<[4, 4], 'bool'> });
    expect(viaFn.dataSync()).toEqual(explicit.dataSync());
  });

  it('rank-3 ([B, Lq, Lk]), rank-4 ([B, 1, 1, Lk]) and padding masks agree', () => {
    const layer = multiHeadAttention({ numHeads: 2 });
    const p = initLayer(layer, key(3), [2, 3, 4]);
    const x = randn(4, [2, 3, 4]) as Tensor<[2, 3, 4]>;
    const tokens = ids([2, 3], [5, 6, 0, 7, 0, 0]);
    const m4 = mhaApply(p, x, x, { mask: paddingMask(tokens, 0) });
    const m3 = mhaApply(p, x, x, { mask: paddingMask(tokens, 0, { heads: false }) });
    const full = makeTensor<[2, 3, 3], 'bool'>([2, 3, 3], 'bool', Uint8Array.from([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]));
    const m3full = mhaApply(p, x, x, { mask: full });
    expect(m4.dataSync()).toEqual(m3.dataSync());
    expect(m4.dataSync()).toEqual(m3full.dataSync());
  });

  it('causal mask: outputs at positions <= t do not depend on inputs after t', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 7 }), fc.integer({ min: 1, max: 3 }), fc.nat(1e6), (b, l, heads, seed) => {
        const t = seed % (l - 1); // perturb positions t+1 .. l-1
        const layer = multiHeadAttention({ numHeads: heads, causal: true });
        const d = 2 * heads;
        const p = initLayer(layer, key(seed), [b, l, d]);
        const x = randn(seed + 1, [b, l, d]);
        const noise = randn(seed + 2, [b, l, d], 10).dataSync();
        const xd = x.dataSync();
        for (let i = 0; i < b; i++) for (let s = t + 1; s < l; s++) for (let k = 0; k < d; k++) xd[(i * l + s) * d + k] = noise[(i * l + s) * d + k]!;
        const y1 = applyLayer(layer, p as any, x as any).dataSync();
        const y2 = applyLayer(layer, p as any, fromFlat(xd, [b, l, d]) as any).dataSync();
        for (let i = 0; i < b; i++)
          for (let s = 0; s <= t; s++)
            for (let k = 0; k < d; k++) expect(y2[(i * l + s) * d + k]).toBe(y1[(i * l + s) * d + k]);
        // and a later output does change
        let changed = false;
        for (let i = 0; i < y1.length; i++) if (y1[i] !== y2[i]) changed = true;
        expect(changed).toBe(true);
      }),
      { seed: 13, numRuns: 30 },
    );
  });

  it('padding mask: outputs do not depend on key/value content at padded positions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 6 }), fc.nat(1e6), (b, lq, lk, seed) => {
        const valid = 1 + (seed % (lk - 1)); // keys valid..lk-1 are padding
        const layer = multiHeadAttention({ numHeads: 2 });
        const p = initMultiHeadAttention(layer, key(seed), 4, 3);
        const q = randn(seed + 1, [b, lq, 4]);
        const kvd = randn(seed + 2, [b, lk, 3]).dataSync();
        const tok = new Int32Array(b * lk).fill(1);
        for (let i = 0; i < b; i++) for (let j = valid; j < lk; j++) tok[i * lk + j] = 0;
        const mask = paddingMask(ids([b, lk], tok), 0);
        const y1 = mhaApply(p, q as any, fromFlat(kvd, [b, lk, 3]) as any, { mask: mask as any }) as AnyT;
        const noise = randn(seed + 3, [b, lk, 3], 10).dataSync();
        for (let i = 0; i < b; i++) for (let j = valid; j < lk; j++) for (let k = 0; k < 3; k++) kvd[(i * lk + j) * 3 + k] = noise[(i * lk + j) * 3 + k]!;
        const y2 = mhaApply(p, q as any, fromFlat(kvd, [b, lk, 3]) as any, { mask: mask as any }) as AnyT;
        expect(y2.dataSync()).toEqual(y1.dataSync());
      }),
      { seed: 14, numRuns: 30 },
    );
  });

  it('returns attention weights [B, H, Lq, Lk]: rows sum to 1, 0 at masked keys', () => {
    const layer = multiHeadAttention({ numHeads: 4 });
    const p = initMultiHeadAttention(layer, key(5), 8, 6);
    const q = randn(6, [2, 3, 8]) as Tensor<[2, 3, 8]>;
    const kv = randn(7, [2, 5, 6]) as Tensor<[2, 5, 6]>;
    const mask = paddingMask(ids([2, 5], [1, 1, 1, 0, 0, 1, 1, 1, 1, 0]), 0);
    const r = mhaApply(p, q, kv, { mask, returnWeights: true });
    expect(r.weights.shape).toEqual([2, 4, 3, 5]);
    expect(r.output.shape).toEqual([2, 3, 8]);
    const w = r.weights.dataSync();
    for (let row = 0; row < 2 * 4 * 3; row++) {
      const b = Math.floor(row / 12);
      let s = 0;
      for (let j = 0; j < 5; j++) {
        s += w[row * 5 + j]!;
        if (j >= (b === 0 ? 3 : 4)) expect(w[row * 5 + j]).toBe(0);
      }
      expect(s).toBeCloseTo(1, 6);
    }
  });

  it('dropout on the attention weights: keyed while training, identity at inference', () => {
    const layer = multiHeadAttention({ numHeads: 2, dropout: 0.5 });
    const p = initLayer(layer, key(8), [2, 4, 4]);
    const x = randn(9, [2, 4, 4]) as Tensor<[2, 4, 4]>;
    const inf = applyLayer(layer, p, x).dataSync();
    const a = applyLayer(layer, p, x, { training: true, key: key(1) }).dataSync();
    const b = applyLayer(layer, p, x, { training: true, key: key(1) }).dataSync();
    const c = applyLayer(layer, p, x, { training: true, key: key(2) }).dataSync();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(inf);
    expect(() => applyLayer(layer, p, x, { training: true })).toThrow(/key/);
    // the spelled-out training path equals the op path when (almost) nothing is dropped
    const tiny = multiHeadAttention({ numHeads: 2, dropout: 1e-9, causal: true });
    const pt = initLayer(tiny, key(8), [2, 4, 4]);
    expectCloseArrays(applyLayer(tiny, pt, x, { training: true, key: key(3) }).dataSync(), applyLayer(tiny, pt, x).dataSync(), { atol: 1e-6, rtol: 1e-6 });
  });

  it('checkGrads through multi-head attention (params, query and key/value; order 2)', () => {
    const layer = multiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3 });
    const p = initMultiHeadAttention(layer, key(10), 4, 3);
    const q = randn(11, [1, 3, 4]) as Tensor<[1, 3, 4]>;
    const kv = randn(12, [1, 4, 3]) as Tensor<[1, 4, 3]>;
    const mask = paddingMask(ids([1, 4], [1, 1, 1, 0]), 0);
    checkGrads((pp: typeof p, a: Tensor<[1, 3, 4]>, b: Tensor<[1, 4, 3]>) => mhaApply(pp, a, b, { mask, causal: true }), [p, q, kv], { order: 2 });
  });

  it('throws ShapeErrors when types are bypassed', () => {
    expect(() => sequential(['batch', 'seq', 10] as const, multiHeadAttention({ numHeads: 4 }) as never)).toThrow(/layer 0 \(multiHeadAttention\): multiHeadAttention: 4 heads do not divide d_model 10/);
    expect(() => sequential(['batch', 10] as const, multiHeadAttention({ numHeads: 2 }) as never)).toThrow(/expects \[batch, seq, features\]/);
    const layer = multiHeadAttention({ numHeads: 2 });
    const p = initMultiHeadAttention(layer, key(0), 4, 6);
    const q = randn(1, [2, 3, 4]);
    expect(() => mhaApply(p, q as any, randn(2, [2, 5, 4]) as any)).toThrow('multiHeadAttention: key/value width differs (expected 6, got 4)');
    expect(() => mhaApply(p, q as any, randn(2, [3, 5, 6]) as any)).toThrow('key/value batch differs from query batch (expected 2, got 3)');
    expect(() => mhaApply(p, randn(1, [2, 3, 5]) as any, randn(2, [2, 5, 6]) as any)).toThrow('query width differs (expected 4, got 5)');
    expect(() => mhaApply(p, q as any, randn(2, [2, 5, 6]) as any, { mask: zeros([2, 4, 5]) as any })).toThrow(/mask must be bool/);
    expect(() => mhaApply(p, q as any, randn(2, [2, 5, 6]) as any, { mask: makeTensor([2, 2, 5], 'bool', new Uint8Array(20)) as any })).toThrow(/mask does not broadcast/);
    expect(() => multiHeadAttention({ numHeads: 0 })).toThrow(RangeError);
  });
});

describe('positional encodings', () => {
  it('sinusoidal PE matches the formula of the paper', () => {
    const L = 50;
    const D = 16;
    const pe = sinusoidalEncoding(L, D).dataSync();
    for (let pos = 0; pos < L; pos++)
      for (let i = 0; i < D / 2; i++) {
        const angle = pos / Math.pow(10000, (2 * i) / D);
        expect(Math.abs(pe[pos * D + 2 * i]! - Math.sin(angle))).toBeLessThan(1e-6);
        expect(Math.abs(pe[pos * D + 2 * i + 1]! - Math.cos(angle))).toBeLessThan(1e-6);
      }
  });

  it('the sinusoidal layer adds PE[:L] to every batch row, has no params, passes gradients', () => {
    const layer = sinusoidalPositionalEncoding();
    const m = sequential(['batch', 'seq', 8], layer);
    const p = m.init(key(0));
    expect(leaves(p)).toHaveLength(0);
    const x = randn(1, [3, 5, 8]) as Tensor<[3, 5, 8]>;
    const y = m.apply(p, x);
    const pe = sinusoidalEncoding(5, 8).dataSync();
    const xd = x.dataSync();
    const yd = y.dataSync();
    for (let i = 0; i < yd.length; i++) expect(yd[i]).toBeCloseTo(xd[i]! + pe[i % 40]!, 6);
    const g = grad((z: Tensor<[3, 5, 8]>) => sum(m.apply(p, z)) as Tensor<[]>)(x);
    expect(Array.from(g.dataSync())).toEqual(new Array(120).fill(1));
    expect(() => sequential(['batch', 'seq', 7] as const, sinusoidalPositionalEncoding() as never)).toThrow(/d_model must be even \(got 7\)/);
    expect(() => sinusoidalEncoding(4, 5 as never)).toThrow(/d_model must be even/);
  });

  it('the learned encoding adds the first L rows of its table; only those rows get gradients', () => {
    const layer = learnedPositionalEncoding({ maxLen: 6 });
    const p = initLayer(layer, key(2), ['batch', 4, 3]);
    expect(p.embeddings.shape).toEqual([6, 3]);
    const x = randn(3, [2, 4, 3]) as Tensor<[2, 4, 3]>;
    const y = applyLayer(layer, p, x).dataSync();
    const e = p.embeddings.dataSync();
    const xd = x.dataSync();
    for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo(xd[i]! + e[i % 12]!, 6);
    const g = grad((pp: typeof p) => sum(mul(applyLayer(layer, pp, x), x)) as Tensor<[]>)(p).embeddings.dataSync();
    for (let r = 4; r < 6; r++) for (let k = 0; k < 3; k++) expect(g[r * 3 + k]).toBe(0);
    expect(g[0]).toBeCloseTo(xd[0]! + xd[12]!, 5);
    checkGrads((pp: typeof p) => applyLayer(layer, pp, x), [p]);
    expect(() => applyLayer(layer, p as any, randn(4, [2, 7, 3]) as any)).toThrow('learnedPositionalEncoding: sequence length exceeds maxLen (7 > 6)');
    expect(() => sequential(['batch', 9, 3] as const, learnedPositionalEncoding({ maxLen: 6 }) as never)).toThrow(/layer 0 \(learnedPositionalEncoding\): learnedPositionalEncoding: sequence length exceeds maxLen \(9 > 6\)/);
  });
});

/** post- or pre-norm encoder block from tfjs ops (refMha inside), eps 1e-5 */
function refEncoder(p: any, x: tf.Tensor, normFirst: boolean, mask: tf.Tensor | null): tf.Tensor {
  const ln = (z: tf.Tensor, n: any) => {
    const { mean, variance } = tf.moments(z, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), toTf(n.gamma)), toTf(n.beta));
  };
  const attn = (z: tf.Tensor) => refMha(kerasOrder(p.selfAttention).map(toTf), true, z, z, mask).out;
  const dense = (z: tf.Tensor, d: any) => {
    const [i, o] = d.kernel.shape;
    const s = z.shape;
    return tf.reshape(tf.add(tf.matMul(tf.reshape(z, [-1, i]), toTf(d.kernel)), toTf(d.bias)), [...s.slice(0, -1), o]);
  };
  const ffn = (z: tf.Tensor) => dense(tf.relu(dense(z, p.ffnInner)), p.ffnOuter);
  if (normFirst) {
    const y = tf.add(x, attn(ln(x, p.selfAttentionNorm)));
    return tf.add(y, ffn(ln(y, p.ffnNorm)));
  }
  const y = ln(tf.add(x, attn(x)), p.selfAttentionNorm);
  return ln(tf.add(y, ffn(y)), p.ffnNorm);
}

describe('Transformer encoder and decoder layers', () => {
  it('an encoder stack composes in sequential and matches a tfjs-ops reference (post- and pre-norm)', () => {
    for (const normFirst of [false, true]) {
      const m = sequential(['batch', 'seq', 8], sinusoidalPositionalEncoding(), transformerEncoderLayer({ numHeads: 2, ffDim: 16, normFirst }), transformerEncoderLayer({ numHeads: 2, ffDim: 16, normFirst }));
      expect(m.outputShape).toEqual(['batch', 'seq', 8]);
      const p = m.init(key(normFirst ? 21 : 20));
      // 2 × (attention 4·(8·8 + 8) + 2 norms 2·16 + ffn 8·16 + 16 + 16·8 + 8) = 2 × 600
      expect(m.summary(p)).toContain('total params: 1,200');
      const x = randn(22, [3, 5, 8]) as Tensor<[3, 5, 8]>;
      const y = m.apply(p, x);
      let r = tf.add(toTf(x), toTf(sinusoidalEncoding(5, 8)));
      r = refEncoder(p[1], r, normFirst, null);
      r = refEncoder(p[2], r, normFirst, null);
      expectCloseTf(y, r, { atol: 2e-5, rtol: 1e-4 });
    }
  });

  it('the encoder forward takes a padding mask (as the reference does)', () => {
    const enc = transformerEncoderLayer({ numHeads: 2, ffDim: 8 });
    const p = initLayer(enc, key(23), [2, 4, 6]);
    const x = randn(24, [2, 4, 6]) as Tensor<[2, 4, 6]>;
    const mask = paddingMask(ids([2, 4], [3, 4, 5, 0, 3, 0, 0, 0]), 0);
    const y = enc.forward(p, x, { mask });
    const full = tf.broadcastTo(toTf(mask), [2, 1, 4, 4]).reshape([2, 4, 4]);
    expectCloseTf(y, refEncoder(p, toTf(x), false, full), { atol: 2e-5, rtol: 1e-4 });
  });

  it('checkGrads through an encoder layer (post- and pre-norm) and a decoder layer', () => {
    for (const normFirst of [false, true]) {
      const enc = transformerEncoderLayer({ numHeads: 2, ffDim: 6, normFirst });
      const p = initLayer(enc, key(30), [1, 3, 4]);
      const x = randn(31, [1, 3, 4]) as Tensor<[1, 3, 4]>;
      checkGrads((pp: typeof p, z: Tensor<[1, 3, 4]>) => applyLayer(enc, pp, z), [p, x], { seed: 1, eps: 1e-4 }); // eps 1e-3 steps across the FFN's relu kinks
    }
    const dec = transformerDecoderLayer({ numHeads: 2, ffDim: 6, normFirst: true });
    const pd = dec.init(key(32), 4);
    const y = randn(33, [1, 3, 4]) as Tensor<[1, 3, 4]>;
    const mem = randn(34, [1, 2, 4]) as Tensor<[1, 2, 4]>;
    checkGrads((pp: typeof pd, a: Tensor<[1, 3, 4]>, b: Tensor<[1, 2, 4]>) => dec.forward(pp, a, b), [pd, y, mem], { seed: 2 });
  });

  it('decoder layer: causal in its input, padding-masked in memory, returns both attention maps', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 5 }), fc.nat(1e6), (normFirst, lt, ls, seed) => {
        const dec = transformerDecoderLayer({ numHeads: 2, ffDim: 8, normFirst });
        const p = dec.init(key(seed), 4);
        const xd = randn(seed + 1, [2, lt, 4]).dataSync();
        const md = randn(seed + 2, [2, ls, 4]).dataSync();
        const validS = 1 + (seed % (ls - 1));
        const tok = new Int32Array(2 * ls).fill(1);
        for (let b = 0; b < 2; b++) for (let j = validS; j < ls; j++) tok[b * ls + j] = 0;
        const memoryMask = paddingMask(ids([2, ls], tok), 0);
        const run = () => dec.forward(p, fromFlat(xd, [2, lt, 4]) as any, fromFlat(md, [2, ls, 4]) as any, { memoryMask: memoryMask as any, returnWeights: true }) as any;
        const r1 = run();
        expect(r1.selfAttention.shape).toEqual([2, 2, lt, lt]);
        expect(r1.crossAttention.shape).toEqual([2, 2, lt, ls]);
        const t = seed % (lt - 1);
        const noise = randn(seed + 3, [2, lt, 4], 5).dataSync();
        for (let b = 0; b < 2; b++) for (let s = t + 1; s < lt; s++) for (let k = 0; k < 4; k++) xd[(b * lt + s) * 4 + k] = noise[(b * lt + s) * 4 + k]!;
        for (let b = 0; b < 2; b++) for (let j = validS; j < ls; j++) for (let k = 0; k < 4; k++) md[(b * ls + j) * 4 + k] = noise[k]! * 3;
        const r2 = run();
        const o1 = r1.output.dataSync();
        const o2 = r2.output.dataSync();
        for (let b = 0; b < 2; b++) for (let s = 0; s <= t; s++) for (let k = 0; k < 4; k++) expect(o2[(b * lt + s) * 4 + k]).toBe(o1[(b * lt + s) * 4 + k]);
      }),
      { seed: 15, numRuns: 20 },
    );
  });

  it('decoder layer throws on a memory of another width when types are bypassed', () => {
    const dec = transformerDecoderLayer({ numHeads: 2, ffDim: 8 });
    const p = dec.init(key(0), 8);
    expect(() => dec.forward(p, randn(1, [2, 3, 8]) as any, randn(2, [2, 4, 6]) as any)).toThrow('transformerDecoderLayer: decoder width differs from encoder width (expected 8, got 6)');
    expect(() => dec.forward(p, randn(1, [2, 3, 6]) as any, randn(2, [2, 4, 8]) as any)).toThrow('input width differs (expected 8, got 6)');
    expect(() => dec.init(key(0), 9 as never)).toThrow('2 heads do not divide d_model 9');
    expect(() => dec.forward(p, randn(1, [2, 3, 8]) as any, randn(2, [2, 4, 8]) as any, { training: true })).not.toThrow();
    const dropping = transformerDecoderLayer({ numHeads: 2, ffDim: 8, dropout: 0.1 });
    expect(() => dropping.forward(p as any, randn(1, [2, 3, 8]) as any, randn(2, [2, 4, 8]) as any, { training: true })).toThrow(/needs a key/);
  });
});

// ----------------------------------------------------------------------------- the full model

const PAD = 0;
const BOS = 1;
const EOS = 2;
const VOCAB = 13; // PAD, BOS, EOS and digits 0-9 as 3..12

/** reverse-the-digits task: src [B, L], tgtIn = BOS + reversed, tgtOut = reversed + EOS */
function reverseBatch(seed: number, B: number, L: number) {
  const digits = randintArray(key(seed), B * L, 3, VOCAB);
  const src = new Int32Array(B * L);
  const tin = new Int32Array(B * (L + 1));
  const tout = new Int32Array(B * (L + 1));
  for (let b = 0; b < B; b++) {
    tin[b * (L + 1)] = BOS;
    for (let i = 0; i < L; i++) {
      src[b * L + i] = digits[b * L + i]!;
      const r = digits[b * L + (L - 1 - i)]!;
      tin[b * (L + 1) + i + 1] = r;
      tout[b * (L + 1) + i] = r;
    }
    tout[b * (L + 1) + L] = EOS;
  }
  return { src: ids([B, L], src), tin: ids([B, L + 1], tin), tout: ids([B, L + 1], tout) };
}

describe('the encoder–decoder Transformer', () => {
  const config = { srcVocab: VOCAB, tgtVocab: VOCAB, dModel: 16, numHeads: 2, ffDim: 32, numEncoderLayers: 2, numDecoderLayers: 2, maxLen: 10 } as const;

  it('forward: logits [B, Lt, tgtVocab]; position t ignores later target tokens; padding the source changes nothing', () => {
    for (const normFirst of [false, true]) {
      const model = transformer({ ...config, normFirst });
      const p = model.init(key(40));
      expect('encoderNorm' in p).toBe(normFirst);
      const src = ids([2, 4], [3, 4, 5, 6, 7, 8, 9, PAD]);
      const tin = ids([2, 5], [BOS, 3, 4, 5, 6, BOS, 7, 8, 9, PAD]);
      const logits = model.forward(p, src, tin, { srcPadId: PAD, tgtPadId: PAD });
      expect(logits.shape).toEqual([2, 5, VOCAB]);
      // change target tokens after position 2: logits at 0..2 are unchanged
      const tin2 = ids([2, 5], [BOS, 3, 4, 11, 12, BOS, 7, 8, 3, 3]);
      const l1 = logits.dataSync();
      const l2 = model.forward(p, src, tin2, { srcPadId: PAD, tgtPadId: PAD }).dataSync();
      for (let b = 0; b < 2; b++) for (let t = 0; t <= 2; t++) for (let v = 0; v < VOCAB; v++) expect(l2[(b * 5 + t) * VOCAB + v]).toBe(l1[(b * 5 + t) * VOCAB + v]);
      // extra source padding: the same logits
      const srcPadded = ids([2, 7], [3, 4, 5, 6, PAD, PAD, PAD, 7, 8, 9, PAD, PAD, PAD, PAD]);
      expectCloseArrays(model.forward(p, srcPadded, tin, { srcPadId: PAD, tgtPadId: PAD }).dataSync(), l1, { atol: 1e-5, rtol: 1e-5 });
      // without the source mask, padding does change them
      expect(model.forward(p, srcPadded, tin).dataSync()).not.toEqual(l1);
    }
  });

  it('rejects bad configs at run time with the texts of the type-level rules', () => {
    const base = { srcVocab: 30, tgtVocab: 30, dModel: 32, numHeads: 4, ffDim: 64, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 16 };
    const bad = (patch: Record<string, number>) => () => transformer({ ...base, ...patch } as never);
    expect(bad({ dModel: 30 })).toThrow('transformer: 4 heads do not divide d_model 30 (expected a multiple of 4, got 30)');
    expect(bad({ dModel: 30, numHeads: 3 })).not.toThrow();
    expect(bad({ dModel: 15, numHeads: 3 })).toThrow('transformer: d_model must be even (got 15)');
    expect(bad({ ffDim: 0 })).toThrow('transformer: ffDim must be a positive integer, got 0');
    expect(bad({ numEncoderLayers: 1.5 })).toThrow('transformer: numEncoderLayers must be a positive integer, got 1.5');
    expect(bad({ dropout: 1 })).toThrow('transformer: dropout must be in [0, 1), got 1');
    expect(bad({ dropout: 1e-7 })).not.toThrow();
    expect(bad({ layerNormEpsilon: -1 })).toThrow('transformer: layerNormEpsilon must be >= 0, got -1');
  });

  it('checks ids at run time and rejects a config whose heads do not divide dModel', () => {
    const model = transformer(config);
    const p = model.init(key(0));
    expect(() => model.forward(p, ids([2, 11], new Array(22).fill(3)) as any, ids([2, 3], [1, 3, 3, 1, 3, 3]))).toThrow('transformer: source length exceeds maxLen (11 > 10)');
    expect(() => model.forward(p, ids([2, 3], [3, 3, 3, 3, 3, 3]), ids([3, 3], new Array(9).fill(3)) as any)).toThrow('target batch differs from source batch (expected 2, got 3)');
    expect(() => model.forward(p, ids([1, 3], [3, 3, 3]), ids([1, 2], [BOS, 13]))).toThrow(RangeError);
    expect(() => transformer({ ...config, numHeads: 3 } as never)).toThrow('transformer: 3 heads do not divide d_model 16');
    expect(() => transformer({ ...config, dModel: 14, numHeads: 7 } as never)).not.toThrow();
    expect(() => transformer({ ...config, dModel: 15, numHeads: 3 } as never)).toThrow('d_model must be even (got 15)');
    const dropping = transformer({ ...config, dropout: 0.1 });
    expect(() => dropping.forward(p, ids([1, 3], [3, 3, 3]), ids([1, 2], [BOS, 3]), { training: true })).toThrow(/needs a key/);
    const a = dropping.forward(p, ids([1, 3], [3, 4, 5]), ids([1, 2], [BOS, 3]), { training: true, key: key(1) }).dataSync();
    const b = dropping.forward(p, ids([1, 3], [3, 4, 5]), ids([1, 2], [BOS, 3]), { training: true, key: key(1) }).dataSync();
    const c = dropping.forward(p, ids([1, 3], [3, 4, 5]), ids([1, 2], [BOS, 3]), { training: true, key: key(2) }).dataSync();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('learns to reverse digit sequences; greedy decoding reproduces the targets', () => {
    const L = 5;
    const model = transformer({ srcVocab: VOCAB, tgtVocab: VOCAB, dModel: 32, numHeads: 4, ffDim: 64, numEncoderLayers: 1, numDecoderLayers: 1, maxLen: 8 });
    let params = model.init(key(0));
    const opt = adam({ learningRate: 3e-3 });
    let state = opt.init(params);
    type P = typeof params;
    type Ids<N extends number> = Tensor<[number, N], 'int32'>;
    const loss = (p: P, src: Ids<number>, tin: Ids<number>, tout: Ids<number>) =>
      maskedSparseCategoricalCrossEntropy(model.forward(p, src, tin), tout, notEqual(tout, PAD));
    const step = valueAndGrad(loss);
    const steps = 150;
    let last = Infinity;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) {
      const { src, tin, tout } = reverseBatch(1000 + i, 32, L);
      const [l, g] = step(params, src, tin, tout);
      const [u, s] = opt.update(g, state, params);
      params = applyUpdates(params, u);
      state = s;
      last = l.item();
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(`reverse task: ${steps} steps, final loss ${last.toFixed(4)}, ${((performance.now() - t0) / steps).toFixed(1)} ms/step wall, ${((cpu.user + cpu.system) / 1000 / steps).toFixed(1)} ms/step cpu`);
    expect(last).toBeLessThan(0.05);
    const test = reverseBatch(424242, 64, L);
    const r = model.greedyDecode(params, test.src, { bosId: BOS, eosId: EOS, maxLen: L + 1, returnWeights: true });
    expect(r.ids.shape).toEqual([64, L + 1]);
    const got = r.ids.dataSync();
    const want = test.tout.dataSync();
    let exact = 0;
    let tokens = 0;
    for (let b = 0; b < 64; b++) {
      let same = true;
      for (let i = 0; i <= L; i++) {
        if (got[b * (L + 1) + i] === want[b * (L + 1) + i]) tokens++;
        else same = false;
      }
      if (same) exact++;
    }
    expect(tokens / (64 * (L + 1))).toBeGreaterThanOrEqual(0.99);
    expect(exact / 64).toBeGreaterThanOrEqual(0.95);
    expect(r.lengths.filter((n) => n === L + 1).length).toBeGreaterThanOrEqual(60);
    // the cross-attention heat map of the reversal is anti-diagonal: output i reads source L-1-i
    expect(r.crossAttention.shape).toEqual([64, 4, L + 1, L]);
    const w = r.crossAttention.dataSync();
    let hits = 0;
    for (let b = 0; b < 8; b++)
      for (let i = 0; i < L; i++) {
        const avg = new Array(L).fill(0);
        for (let h = 0; h < 4; h++) for (let j = 0; j < L; j++) avg[j] += w[((b * 4 + h) * (L + 1) + i) * L + j]! / 4;
        if (avg.indexOf(Math.max(...avg)) === L - 1 - i) hits++;
      }
    expect(hits / (8 * L)).toBeGreaterThan(0.6);
    // temperature 0 is greedy exactly; sampling is keyed
    const g0 = model.sampleDecode(params, test.src, { bosId: BOS, eosId: EOS, maxLen: L + 1, temperature: 0, key: key(5) });
    expect(g0.ids.dataSync()).toEqual(r.ids.dataSync());
    const s1 = model.sampleDecode(params, test.src, { bosId: BOS, eosId: EOS, maxLen: L + 1, temperature: 1, key: key(6) }).ids.dataSync();
    const s2 = model.sampleDecode(params, test.src, { bosId: BOS, eosId: EOS, maxLen: L + 1, temperature: 1, key: key(6) }).ids.dataSync();
    expect(s1).toEqual(s2);
    const hot = model.sampleDecode(params, test.src, { bosId: BOS, eosId: EOS, maxLen: L + 1, temperature: 50, key: key(7) }).ids.dataSync();
    expect(hot).not.toEqual(got);
    // top-1 sampling is greedy at any temperature
    const top1 = model.sampleDecode(params, test.src, { bosId: BOS, eosId: EOS, maxLen: L + 1, temperature: 50, topK: 1, key: key(7) }).ids.dataSync();
    expect(top1).toEqual(got);
  }, 60_000);

  it('greedy decoding stops at EOS, pads after it and zeroes the heat-map rows past the end', () => {
    const model = transformer({ ...config, tgtVocab: 4 });
    const p0 = model.init(key(50));
    // a zero output kernel and a bias favouring EOS: every sequence ends at once
    const p = { ...p0, output: { kernel: zeros([16, 4]), bias: makeTensor<[4], 'float32'>([4], 'float32', Float32Array.from([0, 0, 5, 0])) } } as typeof p0;
    const r = model.greedyDecode(p, ids([2, 3], [3, 4, 5, 6, 7, 8]), { bosId: BOS, eosId: EOS, maxLen: 4, padId: PAD, returnWeights: true });
    expect(Array.from(r.ids.dataSync())).toEqual([2, 0, 0, 0, 2, 0, 0, 0]);
    expect(r.lengths).toEqual([1, 1]);
    const w = r.crossAttention.dataSync();
    expect(r.crossAttention.shape).toEqual([2, 2, 4, 3]);
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++) {
        const row0 = Array.from(w.subarray(((b * 2 + h) * 4) * 3, ((b * 2 + h) * 4 + 1) * 3));
        expect(row0.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
        for (let q = 1; q < 4; q++) for (let j = 0; j < 3; j++) expect(w[((b * 2 + h) * 4 + q) * 3 + j]).toBe(0);
      }
  });
});
