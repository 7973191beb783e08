import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf } from './helpers/tf';
import { causalMask, paddingMask, scaledDotProductAttention } from '../src/ops/attention';
import { attentionShapes } from '../src/shape/rules';
import { logicalAnd, mul } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { evalGraph, grad, makeGraph } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { bernoulliArray, key, normalArray } from '../src/random';
import { tensor } from '../src/tensor/create';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { ShapeError } from '../src/shape/dims';

type AnyT = Tensor<any>;
type Mask = Tensor<any, 'bool'>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (seed: number, shape: readonly number[]): AnyT => fromFlat(normalArray(key(seed), size(shape)), shape) as AnyT;
const randMask = (seed: number, shape: readonly number[], p: number): Mask => makeTensor(shape, 'bool', bernoulliArray(key(seed), size(shape), p));

/** straightforward tfjs reference: softmax(q kᵀ / √dk, masked to -1e9) · mask, then · v */
function reference(q: tf.Tensor, k0: tf.Tensor, v0: tf.Tensor, mask: tf.Tensor | null): [tf.Tensor, tf.Tensor] {
  const dk = q.shape[q.shape.length - 1]!;
  // tfjs 4.22 mis-broadcasts batch dims of size 1 inside batchMatMul (values and gradient shapes): expand first
  const batch = q.shape.slice(0, -2);
  const k = tf.broadcastTo(k0, [...batch, ...k0.shape.slice(-2)]);
  const v = tf.broadcastTo(v0, [...batch, ...v0.shape.slice(-2)]);
  let s = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dk));
  let m: tf.Tensor | null = null;
  if (mask) {
    m = tf.broadcastTo(mask, s.shape);
    s = tf.where(m as tf.Tensor, s, tf.fill(s.shape, -1e9));
  }
  let w = tf.softmax(s);
  if (m) w = tf.mul(w, tf.cast(m, 'float32'));
  return [tf.matMul(w, v), w];
}

const attn = (q: AnyT, k: AnyT, v: AnyT, m: Mask | null): AnyT => scaledDotProductAttention(q as any, k as any, v as any, m as any) as AnyT;
const attnW = (q: AnyT, k: AnyT, v: AnyT, m: Mask | null): { output: AnyT; weights: AnyT } =>
  scaledDotProductAttention(q as any, k as any, v as any, m as any, { returnWeights: true }) as unknown as { output: AnyT; weights: AnyT };

type MaskKind = 'none' | 'causal' | 'padding' | 'random' | 'causal+padding';
const attnCase: fc.Arbitrary<AttnCase> = fc
  .record({
    batch: fc.constantFrom<number[]>([], [2], [2, 3], [1, 2]),
    kvShareHeads: fc.boolean(),
    lq: fc.integer({ min: 1, max: 6 }),
    lk: fc.integer({ min: 1, max: 6 }),
    dk: fc.integer({ min: 1, max: 5 }),
    dv: fc.integer({ min: 1, max: 4 }),
    mask: fc.constantFrom<MaskKind>('none', 'causal', 'padding', 'random', 'causal+padding'),
    seed: fc.nat(1e6),
  })
  .map((c) => (c.mask.startsWith('causal') ? { ...c, lk: c.lq } : c))
  .map((c) => (c.mask.includes('padding') && c.batch.length !== 2 ? { ...c, batch: [2, 3] } : c));

interface AttnCase {
  batch: number[]; kvShareHeads: boolean; lq: number; lk: number; dk: number; dv: number; mask: MaskKind; seed: number;
}
function buildCase(c: AttnCase) {
  const kvBatch = c.kvShareHeads && c.batch.length === 2 ? [c.batch[0]!, 1] : c.batch;
  const q = randn(c.seed, [...c.batch, c.lq, c.dk]);
  const k = randn(c.seed + 1, [...kvBatch, c.lk, c.dk]);
  const v = randn(c.seed + 2, [...kvBatch, c.lk, c.dv]);
  let mask: Mask | null = null;
  const pad = () => {
    const ids = makeTensor([c.batch[0]!, c.lk], 'int32', Int32Array.from(bernoulliArray(key(c.seed + 3), c.batch[0]! * c.lk, 0.6)));
    return paddingMask(ids as any, 0) as Mask; // id 0 = padding
  };
  if (c.mask === 'causal') mask = causalMask(c.lq) as Mask;
  if (c.mask === 'padding') mask = pad();
  if (c.mask === 'causal+padding') mask = logicalAnd(causalMask(c.lq) as Mask, pad() as any) as Mask;
  if (c.mask === 'random') mask = randMask(c.seed + 4, [...c.batch, c.lq, c.lk], 0.6);
  return { q, k, v, mask };
}

