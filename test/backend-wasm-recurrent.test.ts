/**
 * The wasm recurrent kernels (one call per sequence, src/backend/wasm/recurrent.ts and
 * recurrent.wat) against the CPU kernels, the reference, for LSTM, SimpleRNN and GRU (reset
 * after): forward (public outputs and the residuals, which are part of the contract) and
 * backward (every gradient) on random shapes — T = 1, units not a multiple of 4, non-zero
 * initial states, every combination of present / absent cotangents, all four activations —
 * inputs never modified, results independent of the thread count (the kernels split the batch
 * rows and the gate columns into blocks, one per thread); the cells the wasm kernels
 * do not run (GRU with the reset gate before, fewer than 4 units) fall back to the CPU
 * kernels; and an LSTM layer's loss and gradients under the wasm backend match the CPU
 * backend's, through the backend's recurrent kernels.
 *
 * Tolerances: float32 GEMM accumulation (f32 here, f64 in the CPU GEMM) and a different
 * exp / tanh approximation (f32x4 vs double) give differences of a few float32 ulps per
 * stage, which the recurrence carries along; so every array is compared with
 * max |wasm − cpu| <= tol · max(1, max |cpu|).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CellActivation, CellConfig, CellKind, SeqCotangents, SeqDims, SeqForward, SeqGradients, SeqInputs } from '../src/backend/backend';
import { backend, setBackend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend, getThreads, setThreads } from '../src/backend/wasm';
import { wasmRecurrent } from '../src/backend/wasm/recurrent';
import { runtime } from '../src/backend/wasm/runtime';
import { fromDataOrThrow } from '../src/tensor/create';
import { valueAndGrad } from '../src/autodiff/transforms';
import { treeFlatten } from '../src/autodiff/pytree';
import { sequential } from '../src/nn/sequential';
import { dense } from '../src/nn/layers/core';
import { lstm } from '../src/nn/layers/recurrent';
import { mse } from '../src/nn/losses';

const SEED = 42;
const wasmSerial = createWasmBackend({ minMatmulFlops: 0, minElementwise: 0 });
/** every sequence split into blocks of batch rows / gate columns (up to one per thread), however small */
const wasm = { ...wasmSerial, ...wasmRecurrent(runtime(), wasmSerial.matmul, { minParallelFlops: 0 }) };
/** the same on the plain-SIMD build (the fallback where relaxed SIMD does not run) */
const plainSerial = createWasmBackend({ minMatmulFlops: 0, minElementwise: 0, relaxedSimd: false });
const wasmPlain = { ...plainSerial, ...wasmRecurrent(runtime('simd'), plainSerial.matmul, { minParallelFlops: 0 }) };
const ACTS: readonly CellActivation[] = ['tanh', 'sigmoid', 'relu', 'linear'];
const threadsBefore = getThreads();
afterAll(() => setThreads(threadsBefore));

/** deterministic uniform data in [-scale, scale) (LCG) */
function randArray(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 31 - 1) * scale;
  }
  return a;
}

const gatesOf = (kind: CellKind) => (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1);

function config(kind: CellKind, activation: CellActivation = 'tanh', recurrentActivation: CellActivation = 'sigmoid', resetAfter = true): CellConfig {
  return { kind, activation, recurrentActivation, resetAfter };
}

/**
 * Weights scaled by 1/sqrt(fan-in) so the recurrence neither explodes nor dies out; with an
 * unbounded activation (relu, linear) c_t is a polynomial in the inputs whose degree doubles
 * per step, so those runs use pre-activations well below 1.
 */
function inputs(cfg: CellConfig, d: SeqDims, seed: number): SeqInputs {
  const { B, T, F, u } = d;
  const G = gatesOf(cfg.kind) * u;
  const bounded = (a: CellActivation) => a === 'tanh' || a === 'sigmoid';
  const w = bounded(cfg.activation) && bounded(cfg.recurrentActivation) ? 1.5 : 0.5;
  return {
    x: randArray(B * T * F, seed),
    W: randArray(F * G, seed + 1, w / Math.sqrt(F)),
    U: randArray(u * G, seed + 2, w / Math.sqrt(u)),
    bias: randArray(cfg.kind === 'gru' && cfg.resetAfter ? 2 * G : G, seed + 3, 0.5),
    h0: randArray(B * u, seed + 4, 0.8),
    c0: cfg.kind === 'lstm' ? randArray(B * u, seed + 5) : null,
  };
}

