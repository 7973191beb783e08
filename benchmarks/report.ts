/**
 * Result rows, command-line options and the markdown tables of the benchmark (no tfjs here,
 * so the smoke test can load it cheaply).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ceilings } from './ceiling';

/** single-core float32 peak of this machine, GFLOP/s (the figure given for these VMs) */
export const PEAK_GFLOPS_PER_CORE = 114;

export interface ResultRow {
  name: string;
  shape: string;
  ours_ms: number | null;
  tfjs_cpu_ms: number | null;
  tfjs_wasm_ms: number | null;
  /** ONNX Runtime native on the case's exported graph (only cases that have one) */
  ort_ms?: number | null;
  ort_cpu_time_ms?: number;
  ort_gflops?: number;
  /** the case's own reference computation in ours (BenchCase.baseline), and its CPU time */
  baseline_ms?: number | null;
  /** ours / baseline: the ratio of their medians, timed in pairs in random order (measurePair) */
  ours_vs_baseline?: number;
  /** the same for the fastest sample of each side (the least disturbed by GC and page faults) */
  ours_vs_baseline_fastest?: number;
  /** the baseline against itself, timed the same way: the measurement's own spread around 1 */
  baseline_vs_itself?: number;
  baseline_cpu_time_ms?: number;
  /** a jitted case's own computation without jit (BenchCase.nojit), and its CPU time */
  ours_nojit_ms?: number | null;
  ours_nojit_cpu_time_ms?: number;
  /** ours on the TypeScript reference kernels (cpu backend, one thread) */
  ours_ts_ms?: number | null;
  ours_ts_cpu_time_ms?: number;
  /** threads our backend used (the calling thread + workers) */
  threads?: number;
  /** our GFLOP/s and its fraction of the machine's peak (all cores: ours uses worker threads) */
  gflops?: number;
  peak_fraction?: number;
  tfjs_cpu_gflops?: number;
  tfjs_wasm_gflops?: number;
  /** median process CPU time per call (less sensitive to machine load than the wall times above) */
  ours_cpu_time_ms?: number;
  tfjs_cpu_cpu_time_ms?: number;
  tfjs_wasm_cpu_time_ms?: number;
  /** timed samples per library, and calls per sample when sub-millisecond calls were looped */
  reps: Partial<Record<'ours' | 'ours_ts' | 'tfjs_cpu' | 'tfjs_wasm' | 'ort' | 'baseline' | 'ours_nojit', string>>;
  /** max |ours − tfjs| on the output (ops) or on the first three steps' losses (training); ORT on the output */
  max_abs_diff_cpu?: number;
  max_abs_diff_wasm?: number;
  max_abs_diff_ort?: number;
  /** ours / the measured all-threads 128-bit SIMD ceiling of this run (the simd-peak row) */
  ceiling_fraction?: number;
  /** ceiling rows (simd-peak, relaxed-simd-peak): the CPU model and the one-thread figure */
  cpu?: string;
  gflops_1t?: number;
  notes: string[];
}

/** the ceiling rows of latest.json: `gflops` is the all-threads figure (benchmarks/ceiling.ts) */
export function ceilingRows(c: Ceilings): ResultRow[] {
  const row = (name: string, what: string, g: { one: number; all: number }): ResultRow => ({
    name, shape: `${what}, ${c.threads} threads`, ours_ms: null, tfjs_cpu_ms: null, tfjs_wasm_ms: null, threads: c.threads,
    gflops: round(g.all, 4), gflops_1t: round(g.one, 4), cpu: c.cpu, reps: {}, notes: ['machine ceiling: independent f32x4 multiply-add chains in registers'],
  });
  return [row('simd-peak', 'f32x4.mul + f32x4.add', c.simd), ...(c.relaxed ? [row('relaxed-simd-peak', 'f32x4.relaxed_madd', c.relaxed)] : [])];
}

/** the lines at the top of latest.md */
export function ceilingTable(c: Ceilings): string {
  const g = (x: number) => x.toFixed(1);
  return [
    `Machine ceilings, measured in this run (${c.cpu}): independent f32x4 multiply-add chains in registers (benchmarks/ceiling.ts).`,
    '',
    `| ceiling | GFLOP/s, 1 thread | GFLOP/s, ${c.threads} threads |`,
    '|---|---:|---:|',
    `| simd-peak (f32x4.mul + f32x4.add) | ${g(c.simd.one)} | ${g(c.simd.all)} |`,
    `| relaxed-simd-peak (f32x4.relaxed_madd) | ${c.relaxed ? g(c.relaxed.one) : 'n/a'} | ${c.relaxed ? g(c.relaxed.all) : 'n/a (engine without relaxed SIMD)'} |`,
  ].join('\n');
}

