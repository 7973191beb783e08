import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../src/io/onnx';
import { einsum, einsumRaw, rearrange, rearrangeRaw } from '../src/ops/einsum';
import { matmul, transpose } from '../src/ops/linalg';
import { reshape } from '../src/ops/reduce-core';
import { makeGraph, grad } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray } from '../src/random';
import { ShapeError, type Dim } from '../src/shape/dims';
import type { DType } from '../src/tensor/dtype';
import { makeTensor, type Tensor } from '../src/tensor/tensor';

type T = Tensor<Dim[]>;
// cast: the specs and shapes below are built at run time, so the typed signatures cannot be used
const anyEinsum = einsum as unknown as (spec: string, ...xs: T[]) => T;
// cast: as above, for patterns built at run time
const anyRearrange = rearrange as unknown as <D extends DType>(x: Tensor<Dim[], D>, pattern: string, sizes?: Record<string, number>) => Tensor<Dim[], D>;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (shape: readonly number[], seed: number): T => makeTensor<Dim[], 'float32'>([...shape], 'float32', normalArray(key(seed), size(shape)));
const shapeOf = (x: Tensor<Dim[], DType>) => [...(x.shape as readonly number[])];
const values = (x: Tensor<Dim[], DType>) => Array.from(x.dataSync());

// ---------------------------------------------------------------- the reference einsum

const isLetter = (c: string) => /^[A-Za-z]$/.test(c);

/**
 * numpy.einsum by its definition, a loop over every assignment of every index, accumulating
 * in float64. Returns the output shape, values and, per element, the sum of |terms| (the scale
 * of float32 rounding in any order of accumulation).
 */
function referenceEinsum(spec: string, shapes: readonly number[][], data: readonly ArrayLike<number>[]): { shape: number[]; values: Float64Array; scale: Float64Array } {
  const [lhs, rhs] = spec.includes('->') ? spec.split('->') : [spec, null];
  const terms = lhs!.split(',');
  const parsed = terms.map((t, i) => {
    const at = t.indexOf('...');
    const pre = (at < 0 ? t : t.slice(0, at)).split('');
    const post = at < 0 ? [] : t.slice(at + 3).split('');
    const s = shapes[i]!;
    return { pre, post, mid: at < 0 ? [] : s.slice(pre.length, s.length - post.length) };
  });
  // the '...' dims: numpy broadcasting of every operand's middle dims, right-aligned
  const nEll = Math.max(0, ...parsed.map((p) => p.mid.length));
  const ell = new Array<number>(nEll).fill(1);
  for (const p of parsed) p.mid.forEach((d, k) => (ell[nEll - p.mid.length + k] = d === 1 ? ell[nEll - p.mid.length + k]! : d));
  const sizes = new Map<string, number>();
  ell.forEach((d, k) => sizes.set(`#${k}`, d));
  // per operand, per axis: the index label, and whether the axis is a broadcast 1
  const axes = parsed.map((p, i) => {
    const s = shapes[i]!;
    const labels = [...p.pre, ...p.mid.map((_, k) => `#${nEll - p.mid.length + k}`), ...p.post];
    labels.forEach((l, a) => {
      if (!l.startsWith('#')) sizes.set(l, s[a]!);
    });
    return labels.map((l, a) => ({ l, one: l.startsWith('#') && s[a] === 1 }));
  });
  let out: string[];
  if (rhs === null) {
    const count = new Map<string, number>();
    for (const c of lhs!) if (isLetter(c)) count.set(c, (count.get(c) ?? 0) + 1);
    const once = [...count].filter(([, n]) => n === 1).map(([c]) => c);
    once.sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
    out = [...ell.map((_, k) => `#${k}`), ...once];
  } else {
    out = rhs.replace('...', '.').split('').flatMap((c) => (c === '.' ? ell.map((_, k) => `#${k}`) : [c]));
  }
  const labels = [...sizes.keys()];
  const outShape = out.map((l) => sizes.get(l)!);
  const res = new Float64Array(size(outShape));
  const scale = new Float64Array(size(outShape));
  const idx = new Map<string, number>(labels.map((l) => [l, 0]));
  const total = size(labels.map((l) => sizes.get(l)!));
  const flatIndex = (ls: readonly { l: string; one: boolean }[], s: readonly number[]) => ls.reduce((f, { l, one }, a) => f * s[a]! + (one ? 0 : idx.get(l)!), 0);
  for (let t = 0; t < total; t++) {
    let term = 1;
    axes.forEach((ls, i) => (term *= data[i]![flatIndex(ls, shapes[i]!)]!));
    const o = out.reduce((f, l, a) => f * outShape[a]! + idx.get(l)!, 0);
    res[o]! += term;
    scale[o]! += Math.abs(term);
    for (let j = labels.length - 1; j >= 0; j--) {
      const l = labels[j]!;
      const v = idx.get(l)! + 1;
      if (v < sizes.get(l)!) {
        idx.set(l, v);
        break;
      }
      idx.set(l, 0);
    }
  }
  return { shape: outShape, values: res, scale };
}

