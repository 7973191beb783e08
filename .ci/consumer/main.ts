// A consumer of the packed package, type-checked by .ci/consumer.mjs under every resolution
// mode and TypeScript version of the matrix (strict, skipLibCheck false). It touches each
// entry point and namespace, asserts exact types (so an `any` from a broken declaration
// fails), and expects the shape errors the package promises (so do the @ts-expect-errors).
import { matmul, randomNormal, key, random, nn, optim, io, data, valueAndGrad, tensor, type Scalar, type Tensor, type Key } from 'shapeflow';
import { arbShape, arbTensor, arbTensorFor, arbTensorsLike, checkGrads } from 'shapeflow/testing';
import type { Arbitrary } from 'fast-check';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const exact = <A, B>(_: Equal<A, B>): void => undefined;

const [k1, k2, k3]: [Key, Key, Key] = random.split(key(0), 3);
const k4: random.Key = random.foldIn(k1, 7);
const x = randomNormal(k2, [32, 784]);
const w = randomNormal(k3, [784, 128]);
const h = matmul(x, w);
exact<typeof h, Tensor<[32, 128], 'float32'>>(true);
// @ts-expect-error matmul: inner dims differ (784 vs 10)
matmul(x, randomNormal(k4, [10, 10]));

const model = nn.sequential(['batch', 784], nn.dense(128, { activation: 'relu' }), nn.dense(10));
const params = model.init(k1);
exact<typeof params[0]['kernel'], Tensor<[784, 128], 'float32'>>(true);
const logits = model.apply(params, x);
exact<typeof logits, Tensor<[32, 10], 'float32'>>(true);
// @ts-expect-error dense: the model takes 784 features
model.apply(params, randomNormal(k4, [32, 785]));

const labels = tensor([[1, 2, 3]], 'int32');
void labels;
const opt = optim.adam({ learningRate: 1e-3 });
const state = opt.init(params);
const step = valueAndGrad((p: typeof params) => nn.mse(model.apply(p, x), randomNormal(k4, [32, 10])));
const [loss, grads] = step(params);
exact<typeof loss, Scalar>(true);
const [updates, next] = opt.update(grads, state, params);
const params2: typeof params = optim.applyUpdates(params, updates);
void next;

const bytes: Uint8Array = io.saveSafetensors(params2, { model: 'mlp' });
const back = io.loadSafetensors(bytes, params);
if (back._tag === 'Right') exact<typeof back.right, typeof params>(true);
const scaler = new data.MinMaxScaler();
void scaler;
checkGrads((a: Tensor<[2, 2]>) => matmul(a, a), [randomNormal(k4, [2, 2])]);
void arbShape({ maxRank: 2 });
const a23 = arbTensor([2, 3]);
// typed tensor arbitraries: exact tensor types, no casts
exact<typeof a23, Arbitrary<Tensor<[2, 3], 'float32'>>>(true);
exact<ReturnType<typeof arbTensorFor<{ w: [3, 4]; b: [4] }>>, Arbitrary<{ w: Tensor<[3, 4], 'float32'>; b: Tensor<[4], 'float32'> }>>(true);
exact<ReturnType<typeof arbTensorsLike<typeof params>>, Arbitrary<typeof params>>(true);
