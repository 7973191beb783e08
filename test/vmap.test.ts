/**
 * vmap composition and errors: vmap with grad / jvp / itself, nn layers on single examples,
 * per-example gradients through conv and pooling, and the errors (a primitive without a rule
 * is named, never looped over). The per-primitive property (every registered primitive, with
 * in and out axes) is test/vmap-every-primitive.test.ts; both use the oracle in
 * test/helpers/vmap-oracle.ts, which cuts examples and stacks results with index arithmetic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Tensor } from '../src/tensor/tensor';
import type { TypedArray } from '../src/tensor/dtype';
import type { AnyTensor } from '../src/tensor/untyped';
import { vmap } from '../src/ops/vmap';
import { grad, jvp, customVjp } from '../src/autodiff';
import { jit } from '../src/autodiff/jit';
import { bind1, type Primitive } from '../src/autodiff/core';
import * as E from '../src/ops/elementwise';
import * as A from '../src/ops/activations';
import * as RC from '../src/ops/reduce-core';
import * as L from '../src/ops/layout';
import { matmulRaw } from '../src/ops/linalg';
import { conv2d, avgPool2d, maxPool2d } from '../src/ops/conv';
import { key, normalArray } from '../src/random';
import * as nn from '../src/nn';
import { backend, setBackend, type Backend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';
import { expectClose, expectSameBits, exampleData, sizeOf, stackAlong, tensorOf, type Kind } from './helpers/vmap-oracle';

// Bit-identity is a property of vmap on the reference (CPU) kernels, whose every element is
// computed the same way whatever the tensor's size. The default wasm backend picks its kernel
// by size (a batch can cross a crossover a single example does not) and its SIMD kernels are a
// few ulp from the CPU ones, so there the property holds within float32 rounding.
let saved: Backend;
beforeAll(() => {
  saved = backend();
  setBackend(cpuBackend);
});
afterAll(() => setBackend(saved));

// ---------------------------------------------------------------- composition

const rand = (shape: readonly number[], seed: number): AnyTensor => tensorOf(shape, 'float32', normalArray(key(seed), sizeOf(shape)));
const stackTensors = (ts: readonly AnyTensor[], axis = 0): TypedArray => stackAlong(ts.map((t) => t.dataSync()), ts[0]!.shape as readonly number[], axis, ts[0]!.dtype);
const cut = (x: AnyTensor, b: number): AnyTensor => {
  const s = x.shape as readonly number[];
  const n = sizeOf(s.slice(1));
  return tensorOf(s.slice(1), x.dtype, x.dataSync().slice(b * n, (b + 1) * n));
};

interface Mlp {
  w1: AnyTensor;
  b1: AnyTensor;
  w2: AnyTensor;
}
const mlpParams = (seed: number): Mlp => ({ w1: rand([3, 5], seed), b1: rand([5], seed + 1), w2: rand([5, 2], seed + 2) });
/** a one-example loss: x [1, 3], y [1, 2] */
function mlpLoss(p: Mlp, x: AnyTensor, y: AnyTensor): AnyTensor {
  const h = A.tanhRaw(E.addRaw(matmulRaw(x, p.w1), p.b1));
  const d = E.subRaw(matmulRaw(h, p.w2), y);
  return RC.sumRaw(E.mulRaw(d, d), [0, 1], false);
}

