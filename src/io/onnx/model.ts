/**
 * The model builder: liveness over the traced graph, inputs, initializers (params and
 * constants, with dynamic-size constants sliced at run time), one handler call per equation,
 * outputs, then the ModelProto bytes.
 */
import { IR_VERSION, ONNX_OPSET, type ExportOnnxOptions } from './options';
import type { TypedArray } from '../../tensor/dtype';
import { concreteData } from '../../tensor/tensor';
import type { AnyTensor } from '../../autodiff/core';
import type { Atom, Graph, Var } from '../../autodiff/graph';
import { type Flat } from '../../autodiff/pytree';
import { encodeModel, type DimSpec, type NodeSpec, type TensorSpec, type ValueInfoSpec } from './proto';
import { Emitter, ONNX_OF, int, rawBytes, sameContent, uniformValue } from './emitter';
import { handlerOf } from './handlers';
import { type Pair, type Spec, isStatic, pairKey } from './trace';

export function buildModel(g1: Graph, g2: Graph, g3: Graph | null, specs: readonly Spec[], flat: Flat<unknown> | null, symbols: ReadonlyMap<string, Pair>, options: ExportOnnxOptions): Uint8Array {
  const e = new Emitter(symbols);
  const dimsOf = new Map<number, Pair[]>();
  const record = (v1: Var, v2: Var) => dimsOf.set(v1.id, v1.aval.shape.map((d, i) => [d, v2.aval.shape[i]!] as const));
  g1.inputs.forEach((v, i) => record(v, g2.inputs[i]!));
  g1.eqns.forEach((eq, i) => eq.outputs.forEach((v, j) => record(v, g2.eqns[i]!.outputs[j]!)));

  // liveness: only what the outputs depend on is exported
  const live = new Set<number>();
  const use = (a: Atom) => {
    if (a.kind === 'var') live.add(a.id);
  };
  g1.outputs.forEach(use);
  const liveEqns: boolean[] = new Array<boolean>(g1.eqns.length).fill(false);
  for (let i = g1.eqns.length - 1; i >= 0; i--) {
    const eq = g1.eqns[i]!;
    if (!eq.outputs.some((v) => live.has(v.id))) continue;
    liveEqns[i] = true;
    eq.inputs.forEach(use);
  }

  // names: inputs, then params (key paths), then outputs
  const varName = new Map<number, string>();
  const nIn = specs.length;
  specs.forEach((s, i) => varName.set(g1.inputs[i]!.id, e.reserve(s.name)));
  const outLeafNames = outputNames(g1, options, new Set(specs.map((s) => s.name)));
  outLeafNames.forEach((n) => e.reserve(n));
  if (flat !== null) {
    flat.leaves.forEach((leaf, i) => {
      const v = g1.inputs[nIn + i]!;
      if (!live.has(v.id)) return;
      const path = flat.paths[i] || 'params';
      const name = e.fresh(path);
      e.inits.push({ name, dtype: ONNX_OF[leaf.dtype], dims: leaf.shape as readonly number[], raw: rawBytes(concreteData(leaf) as TypedArray) });
      varName.set(v.id, name);
    });
  }
  specs.forEach((s, i) => e.register(s.name, dimsOf.get(g1.inputs[i]!.id)!));

  g1.eqns.forEach((eq1, i) => {
    if (!liveEqns[i]) return;
    const eq2 = g2.eqns[i]!;
    const handler = handlerOf(eq1.prim.name);
    if (!handler.varying && eq1 !== eq2 && JSON.stringify(eq1.params) !== JSON.stringify(eq2.params)) {
      throw new Error(`exportOnnx: primitive '${eq1.prim.name}' has parameters that depend on a dynamic dim (${JSON.stringify(eq1.params)} vs ${JSON.stringify(eq2.params)}); give that dim a number`);
    }
    const litAt = (g: Graph | null, k: number) => (g === null ? null : (g.eqns[i]!.inputs[k] as { value: AnyTensor }).value);
    const x = eq1.inputs.map((a, k) => (a.kind === 'var' ? varName.get(a.id)! : literalInput(e, a.value, litAt(g2, k)!, litAt(g3, k), eq1.prim.name)));
    const inDims = eq1.inputs.map((a, k) => (a.kind === 'var' ? dimsOf.get(a.id)! : literalDims(a.value, (eq2.inputs[k] as { value: AnyTensor }).value)));
    const out = eq1.outputs.map((v) => {
      const n = e.fresh(`t${v.id}`);
      varName.set(v.id, n);
      return n;
    });
    handler.run({
      e,
      prim: eq1.prim.name,
      p: eq1.params,
      p2: eq2.params,
      x,
      inDims,
      inTypes: eq1.inputs.map((a) => (a.kind === 'var' ? a.aval.dtype : a.value.dtype)),
      lit: eq1.inputs.map((a) => (a.kind === 'literal' ? a.value : null)),
      out,
      outDims: eq1.outputs.map((v) => dimsOf.get(v.id)!),
      outTypes: eq1.outputs.map((v) => v.aval.dtype),
      used: eq1.outputs.map((v) => live.has(v.id)),
    });
    eq1.outputs.forEach((v, j) => {
      if (live.has(v.id)) e.register(out[j]!, dimsOf.get(v.id)!);
    });
  });

  const symbolOf = new Map([...symbols].map(([s, p]) => [pairKey(p), s]));
  const dimSpec = (p: Pair): DimSpec => (isStatic(p) ? p[0] : symbolOf.get(pairKey(p)) ?? null);
  const outputs: ValueInfoSpec[] = g1.outputs.map((a, i) => {
    const name = outLeafNames[i]!;
    if (a.kind === 'var') {
      e.node('Identity', [varName.get(a.id)!], [name]);
      return { name, dtype: ONNX_OF[a.aval.dtype], dims: dimsOf.get(a.id)!.map(dimSpec) };
    }
    const b = g2.outputs[i] as { value: AnyTensor };
    const c = g3 === null ? null : (g3.outputs[i] as { value: AnyTensor }).value;
    e.node('Identity', [literalInput(e, a.value, b.value, c, 'output')], [name]);
    return { name, dtype: ONNX_OF[a.value.dtype], dims: literalDims(a.value, b.value).map(dimSpec) };
  });
  const inputs: ValueInfoSpec[] = specs.map((s) => ({ name: s.name, dtype: ONNX_OF[s.dtype], dims: s.shape }));

  const { nodes, initializers } = prune(e.nodes, e.inits, outputs.map((o) => o.name));
  return encodeModel({
    irVersion: IR_VERSION,
    opset: ONNX_OPSET,
    producer: 'shapeflow',
    graphName: options.graphName ?? 'shapeflow',
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    nodes,
    initializers,
    inputs,
    outputs,
  });
}

