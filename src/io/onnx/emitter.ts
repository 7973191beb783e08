/**
 * The protobuf emitter: a builder of ONNX nodes, initializers and run-time shape expressions
 * over the two traces' values, with unique names.
 */
import type { DType, TypedArray } from '../../tensor/dtype';
import { concreteData } from '../../tensor/tensor';
import type { AnyTensor } from '../../autodiff/core';
import { ONNX_DTYPE, type AttrValue, type NodeSpec, type OnnxDType, type TensorSpec } from './proto';
import { type Pair, describeSizes, isStatic, pairKey } from './trace';

export const ONNX_OF: Record<DType, OnnxDType> = { float32: ONNX_DTYPE.FLOAT, int32: ONNX_DTYPE.INT32, bool: ONNX_DTYPE.BOOL };
export const INT64_MAX_SAFE = Number.MAX_SAFE_INTEGER; // "to the end" for Slice (ONNX clamps)

export const ints = (value: readonly number[]): AttrValue => ({ kind: 'ints', value });
export const int = (value: number): AttrValue => ({ kind: 'int', value });
export const float = (value: number): AttrValue => ({ kind: 'float', value });

export function rawBytes(data: TypedArray): Uint8Array {
  // Node and every supported engine are little-endian, as ONNX raw_data is
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function sameContent(a: AnyTensor, b: AnyTensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = rawBytes(concreteData(a) as TypedArray);
  const y = rawBytes(concreteData(b) as TypedArray);
  return x.every((v, i) => v === y[i]);
}

/** the single value of a tensor whose elements are all bitwise equal, else null */
export function uniformValue(t: AnyTensor): number | null {
  const d = concreteData(t) as TypedArray;
  if (d.length === 0) return null;
  const bytes = rawBytes(d);
  const w = d.BYTES_PER_ELEMENT;
  for (let i = w; i < bytes.length; i++) if (bytes[i] !== bytes[i % w]) return null;
  return d[0]!;
}

export class Emitter {
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
