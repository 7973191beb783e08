/**
 * Convolution and pooling on the wasm kernels (conv.wat), NHWC, filter [kH, kW, inC, outC].
 *
 * - conv2d: blocks of output pixels; each block's im2col rows are built in the thread's
 *   private work area (runs of kW·inC contiguous floats copied, zeros for padding), then one
 *   GEMM with the filter as B writes the block's output rows in place.
 * - conv2dBackpropFilter: the pixels are cut into P groups (P from the problem size only);
 *   each group accumulates its partial dW = Σ im2colᵀ · dy in its own heap buffer, and the
 *   partials are summed in group order, so results do not depend on the thread count.
 * - conv2dBackpropInput: units = (image, band of input rows); a unit zeroes its dx rows,
 *   computes dcol = dy · filterᵀ for the output rows reaching the band and scatters (col2im)
 *   only into the band, so no two chunks write the same bytes and every dx element sums its
 *   contributions in output-pixel order whatever the split.
 * - pools: SIMD over channels, window loop inside channel blocks. Forward pools (max, its
 *   argmax, avg) stream bands of output rows, each band's input rows copied into a small
 *   buffer, or split rows across threads when windows overlap a lot; backprops are gathers
 *   over input rows (each input cell sums what its windows send back, in output order). All
 *   are bit-identical to the cpu kernels (average pooling sums in float64 like they do).
 *
 * Forward and input-gradient results are independent of how the work is split, so their
 * block sizes may follow the thread count; the filter gradient's grouping never does.
 */
import type { Conv2dGeometry, F32, I32, Pool2dGeometry } from '../backend';
import { cpuBackend } from '../cpu';
import { copyView, region, type WasmRuntime } from './runtime';

export interface ConvOptions {
  /** convolutions (any of the three) with fewer flops than this run on the cpu kernels */
  readonly minConvFlops: number;
  /** convolutions with fewer flops stay on the calling thread */
  readonly minParallelConvFlops: number;
  /** pools touching fewer elements (window cells visited) than this run on the cpu kernels */
  readonly minPoolWork: number;
  /** pools touching fewer elements stay on the calling thread */
  readonly minParallelPoolWork: number;
  /**
   * pool gradients touching fewer elements run on the cpu kernels: their plain scatter is
   * faster than the wasm gather (which exists to split the work without write conflicts)
   * until the inputs outgrow the caches and a second thread helps
   */
  readonly minPoolBackpropWork: number;
}

/**
 * Measured with .scratch-style scripts (Node 20, x64, 2 cores, median wall µs, cpu vs wasm):
 * 3x3 'same' conv on 4x4x1 images 1.7 vs 1.1 (wasm ahead at every size tried, about 5x from
 * 1 MFLOP); a second thread pays from about 10 MFLOP (conv2d 24x24x32 → 32: 414 vs 318).
 * Max / avg pool 2x2: wasm ahead from ~512 window cells (2.2 vs 1.6 µs). Their gradients
 * stay on the cpu scatter by default: on [32,26,26,64] 2x2/2 it takes 1.8 ms (max) and 5.1 ms
 * (avg) against the wasm gathers' 4.2 / 5.5 ms (3.1 / 3.7 with 2 threads); the gathers remain
 * available (exact, thread-count independent) through this option.
 */
export const CONV_DEFAULTS: ConvOptions = {
  minConvFlops: 512,
  minParallelConvFlops: 1 << 23,
  minPoolWork: 512,
  minParallelPoolWork: 1 << 17,
  minPoolBackpropWork: Infinity,
};

type Chunked = (job: number, i: number) => void;

