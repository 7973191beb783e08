/**
 * Mutation suite for the testing kit: checkGrads must catch a deliberately broken derivative
 * rule of every primitive, on scalar and non-scalar outputs, in forward and reverse mode.
 *
 * - Primitives are enumerated from the library's modules (every exported value shaped like a
 *   Primitive), so a new primitive without a case here fails the suite instead of being skipped.
 * - A case is a small function that reaches the primitive. Its recorded graph (traceGraph) is
 *   replayed with evalGraph after swapping that primitive for a mutant: a copy whose jvp or vjp
 *   rule is broken. Nothing in the library is patched or made mutable.
 * - Mutations, per differentiable input i: `scale` (×1.5), `sign` (×-1), `transpose` (last two
 *   axes, when square), `drop-broadcast` (the cotangent of a broadcast input is not summed over
 *   the broadcast axes: the first slice is taken instead, or the unreduced cotangent is returned)
 *   and, where the true partial is zero, `nonzero` (a constant-one partial instead).
 * - A mutant counts as caught only when checkGrads throws its own mismatch error; every case also
 *   passes unmutated, so catches are not artefacts of kinks or tolerance.
 */
import { describe, expect, it } from 'vitest';
import { bind1, type AnyTensor, type MaybeTensor, type Primitive } from '../src/autodiff/core';
import { evalGraph, type Graph } from '../src/autodiff/graph';
import { jvp, stopGradient, traceGraph, vjp } from '../src/autodiff/transforms';
import { makeTensor } from '../src/tensor/tensor';
import { addRaw, castP, clipRaw, compareRaw, divRaw, greaterP, maximumRaw, minimumRaw, mulRaw, negRaw, powRaw, subRaw, whereRaw } from '../src/ops/elementwise';
import * as ew from '../src/ops/elementwise';
import * as act from '../src/ops/activations';
import { normalCdfP } from '../src/ops/activations';
import { broadcastToRaw, reshapeRaw, sumRaw } from '../src/ops/reduce-core';
import * as red from '../src/ops/reduce';
import { matmulRaw, transposeRaw } from '../src/ops/linalg';
import { concatRaw, padRaw, sliceRaw, splitRaw, tileRaw } from '../src/ops/layout';
import { gatherRaw, scatterAddRaw } from '../src/ops/indexing';
import { layerNorm } from '../src/ops/norm';
import { avgPool2d, conv2d, conv2dBackpropFilter, conv2dBackpropInput, maxPool2d } from '../src/ops/conv';
import { simpleRnnScan } from '../src/nn/layers/recurrent';
import { checkGrads } from '../src/testing/check-grads';
import { PRIMITIVE_NAMES } from '../src/autodiff/primitive-names';
import { randArray } from './helpers/rand';
import { enumeratePrimitives } from './helpers/primitives';

type T = AnyTensor;
const A = (x: unknown) => x as T;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const t = (shape: readonly number[], data: ArrayLike<number>): T => makeTensor(shape, 'float32', Float32Array.from(data)) as unknown as T;
/** uniform [-1, 1) */
const u = (shape: readonly number[], seed: number) => t(shape, randArray(size(shape), seed));
/** |x| in [lo, lo + 1), random sign unless positive */
const away = (shape: readonly number[], seed: number, lo = 0.3, positive = false) =>
  t(shape, Array.from(randArray(size(shape), seed), (v) => (positive || v >= 0 ? 1 : -1) * (lo + Math.abs(v))));
/** distinct values at least 0.05 apart (no max/min ties), shuffled */
const distinct = (shape: readonly number[], seed: number) => {
  const n = size(shape);
  const r = randArray(n, seed);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r[a]! - r[b]!);
  const out = new Array<number>(n);
  order.forEach((idx, rank) => (out[idx] = -1 + (2 * rank + 1) / n + 0.01 * r[idx]!));
  return t(shape, out);
};
/** values in (k + 0.2, k + 0.8) for integers k: away from floor / round jumps (round jumps at k + 0.5, so shift it) */
const offGrid = (shape: readonly number[], seed: number, jumpAt: number) =>
  t(shape, Array.from(randArray(size(shape), seed), (v, i) => (i % 5) - 2 + jumpAt + 0.2 + 0.3 * (v + 1)));
