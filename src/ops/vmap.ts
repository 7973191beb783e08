/**
 * vmap: a function written for one example, run on a batch (JAX's vmap).
 *
 * `vmap(f, { inAxes, outAxes })(...args)`: every batched argument leaf carries the examples
 * along its in axis; f sees single examples (tracers of a BatchTrace, src/autodiff/batching.ts)
 * and every primitive it binds runs once for the whole batch through its batching rule. The
 * result leaves carry the examples along their out axes.
 *
 * Axes: `inAxes` is one spec for all arguments or a list with one spec per argument; a spec
 * is a number (the axis of every tensor leaf), null (not batched: the same for every example)
 * or a pytree prefix of the argument with numbers / nulls at its nodes. `outAxes` is a spec
 * for the result. Both default to 0. Axes count in the batched rank; negative from its end.
 *
 * Types: for `f: (x: Tensor<S>, w: Tensor<W>) => Tensor<R>`, `vmap(f, { inAxes: [0, null] })`
 * takes `(x: Tensor<[B, ...S]>, w: Tensor<W>)` and returns `Tensor<[B, ...R]>`, B inferred
 * from the first batched argument (a literal or symbolic dim); a later argument batched with
 * another size is an error at that argument, `vmap: batch sizes differ (3 at argument 0 vs 4
 * at argument 1)`. It lives in ops (not autodiff) because moving the batch axes in and out
 * takes ops (transpose, broadcast).
 */
import type { Dim, ShapeMismatch } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { agreeBatch, batchAxisOf, batchedShape, type AgreeBatch, type BatchDimAt, type BatchedShape, type Result } from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { IsTuple } from '../shape/dim-types';
import { Tensor } from '../tensor/tensor';
import { withBatchTrace } from '../autodiff/batching';
import { treeFlatten } from '../autodiff/pytree';
import { moveBatch } from './batch-rules';
import { normIndex, type NormIdx, type SplitAt } from '../shape/rules/common';

// =============================================================================================
// Types

/** A batch axis spec: an axis, null (unbatched), or a pytree prefix of them. */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** T with the batch dim B inserted in every tensor leaf at axis Ax. */
type BatchLeaves<T, Ax extends number, B extends Dim> =
  T extends Tensor<infer S, infer D extends DType>
    ? IsTuple<S> extends false
      ? T
      : Tensor<Result<BatchedShape<S, Ax, B>>, D>
    : T extends (...a: never[]) => unknown
      ? T
      : T extends object
        ? { [K in keyof T]: BatchLeaves<T[K], Ax, B> }
        : T;

/** T batched with B along the spec Ax (a number, null or a prefix tree). */
export type Batched<T, Ax, B extends Dim> = Ax extends null
  ? T
  : Ax extends number
    ? BatchLeaves<T, Ax, B>
    : Ax extends object
      ? T extends object
        ? { [K in keyof T]: K extends keyof Ax ? Batched<T[K], Ax[K], B> : T[K] }
        : T
      : T;

/** The batch dims (a union) of X's tensor leaves under the spec Ax. */
type LeafDims<X, Ax extends number> =
  X extends Tensor<infer S, DType>
    ? BatchDimAt<S, Ax>
    : X extends (...a: never[]) => unknown
      ? never
      : X extends readonly unknown[]
        ? LeafDims<X[number], Ax>
        : X extends object
          ? { [K in keyof X]: LeafDims<X[K], Ax> }[keyof X]
          : never;
type DimsOf<X, Ax> = Ax extends null
  ? never
  : Ax extends number
    ? LeafDims<X, Ax>
    : Ax extends readonly unknown[]
      ? X extends readonly unknown[]
        ? { [K in keyof Ax & `${number}`]: K extends keyof X ? DimsOf<X[K], Ax[K]> : never }[keyof Ax & `${number}`]
        : never
      : Ax extends object
        ? { [K in keyof Ax & keyof X]: DimsOf<X[K], Ax[K]> }[keyof Ax & keyof X]
        : never;

/** The spec of argument N. */
type ArgAxis<I, N extends number> = I extends readonly unknown[] ? I[N] : I;

