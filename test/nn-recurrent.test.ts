import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseArrays } from './helpers/tf';
import { key, normalArray } from '../src/random';
import { ShapeError, type Dim } from '../src/shape/dims';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import type { AnyTensor } from '../src/autodiff/core';
import { grad, jvp, makeGraph, valueAndGrad } from '../src/autodiff/transforms';
import { treeFlatten } from '../src/autodiff/pytree';
import { add, mul, sub } from '../src/ops/elementwise';
import { sigmoid, tanh, relu } from '../src/ops/activations';
import { sum, reshapeRaw } from '../src/ops/reduce-core';
import { matmulRaw } from '../src/ops/linalg';
import { concatRaw, sliceRaw, splitRaw } from '../src/ops/layout';
import { checkGrads } from '../src/testing/check-grads';
import { initLayer } from '../src/nn/layer';
import { sequential } from '../src/nn/sequential';
import { dense } from '../src/nn/layers/core';
import { mse } from '../src/nn/losses';
import { adam, applyUpdates } from '../src/optim';
import { gru, gruScan, lstm, lstmScan, simpleRnn, simpleRnnScan, type CellActivation } from '../src/nn/layers/recurrent';
import { expFast, tanhFast } from '../src/backend/cpu/recurrent';

type T = Tensor<Dim[]>;
type Cell = 'rnn' | 'lstm' | 'gruAfter' | 'gruBefore';
interface Weights {
  kernel: T;
  recurrentKernel: T;
  bias: T;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (shape: readonly number[], seed: number, scale = 1): T => fromFlat(normalArray(key(seed), size(shape), 0, scale), [...shape]) as T;
const gatesOf = (c: Cell) => (c === 'lstm' ? 4 : c === 'rnn' ? 1 : 3);
const biasShapeOf = (c: Cell, u: number) => (c === 'gruAfter' ? [2, 3 * u] : [gatesOf(c) * u]);
const flat = (tree: unknown): number[] => treeFlatten(tree).leaves.flatMap((l) => Array.from(l.dataSync() as Float32Array));

function weights(c: Cell, F: number, u: number, seed: number): Weights {
  const G = gatesOf(c) * u;
  return { kernel: randn([F, G], seed, 0.6), recurrentKernel: randn([u, G], seed + 1, 0.4), bias: randn(biasShapeOf(c, u), seed + 2, 0.3) };
}

function layerOf(c: Cell, u: number, returnSequences: boolean, implementation: 'fused' | 'ops' = 'fused') {
  if (c === 'rnn') return simpleRnn(u, { returnSequences, implementation });
  if (c === 'lstm') return lstm(u, { returnSequences, implementation });
  return gru(u, { returnSequences, implementation, resetAfter: c === 'gruAfter' });
}

function applyCell(c: Cell, p: Weights, x: T, returnSequences: boolean, implementation: 'fused' | 'ops' = 'fused'): T {
  return layerOf(c, (p.recurrentKernel.shape as readonly number[])[0]!, returnSequences, implementation).apply(p, x as unknown as AnyTensor, {}) as unknown as T;
}

// =============================================================================================
// A plain-ops reference written independently of src (per step: slice x_t, two matmuls, split)

function refCell(c: Cell, p: Weights, x: T, h0: T | null, c0: T | null, act: CellActivation = 'tanh'): { hs: T; h: T; c: T | null } {
  const [B, Tn, F] = x.shape as readonly number[] as [number, number, number];
  const u = (p.recurrentKernel.shape as readonly number[])[0]!;
  const A = (v: AnyTensor) => v as unknown as T;
  const R = (v: T) => v as unknown as AnyTensor;
  const f = act === 'tanh' ? tanh : act === 'relu' ? relu : act === 'sigmoid' ? sigmoid : (v: T) => v;
  const parts = (z: T, n: number) => splitRaw(R(z), 1, new Array<number>(n).fill(u)).map(A);
  let h = h0 ?? (makeTensor([B, u], 'float32', new Float32Array(B * u)) as unknown as T);
  let cs = c === 'lstm' ? (c0 ?? (makeTensor([B, u], 'float32', new Float32Array(B * u)) as unknown as T)) : null;
  const [bIn, bRec] = c === 'gruAfter' ? splitRaw(R(p.bias), 0, [1, 1]).map((b) => A(reshapeRaw(b, [3 * u]))) : [p.bias, null];
  const out: AnyTensor[] = [];
  for (let t = 0; t < Tn; t++) {
    const xt = reshapeRaw(sliceRaw(R(x), [0, t, 0], [B, 1, F], null), [B, F]);
    const xw = add(A(matmulRaw(xt, R(p.kernel))), bIn!);
    if (c === 'rnn') h = f(add(xw, A(matmulRaw(R(h), R(p.recurrentKernel)))));
    else if (c === 'lstm') {
      const [i, fg, g, o] = parts(add(xw, A(matmulRaw(R(h), R(p.recurrentKernel)))), 4) as [T, T, T, T];
      cs = add(mul(sigmoid(fg), cs!), mul(sigmoid(i), f(g)));
      h = mul(sigmoid(o), f(cs));
    } else {
      const [xz, xr, xh] = parts(xw, 3) as [T, T, T];
      const [Uzr, Uh] = splitRaw(R(p.recurrentKernel), 1, [2 * u, u]).map(A) as [T, T];
      let z: T, r: T, hh: T;
      if (c === 'gruAfter') {
        const [rz, rr, rh] = parts(add(A(matmulRaw(R(h), R(p.recurrentKernel))), bRec!), 3) as [T, T, T];
        z = sigmoid(add(xz, rz));
        r = sigmoid(add(xr, rr));
        hh = f(add(xh, mul(r, rh)));
      } else {
        const [rz, rr] = parts(A(matmulRaw(R(h), R(Uzr))), 2) as [T, T];
        z = sigmoid(add(xz, rz));
        r = sigmoid(add(xr, rr));
        hh = f(add(xh, A(matmulRaw(R(mul(r, h)), R(Uh)))));
      }
      h = add(mul(z, h), mul(sub(1, z), hh));
    }
    out.push(reshapeRaw(R(h), [B, 1, u]));
  }
  return { hs: A(concatRaw(out, 1)), h, c: cs };
}

// =============================================================================================
// tfjs oracles

function tfLayer(c: Cell, u: number, returnSequences: boolean) {
  // weights are overwritten: skip tfjs' (slow) orthogonal initialiser
  const o = { units: u, returnSequences, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;
  if (c === 'rnn') return tf.layers.simpleRNN(o);
  if (c === 'lstm') return tf.layers.lstm({ ...o, recurrentActivation: 'sigmoid' });
  return tf.layers.gru({ ...o, recurrentActivation: 'sigmoid' });
}

/** Keras' GRU with reset_after = true, in tfjs ops (tfjs layers only implement reset_after = false). */
function tfGruAfter(x: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor, returnSequences: boolean): tf.Tensor {
  const [B, Tn, F] = x.shape as [number, number, number];
  const u = r.shape[0]!;
  const [bIn, bRec] = tf.unstack(b);
  let h: tf.Tensor = tf.zeros([B, u]);
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < Tn; t++) {
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [B, 1, F]), [B, F]);
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, k as tf.Tensor2D), bIn!), 3, 1);
    const [rz, rr, rh] = tf.split(tf.add(tf.matMul(h as tf.Tensor2D, r as tf.Tensor2D), bRec!), 3, 1);
    const z = tf.sigmoid(tf.add(xz!, rz!));
    const rg = tf.sigmoid(tf.add(xr!, rr!));
    const hh = tf.tanh(tf.add(xh!, tf.mul(rg, rh!)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    hs.push(h);
  }
  return returnSequences ? tf.stack(hs, 1) : h;
}

