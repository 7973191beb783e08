/**
 * The fused attention path: when q, k, v (and the mask) are concrete and the backend has an
 * `attention` kernel, the forward pass runs as one backend call instead of the primitive
 * chain, so a backend can keep the [..., Lq, Lk] scores in its own memory. Under any
 * transform (grad, vjp, jvp, vmap, jit, graph export) the inputs are tracers and the unfused
 * chain of primitives runs, so derivatives, batching and export rules stay those of the
 * primitives; the backend contract makes the two paths agree (see Backend.attention).
 */
import { backend } from '../backend';
import { makeTensor } from '../tensor/tensor';
import type { AnyTensor } from '../tensor/untyped';
import { dimsOf } from '../tensor/untyped';
import { batchOffsets } from './linalg';

/**
 * The fused result, or null where the unfused path runs (tracers, no kernel, empty dims,
 * non-float operands, or the backend declines).
 */
export function fusedAttention(
  q: AnyTensor, k: AnyTensor, v: AnyTensor, m: AnyTensor | null,
  scoresShape: readonly number[], outShape: readonly number[], scale: number, scaleScores: boolean, zeroMasked: boolean,
): AnyTensor | null {
  const kernel = backend().attention;
  if (kernel === undefined) return null;
  if (q._data === null || k._data === null || v._data === null || (m !== null && m._data === null)) return null;
  if (q.dtype !== 'float32' || k.dtype !== 'float32' || v.dtype !== 'float32') return null;
  const qs = dimsOf(q), ks = dimsOf(k), vs = dimsOf(v);
  const Lq = qs[qs.length - 2]!, dk = qs[qs.length - 1]!, Lk = ks[ks.length - 2]!, dv = vs[vs.length - 1]!;
  const outBatch = outShape.slice(0, -2);
  const slices = outBatch.reduce((a, b) => a * b, 1);
  // v broadcasting the batch further than the scores: the chain's first product has fewer
  // items, so a backend could route it differently; rare, left to the chain
  if (scoresShape.slice(0, -2).reduce((a, b) => a * b, 1) !== slices) return null;
  if (slices === 0 || Lq === 0 || Lk === 0 || dk === 0 || dv === 0) return null;
  let mask: Uint8Array | null = null, maskOffsets: Int32Array | null = null, maskRowStride = 0;
  if (m !== null) {
    // the mask padded to the scores' rank; a key axis of 1 is expanded (the kernels read
    // whole mask rows), a query axis of 1 is read with row stride 0
    const ms = dimsOf(m);
    const padded = [...new Array<number>(Math.max(0, 2 - ms.length)).fill(1), ...ms];
    const mLq = padded[padded.length - 2]!, mLk = padded[padded.length - 1]!;
    const data = m._data as Uint8Array; // cast: a bool tensor's data is a Uint8Array
    if (mLk === 1 && Lk !== 1) {
      mask = new Uint8Array(data.length * Lk);
      for (let r = 0; r < data.length; r++) mask.fill(data[r]!, r * Lk, (r + 1) * Lk);
    } else mask = data;
    maskOffsets = batchOffsets([...padded.slice(0, -1), Lk], outBatch, mLq * Lk);
    maskRowStride = mLq === 1 ? 0 : Lk;
  }
  const out = kernel(
    { slices, Lq, Lk, dk, dv },
    {
      q: q._data as Float32Array, qOffsets: batchOffsets(qs, outBatch, Lq * dk), // cast: float32 checked above
      k: k._data as Float32Array, kOffsets: batchOffsets(ks, outBatch, Lk * dk), // cast: float32 checked above
      v: v._data as Float32Array, vOffsets: batchOffsets(vs, outBatch, Lk * dv), // cast: float32 checked above
      mask, maskOffsets, maskRowStride, scale: Math.fround(scale), scaleScores, zeroMasked,
    },
  );
  return out === null ? null : makeTensor(outShape, 'float32', out);
}
