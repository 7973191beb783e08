/**
 * Shape rules, each as a type and its runtime twin, one file per op family.
 *
 * A rule type evaluates to the resulting shape (a plain mutable tuple, so hovers read
 * `Tensor<['batch', 26, 26, 32]>`) or to a `ShapeMismatch<'<op>: <rule> (<values>)', Expected, Actual>`.
 * Ops never return the mismatch: they intersect `Check<R>` into the offending parameter and
 * return `Tensor<Result<R>>`, so the error lands on that argument and nothing downstream turns
 * into `never`.
 *
 * The runtime twin computes the same shape on `readonly number[]` or throws a `ShapeError`
 * whose message is the same text (symbolic names print as their run-time numbers). It sits
 * directly beside its type in the family's file, so a change to one is a change to both.
 *
 * Dims: number literals; symbolic string literals ('batch'), equal only to themselves and
 * broadcasting with 1; the wide `number` (also the wide `string`), a dynamic dim that passes
 * every check. A shape that is not a tuple (`Dim[]`, `number[]`: unknown rank) passes every check
 * and yields `Dim[]`. Every axis argument may be negative (-1 = last).
 *
 * In `ShapeMismatch<Msg, Expected, Actual>`: for two-shape rules Expected is the first shape and
 * Actual the second (the one the op should flag); for lists (concat, stack) Expected is the first
 * shape and Actual the offending one; for one-shape rules Expected is the input shape and Actual
 * the offending parameter (axis, axes, perm, target shape, [begin, size], kernel size, ...), except
 * rank errors of conv/pool, where Expected is the required rank and Actual the input shape.
 *
 * Families: common (Check/Result, axes), broadcast, matmul, reshape (reshape, flatten,
 * transpose, squeeze, unsqueeze), concat (concat, stack, slice, split), reduce, conv (conv and
 * pooling, padding), layout (mergeDims, pad, tile, repeat, gather, oneHot, unstack, split by
 * sizes, strided slice), einsum (einsum subscripts and einops rearrange patterns, parsed in the type).
 */
export {
  type Check,
  type CheckIf,
  type CheckUnless,
  type Result,
  type Rank,
  type Axis,
  type Pieces,
  type BatchDimOf,
  type SeqLenOf,
  type FeatureDimOf,
  isNat,
  isPos,
  normalizeAxis,
  normalizeAxes,
} from './common';
export { type BroadcastShape, broadcastShapes } from './broadcast';
export * from './matmul';
export * from './einsum';
export * from './rearrange';
export * from './reshape';
export * from './concat';
export * from './reduce';
export * from './conv';
export * from './layout';
export * from './attention';
export * from './norm';
export * from './dtype';
export * from './batch';