/** drop nodes and initializers the outputs do not need (helpers made while deciding how to emit) */
function prune(nodes: readonly NodeSpec[], inits: readonly TensorSpec[], outputs: readonly string[]): { nodes: NodeSpec[]; initializers: TensorSpec[] } {
  const needed = new Set(outputs);
  const keep: boolean[] = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const x of n.inputs) if (x !== '') needed.add(x);
  }
  return { nodes: nodes.filter((_, i) => keep[i]), initializers: inits.filter((t) => needed.has(t.name)) };
}

export function outputNames(g: Graph, options: ExportOnnxOptions, inputNames: ReadonlySet<string>): string[] {
  const n = g.outputs.length;
  if (n === 0) throw new Error('exportOnnx: the function returns no tensor');
  if (options.outputNames !== undefined) {
    if (options.outputNames.length !== n) throw new Error(`exportOnnx: ${options.outputNames.length} output names for ${n} outputs`);
    const seen = new Set<string>();
    for (const name of options.outputNames) {
      if (name === '' || inputNames.has(name) || seen.has(name)) throw new Error(`exportOnnx: output name '${name}' is empty or already used`);
      seen.add(name);
    }
    return [...options.outputNames];
  }
  const base = n === 1 ? ['output'] : Array.from({ length: n }, (_, i) => `output_${i}`);
  return base.map((b) => (inputNames.has(b) ? `${b}_` : b));
}

