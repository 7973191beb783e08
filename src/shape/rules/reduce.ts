import type { Dim, Shape } from '../dims';
import type { IsTuple } from '../dim-types';
import { type NormAxes, normalizeAxes } from './common';

// =============================================================================================
// Reductions

type ReduceLoop<
  S extends Shape,
  Ax extends number,
  Keep extends boolean,
  I extends 0[] = [],
  Acc extends Dim[] = [],
> = S extends readonly [infer H extends Dim, ...infer T extends Shape]
  ? I['length'] extends Ax
    ? ReduceLoop<T, Ax, Keep, [...I, 0], Keep extends true ? [...Acc, 1] : Acc>
    : ReduceLoop<T, Ax, Keep, [...I, 0], [...Acc, H]>
  : Acc;

type Ones<S extends Shape> = { -readonly [K in keyof S]: 1 };

/**
 * Reduce over Axes (a tuple of axes, one axis, or undefined = all): reduced dims are dropped, or
 * become 1 with KeepDims. `[]` reduces nothing. `reduce: axis repeated (1)`, axis out of range.
 * Reducing all axes of an unknown-rank shape without KeepDims gives `[]`.
 */
export type ReduceShape<
  S extends Shape,
  Axes extends number | readonly number[] | undefined = undefined,
  KeepDims extends boolean = false,
> =
  boolean extends KeepDims
    ? Dim[]
    : Axes extends undefined
      ? KeepDims extends true
        ? IsTuple<S> extends true
          ? Ones<S>
          : Dim[]
        : []
      : IsTuple<S> extends false
        ? Dim[]
        : (Axes extends number ? [Axes] : Axes) extends infer AxList extends readonly number[]
          ? number extends AxList['length']
            ? Dim[]
            : NormAxes<S['length'], AxList, 'reduce', S, Axes> extends infer N
              ? N extends number[]
                ? ReduceLoop<S, N[number], KeepDims>
                : N extends number
                  ? Dim[]
                  : N
              : never
          : never;

/** Runtime `ReduceShape`. */
export function reduceShape(s: readonly number[], axes?: number | readonly number[], keepDims = false, op = 'reduce'): number[] {
  return reducedShape(s, normalizeAxes(axes, s.length, op), keepDims);
}

/** The shape left after reducing normalised `axes`: they drop out, or become 1 with keepDims. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}
