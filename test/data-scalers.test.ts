import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { either as E } from 'fp-ts';
import { FittedMinMaxScaler, MinMaxScaler, StandardScaler } from '../src/data/scalers';
import type { DataError } from '../src/data/types';
import { ShapeError } from '../src/shape/dims';

function right<A>(e: E.Either<DataError, A>): A {
  if (E.isLeft(e)) throw new Error(`expected Right, got Left: ${e.left.message}`);
  return e.right;
}
function left<A>(e: E.Either<DataError, A>): DataError {
  if (E.isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
}

// Matrices of 1..20 rows x 1..5 cols whose columns all have at least two distinct values.
// Float32-representable values, so both input forms see the same data.
const matrix = fc
  .tuple(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 1, max: 5 }))
  .chain(([r, c]) =>
    fc.array(fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }).map(Math.fround), { minLength: c, maxLength: c }), {
      minLength: r,
      maxLength: r,
    }),
  )
  .filter((rows) =>
    rows[0]!.every((_, c) => {
      const col = rows.map((row) => row[c]!);
      const spread = Math.max(...col) - Math.min(...col);
      return spread > 1e-6 * (1 + Math.max(...col.map(Math.abs)));
    }),
  );

const colRange = (rows: number[][], c: number) => {
  const col = rows.map((r) => r[c]!);
  return { min: Math.min(...col), max: Math.max(...col) };
};

