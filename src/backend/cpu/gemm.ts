/**
 * Single-threaded GEMM in plain TypeScript: packed panels + a register-blocked micro-kernel.
 *
 * Why the shapes below (measured with Node 20 / V8 11, see benchmarks/kernels-quick.ts):
 * - V8 keeps scalar doubles in xmm0..xmm14 only (xmm15 is its scratch register), so a
 *   micro-tile needs accumulators + loaded operands <= 15 or it spills every iteration.
 *   In isolation a 2x4 tile (8 accumulators, 2 + 4 operands) runs ~5.6 GFLOP/s; 4x4 runs
 *   ~4.5 and 6x8 ~4.7 because of spill traffic. Unrolling k hurts for the same reason.
 * - Packed panels live in ONE module-level plain Array of doubles (PACKED_DOUBLE_ELEMENTS),
 *   not a Float64Array: a typed-array load pays a "was this buffer detached?" check as
 *   soon as any ArrayBuffer in the process has been transferred (tsx, vitest and any app
 *   using worker postMessage do this), which costs ~30% here; a double array pays one map
 *   check per iteration and a `cmp` per load, and its values need no f32->f64 conversion.
 * - Index arithmetic is written `(x + c) | 0` so V8 emits plain 32-bit adds without
 *   overflow checks.
 * The packed buffer is scratch shared by all calls: JS is single-threaded and no kernel
 * calls back into user code, so no two GEMMs ever interleave.
 */
import type { Conv2dGeometry, F32 } from '../backend';

/** micro-tile rows (of op(A)) and columns (of op(B)); macroKernel is written for 2x4 */
const MR = 2;
const NR = 4;
/** cache blocks: A block MC x KC (256 KB of doubles, stays in L2); B micro-panel KC x NR (8 KB, L1) */
const KC = 256;
const MC = 128; // multiple of MR
const NC = 1024; // multiple of NR
const B_BASE = MC * KC;
/**
 * Packing workspace. Starts as a double array (the literal 0.5) and only ever receives
 * numbers, so it stays PACKED_DOUBLE_ELEMENTS; it grows on demand up to
 * MC*KC + KC*NC doubles (2.4 MB) and is reused by every call.
 */
const W: number[] = [0.5];

function reserveW(size: number): void {
  for (let i = W.length; i < size; i++) W.push(0);
}

/** A source kinds */
export const A_DENSE = 0;
/** rows = output pixels (b, oh, ow), columns = filter taps (kh, kw, ci): conv forward */
export const A_IM2COL = 1;
/** rows = filter taps, columns = output pixels: conv filter gradient */
export const A_IM2COL_T = 2;

/**
 * Where op(A)[i, p] comes from. Dense: data[off + i*rs + p*cs] (transposition is just a
 * swap of the strides). The im2col kinds read a conv input through geometry `g`, so the
 * im2col matrix is never materialized: packing builds panels straight from the input.
 */
export interface ASource {
  kind: number;
  data: F32;
  off: number;
  rs: number;
  cs: number;
  g: Conv2dGeometry | null;
}

export function denseA(data: F32, off: number, rs: number, cs: number): ASource {
  return { kind: A_DENSE, data, off, rs, cs, g: null };
}

// ---------------------------------------------------------------------------------------
// macro-kernel: every 2-row panel of the packed A block (W[0..]) against one packed 4-column
// B panel (W[bOff..]), C[cOff + i*ldc + j] += sum_p A[i, p] * B[p, j] for i < mc, j < nEff.
// The 2x4 micro-tile lives in 8 local accumulators; looping over the row panels here rather
// than calling a per-tile function saves a call per tile, which matters when kc is small.

