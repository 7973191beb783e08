/**
 * Runtime checks of what a plain-JavaScript caller passes (the types cannot stop it): operands
 * that are not tensors, option objects with misspelt keys, option values of the wrong kind.
 * Each throws an ArgumentError naming the op and the argument, before any internal code reads
 * a field of the bad value (which would surface as `TypeError ... reading '_tracer'`).
 */
import { ArgumentError } from '../shape/dims';
import { Tensor } from './tensor';

const describe = (x: unknown): string =>
  x === null ? 'null' : Array.isArray(x) ? 'an array' : x instanceof Tensor ? 'a tensor' : typeof x === 'object' ? `an object (${Object.prototype.toString.call(x).slice(8, -1)})` : typeof x === 'string' ? `the string ${JSON.stringify(x.length > 20 ? x.slice(0, 17) + '...' : x)}` : x === undefined ? 'undefined' : `${typeof x} ${String(x)}`;

/** `x` must be a Tensor (concrete or traced). */
export function tensorArg(op: string, name: string, x: unknown): void {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, name, `${name} must be a tensor, got ${describe(x)}`);
}

/** Every element of `xs` must be a tensor (concat, stack). */
export function tensorListArg(op: string, name: string, xs: unknown): void {
  if (!Array.isArray(xs)) throw new ArgumentError(op, name, `${name} must be an array of tensors, got ${describe(xs)}`);
  xs.forEach((x, i) => tensorArg(op, `${name}[${i}]`, x));
}

/**
 * `options` must be undefined or a plain object whose keys are all in `allowed`: a misspelt
 * key (`dilations` for `dilation`) would otherwise be ignored and the default used silently.
 */
export function optionsArg(op: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentError(op, 'options', `options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new ArgumentError(op, 'options', `unknown option '${k}' (${allowed.length === 0 ? 'it takes none' : `one of ${allowed.join(', ')}`})`);
  }
}

/** A boolean option (or undefined for its default). */
export function boolArg(op: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new ArgumentError(op, name, `${name} must be true or false, got ${describe(v)}`);
}

/** A finite number (or undefined for its default). */
export function numberArg(op: string, name: string, v: unknown): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v))) throw new ArgumentError(op, name, `${name} must be a finite number, got ${describe(v)}`);
}

/** An integer (axis, size, count), optionally at least `min`. */
export function intArg(op: string, name: string, v: unknown, min = -Infinity): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) {
    throw new ArgumentError(op, name, `${name} must be an integer${min > -Infinity ? ` >= ${min}` : ''}, got ${describe(v)}`);
  }
}

/** An integer or an array of integers (axes), or undefined. */
export function axesArg(op: string, name: string, v: unknown): void {
  if (v === undefined) return;
  if (Array.isArray(v)) v.forEach((a, i) => intArg(op, `${name}[${i}]`, a));
  else intArg(op, name, v);
}

/** An array of integers (a shape, a perm, begins), each at least `min`. */
export function intListArg(op: string, name: string, v: unknown, min = -Infinity): void {
  if (!Array.isArray(v)) throw new ArgumentError(op, name, `${name} must be an array of integers, got ${describe(v)}`);
  v.forEach((a, i) => intArg(op, `${name}[${i}]`, a, min));
}

/**
 * Each named operand must be a tensor (`tensorArgs('conv2d', { x, filter })`); with
 * `nullable`, null and undefined are allowed too (optional gamma / beta / mask).
 */
export function tensorArgs(op: string, args: Readonly<Record<string, unknown>>, nullable = false): void {
  for (const [name, x] of Object.entries(args)) if (!(nullable && (x === null || x === undefined))) tensorArg(op, name, x);
}

/** An operand of the element-wise ops: a tensor or a plain number. */
export function operandArg(op: string, name: string, x: unknown): void {
  if (typeof x !== 'number') tensorArg(op, name, x);
}
