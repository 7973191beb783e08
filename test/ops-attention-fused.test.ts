/**
 * The fused attention path (Backend.attention, taken for concrete inputs) against the unfused
 * primitive chain (the same backend without the kernel): random shapes with broadcast batch
 * dims, masks of every broadcast form (fully masked rows included), both scale placements;
 * both backends bit for bit (wasm where it takes the call), and wasm across thread counts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend';
import { backend, setBackend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend, getThreads, setThreads, startThreads, workerChunks } from '../src/backend/wasm';
import { scaledDotProductAttention } from '../src/ops/attention';
import { sum } from '../src/ops/reduce-core';
import { grad } from '../src/autodiff';
import { bernoulliArray, key, normalArray } from '../src/random';
import { makeTensor, type Tensor } from '../src/tensor/tensor';

type AnyT = Tensor<any>;
const SEED = 1414;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (seed: number, shape: readonly number[]): AnyT => makeTensor(shape, 'float32', normalArray(key(seed), size(shape))) as AnyT;
const randMask = (seed: number, shape: readonly number[], p: number) => makeTensor(shape, 'bool', bernoulliArray(key(seed), size(shape), p)) as Tensor<any, 'bool'>;
const unfused = (b: Backend): Backend => {
  const { attention: _, ...rest } = b;
  return rest;
};

const threadsBefore = getThreads();
const backendBefore = backend();
beforeAll(async () => {
  setThreads(2);
  await startThreads();
});
afterAll(() => {
  setThreads(threadsBefore);
  setBackend(backendBefore);
});

function onBackend<T>(b: Backend, f: () => T): T {
  const prev = backend();
  setBackend(b);
  try {
    return f();
  } finally {
    setBackend(prev);
  }
}

interface Case {
  q: AnyT;
  k: AnyT;
  v: AnyT;
  mask: Tensor<any, 'bool'> | null;
  scale: number | undefined;
}

/** an operand's batch dims: each out dim kept or 1, some leading ones dropped */
const batchOf = (bd: readonly number[], keep: readonly boolean[], drop: number) => bd.map((d, i) => (keep[i] ? d : 1)).slice(drop);

const caseArb = fc
  .record({
    bd: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    Lq: fc.integer({ min: 1, max: 9 }),
    Lk: fc.integer({ min: 1, max: 9 }),
    dk: fc.integer({ min: 1, max: 12 }),
    dv: fc.integer({ min: 1, max: 9 }),
    keeps: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 4, maxLength: 4 }),
    drops: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
    maskKind: fc.constantFrom('none', 'full', 'rows', 'keys'),
    p: fc.constantFrom(0.3, 0.7, 1),
    scale: fc.option(fc.constantFrom(0.37, 1, 2.5), { nil: undefined }),
    seed: fc.integer({ min: 0, max: 10_000 }),
  })
  .map(({ bd, Lq, Lk, dk, dv, keeps, drops, maskKind, p, scale, seed }): Case => {
    const b = (i: number) => batchOf(bd, keeps[i]!, Math.min(drops[i]!, bd.length));
    // the scores' batch is q's and k's broadcast; the mask may not enlarge it
    const qb = b(0), kb = b(1);
    const r = Math.max(qb.length, kb.length);
    const at = (x: number[], i: number) => x[i - (r - x.length)] ?? 1;
    const sb = Array.from({ length: r }, (_, i) => Math.max(at(qb, i), at(kb, i)));
    const mb = batchOf(sb, keeps[3]!, Math.min(drops[3]!, sb.length));
    const mShape = maskKind === 'full' ? [...mb, Lq, Lk] : maskKind === 'rows' ? [...mb, 1, Lk] : [...mb, Lq, 1];
    return {
      q: randn(seed, [...qb, Lq, dk]),
      k: randn(seed + 1, [...kb, Lk, dk]),
      v: randn(seed + 2, [...b(2), Lk, dv]),
      mask: maskKind === 'none' ? null : randMask(seed + 3, mShape, p),
      scale,
    };
  });

const run = (c: Case) => scaledDotProductAttention(c.q, c.k, c.v, c.mask, c.scale === undefined ? {} : { scale: c.scale }) as AnyT;

/** the output on b with the fused kernel and without it, counting the kernel's calls */
function both(b: Backend, c: Case): { fused: Float32Array; plain: Float32Array; calls: number } {
  let calls = 0;
  const counting: Backend = { ...b, attention: (d, ins) => (calls++, b.attention!(d, ins)) };
  const fused = onBackend(counting, () => run(c).dataSync() as Float32Array);
  const plain = onBackend(unfused(b), () => run(c).dataSync() as Float32Array);
  return { fused, plain, calls };
}

function expectClose(got: Float32Array, want: Float32Array, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > tol * (1 + Math.abs(want[i]!))) expect(got[i]).toBeCloseTo(want[i]!, 5);
  }
}