const ids = (data: number[]) => makeTensor([data.length], 'int32', Int32Array.from(data)) as unknown as T;
const mask = (shape: readonly number[], seed: number) => compareRaw(greaterP, u(shape, seed), 0);
/** the cotangent of f at x, as a function of ct: reaches the primitives of f's vjp rules */
const pull = (f: (x: T) => T, x: T) => (ct: T) => (vjp(f, x)[1](ct) as unknown as T[])[0]!;
const tangentOf = (f: (x: T) => T) => (x: T, tx: T) => jvp(f, [x], [tx])[1];

interface Case {
  /** the function under test (float tensor inputs only; constants are closed over) */
  readonly f: (...xs: T[]) => unknown;
  readonly inputs: readonly T[];
  /** which inputs of the target primitive's eqn are implicitly broadcast to the output */
  readonly broadcast?: readonly number[];
  /**
   * false when the rule reduces by the output's shape alone, so a pre-broadcast input cannot
   * make it return the unreduced cotangent (layer_norm_affine sums gamma's over x's leading axes)
   */
  readonly unreducedEmulable?: boolean;
}
const unary = (f: (x: T) => T, x: T): Case => ({ f, inputs: [x] });
const binary = (f: (a: T, b: T) => T, a: T, b: T): Case => ({ f: f as Case['f'], inputs: [a, b], broadcast: [1] });

