/**
 * Fusion of element-wise chains for jit plans.
 *
 * A cluster is a run of consecutive eqns (in the graph's order, so every input of the
 * cluster is defined before it) of element-wise float32 primitives with one output shape.
 * Its inputs from outside may broadcast when the input's non-1 dims are one contiguous block of
 * the output's dims (same shape, a scalar, a [C] row over [N, C], an [N, 1] column over
 * [N, C], ...): element i of the output then reads element ⌊i / a⌋ mod b of the input.
 *
 * A cluster runs as one backend call, `elementwiseProgram` (src/backend/backend.ts), which each
 * backend implements bit-identically to its own op-by-op kernels: the CPU backend walks the
 * output in cache-sized blocks through its kernels' loops (backend/cpu/program.ts), the wasm
 * backend copies the inputs into its memory once, runs every op there on resident buffers and
 * copies only the cluster's outputs out (backend/wasm/program.ts). Only values used after the
 * cluster are materialised as tensors. A backend without it runs the cluster op by op.
 */
import { backend } from '../backend';
import type { BinaryOp, ElementwiseArg, ElementwiseInput, ElementwiseProgram, ElementwiseRule, F32, UnaryOp } from '../backend/backend';
import { makeTensor } from '../tensor/tensor';
import type { AnyTensor, AVal } from './core';
import type { Atom, Eqn, Graph, Var } from './graph';
import { isPrimitiveName, type PrimitiveName } from './primitive-names';

type Rule = (params: unknown) => ElementwiseRule;

const bin = (op: BinaryOp): Rule => () => ({ kind: 'binary', op });
const un = (op: UnaryOp): Rule => () => ({ kind: 'unary', op });
const alpha = (op: 'leakyRelu' | 'elu'): Rule => (p) => ({ kind: 'alpha', op, alpha: (p as { alpha: number }).alpha });

/** The kernel call of each element-wise primitive's impl, as a program instruction. */
const RULES: Partial<Record<PrimitiveName, Rule>> = {
  add: bin('add'), add_any: bin('add'), sub: bin('sub'), mul: bin('mul'), div: bin('div'), pow: bin('pow'), maximum: bin('maximum'), minimum: bin('minimum'),
  neg: un('neg'), abs: un('abs'), sqrt: un('sqrt'), square: un('square'), reciprocal: un('reciprocal'),
  relu: un('relu'), step: un('step'), floor: un('floor'), round: un('round'), sign: un('sign'), sin: un('sin'), cos: un('cos'),
  exp: un('exp'), log: un('log'), sigmoid: un('sigmoid'), tanh: un('tanh'), softplus: un('softplus'), gelu: un('gelu'), rsqrt: un('rsqrt'),
  leaky_relu: alpha('leakyRelu'), elu: alpha('elu'),
  clip: (p) => ({ kind: 'clip', lo: (p as { lo: number }).lo, hi: (p as { hi: number }).hi }),
};

function ruleOf(e: Eqn): Rule | null {
  if (e.prim.composite || !isPrimitiveName(e.prim.name) || e.outputs.length !== 1) return null;
  const r = RULES[e.prim.name];
  if (!r || e.outputs[0]!.aval.dtype !== 'float32') return null;
  return e.inputs.every((a) => avalOfAtom(a).dtype === 'float32') ? r : null;
}

const avalOfAtom = (a: Atom): AVal => (a.kind === 'var' ? a.aval : { shape: a.value.shape as readonly number[], dtype: a.value.dtype });
const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** How an input of shape `is` is read over output shape `os`: element ⌊i / a⌋ mod b; null if not one block. */
function pattern(is: readonly number[], os: readonly number[]): { a: number; b: number } | null {
  if (is.length > os.length) return null;
  const pad = os.length - is.length;
  let lo = -1, hi = -1;
  for (let d = 0; d < is.length; d++) {
    if (is[d] === 1) continue;
    if (is[d] !== os[pad + d]) return null;
    if (lo === -1) lo = d;
    else if (hi !== d) return null; // a gap of 1s between non-1 dims
    hi = d + 1;
  }
  if (lo === -1) return { a: 1, b: 1 };
  return { a: sizeOf(os.slice(pad + hi)), b: sizeOf(is.slice(lo, hi)) };
}