describe('scaledDotProductAttention', () => {
  it('matches a tfjs matMul/softmax reference (batch broadcast; causal, padding, random masks)', () => {
    fc.assert(
      fc.property(attnCase, (c) => {
        const { q, k, v, mask } = buildCase(c);
        const { output, weights } = attnW(q, k, v, mask);
        tf.tidy(() => {
          const [o, w] = reference(toTf(q), toTf(k), toTf(v), mask && toTf(mask));
          expectCloseTf(output, o, { atol: 1e-6, rtol: 1e-5 }, `out ${JSON.stringify(c)}`);
          expectCloseTf(weights, w, { atol: 1e-6, rtol: 1e-5 }, `weights ${JSON.stringify(c)}`);
        });
        expectCloseTf(attn(q, k, v, mask), toTf(output), { atol: 0, rtol: 0 });
      }),
      { seed: 1, numRuns: 150 },
    );
  });

  it('masked keys get exactly 0 weight, other rows sum to 1, fully masked rows give 0 (no NaN)', () => {
    const q = randn(1, [2, 4, 3]);
    const k = randn(2, [2, 5, 3]);
    const v = randn(3, [2, 5, 2]);
    // batch 0: row 2 fully masked; batch 1: random
    const m = randMask(4, [2, 4, 5], 0.5).dataSync();
    m.fill(0, 2 * 5, 3 * 5);
    m.fill(1, 0, 5);
    const mask = makeTensor([2, 4, 5], 'bool', m) as Mask;
    const { output, weights } = attnW(q, k, v, mask);
    const w = weights.dataSync();
    const o = output.dataSync();
    for (let r = 0; r < 8; r++) {
      let s = 0;
      let any = false;
      for (let j = 0; j < 5; j++) {
        const i = r * 5 + j;
        if (m[i] === 0) expect(w[i]).toBe(0);
        else any = true;
        s += w[i]!;
      }
      if (any) expect(s).toBeCloseTo(1, 6);
      else {
        expect(s).toBe(0);
        expect([o[r * 2], o[r * 2 + 1]]).toEqual([0, 0]);
      }
    }
    expect(Array.from(o).every(Number.isFinite)).toBe(true);
    // gradients through the fully masked row stay finite, and are zero for it
    const gq = grad((a: AnyT) => sum(attn(a, k, v, mask) as any) as any)(q) as AnyT;
    const gd = gq.dataSync();
    expect(Array.from(gd).every(Number.isFinite)).toBe(true);
    expect(Array.from(gd.slice(2 * 3, 3 * 3))).toEqual([0, 0, 0]);
  });

  it('a heavily negative score on an allowed key still beats a masked key', () => {
    const q = tensor([[[1, 0]]]);
    const k = tensor([[[-1e4, 0], [1, 0]]]);
    const v = tensor([[[1], [2]]]);
    const mask = tensor([[[true, false]]], 'bool');
    const { output, weights } = attnW(q as AnyT, k as AnyT, v as AnyT, mask as Mask);
    expect(Array.from(weights.dataSync())).toEqual([1, 0]);
    expect(Array.from(output.dataSync())).toEqual([1]);
  });

  it('gradients w.r.t. q, k, v match tf.grad of the reference (no mask / causal)', () => {
    for (const [maskKind, seed] of [['none', 5], ['causal', 6]] as const) {
      const q = randn(seed, [2, 3, 4, 3]);
      const k = randn(seed + 1, [2, 1, 4, 3]);
      const v = randn(seed + 2, [2, 1, 4, 2]);
      const r = randn(seed + 3, [2, 3, 4, 2]);
      const mask = maskKind === 'causal' ? (causalMask(4) as Mask) : null;
      const [gq, gk, gv] = grad((a: AnyT, b: AnyT, c: AnyT) => sum(mul(attn(a, b, c, mask) as any, r as any) as any) as any, { argnums: [0, 1, 2] })(q, k, v) as AnyT[];
      tf.tidy(() => {
        const rt = toTf(r);
        const mt = mask && toTf(mask);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(reference(a, b, c, mt)[0], rt)))([toTf(q), toTf(k), toTf(v)]);
        expectCloseTf(gq!, g[0]!, { atol: 1e-5, rtol: 1e-4 }, 'dq');
        expectCloseTf(gk!, g[1]!, { atol: 1e-5, rtol: 1e-4 }, 'dk');
        expectCloseTf(gv!, g[2]!, { atol: 1e-5, rtol: 1e-4 }, 'dv');
      });
    }
  });

  it('checkGrads order 1 (both modes) with masks incl. a fully masked row; order 2 without / causal', () => {
    const q = randn(7, [2, 3, 3]);
    const k = randn(8, [2, 4, 3]);
    const v = randn(9, [2, 4, 2]);
    const m = randMask(10, [2, 3, 4], 0.6).dataSync();
    m.fill(0, 0, 4);
    const mask = makeTensor([2, 3, 4], 'bool', m) as Mask;
    checkGrads((a: AnyT, b: AnyT, c: AnyT) => attn(a, b, c, mask), [q, k, v], { order: 1, seed: 11 });
    checkGrads((a: AnyT, b: AnyT, c: AnyT) => attnW(a, b, c, mask).weights, [q, k, v], { order: 1, seed: 12 });
    checkGrads((a: AnyT, b: AnyT, c: AnyT) => attn(a, b, c, null), [q, k, v], { order: 2, seed: 13 });
    const qs = randn(14, [1, 4, 3]);
    checkGrads((a: AnyT, b: AnyT, c: AnyT) => attn(a, b, c, causalMask(4) as Mask), [qs, k, v], { order: 2, seed: 15 });
  });

  it('scale option', () => {
    const q = randn(1, [3, 2]);
    const k = randn(2, [4, 2]);
    const v = randn(3, [4, 2]);
    const a = scaledDotProductAttention(q as any, k as any, v as any, null, { scale: 0.3 }) as AnyT;
    tf.tidy(() => {
      const w = tf.softmax(tf.mul(tf.matMul(toTf(q), toTf(k), false, true), 0.3));
      expectCloseTf(a, tf.matMul(w, toTf(v)));
    });
  });

  it('throws ShapeError when types are bypassed', () => {
    const q = randn(1, [2, 4, 8]);
    expect(() => attn(q, randn(2, [2, 5, 7]), randn(3, [2, 5, 3]), null)).toThrow(new ShapeError('attention', 'q and k depths differ (8 vs 7)'));
    expect(() => attn(q, randn(2, [2, 5, 8]), randn(3, [2, 6, 3]), null)).toThrow('attention: v length differs from k length (6 vs 5)');
    expect(() => attn(q, randn(2, [3, 5, 8]), randn(3, [3, 5, 3]), null)).toThrow('matmul: batch dims not broadcastable at axis -3 (2 vs 3)');
    expect(() => attn(randn(1, [8]), randn(2, [5, 8]), randn(3, [5, 3]), null)).toThrow('attention: q, k and v need rank >= 2 (ranks 1 and 2)');
    expect(() => attn(q, randn(2, [2, 5, 8]), randn(3, [2, 5, 3]), randMask(1, [3, 4, 5], 0.5))).toThrow(ShapeError);
    // a mask that would enlarge the scores (head-ful padding mask on head-less scores)
    expect(() => attn(q, randn(2, [2, 5, 8]), randn(3, [2, 5, 3]), randMask(1, [2, 1, 1, 5], 0.5))).toThrow('attention: mask does not broadcast to the scores shape');
    expect(() => attn(q, randn(2, [2, 5, 8]), randn(3, [2, 5, 3]), randn(1, [4, 5]) as any)).toThrow('attention: mask must be bool');
    expect(attentionShapes([2, 3, 4, 8], [2, 1, 5, 8], [2, 1, 5, 6])).toEqual([
      [2, 3, 4, 5],
      [2, 3, 4, 6],
    ]);
  });
});

