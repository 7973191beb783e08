/**
 * A minimal protobuf writer for the ONNX model format (onnx.proto, proto2): just the messages
 * an exported inference graph needs. Written here rather than taken from a protobuf library so
 * the exporter adds no runtime dependency; the tests decode its output with the onnx-proto
 * package and load it in onnxruntime.
 *
 * Repeated scalars are written unpacked (proto2's default); tensor data goes in raw_data
 * (little-endian, as the format requires).
 */

/** TensorProto.DataType */
export const ONNX_DTYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type OnnxDType = (typeof ONNX_DTYPE)[keyof typeof ONNX_DTYPE];

/** AttributeProto.AttributeType */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

const utf8 = new TextEncoder();

/** Builds one message; nested messages are finished writers. */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.len += b.length;
  }
  private varint(v: bigint): void {
    const out: number[] = [];
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      out.push(b);
    } while (x !== 0n);
    this.push(Uint8Array.from(out));
  }
  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }
  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(BigInt(v));
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  readonly name?: string;
}

export interface TensorSpec {
  readonly name: string;
  readonly dtype: OnnxDType;
  readonly dims: readonly number[];
  /** little-endian element bytes */
  readonly raw: Uint8Array;
}

/** a dim: a size, a named dynamic dim, or an unnamed dynamic one (null) */
export type DimSpec = number | string | null;

export interface ValueInfoSpec {
  readonly name: string;
  readonly dtype: OnnxDType;
  readonly dims: readonly DimSpec[];
}

export interface ModelSpec {
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  readonly graphName: string;
  readonly docString?: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly TensorSpec[];
  readonly inputs: readonly ValueInfoSpec[];
  readonly outputs: readonly ValueInfoSpec[];
  readonly metadata?: Readonly<Record<string, string>>;
}

function attribute(name: string, a: AttrValue): Writer {
  const w = new Writer().string(1, name);
  switch (a.kind) {
    case 'int':
      return w.int(3, a.value).int(20, ATTR.INT);
    case 'ints':
      for (const v of a.value) w.int(8, v);
      return w.int(20, ATTR.INTS);
    case 'float':
      return w.float(2, a.value).int(20, ATTR.FLOAT);
    case 'floats':
      for (const v of a.value) w.float(7, v);
      return w.int(20, ATTR.FLOATS);
    case 'string':
      return w.string(4, a.value).int(20, ATTR.STRING);
    case 'strings':
      for (const v of a.value) w.string(9, v);
      return w.int(20, ATTR.STRINGS);
  }
}

function node(n: NodeSpec): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attribute(k, v));
  return w;
}

function tensor(t: TensorSpec): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  return w.int(2, t.dtype).string(8, t.name).bytes(9, t.raw);
}

function valueInfo(v: ValueInfoSpec): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === 'number') dim.int(1, d);
    else if (typeof d === 'string') dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer().int(1, v.dtype).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

/** Serialise a ModelProto. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const g = new Writer();
  for (const n of m.nodes) g.message(1, node(n));
  g.string(2, m.graphName);
  for (const t of m.initializers) g.message(5, tensor(t));
  for (const i of m.inputs) g.message(11, valueInfo(i));
  for (const o of m.outputs) g.message(12, valueInfo(o));
  const w = new Writer().int(1, m.irVersion).string(2, m.producer);
  if (m.docString !== undefined) w.string(6, m.docString);
  w.message(7, g);
  w.message(8, new Writer().string(1, '').int(2, m.opset));
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, new Writer().string(1, k).string(2, v));
  return w.finish();
}
