/**
 * `add_any`: the sum of two cotangents (or tangents) of one value, JAX's add_jaxvals. The
 * reverse pass accumulates fan-out with it. It lives here, not in ops, so autodiff needs
 * nothing from the layer above it; as a primitive it is itself traced and differentiated, so
 * gradients of gradients and graphs of backward passes see it.
 */
import { backend } from '../backend';
import { bind1, type AnyTensor, type MaybeTensor, type Primitive } from './core';

export const addAnyP: Primitive<null> = {
  name: 'add_any',
  shape(ins) {
    const a = ins[0]!, b = ins[1]!;
    // both are derivatives of one value, so shapes and dtypes agree exactly (no broadcasting)
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.join() !== b.shape.join()) {
      throw new Error(`add_any: derivatives of one value must agree, got ${a.dtype}[${a.shape}] and ${b.dtype}[${b.shape}]`);
    }
    return [a];
  },
  impl(ins) {
    const [a, b] = ins as [AnyTensor, AnyTensor];
    const shape = a.shape as readonly number[];
    return [backend().binary('add', a._data as Float32Array, shape, b._data as Float32Array, shape, shape)];
  },
  jvp: (_p, t) => [addMaybe(t[0]!, t[1]!)],
  vjp: (cts) => [cts[0]!, cts[0]!],
  // no broadcasting here: both operands get the batch axis in front (an unbatched one is broadcast)
  batch(ins, dims, _p, ctx) {
    if (dims[0] === dims[1]) return [[addAny(ins[0]!, ins[1]!)], [dims[0]!]];
    return [[addAny(ctx.moveBatch(ins[0]!, dims[0]!, 0), ctx.moveBatch(ins[1]!, dims[1]!, 0))], [0]];
  },
};

export const addAny = (a: AnyTensor, b: AnyTensor): AnyTensor => bind1(addAnyP, [a, b], null);

/** add_any where null is a symbolic zero */
export const addMaybe = (a: MaybeTensor, b: MaybeTensor): MaybeTensor => (a === null ? b : b === null ? a : addAny(a, b));
