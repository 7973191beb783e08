/**
 * ONNX export (opset 17): trace a function with makeGraph and translate each primitive of the
 * graph IR into ONNX operators.
 *
 *   const bytes = exportOnnx((p, x) => model.apply(p, x), [{ name: 'x', shape: ['batch', 784] }], params);
 *
 * - Params (any pytree) become initializers named by their key paths ("0.kernel"); constants
 *   the function creates become initializers too. Graph inputs carry the given names, dtypes
 *   and dims; the outputs are named 'output' (one tensor) or by their pytree paths, or
 *   `options.outputNames`.
 * - Layouts: our conv / pool tensors are NHWC, ONNX's NCHW: each conv / pool is wrapped in
 *   Transposes (filters [kH, kW, in, out] → [out, in, kH, kW]). matmul's transpose flags become
 *   Transposes of the last two dims. layerNorm is LayerNormalization (its gamma / beta as Scale /
 *   B; scale 1 without gamma). The fused recurrent primitive becomes ONNX
 *   LSTM / GRU (linear_before_reset = Keras' resetAfter) / RNN, with the weights reordered by
 *   ONNX ops (Keras gate order i f c o → ONNX i o f c) that onnxruntime folds at load time.
 * - Anything without a mapping (backward-pass primitives such as scatter_add or
 *   conv2d_backprop_input, max_pool2d_argmax) is an Error naming the primitive.
 *
 * Dynamic dims. A dim given as a string ('batch') is a named dynamic axis. The function is
 * traced twice, with every symbol at two different sizes (`options.traceSizes`, default
 * distinct primes: 5/7, 11/13, 17/19, ...); dims, shape parameters and constants that differ
 * between the traces are dynamic, the rest static. Then:
 * - shape-agnostic ops (element-wise, matmul, reductions over static axes, softmax, concat,
 *   gather, LayerNormalization, conv / pools with fixed windows, LSTM / GRU / RNN, global pools)
 *   need nothing;
 * - reshape emits 0 for a dim copied from the same position of its input, -1 for one other
 *   dynamic dim, and for further dynamic dims their run-time value, read with Shape from a
 *   tensor that carries the same dim (or a product of the symbols, e.g. batch·seq);
 * - broadcastTo, slices with dynamic bounds (counted from the end where they are), 'same'
 *   padding with strides on a dynamic axis (auto_pad SAME_UPPER), and constants that depend on
 *   a dynamic dim (mean's 1/n, an all-zeros initial state [batch, units]) are rebuilt from
 *   run-time shapes;
 * - constants that grow with a dynamic dim (a sinusoidal position table [seq, d], a causal mask
 *   [seq, seq]) need `options.maxSizes`: they are stored at that size and sliced at run time,
 *   so the model accepts sizes up to it.
 * A function whose graph changes with the size (a loop over time steps, such as the recurrent
 * layers' `implementation: 'ops'`, or a branch on a size) cannot be exported with that dim
 * dynamic: the export fails and says so; give that dim a number. So does a constant whose
 * values change with a dynamic dim in another way.
 * Two different dynamic dims that happen to have equal sizes in both traces would be confused:
 * the default trace sizes make that unlikely; `traceSizes` changes them.
 */
import type { DType, TypedArray } from '../tensor/dtype';
import { concreteData, type Tensor } from '../tensor/tensor';
import type { AVal, AnyTensor } from '../autodiff/core';
import { makeGraph } from '../autodiff/transforms';
import type { Atom, Graph, Var } from '../autodiff/graph';
import { treeFlatten, type Flat } from '../autodiff/pytree';
import { encodeModel, ONNX_DTYPE, type AttrValue, type DimSpec, type NodeSpec, type OnnxDType, type TensorSpec, type ValueInfoSpec } from './onnx-proto';

export const ONNX_OPSET = 17;
/** the IR version that goes with opset 17 */
const IR_VERSION = 8;

export interface OnnxInput {
  readonly name: string;
  /** numbers are static dims; strings name dynamic axes (the same name = the same size) */
  readonly shape: readonly (number | string)[];
  /** default float32 */
  readonly dtype?: DType;
}

export interface ExportOnnxOptions {
  /** names of the graph outputs, one per tensor leaf of the function's result */
  readonly outputNames?: readonly string[];
  /** the two sizes each dynamic dim is traced at (distinct integers >= 2) */
  readonly traceSizes?: Readonly<Record<string, readonly [number, number]>>;
  /**
   * The largest size a dynamic dim will take at run time, for constants that grow with it (a
   * sinusoidal position table [seq, d], a causal mask [seq, seq]): the function is traced once
   * more at these sizes, the constants are stored at that size and sliced to the run-time one.
   */
  readonly maxSizes?: Readonly<Record<string, number>>;
  readonly graphName?: string;
  readonly docString?: string;
  /** model metadata_props */
  readonly metadata?: Readonly<Record<string, string>>;
}

type AnyFn = (...args: any[]) => unknown;

