/**
 * The three traces.
 * - JvpTrace (forward mode): a tracer carries (primal, tangent); each op's `jvp` rule
 *   pushes tangents forward as it runs.
 * - VjpTrace (reverse mode): a tracer carries (primal, var); each op is recorded as an
 *   Eqn of a graph (src/autodiff/graph.ts) with its primal values, which `backward`
 *   then walks in reverse applying `vjp` rules.
 * - GraphTrace (abstract): a tracer carries only a var and an aval; ops are recorded
 *   without running kernels (makeGraph, export).
 * Derivative rules are written with public ops, so when an outer trace is active they
 * are traced too: grad of grad, jvp of grad (Hessian-vector products) follow.
 */
import { concreteData } from '../tensor/tensor';
import type { TypedArray } from '../tensor/dtype';
import {
  Trace,
  bind,
  makeTracerTensor,
  tracerOf,
  type AVal,
  type AnyTensor,
  type MaybeTensor,
  type Primitive,
  type Tracer,
} from './core';
import { GraphBuilder, type Atom, type Eqn, type Graph, type Var } from './graph';

function aval(x: AnyTensor): AVal {
  return { shape: x.shape as readonly number[], dtype: x.dtype };
}

// ---------------------------------------------------------------- forward mode

/** JAX refuses a JVP of a custom_vjp function too ("can't apply forward-mode autodiff (jvp) to a custom_vjp function"). */
export function customVjpJvpMessage(name: string): string {
  return (
    `jvp: cannot differentiate customVjp function '${name}' in forward mode: customVjp gives only a reverse-mode rule, ` +
    'and using the derivative of its forward function instead would disagree with that rule. ' +
    "Differentiate it with vjp / grad / valueAndGrad (forward-over-reverse, jvp of grad, works), or check it with checkGrads(f, args, { modes: ['rev'] })."
  );
}

export interface JvpTracer extends Tracer {
  readonly primal: AnyTensor;
  readonly tangent: AnyTensor;
}

export class JvpTrace extends Trace {
  lift(primal: AnyTensor, tangent: MaybeTensor): AnyTensor {
    if (tangent === null) return primal;
    const payload: JvpTracer & { concrete(what: string): TypedArray } = {
      trace: this,
      primal,
      tangent,
      concrete: (what) => concreteData(primal, what),
    };
    return makeTracerTensor(aval(primal), payload);
  }

  process(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown): AnyTensor[] {
    if (prim.composite) {
      // A hand-written backward pass has no forward twin: running the function inline would
      // push the primal's own derivative forward and silently disagree with the custom rule.
      if (prim.composite.vjpBackward) throw new Error(customVjpJvpMessage(prim.name));
      return prim.composite.run(inputs, params);
    }
    const primals = new Array<AnyTensor>(inputs.length);
    const tangents = new Array<MaybeTensor>(inputs.length);
    let any = false;
    for (let i = 0; i < inputs.length; i++) {
      const tr = tracerOf<JvpTracer>(inputs[i]!, this);
      primals[i] = tr ? tr.primal : inputs[i]!;
      tangents[i] = tr && !(prim.nondiff?.includes(i) ?? false) ? tr.tangent : null;
      if (tangents[i] !== null) any = true;
    }
    const outs = bind(prim, primals, params);
    if (!any) return outs;
    if (!prim.jvp) throw new Error(`Forward-mode differentiation of '${prim.name}' is not supported (no jvp rule).`);
    const touts = prim.jvp(primals, tangents, outs, params);
    return outs.map((o, i) => (o.dtype === 'float32' ? this.lift(o, touts[i] ?? null) : o));
  }
}

// ---------------------------------------------------------------- reverse mode

export interface VjpTracer extends Tracer {
  readonly primal: AnyTensor;
  readonly v: Var;
}

interface RecordedEqn extends Eqn {
  /** residuals of a custom-vjp forward, handed to its backward */
  readonly saved?: unknown;
}

