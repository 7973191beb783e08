/**
 * The resident pool (src/backend/wasm/resident.ts): views of the kernel memory that outlive a
 * call, freed by garbage collection; jit's donated outputs move there and stay.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createResidentPool } from '../src/backend/wasm/resident';
import { createRuntime, runtime } from '../src/backend/wasm/runtime';
import { createWasmBackend } from '../src/backend/wasm';
import { backend, setBackend } from '../src/backend';
import { jit } from '../src/autodiff/jit';
import { mul, sub } from '../src/ops/elementwise';
import { randomUniform } from '../src/tensor/random';
import { key } from '../src/random';
import type { Tensor } from '../src/tensor/tensor';
import { getThreads, setThreads } from '../src/backend/wasm';
import fc from 'fast-check';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** a full collection, then a turn of the event loop so finalization callbacks run */
const collect = async () => {
  gc();
  await new Promise((r) => setTimeout(r, 10));
  gc();
  await new Promise((r) => setTimeout(r, 10));
};

describe('resident pool', () => {
  it('hands out zeroed, disjoint views with 64-byte granules and a spare granule each', () => {
    const memory = { buffer: new ArrayBuffer(4096) };
    const pool = createResidentPool(memory, 1024, 2048);
    const a = pool.alloc(10)!;
    const b = pool.alloc(3)!;
    expect(a.length).toBe(10);
    expect(pool.addressOf(a)).toBe(1024);
    expect(pool.addressOf(b)).toBe(1024 + 64 + 64); // 40 bytes round to 64, plus the spare granule
    expect(pool.addressOf(new Float32Array(4))).toBe(-1);
    a.fill(7);
    expect(Array.from(b)).toEqual([0, 0, 0]);
    expect(pool.stats()).toEqual({ used: 256, capacity: 2048, live: 2 });
    expect(pool.alloc(2048)).toBeNull(); // no room: the caller uses an ordinary array
    expect(pool.alloc(0)).toBeNull();
    expect(createResidentPool(null, 0, 0).alloc(4)).toBeNull();
  });

  it('gives a collected view its bytes back, coalesced, and zeroes them for the next owner', async () => {
    const memory = { buffer: new ArrayBuffer(1 << 20) };
    const pool = createResidentPool(memory, 0, 1 << 16);
    let views: (Float32Array | null)[] = [];
    for (let i = 0; i < 8; i++) views.push(pool.alloc(1000)!.fill(i + 1));
    const keep = pool.alloc(10)!;
    const before = pool.stats().used;
    views = [];
    await collect();
    expect(pool.stats().live).toBe(1);
    expect(pool.stats().used).toBe(before - 8 * 4096);
    // the eight freed regions coalesced: one array of their whole size fits at the start
    const big = pool.alloc(8 * 1008)!;
    expect(pool.addressOf(big)).toBe(0);
    expect(big.every((v) => v === 0)).toBe(true);
    expect(keep.length).toBe(10);
  });

  it('exists over shared memory only; the per-call heap starts after it', () => {
    const rt = runtime();
    const a = rt.resident.alloc(16);
    expect(a).not.toBeNull();
    expect(rt.resident.addressOf(a!)).toBeGreaterThanOrEqual(rt.exports.heap_base.value);
    expect(rt.resident.addressOf(a!) + 16 * 4).toBeLessThanOrEqual(rt.heapBase);
    expect(createRuntime(false).resident.alloc(16)).toBeNull();
  });

  it('a donated step moves into the pool on its first call and runs there from then on', () => {
    const prev = backend();
    setBackend(createWasmBackend());
    try {
      const rt = runtime();
      const n = 50000;
      const step = jit((p: Tensor<[number]>, g: Tensor<[number]>) => sub(p, mul(g, 0.5)), { donate: [0] });
      const g: Tensor<[number]> = randomUniform(key(2), [n]);
      let p: Tensor<[number]> = randomUniform(key(1), [n]);
      const want = Float32Array.from(p.dataSync());
      const gv = g.dataSync();
      for (let i = 0; i < n; i++) want[i] = Math.fround(want[i]! - Math.fround(gv[i]! * 0.5));
      p = step(p, g);
      const arr = (p as unknown as { _data: Float32Array })._data;
      expect(rt.resident.addressOf(arr)).toBeGreaterThanOrEqual(0);
      expect(Array.from(p.dataSync())).toEqual(Array.from(want));
      for (let k = 0; k < 3; k++) {
        p = step(p, g);
        expect((p as unknown as { _data: Float32Array })._data).toBe(arr);
      }
      for (let k = 0; k < 3; k++) for (let i = 0; i < n; i++) want[i] = Math.fround(want[i]! - Math.fround(gv[i]! * 0.5));
      expect(Array.from(p.dataSync())).toEqual(Array.from(want));
    } finally {
      setBackend(prev);
    }
  });

  it('GEMM reads resident operands in place and writes a resident result in place, bit-identical, on 1 and 2 threads', async () => {
    const rt = runtime();
    const mm = createWasmBackend().matmul;
    const before = getThreads();
    await rt.startThreads();
    try {
      fc.assert(
        fc.property(
          fc.record({ batch: fc.integer({ min: 1, max: 3 }), m: fc.integer({ min: 2, max: 70 }), k: fc.integer({ min: 1, max: 90 }), n: fc.integer({ min: 2, max: 70 }), tA: fc.boolean(), tB: fc.boolean(), which: fc.integer({ min: 0, max: 7 }), threads: fc.constantFrom(1, 2), seed: fc.integer() }),
          ({ batch, m, k, n, tA, tB, which, threads, seed }) => {
            setThreads(threads);
            let s = seed >>> 0;
            const rand = (len: number) => Float32Array.from({ length: len }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
            const a = rand(batch * m * k), b = rand(batch * k * n);
            const off = (len: number) => Int32Array.from({ length: batch }, (_, i) => i * len);
            const want = mm(a, off(m * k), b, off(k * n), batch, m, k, n, tA, tB);
            const resident = (x: Float32Array) => {
              const r = rt.resident.alloc(x.length)!;
              r.set(x);
              return r;
            };
            const ra = which & 1 ? resident(a) : a, rb = which & 2 ? resident(b) : b;
            const into = which & 4 ? rt.resident.alloc(batch * m * n)! : undefined;
            const got = mm(ra, off(m * k), rb, off(k * n), batch, m, k, n, tA, tB, into);
            if (into !== undefined) expect(got).toBe(into);
            expect(Array.from(got)).toEqual(Array.from(want));
            expect(Array.from(ra)).toEqual(Array.from(a)); // inputs never written
          },
        ),
        { numRuns: 60, seed: 11 },
      );
      // a product big enough for the threads, all three resident
      setThreads(2);
      const [m, k, n] = [256, 256, 256];
      const a = rt.resident.alloc(m * k)!, b = rt.resident.alloc(k * n)!;
      for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
      for (let i = 0; i < b.length; i++) b[i] = Math.cos(i);
      expect(rt.resident.addressOf(a) >= 0 && rt.resident.addressOf(b) >= 0).toBe(true);
      const z = new Int32Array(1);
      const want = mm(Float32Array.from(a), z, Float32Array.from(b), z, 1, m, k, n, false, false);
      const chunks = rt.workerChunks();
      const into = rt.resident.alloc(m * n)!;
      expect(Array.from(mm(a, z, b, z, 1, m, k, n, false, false, into))).toEqual(Array.from(want));
      expect(rt.workerChunks()).toBeGreaterThan(chunks);
    } finally {
      setThreads(before);
    }
  });
});
