/**
 * Whole-sequence kernels of the recurrent layers (SimpleRNN, LSTM, GRU) in plain TypeScript:
 * one forward pass over all time steps, and its backward pass (backpropagation through
 * time), on flat row-major Float32Arrays. The reference for faster backends.
 *
 * Why whole sequences: at the sizes recurrent nets train at (batch 32, 50 units) every step
 * is a tiny GEMM plus a few thousand scalar operations, so op dispatch, tracing and
 * allocation would cost more than the arithmetic if each step were a handful of ops. Here
 * the input projection for all steps is one GEMM ([B·T, F]·[F, G]), each step is one GEMM
 * (h·U through the given matmul) plus one pass over the batch computing every gate, c and
 * h in a few tight loops (no ops, no allocation per step beyond the GEMM result); the
 * backward pass runs the recurrence in reverse with one GEMM per step (dz·Uᵀ) and leaves
 * the weight gradients to three large GEMMs after the loop (Xᵀ·dZ, Hprevᵀ·dZ, dZ·Wᵀ).
 *
 * Layout (Keras, so weights copy 1:1 to tf.keras / tfjs; types in ../backend.ts):
 * - x [B, T, F], hidden states [B, T, u] (batch-major, as the layers return them);
 * - kernel W [F, G], recurrent kernel U [u, G], G = gates·u with the gate blocks side by
 *   side: LSTM i, f, c, o; GRU z, r, h; SimpleRNN a single block;
 * - bias [G]; GRU with resetAfter: [2, G] (input bias, then recurrent bias), flattened here.
 * Residuals kept for the backward pass: activated gates [B, T, G] (LSTM, GRU), cell states
 * and their activations [B, T, u] (LSTM), the recurrent h-block h·U_h + b_h [B, T, u] (GRU resetAfter).
 *
 * Values are rounded to float32 between the stages of a step (pre-activation, gate, c, h),
 * as an op-by-op float32 evaluation (the 'ops' reference, tfjs) rounds them.
 */
import type { Backend, CellActivation, CellConfig, CellKind, F32, SeqCotangents, SeqDims, SeqForward, SeqGradients, SeqInputs } from '../backend';
import { matmul as cpuMatmul } from './gemm';

/** gate blocks per cell: G = gateCount(kind)·u */
export function gateCount(kind: CellKind): number {
  return kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
}

const ACT_CODE: Record<CellActivation, number> = { tanh: 0, sigmoid: 1, relu: 2, linear: 3 };

// ---- activations over contiguous blocks ---------------------------------------------------
// The cell loops apply activations block by block (one gate of one batch row at a time) in
// tight loops, one function per activation, so V8 keeps each monomorphic and never calls out
// per element. Math.exp / Math.tanh are calls into C in V8 (~15 / ~25 ns); the gates of an
// LSTM step need five per element, so e^x is computed inline: x = (32m + j)·ln2/32 + r with
// |r| <= ln2/64, e^x = 2^m · 2^(j/32) · e^r, e^r by a degree-6 Taylor polynomial (relative
// error < 5e-16 overall), the powers of two from tables kept in plain double arrays (a
// typed-array load pays a detach check in V8).

const K32 = 46.16624130844683; // 32 / ln 2
const LN2_32_HI = 0.02166084938653512; // ln2/32 with its low 21 bits cleared: k·HI is exact for |k| < 2^21
const LN2_32_LO = 5.9631716539705866e-12; // ln2/32 - HI
const ROUND = 6755399441055744; // 1.5·2^52: adding and subtracting it rounds to the nearest integer
function doubles(n: number, f: (i: number) => number): number[] {
  const a: number[] = [0.5]; // a double literal first, so the array stays PACKED_DOUBLE_ELEMENTS
  a.length = 0;
  for (let i = 0; i < n; i++) a.push(f(i));
  return a;
}
const POW2_J = doubles(32, (j) => 2 ** (j / 32));
const POW2_M = doubles(2048, (i) => 2 ** (i - 1023)); // 2^m at m + 1023

/** e^x, within a few ulp (double) of Math.exp; NaN and |x| >= 700 go to Math.exp */
export function expFast(x: number): number {
  if (!(x > -700 && x < 700)) return Math.exp(x);
  const kf = x * K32 + ROUND - ROUND;
  const k = kf | 0;
  const r = x - kf * LN2_32_HI - kf * LN2_32_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  return POW2_M[(k >> 5) + 1023]! * POW2_J[k & 31]! * p;
}

