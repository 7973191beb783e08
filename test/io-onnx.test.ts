import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { exportOnnx, ONNX_SUPPORTED_PRIMITIVES, type OnnxInput } from '../src/io/onnx';
import { sequential } from '../src/nn/sequential';
import { dense, flatten } from '../src/nn/layers/core';
import { conv1d, conv2d, globalAvgPool1d, globalMaxPool1d, maxPool2d, avgPool2d } from '../src/nn/layers/conv';
import { embedding } from '../src/nn/layers/embedding';
import { textCnnBlock } from '../src/nn/layers/combinators';
import { gru, gruScan, lstm, lstmScan, simpleRnn } from '../src/nn/layers/recurrent';
import { initLayer } from '../src/nn/layer';
import { batchNormalization, layerNormalization } from '../src/nn/layers/norm';
import { grad } from '../src/autodiff/transforms';
import { transformerEncoderLayer } from '../src/nn/layers/transformer';
import { sinusoidalPositionalEncoding } from '../src/nn/layers/positional';
import { key, normalArray, randintArray, split, type Key } from '../src/random';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { zeros } from '../src/tensor/create';
import type { DType } from '../src/tensor/dtype';
import * as ops from '../src/ops';
import { scatterAddRaw } from '../src/ops/layout';

type AnyT = Tensor<any, any>;

function input(k: Key, shape: number[], dtype: DType = 'float32', hi = 10): AnyT {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32') return makeTensor(shape, 'int32', randintArray(k, n, 0, hi));
  return makeTensor(shape, 'float32', normalArray(k, n));
}