/** forward output and gradients of sum(out ⊙ w) w.r.t. [kernel, recurrentKernel, bias, x], from tfjs */
function tfOracle(c: Cell, p: Weights, x: T, w: T, returnSequences: boolean): { out: Float32Array; grads: Float32Array[] } {
  const u = (p.recurrentKernel.shape as readonly number[])[0]!;
  const xv = tf.variable(toTf(x));
  const wt = toTf(w);
  const values = [toTf(p.kernel), toTf(p.recurrentKernel), toTf(p.bias)];
  let vars: tf.Variable[];
  let forward: () => tf.Tensor;
  let dispose: () => void;
  if (c === 'gruAfter') {
    vars = values.map((v) => tf.variable(v));
    forward = () => tfGruAfter(xv, vars[0]!, vars[1]!, vars[2]!, returnSequences);
    dispose = () => vars.forEach((v) => v.dispose());
  } else {
    const layer = tfLayer(c, u, returnSequences);
    tf.tidy(() => void layer.apply(tf.zeros(x.shape as number[]))); // build
    layer.setWeights(values);
    vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    forward = () => layer.apply(xv) as tf.Tensor;
    dispose = () => layer.dispose();
  }
  const out = tf.tidy(() => forward().dataSync() as Float32Array);
  const list = [...vars, xv];
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(), wt)) as tf.Scalar, list);
  const g = list.map((v) => grads[v.name]!.dataSync() as Float32Array);
  Object.values(grads).forEach((t) => t.dispose());
  [xv, wt, ...values].forEach((t) => t.dispose());
  dispose();
  return { out, grads: g };
}

