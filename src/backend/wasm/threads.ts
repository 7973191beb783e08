/**
 * Worker threads over the kernels' shared memory: each worker instantiates the same module
 * on the same memory with its own scratch region, and runs chunks of a job next to the
 * calling thread. The protocol is the same everywhere; a `PoolHost` starts the workers: in
 * Node worker_threads (found with process.getBuiltinModule, so bundlers see no import, see
 * `nodeHost`), in cross-origin-isolated pages Web Workers (web-threads.ts); elsewhere the
 * pool is absent and everything runs on the caller.
 *
 * Protocol, on one small shared Int32Array (all accesses atomic):
 * - a job is (kernel index, job record pointer, chunk count); chunks are claimed with
 *   Atomics.add on one counter, by the caller and the workers alike, so a worker that
 *   wakes late simply finds nothing left, and a worker that has not booted yet is never
 *   waited for;
 * - each worker has a state word: BOOT → IDLE once instantiated; the caller moves IDLE →
 *   WORK with compareExchange (only those it moved take part in this job), the worker
 *   moves WORK → DONE when the counter is exhausted, the caller waits for DONE and moves
 *   it back to IDLE. Every state a worker must react to is followed by Atomics.notify.
 * - workers are blocked in Atomics.wait between jobs (and unref'd in Node, so they never
 *   keep the process alive); a pool that becomes unreachable tells its workers to exit.
 * - a caller that may not block (a browser's main thread) spins on Atomics.load instead of
 *   Atomics.wait while it waits for DONE; it only waits once its own share is done.
 * A kernel that traps in a worker is reported (ERROR word) and rethrown by the caller.
 */
import type { KernelExports, WasmMemory } from './exports';

export interface Pool {
  /** whether at least one worker has booted (starts up to `helpers` workers if not yet started) */
  ready(helpers: number): boolean;
  /** runs chunks 0..n-1 of `kernel` on the caller and up to `helpers` idle workers */
  run(kernel: string, job: number, n: number, helpers: number): void;
  /**
   * The same, with the caller producing each chunk's input first: workers start on chunk i
   * as soon as `produce(i)` has returned, while the caller produces the next ones; then the
   * caller joins in on the chunks left.
   */
  pipeline(kernel: string, job: number, n: number, helpers: number, produce: (i: number) => void): void;
  /** how many chunks workers have run so far (a diagnostic: proves the work was shared) */
  workerChunks(): number;
  /** whether a started worker has not booted yet (nor failed) */
  booting(): boolean;
  /** how many workers are booted and between jobs */
  idle(): number;
}

// control words
const NEXT = 0, COUNT = 1, KIND = 2, JOB = 3, ERROR = 4, WORKER_CHUNKS = 5, READY = 6, STATE = 8;
// worker states
const BOOT = 0, IDLE = 1, WORK = 2, DONE = 3, EXIT = 4;
/** polls of a control word before blocking on it (~10-20 µs): see the worker loop */
const SPIN = 4000;

/**
 * The worker's whole program, plain JavaScript for any worker global: `run(data)` with the
 * `WorkerData` the host hands over, after `entry`, the host's way of receiving it.
 */
export function workerProgram(entry: string): string {
  return `${entry}
function run({ module, memory, control, index, scratch, kernels }) {
  const ctrl = new Int32Array(control);
  const me = ${STATE} + index;
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  ex.set_scratch(scratch);
  const fns = kernels.map((k) => ex[k]);
  Atomics.store(ctrl, me, ${IDLE});
  Atomics.notify(ctrl, me);
  for (;;) {
    const s = Atomics.load(ctrl, me);
    if (s === ${EXIT}) break;
    if (s !== ${WORK}) {
      // a short spin first: jobs come back to back (a training step's GEMMs), and a wake from
      // Atomics.wait costs tens of µs
      let spins = ${SPIN};
      while (spins-- > 0 && Atomics.load(ctrl, me) === s);
      if (Atomics.load(ctrl, me) === s) Atomics.wait(ctrl, me, s);
      continue;
    }
    const f = fns[Atomics.load(ctrl, ${KIND})], job = Atomics.load(ctrl, ${JOB}), n = Atomics.load(ctrl, ${COUNT});
    try {
      let done = 0;
      for (let i = Atomics.add(ctrl, ${NEXT}, 1); i < n; i = Atomics.add(ctrl, ${NEXT}, 1)) {
        // in a pipeline chunk i may start only once the caller has published its input
        for (let r = Atomics.load(ctrl, ${READY}); r <= i; r = Atomics.load(ctrl, ${READY})) Atomics.wait(ctrl, ${READY}, r);
        f(job, i);
        done++;
      }
      Atomics.add(ctrl, ${WORKER_CHUNKS}, done);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, 1);
      Atomics.store(ctrl, ${NEXT}, n);
    }
    Atomics.store(ctrl, me, ${DONE});
    Atomics.notify(ctrl, me);
  }
}
`;
}

