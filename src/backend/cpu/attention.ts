/**
 * Fused attention on the CPU kernels, slice by slice: the same kernel calls, on the same
 * elements in the same order, as the op layer's unfused chain (mul → matmul → where →
 * softmax → mul → matmul), so the result is bit-identical to it, without ever holding the
 * scores of more than one (batch, head) slice. The GEMM's and the softmax's arithmetic per
 * element depends only on k and on the row (not on the batch or the rows around it), which
 * is what makes a per-slice call the same as the whole-batch one.
 */
import type { AttentionDims, AttentionInputs, Backend, F32 } from '../backend';

/** the most negative finite float32: the score of a masked position (as src/ops/attention.ts) */
const MASKED_SCORE = -3.4028234663852886e38;

export function attentionKernel(matmul: Backend['matmul'], softmax: Backend['softmax']): (d: AttentionDims, ins: AttentionInputs) => F32 {
  return function attention({ slices, Lq, Lk, dk, dv }: AttentionDims, ins: AttentionInputs): F32 {
    const out = new Float32Array(slices * Lq * dv);
    const zero = new Int32Array(1);
    const s = Math.fround(ins.scale);
    const qs = new Float32Array(Lq * dk);
    const mask = ins.mask;
    for (let t = 0; t < slices; t++) {
      let scores: F32;
      const qo = ins.qOffsets[t]!;
      if (ins.scaleScores) {
        scores = matmul(ins.q, ins.qOffsets.subarray(t, t + 1), ins.k, ins.kOffsets.subarray(t, t + 1), 1, Lq, dk, Lk, false, true);
        // a Float32Array store rounds the exact double product: float32 multiplication
        for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! * s;
      } else {
        for (let i = 0; i < qs.length; i++) qs[i] = ins.q[qo + i]! * s;
        scores = matmul(qs, zero, ins.k, ins.kOffsets.subarray(t, t + 1), 1, Lq, dk, Lk, false, true);
      }
      if (mask !== null) {
        const mo = ins.maskOffsets![t]!;
        for (let i = 0; i < Lq; i++) {
          const mr = mo + i * ins.maskRowStride, sr = i * Lk;
          for (let j = 0; j < Lk; j++) if (mask[mr + j] === 0) scores[sr + j] = MASKED_SCORE;
        }
      }
      const w = softmax(scores, Lq, Lk);
      if (mask !== null && ins.zeroMasked) {
        const mo = ins.maskOffsets![t]!;
        for (let i = 0; i < Lq; i++) {
          const mr = mo + i * ins.maskRowStride, sr = i * Lk;
          for (let j = 0; j < Lk; j++) w[sr + j] = w[sr + j]! * mask[mr + j]!;
        }
      }
      out.set(matmul(w, zero, ins.v, ins.vOffsets.subarray(t, t + 1), 1, Lq, Lk, dv, false, false), t * Lq * dv);
    }
    return out;
  };
}
