/**
 * Quick timing of one LSTM training step — forward, backward, Adam update — in the
 * configuration of the `lstm-train-step-b32-s50-h50` benchmark: x [32, 50, 1] → LSTM(50) →
 * Dense(1) on the last step, MSE, Adam(1e-3). Compares our fused LSTM, our op-level LSTM
 * (implementation 'ops') and tfjs (cpu, and wasm when it loads), all from the same weights
 * and data (the first-step losses are printed so the runs can be compared).
 * Not a test: `node --import tsx benchmarks/lstm-quick.ts [--no-wasm]`.
 */
import * as tf from '@tensorflow/tfjs';
import { glorot, randArray } from './harness';
import { fromDataOrThrow } from '../src/tensor/create';
import { valueAndGrad } from '../src/autodiff/transforms';
import { sequential } from '../src/nn/sequential';
import { dense } from '../src/nn/layers/core';
import { lstm, type RecurrentImplementation } from '../src/nn/layers/recurrent';
import { mse } from '../src/nn/losses';
import { adam, applyUpdates } from '../src/optim';

const B = 32, S = 50, H = 50; // 4·H = 200 gate columns

const data = (() => {
  const b = new Float32Array(4 * H);
  b.fill(1, H, 2 * H);
  return { x: randArray(B * S, 30), y: randArray(B, 31), k: glorot(1, 4 * H, 32), r: glorot(H, 4 * H, 33), b, dk: glorot(H, 1, 34), db: new Float32Array(1) };
})();

interface Times {
  /** wall time, ms */
  readonly median: number;
  readonly best: number;
  /** CPU time of this process (user + system), ms: less disturbed by other load on the machine */
  readonly cpuMedian: number;
}

/** wall and CPU times of `fn` over `reps` runs after `warm` warm-up runs */
async function time(fn: () => unknown, warm: number, reps: number): Promise<Times> {
  for (let i = 0; i < warm; i++) await fn();
  const ts: number[] = [];
  const cs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cs.push((c.user + c.system) / 1000);
  }
  ts.sort((a, b) => a - b);
  cs.sort((a, b) => a - b);
  return { median: ts[ts.length >> 1]!, best: ts[0]!, cpuMedian: cs[cs.length >> 1]! };
}

function ours(implementation: RecurrentImplementation) {
  const model = sequential([B, S, 1] as const, lstm(H, { implementation }), dense(1));
  const x = fromDataOrThrow(data.x, [B, S, 1] as const);
  const y = fromDataOrThrow(data.y, [B, 1] as const);
  let params: ReturnType<typeof model.init> = [
    { kernel: fromDataOrThrow(data.k, [1, 200] as const), recurrentKernel: fromDataOrThrow(data.r, [H, 200] as const), bias: fromDataOrThrow(data.b, [200] as const) },
    { kernel: fromDataOrThrow(data.dk, [H, 1] as const), bias: fromDataOrThrow(data.db, [1] as const) },
  ];
  // tfjs' Adam epsilon, so both follow the same trajectory
  const opt = adam({ learningRate: 1e-3, epsilon: 1e-7 });
  let state = opt.init(params);
  const step = valueAndGrad((p: typeof params) => mse(model.apply(p, x), y));
  return () => {
    const [loss, g] = step(params);
    const [updates, next] = opt.update(g, state, params);
    params = applyUpdates(params, updates);
    state = next;
    return loss.item();
  };
}

async function tfjs(backend: 'cpu' | 'wasm') {
  await tf.setBackend(backend);
  await tf.ready();
  const model = tf.sequential({
    layers: [tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', inputShape: [S, 1] }), tf.layers.dense({ units: 1 })],
  });
  model.layers[0]!.setWeights([tf.tensor2d(data.k, [1, 4 * H]), tf.tensor2d(data.r, [H, 4 * H]), tf.tensor1d(data.b)]);
  model.layers[1]!.setWeights([tf.tensor2d(data.dk, [H, 1]), tf.tensor1d(data.db)]);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  const x = tf.tensor3d(data.x, [B, S, 1]);
  const y = tf.tensor2d(data.y, [B, 1]);
  return async () => (await model.trainOnBatch(x, y)) as number;
}

const rows: [string, number, Times][] = [];
async function run(name: string, make: () => Promise<() => unknown> | (() => unknown), warm: number, reps: number) {
  const fn = await make();
  const first = (await fn()) as number;
  rows.push([name, first, await time(fn, warm, reps)]);
  const r = rows.at(-1)!;
  const t = r[2];
  console.log(`${name.padEnd(20)} first loss ${first.toFixed(6)}   wall median ${t.median.toFixed(1)} ms, best ${t.best.toFixed(1)} ms   cpu median ${t.cpuMedian.toFixed(1)} ms`);
}

await run('ours fused', () => ours('fused'), 5, 30);
await run('ours ops (unfused)', () => ours('ops'), 2, 8);
await run('tfjs cpu', () => tfjs('cpu'), 2, 8);
if (!process.argv.includes('--no-wasm')) {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    await run('tfjs wasm', () => tfjs('wasm'), 3, 15);
  } catch (e) {
    console.log(`tfjs wasm unavailable: ${(e as Error).message}`);
  }
}
const fused = rows[0]![2];
for (const [name, , t] of rows.slice(1)) {
  console.log(`fused vs ${name}: ${(t.median / fused.median).toFixed(1)}x (wall medians), ${(t.best / fused.best).toFixed(1)}x (wall bests), ${(t.cpuMedian / fused.cpuMedian).toFixed(1)}x (cpu medians)`);
}