describe('vmap composes', () => {
  it('vmap(grad(loss), { inAxes: [null, 0, 0] }) equals the per-example gradients, stacked (bit-identical)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e5 }), (n, seed) => {
        const p = mlpParams(seed);
        const xs = rand([n, 1, 3], seed + 3);
        const ys = rand([n, 1, 2], seed + 4);
        const g = grad(mlpLoss as never);
        const batched = vmap(g as (p: Mlp, x: AnyTensor, y: AnyTensor) => Mlp, { inAxes: [null, 0, 0] })(p as never, xs as never, ys as never) as unknown as Mlp;
        const each = Array.from({ length: n }, (_, b) => (g as (p: Mlp, x: AnyTensor, y: AnyTensor) => Mlp)(p, cut(xs, b), cut(ys, b)));
        for (const k of ['w1', 'b1', 'w2'] as const) {
          expect(batched[k].shape).toEqual([n, ...(p[k].shape as readonly number[])]);
          expectSameBits(batched[k].dataSync(), stackTensors(each.map((e) => e[k])), `per-example grad ${k}`);
        }
      }),
      { seed: 3, numRuns: 10 },
    );
  });

  it('composes with jit both ways: jit(vmap(grad)), vmap(jit(grad)) equal the per-example gradients; one trace per signature', () => {
    const p = mlpParams(31);
    const xs = rand([6, 1, 3], 34);
    const ys = rand([6, 1, 2], 35);
    const g = grad(mlpLoss as never) as (p: Mlp, x: AnyTensor, y: AnyTensor) => Mlp;
    const each = Array.from({ length: 6 }, (_, b) => g(p, cut(xs, b), cut(ys, b)));
    const outer = jit(vmap(g, { inAxes: [null, 0, 0] }));
    const inner = vmap(jit(g), { inAxes: [null, 0, 0] });
    for (const [name, f] of [['jit(vmap(grad))', outer], ['vmap(jit(grad))', inner]] as const) {
      for (let call = 0; call < 2; call++) {
        const got = f(p as never, xs as never, ys as never) as unknown as Mlp;
        for (const k of ['w1', 'b1', 'w2'] as const) expectSameBits(got[k].dataSync(), stackTensors(each.map((e) => e[k])), `${name} ${k}`);
      }
    }
    expect(outer.traceCount).toBe(1);
    // a new batch size is a new signature for the outer jit
    const got5 = outer(p as never, L.sliceRaw(xs, [0, 0, 0], [5, 1, 3], null) as never, L.sliceRaw(ys, [0, 0, 0], [5, 1, 2], null) as never) as unknown as Mlp;
    expectSameBits(got5.w1.dataSync(), stackTensors(each.slice(0, 5).map((e) => e.w1)), 'jit(vmap) batch 5');
    expect(outer.traceCount).toBe(2);
  });

  it('nested vmap equals a double loop (bit-identical), with in axes on both levels', () => {
    const f = (x: AnyTensor, w: AnyTensor) => A.softmaxRaw(matmulRaw(x, w), -1);
    // x: [3 (outer), 2 (inner), 1, 4]; w: [4, 5] per outer example at axis 1: [4, 3, 5]
    const xs = rand([3, 2, 1, 4], 7);
    const ws = rand([4, 3, 5], 8);
    const inner = vmap(f, { inAxes: [0, null] });
    const outer = vmap(inner, { inAxes: [0, 1] });
    const got = outer(xs as never, ws as never) as unknown as AnyTensor;
    const want: AnyTensor[] = [];
    for (let i = 0; i < 3; i++) {
      const wi = RC.reshapeRaw(L.sliceRaw(ws, [0, i, 0], [4, 1, 5], null), [4, 5]);
      const rows: AnyTensor[] = [];
      for (let j = 0; j < 2; j++) rows.push(f(cut(cut(xs, i), j), wi));
      want.push(tensorOf([2, 1, 5], 'float32', stackTensors(rows)));
    }
    expect(got.shape).toEqual([3, 2, 1, 5]);
    expectSameBits(got.dataSync(), stackTensors(want), 'vmap(vmap(f))');
  });

  it('grad of a vmapped function equals grad of the batched computation written by hand', () => {
    const w = rand([3, 4], 11);
    const xs = rand([5, 2, 3], 12);
    const perExample = (w: AnyTensor, x: AnyTensor) => A.tanhRaw(matmulRaw(x, w));
    const viaVmap = (w: AnyTensor) => RC.sumRaw(vmap(perExample, { inAxes: [null, 0] })(w as never, xs as never) as unknown as AnyTensor, [0, 1, 2], false);
    // the examples' rows stacked into one GEMM, as vmap's matmul rule does with shared weights
    const byHand = (w: AnyTensor) => RC.sumRaw(A.tanhRaw(RC.reshapeRaw(matmulRaw(RC.reshapeRaw(xs, [10, 3]), w), [5, 2, 4])), [0, 1, 2], false);
    const g1 = (grad(viaVmap as never) as (w: AnyTensor) => AnyTensor)(w);
    const g2 = (grad(byHand as never) as (w: AnyTensor) => AnyTensor)(w);
    expect(g1.shape).toEqual([3, 4]);
    expectSameBits(g1.dataSync(), g2.dataSync(), 'grad(vmap(f))');
  });

  it('jvp of a vmapped function equals the per-example jvps, stacked; vmap of jvp too', () => {
    const f = (x: AnyTensor) => A.sigmoidRaw(E.mulRaw(x, E.sinRaw(x)));
    const xs = rand([4, 3], 21);
    const ts = rand([4, 3], 22);
    const [y, ty] = jvp((x: AnyTensor) => vmap(f)(x as never) as unknown as AnyTensor, [xs], [ts]);
    const each = Array.from({ length: 4 }, (_, b) => jvp(f, [cut(xs, b)], [cut(ts, b)]));
    expectSameBits(y.dataSync(), stackTensors(each.map((e) => e[0])), 'jvp(vmap(f)) primal');
    expectSameBits(ty.dataSync(), stackTensors(each.map((e) => e[1])), 'jvp(vmap(f)) tangent');
    const vj = vmap((x: AnyTensor, t: AnyTensor) => jvp(f, [x], [t])[1])(xs as never, ts as never) as unknown as AnyTensor;
    expectSameBits(vj.dataSync(), ty.dataSync(), 'vmap(jvp(f))');
  });

  it('customVjp runs its function on the tracers', () => {
    const sq = customVjp((x: Tensor<[3]>) => E.mulRaw(x as never, x as never) as unknown as Tensor<[3]>, (x) => [E.mulRaw(x as never, x as never) as unknown as Tensor<[3]>, x] as const, (x, ct) => [E.mulRaw(E.mulRaw(x as never, 2), ct as never) as unknown as Tensor<[3]>]);
    const xs = rand([2, 3], 31);
    const got = vmap(sq)(xs as never) as unknown as AnyTensor;
    expectSameBits(got.dataSync(), E.mulRaw(xs, xs).dataSync(), 'customVjp under vmap');
  });
});

