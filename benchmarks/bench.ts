/**
 * The benchmark driver behind `npm run bench` (benchmarks/run.ts is the command line):
 * shapeflow vs TensorFlow.js (cpu and wasm backends) and ONNX Runtime native in one process.
 *
 * Each (case, library) pair builds its inputs once, warms up, then reports the median of
 * repeated complete calls within a time budget. Ours is synchronous; tfjs calls read their
 * result back (dataSync / trainOnBatch's awaited loss) so the work has really finished.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { backend, setBackend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';
import { getThreads } from '../src/backend/wasm';
import { FULL, QUICK, maxAbsDiff, measure, measurePair, type Timing, type TimingOptions } from './harness';
import { opCases, type BenchCase, type Lib } from './cases';
import { trainCases } from './train';
import { transformerCases } from './train-transformer';
import { measureCeilings } from './ceiling';
import { loadOrt, ortImpl, type OrtRuntime } from './ort';
import { PEAK_GFLOPS_PER_CORE, ceilingRows, ceilingTable, cpuTimeTable, gf, markdownTable, round, fmtMs, type Args, type ResultRow } from './report';

async function setupWasm(): Promise<string | null> {
  const require = createRequire(import.meta.url);
  // the trailing slash matters: without it setBackend quietly returns false
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/');
  const ok = await tf.setBackend('wasm');
  if (!ok || tf.getBackend() !== 'wasm') return null;
  await tf.ready();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  return `SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}`;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 160);

interface LibResult {
  timing: Timing | null;
  output: Float32Array | null;
  error: string | null;
}

/** a case against its baseline, timed in alternation (measurePair) */
interface PairResult {
  readonly oursMs: number;
  readonly baselineMs: number;
  readonly ratio: number;
  readonly minRatio: number;
  readonly pairs: number;
  /** the baseline timed against itself the same way: how far this measurement strays from 1 on its own */
  readonly selfRatio: number;
}

/** a library to time: ours on its default backend, ours on the TypeScript kernels, a tfjs backend, ONNX Runtime, the case's baseline (ours), or its unjitted twin (ours) */
type Runner = Lib | 'ours-ts' | 'ort' | 'baseline' | 'ours-nojit';

/**
 * Timed rounds per library, interleaved (ours, ours-ts, tfjs-cpu, tfjs-wasm, ours, ...): the
 * process's allocator and GC go through phases (glibc returning freed pages to the system
 * makes the next fresh output arrays page-fault, ~0.3 ms per MB), and interleaving spreads
 * them over all libraries instead of charging whichever ran during one.
 */
const ROUNDS = 3;

interface Prepared {
  impl: ReturnType<BenchCase['build']> | null;
  output: Float32Array | null;
  error: string | null;
  rounds: Timing[];
}

/** makes `runner`'s library the active one (our backend, or the tfjs backend); false if unavailable */
async function activate(runner: Runner, ourDefault: ReturnType<typeof backend>): Promise<boolean> {
  setBackend(runner === 'ours-ts' ? cpuBackend : ourDefault);
  if (runner === 'ours' || runner === 'ours-ts' || runner === 'ort' || runner === 'baseline' || runner === 'ours-nojit') return true;
  const ok = await tf.setBackend(runner);
  return ok && tf.getBackend() === runner;
}

/** what a case needs besides its runners: ONNX Runtime (when loaded) and the thread count it gets */
interface Engines {
  readonly ort: OrtRuntime | null;
  readonly threads: number;
}

