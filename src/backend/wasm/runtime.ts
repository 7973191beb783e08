/**
 * The process-wide WebAssembly runtime: the compiled kernel module, one shared memory, the
 * calling thread's instance and the worker pool (threads.ts: worker_threads in Node, Web
 * Workers in cross-origin-isolated pages). Created on first use and kept:
 * every wasm backend object uses it, so creating backends never leaks memories or threads.
 *
 * Memory layout: [0, heap_base) holds one scratch region per instance (packed GEMM panels,
 * work areas; see kernels.wat); then, in shared memory, the resident pool (resident.ts:
 * arrays that outlive a call, jit plans' donated outputs and intermediates); from `heapBase`
 * on each call places its operands and results, bump-allocated for that call only. Calls are synchronous and kernels never call
 * back into JavaScript, so one call owns the heap from its start to its end; memory grows to
 * the largest call seen and is kept for reuse.
 */
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_RELAXED_WASM_UNSHARED_BASE64, KERNELS_WASM_BASE64, KERNELS_WASM_UNSHARED_BASE64 } from './kernels.generated';
import type { KernelExports, WasmMemory } from './exports';
import { createResidentPool, RESIDENT_BYTES, type ResidentPool } from './resident';
import { createPool, nodeHost, type Pool, type PoolHost } from './threads';
import { webHost } from './web-threads';

// The project compiles without the DOM lib, so the few WebAssembly members used are typed here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  validate(bytes: Uint8Array): boolean;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

export interface WasmRuntime {
  readonly exports: KernelExports;
  /** which build of the kernels this runtime runs */
  readonly variant: KernelVariant;
  /** first byte of the per-call heap */
  readonly heapBase: number;
  /** arrays in the kernel memory that outlive a call (empty over an unshared memory) */
  readonly resident: ResidentPool;
  /** byte offset of the work area inside each instance's scratch region */
  readonly workOffset: number;
  /** byte size of each instance's scratch region */
  readonly scratchBytes: number;
  /** makes [heapBase, heapBase + bytes) addressable (grows memory; refreshes the views) */
  reserve(bytes: number): void;
  /** views of the whole memory (refreshed after every grow; re-read after `reserve`) */
  f32(): Float32Array;
  i32(): Int32Array;
  /** an exported function by name (fragments' kernels) */
  fn<F>(name: string): F;
  /**
   * Runs chunks 0..n-1 of a chunked kernel (an export `(job, i) => void` whose name ends in
   * `_chunk`) on the calling thread and up to threads - 1 workers; returns when all are done.
   * Chunks must write disjoint bytes and use only their instance's scratch region.
   */
  parallel(kernel: string, job: number, n: number): void;
  /**
   * `parallel` for inputs that must first be copied in: `produce(i)` writes chunk i's input
   * (on the calling thread), and workers compute chunk i while the caller produces the next
   * ones, hiding the kernels behind the copies. Without workers: produce(i) then chunk i.
   */
  pipeline(kernel: string, job: number, n: number, produce: (i: number) => void): void;
  /** the thread count used by `parallel` (1 = calling thread only) */
  threads(): number;
  /**
   * Starts the worker pool (up to threads() - 1 workers) and resolves, once each worker has
   * booted or failed (or after `timeoutMs`), to the thread count jobs then run on: 1 + the
   * booted workers (1 without a pool: unshared memory, no worker host, setThreads(1)).
   */
  startThreads(timeoutMs?: number): Promise<number>;
  /** chunks run by worker threads so far (0 until the pool exists; a diagnostic) */
  workerChunks(): number;
}

/** bytes for n floats (or ints), plus one spare vector: the SIMD loops overrun by up to 3 elements */
export function region(n: number): number {
  return ((n * 4 + 15) & ~15) + 16;
}

/**
 * A fresh (unshared) copy of view[start, end). Not `view.slice`: on a view of shared memory V8
 * takes a slower path for slice than for the typed-array constructor (Node 20, measured: 6.7 vs
 * 1.5 µs for 16 KB, 63 vs 44 µs for 1 MB, 550-600 vs 320-470 µs for 8 MB).
 */
export function copyView<A extends Float32Array | Int32Array>(view: A, start: number, end: number): A {
  // cast: the constructor of view's own class, called on a subarray of the same class
  return new (view.constructor as new (a: A) => A)(view.subarray(start, end) as A);
}