// ---------------------------------------------------------------- nn layers on single examples

describe('nn layers apply to single examples under vmap (bit-identical to one example at a time)', () => {
  const layers: [string, nn.Layer, readonly number[], Kind?][] = [
    ['dense', nn.dense(4, { activation: 'relu' }), [2, 3]],
    ['conv2d', nn.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), [1, 5, 5, 2]],
    ['lstm', nn.lstm(4, { returnSequences: true }), [1, 3, 2]],
    ['gru', nn.gru(3), [1, 3, 2]],
    ['layerNormalization', nn.layerNormalization(), [2, 4]],
    ['embedding', nn.embedding(6, 3), [4], { idx: 6 }],
    ['multiHeadAttention', nn.multiHeadAttention({ numHeads: 2, keyDim: 2 }), [1, 3, 4]],
  ];
  for (const [name, layer, shape, kind] of layers) {
    it(name, () => {
      const params = layer.init(key(5), shape);
      const f = (x: AnyTensor) => layer.apply(params, x, {});
      const n = 3;
      const ex = Array.from({ length: n }, (_, b) => exampleData(kind ? { shape, kind } : { shape }, 40 + b));
      const xs = tensorOf([n, ...shape], ex[0]!.dtype, stackAlong(ex.map((e) => e.data), shape, 0, ex[0]!.dtype));
      const got = vmap(f)(xs as never) as unknown as AnyTensor;
      const want = ex.map((e) => f(tensorOf(shape, e.dtype, e.data)));
      expect(got.shape).toEqual([n, ...(want[0]!.shape as readonly number[])]);
      expectSameBits(got.dataSync(), stackTensors(want), `${name} under vmap`);
    });
  }

  it('per-example gradients through conv2d input and pooling (conv2d_backprop_input, avg_pool2d_backprop)', () => {
    const w = rand([3, 3, 2, 2], 51);
    const imgs = rand([3, 1, 4, 4, 2], 52);
    const loss = (x: AnyTensor) => RC.sumRaw(avgPool2d(conv2d(x as never, w as never, { padding: 'same' }) as never) as unknown as AnyTensor, [0, 1, 2, 3], false);
    const g = grad(loss as never) as (x: AnyTensor) => AnyTensor;
    const got = vmap(g)(imgs as never) as unknown as AnyTensor;
    const want = Array.from({ length: 3 }, (_, b) => g(cut(imgs, b)));
    expectSameBits(got.dataSync(), stackTensors(want), 'vmap(grad) wrt conv input');
  });

  it('per-example gradients and tangents through max pooling (max_pool2d_argmax, max_pool_scatter, max_pool_gather)', () => {
    const imgs = rand([3, 2, 5, 5, 2], 53);
    const ts = rand([3, 2, 5, 5, 2], 54);
    const pool = (x: AnyTensor) => maxPool2d(x as never, { padding: 'same' } as never) as unknown as AnyTensor;
    const loss = (x: AnyTensor) => RC.sumRaw(E.squareRaw(pool(x)), [0, 1, 2, 3], false);
    const g = grad(loss as never) as (x: AnyTensor) => AnyTensor;
    const got = vmap(g)(imgs as never) as unknown as AnyTensor;
    expectSameBits(got.dataSync(), stackTensors([0, 1, 2].map((b) => g(cut(imgs, b)))), 'vmap(grad) through max pooling');
    const tangent = (x: AnyTensor, t: AnyTensor) => jvp(pool, [x], [t])[1];
    const gotT = vmap(tangent, { inAxes: [0, 0] })(imgs as never, ts as never) as unknown as AnyTensor;
    expectSameBits(gotT.dataSync(), stackTensors([0, 1, 2].map((b) => tangent(cut(imgs, b), cut(ts, b)))), 'vmap(jvp) through max pooling');
  });

  // conv2d_backprop_filter's rule (im2col with ops + one batched GEMM) sums in another order
  // than the kernel: equal within rounding
  for (const [name, opts] of [['valid', {}], ['same, strides 2', { padding: 'same', strides: 2 }], ['dilation 2', { dilation: 2 }]] as const) {
    it(`per-example conv filter gradients (${name})`, () => {
      const w = rand([3, 3, 2, 3], 71);
      const imgs = rand([3, 2, 7, 7, 2], 72);
      const loss = (w: AnyTensor, x: AnyTensor) => RC.sumRaw(E.squareRaw(conv2d(x as never, w as never, opts as never) as unknown as AnyTensor), [0, 1, 2, 3], false);
      const g = grad(loss as never) as (w: AnyTensor, x: AnyTensor) => AnyTensor;
      const got = vmap(g, { inAxes: [null, 0] })(w as never, imgs as never) as unknown as AnyTensor;
      const want = Array.from({ length: 3 }, (_, b) => g(w, cut(imgs, b)));
      expect(got.shape).toEqual([3, 3, 3, 2, 3]);
      expectClose(got.dataSync(), stackTensors(want), `per-example conv filter grads (${name})`);
    });
  }

  // One example's gradient runs the fused backward kernel (concrete values); under vmap the
  // backward pass sees tracers and takes the op-level recurrence, batched op by op: the same
  // maths in another order, so equal within float32 rounding rather than bit for bit.
  it('per-example gradients of an lstm (the op-level recurrence, batched op by op)', () => {
    const layer = nn.lstm(3);
    const params = layer.init(key(6), [1, 2, 2]);
    const xs = rand([2, 1, 2, 2], 61);
    const loss = (p: unknown, x: AnyTensor) => RC.sumRaw(layer.apply(p, x, {}), [0, 1], false);
    const g = grad(loss as never) as (p: unknown, x: AnyTensor) => Record<string, AnyTensor>;
    const got = vmap(g, { inAxes: [null, 0] })(params as never, xs as never) as unknown as Record<string, AnyTensor>;
    const each = [0, 1].map((b) => g(params, cut(xs, b)));
    expect(Object.keys(got).sort()).toEqual(Object.keys(each[0]!).sort());
    for (const k of Object.keys(got)) expectClose(got[k]!.dataSync(), stackTensors(each.map((e) => e[k]!)), `lstm per-example grad ${k}`);
  });
});

