/**
 * Training-step cases: forward, value-and-grad, optimizer update, with the library's public
 * pieces (sequential, dense, lstm, losses, valueAndGrad, optim). Both libraries start from
 * the same weights and data; `first` returns the losses of the first three steps, which must
 * agree across libraries (checked by bench.ts): that covers gradients and updates too.
 */
import * as tf from '@tensorflow/tfjs';
import { oursTrainStep, stepImpl, type BenchCase, type Impl, type Lib } from './cases';
import { glorot, lazy, randArray } from './harness';
import { fromDataOrThrow, zeros } from '../src/tensor/create';
import { grad } from '../src/autodiff/transforms';
import { vmap } from '../src/ops/vmap';
import type { Tensor } from '../src/tensor/tensor';
import { dense } from '../src/nn/layers/core';
import { lstm } from '../src/nn/layers/recurrent';
import { sequential } from '../src/nn/sequential';
import { adam, sgd } from '../src/optim';
import { categoricalCrossEntropyFromLogits, mse } from '../src/nn/losses';

const t = <const S extends readonly number[]>(data: Float32Array, shape: S) => fromDataOrThrow(data, shape);

// ---------------------------------------------------------------- MLP 784-128-10

const MB = 64;
/** the mlp case's data (shared with per-example-grads-mlp) */
const mlpData = lazy(() => {
  const y = new Float32Array(MB * 10);
  for (let i = 0; i < MB; i++) y[i * 10 + ((i * 7 + 3) % 10)] = 1;
  return { x: randArray(MB * 784, 20, 0, 1), y, w1: glorot(784, 128, 21), w2: glorot(128, 10, 22) };
});
const mlpCaseWith = (jitted: boolean): BenchCase => {
  const data = mlpData;
  const LR = 0.1;
  return {
    name: jitted ? 'mlp-train-step-jit' : 'mlp-train-step',
    shape: 'x[64,784] 784-128(relu)-10, softmax CE, SGD',
    kind: 'train',
    note: jitted
      ? 'ours: jit(valueAndGrad + optim.sgd update + applyUpdates), params and state donated (as fit runs it); tfjs: sgd.minimize'
      : 'ours: sequential(dense, dense) + valueAndGrad + optim.sgd; tfjs: sgd.minimize',
    build(lib: Lib): Impl {
      const d = data();
      if (lib === 'ours') {
        const model = sequential([MB, 784] as const, dense(128, { activation: 'relu' }), dense(10));
        const x = t(d.x, [MB, 784] as const);
        const y = t(d.y, [MB, 10] as const);
        let params = [
          { kernel: t(d.w1, [784, 128] as const), bias: zeros([128] as const) },
          { kernel: t(d.w2, [128, 10] as const), bias: zeros([10] as const) },
        ] as unknown as ReturnType<typeof model.init>;
        return stepImpl(oursTrainStep(params, sgd({ learningRate: LR }), (p: typeof params) => categoricalCrossEntropyFromLogits(model.apply(p, x), y), jitted));
      }
      const init = [tf.tensor2d(d.w1, [784, 128]), tf.zeros([128]), tf.tensor2d(d.w2, [128, 10]), tf.zeros([10])];
      const vars = init.map((v) => tf.variable(v));
      init.forEach((v) => v.dispose());
      const x = tf.tensor2d(d.x, [MB, 784]);
      const y = tf.tensor2d(d.y, [MB, 10]);
      const opt = tf.train.sgd(LR);
      const [w1, b1, w2, b2] = vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      const once = (): number => {
        const cost = opt.minimize(() => {
          const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
          return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, w2), b2)) as tf.Scalar;
        }, true)!;
        const v = cost.dataSync()[0]!;
        cost.dispose();
        return v;
      };
      return stepImpl(once, () => {
        opt.dispose();
        [...vars, x, y].forEach((v) => v.dispose());
      });
    },
  };
};
const mlpCase = mlpCaseWith(false);
const mlpJitCase = mlpCaseWith(true);

// ---------------------------------------------------------------- per-example gradients of the MLP