/** The n floats at byte address p of the memory view: a fresh copy, or written into `into` and returned (a jit plan's own array). */
export function copyOut(mem: Float32Array, p: number, n: number, into?: Float32Array): Float32Array {
  if (into === undefined) return copyView(mem, p >> 2, (p >> 2) + n);
  into.set(mem.subarray(p >> 2, (p >> 2) + n));
  return into;
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function wasmApi(): WasmApi {
  // cast: the package builds without DOM/wasm lib types; WasmApi names the part of WebAssembly we use
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('wasm backend: WebAssembly is not available in this environment');
  return api;
}

/** whether this environment can run the kernels (WebAssembly with SIMD and shared memory) */
export function wasmSupported(): boolean {
  try {
    runtime();
    return true;
  } catch {
    return false;
  }
}

const PAGE = 65536;
/** 4 GiB: the wasm32 limit (only reserved address space; pages are committed as touched) */
const MAX_PAGES = 65536;

const runtimes = new Map<KernelVariant, WasmRuntime>();
let threadSetting: number | null = null;

/**
 * Which build of the kernels runs: 'relaxed' (f32x4.relaxed_madd in the GEMM micro-kernel, so
 * matmul, convolutions and the LSTM / GRU cell products use fused multiply-add where the CPU
 * has it) when the engine validates it, else 'simd'. The two round differently (FMA rounds
 * once), so their results differ in the last bits; each is deterministic across thread counts.
 */
export type KernelVariant = 'simd' | 'relaxed';

type Proc = { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
const proc = (): Proc | undefined => (globalThis as { process?: Proc }).process;

let relaxedOk: boolean | null = null;
/**
 * Whether this engine runs relaxed SIMD. Node 22+ and current browsers have it on; Node 20
 * (V8 11.3) has it behind `--experimental-wasm-relaxed-simd`, which is set here, process-wide,
 * before the relaxed module is compiled (validated, then the flag, then validated again).
 * SHAPEFLOW_RELAXED_SIMD=0 skips all of this and keeps the plain-SIMD kernels.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedOk !== null) return relaxedOk;
  if (proc()?.env?.['SHAPEFLOW_RELAXED_SIMD'] === '0') return (relaxedOk = false);
  const api = wasmApi();
  const bytes = decodeBase64(KERNELS_RELAXED_WASM_UNSHARED_BASE64);
  relaxedOk = api.validate(bytes);
  if (!relaxedOk) {
    const v8 = proc()?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
    if (v8?.setFlagsFromString !== undefined) {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxedOk = api.validate(bytes);
    }
  }
  return relaxedOk;
}

/** the variant the default runtime uses */
export function kernelVariant(): KernelVariant {
  return relaxedSimdAvailable() ? 'relaxed' : 'simd';
}

/**
 * Sets how many threads large GEMM and convolution kernels use (the calling thread plus
 * n - 1 workers; at most 8). 1 keeps everything on the calling thread (deterministic timing;
 * results do not depend on the count: each output element is computed by one thread in the
 * same order). Default: the SHAPEFLOW_THREADS environment variable, else the number of
 * cores (at most 8; in browsers navigator.hardwareConcurrency). Workers start on first use
 * (or with `startThreads`) and never keep the process alive. Pages get workers only when
 * cross-origin isolated (COOP/COEP headers: shared memory); otherwise they run on one thread.
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setThreads: expected a positive integer, got ${n}`);
  threadSetting = n;
}

export function getThreads(): number {
  return Math.min(threadSetting ?? defaultThreads(), 8);
}

let defaultThreadCount: number | undefined;
/** SHAPEFLOW_THREADS, else the machine's parallelism: read once (it is asked for on every kernel call) */
function defaultThreads(): number {
  return (defaultThreadCount ??= machineThreads());
}

function machineThreads(): number {
  const env = proc()?.env?.['SHAPEFLOW_THREADS'];
  if (env !== undefined && /^[1-9][0-9]*$/.test(env)) return Number(env);
  const os = proc()?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return os?.availableParallelism?.() ?? nav?.hardwareConcurrency ?? 1;
}

/** the resident pool's size: SHAPEFLOW_RESIDENT_MB (0 turns it off), else RESIDENT_BYTES */
function residentBytes(): number {
  const env = proc()?.env?.['SHAPEFLOW_RESIDENT_MB'];
  return env !== undefined && /^[0-9]+$/.test(env) ? Math.min(Number(env), 2048) * 1024 * 1024 : RESIDENT_BYTES;
}

/** who starts the workers: Node's worker_threads, else Web Workers in cross-origin-isolated pages */
function host(): PoolHost | null {
  return nodeHost() ?? webHost();
}

/** the process-wide runtime of a kernel variant (default: the best this engine runs) */
export function runtime(variant: KernelVariant = kernelVariant()): WasmRuntime {
  let rt = runtimes.get(variant);
  if (rt === undefined) {
    rt = createRuntime(true, variant);
    runtimes.set(variant, rt);
  }
  return rt;
}

/**
 * The shared-memory module where SharedArrayBuffer exists (Node; cross-origin-isolated
 * pages), else the unshared variant, which runs everything on the calling thread.
 */
function createMemoryAndModule(api: WasmApi, preferShared: boolean, variant: KernelVariant): { memory: WasmMemory; module: object; shared: boolean } {
  if (variant === 'relaxed' && !relaxedSimdAvailable()) throw new Error('wasm backend: this engine does not run relaxed SIMD');
  const relaxed = variant === 'relaxed';
  let memory: WasmMemory | null = null;
  if (preferShared && typeof SharedArrayBuffer === 'function') {
    try {
      memory = new api.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    } catch {
      memory = null;
    }
  }
  if (memory !== null) return { memory, module: new api.Module(decodeBase64(relaxed ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64)), shared: true };
  return {
    memory: new api.Memory({ initial: 1, maximum: MAX_PAGES, shared: false }),
    module: new api.Module(decodeBase64(relaxed ? KERNELS_RELAXED_WASM_UNSHARED_BASE64 : KERNELS_WASM_UNSHARED_BASE64)),
    shared: false,
  };
}

/**
 * A runtime of its own (`runtime()` is the process-wide one every backend uses);
 * `preferShared: false` forces the single-threaded unshared variant (tests).
 */
export function createRuntime(preferShared = true, variant: KernelVariant = kernelVariant()): WasmRuntime {
  const api = wasmApi();
  const { memory, module, shared } = createMemoryAndModule(api, preferShared, variant);
  const exports = new api.Instance(module, { env: { memory } }).exports as KernelExports;
  const scratchBytes = exports.scratch_bytes.value;
  const maxInstances = exports.max_instances.value;
  // the resident pool sits between the scratch regions and the per-call heap (address space
  // only until touched); none over an unshared memory, or where the engine refuses the size
  const poolBase = exports.heap_base.value;
  let poolBytes = shared ? residentBytes() : 0;
  try {
    memory.grow(Math.ceil((poolBase + poolBytes) / PAGE) + 16 - 1);
  } catch {
    poolBytes = 0;
    memory.grow(Math.ceil(poolBase / PAGE) + 16 - 1);
  }
  const heapBase = poolBase + poolBytes;
  const resident = createResidentPool(poolBytes > 0 ? memory : null, poolBase, poolBytes);
  exports.set_scratch(0);
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  let pool: Pool | null = null;

  /** the thread count for this runtime's jobs (1 over an unshared memory) */
  function usable(): number {
    return shared ? Math.min(getThreads(), maxInstances) : 1;
  }

  /** the pool, started up to threads - 1 workers, if one of them is booted; else null */
  function readyPool(threads: number): Pool | null {
    if (threads <= 1) return null;
    pool ??= createPool(host(), module, memory, scratchBytes, maxInstances - 1, exports);
    return pool !== null && pool.ready(threads - 1) ? pool : null;
  }

  function views(): void {
    if (f32.buffer.byteLength !== memory.buffer.byteLength) {
      f32 = new Float32Array(memory.buffer);
      i32 = new Int32Array(memory.buffer);
    }
  }

  return {
    exports,
    variant,
    heapBase,
    resident,
    workOffset: exports.work_offset.value,
    scratchBytes,
    reserve(bytes: number): void {
      const have = memory.buffer.byteLength;
      if (heapBase + bytes > have) memory.grow(Math.ceil((heapBase + bytes - have) / PAGE));
      views();
    },
    f32: () => f32,
    i32: () => i32,
    fn<F>(name: string): F {
      // cast: WebAssembly.Exports is untyped; checked to be a function on the next line
      const f = (exports as unknown as Record<string, unknown>)[name];
      if (typeof f !== 'function') throw new Error(`wasm backend: no kernel named ${name}`);
      return f as F;
    },
    parallel(kernel: string, job: number, n: number): void {
      const p = readyPool(Math.min(usable(), n));
      if (p === null) {
        const f = this.fn<(job: number, i: number) => void>(kernel);
        for (let i = 0; i < n; i++) f(job, i);
        return;
      }
      p.run(kernel, job, n, Math.min(usable(), n) - 1);
    },
    pipeline(kernel: string, job: number, n: number, produce: (i: number) => void): void {
      const p = readyPool(Math.min(usable(), n));
      if (p === null) {
        const f = this.fn<(job: number, i: number) => void>(kernel);
        for (let i = 0; i < n; i++) {
          produce(i);
          f(job, i);
        }
        return;
      }
      p.pipeline(kernel, job, n, Math.min(usable(), n) - 1, produce);
    },
    async startThreads(timeoutMs = 10_000): Promise<number> {
      const want = usable();
      readyPool(want); // starts the workers
      const p = pool;
      if (want <= 1 || p === null) return 1;
      // a page's workers boot only while its main thread is free: poll with timers, never block
      const until = Date.now() + timeoutMs;
      while (p.booting() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      return 1 + Math.min(p.idle(), want - 1);
    },
    threads: usable,
    workerChunks: () => pool?.workerChunks() ?? 0,
  };
}