/**
 * Walk the actual arguments X: the first batched one fixes B; each argument's expected type is
 * f's argument type batched with B, or a mismatch naming both sizes. `{ args, b }`.
 */
type CheckArgs<A extends readonly unknown[], I, X extends readonly unknown[], B = never, I0 extends number = never, Out extends unknown[] = []> =
  number extends X['length'] | A['length']
    ? { args: X; b: Dim }
    : X extends readonly [infer H, ...infer T]
    ? Out['length'] extends A['length']
      ? { args: [...Out, ...unknown[]]; b: B }
      : DimsOf<H, ArgAxis<I, Out['length']>> extends infer D
        ? [D] extends [never]
          ? CheckArgs<A, I, T, B, I0, [...Out, A[Out['length']]]>
          : [B] extends [never]
            ? D extends Dim
              ? CheckArgs<A, I, T, D, Out['length'], [...Out, Batched<A[Out['length']], ArgAxis<I, Out['length']>, D>]>
              : never
            : AgreeBatch<B, I0, D, Out['length']> extends infer G
              ? G extends ShapeMismatch<any, any, any>
                ? { args: [...Out, G, ...unknown[]]; b: B }
                : G extends Dim
                  ? CheckArgs<A, I, T, G, I0, [...Out, Batched<A[Out['length']], ArgAxis<I, Out['length']>, G>]>
                  : never
              : never
        : never
    : { args: Out; b: B };

/** T with the dim at axis Ax removed from every tensor leaf (the inverse of Batched). */
type UnbatchLeaves<T, Ax extends number> =
  T extends Tensor<infer S, infer D extends DType>
    ? IsTuple<S> extends false
      ? T
      : NormIdx<S['length'], Ax> extends infer J extends number
        ? SplitAt<S, J> extends [infer P extends Dim[], readonly [Dim, ...infer Q extends Dim[]]]
          ? Tensor<[...P, ...Q], D>
          : T
        : T
    : T extends (...a: never[]) => unknown
      ? T
      : T extends object
        ? { [K in keyof T]: UnbatchLeaves<T[K], Ax> }
        : T;
type Unbatched<T, Ax> = Ax extends null
  ? T
  : Ax extends number
    ? UnbatchLeaves<T, Ax>
    : Ax extends object
      ? T extends object
        ? { [K in keyof T]: K extends keyof Ax ? Unbatched<T[K], Ax[K]> : T[K] }
        : T
      : T;
type UnbatchArgs<X extends readonly unknown[], I> = { [K in keyof X]: Unbatched<X[K], I extends readonly unknown[] ? (K extends keyof I ? I[K] : null) : I> };

/** The levels of a (nested) vmapped function, innermost first: each level's [inAxes, outAxes]. */
type Levels = readonly (readonly [unknown, unknown])[];

/**
 * The result of calling f batched by `L` on arguments X: the outermost level's batch dim comes
 * off each argument, the inner levels type the rest, and that batch dim goes back on.
 */
type CallLevels<A extends readonly unknown[], R, L extends Levels, X extends readonly unknown[]> =
  L extends readonly [readonly [infer I0, infer O0]]
    ? Out<R, O0, CheckArgs<A, I0, X>>
    : L extends readonly [...infer Rest extends Levels, readonly [infer I, infer O]]
      ? Batched<CallLevels<A, R, Rest, UnbatchArgs<X, I>>, O, CheckArgs<UnbatchArgs<X, I>, I, X>['b'] extends infer B extends Dim ? B : never>
      : never;

/** vmap of a vmapped function (nesting, any depth): typed level by level. */
export type VmappedNested<A extends readonly unknown[], R, L extends Levels> = (<const X extends readonly unknown[]>(...args: X) => CallLevels<A, R, L, X>) & VmapBrand<A, R, L>;

/** inAxes as a list must have one entry per argument of f. */
export type CheckInAxes<A extends readonly unknown[], I> = I extends readonly unknown[]
  ? number extends A['length']
    ? unknown
    : I['length'] extends A['length']
      ? unknown
      : ShapeMismatch<`vmap: inAxes has ${I['length']} entries but f takes ${A['length']} arguments`, A['length'], I['length']>
  : unknown;

