/**
 * The wasm convolution and pooling kernels (src/backend/wasm/conv.ts, conv.wat) against the
 * CPU backend, with thresholds 0 so every call takes the wasm path:
 * - conv2d and both gradients within float32 accumulation error of the cpu kernels (bounded
 *   per element by the number of terms times 2^-23 times Σ|a·b|, computed with |inputs|), over
 *   random geometries: strides 1-3, dilation 1-2, valid and TF 'same' padding (even kernels
 *   pad more after), odd channel counts, kernels larger than the stride, H = 1 (1-D convs),
 *   1x1 pointwise; plus sizes that take several blocks, bands and filter-gradient groups;
 * - max / avg pooling, the max-pool argmax and the gradients bit for bit (ties, NaN, ±∞, -0);
 * - results bit-identical with 1 and 2 threads (forward pools: streamed bands on one thread,
 *   rows split across threads on two); inputs never written;
 * - a few cases against tfjs-cpu (conv2d, its tf.grads, maxPool, avgPool).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dGeometry, Pool2dGeometry } from '../src/backend/backend';
import { cpuBackend } from '../src/backend/cpu';
import { getThreads, setThreads } from '../src/backend/wasm';
import { wasmConv } from '../src/backend/wasm/conv';
import { runtime } from '../src/backend/wasm/runtime';
import { randArray } from './helpers/rand';

const SEED = 42;
const allWasm = { minConvFlops: 0, minParallelConvFlops: 0, minPoolWork: 0, minParallelPoolWork: 0, minPoolBackpropWork: 0 };
const wasm = wasmConv(runtime(), allWasm);
/** the plain-SIMD build (the fallback where relaxed SIMD does not run; the same as `wasm` there) */
const wasmPlain = wasmConv(runtime('simd'), allWasm);
const threadsBefore = getThreads();

beforeAll(async () => {
  await tf.setBackend('cpu');
  // start the worker pool and give it time to boot, so the 2-thread runs really use a worker
  setThreads(2);
  const g = convGeometry({ batch: 2, inC: 8, outC: 8, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: true, h: 16, w: 16 });
  wasm.conv2d(randArray(2 * 16 * 16 * 8, 1), randArray(9 * 64, 2), g);
  await new Promise((resolve) => setTimeout(resolve, 200));
});
afterAll(() => {
  setThreads(threadsBefore);
});

