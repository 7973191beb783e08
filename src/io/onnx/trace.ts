/**
 * Tracing for ONNX export: the function is traced with makeGraph at two sizes of every dynamic
 * dim (and once more at options.maxSizes), and the traces are checked to have the same graph.
 * A `Pair` is one value in the two traces; equal halves mean static.
 */
import type { AnyFn, ExportOnnxOptions } from './options';
import type { DType } from '../../tensor/dtype';
import type { AVal, AnyTensor } from '../../autodiff/core';
import { makeGraph } from '../../autodiff/transforms';
import type { Atom, Graph, Var } from '../../autodiff/graph';
import { type Flat } from '../../autodiff/pytree';

export type Pair = readonly [number, number];
export const pairKey = (p: Pair) => `${p[0]},${p[1]}`;
export const isStatic = (p: Pair) => p[0] === p[1];
export const samePair = (a: Pair, b: Pair) => a[0] === b[0] && a[1] === b[1];

export interface Spec {
  readonly name: string;
  readonly shape: (number | string)[];
  readonly dtype: DType;
}

const DEFAULT_PRIMES = [5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79];

export function symbolSizes(specs: readonly Spec[], given: ExportOnnxOptions['traceSizes']): Map<string, Pair> {
  const out = new Map<string, Pair>();
  let k = 0;
  for (const s of specs) {
    for (const d of s.shape) {
      if (typeof d !== 'string' || out.has(d)) continue;
      const g = given?.[d];
      if (g !== undefined) {
        if (!(g.length === 2 && g.every((v) => Number.isInteger(v) && v >= 2) && g[0] !== g[1])) {
          throw new Error(`exportOnnx: traceSizes.${d} must be two different integers >= 2, got ${JSON.stringify(g)}`);
        }
        out.set(d, [g[0]!, g[1]!]);
      } else {
        if (k + 1 >= DEFAULT_PRIMES.length) throw new Error('exportOnnx: too many dynamic dims for the default trace sizes; give options.traceSizes');
        out.set(d, [DEFAULT_PRIMES[k]!, DEFAULT_PRIMES[k + 1]!]);
        k += 2;
      }
    }
  }
  for (const k of Object.keys(given ?? {})) {
    if (!out.has(k)) throw new Error(`exportOnnx: traceSizes.${k} names no dynamic dim of the inputs`);
  }
  const seen = new Map<string, string>();
  for (const [name, p] of out) {
    const other = seen.get(pairKey(p));
    if (other !== undefined) throw new Error(`exportOnnx: dynamic dims '${other}' and '${name}' have the same trace sizes; they must differ`);
    seen.set(pairKey(p), name);
  }
  return out;
}

/** the sizes of the third trace (maxSizes, other symbols at their first trace size), or null */
export function maxSizes(symbols: ReadonlyMap<string, Pair>, given: ExportOnnxOptions['maxSizes']): Map<string, Pair> | null {
  if (given === undefined) return null;
  const out = new Map<string, Pair>();
  for (const [k, v] of Object.entries(given)) {
    const p = symbols.get(k);
    if (p === undefined) throw new Error(`exportOnnx: maxSizes.${k} names no dynamic dim of the inputs`);
    if (!(Number.isInteger(v) && v >= Math.max(p[0], p[1]))) throw new Error(`exportOnnx: maxSizes.${k} must be an integer >= its trace sizes (${p[0]}, ${p[1]}), got ${v}`);
  }
  for (const [k, p] of symbols) {
    const v = given[k] ?? p[0];
    out.set(k, [v, v]);
  }
  return out;
}

export function traceGraph(fn: AnyFn, specs: readonly Spec[], flat: Flat<unknown> | null, symbols: ReadonlyMap<string, Pair>, k: 0 | 1): Graph {
  const avals: AVal[] = specs.map((s) => ({ shape: s.shape.map((d) => (typeof d === 'number' ? d : symbols.get(d)![k])), dtype: s.dtype }));
  const n = specs.length;
  if (flat !== null) for (const l of flat.leaves) avals.push({ shape: l.shape as readonly number[], dtype: l.dtype });
  return makeGraph((...args: AnyTensor[]) => (flat === null ? fn(...args) : fn(flat.rebuild(args.slice(n)), ...args.slice(0, n))), avals);
}

export function describeSizes(symbols: ReadonlyMap<string, Pair>): string {
  return [...symbols].map(([s, p]) => `${s} = ${p[0]} / ${p[1]}`).join(', ');
}

/** Both traces must record the same computation; only sizes, size-dependent params and constants may differ. */
export function alignGraphs(g1: Graph, g2: Graph, symbols: ReadonlyMap<string, Pair>): void {
  // sizes: the second trace's, for the message
  const sizesOf = (k: 0 | 1) => [...symbols].map(([s, p]) => `${s} = ${p[k]}`).join(', ');
  const fail = (what: string): never => {
    throw new Error(
      `exportOnnx: the traced graph changes with the size of the dynamic dims (traced at ${sizesOf(0) === sizesOf(1) ? sizesOf(0) : describeSizes(symbols)}): ${what}. ` +
        'The function is not shape-polymorphic in those dims (e.g. a loop over time steps); give them numbers, or other options.traceSizes.',
    );
  };
  if (g1.eqns.length !== g2.eqns.length) fail(`${g1.eqns.length} vs ${g2.eqns.length} operations`);
  const atomsMatch = (a: readonly Atom[], b: readonly Atom[]) => a.length === b.length && a.every((x, i) => x.kind === b[i]!.kind && (x.kind === 'literal' || x.id === (b[i] as Var).id));
  g1.eqns.forEach((e1, i) => {
    const e2 = g2.eqns[i]!;
    if (e1.prim !== e2.prim) fail(`operation #${i} is '${e1.prim.name}' in one trace and '${e2.prim.name}' in the other`);
    if (!atomsMatch(e1.inputs, e2.inputs) || !atomsMatch(e1.outputs, e2.outputs)) fail(`the inputs of operation #${i} ('${e1.prim.name}') differ`);
    e1.outputs.forEach((v, j) => {
      const w = e2.outputs[j]!;
      if (v.aval.shape.length !== w.aval.shape.length || v.aval.dtype !== w.aval.dtype) fail(`the rank of output ${j} of operation #${i} ('${e1.prim.name}') differs`);
    });
  });
  if (!atomsMatch(g1.outputs, g2.outputs)) fail('the outputs differ');
}