/**
 * Export `fn` as an ONNX model (bytes of a ModelProto). With `params`, `fn` is called as
 * `fn(params, ...inputs)` and the params become initializers; without, as `fn(...inputs)`.
 * Throws an Error naming the primitive, the dim or the constant that has no ONNX form.
 */
export function exportOnnx(fn: (...inputs: Tensor<any, any>[]) => unknown, inputs: readonly OnnxInput[], params?: undefined, options?: ExportOnnxOptions): Uint8Array;
export function exportOnnx<P>(fn: (params: P, ...inputs: Tensor<any, any>[]) => unknown, inputs: readonly OnnxInput[], params: P, options?: ExportOnnxOptions): Uint8Array;
export function exportOnnx(fn: AnyFn, inputs: readonly OnnxInput[], params?: unknown, options: ExportOnnxOptions = {}): Uint8Array {
  const specs = inputs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype ?? 'float32' }));
  const names = new Set<string>();
  for (const s of specs) {
    if (typeof s.name !== 'string' || s.name === '') throw new Error('exportOnnx: every input needs a non-empty name');
    if (names.has(s.name)) throw new Error(`exportOnnx: two inputs are named '${s.name}'`);
    names.add(s.name);
    if (!Object.hasOwn(ONNX_OF, s.dtype)) throw new Error(`exportOnnx: input '${s.name}' has an unknown dtype '${String(s.dtype)}'`);
    for (const d of s.shape) {
      if (typeof d === 'number' ? !(Number.isInteger(d) && d >= 1) : typeof d !== 'string' || d === '') {
        throw new Error(`exportOnnx: input '${s.name}' has an invalid dim ${JSON.stringify(d)} (a positive integer or a non-empty name)`);
      }
    }
  }
  const symbols = symbolSizes(specs, options.traceSizes);
  const flatParams = params === undefined ? null : treeFlatten(params);
  const traceAt = (k: 0 | 1) => traceGraph(fn, specs, flatParams, symbols, k);
  const g1 = traceAt(0);
  const g2 = symbols.size > 0 ? traceAt(1) : g1;
  if (g2 !== g1) alignGraphs(g1, g2, symbols);
  const max = maxSizes(symbols, options.maxSizes);
  let g3: Graph | null = null;
  if (max !== null) {
    g3 = traceGraph(fn, specs, flatParams, max, 0);
    alignGraphs(g1, g3, max);
  }
  return buildModel(g1, g2, g3, specs, flatParams, symbols, options);
}

// =============================================================================================
// tracing

type Pair = readonly [number, number];
const pairKey = (p: Pair) => `${p[0]},${p[1]}`;
const isStatic = (p: Pair) => p[0] === p[1];
const samePair = (a: Pair, b: Pair) => a[0] === b[0] && a[1] === b[1];

interface Spec {
  readonly name: string;
  readonly shape: (number | string)[];
  readonly dtype: DType;
}

const DEFAULT_PRIMES = [5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79];