/**
 * vmap(grad) over the mlp case's 64 examples: the gradient of each example's loss, [64, ...]
 * per weight. tfjs has no vmap: its side loops tf.grads over the examples (what a tfjs user
 * writes). baseline_ms is our batched gradient of the mean loss (one [64, 784] pass), the cost
 * floor the per-example version is measured against.
 */
const perExampleGradsCase: BenchCase = (() => {
  const data = lazy(() => {
    const d = mlpData();
    return { ...d, b1: new Float32Array(128), b2: new Float32Array(10) };
  });
  const flatten = (gs: readonly Float32Array[]): Float32Array => {
    const out = new Float32Array(gs.reduce((n, g) => n + g.length, 0));
    let o = 0;
    for (const g of gs) {
      out.set(g, o);
      o += g.length;
    }
    return out;
  };
  const oursModel = () => {
    const d = data();
    const model = sequential([1, 784] as const, dense(128, { activation: 'relu' }), dense(10));
    const params = [
      { kernel: t(d.w1, [784, 128] as const), bias: t(d.b1, [128] as const) },
      { kernel: t(d.w2, [128, 10] as const), bias: t(d.b2, [10] as const) },
    ] as unknown as ReturnType<typeof model.init>;
    return { model, params };
  };
  return {
    name: 'per-example-grads-mlp',
    shape: '64 x (x[1,784] 784-128(relu)-10, softmax CE): per-example grads [64,...]',
    kind: 'train',
    note: 'ours: vmap(grad(loss), { inAxes: [null, 0, 0] }); tfjs: tf.grads per example in a loop',
    baseline: {
      note: 'ours, the batched gradient of the mean loss over the 64 examples',
      build(): Impl {
        const d = data();
        const model = sequential([MB, 784] as const, dense(128, { activation: 'relu' }), dense(10));
        // cast: the same weights as the per-example side, for the [64, 784] model (params do not depend on the batch)
        const params = oursModel().params as unknown as ReturnType<typeof model.init>;
        const x = t(d.x, [MB, 784] as const);
        const y = t(d.y, [MB, 10] as const);
        const g = grad((p: typeof params) => categoricalCrossEntropyFromLogits(model.apply(p, x), y));
        const once = () => g(params).flatMap((l) => [l.kernel, l.bias]);
        return { first: () => flatten(once().map((x) => x.dataSync() as Float32Array)), run: () => void once() };
      },
    },
    build(lib: Lib): Impl {
      const d = data();
      if (lib === 'ours') {
        const { model, params } = oursModel();
        const xs = t(d.x, [MB, 1, 784] as const);
        const ys = t(d.y, [MB, 1, 10] as const);
        const loss = (p: typeof params, x: Tensor<[1, 784]>, y: Tensor<[1, 10]>) => categoricalCrossEntropyFromLogits(model.apply(p, x), y);
        const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
        const once = () => perExample(params, xs, ys).flatMap((l) => [l.kernel, l.bias]);
        return { first: () => flatten(once().map((x) => x.dataSync() as Float32Array)), run: () => void once() };
      }
      const w = [tf.tensor2d(d.w1, [784, 128]), tf.tensor1d(d.b1), tf.tensor2d(d.w2, [128, 10]), tf.tensor1d(d.b2)];
      const xs = Array.from({ length: MB }, (_, i) => tf.tensor2d(d.x.subarray(i * 784, (i + 1) * 784), [1, 784]));
      const ys = Array.from({ length: MB }, (_, i) => tf.tensor2d(d.y.subarray(i * 10, (i + 1) * 10), [1, 10]));
      const gradsOf = (x: tf.Tensor, y: tf.Tensor) =>
        tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
          const h = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1 as tf.Tensor2D), b1));
          return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, w2 as tf.Tensor2D), b2));
        });
      const once = (): tf.Tensor[][] => xs.map((x, i) => tf.tidy(() => gradsOf(x, ys[i]!)(w)));
      const read = (gs: tf.Tensor[][]): Float32Array => {
        // ours: per weight, the 64 examples stacked; so here weight-major too
        const parts = [0, 1, 2, 3].flatMap((k) => gs.map((g) => g[k]!.dataSync() as Float32Array));
        gs.flat().forEach((g) => g.dispose());
        return flatten(parts);
      };
      return {
        first: () => read(once()),
        run: () => once().flat().forEach((g) => g.dispose()),
        dispose: () => [...w, ...xs, ...ys].forEach((v) => v.dispose()),
      };
    },
  };
})();

