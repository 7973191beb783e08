/**
 * vmap: for every primitive with a batching rule, `vmap(f)(xs)` is bit-identical to running f
 * on each example and stacking the results (in and out axes drawn at random, unbatched
 * arguments included); composition with grad / jvp / itself; nn layers on single examples;
 * and the errors (a primitive without a rule is named, never looped over).
 *
 * The oracle is independent of vmap: examples are cut and results stacked with plain index
 * arithmetic on the flat arrays below, and f runs on each example with no transform.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import type { DType, TypedArray } from '../src/tensor/dtype';
import type { AnyTensor } from '../src/tensor/untyped';
import { vmap } from '../src/ops/vmap';
import { grad, jvp, makeGraph, customVjp, stopGradient } from '../src/autodiff';
import { bind1, type Primitive } from '../src/autodiff/core';
import { addAny } from '../src/autodiff/accumulate';
import { PRIMITIVE_NAMES } from '../src/autodiff/primitive-names';
import * as E from '../src/ops/elementwise';
import * as A from '../src/ops/activations';
import * as RC from '../src/ops/reduce-core';
import * as R from '../src/ops/reduce';
import * as L from '../src/ops/layout';
import * as I from '../src/ops/indexing';
import { matmulRaw } from '../src/ops/linalg';
import { conv2d, avgPool2d, maxPool2d, conv2dBackpropInputP, conv2dBackpropFilterP, avgPool2dBackpropP } from '../src/ops/conv';
import { recurrentSequenceP } from '../src/nn/layers/recurrent-sequence';
import { layerNorm } from '../src/ops/norm';
import { scaledDotProductAttention } from '../src/ops/attention';
import { key, normalArray } from '../src/random';
import * as nn from '../src/nn';
import { backend, setBackend, type Backend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';

// Bit-identity is a property of vmap on the reference (CPU) kernels, whose every element is
// computed the same way whatever the tensor's size. The default wasm backend picks its kernel
// by size (a batch can cross a crossover a single example does not) and its SIMD kernels are a
// few ulp from the CPU ones, so there the property holds within float32 rounding (checked at
// the end of the file).
let saved: Backend;
beforeAll(() => {
  saved = backend();
  setBackend(cpuBackend);
});
afterAll(() => setBackend(saved));

// ---------------------------------------------------------------- the oracle: cut and stack

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function arrayOf(dtype: DType, n: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/** Stack per-example flat arrays of shape `shape` along `axis` of the batched rank. */
function stackAlong(datas: readonly TypedArray[], shape: readonly number[], axis: number, dtype: DType): TypedArray {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis));
  const out = arrayOf(dtype, datas.length * outer * inner);
  for (let o = 0; o < outer; o++) for (let b = 0; b < datas.length; b++) for (let i = 0; i < inner; i++) out[(o * datas.length + b) * inner + i] = datas[b]![o * inner + i]!;
  return out;
}

const insertDim = (s: readonly number[], axis: number, n: number) => [...s.slice(0, axis), n, ...s.slice(axis)];
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const tensorOf = (shape: readonly number[], dtype: DType, data: TypedArray): AnyTensor => makeTensor(shape, dtype, data as never) as unknown as AnyTensor;

type Compare = (actual: TypedArray, expected: TypedArray, what: string) => void;

/** Equality within float32 rounding of a few ops (relative 1e-4, absolute 1e-5; NaN equals NaN). */
function expectClose(actual: TypedArray, expected: TypedArray, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e))) throw new Error(`${what}: element ${i} is ${a}, expected ${e} (within 1e-4 relative)`);
  }
}

