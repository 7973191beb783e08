import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import { adam, adamw, applyUpdates, chain, clipByGlobalNorm, cosineDecay, sgd, type GradientTransformation, type Schedule, type State } from '../src/optim';
import { valueAndGrad } from '../src/autodiff';
import { mse } from '../src/nn/losses';
import { fit, type CheckedValidation, type FitResult } from '../src/nn/train';
import { sequential, type ParamsOf } from '../src/nn/sequential';
import { dense } from '../src/nn/layers/core';
import { binaryCrossEntropyFromLogits, sparseCategoricalCrossEntropy } from '../src/nn/losses';
import { accuracy } from '../src/nn/metrics';
import type { Key } from '../src/random';
import type { TreeAgree, TreeDiff } from '../src/optim/trees';
import type { ShapeMismatch } from '../src/shape/dims';

interface Params {
  dense: { kernel: Tensor<[784, 10]>; bias: Tensor<[10]> };
  extra: Tensor<[]>[];
}
interface Other {
  dense: { kernel: Tensor<[784, 20]>; bias: Tensor<[20]> };
  extra: Tensor<[]>[];
}
declare const params: Params;
declare const grads: Params;
declare const other: Other;
declare const x: Tensor<[32, 784]>;
declare const y: Tensor<[32, 10]>;
declare const k: Key;
declare const xs: Tensor<[64, 2]>;
declare const ys: Tensor<[64, 1]>;
declare const xTrain: Tensor<[1000, 784]>;
declare const yTrain: Tensor<[1000], 'int32'>;
declare const xVal: Tensor<[200, 784]>;
declare const yVal: Tensor<[200], 'int32'>;
declare const xValBad: Tensor<[200, 785]>;

describe('optimizers are typed by the params pytree', () => {
  it('init gives State<P>; update returns [P, State<P>]; applyUpdates keeps P', () => {
    const opt = adam({ learningRate: 1e-3 });
    expectTypeOf(opt).toEqualTypeOf<GradientTransformation>();
    const state = opt.init(params);
    expectTypeOf(state).toEqualTypeOf<State<Params>>();
    const [updates, next] = opt.update(grads, state, params);
    expectTypeOf(updates).toEqualTypeOf<Params>();
    expectTypeOf(next).toEqualTypeOf<State<Params>>();
    expectTypeOf(applyUpdates(params, updates)).toEqualTypeOf<Params>();
    expectTypeOf(state.count).toEqualTypeOf<Tensor<[], 'int32'>>();
  });

  it('grads from valueAndGrad flow into update', () => {
    const step = valueAndGrad((p: Params) => mse(p.dense.bias, p.dense.bias));
    const [loss, g] = step(params);
    expectTypeOf(loss).toEqualTypeOf<Tensor<readonly [], 'float32'>>();
    const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: cosineDecay({ init: 1e-3, decaySteps: 1000 }), weightDecay: 1e-4 }));
    const [u] = opt.update(g, opt.init(params), params);
    expectTypeOf(u).toEqualTypeOf<Params>();
  });

  it('a state or updates for another pytree are rejected', () => {
    const opt = sgd({ learningRate: 0.1, momentum: 0.9 });
    const otherState = opt.init(other);
    // the params type comes from the state (and params); grads of another tree are named
    opt.update(
      // @ts-expect-error optim.update: grads differ from params at dense.bias: [10] vs [20]
      grads,
      otherState,
    );
    expectTypeOf<TreeDiff<Params, Other>>().toEqualTypeOf<'at dense.kernel: [784, 10] vs [784, 20]' | 'at dense.bias: [10] vs [20]'>();
    // a state of another tree than the params is rejected too
    opt.update(
      other,
      otherState,
      // @ts-expect-error Params is not Other
      params,
    );
    applyUpdates(
      params,
      // @ts-expect-error updates must have the params' type
      other,
    );
  });

  it('learning rates take numbers or schedules, nothing else', () => {
    const s: Schedule = (step) => 0.1 / (1 + step);
    adam({ learningRate: s });
    sgd({ learningRate: 0.1 });
    // @ts-expect-error a string is not a learning rate
    adam({ learningRate: '0.1' });
    // @ts-expect-error learningRate is required
    sgd({ momentum: 0.9 });
  });
});

