/**
 * The dispatch core: primitives, traces and `bind`.
 *
 * Every op is a Primitive: a name, a runtime shape rule (`shape`, which throws ShapeError),
 * a kernel call (`impl`) and derivative rules (`jvp`, `vjp`) written with public ops, so
 * that derivatives are themselves differentiable. Public op functions call `bind`.
 *
 * `bind` looks at its inputs: if none is a tracer it runs the kernel at once (the fast,
 * common path). Otherwise the input tracer with the highest trace level decides: that
 * trace (JVP, VJP or graph-building) processes the op, treating values from lower levels
 * as constants. Levels are what keep nested transforms from confusing their perturbations.
 *
 * The stack of active traces exists only while a transform runs (pushed on entry, popped
 * in `finally`); nothing outlives the call.
 */
import type { DType, TypedArray } from '../tensor/dtype';
import { Tensor, makeTensor, markShared, type TracerPayload } from '../tensor/tensor';
import { ArgumentError } from '../shape/dims';

/** Abstract value: what a trace knows about a tensor without its data. */
export interface AVal {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

import type { AnyTensor } from '../tensor/untyped';
import type { PrimitiveName } from './primitive-names';
export type { AnyTensor };
/** A cotangent or tangent; `null` is a symbolic zero (skips work). */
export type MaybeTensor = AnyTensor | null;

export interface Primitive<P = unknown, N extends string = PrimitiveName> {
  /** kernel primitives: one of PRIMITIVE_NAMES; composites (customVjp) any string */
  readonly name: N;
  /** Runtime shape rule (the twin of the op's type-level rule): output avals, or throw ShapeError. */
  shape(inputs: readonly AVal[], params: P): AVal[];
  /**
   * Kernel call on concrete inputs; returns freshly allocated output data, one per output aval.
   * A kernel may instead write output j into `into[j]` when given (an array of the aval's dtype
   * and size that no input uses: a jit plan's own buffer) and return it; others ignore it.
   */
  impl(inputs: readonly AnyTensor[], params: P, outs: readonly AVal[], into?: readonly (TypedArray | undefined)[]): TypedArray[];
  /** Forward-mode rule: tangents of the outputs given input tangents (null = zero). */
  jvp?(primals: readonly AnyTensor[], tangents: readonly MaybeTensor[], outs: readonly AnyTensor[], params: P): MaybeTensor[];
  /**
   * Reverse-mode rule: input cotangents given output cotangents (null = zero). `needed[i]`
   * is false when input i is a constant of this trace, so a rule may skip that work (and
   * return null there).
   */
  vjp?(cts: readonly MaybeTensor[], primals: readonly AnyTensor[], outs: readonly AnyTensor[], params: P, needed: readonly boolean[]): MaybeTensor[];
  /**
   * Batching rule (vmap): `dims[i]` is the axis of inputs[i] that is the batch (null: not
   * batched, the same for every example). Returns the outputs, computed for the whole batch by
   * binding primitives once (never a loop over examples), and their batch axes. Written with
   * public ops, so the outputs may be tracers of outer transforms.
   */
  batch?(inputs: readonly AnyTensor[], dims: readonly BatchDim[], params: P, ctx: BatchContext): BatchResult;
  /** Inputs whose derivatives are structurally zero (indices, masks): skipped by the traces. */
  readonly nondiff?: readonly number[];
  /**
   * A primitive defined by a function of other ops (customVjp, fused layers). Traces that
   * have no special use for it run `run` inline on their tracers; the VJP trace uses
   * `vjpForward` / `vjpBackward` when given (a hand-written backward pass).
   */
  readonly composite?: Composite<P>;
}

/** The batch axis of a value under vmap; null = not batched. */
export type BatchDim = number | null;
/** A batching rule's outputs and the batch axis of each. */
export type BatchResult = readonly [outs: AnyTensor[], dims: BatchDim[]];

/** What a batching rule may need from the vmap running it. */
export interface BatchContext {
  /** the number of examples */
  readonly size: number;
  /** `x` with its batch axis `bdim` moved to `to`; an unbatched `x` (null) is broadcast along a new axis there */
  moveBatch(x: AnyTensor, bdim: BatchDim, to: number): AnyTensor;
}

export interface Composite<P> {
  run(inputs: readonly AnyTensor[], params: P): AnyTensor[];
  vjpForward?(primals: readonly AnyTensor[], params: P): { outs: AnyTensor[]; residuals: unknown };
  vjpBackward?(residuals: unknown, cts: readonly MaybeTensor[], primals: readonly AnyTensor[], outs: readonly AnyTensor[], params: P): MaybeTensor[];
}

/** A trace: one level of transformation. */
export abstract class Trace {
  constructor(readonly level: number) {}
  /** set when the transform that owns this trace has returned */
  finished = false;
  abstract process(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown): AnyTensor[];
}

export interface Tracer extends TracerPayload {
  readonly trace: Trace;
}

let traceStack: Trace[] = [];
let nextLevel = 1;

/** Run `body` with a new trace of the given kind on the stack. */
export function withTrace<T extends Trace, R>(make: (level: number) => T, body: (trace: T) => R): R {
  const trace = make(nextLevel++);
  traceStack.push(trace);
  try {
    return body(trace);
  } finally {
    trace.finished = true;
    traceStack = traceStack.filter((t) => t !== trace);
    if (traceStack.length === 0) nextLevel = 1;
  }
}

/** Run a kernel on concrete inputs. */
export function evalPrimitive<P>(prim: Primitive<P, string>, inputs: readonly AnyTensor[], params: P): AnyTensor[] {
  if (prim.composite) return prim.composite.run(inputs, params);
  const outs = runKernel(prim, inputs, params, prim.shape(inputs, params));
  // a kernel that hands back its input's data (reshape) makes two tensors share a buffer:
  // recorded, so that jit never overwrites it when one of them is donated
  // (kernels share by handing back the same array, never a view: checked by identity, cheaply)
  for (const o of outs) for (const x of inputs) if (o._data === x._data && x._data !== null) markShared(x._data);
  return outs;
}

/** A kernel primitive on concrete inputs whose output avals are known (checked by `shape` already, or cached by a jit plan). */
export function runKernel<P>(prim: Primitive<P, string>, inputs: readonly AnyTensor[], params: P, avals: readonly AVal[], into?: readonly (TypedArray | undefined)[]): AnyTensor[] {
  const datas = prim.impl(inputs, params, avals, into);
  const outs = new Array<AnyTensor>(avals.length);
  for (let i = 0; i < avals.length; i++) {
    const a = avals[i]!;
    // cast: the kernel wrote data of the aval's dtype; makeTensor wants DataFor<that dtype>
    outs[i] = makeTensor(a.shape, a.dtype, datas[i]! as never);
  }
  return outs;
}

/** Apply a primitive to tensors or tracers. */
export function bind<P>(prim: Primitive<P, string>, inputs: readonly AnyTensor[], params: P): AnyTensor[] {
  let top: Trace | null = null;
  for (let i = 0; i < inputs.length; i++) {
    // the last line of defence for untyped callers: name the op, not '_tracer' of undefined
    if (!(inputs[i] instanceof Tensor)) throw new ArgumentError(prim.name, `operand ${i}`, `operand ${i} must be a tensor, got ${inputs[i] === null ? 'null' : typeof inputs[i]}`);
    const tr = inputs[i]!._tracer as Tracer | null;
    if (tr !== null && (top === null || tr.trace.level > top.level)) top = tr.trace;
  }
  if (top === null) return evalPrimitive(prim, inputs, params);
  if (top.finished) {
    throw new Error(
      `A traced value escaped its transform and was used in '${prim.name}' after the transform returned. ` +
        'Return values from the transformed function instead of storing them outside.',
    );
  }
  return top.process(prim, inputs, params);
}

/** bind for single-output primitives */
export function bind1<P>(prim: Primitive<P, string>, inputs: readonly AnyTensor[], params: P): AnyTensor {
  return bind(prim, inputs, params)[0]!;
}

/** The tracer of `x` if it belongs to `trace`, else null. */
export function tracerOf<T extends Tracer>(x: AnyTensor, trace: Trace): T | null {
  const tr = x._tracer as Tracer | null;
  return tr !== null && tr.trace === trace ? (tr as T) : null;
}

/** Make a tensor that is a tracer of `trace`. */
export function makeTracerTensor(aval: AVal, payload: Tracer): AnyTensor {
  return new Tensor(aval.shape, aval.dtype, null, payload);
}

export function isFloat(t: AVal): boolean {
  return t.dtype === 'float32';
}