// A random einsum: 1-3 operands over up to 5 letters (upper and lower case, so the implicit
// output's sort order is exercised), letters repeated within a term (diagonals) or not, '...'
// in some operands at a random place with some of its dims 1 (broadcast), and an implicit
// output or an explicit one (a random subset of the input letters in a random order).
const caseArb = fc
  .record({
    letters: fc.uniqueArray(fc.constantFrom(...'abijkqzAX'), { minLength: 1, maxLength: 5 }),
    nOps: fc.integer({ min: 1, max: 3 }),
    ell: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
  })
  .chain(({ letters, nOps, ell, seed }) =>
    fc.record({
      letters: fc.constant(letters),
      ell: fc.constant(ell),
      seed: fc.constant(seed),
      sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: letters.length, maxLength: letters.length }),
      terms: fc.array(
        fc.record({
          letters: fc.array(fc.constantFrom(...letters), { maxLength: 4 }),
          hasEll: fc.boolean(),
          ellAt: fc.nat(),
          keep: fc.integer({ min: 0, max: ell.length }),
          ones: fc.array(fc.boolean(), { minLength: ell.length, maxLength: ell.length }),
        }),
        { minLength: nOps, maxLength: nOps },
      ),
      explicit: fc.boolean(),
      out: fc.shuffledSubarray(letters),
      outEllAt: fc.nat(),
    }),
  )
  .map(({ letters, ell, seed, sizes, terms, explicit, out, outEllAt }) => {
    const sizeOf = new Map(letters.map((l, i) => [l, sizes[i]!]));
    const specTerms: string[] = [];
    const shapes: number[][] = [];
    for (const t of terms) {
      const mid = ell.slice(ell.length - t.keep).map((d, k) => (t.ones[k] ? 1 : d));
      const at = t.ellAt % (t.letters.length + 1);
      const pre = t.letters.slice(0, at);
      const post = t.letters.slice(at);
      if (t.hasEll) {
        specTerms.push(`${pre.join('')}...${post.join('')}`);
        shapes.push([...pre.map((l) => sizeOf.get(l)!), ...mid, ...post.map((l) => sizeOf.get(l)!)]);
      } else {
        specTerms.push(t.letters.join(''));
        shapes.push(t.letters.map((l) => sizeOf.get(l)!));
      }
    }
    const used = new Set(terms.flatMap((t) => t.letters));
    const anyEll = terms.some((t) => t.hasEll);
    let spec = specTerms.join(',');
    if (explicit) {
      const o = out.filter((l) => used.has(l));
      if (anyEll) o.splice(outEllAt % (o.length + 1), 0, '...');
      spec += `->${o.join('')}`;
    }
    return { spec, shapes, seed };
  });

function expectMatchesReference(spec: string, xs: readonly T[]): void {
  const ref = referenceEinsum(spec, xs.map(shapeOf), xs.map((x) => x.dataSync()));
  const r = anyEinsum(spec, ...xs);
  expect(shapeOf(r), spec).toEqual(ref.shape);
  const got = r.dataSync();
  for (let i = 0; i < got.length; i++) {
    // float32 rounding of any summation order stays within 2^-22 · Σ|terms| for these sizes
    const tol = 1e-5 * ref.scale[i]! + 1e-6;
    if (!(Math.abs(got[i]! - ref.values[i]!) <= tol)) expect.fail(`${spec} [${xs.map(shapeOf).map((s) => `[${s}]`)}]: element ${i} is ${got[i]}, reference ${ref.values[i]} (tolerance ${tol})`);
  }
}

