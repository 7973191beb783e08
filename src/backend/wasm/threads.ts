/**
 * Worker threads over the kernels' shared memory: each worker instantiates the same module
 * on the same memory with its own scratch region, and runs chunks of a job next to the
 * calling thread. Only in Node (worker_threads, found with process.getBuiltinModule, so
 * bundlers see no import); elsewhere the pool is absent and everything runs on the caller.
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
 * - workers are unref'd and blocked in Atomics.wait between jobs, so they never keep the
 *   process alive; a pool that becomes unreachable tells its workers to exit.
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
}

// control words
const NEXT = 0, COUNT = 1, KIND = 2, JOB = 3, ERROR = 4, WORKER_CHUNKS = 5, READY = 6, STATE = 8;
// worker states
const BOOT = 0, IDLE = 1, WORK = 2, DONE = 3, EXIT = 4;

/** the worker's whole program (CommonJS, evaluated by worker_threads) */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, index, scratch, kernels } = workerData;
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
  if (s !== ${WORK}) { Atomics.wait(ctrl, me, s); continue; }
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
`;

interface WorkerLike {
  unref(): void;
  on(event: 'error' | 'exit', listener: (e: unknown) => void): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: { eval: true; workerData: unknown }) => WorkerLike;
  isMainThread: boolean;
}
interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

function workerThreads(): WorkerThreads | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
  return wt ?? null;
}

/**
 * A pool of up to `capacity` workers over `memory` (worker w uses the scratch region of
 * instance w + 1), started lazily: `run` starts workers up to the number of helpers asked
 * for, so setThreads(2) costs one worker, not `capacity`. Returns null where threads are
 * unavailable (no worker_threads, or no Atomics.wait).
 */
export function createPool(module: object, memory: WasmMemory, scratchBytes: number, capacity: number, exports: KernelExports): Pool | null {
  const wt = workerThreads();
  if (wt === null || capacity < 1 || typeof Atomics.wait !== 'function') return null;
  const Worker = wt.Worker;
  const kernels = Object.keys(exports).filter((k) => k.endsWith('_chunk')).sort();
  const control = new SharedArrayBuffer((STATE + capacity) * 4);
  const ctrl = new Int32Array(control);
  const cleanup = { ctrl, size: 0 };
  let size = 0;

  function start(w: number): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory, control, index: w, scratch: (w + 1) * scratchBytes, kernels },
    });
    // a worker that fails to boot or dies stays out of every job (it is only ever waited
    // for after it took a job, and it reports DONE even when its kernel traps)
    const retire = (): void => {
      if (Atomics.compareExchange(ctrl, STATE + w, BOOT, EXIT) !== BOOT) Atomics.compareExchange(ctrl, STATE + w, IDLE, EXIT);
    };
    worker.on('error', retire);
    worker.on('exit', retire);
    worker.unref();
  }
  let broken = false;
  function grow(helpers: number): void {
    // a runtime whose worker_threads cannot start eval'd workers (or runs out of threads)
    // keeps the workers it has; with none, every job runs on the caller
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
  const fns = kernels.map((k) => (exports as unknown as Record<string, (job: number, i: number) => void>)[k]!);

  const pool: Pool = {
    workerChunks: () => Atomics.load(ctrl, WORKER_CHUNKS),
    ready(helpers: number): boolean {
      grow(helpers);
      for (let w = 0; w < size; w++) if (Atomics.load(ctrl, STATE + w) === IDLE) return true;
      return false;
    },
    run(kernel: string, job: number, n: number, helpers: number): void {
      execute(kernel, job, n, helpers, null);
    },
    pipeline(kernel: string, job: number, n: number, helpers: number, produce: (i: number) => void): void {
      execute(kernel, job, n, helpers, produce);
    },
  };

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
      while (Atomics.load(ctrl, STATE + w) === WORK) Atomics.wait(ctrl, STATE + w, WORK);
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

const abandoned = new FinalizationRegistry<{ ctrl: Int32Array; size: number }>(({ ctrl, size }) => {
  for (let w = 0; w < size; w++) {
    Atomics.store(ctrl, STATE + w, EXIT);
    Atomics.notify(ctrl, STATE + w);
  }
});