const cells: readonly Cell[] = ['rnn', 'lstm', 'gruAfter', 'gruBefore'];
const arbCaseT = (minT: number) =>
  fc.record({
    B: fc.integer({ min: 1, max: 4 }),
    T: fc.integer({ min: minT, max: 6 }),
    F: fc.integer({ min: 1, max: 4 }),
    u: fc.integer({ min: 1, max: 6 }),
    returnSequences: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  });
const arbCase = arbCaseT(1);
// tfjs 4.22 cannot differentiate its RNN layers over a single time step (the gradient of its
// unstack receives one tensor instead of a list), so the oracle runs with T >= 2
const arbCaseTf = arbCaseT(2);

describe('recurrent layers vs tfjs layers (copied weights)', () => {
  for (const c of cells) {
    it(`${c}: forward within 1e-5 and gradients (tf.variableGrads) within 1e-4`, () => {
      fc.assert(
        fc.property(arbCaseTf, ({ B, T: Tn, F, u, returnSequences, seed }) => {
          const p = weights(c, F, u, seed);
          const x = randn([B, Tn, F], seed + 3);
          const w = randn(returnSequences ? [B, Tn, u] : [B, u], seed + 4);
          const ours = applyCell(c, p, x, returnSequences);
          const ref = tfOracle(c, p, x, w, returnSequences);
          expectCloseArrays(ours.dataSync(), ref.out, { atol: 1e-5, rtol: 1e-5 }, `${c} forward`);
          const g = grad((pp: Weights, xx: T) => sum(mul(applyCell(c, pp, xx, returnSequences), w)), { argnums: [0, 1] })(p, x);
          const [gp, gx] = g as [Weights, T];
          [gp.kernel, gp.recurrentKernel, gp.bias, gx].forEach((t, i) => expectCloseArrays(t.dataSync(), ref.grads[i]!, { atol: 1e-4, rtol: 1e-4 }, `${c} grad ${i}`));
        }),
        { seed: 7, numRuns: 12 },
      );
    });
  }

  it('the benchmark shape: LSTM(50) over [4, 50, 1], both output modes', () => {
    const p = weights('lstm', 1, 50, 99);
    const x = randn([4, 50, 1], 100);
    for (const rs of [false, true]) {
      const w = randn(rs ? [4, 50, 50] : [4, 50], 101);
      const ref = tfOracle('lstm', p, x, w, rs);
      expectCloseArrays(applyCell('lstm', p, x, rs).dataSync(), ref.out, { atol: 1e-5, rtol: 1e-5 }, 'forward');
      const gp = grad((pp: Weights) => sum(mul(applyCell('lstm', pp, x, rs), w)))(p);
      [gp.kernel, gp.recurrentKernel, gp.bias].forEach((t, i) => expectCloseArrays(t.dataSync(), ref.grads[i]!, { atol: 1e-4, rtol: 1e-4 }, `grad ${i}`));
    }
  });
});