/**
 * tanh(x) = sign(x)·(1 − e)/(1 + e), e = e^(−2|x|): relative error < 1e-9 for |x| >= 2^-20
 * (the cancellation in 1 − e), and tanh(x) = x to double precision below that.
 */
export function tanhFast(x: number): number {
  const ax = Math.abs(x);
  if (ax < 9.5367431640625e-7) return x;
  const e = expFast(-2 * ax);
  return (Math.sign(x) * (1 - e)) / (1 + e);
}

function tanhBlock(v: Float32Array, off: number, n: number): void {
  for (let i = off; i < off + n; i++) v[i] = tanhFast(v[i]!);
}
function sigmoidBlock(v: Float32Array, off: number, n: number): void {
  for (let i = off; i < off + n; i++) v[i] = 1 / (1 + expFast(-v[i]!));
}
function reluBlock(v: Float32Array, off: number, n: number): void {
  for (let i = off; i < off + n; i++) v[i] = Math.max(v[i]!, 0);
}

/** v[off, off + n) = act(v[off, off + n)) */
function actBlock(code: number, v: Float32Array, off: number, n: number): void {
  if (code === 0) tanhBlock(v, off, n);
  else if (code === 1) sigmoidBlock(v, off, n);
  else if (code === 2) reluBlock(v, off, n);
}

/** dst[d + i] = a[ia + i] + b[ib + i] for i < n */
function addInto(dst: Float32Array, d: number, a: Float32Array, ia: number, b: Float32Array, ib: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = a[ia + i]! + b[ib + i]!;
}

/** derivative of the activation in terms of its output y (relu'(0) = 0) */
function actD(code: number, y: number): number {
  if (code === 0) return 1 - y * y;
  if (code === 1) return y * (1 - y);
  if (code === 2) return y > 0 ? 1 : 0;
  return 1;
}

const off0 = new Int32Array(1);

/** C = op(A)·op(B) for single matrices (A [m, k] or [k, m] if tA; B [k, n] or [n, k] if tB) */
export type Mm = (a: F32, b: F32, m: number, k: number, n: number, tA: boolean, tB: boolean) => F32;

/** x·W + bias for all steps: [B·T, G] */
function inputProjection(mm: Mm, x: Float32Array, W: Float32Array, bias: Float32Array | null, rows: number, F: number, G: number): Float32Array {
  const xp = mm(x, W, rows, F, G, false, false);
  if (bias !== null) {
    for (let r = 0; r < rows; r++) {
      const o = r * G;
      for (let j = 0; j < G; j++) xp[o + j] = xp[o + j]! + bias[j]!;
    }
  }
  return xp;
}

/** column sums of a [rows, cols] matrix into out[outOff ..] */
function colSums(a: Float32Array, rows: number, cols: number, out: Float32Array, outOff: number): void {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) acc[j] = acc[j]! + a[o + j]!;
  }
  for (let j = 0; j < cols; j++) out[outOff + j] = acc[j]!;
}

/** [B·T, u]: row (b, t) is the state entering step t (h0 for t = 0) */
function previousStates(hs: Float32Array, h0: Float32Array, d: SeqDims): Float32Array {
  const { B, T, u } = d;
  const out = new Float32Array(B * T * u);
  for (let b = 0; b < B; b++) {
    const base = b * T * u;
    out.set(h0.subarray(b * u, (b + 1) * u), base);
    if (T > 1) out.set(hs.subarray(base, base + (T - 1) * u), base + u);
  }
  return out;
}

/** columns [c0, c0 + w) of a [rows, cols] matrix, contiguous */
function columns(a: Float32Array, rows: number, cols: number, c0: number, w: number): Float32Array {
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * cols + c0, r * cols + c0 + w), r * w);
  return out;
}

/** write a contiguous [rows, w] block into columns [c0, c0 + w) of a [rows, cols] matrix */
function setColumns(dst: Float32Array, rows: number, cols: number, c0: number, w: number, src: Float32Array): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * w, (r + 1) * w), r * cols + c0);
}

// =============================================================================================
// forward

function seqForward(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs): SeqForward {
  if (cfg.kind === 'lstm') return lstmForward(mm, cfg, d, ins);
  if (cfg.kind === 'gru') return cfg.resetAfter ? gruForwardAfter(mm, cfg, d, ins) : gruForwardBefore(mm, cfg, d, ins);
  return rnnForward(mm, cfg, d, ins);
}

