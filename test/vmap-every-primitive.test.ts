/**
 * vmap over every primitive the library registers: for each, `vmap(f)(xs)` is bit-identical to
 * f on each example, stacked (fast-check, fixed seed), with every argument batched at axis 0,
 * at a non-zero axis with a non-zero out axis, and at random in / out axes (unbatched arguments
 * included). The primitives are enumerated from src/ (test/helpers/primitives.ts), so a new
 * primitive without a batching rule, or without a case here, fails the first test; each case
 * must reach its primitive. Removing any primitive's rule makes vmap fail naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AnyTensor } from '../src/tensor/untyped';
import { vmap } from '../src/ops/vmap';
import { makeGraph, stopGradient, vjp } from '../src/autodiff';
import { bind, bind1, type Primitive } from '../src/autodiff/core';
import { evalGraph } from '../src/autodiff/graph';
import { addAny } from '../src/autodiff/accumulate';
import { PRIMITIVE_NAMES, type PrimitiveName } from '../src/autodiff/primitive-names';
import * as E from '../src/ops/elementwise';
import * as A from '../src/ops/activations';
import * as RC from '../src/ops/reduce-core';
import * as R from '../src/ops/reduce';
import * as L from '../src/ops/layout';
import * as I from '../src/ops/indexing';
import { matmulRaw } from '../src/ops/linalg';
import * as C from '../src/ops/conv';
import { recurrentSequenceGradP, recurrentSequenceP } from '../src/nn/layers/recurrent-sequence';
import type { CellConfig } from '../src/backend/backend';
import { layerNorm } from '../src/ops/norm';
import { pureCallbackRaw } from '../src/ops/callback';
import { scaledDotProductAttention } from '../src/ops/attention';
import { backend, setBackend, type Backend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';
import { checkCase, drawnArb, exampleData, expectClose, fixedDraws, tensorOf, type ArgSpec, type Case, type Kind } from './helpers/vmap-oracle';
import { enumeratePrimitives } from './helpers/primitives';

// Bit-identity is a property of vmap on the reference (CPU) kernels, whose every element is
// computed the same way whatever the tensor's size; the wasm backend picks kernels by size, so
// there it holds within float32 rounding (the last test).
let saved: Backend;
beforeAll(() => {
  saved = backend();
  setBackend(cpuBackend);
});
afterAll(() => setBackend(saved));

// ---------------------------------------------------------------- one or more cases per primitive

const f2: ArgSpec = { shape: [2, 3] };
const p2: ArgSpec = { shape: [2, 3], kind: 'pos' };
const row: ArgSpec = { shape: [3] };
const img: ArgSpec = { shape: [1, 5, 5, 2] };
const pooled: ArgSpec = { shape: [1, 3, 3, 2] };
const u = (f: (x: AnyTensor) => AnyTensor, kind?: Kind): Case[] => [{ name: '', args: [{ shape: [2, 3], kind: kind ?? 'f' }], f }];
// a full operand against a broadcast one
const b2 = (f: (a: AnyTensor, b: AnyTensor) => AnyTensor, a: ArgSpec = f2): Case[] => [{ name: '', args: [a, row], f }];
const cmp = (prim: Primitive<null>): Case[] => [{ name: '', args: [f2, row], f: (a, b) => E.compareRaw(prim, a, b) }];

const convP = { strides: [1, 1], dilation: [1, 1], pads: [1, 1, 1, 1] } as const;
// 'same' 2x2 pooling of 5x5: 3x3 windows, the last row and column padded
const poolP = { k: [2, 2], strides: [2, 2], pads: [0, 1, 0, 1] } as const;
const poolBackP = { ...poolP, inShape: [1, 5, 5, 2] };
const argmaxOf = (x: AnyTensor) => bind1(C.maxPoolArgmaxP, [x], poolP);
const rnn: CellConfig = { kind: 'rnn', activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };
const lstm: CellConfig = { kind: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true };
// x [N 2, T 3, F 2], W [2, G], U [u 2, G], bias [G], h0 (c0) [2, 2]: G = gates·u
const seqArgs = (gates: number): ArgSpec[] => [{ shape: [2, 3, 2] }, { shape: [2, 2 * gates] }, { shape: [2, 2 * gates] }, { shape: [2 * gates] }, ...Array.from({ length: gates === 4 ? 2 : 1 }, () => ({ shape: [2, 2] }))];

const perFilter = 'a filter per example takes im2col and one batched GEMM, summing in another order than the kernel';
const seqVjp = 'on batched (traced) values the vjp takes the op-level recurrence, one example the fused kernel';

const CASES: { readonly [K in PrimitiveName]: readonly Case[] } = {
  neg: u(E.negRaw), abs: u(E.absRaw), exp: u(E.expRaw), log: u(E.logRaw, 'pos'), sqrt: u(E.sqrtRaw, 'pos'), rsqrt: u(E.rsqrtRaw, 'pos'),
  square: u(E.squareRaw), reciprocal: u(E.reciprocalRaw, 'pos'), sign: u(E.signRaw), sin: u(E.sinRaw), cos: u(E.cosRaw),
  floor: u((x) => bind1(E.floorP, [x], null)), round: u((x) => bind1(E.roundP, [x], null)), step: u((x) => bind1(A.stepP, [x], null)),
  sigmoid: u(A.sigmoidRaw), tanh: u(A.tanhRaw), relu: u(A.reluRaw), gelu: u(A.geluRaw), softplus: u(A.softplusRaw),
  normal_cdf: u((x) => bind1(A.normalCdfP, [x], null)), leaky_relu: u((x) => bind1(A.leakyReluP, [x], { alpha: 0.1 })), elu: u((x) => bind1(A.eluP, [x], { alpha: 1 })),
  clip: u((x) => E.clipRaw(x, -1, 1)), cast: u((x) => E.castRaw(E.castRaw(x, 'int32'), 'float32')),
  add: b2(E.addRaw), sub: b2(E.subRaw), mul: b2(E.mulRaw), div: b2(E.divRaw), pow: b2(E.powRaw, p2), maximum: b2(E.maximumRaw), minimum: b2(E.minimumRaw),
  eq: cmp(E.equalP), ne: cmp(E.notEqualP), lt: cmp(E.lessP), le: cmp(E.lessEqualP), gt: cmp(E.greaterP), ge: cmp(E.greaterEqualP),
  where: [{ name: '', args: [{ shape: [2, 3], kind: 'bool' }, f2, row], f: (c, a, b) => E.whereRaw(c, a, b) }],
  softmax: [{ name: '', args: [f2], f: (x) => A.softmaxRaw(x, 0) }],
  log_softmax: [{ name: '', args: [f2], f: (x) => A.logSoftmaxRaw(x, -1) }],
  log_sum_exp: [{ name: '', args: [{ shape: [2, 3, 2] }], f: (x) => A.logSumExpRaw(x, [0, 2], false) }],
  sum: [
    { name: 'axis 1', args: [{ shape: [2, 3, 2] }], f: (x) => RC.sumRaw(x, [1], false) },
    { name: 'keepDims', args: [{ shape: [2, 3, 2] }], f: (x) => RC.sumRaw(x, [0, 2], true) },
  ],
  max: [{ name: '', args: [f2], f: (x) => R.reduceRaw(R.maxP, x, 0) }],
  min: [{ name: '', args: [f2], f: (x) => R.reduceRaw(R.minP, x, 1, true) }],
  prod: [{ name: '', args: [f2], f: (x) => R.reduceRaw(R.prodP, x, undefined) }],
  norm: [{ name: '', args: [f2], f: (x) => R.reduceRaw(R.normP, x, 1) }],
  argmax: [{ name: '', args: [f2], f: (x) => R.argRaw(R.argmaxP, x, 0) }],
  argmin: [{ name: '', args: [f2], f: (x) => R.argRaw(R.argminP, x, -1) }],
  broadcast_to: [{ name: '', args: [row], f: (x) => RC.broadcastToRaw(x, [2, 2, 3]) }],
  reshape: [{ name: '', args: [f2], f: (x) => RC.reshapeRaw(x, [3, 1, 2]) }],
  transpose: [{ name: '', args: [{ shape: [2, 3, 4] }], f: (x) => RC.transposeRaw(x, [2, 0, 1]) }],
  matmul: [
    { name: '', args: [f2, { shape: [3, 4] }], f: (a, b) => matmulRaw(a, b) },
    { name: 'transposed', args: [{ shape: [3, 2] }, { shape: [4, 3] }], f: (a, b) => matmulRaw(a, b, true, true) },
    { name: 'k=1', args: [{ shape: [3, 1] }, { shape: [1, 4] }], f: (a, b) => matmulRaw(a, b) },
    { name: 'k=1 transposed', args: [{ shape: [1, 3] }, { shape: [4, 1] }], f: (a, b) => matmulRaw(a, b, true, true) },
    { name: 'rank 3 by a matrix', args: [{ shape: [2, 2, 3] }, { shape: [3, 4] }], f: (a, b) => matmulRaw(a, b) },
    { name: 'by a transposed matrix', args: [f2, { shape: [4, 3] }], f: (a, b) => matmulRaw(a, b, false, true) },
    { name: 'batched', args: [{ shape: [2, 2, 3] }, { shape: [3, 2] }], f: (a, b) => matmulRaw(a, b) },
  ],
  concat: [{ name: '', args: [f2, { shape: [2, 1] }], f: (a, b) => L.concatRaw([a, b], 1) }],
  split: [{ name: '', args: [{ shape: [4, 3] }], f: (x) => L.splitRaw(x, 0, [1, 3]) }],
  slice: [
    { name: '', args: [{ shape: [4, 3] }], f: (x) => L.sliceRaw(x, [1, 0], [2, 2], null) },
    { name: 'strided', args: [{ shape: [5, 3] }], f: (x) => L.sliceRaw(x, [0, 1], [3, 2], [2, 1]) },
  ],
  pad: [{ name: '', args: [f2], f: (x) => L.padRaw(x, [1, 0], [0, 2], 0.5) }],
  tile: [{ name: '', args: [f2], f: (x) => L.tileRaw(x, [2, 1]) }],
  gather: [
    { name: '', args: [{ shape: [5, 3] }, { shape: [4], kind: { idx: 5 } }], f: (x, i) => I.gatherRaw(x, i, 0) },
    { name: 'axis 1', args: [{ shape: [2, 5] }, { shape: [2, 2], kind: { idx: 5 } }], f: (x, i) => I.gatherRaw(x, i, 1) },
  ],
  scatter_add: [{ name: '', args: [{ shape: [4, 3] }, { shape: [4], kind: { idx: 3 } }], f: (v, i) => I.scatterAddRaw(v, i, [3, 3], 0) }],
  one_hot: [{ name: '', args: [{ shape: [3], kind: { idx: 4 } }], f: (i) => I.oneHotRaw(i, 4) }],
  conv2d: [
    { name: '', args: [img, { shape: [3, 3, 2, 4] }], fixed: [1], f: (x, w) => C.conv2d(x as never, w as never, { padding: 'same' }) as unknown as AnyTensor },
    { name: 'strided, filters batched too', args: [{ shape: [2, 6, 6, 2] }, { shape: [3, 2, 2, 3] }], f: (x, w) => C.conv2d(x as never, w as never, { strides: 2, dilation: 1 } as never) as unknown as AnyTensor, close: perFilter },
  ],
  conv2d_backprop_input: [
    { name: '', args: [{ shape: [1, 5, 5, 4] }, { shape: [3, 3, 2, 4] }], fixed: [1], f: (dy, w) => bind1(C.conv2dBackpropInputP, [dy, w], { ...convP, inShape: [1, 5, 5, 2] }) },
    { name: 'filters batched too', args: [{ shape: [1, 5, 5, 4] }, { shape: [3, 3, 2, 4] }], f: (dy, w) => bind1(C.conv2dBackpropInputP, [dy, w], { ...convP, inShape: [1, 5, 5, 2] }), close: perFilter },
  ],
  conv2d_backprop_filter: [{
    name: '', args: [img, { shape: [1, 5, 5, 4] }], f: (x, dy) => bind1(C.conv2dBackpropFilterP, [x, dy], { ...convP, filterShape: [3, 3, 2, 4] }),
    close: 'per-example filter gradients are im2col and one batched GEMM, summing the positions in another order than the kernel',
  }],
  max_pool2d: [{ name: '', args: [img], f: (x) => C.maxPool2d(x as never) as unknown as AnyTensor }],
  max_pool2d_argmax: [{ name: '', args: [img], f: argmaxOf }],
  // the indices as the max-pool derivatives make them: the argmax of a pool input
  max_pool_gather: [{ name: '', args: [img, img], f: (x, t) => bind1(C.maxPoolGatherP, [t, argmaxOf(x)], poolBackP) }],
  max_pool_scatter: [{ name: '', args: [img, pooled], f: (x, dy) => bind1(C.maxPoolScatterP, [dy, argmaxOf(x)], poolBackP) }],
  avg_pool2d: [{ name: '', args: [img], f: (x) => C.avgPool2d(x as never) as unknown as AnyTensor }],
  avg_pool2d_backprop: [{ name: '', args: [pooled], f: (dy) => bind1(C.avgPool2dBackpropP, [dy], poolBackP) }],
  layer_normalize: [{ name: '', args: [f2], f: (x) => layerNorm(x as never, null, null) as unknown as AnyTensor }],
  layer_norm_affine: [{ name: '', args: [f2, row, row], fixed: [1, 2], f: (x, g, b) => layerNorm(x as never, g as never, b as never) as unknown as AnyTensor }],
  // every output, the backward pass's residuals included; the weights stay unbatched (the rule folds the examples into the sequence batch)
  recurrent_sequence: [
    { name: 'rnn', args: seqArgs(1), fixed: [1, 2, 3], f: (...xs) => bind(recurrentSequenceP, xs, rnn), vjp: { close: seqVjp } },
    { name: 'lstm', args: seqArgs(4), fixed: [1, 2, 3], f: (...xs) => bind(recurrentSequenceP, xs, lstm), vjp: { close: seqVjp } },
  ],
  recurrent_sequence_grad: [
    {
      name: 'lstm', args: [...seqArgs(4), { shape: [2, 3, 2] }, { shape: [2, 2] }], fixed: [1, 2, 3],
      f: (...xs) => {
        const ins = xs.slice(0, 6);
        return bind(recurrentSequenceGradP, [...ins, ...bind(recurrentSequenceP, ins, lstm), xs[6]!, xs[7]!], { cfg: lstm, has: [true, true, false] });
      },
      close: 'per-example weight gradients take the op-level recurrence (the kernel sums them over the whole sequence batch)',
      vjp: { skip: 'the fused backward pass is not differentiable (higher derivatives go through the op-level recurrence, checked by recurrent_sequence vjp)' },
    },
  ],
  stop_gradient: [{ name: '', args: [f2], f: (x) => stopGradient(x as never) as unknown as AnyTensor }],
  add_any: [{ name: '', args: [f2, f2], f: (a, b) => addAny(a, b) }],
  // not element-wise: the sum and the last element of each example (catches a wrong per-example slice)
  pure_callback: [{
    name: '', args: [f2, { shape: [] }],
    f: (x, s) => pureCallbackRaw('test', ([d, c]) => [Float32Array.of(Array.from(d!).reduce((a, v) => a + v, 0) * c![0]!, d![d!.length - 1]!)], [{ shape: [2], dtype: 'float32' }], [x, s])[0]!,
  }],
};

/** Cases of composite functions, beyond one primitive each. */
const COMPOSITES: readonly Case[] = [
  { name: 'attention', args: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5, 2] }], f: (q, k, v) => scaledDotProductAttention(q as never, k as never, v as never) as unknown as AnyTensor },
];

