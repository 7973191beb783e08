/**
 * jit on the training steps the benchmarks and the tour run: the LSTM step (the fused sequence
 * primitive and its fused backward pass as plan steps, not the op-level recurrence) and an
 * encoder–decoder Transformer step (padding and causal masks, masked cross-entropy). The jitted
 * loss, gradients and Adam-updated params equal the plain ones.
 */
import { describe, expect, it } from 'vitest';
import { fromDataOrThrow } from '../src/tensor/create';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { key } from '../src/random';
import { grad, jvp, valueAndGrad } from '../src/autodiff/transforms';
import { jit } from '../src/autodiff/jit';
import { treeLeaves, treeMap } from '../src/autodiff/pytree';
import { dense } from '../src/nn/layers/core';
import { lstm } from '../src/nn/layers/recurrent';
import { transformer } from '../src/nn/layers/transformer';
import { sequential } from '../src/nn/sequential';
import { maskedSparseCategoricalCrossEntropy, mse } from '../src/nn/losses';
import { notEqual, square } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { adam, applyUpdates } from '../src/optim';
import { onBackends } from './helpers/backends';

const u32 = (t: { dataSync(): ArrayLike<number> }) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
/** every leaf of a and b has the same shape and the same float32 bits */
function sameBits(a: unknown, b: unknown, what: string): void {
  const la = treeLeaves(a), lb = treeLeaves(b);
  expect(la.length, what).toBe(lb.length);
  la.forEach((l, i) => {
    expect(l.shape, `${what} ${i}`).toEqual(lb[i]!.shape);
    expect(u32(l), `${what} ${i}`).toEqual(u32(lb[i]!));
  });
}
/** max |a − b| / max(|b|, |scale|, 1e-3) over the leaves (scale: e.g. the values before an update) */
function maxRel(a: unknown, b: unknown, scale: unknown = b): number {
  const la = treeLeaves(a), lb = treeLeaves(b), ls = treeLeaves(scale);
  let m = 0;
  la.forEach((l, i) => {
    const x = l.dataSync(), y = lb[i]!.dataSync(), z = ls[i]!.dataSync();
    for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs(Number(x[j]) - Number(y[j])) / Math.max(1e-3, Math.abs(Number(y[j])), Math.abs(Number(z[j]))));
  });
  return m;
}
const wave = (n: number, f: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f));

/**
 * Three Adam steps from params p0, one with the plain loss-and-gradient `vg`, one with `jit(vg)`;
 * loss, grads and updated params agree bit for bit at every step, and jit traces once.
 */
function threeStepsAgree<P, A extends readonly unknown[]>(vg: (p: P, ...batch: A) => readonly [unknown, P], p0: P, batch: A): void {
  const j = jit(vg);
  const opt = adam({ learningRate: 0.01 });
  let pa = p0, sa = opt.init(pa);
  let pb = pa, sb = sa;
  for (let i = 0; i < 3; i++) {
    const [la, ga] = vg(pa, ...batch);
    const [lb, gb] = j(pb, ...batch);
    sameBits(lb, la, `loss ${i}`);
    sameBits(gb, ga, `grads ${i}`);
    const [ua, na] = opt.update(ga, sa, pa);
    const [ub, nb] = opt.update(gb, sb, pb);
    [pa, sa, pb, sb] = [applyUpdates(pa, ua), na, applyUpdates(pb, ub), nb];
    sameBits(pb, pa, `params ${i}`);
  }
  // the batch is an argument (or closed over): one trace for all three steps
  expect(j.traceCount).toBe(1);
}