function macroKernel(kc: number, bOff: number, C: F32, cOff: number, ldc: number, mc: number, nEff: number): void {
  const step = (kc * 2) | 0;
  const ldc2 = (ldc * 2) | 0;
  let r0 = cOff | 0;
  let aOff = 0;
  for (let ir = 0; ir < mc; ir += 2) {
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
    let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    let pa = aOff;
    let pb = bOff | 0;
    const end = (aOff + step) | 0;
    while (pa < end) {
      const b0 = W[pb]!, b1 = W[(pb + 1) | 0]!, b2 = W[(pb + 2) | 0]!, b3 = W[(pb + 3) | 0]!;
      const a0 = W[pa]!;
      c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
      const a1 = W[(pa + 1) | 0]!;
      c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
      pa = (pa + 2) | 0;
      pb = (pb + 4) | 0;
    }
    if (nEff === 4 && ir + 1 < mc) {
      const r1 = (r0 + ldc) | 0;
      const a01 = (r0 + 1) | 0, a02 = (r0 + 2) | 0, a03 = (r0 + 3) | 0;
      const a11 = (r1 + 1) | 0, a12 = (r1 + 2) | 0, a13 = (r1 + 3) | 0;
      C[r0] = C[r0]! + c00; C[a01] = C[a01]! + c01; C[a02] = C[a02]! + c02; C[a03] = C[a03]! + c03;
      C[r1] = C[r1]! + c10; C[a11] = C[a11]! + c11; C[a12] = C[a12]! + c12; C[a13] = C[a13]! + c13;
    } else {
      // edge tile: the padded rows / columns of the panels are computed but dropped here
      C[r0] = C[r0]! + c00;
      if (nEff > 1) C[r0 + 1] = C[r0 + 1]! + c01;
      if (nEff > 2) C[r0 + 2] = C[r0 + 2]! + c02;
      if (nEff > 3) C[r0 + 3] = C[r0 + 3]! + c03;
      if (ir + 1 < mc) {
        // a full-height edge tile is narrower than NR
        const r1 = r0 + ldc;
        C[r1] = C[r1]! + c10;
        if (nEff > 1) C[r1 + 1] = C[r1 + 1]! + c11;
        if (nEff > 2) C[r1 + 2] = C[r1 + 2]! + c12;
      }
    }
    aOff = end;
    r0 = (r0 + ldc2) | 0;
  }
}

// ---------------------------------------------------------------------------------------
// packing. A block (rows i0.., cols p0..) -> W[0..]: panel t holds rows i0+t*MR.. as
// W[t*MR*kc + p*MR + i]. B block -> W[B_BASE..]: panel t holds cols j0+t*NR.. as
// W[B_BASE + t*NR*kc + p*NR + j]. Rows / columns past the matrix are zero-filled (the
// kernel computes but never stores them; zeros just keep the panels deterministic).

function packADense(s: ASource, i0: number, mc: number, p0: number, kc: number): void {
  const A = s.data, rs = s.rs, cs = s.cs;
  let q = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const src0 = s.off + (i0 + ir) * rs + p0 * cs;
    if (ir + 1 < mc) {
      const src1 = src0 + rs;
      for (let p = 0; p < kc; p++) {
        const o = p * cs;
        W[q] = A[src0 + o]!;
        W[q + 1] = A[src1 + o]!;
        q += 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        W[q] = A[src0 + p * cs]!;
        W[q + 1] = 0;
        q += 2;
      }
    }
  }
}

function packB(B: F32, off: number, rs: number, cs: number, j0: number, nc: number, p0: number, kc: number): void {
  let q = B_BASE;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let src = off + p0 * rs + (j0 + jr) * cs;
    if (nr === NR) {
      const c2 = 2 * cs, c3 = 3 * cs;
      for (let p = 0; p < kc; p++) {
        W[q] = B[src]!;
        W[q + 1] = B[src + cs]!;
        W[q + 2] = B[src + c2]!;
        W[q + 3] = B[src + c3]!;
        q += 4;
        src += rs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) W[q + j] = j < nr ? B[src + j * cs]! : 0;
        q += 4;
        src += rs;
      }
    }
  }
}

/** conv forward: A[r, t] = x at output pixel r, filter tap t = (kh, kw, ci), 0 in the padding */
function packAIm2col(s: ASource, i0: number, mc: number, p0: number, kc: number): void {
  const g = s.g!;
  const x = s.data;
  const { inH, inW, inC, kW, outH, outW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const outHW = outH * outW;
  const rowStride = inW * inC;
  const kh0 = Math.floor(p0 / (kW * inC));
  const kw0 = Math.floor(p0 / inC) % kW;
  const ci0 = p0 % inC;
  const mEnd = i0 + mc;
  for (let ir = 0; ir < mc; ir += MR) {
    const panel = ir * kc;
    for (let i = 0; i < MR; i++) {
      const r = i0 + ir + i;
      let q = panel + i;
      if (r >= mEnd) {
        for (let p = 0; p < kc; p++) { W[q] = 0; q += MR; }
        continue;
      }
      const b = Math.floor(r / outHW);
      const rem = r - b * outHW;
      const oh = Math.floor(rem / outW);
      const ow = rem - oh * outW;
      const ihBase = oh * strideH - padTop;
      const iwBase = ow * strideW - padLeft;
      const xb = b * inH * rowStride;
      let kh = kh0, kw = kw0, ci = ci0;
      let left = kc;
      while (left > 0) {
        const run = Math.min(inC - ci, left);
        const ih = ihBase + kh * dilationH;
        const iw = iwBase + kw * dilationW;
        if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) {
          let src = xb + ih * rowStride + iw * inC + ci;
          for (let c = 0; c < run; c++) { W[q] = x[src]!; q += MR; src++; }
        } else {
          for (let c = 0; c < run; c++) { W[q] = 0; q += MR; }
        }
        left -= run;
        ci = 0;
        if (++kw === kW) { kw = 0; kh++; }
      }
    }
  }
}