/** what worker w receives: the module and memory to instantiate, the control words, its slot */
export interface WorkerData {
  readonly module: object;
  readonly memory: WasmMemory;
  readonly control: SharedArrayBuffer;
  readonly index: number;
  readonly scratch: number;
  readonly kernels: readonly string[];
}

/** how a pool starts its workers (Node: worker_threads; pages: Web Workers) */
export interface PoolHost {
  /**
   * Starts one worker running `workerProgram` on `data`; `gone` is called if it fails to
   * boot or dies. Throws when no worker can be started (the pool keeps those it has).
   */
  spawn(data: WorkerData, gone: () => void): void;
}

interface WorkerLike {
  unref(): void;
  on(event: 'error' | 'exit', listener: (e: unknown) => void): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: { eval: true; workerData: unknown }) => WorkerLike;
}
interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

const NODE_PROGRAM = workerProgram("run(require('node:worker_threads').workerData);");

/** Node's worker_threads as a pool host (eval'd CommonJS workers, unref'd), or null elsewhere */
export function nodeHost(): PoolHost | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
  if (wt === undefined) return null;
  const Worker = wt.Worker;
  return {
    spawn(data: WorkerData, gone: () => void): void {
      const worker = new Worker(NODE_PROGRAM, { eval: true, workerData: data });
      worker.on('error', gone);
      worker.on('exit', gone);
      worker.unref();
    },
  };
}

/**
 * A pool of up to `capacity` workers over `memory` (worker w uses the scratch region of
 * instance w + 1), started lazily by `host`: `run` starts workers up to the number of
 * helpers asked for, so setThreads(2) costs one worker, not `capacity`. Returns null where
 * threads are unavailable (no host, or no Atomics.wait).
 */