/** Bit equality of two typed arrays (NaN equals NaN; +0 and -0 differ). */
function expectSameBits(actual: TypedArray, expected: TypedArray, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (bit-identical)`);
  }
}

// ---------------------------------------------------------------- argument generators

type Kind = 'f' | 'pos' | 'bool' | { readonly idx: number };
interface ArgSpec {
  readonly shape: readonly number[];
  readonly kind?: Kind;
}

function exampleData(spec: ArgSpec, seed: number): { dtype: DType; data: TypedArray } {
  const n = sizeOf(spec.shape);
  const v = normalArray(key(seed), n, 0, 2);
  const kind = spec.kind ?? 'f';
  if (kind === 'f') return { dtype: 'float32', data: v };
  if (kind === 'pos') return { dtype: 'float32', data: v.map((x) => Math.abs(x) + 0.25) };
  if (kind === 'bool') return { dtype: 'bool', data: Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)) };
  return { dtype: 'int32', data: Int32Array.from(v, (x) => Math.floor(Math.abs(x) * 1000) % kind.idx) };
}

interface Case {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  /** arguments that must stay unbatched (filters, gamma / beta: their rules take only unbatched ones) */
  readonly fixed?: readonly number[];
  readonly f: (...xs: AnyTensor[]) => AnyTensor | readonly AnyTensor[];
}

const f2: ArgSpec = { shape: [2, 3] };
const p2: ArgSpec = { shape: [2, 3], kind: 'pos' };
const row: ArgSpec = { shape: [3] };
const img: ArgSpec = { shape: [1, 5, 5, 2] };

const unaries: [string, (x: AnyTensor) => AnyTensor, Kind?][] = [
  ['neg', E.negRaw], ['abs', E.absRaw], ['exp', E.expRaw], ['log', E.logRaw, 'pos'], ['sqrt', E.sqrtRaw, 'pos'], ['rsqrt', E.rsqrtRaw, 'pos'],
  ['square', E.squareRaw], ['reciprocal', E.reciprocalRaw, 'pos'], ['sign', E.signRaw], ['sin', E.sinRaw], ['cos', E.cosRaw],
  ['floor', (x) => bind1(E.floorP, [x], null)], ['round', (x) => bind1(E.roundP, [x], null)], ['step', (x) => bind1(A.stepP, [x], null)],
  ['sigmoid', A.sigmoidRaw], ['tanh', A.tanhRaw], ['relu', A.reluRaw], ['gelu', A.geluRaw], ['softplus', A.softplusRaw],
  ['normal_cdf', (x) => bind1(A.normalCdfP, [x], null)], ['leaky_relu', (x) => bind1(A.leakyReluP, [x], { alpha: 0.1 })], ['elu', (x) => bind1(A.eluP, [x], { alpha: 1 })],
  ['clip', (x) => E.clipRaw(x, -1, 1)], ['cast', (x) => E.castRaw(E.castRaw(x, 'int32'), 'float32')],
];
const binaries: [string, (a: AnyTensor, b: AnyTensor) => AnyTensor][] = [
  ['add', E.addRaw], ['sub', E.subRaw], ['mul', E.mulRaw], ['div', E.divRaw], ['pow', E.powRaw], ['maximum', E.maximumRaw], ['minimum', E.minimumRaw],
];
const compares: [string, Primitive<null>][] = [['eq', E.equalP], ['ne', E.notEqualP], ['lt', E.lessP], ['le', E.lessEqualP], ['gt', E.greaterP], ['ge', E.greaterEqualP]];

const CASES: Case[] = [
  ...unaries.map(([name, f, kind]): Case => ({ name, args: [{ shape: [2, 3], kind: kind ?? 'f' }], f })),
  // a full operand against a broadcast one
  ...binaries.map(([name, f]): Case => ({ name, args: [name === 'pow' ? p2 : f2, row], f })),
  // comparisons give bool masks; where picks with one
  ...compares.map(([name, prim]): Case => ({ name, args: [f2, row], f: (a, b) => E.compareRaw(prim, a, b) })),
  { name: 'where', args: [{ shape: [2, 3], kind: 'bool' }, f2, row], f: (c, a, b) => E.whereRaw(c, a, b) },
  { name: 'softmax', args: [f2], f: (x) => A.softmaxRaw(x, 0) },
  { name: 'log_softmax', args: [f2], f: (x) => A.logSoftmaxRaw(x, -1) },
  { name: 'log_sum_exp', args: [{ shape: [2, 3, 2] }], f: (x) => A.logSumExpRaw(x, [0, 2], false) },
  { name: 'sum', args: [{ shape: [2, 3, 2] }], f: (x) => RC.sumRaw(x, [1], false) },
  { name: 'sum keepDims', args: [{ shape: [2, 3, 2] }], f: (x) => RC.sumRaw(x, [0, 2], true) },
  { name: 'max', args: [f2], f: (x) => R.reduceRaw(R.maxP, x, 0) },
  { name: 'min', args: [f2], f: (x) => R.reduceRaw(R.minP, x, 1, true) },
  { name: 'prod', args: [f2], f: (x) => R.reduceRaw(R.prodP, x, undefined) },
  { name: 'norm', args: [f2], f: (x) => R.reduceRaw(R.normP, x, 1) },
  { name: 'argmax', args: [f2], f: (x) => R.argRaw(R.argmaxP, x, 0) },
  { name: 'argmin', args: [f2], f: (x) => R.argRaw(R.argminP, x, -1) },
  { name: 'broadcast_to', args: [row], f: (x) => RC.broadcastToRaw(x, [2, 2, 3]) },
  { name: 'reshape', args: [f2], f: (x) => RC.reshapeRaw(x, [3, 1, 2]) },
  { name: 'transpose', args: [{ shape: [2, 3, 4] }], f: (x) => RC.transposeRaw(x, [2, 0, 1]) },
  { name: 'matmul', args: [f2, { shape: [3, 4] }], f: (a, b) => matmulRaw(a, b) },
  { name: 'matmul transposed', args: [{ shape: [3, 2] }, { shape: [4, 3] }], f: (a, b) => matmulRaw(a, b, true, true) },
  { name: 'matmul k=1', args: [{ shape: [3, 1] }, { shape: [1, 4] }], f: (a, b) => matmulRaw(a, b) },
  { name: 'matmul k=1 transposed', args: [{ shape: [1, 3] }, { shape: [4, 1] }], f: (a, b) => matmulRaw(a, b, true, true) },
  { name: 'matmul rank 3 by a matrix', args: [{ shape: [2, 2, 3] }, { shape: [3, 4] }], f: (a, b) => matmulRaw(a, b) },
  { name: 'matmul by a transposed matrix', args: [f2, { shape: [4, 3] }], f: (a, b) => matmulRaw(a, b, false, true) },
  { name: 'matmul batched', args: [{ shape: [2, 2, 3] }, { shape: [3, 2] }], f: (a, b) => matmulRaw(a, b) },
  { name: 'concat', args: [f2, { shape: [2, 1] }], f: (a, b) => L.concatRaw([a, b], 1) },
  { name: 'split', args: [{ shape: [4, 3] }], f: (x) => L.splitRaw(x, 0, [1, 3]) },
  { name: 'slice', args: [{ shape: [4, 3] }], f: (x) => L.sliceRaw(x, [1, 0], [2, 2], null) },
  { name: 'strided slice', args: [{ shape: [5, 3] }], f: (x) => L.sliceRaw(x, [0, 1], [3, 2], [2, 1]) },
  { name: 'pad', args: [f2], f: (x) => L.padRaw(x, [1, 0], [0, 2], 0.5) },
  { name: 'tile', args: [f2], f: (x) => L.tileRaw(x, [2, 1]) },
  { name: 'gather', args: [{ shape: [5, 3] }, { shape: [4], kind: { idx: 5 } }], f: (x, i) => I.gatherRaw(x, i, 0) },
  { name: 'gather axis 1', args: [{ shape: [2, 5] }, { shape: [2, 2], kind: { idx: 5 } }], f: (x, i) => I.gatherRaw(x, i, 1) },
  { name: 'scatter_add', args: [{ shape: [4, 3] }, { shape: [4], kind: { idx: 3 } }], f: (u, i) => I.scatterAddRaw(u, i, [3, 3], 0) },
  { name: 'one_hot', args: [{ shape: [3], kind: { idx: 4 } }], f: (i) => I.oneHotRaw(i, 4) },
  { name: 'conv2d', args: [img, { shape: [3, 3, 2, 4] }], fixed: [1], f: (x, w) => conv2d(x as never, w as never, { padding: 'same' }) as unknown as AnyTensor },
  { name: 'max_pool2d', args: [img], f: (x) => maxPool2d(x as never) as unknown as AnyTensor },
  { name: 'avg_pool2d', args: [img], f: (x) => avgPool2d(x as never) as unknown as AnyTensor },
  { name: 'layer_normalize', args: [f2], f: (x) => layerNorm(x as never, null, null) as unknown as AnyTensor },
  { name: 'layer_norm_affine', args: [f2, row, row], fixed: [1, 2], f: (x, g, b) => layerNorm(x as never, g as never, b as never) as unknown as AnyTensor },
  { name: 'stop_gradient', args: [f2], f: (x) => stopGradient(x as never) as unknown as AnyTensor },
  { name: 'add_any', args: [f2, f2], f: (a, b) => addAny(a, b) },
  { name: 'attention', args: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5, 2] }], f: (q, k, v) => scaledDotProductAttention(q as never, k as never, v as never) as unknown as AnyTensor },
];

// ---------------------------------------------------------------- the property

interface Drawn {
  readonly size: number;
  readonly inAxes: readonly (number | null)[];
  readonly outAxis: number;
  readonly seed: number;
}

/** in axes: each argument batched at any axis (negative too) or unbatched, at least one batched */
function drawnArb(c: Case): fc.Arbitrary<Drawn> {
  const axes = c.args.map((a, i) => c.fixed?.includes(i) ? fc.constant(null) : fc.option(fc.integer({ min: -(a.shape.length + 1), max: a.shape.length }), { nil: null, freq: 3 }));
  return fc
    .record({ size: fc.integer({ min: 1, max: 3 }), inAxes: fc.tuple(...axes), outAxis: fc.integer({ min: -1, max: 1 }), seed: fc.integer({ min: 0, max: 1e6 }) })
    .filter((d) => d.inAxes.some((a) => a !== null));
}

function leavesOf(out: AnyTensor | readonly AnyTensor[]): AnyTensor[] {
  return Array.isArray(out) ? [...(out as readonly AnyTensor[])] : [out as AnyTensor];
}

/** vmap(f) on the stacked examples vs f on each example, stacked. */
function checkCase(c: Case, d: Drawn, same: Compare = expectSameBits): void {
  const examples = c.args.map((spec, i) => Array.from({ length: d.size }, (_, b) => exampleData(spec, d.seed + 101 * i + (d.inAxes[i] === null ? 0 : b))));
  const batchedArgs = c.args.map((spec, i) => {
    const ax = d.inAxes[i]!;
    const ex = examples[i]!;
    if (ax === null) return tensorOf(spec.shape, ex[0]!.dtype, ex[0]!.data);
    const a = norm(ax, spec.shape.length + 1);
    return tensorOf(insertDim(spec.shape, a, d.size), ex[0]!.dtype, stackAlong(ex.map((e) => e.data), spec.shape, a, ex[0]!.dtype));
  });
  const perExample = Array.from({ length: d.size }, (_, b) => leavesOf(c.f(...c.args.map((spec, i) => tensorOf(spec.shape, examples[i]![b]!.dtype, examples[i]![b]!.data)))));
  // the out axis drawn in [-1, 1], kept within the smallest result rank (a scalar result takes 0 or -1)
  const minRank = Math.min(...perExample[0]!.map((t) => t.shape.length));
  const outAxis = Math.min(d.outAxis, minRank);
  const got = leavesOf(vmap(c.f, { inAxes: d.inAxes, outAxes: outAxis })(...batchedArgs) as AnyTensor | AnyTensor[]);
  expect(got.length).toBe(perExample[0]!.length);
  got.forEach((g, j) => {
    const one = perExample[0]![j]!;
    const shape = one.shape as readonly number[];
    const a = norm(outAxis, shape.length + 1);
    const what = `${c.name} leaf ${j} (size ${d.size}, inAxes [${d.inAxes.map(String).join(', ')}], outAxes ${outAxis})`;
    expect(g.shape, what).toEqual(insertDim(shape, a, d.size));
    expect(g.dtype, what).toBe(one.dtype);
    same(g.dataSync(), stackAlong(perExample.map((p) => p[j]!.dataSync()), shape, a, one.dtype), what);
  });
}

describe('vmap equals stacking f over the examples (bit-identical), per primitive', () => {
  for (const c of CASES) {
    it(c.name, () => {
      fc.assert(
        fc.property(drawnArb(c), (d) => checkCase(c, d)),
        { seed: 15, numRuns: 12 },
      );
    });
  }
});

// ---------------------------------------------------------------- which primitives have a rule

/** Primitives without one: vmap names them in its error. */
const WITHOUT_RULE = ['max_pool2d_argmax', 'max_pool_gather', 'max_pool_scatter', 'recurrent_sequence_grad'];
/** Every other primitive has a batching rule (each exercised by CASES or the layer tests below). */
const WITH_RULE = PRIMITIVE_NAMES.filter((n) => !WITHOUT_RULE.includes(n));

describe('batching rules: which primitives have one', () => {
  it('the primitives without a rule are primitives, and 71 of 75 have one', () => {
    expect(WITHOUT_RULE.filter((n) => !(PRIMITIVE_NAMES as readonly string[]).includes(n))).toEqual([]);
    expect([WITH_RULE.length, PRIMITIVE_NAMES.length]).toEqual([71, 75]);
  });

  it('the cases reach every listed primitive with a rule, and each primitive they reach has its rule', () => {
    const reached = new Map<string, boolean>();
    for (const c of CASES) {
      const g = makeGraph((...xs) => c.f(...xs), c.args.map((a) => ({ shape: a.shape, dtype: exampleData(a, 0).dtype })));
      for (const e of g.eqns) reached.set(e.prim.name, e.prim.batch !== undefined);
    }
    // reached through the layer and gradient tests below
    for (const p of [conv2dBackpropInputP, conv2dBackpropFilterP, avgPool2dBackpropP, recurrentSequenceP]) reached.set(p.name, p.batch !== undefined);
    expect([...reached.keys()].filter((n) => !reached.get(n))).toEqual([]);
    expect(WITH_RULE.filter((n) => !reached.has(n))).toEqual([]);
  });

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
    const xs = tensorOf([3, 2], 'float32', new Float32Array(6));
    expect(() => vmap((x: AnyTensor) => bind1(noRule, [x], null))(xs)).toThrow("vmap: no batching rule for 'my_primitive'");
    expect(calls).toBe(0);
    // max-pool gradients: the first primitive without a rule is named
    const imgs = tensorOf([2, 1, 4, 4, 2], 'float32', normalArray(key(2), 64));
    const poolLoss = (x: AnyTensor) => RC.sumRaw(maxPool2d(x as never) as unknown as AnyTensor, [0, 1, 2, 3], false);
    expect(() => vmap(grad(poolLoss as never))(imgs as never)).toThrow("vmap: no batching rule for 'max_pool2d_argmax'");
  });
});

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
  it('every case', () => {
    for (const c of CASES) {
      fc.assert(
        fc.property(drawnArb(c), (d) => checkCase(c, d, expectClose)),
        { seed: 16, numRuns: 4 },
      );
    }
  });
});