describe('fused attention vs the unfused chain', () => {
  it('cpu: bit-identical on random shapes, broadcasts and masks', () => {
    let taken = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const { fused, plain, calls } = both(cpuBackend, c);
        taken += calls;
        expect(fused).toEqual(plain);
      }),
      { seed: SEED, numRuns: 200 },
    );
    // declined only where v broadcasts the batch beyond the scores' (attention-fused.ts)
    expect(taken).toBeGreaterThan(150);
  });

  it('wasm: bit-identical to its unfused chain (where it takes the call), within float32 rounding of the cpu result', () => {
    const wasm = createWasmBackend();
    setThreads(2);
    let taken = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const { fused, plain, calls } = both(wasm, c);
        taken += calls;
        expect(fused).toEqual(plain);
        expectClose(fused, both(cpuBackend, c).plain, 2e-5);
      }),
      { seed: SEED, numRuns: 150 },
    );
    // small shapes are declined (the chain routes them to the cpu kernels); most are taken
    expect(taken).toBeGreaterThan(75);
  });

  it('fully masked rows give exact zero output rows on both backends', () => {
    const q = randn(1, [2, 2, 5, 8]), k = randn(2, [2, 2, 6, 8]), v = randn(3, [2, 2, 6, 4]);
    const m = new Uint8Array(2 * 5 * 6).fill(1);
    m.fill(0, 6, 12); // batch 0, query 1: nothing allowed
    m.fill(0, 30 + 4 * 6, 30 + 5 * 6); // batch 1, query 4
    const mask = makeTensor([2, 1, 5, 6], 'bool', m) as Tensor<any, 'bool'>;
    for (const b of [cpuBackend, createWasmBackend()]) {
      const out = onBackend(b, () => scaledDotProductAttention(q, k, v, mask).dataSync() as Float32Array);
      const row = (bi: number, h: number, i: number) => Array.from(out.subarray(((bi * 2 + h) * 5 + i) * 4, ((bi * 2 + h) * 5 + i + 1) * 4));
      for (const h of [0, 1]) {
        expect(row(0, h, 1)).toEqual([0, 0, 0, 0]);
        expect(row(1, h, 4)).toEqual([0, 0, 0, 0]);
        expect(row(0, h, 0).some((x) => x !== 0)).toBe(true);
      }
      expect(Array.from(out).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('wasm fused attention across thread counts', () => {
  let chunksAtStart = 0;
  beforeAll(() => {
    chunksAtStart = workerChunks();
  });
  // large enough to be split over the threads (by slices, and by query rows of few slices)
  const cases: [string, Case][] = [
    ['many slices, causal mask', { q: randn(11, [4, 4, 96, 32]), k: randn(12, [4, 4, 96, 32]), v: randn(13, [4, 4, 96, 32]), mask: causal(96), scale: undefined }],
    ['one slice split by rows, padding mask', { q: randn(21, [1, 512, 32]), k: randn(22, [1, 250, 32]), v: randn(23, [1, 250, 24]), mask: randMask(24, [1, 1, 250], 0.8), scale: undefined }],
    ['dk > Lk (scores scaled), mask with fully masked rows', { q: randn(31, [3, 130, 80]), k: randn(32, [3, 70, 80]), v: randn(33, [3, 70, 17]), mask: randMask(34, [3, 130, 70], 0.05), scale: 0.3 }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: bit-identical for 1 and 2 threads, close to the unfused chain`, () => {
      const wasm = createWasmBackend();
      setThreads(1);
      const one = both(wasm, c);
      setThreads(2);
      const two = both(wasm, c);
      expect(two.calls).toBe(1);
      expect(two.fused).toEqual(one.fused);
      expect(two.fused).toEqual(two.plain);
    });
  }
  it('the workers took part (a worker that wakes late may find one call done, not all three)', () => {
    expect(workerChunks()).toBeGreaterThan(chunksAtStart);
  });
});

describe('the fused path and transforms', () => {
  it('grad runs the unfused chain (no kernel call) and matches the cpu gradient', () => {
    const q = randn(41, [2, 7, 8]), k = randn(42, [2, 9, 8]), v = randn(43, [2, 9, 5]);
    const mask = randMask(44, [2, 7, 9], 0.6);
    for (const b of [cpuBackend, createWasmBackend()]) {
      let calls = 0;
      const counting: Backend = { ...b, attention: (d, ins) => (calls++, b.attention!(d, ins)) };
      const g = onBackend(counting, () => grad((x: AnyT) => sum(scaledDotProductAttention(x, k, v, mask) as AnyT))(q));
      expect(calls).toBe(0);
      const want = onBackend(cpuBackend, () => grad((x: AnyT) => sum(scaledDotProductAttention(x, k, v, mask) as AnyT))(q));
      expectClose(g.dataSync() as Float32Array, want.dataSync() as Float32Array, 1e-4);
    }
  });
});

function causal(n: number): Tensor<any, 'bool'> {
  const m = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) m.fill(1, i * n, i * n + i + 1);
  return makeTensor([n, n], 'bool', m) as Tensor<any, 'bool'>;
}
