/**
 * Op-level benchmark cases: the same computation on the same data in shapeflow and in
 * TensorFlow.js. A case builds its inputs once per library; `run` is one complete call
 * (tfjs: inside tidy, with the result read back by dataSync so the work has really finished).
 */
import * as tf from '@tensorflow/tfjs';
import type { Run } from './harness';
import { lazy, randArray } from './harness';
import type { Tensor } from '../src/tensor/tensor';
import { fromDataOrThrow } from '../src/tensor/create';
import { add, mul, neg, square, sub } from '../src/ops/elementwise';
import { reshape } from '../src/ops/reduce-core';
import { matmul, transpose } from '../src/ops/linalg';
import { einsum } from '../src/ops/einsum';
import { conv2d, maxPool2d } from '../src/ops/conv';
import { gelu, relu, sigmoid, softmax, tanh } from '../src/ops/activations';
import { jit } from '../src/autodiff/jit';
import { adam, applyUpdates, type GradientTransformation, type State } from '../src/optim';
import { treeCopy, treeLeaves } from '../src/autodiff/pytree';
import { valueAndGrad } from '../src/autodiff/transforms';
import { layerNorm } from '../src/ops/norm';
import { scaledDotProductAttention } from '../src/ops/attention';
import { exportOnnx, type OnnxInput } from '../src/io';

export type Lib = 'ours' | 'cpu' | 'wasm';

/** One library's side of a case, with its inputs already built. */
export interface Impl {
  /** one call, returning the output (training: the first steps' losses) for the cross-library check */
  first(): Float32Array | Promise<Float32Array>;
  /** one complete call, timed */
  readonly run: Run;
  dispose?(): void;
}

/**
 * A training step's Impl: `first` runs three steps and returns their losses (the cross-library
 * check), `run` one step; `dispose` frees what a tfjs side holds.
 */
export function stepImpl(step: () => number, dispose?: () => void): Impl {
  return { first: () => Float32Array.of(step(), step(), step()), run: () => void step(), ...(dispose ? { dispose } : {}) };
}

/**
 * Our training loop over fixed data: each call is one step — loss and gradient, the optimizer
 * update, the new params — and returns its loss. Jitted, the whole step is one plan with params
 * and state donated, as nn.fit runs it; it starts from copies, so `params0` stays usable.
 */
export function oursTrainStep<P, A extends unknown[]>(params0: P, opt: GradientTransformation, loss: (p: P, ...a: A) => Tensor<[]>, jitted: boolean, ...args: A): () => number {
  const whole = (p: P, s: State<P>, ...a: A) => {
    const [l, g] = valueAndGrad(loss)(p, ...a);
    const [u, next] = opt.update(g, s, p);
    return [applyUpdates(p, u), next, l] as const;
  };
  const step = jitted ? jit(whole, { donate: [0, 1] }) : whole;
  let params = treeCopy(params0);
  let state = opt.init(params);
  return () => {
    const [p, s, l] = step(params, state, ...args);
    params = p;
    state = s;
    return l.item();
  };
}

export interface BenchCase {
  readonly name: string;
  /** human-readable shapes, e.g. "[512,512]x[512,512]" */
  readonly shape: string;
  /** floating-point operations of one call, for GFLOP/s (only where the count is meaningful) */
  readonly flops?: number;
  readonly kind: 'op' | 'train';
  /** a short note for the table (what exactly is measured) */
  readonly note?: string;
  build(lib: Lib): Impl;
  /**
   * Our own reference computation for this case, timed in the same row as `baseline_ms` (on
   * our default backend): e.g. the batched gradient for per-example gradients by vmap.
   */
  readonly baseline?: { readonly note: string; build(): Impl };
  /**
   * For a case whose `ours` side is jitted: the same computation without jit, timed in the same
   * row as `ours_nojit_ms` (on our default backend).
   */
  readonly nojit?: { readonly note: string; build(): Impl };
  /**
   * The same computation for ONNX Runtime: our op function exported with src/io's exportOnnx
   * (so both run the graph the library itself would ship), with the case's input data.
   */
  onnx?(): OnnxGraph;
}

