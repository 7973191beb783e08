import { describe, expect, it } from 'vitest';
import { fit, fitAsync, evaluate, type BatchProgress, type EpochProgress } from '../src/nn/train';
import { sequential } from '../src/nn/sequential';
import { dense, dropout } from '../src/nn/layers/core';
import { binaryCrossEntropyFromLogits, mse, sparseCategoricalCrossEntropy } from '../src/nn/losses';
import { accuracy, binaryAccuracy } from '../src/nn/metrics';
import { adam, applyUpdates, sgd } from '../src/optim';
import { valueAndGrad, treeLeaves } from '../src/autodiff';
import { key, normalArray } from '../src/random';
import { fromDataOrThrow, tensor } from '../src/tensor/create';
import type { Tensor } from '../src/tensor/tensor';
import { concat, slice } from '../src/ops/layout';
import { add } from '../src/ops/elementwise';
import { matmul } from '../src/ops/linalg';

// ---------------------------------------------------------------- a tiny XOR-like problem

/** n points: the four XOR corners with small jitter; label = x0 xor x1 */
function xorData(n: number, seed: number) {
  const noise = normalArray(key(seed), 2 * n, 0, 0.05);
  const xs: number[] = [];
  const ys: number[] = [];
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = i % 2;
    const b = Math.floor(i / 2) % 2;
    xs.push(a + noise[2 * i]!, b + noise[2 * i + 1]!);
    ys.push(a ^ b);
    ids.push(a ^ b);
  }
  return {
    x: fromDataOrThrow(Float32Array.from(xs), [n, 2]) as Tensor<[number, 2]>,
    y: fromDataOrThrow(Float32Array.from(ys), [n, 1]) as Tensor<[number, 1]>,
    ids: fromDataOrThrow(Int32Array.from(ids), [n], { dtype: 'int32' }) as Tensor<[number], 'int32'>,
  };
}

const model = sequential(['batch', 2], dense(8, { activation: 'tanh' }), dense(1));
const data = xorData(32, 1);
const snapshot = (p: unknown) => treeLeaves(p).map((l) => Array.from(l.dataSync()));
/**
 * max |a − b| / max(|b|, 1e-3) over two equal-length lists of numbers (nested once or flat).
 * fit's jitted step runs the optimizer as float32 ops, the eager one as one fused loop with
 * float64 intermediates: they agree to float32 rounding per step, not bit for bit.
 */
function maxRel(a: readonly (number | readonly number[])[], b: readonly (number | readonly number[])[]): number {
  const fa = a.flat(), fb = b.flat();
  expect(fa.length).toBe(fb.length);
  return fa.reduce((m, x, i) => Math.max(m, Math.abs(x - fb[i]!) / Math.max(Math.abs(fb[i]!), 1e-3)), 0);
}