export interface VmapOptions<I extends AxisSpec = AxisSpec, O extends AxisSpec = AxisSpec> {
  /** where each argument's examples lie: one spec for all, or one per argument (default 0) */
  readonly inAxes?: I;
  /** where the result's examples go (default 0) */
  readonly outAxes?: O;
}

type Out<R, O, C> = Batched<R, O, C extends { b: infer B extends Dim } ? B : never>;
type Arg<C, K extends number> = C extends { args: infer L extends readonly unknown[] } ? L[K] : never;

/**
 * The vmapped function: arguments batched per inAxes, the result per outAxes. Up to four
 * arguments each is its own parameter, so a mismatch is reported at the argument itself;
 * longer argument lists are checked as one tuple.
 */
export type Vmapped<A extends readonly unknown[], R, I, O> = VmappedCall<A, R, I, O> & VmapBrand<A, R, [[I, O]]>;

/** Phantom (no runtime field): what a vmapped function was made from, so vmap of it can type the nesting. */
export interface VmapBrand<A extends readonly unknown[], R, L extends Levels> {
  readonly __vmapped: [A, R, L];
}

type VmappedCall<A extends readonly unknown[], R, I, O> = A extends readonly []
  ? () => R
  : A extends readonly [unknown]
    ? <const X0>(x0: X0 & Arg<CheckArgs<A, I, [X0]>, 0>) => Out<R, O, CheckArgs<A, I, [X0]>>
    : A extends readonly [unknown, unknown]
      ? <const X0, const X1>(x0: X0 & Arg<CheckArgs<A, I, [X0, X1]>, 0>, x1: X1 & Arg<CheckArgs<A, I, [X0, X1]>, 1>) => Out<R, O, CheckArgs<A, I, [X0, X1]>>
      : A extends readonly [unknown, unknown, unknown]
        ? <const X0, const X1, const X2>(
            x0: X0 & Arg<CheckArgs<A, I, [X0, X1, X2]>, 0>,
            x1: X1 & Arg<CheckArgs<A, I, [X0, X1, X2]>, 1>,
            x2: X2 & Arg<CheckArgs<A, I, [X0, X1, X2]>, 2>,
          ) => Out<R, O, CheckArgs<A, I, [X0, X1, X2]>>
        : A extends readonly [unknown, unknown, unknown, unknown]
          ? <const X0, const X1, const X2, const X3>(
              x0: X0 & Arg<CheckArgs<A, I, [X0, X1, X2, X3]>, 0>,
              x1: X1 & Arg<CheckArgs<A, I, [X0, X1, X2, X3]>, 1>,
              x2: X2 & Arg<CheckArgs<A, I, [X0, X1, X2, X3]>, 2>,
              x3: X3 & Arg<CheckArgs<A, I, [X0, X1, X2, X3]>, 3>,
            ) => Out<R, O, CheckArgs<A, I, [X0, X1, X2, X3]>>
          : <const X extends readonly unknown[]>(...args: X & CheckArgs<A, I, X>['args']) => Out<R, O, CheckArgs<A, I, X>>;

// =============================================================================================
// Runtime

/** The axis spec of each tensor leaf of `tree`, from a prefix spec; `where` names the argument in messages. */
function leafAxes(spec: unknown, tree: unknown, where: string, what: string): (number | null)[] {
  if (spec === null || typeof spec === 'number') {
    if (typeof spec === 'number' && !Number.isInteger(spec)) throw new ShapeError('vmap', `${what} must be integers or null, got ${spec} for ${where}`);
    return treeFlatten(tree).leaves.map(() => spec);
  }
  if (typeof spec !== 'object') throw new ShapeError('vmap', `${what} must be a number, null or a pytree prefix of them, got ${typeof spec} for ${where}`);
  if (tree instanceof Tensor) throw new ShapeError('vmap', `${what} for ${where} is a tree but the value is a tensor`);
  const node = tree as Record<string, unknown> | null;
  if (node === null || typeof node !== 'object') throw new ShapeError('vmap', `${what} for ${where} is a tree but the value is ${node === null ? 'null' : typeof node}`);
  const keys = Object.keys(node);
  const sk = Object.keys(spec as object);
  const extra = sk.filter((k) => !keys.includes(k));
  if (extra.length > 0 || Array.isArray(spec) !== Array.isArray(node) || sk.length !== keys.length) {
    throw new ShapeError('vmap', `${what} for ${where} is not a prefix of the value's structure (spec keys [${sk.join(', ')}], value keys [${keys.join(', ')}])`);
  }
  return keys.flatMap((k) => leafAxes((spec as Record<string, unknown>)[k], node[k], `${where}.${k}`, what));
}

