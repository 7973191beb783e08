/**
 * The vmap oracle, independent of vmap: examples are cut and results stacked with plain index
 * arithmetic on flat arrays, and f runs on each example with no transform. `checkCase` compares
 * `vmap(f, { inAxes, outAxes })` on the stacked examples with f on each example, stacked.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import { makeTensor } from '../../src/tensor/tensor';
import type { DType, TypedArray } from '../../src/tensor/dtype';
import type { AnyTensor } from '../../src/tensor/untyped';
import { vmap } from '../../src/ops/vmap';
import { key, normalArray } from '../../src/random';

// ---------------------------------------------------------------- the oracle: cut and stack

export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function arrayOf(dtype: DType, n: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/** Stack per-example flat arrays of shape `shape` along `axis` of the batched rank. */
export function stackAlong(datas: readonly TypedArray[], shape: readonly number[], axis: number, dtype: DType): TypedArray {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis));
  const out = arrayOf(dtype, datas.length * outer * inner);
  for (let o = 0; o < outer; o++) for (let b = 0; b < datas.length; b++) for (let i = 0; i < inner; i++) out[(o * datas.length + b) * inner + i] = datas[b]![o * inner + i]!;
  return out;
}

export const insertDim = (s: readonly number[], axis: number, n: number) => [...s.slice(0, axis), n, ...s.slice(axis)];
export const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
export const tensorOf = (shape: readonly number[], dtype: DType, data: TypedArray): AnyTensor => makeTensor(shape, dtype, data as never) as unknown as AnyTensor;

export type Compare = (actual: TypedArray, expected: TypedArray, what: string) => void;

/** Equality within float32 rounding of a few ops (relative 1e-4, absolute 1e-5; NaN equals NaN). */
export function expectClose(actual: TypedArray, expected: TypedArray, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e))) throw new Error(`${what}: element ${i} is ${a}, expected ${e} (within 1e-4 relative)`);
  }
}

/** Bit equality of two typed arrays (NaN equals NaN; +0 and -0 differ). */
export function expectSameBits(actual: TypedArray, expected: TypedArray, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (bit-identical)`);
  }
}

// ---------------------------------------------------------------- argument generators

export type Kind = 'f' | 'pos' | 'bool' | { readonly idx: number };
export interface ArgSpec {
  readonly shape: readonly number[];
  readonly kind?: Kind;
}

export function exampleData(spec: ArgSpec, seed: number): { dtype: DType; data: TypedArray } {
  const n = sizeOf(spec.shape);
  const v = normalArray(key(seed), n, 0, 2);
  const kind = spec.kind ?? 'f';
  if (kind === 'f') return { dtype: 'float32', data: v };
  if (kind === 'pos') return { dtype: 'float32', data: v.map((x) => Math.abs(x) + 0.25) };
  if (kind === 'bool') return { dtype: 'bool', data: Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)) };
  return { dtype: 'int32', data: Int32Array.from(v, (x) => Math.floor(Math.abs(x) * 1000) % kind.idx) };
}

export interface Case {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  /** arguments that must stay unbatched (filters, gamma / beta: their rules take only unbatched ones) */
  readonly fixed?: readonly number[];
  readonly f: (...xs: AnyTensor[]) => AnyTensor | readonly AnyTensor[];
  /** why this case's rule is equal within float32 rounding only (it sums in another order); absent: bit-identical */
  readonly close?: string;
  /** how its vjp batches, when not bit-identically: within rounding (and why), or not at all (and why) */
  readonly vjp?: { readonly close: string } | { readonly skip: string };
}

export interface Drawn {
  readonly size: number;
  readonly inAxes: readonly (number | null)[];
  readonly outAxis: number;
  readonly seed: number;
}

/** in axes: each argument batched at any axis (negative too) or unbatched, at least one batched */
export function drawnArb(c: Case): fc.Arbitrary<Drawn> {
  const axes = c.args.map((a, i) => c.fixed?.includes(i) ? fc.constant(null) : fc.option(fc.integer({ min: -(a.shape.length + 1), max: a.shape.length }), { nil: null, freq: 3 }));
  return fc
    .record({ size: fc.integer({ min: 1, max: 3 }), inAxes: fc.tuple(...axes), outAxis: fc.integer({ min: -1, max: 1 }), seed: fc.integer({ min: 0, max: 1e6 }) })
    .filter((d) => d.inAxes.some((a) => a !== null));
}

/**
 * Draws every case runs whatever fast-check draws: all batchable arguments batched at axis 0
 * (out axis 0), and at their last axis (non-zero for any rank >= 1) with out axis 1 (clamped
 * to the result's rank by checkCase).
 */
export function fixedDraws(c: Case): Drawn[] {
  const batched = (ax: (a: ArgSpec) => number) => c.args.map((a, i) => (c.fixed?.includes(i) ? null : ax(a)));
  return [
    { size: 3, inAxes: batched(() => 0), outAxis: 0, seed: 1 },
    { size: 2, inAxes: batched((a) => a.shape.length), outAxis: 1, seed: 2 },
  ];
}

export function leavesOf(out: AnyTensor | readonly AnyTensor[]): AnyTensor[] {
  return Array.isArray(out) ? [...(out as readonly AnyTensor[])] : [out as AnyTensor];
}

/** vmap(f) on the stacked examples vs f on each example, stacked. */
export function checkCase(c: Case, d: Drawn, same: Compare = expectSameBits): void {
  const examples = c.args.map((spec, i) => Array.from({ length: d.size }, (_, b) => exampleData(spec, d.seed + 101 * i + (d.inAxes[i] === null ? 0 : b))));
  const batchedArgs = c.args.map((spec, i) => {
    const ax = d.inAxes[i]!;
    const ex = examples[i]!;
    if (ax === null) return tensorOf(spec.shape, ex[0]!.dtype, ex[0]!.data);
    const a = norm(ax, spec.shape.length + 1);
    return tensorOf(insertDim(spec.shape, a, d.size), ex[0]!.dtype, stackAlong(ex.map((e) => e.data), spec.shape, a, ex[0]!.dtype));
  });
  const perExample = Array.from({ length: d.size }, (_, b) => leavesOf(c.f(...c.args.map((spec, i) => tensorOf(spec.shape, examples[i]![b]!.dtype, examples[i]![b]!.data)))));
  // the out axis drawn in [-1, 1], kept within the smallest result rank (a scalar result takes 0 or -1)
  const minRank = Math.min(...perExample[0]!.map((t) => t.shape.length));
  const outAxis = Math.min(d.outAxis, minRank);
  const got = leavesOf(vmap(c.f, { inAxes: d.inAxes, outAxes: outAxis })(...batchedArgs) as AnyTensor | AnyTensor[]);
  expect(got.length).toBe(perExample[0]!.length);
  got.forEach((g, j) => {
    const one = perExample[0]![j]!;
    const shape = one.shape as readonly number[];
    const a = norm(outAxis, shape.length + 1);
    const what = `${c.name} leaf ${j} (size ${d.size}, inAxes [${d.inAxes.map(String).join(', ')}], outAxes ${outAxis})`;
    expect(g.shape, what).toEqual(insertDim(shape, a, d.size));
    expect(g.dtype, what).toBe(one.dtype);
    same(g.dataSync(), stackAlong(perExample.map((p) => p[j]!.dataSync()), shape, a, one.dtype), what);
  });
}