const sq = [3, 3];
/** every primitive with derivative rules that can be mutated, by primitive name */
const cases: Record<string, Case> = {
  abs: unary((x) => ew.abs(x as never) as T, away(sq, 1)),
  neg: unary(negRaw, u(sq, 2)),
  exp: unary((x) => ew.exp(x as never) as T, u(sq, 3)),
  log: unary((x) => ew.log(x as never) as T, away(sq, 4, 0.3, true)),
  sqrt: unary((x) => ew.sqrt(x as never) as T, away(sq, 5, 0.3, true)),
  rsqrt: unary((x) => ew.rsqrt(x as never) as T, away(sq, 6, 0.5, true)),
  square: unary((x) => ew.square(x as never) as T, u(sq, 7)),
  reciprocal: unary((x) => ew.reciprocal(x as never) as T, away(sq, 8, 0.5)),
  sin: unary((x) => ew.sin(x as never) as T, u(sq, 9)),
  cos: unary((x) => ew.cos(x as never) as T, u(sq, 10)),
  sign: unary((x) => ew.sign(x as never) as T, away(sq, 11)),
  floor: unary((x) => ew.floor(x as never) as T, offGrid(sq, 12, 0)),
  round: unary((x) => ew.round(x as never) as T, offGrid(sq, 13, 0.5)),
  step: unary((x) => bind1(act.stepP, [x], null), away(sq, 14)),
  sigmoid: unary((x) => act.sigmoid(x as never) as T, u(sq, 15)),
  tanh: unary((x) => act.tanh(x as never) as T, u(sq, 16)),
  relu: unary((x) => act.relu(x as never) as T, away(sq, 17)),
  gelu: unary((x) => act.gelu(x as never) as T, u(sq, 18)),
  softplus: unary((x) => act.softplus(x as never) as T, u(sq, 19)),
  leaky_relu: unary((x) => act.leakyRelu(x as never, 0.2) as T, away(sq, 20)),
  elu: unary((x) => act.elu(x as never, 1) as T, away(sq, 21)),
  // internal (gelu's derivative uses it): bound directly
  normal_cdf: unary((x) => bind1(normalCdfP, [x], null), u(sq, 22)),
  // castRaw skips a float32 → float32 cast; bind it directly to reach the rule's float branch
  cast: unary((x) => bind1(castP, [x], { to: 'float32' }), u(sq, 23)),
  clip: unary((x) => clipRaw(x, -0.5, 0.5), t(sq, Array.from(randArray(9, 24), (v, i) => (i % 3 === 0 ? 0.6 + Math.abs(v) * 0.3 : 0.4 * v)))),

  add: binary(addRaw, u(sq, 30), u([3], 31)),
  sub: binary(subRaw, u(sq, 32), u([3], 33)),
  mul: binary(mulRaw, u(sq, 34), u([3], 35)),
  div: binary(divRaw, u(sq, 36), away([3], 37, 0.5)),
  pow: binary(powRaw, away(sq, 38, 0.5, true), u([3], 39)),
  maximum: binary(maximumRaw, distinct(sq, 40), t([3], [-0.9, 0.01, 0.93])),
  minimum: binary(minimumRaw, distinct(sq, 41), t([3], [-0.9, 0.01, 0.93])),
  where: { f: (a, b) => whereRaw(mask(sq, 42), a!, b!), inputs: [u(sq, 43), u([3], 44)], broadcast: [2] },

  softmax: unary((x) => act.softmaxRaw(x, -1), u(sq, 50)),
  log_softmax: unary((x) => act.logSoftmaxRaw(x, -1), u(sq, 51)),
  log_sum_exp: unary((x) => act.logSumExpRaw(x, [0], false), u([3, 3, 3], 52)),
  sum: unary((x) => sumRaw(x, [0], false), u([3, 3, 3], 53)),
  max: unary((x) => A(red.max(x as never, 0)), distinct([3, 3, 3], 54)),
  min: unary((x) => A(red.min(x as never, 0)), distinct([3, 3, 3], 55)),
  prod: unary((x) => A(red.prod(x as never, 0)), away([3, 3, 3], 56, 0.5)),
  norm: unary((x) => A(red.norm(x as never, 0)), u([3, 3, 3], 57)),

  matmul: { f: (a, b) => matmulRaw(a!, b!), inputs: [u([2, 3, 3], 60), u(sq, 61)], broadcast: [1] },
  transpose: unary((x) => transposeRaw(x, [2, 0, 1]), u([2, 3, 3], 62)),
  reshape: unary((x) => reshapeRaw(x, [1, 9]), u(sq, 63)),
  broadcast_to: { f: (x) => broadcastToRaw(x!, [2, 3, 3]), inputs: [u(sq, 64)], broadcast: [0] },
  concat: { f: (a, b) => concatRaw([a!, b!], 0), inputs: [u(sq, 65), u(sq, 66)] },
  split: unary((x) => splitRaw(x, 0, [2, 4]) as unknown as T, u([6, 6], 67)),
  slice: unary((x) => sliceRaw(x, [1, 0], [3, 3], null), u([4, 4], 68)),
  pad: unary((x) => padRaw(x, [1, 0], [0, 1], 0), u(sq, 69)),
  tile: unary((x) => tileRaw(x, [2, 1]), u(sq, 70)),
  gather: unary((x) => gatherRaw(x, ids([2, 0, 2]), 0), u(sq, 71)),
  scatter_add: unary((x) => scatterAddRaw(x, ids([2, 0, 2]), [3, 3], 0), u(sq, 72)),

  layer_normalize: unary((x) => A(layerNorm(x as never, null, null)), u(sq, 80)),
  layer_norm_affine: { f: (x, g, b) => A(layerNorm(x as never, g as never, b as never)), inputs: [u([2, 3, 3], 81), u([3], 82), u([3], 83)], broadcast: [1, 2], unreducedEmulable: false },

  conv2d: { f: (x, w) => A(conv2d(x as never, w as never)), inputs: [u([1, 4, 4, 2], 90), u([2, 2, 2, 2], 91)] },
  conv2d_backprop_input: { f: (dy, w) => A(conv2dBackpropInput(dy as never, w as never, [1, 4, 4, 2])), inputs: [u([1, 3, 3, 2], 92), u([2, 2, 2, 2], 93)] },
  conv2d_backprop_filter: { f: (x, dy) => A(conv2dBackpropFilter(x as never, dy as never, [2, 2, 2, 2])), inputs: [u([1, 4, 4, 2], 94), u([1, 3, 3, 2], 95)] },
  max_pool2d: unary((x) => A(maxPool2d(x as never)), distinct([1, 4, 4, 2], 96)),
  avg_pool2d: unary((x) => A(avgPool2d(x as never)), u([1, 4, 4, 2], 97)),
  // the pool derivatives' own primitives, reached through the pool's jvp / vjp
  max_pool_gather: { f: tangentOf((x) => A(maxPool2d(x as never))) as Case['f'], inputs: [distinct([1, 4, 4, 2], 98), u([1, 4, 4, 2], 99)] },
  max_pool_scatter: unary(pull((x) => A(maxPool2d(x as never)), distinct([1, 4, 4, 2], 100)), u([1, 2, 2, 2], 101)),
  avg_pool2d_backprop: unary(pull((x) => A(avgPool2d(x as never)), u([1, 4, 4, 2], 102)), u([1, 2, 2, 2], 103)),

  // the reverse pass sums fan-out cotangents with add_any: y feeds both sin and cos
  add_any: unary((ct) => pull((y) => addRaw(ew.sin(y as never) as T, ew.cos(y as never) as T), u(sq, 104))(ct), u(sq, 105)),

  recurrent_sequence: {
    f: (x, k, r) => simpleRnnScan({ kernel: k, recurrentKernel: r } as never, x as never) as unknown,
    inputs: [u([2, 3, 2], 110), u([2, 2], 111), u([2, 2], 112)],
  },
};

