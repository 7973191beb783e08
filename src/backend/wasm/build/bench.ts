/**
 * GEMM and element-wise throughput, wasm vs cpu backend, in CPU time (process.cpuUsage, so
 * other load on the machine does not count): `node --import tsx src/backend/wasm/build/bench.ts`.
 * Each figure is the best of a few short timed runs after a warm-up (which also lets V8
 * tier the wasm code up from Liftoff to TurboFan).
 */
import type { Backend } from '../../backend';
import { cpuBackend } from '../../cpu';
import { createWasmBackend } from '../index';
import { rand } from './rand';

/** best CPU seconds per call of f over `reps` runs of at least `minSec` each */
function cpuSecondsPerCall(f: () => void, minSec: number, reps: number): number {
  for (let i = 0; i < 3; i++) f();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.cpuUsage();
    let calls = 0, sec = 0;
    do {
      f();
      calls++;
      const d = process.cpuUsage(t0);
      sec = (d.user + d.system) / 1e6;
    } while (sec < minSec);
    best = Math.min(best, sec / calls);
  }
  return best;
}

const wasm = createWasmBackend({ minMatmulFlops: 0, minElementwise: 0 });
const backends: [string, Backend][] = [['cpu', cpuBackend], ['wasm', wasm]];
const zero = Int32Array.of(0);

const args = process.argv.slice(2);
const sizes = args.length > 0 ? args.map(Number) : [128, 256, 512, 1024];
for (const s of sizes) {
  const a = rand(s * s, 1), b = rand(s * s, 2);
  const flops = 2 * s * s * s;
  const row = [`matmul ${s}`];
  for (const [name, be] of backends) {
    const t = cpuSecondsPerCall(() => be.matmul(a, zero, b, zero, 1, s, s, s, false, false), s >= 1024 ? 0.6 : 0.25, 3);
    row.push(`${name} ${(flops / t / 1e9).toFixed(1)} GFLOP/s`);
  }
  console.log(row.join('  '));
}

if (args.length === 0) {
  // crossover points for the thresholds
  for (const s of [4, 8, 16, 32]) {
    const a = rand(s * s, 1), b = rand(s * s, 2);
    const row = [`matmul ${s}`];
    for (const [name, be] of backends) {
      const t = cpuSecondsPerCall(() => be.matmul(a, zero, b, zero, 1, s, s, s, false, false), 0.05, 3);
      row.push(`${name} ${(t * 1e6).toFixed(2)} us`);
    }
    console.log(row.join('  '));
  }
  for (const n of [16, 64, 256, 1024, 4096, 65536, 1 << 20]) {
    const a = rand(n, 1), b = rand(n, 2);
    const row = [`add ${n}`];
    for (const [name, be] of backends) {
      const t = cpuSecondsPerCall(() => be.binary('add', a, [n], b, [n], [n]), 0.05, 3);
      row.push(`${name} ${(t * 1e6).toFixed(2)} us`);
    }
    for (const [name, be] of backends) {
      const t = cpuSecondsPerCall(() => be.unary('relu', a), 0.05, 3);
      row.push(`relu ${name} ${(t * 1e6).toFixed(2)} us`);
    }
    console.log(row.join('  '));
  }
}