// ---------------------------------------------------------------- LSTM(50) + Dense(1)

const LB = 32, LS = 50, LH = 50;
const lstmData = lazy(() => {
  const b = new Float32Array(4 * LH);
  b.fill(1, LH, 2 * LH); // unit forget bias, as Keras / tfjs initialise it
  return {
    x: randArray(LB * LS, 30),
    y: randArray(LB, 31),
    k: glorot(1, 4 * LH, 32),
    r: glorot(LH, 4 * LH, 33),
    b,
    dk: glorot(LH, 1, 34),
    db: new Float32Array(1),
  };
});
const lstmCaseWith = (jitted: boolean): BenchCase => {
  const data = lstmData;
  return {
    name: jitted ? 'lstm-train-step-jit' : `lstm-train-step-b${LB}-s${LS}-h${LH}`,
    shape: 'x[32,50,1] LSTM(50, sigmoid) -> Dense(1) on last step, MSE, Adam',
    kind: 'train',
    note: jitted
      ? 'ours: jit(valueAndGrad + optim.adam update + applyUpdates), params and state donated (as fit runs it: the fused LSTM primitive is one plan step); tfjs: sequential + trainOnBatch'
      : 'ours: sequential(lstm, dense) + valueAndGrad + optim.adam; tfjs: sequential + trainOnBatch',
    build(lib: Lib): Impl {
      const d = data();
      if (lib === 'ours') {
        // the library's fused LSTM layer (one primitive for the sequence, hand-written BPTT)
        const model = sequential([LB, LS, 1] as const, lstm(LH), dense(1));
        const x = t(d.x, [LB, LS, 1] as const);
        const y = t(d.y, [LB, 1] as const);
        let params = [
          { kernel: t(d.k, [1, 4 * LH] as const), recurrentKernel: t(d.r, [LH, 4 * LH] as const), bias: t(d.b, [4 * LH] as const) },
          { kernel: t(d.dk, [LH, 1] as const), bias: t(d.db, [1] as const) },
        ] as unknown as ReturnType<typeof model.init>;
        // tfjs' Adam epsilon (1e-7); tfjs adds it to the uncorrected √v, optax to the bias-corrected √v̂ (negligible here)
        return stepImpl(oursTrainStep(params, adam({ learningRate: 1e-3, epsilon: 1e-7 }), (p: typeof params) => mse(model.apply(p, x), y), jitted));
      }
      const model = tf.sequential({
        layers: [
          // the weights are overwritten below; glorot avoids the slow orthogonal default at build time
          tf.layers.lstm({ units: LH, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', inputShape: [LS, 1] }),
          tf.layers.dense({ units: 1 }),
        ],
      });
      const w0 = [tf.tensor2d(d.k, [1, 4 * LH]), tf.tensor2d(d.r, [LH, 4 * LH]), tf.tensor1d(d.b)];
      const w1 = [tf.tensor2d(d.dk, [LH, 1]), tf.tensor1d(d.db)];
      model.layers[0]!.setWeights(w0);
      model.layers[1]!.setWeights(w1);
      [...w0, ...w1].forEach((w) => w.dispose());
      const opt = tf.train.adam(1e-3);
      model.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const x = tf.tensor3d(d.x, [LB, LS, 1]);
      const y = tf.tensor2d(d.y, [LB, 1]);
      const once = async (): Promise<number> => (await model.trainOnBatch(x, y)) as number;
      return {
        first: async () => Float32Array.of(await once(), await once(), await once()),
        run: async () => void (await once()),
        dispose: () => {
          model.dispose();
          opt.dispose();
          x.dispose();
          y.dispose();
        },
      };
    },
  };
};
const lstmCase = lstmCaseWith(false);
const lstmJitCase = lstmCaseWith(true);

export const trainCases: readonly BenchCase[] = [mlpCase, perExampleGradsCase, lstmCase, mlpJitCase, lstmJitCase];