/** primitives whose rules no mutation can reach, with the reason (each checked below where possible) */
const unmutatable: Record<string, string> = {
  eq: 'bool output: no tangent or cotangent flows out of a comparison (the JVP trace drops what its jvp rule returns for a non-float output, the VJP trace never has a cotangent for it)',
  ne: 'bool output (as eq)',
  lt: 'bool output (as eq)',
  le: 'bool output (as eq)',
  gt: 'bool output (as eq)',
  ge: 'bool output (as eq)',
  argmax: 'int32 output (as eq)',
  argmin: 'int32 output (as argmax)',
  max_pool2d_argmax: 'int32 output (as argmax)',
  one_hot: 'its only input is int indices (nondiff), so it is never differentiated',
  stop_gradient: 'its zero derivative is a definition, not the derivative of the identity it computes: finite differences contradict the true rule already (checked below)',
  pure_callback: 'a JavaScript function of data: its derivative is zero by definition (as stop_gradient), whatever the callback computes; finite differences of a callback that is smooth would contradict it',
  recurrent_sequence_grad: 'its rules throw by design: the fused backward is bound only on concrete values, higher orders go through the op-level recurrence',
};
/** cases proving that the rules of the bool/int-output primitives have no effect */
const neverCalled: Record<string, Case> = {
  eq: unary((x) => whereRaw(ew.equal(x as never, 0.5 as never) as unknown as T, x, 0), u(sq, 120)),
  ne: unary((x) => whereRaw(ew.notEqual(x as never, 0.5 as never) as unknown as T, x, 0), u(sq, 121)),
  lt: unary((x) => whereRaw(ew.less(x as never, 0 as never) as unknown as T, x, 0), u(sq, 122)),
  le: unary((x) => whereRaw(ew.lessEqual(x as never, 0 as never) as unknown as T, x, 0), u(sq, 123)),
  gt: unary((x) => whereRaw(ew.greater(x as never, 0 as never) as unknown as T, x, 0), u(sq, 124)),
  ge: unary((x) => whereRaw(ew.greaterEqual(x as never, 0 as never) as unknown as T, x, 0), u(sq, 125)),
  argmax: unary((x) => mulRaw(x, sumRaw(bind1(castP, [A(red.argmax(x as never, -1))], { to: 'float32' }), [0], false)), u(sq, 126)),
  argmin: unary((x) => mulRaw(x, sumRaw(bind1(castP, [A(red.argmin(x as never, -1))], { to: 'float32' }), [0], false)), u(sq, 127)),
  // argmax is computed inside the max-pool derivatives only: reach it through the vjp
  max_pool2d_argmax: unary((x) => pull((y) => A(maxPool2d(y as never)), x)(u([1, 2, 2, 2], 129)), distinct([1, 4, 4, 2], 128)),
};

// ---------------------------------------------------------------- the primitive registry (test/helpers/primitives.ts)

const registry = await enumeratePrimitives();

// ---------------------------------------------------------------- mutants

type Rule = 'jvp' | 'vjp';
type Kind = 'scale' | 'sign' | 'transpose' | 'drop-broadcast' | 'drop-broadcast-unreduced' | 'nonzero' | 'none';

const isZero = (x: MaybeTensor) => x === null || x.dataSync().every((v) => v === 0);
const sameValues = (a: MaybeTensor, b: MaybeTensor) => a !== null && b !== null && a.shape.join() === b.shape.join() && a.dataSync().every((v, i) => v === b.dataSync()[i]);
const swapLast = (x: T) => transposeRaw(x, [...Array.from({ length: x.shape.length - 2 }, (_, i) => i), x.shape.length - 1, x.shape.length - 2]);
/**
 * `ct` (of the output's shape) zeroed outside the first slice of every axis that an input of
 * `shape` is broadcast over: a linear rule given it returns what a rule that takes the first
 * slice instead of summing over the broadcast axes would.
 */