// ---------------------------------------------------------------- clusters

export interface Cluster {
  readonly eqnCount: number;
  readonly eqns: readonly Eqn[];
  /** output shape and size */
  readonly shape: readonly number[];
  readonly size: number;
}

export interface FusedStep {
  readonly kind: 'fused';
  readonly ins: readonly number[];
  readonly outs: readonly number[];
  readonly cluster: Cluster;
  /** `into[j]`: a donated array output j is written into (else fresh) */
  run(ins: readonly AnyTensor[], into?: readonly (F32 | undefined)[]): AnyTensor[];
}

export interface ClusterGroup {
  readonly cluster: Cluster;
  bind(slot: (a: Atom) => number, defSlot: (v: Var) => number): FusedStep;
}

/**
 * Group the eqns of a graph: runs of at least two fusible eqns become clusters, the rest stay.
 * A fusible eqn joins the latest run of its output shape (within RUN_LOOKBACK groups) whose end
 * has every input it reads: its own run's values, or values defined before that run began
 * (read by broadcast pattern). It then runs earlier than in the graph, which is safe because
 * nothing between needs it; so the params update of an optimizer and the applyUpdates that
 * follows the whole tree become one pass per leaf even though other leaves' ops sit between.
 * A lone fusible eqn becomes a cluster of one when `single(e)` says so (an output that can be
 * written into a donated buffer: only fused steps take one).
 */
export function fuseClusters(graph: Graph, single: (e: Eqn) => boolean = () => false): (Eqn | ClusterGroup)[] {
  const consumers = new Map<number, Eqn[]>();
  for (const e of graph.eqns) for (const a of e.inputs) if (a.kind === 'var') (consumers.get(a.id) ?? consumers.set(a.id, []).get(a.id)!).push(e);
  const graphOut = new Set(graph.outputs.flatMap((a) => (a.kind === 'var' ? [a.id] : [])));

  type Run = { readonly eqns: Eqn[]; readonly shape: readonly number[]; readonly defined: Set<number> };
  const items: (Eqn | Run)[] = [];
  const definedAt = new Map<number, number>(); // var id → index of the item defining it
  const isRun = (x: Eqn | Run): x is Run => 'defined' in x;
  // e may run at the end of the run at index `at`: each input is a value of the run, or was
  // defined before the run (or is a graph input / literal) and is read by a broadcast pattern
  const joins = (e: Eqn, r: Run, at: number) =>
    sameShape(r.shape, e.outputs[0]!.aval.shape) &&
    e.inputs.every((a) => (a.kind === 'var' && r.defined.has(a.id)) || ((a.kind !== 'var' || (definedAt.get(a.id) ?? -1) < at) && pattern(avalOfAtom(a).shape, r.shape) !== null));
  for (const e of graph.eqns) {
    if (ruleOf(e) !== null) {
      let at = -1;
      for (let j = items.length - 1; j >= Math.max(0, items.length - RUN_LOOKBACK) && at === -1; j--) {
        const it = items[j]!;
        if (isRun(it) && joins(e, it, j)) at = j;
      }
      if (at >= 0) {
        const r = items[at] as Run;
        r.eqns.push(e);
        r.defined.add(e.outputs[0]!.id);
        definedAt.set(e.outputs[0]!.id, at);
        continue;
      }
      const shape = e.outputs[0]!.aval.shape;
      if (e.inputs.every((a) => pattern(avalOfAtom(a).shape, shape) !== null)) {
        items.push({ eqns: [e], shape, defined: new Set([e.outputs[0]!.id]) });
        definedAt.set(e.outputs[0]!.id, items.length - 1);
        continue;
      }
    }
    items.push(e);
    for (const v of e.outputs) definedAt.set(v.id, items.length - 1);
  }
  return items.flatMap((it): (Eqn | ClusterGroup)[] => {
    if (!isRun(it)) return [it];
    return it.eqns.length >= 2 || single(it.eqns[0]!) ? [makeCluster(it.eqns, it.shape, consumers, graphOut)] : it.eqns;
  });
}

