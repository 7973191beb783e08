/**
 * Fused attention on wasm (attn_chunk in attention.wat): q, k, v and the mask are copied into
 * the heap once, and each chunk (query rows of one (batch, head) slice) computes its scores,
 * softmax and weights·v in its instance's work area, so the [slices, Lq, Lk] scores are never
 * materialised or copied to JavaScript, and one hand-off to the workers covers the whole
 * call. The arithmetic is the unfused path's (the core GEMM, the softmax row kernel, f32
 * multiplies), element for element, so the result is bit-identical to this backend's unfused
 * chain and does not depend on the thread count. It is taken only where that chain would run
 * every step on the wasm kernels (both products and the softmax above their CPU thresholds,
 * see index.ts); elsewhere it returns null and the op layer runs the chain itself.
 */
import type { AttentionDims, AttentionInputs, Backend, F32 } from '../backend';
import { copyView, region, type WasmRuntime } from './runtime';

/** calls with fewer flops (2·slices·Lq·Lk·(dk + dv)) stay on the calling thread */
const MIN_PARALLEL_FLOPS = 1 << 22;
/** chunks per thread, as the GEMM (gemm.ts): evens out a late or slowed thread */
const CHUNKS_PER_THREAD = 2;
/** the job record attn_chunk reads (18 words) */
const JOB_INTS = 18;
/** the scores start this far into the work area (the softmax row kernel uses its first vector) */
const WORK_SKIP = 64;

export interface AttentionThresholds {
  /** the wasm matmul's minFlops: a smaller product runs on the CPU kernel */
  readonly minMatmulFlops: number;
  /** the wasm softmax's minimum element count */
  readonly minSoftmax: number;
}

export function wasmAttention(rt: WasmRuntime, th: AttentionThresholds): NonNullable<Backend['attention']> {
  const chunk = rt.fn<(job: number, i: number) => void>('attn_chunk');
  // one spare vector past the scores: the · scale loop overruns by up to 3 floats
  const workFloats = Math.floor((rt.scratchBytes - rt.workOffset - WORK_SKIP - 16) / 4);

  return function attention(d: AttentionDims, ins: AttentionInputs): F32 | null {
    const { slices, Lq, Lk, dk, dv } = d;
    const fitRows = Math.floor(workFloats / Lk);
    if (fitRows < Math.min(Lq, 4)) return null;
    // the unfused chain's routing (gemm.ts, math.ts): thin or small products and small
    // softmaxes run on the CPU kernels there, which round differently
    if (Lq <= 1 || Lk <= 1 || dv <= 1) return null;
    if (2 * slices * Lq * Lk * Math.min(dk, dv) < th.minMatmulFlops || slices * Lq * Lk < th.minSoftmax) return null;
    const flops = 2 * slices * Lq * Lk * (dk + dv);
    const threads = flops < MIN_PARALLEL_FLOPS ? 1 : rt.threads();
    // rows per chunk: a whole slice when there are enough slices (and it fits), else blocks of
    // a multiple of 4 rows (the micro-tile height) so every thread gets work
    let rpc = Lq;
    if (threads > 1 && slices < threads * CHUNKS_PER_THREAD) rpc = Math.ceil(Lq / Math.ceil((threads * CHUNKS_PER_THREAD) / slices) / 4) * 4;
    if (rpc > fitRows) rpc = Math.floor(fitRows / 4) * 4;
    rpc = Math.max(1, Math.min(rpc, Lq));
    const cps = Math.ceil(Lq / rpc);

    const mask = ins.mask;
    const pq = rt.heapBase, pk = pq + region(ins.q.length), pv = pk + region(ins.k.length);
    const po = pv + region(ins.v.length), pm = po + region(slices * Lq * dv);
    const pOff = pm + (mask === null ? 0 : region(Math.ceil(mask.length / 4)));
    const pJob = pOff + region(4 * slices);
    rt.reserve(pJob + JOB_INTS * 4 - rt.heapBase);
    const f32 = rt.f32(), i32 = rt.i32();
    f32.set(ins.q, pq >> 2);
    f32.set(ins.k, pk >> 2);
    f32.set(ins.v, pv >> 2);
    const o = pOff >> 2;
    i32.set(ins.qOffsets.subarray(0, slices), o);
    i32.set(ins.kOffsets.subarray(0, slices), o + slices);
    i32.set(ins.vOffsets.subarray(0, slices), o + 2 * slices);
    if (mask !== null) {
      new Uint8Array(f32.buffer, pm, mask.length).set(mask);
      i32.set(ins.maskOffsets!.subarray(0, slices), o + 3 * slices);
    }
    const s = Math.fround(ins.scale);
    // q · scale once for all slices (exactly rounded per element, as the unfused mul)
    if (!ins.scaleScores) rt.exports.mul_vs(pq, s, pq, ins.q.length);
    const job = pJob >> 2;
    i32.set([pq, pk, pv, po, mask === null ? 0 : pm, pOff, pOff + 4 * slices, pOff + 8 * slices, pOff + 12 * slices,
      ins.maskRowStride, Lq, Lk, dk, dv, 0, (ins.scaleScores ? 1 : 0) | (mask !== null && ins.zeroMasked ? 2 : 0), rpc, cps], job);
    f32[job + 14] = s;
    const chunks = slices * cps;
    if (threads > 1) rt.parallel('attn_chunk', pJob, chunks);
    else for (let i = 0; i < chunks; i++) chunk(pJob, i);
    return copyView(rt.f32(), po >> 2, (po >> 2) + slices * Lq * dv);
  };
}