function rnnForward(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs): SeqForward {
  const { B, T, F, u } = d;
  const a = ACT_CODE[cfg.activation];
  const hs = inputProjection(mm, ins.x, ins.W, ins.bias, B * T, F, u); // overwritten in place with h
  const h = ins.h0.slice();
  for (let t = 0; t < T; t++) {
    const rec = mm(h, ins.U, B, u, u, false, false);
    for (let b = 0; b < B; b++) {
      const row = (b * T + t) * u;
      addInto(hs, row, hs, row, rec, b * u, u);
      actBlock(a, hs, row, u);
      h.set(hs.subarray(row, row + u), b * u);
    }
  }
  return { hs, hT: h, cT: null, gates: null, cs: null, acs: null, recH: null };
}

function lstmForward(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs): SeqForward {
  const { B, T, F, u } = d;
  const G = 4 * u;
  const a = ACT_CODE[cfg.activation];
  const ra = ACT_CODE[cfg.recurrentActivation];
  // the projection buffer is overwritten in place with the activated gates (a residual)
  const gates = inputProjection(mm, ins.x, ins.W, ins.bias, B * T, F, G);
  const hs = new Float32Array(B * T * u);
  const cs = new Float32Array(B * T * u);
  const acs = new Float32Array(B * T * u);
  const h = ins.h0.slice();
  const c = ins.c0!.slice();
  for (let t = 0; t < T; t++) {
    const rec = mm(h, ins.U, B, u, G, false, false);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      addInto(gates, zr, gates, zr, rec, b * G, G);
      actBlock(ra, gates, zr, 2 * u); // i, f
      actBlock(a, gates, zr + 2 * u, u); // g
      actBlock(ra, gates, zr + 3 * u, u); // o
      for (let j = 0; j < u; j++) cs[hr + j] = gates[zr + u + j]! * c[sr + j]! + gates[zr + j]! * gates[zr + 2 * u + j]!;
      acs.set(cs.subarray(hr, hr + u), hr);
      actBlock(a, acs, hr, u);
      for (let j = 0; j < u; j++) hs[hr + j] = gates[zr + 3 * u + j]! * acs[hr + j]!;
      c.set(cs.subarray(hr, hr + u), sr);
      h.set(hs.subarray(hr, hr + u), sr);
    }
  }
  return { hs, hT: h, cT: c, gates, cs, acs, recH: null };
}

/** GRU, Keras reset_after = true: hh = act(x_h + r ⊙ (h·U_h + b_rec,h)) */
function gruForwardAfter(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs): SeqForward {
  const { B, T, F, u } = d;
  const G = 3 * u;
  const a = ACT_CODE[cfg.activation];
  const ra = ACT_CODE[cfg.recurrentActivation];
  const gates = inputProjection(mm, ins.x, ins.W, ins.bias.subarray(0, G), B * T, F, G);
  const bRec = ins.bias.subarray(G, 2 * G);
  const hs = new Float32Array(B * T * u);
  const recH = new Float32Array(B * T * u);
  const h = ins.h0.slice();
  for (let t = 0; t < T; t++) {
    const rec = mm(h, ins.U, B, u, G, false, false);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const rr = b * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      addInto(rec, rr, rec, rr, bRec, 0, G);
      addInto(gates, zr, gates, zr, rec, rr, 2 * u);
      actBlock(ra, gates, zr, 2 * u); // z, r
      recH.set(rec.subarray(rr + 2 * u, rr + G), hr);
      for (let j = 0; j < u; j++) gates[zr + 2 * u + j] = gates[zr + 2 * u + j]! + gates[zr + u + j]! * recH[hr + j]!;
      actBlock(a, gates, zr + 2 * u, u); // hh
      for (let j = 0; j < u; j++) {
        const z = gates[zr + j]!;
        hs[hr + j] = z * h[sr + j]! + (1 - z) * gates[zr + 2 * u + j]!;
      }
      h.set(hs.subarray(hr, hr + u), sr);
    }
  }
  return { hs, hT: h, cT: null, gates, cs: null, acs: null, recH };
}