function firstSliceOnly(ct: T, shape: readonly number[]): T {
  const out = ct.shape as readonly number[];
  const lead = out.length - shape.length;
  const keep = new Float32Array(ct.size);
  const strides = out.map((_, a) => size(out.slice(a + 1)));
  for (let j = 0; j < keep.length; j++) {
    keep[j] = out.every((_, a) => !(a < lead || shape[a - lead] === 1) || Math.floor(j / strides[a]!) % out[a]! === 0) ? 1 : 0;
  }
  return mulRaw(ct, t(out, keep));
}

interface Outcome {
  /** the mutation changed a rule's value at some call (otherwise it is an equivalent mutant) */
  changed: boolean;
}

/** A copy of `prim` whose `rule` is broken for input `i` in the way `kind` says. */
function mutant(prim: Primitive<unknown>, rule: Rule, kind: Kind, i: number, outcome: Outcome): Primitive<unknown> {
  if (rule === 'vjp') {
    return {
      ...prim,
      vjp(cts, primals, outs, params, needed) {
        const r = prim.vjp!(cts, primals, outs, params, needed);
        const ci = r[i] ?? null;
        let m: MaybeTensor;
        if (kind === 'none') m = ci;
        else if (kind === 'nonzero') m = mulRaw(sumRaw(cts[0]!, cts[0]!.shape.map((_, k) => k), false), broadcastToRaw(t([], [1]), primals[i]!.shape as number[]));
        else if (ci === null) m = null;
        else if (kind === 'scale') m = mulRaw(ci, 1.5);
        else if (kind === 'sign') m = negRaw(ci);
        else if (kind === 'transpose') m = swapLast(ci);
        else if (kind === 'drop-broadcast') {
          m = prim.vjp!(cts.map((c) => c && firstSliceOnly(c, primals[i]!.shape as number[])), primals, outs, params, needed)[i]!;
        } else {
          // the rule run as if input i already had the output's shape: its cotangent comes back unreduced
          m = prim.vjp!(cts, primals.map((p, k) => (k === i ? broadcastToRaw(p, outs[0]!.shape as number[]) : p)), outs, params, needed)[i]!;
        }
        if (!sameValues(m, ci)) outcome.changed = true;
        const out = r.slice();
        out[i] = m;
        return out;
      },
    };
  }
  return {
    ...prim,
    jvp(primals, tangents, outs, params) {
      const ti = tangents[i] ?? null;
      const r = prim.jvp!(primals, tangents, outs, params);
      let m: MaybeTensor[];
      if (ti === null || kind === 'none') m = r;
      else if (kind === 'nonzero') {
        const s = sumRaw(ti, ti.shape.map((_, k) => k), false);
        m = r.map((o, k) => addRaw(o ?? t(outs[k]!.shape as number[], new Float32Array(outs[k]!.size)), mulRaw(s, broadcastToRaw(t([], [1]), outs[k]!.shape as number[]))));
      } else {
        const ts = tangents.slice();
        ts[i] = kind === 'scale' ? mulRaw(ti, 1.5) : kind === 'sign' ? negRaw(ti) : swapLast(ti);
        m = prim.jvp!(primals, ts, outs, params);
      }
      if (m.some((o, k) => !sameValues(o, r[k] ?? null))) outcome.changed = true;
      return m;
    },
  };
}

function replaced(g: Graph, prim: Primitive<unknown>, by: Primitive<unknown>): Graph {
  return { ...g, eqns: g.eqns.map((e) => (e.prim === prim ? { ...e, prim: by } : e)) };
}

/** the function a graph computes, with one output leaf or a list of them */
const runner = (g: Graph) => (...xs: T[]) => {
  const outs = evalGraph(g, xs);
  return outs.length === 1 ? outs[0]! : outs;
};
/** a scalar loss of f: Σ ⟨c_k, out_k⟩ with fixed random weights (a plain sum can be constant, as for softmax) */
const scalarLoss = (f: (...xs: T[]) => unknown, outShapes: readonly (readonly number[])[]) => {
  const weights = outShapes.map((s, k) => u(s, 1000 + k));
  return (...xs: T[]) => {
    const o = f(...xs);
    const leaves = (Array.isArray(o) ? o : [o]) as T[];
    return leaves.map((l, k) => sumRaw(mulRaw(l, weights[k]!), l.shape.map((_, a) => a), false)).reduce((a, b) => addRaw(a, b));
  };
};

