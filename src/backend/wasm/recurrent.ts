/**
 * Recurrent sequences on wasm: the forward pass and its backward pass (backprop through
 * time) of LSTM, SimpleRNN and GRU (reset gate after the recurrent product, Keras 2's
 * default) each run as ONE kernel call over all time steps (recurrent.wat): the input
 * projection and every step's h·U / dz·Uᵀ through the core GEMM, the gates in f32x4, the
 * weight gradients as three GEMMs after the loop. Threads: batch rows never interact within
 * a sequence, so the calling thread and the workers each run the whole sequence for a block
 * of rows (one hand-off per call, not per step: a step of batch 32, 50 units is only
 * ~0.6 MFLOP), and the weight gradients are split by gate columns; results do not depend
 * on the thread count (a row's arithmetic is the same in any block).
 *
 * GRU with resetAfter false (tfjs' variant), cells with fewer than 4 units (the kernels'
 * vectors are 4 units wide) and empty shapes run the CPU kernels (src/backend/cpu/recurrent.ts)
 * over the given matmul. Results match the CPU kernels within float32 rounding (f32 GEMM
 * accumulation, the f32x4 exp / tanh of math.wat); the residuals have the CPU layout, so
 * either backend's backward pass accepts either's forward result.
 */
import type { Backend, CellActivation, CellConfig, F32, Offered, SeqCotangents, SeqDims, SeqForward, SeqGradients, SeqInputs } from '../backend';
import { recurrentKernels } from '../cpu/recurrent';
import { copyOut, region, type WasmRuntime } from './runtime';

const ACT_CODE: Record<CellActivation, number> = { tanh: 0, sigmoid: 1, relu: 2, linear: 3 };

export interface RecurrentOptions {
  /** sequences with fewer flops (forward: 2·B·T·(F + u)·G) stay on the calling thread */
  readonly minParallelFlops?: number;
}

/**
 * Measured (Node 20, 2 cores, LSTM, wall time forward / backward, 1 → 2 threads): 0.8 MFLOP
 * (B 16, T 20, u 16) 140 → 171 µs / 125 → 234 µs (a loss: two hand-offs per call), 4.9 MFLOP
 * (B 16, T 30, u 32) 489 → 375 / 525 → 484, 33 MFLOP (B 32, T 50, u 50) 2.9 → 1.7 ms / 3.7 → 2.3 ms.
 */
const MIN_PARALLEL_FLOPS = 1 << 22;
/** batch rows per chunk are a multiple of the GEMM micro-tile height, gate columns of its width */
const MR = 4;
const NR = 8;

type Kernel = (job: number, i: number) => void;