export interface OnnxFeed {
  readonly name: string;
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface OnnxGraph {
  readonly model: Uint8Array;
  readonly feeds: readonly OnnxFeed[];
  /** the output in our layout, for the cross-library check (not timed) */
  readonly toOurLayout?: (y: Float32Array) => Float32Array;
}

const onnxInputs = (feeds: readonly OnnxFeed[]): OnnxInput[] => feeds.map((f) => ({ name: f.name, shape: f.dims }));

/** export `fn`, its inputs in the order of `feeds` */
function onnxGraph(feeds: readonly OnnxFeed[], fn: (...xs: Tensor<any>[]) => Tensor<any>): OnnxGraph {
  return { model: exportOnnx(fn, onnxInputs(feeds)), feeds };
}

type Flat = Float32Array;
const t = <const S extends readonly number[]>(data: Flat, shape: S) => fromDataOrThrow(data, shape);

/** tfjs side of an op case: make the tensors, then one tidy'd call read back with dataSync. */
function tfImpl(make: () => tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor): Impl {
  const xs = make();
  // Read back outside tidy: tidy walks whatever its callback returns, and walking a large
  // typed array element by element costs seconds.
  const call = (): Float32Array => {
    const y = tf.tidy(() => op(...xs));
    const d = y.dataSync() as Float32Array;
    y.dispose();
    return d;
  };
  return {
    first: call,
    run: () => {
      call();
    },
    dispose: () => xs.forEach((x) => x.dispose()),
  };
}

/** our side of an op case; ours is synchronous: when the call returns the data exists. */
function oursImpl(op: () => Tensor<any>): Impl {
  return {
    first: () => op().dataSync() as Float32Array,
    run: () => {
      op();
    },
  };
}

// ---------------------------------------------------------------- matmul

function matmulCase(n: 128 | 256 | 512 | 1024): BenchCase {
  const data = lazy(() => ({ a: randArray(n * n, 1), b: randArray(n * n, 2) }));
  return {
    name: `matmul-${n}`,
    shape: `[${n},${n}]x[${n},${n}]`,
    flops: 2 * n * n * n,
    kind: 'op',
    build(lib) {
      const { a, b } = data();
      if (lib === 'ours') {
        const x = t(a, [n, n] as const);
        const y = t(b, [n, n] as const);
        return oursImpl(() => matmul(x, y));
      }
      return tfImpl(() => [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])], (x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D));
    },
    onnx() {
      const { a, b } = data();
      return onnxGraph([{ name: 'a', data: a, dims: [n, n] }, { name: 'b', data: b, dims: [n, n] }], (x, y) => matmul(x!, y!));
    },
  };
}

// ---------------------------------------------------------------- conv / pool