/** GRU, reset_after = false (Keras 1, tfjs): hh = act(x_h + (r ⊙ h)·U_h) */
function gruForwardBefore(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs): SeqForward {
  const { B, T, F, u } = d;
  const G = 3 * u;
  const a = ACT_CODE[cfg.activation];
  const ra = ACT_CODE[cfg.recurrentActivation];
  const gates = inputProjection(mm, ins.x, ins.W, ins.bias, B * T, F, G);
  const Uzr = columns(ins.U, u, G, 0, 2 * u);
  const Uh = columns(ins.U, u, G, 2 * u, u);
  const hs = new Float32Array(B * T * u);
  const h = ins.h0.slice();
  const rh = new Float32Array(B * u);
  for (let t = 0; t < T; t++) {
    const rec = mm(h, Uzr, B, u, 2 * u, false, false);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const sr = b * u;
      addInto(gates, zr, gates, zr, rec, b * 2 * u, 2 * u);
      actBlock(ra, gates, zr, 2 * u); // z, r
      for (let j = 0; j < u; j++) rh[sr + j] = gates[zr + u + j]! * h[sr + j]!;
    }
    const recH = mm(rh, Uh, B, u, u, false, false);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      addInto(gates, zr + 2 * u, gates, zr + 2 * u, recH, sr, u);
      actBlock(a, gates, zr + 2 * u, u); // hh
      for (let j = 0; j < u; j++) {
        const z = gates[zr + j]!;
        hs[hr + j] = z * h[sr + j]! + (1 - z) * gates[zr + 2 * u + j]!;
      }
      h.set(hs.subarray(hr, hr + u), sr);
    }
  }
  return { hs, hT: h, cT: null, gates, cs: null, acs: null, recH: null };
}

// =============================================================================================
// backward

function seqBackward(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents): SeqGradients {
  if (cfg.kind === 'lstm') return lstmBackward(mm, cfg, d, ins, fw, ct);
  if (cfg.kind === 'gru') return cfg.resetAfter ? gruBackwardAfter(mm, cfg, d, ins, fw, ct) : gruBackwardBefore(mm, cfg, d, ins, fw, ct);
  return rnnBackward(mm, cfg, d, ins, fw, ct);
}

/** dh += the cotangent reaching h_t from outside the recurrence: dhs[:, t] (+ dhT at the last step) */
function addOuterDh(dh: Float32Array, ct: SeqCotangents, d: SeqDims, t: number): void {
  const { B, T, u } = d;
  const dhs = ct.dhs;
  if (dhs !== null) {
    for (let b = 0; b < B; b++) {
      const src = (b * T + t) * u;
      const dst = b * u;
      for (let j = 0; j < u; j++) dh[dst + j] = dh[dst + j]! + dhs[src + j]!;
    }
  }
  const dhT = ct.dhT;
  if (t === T - 1 && dhT !== null) for (let k = 0; k < B * u; k++) dh[k] = dh[k]! + dhT[k]!;
}

/** the gradients every cell shares once dZ (cotangent of x·W + b, [B·T, G]) is known */
function projectionGrads(mm: Mm, ins: SeqInputs, d: SeqDims, dZ: Float32Array, G: number, db: Float32Array): { dx: Float32Array; dW: Float32Array } {
  const rows = d.B * d.T;
  colSums(dZ, rows, G, db, 0);
  return { dx: mm(dZ, ins.W, rows, G, d.F, false, true), dW: mm(ins.x, dZ, d.F, rows, G, true, false) };
}

function rnnBackward(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents): SeqGradients {
  const { B, T, u } = d;
  const a = ACT_CODE[cfg.activation];
  const hs = fw.hs;
  const dZ = new Float32Array(B * T * u);
  const dzt = new Float32Array(B * u);
  let dhRec: Float32Array = new Float32Array(B * u);
  for (let t = T - 1; t >= 0; t--) {
    addOuterDh(dhRec, ct, d, t);
    for (let b = 0; b < B; b++) {
      const row = (b * T + t) * u;
      const sr = b * u;
      for (let j = 0; j < u; j++) {
        const dh = dhRec[sr + j]!;
        const v = dh * actD(a, hs[row + j]!);
        dZ[row + j] = v;
        dzt[sr + j] = v;
      }
    }
    dhRec = mm(dzt, ins.U, B, u, u, false, true);
  }
  const db = new Float32Array(u);
  const { dx, dW } = projectionGrads(mm, ins, d, dZ, u, db);
  const dU = mm(previousStates(hs, ins.h0, d), dZ, u, B * T, u, true, false);
  return { dx, dW, dU, db, dh0: dhRec, dc0: null };
}