describe('MinMaxScaler', () => {
  it('scales a hand-checked matrix per column, in both input forms', () => {
    const rows = [
      [1, 10],
      [2, 20],
      [3, 40],
    ];
    const fitted = right(new MinMaxScaler().fit(rows));
    expect(fitted.dataMin).toEqual([1, 10]);
    expect(fitted.dataMax).toEqual([3, 40]);
    expect(fitted.transform(rows)).toEqual([
      [0, 0],
      [0.5, 1 / 3],
      [1, 1],
    ]);
    const flat = new Float32Array([1, 10, 2, 20, 3, 40]);
    const f32 = right(new MinMaxScaler({ featureRange: [-1, 1] }).fit(flat, [3, 2]));
    expect(Array.from(f32.transform(flat, [3, 2]))).toEqual([-1, -1, 0, Math.fround(-1 / 3), 1, 1]);
  });

  it('maps every column into featureRange with min → lo and max → hi, and round-trips (float64 rows)', () => {
    fc.assert(
      fc.property(matrix, fc.constantFrom<[number, number]>([0, 1], [-1, 1], [2, 5]), (rows, range) => {
        const fitted = right(new MinMaxScaler({ featureRange: range }).fit(rows));
        const out = fitted.transform(rows);
        const [lo, hi] = range;
        for (let c = 0; c < rows[0]!.length; c++) {
          const { min, max } = colRange(rows, c);
          for (let r = 0; r < rows.length; r++) {
            const y = out[r]![c]!;
            expect(y).toBeGreaterThanOrEqual(lo - 1e-9);
            expect(y).toBeLessThanOrEqual(hi + 1e-9);
            if (rows[r]![c] === min) expect(y).toBeCloseTo(lo, 9);
            if (rows[r]![c] === max) expect(y).toBeCloseTo(hi, 9);
          }
        }
        const back = fitted.inverseTransform(out);
        rows.forEach((row, r) =>
          row.forEach((x, c) => {
            const { min, max } = colRange(rows, c);
            expect(Math.abs(back[r]![c]! - x)).toBeLessThanOrEqual(1e-9 * (max - min + Math.abs(x)));
          }),
        );
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('round-trips Float32Array data within float32 tolerance', () => {
    fc.assert(
      fc.property(matrix, (rows) => {
        const cols = rows[0]!.length;
        const flat = Float32Array.from(rows.flat());
        const shape = [rows.length, cols] as const;
        const fitted = right(new MinMaxScaler().fit(flat, shape));
        const back = fitted.inverseTransform(fitted.transform(flat, shape), shape);
        flat.forEach((x, i) => {
          const c = i % cols;
          const range = fitted.dataMax[c]! - fitted.dataMin[c]!;
          expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(1e-6 * (range + Math.abs(x)));
        });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects a constant column, non-finite values, ragged rows and empty data with a located Left', () => {
    const constant = left(new MinMaxScaler().fit([[1, 5], [2, 5], [3, 5]]));
    expect(constant).toMatchObject({ code: 'constant-column', col: 1 });
    expect(constant.message).toContain('column 1 is constant');
    const nan = left(new MinMaxScaler().fit([[1, 2], [3, 4], [5, NaN]]));
    expect(nan).toMatchObject({ code: 'non-finite', row: 2, col: 1, found: 'NaN' });
    const inf = left(new MinMaxScaler().fit(new Float32Array([1, 2, Infinity, 4]), [2, 2]));
    expect(inf).toMatchObject({ code: 'non-finite', row: 1, col: 0, found: 'Infinity' });
    expect(left(new MinMaxScaler().fit([[1, 2], [3]]))).toMatchObject({ code: 'ragged-array', row: 1 });
    expect(left(new MinMaxScaler().fit([]))).toMatchObject({ code: 'empty-data' });
  });

  it('cannot transform before fit: a type error, and a clear runtime error for JS callers', () => {
    const unfitted = new MinMaxScaler();
    // @ts-expect-error transform is only on the fitted scaler that fit returns
    expect(() => unfitted.transform([[1]])).toThrow(/unfitted scaler: call fit\(data\)/);
    // @ts-expect-error likewise inverseTransform
    expect(() => unfitted.inverseTransform([[1]])).toThrow(/unfitted/);
    // A JS caller forging a fitted scaler is stopped too.
    const Ctor = FittedMinMaxScaler as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('fitted'), [0, 1], [0], [1])).toThrow(/cannot be constructed directly/);
  });

  it('is immutable and checks the column count on transform', () => {
    const fitted = right(new MinMaxScaler().fit([[0, 0], [1, 2]]));
    expect(Object.isFrozen(fitted)).toBe(true);
    expect(Object.isFrozen(fitted.dataMin)).toBe(true);
    expect(() => fitted.transform([[1, 2, 3]])).toThrow(ShapeError);
    expect(() => fitted.transform(new Float32Array(5), [2, 2])).toThrow(ShapeError);
    expect(() => new MinMaxScaler({ featureRange: [1, 1] })).toThrow(RangeError);
  });
});

describe('StandardScaler', () => {
  it('gives columns zero mean and unit population std, and round-trips', () => {
    fc.assert(
      fc.property(matrix, (rows) => {
        const fitted = right(new StandardScaler().fit(rows));
        const z = fitted.transform(rows);
        for (let c = 0; c < rows[0]!.length; c++) {
          const col = z.map((r) => r[c]!);
          const mean = col.reduce((a, b) => a + b, 0) / col.length;
          const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
          expect(mean).toBeCloseTo(0, 6);
          expect(variance).toBeCloseTo(1, 6);
        }
        const back = fitted.inverseTransform(z);
        rows.forEach((row, r) => row.forEach((x, c) => expect(Math.abs(back[r]![c]! - x)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(x)) * 1e3)));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('gives a constant column unit scale: it transforms to 0 and inverts exactly (documented choice)', () => {
    const rows = [
      [0.1, 1],
      [0.1, 2],
      [0.1, 3],
    ];
    const fitted = right(new StandardScaler().fit(rows));
    expect(fitted.scale[0]).toBe(1);
    expect(fitted.mean[0]).toBe(0.1);
    const z = fitted.transform(rows);
    expect(z.map((r) => r[0])).toEqual([0, 0, 0]);
    expect(fitted.inverseTransform(z).map((r) => r[0])).toEqual([0.1, 0.1, 0.1]);
    expect(fitted.mean[1]).toBe(2);
    expect(fitted.scale[1]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    // A spread at rounding level (here the smallest subnormal) is treated as constant too.
    expect(right(new StandardScaler().fit([[0], [5e-324]])).scale[0]).toBe(1);
    expect(right(new StandardScaler().fit([[1], [1 + Number.EPSILON]])).scale[0]).toBe(1);
  });

  it('rejects non-finite input and unfitted use', () => {
    expect(left(new StandardScaler().fit([[1], [-Infinity]]))).toMatchObject({ code: 'non-finite', row: 1, col: 0 });
    // @ts-expect-error transform is only on the fitted scaler
    expect(() => new StandardScaler().transform([[1]])).toThrow(/unfitted/);
  });
});