// ---------------------------------------------------------------- errors

describe('vmap errors', () => {
  const f = (x: AnyTensor, w: AnyTensor) => matmulRaw(x, w);
  const xs = rand([3, 1, 2], 1);
  it('a primitive without a rule fails naming it, never a silent loop', () => {
    let calls = 0;
    const noRule: Primitive<null, string> = {
      name: 'my_primitive',
      shape: (ins) => [ins[0]!],
      impl: (ins) => {
        calls++;
        return [(ins[0]!._data as Float32Array).slice()];
      },
    };
    expect(() => vmap((x: AnyTensor) => bind1(noRule, [x], null))(xs)).toThrow("vmap: no batching rule for 'my_primitive'");
    expect(calls).toBe(0);
    // with no batched operand there is nothing to batch: the kernel runs once, as outside vmap
    const c = rand([2], 2);
    const got = vmap((_x: AnyTensor) => bind1(noRule, [c], null))(xs as never) as unknown as AnyTensor;
    expect([calls, ...got.shape]).toEqual([1, 3, 2]);
  });
  it('batch sizes differ: names both sizes and arguments', () => {
    expect(() => vmap(f)(xs as never, rand([4, 2, 2], 2) as never)).toThrow('vmap: batch sizes differ (3 at argument 0 vs 4 at argument 1)');
  });
  it('inAxes arity, axis range, nothing batched, a batched result with out axis null', () => {
    expect(() => (vmap(f, { inAxes: [0, null, 0] as never }) as (...a: unknown[]) => unknown)(xs, rand([2, 2], 3))).toThrow('vmap: inAxes has 3 entries but the function was called with 2 arguments');
    expect(() => vmap(f, { inAxes: [3, null] })(xs as never, rand([2, 2], 3) as never)).toThrow('vmap: in axis 3 out of range for argument 0 of rank 3');
    expect(() => vmap(f, { inAxes: null })(xs as never, rand([2, 2], 3) as never)).toThrow('vmap: no argument is batched');
    expect(() => vmap(f, { inAxes: [0, null], outAxes: null })(xs as never, rand([2, 2], 3) as never)).toThrow('vmap: the result depends on the batch but its out axis is null');
    expect(() => vmap(f, { inAxes: [0, null], outAxes: 4 })(xs as never, rand([2, 2], 3) as never)).toThrow('vmap: batch axis out of range (axis 4, rank 3)');
  });
  it('pytree in axes: prefixes, and the leaf named in a size mismatch', () => {
    const g = (p: { a: AnyTensor; b: AnyTensor }) => E.addRaw(p.a, p.b);
    const got = vmap(g, { inAxes: { a: 0, b: null } as never })({ a: rand([2, 3], 4), b: rand([3], 5) } as never) as unknown as AnyTensor;
    expect(got.shape).toEqual([2, 3]);
    expect(() => vmap(g)({ a: rand([2, 3], 4), b: rand([4, 3], 5) } as never)).toThrow("vmap: batch sizes differ (2 at argument 0 ('a') vs 4 at argument 0 ('b'))");
  });
  it('reading a batched value inside f is an error', () => {
    expect(() => vmap((x: AnyTensor) => tensorOf([1], 'float32', Float32Array.of(x.dataSync()[0]!)))(xs as never)).toThrow('vmap: cannot read the values of a batched tensor');
  });
  it('an unbatched result is broadcast over the batch', () => {
    const c = rand([2], 9);
    const got = vmap((_x: AnyTensor) => c, { outAxes: 1 })(xs as never) as unknown as AnyTensor;
    expect(got.shape).toEqual([2, 3]);
    expectSameBits(got.dataSync(), stackAlong([c.dataSync(), c.dataSync(), c.dataSync()], [2], 1, 'float32'), 'broadcast result');
  });
});

// ---------------------------------------------------------------- the default (wasm) backend

describe('on the default wasm backend: vmap equals stacking f within float32 rounding', () => {
  beforeAll(() => setBackend(saved));
  afterAll(() => setBackend(cpuBackend));
  it("the outer-product kernel ([..., M, 1] x [..., 1, N], matmul's k = 1 rule) is bit-identical to the CPU kernel", () => {
    for (const [sa, sb] of [[[64, 7, 1], [64, 1, 9]], [[3, 50, 1], [3, 1, 300]], [[40, 1], [1, 40]]] as const) {
      for (const op of [E.mulRaw, E.addRaw]) {
        const x = rand(sa, 1);
        const y = rand(sb, 2);
        const w = op(x, y).dataSync();
        setBackend(cpuBackend);
        const c = op(x, y).dataSync();
        setBackend(saved);
        expectSameBits(w, c, `outer [${sa}] x [${sb}]`);
      }
    }
  });
});
