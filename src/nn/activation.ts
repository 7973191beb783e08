/** Activation functions by name, as Keras layers take them (`dense(10, { activation: 'relu' })`). */
import type { AnyTensor, WideTensor } from '../tensor/untyped';
import { bind1 } from '../autodiff/core';
import {
  elu,
  eluP,
  gelu,
  geluRaw,
  leakyRelu,
  leakyReluP,
  logSoftmax,
  logSoftmaxRaw,
  relu,
  reluRaw,
  sigmoid,
  sigmoidRaw,
  softmax,
  softmaxRaw,
  softplus,
  softplusRaw,
  tanh,
  tanhRaw,
} from '../ops/activations';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'gelu' | 'elu' | 'leakyRelu' | 'softplus';

const table: Record<ActivationName, (x: WideTensor) => WideTensor> = {
  linear: (x) => x,
  relu,
  sigmoid,
  tanh,
  softmax: (x) => softmax(x),
  logSoftmax: (x) => logSoftmax(x),
  gelu,
  elu: (x) => elu(x),
  leakyRelu: (x) => leakyRelu(x),
  softplus,
};

export function activationFn(name: ActivationName): (x: WideTensor) => WideTensor {
  // own keys only: 'toString' or 'constructor' from a JS caller must not find Object's members
  const f = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!f) throw new RangeError(`unknown activation '${String(name)}'; one of ${Object.keys(table).join(', ')}`);
  return f;
}

/** The untyped twins (op cores, same defaults: leakyRelu alpha 0.2, elu alpha 1), for layer internals. */
const rawTable: Record<ActivationName, (x: AnyTensor) => AnyTensor> = {
  linear: (x) => x,
  relu: reluRaw,
  sigmoid: sigmoidRaw,
  tanh: tanhRaw,
  softmax: (x) => softmaxRaw(x),
  logSoftmax: (x) => logSoftmaxRaw(x),
  gelu: geluRaw,
  elu: (x) => bind1(eluP, [x], { alpha: 1 }),
  leakyRelu: (x) => bind1(leakyReluP, [x], { alpha: 0.2 }),
  softplus: softplusRaw,
};

/** `activationFn` on untyped tensors: what layer internals call. */
export function activationRaw(name: ActivationName): (x: AnyTensor) => AnyTensor {
  const f = Object.hasOwn(rawTable, name) ? rawTable[name] : undefined;
  if (!f) throw new RangeError(`unknown activation '${String(name)}'; one of ${Object.keys(rawTable).join(', ')}`);
  return f;
}
