/**
 * Leaf-by-leaf comparison of two pytrees that must have one structure (params and grads, an
 * optimizer's state slots, updates): the first difference is reported with its path and both
 * shapes as a TreeMismatchError, never broadcast and never a raw list of every path.
 */
import { TreeMismatchError, type Shape, type ShapeMismatch } from '../shape/dims';
import type { ShowShape } from '../shape/dim-types';
import type { DType } from '../shape/dtype';
import type { AnyTensor } from '../autodiff/core';

interface FlatLike {
  readonly leaves: readonly AnyTensor[];
  readonly paths: readonly string[];
}

/** A key path as code would spell it: "2.kernel" → "[2].kernel", "layers.0.bias" → "layers[0].bias". */
export function formatPath(path: string): string {
  if (path === '') return '(root)';
  return path
    .split('.')
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

const shapeText = (t: AnyTensor) => `[${(t.shape as readonly number[]).join(', ')}]`;

/**
 * Throw a TreeMismatchError from `op` unless `a` (called `aName`, e.g. 'grads') has the leaves
 * of `b` ('params') at the same paths, in the same order, with the same shapes and dtypes.
 */
export function checkSameTree(op: string, aName: string, a: FlatLike, bName: string, b: FlatLike): void {
  const fail = (path: string, detail: string, actual: AnyTensor | null, expected: AnyTensor | null): never => {
    const at = formatPath(path);
    throw new TreeMismatchError(op, `${aName} differ from ${bName} at ${at}: ${detail}`, at, actual && (actual.shape as readonly number[]), expected && (expected.shape as readonly number[]));
  };
  const n = Math.max(a.paths.length, b.paths.length);
  for (let i = 0; i < n; i++) {
    const pa = a.paths[i];
    const pb = b.paths[i];
    if (pa !== pb) {
      // report the leaf that is missing on one side, looked up by path (so an extra leaf in the
      // middle is named, not the shifted one after it)
      const inB = new Set(b.paths);
      const inA = new Set(a.paths);
      if (pa !== undefined && !inB.has(pa)) fail(pa, `${shapeText(a.leaves[i]!)} vs no leaf (${bName} have none there)`, a.leaves[i]!, null);
      if (pb !== undefined && !inA.has(pb)) fail(pb, `no leaf vs ${shapeText(b.leaves[i]!)} (${aName} have none there)`, null, b.leaves[i]!);
      fail(pa ?? pb!, `the leaves come in a different order (${aName}: ${formatPath(pa ?? '')}, ${bName}: ${formatPath(pb ?? '')}); build both trees with the same key order`, null, null);
    }
    const la = a.leaves[i]!;
    const lb = b.leaves[i]!;
    const sa = la.shape as readonly number[];
    const sb = lb.shape as readonly number[];
    if (sa.length !== sb.length || sa.some((d, k) => d !== sb[k])) fail(pa!, `${shapeText(la)} vs ${shapeText(lb)}`, la, lb);
    if (la.dtype !== lb.dtype) fail(pa!, `${shapeText(la)} ${la.dtype} vs ${shapeText(lb)} ${lb.dtype}`, la, lb);
  }
}

// ---------------------------------------------------------------- the same rule at compile time

/** A tensor leaf, matched by its phantom shape and dtype (cheap: not the whole Tensor class). */
type TensorLike<S extends Shape = Shape, D extends DType = DType> = { readonly __shape: S; readonly dtype: D };
/** Exact type equality (the identity of two generic signatures, as in type-testing libraries). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Neither type is assignable to the other: a difference the compiler can prove. */
type Apart<A, B> = [A] extends [B] ? false : [B] extends [A] ? false : true;
type Key<Path extends string, K> = K extends `${number}` | number ? `${Path}[${K}]` : Path extends '' ? `${K & string}` : `${Path}.${K & string}`;
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;
type At<Path extends string> = Path extends '' ? '(root)' : Path;
type Leaf<X> = X extends TensorLike<infer S, infer D> ? `${ShowShape<S>}${D extends 'float32' ? '' : ` ${D}`}` : X extends readonly unknown[] ? (number extends X['length'] ? 'a list' : `${X['length']} entries`) : 'a subtree';

/**
 * Where pytree type A (grads, updates) first provably differs from B (params), as
 * `at [0].kernel: [785, 10] vs [784, 10]`; never when they agree or cannot be told apart
 * statically (wide shapes, `any`, lists of mixed leaves). Several differences give a union of
 * such texts.
 */
export type TreeDiff<A, B, Path extends string = ''> =
  Same<A, B> extends true
    ? never
    : 0 extends 1 & (A | B)
      ? never // any
      : true extends IsUnion<A> | IsUnion<B>
        ? never // a list of mixed leaves (layers of different shapes): not compared statically
      : [A, B] extends [TensorLike<infer SA, infer DA>, TensorLike<infer SB, infer DB>]
        ? Apart<SA, SB> extends true
          ? `at ${At<Path>}: ${ShowShape<SA>} vs ${ShowShape<SB>}`
          : Apart<DA, DB> extends true
            ? `at ${At<Path>}: ${ShowShape<SA>} ${DA} vs ${ShowShape<SB>} ${DB}`
            : never
        : [A, B] extends [TensorLike, unknown] | [unknown, TensorLike]
          ? `at ${At<Path>}: ${Leaf<A>} vs ${Leaf<B>}`
          : [A, B] extends [infer LA extends readonly unknown[], infer LB extends readonly unknown[]]
            ? ListDiff<LA, LB, Path>
            : [A, B] extends [infer OA extends object, infer OB extends object]
              ? RecordDiff<OA, OB, Path>
              : never;

type ListDiff<A extends readonly unknown[], B extends readonly unknown[], Path extends string> =
  number extends A['length'] | B['length']
    ? TreeDiff<A[number], B[number], `${Path}[number]`>
    : A['length'] extends B['length']
      ? { [K in keyof A & `${number}`]: TreeDiff<A[K], B[K & keyof B], Key<Path, K>> }[keyof A & `${number}`]
      : `at ${At<Path>}: ${A['length']} entries vs ${B['length']}`;

type RecordDiff<A extends object, B extends object, Path extends string> =
  [Exclude<keyof A, keyof B>] extends [never]
    ? [Exclude<keyof B, keyof A>] extends [never]
      ? { [K in keyof A & keyof B]: TreeDiff<A[K], B[K], Key<Path, K>> }[keyof A & keyof B]
      : { [K in Exclude<keyof B, keyof A>]: `at ${Key<Path, K>}: no leaf vs ${Leaf<B[K]>}` }[Exclude<keyof B, keyof A>]
    : { [K in Exclude<keyof A, keyof B>]: `at ${Key<Path, K>}: ${Leaf<A[K]>} vs no leaf` }[Exclude<keyof A, keyof B>];

/**
 * `unknown` when tree A may be used where tree B is expected, else a ShapeMismatch naming the
 * first difference: `optim.update: grads differ from params at [0].kernel: [785, 10] vs [784, 10]`.
 */
export type TreeAgree<Op extends string, AName extends string, BName extends string, A, B> =
  [TreeDiff<A, B>] extends [never] ? unknown : ShapeMismatch<`${Op}: ${AName} differ from ${BName} ${OneOf<TreeDiff<A, B>>}`, B, A>;

/** One member of a union (several differing leaves: the message names one, as the runtime does). */
type OneOf<U> = (U extends unknown ? (x: () => U) => void : never) extends infer F
  ? ((F extends unknown ? (f: F) => void : never) extends (f: infer I) => void ? I : never) extends (x: () => infer L) => void
    ? L
    : never
  : never;
