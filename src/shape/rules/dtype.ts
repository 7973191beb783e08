/**
 * Dtype rules, the dtype twin of the shape rules: an operand's dtype is a type parameter
 * inferred from the argument (not fixed in the parameter's type), so a wrong one is the same
 * named `ShapeMismatch` on the offending argument as a wrong shape, e.g.
 * `embedding: ids must be int32, got float32` rather than TypeScript's structural diff of
 * two Tensor types.
 */
import { ShapeError, type ShapeMismatch } from '../dims';
import type { DType } from '../dtype';

/**
 * unknown when dtype D is one of Need, or not known at compile time (the wide `DType`: checked
 * at run time, like a dynamic dim); else `<op>: <what> must be <label>, got <D>`.
 */
export type DtypeRule<Op extends string, What extends string, Need extends DType, D, Label extends string = Need> = DType extends D
  ? unknown
  : [D] extends [Need]
    ? unknown
    : ShapeMismatch<`${Op}: ${What} must be ${Label}, got ${D & string}`, Need, D>;

/** Runtime twin of `DtypeRule`: throws the same text. */
export function checkDtype(op: string, what: string, need: readonly DType[], got: DType): void {
  if (!need.includes(got)) throw new ShapeError(op, `${what} must be ${need.join(' or ')}, got ${got}`);
}
