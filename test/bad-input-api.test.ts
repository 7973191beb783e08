/**
 * The public API called from plain JavaScript (types bypassed with `any`): every op and
 * optimizer with non-tensor operands and wrong option values. Each case must throw a library
 * error (ShapeError or a subclass; RangeError for optimizer hyper-parameters, as documented)
 * whose message names the op — never a TypeError from internals, never a result.
 */
import { describe, expect, it } from 'vitest';
import * as ops from '../src/ops';
import { ShapeError } from '../src/shape/dims';
import { zeros, ones, tensor } from '../src/tensor/create';
import { key } from '../src/random';
import { adam, adamw, rmsprop, sgd, chain, clipByGlobalNorm, scale, addDecayedWeights, applyUpdates } from '../src/optim';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const o = ops as any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const js = (f: unknown) => f as (...args: any[]) => any;

const v = zeros([3]);
const m = zeros([2, 3]);
const m34 = zeros([3, 4]);
const img = zeros([1, 5, 5, 1]);
const filt = zeros([3, 3, 1, 1]);
const seq = zeros([1, 6, 2]);
const filt1 = zeros([3, 2, 1]);
const ids = tensor([[1, 2, 0]], 'int32');
const q = zeros([1, 2, 4]);

/** Non-tensor values a JavaScript caller might pass where a tensor goes. */
const NOT_TENSORS: readonly unknown[] = [null, undefined, 5, 'x', {}, [1, 2], { shape: [3], dtype: 'float32' }];