function lstmBackward(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents): SeqGradients {
  const { B, T, u } = d;
  const G = 4 * u;
  const a = ACT_CODE[cfg.activation];
  const ra = ACT_CODE[cfg.recurrentActivation];
  const gates = fw.gates!;
  const cs = fw.cs!;
  const acs = fw.acs!;
  const c0 = ins.c0!;
  const dZ = new Float32Array(B * T * G);
  const dzt = new Float32Array(B * G);
  let dhRec: Float32Array = new Float32Array(B * u);
  const dc = ct.dcT === null ? new Float32Array(B * u) : ct.dcT.slice();
  for (let t = T - 1; t >= 0; t--) {
    addOuterDh(dhRec, ct, d, t);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      const tr = b * G;
      for (let j = 0; j < u; j++) {
        const dh = dhRec[sr + j]!;
        const i = gates[zr + j]!;
        const f = gates[zr + u + j]!;
        const g = gates[zr + 2 * u + j]!;
        const o = gates[zr + 3 * u + j]!;
        const cp = t > 0 ? cs[hr - u + j]! : c0[sr + j]!;
        const ac = acs[hr + j]!;
        const dcv = dc[sr + j]! + dh * o * actD(a, ac);
        dc[sr + j] = dcv * f;
        const di = dcv * g * actD(ra, i);
        const df = dcv * cp * actD(ra, f);
        const dg = dcv * i * actD(a, g);
        const dO = dh * ac * actD(ra, o);
        dZ[zr + j] = di;
        dZ[zr + u + j] = df;
        dZ[zr + 2 * u + j] = dg;
        dZ[zr + 3 * u + j] = dO;
        dzt[tr + j] = di;
        dzt[tr + u + j] = df;
        dzt[tr + 2 * u + j] = dg;
        dzt[tr + 3 * u + j] = dO;
      }
    }
    dhRec = mm(dzt, ins.U, B, G, u, false, true);
  }
  const db = new Float32Array(G);
  const { dx, dW } = projectionGrads(mm, ins, d, dZ, G, db);
  const dU = mm(previousStates(fw.hs, ins.h0, d), dZ, u, B * T, G, true, false);
  return { dx, dW, dU, db, dh0: dhRec, dc0: dc };
}

function gruBackwardAfter(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents): SeqGradients {
  const { B, T, u } = d;
  const G = 3 * u;
  const a = ACT_CODE[cfg.activation];
  const ra = ACT_CODE[cfg.recurrentActivation];
  const gates = fw.gates!;
  const recH = fw.recH!;
  const hs = fw.hs;
  const h0 = ins.h0;
  // cotangents of the input projection (x·W + b_in) and of the recurrent product (h·U + b_rec):
  // they differ only in the h block (dah vs dah ⊙ r)
  const dXp = new Float32Array(B * T * G);
  const dRec = new Float32Array(B * T * G);
  const drt = new Float32Array(B * G);
  const direct = new Float32Array(B * u);
  let dhRec: Float32Array = new Float32Array(B * u);
  for (let t = T - 1; t >= 0; t--) {
    addOuterDh(dhRec, ct, d, t);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      const tr = b * G;
      for (let j = 0; j < u; j++) {
        const dh = dhRec[sr + j]!;
        const z = gates[zr + j]!;
        const r = gates[zr + u + j]!;
        const hh = gates[zr + 2 * u + j]!;
        const hp = t > 0 ? hs[hr - u + j]! : h0[sr + j]!;
        const dah = dh * (1 - z) * actD(a, hh);
        const daz = dh * (hp - hh) * actD(ra, z);
        const dar = dah * recH[hr + j]! * actD(ra, r);
        const drh = dah * r;
        direct[sr + j] = dh * z;
        dXp[zr + j] = daz;
        dXp[zr + u + j] = dar;
        dXp[zr + 2 * u + j] = dah;
        dRec[zr + j] = daz;
        dRec[zr + u + j] = dar;
        dRec[zr + 2 * u + j] = drh;
        drt[tr + j] = daz;
        drt[tr + u + j] = dar;
        drt[tr + 2 * u + j] = drh;
      }
    }
    dhRec = mm(drt, ins.U, B, G, u, false, true);
    for (let k = 0; k < B * u; k++) dhRec[k] = dhRec[k]! + direct[k]!;
  }
  const db = new Float32Array(2 * G);
  const { dx, dW } = projectionGrads(mm, ins, d, dXp, G, db);
  colSums(dRec, B * T, G, db, G);
  const dU = mm(previousStates(hs, h0, d), dRec, u, B * T, G, true, false);
  return { dx, dW, dU, db, dh0: dhRec, dc0: null };
}

