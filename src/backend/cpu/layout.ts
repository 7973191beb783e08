/**
 * Layout kernels: transpose, slice, pad, concat, tile, gather, scatterAdd, oneHot.
 *
 * The data-movement kernels work on the raw bits: a Float32Array is viewed as an Int32Array
 * on the same buffer (same width), so the copy loops see only Int32Array or Uint8Array
 * (two element kinds instead of three, no float conversion, NaN payloads kept exactly), and
 * the result is re-viewed as the input's class. Contiguous runs are copied with
 * `set(subarray)` / `copyWithin` (memmove) once they are long enough to beat a plain loop.
 * Each kernel first merges dims that stay contiguous, so most calls reduce to few, long runs.
 */
import type { F32, I32, NumArray } from '../backend';

type Bits = Int32Array | Uint8Array;

function bitsOf(x: NumArray): Bits {
  return x instanceof Float32Array ? new Int32Array(x.buffer, x.byteOffset, x.length) : x;
}

function allocBits(like: NumArray, n: number): Bits {
  return like instanceof Uint8Array ? new Uint8Array(n) : new Int32Array(n);
}

function asClassOf(b: Bits, like: NumArray): NumArray {
  return like instanceof Float32Array ? new Float32Array(b.buffer, b.byteOffset, b.length) : b;
}

/** Below this many elements a loop beats `set(subarray)` (measured crossover ~30 int32s: a view costs ~60 ns). */
const RUN_MIN = 32;

function copyRun(src: Bits, so: number, dst: Bits, d: number, n: number): void {
  if (n < RUN_MIN) {
    for (let i = 0; i < n; i++) dst[d + i] = src[so + i]!;
  } else {
    dst.set(src.subarray(so, so + n), d);
  }
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

function copyOf(x: NumArray): NumArray {
  return x.slice();
}

// ---- transpose ------------------------------------------------------------------------------

/** Tile edge for the blocked 2-D copy: a 32×32 tile of 4-byte elements is 4 KiB. */
const TILE = 32;

/** out = x with its axes permuted: out.shape[i] = shape[perm[i]]. */
export function transpose(x: NumArray, shape: readonly number[], perm: readonly number[], into?: NumArray): NumArray {
  // `into` (an array of x's kind and size): written and returned instead of a fresh array
  // Drop size-1 dims, then merge input dims that stay adjacent and in order in the output.
  const keep: number[] = [];
  const newIndex = new Array<number>(shape.length).fill(-1);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] !== 1) {
      newIndex[d] = keep.length;
      keep.push(shape[d]!);
    }
  }
  const q0: number[] = [];
  for (let t = 0; t < perm.length; t++) {
    const j = newIndex[perm[t]!]!;
    if (j >= 0) q0.push(j);
  }
  // Runs of consecutive input dims in output order become one dim each.
  const runStart: number[] = [];
  for (let t = 0; t < q0.length; t++) {
    if (t === 0 || q0[t] !== q0[t - 1]! + 1) runStart.push(q0[t]!);
  }
  const r = runStart.length;
  if (r <= 1) {
    if (into === undefined) return copyOf(x);
    into.set(x);
    return into;
  }
  // Merged input dims in input order: sort run starts; each run spans up to the next start.
  const starts = runStart.slice().sort((p, q) => p - q);
  const dims = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const end = i + 1 < r ? starts[i + 1]! : keep.length;
    let n = 1;
    for (let d = starts[i]!; d < end; d++) n *= keep[d]!;
    dims[i] = n;
  }
  // q[t] = merged input dim shown at output position t.
  const q = runStart.map((s) => starts.indexOf(s));
  const inStr = new Array<number>(r);
  for (let i = r - 1, s = 1; i >= 0; i--) {
    inStr[i] = s;
    s *= dims[i]!;
  }
  const oDims = q.map((i) => dims[i]!);
  const outStr = new Array<number>(r);
  for (let t = r - 1, s = 1; t >= 0; t--) {
    outStr[t] = s;
    s *= oDims[t]!;
  }
  const src = bitsOf(x);
  const out = into === undefined ? allocBits(x, x.length) : bitsOf(into);
  const last = q[r - 1]!;
  if (last === r - 1) {
    // The innermost dim stays innermost: contiguous runs.
    const L = dims[r - 1]!;
    const idx = new Int32Array(r - 1);
    let xo = 0;
    for (let oo = 0; oo < out.length; oo += L) {
      copyRun(src, xo, out, oo, L);
      for (let t = r - 2; t >= 0; t--) {
        const s = inStr[q[t]!]!;
        xo += s;
        if (++idx[t]! < oDims[t]!) break;
        idx[t] = 0;
        xo -= s * oDims[t]!;
      }
    }
    return into ?? asClassOf(out, x);
  }
  // Blocked 2-D transposes between the input-contiguous dim (output position p) and the
  // output-contiguous dim (input dim `last`), for every index of the other dims.
  const p = q.indexOf(r - 1);
  const P = dims[r - 1]!;
  const Q = dims[last]!;
  const oP = outStr[p]!;
  const xQ = inStr[last]!;
  const outerPos: number[] = [];
  for (let t = 0; t < r - 1; t++) if (t !== p) outerPos.push(t);
  const nOuter = outerPos.length;
  const idx = new Int32Array(nOuter);
  let count = 1;
  for (let u = 0; u < nOuter; u++) count *= oDims[outerPos[u]!]!;
  let xo = 0;
  let oo = 0;
  for (let c = 0; c < count; c++) {
    tile2d(src, xo, xQ, out, oo, oP, P, Q);
    for (let u = nOuter - 1; u >= 0; u--) {
      const t = outerPos[u]!;
      const xs = inStr[q[t]!]!;
      const os = outStr[t]!;
      xo += xs;
      oo += os;
      if (++idx[u]! < oDims[t]!) break;
      idx[u] = 0;
      xo -= xs * oDims[t]!;
      oo -= os * oDims[t]!;
    }
  }
  return into ?? asClassOf(out, x);
}