/** Primitives with no batching rule, each with the reason. None: every registered primitive has one. */
const NO_RULE: Readonly<Record<string, string>> = {};

const registry = await enumeratePrimitives();
const named = (prim: string, c: Case): Case => ({ ...c, name: c.name === '' ? prim : `${prim} ${c.name}` });
const ALL: readonly [string, Case][] = [
  ...Object.entries(CASES).flatMap(([p, cs]) => cs.map((c): [string, Case] => [p, named(p, c)])),
  ...COMPOSITES.map((c): [string, Case] => [c.name, c]),
];
const graphOf = (c: Case) => makeGraph((...xs) => c.f(...xs), c.args.map((a) => ({ shape: a.shape, dtype: exampleData(a, 0).dtype })));

describe('every registered primitive has a batching rule and a case here', () => {
  it('the registry is the library list; each primitive has a rule (or a stated reason) and cases', () => {
    expect([...registry.keys()].sort()).toEqual([...PRIMITIVE_NAMES].sort());
    const missingRule = [...registry.values()].filter((p) => p.batch === undefined && !(p.name in NO_RULE)).map((p) => p.name);
    expect(missingRule, 'primitives without a batching rule').toEqual([]);
    const missingCase = [...registry.keys()].filter((n) => !((CASES as Record<string, readonly Case[] | undefined>)[n]?.length));
    expect(missingCase, 'primitives without a case').toEqual([]);
    expect(Object.keys(NO_RULE).filter((n) => !registry.has(n) || registry.get(n)!.batch !== undefined), 'stale NO_RULE entries').toEqual([]);
  });

  it('each case reaches its primitive', () => {
    const unreached = Object.entries(CASES).flatMap(([p, cs]) => cs.filter((c) => !graphOf(c).eqns.some((e) => e.prim.name === p)).map((c) => named(p, c).name));
    expect(unreached).toEqual([]);
  });

  it('without its rule, each primitive makes vmap fail with an error naming it (never a silent loop)', () => {
    for (const [p, cs] of Object.entries(CASES)) {
      const c = cs[0]!;
      const g = graphOf(c);
      const prim = registry.get(p)!;
      let calls = 0;
      // a copy without its rule whose kernel counts calls: a loop over examples would run it
      const { batch: _rule, ...rest } = prim;
      const bare: Primitive<unknown, string> = { ...rest, impl: (...a) => (calls++, prim.impl(...a)) };
      const h = { ...g, eqns: g.eqns.map((e) => (e.prim === prim ? { ...e, prim: bare } : e)) };
      const d = fixedDraws(c)[0]!;
      const args = c.args.map((a, i) => {
        const ex = exampleData(a, 3 + i);
        const one = tensorOf(a.shape, ex.dtype, ex.data);
        return d.inAxes[i] === null ? one : RC.broadcastToRaw(RC.reshapeRaw(one, [1, ...a.shape]), [2, ...a.shape]);
      });
      expect(() => vmap((...xs: AnyTensor[]) => evalGraph(h, xs), { inAxes: d.inAxes })(...args), p).toThrow(`vmap: no batching rule for '${p}'`);
      expect(calls, p).toBe(0);
    }
  });
});