describe('fused vs unfused', () => {
  for (const c of cells) {
    it(`${c}: fused kernels equal the plain-ops recurrence (outputs, final states, all gradients)`, () => {
      fc.assert(
        fc.property(arbCase, fc.constantFrom<CellActivation>('tanh', 'relu', 'sigmoid', 'linear'), ({ B, T: Tn, F, u, seed }, act) => {
          const p = weights(c, F, u, seed);
          const x = randn([B, Tn, F], seed + 3);
          const h0 = randn([B, u], seed + 5, 0.5);
          const c0 = randn([B, u], seed + 6, 0.5);
          const wo = randn([B, Tn, u], seed + 7);
          const wh = randn([B, u], seed + 8);
          const scanF = (impl: 'fused' | 'ops') => (pp: Weights, xx: T, hh: T, cc: T) => {
            const st = c === 'lstm' ? [hh, cc] : [hh];
            const opts = { implementation: impl, activation: act };
            const r = (c === 'lstm' ? lstmScan : c === 'rnn' ? simpleRnnScan : gruScan)(pp as never, xx as never, st as never, c.startsWith('gru') ? { ...opts, resetAfter: c === 'gruAfter' } : opts);
            return r as unknown as { outputs: T; state: T[] };
          };
          const lossOf = (r: { outputs: T; state: T[] }): Tensor<[]> => r.state.reduce<Tensor<[]>>((l, s) => add(l, sum(mul(s, wh))) as Tensor<[]>, sum(mul(r.outputs, wo)) as Tensor<[]>);
          const ref = refCell(c, p, x, h0, c0, act);
          const fused = scanF('fused')(p, x, h0, c0);
          const ops = scanF('ops')(p, x, h0, c0);
          const refStates = c === 'lstm' ? [ref.h, ref.c!] : [ref.h];
          expectCloseArrays(flat([fused.outputs, fused.state]), flat([ref.hs, refStates]), { atol: 1e-6, rtol: 1e-6 }, 'fused vs reference');
          expectCloseArrays(flat([ops.outputs, ops.state]), flat([ref.hs, refStates]), { atol: 1e-6, rtol: 1e-6 }, 'ops vs reference');
          const gRef = grad(
            (pp: Weights, xx: T, hh: T, cc: T) => {
              const r = refCell(c, pp, xx, hh, cc, act);
              return lossOf({ outputs: r.hs, state: c === 'lstm' ? [r.h, r.c!] : [r.h] });
            },
            { argnums: [0, 1, 2, 3] },
          )(p, x, h0, c0);
          const gF = grad((pp: Weights, xx: T, hh: T, cc: T) => lossOf(scanF('fused')(pp, xx, hh, cc)), { argnums: [0, 1, 2, 3] })(p, x, h0, c0);
          const gO = grad((pp: Weights, xx: T, hh: T, cc: T) => lossOf(scanF('ops')(pp, xx, hh, cc)), { argnums: [0, 1, 2, 3] })(p, x, h0, c0);
          // c0 has no cotangent outside the LSTM (zeros on every path)
          expectCloseArrays(flat(gF), flat(gRef), { atol: 2e-6, rtol: 1e-5 }, 'fused grads vs reference');
          expectCloseArrays(flat(gO), flat(gRef), { atol: 2e-6, rtol: 1e-5 }, 'ops grads vs reference');
        }),
        { seed: 11, numRuns: 16 },
      );
    });
  }

  it('returnSequences false (a cotangent for h_T only): fused gradients equal the op-level ones', () => {
    const p = weights('lstm', 3, 4, 5);
    const x = randn([2, 5, 3], 6);
    const w = randn([2, 4], 7);
    const f = (impl: 'fused' | 'ops') => grad((pp: Weights) => sum(mul(applyCell('lstm', pp, x, false, impl), w)))(p);
    expectCloseArrays(flat(f('fused')), flat(f('ops')), { atol: 1e-6, rtol: 1e-5 });
  });
});