export interface Args {
  only: string[] | null;
  quick: boolean;
  out: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { only: null, quick: false, out: path.join(here, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    const value = (): string => {
      const eq = s.indexOf('=');
      if (eq >= 0) return s.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${s} needs a value`);
      return v;
    };
    if (s === '--quick') a.quick = true;
    else if (s === '--only' || s.startsWith('--only=')) a.only = value().split(',').map((x) => x.trim()).filter((x) => x !== '');
    else if (s === '--out' || s.startsWith('--out=')) a.out = path.resolve(value());
    else throw new Error(`unknown option ${s} (use --only a,b  --quick  --out DIR)`);
  }
  return a;
}

export const fmtMs = (ms: number | null): string => (ms === null ? 'n/a' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
export const fmtRatio = (a: number | null, b: number | null): string => (a === null || b === null ? 'n/a' : `${(a / b).toFixed(2)}x`);
export const gf = (flops: number | undefined, ms: number | null): number | undefined => (flops === undefined || ms === null ? undefined : flops / ms / 1e6);
export const round = (x: number, digits: number): number => Number(x.toPrecision(digits));

export function markdownTable(rows: readonly ResultRow[]): string {
  const head = ['case', 'shape', 'ours ms', 'tfjs-cpu ms', 'tfjs-wasm ms', 'cpu/ours', 'wasm/ours', 'ORT native ms', 'vs ORT native', 'GFLOP/s ours', 'ours % machine peak', 'ours % SIMD ceiling', 'GFLOP/s cpu / wasm / ORT', 'ours, TS kernels ms', 'notes'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i >= 2 && i <= 13 ? '---:' : '---')).join('|')}|`];
  for (const r of rows) {
    const g = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));
    lines.push(
      `| ${[
        r.name,
        r.shape,
        fmtMs(r.ours_ms),
        fmtMs(r.tfjs_cpu_ms),
        fmtMs(r.tfjs_wasm_ms),
        fmtRatio(r.tfjs_cpu_ms, r.ours_ms),
        fmtRatio(r.tfjs_wasm_ms, r.ours_ms),
        r.ort_ms === undefined ? '' : fmtMs(r.ort_ms),
        r.ort_ms === undefined ? '' : fmtRatio(r.ort_ms, r.ours_ms),
        g(r.gflops),
        r.peak_fraction === undefined ? '' : `${(r.peak_fraction * 100).toFixed(1)}%`,
        r.ceiling_fraction === undefined ? '' : `${(r.ceiling_fraction * 100).toFixed(1)}%`,
        r.tfjs_cpu_gflops === undefined && r.tfjs_wasm_gflops === undefined ? '' : `${g(r.tfjs_cpu_gflops) || 'n/a'} / ${g(r.tfjs_wasm_gflops) || 'n/a'} / ${r.ort_ms === undefined ? '' : g(r.ort_gflops) || 'n/a'}`,
        r.ours_ts_ms === undefined ? '' : fmtMs(r.ours_ts_ms),
        r.notes.join('; ').replace(/\|/g, '\\|'),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The same medians in process CPU time: on a shared machine the wall times above include
 * waiting for a core, CPU time mostly does not (it does include V8's GC / compiler threads).
 * Ours counts the CPU time of all its threads, so these ratios measure work, not speed.
 */
export function cpuTimeTable(rows: readonly ResultRow[], flopsOf: (name: string) => number | undefined): string {
  const head = ['case', 'ours CPU ms', 'tfjs-cpu CPU ms', 'tfjs-wasm CPU ms', 'ORT CPU ms', 'cpu/ours', 'wasm/ours', 'ORT/ours', 'GFLOP/s per CPU-second ours', 'of one core\'s peak', 'GFLOP/s per CPU-second tfjs-wasm / ORT'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i >= 1 ? '---:' : '---')).join('|')}|`];
  for (const r of rows) {
    const o = r.ours_cpu_time_ms ?? null;
    const c = r.tfjs_cpu_cpu_time_ms ?? null;
    const w = r.tfjs_wasm_cpu_time_ms ?? null;
    const x = r.ort_cpu_time_ms ?? null;
    const flops = flopsOf(r.name);
    const g = gf(flops, o);
    const per = (ms: number | null) => gf(flops, ms)?.toFixed(1) ?? 'n/a';
    const hasOrt = r.ort_ms !== undefined;
    lines.push(
      `| ${[
        r.name,
        fmtMs(o),
        fmtMs(c),
        fmtMs(w),
        hasOrt ? fmtMs(x) : '',
        fmtRatio(c, o),
        fmtRatio(w, o),
        hasOrt ? fmtRatio(x, o) : '',
        g === undefined ? '' : g.toFixed(1),
        g === undefined ? '' : `${((g / PEAK_GFLOPS_PER_CORE) * 100).toFixed(1)}%`,
        flops === undefined ? '' : `${per(w)} / ${hasOrt ? per(x) : ''}`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