const conv2dCase: BenchCase = (() => {
  const data = lazy(() => ({ x: randArray(32 * 26 * 26 * 32, 3), f: randArray(3 * 3 * 32 * 64, 4, -0.1, 0.1) }));
  return {
    name: 'conv2d-b32-26x26x32-64',
    shape: 'x[32,26,26,32] f[3,3,32,64] valid s1',
    flops: 2 * 32 * 24 * 24 * 64 * 3 * 3 * 32,
    kind: 'op',
    build(lib) {
      const { x, f } = data();
      if (lib === 'ours') {
        const xt = t(x, [32, 26, 26, 32] as const);
        const ft = t(f, [3, 3, 32, 64] as const);
        return oursImpl(() => conv2d(xt, ft, { strides: 1, padding: 'valid' }));
      }
      return tfImpl(
        () => [tf.tensor4d(x, [32, 26, 26, 32]), tf.tensor4d(f, [3, 3, 32, 64])],
        (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'),
      );
    },
    // ORT's own layout: input NCHW (transposed once here) and the filter an initializer, so
    // the exporter's NHWC <-> NCHW Transposes cancel against these and ORT folds the filter's
    // (its optimised graph is ReorderInput, Conv, ReorderOutput): its conv kernel, no copies
    onnx() {
      const { x, f } = data();
      const feeds = [{ name: 'x', data: transpose(t(x, [32, 26, 26, 32] as const), [0, 3, 1, 2] as const).dataSync() as Float32Array, dims: [32, 32, 26, 26] }];
      const model = exportOnnx(
        (p: { f: Tensor<[3, 3, 32, 64]> }, xc) => transpose(conv2d(transpose(xc as Tensor<[32, 32, 26, 26]>, [0, 2, 3, 1] as const), p.f, { strides: 1, padding: 'valid' }), [0, 3, 1, 2] as const),
        onnxInputs(feeds),
        { f: t(f, [3, 3, 32, 64] as const) },
      );
      const toNhwc = (y: Float32Array) => transpose(t(y, [32, 64, 24, 24] as const), [0, 2, 3, 1] as const).dataSync() as Float32Array;
      return { model, feeds, toOurLayout: toNhwc };
    },
  };
})();

const maxPoolCase: BenchCase = (() => {
  const data = lazy(() => randArray(32 * 26 * 26 * 64, 5));
  return {
    name: 'maxpool2d-b32-26x26x64',
    shape: '[32,26,26,64] pool 2x2 s2',
    kind: 'op',
    build(lib) {
      const x = data();
      if (lib === 'ours') {
        const xt = t(x, [32, 26, 26, 64] as const);
        return oursImpl(() => maxPool2d(xt, { poolSize: 2, strides: 2 }));
      }
      return tfImpl(() => [tf.tensor4d(x, [32, 26, 26, 64])], (a) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'));
    },
  };
})();

// ---------------------------------------------------------------- softmax / layerNorm

const softmaxCase: BenchCase = (() => {
  const data = lazy(() => randArray(256 * 1024, 6, -4, 4));
  return {
    name: 'softmax-256x1024',
    shape: '[256,1024] axis -1',
    kind: 'op',
    build(lib) {
      const x = data();
      if (lib === 'ours') {
        const xt = t(x, [256, 1024] as const);
        return oursImpl(() => softmax(xt, -1));
      }
      return tfImpl(() => [tf.tensor2d(x, [256, 1024])], (a) => tf.softmax(a, -1));
    },
    onnx: () => onnxGraph([{ name: 'x', data: data(), dims: [256, 1024] }], (x) => softmax(x!, -1)),
  };
})();

const LN_EPS = 1e-3;
const layerNormCase: BenchCase = (() => {
  const data = lazy(() => ({ x: randArray(4096 * 256, 7, -2, 3), g: randArray(256, 8, 0.5, 1.5), b: randArray(256, 9, -0.5, 0.5) }));
  return {
    name: 'layernorm-4096x256',
    shape: '[4096,256] axis -1, gamma/beta [256]',
    kind: 'op',
    note: 'tfjs: moments, then (x − mean)·rsqrt(var + eps)·gamma + beta',
    build(lib) {
      const { x, g, b } = data();
      if (lib === 'ours') {
        const xt = t(x, [4096, 256] as const);
        const gt = t(g, [256] as const);
        const bt = t(b, [256] as const);
        return oursImpl(() => layerNorm(xt, gt, bt, { axis: -1, epsilon: LN_EPS }));
      }
      return tfImpl(
        () => [tf.tensor2d(x, [4096, 256]), tf.tensor1d(g), tf.tensor1d(b)],
        (a, gamma, beta) => {
          // tfjs has no fused layer norm, and tf.batchNorm broadcasts its params per channel
          // only (tf.layers.layerNormalization tiles them to the full shape first)
          const { mean, variance } = tf.moments(a, -1, true);
          return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, LN_EPS))), gamma!), beta!);
        },
      );
    },
    onnx() {
      const { x, g, b } = data();
      return onnxGraph(
        [{ name: 'x', data: x, dims: [4096, 256] }, { name: 'gamma', data: g, dims: [256] }, { name: 'beta', data: b, dims: [256] }],
        (xt, gt, bt) => layerNorm(xt!, gt!, bt!, { axis: -1, epsilon: LN_EPS }),
      );
    },
  };
})();

// ---------------------------------------------------------------- multi-head self-attention