describe('vmap equals stacking f over the examples, per primitive (bit-identical unless the case says why not)', () => {
  for (const [, c] of ALL) {
    it(c.name, () => {
      const same = c.close === undefined ? undefined : expectClose;
      fc.assert(
        fc.property(drawnArb(c), (d) => checkCase(c, d, same)),
        { seed: 15, numRuns: 10, examples: fixedDraws(c).map((d) => [d]) },
      );
    });
  }
});

/**
 * c with an inner batch of 2 at axis 0 of each batchable argument and f vmapped over it (result
 * at its last axis): checkCase then compares vmap(vmap(f)) with vmap(f) stacked over the outer
 * examples, which the property above ties to f itself.
 */
function nested(c: Case): Case {
  const inner = c.args.map((_, i) => (c.fixed?.includes(i) ? null : 0));
  const f = vmap(c.f, { inAxes: inner, outAxes: -1 }) as unknown as Case['f']; // cast: vmap of an untyped function
  return { ...c, name: `${c.name} nested`, args: c.args.map((a, i) => (inner[i] === null ? a : { ...a, shape: [2, ...a.shape] })), f };
}

describe('vmap(vmap(f)) equals vmap(f) stacked over the outer examples, per primitive', () => {
  for (const [, c] of ALL) {
    it(c.name, () => {
      const n = nested(c);
      fc.assert(
        fc.property(drawnArb(n), (d) => checkCase(n, d, c.close === undefined ? undefined : expectClose)),
        { seed: 17, numRuns: 4, examples: fixedDraws(n).map((d) => [d]) },
      );
    });
  }
});

