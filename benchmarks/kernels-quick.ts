/**
 * Quick single-thread timings of the CPU GEMM / conv / pool kernels, with tfjs-cpu as the
 * reference point. Not a test: `npx tsx benchmarks/kernels-quick.ts` (about a minute).
 *
 * Each line gives the best wall time of several runs and, in brackets, the mean CPU time
 * of this process per run: on a shared machine the CPU figure is the steadier of the two.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { Conv2dGeometry, Pool2dGeometry } from '../src/backend/backend';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from '../src/backend/cpu/conv';
import { matmul } from '../src/backend/cpu/gemm';
import { avgPool2d, maxPool2d } from '../src/backend/cpu/pool';

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

interface Timing { wall: number; cpu: number }

/** best wall ms and mean CPU ms of `fn` over `reps` runs, after one warm-up run unless `warm` is false */
function time(fn: () => void, reps: number, warm = true): Timing {
  if (warm) fn();
  let wall = Infinity;
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    wall = Math.min(wall, performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / reps };
}

const gf = (flops: number, ms: number): string => (flops / ms / 1e6).toFixed(2);
const show = (t: Timing, flops: number): string =>
  `${t.wall.toFixed(2)} ms, ${gf(flops, t.wall)} GFLOP/s [cpu ${t.cpu.toFixed(2)} ms, ${gf(flops, t.cpu)}]`;
const ratio = (theirs: Timing, ours: Timing): string =>
  `x${(theirs.wall / ours.wall).toFixed(1)} [cpu x${(theirs.cpu / ours.cpu).toFixed(1)}]`;