describe('einsum against the reference loop', () => {
  it('random specs and shapes (diagonals, broadcast ..., implicit and explicit outputs)', () => {
    fc.assert(
      fc.property(caseArb, ({ spec, shapes, seed }) => {
        expectMatchesReference(
          spec,
          shapes.map((s, i) => randn(s, seed + i)),
        );
      }),
      { seed: 15, numRuns: 400 },
    );
  });

  it('the named cases', () => {
    const cases: [string, number[][]][] = [
      ['ij,jk', [[3, 4], [4, 5]]],
      ['ij,jk->ki', [[3, 4], [4, 5]]],
      ['bhqd,bhkd->bhqk', [[2, 3, 5, 4], [2, 3, 6, 4]]],
      ['bhqk,bhkd->bhqd', [[2, 3, 5, 6], [2, 3, 6, 4]]],
      ['...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 2]]],
      ['ii', [[4, 4]]],
      ['ii->i', [[4, 4]]],
      ['iij->ji', [[3, 3, 2]]],
      ['i,i', [[7], [7]]],
      ['i,j', [[3], [4]]],
      ['ij->', [[3, 4]]],
      ['ij->j', [[3, 4]]],
      ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]]],
      ['bi,bj->bij', [[3, 2], [3, 4]]],
      ['Ba,aB', [[3, 4], [4, 3]]],
      ['abc,cba', [[2, 3, 4], [4, 3, 2]]],
      ['...', [[2, 3]]],
      ['i...->...', [[3, 2, 2]]],
      ['ij,ij,ij->i', [[2, 3], [2, 3], [2, 3]]],
    ];
    cases.forEach(([spec, shapes], c) => expectMatchesReference(spec, shapes.map((s, i) => randn(s, 100 * c + i))));
  });

  it('size-0 letters give empty or zero results', () => {
    expectMatchesReference('ij,jk->ik', [randn([0, 3], 1), randn([3, 2], 2)]);
    expectMatchesReference('ij,jk->ik', [randn([2, 0], 1), randn([0, 2], 2)]);
  });
});