function symbolSizes(specs: readonly Spec[], given: ExportOnnxOptions['traceSizes']): Map<string, Pair> {
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
function maxSizes(symbols: ReadonlyMap<string, Pair>, given: ExportOnnxOptions['maxSizes']): Map<string, Pair> | null {
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

function traceGraph(fn: AnyFn, specs: readonly Spec[], flat: Flat<unknown> | null, symbols: ReadonlyMap<string, Pair>, k: 0 | 1): Graph {
  const avals: AVal[] = specs.map((s) => ({ shape: s.shape.map((d) => (typeof d === 'number' ? d : symbols.get(d)![k])), dtype: s.dtype }));
  const n = specs.length;
  if (flat !== null) for (const l of flat.leaves) avals.push({ shape: l.shape as readonly number[], dtype: l.dtype });
  return makeGraph((...args: AnyTensor[]) => (flat === null ? fn(...args) : fn(flat.rebuild(args.slice(n)), ...args.slice(0, n))), avals);
}

function describeSizes(symbols: ReadonlyMap<string, Pair>): string {
  return [...symbols].map(([s, p]) => `${s} = ${p[0]} / ${p[1]}`).join(', ');
}

/** Both traces must record the same computation; only sizes, size-dependent params and constants may differ. */
function alignGraphs(g1: Graph, g2: Graph, symbols: ReadonlyMap<string, Pair>): void {
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

// =============================================================================================
// emission

const ONNX_OF: Record<DType, OnnxDType> = { float32: ONNX_DTYPE.FLOAT, int32: ONNX_DTYPE.INT32, bool: ONNX_DTYPE.BOOL };
const INT64_MAX_SAFE = Number.MAX_SAFE_INTEGER; // "to the end" for Slice (ONNX clamps)

const ints = (value: readonly number[]): AttrValue => ({ kind: 'ints', value });
const int = (value: number): AttrValue => ({ kind: 'int', value });
const float = (value: number): AttrValue => ({ kind: 'float', value });

function rawBytes(data: TypedArray): Uint8Array {
  // Node and every supported engine are little-endian, as ONNX raw_data is
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function sameContent(a: AnyTensor, b: AnyTensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = rawBytes(concreteData(a) as TypedArray);
  const y = rawBytes(concreteData(b) as TypedArray);
  return x.every((v, i) => v === y[i]);
}

/** the single value of a tensor whose elements are all bitwise equal, else null */
function uniformValue(t: AnyTensor): number | null {
  const d = concreteData(t) as TypedArray;
  if (d.length === 0) return null;
  const bytes = rawBytes(d);
  const w = d.BYTES_PER_ELEMENT;
  for (let i = w; i < bytes.length; i++) if (bytes[i] !== bytes[i % w]) return null;
  return d[0]!;
}

class Emitter {
  readonly nodes: NodeSpec[] = [];
  readonly inits: TensorSpec[] = [];
  private readonly names = new Set<string>();
  private readonly constCache = new Map<string, string>();
  private readonly tensorCache = new Map<AnyTensor, string>();
  private readonly dimCache = new Map<string, string>();
  /** where each dynamic dim can be read at run time: a tensor and an axis */
  private readonly provenance = new Map<string, { readonly tensor: string; readonly axis: number }>();

  constructor(readonly symbols: ReadonlyMap<string, Pair>) {}

  reserve(name: string): string {
    if (this.names.has(name)) throw new Error(`exportOnnx: the name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }
  fresh(base: string): string {
    let n = base;
    for (let k = 1; this.names.has(n); k++) n = `${base}_${k}`;
    this.names.add(n);
    return n;
  }
  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs?: Record<string, AttrValue>): void {
    this.nodes.push({ op, inputs, outputs, ...(attrs ? { attrs } : {}) });
  }
  /** a node with one fresh output */
  one(op: string, inputs: readonly string[], attrs?: Record<string, AttrValue>): string {
    const out = this.fresh(`${op.toLowerCase()}`);
    this.node(op, inputs, [out], attrs);
    return out;
  }
  init(base: string, dtype: OnnxDType, dims: readonly number[], raw: Uint8Array): string {
    const name = this.fresh(base);
    this.inits.push({ name, dtype, dims, raw });
    return name;
  }
  /** int64 constant of the given values (1-D, or scalar when `scalar`) */
  i64(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const raw = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    const name = this.init('const_i64', ONNX_DTYPE.INT64, scalar ? [] : [values.length], raw);
    this.constCache.set(key, name);
    return name;
  }
  /** a scalar constant of one of our dtypes */
  scalar(value: number, dtype: DType): string {
    const data = dtype === 'float32' ? Float32Array.of(value) : dtype === 'int32' ? Int32Array.of(value) : Uint8Array.of(value ? 1 : 0);
    const key = `s:${dtype}:${rawBytes(data).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.init('const', ONNX_OF[dtype], [], rawBytes(data));
    this.constCache.set(key, name);
    return name;
  }
  floats(values: readonly number[], dims: readonly number[]): string {
    return this.init('const', ONNX_DTYPE.FLOAT, dims, rawBytes(Float32Array.from(values)));
  }
  /** an initializer holding a concrete tensor (one per tensor object) */
  tensor(t: AnyTensor, base = 'const'): string {
    const hit = this.tensorCache.get(t);
    if (hit) return hit;
    if (t.size === 1) {
      const s = this.scalar(concreteData(t)[0]!, t.dtype);
      const name = t.shape.length === 0 ? s : this.one('Reshape', [s, this.i64(t.shape as readonly number[])]);
      this.tensorCache.set(t, name);
      return name;
    }
    const name = this.init(base, ONNX_OF[t.dtype], t.shape as readonly number[], rawBytes(concreteData(t) as TypedArray));
    this.tensorCache.set(t, name);
    return name;
  }

  /** remember that `tensor` carries these dims (for reading dynamic sizes at run time) */
  register(tensor: string, dims: readonly Pair[]): void {
    dims.forEach((p, axis) => {
      if (!isStatic(p) && !this.provenance.has(pairKey(p))) this.provenance.set(pairKey(p), { tensor, axis });
    });
  }

  /** The run-time value of a dim as an int64 [1] tensor; throws when it cannot be expressed. */
  dim(p: Pair): string {
    if (isStatic(p)) return this.i64([p[0]]);
    const key = pairKey(p);
    const hit = this.dimCache.get(key);
    if (hit) return hit;
    let name: string;
    const src = this.provenance.get(key);
    if (src) name = this.one('Shape', [src.tensor], { start: int(src.axis), end: int(src.axis + 1) });
    else {
      const prod = this.symbolProduct(p);
      if (prod === null) {
        throw new Error(`exportOnnx: a dynamic size (${p[0]} / ${p[1]} in the two traces, with ${describeSizes(this.symbols)}) cannot be computed at run time from the inputs' dims`);
      }
      name = prod.syms.map((s) => this.dim(this.symbols.get(s)!)).reduce((a, b) => this.one('Mul', [a, b]));
      if (prod.c !== 1) name = this.one('Mul', [name, this.i64([prod.c])]);
    }
    this.dimCache.set(key, name);
    return name;
  }

  /** p = c · Π(symbols) for an integer c, or null */
  private symbolProduct(p: Pair): { c: number; syms: string[] } | null {
    const syms = [...this.symbols.keys()];
    const subsets: string[][] = [];
    for (let m = 1; m < 1 << syms.length; m++) subsets.push(syms.filter((_, i) => m & (1 << i)));
    subsets.sort((a, b) => a.length - b.length);
    for (const s of subsets) {
      const p1 = s.reduce((a, x) => a * this.symbols.get(x)![0], 1);
      const p2 = s.reduce((a, x) => a * this.symbols.get(x)![1], 1);
      if (p[0] % p1 === 0 && (p[0] / p1) * p2 === p[1]) return { c: p[0] / p1, syms: s };
    }
    return null;
  }

  canDim(p: Pair): boolean {
    try {
      this.dim(p);
      return true;
    } catch {
      return false;
    }
  }

  /** an int64 [n] tensor from parts: constants or run-time [1] tensors */
  vector(parts: readonly (number | { readonly runtime: string })[]): string {
    if (parts.every((x) => typeof x === 'number')) return this.i64(parts as number[]);
    const pieces: string[] = [];
    let run: number[] = [];
    for (const x of parts) {
      if (typeof x === 'number') run.push(x);
      else {
        if (run.length > 0) pieces.push(this.i64(run));
        run = [];
        pieces.push(x.runtime);
      }
    }
    if (run.length > 0) pieces.push(this.i64(run));
    return pieces.length === 1 ? pieces[0]! : this.one('Concat', pieces, { axis: int(0) });
  }

  /** a shape tensor for these dims, dynamic ones computed at run time */
  shape(dims: readonly Pair[]): string {
    return this.vector(dims.map((p) => (isStatic(p) ? p[0] : { runtime: this.dim(p) })));
  }
}

// =============================================================================================
// primitive handlers

interface Ctx {
  readonly e: Emitter;
  readonly prim: string;
  /** params in the first and second trace (the same object when there are no dynamic dims) */
  readonly p: any;
  readonly p2: any;
  /** input names */
  readonly x: readonly string[];
  readonly inDims: readonly (readonly Pair[])[];
  readonly inTypes: readonly DType[];
  /** literal inputs (first trace), null for computed ones */
  readonly lit: readonly (AnyTensor | null)[];
  /** output names to produce (those not used may be left unproduced) */
  readonly out: readonly string[];
  readonly outDims: readonly (readonly Pair[])[];
  readonly outTypes: readonly DType[];
  readonly used: readonly boolean[];
}

interface Handler {
  run(c: Ctx): void;
  /** handles params that differ between the traces itself */
  readonly varying?: boolean;
}

const simple = (op: string, attrs?: (c: Ctx) => Record<string, AttrValue>): Handler => ({
  run: (c) => c.e.node(op, c.x, [c.out[0]!], attrs?.(c)),
});

function unsupported(c: Ctx, why: string): never {
  throw new Error(`exportOnnx: primitive '${c.prim}' ${why}`);
}

const ACT_ONNX: Record<string, string> = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', linear: 'Affine' };

/** x⁄√2 → ½(1 + erf) : Φ(x) */
function normalCdf(c: Ctx, x: string): string {
  const e = c.e;
  const erf = e.one('Erf', [e.one('Mul', [x, e.scalar(Math.SQRT1_2, 'float32')])]);
  return e.one('Mul', [e.one('Add', [erf, e.scalar(1, 'float32')]), e.scalar(0.5, 'float32')]);
}

/** reduce with axes as an attribute (opset 17); no axes = identity (or |x| for the L2 norm) */
const reduceAttr = (op: string, empty: string): Handler => ({
  run(c) {
    if (c.p.axes.length === 0) return c.e.node(empty, [c.x[0]!], [c.out[0]!]);
    c.e.node(op, [c.x[0]!], [c.out[0]!], { axes: ints(c.p.axes), keepdims: int(c.p.keepDims ? 1 : 0) });
  },
});

const argReduce = (op: string): Handler => ({
  run(c) {
    const idx = c.e.one(op, [c.x[0]!], { axis: int(c.p.axis), keepdims: int(0), select_last_index: int(0) });
    c.e.node('Cast', [idx], [c.out[0]!], { to: int(ONNX_DTYPE.INT32) });
  },
});

function nhwcToNchw(c: Ctx, x: string): string {
  return c.e.one('Transpose', [x], { perm: ints([0, 3, 1, 2]) });
}
function nchwToNhwc(c: Ctx, y: string, out: string): void {
  c.e.node('Transpose', [y], [out], { perm: ints([0, 2, 3, 1]) });
}

/** TensorFlow's 'same' padding of one axis: [before, after] */
function tfSamePads(n: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * ONNX pads [top, left, bottom, right] from ours [top, bottom, left, right]. On a dynamic
 * spatial axis with a stride > 1, 'same' padding depends on the size (its parity, say) even
 * when both traces happen to agree: there it becomes auto_pad SAME_UPPER (TensorFlow's 'same':
 * output ceil(n / s), the extra cell after), which every axis must then match.
 */
function padAttrs(c: Ctx, outSp: readonly Pair[], inSp: readonly Pair[], kernel: readonly number[], strides: readonly number[], dilation: readonly number[]): Record<string, AttrValue> {
  const pads = [c.p.pads as readonly number[], c.p2.pads as readonly number[]];
  const axisPads = (t: number, i: number) => [pads[t]![2 * i]!, pads[t]![2 * i + 1]!];
  const isSame = (i: number) =>
    [0, 1].every((t) => {
      const n = inSp[i]![t]!;
      const [b, a] = tfSamePads(n, kernel[i]!, strides[i]!, dilation[i]!);
      const p = axisPads(t, i);
      return outSp[i]![t] === Math.ceil(n / strides[i]!) && p[0] === b && p[1] === a;
    });
  const varies = pads[0]!.some((v, j) => v !== pads[1]![j]);
  const needSame = [0, 1].some((i) => !isStatic(inSp[i]!) && strides[i]! > 1 && axisPads(0, i).some((v) => v > 0) && isSame(i));
  if (!varies && !needSame) {
    const a = pads[0]!;
    return { pads: ints([a[0]!, a[2]!, a[1]!, a[3]!]) };
  }
  if (![0, 1].every(isSame)) unsupported(c, 'has padding that depends on a dynamic dim in a way ONNX cannot express');
  return { auto_pad: { kind: 'string', value: 'SAME_UPPER' } };
}

function requireSame(c: Ctx, ...fields: string[]): void {
  for (const f of fields) {
    if (JSON.stringify(c.p[f]) !== JSON.stringify(c.p2[f])) unsupported(c, `has a '${f}' that depends on a dynamic dim (${JSON.stringify(c.p[f])} vs ${JSON.stringify(c.p2[f])})`);
  }
}

function pool(kind: 'max' | 'avg'): Handler {
  return {
    varying: true,
    run(c) {
      const xd = c.inDims[0]!;
      const k: Pair[] = [0, 1].map((i) => [c.p.k[i], c.p2.k[i]] as const);
      const noPads = [c.p.pads, c.p2.pads].every((ps: readonly number[]) => ps.every((v) => v === 0));
      const xn = nhwcToNchw(c, c.x[0]!);
      let y: string;
      if (noPads && samePair(k[0]!, xd[1]!) && samePair(k[1]!, xd[2]!)) {
        // one window over the whole map: keeps H and W dynamic
        y = c.e.one(kind === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [xn]);
      } else {
        requireSame(c, 'k', 'strides');
        const attrs: Record<string, AttrValue> = {
          kernel_shape: ints(c.p.k),
          strides: ints(c.p.strides),
          ...padAttrs(c, c.outDims[0]!.slice(1, 3), xd.slice(1, 3), c.p.k, c.p.strides, [1, 1]),
        };
        if (kind === 'avg') attrs['count_include_pad'] = int(0);
        y = c.e.one(kind === 'max' ? 'MaxPool' : 'AveragePool', [xn], attrs);
      }
      nchwToNhwc(c, y, c.out[0]!);
    },
  };
}

/** split `t` along `axis` into equal blocks and concatenate them in `order` (identity when in order) */
function reorderBlocks(c: Ctx, t: string, axis: number, size: number, order: readonly number[]): string {
  if (order.every((o, i) => o === i)) return t;
  const parts = order.map(() => c.e.fresh('block'));
  c.e.node('Split', [t, c.e.i64(order.map(() => size))], parts, { axis: int(axis) });
  return c.e.one('Concat', order.map((o) => parts[o]!), { axis: int(axis) });
}

const recurrentHandler: Handler = {
  run(c) {
    const cfg = c.p as { kind: 'rnn' | 'lstm' | 'gru'; activation: string; recurrentActivation: string; resetAfter: boolean };
    const e = c.e;
    const nState = cfg.kind === 'lstm' ? 2 : 1;
    const nPublic = 1 + nState;
    c.used.forEach((u, i) => {
      if (u && i >= nPublic) unsupported(c, `has a training residual (output ${i}) used`);
    });
    const [x, W, U, b] = c.x as [string, string, string, string];
    const u = c.inDims[2]![0]![0];
    const gates = cfg.kind === 'lstm' ? 4 : cfg.kind === 'gru' ? 3 : 1;
    const G = gates * u;
    // Keras gate blocks i f c o → ONNX i o f c; GRU z r h and the SimpleRNN block already match
    const order = cfg.kind === 'lstm' ? [0, 3, 1, 2] : Array.from({ length: gates }, (_, i) => i);
    const axis0 = e.i64([0]);
    const weight = (t: string) => e.one('Unsqueeze', [e.one('Transpose', [reorderBlocks(c, t, 1, u, order)], { perm: ints([1, 0]) }), axis0]);
    const zerosG = e.floats(new Array<number>(G).fill(0), [G]);
    let B: string;
    if (cfg.kind === 'gru' && cfg.resetAfter) B = e.one('Reshape', [b, e.i64([1, 2 * G])]); // [input bias; recurrent bias]
    else B = e.one('Unsqueeze', [e.one('Concat', [reorderBlocks(c, b, 0, u, order), zerosG], { axis: int(0) }), axis0]);
    // an all-zeros initial state is ONNX's default: leave it out (it may have a dynamic batch)
    const state = (i: number): string => {
      const l = c.lit[i];
      if (l && uniformValue(l) === 0) return '';
      return e.one('Unsqueeze', [c.x[i]!, axis0]);
    };
    const ins = [e.one('Transpose', [x], { perm: ints([1, 0, 2]) }), weight(W), weight(U), B, '', state(4)];
    if (cfg.kind === 'lstm') ins.push(state(5));
    while (ins[ins.length - 1] === '') ins.pop();
    const acts = cfg.kind === 'rnn' ? [cfg.activation] : cfg.kind === 'gru' ? [cfg.recurrentActivation, cfg.activation] : [cfg.recurrentActivation, cfg.activation, cfg.activation];
    const attrs: Record<string, AttrValue> = { hidden_size: int(u), activations: { kind: 'strings', value: acts.map((a) => ACT_ONNX[a]!) } };
    // Affine(x) = alpha·x + beta is our 'linear'; one alpha / beta per activation suits both
    // readings of the spec (consumed by every activation, or only by those that take one)
    if (acts.includes('linear')) {
      attrs['activation_alpha'] = { kind: 'floats', value: acts.map(() => 1) };
      attrs['activation_beta'] = { kind: 'floats', value: acts.map(() => 0) };
    }
    if (cfg.kind === 'gru') attrs['linear_before_reset'] = int(cfg.resetAfter ? 1 : 0);
    const Y = e.fresh('Y');
    const Yh = e.fresh('Y_h');
    const outs = [Y, Yh];
    if (cfg.kind === 'lstm') outs.push(e.fresh('Y_c'));
    e.node(cfg.kind === 'lstm' ? 'LSTM' : cfg.kind === 'gru' ? 'GRU' : 'RNN', ins, outs, attrs);
    // Y [T, 1, B, u] → [B, T, u]; Y_h / Y_c [1, B, u] → [B, u]
    if (c.used[0]) e.node('Transpose', [e.one('Squeeze', [Y, e.i64([1])])], [c.out[0]!], { perm: ints([1, 0, 2]) });
    if (c.used[1]) e.node('Squeeze', [Yh, axis0], [c.out[1]!]);
    if (cfg.kind === 'lstm' && c.used[2]) e.node('Squeeze', [outs[2]!, axis0], [c.out[2]!]);
  },
};

/**
 * One ONNX LayerNormalization over the trailing normalized axes: `gamma` / `beta` are the
 * names of the scale / shift inputs, or null (no scale: ones, which needs static dims).
 */
function layerNormalization(c: Ctx, gamma: string | null, beta: string | null, outs: readonly string[]): void {
  const xd = c.inDims[0]!;
  const axes = c.p.axes as readonly number[];
  const r = xd.length;
  if (!axes.every((a, i) => a === r - axes.length + i)) unsupported(c, `normalizes axes [${axes.join(', ')}], not the trailing ones`);
  const normDims = xd.slice(r - axes.length);
  let scale = gamma;
  if (scale === null) {
    if (!normDims.every(isStatic)) unsupported(c, 'normalizes over a dynamic dim without gamma (LayerNormalization needs a static scale)');
    scale = c.e.floats(new Array<number>(normDims.reduce((a, p) => a * p[0], 1)).fill(1), normDims.map((p) => p[0]));
  }
  const ins = beta === null ? [c.x[0]!, scale] : [c.x[0]!, scale, beta];
  c.e.node('LayerNormalization', ins, outs, { axis: int(r - axes.length), epsilon: float(c.p.eps), stash_type: int(1) });
}

const HANDLERS: Record<string, Handler> = {
  add: simple('Add'),
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: simple('Div'),
  pow: simple('Pow'),
  maximum: simple('Max'),
  minimum: simple('Min'),
  neg: simple('Neg'),
  abs: simple('Abs'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  reciprocal: simple('Reciprocal'),
  sign: simple('Sign'),
  sin: simple('Sin'),
  cos: simple('Cos'),
  floor: simple('Floor'),
  round: simple('Round'), // both round half to even
  sigmoid: simple('Sigmoid'),
  tanh: simple('Tanh'),
  relu: simple('Relu'),
  softplus: simple('Softplus'),
  leaky_relu: simple('LeakyRelu', (c) => ({ alpha: float(c.p.alpha) })),
  elu: simple('Elu', (c) => ({ alpha: float(c.p.alpha) })),
  stop_gradient: simple('Identity'),
  where: simple('Where'),
  eq: simple('Equal'),
  lt: simple('Less'),
  le: simple('LessOrEqual'),
  gt: simple('Greater'),
  ge: simple('GreaterOrEqual'),
  ne: { run: (c) => c.e.node('Not', [c.e.one('Equal', c.x)], [c.out[0]!]) },
  rsqrt: { run: (c) => c.e.node('Reciprocal', [c.e.one('Sqrt', c.x)], [c.out[0]!]) },
  square: { run: (c) => c.e.node('Mul', [c.x[0]!, c.x[0]!], [c.out[0]!]) },
  step: { run: (c) => c.e.node('Cast', [c.e.one('Greater', [c.x[0]!, c.e.scalar(0, 'float32')])], [c.out[0]!], { to: int(ONNX_DTYPE.FLOAT) }) },
  normal_cdf: { run: (c) => c.e.node('Identity', [normalCdf(c, c.x[0]!)], [c.out[0]!]) },
  // exact (erf) GELU: x·Φ(x)
  gelu: { run: (c) => c.e.node('Mul', [c.x[0]!, normalCdf(c, c.x[0]!)], [c.out[0]!]) },
  clip: { run: (c) => c.e.node('Clip', [c.x[0]!, c.e.scalar(c.p.lo, 'float32'), c.e.scalar(c.p.hi, 'float32')], [c.out[0]!]) },
  cast: simple('Cast', (c) => ({ to: int(ONNX_OF[c.p.to as DType]) })),
  softmax: simple('Softmax', (c) => ({ axis: int(c.p.axis) })),
  log_softmax: simple('LogSoftmax', (c) => ({ axis: int(c.p.axis) })),
  sum: {
    run(c) {
      if (c.p.axes.length === 0) return c.e.node('Identity', [c.x[0]!], [c.out[0]!]);
      c.e.node('ReduceSum', [c.x[0]!, c.e.i64(c.p.axes)], [c.out[0]!], { keepdims: int(c.p.keepDims ? 1 : 0) });
    },
  },
  max: reduceAttr('ReduceMax', 'Identity'),
  min: reduceAttr('ReduceMin', 'Identity'),
  prod: reduceAttr('ReduceProd', 'Identity'),
  norm: reduceAttr('ReduceL2', 'Abs'),
  log_sum_exp: reduceAttr('ReduceLogSumExp', 'Identity'),
  argmax: argReduce('ArgMax'),
  argmin: argReduce('ArgMin'),
  transpose: simple('Transpose', (c) => ({ perm: ints(c.p.perm) })),
  concat: simple('Concat', (c) => ({ axis: int(c.p.axis) })),
  gather: simple('Gather', (c) => ({ axis: int(c.p.axis) })),
  tile: { run: (c) => c.e.node('Tile', [c.x[0]!, c.e.i64(c.p.reps)], [c.out[0]!]) },
  pad: {
    run(c) {
      const pads = c.e.i64([...c.p.before, ...c.p.after]);
      c.e.node('Pad', [c.x[0]!, pads, c.e.scalar(c.p.value, c.inTypes[0]!)], [c.out[0]!], { mode: { kind: 'string', value: 'constant' } });
    },
  },
  split: {
    run(c) {
      c.e.node('Split', [c.x[0]!, c.e.i64(c.p.sizes)], c.out, { axis: int(c.p.axis) });
    },
  },
  one_hot: {
    run(c) {
      const idx = c.e.one('Cast', [c.x[0]!], { to: int(ONNX_DTYPE.INT64) });
      c.e.node('OneHot', [idx, c.e.i64([c.p.depth]), c.e.floats([c.p.off, c.p.on], [2])], [c.out[0]!], { axis: int(-1) });
    },
  },
  matmul: {
    run(c) {
      const flip = (name: string, rank: number) => {
        const perm = Array.from({ length: rank }, (_, i) => i);
        [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
        return c.e.one('Transpose', [name], { perm: ints(perm) });
      };
      const a = c.p.transA ? flip(c.x[0]!, c.inDims[0]!.length) : c.x[0]!;
      const b = c.p.transB ? flip(c.x[1]!, c.inDims[1]!.length) : c.x[1]!;
      c.e.node('MatMul', [a, b], [c.out[0]!]);
    },
  },
  reshape: {
    varying: true,
    run(c) {
      const from = c.inDims[0]!;
      const to = c.outDims[0]!;
      const zeroSized = to.some((p) => p[0] === 0 || p[1] === 0);
      // 0 copies the input dim at the same position (not with allowzero, needed for a 0-sized dim)
      const parts: (number | null)[] = to.map((p, i) => (isStatic(p) ? p[0] : !zeroSized && i < from.length && samePair(from[i]!, p) ? 0 : null));
      const open = parts.flatMap((v, i) => (v === null ? [i] : []));
      let inferred = -1;
      if (open.length === 1) inferred = open[0]!;
      else if (open.length > 1) {
        const hard = open.filter((i) => !c.e.canDim(to[i]!));
        if (hard.length > 1) unsupported(c, `to [${to.map((p) => (isStatic(p) ? p[0] : '?')).join(', ')}] needs ${hard.length} dynamic dims that cannot be computed at run time`);
        inferred = hard[0] ?? open[0]!;
      }
      const shape = c.e.vector(parts.map((v, i) => (v !== null ? v : i === inferred ? -1 : { runtime: c.e.dim(to[i]!) })));
      c.e.node('Reshape', [c.x[0]!, shape], [c.out[0]!], zeroSized ? { allowzero: int(1) } : undefined);
    },
  },
  broadcast_to: {
    varying: true,
    run(c) {
      const from = c.inDims[0]!;
      const to = c.outDims[0]!;
      const off = to.length - from.length;
      // Expand broadcasts both ways: 1 keeps a dim the input already has
      const dims = to.map((p, i): Pair => (i >= off && samePair(from[i - off]!, p) ? [1, 1] : p));
      c.e.node('Expand', [c.x[0]!, c.e.shape(dims)], [c.out[0]!]);
    },
  },
  slice: {
    varying: true,
    run(c) {
      requireSame(c, 'strides');
      const xd = c.inDims[0]!;
      const axes: number[] = [];
      const starts: (number | { runtime: string })[] = [];
      const ends: (number | { runtime: string })[] = [];
      const steps: number[] = [];
      // a bound: static, counted from the end of the axis, or computed at run time
      const bound = (v: Pair, dim: Pair, isEnd: boolean): number | { runtime: string } => {
        if (isEnd && samePair(v, dim)) return INT64_MAX_SAFE;
        if (isStatic(v)) return v[0];
        const back: Pair = [dim[0] - v[0], dim[1] - v[1]];
        if (isStatic(back) && back[0] > 0) return -back[0];
        return { runtime: c.e.dim(v) };
      };
      xd.forEach((dim, ax) => {
        const s = c.p.strides?.[ax] ?? 1;
        const begin: Pair = [c.p.begin[ax], c.p2.begin[ax]];
        const size: Pair = [c.p.size[ax], c.p2.size[ax]];
        if (begin[0] === 0 && begin[1] === 0 && samePair(size, dim) && s === 1) return;
        const end: Pair = [0, 1].map((k) => (size[k]! === 0 ? begin[k]! : begin[k]! + (size[k]! - 1) * s + 1)) as unknown as Pair;
        axes.push(ax);
        starts.push(bound(begin, dim, false));
        ends.push(bound(end, dim, true));
        steps.push(s);
      });
      if (axes.length === 0) return c.e.node('Identity', [c.x[0]!], [c.out[0]!]);
      c.e.node('Slice', [c.x[0]!, c.e.vector(starts), c.e.vector(ends), c.e.i64(axes), c.e.i64(steps)], [c.out[0]!]);
    },
  },
  conv2d: {
    varying: true,
    run(c) {
      requireSame(c, 'strides', 'dilation');
      const xd = c.inDims[0]!;
      const wd = c.inDims[1]!;
      const xn = nhwcToNchw(c, c.x[0]!);
      const wn = c.e.one('Transpose', [c.x[1]!], { perm: ints([3, 2, 0, 1]) });
      const y = c.e.one('Conv', [xn, wn], {
        kernel_shape: ints([wd[0]![0], wd[1]![0]]),
        strides: ints(c.p.strides),
        dilations: ints(c.p.dilation),
        ...padAttrs(c, c.outDims[0]!.slice(1, 3), xd.slice(1, 3), [wd[0]![0], wd[1]![0]], c.p.strides, c.p.dilation),
      });
      nchwToNhwc(c, y, c.out[0]!);
    },
  },
  max_pool2d: pool('max'),
  avg_pool2d: pool('avg'),
  layer_normalize: {
    run(c) {
      const outs = c.used[1] ? [c.out[0]!, '', c.out[1]!] : [c.out[0]!];
      layerNormalization(c, null, null, outs);
    },
  },
  // layerNorm with gamma / beta (ops/norm.ts): inputs [x, gamma?, beta?], outputs [y, mean, rstd] as ONNX's
  layer_norm_affine: {
    run(c) {
      const outs = [c.out[0]!, c.used[1] ? c.out[1]! : '', c.used[2] ? c.out[2]! : ''];
      while (outs[outs.length - 1] === '') outs.pop();
      layerNormalization(c, c.p.gamma ? c.x[1]! : null, c.p.beta ? c.x[c.p.gamma ? 2 : 1]! : null, outs);
    },
  },
  recurrent_sequence: recurrentHandler,
};

/** every primitive name the exporter maps */
export const ONNX_SUPPORTED_PRIMITIVES: readonly string[] = Object.keys(HANDLERS).sort();

// =============================================================================================
// model assembly

function buildModel(g1: Graph, g2: Graph, g3: Graph | null, specs: readonly Spec[], flat: Flat<unknown> | null, symbols: ReadonlyMap<string, Pair>, options: ExportOnnxOptions): Uint8Array {
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
    const handler = HANDLERS[eq1.prim.name];
    if (!handler) {
      throw new Error(`exportOnnx: primitive '${eq1.prim.name}' has no ONNX mapping (supported: ${ONNX_SUPPORTED_PRIMITIVES.join(', ')})`);
    }
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

function outputNames(g: Graph, options: ExportOnnxOptions, inputNames: ReadonlySet<string>): string[] {
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