/** out[oo + i*oP + j] = x[xo + i + j*xQ] for i < P, j < Q, in TILE×TILE blocks. */
function tile2d(x: Bits, xo: number, xQ: number, out: Bits, oo: number, oP: number, P: number, Q: number): void {
  for (let i0 = 0; i0 < P; i0 += TILE) {
    const ie = i0 + TILE < P ? i0 + TILE : P;
    for (let j0 = 0; j0 < Q; j0 += TILE) {
      const je = j0 + TILE < Q ? j0 + TILE : Q;
      for (let i = i0; i < ie; i++) {
        let xi = xo + i + j0 * xQ;
        let oi = oo + i * oP + j0;
        for (let j = j0; j < je; j++, xi += xQ) out[oi++] = x[xi]!;
      }
    }
  }
}

// ---- slice ------------------------------------------------------------------------------------

/** out[i] = x[begin + i·strides] per axis (strides ≥ 1, default 1). */
export function slice(
  x: NumArray, shape: readonly number[], begin: readonly number[], size: readonly number[],
  strides?: readonly number[],
): NumArray {
  const rank = shape.length;
  const n = sizeOf(size);
  const out = allocBits(x, n);
  if (n === 0) return asClassOf(out, x);
  const src = bitsOf(x);
  // Planned dims (innermost first while building): size and element step in x.
  const pSize: number[] = [];
  const pStep: number[] = [];
  let base = 0;
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    const st = (strides === undefined ? 1 : strides[d]!) * s;
    base += begin[d]! * s;
    s *= shape[d]!;
    const sz = size[d]!;
    if (sz === 1) continue;
    const g = pSize.length - 1;
    if (g >= 0 && st === pStep[g]! * pSize[g]!) pSize[g] = pSize[g]! * sz;
    else {
      pSize.push(sz);
      pStep.push(st);
    }
  }
  if (pSize.length === 0) {
    out[0] = src[base]!;
    return asClassOf(out, x);
  }
  pSize.reverse();
  pStep.reverse();
  const r = pSize.length;
  const L = pSize[r - 1]!;
  const step = pStep[r - 1]!;
  const idx = new Int32Array(r);
  let xo = base;
  for (let oo = 0; oo < n; oo += L) {
    if (step === 1) copyRun(src, xo, out, oo, L);
    else stridedRun(src, xo, step, out, oo, L);
    for (let g = r - 2; g >= 0; g--) {
      xo += pStep[g]!;
      if (++idx[g]! < pSize[g]!) break;
      idx[g] = 0;
      xo -= pStep[g]! * pSize[g]!;
    }
  }
  return asClassOf(out, x);
}

function stridedRun(src: Bits, so: number, step: number, dst: Bits, d: number, n: number): void {
  for (let i = 0; i < n; i++, so += step) dst[d + i] = src[so]!;
}