describe('abstract tracing', () => {
  it('attention (with a traced mask) traces into a graph that evaluates to the same values', () => {
    const q = randn(1, [2, 4, 3]);
    const k = randn(2, [2, 5, 3]);
    const v = randn(3, [2, 5, 2]);
    const m = randMask(4, [2, 4, 5], 0.5);
    const fn = (a: AnyT, b: AnyT, c: AnyT, d: Mask) => attnW(a, b, c, d);
    const avals = [q, k, v, m].map((t) => ({ shape: t.shape as number[], dtype: t.dtype }));
    const g = makeGraph(fn as any, avals);
    const direct = fn(q, k, v, m);
    const [o, w] = evalGraph(g, [q, k, v, m] as any);
    expect(o!.dataSync()).toEqual(direct.output.dataSync());
    expect(w!.dataSync()).toEqual(direct.weights.dataSync());
  });
});

describe('masks', () => {
  it('causalMask is lower-triangular (incl. diagonal)', () => {
    expect(causalMask(3).toArray()).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
    expect(causalMask(0).shape).toEqual([0, 0]);
    expect(() => causalMask(-1)).toThrow(RangeError);
  });

  it('paddingMask marks non-pad ids, shaped [B, 1, 1, L] or [B, 1, L]', () => {
    const ids = tensor([[5, 3, 0, 0], [0, 1, 2, 3]], 'int32');
    const m = paddingMask(ids);
    expect(m.shape).toEqual([2, 1, 1, 4]);
    expect(Array.from(m.dataSync())).toEqual([1, 1, 0, 0, 0, 1, 1, 1]);
    const m3 = paddingMask(ids, 3, { heads: false });
    expect(m3.shape).toEqual([2, 1, 4]);
    expect(Array.from(m3.dataSync())).toEqual([1, 0, 1, 1, 1, 1, 1, 0]);
    // float ids are a type error (paddingMask: ids must be int32, got float32) and its runtime twin
    expect(() => paddingMask(tensor([[1, 0]]) as any, 0)).toThrow('paddingMask: ids must be int32, got float32');
    expect(() => paddingMask(tensor([1, 2, 0], 'int32') as any)).toThrow('paddingMask: ids must be [batch, length] (rank 1)');
  });
});