describe('einsum lowering', () => {
  const ops = (spec: string, shapes: number[][]) =>
    makeGraph((...xs) => einsumRaw(spec, xs), shapes.map((s) => ({ shape: s, dtype: 'float32' as const }))).eqns.map((e) => e.prim.name);

  it('a batched matmul spec is one matmul call, transposes folded into its flags', () => {
    expect(ops('bhqd,bhkd->bhqk', [[2, 3, 5, 4], [2, 3, 6, 4]])).toEqual(['matmul']);
    expect(ops('bhqk,bhkd->bhqd', [[2, 3, 5, 6], [2, 3, 6, 4]])).toEqual(['matmul']);
    expect(ops('ij,jk->ik', [[3, 4], [4, 5]])).toEqual(['matmul']);
    expect(ops('ji,jk->ik', [[4, 3], [4, 5]])).toEqual(['matmul']);
    expect(ops('ij,kj->ik', [[3, 4], [5, 4]])).toEqual(['matmul']);
    // multi-letter free and contracted groups are merged by reshapes (free: no copy)
    expect(ops('abij,ijc->abc', [[2, 3, 4, 5], [4, 5, 6]]).filter((n) => n !== 'reshape')).toEqual(['matmul']);
    // an output order other than the matmul's costs one transpose
    expect(ops('ij,jk->ki', [[3, 4], [4, 5]])).toEqual(['matmul', 'transpose']);
  });

  it('bit-identical to matmul for q·kᵀ', () => {
    const q = randn([2, 4, 16, 8], 1);
    const k = randn([2, 4, 16, 8], 2);
    const a = anyEinsum('bhqd,bhkd->bhqk', q, k).dataSync();
    const b = matmul(q, k, { transposeB: true }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('the public op checks its operands and dtypes at run time', () => {
    expect(() => anyEinsum('ij,jk', randn([2, 3], 1), randn([4, 5], 2))).toThrow(new ShapeError('einsum', "'j' is 3 in operand 0 but 4 in operand 1"));
    expect(() => anyEinsum('ij,jk->ik', randn([2, 3], 1))).toThrow("einsum: 'ij,jk->ik' has 2 operands, got 1");
    expect(() => anyEinsum('ij,jk->iz', randn([2, 3], 1), randn([3, 2], 2))).toThrow("einsum: output 'z' is in no operand");
    expect(() => anyEinsum('ij->ii', randn([2, 3], 1))).toThrow("einsum: output 'i' repeated");
    expect(() => anyEinsum('ijk,jk', randn([2, 3], 1), randn([3, 2], 2))).toThrow("einsum: operand 0 has rank 2 but 'ijk' names 3 dims");
    expect(() => anyEinsum('ij...k', randn([2, 3], 1))).toThrow("einsum: operand 0 has rank 2 but 'ij...k' names at least 3 dims");
    expect(() => anyEinsum('...i,...i', randn([2, 3], 1), randn([3, 3], 2))).toThrow("einsum: '...' dims of operand 1 not broadcastable at axis -1 (2 vs 3)");
    expect(() => anyEinsum('...i->i', randn([2, 3], 1))).toThrow("einsum: the operands have '...' dims but the output has no '...'");
    expect(() => anyEinsum('i1', randn([2, 3], 1))).toThrow("einsum: bad character '1' in 'i1'");
    expect(() => anyEinsum('i.j', randn([2, 3], 1))).toThrow("einsum: bad character '.' in 'i.j'");
    expect(() => anyEinsum('ij->i->j', randn([2, 3], 1))).toThrow("einsum: bad character '-' in 'ij->i->j'");
    expect(() => anyEinsum('ii', randn([2, 3], 1))).toThrow("einsum: 'i' is 2 in operand 0 but 3 in operand 0");
    const ids = makeTensor<Dim[], 'int32'>([2, 2], 'int32', new Int32Array(4));
    // cast: an int32 operand, which the types reject, from an untyped caller
    expect(() => anyEinsum('ij,jk', ids as unknown as T, randn([2, 2], 1))).toThrow('einsum: expects float32 operands, got int32');
    // cast: a non-tensor operand from an untyped caller
    expect(() => anyEinsum('ij', [1, 2] as unknown as T)).toThrow(/einsum/);
  });

  it('inputs are not written', () => {
    const a = randn([3, 3], 5);
    const before = values(a);
    anyEinsum('ii->i', a);
    anyEinsum('ij,jk', a, a);
    expect(values(a)).toEqual(before);
  });
});

describe('einsum gradients', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk', [[3, 4], [4, 2]]],
    ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
    ['ji,jk->ki', [[4, 3], [4, 2]]],
    ['...ij,...jk->...ik', [[2, 1, 3, 4], [3, 4, 2]]],
    ['ii->i', [[3, 3]]],
    ['ij,kj,k->i', [[2, 3], [4, 3], [4]]],
    ['ijk->kj', [[2, 3, 4]]],
    ['i,j', [[3], [4]]],
    ['ij,ij', [[3, 4], [3, 4]]],
  ];
  it.each(cases)('%s', (spec, shapes) => {
    const xs = shapes.map((s, i) => randn(s, 7 + i));
    checkGrads((...args: T[]) => anyEinsum(spec, ...args), xs, { order: 1, seed: 3 });
  });

  it('second order through a matmul spec', () => {
    const f = (a: T, b: T) => anyEinsum('ij,jk->ik', a, b);
    checkGrads((a: T, b: T) => anyEinsum('ij,ij->', f(a, b), f(a, b)), [randn([3, 4], 1), randn([4, 2], 2)], { order: 2, seed: 4 });
  });

  it('random specs (a sample of the reference property)', () => {
    fc.assert(
      fc.property(caseArb, ({ spec, shapes, seed }) => {
        checkGrads((...args: T[]) => anyEinsum(spec, ...args), shapes.map((s, i) => randn(s, seed + i)), { order: 1, seed, modes: ['rev'] });
      }),
      { seed: 16, numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------- rearrange

/** The element-by-element definition of a rearrange: out[...right indices] = x[...left indices]. */
function referenceRearrange(x: ArrayLike<number>, left: string[][], right: string[][], sizeOf: Map<string, number>): number[] {
  const names = left.flat();
  const outNames = right.flat();
  const total = size(names.map((n) => sizeOf.get(n)!));
  const out = new Array<number>(total);
  const idx = new Map(names.map((n) => [n, 0]));
  const flat = (ns: string[]) => ns.reduce((f, n) => f * sizeOf.get(n)! + idx.get(n)!, 0);
  for (let t = 0; t < total; t++) {
    // t enumerates the right side's names in order
    let r = t;
    for (let j = outNames.length - 1; j >= 0; j--) {
      const n = outNames[j]!;
      idx.set(n, r % sizeOf.get(n)!);
      r = Math.floor(r / sizeOf.get(n)!);
    }
    out[flat(outNames)] = x[flat(names)]!;
  }
  return out;
}

/** Cut a list into consecutive groups at the given cut flags. */
function groupsOf(names: string[], cuts: boolean[]): string[][] {
  const gs: string[][] = [];
  names.forEach((n, i) => {
    if (i === 0 || cuts[i]) gs.push([n]);
    else gs[gs.length - 1]!.push(n);
  });
  return gs;
}

const rearrangeArb = fc
  .integer({ min: 1, max: 5 })
  .chain((k) =>
    fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: k, maxLength: k }),
      leftCuts: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
      perm: fc.shuffledSubarray([...Array(k).keys()], { minLength: k, maxLength: k }),
      rightCuts: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
      inferred: fc.array(fc.nat(), { minLength: k, maxLength: k }),
      parens: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1e6 }),
    }),
  )
  .map(({ sizes, leftCuts, perm, rightCuts, inferred, parens, seed }) => {
    const names = sizes.map((_, i) => `n${i}`);
    const sizeOf = new Map(names.map((n, i) => [n, sizes[i]!]));
    const left = groupsOf(names, leftCuts);
    const right = groupsOf(
      perm.map((i) => names[i]!),
      rightCuts,
    );
    // every size of a split group but one (which is inferred)
    const given: Record<string, number> = {};
    left.forEach((g, i) => {
      if (g.length > 1) g.forEach((n, j) => j !== inferred[i]! % g.length && (given[n] = sizeOf.get(n)!));
    });
    const text = (gs: string[][]) => gs.map((g) => (g.length === 1 && !parens ? g[0]! : `(${g.join(' ')})`)).join(' ');
    return { left, right, sizeOf, given, pattern: `${text(left)} -> ${text(right)}`, inverse: `${text(right)} -> ${text(left)}`, seed };
  });

describe('rearrange', () => {
  it('equals the element-by-element reference, and its inverse restores x bit for bit', () => {
    fc.assert(
      fc.property(rearrangeArb, ({ left, right, sizeOf, given, pattern, inverse, seed }) => {
        const x = randn(
          left.map((g) => size(g.map((n) => sizeOf.get(n)!))),
          seed,
        );
        const y = anyRearrange(x, pattern, given);
        expect(shapeOf(y), pattern).toEqual(right.map((g) => size(g.map((n) => sizeOf.get(n)!))));
        expect(values(y), pattern).toEqual(referenceRearrange(x.dataSync(), left, right, sizeOf));
        const all = Object.fromEntries(sizeOf);
        const back = anyRearrange(y, inverse, all);
        expect(shapeOf(back)).toEqual(shapeOf(x));
        expect(new Uint32Array(back.dataSync().buffer.slice(0))).toEqual(new Uint32Array(x.dataSync().buffer.slice(0)));
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it('the attention head split and merge equal reshape + transpose', () => {
    const x = randn([2, 5, 12], 3);
    const heads = rearrange(x, 'b s (h d) -> b h s d', { h: 3 });
    const ref = transpose(reshape(x, [2, 5, 3, 4]), [0, 2, 1, 3]);
    expect(shapeOf(heads)).toEqual([2, 3, 5, 4]);
    expect(values(heads)).toEqual(values(ref));
    expect(values(rearrange(heads, 'b h s d -> b s (h d)'))).toEqual(values(x));
  });

  it('works for every dtype and lowers to reshape/transpose only', () => {
    const ids = makeTensor<[2, 6], 'int32'>([2, 6], 'int32', Int32Array.from({ length: 12 }, (_, i) => i));
    const r = rearrange(ids, 'a (b c) -> (c a) b', { b: 2 });
    expect(r.dtype).toBe('int32');
    expect(shapeOf(r)).toEqual([6, 2]);
    expect(values(r)).toEqual(referenceRearrange(ids.dataSync(), [['a'], ['b', 'c']], [['c', 'a'], ['b']], new Map([['a', 2], ['b', 2], ['c', 3]])));
    const names = makeGraph((x) => rearrangeRaw(x, 'b s (h d) -> b h s d', { h: 2 }), [{ shape: [2, 3, 4], dtype: 'float32' }]).eqns.map((e) => e.prim.name);
    expect(names).toEqual(['reshape', 'transpose']);
    expect(rearrange(ids, 'a b -> a b')).toBe(ids);
    expect(shapeOf(anyRearrange(ids, 'a b -> a () b'))).toEqual([2, 1, 6]);
  });

  it('gradients flow through (a rearrange is a permutation of the elements)', () => {
    checkGrads((x: T) => anyRearrange(x, 'b s (h d) -> b h s d', { h: 2 }), [randn([2, 3, 4], 1)], { seed: 5 });
    const x = makeTensor<[2, 6], 'float32'>([2, 6], 'float32', normalArray(key(2), 12));
    const g = grad((x: Tensor<[2, 6]>) => einsum('ij,ij->', rearrange(rearrange(x, 'a (b c) -> c a b', { b: 2 }), 'c a b -> a (b c)'), x))(x);
    // d/dx Σ x² = 2x, exactly (the rearranges are a permutation and its inverse)
    expect(values(g)).toEqual(values(x).map((v) => Math.fround(2 * v)));
  });

  it('errors at run time, in the words of the type rule', () => {
    const x = randn([2, 10, 512], 1);
    expect(() => anyRearrange(x, 'b s (h d) -> b h s d', { h: 6 })).toThrow(new ShapeError('rearrange', "'h d' groups 512 but h = 6 does not divide it"));
    expect(() => anyRearrange(x, 'b s (h d) -> b h s d', { h: 8, d: 8 })).toThrow("rearrange: 'h d' groups 512 but h*d = 64");
    expect(() => anyRearrange(x, 'b s (h d) -> b h s d')).toThrow("rearrange: cannot infer both 'h' and 'd' in '(h d)'; give all sizes but one");
    expect(() => anyRearrange(x, 'b (h d) -> b h d', { h: 8 })).toThrow("rearrange: 'b (h d)' names 2 dims but x has rank 3");
    expect(() => anyRearrange(x, 'b s (h d) -> b h s z', { h: 8 })).toThrow("rearrange: 'z' is on the right but not the left");
    expect(() => anyRearrange(x, 'b s (h d) -> b h d', { h: 8 })).toThrow("rearrange: 's' is on the left but not the right");
    expect(() => anyRearrange(x, 'b b (h d) -> b h d', { h: 8 })).toThrow("rearrange: 'b' appears twice on the left");
    expect(() => anyRearrange(x, 'b s (h d) -> b h s d', { h: 8, q: 2 })).toThrow("rearrange: size given for 'q', which is not in the pattern");
    expect(() => anyRearrange(x, 'b s d -> b s d', { s: 9 })).toThrow("rearrange: 's' is 10 in x but given as 9");
    expect(() => anyRearrange(x, 'b s (h d -> b h s d', { h: 8 })).toThrow("rearrange: bad pattern: unbalanced '('");
    expect(() => anyRearrange(x, 'b s d', {})).toThrow("rearrange: bad pattern 'b s d' (no '->')");
  });
});

describe('ONNX export (lowered onto exportable primitives)', () => {
  it('einsum and rearrange export with dynamic dims and agree with onnxruntime', async () => {
    const f = (q: T, k: T, m: T) => [
      anyEinsum('bhqd,bhkd->bhqk', q, k),
      anyEinsum('...ij,jk->...ik', anyRearrange(q, 'b h s d -> b s (h d)'), m),
      anyRearrange(anyEinsum('bhqd->bqhd', k), 'b s h d -> b s (h d)'),
      anyEinsum('ii->i', anyEinsum('ij,kj->ik', m, m)),
    ] as const;
    const specs = [{ name: 'q', shape: ['b', 2, 's', 3] }, { name: 'k', shape: ['b', 2, 's', 3] }, { name: 'm', shape: [6, 6] }] as const;
    // cast: exportOnnx traces an untyped function of the three inputs
    const bytes = exportOnnx(f as never, specs);
    const session = await ort.InferenceSession.create(bytes);
    for (const [b, sl, seed] of [[2, 5, 1], [3, 7, 2]] as const) {
      const xs = [randn([b, 2, sl, 3], seed), randn([b, 2, sl, 3], seed + 10), randn([6, 6], seed + 20)] as const;
      const res = await session.run({ q: new ort.Tensor('float32', xs[0].dataSync(), [b, 2, sl, 3]), k: new ort.Tensor('float32', xs[1].dataSync(), [b, 2, sl, 3]), m: new ort.Tensor('float32', xs[2].dataSync(), [6, 6]) });
      const want = f(...xs);
      session.outputNames.forEach((name, i) => {
        const got = res[name]!;
        expect([...got.dims], name).toEqual(shapeOf(want[i]!));
        const w = want[i]!.dataSync();
        const d = got.data as Float32Array;
        for (let j = 0; j < w.length; j++) expect(Math.abs(d[j]! - w[j]!), `${name}[${j}]`).toBeLessThanOrEqual(1e-4);
      });
    }
  });
});