const B = 8, S = 128, D = 256, H = 8, DH = 32;
type W = Tensor<[256, 256]>;
interface MhaWeights {
  readonly wq: W;
  readonly wk: W;
  readonly wv: W;
  readonly wo: W;
}
function mha(w: MhaWeights, x2: Tensor<[number, 256]>) {
  const heads = (wi: W) => transpose(reshape(matmul(x2, wi), [B, S, H, DH] as const), [0, 2, 1, 3] as const);
  const o = scaledDotProductAttention(heads(w.wq), heads(w.wk), heads(w.wv));
  const merged = reshape(transpose(o, [0, 2, 1, 3] as const), [B * S, D] as const);
  return reshape(matmul(merged, w.wo), [B, S, D] as const);
}
const mhaCase: BenchCase = (() => {
  const lim = Math.sqrt(6 / (D + D));
  const data = lazy(() => ({
    x: randArray(B * S * D, 10),
    wq: randArray(D * D, 11, -lim, lim),
    wk: randArray(D * D, 12, -lim, lim),
    wv: randArray(D * D, 13, -lim, lim),
    wo: randArray(D * D, 14, -lim, lim),
  }));
  const weights = (): MhaWeights => {
    const d = data();
    return { wq: t(d.wq, [D, D] as const), wk: t(d.wk, [D, D] as const), wv: t(d.wv, [D, D] as const), wo: t(d.wo, [D, D] as const) };
  };
  return {
    name: 'mha-b8-s128-d256-h8',
    shape: 'x[8,128,256] W[256,256]x4, 8 heads of 32',
    // 4 projections + q·kᵀ + weights·v (softmax and layout not counted)
    flops: 4 * 2 * B * S * D * D + 2 * 2 * B * H * S * S * DH,
    kind: 'op',
    note: 'project, split heads, softmax(q·kᵀ/√32)·v, merge, output projection',
    build(lib) {
      const d = data();
      if (lib === 'ours') {
        const x2 = t(d.x, [B * S, D] as const);
        const w = weights();
        return oursImpl(() => mha(w, x2));
      }
      const scale = 1 / Math.sqrt(DH);
      return tfImpl(
        () => [tf.tensor2d(d.x, [B * S, D]), ...[d.wq, d.wk, d.wv, d.wo].map((w) => tf.tensor2d(w, [D, D]))],
        (x2, wq, wk, wv, wo) => {
          const heads = (w: tf.Tensor) => tf.transpose(tf.reshape(tf.matMul(x2 as tf.Tensor2D, w as tf.Tensor2D), [B, S, H, DH]), [0, 2, 1, 3]);
          // scale q, as ours does when dk <= Lk (same values up to rounding)
          const q = tf.mul(heads(wq!), scale);
          const w = tf.softmax(tf.matMul(q, heads(wk!), false, true), -1);
          const o = tf.matMul(w, heads(wv!));
          const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * S, D]);
          return tf.reshape(tf.matMul(merged as tf.Tensor2D, wo as tf.Tensor2D), [B, S, D]);
        },
      );
    },
    // the weights are initializers, as in an exported model
    onnx() {
      const feeds = [{ name: 'x', data: data().x, dims: [B * S, D] }];
      return { model: exportOnnx((w: MhaWeights, x) => mha(w, x as Tensor<[number, 256]>), onnxInputs(feeds), weights()), feeds };
    },
  };
})();

// ---------------------------------------------------------------- einsum

/** attention scores q·kᵀ per batch and head as an einsum, against the batched matmul it lowers to */
const einsumCase: BenchCase = (() => {
  const shape = [8, 8, 128, 32] as const;
  const n = 8 * 8 * 128 * 32;
  const data = lazy(() => ({ q: randArray(n, 17), k: randArray(n, 18) }));
  const ours = () => ({ q: t(data().q, shape), k: t(data().k, shape) });
  return {
    name: 'einsum-bhqd-bhkd',
    shape: "'bhqd,bhkd->bhqk' [8,8,128,32]x[8,8,128,32]",
    flops: 2 * 8 * 8 * 128 * 128 * 32,
    kind: 'op',
    note: 'ours: einsum; tfjs: tf.matMul(q, k, false, true)',
    build(lib) {
      const { q, k } = data();
      if (lib === 'ours') {
        const x = ours();
        return oursImpl(() => einsum('bhqd,bhkd->bhqk', x.q, x.k));
      }
      // tf.einsum has no wasm kernel and takes seconds on cpu: tfjs gets the batched matMul
      return tfImpl(() => [tf.tensor4d(q, [...shape]), tf.tensor4d(k, [...shape])], (x, y) => tf.matMul(x!, y!, false, true));
    },
    baseline: {
      note: 'matmul(q, k, { transposeB: true }), the batched matmul the einsum lowers to',
      build() {
        const x = ours();
        return oursImpl(() => matmul(x.q, x.k, { transposeB: true }));
      },
    },
    onnx() {
      const { q, k } = data();
      // cast: onnxGraph hands the traced inputs over untyped; they are the feeds' [8, 8, 128, 32]
      return onnxGraph([{ name: 'q', data: q, dims: [...shape] }, { name: 'k', data: k, dims: [...shape] }], (x, y) => einsum('bhqd,bhkd->bhqk', x as Tensor<[8, 8, 128, 32]>, y as Tensor<[8, 8, 128, 32]>));
    },
  };
})();