export class VjpTrace extends Trace {
  readonly builder = new GraphBuilder();
  /** primal value of each var, by id (the forward's activations; released during backward) */
  readonly values: (AnyTensor | undefined)[] = [];
  readonly inputs: Var[] = [];

  newInput(primal: AnyTensor): AnyTensor {
    const v = this.builder.newVar(aval(primal));
    this.inputs.push(v);
    return this.wrap(primal, v);
  }

  private wrap(primal: AnyTensor, v: Var): AnyTensor {
    this.values[v.id] = primal;
    const payload: VjpTracer & { concrete(what: string): TypedArray } = { trace: this, primal, v, concrete: (what) => concreteData(primal, what) };
    return makeTracerTensor(v.aval, payload);
  }

  process(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown): AnyTensor[] {
    const primals = new Array<AnyTensor>(inputs.length);
    const atoms = new Array<Atom>(inputs.length);
    let any = false;
    for (let i = 0; i < inputs.length; i++) {
      const tr = tracerOf<VjpTracer>(inputs[i]!, this);
      if (tr) {
        primals[i] = tr.primal;
        atoms[i] = tr.v;
        if (!(prim.nondiff?.includes(i) ?? false) && tr.v.aval.dtype === 'float32') any = true;
      } else {
        primals[i] = inputs[i]!;
        atoms[i] = { kind: 'literal', value: inputs[i]! };
      }
    }
    if (!any) return bind(prim, primals, params);
    const c = prim.composite;
    if (c && !c.vjpForward) return c.run(inputs, params);
    let outs: AnyTensor[];
    let saved: unknown;
    if (c && c.vjpForward) {
      const r = c.vjpForward(primals, params);
      outs = r.outs;
      saved = r.residuals;
    } else outs = bind(prim, primals, params);
    const outVars = outs.map((o) => this.builder.newVar(aval(o)));
    const eqn: RecordedEqn = { prim, inputs: atoms, outputs: outVars, params, saved };
    this.builder.eqns.push(eqn);
    return outs.map((o, i) => {
      if (o.dtype === 'float32') return this.wrap(o, outVars[i]!);
      this.values[outVars[i]!.id] = o; // integer / bool outputs (indices, masks) are kept for the backward pass, not traced
      return o;
    });
  }

  /** The graph recorded so far, with the given outputs. */
  graph(outputs: readonly Atom[]): Graph {
    return { inputs: this.inputs, eqns: this.builder.eqns, outputs };
  }

  /**
   * Walk the recorded eqns backwards from output cotangents; returns the cotangent of each
   * input var (null where nothing flowed). `add` accumulates fan-out.
   */
  backward(outputs: readonly Atom[], cts: readonly MaybeTensor[], add: (a: AnyTensor, b: AnyTensor) => AnyTensor, release: boolean): MaybeTensor[] {
    const acc = new Array<MaybeTensor>(this.builder.varCount).fill(null);
    outputs.forEach((o, i) => {
      const ct = cts[i] ?? null;
      if (o.kind === 'var' && ct !== null) acc[o.id] = acc[o.id] ? add(acc[o.id]!, ct) : ct;
    });
    const eqns = this.builder.eqns as RecordedEqn[];
    for (let e = eqns.length - 1; e >= 0; e--) {
      const eqn = eqns[e]!;
      const outCts = eqn.outputs.map((v) => acc[v.id] ?? null);
      if (outCts.every((c) => c === null)) continue;
      const inPrimals = eqn.inputs.map((a) => (a.kind === 'var' ? this.values[a.id]! : a.value));
      const outPrimals = eqn.outputs.map((v) => this.values[v.id]!);
      const c = eqn.prim.composite;
      let inCts: MaybeTensor[];
      if (c && c.vjpBackward) inCts = c.vjpBackward(eqn.saved, outCts, inPrimals, outPrimals, eqn.params);
      else if (eqn.prim.vjp) {
        const needed = eqn.inputs.map((a, i) => a.kind === 'var' && !(eqn.prim.nondiff?.includes(i) ?? false));
        inCts = eqn.prim.vjp(outCts, inPrimals, outPrimals, eqn.params, needed);
      }
      else throw new Error(`Reverse-mode differentiation of '${eqn.prim.name}' is not supported (no vjp rule).`);
      eqn.inputs.forEach((a, i) => {
        const ct = inCts[i] ?? null;
        if (a.kind !== 'var' || ct === null || (eqn.prim.nondiff?.includes(i) ?? false)) return;
        acc[a.id] = acc[a.id] ? add(acc[a.id]!, ct) : ct;
      });
      if (release) for (const v of eqn.outputs) acc[v.id] = null;
    }
    return this.inputs.map((v) => acc[v.id] ?? null);
  }
}