/** small integers: many ties for the max pool */
function randLevels(n: number, seed: number, levels: number): Float32Array {
  return randArray(n, seed).map((v) => Math.floor((v + 1) / 2 * levels));
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/** same bits (so -0 vs +0 and NaN payload changes count) */
function expectBits(got: Float32Array | Int32Array, want: Float32Array | Int32Array, what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

/** |got - want| <= (terms + 2)·2^-23·scale per element (float32 accumulation error bound) */
function expectWithin(got: Float32Array, want: Float32Array, scale: Float32Array, terms: number, what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  const k = (terms + 2) * 2 ** -23;
  for (let i = 0; i < got.length; i++) {
    const tol = k * scale[i]! + 1e-30;
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (tol ${tol})`);
  }
}

// ---- geometry (TF rules) -------------------------------------------------------------------

function axis(inSize: number, k: number, s: number, d: number, same: boolean): { out: number; pad: number } {
  const span = d * (k - 1) + 1;
  if (!same) return { out: Math.floor((inSize - span) / s) + 1, pad: 0 };
  const out = Math.ceil(inSize / s);
  return { out, pad: Math.floor(Math.max(0, (out - 1) * s + span - inSize) / 2) };
}

interface ConvSpec {
  batch: number; inC: number; outC: number; kH: number; kW: number;
  sH: number; sW: number; dH: number; dW: number; same: boolean;
  /** output extent beyond the minimum (valid) or the input size (same) */
  h: number; w: number;
}

function convGeometry(c: ConvSpec): Conv2dGeometry {
  const inH = c.same ? c.h : c.dH * (c.kH - 1) + c.h;
  const inW = c.same ? c.w : c.dW * (c.kW - 1) + c.w;
  const ah = axis(inH, c.kH, c.sH, c.dH, c.same), aw = axis(inW, c.kW, c.sW, c.dW, c.same);
  return {
    batch: c.batch, inH, inW, inC: c.inC, kH: c.kH, kW: c.kW, outC: c.outC, outH: ah.out, outW: aw.out,
    strideH: c.sH, strideW: c.sW, dilationH: c.dH, dilationW: c.dW, padTop: ah.pad, padLeft: aw.pad,
  };
}

const odd = fc.constantFrom(1, 3, 5, 7);
const convSpecArb: fc.Arbitrary<ConvSpec> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  inC: fc.oneof(odd, fc.integer({ min: 1, max: 9 })), outC: fc.oneof(odd, fc.integer({ min: 1, max: 12 })),
  kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }),
  sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }),
  dH: fc.integer({ min: 1, max: 2 }), dW: fc.integer({ min: 1, max: 2 }),
  same: fc.boolean(), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
  oneD: fc.boolean(),
}).map(({ oneD, ...c }) => (oneD ? { ...c, kH: 1, sH: 1, dH: 1, h: 1 } : c)); // 1-D: H = 1

function convSizes(g: Conv2dGeometry): { x: number; w: number; y: number } {
  return { x: g.batch * g.inH * g.inW * g.inC, w: g.kH * g.kW * g.inC * g.outC, y: g.batch * g.outH * g.outW * g.outC };
}

/** all three convolution kernels: wasm vs cpu within the accumulation bound, inputs untouched */
function checkConv(g: Conv2dGeometry, seed: number): void {
  const n = convSizes(g);
  const x = randArray(n.x, seed), w = randArray(n.w, seed + 1), dy = randArray(n.y, seed + 2);
  const xc = x.slice(), wc = w.slice(), dyc = dy.slice();
  const at = JSON.stringify(g);
  for (const [variant, be] of [['', wasm], ['plain SIMD ', wasmPlain]] as const) {
    expectWithin(be.conv2d(x, w, g), cpuBackend.conv2d(x, w, g), cpuBackend.conv2d(abs(x), abs(w), g),
      g.kH * g.kW * g.inC, `${variant}conv2d ${at}`);
    expectWithin(be.conv2dBackpropInput(dy, w, g), cpuBackend.conv2dBackpropInput(dy, w, g),
      cpuBackend.conv2dBackpropInput(abs(dy), abs(w), g), g.kH * g.kW * g.outC, `${variant}backpropInput ${at}`);
    expectWithin(be.conv2dBackpropFilter(x, dy, g), cpuBackend.conv2dBackpropFilter(x, dy, g),
      cpuBackend.conv2dBackpropFilter(abs(x), abs(dy), g), g.batch * g.outH * g.outW, `${variant}backpropFilter ${at}`);
  }
  expectBits(x, xc, 'x unchanged');
  expectBits(w, wc, 'filter unchanged');
  expectBits(dy, dyc, 'dy unchanged');
}

/** every kernel's output with 1 and with 2 threads, bit for bit */
function checkThreads(g: Conv2dGeometry, seed: number): void {
  const n = convSizes(g);
  const x = randArray(n.x, seed), w = randArray(n.w, seed + 1), dy = randArray(n.y, seed + 2);
  for (const [variant, be] of [['default', wasm], ['plain SIMD', wasmPlain]] as const) {
    const run = (t: number): Float32Array[] => {
      setThreads(t);
      return [be.conv2d(x, w, g), be.conv2dBackpropInput(dy, w, g), be.conv2dBackpropFilter(x, dy, g)];
    };
    const one = run(1), two = run(2);
    one.forEach((r, i) => { expectBits(two[i]!, r, `${variant} kernel ${i} threads 2 vs 1 ${JSON.stringify(g)}`); });
  }
}

describe('wasm conv2d and its gradients', () => {
  it('match the cpu kernels within float32 accumulation error on random geometries', () => {
    fc.assert(fc.property(convSpecArb, fc.integer({ min: 0, max: 1 << 20 }), (spec, seed) => {
      checkConv(convGeometry(spec), seed);
    }), { seed: SEED, numRuns: 150 });
  });

  it('match the cpu kernels on sizes split into several blocks, bands and groups', () => {
    setThreads(2);
    const cases: ConvSpec[] = [
      // many im2col blocks, filter-gradient groups (the benchmark shape, smaller batch)
      { batch: 3, inC: 32, outC: 64, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: false, h: 24, w: 24 },
      // one image: the input gradient splits it into bands of rows (halo recomputed)
      { batch: 1, inC: 5, outC: 20, kH: 5, kW: 3, sH: 2, sW: 1, dH: 1, dW: 2, same: true, h: 40, w: 33 },
      // taps > GEMM KC, outC > 8 tails, 'same' with stride 3
      { batch: 2, inC: 37, outC: 13, kH: 3, kW: 3, sH: 3, sW: 3, dH: 1, dW: 1, same: true, h: 20, w: 17 },
      // pointwise (1x1): the GEMM reads x directly
      { batch: 2, inC: 48, outC: 24, kH: 1, kW: 1, sH: 1, sW: 1, dH: 1, dW: 1, same: false, h: 30, w: 30 },
      // long 1-D convolution
      { batch: 2, inC: 7, outC: 16, kH: 1, kW: 9, sH: 1, sW: 2, dH: 1, dW: 2, same: true, h: 1, w: 2000 },
    ];
    cases.forEach((c, i) => { checkConv(convGeometry(c), 100 + i); });
  });

  it('reuse a packed filter only within one call: back-to-back calls with other filters of the same shape', () => {
    // same shapes, so the same heap addresses: a filter packed by the previous call must not be reused
    const g = convGeometry({ batch: 2, inC: 32, outC: 64, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: false, h: 24, w: 24 });
    const x = randArray(g.batch * g.inH * g.inW * g.inC, 300);
    const dy = randArray(g.batch * g.outH * g.outW * g.outC, 301);
    for (const threads of [1, 2]) {
      setThreads(threads);
      const filters = [0, 1, 2].map((s) => randArray(g.kH * g.kW * g.inC * g.outC, 310 + s));
      const worst = (got: Float32Array, want: Float32Array) => got.reduce((w, v, i) => Math.max(w, Math.abs(v - want[i]!)), 0);
      // forward calls back to back, then input-gradient calls back to back (each reuses B on its own)
      filters.forEach((f, s) => {
        expect(worst(wasm.conv2d(x, f, g), cpuBackend.conv2d(x, f, g)), `conv2d vs cpu, filter ${s}, ${threads} thread(s)`).toBeLessThan(1e-4);
      });
      filters.forEach((f, s) => {
        expect(worst(wasm.conv2dBackpropInput(dy, f, g), cpuBackend.conv2dBackpropInput(dy, f, g)), `input gradient vs cpu, filter ${s}, ${threads} thread(s)`).toBeLessThan(1e-4);
      });
    }
  });

  it('give bit-identical results with 1 and 2 threads (both kernel builds)', () => {
    const cases: ConvSpec[] = [
      { batch: 4, inC: 16, outC: 32, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: true, h: 20, w: 20 },
      { batch: 1, inC: 3, outC: 17, kH: 4, kW: 4, sH: 2, sW: 2, dH: 1, dW: 1, same: true, h: 64, w: 48 },
      { batch: 3, inC: 8, outC: 8, kH: 3, kW: 2, sH: 1, sW: 3, dH: 2, dW: 1, same: false, h: 30, w: 30 },
    ];
    cases.forEach((c, i) => { checkThreads(convGeometry(c), 200 + i); });
  });

  it('agree with tf.conv2d and its tf.grads', () => {
    const cases: ConvSpec[] = [
      { batch: 2, inC: 3, outC: 5, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: true, h: 9, w: 7 },
      { batch: 1, inC: 7, outC: 4, kH: 4, kW: 2, sH: 2, sW: 3, dH: 1, dW: 1, same: true, h: 11, w: 13 },
      { batch: 2, inC: 5, outC: 6, kH: 3, kW: 3, sH: 2, sW: 2, dH: 1, dW: 1, same: false, h: 6, w: 5 },
      { batch: 1, inC: 1, outC: 3, kH: 1, kW: 5, sH: 1, sW: 1, dH: 1, dW: 1, same: false, h: 1, w: 20 },
    ];
    cases.forEach((c, ci) => {
      const g = convGeometry(c);
      const n = convSizes(g);
      const x = randArray(n.x, 300 + ci), w = randArray(n.w, 400 + ci), dy = randArray(n.y, 500 + ci);
      const [ty, tgx, tgw] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [g.batch, g.inH, g.inW, g.inC]);
        const wt = tf.tensor4d(w, [g.kH, g.kW, g.inC, g.outC]);
        const dyt = tf.tensor4d(dy, [g.batch, g.outH, g.outW, g.outC]);
        const conv = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D => tf.conv2d(a, b, [g.strideH, g.strideW], c.same ? 'same' : 'valid');
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a as tf.Tensor4D, b as tf.Tensor4D).mul(dyt).sum())([xt, wt]);
        return [conv(xt, wt).dataSync(), gx!.dataSync(), gw!.dataSync()];
      });
      const close = (what: string, got: Float32Array, want: ArrayLike<number>, terms: number): void => {
        expect(got.length, what).toBe(want.length);
        for (let i = 0; i < got.length; i++) {
          if (!(Math.abs(got[i]! - want[i]!) <= 1e-6 * terms + 1e-6)) expect.fail(`${what}[${i}] = ${got[i]}, tfjs ${want[i]}`);
        }
      };
      close('y', wasm.conv2d(x, w, g), ty!, g.kH * g.kW * g.inC);
      close('dx', wasm.conv2dBackpropInput(dy, w, g), tgx!, g.kH * g.kW * g.outC);
      close('dw', wasm.conv2dBackpropFilter(x, dy, g), tgw!, g.batch * g.outH * g.outW);
    });
  });
});

// ---- pooling ----------------------------------------------------------------------------------

interface PoolSpec { batch: number; C: number; kH: number; kW: number; sH: number; sW: number; same: boolean; h: number; w: number }

function poolGeometry(p: PoolSpec): Pool2dGeometry {
  const inH = p.same ? p.h : p.kH + p.h - 1, inW = p.same ? p.w : p.kW + p.w - 1;
  const ah = axis(inH, p.kH, p.sH, 1, p.same), aw = axis(inW, p.kW, p.sW, 1, p.same);
  return {
    batch: p.batch, inH, inW, channels: p.C, kH: p.kH, kW: p.kW, outH: ah.out, outW: aw.out,
    strideH: p.sH, strideW: p.sW, padTop: ah.pad, padLeft: aw.pad,
  };
}

const poolSpecArb: fc.Arbitrary<PoolSpec> = fc.record({
  // 16- and 8-channel blocks with and without 4-lane and partial tails
  batch: fc.integer({ min: 1, max: 3 }), C: fc.oneof(odd, fc.integer({ min: 1, max: 17 }), fc.constantFrom(16, 24, 32, 35, 36)),
  kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }),
  sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }),
  same: fc.boolean(), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
});

/** all four pooling kernels bit for bit against the cpu ones, inputs untouched */
function checkPool(g: Pool2dGeometry, seed: number, special: boolean): void {
  const nIn = g.batch * g.inH * g.inW * g.channels, nOut = g.batch * g.outH * g.outW * g.channels;
  const x = randLevels(nIn, seed, 5);
  if (special) {
    // NaN in some cells (first valid cell propagates, later ones never win), ±∞, -0
    for (let i = 0; i < nIn; i += 7) x[i] = NaN;
    for (let i = 3; i < nIn; i += 11) x[i] = -Infinity;
    for (let i = 5; i < nIn; i += 13) x[i] = -0;
  }
  const dy = randArray(nOut, seed + 1);
  const xc = x.slice(), dyc = dy.slice();
  const at = JSON.stringify(g);
  expectBits(wasm.maxPool2d(x, g), cpuBackend.maxPool2d(x, g), `maxPool y ${at}`);
  const am = cpuBackend.maxPool2dArgmax(x, g);
  expectBits(wasm.maxPool2dArgmax(x, g), am, `maxPool argmax ${at}`);
  const amc = am.slice();
  expectBits(wasm.maxPool2dBackprop(dy, am, g), cpuBackend.maxPool2dBackprop(dy, am, g), `maxPool backprop ${at}`);
  expectBits(wasm.avgPool2d(x, g), cpuBackend.avgPool2d(x, g), `avgPool ${at}`);
  expectBits(wasm.avgPool2dBackprop(dy, g), cpuBackend.avgPool2dBackprop(dy, g), `avgPool backprop ${at}`);
  expectBits(x, xc, 'x unchanged');
  expectBits(dy, dyc, 'dy unchanged');
  expectBits(am, amc, 'argmax unchanged');
}

describe('wasm max / avg pooling and their gradients', () => {
  it('match the cpu kernels bit for bit on random geometries (ties, NaN, ±∞, -0)', () => {
    fc.assert(fc.property(poolSpecArb, fc.integer({ min: 0, max: 1 << 20 }), fc.boolean(), (spec, seed, special) => {
      checkPool(poolGeometry(spec), seed, special);
    }), { seed: SEED, numRuns: 200 });
  });

  it('match on large inputs and give bit-identical results with 1 and 2 threads', () => {
    const specs: PoolSpec[] = [
      { batch: 8, C: 64, kH: 2, kW: 2, sH: 2, sW: 2, same: false, h: 13, w: 13 },
      { batch: 3, C: 7, kH: 3, kW: 3, sH: 1, sW: 2, same: true, h: 40, w: 37 },
      { batch: 2, C: 13, kH: 4, kW: 1, sH: 3, sW: 1, same: true, h: 50, w: 9 },
      // several streamed bands, overlapping windows and padding across band and image edges
      { batch: 3, C: 5, kH: 3, kW: 3, sH: 1, sW: 1, same: true, h: 100, w: 130 },
      // input rows longer than a band: one output row per band
      { batch: 1, C: 33, kH: 3, kW: 2, sH: 2, sW: 2, same: true, h: 5, w: 2100 },
    ];
    specs.forEach((s, si) => {
      const g = poolGeometry(s);
      checkPool(g, 600 + si, false);
      checkPool(g, 650 + si, true);
      const nIn = g.batch * g.inH * g.inW * g.channels, nOut = g.batch * g.outH * g.outW * g.channels;
      const x = randLevels(nIn, 700 + si, 9), dy = randArray(nOut, 800 + si);
      const run = (t: number): (Float32Array | Int32Array)[] => {
        setThreads(t);
        const am = wasm.maxPool2dArgmax(x, g);
        return [wasm.maxPool2d(x, g), am, wasm.maxPool2dBackprop(dy, am, g), wasm.avgPool2d(x, g), wasm.avgPool2dBackprop(dy, g)];
      };
      const one = run(1), two = run(2);
      one.forEach((r, i) => { expectBits(two[i]!, r, `pool kernel ${i} threads 2 vs 1 ${JSON.stringify(g)}`); });
    });
  });

  it('agree with tf.maxPool and tf.avgPool', () => {
    const specs: PoolSpec[] = [
      { batch: 2, C: 3, kH: 2, kW: 2, sH: 2, sW: 2, same: false, h: 5, w: 6 },
      { batch: 1, C: 5, kH: 3, kW: 3, sH: 2, sW: 1, same: true, h: 7, w: 8 },
      { batch: 2, C: 8, kH: 3, kW: 2, sH: 3, sW: 2, same: true, h: 10, w: 5 },
    ];
    specs.forEach((s, si) => {
      const g = poolGeometry(s);
      const x = randArray(g.batch * g.inH * g.inW * g.channels, 900 + si);
      const pad = s.same ? 'same' : 'valid';
      const [tmax, tavg] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [g.batch, g.inH, g.inW, g.channels]);
        return [tf.maxPool(xt, [g.kH, g.kW], [g.strideH, g.strideW], pad).dataSync(),
          tf.avgPool(xt, [g.kH, g.kW], [g.strideH, g.strideW], pad).dataSync()];
      });
      const ym = wasm.maxPool2d(x, g), ya = wasm.avgPool2d(x, g);
      expect(Array.from(ym)).toEqual(Array.from(tmax!));
      expect(ya.length).toBe(tavg!.length);
      ya.forEach((v, i) => { expect(Math.abs(v - tavg![i]!)).toBeLessThanOrEqual(1e-6); });
    });
  });
});
