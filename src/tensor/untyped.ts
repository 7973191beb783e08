/**
 * The typed ⇄ untyped boundary: the one module where a tensor's static shape is erased or
 * asserted.
 *
 * Inside the library, every op has an untyped core (`addRaw`, `matmulRaw`, `concatRaw`, …)
 * working on `AnyTensor` — layers, losses, optimizers, derivative rules and the ONNX exporter
 * call those. A typed public op is a thin signature over its core: it `erase`s its arguments,
 * calls the core (whose runtime twin of the shape rule has checked everything the type rule
 * promised) and asserts the result type with `typed`. That assertion is the only place a
 * run-time tensor meets a static shape, which is why the casts live here and nowhere else.
 */
import type { Dim, Shape } from '../shape/dims';
import type { DType } from './dtype';
import type { Tensor } from './tensor';

/** A tensor whatever its static shape and dtype: what cores, rules and kernels handle. */
export type AnyTensor = Tensor<readonly (number | string)[], DType>;
/** A float32 tensor of unknown rank: what typed code gets back when a shape is not static. */
export type WideTensor<D extends DType = 'float32'> = Tensor<Dim[], D>;

/**
 * Typed → untyped. Always sound: every Tensor is an AnyTensor at run time (the type parameter
 * is a phantom). TypeScript cannot see that through the phantom's variance, hence the cast.
 */
export function erase<S extends Shape, D extends DType>(x: Tensor<S, D>): AnyTensor {
  return x as unknown as AnyTensor;
}

/** `erase` for a list (concat / stack inputs). */
export function eraseAll<S extends Shape, D extends DType>(xs: readonly Tensor<S, D>[]): AnyTensor[] {
  return xs as unknown as AnyTensor[];
}

/** `erase` for an operand that may be a plain number (`add(x, 1)`). */
export function eraseOperand<S extends Shape, D extends DType>(x: Tensor<S, D> | number): AnyTensor | number {
  return x as unknown as AnyTensor | number;
}

/**
 * Untyped → typed: asserts that `x` has the static type T. Sound only where a runtime twin has
 * checked the shape T claims — i.e. in a typed op's signature, right after its core ran.
 */
export function typed<T>(x: AnyTensor): T {
  return x as unknown as T;
}

/** `typed` for a list of results (split, unstack). */
export function typedAll<T>(xs: readonly AnyTensor[]): T {
  return xs as unknown as T;
}

/** An untyped result seen as a float32 tensor of unknown rank (typed code with dynamic shapes). */
export function wide<D extends DType = 'float32'>(x: AnyTensor): WideTensor<D> {
  return x as unknown as WideTensor<D>;
}

/**
 * The dims of a tensor (or an abstract value) in an untyped core, as numbers: every dim of a
 * value that reaches a core is a number at run time (symbolic dims exist only in the types).
 */
export function dimsOf(x: { readonly shape: readonly (number | string)[] }): readonly number[] {
  return x.shape as readonly number[];
}