/** dcT only for an LSTM (the other cells have no cell state) */
function cotangents(cfg: CellConfig, d: SeqDims, seed: number, has: readonly [boolean, boolean, boolean]): SeqCotangents {
  const { B, T, u } = d;
  return {
    dhs: has[0] ? randArray(B * T * u, seed + 10) : null,
    dhT: has[1] ? randArray(B * u, seed + 11) : null,
    dcT: has[2] && cfg.kind === 'lstm' ? randArray(B * u, seed + 12) : null,
  };
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function expectClose(what: string, got: Float32Array | null, want: Float32Array | null, tol: number): void {
  if (want === null) {
    expect(got, what).toBeNull();
    return;
  }
  expect(got, what).not.toBeNull();
  expect(got!.length, `${what} length`).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got![i]! - want[i]!));
  // NaN (from a NaN or an infinity on either side) fails here: the inputs keep values finite
  expect(worst, `${what}: max |wasm − cpu|`).toBeLessThanOrEqual(tol * Math.max(1, maxAbs(want)));
}

const FORWARD_KEYS = ['hs', 'hT', 'cT', 'gates', 'cs', 'acs', 'recH'] as const;
const GRAD_KEYS = ['dx', 'dW', 'dU', 'db', 'dh0', 'dc0'] as const;

function expectForwardClose(got: SeqForward, want: SeqForward, tol: number): void {
  for (const k of FORWARD_KEYS) expectClose(k, got[k], want[k], tol);
}
function expectGradsClose(got: SeqGradients, want: SeqGradients, tol: number): void {
  for (const k of GRAD_KEYS) expectClose(k, got[k], want[k], tol);
}

const copies = (ins: SeqInputs) => Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, (v as Float32Array | null)?.slice() ?? null]));

const dimsArb = fc.record({
  B: fc.integer({ min: 1, max: 5 }),
  T: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 7 })),
  F: fc.integer({ min: 1, max: 5 }),
  u: fc.integer({ min: 4, max: 13 }),
});
const actArb = fc.constantFrom(...ACTS);
/** the cells the wasm kernels run: LSTM, SimpleRNN, GRU with resetAfter */
const kindArb = fc.constantFrom<CellKind>('lstm', 'rnn', 'gru');
/** the residuals of each cell, for the inputs-unmodified checks */
const residuals = (fw: SeqForward) => [fw.hs, fw.gates, fw.cs, fw.acs, fw.recH].filter((a): a is Float32Array => a !== null);

