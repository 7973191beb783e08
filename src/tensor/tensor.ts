/**
 * The immutable Tensor. Its shape lives in the type parameter `S` (see src/shape); its
 * data is a flat row-major typed array that no public API can write to: every op returns
 * a new tensor, and every accessor that hands out numbers hands out a copy.
 *
 * A Tensor is either concrete (it holds `_data`) or a tracer (it holds `_tracer`): inside
 * grad / vjp / jvp / makeGraph, user functions receive tracers that look exactly like
 * tensors; ops dispatch on them (src/autodiff/core.ts). Users never see the difference
 * except that reading numbers inside an abstract trace (makeGraph) is an error.
 */
import type { Dim, Shape, RuntimeShape } from '../shape/dims';
import type { DType, DataFor, TypedArray } from './dtype';
import { formatTensor } from './format';

/** What a tracer carries: which trace owns it (internal to src/autodiff). */
export interface TracerPayload {
  readonly trace: { readonly level: number };
}

/** Nested array type of a shape: number[][] for a rank-2 tensor, number for a scalar. */
export type NestedArray<S extends Shape, D extends DType = 'float32'> = S extends readonly []
  ? D extends 'bool' ? boolean : number
  : S extends readonly [Dim, ...infer Rest extends Shape]
    ? NestedArray<Rest, D>[]
    : unknown[];

export class Tensor<S extends Shape = Shape, D extends DType = 'float32'> {
  /** phantom: the type-level shape (no runtime field) */
  declare readonly __shape: S;
  readonly shape: RuntimeShape<S>;
  readonly dtype: D;
  /** number of elements */
  readonly size: number;
  /** @internal concrete data, or null for a tracer */
  readonly _data: DataFor<D> | null;
  /** @internal tracer payload, or null for a concrete tensor */
  readonly _tracer: TracerPayload | null;

  /** @internal use the constructors in src/tensor/create.ts */
  constructor(shape: readonly number[], dtype: D, data: DataFor<D> | null, tracer: TracerPayload | null) {
    // cast: the constructors in create.ts check shape against S; here it is only frozen
    this.shape = Object.freeze(shape.slice()) as unknown as RuntimeShape<S>;
    this.dtype = dtype;
    let size = 1;
    for (const d of shape) size *= d;
    this.size = size;
    this._data = data;
    this._tracer = tracer;
  }

  get rank(): S['length'] {
    return this.shape.length as S['length'];
  }

  /** A copy of the flat data (row-major). */
  dataSync(): DataFor<D> {
    return concreteData(this, 'dataSync()').slice() as DataFor<D>;
  }

  /** Nested JavaScript arrays; bool tensors give booleans. */
  toArray(): NestedArray<S, D> {
    const data = concreteData(this, 'toArray()');
    const shape = this.shape as readonly number[];
    const asBool = this.dtype === 'bool';
    const build = (axis: number, offset: number): unknown => {
      if (axis === shape.length) return asBool ? data[offset] !== 0 : data[offset];
      const n = shape[axis]!;
      let stride = 1;
      for (let i = axis + 1; i < shape.length; i++) stride *= shape[i]!;
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = build(axis + 1, offset + i * stride);
      return out;
    };
    return build(0, 0) as NestedArray<S, D>;
  }

  /** The single value of a one-element tensor. */
  item(): D extends 'bool' ? boolean : number {
    const data = concreteData(this, 'item()');
    if (this.size !== 1) throw new RangeError(`item(): tensor has ${this.size} elements, expected 1 (shape [${this.shape.join(', ')}])`);
    return (this.dtype === 'bool' ? data[0] !== 0 : data[0]) as D extends 'bool' ? boolean : number;
  }

  toString(): string {
    if (this._data === null) return `Tensor<[${this.shape.join(', ')}], ${this.dtype}> (${(this._tracer as { donated?: boolean } | null)?.donated === true ? 'donated' : 'traced'})`;
    return formatTensor(this.shape as readonly number[], this.dtype, this._data);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/**
 * The concrete data behind a tensor. For a tracer this unwraps to the primal value where
 * the trace has one (grad, jvp evaluate eagerly), and throws inside an abstract trace
 * (makeGraph, jit), naming `what` read the values (e.g. 'dataSync()').
 */
export function concreteData<S extends Shape, D extends DType>(t: Tensor<S, D>, what = 'concreteData'): DataFor<D> {
  if (t._data !== null) return t._data;
  // cast: TracerPayload is opaque here (autodiff sits above tensor); a tracer may carry concrete(what)
  const unwrap = (t._tracer as unknown as { concrete?: (what: string) => TypedArray }).concrete;
  if (unwrap) return unwrap.call(t._tracer, what) as DataFor<D>;
  throw new Error(`${what}: cannot read the values of an abstract traced tensor (inside makeGraph / export): values exist only when the function runs.`);
}

/** @internal wrap freshly computed data (never shared with an input) */
export function makeTensor<S extends Shape, D extends DType>(shape: readonly number[], dtype: D, data: DataFor<D>): Tensor<S, D> {
  return new Tensor<S, D>(shape, dtype, data, null);
}

// ---------------------------------------------------------------- buffer ownership (jit donation)

/** ArrayBuffers that back more than one tensor (a kernel returned its input's data: reshape) */
const shared = new WeakSet<ArrayBufferLike>();

/**
 * Arrays that are views of a part of a bigger buffer they alone own (a backend's resident
 * arrays in its kernel memory): ownership is tracked per array, not per buffer.
 */
const views = new WeakSet<TypedArray>();
const sharedViews = new WeakSet<TypedArray>();

/** @internal `data` is a view that alone owns its part of its buffer (a resident array) */
export function markOwnedView(data: Float32Array): void {
  views.add(data);
}

/** @internal record that `data`'s buffer now backs another tensor too */
export function markShared(data: TypedArray): void {
  if (views.has(data)) sharedViews.add(data);
  else shared.add(data.buffer);
}

/**
 * @internal whether t is the only tensor that can see its data: a float32 array spanning its
 * whole buffer (or an owned view, see markOwnedView) that no kernel ever handed to a second tensor. Only such a buffer may be
 * overwritten when t is donated to jit.
 */
export function ownsBuffer(t: Tensor<Shape, DType>): t is Tensor<Shape, DType> & { readonly _data: Float32Array } {
  const d = t._data;
  if (!(d instanceof Float32Array)) return false;
  if (views.has(d)) return !sharedViews.has(d);
  return d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && !shared.has(d.buffer);
}

/**
 * @internal the one place a tensor changes: after jit donated t (its buffer may now hold an
 * output), t drops its data and carries `payload`, which makes every later read or op on t throw.
 */
export function retire(t: Tensor<Shape, DType>, payload: TracerPayload): void {
  // cast: _data / _tracer are readonly to every other module
  const m = t as unknown as { _data: unknown; _tracer: unknown };
  m._data = null;
  m._tracer = payload;
}

export function isTensor(x: unknown): x is Tensor<Shape, DType> {
  return x instanceof Tensor;
}
