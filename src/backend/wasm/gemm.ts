/**
 * Batched GEMM on the wasm kernels: operands copied into the heap once (or read in place when
 * they are resident arrays, see resident.ts), the batch items and
 * row blocks cut into chunks that the calling thread and the workers claim (gemm_chunk in
 * kernels.wat). Each chunk writes its own rows of C, and the k-reduction order depends only
 * on k, so results are the same for every thread count.
 */
import type { F32 } from '../backend';
import { cpuBackend } from '../cpu';
import { copyOut, region, type WasmRuntime } from './runtime';

export interface GemmOptions {
  /** products with fewer flops (2·batch·m·k·n) run on the CPU kernel */
  readonly minFlops: number;
  /** products with fewer flops stay on the calling thread */
  readonly minParallelFlops: number;
}

/** a chunk should be worth a worker's wake-up (~10-50 µs): at ~25 GFLOP/s, 1 MFLOP ≈ 40 µs */
const MIN_CHUNK_FLOPS = 1 << 20;
/** chunks per thread: enough to even out a late or slowed thread, few enough that re-packing B per chunk stays cheap */
const CHUNKS_PER_THREAD = 2;

/** the job record gemm_chunk reads (14 i32 fields) */
const JOB_INTS = 14;

export function wasmMatmul(rt: WasmRuntime, opts: GemmOptions) {
  return function matmul(
    a: F32, aOffsets: Int32Array, b: F32, bOffsets: Int32Array,
    batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, into?: F32,
  ): F32 {
    const flops = 2 * batch * m * k * n;
    // thin products are memory-bound (the CPU kernel has no-pack paths for them) and empty
    // ones must return zeros, which the wasm kernel does not write
    if (m <= 1 || n <= 1 || k === 0 || batch === 0 || flops < opts.minFlops) {
      return cpuBackend.matmul(a, aOffsets, b, bOffsets, batch, m, k, n, transA, transB, into);
    }
    // resident operands (a jit plan's arrays) are read where they are, and a resident `into`
    // is written in place: no copy in or out
    const ra = rt.resident.addressOf(a), rb = rt.resident.addressOf(b), rc = into === undefined ? -1 : rt.resident.addressOf(into);
    const total = batch * m * n;
    let top = rt.heapBase;
    const place = (resident: number, floats: number) => {
      if (resident >= 0) return resident;
      const at = top;
      top += region(floats);
      return at;
    };
    const pa = place(ra, a.length), pb = place(rb, b.length), pc = place(rc, total);
    const pOff = top, pJob = pOff + region(2 * batch);
    rt.reserve(pJob + JOB_INTS * 4 - rt.heapBase);
    const f32 = rt.f32(), i32 = rt.i32();
    if (ra < 0) f32.set(a, pa >> 2);
    if (rb < 0) f32.set(b, pb >> 2);
    i32.set(aOffsets.subarray(0, batch), pOff >> 2);
    i32.set(bOffsets.subarray(0, batch), (pOff >> 2) + batch);

    const threads = flops < opts.minParallelFlops ? 1 : rt.threads();
    let rowsPerChunk = m, chunksPerBatch = 1;
    if (threads > 1) {
      const want = Math.min(threads * CHUNKS_PER_THREAD, Math.floor(flops / MIN_CHUNK_FLOPS));
      if (want > batch) {
        // split rows too, in multiples of the micro-tile height
        const perItem = Math.ceil(want / batch);
        rowsPerChunk = Math.max(4, Math.ceil(m / perItem / 4) * 4);
        chunksPerBatch = Math.ceil(m / rowsPerChunk);
      }
    }
    const job = pJob >> 2;
    i32[job] = pa; i32[job + 1] = transA ? 1 : k; i32[job + 2] = transA ? m : 1;
    i32[job + 3] = pb; i32[job + 4] = transB ? 1 : n; i32[job + 5] = transB ? k : 1;
    i32[job + 6] = pc; i32[job + 7] = m; i32[job + 8] = k; i32[job + 9] = n;
    i32[job + 10] = pOff; i32[job + 11] = pOff + 4 * batch;
    i32[job + 12] = rowsPerChunk; i32[job + 13] = chunksPerBatch;
    const chunks = batch * chunksPerBatch;
    if (threads > 1) rt.parallel('gemm_chunk', pJob, chunks);
    else for (let i = 0; i < chunks; i++) rt.exports.gemm_chunk(pJob, i);
    return rc >= 0 ? into! : copyOut(rt.f32(), pc, total, into);
  };
}