// ---- pad ----------------------------------------------------------------------------------------

/** Constant padding; `value` is stored as the input's dtype would store it. */
export function pad(
  x: NumArray, shape: readonly number[], before: readonly number[], after: readonly number[], value: number,
): NumArray {
  const rank = shape.length;
  // Planned groups, innermost first: a dim merges into the inner group when that group is unpadded.
  const gSize: number[] = [];
  const gBefore: number[] = [];
  const gAfter: number[] = [];
  let outN = 1;
  for (let d = rank - 1; d >= 0; d--) {
    const n = shape[d]!;
    const b = before[d]!;
    const a = after[d]!;
    outN *= n + b + a;
    if (n === 1 && b === 0 && a === 0) continue;
    const g = gSize.length - 1;
    if (g >= 0 && gBefore[g] === 0 && gAfter[g] === 0) {
      const inner = gSize[g]!;
      gSize[g] = n * inner;
      gBefore[g] = b * inner;
      gAfter[g] = a * inner;
    } else {
      gSize.push(n);
      gBefore.push(b);
      gAfter.push(a);
    }
  }
  const out = allocBits(x, outN);
  const fill = fillBits(x, value);
  if (fill !== 0) out.fill(fill);
  if (x.length === 0) return asClassOf(out, x);
  const src = bitsOf(x);
  if (gSize.length === 0) {
    out[0] = src[0]!;
    return asClassOf(out, x);
  }
  gSize.reverse();
  gBefore.reverse();
  gAfter.reverse();
  const r = gSize.length;
  const outStr = new Array<number>(r);
  let start = 0;
  for (let g = r - 1, s = 1; g >= 0; g--) {
    outStr[g] = s;
    start += gBefore[g]! * s;
    s *= gSize[g]! + gBefore[g]! + gAfter[g]!;
  }
  const L = gSize[r - 1]!;
  const idx = new Int32Array(r);
  let oo = start;
  for (let xo = 0; xo < x.length; xo += L) {
    copyRun(src, xo, out, oo, L);
    for (let g = r - 2; g >= 0; g--) {
      oo += outStr[g]!;
      if (++idx[g]! < gSize[g]!) break;
      idx[g] = 0;
      oo -= outStr[g]! * gSize[g]!;
    }
  }
  return asClassOf(out, x);
}

/** The bit pattern `value` has once stored in an array of x's class. */
function fillBits(x: NumArray, value: number): number {
  if (x instanceof Float32Array) return new Int32Array(new Float32Array([value]).buffer)[0]!;
  if (x instanceof Int32Array) return value | 0;
  return new Uint8Array([value])[0]!;
}

// ---- concat -------------------------------------------------------------------------------------

/** Concatenation along `axis`; every input has the class of xs[0]. */
export function concat(xs: readonly NumArray[], shapes: readonly (readonly number[])[], axis: number): NumArray {
  const first = xs[0]!;
  const s0 = shapes[0]!;
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= s0[d]!;
  const k = xs.length;
  const inner = new Array<number>(k);
  let rowLen = 0;
  for (let i = 0; i < k; i++) {
    const s = shapes[i]!;
    let n = 1;
    for (let d = axis; d < s.length; d++) n *= s[d]!;
    inner[i] = n;
    rowLen += n;
  }
  const out = allocBits(first, outer * rowLen);
  const srcs = xs.map(bitsOf);
  if (outer === 1) {
    for (let i = 0, off = 0; i < k; i++) {
      out.set(srcs[i]!, off);
      off += inner[i]!;
    }
    return asClassOf(out, first);
  }
  for (let o = 0, oo = 0; o < outer; o++) {
    for (let i = 0; i < k; i++) {
      const n = inner[i]!;
      copyRun(srcs[i]!, o * n, out, oo, n);
      oo += n;
    }
  }
  return asClassOf(out, first);
}

// ---- tile ---------------------------------------------------------------------------------------

