/**
 * The worker-thread pool of the wasm backend: threaded GEMM gives bit-identical results for
 * every thread count (each output row block is computed by one thread in a fixed order) and
 * matches the CPU kernel; a trapping kernel is reported and the pool keeps working; the
 * thread-count setting validates its input; startThreads waits for the workers' boot; and a
 * process that used the threads exits on its own (workers never keep it alive). Web Workers
 * in a real browser: test/browser/run.mjs (npm run test:browser).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend, getThreads, kernelVariant, relaxedSimdAvailable, setThreads, startThreads } from '../src/backend/wasm';
import { wasmMatmul } from '../src/backend/wasm/gemm';
import { createRuntime, runtime } from '../src/backend/wasm/runtime';
import { randArray } from './helpers/rand';

const initialThreads = getThreads();
afterAll(() => setThreads(initialThreads));

/** every product goes to wasm and every one with ≥ 2 chunks' worth of work is split */
const wasm = createWasmBackend({ minMatmulFlops: 0, minParallelFlops: 0 });
/** the plain-SIMD build: the fallback, and the only build where relaxed SIMD does not run */
const wasmPlain = createWasmBackend({ minMatmulFlops: 0, minParallelFlops: 0, relaxedSimd: false });

/** index of the first element whose bits differ (Object.is), or -1; a loop, because vitest's
 * deep equality over typed arrays backed by a SharedArrayBuffer takes seconds per call */
function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

let booted: Promise<void> | null = null;
/** starts the pool once and waits (event loop free) until its workers have booted; 2 threads */
async function warmPool(): Promise<void> {
  setThreads(2);
  booted ??= (async () => {
    const a = randArray(256 * 256, 9);
    wasm.matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 256, 256, 256, false, false);
    await new Promise((r) => setTimeout(r, 1500));
  })();
  await booted;
}

describe('threaded GEMM', () => {
  it('is bit-identical for 1, 2 and 3 threads and agrees with the CPU kernel (both kernel builds)', async () => {
    await warmPool();
    // boot the plain build's pool too (each build has its own runtime and workers)
    const w = randArray(256 * 256, 3);
    wasmPlain.matmul(w, Int32Array.of(0), w, Int32Array.of(0), 1, 256, 256, 256, false, false);
    await new Promise((r) => setTimeout(r, 1000));
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      m: fc.integer({ min: 2, max: 300 }),
      k: fc.integer({ min: 1, max: 300 }),
      n: fc.integer({ min: 2, max: 140 }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      bcastB: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(shapes, (c) => {
        const a = randArray(c.batch * c.m * c.k, c.seed);
        const b = randArray((c.bcastB ? 1 : c.batch) * c.k * c.n, c.seed + 7);
        const aOff = Int32Array.from({ length: c.batch }, (_, t) => t * c.m * c.k);
        const bOff = Int32Array.from({ length: c.batch }, (_, t) => (c.bcastB ? 0 : t * c.k * c.n));
        const ref = cpuBackend.matmul(a, aOff, b, bOff, c.batch, c.m, c.k, c.n, c.transA, c.transB);
        for (const be of [wasm, wasmPlain]) {
          const run = (threads: number) => {
            setThreads(threads);
            return be.matmul(a, aOff, b, bOff, c.batch, c.m, c.k, c.n, c.transA, c.transB);
          };
          const one = run(1), two = run(2), three = run(3);
          expect(firstDifference(two, one)).toBe(-1);
          expect(firstDifference(three, one)).toBe(-1);
          let worst = 0;
          for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(one[i]! - ref[i]!) / (2e-5 * Math.sqrt(c.k) * (1 + Math.abs(ref[i]!))));
          expect(worst).toBeLessThanOrEqual(1);
        }
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('splits a large product across the workers (the chunk counter passes the caller)', async () => {
    await warmPool();
    const s = 384;
    const a = randArray(s * s, 3), b = randArray(s * s, 4);
    const before = runtime().workerChunks();
    let got = wasm.matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, s, s, s, false, false);
    // the caller may occasionally finish every chunk before a worker wakes: retry a few times
    for (let i = 0; i < 20 && runtime().workerChunks() === before; i++) got = wasm.matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, s, s, s, false, false);
    expect(runtime().workerChunks()).toBeGreaterThan(before);
    setThreads(1);
    const ref = wasm.matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, s, s, s, false, false);
    expect(got).toEqual(ref);
  });

  it('reports a kernel that traps, and the pool keeps working afterwards', async () => {
    await warmPool();
    const rt = runtime();
    rt.reserve(4096);
    const job = rt.heapBase;
    const i32 = rt.i32();
    // a job record whose A pointer lies far outside memory: every chunk traps
    i32.set([0x7ffffff0, 8, 1, job, 8, 1, job + 1024, 8, 8, 8, job + 2048, job + 2048, 4, 2], job >> 2);
    i32.set([0, 0], (job + 2048) >> 2);
    expect(() => rt.parallel('gemm_chunk', job, 2)).toThrow();
    const a = randArray(300 * 300, 5);
    const got = wasm.matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 300, 300, 300, false, true);
    const ref = cpuBackend.matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 300, 300, 300, false, true);
    for (let i = 0; i < ref.length; i += 97) expect(got[i]).toBeCloseTo(ref[i]!, 3);
  });
});