describe('derivatives through the layers (checkGrads)', () => {
  const shapes = { B: 2, T: 3, F: 2, u: 3 };
  for (const c of cells) {
    for (const rs of [false, true]) {
      it(`${c}, returnSequences ${rs}: order 1, forward and reverse mode`, () => {
        const p = weights(c, shapes.F, shapes.u, 21);
        const x = randn([shapes.B, shapes.T, shapes.F], 22);
        checkGrads((pp: Weights, xx: T) => applyCell(c, pp, xx, rs), [p, x], { order: 1, modes: ['fwd', 'rev'], seed: 3 });
      });
    }
  }

  it('scans: derivatives w.r.t. the initial states and of the final states', () => {
    const p = weights('lstm', 2, 3, 31);
    const x = randn([2, 3, 2], 32);
    const h0 = randn([2, 3], 33, 0.5);
    const c0 = randn([2, 3], 34, 0.5);
    checkGrads((pp: Weights, xx: T, hh: T, cc: T) => lstmScan(pp as never, xx as never, [hh, cc] as never), [p, x, h0, c0], { seed: 4 });
    const pg = weights('gruAfter', 2, 3, 35);
    checkGrads((pp: Weights, xx: T, hh: T) => gruScan(pp as never, xx as never, [hh] as never), [pg, x, h0], { seed: 5 });
  });

  it('second order goes through the op-level recurrence and agrees with it (grad of grad, jvp of grad)', () => {
    const p = weights('lstm', 2, 3, 41);
    const x = randn([2, 3, 2], 42);
    const w = randn([2, 3], 43);
    const loss = (impl: 'fused' | 'ops') => (pp: Weights, xx: T) => sum(mul(tanh(applyCell('lstm', pp, xx, false, impl)), w));
    checkGrads((xx: T) => grad(loss('fused'), { argnums: 1 })(p, xx), [x], { order: 1, seed: 6 });
    const gg = (impl: 'fused' | 'ops') => grad((xx: T) => sum(mul(grad(loss(impl), { argnums: 1 })(p, xx), x)))(x);
    expectCloseArrays(gg('fused').dataSync(), gg('ops').dataSync(), { atol: 1e-6, rtol: 1e-5 });
    const hvp = (impl: 'fused' | 'ops') => jvp((pp: Weights) => grad(loss(impl))(pp, x), [p], [weights('lstm', 2, 3, 44)])[1];
    expectCloseArrays(flat(hvp('fused')), flat(hvp('ops')), { atol: 1e-6, rtol: 1e-5 });
  });
});