// ---------------------------------------------------------------- abstract graph

export interface GraphTracer extends Tracer {
  readonly v: Var;
}

/** Where an abstract trace runs, for error messages: makeGraph / export, or jit. */
export type GraphContext = 'makeGraph' | 'jit';

export class GraphTrace extends Trace {
  readonly builder = new GraphBuilder();
  readonly inputs: Var[] = [];

  constructor(level: number, readonly context: GraphContext = 'makeGraph') {
    super(level);
  }

  newInput(a: AVal): AnyTensor {
    const v = this.builder.newVar(a);
    this.inputs.push(v);
    return this.tracer(v);
  }

  private tracer(v: Var): AnyTensor {
    const payload: GraphTracer & { concrete(what: string): never } = { trace: this, v, concrete: (what) => this.cannotRead(what, v.aval) };
    return makeTracerTensor(v.aval, payload);
  }

  /** A read of values (dataSync(), item(), ...) inside an abstract trace: fail now, naming the read. */
  cannotRead(what: string, a: AVal): never {
    const t = `${a.dtype}[${a.shape.join(', ')}]`;
    if (this.context === 'jit') {
      throw new Error(
        `jit: ${what} read the values of a traced tensor ${t} while tracing the jitted function. Inside jit, tensors are abstract ` +
          '(shapes and dtypes only) and the function runs once per signature, so a value read now would be baked into every later call. ' +
          'Compute with ops instead, pass the value as a static argument (jit(f, { static: [i] })), or read it outside the jitted function.',
      );
    }
    throw new Error(`${what}: cannot read the values of an abstract traced tensor ${t} (inside makeGraph / export): values exist only when the function runs.`);
  }

  atomOf(x: AnyTensor): Atom {
    const tr = tracerOf<GraphTracer>(x, this);
    return tr ? tr.v : { kind: 'literal', value: x };
  }

  process(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown): AnyTensor[] {
    if (prim.composite) return prim.composite.run(inputs, params);
    return this.record(prim, inputs, params, prim.shape(inputs.map(aval), params));
  }

  /** Record one eqn with known output avals; returns its output tracers. */
  protected record(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown, outAvals: readonly AVal[]): AnyTensor[] {
    const outVars = outAvals.map((a) => this.builder.newVar(a));
    this.builder.eqns.push({ prim, inputs: inputs.map((x) => this.atomOf(x)), outputs: outVars, params });
    return outVars.map((v) => this.tracer(v));
  }
}

/**
 * True when every tracer among `xs` belongs to a jit trace (concrete values and nulls pass):
 * the values are only being staged into a plan, no transform differentiates or batches them.
 * A primitive whose derivative rule has a fused concrete path (e.g. the recurrent sequence's
 * backprop-through-time kernel) may then bind that kernel instead of its op-level reference.
 */
export function onlyJitTracers(xs: readonly MaybeTensor[]): boolean {
  return xs.every((x) => {
    // cast: a tensor's tracer payload is always a Tracer (core makes them)
    const tr = x === null ? null : (x._tracer as Tracer | null);
    return tr === null || (tr.trace instanceof GraphTrace && tr.trace.context === 'jit');
  });
}
