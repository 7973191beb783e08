/**
 * The graph IR: what a traced function did, as data (in the spirit of a jaxpr).
 *
 *   Graph  = { inputs: Var[], eqns: Eqn[], outputs: Atom[] }
 *   Eqn    = outputs ← prim(inputs; params)     one primitive application
 *   Atom   = Var (a value computed in the graph or an input) | Literal (a constant tensor)
 *
 * Eqns are in execution order; every Var is defined once (SSA). The VJP transform records
 * one while f runs and walks it backwards; `makeGraph` records one abstractly (no data)
 * for inspection and export; `evalGraph` runs one (through `bind`, so it can itself be
 * transformed). `printGraph` shows it:
 *
 *   { lambda a:f32[32,784] b:f32[784,128] .
 *       c:f32[32,128] = matmul a b
 *       d:f32[32,128] = relu c
 *     in (d) }
 */
import type { AVal, AnyTensor, Primitive } from './core';
import { bind } from './core';

export interface Var {
  readonly kind: 'var';
  readonly id: number;
  readonly aval: AVal;
}
export interface Literal {
  readonly kind: 'literal';
  readonly value: AnyTensor;
}
export type Atom = Var | Literal;

export interface Eqn {
  readonly prim: Primitive<any, string>;
  readonly inputs: readonly Atom[];
  readonly outputs: readonly Var[];
  readonly params: unknown;
}

export interface Graph {
  readonly inputs: readonly Var[];
  readonly eqns: readonly Eqn[];
  readonly outputs: readonly Atom[];
}

/** Accumulates eqns while a trace runs. */
export class GraphBuilder {
  private nextId = 0;
  readonly eqns: Eqn[] = [];
  newVar(aval: AVal): Var {
    return { kind: 'var', id: this.nextId++, aval: { shape: aval.shape.slice(), dtype: aval.dtype } };
  }
  get varCount(): number {
    return this.nextId;
  }
}

/** Run a graph on tensors (or tracers: evalGraph is itself traceable). */
export function evalGraph(graph: Graph, inputs: readonly AnyTensor[]): AnyTensor[] {
  if (inputs.length !== graph.inputs.length) {
    throw new Error(`evalGraph: graph takes ${graph.inputs.length} inputs, got ${inputs.length}`);
  }
  const env = new Map<number, AnyTensor>();
  graph.inputs.forEach((v, i) => env.set(v.id, inputs[i]!));
  const read = (a: Atom): AnyTensor => (a.kind === 'literal' ? a.value : env.get(a.id)!);
  for (const eqn of graph.eqns) {
    const outs = bind(eqn.prim, eqn.inputs.map(read), eqn.params);
    eqn.outputs.forEach((v, i) => env.set(v.id, outs[i]!));
  }
  return graph.outputs.map(read);
}

/**
 * Whether two graphs are the same computation: the same primitives with equal params on the
 * same vars (ids in trace order) and literals of equal values. Two traces of one function
 * compare equal exactly when nothing the trace read outside the inputs (a key, a number)
 * changed what it recorded.
 */
export function sameGraph(a: Graph, b: Graph): boolean {
  const atom = (x: Atom, y: Atom): boolean => {
    if (x.kind === 'var' || y.kind === 'var') return x.kind === y.kind && (x as Var).id === (y as Var).id;
    const p = x.value, q = y.value;
    if (p === q) return true;
    if (p.dtype !== q.dtype || p.shape.join() !== q.shape.join() || p._data === null || q._data === null) return false;
    for (let i = 0; i < p._data.length; i++) if (!Object.is(p._data[i], q._data[i])) return false;
    return true;
  };
  const avals = (x: readonly Var[], y: readonly Var[]) => x.length === y.length && x.every((v, i) => v.id === y[i]!.id && v.aval.dtype === y[i]!.aval.dtype && v.aval.shape.join() === y[i]!.aval.shape.join());
  if (!avals(a.inputs, b.inputs) || a.eqns.length !== b.eqns.length || a.outputs.length !== b.outputs.length) return false;
  if (!a.outputs.every((o, i) => atom(o, b.outputs[i]!))) return false;
  return a.eqns.every((e, i) => {
    const f = b.eqns[i]!;
    if (e.prim !== f.prim || e.inputs.length !== f.inputs.length || !avals(e.outputs, f.outputs)) return false;
    if (!e.inputs.every((x, j) => atom(x, f.inputs[j]!))) return false;
    try {
      return JSON.stringify(e.params) === JSON.stringify(f.params);
    } catch {
      return false;
    }
  });
}

const DT: Record<string, string> = { float32: 'f32', int32: 'i32', bool: 'bool' };

function varName(id: number): string {
  let s = '';
  let n = id;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

function fmtParams(params: unknown): string {
  if (params === null || params === undefined || typeof params !== 'object') return '';
  const entries = Object.entries(params as Record<string, unknown>).filter(([, v]) => typeof v !== 'function');
  if (entries.length === 0) return '';
  return '[' + entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') + ']';
}

/** Human-readable text of a graph. */
export function printGraph(graph: Graph): string {
  const typed = (v: Var) => `${varName(v.id)}:${DT[v.aval.dtype]}[${v.aval.shape.join(',')}]`;
  const atom = (a: Atom) =>
    a.kind === 'var' ? varName(a.id) : a.value.size === 1 && a.value._data !== null ? String(a.value._data[0]) : `const${DT[a.value.dtype]}[${a.value.shape.join(',')}]`;
  const lines = [`{ lambda ${graph.inputs.map(typed).join(' ')} .`];
  for (const e of graph.eqns) {
    lines.push(`    ${e.outputs.map(typed).join(' ')} = ${e.prim.name}${fmtParams(e.params)} ${e.inputs.map(atom).join(' ')}`);
  }
  lines.push(`  in (${graph.outputs.map(atom).join(', ')}) }`);
  return lines.join('\n');
}