async function runCase(c: BenchCase, runners: readonly Runner[], o: TimingOptions, rounds: number, engines: Engines): Promise<{ res: Partial<Record<Runner, LibResult>>; pair: PairResult | null }> {
  const ourDefault = backend();
  const prepared = new Map<Runner, Prepared>();
  let pair: PairResult | null = null;
  const tensorsBefore = tf.memory().numTensors;
  try {
    for (const r of runners) {
      const p: Prepared = { impl: null, output: null, error: null, rounds: [] };
      prepared.set(r, p);
      if (!(await activate(r, ourDefault))) {
        p.error = `tfjs backend '${r}' unavailable`;
        continue;
      }
      try {
        p.impl = r === 'ort' ? await ortImpl(engines.ort!, c.onnx!(), engines.threads) : r === 'baseline' ? c.baseline!.build() : r === 'ours-nojit' ? c.nojit!.build() : c.build(r === 'ours-ts' ? 'ours' : r);
        p.output = await p.impl.first();
      } catch (e) {
        p.error = errText(e);
      }
    }
    const perRound: TimingOptions = {
      ...o,
      budgetMs: o.budgetMs / rounds,
      minReps: Math.max(1, Math.ceil(o.minReps / rounds)),
      maxReps: Math.max(1, Math.ceil(o.maxReps / rounds)),
    };
    for (let round = 0; round < rounds; round++) {
      // each round starts at the next runner, so none always follows the same one (the garbage
      // and spinning pool threads a runner leaves behind land on a different one each round)
      for (const r of runners.map((_, i) => runners[(i + round) % runners.length]!)) {
        const p = prepared.get(r)!;
        if (p.impl === null || p.error !== null) continue;
        await activate(r, ourDefault);
        try {
          // a case's unjitted twin (and baseline) loop as many calls per sample as ours does
          const sameAs = r === 'baseline' || r === 'ours-nojit' ? prepared.get('ours')?.rounds[0]?.inner : undefined;
          p.rounds.push(await measure(p.impl.run, perRound, sameAs));
        } catch (e) {
          p.error = errText(e);
        }
      }
    }
    // ours against its baseline once more, sample by sample in alternation: the ratio the
    // case's target is about, free of what changed between the rounds
    const po = prepared.get('ours'), pb = prepared.get('baseline');
    if (po?.impl && pb?.impl && po.error === null && pb.error === null) {
      await activate('ours', ourDefault);
      const inner = po.rounds[0]?.inner ?? 1;
      const m = await measurePair(po.impl.run, pb.impl.run, o, inner);
      const self = await measurePair(pb.impl.run, pb.impl.run, o, inner);
      pair = { oursMs: m.aMs, baselineMs: m.bMs, ratio: m.ratio, minRatio: m.minRatio, pairs: m.pairs, selfRatio: self.ratio };
    }
  } finally {
    for (const [r, p] of prepared) {
      await activate(r, ourDefault);
      try {
        p.impl?.dispose?.();
      } catch {
        // a failed build may leave nothing to dispose
      }
    }
    setBackend(ourDefault);
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked > 0) process.stderr.write(`  note: ${c.name} left ${leaked} tfjs tensors\n`);
  }
  const out: Partial<Record<Runner, LibResult>> = {};
  for (const [r, p] of prepared) {
    out[r] = { timing: p.error === null ? combine(p.rounds) : null, output: p.output, error: p.error };
  }
  return { res: out, pair };
}

/** the median of the rounds' medians (wall and CPU), all samples counted */
function combine(rounds: readonly Timing[]): Timing | null {
  if (rounds.length === 0) return null;
  const med = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    const m = v.length >> 1;
    return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
  };
  return {
    ms: med(rounds.map((t) => t.ms)),
    cpuMs: med(rounds.map((t) => t.cpuMs)),
    minMs: Math.min(...rounds.map((t) => t.minMs)),
    reps: rounds.reduce((n, t) => n + t.reps, 0),
    inner: rounds[0]!.inner,
  };
}

function relDiff(ours: Float32Array, ref: Float32Array): { abs: number; rel: number } {
  const abs = maxAbsDiff(ours, ref);
  let scale = 1;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
  return { abs, rel: abs / scale };
}