describe('element-wise pipelines (copy in chunk by chunk, workers compute behind)', () => {
  it('large same-shape binary and unary calls are bit-identical to the CPU kernels, and workers take chunks', async () => {
    await warmPool();
    const dflt = createWasmBackend();
    const n = (1 << 18) + 4 * 1000 + 3; // several chunks and a ragged tail
    const a = randArray(n, 21), b = randArray(n, 22);
    const aCopy = a.slice(), bCopy = b.slice();
    const before = runtime().workerChunks();
    for (let rep = 0; rep < 5; rep++) {
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        expect(firstDifference(dflt.binary(op, a, [n], b, [n], [n]), cpuBackend.binary(op, a, [n], b, [n], [n]))).toBe(-1);
      }
      for (const op of ['relu', 'neg', 'square', 'abs'] as const) expect(firstDifference(dflt.unary(op, a), cpuBackend.unary(op, a))).toBe(-1);
    }
    expect(a).toEqual(aCopy);
    expect(b).toEqual(bCopy);
    expect(runtime().workerChunks()).toBeGreaterThan(before);
  });
});

describe('pipelines over grown memory and row kernels', () => {
  it('stay correct when the kernel memory has just grown (workers compute on the new pages)', async () => {
    await warmPool();
    const dflt = createWasmBackend();
    const before = runtime().workerChunks();
    for (const n of [(1 << 18) + 5, (1 << 22) + 3, (1 << 23) + 7]) {
      const a = randArray(n, n % 97), b = randArray(n, n % 89);
      const got = dflt.binary('mul', a, [n], b, [n], [n]);
      expect(got.length).toBe(n);
      expect(firstDifference(got, cpuBackend.binary('mul', a, [n], b, [n], [n]))).toBe(-1);
    }
    expect(runtime().workerChunks()).toBeGreaterThan(before);
  });

  it('softmax rows normalised by a worker are the ones a single thread computes', async () => {
    await warmPool();
    const dflt = createWasmBackend();
    const rows = 300, cols = 1023;
    const x = randArray(rows * cols, 41);
    const before = runtime().workerChunks();
    let got = dflt.softmax(x, rows, cols);
    for (let i = 0; i < 10 && runtime().workerChunks() === before; i++) got = dflt.softmax(x, rows, cols);
    expect(runtime().workerChunks()).toBeGreaterThan(before);
    setThreads(1);
    expect(firstDifference(got, dflt.softmax(x, rows, cols))).toBe(-1);
  });
});

describe('pool pipelines', () => {
  it('a large avg pool (copied band by band, pooled by a worker) is bit-identical to the CPU kernel', async () => {
    await warmPool();
    const dflt = createWasmBackend();
    const g = { batch: 12, inH: 26, inW: 27, channels: 37, kH: 3, kW: 2, outH: 13, outW: 14, strideH: 2, strideW: 2, padTop: 1, padLeft: 1 };
    const x = randArray(g.batch * g.inH * g.inW * g.channels, 31);
    const copy = x.slice();
    const before = runtime().workerChunks();
    for (let rep = 0; rep < 5; rep++) expect(dflt.avgPool2d(x, g)).toEqual(cpuBackend.avgPool2d(x, g));
    expect(runtime().workerChunks()).toBeGreaterThan(before);
    expect(x).toEqual(copy);
  });
});

