/**
 * The machine's WebAssembly SIMD ceilings, measured in the same run as the cases: a tiny
 * kernel of independent 128-bit multiply-add chains (acc = acc·m + c on CHAINS f32x4
 * accumulators, all in registers, no memory traffic) as plain SIMD (f32x4.mul then
 * f32x4.add) and, where the engine has it, relaxed SIMD (f32x4.relaxed_madd, one fused
 * instruction where the CPU has FMA), on one thread and on `threads` threads at once.
 *
 * 8 flops per chain step either way (4 lanes × multiply + add). What a GEMM kernel can reach
 * is below this: it also loads and broadcasts its operands.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { assembleWat } from '../src/backend/wasm/build/assemble';

// the project compiles without the DOM lib
const validate = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly.validate;

/** independent accumulators: enough to cover mul + add latency on two FP pipes; 12 + m + c fit 15 xmm */
const CHAINS = 12;
const FLOPS_PER_STEP = 8 * CHAINS;

export type Flavour = 'simd' | 'relaxed';

export interface Ceilings {
  readonly cpu: string;
  readonly threads: number;
  /** GFLOP/s, best of a few timed runs */
  readonly simd: { readonly one: number; readonly all: number };
  /** null when this engine cannot compile relaxed SIMD */
  readonly relaxed: { readonly one: number; readonly all: number } | null;
}

/** the kernel module: run(steps, seed) → a lane sum (so nothing is dead code) */
function peakWat(flavour: Flavour): string {
  const idx = [...Array(CHAINS).keys()];
  const step = (i: number) =>
    flavour === 'relaxed'
      ? `(local.set $a${i} (f32x4.relaxed_madd (local.get $a${i}) (local.get $m) (local.get $c)))`
      : `(local.set $a${i} (f32x4.add (f32x4.mul (local.get $a${i}) (local.get $m)) (local.get $c)))`;
  const sum = idx.slice(1).reduce((e, i) => `(f32x4.add ${e} (local.get $a${i}))`, '(local.get $a0)');
  return `(module
  (func (export "run") (param $n i32) (param $seed f32) (result f32)
    (local $m v128) (local $c v128) ${idx.map((i) => `(local $a${i} v128)`).join(' ')}
    (local.set $m (f32x4.splat (f32.const 0.99993896484375)))
    (local.set $c (f32x4.splat (f32.mul (local.get $seed) (f32.const 0.0009765625))))
    ${idx.map((i) => `(local.set $a${i} (f32x4.splat (f32.add (local.get $seed) (f32.const ${i}))))`).join('\n    ')}
    (loop $l
      ${idx.map(step).join('\n      ')}
      ${idx.map(step).join('\n      ')}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (local.set $a0 ${sum})
    (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))`;
}

export function peakModule(flavour: Flavour): Promise<Uint8Array> {
  return assembleWat(peakWat(flavour), { simd: true, relaxed_simd: flavour === 'relaxed' });
}

/** loop iterations (two chain steps each) per timed run */
const STEPS = 2_000_000;

// Plain JavaScript so the worker needs no loader: compile, wait at the barrier, time `reps`
// runs and keep the fastest (ms).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, steps, reps, flag, barrier, parties } = workerData;
const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports.run;
run(1000, 1);
const sync = new Int32Array(barrier);
let best = Infinity, sink = 0;
for (let r = 0; r < reps; r++) {
  // all parties arrive, then all start together
  if (Atomics.add(sync, 0, 1) === parties * (r + 1) - 1) { Atomics.store(sync, 1, r + 1); Atomics.notify(sync, 1); }
  else while (Atomics.load(sync, 1) < r + 1) Atomics.wait(sync, 1, r, 50);
  const t0 = performance.now();
  sink += run(steps, 1 + r);
  best = Math.min(best, performance.now() - t0);
}
parentPort.postMessage({ best, sink });
`;

/** GFLOP/s of `threads` workers running the kernel at once (each worker's best run; all start together) */
async function measure(bytes: Uint8Array, threads: number, reps: number): Promise<number> {
  const barrier = new SharedArrayBuffer(8);
  const results = await Promise.all(
    [...Array(threads).keys()].map(
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(WORKER, { eval: true, workerData: { bytes, steps: STEPS, reps, barrier, parties: threads } });
          w.once('message', (m: { best: number }) => resolve(m.best));
          w.once('error', reject);
          w.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`ceiling worker exited with ${code}`))));
        }),
    ),
  );
  // all threads' flops over the slowest thread's time
  return (threads * STEPS * 2 * FLOPS_PER_STEP) / Math.max(...results) / 1e6;
}

export async function measureCeilings(threads: number, quick = false): Promise<Ceilings> {
  const reps = quick ? 2 : 5;
  const simdBytes = await peakModule('simd');
  const simd = { one: await measure(simdBytes, 1, reps), all: await measure(simdBytes, threads, reps) };
  // Node 20 (V8 11.3) has relaxed SIMD behind this flag; V8 flags are process-wide, so the
  // workers started afterwards compile it too (later Nodes have it on and accept the flag)
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const relaxedBytes = await peakModule('relaxed');
  const relaxed = validate(relaxedBytes)
    ? { one: await measure(relaxedBytes, 1, reps), all: await measure(relaxedBytes, threads, reps) }
    : null;
  return { cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU', threads, simd, relaxed };
}