function gruBackwardBefore(mm: Mm, cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents): SeqGradients {
  const { B, T, u } = d;
  const G = 3 * u;
  const a = ACT_CODE[cfg.activation];
  const ra = ACT_CODE[cfg.recurrentActivation];
  const gates = fw.gates!;
  const hs = fw.hs;
  const h0 = ins.h0;
  const Uzr = columns(ins.U, u, G, 0, 2 * u);
  const Uh = columns(ins.U, u, G, 2 * u, u);
  const dXp = new Float32Array(B * T * G);
  // r ⊙ h_prev per step (the left operand of U_h), for dU_h
  const RH = new Float32Array(B * T * u);
  const dAh = new Float32Array(B * T * u);
  const daht = new Float32Array(B * u);
  const dzPart = new Float32Array(B * u);
  const dzrt = new Float32Array(B * 2 * u);
  const direct = new Float32Array(B * u);
  let dhRec: Float32Array = new Float32Array(B * u);
  for (let t = T - 1; t >= 0; t--) {
    addOuterDh(dhRec, ct, d, t);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      for (let j = 0; j < u; j++) {
        const dh = dhRec[sr + j]!;
        const z = gates[zr + j]!;
        const r = gates[zr + u + j]!;
        const hh = gates[zr + 2 * u + j]!;
        const hp = t > 0 ? hs[hr - u + j]! : h0[sr + j]!;
        const dah = dh * (1 - z) * actD(a, hh);
        dzPart[sr + j] = dh * (hp - hh) * actD(ra, z);
        direct[sr + j] = dh * z;
        dXp[zr + 2 * u + j] = dah;
        dAh[hr + j] = dah;
        daht[sr + j] = dah;
        RH[hr + j] = r * hp;
      }
    }
    const dRH = mm(daht, Uh, B, u, u, false, true);
    for (let b = 0; b < B; b++) {
      const zr = (b * T + t) * G;
      const hr = (b * T + t) * u;
      const sr = b * u;
      const tr = b * 2 * u;
      for (let j = 0; j < u; j++) {
        const r = gates[zr + u + j]!;
        const hp = t > 0 ? hs[hr - u + j]! : h0[sr + j]!;
        const daz = dzPart[sr + j]!;
        const dar = dRH[sr + j]! * hp * actD(ra, r);
        direct[sr + j] = direct[sr + j]! + dRH[sr + j]! * r;
        dXp[zr + j] = daz;
        dXp[zr + u + j] = dar;
        dzrt[tr + j] = daz;
        dzrt[tr + u + j] = dar;
      }
    }
    dhRec = mm(dzrt, Uzr, B, 2 * u, u, false, true);
    for (let k = 0; k < B * u; k++) dhRec[k] = dhRec[k]! + direct[k]!;
  }
  const db = new Float32Array(G);
  const { dx, dW } = projectionGrads(mm, ins, d, dXp, G, db);
  const rows = B * T;
  const dU = new Float32Array(u * G);
  setColumns(dU, u, G, 0, 2 * u, mm(previousStates(hs, h0, d), columns(dXp, rows, G, 0, 2 * u), u, rows, 2 * u, true, false));
  setColumns(dU, u, G, 2 * u, u, mm(RH, dAh, u, rows, u, true, false));
  return { dx, dW, dU, db, dh0: dhRec, dc0: null };
}


// =============================================================================================
// the Backend methods

/**
 * The sequence kernels over a given matmul: the CPU backend's own GEMM, or a faster backend's
 * (its fallback for cells it does not implement keeps its GEMM for the per-step products).
 */
export function recurrentKernels(matmul: Backend['matmul']): Pick<Backend, 'recurrentForward' | 'recurrentBackward'> {
  const mm: Mm = (a, b, m, k, n, tA, tB) => matmul(a, off0, b, off0, 1, m, k, n, tA, tB);
  return {
    recurrentForward: (cfg, d, ins) => seqForward(mm, cfg, d, ins),
    recurrentBackward: (cfg, d, ins, fw, ct) => seqBackward(mm, cfg, d, ins, fw, ct),
  };
}

const cpuKernels = recurrentKernels(cpuMatmul);
export const recurrentForward: Backend['recurrentForward'] = cpuKernels.recurrentForward;
export const recurrentBackward: Backend['recurrentBackward'] = cpuKernels.recurrentBackward;