const ELEMENTWISE = new Set(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual']);

/** [op name, a call with `bad` in one operand position] */
type Case = readonly [op: string, arg: string, call: (bad: unknown) => unknown];

const OPERAND_CASES: readonly Case[] = [
  ...['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'].flatMap(
    (n): Case[] => [
      [n, 'a', (b) => o[n](b, v)],
      [n, 'b', (b) => o[n](v, b)],
    ],
  ),
  ...['neg', 'abs', 'exp', 'log', 'sqrt', 'square', 'sin', 'cos', 'sigmoid', 'tanh', 'relu', 'gelu', 'softplus', 'softmax', 'logSoftmax', 'logSumExp', 'leakyRelu', 'elu'].flatMap((n): Case[] => (n in o ? [[n, 'x', (b) => o[n](b)]] : [])),
  ...['sum', 'mean', 'max', 'min', 'prod', 'variance', 'norm', 'argmax', 'argmin', 'flatten', 'squeeze', 'transpose', 'globalMaxPool2d', 'globalAvgPool2d', 'globalMaxPool1d', 'globalAvgPool1d', 'maxPool2d', 'avgPool2d', 'maxPool1d', 'avgPool1d'].map(
    (n): Case => [n, 'x', (b) => o[n](b)],
  ),
  ['matmul', 'a', (b) => o.matmul(b, m34)],
  ['matmul', 'b', (b) => o.matmul(m, b)],
  ['dot', 'a', (b) => o.dot(b, v)],
  ['dot', 'b', (b) => o.dot(v, b)],
  ['outer', 'a', (b) => o.outer(b, v)],
  ['outer', 'b', (b) => o.outer(v, b)],
  ['reshape', 'x', (b) => o.reshape(b, [6])],
  ['broadcastTo', 'x', (b) => o.broadcastTo(b, [2, 3])],
  ['unsqueeze', 'x', (b) => o.unsqueeze(b, 0)],
  // expandDims is an alias of unsqueeze (as take is of gather) and reports as unsqueeze
  ['unsqueeze', 'x', (b) => o.expandDims(b, 0)],
  ['splitDim', 'x', (b) => o.splitDim(b, 0, 1)],
  ['mergeDims', 'x', (b) => o.mergeDims(b, 0)],
  ['concat', 'xs', (b) => o.concat([v, b])],
  ['stack', 'xs', (b) => o.stack([v, b])],
  ['unstack', 'x', (b) => o.unstack(b)],
  ['split', 'x', (b) => o.split(b, 3)],
  ['slice', 'x', (b) => o.slice(b, [0])],
  ['stridedSlice', 'x', (b) => o.stridedSlice(b, [0], [3], [1])],
  ['pad', 'x', (b) => o.pad(b, [[1, 1]])],
  ['tile', 'x', (b) => o.tile(b, [2])],
  ['repeat', 'x', (b) => o.repeat(b, 2, 0)],
  ['gather', 'x', (b) => o.gather(b, tensor([0], 'int32'))],
  ['gather', 'indices', (b) => o.gather(v, b)],
  ['oneHot', 'indices', (b) => o.oneHot(b, 3)],
  ['where', 'cond', (b) => o.where(b, v, v)],
  ['where', 'a', (b) => o.where(o.greater(v, 0), b, v)],
  ['clip', 'x', (b) => o.clip(b, 0, 1)],
  ['cast', 'x', (b) => o.cast(b, 'int32')],
  ['logicalNot', 'a', (b) => o.logicalNot(b)],
  ['logicalAnd', 'a', (b) => o.logicalAnd(b, o.greater(v, 0))],
  ['conv2d', 'x', (b) => o.conv2d(b, filt)],
  ['conv2d', 'filter', (b) => o.conv2d(img, b)],
  ['conv1d', 'x', (b) => o.conv1d(b, filt1)],
  ['conv1d', 'filter', (b) => o.conv1d(seq, b)],
  ['paddingMask', 'ids', (b) => o.paddingMask(b)],
  ['scaledDotProductAttention', 'q', (b) => o.scaledDotProductAttention(b, q, q)],
  ['scaledDotProductAttention', 'k', (b) => o.scaledDotProductAttention(q, b, q)],
  ['scaledDotProductAttention', 'v', (b) => o.scaledDotProductAttention(q, q, b)],
  ['layerNorm', 'x', (b) => o.layerNorm(b, null, null)],
  ['layerNorm', 'gamma', (b) => o.layerNorm(m, b ?? 0, null)],
  ['batchNorm', 'x', (b) => o.batchNorm(b, v, v, null, null)],
  ['batchNorm', 'mean', (b) => o.batchNorm(m, b, v, null, null)],
  ['dropout', 'x', (b) => o.dropout(b, key(0), 0.5)],
];

/** [op name, a call with a wrong option value] */
const OPTION_CASES: readonly (readonly [string, () => unknown])[] = [
  ['conv2d', () => o.conv2d(img, filt, { padding: 'bogus' })],
  ['conv2d', () => o.conv2d(img, filt, { padding: ['same', 'bogus'] })],
  ['conv2d', () => o.conv2d(img, filt, { dilation: 1.5 })],
  ['conv2d', () => o.conv2d(img, filt, { dilations: 2 })],
  ['conv2d', () => o.conv2d(img, filt, { strides: 0 })],
  ['conv2d', () => o.conv2d(img, filt, { strides: [1, 1.5] })],
  ['conv2d', () => o.conv2d(img, filt, { strides: '2' })],
  ['conv2d', () => o.conv2d(img, filt, { strides: [1] })],
  ['conv2d', () => o.conv2d(img, filt, { padding: -1 })],
  ['conv2d', () => o.conv2d(img, filt, 'same')],
  ['conv1d', () => o.conv1d(seq, filt1, { padding: 'bogus' })],
  ['conv1d', () => o.conv1d(seq, filt1, { dilation: 0.5 })],
  ['conv1d', () => o.conv1d(seq, filt1, { strides: NaN })],
  ['conv1d', () => o.conv1d(seq, filt1, { stride: 2 })],
  ['maxPool2d', () => o.maxPool2d(img, { padding: 'causal' })],
  ['maxPool2d', () => o.maxPool2d(img, { poolSize: 2.5 })],
  ['avgPool2d', () => o.avgPool2d(img, { strides: -1 })],
  ['avgPool2d', () => o.avgPool2d(img, { pool: 2 })],
  ['maxPool1d', () => o.maxPool1d(seq, { padding: 'bogus' })],
  ['avgPool1d', () => o.avgPool1d(seq, { poolSize: 'x' })],
  ['matmul', () => o.matmul(m, m34, { transposeA: 'yes' })],
  ['matmul', () => o.matmul(m, m34, { transpose: true })],
  ['reshape', () => o.reshape(m, [6, null])],
  ['reshape', () => o.reshape(m, [2.5, 2])],
  ['reshape', () => o.reshape(m, 'x')],
  ['reshape', () => o.reshape(m, [6, 'x'])],
  ['reshape', () => o.reshape(m, [NaN])],
  ['sum', () => o.sum(m, 1.5)],
  ['sum', () => o.sum(m, 'x')],
  ['sum', () => o.sum(m, 5)],
  ['mean', () => o.mean(m, [0, null])],
  ['max', () => o.max(m, {})],
  ['softmax', () => o.softmax(m, 0.5)],
  ['argmax', () => o.argmax(m, 'x')],
  ['transpose', () => o.transpose(m, [0, 0])],
  ['transpose', () => o.transpose(m, 'x')],
  ['concat', () => o.concat([v, v], 0.5)],
  ['concat', () => o.concat(v)],
  ['stack', () => o.stack([v, v], 'x')],
  ['slice', () => o.slice(m, [0, 0.5])],
  ['slice', () => o.slice(m, 'x')],
  ['pad', () => o.pad(m, [[1, -1], [0, 0]])],
  ['pad', () => o.pad(m, 5)],
  ['tile', () => o.tile(m, [1, 1.5])],
  ['repeat', () => o.repeat(m, 1.5, 0)],
  ['split', () => o.split(v, 2)],
  ['split', () => o.split(v, 'x')],
  ['squeeze', () => o.squeeze(m, 0.5)],
  ['unsqueeze', () => o.unsqueeze(m, 'x')],
  ['gather', () => o.gather(v, tensor([0], 'int32'), 0.5)],
  ['gather', () => o.gather(v, tensor([0]))],
  ['oneHot', () => o.oneHot(tensor([0], 'int32'), 2.5)],
  ['oneHot', () => o.oneHot(tensor([0], 'int32'), -1)],
  ['cast', () => o.cast(v, 'float64')],
  ['clip', () => o.clip(v, 'a', 1)],
  ['leakyRelu', () => o.leakyRelu(v, 'x')],
  ['layerNorm', () => o.layerNorm(m, null, null, { epsilon: -1 })],
  ['layerNorm', () => o.layerNorm(m, null, null, { axis: 0.5 })],
  ['layerNorm', () => o.layerNorm(m, null, null, { eps: 1 })],
  ['batchNorm', () => o.batchNorm(m, v, v, null, null, { epsilon: 'x' })],
  ['dropout', () => o.dropout(v, key(0), 1.5)],
  ['dropout', () => o.dropout(v, key(0), 0.5, { trainng: true })],
  ['dropout', () => o.dropout(v, 'key', 0.5)],
  ['paddingMask', () => o.paddingMask(ids, 0.5)],
  ['paddingMask', () => o.paddingMask(ids, 0, { heads: 'no' })],
  ['causalMask', () => o.causalMask(-1)],
  ['causalMask', () => o.causalMask(2.5)],
  ['scaledDotProductAttention', () => o.scaledDotProductAttention(q, q, q, null, { returnWeights: 'yes' })],
  ['scaledDotProductAttention', () => o.scaledDotProductAttention(q, q, q, 5)],
];

const params = { w: zeros([3, 4]) };
const OPTIMIZER_CASES: readonly (readonly [string, () => unknown])[] = [
  ['sgd', () => js(sgd)({ learningRate: 'fast' })],
  ['sgd', () => js(sgd)({ learningRate: 0.1, momentum: -1 })],
  ['sgd', () => js(sgd)({ learningRate: 0.1, nesterov: true })],
  ['sgd', () => js(sgd)({ learningRate: 0.1, momentm: 0.9 })],
  ['sgd', () => js(sgd)()],
  ['adam', () => js(adam)({ learningRate: 0.1, beta1: 1.5 })],
  ['adam', () => js(adam)({ learningRate: 0.1, beta2: 'x' })],
  ['adam', () => js(adam)({ learningRate: 0.1, epsilon: -1 })],
  ['adam', () => js(adam)({ lr: 0.1 })],
  ['adamw', () => js(adamw)({ learningRate: 0.1, weightDecay: -1 })],
  ['adamw', () => js(adamw)({ learningRate: 0.1, decayMask: 5 })],
  ['rmsprop', () => js(rmsprop)({ learningRate: 0.1, decay: 2 })],
  ['rmsprop', () => js(rmsprop)({ learningRate: 0.1, centered: 'yes' })],
  ['clipByGlobalNorm', () => js(clipByGlobalNorm)(-1)],
  ['clipByGlobalNorm', () => js(clipByGlobalNorm)('1')],
  ['scale', () => js(scale)('x')],
  ['addDecayedWeights', () => js(addDecayedWeights)('x')],
  ['chain', () => js(chain)(sgd({ learningRate: 1 }), 5)],
  ['sgd.update', () => sgd({ learningRate: 0.1 }).update({ w: zeros([4, 3]) } as never, sgd({ learningRate: 0.1 }).init(params), params as never)],
  ['adam.update', () => adam({ learningRate: 0.1 }).update(params, null as never)],
  ['adam.update', () => adam({ learningRate: 0.1 }).update({ w: zeros([3, 4], 'int32') } as never, adam({ learningRate: 0.1 }).init(params))],
  ['adam.update', () => adam({ learningRate: 0.1 }).update({ w: [1, 2] } as never, adam({ learningRate: 0.1 }).init(params))],
  ['optim.applyUpdates', () => applyUpdates(params, { w: ones([1]) } as never)],
  ['optim.applyUpdates', () => applyUpdates([{}] as never, [{ w: v }] as never)],
];

/**
 * Option and axis errors carry the words of the type rule they twin, whose rule name is the op
 * family ('pool2d: window must be >= 1', 'reduce: axis out of range'), so the message names
 * the family; operand errors name the op itself.
 */
const FAMILY: Readonly<Record<string, string>> = {
  maxPool2d: 'pool2d', avgPool2d: 'pool2d', maxPool1d: 'pool1d', avgPool1d: 'pool1d',
  mean: 'reduce', max: 'reduce', min: 'reduce', prod: 'reduce', norm: 'reduce', variance: 'reduce', sum: 'reduce',
};

function expectLibraryError(op: string, call: () => unknown, family = false): void {
  let error: unknown = undefined;
  let result: unknown = undefined;
  try {
    result = call();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`${op}: expected a library error, got a result (${String(result)})`);
  // ShapeError (and its ArgumentError / TreeMismatchError) everywhere; a RangeError naming the
  // op is the documented error of numeric hyper-parameters and rates (e.g. dropout's rate)
  const ok = error instanceof ShapeError || (error instanceof RangeError && (error as Error).message.startsWith(`${op.split('.')[0]!}:`));
  if (!ok) throw new Error(`${op}: expected a ShapeError, got ${(error as Error).name}: ${(error as Error).message}`);
  const message = (error as Error).message;
  const names = [op, op.split('.')[0]!, ...(family && Object.hasOwn(FAMILY, op) ? [FAMILY[op]!] : [])];
  expect(names.some((n) => message.startsWith(`${n}:`) || message.startsWith(`${n}.`)), message).toBe(true);
}

let tried = 0;
describe('non-tensor operands name the op and the argument', () => {
  for (const [op, arg, call] of OPERAND_CASES) {
    it(`${op}: ${arg}`, () => {
      for (const bad of NOT_TENSORS) {
        // a number is a valid operand of the element-wise ops (a scalar); undefined is "no
        // gamma / mask" where the argument is optional
        if (typeof bad === 'number' && (ELEMENTWISE.has(op) || (op === 'where' && arg !== 'cond'))) continue;
        if (bad === undefined && ((op === 'layerNorm' && arg === 'gamma') || op === 'scaledDotProductAttention')) continue;
        tried++;
        expectLibraryError(op, () => call(bad));
      }
    });
  }
});

describe('wrong option values name the op', () => {
  for (const [op, call] of OPTION_CASES) {
    it(`${op}: ${call.toString().replace(/^\(\) => /, '').slice(0, 90)}`, () => {
      tried++;
      expectLibraryError(op, call, true);
    });
  }
});

describe('optimizers: wrong hyper-parameters and mismatched trees', () => {
  for (const [op, call] of OPTIMIZER_CASES) {
    it(`${op}: ${call.toString().replace(/^\(\) => /, '').slice(0, 90)}`, () => {
      tried++;
      expectLibraryError(op, call);
    });
  }
  it('counts', () => {
    // eslint-disable-next-line no-console
    console.log(`bad-input cases tried: ${tried} (${OPERAND_CASES.length} operand positions x ${NOT_TENSORS.length} values, ${OPTION_CASES.length} option cases, ${OPTIMIZER_CASES.length} optimizer cases)`);
    expect(tried).toBeGreaterThan(500);
  });
});