/**
 * The pullback of c (float arguments and results only; others have no gradient): f's vjp at the
 * arguments, applied to cotangents that are extra arguments. checkCase then compares
 * vmap(vjp(f)) with the per-example vjps, stacked: per-example gradients through every
 * primitive's derivative rules, batched.
 */
function pulled(c: Case): Case | null {
  const outs = graphOf(c).outputs.map((o) => (o.kind === 'var' ? o.aval : { shape: o.value.shape as readonly number[], dtype: o.value.dtype }));
  if (c.vjp !== undefined && 'skip' in c.vjp) return null;
  if (c.args.some((a) => a.kind === 'bool' || typeof a.kind === 'object') || outs.some((o) => o.dtype !== 'float32')) return null;
  const n = c.args.length;
  const f = (...xs: AnyTensor[]): readonly AnyTensor[] => {
    const [, pull] = vjp((...ys: AnyTensor[]) => c.f(...ys), ...xs.slice(0, n));
    const cts = xs.slice(n);
    return pull((cts.length === 1 && !Array.isArray(c.f(...xs.slice(0, n))) ? cts[0]! : cts) as never); // cast: the cotangent has f's result structure
  };
  const close = c.vjp !== undefined && 'close' in c.vjp ? c.vjp.close : c.close;
  return { ...c, name: `${c.name} vjp`, args: [...c.args, ...outs.map((o) => ({ shape: o.shape }))], f, ...(close === undefined ? {} : { close }) };
}

describe('vmap(vjp(f)) equals the per-example vjps, stacked, per primitive', () => {
  for (const [, c] of ALL) {
    const g = pulled(c);
    if (g === null) continue;
    it(g.name, () => {
      fc.assert(
        fc.property(drawnArb(g), (d) => checkCase(g, d, g.close === undefined ? undefined : expectClose)),
        { seed: 18, numRuns: 4, examples: fixedDraws(g).map((d) => [d]) },
      );
    });
  }
});

describe('on the default wasm backend: vmap equals stacking f within float32 rounding', () => {
  beforeAll(() => setBackend(saved));
  afterAll(() => setBackend(cpuBackend));
  it('every case', () => {
    for (const [, c] of ALL) {
      fc.assert(
        fc.property(drawnArb(c), (d) => checkCase(c, d, expectClose)),
        { seed: 16, numRuns: 3, examples: fixedDraws(c).map((d) => [d]) },
      );
    }
  });
});