function caughtBy(f: (...xs: T[]) => unknown, inputs: readonly T[], modes: readonly ('fwd' | 'rev')[]): boolean {
  try {
    checkGrads(f, inputs, { modes, seed: 7 });
    return false;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!msg.startsWith('checkGrads:')) throw new Error(`not a checkGrads failure: ${msg}`);
    return true;
  }
}

interface Trial {
  readonly prim: string;
  readonly rule: Rule;
  readonly kind: Kind;
  readonly input: number;
  readonly output: 'scalar' | 'non-scalar';
  readonly caught: boolean;
}

function applicableKinds(c: Case, eqnInputShape: readonly number[], i: number, zero: boolean, rule: Rule): Kind[] {
  if (zero) return ['nonzero'];
  const kinds: Kind[] = ['scale', 'sign'];
  const r = eqnInputShape.length;
  if (r >= 2 && eqnInputShape[r - 1] === eqnInputShape[r - 2] && eqnInputShape[r - 1]! > 1) kinds.push('transpose');
  if (rule === 'vjp' && c.broadcast?.includes(i)) kinds.push('drop-broadcast', ...(c.unreducedEmulable === false ? [] : (['drop-broadcast-unreduced'] as const)));
  return kinds;
}

/** The differentiable inputs of the target primitive's (first) eqn, and whether each partial is zero. */
function targetInputs(g: Graph, prim: Primitive<unknown>): { index: number; shape: readonly number[] }[] {
  const eqn = g.eqns.find((e) => e.prim === prim);
  if (!eqn) throw new Error(`the case for '${prim.name}' does not reach it`);
  return eqn.inputs.flatMap((a, index) =>
    a.kind === 'var' && a.aval.dtype === 'float32' && !(prim.nondiff?.includes(index) ?? false) ? [{ index, shape: a.aval.shape }] : [],
  );
}

/** whether the true rule's partial for input i is zero (probed with an identity "mutant" that records it) */
function zeroPartial(g: Graph, prim: Primitive<unknown>, i: number, inputs: readonly T[]): boolean {
  let zero = true;
  const probe: Primitive<unknown> = {
    ...prim,
    vjp(cts, primals, outs, params, needed) {
      const r = prim.vjp!(cts, primals, outs, params, needed);
      if (!isZero(r[i] ?? null)) zero = false;
      return r;
    },
  };
  const f = runner(replaced(g, prim, probe));
  const [out, pb] = vjp((...xs: T[]) => f(...xs), ...inputs);
  const leaves = (Array.isArray(out) ? out : [out]) as T[];
  const ws = leaves.map((l, k) => u(l.shape as number[], 2000 + k));
  pb((Array.isArray(out) ? ws : ws[0]) as never);
  return zero;
}

