/**
 * Dims and shapes as types.
 *
 * A dim is either a non-negative integer literal (28, 784, 50257), a named symbolic dim
 * (a string literal such as 'batch' or 'seq': a size known only at run time), or the
 * plain type `number`, which we treat as an explicit *dynamic* dim: every compile-time
 * check involving it passes and the runtime check decides.
 *
 * Symbolic dims unify only with themselves (and broadcast against 1). A symbolic dim
 * never equals a literal at compile time: `['batch', 784]` and `[32, 784]` differ.
 */
export type SymbolicDim = string;
export type Dim = number | SymbolicDim;
export type Shape = readonly Dim[];

/** The runtime view of a type-level shape: symbolic dims become `number`. */
export type RuntimeShape<S extends Shape> = { readonly [K in keyof S]: S[K] extends number ? S[K] : number };

/**
 * The type a wrong argument is compared against: it names the rule and carries expected
 * vs actual, so the compiler's message reads
 * `... is not assignable to parameter of type 'Tensor<[128, 10]> & ShapeMismatch<"matmul: inner dims differ (784 vs 128)", ...>'`.
 * It is intersected with the parameter's type (never returned), so the failure lands on
 * the offending argument and nothing downstream collapses to `never`.
 */
export interface ShapeMismatch<Rule extends string, Expected = unknown, Actual = unknown> {
  readonly __shapeMismatch: Rule;
  readonly expected: Expected;
  readonly actual: Actual;
}

/** Runtime twin of a failed shape rule: thrown when types were bypassed (any, casts, JS callers). */
export class ShapeError extends Error {
  override readonly name: string = 'ShapeError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

/**
 * Two pytrees that must match leaf by leaf (params / grads / optimizer state / updates) do
 * not: `path` is the first differing leaf (e.g. `[2].kernel`), `actual` and `expected` its
 * shapes in the two trees (null where that tree has no leaf there). The message reads
 * `sgd.update: grads differ from params at [2].kernel: [10816, 10] vs [5408, 10]`.
 */
export class TreeMismatchError extends ShapeError {
  override readonly name: string = 'TreeMismatchError';
  constructor(
    rule: string,
    message: string,
    readonly path: string,
    readonly actual: readonly number[] | null,
    readonly expected: readonly number[] | null,
  ) {
    super(rule, message);
  }
}

/**
 * A bad argument from an untyped caller (plain JavaScript, `any`): a non-tensor operand, an
 * option of the wrong kind or value. The message names the op and the argument.
 */
export class ArgumentError extends ShapeError {
  override readonly name: string = 'ArgumentError';
  constructor(
    rule: string,
    readonly argument: string,
    message: string,
  ) {
    super(rule, message);
  }
}
