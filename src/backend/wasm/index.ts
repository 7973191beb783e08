/**
 * The WebAssembly SIMD backend: the CPU backend with its hot kernels replaced by
 * hand-written f32x4 kernels (the .wat files in this folder, assembled into one module):
 * GEMM (threaded for large products), same-shape / scalar / row-broadcast add, sub, mul,
 * div, the exactly rounded unary ops, clip. Install with `setBackend(createWasmBackend())`.
 *
 * Each call copies its operands into the shared kernel memory (runtime.ts), runs the
 * kernel, and copies the result out into a fresh Float32Array, so the Backend contract
 * (inputs never written, fresh outputs) holds and nothing is shared between calls.
 *
 * Below a size threshold the CPU kernel runs instead: the copies and the JS → wasm call
 * cost more than they save on small inputs (thresholds measured, see DEFAULTS).
 * Element-wise results are bit-identical to the CPU backend's (the ops used are exactly
 * rounded per lane); GEMM differs within float32 accumulation error (f32 accumulators,
 * double accumulators in the CPU kernel). Where the engine runs relaxed SIMD, GEMM (and so
 * the convolutions and recurrent cells built on it) uses fused multiply-add: see
 * `kernelVariant` in runtime.ts.
 */
import type { Backend } from '../backend';
import { cpuBackend } from '../cpu';
import { wasmAttention } from './attention';
import { wasmConv } from './conv';
import { wasmElementwise } from './elementwise';
import { wasmMatmul } from './gemm';
import { SOFTMAX_MIN_ELEMS, wasmMath, wasmMathResident } from './math';
import { wasmProgram } from './program';
import { wasmRecurrent } from './recurrent';
import { wasmReduce } from './reduce';
import { kernelVariant, runtime, type WasmRuntime } from './runtime';

export { getThreads, kernelVariant, relaxedSimdAvailable, setThreads, wasmSupported, type KernelVariant } from './runtime';

/** the runtime a backend with these options runs on */
function runtimeFor(options: { readonly relaxedSimd?: boolean }): WasmRuntime {
  return runtime(options.relaxedSimd === false ? 'simd' : kernelVariant());
}

/**
 * Starts the worker threads of the wasm backend's runtime (the default one, or the plain-SIMD
 * one with `relaxedSimd: false`) and resolves, once they have booted, to the thread count
 * large kernels run on: `getThreads()` where workers start (Node; cross-origin-isolated
 * pages), else 1. Optional: workers also start on first use, but a page's workers boot only
 * when its main thread is free, so a synchronous training loop started at once runs on one
 * thread until it yields; `await startThreads()` first avoids that.
 */
export function startThreads(options: { readonly relaxedSimd?: boolean } = {}): Promise<number> {
  return runtimeFor(options).startThreads();
}

/** how many kernel chunks worker threads have run so far (a diagnostic: proves the work was shared) */
export function workerChunks(options: { readonly relaxedSimd?: boolean } = {}): number {
  return runtimeFor(options).workerChunks();
}

export interface WasmBackendOptions {
  /** matmuls with fewer than this many flops (2·batch·m·k·n) run on the CPU kernel */
  readonly minMatmulFlops?: number;
  /** matmuls with fewer flops than this stay on the calling thread */
  readonly minParallelFlops?: number;
  /** element-wise calls with fewer output elements than this run on the CPU kernels */
  readonly minElementwise?: number;
  /**
   * false: the plain-SIMD kernels even where relaxed SIMD runs (default: relaxed where the
   * engine has it, see `kernelVariant`; SHAPEFLOW_RELAXED_SIMD=0 forces plain everywhere)
   */
  readonly relaxedSimd?: boolean;
}

/**
 * Crossover points measured with build/bench.ts (Node 20, x64, CPU time): matmul 4³ 0.65 µs
 * cpu vs 0.77 µs wasm, 8³ 1.5 vs 1.2; add / relu about even at 64 elements, wasm ahead from 256.
 * Two threads (wall time, 2 cores): 128³ no gain (0.17 vs 0.18 ms), 192³ 1.4x, 256³ 1.6x,
 * 512³ and 1024³ 1.85x (55 GFLOP/s); so products under 2^23 flops stay on the caller.
 */
const DEFAULTS = { minMatmulFlops: 2 * 8 * 8 * 8, minParallelFlops: 1 << 23, minElementwise: 128 } as const;

/**
 * A backend running GEMM and the common element-wise kernels in WebAssembly SIMD, the rest
 * on the CPU backend. All wasm backends share one runtime (memory, worker pool).
 */
export function createWasmBackend(options: WasmBackendOptions = {}): Backend {
  const rt = runtimeFor(options);
  const matmul = wasmMatmul(rt, {
    minFlops: options.minMatmulFlops ?? DEFAULTS.minMatmulFlops,
    minParallelFlops: options.minParallelFlops ?? DEFAULTS.minParallelFlops,
  });
  const ew = wasmElementwise(rt, options.minElementwise ?? DEFAULTS.minElementwise);
  const elementwiseProgram = wasmProgram(rt, wasmMathResident(rt, { minElems: options.minElementwise }));
  const math = wasmMath(rt, ew.unary, { minElems: options.minElementwise });
  const attention = wasmAttention(rt, { minMatmulFlops: options.minMatmulFlops ?? DEFAULTS.minMatmulFlops, minSoftmax: options.minElementwise ?? SOFTMAX_MIN_ELEMS });
  return { ...cpuBackend, name: 'wasm', matmul, binary: ew.binary, clip: ew.clip, ...math, ...wasmRecurrent(rt, matmul), ...wasmConv(rt), ...wasmReduce(rt), elementwiseProgram, attention, resident: rt.resident };
}