describe('the tree rule of optim.update names the first difference', () => {
  type Mlp = [{ kernel: Tensor<[784, 10]>; bias: Tensor<[10]> }];
  it('shapes, dtypes, missing leaves, list lengths; equal and wide trees agree', () => {
    expectTypeOf<TreeDiff<[{ kernel: Tensor<[785, 10]>; bias: Tensor<[10]> }], Mlp>>().toEqualTypeOf<'at [0].kernel: [785, 10] vs [784, 10]'>();
    expectTypeOf<TreeDiff<[{ kernel: Tensor<[784, 10], 'int32'>; bias: Tensor<[10]> }], Mlp>>().toEqualTypeOf<'at [0].kernel: [784, 10] int32 vs [784, 10] float32'>();
    expectTypeOf<TreeDiff<[{ kernel: Tensor<[784, 10]> }], Mlp>>().toEqualTypeOf<'at [0].bias: no leaf vs [10]'>();
    expectTypeOf<TreeDiff<[...Mlp, ...Mlp], Mlp>>().toEqualTypeOf<'at (root): 2 entries vs 1'>();
    expectTypeOf<TreeDiff<Mlp, Mlp>>().toBeNever();
    expectTypeOf<TreeDiff<[{ kernel: Tensor<number[]>; bias: Tensor<[number]> }], Mlp>>().toBeNever();
    expectTypeOf<TreeAgree<'optim.update', 'grads', 'params', [{ kernel: Tensor<[785, 10]>; bias: Tensor<[10]> }], Mlp>>().toEqualTypeOf<
      ShapeMismatch<'optim.update: grads differ from params at [0].kernel: [785, 10] vs [784, 10]', Mlp, [{ kernel: Tensor<[785, 10]>; bias: Tensor<[10]> }]>
    >();
    expectTypeOf<TreeAgree<'optim.update', 'grads', 'params', Mlp, Mlp>>().toBeUnknown();
  });
});

describe('fit infers model, data and loss types', () => {
  it('predictions and targets reach the loss as batches of the data', () => {
    const model = sequential(['batch', 2], dense(8, { activation: 'tanh' }), dense(1));
    const r = fit(model.init(k), {
      model,
      loss: (pred, target) => {
        expectTypeOf(pred).toEqualTypeOf<Tensor<[number, 1]>>();
        expectTypeOf(target).toEqualTypeOf<Tensor<[number, 1]>>();
        return binaryCrossEntropyFromLogits(pred, target);
      },
      optimizer: adam({ learningRate: 0.01 }),
      data: { x: xs, y: ys },
      epochs: 1,
    });
    expectTypeOf(r).toEqualTypeOf<FitResult<ParamsOf<readonly ['batch', 2], typeof model.layers>>>();
    expectTypeOf(r.params[1].kernel).toEqualTypeOf<Tensor<[8, 1]>>();
  });

  it('library losses and metrics plug in directly; validation may hold any number of examples', () => {
    const model = sequential(['batch', 784], dense(128, { activation: 'relu' }), dense(10));
    const r = fit(model.init(k), {
      model,
      loss: sparseCategoricalCrossEntropy,
      optimizer: adam({ learningRate: 1e-3 }),
      data: { x: xTrain, y: yTrain },
      validation: { x: xVal, y: yVal },
      metrics: { accuracy },
      epochs: 1,
    });
    expectTypeOf(r.params[0].kernel).toEqualTypeOf<Tensor<[784, 128]>>();
    expectTypeOf(r.history.valMetrics).toEqualTypeOf<Record<string, number[]>>();
    fit(model.init(k), {
      model,
      loss: sparseCategoricalCrossEntropy,
      optimizer: adam({ learningRate: 1e-3 }),
      data: { x: xTrain, y: yTrain },
      // @ts-expect-error fit: validation.x: the model takes 784 features, got 785
      validation: { x: xValBad, y: yVal },
      epochs: 1,
    });
    expectTypeOf<CheckedValidation<typeof model, typeof xTrain, typeof yTrain, typeof xValBad>['__shapeMismatch']>().toEqualTypeOf<'fit: validation.x: the model takes 784 features, got 785'>();
    // ready-made validation batches pass through unchecked, as ready-made data batches do
    fit(model.init(k), {
      model,
      loss: sparseCategoricalCrossEntropy,
      optimizer: adam({ learningRate: 1e-3 }),
      data: { x: xTrain, y: yTrain },
      validation: [[xVal, yVal]],
      epochs: 1,
    });
  });

  it('data that does not fit the model input is a type error on the data', () => {
    const model = sequential(['batch', 2], dense(1));
    fit(model.init(k), {
      model,
      loss: (pred, target) => mse(pred, target),
      optimizer: adam({ learningRate: 0.01 }),
      // @ts-expect-error fit: data.x: the model takes 2 features, got 784
      data: { x, y: ys },
      epochs: 1,
    });
  });

  it('a loss that does not fit the model output is a type error on the loss', () => {
    const model = sequential(['batch', 784], dense(10));
    fit(model.init(k), {
      model,
      // @ts-expect-error targets [number, 10] vs a loss expecting [number, 3]
      loss: (pred: Tensor<[number, 3]>, target: Tensor<[number, 3]>) => mse(pred, target),
      optimizer: adam({ learningRate: 0.01 }),
      data: { x, y },
      epochs: 1,
    });
  });
});