const ortTensor = (t: AnyT) => new ort.Tensor(t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : 'float32', t.dtype === 'bool' ? Array.from(t.dataSync(), (v) => v !== 0) : t.dataSync(), [...t.shape]);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(Number(actual[i]) - Number(expected[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${what}: max abs error at index ${at} (${actual[at]} vs ${expected[at]})`).toBeLessThanOrEqual(atol);
}

/**
 * Export once, then for each concrete input set run ours and onnxruntime and compare every
 * output (the same session serves every size: that is what proves the dims are dynamic).
 */
async function checkModel(bytes: Uint8Array, specs: readonly OnnxInput[], ours: (...xs: AnyT[]) => AnyT | readonly AnyT[], cases: readonly (readonly AnyT[])[], atol = 1e-4): Promise<void> {
  const session = await ort.InferenceSession.create(bytes);
  for (const xs of cases) {
    const feeds: Record<string, ort.Tensor> = {};
    specs.forEach((s, i) => (feeds[s.name] = ortTensor(xs[i]!)));
    const res = await session.run(feeds);
    const want = ours(...xs);
    const wantList = Array.isArray(want) ? (want as readonly AnyT[]) : [want as AnyT];
    expect(session.outputNames.length).toBe(wantList.length);
    session.outputNames.forEach((name, i) => {
      const got = res[name]!;
      const w = wantList[i]!;
      const size = `[${xs.map((x) => x.shape.join('x')).join(', ')}]`;
      expect([...got.dims], `${name} dims at ${size}`).toEqual([...w.shape]);
      const gotData = got.type === 'bool' ? Array.from(got.data as ArrayLike<unknown>, (v) => (v ? 1 : 0)) : (got.data as ArrayLike<number>);
      expectClose(gotData, w.dataSync(), atol, `${name} at ${size}`);
    });
  }
}

/** the decoded graph (the onnx-proto package reads our bytes back with the official schema) */
function graphOf(bytes: Uint8Array): onnx.GraphProto {
  const g = onnx.ModelProto.decode(bytes).graph;
  if (!g) throw new Error('no graph');
  return g as onnx.GraphProto;
}
const opTypes = (bytes: Uint8Array) => graphOf(bytes).node.map((n) => n.opType);
/** dims of a graph input / output: numbers or dim_param names */
const ioDims = (v: onnx.IValueInfoProto | undefined) => (v?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));

// ---------------------------------------------------------------- models

describe('exportOnnx: models in onnxruntime', () => {
  it('MLP: dynamic batch, params as initializers named by key path', async () => {
    const model = sequential(['batch', 8], dense(16, { activation: 'relu' }), dense(12, { activation: 'tanh' }), dense(4, { activation: 'softmax' }));
    const params = model.init(key(1));
    const specs = [{ name: 'x', shape: ['batch', 8] }] as const;
    const bytes = exportOnnx((p: typeof params, x) => model.apply(p, x), specs, params);
    expect(Number(onnx.ModelProto.decode(bytes).opsetImport[0]!.version)).toBe(17);
    const g = graphOf(bytes);
    expect(g.initializer.map((t) => t.name)).toEqual(expect.arrayContaining(['0.kernel', '0.bias', '2.kernel']));
    expect(ioDims(g.input[0])).toEqual(['batch', 8]);
    expect(ioDims(g.output[0])).toEqual(['batch', 4]);
    const [k1, k2] = split(key(2));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [3, 8])], [input(k2!, [10, 8])]]);
  });

  it('CNN: conv2d (same, strided), pools, flatten, dense, NHWC ↔ NCHW', async () => {
    const model = sequential(
      ['batch', 12, 12, 2],
      conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      batchNormalization(),
      maxPool2d(),
      conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same' }),
      avgPool2d({ poolSize: 2, strides: 1, padding: 'same' }),
      flatten(),
      dense(3),
    );
    const params = model.init(key(3));
    const specs = [{ name: 'image', shape: ['batch', 12, 12, 2] }] as const;
    const bytes = exportOnnx((p: typeof params, x) => model.apply(p, x), specs, params);
    const [k1, k2] = split(key(4));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 12, 12, 2])], [input(k2!, [5, 12, 12, 2])]]);
  });

  it('CNN with a dynamic image size: strided "same" conv becomes auto_pad SAME_UPPER', async () => {
    const model = sequential(['batch', 'h', 'w', 1], conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), conv2d({ filters: 2, kernelSize: 2 }));
    const params = model.init(key(5));
    const specs = [{ name: 'x', shape: ['batch', 'h', 'w', 1] }] as const;
    const bytes = exportOnnx((p: typeof params, x) => model.apply(p, x), specs, params);
    const convs = graphOf(bytes).node.filter((n) => n.opType === 'Conv');
    const autoPad = (n: onnx.INodeProto | undefined) => new TextDecoder().decode(n?.attribute?.find((a) => a.name === 'auto_pad')?.s ?? new Uint8Array());
    expect(convs.map(autoPad)).toEqual(['SAME_UPPER', '']);
    const [k1, k2] = split(key(6));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 9, 8, 1])], [input(k2!, [3, 14, 11, 1])]]);
  });

  it('TextCNN: embedding → conv1d → global max pool → dense, dynamic batch and sequence', async () => {
    const model = sequential(['batch', 'seq'], embedding(50, 8), conv1d({ filters: 6, kernelSize: 3, activation: 'relu' }), globalMaxPool1d(), dense(3));
    const params = model.init(key(7));
    const specs = [{ name: 'ids', shape: ['batch', 'seq'], dtype: 'int32' }] as const;
    const bytes = exportOnnx((p: typeof params, ids) => model.apply(p, ids), specs, params);
    expect(opTypes(bytes)).toEqual(expect.arrayContaining(['Gather', 'Conv', 'GlobalMaxPool', 'MatMul']));
    const [k1, k2] = split(key(8));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 9], 'int32', 50)], [input(k2!, [5, 17], 'int32', 50)]]);
  });

  it('TextCNN block (parallel kernel sizes, concat) and a global average pool', async () => {
    const model = sequential(['batch', 'seq'], embedding(30, 6), textCnnBlock({ filters: 4, kernelSizes: [2, 3] }), dense(2));
    const params = model.init(key(9));
    const specs = [{ name: 'ids', shape: ['batch', 'seq'], dtype: 'int32' }] as const;
    const bytes = exportOnnx((p: typeof params, ids) => model.apply(p, ids), specs, params);
    const avgModel = sequential(['batch', 'seq', 3], conv1d({ filters: 4, kernelSize: 2, padding: 'causal' }), globalAvgPool1d());
    const avgParams = avgModel.init(key(10));
    const avgSpecs = [{ name: 'x', shape: ['batch', 'seq', 3] }] as const;
    const avgBytes = exportOnnx((p: typeof avgParams, x) => avgModel.apply(p, x), avgSpecs, avgParams);
    const [k1, k2, k3, k4] = split(key(11), 4);
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [3, 6], 'int32', 30)], [input(k2!, [1, 11], 'int32', 30)]]);
    // mean over the dynamic length: its 1/n constant is rebuilt from the run-time shape
    await checkModel(avgBytes, avgSpecs, (x) => avgModel.apply(avgParams, x as never), [[input(k3!, [2, 5, 3])], [input(k4!, [4, 9, 3])]]);
  });

  it('LSTM (fused primitive → ONNX LSTM): stacked, returnSequences, dynamic batch and time', async () => {
    const model = sequential(['batch', 'time', 3], lstm(6, { returnSequences: true }), lstm(5), dense(2));
    const params = model.init(key(12));
    const specs = [{ name: 'x', shape: ['batch', 'time', 3] }] as const;
    const bytes = exportOnnx((p: typeof params, x) => model.apply(p, x), specs, params);
    expect(opTypes(bytes).filter((o) => o === 'LSTM')).toHaveLength(2);
    const [k1, k2] = split(key(13));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 7, 3])], [input(k2!, [4, 12, 3])]]);
  });

  it('GRU (resetAfter true and false) and SimpleRNN (relu) → ONNX GRU / RNN', async () => {
    const model = sequential(['batch', 'time', 4], gru(5, { returnSequences: true }), gru(4, { returnSequences: true, resetAfter: false }), simpleRnn(3, { activation: 'relu' }));
    const params = model.init(key(14));
    const specs = [{ name: 'x', shape: ['batch', 'time', 4] }] as const;
    const bytes = exportOnnx((p: typeof params, x) => model.apply(p, x), specs, params);
    expect(opTypes(bytes)).toEqual(expect.arrayContaining(['GRU', 'RNN']));
    const [k1, k2] = split(key(15));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 6, 4])], [input(k2!, [3, 10, 4])]]);
  });

  it('lstmScan / gruScan with initial states as inputs and final states as outputs (linear activation → Affine)', async () => {
    const lp = initLayer(lstm(4), key(28), [1, 1, 3]);
    const gp = initLayer(gru(4, { resetAfter: false }), key(29), [1, 1, 3]);
    const f = (x: AnyT, h: AnyT, c: AnyT) => {
      const l = lstmScan(lp, x as never, [h, c] as never, { activation: 'linear' });
      const g = gruScan(gp as never, x as never, [h] as never, { resetAfter: false });
      return [l.outputs, l.state[0], l.state[1], g.outputs, g.state[0]] as AnyT[];
    };
    const specs = [{ name: 'x', shape: ['b', 't', 3] }, { name: 'h', shape: ['b', 4] }, { name: 'c', shape: ['b', 4] }] as const;
    const bytes = exportOnnx(f, specs);
    const [k1, k2, k3, k4, k5, k6] = split(key(30), 6);
    await checkModel(bytes, specs, (x, h, c) => f(x!, h!, c!), [[input(k1!, [2, 5, 3]), input(k2!, [2, 4]), input(k3!, [2, 4])], [input(k4!, [3, 8, 3]), input(k5!, [3, 4]), input(k6!, [3, 4])]]);
  });

  it("LSTM with implementation: 'ops' exports with a static time dim, and refuses a dynamic one", async () => {
    const model = sequential(['batch', 5, 3], lstm(4, { implementation: 'ops' }), dense(2));
    const params = model.init(key(16));
    const specs = [{ name: 'x', shape: ['batch', 5, 3] }] as const;
    const bytes = exportOnnx((p: typeof params, x) => model.apply(p, x), specs, params);
    expect(opTypes(bytes)).not.toContain('LSTM');
    const [k1, k2] = split(key(17));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 5, 3])], [input(k2!, [6, 5, 3])]]);
    const dyn = sequential(['batch', 'time', 3], lstm(4, { implementation: 'ops' }));
    const dynParams = dyn.init(key(18));
    expect(() => exportOnnx((p: typeof dynParams, x) => dyn.apply(p, x), [{ name: 'x', shape: ['batch', 'time', 3] }], dynParams)).toThrow(/not shape-polymorphic/);
  });

  it('Transformer encoder layer with sinusoidal positions: dynamic batch and sequence', async () => {
    const model = sequential(['batch', 'seq', 16], sinusoidalPositionalEncoding(), transformerEncoderLayer({ numHeads: 2, ffDim: 32 }), layerNormalization());
    const params = model.init(key(19));
    const specs = [{ name: 'x', shape: ['batch', 'seq', 16] }] as const;
    const f = (p: typeof params, x: AnyT) => model.apply(p, x);
    // the position table grows with seq: it is stored for up to maxSizes.seq positions
    expect(() => exportOnnx(f, specs, params)).toThrow(/constant of shape \[11, 16\] \(float32\) used by 'add' grows with the dynamic dims; give options.maxSizes/);
    const bytes = exportOnnx(f, specs, params, { maxSizes: { seq: 64 } });
    expect(opTypes(bytes).filter((o) => o === 'LayerNormalization')).toHaveLength(3);
    const [k1, k2] = split(key(20));
    await checkModel(bytes, specs, (x) => model.apply(params, x as never), [[input(k1!, [2, 6, 16])], [input(k2!, [3, 14, 16])]]);
  });
});

// ---------------------------------------------------------------- op coverage

describe('exportOnnx: primitives', () => {
  it('element-wise, comparisons, where / clip / cast, activations, reductions, softmax', async () => {
    const f = (x: AnyT, y: AnyT) => {
      const a = ops.add(ops.mul(x, y), ops.div(ops.sub(x, 1), ops.add(ops.square(y), 1)));
      const b = ops.where(ops.greater(x, y), ops.maximum(x, y), ops.minimum(ops.neg(x), ops.abs(y)));
      const c = ops.add(ops.exp(ops.clip(x, -3, 3)), ops.log(ops.add(ops.sqrt(ops.abs(y)), 1)));
      const d = ops.add(ops.rsqrt(ops.add(ops.square(x), 1)), ops.reciprocal(ops.add(ops.abs(y), 1)));
      const e = ops.add(ops.mul(ops.sign(x), ops.floor(y)), ops.add(ops.round(ops.mul(x, 3)), ops.pow(ops.add(ops.abs(x), 1), y)));
      const g = ops.add(ops.add(ops.sigmoid(x), ops.tanh(y)), ops.add(ops.relu(x), ops.gelu(y)));
      const h = ops.add(ops.add(ops.softplus(x), ops.leakyRelu(y, 0.1)), ops.add(ops.elu(x, 0.5), ops.add(ops.sin(x), ops.cos(y))));
      const m = ops.cast(ops.logicalOr(ops.lessEqual(x, 0), ops.equal(ops.cast(ops.cast(y, 'int32'), 'float32'), 0)), 'float32');
      const s = ops.add(ops.add(a, b), ops.add(ops.add(c, d), ops.add(ops.add(e, g), ops.add(h, m))));
      return [
        ops.softmax(s, -1),
        ops.logSoftmax(s, 0),
        ops.sum(s, [1], true),
        ops.mean(s, 0),
        ops.max(s, 1),
        ops.min(s, [0, 1]),
        ops.prod(ops.tanh(s), 1, true),
        ops.norm(s, 1),
        ops.logSumExp(s, 1),
        ops.argmax(s, 1),
        ops.argmin(s, 0),
        ops.variance(s, 1),
        ops.notEqual(ops.argmax(s, 1), 0),
      ] as const;
    };
    const specs = [{ name: 'x', shape: ['n', 6] }, { name: 'y', shape: [1, 6] }] as const;
    const bytes = exportOnnx(f, specs);
    const [k1, k2, k3] = split(key(21), 3);
    const y = input(k3!, [1, 6]);
    await checkModel(bytes, specs, (x, yy) => [...f(x!, yy!)], [[input(k1!, [4, 6]), y], [input(k2!, [9, 6]), y]], 2e-4);
  });

  it('layout: matmul with transposes, reshape, transpose, broadcastTo, concat, split, slices, pad, tile, gather, oneHot, layerNorm', async () => {
    const w = input(key(22), [5, 3]);
    const f = (x: AnyT, ids: AnyT) => {
      const xt = ops.matmul(x, w, { transposeB: false }); // [n, 4, 3]... x [n, 4, 5]
      const q = ops.matmul(xt, xt, { transposeA: true }); // [n, 3, 3]
      const r = ops.matmul(x, x, { transposeB: true }); // [n, 4, 4]
      const flat = ops.reshape(x, [-1, 5]); // [n·4, 5]
      const back = ops.reshape(ops.mul(flat, 2), [x.shape[0], 4, 5] as never);
      const tr = ops.transpose(back, [2, 0, 1]); // [5, n, 4]
      const bc = ops.broadcastTo(ops.reshape(ops.sum(x, [0, 1]), [1, 1, 5]), x.shape as never);
      const cat = ops.concat([x, bc], 2); // [n, 4, 10]
      const [p1, p2] = ops.split(cat, [3, 7] as never, 2) as unknown as [AnyT, AnyT];
      const strided = ops.stridedSlice(x, [0, 0, 1] as never, [x.shape[0], 4, 5] as never, [1, 2, 2] as never);
      const last = ops.slice(x, [0, 3, 0], [x.shape[0], 1, 5] as never); // the last row, counted from the end
      const pad = ops.pad(last, [[0, 0], [1, 2], [0, 1]] as never, -1);
      const tiled = ops.tile(p1, [1, 2, 1] as never);
      const emb = ops.gather(w, ids, 0); // [n, 2, 3]
      const oh = ops.oneHot(ids, 5);
      const ln = ops.layerNorm(cat, null, null, { epsilon: 1e-3 });
      return [q, r, tr, p2, strided, pad, tiled, emb, oh, ln] as const;
    };
    const specs = [{ name: 'x', shape: ['n', 4, 5] }, { name: 'ids', shape: ['n', 2], dtype: 'int32' }] as const;
    const bytes = exportOnnx(f as never, specs);
    const [k1, k2, k3, k4] = split(key(23), 4);
    await checkModel(bytes, specs, (x, ids) => [...f(x!, ids!)], [[input(k1!, [2, 4, 5]), input(k2!, [2, 2], 'int32', 5)], [input(k3!, [6, 4, 5]), input(k4!, [6, 2], 'int32', 5)]]);
  });

  it('bool inputs and outputs; a size that is a product of dynamic dims (read as batch·seq)', async () => {
    const f = (x: AnyT, m: AnyT) => {
      const kept = ops.where(m, ops.softmax(x, -1), 0);
      const total = ops.reshape(ops.sum(kept), [1]);
      return [kept, ops.broadcastTo(total, [x.shape[0] * x.shape[1]] as never), ops.greater(kept, 0.2)] as const;
    };
    const specs = [{ name: 'x', shape: ['b', 's'] }, { name: 'm', shape: ['b', 's'], dtype: 'bool' }] as const;
    const bytes = exportOnnx(f, specs);
    const mask = (k: Key, shape: number[]) => makeTensor(shape, 'bool', Uint8Array.from(randintArray(k, shape[0]! * shape[1]!, 0, 2)));
    const [k1, k2, k3, k4] = split(key(25), 4);
    await checkModel(bytes, specs, (x, m) => [...f(x!, m!)], [[input(k1!, [2, 3]), mask(k2!, [2, 3])], [input(k3!, [4, 6]), mask(k4!, [4, 6])]]);
  });

  it('a gradient exports too: backward-pass primitives (relu step, gelu normal_cdf, broadcast sums)', async () => {
    const w = input(key(26), [4, 4]);
    const loss = (x: AnyT) => ops.sum(ops.mul(ops.gelu(ops.matmul(ops.relu(x), w)), ops.mean(x, 0, true)) as never) as Tensor<[]>;
    const g = (x: AnyT) => grad(loss)(x) as AnyT;
    const specs = [{ name: 'x', shape: ['batch', 4] }] as const;
    const bytes = exportOnnx(g, specs);
    expect(opTypes(bytes)).toEqual(expect.arrayContaining(['Erf', 'Greater', 'Expand']));
    const [k1, k2] = split(key(27));
    await checkModel(bytes, specs, (x) => g(x!), [[input(k1!, [3, 4])], [input(k2!, [8, 4])]]);
  });

  it('a function without params, several named outputs, a constant output', async () => {
    const f = (x: AnyT) => ({ doubled: ops.mul(x, 2), same: x, k: ops.sum(ops.mul(zeros([2]), 1)) });
    const bytes = exportOnnx(f, [{ name: 'x', shape: [3] }], undefined, { outputNames: ['doubled', 'same', 'k'] });
    const s = await ort.InferenceSession.create(bytes);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]) });
    expect([...(r['doubled']!.data as Float32Array)]).toEqual([2, 4, 6]);
    expect([...(r['same']!.data as Float32Array)]).toEqual([1, 2, 3]);
    expect([...(r['k']!.data as Float32Array)]).toEqual([0]);
  });
});

// ---------------------------------------------------------------- errors

describe('exportOnnx: errors', () => {
  it('an unsupported primitive is named', () => {
    const f = (x: AnyT) => scatterAddRaw(x as never, makeTensor([2], 'int32', Int32Array.of(0, 1)) as never, [3], 0);
    expect(() => exportOnnx(f, [{ name: 'x', shape: [2] }])).toThrow(/primitive 'scatter_add' has no ONNX mapping: it is a backward-pass primitive \(export the forward function, not its gradient\) \(supported: .*matmul/);
    expect(ONNX_SUPPORTED_PRIMITIVES).toEqual(expect.arrayContaining(['conv2d', 'recurrent_sequence', 'layer_normalize', 'reshape']));
  });

  it('a constant that grows with a dynamic dim needs maxSizes; one whose values change otherwise is refused', async () => {
    const f = (x: AnyT) => ops.where(ops.causalMask(x.shape[0]) as never, x, 0);
    expect(() => exportOnnx(f, [{ name: 'x', shape: ['seq', 'seq'] }])).toThrow(/constant of shape \[5, 5\] \(bool\) used by 'where' grows with the dynamic dims; give options.maxSizes/);
    expect(() => exportOnnx(f, [{ name: 'x', shape: ['seq', 'seq'] }], undefined, { maxSizes: { seq: 6 } })).toThrow(/must be an integer >= its trace sizes/);
    const specs = [{ name: 'x', shape: ['seq', 'seq'] }] as const;
    const bytes = exportOnnx(f, specs, undefined, { maxSizes: { seq: 32 } });
    const [k1, k2] = split(key(24));
    await checkModel(bytes, specs, (x) => f(x!), [[input(k1!, [3, 3])], [input(k2!, [20, 20])]]);
    const g = (x: AnyT) => ops.mul(x, makeTensor([x.shape[0]], 'float32', Float32Array.from({ length: x.shape[0] }, (_, i) => (x.shape[0] * 7 + i) % 5)));
    expect(() => exportOnnx(g, [{ name: 'x', shape: ['n'] }], undefined, { maxSizes: { n: 40 } })).toThrow(/depends on the dynamic dims \(its values, not just its size, change\)/);
  });

  it('bad input specs and trace sizes', () => {
    const f = (x: AnyT) => x;
    expect(() => exportOnnx(f, [{ name: '', shape: [1] }])).toThrow(/non-empty name/);
    expect(() => exportOnnx(f, [{ name: 'x', shape: [0] }])).toThrow(/invalid dim/);
    expect(() => exportOnnx(f, [{ name: 'x', shape: ['b'] }], undefined, { traceSizes: { b: [3, 3] } })).toThrow(/two different integers/);
    expect(() => exportOnnx(f, [{ name: 'x', shape: ['b'] }], undefined, { traceSizes: { c: [3, 4] } })).toThrow(/traceSizes.c names no dynamic dim/);
    expect(() => exportOnnx(f, [{ name: 'x', shape: [2], dtype: 'float64' as never }])).toThrow(/unknown dtype 'float64'/);
    expect(() => exportOnnx(f, [{ name: 'x', shape: [2] }, { name: 'x', shape: [2] }])).toThrow(/two inputs are named 'x'/);
  });
});