export function createPool(host: PoolHost | null, module: object, memory: WasmMemory, scratchBytes: number, capacity: number, exports: KernelExports): Pool | null {
  if (host === null || capacity < 1 || typeof Atomics.wait !== 'function') return null;
  const kernels = Object.keys(exports).filter((k) => k.endsWith('_chunk')).sort();
  const control = new SharedArrayBuffer((STATE + capacity) * 4);
  const ctrl = new Int32Array(control);
  const cleanup = { ctrl, size: 0 };
  let size = 0;

  // a browser's main thread may not block: there the caller spins while it waits for DONE
  const mayBlock = blockingAllowed(ctrl);

  function start(w: number): void {
    // a worker that fails to boot or dies stays out of every job (it is only ever waited
    // for after it took a job, and it reports DONE even when its kernel traps)
    const retire = (): void => {
      if (Atomics.compareExchange(ctrl, STATE + w, BOOT, EXIT) !== BOOT) Atomics.compareExchange(ctrl, STATE + w, IDLE, EXIT);
    };
    host!.spawn({ module, memory, control, index: w, scratch: (w + 1) * scratchBytes, kernels }, retire);
  }
  let broken = false;
  function grow(helpers: number): void {
    // a host that cannot start workers (or runs out of threads) keeps the workers it has;
    // with none, every job runs on the caller
    try {
      while (!broken && size < Math.min(helpers, capacity)) {
        start(size);
        size++;
      }
    } catch {
      broken = true;
    }
    cleanup.size = size;
  }

  const kernelIndex = new Map(kernels.map((k, i) => [k, i]));
  // cast: WebAssembly.Exports is untyped; the kernel names come from the module's own export list
  const fns = kernels.map((k) => (exports as unknown as Record<string, (job: number, i: number) => void>)[k]!);

  const pool: Pool = {
    workerChunks: () => Atomics.load(ctrl, WORKER_CHUNKS),
    ready(helpers: number): boolean {
      grow(helpers);
      for (let w = 0; w < size; w++) if (Atomics.load(ctrl, STATE + w) === IDLE) return true;
      return false;
    },
    booting: () => count(BOOT) > 0,
    idle: () => count(IDLE),
    run(kernel: string, job: number, n: number, helpers: number): void {
      execute(kernel, job, n, helpers, null);
    },
    pipeline(kernel: string, job: number, n: number, helpers: number, produce: (i: number) => void): void {
      execute(kernel, job, n, helpers, produce);
    },
  };

  function count(state: number): number {
    let c = 0;
    for (let w = 0; w < size; w++) if (Atomics.load(ctrl, STATE + w) === state) c++;
    return c;
  }

  function execute(kernel: string, job: number, n: number, helpers: number, produce: ((i: number) => void) | null): void {
    grow(helpers);
    const kind = kernelIndex.get(kernel);
    if (kind === undefined) throw new Error(`wasm threads: ${kernel} is not a chunked kernel`);
    const f = fns[kind]!;
    Atomics.store(ctrl, KIND, kind);
    Atomics.store(ctrl, JOB, job);
    Atomics.store(ctrl, COUNT, n);
    Atomics.store(ctrl, ERROR, 0);
    Atomics.store(ctrl, READY, produce === null ? n : 0);
    Atomics.store(ctrl, NEXT, 0);
    const taken: number[] = [];
    for (let w = 0; w < size && taken.length < helpers; w++) {
      if (Atomics.compareExchange(ctrl, STATE + w, IDLE, WORK) === IDLE) {
        Atomics.notify(ctrl, STATE + w);
        taken.push(w);
      }
    }
    let failure: unknown = null;
    try {
      if (produce !== null) {
        for (let i = 0; i < n; i++) {
          produce(i);
          Atomics.store(ctrl, READY, i + 1);
          Atomics.notify(ctrl, READY);
        }
      }
      for (let i = Atomics.add(ctrl, NEXT, 1); i < n; i = Atomics.add(ctrl, NEXT, 1)) f(job, i);
    } catch (e) {
      failure = e;
      // release workers waiting for input and stop further claims
      Atomics.store(ctrl, NEXT, n);
      Atomics.store(ctrl, READY, n);
      Atomics.notify(ctrl, READY);
    }
    for (const w of taken) {
      // spin a little before blocking: the last chunk is usually microseconds from done
      for (let spins = SPIN; spins > 0 && Atomics.load(ctrl, STATE + w) === WORK; spins--);
      if (mayBlock) while (Atomics.load(ctrl, STATE + w) === WORK) Atomics.wait(ctrl, STATE + w, WORK);
      else while (Atomics.load(ctrl, STATE + w) === WORK);
      Atomics.compareExchange(ctrl, STATE + w, DONE, IDLE);
    }
    if (failure !== null) throw failure;
    if (Atomics.load(ctrl, ERROR) !== 0) throw new Error(`wasm threads: ${kernel} failed in a worker (out-of-bounds access)`);
  }

  // a pool nobody can reach any more (e.g. a test runner re-evaluating the module) lets its
  // workers finish instead of leaving them blocked for the life of the process
  abandoned.register(pool, cleanup);
  return pool;
}

/** whether this thread may block in Atomics.wait (a browser's main thread may not: it throws) */
function blockingAllowed(ctrl: Int32Array): boolean {
  try {
    Atomics.wait(ctrl, NEXT, -1, 0); // the word is 0: returns 'not-equal' at once where allowed
    return true;
  } catch {
    return false;
  }
}

const abandoned = new FinalizationRegistry<{ ctrl: Int32Array; size: number }>(({ ctrl, size }) => {
  for (let w = 0; w < size; w++) {
    Atomics.store(ctrl, STATE + w, EXIT);
    Atomics.notify(ctrl, STATE + w);
  }
});
