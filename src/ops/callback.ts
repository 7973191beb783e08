/**
 * A host callback (JAX's pure_callback): a JavaScript function of concrete input data that
 * runs when the primitive's kernel runs — eagerly at the call, and inside a jit plan on every
 * call of the plan, never at trace time. It is how values that depend on non-tensor JavaScript
 * computation (an optimizer's learning-rate schedule of the step count) stay inputs of a plan
 * instead of being frozen into it: the count is a tensor, so a jitted training step keeps one
 * signature and one plan for every step.
 *
 * The function must be pure (the same data in, the same data out): plans may run it any number
 * of times. Its outputs have no derivative (zero tangents and cotangents, as a step function of
 * its inputs); under vmap it runs once per example.
 */
import { bind, type AnyTensor, type AVal, type Primitive } from '../autodiff/core';
import { concreteData } from '../tensor/tensor';
import { allocFor, type TypedArray } from '../tensor/dtype';
import { ArgumentError } from '../shape/dims';
import { dimsOf } from '../tensor/untyped';
import { moveAxis } from './batch-rules';

export interface CallbackParams {
  /** for messages */
  readonly name: string;
  /** input data (row-major) → output data, one typed array per output of `outs` */
  readonly fn: (inputs: readonly TypedArray[]) => readonly TypedArray[];
  readonly outs: readonly AVal[];
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export const pureCallbackP: Primitive<CallbackParams> = {
  name: 'pure_callback',
  shape: (_ins, p) => p.outs.map((o) => ({ shape: o.shape, dtype: o.dtype })),
  impl(ins, p) {
    const got = p.fn(ins.map((x) => concreteData(x, p.name)));
    if (got.length !== p.outs.length) throw new ArgumentError(p.name, 'callback', `the callback returned ${got.length} arrays, expected ${p.outs.length}`);
    return p.outs.map((o, i) => {
      const d = got[i]!;
      const n = sizeOf(o.shape);
      const want = allocFor(o.dtype, 0).constructor; // the storage of the aval's dtype
      if (!(d instanceof want) || d.length !== n) {
        throw new ArgumentError(p.name, 'callback', `output ${i} of the callback must be a ${want.name} of ${n} elements, got ${d?.constructor?.name ?? typeof d} of ${(d as { length?: number })?.length}`);
      }
      // fresh data: the callback may hand back an array it keeps
      return d.slice();
    });
  },
  // a function of data, not of differentiable values: zero derivatives
  jvp: (_pr, _t, outs) => outs.map(() => null),
  vjp: (_cts, pr) => pr.map(() => null),
  // once per example: the batched inputs in front, the callback on each example's slice
  batch(ins, dims, p, ctx) {
    const B = ctx.size;
    const moved = ins.map((x, i) => (dims[i] === null ? x : moveAxis(x, dims[i]!, 0)));
    const per = moved.map((x, i) => (dims[i] === null ? null : sizeOf(dimsOf(x)) / B));
    const fn = (datas: readonly TypedArray[]): TypedArray[] => {
      const outs = p.outs.map((o) => allocFor(o.dtype, B * sizeOf(o.shape)));
      for (let b = 0; b < B; b++) {
        const r = p.fn(datas.map((d, i) => (per[i] === null ? d : d.subarray(b * per[i]!, (b + 1) * per[i]!))));
        r.forEach((d, j) => outs[j]!.set(d, b * sizeOf(p.outs[j]!.shape)));
      }
      return outs;
    };
    const outs = bind(pureCallbackP, moved, { name: p.name, fn, outs: p.outs.map((o) => ({ shape: [B, ...o.shape], dtype: o.dtype })) });
    return [outs, outs.map(() => 0)];
  },
};

/** Bind a host callback: `fn` runs on the inputs' data whenever the values are computed. */
export function pureCallbackRaw(name: string, fn: CallbackParams['fn'], outs: readonly AVal[], inputs: readonly AnyTensor[]): AnyTensor[] {
  return bind(pureCallbackP, inputs, { name, fn, outs });
}