describe('fit trains a tiny dense model', () => {
  it('XOR to near-zero loss, with a metric; the history is deterministic for a fixed key', () => {
    const run = (seed: number) =>
      fit(model.init(key(0)), {
        model,
        loss: (pred, y) => binaryCrossEntropyFromLogits(pred, y),
        optimizer: adam({ learningRate: 0.05 }),
        data: { x: data.x, y: data.y },
        epochs: 150,
        batchSize: 8,
        key: key(seed),
        metrics: { accuracy: (pred, y) => binaryAccuracy(pred, y) },
      });
    const r = run(7);
    expect(r.history.loss).toHaveLength(150);
    expect(r.history.loss[0]).toBeGreaterThan(0.5);
    expect(r.history.loss.at(-1)).toBeLessThan(0.02);
    expect(r.history.metrics['accuracy']!.at(-1)).toBe(1);
    expect(evaluate(r.params, { model, loss: (p, y) => binaryCrossEntropyFromLogits(p, y), data, batchSize: 32 }).loss).toBeLessThan(0.02);
    expect(r.optState.count.item()).toBe(150 * 4);
    // bit-identical on a rerun with the same key; a different key shuffles differently
    const again = run(7);
    expect(again.history).toEqual(r.history);
    expect(snapshot(again.params)).toEqual(snapshot(r.params));
    expect(run(8).history.loss).not.toEqual(r.history.loss);
  });

  it('multi-class with int32 labels (sparse cross-entropy + accuracy), validation metrics', () => {
    const clf = sequential(['batch', 2], dense(16, { activation: 'relu' }), dense(2));
    const val = xorData(16, 2);
    const r = fit(clf.init(key(1)), {
      model: clf,
      loss: (logits, labels) => sparseCategoricalCrossEntropy(logits, labels),
      optimizer: adam({ learningRate: 0.03 }),
      data: { x: data.x, y: data.ids },
      validation: { x: val.x, y: val.ids },
      epochs: 120,
      batchSize: 16,
      key: key(3),
      metrics: { accuracy: (logits, labels) => accuracy(logits, labels) },
    });
    expect(r.history.loss.at(-1)).toBeLessThan(0.05);
    expect(r.history.valLoss).toHaveLength(120);
    expect(r.history.valMetrics['accuracy']!.at(-1)).toBe(1);
  });

  it('a model with dropout gets training mode and a fresh key per step; inference is deterministic', () => {
    const dm = sequential(['batch', 2], dense(16, { activation: 'tanh' }), dropout(0.2), dense(1));
    const opts = {
      model: dm,
      loss: (p: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => binaryCrossEntropyFromLogits(p, y),
      optimizer: adam({ learningRate: 0.05 }),
      data,
      epochs: 100,
      batchSize: 8,
      key: key(4),
    };
    const a = fit(dm.init(key(2)), opts);
    const b = fit(dm.init(key(2)), opts);
    expect(a.history.loss).toEqual(b.history.loss);
    expect(a.history.loss.at(-1)).toBeLessThan(0.2);
  });
});

describe('early stopping', () => {
  // validation labels are the opposite of the training labels: the better the fit, the worse
  // the validation loss, so the best epoch is the first and training stops after `patience`
  const flipped = { x: data.x, y: fromDataOrThrow(Float32Array.from(data.y.dataSync(), (v) => 1 - v), [32, 1]) as Tensor<[number, 1]> };
  const loss = (p: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => binaryCrossEntropyFromLogits(p, y);

  it('stops after `patience` epochs without improvement and restores the best params', () => {
    const epochs: EpochProgress[] = [];
    const r = fit(model.init(key(0)), {
      model,
      loss,
      optimizer: adam({ learningRate: 0.05 }),
      data,
      validation: flipped,
      epochs: 100,
      batchSize: 8,
      key: key(5),
      earlyStopping: { patience: 3 },
      onEpoch: (p) => void epochs.push(p),
    });
    const best = r.history.valLoss.indexOf(Math.min(...r.history.valLoss));
    expect(r.bestEpoch).toBe(best);
    expect(r.stoppedEarly).toBe(true);
    expect(r.epochs).toBe(best + 4);
    expect(r.history.loss).toHaveLength(best + 4);
    expect(epochs.map((e) => e.valLoss)).toEqual(r.history.valLoss);
    // the returned params are the best epoch's: their validation loss is the recorded best
    const v = evaluate(r.params, { model, loss, data: flipped, batchSize: 8 }).loss;
    expect(v).toBeCloseTo(r.history.valLoss[best]!, 6);
    expect(v).toBeLessThan(r.history.valLoss.at(-1)!);
  });

  it('restoreBest: false keeps the last params; monitors can be metrics with mode max', () => {
    const r = fit(model.init(key(0)), {
      model,
      loss,
      optimizer: adam({ learningRate: 0.05 }),
      data,
      validation: flipped,
      epochs: 100,
      batchSize: 8,
      key: key(5),
      earlyStopping: { patience: 3, restoreBest: false },
    });
    expect(evaluate(r.params, { model, loss, data: flipped, batchSize: 8 }).loss).toBeCloseTo(r.history.valLoss.at(-1)!, 6);
    // training accuracy rises then stays at 1: 'metrics.acc' is maximised and plateaus
    const m = fit(model.init(key(0)), {
      model,
      loss,
      optimizer: adam({ learningRate: 0.05 }),
      data,
      epochs: 300,
      batchSize: 8,
      key: key(5),
      metrics: { acc: (p, y) => binaryAccuracy(p, y) },
      earlyStopping: { patience: 5, monitor: 'metrics.acc' },
    });
    expect(m.stoppedEarly).toBe(true);
    expect(m.history.metrics['acc']![m.bestEpoch!]).toBe(1);
    expect(m.epochs).toBe(m.bestEpoch! + 6);
  });

  it('rejects monitoring validation values without validation data', () => {
    expect(() => fit(model.init(key(0)), { model, loss, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 1, earlyStopping: { patience: 1, monitor: 'valLoss' } })).toThrow(
      "fit: earlyStopping monitors 'valLoss' but no validation data was given",
    );
  });
});

describe('progress callbacks', () => {
  const loss = (p: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => mse(p, y);

  it('report epoch, step, running loss, metric, elapsed and eta; returning false stops', () => {
    const batches: BatchProgress[] = [];
    const r = fit(model.init(key(0)), {
      model,
      loss,
      optimizer: sgd({ learningRate: 0.1 }),
      data,
      epochs: 3,
      batchSize: 10,
      metrics: { acc: (p, y) => binaryAccuracy(p, y) },
      onBatch: (p) => void batches.push(p),
    });
    expect(batches.map((b) => [b.epoch, b.step, b.steps, b.globalStep, b.totalSteps])).toEqual([
      [0, 0, 4, 0, 12], [0, 1, 4, 1, 12], [0, 2, 4, 2, 12], [0, 3, 4, 3, 12],
      [1, 0, 4, 4, 12], [1, 1, 4, 5, 12], [1, 2, 4, 6, 12], [1, 3, 4, 7, 12],
      [2, 0, 4, 8, 12], [2, 1, 4, 9, 12], [2, 2, 4, 10, 12], [2, 3, 4, 11, 12],
    ]);
    // the last batch of an epoch reports the epoch's loss (a batch-size-weighted mean: 10, 10, 10, 2)
    expect(batches[3]!.loss).toBeCloseTo(r.history.loss[0]!, 10);
    const w = [10, 10, 10, 2];
    expect(batches[3]!.loss).toBeCloseTo(batches.slice(0, 4).reduce((s, b, i) => s + b.batchLoss * w[i]!, 0) / 32, 6);
    expect(batches[3]!.metric).toBe(r.history.metrics['acc']![0]);
    expect(batches.every((b, i) => b.elapsed >= (batches[i - 1]?.elapsed ?? 0) && b.eta >= 0)).toBe(true);
    expect(batches.at(-1)!.eta).toBe(0);

    let seen = 0;
    const stopped = fit(model.init(key(0)), { model, loss, optimizer: sgd({ learningRate: 0.1 }), data, epochs: 5, batchSize: 8, onBatch: () => ++seen < 6 });
    expect(seen).toBe(6);
    expect(stopped.stoppedEarly).toBe(true);
    expect(stopped.epochs).toBe(2);
    expect(stopped.optState.count.item()).toBe(6);
  });

  it('fitAsync lets timers run between batches and gives the same result as fit', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const opts = { model, loss, optimizer: adam({ learningRate: 0.01 }), data, epochs: 5, batchSize: 4, key: key(9) };
    try {
      const a = await fitAsync(model.init(key(0)), { ...opts, onEpoch: async () => new Promise((r) => setTimeout(r, 2)) });
      expect(ticks).toBeGreaterThan(0);
      const b = fit(model.init(key(0)), opts);
      expect(a.history).toEqual(b.history);
      expect(snapshot(a.params)).toEqual(snapshot(b.params));
    } finally {
      clearInterval(timer);
    }
  });
});

describe('data forms, plain apply functions and hand-written loops', () => {
  const loss = (p: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => mse(p, y);

  it('an array of ready-made batches equals { x, y } cut into the same batches (no shuffle)', () => {
    const batches = [0, 8, 16, 24].map((s) => [slice(data.x, [s, 0], [8, 2]), slice(data.y, [s, 0], [8, 1])] as const);
    const opts = { model, loss, optimizer: adam({ learningRate: 0.01 }), epochs: 3, batchSize: 8, shuffle: false };
    const a = fit(model.init(key(0)), { ...opts, data: batches });
    const b = fit(model.init(key(0)), { ...opts, data });
    expect(a.history).toEqual(b.history);
    expect(snapshot(a.params)).toEqual(snapshot(b.params));
    // shuffled batch order is deterministic per key and differs from the fixed order
    const c = fit(model.init(key(0)), { ...opts, data: batches.map(([x, y]) => ({ x, y })), shuffle: true, key: key(2) });
    const d = fit(model.init(key(0)), { ...opts, data: batches.map(([x, y]) => ({ x, y })), shuffle: true, key: key(2) });
    expect(c.history).toEqual(d.history);
    expect(c.history.loss).not.toEqual(a.history.loss);
  });

  it('the same training written by hand with valueAndGrad + opt.update gives identical params', () => {
    const params0 = model.init(key(0));
    const opt = adam({ learningRate: 0.02 });
    // the loop fit runs, without fit
    let params = params0;
    let state = opt.init(params);
    const step = valueAndGrad((p: typeof params0, x: Tensor<[number, 2]>, y: Tensor<[number, 1]>) => mse(model.apply(p, x, { training: true }), y));
    const losses: number[] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      for (let s = 0; s < 32; s += 16) {
        const x = slice(data.x, [s, 0], [16, 2]);
        const y = slice(data.y, [s, 0], [16, 1]);
        const [l, g] = step(params, x, y);
        const [updates, next] = opt.update(g, state, params);
        params = applyUpdates(params, updates);
        state = next;
        losses.push(l.item());
      }
    }
    expect(losses.at(-1)).toBeLessThan(losses[0]!);
    const fitWith = (jit: boolean) => fit(params0, { model, loss, optimizer: adam({ learningRate: 0.02 }), data, epochs: 4, batchSize: 16, shuffle: false, jit });
    const wantLoss = [0, 1, 2, 3].map((e) => (losses[2 * e]! + losses[2 * e + 1]!) / 2);
    // without jit fit runs exactly this loop
    const r = fitWith(false);
    expect(snapshot(r.params)).toEqual(snapshot(params));
    expect(r.history.loss).toEqual(wantLoss);
    // with jit (the default) the update is float32 ops in the plan
    const j = fitWith(true);
    expect(maxRel(snapshot(j.params), snapshot(params))).toBeLessThan(1e-5);
    expect(maxRel(j.history.loss, wantLoss)).toBeLessThan(1e-5);
    // the caller's params are not consumed by the jitted (donating) steps
    expect(snapshot(params0)).toEqual(snapshot(model.init(key(0))));
  });

  it('accepts a plain function of (params, x, ctx) and pytree inputs', () => {
    type P = { w: Tensor<[2, 1]>; b: Tensor<[1]> };
    const params: P = { w: tensor([[0], [0]]), b: tensor([0]) };
    // inputs as a record of two tensors sharing the example axis
    const x = { a: slice(data.x, [0, 0], [32, 1]), b: slice(data.x, [0, 1], [32, 1]) };
    const target = fromDataOrThrow(Float32Array.from(data.x.dataSync().filter((_, i) => i % 2 === 0), (v, i) => 3 * v - 2 * data.x.dataSync()[2 * i + 1]! + 1), [32, 1]) as Tensor<[number, 1]>;
    const linear = (p: P, xb: { a: Tensor<[number, 1]>; b: Tensor<[number, 1]> }) => affine(p, xb.a, xb.b);
    const r = fit(params, { model: linear, loss, optimizer: adam({ learningRate: 0.1 }), data: { x, y: target }, epochs: 200, batchSize: 8, key: key(1) });
    expect(r.history.loss.at(-1)).toBeLessThan(1e-3);
    expect(Array.from(r.params.w.dataSync()).map((v) => Math.round(v * 10) / 10)).toEqual([3, -2]);
  });

  it('checks the data', () => {
    const base = { model, loss, optimizer: sgd({ learningRate: 0.1 }), epochs: 1 };
    expect(() => fit(model.init(key(0)), { ...base, data: { x: data.x, y: slice(data.y, [0, 0], [30, 1]) } })).toThrow('fit: data.x has 32 examples but data.y has 30');
    expect(() => fit(model.init(key(0)), { ...base, data: [] as (readonly [Tensor<[number, 2]>, Tensor<[number, 1]>])[] })).toThrow(/no batches/);
    expect(() => fit(model.init(key(0)), { ...base, data, batchSize: 64, dropRemainder: true })).toThrow(/no batches/);
    expect(() => fit(model.init(key(0)), { ...base, data, batchSize: 0 })).toThrow('fit: batchSize must be a positive integer, got 0');
  });
});

function affine(p: { w: Tensor<[2, 1]>; b: Tensor<[1]> }, a: Tensor<[number, 1]>, b: Tensor<[number, 1]>): Tensor<[number, 1]> {
  const x = concat([a, b], 1) as unknown as Tensor<[number, 2]>;
  return add(matmul(x, p.w), p.b) as unknown as Tensor<[number, 1]>;
}

describe('fit under jit', () => {
  const run = (m: typeof model | ReturnType<typeof sequential>, jit: boolean | undefined, calls: { n: number }, batchSize = 8) =>
    fit((m as typeof model).init(key(2)), {
      model: m as typeof model,
      loss: (p: Tensor<[number, 1]>, y: Tensor<[number, 1]>) => {
        calls.n++;
        return binaryCrossEntropyFromLogits(p, y);
      },
      optimizer: adam({ learningRate: 0.05 }),
      data,
      epochs: 6,
      batchSize,
      key: key(5),
      ...(jit === undefined ? {} : { jit }),
    });

  it('is on by default: the loss runs at trace time only, and the history follows the unjitted one', () => {
    const withJit = { n: 0 }, without = { n: 0 };
    const a = run(model, undefined, withJit);
    const b = run(model, false, without);
    expect(maxRel(a.history.loss, b.history.loss)).toBeLessThan(1e-5);
    expect(maxRel(snapshot(a.params), snapshot(b.params))).toBeLessThan(1e-5);
    expect(without.n).toBe(6 * 4); // once per step
    expect(withJit.n).toBe(2); // the first step's trace, and its probe with another key
    // a smaller last batch is one more signature
    const c = { n: 0 };
    run(model, undefined, c, 10);
    expect(c.n).toBe(3);
  });

  it('is dropped when the step depends on the key (dropout), with the unjitted history', () => {
    const dm = sequential(['batch', 2], dense(16, { activation: 'tanh' }), dropout(0.2), dense(1));
    const withJit = { n: 0 }, without = { n: 0 };
    const a = run(dm, undefined, withJit);
    const b = run(dm, false, without);
    expect(a.history.loss).toEqual(b.history.loss);
    expect(withJit.n).toBe(2 + 6 * 4); // two traces to probe the first step (nothing runs), then plain steps
  });
});