/** conv filter gradient: A[t, r] = x at filter tap t = (kh, kw, ci) for output pixel r */
function packAIm2colT(s: ASource, i0: number, mc: number, p0: number, kc: number): void {
  const g = s.g!;
  const x = s.data;
  const { inH, inW, inC, kW, outH, outW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const outHW = outH * outW;
  const rowStride = inW * inC;
  const mFull = mc - (mc % MR);
  const kh0 = Math.floor(i0 / (kW * inC));
  const kw0 = Math.floor(i0 / inC) % kW;
  const ci0 = i0 % inC;
  for (let p = 0; p < kc; p++) {
    const r = p0 + p;
    const b = Math.floor(r / outHW);
    const rem = r - b * outHW;
    const oh = Math.floor(rem / outW);
    const ow = rem - oh * outW;
    const ihBase = oh * strideH - padTop;
    const iwBase = ow * strideW - padLeft;
    const xb = b * inH * rowStride;
    let kh = kh0, kw = kw0, ci = ci0;
    let t = 0; // tap index within the block
    while (t < mc) {
      const run = Math.min(inC - ci, mc - t);
      const ih = ihBase + kh * dilationH;
      const iw = iwBase + kw * dilationW;
      const valid = ih >= 0 && ih < inH && iw >= 0 && iw < inW;
      let src = xb + ih * rowStride + iw * inC + ci;
      for (let c = 0; c < run; c++) {
        const tt = t + c;
        const i = tt % MR;
        W[(tt - i) * kc + p * MR + i] = valid ? x[src]! : 0;
        src++;
      }
      t += run;
      ci = 0;
      if (++kw === kW) { kw = 0; kh++; }
    }
    if (mFull < mc) {
      // zero the padded rows of the last panel
      const base = mFull * kc + p * MR;
      for (let i = mc - mFull; i < MR; i++) W[base + i] = 0;
    }
  }
}

function packA(s: ASource, i0: number, mc: number, p0: number, kc: number): void {
  if (s.kind === A_DENSE) packADense(s, i0, mc, p0, kc);
  else if (s.kind === A_IM2COL) packAIm2col(s, i0, mc, p0, kc);
  else packAIm2colT(s, i0, mc, p0, kc);
}

// ---------------------------------------------------------------------------------------

/** split `total` into ceil(total / max) nearly equal blocks; returns the block size */
function balancedBlock(total: number, max: number): number {
  const blocks = Math.ceil(total / max);
  return Math.ceil(total / blocks);
}

/**
 * C[cOff + i*ldc + j] = C[cOff + i*ldc + j]! + sum_p op(A)[i, p] * B[bOff + p*bRs + j*bCs] for i < m, j < n.
 * C must hold the values to add to (zeros for a plain product). `keepA` / `keepB` say the
 * packed panels of the previous call are still valid for this one (same source, and the
 * whole operand fit in one block): batched products with a broadcast operand skip repacking.
 */
export function gemmPacked(
  a: ASource, B: F32, bOff: number, bRs: number, bCs: number,
  C: F32, cOff: number, ldc: number, m: number, k: number, n: number,
  keepA: boolean, keepB: boolean,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  const kcMax = balancedBlock(k, KC);
  reserveW(B_BASE + Math.ceil(Math.min(n, NC) / NR) * NR * kcMax);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      if (!keepB) packB(B, bOff, bRs, bCs, jc, nc, pc, kc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (!keepA) packA(a, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nEff = Math.min(NR, nc - jr);
          macroKernel(kc, B_BASE + jr * kc, C, cOff + ic * ldc + jc + jr, ldc, mc, nEff);
        }
      }
    }
  }
}

/** whether a packed operand of this size stays in W across calls (one block in every dim) */
export function fitsOneBlock(rows: number, k: number, maxRows: 'A' | 'B'): boolean {
  return k <= KC && rows <= (maxRows === 'A' ? MC : NC);
}