/** out.shape[i] = shape[i]·reps[i]; each dim is built once and then doubled with copyWithin. */
export function tile(x: NumArray, shape: readonly number[], reps: readonly number[]): NumArray {
  const rank = shape.length;
  // Planned groups, innermost first: a dim merges into an inner group that is not repeated.
  const gSize: number[] = [];
  const gReps: number[] = [];
  let outN = 1;
  for (let d = rank - 1; d >= 0; d--) {
    const n = shape[d]!;
    const rp = reps[d]!;
    outN *= n * rp;
    if (n === 1 && rp === 1) continue;
    const g = gSize.length - 1;
    if (g >= 0 && gReps[g] === 1) {
      gSize[g] = gSize[g]! * n;
      gReps[g] = rp;
    } else {
      gSize.push(n);
      gReps.push(rp);
    }
  }
  const out = allocBits(x, outN);
  if (outN === 0) return asClassOf(out, x);
  const src = bitsOf(x);
  if (gSize.length === 0) {
    out[0] = src[0]!;
    return asClassOf(out, x);
  }
  gSize.reverse();
  gReps.reverse();
  const r = gSize.length;
  const inStr = new Array<number>(r);
  const outStr = new Array<number>(r);
  for (let g = r - 1, si = 1, so = 1; g >= 0; g--) {
    inStr[g] = si;
    outStr[g] = so;
    si *= gSize[g]!;
    so *= gSize[g]! * gReps[g]!;
  }
  tileGroup(src, 0, out, 0, 0, gSize, gReps, inStr, outStr);
  return asClassOf(out, x);
}

function tileGroup(
  src: Bits, so: number, out: Bits, oo: number, g: number,
  gSize: readonly number[], gReps: readonly number[], inStr: readonly number[], outStr: readonly number[],
): void {
  const n = gSize[g]!;
  if (g === gSize.length - 1) copyRun(src, so, out, oo, n);
  else {
    const si = inStr[g]!;
    const sO = outStr[g]!;
    for (let i = 0; i < n; i++) tileGroup(src, so + i * si, out, oo + i * sO, g + 1, gSize, gReps, inStr, outStr);
  }
  const block = n * outStr[g]!;
  const total = block * gReps[g]!;
  for (let have = block; have < total; ) {
    const c = have < total - have ? have : total - have;
    out.copyWithin(oo + have, oo, oo + c);
    have += c;
  }
}

// ---- gather / scatterAdd / oneHot --------------------------------------------------------------

/** take along `axis`: out.shape = shape[:axis] + indices.shape + shape[axis+1:]; indices in range. */
export function gather(x: NumArray, shape: readonly number[], indices: I32, axis: number): NumArray {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  const n = shape[axis]!;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  const m = indices.length;
  const out = allocBits(x, outer * m * inner);
  if (out.length === 0) return asClassOf(out, x);
  const src = bitsOf(x);
  if (inner === 1) {
    for (let o = 0, oo = 0; o < outer; o++) {
      const base = o * n;
      for (let j = 0; j < m; j++) out[oo++] = src[base + indices[j]!]!;
    }
  } else {
    for (let o = 0, oo = 0; o < outer; o++) {
      const base = o * n;
      for (let j = 0; j < m; j++, oo += inner) copyRun(src, (base + indices[j]!) * inner, out, oo, inner);
    }
  }
  return asClassOf(out, x);
}

/**
 * The adjoint of gather: zeros(shape) with updates (shaped like gather's output) added at
 * the indices along `axis`. Duplicate indices accumulate, in float32, in index order.
 */
export function scatterAdd(updates: F32, shape: readonly number[], indices: I32, axis: number): F32 {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  const n = shape[axis]!;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  const m = indices.length;
  const out = new Float32Array(outer * n * inner);
  if (updates.length === 0) return out;
  if (inner === 1) {
    for (let o = 0, uo = 0; o < outer; o++) {
      const base = o * n;
      for (let j = 0; j < m; j++) {
        const t = base + indices[j]!;
        out[t] = out[t]! + updates[uo++]!;
      }
    }
  } else {
    for (let o = 0, uo = 0; o < outer; o++) {
      const base = o * n;
      for (let j = 0; j < m; j++, uo += inner) addRun(updates, uo, out, (base + indices[j]!) * inner, inner);
    }
  }
  return out;
}

function addRun(u: F32, uo: number, out: F32, oo: number, n: number): void {
  for (let i = 0; i < n; i++) out[oo + i] = out[oo + i]! + u[uo + i]!;
}

/** [indices.length, depth]: `on` at each index, `off` elsewhere; an index outside [0, depth) gives an all-`off` row. */
export function oneHot(indices: I32, depth: number, on: number, off: number): F32 {
  const m = indices.length;
  const out = new Float32Array(m * depth);
  if (off !== 0) out.fill(off);
  for (let i = 0; i < m; i++) {
    const v = indices[i]!;
    if (v >= 0 && v < depth) out[i * depth + v] = on;
  }
  return out;
}