describe('layers: shapes, params, init', () => {
  it('output shapes carry symbolic batch and time dims; params match Keras counts', () => {
    const m = sequential(['batch', 'time', 3], lstm(5, { returnSequences: true }), gru(4, { returnSequences: true }), simpleRnn(2));
    expect(m.outputShape).toEqual(['batch', 2]);
    const m2 = sequential(['batch', 50, 1], lstm(50), dense(1));
    const p2 = m2.init(key(1));
    expect(m2.summaryRows(p2).map((r) => r.params)).toEqual([4 * (50 * (1 + 50) + 50), 51]);
    const p = sequential([7, 4, 3], lstm(5, { returnSequences: true }), gru(4, { returnSequences: true }), gru(4, { resetAfter: false, returnSequences: true }), simpleRnn(2)).init(key(0));
    expect(p[0].kernel.shape).toEqual([3, 20]);
    expect(p[0].recurrentKernel.shape).toEqual([5, 20]);
    expect(p[1].bias.shape).toEqual([2, 12]);
    expect(p[2].bias.shape).toEqual([12]);
    expect(p[3].recurrentKernel.shape).toEqual([2, 2]);
    // any batch / time at run time
    const x = randn([3, 9, 3], 2);
    expect(m.apply(m.init(key(3)), x as never).shape).toEqual([3, 2]);
  });

  it('initialisers: glorot-uniform kernel, orthogonal recurrent kernel, forget bias 1 (unitForgetBias)', () => {
    const u = 6;
    const p = initLayer(lstm(u), key(5), [2, 4, 3]);
    const lim = Math.sqrt(6 / (3 + 4 * u));
    expect(Array.from(p.kernel.dataSync()).every((v) => Math.abs(v) <= lim)).toBe(true);
    const U = p.recurrentKernel.dataSync();
    for (let i = 0; i < u; i++) {
      for (let j = 0; j < u; j++) {
        let d = 0;
        for (let k = 0; k < 4 * u; k++) d += U[i * 4 * u + k]! * U[j * 4 * u + k]!;
        expect(d).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    }
    const b = Array.from(p.bias.dataSync());
    expect(b).toEqual([...new Array<number>(u).fill(0), ...new Array<number>(u).fill(1), ...new Array<number>(2 * u).fill(0)]);
    expect(Array.from(initLayer(lstm(u, { unitForgetBias: false }), key(5), [2, 4, 3]).bias.dataSync()).every((v) => v === 0)).toBe(true);
    expect('bias' in initLayer(simpleRnn(3, { useBias: false }), key(5), [2, 4, 3])).toBe(false);
  });

  it('useBias false: no bias param, same as a zero bias', () => {
    const p = weights('gruAfter', 3, 4, 51);
    const x = randn([2, 4, 3], 52);
    const noBias = gru(4, { useBias: false, returnSequences: true }).apply({ kernel: p.kernel, recurrentKernel: p.recurrentKernel }, x as never, {});
    const zero = applyCell('gruAfter', { ...p, bias: makeTensor([2, 12], 'float32', new Float32Array(24)) as unknown as T }, x, true);
    expectCloseArrays(noBias.dataSync() as Float32Array, zero.dataSync(), { atol: 0, rtol: 0 });
  });

  it('scans return final states equal to the last output; the layers start from zeros', () => {
    const p = weights('lstm', 3, 4, 61);
    const x = randn([2, 5, 3], 62);
    const r = lstmScan(p as never, x as never) as unknown as { outputs: T; state: [T, T] };
    const last = sliceRaw(r.outputs as unknown as AnyTensor, [0, 4, 0], [2, 1, 4], null);
    expect(Array.from(last.dataSync() as Float32Array)).toEqual(Array.from(r.state[0].dataSync()));
    expect(Array.from(applyCell('lstm', p, x, false).dataSync())).toEqual(Array.from(r.state[0].dataSync()));
    const r2 = simpleRnnScan({ kernel: randn([3, 2], 1), recurrentKernel: randn([2, 2], 2) } as never, x as never);
    expect((r2 as unknown as { state: T[] }).state).toHaveLength(1);
  });

  it('abstract tracing (makeGraph) records one primitive for the whole sequence', () => {
    const p = weights('lstm', 3, 4, 71);
    const g = makeGraph((x) => applyCell('lstm', p, x as unknown as T, true) as unknown as AnyTensor, [{ shape: [2, 5, 3], dtype: 'float32' }]);
    expect(g.eqns.filter((e) => e.prim.name === 'recurrent_sequence')).toHaveLength(1);
    expect(g.outputs[0]!.kind === 'var' && g.outputs[0]!.aval.shape).toEqual([2, 5, 4]);
  });
});

describe('errors when types are bypassed', () => {
  it('rank, feature dim, states and bias are checked at run time with the type rule words', () => {
    const p = weights('lstm', 3, 4, 81);
    expect(() => sequential(['batch', 10] as never, lstm(4) as never)).toThrow(/layer 0 \(lstm\): lstm: expects a rank-3 input \[batch, time, features\] \(got rank 2\)/);
    expect(() => lstm(4).apply(p, randn([2, 5], 1) as never, {})).toThrow(ShapeError);
    expect(() => applyCell('lstm', p, randn([2, 5, 2], 1), false)).toThrow(/lstm: input dim differs \(expected 3, got 2\)/);
    expect(() => sequential(['batch', 5, 2], lstm(4, { inputDim: 3 }) as never)).toThrow(/input dim differs \(expected 3, got 2\)/);
    expect(() => lstmScan(p as never, randn([2, 5, 3], 1) as never, [randn([2, 4], 2), randn([3, 4], 3)] as never)).toThrow(/initial state must be \[2, 4\] \(got \[3, 4\]\)/);
    expect(() => lstmScan(p as never, randn([2, 5, 3], 1) as never, [randn([2, 4], 2)] as never)).toThrow(/a pair \[h, c\]/);
    expect(() => gruScan(weights('gruBefore', 3, 4, 1) as never, randn([2, 5, 3], 1) as never, null, { resetAfter: true })).toThrow(/gru: bias must be \[2, 12\] \(got \[12\]\)/);
    expect(() => simpleRnnScan({ ...weights('rnn', 3, 4, 1), recurrentKernel: randn([4, 5], 1) } as never, randn([2, 5, 3], 1) as never)).toThrow(/recurrentKernel must be \[4, 4\]/);
    expect(() => applyCell('rnn', weights('rnn', 3, 4, 1), randn([2, 0, 3], 1), false)).toThrow(/at least one time step/);
  });

  it('bad options are rejected when the layer is made', () => {
    expect(() => lstm(4, { returnState: true } as never)).toThrow(/returnState is not a layer option.*lstmScan/);
    expect(() => lstm(0)).toThrow(RangeError);
    expect(() => gru(3, { activation: 'gelu' } as never)).toThrow(/activation must be one of tanh, sigmoid, relu, linear/);
    expect(() => simpleRnn(3, { implementation: 'wasm' } as never).apply(weights('rnn', 2, 3, 1), randn([1, 2, 2], 1) as never, {})).toThrow(/implementation/);
  });
});

describe('cell math helpers', () => {
  it('expFast and tanhFast agree with Math.exp / Math.tanh (and round to the same float32 for tanh)', () => {
    fc.assert(
      fc.property(fc.double({ min: -60, max: 60, noNaN: true }), (v) => {
        const e = Math.exp(v);
        expect(Math.abs(expFast(v) - e)).toBeLessThanOrEqual(1e-15 * e);
        expect(Math.abs(tanhFast(v) - Math.tanh(v))).toBeLessThanOrEqual(1e-9 * Math.abs(Math.tanh(v)) + 1e-300);
      }),
      { seed: 3, numRuns: 2000 },
    );
    for (const v of [0, -0, 1e-12, -3e-7, 699.9, -699.9]) expect(Math.abs(expFast(v) - Math.exp(v))).toBeLessThanOrEqual(1e-15 * Math.exp(v));
    // outside (-700, 700) expFast defers to Math.exp (overflow, subnormals, infinities)
    for (const v of [700, -700, 710, -800, Infinity, -Infinity]) expect(expFast(v)).toBe(Math.exp(v));
    for (const v of [0, -0, 1e-12, -3e-7, 1e-6, 20, -20, 400, -400, Infinity, -Infinity]) expect(Math.fround(tanhFast(v))).toBe(Math.fround(Math.tanh(v)));
    expect(expFast(NaN)).toBeNaN();
    expect(tanhFast(NaN)).toBeNaN();
  });
});

describe('training', () => {
  it('a tiny LSTM model overfits a tiny sequence batch (Adam)', () => {
    const m = sequential(['batch', 6, 2], lstm(8), dense(1));
    let p = m.init(key(12));
    const x = randn([4, 6, 2], 13);
    const y = fromFlat([0.5, -0.3, 0.8, -0.7], [4, 1]);
    const opt = adam({ learningRate: 0.03 });
    let state = opt.init(p);
    const step = valueAndGrad((pp: typeof p) => mse(m.apply(pp, x as never), y));
    let first = 0;
    let last = Infinity;
    for (let i = 0; i < 300; i++) {
      const [l, g] = step(p);
      if (i === 0) first = l.item();
      last = l.item();
      const [upd, next] = opt.update(g, state, p);
      p = applyUpdates(p, upd);
      state = next;
    }
    expect(first).toBeGreaterThan(0.05);
    expect(last).toBeLessThan(1e-4);
  });
});