/** The arguments of f as vmap checks inAxes against them (a vmapped f: its own function's). */
export type ArgsOf<F> = F extends VmapBrand<infer A2, any, any> ? A2 : F extends (...args: infer A) => unknown ? A : readonly unknown[];
/** What vmap makes of f: a vmapped function, or a nested one when f is itself vmapped. */
export type VmapOf<F, I, O> =
  F extends VmapBrand<infer A2, infer R2, infer L extends Levels>
    ? VmappedNested<A2, R2, [...L, [I, O]]>
    : F extends (...args: infer A) => infer R
      ? Vmapped<A, R, I, O>
      : never;

/** Batch `f` over the examples of its arguments; see the module comment. */
export function vmap<F extends (...args: never[]) => unknown, const I extends AxisSpec = 0, const O extends AxisSpec = 0>(
  f: F,
  options?: { readonly inAxes?: I & CheckInAxes<ArgsOf<F>, I>; readonly outAxes?: O },
): VmapOf<F, I, O>;
export function vmap(f: unknown, options?: { readonly inAxes?: unknown; readonly outAxes?: unknown }): unknown {
  if (typeof f !== 'function') throw new TypeError(`vmap: f must be a function, got ${typeof f}`);
  const fn = f as (...args: unknown[]) => unknown; // cast: the overloads above type f's arguments
  // null is a spec (unbatched), so only a missing option takes the default
  const inAxes: unknown = options?.inAxes === undefined ? 0 : options.inAxes;
  const outAxes: unknown = options?.outAxes === undefined ? 0 : options.outAxes;
  const run = (...args: unknown[]): unknown => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new ShapeError('vmap', `inAxes has ${inAxes.length} entries but the function was called with ${args.length} arguments`);
    }
    const flat = treeFlatten(args);
    const axes = args.flatMap((a, i) => leafAxes(Array.isArray(inAxes) ? inAxes[i] : inAxes, a, `argument ${i}`, 'inAxes'));
    // which argument each leaf belongs to, for messages
    const argOf = args.flatMap((a, i) => treeFlatten(a).paths.map((p) => (p === '' ? `argument ${i}` : `argument ${i} ('${p}')`)));
    let size = -1;
    let first = '';
    const bdims = flat.leaves.map((leaf, j) => {
      const ax = axes[j]!;
      if (ax === null) return null;
      const d = batchAxisOf(leaf.shape as readonly number[], ax, argOf[j]!);
      const n = leaf.shape[d] as number;
      if (size < 0) [size, first] = [n, argOf[j]!];
      else agreeBatch(size, first, n, argOf[j]!);
      return d;
    });
    if (size < 0) throw new ShapeError('vmap', 'no argument is batched (every in axis is null): nothing to map over');
    return withBatchTrace({ size, moveBatch: (x, d, to) => moveBatch(x, d, to, size) }, (trace) => {
      const traced = flat.leaves.map((l, j) => trace.lift(l, bdims[j]!));
      const out = fn(...flat.rebuild(traced));
      const of = treeFlatten(out);
      const oAxes = leafAxes(outAxes, out, 'the result', 'outAxes');
      const leaves = of.leaves.map((l, j) => {
        const [value, d] = trace.unpack(l);
        const ax = oAxes[j]!;
        const where = of.paths[j] === '' ? 'the result' : `result leaf '${of.paths[j]}'`;
        if (ax === null) {
          if (d !== null) throw new ShapeError('vmap', `${where} depends on the batch but its out axis is null`);
          return value;
        }
        const rank = value.shape.length - (d === null ? 0 : 1);
        const to = normIndex(ax, rank + 1);
        if (to < 0) batchedShape(new Array<number>(rank).fill(1), ax, size); // throws the rule's message
        return moveBatch(value, d, to, size);
      });
      return of.rebuild(leaves);
    });
  };
  return run;
}