/** how many groups back a fusible eqn looks for a run to join (bounds the plan's build time) */
const RUN_LOOKBACK = 48;

function makeCluster(eqns: readonly Eqn[], shape: readonly number[], consumers: ReadonlyMap<number, Eqn[]>, graphOut: ReadonlySet<number>): ClusterGroup {
  const members = new Set(eqns);
  const size = sizeOf(shape);
  const valueOf = new Map<number, number>(); // var id → value index
  const inputs: Atom[] = [];
  const inputKey = new Map<unknown, number>(); // var id or literal tensor → input index
  const instrs: { rule: ElementwiseRule; args: ElementwiseArg[] }[] = [];
  for (const e of eqns) {
    const args = e.inputs.map((a): ElementwiseArg => {
      if (a.kind === 'var' && valueOf.has(a.id)) return { kind: 'value', v: valueOf.get(a.id)! };
      const key = a.kind === 'var' ? a.id : a.value;
      let k = inputKey.get(key);
      if (k === undefined) {
        inputKey.set(key, (k = inputs.length));
        inputs.push(a);
      }
      return { kind: 'input', k };
    });
    valueOf.set(e.outputs[0]!.id, valueOf.size);
    instrs.push({ rule: ruleOf(e)!(e.params), args });
  }
  const outVars = eqns.map((e) => e.outputs[0]!).filter((v) => graphOut.has(v.id) || (consumers.get(v.id) ?? []).some((c) => !members.has(c)));
  const cluster: Cluster = { eqnCount: eqns.length, eqns, shape, size };
  const reads = inputs.map((a): ElementwiseInput => {
    const s = avalOfAtom(a).shape;
    const m = sizeOf(s);
    if (m === size) return { kind: 'full', a: 1, b: size };
    if (m === 1) return { kind: 'scalar', a: 1, b: 1 };
    return { kind: 'broadcast', ...pattern(s, shape)! };
  });
  const program: ElementwiseProgram = { n: size, inputs: reads, instrs, outputs: outVars.map((v) => valueOf.get(v.id)!) };
  return {
    cluster,
    bind(slot, defSlot) {
      const ins = inputs.map(slot);
      const outs = outVars.map(defSlot);
      const run = (ts: readonly AnyTensor[], into?: readonly (F32 | undefined)[]): AnyTensor[] => {
        const bk = backend();
        if (!bk.elementwiseProgram) return runUnfused(ts, eqns, inputs, outVars);
        return bk.elementwiseProgram(program, ts.map((t) => t._data as F32), into).map((d) => makeTensor(shape, 'float32', d));
      };
      return { kind: 'fused', ins, outs, cluster, run };
    },
  };
}

/** The cluster's eqns one by one (a backend without elementwiseProgram). */
function runUnfused(ins: readonly AnyTensor[], eqns: readonly Eqn[], inputs: readonly Atom[], outVars: readonly Var[]): AnyTensor[] {
  const env = new Map<unknown, AnyTensor>();
  inputs.forEach((a, k) => env.set(a.kind === 'var' ? a.id : a.value, ins[k]!));
  for (const e of eqns) {
    const xs = e.inputs.map((a) => env.get(a.kind === 'var' ? a.id : a.value)!);
    const v = e.outputs[0]!;
    // element-wise float32 kernels return float32 data
    env.set(v.id, makeTensor(v.aval.shape, 'float32', e.prim.impl(xs, e.params, [v.aval])[0]! as F32));
  }
  return outVars.map((v) => env.get(v.id)!);
}