function runSuite(): { trials: Trial[]; equivalent: string[] } {
  const trials: Trial[] = [];
  const equivalent: string[] = [];
  for (const [name, c] of Object.entries(cases)) {
    try {
      caseTrials(name, c, trials, equivalent);
    } catch (e) {
      throw new Error(`case '${name}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return { trials, equivalent };
}

function caseTrials(name: string, c: Case, trials: Trial[], equivalent: string[]): void {
  const prim = registry.get(name)!;
  const g = traceGraph((...xs: T[]) => c.f(...xs), ...c.inputs);
  const base = runner(g);
  const outShapes = g.outputs.map((o) => (o.kind === 'var' ? o.aval.shape : o.value.shape) as readonly number[]);
  const fns = { 'non-scalar': base, scalar: scalarLoss(base, outShapes) } as const;
  // unmutated, every check passes: a catch below is the mutation's doing
  for (const f of Object.values(fns)) checkGrads(f, c.inputs, { seed: 7 });
  for (const { index, shape } of targetInputs(g, prim)) {
    const zero = zeroPartial(g, prim, index, c.inputs);
    for (const rule of ['jvp', 'vjp'] as const) {
      // control: the same wrapping with the rule left intact passes, so catches come from the mutations
      const control = runner(replaced(g, prim, mutant(prim, rule, 'none', index, { changed: false })));
      if (caughtBy(scalarLoss(control, outShapes), c.inputs, [rule === 'jvp' ? 'fwd' : 'rev']) || caughtBy(control, c.inputs, [rule === 'jvp' ? 'fwd' : 'rev'])) {
        throw new Error(`the unmutated ${rule} wrapper of input ${index} fails checkGrads`);
      }
      for (const kind of applicableKinds(c, shape, index, zero, rule)) {
        for (const output of ['scalar', 'non-scalar'] as const) {
          const outcome: Outcome = { changed: false };
          const m = runner(replaced(g, prim, mutant(prim, rule, kind, index, outcome)));
          const f = output === 'scalar' ? scalarLoss(m, outShapes) : m;
          const caught = caughtBy(f, c.inputs, [rule === 'jvp' ? 'fwd' : 'rev']);
          if (!outcome.changed && !caught) equivalent.push(`${name} ${rule} ${kind} input ${index} ${output}`);
          else trials.push({ prim: name, rule, kind, input: index, output, caught });
        }
      }
    }
  }
}

describe('mutation suite for checkGrads', () => {
  it('finds every primitive of the library, and each has a case or a stated reason', () => {
    // the enumeration agrees with the library's own list of primitive names
    expect([...registry.keys()].sort()).toEqual([...PRIMITIVE_NAMES].sort());
    const withRules = [...registry.values()].filter((p) => p.jvp || p.vjp).map((p) => p.name);
    expect(withRules.length).toBeGreaterThanOrEqual(70);
    const uncovered = withRules.filter((n) => !(n in cases) && !(n in unmutatable));
    expect(uncovered).toEqual([]);
    const stale = [...Object.keys(cases), ...Object.keys(unmutatable)].filter((n) => !registry.has(n));
    expect(stale).toEqual([]);
    expect(Object.keys(cases).filter((n) => n in unmutatable)).toEqual([]);
  });

  it('the rules of bool- and int-output primitives have no effect (a garbage jvp and a throwing vjp go unnoticed)', () => {
    for (const [name, c] of Object.entries(neverCalled)) {
      const prim = registry.get(name)!;
      const g = traceGraph((...xs: T[]) => c.f(...xs), ...c.inputs);
      expect(g.eqns.some((e) => e.prim === prim), name).toBe(true);
      const garbage: Primitive<unknown>['jvp'] = (_p, _t, outs) => outs.map((o) => t(o.shape as number[], new Float32Array(o.size).fill(7)));
      const boom = () => {
        throw new Error(`${name}: vjp rule called`);
      };
      const f = runner(replaced(g, prim, { ...prim, jvp: garbage, vjp: boom }));
      checkGrads(f, c.inputs, { seed: 7 });
    }
  });

  it('stop_gradient cannot be judged by finite differences: checkGrads rejects even its true rule', () => {
    expect(() => checkGrads((x: T) => A(stopGradient(x as never)), [u(sq, 25)])).toThrow(/^checkGrads: jvp vs finite differences/);
  });

  it('catches every mutant of every other primitive, scalar and non-scalar outputs, fwd and rev', () => {
    const t0 = performance.now();
    const { trials, equivalent } = runSuite();
    const missed = trials.filter((r) => !r.caught).map((r) => `${r.prim} ${r.rule} ${r.kind} input ${r.input} ${r.output}`);
    const count = (p: (r: Trial) => boolean) => `${trials.filter((r) => p(r) && r.caught).length}/${trials.filter(p).length}`;
    const kinds = [...new Set(trials.map((r) => r.kind))];
    console.log(
      `mutation suite: caught ${count(() => true)} mutants of ${Object.keys(cases).length} primitives in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
        ` (jvp ${count((r) => r.rule === 'jvp')}, vjp ${count((r) => r.rule === 'vjp')}; scalar ${count((r) => r.output === 'scalar')}, non-scalar ${count((r) => r.output === 'non-scalar')}; ` +
        kinds.map((k) => `${k} ${count((r) => r.kind === k)}`).join(', ') +
        `); equivalent (no effect at the test point): ${equivalent.length ? equivalent.join('; ') : 'none'}; not mutable: ${Object.keys(unmutatable).join(', ')}`,
    );
    expect(missed).toEqual([]);
    expect(equivalent).toEqual([]);
    // every primitive with a case got at least scale and sign in both rules and both outputs
    for (const name of Object.keys(cases)) expect(trials.filter((r) => r.prim === name).length, name).toBeGreaterThanOrEqual(4);
    expect(trials.some((r) => r.kind === 'transpose') && trials.some((r) => r.kind === 'drop-broadcast')).toBe(true);
  }, 120_000);
});