/** Run the selected cases, write latest.json / latest.md to args.out, print the table; returns the rows. */
export async function runBench(args: Args): Promise<ResultRow[]> {
  const all = [...opCases, ...trainCases, ...transformerCases];
  let cases = all;
  if (args.only) {
    const unknown = args.only.filter((n) => !all.some((c) => c.name === n));
    if (unknown.length > 0) throw new Error(`unknown case(s) ${unknown.join(', ')}; known: ${all.map((c) => c.name).join(', ')}`);
    cases = all.filter((c) => args.only!.includes(c.name));
  }
  const o = args.quick ? QUICK : FULL;
  const load0 = os.loadavg();
  const t0 = performance.now();

  const wasmInfo = await setupWasm();
  const ortLoaded = await loadOrt();
  const ort = typeof ortLoaded === 'string' ? null : ortLoaded;
  if (ort === null) process.stderr.write(`note: ${ortLoaded as string}; no ONNX Runtime column\n`);
  const libs: Runner[] = wasmInfo === null ? ['ours', 'ours-ts', 'cpu'] : ['ours', 'ours-ts', 'cpu', 'wasm'];
  const ours = backend().name;
  const threads = ours === 'wasm' ? getThreads() : 1;
  const machinePeak = PEAK_GFLOPS_PER_CORE * os.cpus().length;
  await tf.setBackend('cpu');
  process.stderr.write('machine ceilings ...');
  const ceilings = await measureCeilings(threads, args.quick);
  const ceiling = Math.max(ceilings.simd.all, ceilings.relaxed?.all ?? 0);
  process.stderr.write(` simd ${ceilings.simd.all.toFixed(1)}, relaxed ${ceilings.relaxed?.all.toFixed(1) ?? 'n/a'} GFLOP/s\n`);

  const rows: ResultRow[] = [];
  for (const c of cases) {
    const tc = performance.now();
    process.stderr.write(`${c.name} ...`);
    const runners: Runner[] = [...libs, ...(ort !== null && c.onnx !== undefined ? (['ort'] as const) : []), ...(c.baseline !== undefined ? (['baseline'] as const) : []), ...(c.nojit !== undefined ? (['ours-nojit'] as const) : [])];
    const { res, pair } = await runCase(c, runners, o, args.quick ? 1 : ROUNDS, { ort, threads });
    const ms = (lib: Runner) => {
      const v = res[lib]?.timing?.ms;
      return v === undefined ? null : round(v, 4);
    };
    const reps = (lib: Runner) => {
      const tm = res[lib]?.timing;
      return tm ? (tm.inner > 1 ? `${tm.reps}x${tm.inner}` : `${tm.reps}`) : undefined;
    };
    const row: ResultRow = { name: c.name, shape: c.shape, ours_ms: ms('ours'), tfjs_cpu_ms: ms('cpu'), tfjs_wasm_ms: ms('wasm'), ours_ts_ms: ms('ours-ts'), threads, reps: {}, notes: [] };
    if (c.onnx !== undefined) row.ort_ms = ms('ort');
    if (c.baseline !== undefined) row.baseline_ms = ms('baseline');
    if (c.nojit !== undefined) row.ours_nojit_ms = ms('ours-nojit');
    const key = { ours: 'ours', 'ours-ts': 'ours_ts', cpu: 'tfjs_cpu', wasm: 'tfjs_wasm', ort: 'ort', baseline: 'baseline', 'ours-nojit': 'ours_nojit' } as const;
    const cpuKey = { ours: 'ours_cpu_time_ms', 'ours-ts': 'ours_ts_cpu_time_ms', cpu: 'tfjs_cpu_cpu_time_ms', wasm: 'tfjs_wasm_cpu_time_ms', ort: 'ort_cpu_time_ms', baseline: 'baseline_cpu_time_ms', 'ours-nojit': 'ours_nojit_cpu_time_ms' } as const;
    const label = { ours: 'ours', 'ours-ts': 'ours-ts', cpu: 'tfjs-cpu', wasm: 'tfjs-wasm', ort: 'ORT', baseline: 'baseline', 'ours-nojit': 'ours-nojit' } as const;
    for (const lib of runners) {
      const tm = res[lib]?.timing;
      if (tm) row[cpuKey[lib]] = round(tm.cpuMs, 4);
      const r = reps(lib);
      if (r !== undefined) row.reps[key[lib]] = r;
      const err = res[lib]?.error;
      if (err) row.notes.push(`${label[lib]} failed: ${err}`);
    }
    if (wasmInfo === null) row.notes.push('tfjs-wasm backend did not initialise');
    if (c.flops !== undefined) {
      const g = gf(c.flops, row.ours_ms);
      if (g !== undefined) {
        row.gflops = round(g, 4);
        row.peak_fraction = round(g / machinePeak, 3);
        row.ceiling_fraction = round(g / ceiling, 3);
      }
      const gc = gf(c.flops, row.tfjs_cpu_ms);
      const gw = gf(c.flops, row.tfjs_wasm_ms);
      const go = gf(c.flops, row.ort_ms ?? null);
      if (gc !== undefined) row.tfjs_cpu_gflops = round(gc, 4);
      if (gw !== undefined) row.tfjs_wasm_gflops = round(gw, 4);
      if (go !== undefined) row.ort_gflops = round(go, 4);
    }
    // the libraries must have computed the same thing
    const out = res.ours?.output;
    const oursTs = res['ours-ts']?.output;
    if (out && oursTs) {
      const d = relDiff(out, oursTs);
      if (!(d.rel <= (c.kind === 'train' ? 1e-4 : 1e-3))) row.notes.push(`OUTPUT MISMATCH vs ours on the TS kernels: max |diff| ${d.abs.toPrecision(3)}`);
    }
    const diffKey = { cpu: 'max_abs_diff_cpu', wasm: 'max_abs_diff_wasm', ort: 'max_abs_diff_ort' } as const;
    for (const lib of ['cpu', 'wasm', 'ort'] as const) {
      const ref = res[lib]?.output;
      if (!out || !ref) continue;
      const d = relDiff(out, ref);
      row[diffKey[lib]] = round(d.abs, 3);
      const tol = c.kind === 'train' ? 1e-4 : 1e-3;
      if (!(d.rel <= tol)) row.notes.push(`OUTPUT MISMATCH vs ${label[lib]}: max |diff| ${d.abs.toPrecision(3)} (relative ${d.rel.toPrecision(3)})`);
    }
    const noj = res['ours-nojit']?.output;
    if (out && noj) {
      const d = relDiff(out, noj);
      if (!(d.rel <= 1e-4)) row.notes.push(`OUTPUT MISMATCH vs ours without jit: max |diff| ${d.abs.toPrecision(3)}`);
    }
    if (c.nojit !== undefined) {
      const n = row.ours_nojit_ms;
      row.notes.push(`${c.nojit.note}: ${n === null || n === undefined ? 'n/a' : `${fmtMs(n)} ms`}${n && row.ours_ms ? ` (jit speed-up ${(n / row.ours_ms).toFixed(2)}x; wasm / ours without jit ${row.tfjs_wasm_ms ? (row.tfjs_wasm_ms / n).toFixed(2) : 'n/a'}x)` : ''}`);
    }
    if (pair !== null) {
      row.ours_vs_baseline = round(pair.ratio, 3);
      row.ours_vs_baseline_fastest = round(pair.minRatio, 3);
      row.baseline_vs_itself = round(pair.selfRatio, 3);
    }
    if (c.baseline !== undefined) row.notes.push(`baseline: ${c.baseline.note}${pair !== null ? ` (ours / baseline = ${pair.ratio.toFixed(2)}x: ${fmtMs(pair.oursMs)} vs ${fmtMs(pair.baselineMs)} ms, medians of ${pair.pairs} samples each, taken in pairs in random order; fastest samples ${pair.minRatio.toFixed(2)}x; the baseline against itself ${pair.selfRatio.toFixed(2)}x)` : ''}`);
    if (c.note) row.notes.unshift(c.note);
    rows.push(row);
    process.stderr.write(` ${((performance.now() - tc) / 1000).toFixed(1)} s\n`);
  }

  const elapsed = (performance.now() - t0) / 1000;
  const load1 = os.loadavg();
  const cpu = os.cpus();
  const header = [
    `# shapeflow benchmarks vs TensorFlow.js ${tf.version.tfjs} and ONNX Runtime ${ort?.version ?? '(unavailable)'}`,
    '',
    `- ${new Date().toISOString()}, Node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    `- tfjs-wasm: ${wasmInfo ?? 'unavailable'}; tfjs-cpu is plain JS. Ours: the default backend (${ours}${ours === 'wasm' ? `: WebAssembly SIMD, ${threads} thread${threads === 1 ? '' : 's'}` : ''}); "ours, TS kernels" = the TypeScript reference kernels (cpu backend, one thread).`,
    `- load average ${load0.map((x) => x.toFixed(2)).join(' / ')} at start, ${load1.map((x) => x.toFixed(2)).join(' / ')} at end (1/5/15 min); run took ${elapsed.toFixed(0)} s${args.quick ? ' (--quick: rough numbers)' : ''}`,
    `- median of repeated complete calls after warm-up, in ${args.quick ? 1 : ROUNDS} round${args.quick ? '' : 's'} per library interleaved with the others (median of the rounds' medians); ratios > 1 mean ours is faster; machine peak = ${PEAK_GFLOPS_PER_CORE} GFLOP/s per core x ${cpu.length} cores = ${PEAK_GFLOPS_PER_CORE * cpu.length}`,
    `- ORT native: onnxruntime-node ${ort === null ? `unavailable (${ortLoaded as string})` : `${ort.version}, CPU execution provider, intra-op threads = ${threads} (ours), default session options otherwise (its pool threads spin briefly between calls, which counts in its CPU time)`}; it runs our op exported with exportOnnx (src/io), input tensors prepared once, output copied out (conv2d: ORT gets its own NCHW layout, see cases.ts); "vs ORT native" = ORT ms / ours ms`,
    '- tfjs times include tidy + dataSync (the read-back; for wasm a copy out of the wasm heap); sub-millisecond calls are looped and averaged, per-call overhead included',
    '',
  ].join('\n');
  const flopsOf = (name: string) => all.find((c) => c.name === name)?.flops;
  const table = [
    ceilingTable(ceilings),
    '',
    markdownTable(rows),
    '',
    '## CPU time',
    '',
    'Median process CPU time per call (user + system). Less sensitive to machine load than the wall times above.',
    '',
    cpuTimeTable(rows, flopsOf),
  ].join('\n');
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, 'latest.json'), JSON.stringify([...ceilingRows(ceilings), ...rows], null, 2) + '\n');
  writeFileSync(path.join(args.out, 'latest.md'), `${header}\n${table}\n`);
  process.stdout.write(`${header}\n${table}\n`);
  return rows;
}