function offsets(batch: number, stride: number): Int32Array {
  return Int32Array.from({ length: batch }, (_, t) => t * stride);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  console.log('matmul, square');
  for (const n of [128, 256, 512, 1024]) {
    const a = rand(n * n, 1), b = rand(n * n, 2);
    const z = new Int32Array(1);
    const flops = 2 * n ** 3;
    const reps = Math.max(3, Math.round(1e9 / flops));
    const ours = time(() => { matmul(a, z, b, z, 1, n, n, n, false, false); }, reps);
    const oursT = time(() => { matmul(a, z, b, z, 1, n, n, n, true, true); }, reps);
    let vs = '';
    if (n <= 512) {
      // tfjs-cpu needs seconds beyond this
      const at = tf.tensor2d(a, [n, n]), bt = tf.tensor2d(b, [n, n]);
      const theirs = time(() => { tf.tidy(() => tf.matMul(at, bt).dataSync()); }, n === 512 ? 1 : 3);
      at.dispose(); bt.dispose();
      vs = `; tfjs-cpu ${gf(flops, theirs.wall)} GFLOP/s -> ${ratio(theirs, ours)}`;
    }
    console.log(`  ${n}: ${show(ours, flops)}; transA+transB ${gf(flops, oursT.wall)} GFLOP/s${vs}`);
  }

  console.log('matmul, small / batched');
  const shapes: [string, number, number, number, number, boolean][] = [
    ['32x200 . 200x200', 1, 32, 200, 200, false],
    ['64 x [128x32 . 32x128]', 64, 128, 32, 128, false],
    ['64 x [128x32 . (128x32)^T]', 64, 128, 32, 128, true],
    ['64 x [128x128 . 128x32]', 64, 128, 128, 32, false],
    ['128x784 . 784x128', 1, 128, 784, 128, false],
  ];
  for (const [name, batch, m, k, n, tB] of shapes) {
    const a = rand(batch * m * k, 3), b = rand(batch * k * n, 4);
    const ao = offsets(batch, m * k), bo = offsets(batch, k * n);
    const flops = 2 * batch * m * k * n;
    const ours = time(() => { matmul(a, ao, b, bo, batch, m, k, n, false, tB); }, Math.max(5, Math.round(3e8 / flops)));
    const at = tf.tensor3d(a, [batch, m, k]);
    const bt = tB ? tf.tensor3d(b, [batch, n, k]) : tf.tensor3d(b, [batch, k, n]);
    const theirs = time(() => { tf.tidy(() => tf.matMul(at, bt, false, tB).dataSync()); }, 2);
    at.dispose(); bt.dispose();
    console.log(`  ${name}: ${show(ours, flops)}; tfjs-cpu ${theirs.wall.toFixed(1)} ms -> ${ratio(theirs, ours)}`);
  }

  // tfjs-cpu's filter gradient is a naive loop (minutes at batch 32): compared at batch 2 only
  for (const batch of [32, 2]) {
    console.log(`conv2d [${batch},26,26,32] * [3,3,32,64], valid`);
    const g: Conv2dGeometry = {
      batch, inH: 26, inW: 26, inC: 32, kH: 3, kW: 3, outC: 64, outH: 24, outW: 24,
      strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0,
    };
    const x = rand(batch * 26 * 26 * 32, 5), f = rand(3 * 3 * 32 * 64, 6), dy = rand(batch * 24 * 24 * 64, 7);
    const flops = 2 * batch * 24 * 24 * 64 * 3 * 3 * 32;
    const xt = tf.tensor4d(x, [batch, 26, 26, 32]), ft = tf.tensor4d(f, [3, 3, 32, 64]), dyt = tf.tensor4d(dy, [batch, 24, 24, 64]);
    const cases: [string, () => void, (() => void) | null][] = [
      ['forward', () => { conv2d(x, f, g); }, () => { tf.tidy(() => tf.conv2d(xt, ft, 1, 'valid').dataSync()); }],
      ['input gradient', () => { conv2dBackpropInput(dy, f, g); },
        () => { tf.tidy(() => tf.conv2dTranspose(dyt, ft, [batch, 26, 26, 32], 1, 'valid').dataSync()); }],
      ['filter gradient', () => { conv2dBackpropFilter(x, dy, g); }, batch === 2
        ? () => { tf.tidy(() => tf.grad((w: tf.Tensor) => tf.conv2d(xt, w as tf.Tensor4D, 1, 'valid').mul(dyt).sum())(ft).dataSync()); }
        : null],
    ];
    for (const [name, ours, theirs] of cases) {
      const t = time(ours, Math.max(5, Math.round(1e9 / flops)));
      // tfjs is 10-1000x slower: a single cold run is enough
      const vs = theirs === null ? '' : (() => { const tt = time(theirs, 1, false); return `; tfjs-cpu ${tt.wall.toFixed(0)} ms -> ${ratio(tt, t)}`; })();
      console.log(`  ${name}: ${show(t, flops)}${vs}`);
    }
    xt.dispose(); ft.dispose(); dyt.dispose();
  }

  console.log('pool 2x2 / 2 on [32,24,24,64]');
  const pg: Pool2dGeometry = {
    batch: 32, inH: 24, inW: 24, channels: 64, kH: 2, kW: 2, outH: 12, outW: 12,
    strideH: 2, strideW: 2, padTop: 0, padLeft: 0,
  };
  const px = rand(32 * 24 * 24 * 64, 8);
  const pxt = tf.tensor4d(px, [32, 24, 24, 64]);
  const pools: [string, () => void, () => void][] = [
    ['maxPool', () => { maxPool2d(px, pg); }, () => { tf.tidy(() => tf.maxPool(pxt, 2, 2, 'valid').dataSync()); }],
    ['avgPool', () => { avgPool2d(px, pg); }, () => { tf.tidy(() => tf.avgPool(pxt, 2, 2, 'valid').dataSync()); }],
  ];
  for (const [name, ours, theirs] of pools) {
    const t = time(ours, 20), tt = time(theirs, 3);
    console.log(`  ${name}: ${t.wall.toFixed(2)} ms [cpu ${t.cpu.toFixed(2)}]; tfjs-cpu ${tt.wall.toFixed(1)} ms -> ${ratio(tt, t)}`);
  }
  pxt.dispose();
}

void main();