describe('startThreads', () => {
  it('resolves once the workers have booted, to the thread count jobs then run on (no waiting needed after it)', async () => {
    setThreads(3);
    const rt = createRuntime(); // a pool of its own, nothing booted yet
    expect(rt.workerChunks()).toBe(0);
    expect(await rt.startThreads()).toBe(3);
    const matmul = wasmMatmul(rt, { minFlops: 0, minParallelFlops: 0 });
    const a = randArray(256 * 256, 13);
    const got = matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 256, 256, 256, false, false);
    // the caller may occasionally claim every chunk before a woken worker gets one
    for (let i = 0; i < 20 && rt.workerChunks() === 0; i++) matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 256, 256, 256, false, false);
    expect(rt.workerChunks()).toBeGreaterThan(0);
    setThreads(1);
    expect(firstDifference(got, matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 256, 256, 256, false, false))).toBe(-1);
    expect(await rt.startThreads()).toBe(1);
  });

  it('is 1 over an unshared memory, and the public one follows setThreads', async () => {
    setThreads(2);
    expect(await createRuntime(false).startThreads()).toBe(1);
    expect(await startThreads()).toBe(2);
    expect(await startThreads({ relaxedSimd: false })).toBe(2);
  });
});

describe('without SharedArrayBuffer', () => {
  it('the unshared module variant runs the same kernels on one thread, bit-identical', () => {
    setThreads(2);
    const rt = createRuntime(false);
    expect(rt.threads()).toBe(1);
    const matmul = wasmMatmul(rt, { minFlops: 0, minParallelFlops: 0 });
    const a = randArray(200 * 150, 11), b = randArray(150 * 90, 12);
    const got = matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, 200, 150, 90, false, false);
    expect(got).toEqual(wasm.matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, 200, 150, 90, false, false));
    expect(rt.workerChunks()).toBe(0);
  });
});

describe('kernel builds (relaxed SIMD where the engine runs it, plain SIMD as the fallback)', () => {
  it('the default build is relaxed where relaxed SIMD validates, and its fused multiply-adds round differently', () => {
    expect(kernelVariant()).toBe(relaxedSimdAvailable() ? 'relaxed' : 'simd');
    expect(runtime().variant).toBe(kernelVariant());
    expect(runtime('simd').variant).toBe('simd');
    setThreads(1);
    const a = randArray(64 * 64, 5), b = randArray(64 * 64, 6);
    const fused = wasm.matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, 64, 64, 64, false, false);
    const plain = wasmPlain.matmul(a, Int32Array.of(0), b, Int32Array.of(0), 1, 64, 64, 64, false, false);
    // one rounding per multiply-add instead of two: some last bits differ (none where both builds are plain)
    expect(firstDifference(fused, plain) >= 0).toBe(kernelVariant() === 'relaxed');
  });

  it('Node 20 gets relaxed SIMD by the V8 flag the backend sets; SHAPEFLOW_RELAXED_SIMD=0 keeps the plain build', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sf-variant-'));
    const script = path.join(dir, 'variant.mts');
    const wasmIndex = fileURLToPath(new URL('../src/backend/wasm/index.ts', import.meta.url));
    writeFileSync(script, `import { kernelVariant } from ${JSON.stringify(wasmIndex)};\nconsole.log(kernelVariant());\n`);
    const variantWith = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    expect(variantWith({ SHAPEFLOW_RELAXED_SIMD: '0' })).toBe('simd');
    // every Node from 20 on runs relaxed SIMD (20 behind the flag the backend sets itself)
    expect(variantWith({ SHAPEFLOW_RELAXED_SIMD: '1' })).toBe('relaxed');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('setThreads', () => {
  it('accepts positive integers and caps the count at 8', () => {
    setThreads(1);
    expect(getThreads()).toBe(1);
    setThreads(64);
    expect(getThreads()).toBe(8);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => setThreads(bad)).toThrow(/positive integer/);
  });
});

describe('process exit', () => {
  it('a script that used two threads exits by itself, promptly', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const dir = mkdtempSync(path.join(tmpdir(), 'sf-threads-'));
    const script = path.join(dir, 'exit.mts');
    const mod = path.join(root, 'src/backend/wasm/index.ts');
    writeFileSync(
      script,
      [
        `import { createWasmBackend, setThreads } from ${JSON.stringify(mod)};`,
        'setThreads(2);',
        'const be = createWasmBackend();',
        'const a = new Float32Array(512 * 512).fill(0.5);',
        'await new Promise((r) => setTimeout(r, 300));',
        'const c = be.matmul(a, Int32Array.of(0), a, Int32Array.of(0), 1, 512, 512, 512, false, false);',
        'console.log(c[0]);',
      ].join('\n'),
    );
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('128');
    expect(seconds).toBeLessThan(30);
  });
});
