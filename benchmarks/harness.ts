/**
 * Timing harness shared by the benchmark cases: deterministic input data, warm-up, and the
 * median of repeated runs inside a time budget.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Deterministic uniform data in [lo, hi) from a 32-bit LCG (same numbers for every library). */
export function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  const w = hi - lo;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + (s / 2 ** 32) * w;
  }
  return a;
}

/** Lazily made, shared input data: every library gets the very same numbers. */
export function lazy<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

/** Glorot-uniform-like weights for a [fanIn, fanOut] matrix. */
export function glorot(fanIn: number, fanOut: number, seed: number): Float32Array {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return randArray(fanIn * fanOut, seed, -lim, lim);
}

export interface TimingOptions {
  /** soft wall-time budget of the timed repeats, ms */
  readonly budgetMs: number;
  /** at least this many timed samples, whatever the budget */
  readonly minReps: number;
  readonly maxReps: number;
  /** warm-up continues until this much time or `maxWarmup` runs */
  readonly warmupMs: number;
  readonly maxWarmup: number;
  /** a sample shorter than this repeats the call in an inner loop (timer resolution, GC noise) */
  readonly minSampleMs: number;
}

export const FULL: TimingOptions = { budgetMs: 2500, minReps: 5, maxReps: 60, warmupMs: 400, maxWarmup: 5, minSampleMs: 5 };
export const QUICK: TimingOptions = { budgetMs: 250, minReps: 2, maxReps: 8, warmupMs: 50, maxWarmup: 1, minSampleMs: 1 };

export interface Timing {
  /** median wall-clock ms per call */
  readonly ms: number;
  /**
   * median process CPU time (user + system, all threads) per call, ms: on a busy machine it
   * stays near the unloaded wall time while wall time grows with the wait for a core
   */
  readonly cpuMs: number;
  readonly minMs: number;
  /** timed samples */
  readonly reps: number;
  /** calls per sample (> 1 only for sub-millisecond cases; the time is divided by it) */
  readonly inner: number;
}

export type Run = () => void | Promise<void>;

let gcFn: (() => void) | null | undefined;
/** A full GC between measurements so one case's garbage is not collected on the next one's clock. */
export function collectGarbage(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}

const isPromise = (x: unknown): x is Promise<void> => typeof (x as { then?: unknown } | undefined)?.then === 'function';

async function call(fn: Run): Promise<void> {
  const r = fn();
  if (isPromise(r)) await r;
}

/**
 * Warm up, then time `fn` until the budget is spent (at least minReps samples) and return the
 * median. Each call must do the complete work (tfjs: read the result back). For very short
 * calls a sample is an inner loop of `inner` complete calls, so per-call overhead (dispatch,
 * allocation, disposal) stays in the figure; it is only averaged over the loop.
 */
/**
 * Time `fn`: warm up, then samples of `inner` calls each. `inner` is chosen from the last
 * warm-up call unless given: a comparison within a row (a case against its baseline or its
 * unjitted twin) passes the first side's count to the second, so both are timed the same way.
 * A multi-MB result makes a call's time depend on the allocator's state (fresh pages or
 * reused ones), so one side looped and the other not measured that, not the ops: einsum vs
 * the matmul it lowers to read 2.10x with the matmul looped 6 calls per sample; timed alike,
 * two runs gave 1.15x and 0.90x.
 */
export async function measure(fn: Run, o: TimingOptions, fixedInner?: number): Promise<Timing> {
  collectGarbage();
  let last = 0;
  const w0 = performance.now();
  for (let i = 0; i < o.maxWarmup; i++) {
    const t0 = performance.now();
    await call(fn);
    last = performance.now() - t0;
    if (performance.now() - w0 >= o.warmupMs) break;
  }
  const inner = fixedInner ?? (last > 0 && last < o.minSampleMs ? Math.min(10_000, Math.ceil(o.minSampleMs / last)) : 1);
  // calls longer than half the budget take 3 samples (still a median), which keeps the slowest
  // tfjs-cpu cases (seconds per call) from dominating the run time
  const minReps = last > o.budgetMs / 2 ? Math.min(3, o.minReps) : o.minReps;
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  const start = performance.now();
  while (samples.length < o.maxReps) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await call(fn);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    samples.push(wall / inner);
    cpuSamples.push((c.user + c.system) / 1000 / inner);
    if (samples.length >= minReps && performance.now() - start >= o.budgetMs) break;
  }
  samples.sort((a, b) => a - b);
  return { ms: median(samples), cpuMs: median(cpuSamples), minMs: samples[0]!, reps: samples.length, inner };
}

/**
 * Two functions timed in alternation, sample by sample (each sample `inner` calls of one), so
 * both see the same machine and allocator states: the ratio of a case to its baseline. Returns
 * each side's median ms per call, their ratio, and the ratio of the fastest samples.
 */
export async function measurePair(a: Run, b: Run, o: TimingOptions, inner: number): Promise<{ aMs: number; bMs: number; ratio: number; minRatio: number; pairs: number }> {
  collectGarbage();
  for (let i = 0; i < o.maxWarmup; i++) {
    await call(a);
    await call(b);
  }
  const as: number[] = [];
  const bs: number[] = [];
  const start = performance.now();
  const sample = async (f: Run) => {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await call(f);
    return (performance.now() - t0) / inner;
  };
  // which side goes first is a coin flip (fixed seed): the allocator's state repeats with the
  // calls (a multi-MB result lands on fresh pages every so often), and a strict alternation
  // hands those slow calls to one side systematically (an einsum read 1.3-1.6x of the very same
  // matmul call that way)
  let seed = 0x2545f491;
  const coin = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 0x10000) !== 0;
  while (as.length < o.maxReps) {
    if (coin()) {
      as.push(await sample(a));
      bs.push(await sample(b));
    } else {
      bs.push(await sample(b));
      as.push(await sample(a));
    }
    if (as.length >= o.minReps && performance.now() - start >= o.budgetMs) break;
  }
  return { aMs: median(as), bMs: median(bs), ratio: median(as) / median(bs), minRatio: Math.min(...as) / Math.min(...bs), pairs: as.length };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** max |a - b| and the largest |b| (to judge the difference relative to the values) */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}