// ---------------------------------------------------------------- element-wise add

function addCase(name: string, shape: readonly [number] | readonly [number, number], note: string): BenchCase {
  const n = shape.reduce((p, q) => p * q, 1);
  const data = lazy(() => ({ a: randArray(n, 15), b: randArray(n, 16) }));
  return {
    name,
    shape: `[${shape.join(',')}] + [${shape.join(',')}]`,
    kind: 'op',
    note,
    build(lib) {
      const { a, b } = data();
      if (lib === 'ours') {
        const x = t(a, shape);
        const y = t(b, shape);
        return oursImpl(() => add(x, y));
      }
      return tfImpl(() => [tf.tensor(a, [...shape]), tf.tensor(b, [...shape])], (x, y) => tf.add(x, y));
    },
  };
}

// ---------------------------------------------------------------- jit: fused element-wise chains

const geluChainCase: BenchCase = (() => {
  const data = lazy(() => ({ x: randArray(1024 * 1024, 17, -3, 3), a: randArray(1024, 18, 0.5, 1.5), b: randArray(1024, 19, -0.5, 0.5) }));
  return {
    name: 'gelu-chain-1m',
    shape: 'gelu(x·a + b), x [1024,1024], a, b [1024]',
    kind: 'op',
    note: 'ours: jit (one fused pass in the kernel memory); tfjs: mul, add, 0.5·t·(1 + erf(t/√2))',
    build(lib) {
      const { x, a, b } = data();
      if (lib === 'ours') {
        const xt = t(x, [1024, 1024] as const), at = t(a, [1024] as const), bt = t(b, [1024] as const);
        const f = jit((x: Tensor<[1024, 1024]>, a: Tensor<[1024]>, b: Tensor<[1024]>) => gelu(add(mul(x, a), b)));
        return oursImpl(() => f(xt, at, bt));
      }
      return tfImpl(
        () => [tf.tensor2d(x, [1024, 1024]), tf.tensor1d(a), tf.tensor1d(b)],
        (x, a, b) => {
          const u = tf.add(tf.mul(x, a), b);
          return tf.mul(tf.mul(u, 0.5), tf.add(1, tf.erf(tf.div(u, Math.SQRT2))));
        },
      );
    },
  };
})();

/** 100 chained element-wise ops, 8 kinds in turn (bounded values all along) */
const CHAIN = 100;
const chainCase: BenchCase = (() => {
  const data = lazy(() => randArray(32 * 200, 20));
  type T2 = Tensor<[32, 200]>;
  const ours: ((x: T2) => T2)[] = [(x) => mul(x, 1.01), (x) => add(x, 0.1), (x) => tanh(x), (x) => sub(x, 0.05), (x) => relu(x), (x) => sigmoid(x), (x) => square(x), (x) => neg(x)];
  const theirs: ((x: tf.Tensor) => tf.Tensor)[] = [(x) => tf.mul(x, 1.01), (x) => tf.add(x, 0.1), (x) => tf.tanh(x), (x) => tf.sub(x, 0.05), (x) => tf.relu(x), (x) => tf.sigmoid(x), (x) => tf.square(x), (x) => tf.neg(x)];
  return {
    name: 'chain-100-32x200',
    shape: `${CHAIN} element-wise ops on [32,200]`,
    kind: 'op',
    note: 'per-op cost under jit (ours: one fused program; tfjs: 100 kernel calls in one tidy)',
    build(lib) {
      const x = data();
      if (lib === 'ours') {
        const xt = t(x, [32, 200] as const);
        const f = jit((x: T2) => {
          let y = x;
          for (let i = 0; i < CHAIN; i++) y = ours[i % ours.length]!(y);
          return y;
        });
        return oursImpl(() => f(xt));
      }
      return tfImpl(
        () => [tf.tensor2d(x, [32, 200])],
        (x) => {
          let y = x;
          for (let i = 0; i < CHAIN; i++) y = theirs[i % theirs.length]!(y);
          return y;
        },
      );
    },
  };
})();

