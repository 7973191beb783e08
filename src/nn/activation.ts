/** Activation functions by name, as Keras layers take them (`dense(10, { activation: 'relu' })`). */
import type { Dim } from '../shape/dims';
import type { Tensor } from '../tensor/tensor';
import { elu, gelu, leakyRelu, relu, sigmoid, softmax, softplus, tanh, logSoftmax } from '../ops/activations';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'gelu' | 'elu' | 'leakyRelu' | 'softplus';

type T = Tensor<Dim[]>;
const table: Record<ActivationName, (x: T) => T> = {
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

export function activationFn(name: ActivationName): (x: T) => T {
  // own keys only: 'toString' or 'constructor' from a JS caller must not find Object's members
  const f = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!f) throw new RangeError(`unknown activation '${String(name)}'; one of ${Object.keys(table).join(', ')}`);
  return f;
}