const CONV_JOB_INTS = 23;
const POOL_JOB_INTS = 16;
/** im2col block budget in floats: 128 KiB keeps a block and its packed GEMM panels in L2 */
const BLOCK_FLOATS = 1 << 15;
/** filter-gradient partial buffers: at most this many groups, and at most this many floats in all */
const MAX_GROUPS = 16;
const PARTIALS_FLOATS = 1 << 24;
/** a filter-gradient group should be worth a thread's wake-up */
const GROUP_FLOPS = 1 << 22;
/** chunks per thread for the splits that may follow the thread count */
const CHUNKS_PER_THREAD = 4;
/** input floats a streamed pool band holds (256 KiB: the band and its output stay in L2) */
const BAND_FLOATS = 1 << 16;
/**
 * Forward pools run threaded (x copied whole) only from this many window cells visited per
 * input element; below, the streamed single-thread pass is faster. Measured on
 * [32,26,26,64], 2 threads, median ms streamed vs threaded: 2x2/2 (1 cell per input) max
 * 0.69 vs 1.24, avg 0.95 vs 1.10, argmax 1.15 vs 1.25; 3x3/2 (2.25) max 0.72 vs 0.90, avg
 * 1.69 vs 1.55, argmax 2.0 vs 1.47; 3x3/1 (9) max 1.88 vs 1.68, avg 4.3 vs 2.9.
 */
const THREADED_MAX_CELLS = 4;
/**
 * Streamed avg pools with 2+ threads and at least this many input floats
 * run as a copy/compute pipeline (runtime.pipeline): a worker pools band i while the caller
 * copies band i + 1. Measured on [32,26,26,64] 2x2/2 (1.4M floats), median ms, streamed on
 * the caller vs pipeline: avg 0.98 vs 0.81; max 0.73 vs 0.87, argmax 1.19 vs 1.37 — their kernels are too light to
 * pay for losing the cached band, so they keep streaming.
 */
const PIPELINE_MIN_FLOATS = 1 << 18;
const THREADED_CELLS = 2;
/** the wasm heap must stay addressable with i32 arithmetic */
const MAX_HEAP = 2 ** 31 - (1 << 26);