function literalDims(a: AnyTensor, b: AnyTensor): Pair[] {
  return (a.shape as readonly number[]).map((d, i) => [d, (b.shape as readonly number[])[i]!] as const);
}

/** does `big` hold `small` as its leading block (the same values at every index of `small`)? */
function isLeadingBlock(small: AnyTensor, big: AnyTensor): boolean {
  const s = small.shape as readonly number[];
  const b = big.shape as readonly number[];
  if (small.dtype !== big.dtype || s.length !== b.length || s.some((d, i) => d > b[i]!)) return false;
  const x = concreteData(small) as TypedArray;
  const y = concreteData(big) as TypedArray;
  const r = s.length;
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < x.length; k++) {
    let off = 0;
    for (let i = 0; i < r; i++) off = off * b[i]! + idx[i]!;
    if (!Object.is(x[k], y[off])) return false;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < s[i]!) break;
      idx[i] = 0;
    }
  }
  return true;
}

/**
 * A constant seen at the same place in every trace: static; a scalar that is a dynamic size
 * (or its reciprocal: mean's 1/n); a fill value over a dynamic shape; or a table that grows
 * with a dynamic dim (stored at maxSizes, sliced at run time). Anything else fails.
 */
function literalInput(e: Emitter, a: AnyTensor, b: AnyTensor, c: AnyTensor | null, consumer: string): string {
  if (sameContent(a, b)) return e.tensor(a);
  const where = `a constant of shape [${a.shape.join(', ')}] (${a.dtype}) used by '${consumer}'`;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) throw new Error(`exportOnnx: ${where} changes rank or dtype with the dynamic dims`);
  const dims = literalDims(a, b);
  if (dims.every(isStatic) && a.size === 1 && a.dtype !== 'bool') {
    const v: Pair = [concreteData(a)[0]!, concreteData(b)[0]!];
    const shape = e.i64(a.shape as readonly number[]);
    const cast = (size: string) => e.one('Cast', [size], { to: int(ONNX_OF[a.dtype]) });
    if (v.every(Number.isInteger) && e.canDim(v)) return e.one('Reshape', [cast(e.dim(v)), shape]);
    const r = v.map((x) => Math.round(1 / x)) as unknown as Pair;
    if (a.dtype === 'float32' && r.every((n, k) => n >= 1 && Math.fround(1 / n) === v[k]) && e.canDim(r)) {
      return e.one('Reshape', [e.one('Reciprocal', [cast(e.dim(r))]), shape]);
    }
    throw new Error(`exportOnnx: ${where} has a value (${v[0]} / ${v[1]} in the two traces) that depends on the dynamic dims in a way ONNX export cannot follow`);
  }
  const ua = uniformValue(a);
  const ub = uniformValue(b);
  if (ua !== null && ub !== null && Object.is(ua, ub)) return e.one('Expand', [e.scalar(ua, a.dtype), e.shape(dims)]);
  const grows = isLeadingBlock(a, b) || isLeadingBlock(b, a);
  if (grows && c !== null && isLeadingBlock(a, c) && isLeadingBlock(b, c)) {
    const axes = dims.flatMap((p, i) => (isStatic(p) ? [] : [i]));
    const ends = e.vector(axes.map((i) => ({ runtime: e.dim(dims[i]!) })));
    return e.one('Slice', [e.tensor(c), e.i64(axes.map(() => 0)), ends, e.i64(axes)]);
  }
  if (grows) {
    throw new Error(`exportOnnx: ${where} grows with the dynamic dims; give options.maxSizes (the largest run-time sizes) so it can be stored at that size${c !== null ? ' (the one given does not cover it)' : ''}`);
  }
  throw new Error(`exportOnnx: ${where} depends on the dynamic dims (its values, not just its size, change); export with those dims static`);
}