describe('wasm sequence kernels vs the CPU kernels', () => {
  it('forward: public outputs and residuals, on random cells, shapes and activations; inputs unmodified', () => {
    setThreads(2);
    fc.assert(
      fc.property(kindArb, dimsArb, actArb, actArb, fc.integer({ min: 0, max: 1000 }), (kind, d, act, ract, seed) => {
        const cfg = config(kind, act, ract);
        const ins = inputs(cfg, d, seed);
        const before = copies(ins);
        const got = wasm.recurrentForward(cfg, d, ins);
        expect(copies(ins)).toEqual(before);
        expectForwardClose(got, cpuBackend.recurrentForward(cfg, d, ins), 3e-6);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('backward: every gradient, with and without each cotangent; inputs unmodified', () => {
    setThreads(2);
    fc.assert(
      fc.property(kindArb, dimsArb, actArb, actArb, fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), fc.integer({ min: 0, max: 1000 }), (kind, d, act, ract, has, seed) => {
        const cfg = config(kind, act, ract);
        const ins = inputs(cfg, d, seed);
        const ct = cotangents(cfg, d, seed, has);
        const fw = cpuBackend.recurrentForward(cfg, d, ins);
        const snapshot = () => [copies(ins), residuals(fw).map((a) => a.slice()), [ct.dhs, ct.dhT, ct.dcT].map((a) => a?.slice() ?? null)];
        const before = snapshot();
        // the same residuals into both backward passes: the backward kernel alone
        const want = cpuBackend.recurrentBackward(cfg, d, ins, fw, ct);
        expectGradsClose(wasm.recurrentBackward(cfg, d, ins, fw, ct), want, 3e-6);
        expect(snapshot()).toEqual(before);
        // and the wasm pipeline end to end
        expectGradsClose(wasm.recurrentBackward(cfg, d, ins, wasm.recurrentForward(cfg, d, ins), ct), want, 5e-6);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('the per-step products reuse U packed once per call, never a previous call\'s U of the same shape', () => {
    const d = { B: 6, T: 5, F: 3, u: 12 };
    for (const kind of ['lstm', 'rnn', 'gru'] as const) {
      const cfg = config(kind, 'tanh', 'sigmoid');
      for (let s = 0; s < 3; s++) {
        const ins = inputs(cfg, d, 500 + 10 * s); // a new U (and W, x) each time, same shapes
        const fw = wasm.recurrentForward(cfg, d, ins);
        expectForwardClose(fw, cpuBackend.recurrentForward(cfg, d, ins), 3e-6);
        const ct = { dhs: randArray(d.B * d.T * d.u, 600 + s), dhT: null, dcT: null };
        const want = cpuBackend.recurrentBackward(cfg, d, ins, cpuBackend.recurrentForward(cfg, d, ins), ct);
        expectGradsClose(wasm.recurrentBackward(cfg, d, ins, fw, ct), want, 5e-6);
      }
    }
  });

  it('resident inputs are read in place and results written into offered arrays (a jit plan\'s), bit for bit as without', () => {
    setThreads(2);
    const pool = wasm.resident!;
    /** a resident copy of a (or a plain copy when the pool has no room) */
    const resident = (a: Float32Array): Float32Array => {
      const r = pool.alloc(a.length) ?? new Float32Array(a.length);
      r.set(a);
      return r;
    };
    /** an offered array of n floats holding garbage: resident, or (every other one) an ordinary array */
    const offer = (n: number, k: number): Float32Array => {
      const a = (k % 2 === 0 ? pool.alloc(n) : null) ?? new Float32Array(n);
      a.fill(-777);
      return a;
    };
    fc.assert(
      fc.property(kindArb, dimsArb, fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), fc.integer({ min: 0, max: 1000 }), (kind, d, has, seed) => {
        const cfg = config(kind);
        const ins = inputs(cfg, d, seed);
        const ct = cotangents(cfg, d, seed, has);
        const want = wasm.recurrentForward(cfg, d, ins);
        const wantG = wasm.recurrentBackward(cfg, d, ins, want, ct);
        const rIns: SeqInputs = { x: resident(ins.x), W: resident(ins.W), U: resident(ins.U), bias: resident(ins.bias), h0: resident(ins.h0), c0: ins.c0 && resident(ins.c0) };
        const before = copies(rIns);
        const fwInto = { hs: offer(want.hs.length, 0), gates: want.gates && offer(want.gates.length, 1), cs: want.cs && offer(want.cs.length, 2), acs: want.acs && offer(want.acs.length, 3), recH: want.recH && offer(want.recH.length, 4) };
        const got = wasm.recurrentForward(cfg, d, rIns, { hs: fwInto.hs, gates: fwInto.gates ?? undefined, cs: fwInto.cs ?? undefined, acs: fwInto.acs ?? undefined, recH: fwInto.recH ?? undefined });
        for (const k of ['hs', 'gates', 'cs', 'acs', 'recH'] as const) {
          if (want[k] === null) continue;
          expect(got[k], k).toBe(fwInto[k]);
          expect(got[k], k).toEqual(want[k]);
        }
        expect(got.hT).toEqual(want.hT);
        expect(got.cT).toEqual(want.cT);
        const gInto = { dx: offer(wantG.dx.length, 1), dW: offer(wantG.dW.length, 2), dU: offer(wantG.dU.length, 3), db: offer(wantG.db.length, 4), dh0: offer(wantG.dh0.length, 5), dc0: wantG.dc0 ? offer(wantG.dc0.length, 6) : undefined };
        const rCt: SeqCotangents = { dhs: ct.dhs && resident(ct.dhs), dhT: ct.dhT && resident(ct.dhT), dcT: ct.dcT && resident(ct.dcT) };
        const g = wasm.recurrentBackward(cfg, d, rIns, got, rCt, gInto);
        for (const k of GRAD_KEYS) {
          if (wantG[k] === null) continue;
          expect(g[k], k).toBe(gInto[k]);
          expect(g[k], k).toEqual(wantG[k]);
        }
        expect(copies(rIns)).toEqual(before);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('no cotangent at all gives zero gradients', () => {
    for (const kind of ['lstm', 'rnn', 'gru'] as const) {
      const cfg = config(kind);
      const d = { B: 3, T: 4, F: 2, u: 6 };
      const ins = inputs(cfg, d, 7);
      const g = wasm.recurrentBackward(cfg, d, ins, wasm.recurrentForward(cfg, d, ins), { dhs: null, dhT: null, dcT: null });
      for (const k of GRAD_KEYS) if (g[k] !== null) expect(maxAbs(g[k]), `${kind} ${k}`).toBe(0);
    }
  });

  it('the benchmark shape (B 32, T 50, F 1, u 50): long recurrence, k > one GEMM block in dU', () => {
    for (const kind of ['lstm', 'rnn', 'gru'] as const) {
      const cfg = config(kind);
      const d = { B: 32, T: 50, F: 1, u: 50 };
      const ins = inputs(cfg, d, 3);
      const ct = cotangents(cfg, d, 3, [false, true, false]);
      const fwCpu = cpuBackend.recurrentForward(cfg, d, ins);
      expectForwardClose(wasm.recurrentForward(cfg, d, ins), fwCpu, 5e-6);
      expectGradsClose(wasm.recurrentBackward(cfg, d, ins, fwCpu, ct), cpuBackend.recurrentBackward(cfg, d, ins, fwCpu, ct), 5e-6);
    }
  });

  it('results do not depend on the thread count or the blocks (bit for bit; both kernel builds)', () => {
    for (const kind of ['lstm', 'rnn', 'gru'] as const) {
      const cfg = config(kind);
      // B 9 on two threads: blocks of 8 and 1 rows; B 32, T 8, u 50 (> 4 MFLOP): also wasmSerial's parallel path
      for (const d of [{ B: 9, T: 5, F: 3, u: 10 }, { B: 32, T: 8, F: 2, u: 50 }]) {
        const ins = inputs(cfg, d, 11);
        const ct = cotangents(cfg, d, 11, [true, true, true]);
        const run = (b: typeof wasm, n: number) => {
          setThreads(n);
          const fw = b.recurrentForward(cfg, d, ins);
          return { fw, g: b.recurrentBackward(cfg, d, ins, fw, ct) };
        };
        for (const [variant, ser, par] of [['default', wasmSerial, wasm], ['plain SIMD', plainSerial, wasmPlain]] as const) {
          const serial = run(ser, 1);
          for (const [b, n] of [[par, 1], [par, 2], [par, 3], [ser, 2]] as const) {
            const other = run(b, n);
            expect(other.fw, `${variant} ${kind} B ${d.B} threads ${n}`).toEqual(serial.fw);
            expect(other.g, `${variant} ${kind} B ${d.B} threads ${n}`).toEqual(serial.g);
          }
        }
      }
    }
  });
});

describe('cells the wasm kernels do not run fall back to the CPU kernels', () => {
  const cases: [string, CellConfig, number][] = [
    ['GRU reset before', config('gru', 'tanh', 'sigmoid', false), 6],
    ['LSTM with 3 units', config('lstm'), 3],
    ['SimpleRNN with 1 unit', config('rnn'), 1],
    ['GRU with 2 units', config('gru'), 2],
  ];
  for (const [name, cfg, u] of cases) {
    it(name, () => {
      const d = { B: 4, T: 5, F: 3, u };
      const ins = inputs(cfg, d, 5);
      const ct = cotangents(cfg, d, 5, [true, true, true]);
      const fw = cpuBackend.recurrentForward(cfg, d, ins);
      expectForwardClose(wasm.recurrentForward(cfg, d, ins), fw, 3e-6);
      expectGradsClose(wasm.recurrentBackward(cfg, d, ins, fw, ct), cpuBackend.recurrentBackward(cfg, d, ins, fw, ct), 3e-6);
    });
  }
});

describe('an LSTM layer under setBackend(createWasmBackend())', () => {
  it('loss and gradients match the CPU backend', () => {
    const B = 6, S = 9, F = 2, H = 7;
    const model = sequential([B, S, F] as const, lstm(H), dense(1));
    const x = fromDataOrThrow(randArray(B * S * F, 21), [B, S, F] as const);
    const y = fromDataOrThrow(randArray(B, 22), [B, 1] as const);
    const params: ReturnType<typeof model.init> = [
      {
        kernel: fromDataOrThrow(randArray(F * 4 * H, 23, 0.8), [F, 28] as const),
        recurrentKernel: fromDataOrThrow(randArray(H * 4 * H, 24, 0.5), [H, 28] as const),
        bias: fromDataOrThrow(randArray(4 * H, 25, 0.3), [28] as const),
      },
      { kernel: fromDataOrThrow(randArray(H, 26), [H, 1] as const), bias: fromDataOrThrow(randArray(1, 27), [1] as const) },
    ];
    const step = valueAndGrad((p: typeof params) => mse(model.apply(p, x), y));
    const run = (b: typeof cpuBackend) => {
      const prev = backend();
      setBackend(b);
      try {
        const [loss, g] = step(params);
        return { loss: loss.item(), grads: treeFlatten(g).leaves.map((l) => l.dataSync() as Float32Array) };
      } finally {
        setBackend(prev);
      }
    };
    const want = run(cpuBackend);
    // count the calls, so the test proves the layer goes through the backend's kernels
    const w = createWasmBackend();
    const calls = { forward: 0, backward: 0 };
    const got = run({
      ...w,
      recurrentForward: (...a) => (calls.forward++, w.recurrentForward(...a)),
      recurrentBackward: (...a) => (calls.backward++, w.recurrentBackward(...a)),
    });
    expect(calls).toEqual({ forward: 1, backward: 1 });
    expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.loss)));
    expect(got.grads.length).toBe(want.grads.length);
    got.grads.forEach((g, i) => expectClose(`grad leaf ${i}`, g, want.grads[i]!, 5e-6));
  });
});