// ---------------------------------------------------------------------------------------
// thin products (matrix-vector): no packing. Tiny products still go through the packed
// path: its independent accumulators beat a plain loop's dependent add chain even at 4x4x4.

/**
 * Dot-product form for thin products whose rows of op(A) and columns of op(B) are both
 * contiguous (m = 1 with transB, n = 1 without transA): C[cOff + i*n + j] = A_i · B_j.
 * Four partial sums, so the loop is not bound by the latency of one dependent add chain.
 */
function gemmDots(
  A: F32, aOff: number, aRs: number, B: F32, bOff: number, bCs: number,
  C: F32, cOff: number, m: number, k: number, n: number,
): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * aRs;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * bCs;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = 0;
      for (; p < k4; p += 4) {
        s0 += A[ai + p]! * B[bj + p]!;
        s1 += A[ai + p + 1]! * B[bj + p + 1]!;
        s2 += A[ai + p + 2]! * B[bj + p + 2]!;
        s3 += A[ai + p + 3]! * B[bj + p + 3]!;
      }
      for (; p < k; p++) s0 += A[ai + p]! * B[bj + p]!;
      C[cOff + i * n + j] = (s0 + s1) + (s2 + s3);
    }
  }
}

/**
 * A matrix-vector product in axpy form, for when the matrix's rows are contiguous along the
 * output: out[cOff + j] = sum_p v[vOff + p*vStride] * M[mOff + p*mRs + j], j < len, in doubles.
 */
function gemvAxpy(v: F32, vOff: number, vStride: number, M: F32, mOff: number, mRs: number, out: F32, cOff: number, k: number, len: number, acc: Float64Array): void {
  acc.fill(0, 0, len);
  for (let p = 0; p < k; p++) {
    const a = v[vOff + p * vStride]!;
    const row = mOff + p * mRs;
    for (let j = 0; j < len; j++) acc[j] = acc[j]! + a * M[row + j]!;
  }
  for (let j = 0; j < len; j++) out[cOff + j] = acc[j]!;
}

/**
 * Batched GEMM (the Backend.matmul contract): C_b = op(A_b) · op(B_b), C dense [batch, m, n].
 * A_b starts at aOffsets[b] and is [m, k] row-major ([k, m] if transA); B_b starts at
 * bOffsets[b] and is [k, n] ([n, k] if transB).
 */
export function matmul(
  a: F32, aOffsets: Int32Array, b: F32, bOffsets: Int32Array,
  batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, into?: F32,
): F32 {
  // a reused array starts from zeros, as a fresh one does (some paths accumulate into C)
  const out = into === undefined ? new Float32Array(batch * m * n) : into.fill(0);
  if (k === 0 || m === 0 || n === 0) return out;
  const aRs = transA ? 1 : k, aCs = transA ? m : 1;
  const bRs = transB ? 1 : n, bCs = transB ? k : 1;
  const mn = m * n;

  if ((m === 1 && transB) || (n === 1 && !transA)) {
    // thin, with contiguous rows of op(A) and columns of op(B)
    for (let t = 0; t < batch; t++) gemmDots(a, aOffsets[t]!, aRs, b, bOffsets[t]!, bCs, out, t * mn, m, k, n);
    return out;
  }
  if (m === 1) {
    // row vector times row-major B
    const acc = new Float64Array(n);
    for (let t = 0; t < batch; t++) gemvAxpy(a, aOffsets[t]!, aCs, b, bOffsets[t]!, n, out, t * mn, k, n, acc);
    return out;
  }
  if (n === 1) {
    // Aᵀ stored [k, m] times a column vector
    const acc = new Float64Array(m);
    for (let t = 0; t < batch; t++) gemvAxpy(b, bOffsets[t]!, bRs, a, aOffsets[t]!, m, out, t * mn, k, m, acc);
    return out;
  }

  const src = denseA(a, 0, aRs, aCs);
  const aOne = fitsOneBlock(m, k, 'A');
  const bOne = fitsOneBlock(n, k, 'B');
  for (let t = 0; t < batch; t++) {
    const aOff = aOffsets[t]!, bOff = bOffsets[t]!;
    const keepA = aOne && t > 0 && aOff === aOffsets[t - 1];
    const keepB = bOne && t > 0 && bOff === bOffsets[t - 1];
    src.off = aOff;
    gemmPacked(src, b, bOff, bRs, bCs, out, t * mn, n, m, k, n, keepA, keepB);
  }
  return out;
}