// ---------------------------------------------------------------- jit: one Adam update of 1M params

const adamCase: BenchCase = (() => {
  const Q = 512; // 4 tensors of [512, 512]: 1M params
  const data = lazy(() => [0, 1, 2, 3].map((i) => ({ p: randArray(Q * Q, 21 + i), g: randArray(Q * Q, 31 + i) })));
  const LR = 1e-3;
  return {
    name: 'adam-update-1m',
    shape: '4 × [512,512] params, one Adam step',
    kind: 'op',
    note: 'ours: jit(opt.update + applyUpdates) with params and state donated, each call on the last one\'s outputs (the count is a tensor: one plan); tfjs: tf.train.adam applyGradients',
    build(lib) {
      const d = data();
      if (lib === 'ours') {
        const params = { w0: t(d[0]!.p, [Q, Q] as const), w1: t(d[1]!.p, [Q, Q] as const), w2: t(d[2]!.p, [Q, Q] as const), w3: t(d[3]!.p, [Q, Q] as const) };
        const grads = { w0: t(d[0]!.g, [Q, Q] as const), w1: t(d[1]!.g, [Q, Q] as const), w2: t(d[2]!.g, [Q, Q] as const), w3: t(d[3]!.g, [Q, Q] as const) };
        // tfjs' Adam epsilon (1e-7); tfjs adds it to the uncorrected √v, optax to the bias-corrected √v̂ (negligible here)
        const opt = adam({ learningRate: LR, epsilon: 1e-7 });
        let state = opt.init(params);
        const step = jit(
          (p: typeof params, g: typeof params, s: typeof state) => {
            const [u, next] = opt.update(g, s, p);
            return [applyUpdates(p, u), next] as const;
          },
          { donate: [0, 2] },
        );
        let cur = params;
        const once = () => {
          [cur, state] = step(cur, grads, state);
        };
        const flat = (p: typeof params) => Float32Array.from(treeLeaves(p).flatMap((l) => Array.from(l.dataSync() as Float32Array)));
        return {
          first: () => {
            once();
            return flat(cur);
          },
          run: once,
        };
      }
      const vars = d.map((x) => tf.variable(tf.tensor2d(x.p, [Q, Q])));
      const grads = d.map((x) => tf.tensor2d(x.g, [Q, Q]));
      const opt = tf.train.adam(LR);
      const named = () => vars.map((v, i) => ({ name: v.name, tensor: grads[i]! }));
      const read = () => Float32Array.from(vars.flatMap((v) => Array.from(v.dataSync() as Float32Array)));
      return {
        first: () => {
          opt.applyGradients(named());
          return read();
        },
        run: () => {
          opt.applyGradients(named());
          vars[0]!.dataSync(); // the work has finished
        },
        dispose: () => {
          opt.dispose();
          [...vars, ...grads].forEach((v) => v.dispose());
        },
      };
    },
  };
})();

export const opCases: readonly BenchCase[] = [
  matmulCase(128),
  matmulCase(256),
  matmulCase(512),
  matmulCase(1024),
  conv2dCase,
  maxPoolCase,
  softmaxCase,
  layerNormCase,
  mhaCase,
  einsumCase,
  addCase('add-1m', [1048576], 'memory-bound'),
  addCase('add-32x200', [32, 200], 'per-op overhead: dispatch + allocation (tfjs: + tidy, dataSync, dispose)'),
  geluChainCase,
  chainCase,
  adamCase,
];