export function wasmRecurrent(rt: WasmRuntime, matmul: Backend['matmul'], options: RecurrentOptions = {}): Pick<Backend, 'recurrentForward' | 'recurrentBackward'> {
  const fallback = recurrentKernels(matmul);
  const minParallel = options.minParallelFlops ?? MIN_PARALLEL_FLOPS;
  // looked up once: a build without this fragment fails here, at backend creation
  const kernels = new Map(
    ['rnn_lstm_forward_chunk', 'rnn_lstm_bptt_chunk', 'rnn_simple_forward_chunk', 'rnn_simple_bptt_chunk', 'rnn_gru_forward_chunk', 'rnn_gru_bptt_chunk', 'rnn_grads_chunk']
      .map((k) => [k, rt.fn<Kernel>(k)] as const),
  );

  const fused = (cfg: CellConfig, d: SeqDims) =>
    (cfg.kind !== 'gru' || cfg.resetAfter) && d.u >= 4 && d.B >= 1 && d.T >= 1 && d.F >= 1;
  const gatesOf = (cfg: CellConfig) => (cfg.kind === 'lstm' ? 4 : cfg.kind === 'gru' ? 3 : 1);

  /** threads for a sequence of this size (1 below the threshold) */
  function threadsFor(cfg: CellConfig, d: SeqDims): number {
    const flops = 2 * d.B * d.T * (d.F + d.u) * gatesOf(cfg) * d.u;
    return flops < minParallel ? 1 : rt.threads();
  }

  /** batch rows per chunk of the sequence kernels: one chunk per thread */
  const rowsPerChunk = (B: number, threads: number) => (threads <= 1 ? B : Math.ceil(B / threads / MR) * MR);

  /** runs chunks 0..n-1 of a `*_chunk` kernel (on the calling thread alone when n is 1) */
  function run(kernel: string, job: number, n: number): void {
    if (n > 1) rt.parallel(kernel, job, n);
    else kernels.get(kernel)!(job, 0);
  }

  /**
   * One call's heap: regions bump-allocated from heapBase (`put` copies an input in, `alloc`
   * reserves floats), then `job` writes the i32 record the kernel reads and makes it all
   * addressable; `out` copies a result out into a fresh array. Arrays in the resident pool (a
   * jit plan's) are used where they are: `put` of one copies nothing, and `result` gives a
   * resident `into` array's own address, so the kernel writes it in place.
   */
  function heap() {
    let top = rt.heapBase;
    const puts: [number, F32][] = [];
    const alloc = (n: number): number => {
      const p = top;
      top += region(n);
      return p;
    };
    return {
      alloc,
      put(a: F32 | null): number {
        if (a === null) return 0; // absent (the heap starts far above 0)
        const at = rt.resident.addressOf(a);
        if (at >= 0) return at;
        const p = alloc(a.length);
        puts.push([p, a]);
        return p;
      },
      /** where the kernel writes a result of n floats: the offered array when it is resident, else the heap */
      result(n: number, into: F32 | undefined): number {
        const at = into !== undefined && into.length === n ? rt.resident.addressOf(into) : -1;
        return at >= 0 ? at : alloc(n);
      },
      /** the job records are allocated before any kernel runs, so every copy-in happens once */
      jobs(...records: (readonly number[])[]): number[] {
        const ps = records.map((r) => alloc(r.length));
        rt.reserve(top - rt.heapBase);
        const f32 = rt.f32(), i32 = rt.i32();
        for (const [q, a] of puts) f32.set(a, q >> 2);
        records.forEach((r, k) => i32.set(r, ps[k]! >> 2));
        return ps;
      },
      /** result n floats at p: the offered array itself when the kernel wrote it in place, else a copy (into the offered array when it fits) */
      out(p: number, n: number, into?: F32): F32 {
        const fits = into !== undefined && into.length === n ? into : undefined;
        return fits !== undefined && rt.resident.addressOf(fits) === p ? fits : copyOut(rt.f32(), p, n, fits);
      },
    };
  }

  /** the last step of [B, T, u] states: [B, u] */
  function lastStep(s: F32, { B, T, u }: SeqDims): F32 {
    const out = new Float32Array(B * u);
    for (let b = 0; b < B; b++) out.set(s.subarray((b * T + T - 1) * u, (b * T + T) * u), b * u);
    return out;
  }

  /** Uᵀ [G, u]: the per-step dz·Uᵀ then packs a row-major operand */
  function transposed(U: F32, u: number, G: number): F32 {
    const t = new Float32Array(u * G);
    for (let r = 0; r < u; r++) for (let c = 0; c < G; c++) t[c * u + r] = U[r * G + c]!;
    return t;
  }

  function recurrentForward(cfg: CellConfig, d: SeqDims, ins: SeqInputs, into: Offered<SeqForward> = {}): SeqForward {
    if (!fused(cfg, d)) return fallback.recurrentForward(cfg, d, ins);
    const { B, T, F, u } = d;
    const rows = B * T, G = gatesOf(cfg) * u;
    const act = ACT_CODE[cfg.activation], ract = ACT_CODE[cfg.recurrentActivation];
    const rpc = rowsPerChunk(B, threadsFor(cfg, d));
    const chunks = Math.ceil(B / rpc);
    const h = heap();
    const px = h.put(ins.x), pW = h.put(ins.W), pU = h.put(ins.U), pb = h.put(ins.bias), ph0 = h.put(ins.h0);
    const pZ = h.alloc(rows * G), phs = h.result(rows * u, into.hs);
    if (cfg.kind === 'lstm') {
      const pc0 = h.put(ins.c0), pg = h.result(rows * G, into.gates), pcs = h.result(rows * u, into.cs), pacs = h.result(rows * u, into.acs);
      const [job] = h.jobs([B, T, F, u, act, ract, px, pW, pU, pb, ph0, pc0, pZ, pg, phs, pcs, pacs, rpc]);
      run('rnn_lstm_forward_chunk', job!, chunks);
      const hs = h.out(phs, rows * u, into.hs), cs = h.out(pcs, rows * u, into.cs);
      return { hs, hT: lastStep(hs, d), cT: lastStep(cs, d), gates: h.out(pg, rows * G, into.gates), cs, acs: h.out(pacs, rows * u, into.acs), recH: null };
    }
    if (cfg.kind === 'gru') {
      const pR = h.alloc(B * G), pg = h.result(rows * G, into.gates), prh = h.result(rows * u, into.recH);
      const [job] = h.jobs([B, T, F, u, act, ract, px, pW, pU, pb, ph0, pZ, pR, pg, phs, prh, rpc]);
      run('rnn_gru_forward_chunk', job!, chunks);
      const hs = h.out(phs, rows * u, into.hs);
      return { hs, hT: lastStep(hs, d), cT: null, gates: h.out(pg, rows * G, into.gates), cs: null, acs: null, recH: h.out(prh, rows * u, into.recH) };
    }
    const [job] = h.jobs([B, T, F, u, act, px, pW, pU, pb, ph0, pZ, phs, rpc]);
    run('rnn_simple_forward_chunk', job!, chunks);
    const hs = h.out(phs, rows * u, into.hs);
    return { hs, hT: lastStep(hs, d), cT: null, gates: null, cs: null, acs: null, recH: null };
  }

  function recurrentBackward(cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents, into: Offered<SeqGradients> = {}): SeqGradients {
    if (!fused(cfg, d)) return fallback.recurrentBackward(cfg, d, ins, fw, ct);
    const { B, T, F, u } = d;
    const rows = B * T, G = gatesOf(cfg) * u;
    const nb = cfg.kind === 'gru' ? 2 * G : G;
    const act = ACT_CODE[cfg.activation], ract = ACT_CODE[cfg.recurrentActivation];
    const threads = threadsFor(cfg, d);
    const rpc = rowsPerChunk(B, threads);
    const chunks = Math.ceil(B / rpc);
    // the weight gradients in blocks of gate columns (and of rows for dx)
    const cpc = threads <= 1 ? G : Math.ceil(G / threads / NR) * NR;
    const gradChunks = Math.ceil(G / cpc);
    const dxRows = Math.ceil(rows / gradChunks);
    const h = heap();
    const px = h.put(ins.x), pW = h.put(ins.W), pUt = h.put(transposed(ins.U, u, G)), ph0 = h.put(ins.h0), phs = h.put(fw.hs);
    const pdhs = h.put(ct.dhs), pdhT = h.put(ct.dhT);
    // the states entering each step; f64 column sums (G + 4 doubles per chunk, see $rnn_colsum)
    const pH = h.alloc(rows * u), pAcc = h.alloc(2 * (G + 4 * gradChunks));
    const pdx = h.result(rows * F, into.dx), pdW = h.result(F * G, into.dW), pdU = h.result(u * G, into.dU), pdb = h.result(nb, into.db), pdh0 = h.result(B * u, into.dh0);
    const pdXp = h.alloc(rows * G);
    const grads = (pdRec: number) => [rows, F, u, G, px, pW, pH, pdXp, pdRec, pAcc, pdx, pdW, pdU, pdb, cpc, dxRows];
    let dc0: F32 | null = null;
    if (cfg.kind === 'lstm') {
      const pc0 = h.put(ins.c0), pg = h.put(fw.gates), pcs = h.put(fw.cs), pacs = h.put(fw.acs), pdcT = h.put(ct.dcT);
      const pdcA = h.alloc(B * u), pdcB = h.alloc(B * u), pdc0 = h.result(B * u, into.dc0);
      const [job, gjob] = h.jobs(
        [B, T, u, act, ract, ph0, pc0, pg, pcs, pacs, phs, pdhs, pdhT, pdcT, pdXp, pUt, pdcA, pdcB, pdh0, pdc0, pH, rpc],
        grads(pdXp),
      );
      run('rnn_lstm_bptt_chunk', job!, chunks);
      run('rnn_grads_chunk', gjob!, gradChunks);
      dc0 = h.out(pdc0, B * u, into.dc0);
    } else if (cfg.kind === 'gru') {
      const pg = h.put(fw.gates), prh = h.put(fw.recH);
      const pdRec = h.alloc(rows * G), pDirect = h.alloc(B * u);
      const [job, gjob] = h.jobs(
        [B, T, u, act, ract, ph0, pg, prh, phs, pdhs, pdhT, pdXp, pdRec, pUt, pDirect, pdh0, pH, rpc],
        grads(pdRec),
      );
      run('rnn_gru_bptt_chunk', job!, chunks);
      run('rnn_grads_chunk', gjob!, gradChunks);
    } else {
      const [job, gjob] = h.jobs([B, T, u, act, ph0, phs, pdhs, pdhT, pdXp, pUt, pdh0, pH, rpc], grads(pdXp));
      run('rnn_simple_bptt_chunk', job!, chunks);
      run('rnn_grads_chunk', gjob!, gradChunks);
    }
    return { dx: h.out(pdx, rows * F, into.dx), dW: h.out(pdW, F * G, into.dW), dU: h.out(pdU, u * G, into.dU), db: h.out(pdb, nb, into.db), dh0: h.out(pdh0, B * u, into.dh0), dc0 };
  }

  return { recurrentForward, recurrentBackward };
}
