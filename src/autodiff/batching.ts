/**
 * The batching trace (vmap), in the style of JAX's BatchTrace.
 *
 * A tracer carries a value holding the whole batch and its batch axis. The tracer's own
 * (abstract) shape is the per-example shape: the value's shape with the batch axis removed, so
 * the function under vmap sees single examples and its shape checks are the per-example ones.
 * Values that are the same for every example are not tracers at all (batch axis null).
 *
 * Each primitive is batched by its own `batch` rule (beside its other rules in src/ops): the
 * rule moves batch axes where the primitive can take them and binds primitives once for the
 * whole batch, never a loop over examples. A primitive without a rule is an error naming it.
 * Composite primitives (customVjp, fused layers) run their function on the tracers.
 *
 * Levels compose as in the other traces: rules bind public ops, so outer traces (grad, jvp,
 * another vmap) see the batched computation and transform it in turn.
 */
import type { TypedArray } from '../tensor/dtype';
import { Trace, bind, makeTracerTensor, tracerOf, withTrace, type AnyTensor, type BatchContext, type BatchDim, type Primitive, type Tracer } from './core';

export interface BatchTracer extends Tracer {
  /** the value of the whole batch */
  readonly value: AnyTensor;
  /** the axis of `value` along which the examples lie */
  readonly bdim: number;
}

/** The message of a primitive without a batching rule. */
export function noBatchRuleMessage(name: string): string {
  return `vmap: no batching rule for '${name}'`;
}

export class BatchTrace extends Trace {
  constructor(
    level: number,
    /** the number of examples, and how to move batch axes (ops live in the layer above) */
    readonly ctx: BatchContext,
  ) {
    super(level);
  }

  get size(): number {
    return this.ctx.size;
  }

  /** A tracer of this trace for `value` batched along `bdim` (null: `value` itself, unbatched). */
  lift(value: AnyTensor, bdim: BatchDim): AnyTensor {
    if (bdim === null) return value;
    const shape = (value.shape as readonly number[]).slice();
    if (!(bdim >= 0 && bdim < shape.length) || shape[bdim] !== this.size) {
      throw new Error(`vmap: internal error: batch axis ${bdim} of a value of shape [${shape.join(', ')}] does not hold the ${this.size} examples`);
    }
    shape.splice(bdim, 1);
    const payload: BatchTracer & { concrete(): TypedArray } = {
      trace: this,
      value,
      bdim,
      concrete: () => {
        throw new Error('vmap: cannot read the values of a batched tensor inside the vmapped function: it stands for every example at once. Return it instead.');
      },
    };
    return makeTracerTensor({ shape, dtype: value.dtype }, payload);
  }

  /** The batch value and axis of `x` as this trace sees it (a non-tracer is unbatched). */
  unpack(x: AnyTensor): [AnyTensor, BatchDim] {
    const tr = tracerOf<BatchTracer>(x, this);
    return tr ? [tr.value, tr.bdim] : [x, null];
  }

  process(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown): AnyTensor[] {
    if (prim.composite) return prim.composite.run(inputs, params);
    const values = new Array<AnyTensor>(inputs.length);
    const dims = new Array<BatchDim>(inputs.length);
    for (let i = 0; i < inputs.length; i++) [values[i], dims[i]] = this.unpack(inputs[i]!);
    if (dims.every((d) => d === null)) return bind(prim, values, params);
    if (!prim.batch) throw new Error(noBatchRuleMessage(prim.name));
    const [outs, outDims] = prim.batch(values, dims, params, this.ctx);
    return outs.map((o, i) => this.lift(o, outDims[i] ?? null));
  }
}

/** Run `body` under a fresh batching trace for `ctx.size` examples. */
export function withBatchTrace<R>(ctx: BatchContext, body: (trace: BatchTrace) => R): R {
  return withTrace((level) => new BatchTrace(level, ctx), body);
}