function isPointwise(g: Conv2dGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

export function wasmConv(rt: WasmRuntime, opts: ConvOptions = CONV_DEFAULTS) {
  const fwdChunk = rt.fn<Chunked>('conv_fwd_chunk');
  const bfChunk = rt.fn<Chunked>('conv_bf_chunk');
  const biChunk = rt.fn<Chunked>('conv_bi_chunk');
  const sumChunk = rt.fn<Chunked>('conv_sum_chunk');
  const kernels: Record<string, Chunked> = {
    conv_fwd_chunk: fwdChunk, conv_bf_chunk: bfChunk, conv_bi_chunk: biChunk, conv_sum_chunk: sumChunk,
    maxpool_chunk: rt.fn<Chunked>('maxpool_chunk'), maxpool_am_chunk: rt.fn<Chunked>('maxpool_am_chunk'),
    avgpool_chunk: rt.fn<Chunked>('avgpool_chunk'),
    maxpool_bp_chunk: rt.fn<Chunked>('maxpool_bp_chunk'), avgpool_bp_chunk: rt.fn<Chunked>('avgpool_bp_chunk'),
  };
  /** im2col rows the work area holds (16 bytes kept free for the copy loops' overrun) */
  const workFloats = (rt.scratchBytes - rt.workOffset - 16) >> 2;

  function run(kernel: string, job: number, n: number, parallel: boolean): void {
    if (parallel && n > 1 && rt.threads() > 1) {
      rt.parallel(kernel, job, n);
      return;
    }
    const f = kernels[kernel]!;
    for (let i = 0; i < n; i++) f(job, i);
  }

  /** rows of an im2col / dcol block: cache-sized, a multiple of the 4-row micro-tile, >= 4 */
  function blockRows(taps: number, pixels: number, chunksWanted: number): number {
    let rows = Math.max(4, Math.floor(BLOCK_FLOATS / taps) & ~3);
    rows = Math.min(rows, Math.floor(workFloats / taps));
    if (chunksWanted > 1) rows = Math.min(rows, Math.max(4, Math.ceil(pixels / chunksWanted / 4) * 4));
    return Math.max(1, Math.min(rows, pixels));
  }

  function usable(g: Conv2dGeometry, flops: number, bytes: number): boolean {
    const taps = g.kH * g.kW * g.inC;
    return flops >= opts.minConvFlops && g.batch * g.outH * g.outW > 0 && g.outC > 0 && taps > 0 &&
      g.padTop >= 0 && g.padLeft >= 0 && taps * 4 <= workFloats && bytes <= MAX_HEAP;
  }

  let packedFilterKey = 0;

  function writeConvJob(job: number, src: number, operand: number, out: number, g: Conv2dGeometry,
    rows: number, perChunk: number, bands: number, pointwise: boolean): void {
    const i32 = rt.i32(), j = job >> 2;
    i32[j] = src; i32[j + 1] = operand; i32[j + 2] = out;
    i32[j + 3] = g.batch; i32[j + 4] = g.inH; i32[j + 5] = g.inW; i32[j + 6] = g.inC;
    i32[j + 7] = g.kH; i32[j + 8] = g.kW; i32[j + 9] = g.outC; i32[j + 10] = g.outH; i32[j + 11] = g.outW;
    i32[j + 12] = g.strideH; i32[j + 13] = g.strideW; i32[j + 14] = g.dilationH; i32[j + 15] = g.dilationW;
    i32[j + 16] = g.padTop; i32[j + 17] = g.padLeft;
    i32[j + 18] = rows; i32[j + 19] = perChunk; i32[j + 20] = bands; i32[j + 21] = pointwise ? 1 : 0;
    // a key new to this call: the chunks of one call reuse the filter's packed panels ($gemm_keyed)
    packedFilterKey = packedFilterKey >= 0x7fffffff ? 1 : packedFilterKey + 1;
    i32[j + 22] = packedFilterKey;
  }

  function conv2d(x: F32, filter: F32, g: Conv2dGeometry): F32 {
    const pixels = g.batch * g.outH * g.outW, taps = g.kH * g.kW * g.inC;
    const flops = 2 * pixels * taps * g.outC;
    const px = rt.heapBase, pf = px + region(x.length), py = pf + region(filter.length);
    const pJob = py + region(pixels * g.outC);
    if (!usable(g, flops, pJob + CONV_JOB_INTS * 4 - rt.heapBase)) return cpuBackend.conv2d(x, filter, g);
    rt.reserve(pJob + CONV_JOB_INTS * 4 - rt.heapBase);
    const f32 = rt.f32();
    f32.set(x, px >> 2);
    f32.set(filter, pf >> 2);
    const parallel = flops >= opts.minParallelConvFlops;
    const rows = blockRows(taps, pixels, parallel ? rt.threads() * CHUNKS_PER_THREAD : 1);
    writeConvJob(pJob, px, pf, py, g, rows, 0, 0, isPointwise(g));
    run('conv_fwd_chunk', pJob, Math.ceil(pixels / rows), parallel);
    return copyView(rt.f32(), py >> 2, (py >> 2) + pixels * g.outC);
  }

  function conv2dBackpropFilter(x: F32, dy: F32, g: Conv2dGeometry): F32 {
    const pixels = g.batch * g.outH * g.outW, taps = g.kH * g.kW * g.inC;
    const flops = 2 * pixels * taps * g.outC, size = taps * g.outC;
    // the grouping depends on the problem only, never on the thread count
    let groups = Math.max(1, Math.min(MAX_GROUPS, Math.floor(flops / GROUP_FLOPS),
      Math.floor(PARTIALS_FLOATS / size), Math.ceil(pixels / 4)));
    const perGroup = Math.ceil(pixels / groups);
    groups = Math.ceil(pixels / perGroup);
    const px = rt.heapBase, pdy = px + region(x.length), pParts = pdy + region(dy.length);
    const pOut = pParts + region(groups * size), pJob = pOut + region(size);
    const end = pJob + CONV_JOB_INTS * 4;
    if (!usable(g, flops, end - rt.heapBase)) return cpuBackend.conv2dBackpropFilter(x, dy, g);
    rt.reserve(end - rt.heapBase);
    const f32 = rt.f32();
    f32.set(x, px >> 2);
    f32.set(dy, pdy >> 2);
    const rows = blockRows(taps, perGroup, 1);
    writeConvJob(pJob, px, pdy, pParts, g, rows, perGroup, 0, isPointwise(g));
    const parallel = flops >= opts.minParallelConvFlops;
    run('conv_bf_chunk', pJob, groups, parallel);
    if (groups === 1) return copyView(rt.f32(), pParts >> 2, (pParts >> 2) + size);
    const sumJob = pJob + CONV_JOB_INTS * 4;
    rt.reserve(sumJob + 5 * 4 - rt.heapBase);
    const i32 = rt.i32(), s = sumJob >> 2;
    const span = Math.max(4096, Math.ceil(size / (rt.threads() * CHUNKS_PER_THREAD) / 4) * 4);
    i32[s] = pParts; i32[s + 1] = groups; i32[s + 2] = size; i32[s + 3] = pOut; i32[s + 4] = span;
    run('conv_sum_chunk', sumJob, Math.ceil(size / span), parallel && size * groups >= 1 << 18);
    return copyView(rt.f32(), pOut >> 2, (pOut >> 2) + size);
  }

  function conv2dBackpropInput(dy: F32, filter: F32, g: Conv2dGeometry): F32 {
    const pixels = g.batch * g.outH * g.outW, taps = g.kH * g.kW * g.inC, outC = g.outC;
    const flops = 2 * pixels * taps * outC, inSize = g.batch * g.inH * g.inW * g.inC;
    const pdy = rt.heapBase, pfT = pdy + region(dy.length), pdx = pfT + region(filter.length);
    const pJob = pdx + region(inSize);
    if (!usable(g, flops, pJob + CONV_JOB_INTS * 4 - rt.heapBase)) return cpuBackend.conv2dBackpropInput(dy, filter, g);
    rt.reserve(pJob + CONV_JOB_INTS * 4 - rt.heapBase);
    const f32 = rt.f32();
    f32.set(dy, pdy >> 2);
    // filterᵀ [outC, taps], row-major: the GEMM's B operand packs fastest that way
    const t0 = pfT >> 2;
    for (let t = 0; t < taps; t++) {
      const row = t * outC;
      for (let co = 0; co < outC; co++) f32[t0 + co * taps + t] = filter[row + co]!;
    }
    const parallel = flops >= opts.minParallelConvFlops;
    const want = parallel ? rt.threads() * CHUNKS_PER_THREAD : 1;
    if (isPointwise(g)) {
      // pixels map 1:1 to input cells: dx = dy · filterᵀ, a 1x1 convolution with outC inputs
      const gt: Conv2dGeometry = { ...g, inC: outC, outC: g.inC };
      const rows = blockRows(outC, pixels, want);
      writeConvJob(pJob, pdy, pfT, pdx, gt, rows, 0, 0, true);
      run('conv_fwd_chunk', pJob, Math.ceil(pixels / rows), parallel);
      return copyView(rt.f32(), pdx >> 2, (pdx >> 2) + inSize);
    }
    // bands only when there are fewer images than chunks wanted (bands recompute their halo)
    const bands = Math.min(g.inH, Math.max(1, Math.ceil(want / g.batch)));
    const units = g.batch * bands;
    const perChunk = Math.max(1, Math.floor(units / want));
    const rows = blockRows(taps, Math.ceil(pixels / units), 1);
    writeConvJob(pJob, pdy, pfT, pdx, g, rows, perChunk, bands, false);
    run('conv_bi_chunk', pJob, Math.ceil(units / perChunk), parallel);
    return copyView(rt.f32(), pdx >> 2, (pdx >> 2) + inSize);
  }

  // ---- pools ----------------------------------------------------------------------------

  function poolWork(g: Pool2dGeometry): number {
    return g.batch * g.outH * g.outW * g.channels * g.kH * g.kW;
  }

  function poolUsable(g: Pool2dGeometry, bytes: number, backprop = false): boolean {
    return poolWork(g) >= (backprop ? opts.minPoolBackpropWork : opts.minPoolWork) && g.channels > 0 && g.batch * g.outH * g.outW > 0 &&
      g.inH > 0 && g.inW > 0 && g.padTop >= 0 && g.padLeft >= 0 && bytes <= MAX_HEAP;
  }

  function writePoolJob(job: number, src: number, out: number, am: number, g: Pool2dGeometry, rowsPerChunk: number): void {
    const i32 = rt.i32(), j = job >> 2;
    i32[j] = src; i32[j + 1] = out; i32[j + 2] = am; i32[j + 3] = g.batch;
    i32[j + 4] = g.inH; i32[j + 5] = g.inW; i32[j + 6] = g.channels; i32[j + 7] = g.kH; i32[j + 8] = g.kW;
    i32[j + 9] = g.outH; i32[j + 10] = g.outW; i32[j + 11] = g.strideH; i32[j + 12] = g.strideW;
    i32[j + 13] = g.padTop; i32[j + 14] = g.padLeft; i32[j + 15] = rowsPerChunk;
  }

  /** runs a pool kernel over `rows` rows (results never depend on the split) */
  function runRows(kernel: string, job: number, rows: number, g: Pool2dGeometry, src: number, out: number, am: number): void {
    const parallel = poolWork(g) >= opts.minParallelPoolWork && rt.threads() > 1;
    const perChunk = parallel ? Math.max(1, Math.ceil(rows / (rt.threads() * CHUNKS_PER_THREAD))) : rows;
    writePoolJob(job, src, out, am, g, perChunk);
    run(kernel, job, Math.ceil(rows / perChunk), parallel);
  }

  /**
   * A forward pool over bands of output rows (b, oh), each with just its input rows copied
   * into one small heap buffer: `bands[i]` = [lo, hi) of x; the kernel's src pointer is
   * rebased by -lo (i32 arithmetic wraps consistently), so its x indexing lands in the buffer.
   */
  function poolBands(g: Pool2dGeometry, rows: number, rowsPerBand: number): { bands: [number, number][]; most: number } {
    const rowFloats = g.inW * g.channels;
    const clampH = (h: number): number => Math.min(g.inH, Math.max(0, h));
    const bands: [number, number][] = [];
    let most = 0;
    for (let r0 = 0; r0 < rows; r0 += rowsPerBand) {
      const r1 = Math.min(rows, r0 + rowsPerBand) - 1;
      const b0 = Math.floor(r0 / g.outH), oh0 = r0 - b0 * g.outH;
      const b1 = Math.floor(r1 / g.outH), oh1 = r1 - b1 * g.outH;
      const lo = (b0 * g.inH + clampH(oh0 * g.strideH - g.padTop)) * rowFloats;
      const hi = Math.max(lo, (b1 * g.inH + clampH(oh1 * g.strideH - g.padTop + g.kH)) * rowFloats);
      bands.push([lo, hi]);
      most = Math.max(most, hi - lo);
    }
    return { bands, most };
  }

  /**
   * Runs a forward pool kernel (y or argmax into a fresh `n`-element result). Small and
   * memory-bound pools stream: band by band on the calling thread, each band's input rows
   * copied into an L2-sized buffer and pooled while still cached, so x crosses the memory bus
   * once (copying x whole and pooling it afterwards reads it twice; the kernel then costs
   * little more than the copy, which no worker can share). Pools doing many window cells per
   * input element copy x whole and split the rows across threads instead.
   */
  function forwardPool(kernel: string, x: F32, g: Pool2dGeometry, n: number, threadedCells: number, pipelined: boolean): number {
    const rows = g.batch * g.outH;
    const work = poolWork(g);
    if (work >= opts.minParallelPoolWork && rt.threads() > 1 && work >= threadedCells * x.length) {
      const px = rt.heapBase, py = px + region(x.length), pJob = py + region(n);
      rt.reserve(pJob + POOL_JOB_INTS * 4 - rt.heapBase);
      rt.f32().set(x, px >> 2);
      runRows(kernel, pJob, rows, g, px, py, 0);
      return py;
    }
    const rowFloats = g.inW * g.channels;
    const perBand = Math.max(1, Math.floor((BAND_FLOATS / rowFloats - g.kH) / g.strideH) + 1);
    const { bands, most } = poolBands(g, rows, perBand);
    if (pipelined && rt.threads() > 1 && bands.length > 1 && x.length >= PIPELINE_MIN_FLOATS) {
      // copy/compute pipeline: x copied in band by band at its place, a worker pools band i
      // while the caller copies band i + 1 (the copy is what dominates here)
      const px = rt.heapBase, py = px + region(x.length), pJob = py + region(n);
      rt.reserve(pJob + POOL_JOB_INTS * 4 - rt.heapBase);
      writePoolJob(pJob, px, py, 0, g, perBand);
      const f32 = rt.f32();
      let copied = 0;
      rt.pipeline(kernel, pJob, bands.length, (i) => {
        const hi = bands[i]![1];
        if (hi > copied) f32.set(x.subarray(copied, hi), (px >> 2) + copied);
        copied = Math.max(copied, hi);
      });
      return py;
    }
    const py = rt.heapBase, pBuf = py + region(n), pJob = pBuf + region(most);
    rt.reserve(pJob + POOL_JOB_INTS * 4 - rt.heapBase);
    writePoolJob(pJob, 0, py, 0, g, perBand);
    const f32 = rt.f32(), i32 = rt.i32(), run1 = kernels[kernel]!;
    bands.forEach(([lo, hi], i) => {
      f32.set(x.subarray(lo, hi), pBuf >> 2);
      i32[pJob >> 2] = pBuf - lo * 4;
      run1(pJob, i);
    });
    return py;
  }

  function maxPool2d(x: F32, g: Pool2dGeometry): F32 {
    const n = g.batch * g.outH * g.outW * g.channels;
    if (!poolUsable(g, region(x.length) + region(n) + POOL_JOB_INTS * 4)) return cpuBackend.maxPool2d(x, g);
    const py = forwardPool('maxpool_chunk', x, g, n, THREADED_MAX_CELLS, false);
    return copyView(rt.f32(), py >> 2, (py >> 2) + n);
  }

  function maxPool2dArgmax(x: F32, g: Pool2dGeometry): I32 {
    const n = g.batch * g.outH * g.outW * g.channels;
    if (!poolUsable(g, region(x.length) + region(n) + POOL_JOB_INTS * 4)) return cpuBackend.maxPool2dArgmax(x, g);
    const pam = forwardPool('maxpool_am_chunk', x, g, n, THREADED_CELLS, false);
    return copyView(rt.i32(), pam >> 2, (pam >> 2) + n);
  }

  function avgPool2d(x: F32, g: Pool2dGeometry): F32 {
    const n = g.batch * g.outH * g.outW * g.channels;
    if (!poolUsable(g, region(x.length) + region(n) + POOL_JOB_INTS * 4)) return cpuBackend.avgPool2d(x, g);
    const py = forwardPool('avgpool_chunk', x, g, n, THREADED_CELLS, true);
    return copyView(rt.f32(), py >> 2, (py >> 2) + n);
  }

  function maxPool2dBackprop(dy: F32, argmax: I32, g: Pool2dGeometry): F32 {
    const n = g.batch * g.inH * g.inW * g.channels;
    const pdy = rt.heapBase, pam = pdy + region(dy.length), pdx = pam + region(argmax.length), pJob = pdx + region(n);
    if (!poolUsable(g, pJob + POOL_JOB_INTS * 4 - rt.heapBase, true)) return cpuBackend.maxPool2dBackprop(dy, argmax, g);
    rt.reserve(pJob + POOL_JOB_INTS * 4 - rt.heapBase);
    rt.f32().set(dy, pdy >> 2);
    rt.i32().set(argmax, pam >> 2);
    runRows('maxpool_bp_chunk', pJob, g.batch * g.inH, g, pdy, pdx, pam);
    return copyView(rt.f32(), pdx >> 2, (pdx >> 2) + n);
  }

  function avgPool2dBackprop(dy: F32, g: Pool2dGeometry): F32 {
    const n = g.batch * g.inH * g.inW * g.channels;
    const pdy = rt.heapBase, pdx = pdy + region(dy.length), pJob = pdx + region(n);
    if (!poolUsable(g, pJob + POOL_JOB_INTS * 4 - rt.heapBase, true)) return cpuBackend.avgPool2dBackprop(dy, g);
    rt.reserve(pJob + POOL_JOB_INTS * 4 - rt.heapBase);
    rt.f32().set(dy, pdy >> 2);
    runRows('avgpool_bp_chunk', pJob, g.batch * g.inH, g, pdy, pdx, 0);
    return copyView(rt.f32(), pdx >> 2, (pdx >> 2) + n);
  }

  return { conv2d, conv2dBackpropInput, conv2dBackpropFilter, maxPool2d, maxPool2dArgmax, maxPool2dBackprop, avgPool2d, avgPool2dBackprop };
}
