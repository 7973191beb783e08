/**
 * Small type-level predicates on dims and shapes, shared by every shape rule (src/shape/rules.ts)
 * and by ops and layers that state rules of their own.
 */
import type { Shape } from './dims';

/** The wide `number` or `string`: a dynamic dim that agrees with anything. */
export type IsDyn<D> = number extends D ? true : string extends D ? true : false;
/** A number literal (the only dims arithmetic is done on). */
export type IsLit<D> = D extends number ? (number extends D ? false : true) : false;
/** Mutual assignability. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Equal, or at least one side dynamic. */
export type Agree<A, B> = IsDyn<A> extends true ? true : IsDyn<B> extends true ? true : Same<A, B>;
/** A dim as text for messages. */
export type Show<D> = IsDyn<D> extends true ? 'number' : D extends string | number ? `${D}` : 'unknown';
/** A tuple (known rank), not `Dim[]`. */
export type IsTuple<S extends Shape> = number extends S['length'] ? false : true;
/** Same rank and every dim agrees. */
export type AgreeAll<A extends Shape, B extends Shape> = A extends readonly [infer HA, ...infer TA extends Shape]
  ? B extends readonly [infer HB, ...infer TB extends Shape]
    ? Agree<HA, HB> extends true
      ? AgreeAll<TA, TB>
      : false
    : false
  : B extends readonly []
    ? true
    : false;
/** A shape as text for messages: "[batch, 28, 28]". */
export type ShowShape<S extends Shape, Acc extends string = ''> = S extends readonly [infer H, ...infer R extends Shape]
  ? ShowShape<R, Acc extends '' ? Show<H> : `${Acc}, ${Show<H>}`>
  : `[${Acc}]`;
