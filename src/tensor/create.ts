/**
 * Constructors. Shapes are inferred from literals where they can be:
 * `tensor([[1, 2, 3], [4, 5, 6]])` is a `Tensor<[2, 3]>`; `zeros([32, 784])` a `Tensor<[32, 784]>`.
 * Data from outside (plain arrays, typed arrays, JSON, files) comes in through
 * `fromData`, which checks it at run time and returns `Either<ShapeError, Tensor<S>>`.
 */
import { either as E } from 'fp-ts';
import type { Dim, Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { allocFor, type DType, type DataFor, type TypedArray } from './dtype';
import { Tensor, makeTensor } from './tensor';

/** Nested readonly arrays of numbers or booleans. */
export type Nested = number | boolean | readonly Nested[];

/** The shape of a nested array literal: tuple lengths become literal dims. */
export type ShapeOf<T> = T extends number | boolean
  ? []
  : T extends readonly []
    ? [0]
    : T extends readonly [infer H, ...unknown[]]
      ? [T['length'], ...ShapeOf<H>]
      : T extends readonly (infer E)[]
        ? [number, ...ShapeOf<E>]
        : never;

/** A shape tuple without `readonly` (what `const` type parameters infer from a literal). */
export type Mutable<S extends Shape> = [...S];

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError('shape', `dims must be non-negative integers, got [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** The shape along the first elements (a loop: the recursive `[n, ...rest]` was quadratic in the depth). */
function inferShape(data: unknown, path: string, op = 'tensor'): number[] {
  const shape: number[] = [];
  let node = data;
  let at = path;
  for (;;) {
    if (typeof node === 'number' || typeof node === 'boolean') return shape;
    if (!Array.isArray(node)) throw new ShapeError(op, `expected a number, boolean or array at ${at || 'the root'}, got ${node === null ? 'null' : typeof node}`);
    shape.push(node.length);
    if (node.length === 0) return shape;
    node = node[0];
    at = `${at}[0]`;
  }
}

/**
 * Why `x` cannot be stored in `dtype` (null when it can). The typed arrays would convert
 * silently: Int32Array truncates -0.577 to 0 and NaN to 0, Uint8Array wraps 256 to 0 and keeps
 * 2 as 2 in a bool tensor. So: float32 takes any number (NaN and ±Infinity included; rounded
 * to float32); int32 takes integers in [-2^31, 2^31); bool takes true/false and the numbers 0
 * and 1 only. Booleans are 1/0 in every dtype.
 */
function unstorable(x: number, dtype: DType): string | null {
  if (dtype === 'float32') return null;
  if (dtype === 'int32') return Number.isInteger(x) && x >= -2147483648 && x <= 2147483647 ? null : 'is not an integer in [-2^31, 2^31) (int32 does not round or truncate)';
  return x === 0 || x === 1 ? null : 'is not a boolean (bool takes true/false or 0/1)';
}

function fill(data: unknown, shape: readonly number[], out: TypedArray, dtype: DType, op: string): void {
  let k = 0;
  const rec = (node: unknown, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (typeof node === 'number') {
        const bad = unstorable(node, dtype);
        if (bad !== null) throw new ShapeError(op, `${dtype} value ${node} at ${path || 'the root'} ${bad}`);
        out[k++] = node;
      } else if (typeof node === 'boolean') out[k++] = node ? 1 : 0;
      else throw new ShapeError(op, `expected a number at ${path}, got ${Array.isArray(node) ? 'an array' : node === null ? 'null' : typeof node}${Array.isArray(node) ? ' (ragged nesting)' : ''}`);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[axis]) {
      const got = Array.isArray(node) ? `length ${node.length}` : typeof node;
      throw new ShapeError(op, `ragged array: expected length ${shape[axis]} at ${path || 'the root'}, got ${got}`);
    }
    for (let i = 0; i < node.length; i++) rec(node[i], axis + 1, `${path}[${i}]`);
  };
  rec(data, 0, '');
}

function defaultDType(data: unknown): DType {
  let x: unknown = data;
  while (Array.isArray(x) && x.length > 0) x = x[0];
  return typeof x === 'boolean' ? 'bool' : 'float32';
}

/** A tensor from a nested array literal; the shape is inferred into the type. Throws ShapeError on ragged input. */
export function tensor<const T extends Nested, D extends DType = T extends boolean | readonly boolean[] | readonly (readonly boolean[])[] ? 'bool' : 'float32'>(
  data: T,
  dtype?: D,
): Tensor<ShapeOf<T>, D> {
  const shape = inferShape(data, '');
  const dt = (dtype ?? defaultDType(data)) as D;
  const out = allocFor(dt, sizeOf(shape));
  fill(data, shape, out, dt, 'tensor');
  return makeTensor(shape, dt, out as DataFor<D>);
}

/** A rank-0 tensor. */
export function scalar<D extends DType = 'float32'>(value: number, dtype?: D): Tensor<[], D> {
  const dt = (dtype ?? 'float32') as D;
  const out = allocFor(dt, 1);
  out[0] = value;
  return makeTensor([], dt, out as DataFor<D>);
}

function runtimeShape(shape: Shape, what: string): number[] {
  return shape.map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(what, `dim ${i} must be a non-negative integer at run time, got ${JSON.stringify(d)}`);
    }
    return d;
  });
}

export function full<const S extends readonly number[], D extends DType = 'float32'>(shape: S, value: number, dtype?: D): Tensor<Mutable<S>, D> {
  const s = runtimeShape(shape, 'full');
  const dt = (dtype ?? 'float32') as D;
  const out = allocFor(dt, sizeOf(s));
  if (value !== 0) out.fill(value);
  return makeTensor(s, dt, out as DataFor<D>);
}

export function zeros<const S extends readonly number[], D extends DType = 'float32'>(shape: S, dtype?: D): Tensor<Mutable<S>, D> {
  return full(shape, 0, dtype);
}

export function ones<const S extends readonly number[], D extends DType = 'float32'>(shape: S, dtype?: D): Tensor<Mutable<S>, D> {
  return full(shape, 1, dtype);
}

/** zeros with the shape and dtype of x (concrete even when x is a tracer) */
export function zerosLike<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  return makeTensor(x.shape as readonly number[], x.dtype, allocFor(x.dtype, x.size) as DataFor<D>);
}

export function onesLike<S extends Shape, D extends DType>(x: Tensor<S, D>): Tensor<S, D> {
  const out = allocFor(x.dtype, x.size);
  out.fill(1);
  return makeTensor(x.shape as readonly number[], x.dtype, out as DataFor<D>);
}

export function fullLike<S extends Shape, D extends DType>(x: Tensor<S, D>, value: number): Tensor<S, D> {
  const out = allocFor(x.dtype, x.size);
  out.fill(value);
  return makeTensor(x.shape as readonly number[], x.dtype, out as DataFor<D>);
}

/**
 * [start, stop) with step, like NumPy; the length is dynamic unless given as a literal
 * `arange(5)` → Tensor<[5]>.
 */
export function arange<const N extends number>(stop: N): Tensor<[N]>;
export function arange(start: number, stop: number, step?: number): Tensor<[number]>;
export function arange(a: number, b?: number, step = 1): Tensor<[number]> {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return makeTensor([n], 'float32', out);
}

/** `num` evenly spaced values from start to stop inclusive. */
export function linspace<const N extends number>(start: number, stop: number, num: N): Tensor<[N]> {
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
  const out = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) out[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return makeTensor([num], 'float32', out);
}

/** n×m identity (m defaults to n). */
export function eye<const N extends number, const M extends number = N>(n: N, m?: M): Tensor<[N, M]> {
  const cols = m ?? n;
  sizeOf([n, cols]);
  const out = new Float32Array(n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) out[i * cols + i] = 1;
  return makeTensor([n, cols], 'float32', out);
}

// ---------------------------------------------------------------- the typed escape hatch

export interface FromDataOptions<D extends DType> {
  readonly dtype?: D;
}

function matches(actual: readonly number[], expected: Shape): string | null {
  if (actual.length !== expected.length) return `rank ${actual.length} (shape [${actual.join(', ')}]) but expected rank ${expected.length} ([${expected.join(', ')}])`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (typeof e === 'number' && e !== actual[i]) return `dim ${i} is ${actual[i]} but expected ${e} (shape [${actual.join(', ')}] vs [${expected.join(', ')}])`;
  }
  return null;
}

/**
 * Narrow untyped data to `Tensor<S>`: nested arrays, or a flat array / typed array whose
 * length fits the shape. Literal dims must match exactly; symbolic dims ('batch') and
 * `number` accept any size (for flat data they must be inferable: at most one unknown).
 * Values must fit the dtype exactly (int32: integers in [-2^31, 2^31); bool: true/false or
 * 0/1; float32: any number): nothing is truncated, wrapped or rounded to an integer.
 * Never throws: a bad shape, ragged nesting, a non-numeric value or a value the dtype
 * cannot hold is a Left.
 */
export function fromData<const S extends Shape, D extends DType = 'float32'>(
  data: unknown,
  shape: S,
  options?: FromDataOptions<D>,
): E.Either<ShapeError, Tensor<Mutable<S>, D>> {
  const dt = (options?.dtype ?? 'float32') as D;
  // (a dtype without a string form, e.g. Object.create(null), would make String() throw)
  if (dt !== 'float32' && dt !== 'int32' && dt !== 'bool') return E.left(new ShapeError('fromData', `dtype must be 'float32', 'int32' or 'bool', got ${typeof dt === 'object' && dt !== null ? 'an object' : JSON.stringify(String(dt))}`));
  // every dim is a literal (a non-negative integer) or a symbolic name; anything else
  // (null, undefined, a hole, -1, 1.5) used to pass as "any size" or fail inside with another op's name
  if (!Array.isArray(shape)) return E.left(new ShapeError('fromData', `shape must be an array of dims, got ${shape === null ? 'null' : typeof shape}`));
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d === 'string' || (typeof d === 'number' && Number.isInteger(d) && d >= 0)) continue;
    return E.left(new ShapeError('fromData', `dim ${i} of the shape must be a non-negative integer or a symbolic name, got ${typeof d === 'number' ? String(d) : d === null ? 'null' : typeof d}`));
  }
  try {
    if (typeof data === 'number' || typeof data === 'boolean') {
      if (shape.length !== 0) return E.left(new ShapeError('fromData', `a single value but expected rank ${shape.length} ([${shape.join(', ')}])`));
      const out = allocFor(dt, 1);
      fill(data, [], out, dt, 'fromData');
      return E.right(makeTensor([], dt, out as DataFor<D>));
    }
    if (Array.isArray(data)) {
      const s = inferShape(data, '', 'fromData');
      const bad = matches(s, shape);
      if (bad) return E.left(new ShapeError('fromData', bad));
      const out = allocFor(dt, sizeOf(s));
      fill(data, s, out, dt, 'fromData');
      return E.right(makeTensor(s, dt, out as DataFor<D>));
    }
    if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
      const flat = data as unknown as ArrayLike<number>; // a typed-array view (DataView excluded above) indexes as numbers
      const known = shape.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
      const unknowns = shape.filter((d) => typeof d !== 'number').length;
      if (unknowns > 1) return E.left(new ShapeError('fromData', `flat data needs at most one non-literal dim to infer, got ${unknowns} in [${shape.join(', ')}]`));
      const inferred = unknowns === 1 ? (known === 0 ? -1 : flat.length / known) : -1;
      if (unknowns === 1 && !(Number.isInteger(inferred) && inferred >= 0)) {
        return E.left(new ShapeError('fromData', `${flat.length} values do not fill [${shape.join(', ')}] (${known} per unknown step)`));
      }
      const s = shape.map((d) => (typeof d === 'number' ? d : inferred));
      const n = sizeOf(s);
      if (n !== flat.length) return E.left(new ShapeError('fromData', `${flat.length} values but shape [${shape.join(', ')}] holds ${n}`));
      const out = allocFor(dt, n);
      for (let i = 0; i < n; i++) {
        const x = Number(flat[i]!); // BigInt64Array elements are bigints
        const bad = unstorable(x, dt);
        if (bad !== null) return E.left(new ShapeError('fromData', `${dt} value ${x} at index ${i} ${bad}`));
        out[i] = x;
      }
      return E.right(makeTensor(s, dt, out as DataFor<D>));
    }
    return E.left(new ShapeError('fromData', `expected a nested array or a typed array, got ${data === null ? 'null' : typeof data}`));
  } catch (e) {
    return E.left(e instanceof ShapeError ? e : new ShapeError('fromData', String(e)));
  }
}

/** Like fromData, but throws the ShapeError. */
export function fromDataOrThrow<const S extends Shape, D extends DType = 'float32'>(data: unknown, shape: S, options?: FromDataOptions<D>): Tensor<Mutable<S>, D> {
  const r = fromData(data, shape, options);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

/** Check a tensor of unknown (or wider) shape against S at run time. */
export function checkShape<const S extends Shape, D extends DType>(t: Tensor<readonly Dim[], D>, shape: S): E.Either<ShapeError, Tensor<Mutable<S>, D>> {
  const bad = matches(t.shape as readonly number[], shape);
  // cast: matches() just checked every dim against S
  return bad ? E.left(new ShapeError('checkShape', bad)) : E.right(t as unknown as Tensor<Mutable<S>, D>);
}

/** Asserting variant of checkShape. */
export function assertShape<const S extends Shape, D extends DType>(t: Tensor<readonly Dim[], D>, shape: S): Tensor<Mutable<S>, D> {
  const r = checkShape(t, shape);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

export { Tensor };
