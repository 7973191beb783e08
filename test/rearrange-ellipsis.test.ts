/**
 * rearrange with '...' (einops ellipsis) at runtime: it equals the same pattern with the '...'
 * spelled out as one name per dim (the named path is checked element by element in
 * einsum.test.ts), its inverse pattern restores x bit for bit, and the mistakes are named.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rearrange } from '../src/ops/einsum';
import { key, normalArray } from '../src/random';
import { ShapeError, type Dim } from '../src/shape/dims';
import type { DType } from '../src/tensor/dtype';
import { makeTensor, type Tensor } from '../src/tensor/tensor';

type T = Tensor<Dim[]>;
// cast: the patterns below are built at run time, so the typed signature cannot be used
const anyRearrange = rearrange as unknown as <D extends DType>(x: Tensor<Dim[], D>, pattern: string, sizes?: Record<string, number>) => Tensor<Dim[], D>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (shape: readonly number[], seed: number): T => makeTensor<Dim[], 'float32'>([...shape], 'float32', normalArray(key(seed), size(shape)));
const shapeOf = (x: Tensor<Dim[], DType>) => [...(x.shape as readonly number[])];
const bits = (x: T) => new Uint32Array(x.dataSync().slice().buffer);

const ELL = '...';
/** Cut a list into consecutive groups at the given cut flags. */
function groupsOf(names: string[], cuts: boolean[]): string[][] {
  const gs: string[][] = [];
  names.forEach((n, i) => (i === 0 || cuts[i] ? gs.push([n]) : gs[gs.length - 1]!.push(n)));
  return gs;
}
/** A side's text: a one-name group bare (unless parens), '...' as a token; `ell` spells '...' out. */
const text = (gs: string[][], parens: boolean, ell: string[] | null) =>
  gs
    .map((g) => {
      const ns = ell === null ? g : g.flatMap((n) => (n === ELL ? ell : [n]));
      return g.length === 1 && (g[0] === ELL || !parens) ? ns.join(' ') : `(${ns.join(' ')})`;
    })
    .join(' ');

const arb = fc
  .record({ k: fc.integer({ min: 1, max: 4 }), e: fc.integer({ min: 0, max: 3 }) })
  .chain(({ k, e }) =>
    fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: k, maxLength: k }),
      ellSizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: e, maxLength: e }),
      leftCuts: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
      perm: fc.shuffledSubarray([...Array(k).keys()], { minLength: k, maxLength: k }),
      rightCuts: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
      leftAt: fc.nat(),
      rightAt: fc.nat(),
      /** '...' merged into a group on the right (its inverse then has no pattern: '...' cannot be in a left group) */
      merged: fc.boolean(),
      parens: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1e6 }),
    }),
  )
  .map(({ sizes, ellSizes, leftCuts, perm, rightCuts, leftAt, rightAt, merged, parens, seed }) => {
    const names = sizes.map((_, i) => `n${i}`);
    const sizeOf = new Map(names.map((n, i) => [n, sizes[i]!]));
    const left = groupsOf(names, leftCuts);
    const right = groupsOf(perm.map((i) => names[i]!), rightCuts);
    const li = leftAt % (left.length + 1);
    left.splice(li, 0, [ELL]);
    const ri = rightAt % (right.length + 1);
    if (merged) right[Math.min(ri, right.length - 1)]!.push(ELL);
    else right.splice(ri, 0, [ELL]);
    // every size of a split group but one
    const given: Record<string, number> = {};
    left.forEach((g) => g.length > 1 && g.slice(1).forEach((n) => (given[n] = sizeOf.get(n)!)));
    const spelled = ellSizes.map((_, j) => `e${j}`);
    const shape = left.flatMap((g) => (g[0] === ELL ? ellSizes : [size(g.map((n) => sizeOf.get(n)!))]));
    return {
      shape, merged, given, seed,
      pattern: `${text(left, parens, null)} -> ${text(right, parens, null)}`,
      explicit: `${text(left, parens, spelled)} -> ${text(right, parens, spelled)}`,
      inverse: `${text(right, parens, null)} -> ${text(left, parens, null)}`,
      all: Object.fromEntries(sizeOf),
    };
  });

describe("rearrange with '...'", () => {
  it("equals the pattern with '...' spelled out, and the inverse pattern restores x bit for bit", () => {
    fc.assert(
      fc.property(arb, ({ shape, merged, given, seed, pattern, explicit, inverse, all }) => {
        const x = randn(shape, seed);
        const y = anyRearrange(x, pattern, given);
        const want = anyRearrange(x, explicit, given);
        expect(shapeOf(y), pattern).toEqual(shapeOf(want));
        expect(bits(y), pattern).toEqual(bits(want));
        if (merged) return;
        const back = anyRearrange(y, inverse, all);
        expect(shapeOf(back), inverse).toEqual(shape);
        expect(bits(back), inverse).toEqual(bits(x));
      }),
      { seed: 21, numRuns: 200 },
    );
  });

  it('the attention split over any number of middle dims', () => {
    const x = randn([2, 3, 4, 12], 5);
    const y = anyRearrange(x, 'b ... (h d) -> b h ... d', { h: 3 });
    expect(shapeOf(y)).toEqual([2, 3, 3, 4, 4]);
    expect(bits(anyRearrange(y, 'b h ... d -> b ... (h d)'))).toEqual(bits(x));
    expect(shapeOf(anyRearrange(x, 'b ... -> b (...)'))).toEqual([2, 144]);
    // no middle dims
    expect(shapeOf(anyRearrange(randn([2, 12], 6), 'b ... (h d) -> b h ... d', { h: 3 }))).toEqual([2, 3, 4]);
  });

  it('mistakes are named', () => {
    const x = randn([2, 3, 4], 1);
    expect(() => anyRearrange(x, 'a ... -> a')).toThrow(new ShapeError('rearrange', "'...' is on the left but not the right"));
    expect(() => anyRearrange(x, 'a -> a ...')).toThrow("rearrange: '...' is on the right but not the left");
    expect(() => anyRearrange(x, 'a ... ... -> a ...')).toThrow("rearrange: '...' appears twice on the left");
    expect(() => anyRearrange(x, 'a (b ...) -> a b ...')).toThrow("rearrange: '...' cannot be in a group on the left");
    expect(() => anyRearrange(x, 'a b c d ... -> a b c d ...')).toThrow("rearrange: 'a b c d ...' names at least 4 dims but x has rank 3");
    expect(() => anyRearrange(x, 'a . c -> a c')).toThrow("rearrange: bad pattern: character '.'");
  });
});