describe('jit: the LSTM training step', () => {
  const B = 4, S = 6, H = 5;
  const model = sequential([B, S, 2] as const, lstm(H), dense(1));
  const x = fromDataOrThrow(wave(B * S * 2, 0.7), [B, S, 2] as const);
  const y = fromDataOrThrow(wave(B, 1.3), [B, 1] as const);
  type P = ReturnType<typeof model.init>;
  const loss = (p: P) => mse(model.apply(p, x), y);

  it('keeps the fused sequence primitive and its fused backward pass as plan steps', () => {
    const j = jit(valueAndGrad(loss));
    const names = j.graphOf(model.init(key(1))).eqns.map((e) => e.prim.name);
    expect(names).toContain('recurrent_sequence');
    expect(names).toContain('recurrent_sequence_grad');
    // the op-level recurrence would bind one matmul per time step (and split / concat the sequence)
    expect(names.filter((n) => n === 'matmul').length).toBeLessThan(S);
    expect(names).not.toContain('split');
  });

  it('jit(valueAndGrad) + adam equals the plain step, bit for bit, on both backends', () => {
    onBackends(() => threeStepsAgree(valueAndGrad(loss), model.init(key(2)), []));
  });

  it('higher derivatives through the jitted fused backward pass take the op-level recurrence', () => {
    const g = grad(loss);
    const p = model.init(key(3));
    const t = treeMap((l) => makeTensor(l.shape, 'float32', wave(l.size, 0.31)), p);
    const [g1, hvp1] = jvp(g, [p], [t]);
    const [g2, hvp2] = jvp(jit(g), [p], [t]);
    // the jitted primal is the fused backward pass's, as in g(p); plain jvp(g) runs the op-level
    // recurrence's backward pass for the primal too (the same sums in another order)
    sameBits(g2, g(p), 'grad');
    expect(maxRel(g2, g1)).toBeLessThan(1e-5);
    // plain: the backward pass of the op-level recurrence differentiated forward; jitted: the
    // fused pass's jvp rule, the same recurrence's pullback differentiated (sums in another order)
    expect(maxRel(hvp2, hvp1)).toBeLessThan(1e-5);
    // reverse over reverse: the gradient of a function of the jitted gradient (the vjp rule)
    const gg = (gf: typeof g) => grad((q: P) => sum(square(gf(q)[0].recurrentKernel)));
    expect(maxRel(gg(jit(g))(p), gg(g)(p))).toBeLessThan(1e-5);
  });
});

describe('jit: the encoder–decoder Transformer training step', () => {
  const B = 3, L = 7, V = 11;
  const model = transformer({ srcVocab: V, tgtVocab: V, maxLen: L, dModel: 8, numHeads: 2, ffDim: 16, numEncoderLayers: 1, numDecoderLayers: 1, dropout: 0 });
  type P = ReturnType<typeof model.init>;
  type Ids = Tensor<[typeof B, typeof L], 'int32'>;
  // rows padded (id 0) after 7, 5 and 4 tokens: padding masks, the causal mask and the masked loss all matter
  const ids = (f: number): Ids => makeTensor([B, L] as const, 'int32', Int32Array.from({ length: B * L }, (_, i) => (i % L < L - 1.5 * Math.floor(i / L) ? 1 + ((i * f) % (V - 1)) : 0)));
  const src = ids(3), tin = ids(5), tout = ids(7);
  const loss = (p: P, s: Ids, ti: Ids, to: Ids) => maskedSparseCategoricalCrossEntropy(model.forward(p, s, ti, { srcPadId: 0, tgtPadId: 0 }), to, notEqual(to, 0));

  it('jit(valueAndGrad) + adam equals the plain step, bit for bit, on both backends', () => {
    onBackends(() => threeStepsAgree(valueAndGrad(loss), model.init(key(4)), [src, tin, tout]));
  });

  it('the whole step (valueAndGrad, adam update, applyUpdates) inside one jit', () => {
    const opt = adam({ learningRate: 0.01 });
    const step = (p: P, st: ReturnType<typeof opt.init<P>>, s: Ids, ti: Ids, to: Ids) => {
      const [l, g] = valueAndGrad(loss)(p, s, ti, to);
      const [u, next] = opt.update(g, st, p);
      return [applyUpdates(p, u), next, l] as const;
    };
    const j = jit(step);
    const p0 = model.init(key(5));
    const [pa, sa, la] = step(p0, opt.init(p0), src, tin, tout);
    const [pb, sb, lb] = j(p0, opt.init(p0), src, tin, tout);
    sameBits(lb, la, 'loss');
    // the eager Adam update is one fused loop in float64, the traced one float32 ops (the same
    // formula, rounded after each op): within 1e-6 relative, not bit-equal. Relative to the
    // params before the update too: p + u can cancel (−0.00931 + 0.01), which magnifies the
    // update's last-bit difference relative to the small sum
    expect(maxRel(pb, pa, p0)).toBeLessThan(1e-6);
    expect(maxRel(sb.slots, sa.slots)).toBeLessThan(1e-6);
  });
});
