/**
 * CPU conv2d (forward, input and filter gradients) and max / avg pooling against
 * brute-force float64 references, the adjoint (dot-product) identities, and tfjs-cpu
 * (tf.conv2d / tf.maxPool / tf.avgPool / tf.grads) on small shapes. Random geometries:
 * 1-sized dims, stride 1-3, dilation 1-3, 'valid' and TF-style 'same' padding with odd and
 * even kernels; fixed cases cover the GEMM blocking (taps > KC, pixels > MC, odd tails),
 * the chunked col2im and the 1x1 fast path.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dGeometry, Pool2dGeometry } from '../src/backend/backend';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from '../src/backend/cpu/conv';
import { avgPool2d, avgPool2dBackprop, maxPool2d, maxPool2dArgmax, maxPool2dBackprop } from '../src/backend/cpu/pool';
import { randArray } from './helpers/rand';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SEED = 42;

/** small integers in [0, levels): many ties */
function randLevels(n: number, seed: number, levels: number): Float32Array {
  const a = randArray(n, seed);
  for (let i = 0; i < n; i++) a[i] = Math.floor((a[i]! + 1) / 2 * levels) - Math.floor(levels / 2);
  return a;
}

// ---- geometry -------------------------------------------------------------------------------

/** output size and leading pad along one axis, TF rules */
function axis(inSize: number, k: number, s: number, d: number, same: boolean): { out: number; pad: number } {
  const span = d * (k - 1) + 1;
  if (!same) return { out: Math.floor((inSize - span) / s) + 1, pad: 0 };
  const out = Math.ceil(inSize / s);
  const total = Math.max(0, (out - 1) * s + span - inSize);
  return { out, pad: Math.floor(total / 2) };
}

interface ConvSpec {
  batch: number; inC: number; outC: number; kH: number; kW: number;
  sH: number; sW: number; dH: number; dW: number; same: boolean;
  /** input extent beyond the minimum one (valid) or the input size itself (same) */
  h: number; w: number;
}

function convGeometry(c: ConvSpec): Conv2dGeometry {
  const inH = c.same ? c.h : c.dH * (c.kH - 1) + 1 + c.h - 1;
  const inW = c.same ? c.w : c.dW * (c.kW - 1) + 1 + c.w - 1;
  const ah = axis(inH, c.kH, c.sH, c.dH, c.same), aw = axis(inW, c.kW, c.sW, c.dW, c.same);
  return {
    batch: c.batch, inH, inW, inC: c.inC, kH: c.kH, kW: c.kW, outC: c.outC, outH: ah.out, outW: aw.out,
    strideH: c.sH, strideW: c.sW, dilationH: c.dH, dilationW: c.dW, padTop: ah.pad, padLeft: aw.pad,
  };
}

const convSpecArb = (opts: { tfCompatible: boolean }): fc.Arbitrary<ConvSpec> =>
  fc.record({
    batch: fc.integer({ min: 1, max: 2 }), inC: fc.integer({ min: 1, max: 5 }), outC: fc.integer({ min: 1, max: 5 }),
    kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }),
    sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }),
    dH: fc.integer({ min: 1, max: 3 }), dW: fc.integer({ min: 1, max: 3 }),
    same: fc.boolean(), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
  }).map((c) => (opts.tfCompatible && (c.sH > 1 || c.sW > 1) ? { ...c, dH: 1, dW: 1 } : c)); // tfjs: strides or dilations must be 1

// ---- float64 references ----------------------------------------------------------------------

/** every (output, input, filter) index triple of the convolution */
function forEachTap(g: Conv2dGeometry, f: (o: number, xi: number, wi: number) => void): void {
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= g.inW) continue;
            for (let ci = 0; ci < g.inC; ci++) {
              for (let co = 0; co < g.outC; co++) {
                f(((b * g.outH + oh) * g.outW + ow) * g.outC + co, ((b * g.inH + ih) * g.inW + iw) * g.inC + ci, ((kh * g.kW + kw) * g.inC + ci) * g.outC + co);
              }
            }
          }
        }
      }
    }
  }
}

const sizes = (g: Conv2dGeometry): { x: number; w: number; y: number } => ({
  x: g.batch * g.inH * g.inW * g.inC, w: g.kH * g.kW * g.inC * g.outC, y: g.batch * g.outH * g.outW * g.outC,
});

/** value and sum of |terms| of y, dx and dW, all in float64 */
function references(g: Conv2dGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const n = sizes(g);
  const y = new Float64Array(n.y), yAbs = new Float64Array(n.y);
  const dx = new Float64Array(n.x), dxAbs = new Float64Array(n.x);
  const dw = new Float64Array(n.w), dwAbs = new Float64Array(n.w);
  forEachTap(g, (o, xi, wi) => {
    const t = x[xi]! * w[wi]!;
    y[o] = y[o]! + t; yAbs[o] = yAbs[o]! + Math.abs(t);
    const u = dy[o]! * w[wi]!;
    dx[xi] = dx[xi]! + u; dxAbs[xi] = dxAbs[xi]! + Math.abs(u);
    const v = dy[o]! * x[xi]!;
    dw[wi] = dw[wi]! + v; dwAbs[wi] = dwAbs[wi]! + Math.abs(v);
  });
  return { y, yAbs, dx, dxAbs, dw, dwAbs };
}

function expectWithin(what: string, got: Float32Array, want: Float64Array, abs: Float64Array, rel = 1e-5): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= rel * abs[i]! + 1e-30)) {
      expect.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (scale ${abs[i]})`);
    }
  }
}

function sameBits(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** all three conv kernels against the references, plus both adjoint identities */
function checkConv(g: Conv2dGeometry, seed: number): void {
  const n = sizes(g);
  const x = randArray(n.x, seed), w = randArray(n.w, seed + 1), dy = randArray(n.y, seed + 2);
  const copies = [x.slice(), w.slice(), dy.slice()];
  const ref = references(g, x, w, dy);
  const y = conv2d(x, w, g);
  const dx = conv2dBackpropInput(dy, w, g);
  const dw = conv2dBackpropFilter(x, dy, g);
  expect(copies.every((cp, i) => sameBits(cp, [x, w, dy][i]!)), 'inputs unchanged').toBe(true);
  const tag = JSON.stringify(g);
  expectWithin(`conv2d ${tag}`, y, ref.y, ref.yAbs);
  expectWithin(`backpropInput ${tag}`, dx, ref.dx, ref.dxAbs);
  expectWithin(`backpropFilter ${tag}`, dw, ref.dw, ref.dwAbs);
  // <conv(x, w), dy> = <x, dx(dy)> = <w, dw(x, dy)>, up to the rounding of the three kernels
  const scale = dot(ref.yAbs, dy.map(Math.abs)) + 1e-30;
  const lhs = dot(y, dy);
  expect(Math.abs(lhs - dot(x, dx))).toBeLessThanOrEqual(3e-5 * scale);
  expect(Math.abs(lhs - dot(w, dw))).toBeLessThanOrEqual(3e-5 * scale);
}

// ---- conv -------------------------------------------------------------------------------------

describe('conv2d kernels (cpu, NHWC)', () => {
  it('match float64 references and the adjoint identities on random geometries', () => {
    fc.assert(fc.property(convSpecArb({ tfCompatible: false }), fc.integer({ min: 0, max: 1 << 20 }), (spec, seed) => {
      checkConv(convGeometry(spec), seed);
    }), { seed: SEED, numRuns: 300 });
  });

  it('cover GEMM blocking, odd tails, chunked col2im and the 1x1 path', () => {
    const cases: ConvSpec[] = [
      // 288 taps > KC, 2*10*10 = 200 pixels > MC, outC = 5 is a partial micro-tile
      { batch: 2, inC: 32, outC: 5, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: true, h: 10, w: 10 },
      // 135 taps: filter-gradient rows split 128 + 7 (odd tail row)
      { batch: 1, inC: 15, outC: 3, kH: 3, kW: 3, sH: 2, sW: 1, dH: 1, dW: 2, same: false, h: 6, w: 5 },
      // 4*16*16 pixels * 288 taps > one col2im chunk
      { batch: 4, inC: 32, outC: 3, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: true, h: 16, w: 16 },
      // 1x1 stride 1 unpadded: plain GEMMs on x itself
      { batch: 2, inC: 7, outC: 9, kH: 1, kW: 1, sH: 1, sW: 1, dH: 1, dW: 1, same: false, h: 5, w: 6 },
      // 1x1 with stride: goes through im2col
      { batch: 2, inC: 6, outC: 5, kH: 1, kW: 1, sH: 2, sW: 3, dH: 1, dW: 1, same: true, h: 7, w: 8 },
      // even kernels with 'same' padding (more padding after than before)
      { batch: 1, inC: 3, outC: 4, kH: 2, kW: 4, sH: 1, sW: 2, dH: 2, dW: 1, same: true, h: 5, w: 9 },
      // 1x1 images, kernel larger than the input under 'same'
      { batch: 3, inC: 2, outC: 2, kH: 3, kW: 3, sH: 1, sW: 1, dH: 1, dW: 1, same: true, h: 1, w: 1 },
    ];
    cases.forEach((c, i) => { checkConv(convGeometry(c), 100 + i); });
  });

  it('agree with tf.conv2d and its tf.grads on small shapes', () => {
    fc.assert(fc.property(convSpecArb({ tfCompatible: true }), fc.integer({ min: 0, max: 1 << 20 }), (spec, seed) => {
      const g = convGeometry(spec);
      const n = sizes(g);
      const x = randArray(n.x, seed), w = randArray(n.w, seed + 1), dy = randArray(n.y, seed + 2);
      // tfjs has no conv2d gradients for dilation > 1: those cases check the forward pass only
      const withGrads = g.dilationH === 1 && g.dilationW === 1;
      const [ty, tgx, tgw] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [g.batch, g.inH, g.inW, g.inC]);
        const wt = tf.tensor4d(w, [g.kH, g.kW, g.inC, g.outC]);
        const dyt = tf.tensor4d(dy, [g.batch, g.outH, g.outW, g.outC]);
        const conv = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D =>
          tf.conv2d(a, b, [g.strideH, g.strideW], spec.same ? 'same' : 'valid', 'NHWC', [g.dilationH, g.dilationW]);
        if (!withGrads) return [conv(xt, wt).dataSync()];
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a as tf.Tensor4D, b as tf.Tensor4D).mul(dyt).sum())([xt, wt]);
        return [conv(xt, wt).dataSync(), gx!.dataSync(), gw!.dataSync()];
      });
      const close = (what: string, got: Float32Array, want: ArrayLike<number>, terms: number): void => {
        expect(got.length, what).toBe(want.length);
        for (let i = 0; i < got.length; i++) {
          if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 * terms + 1e-6)) expect.fail(`${what}[${i}] = ${got[i]}, tfjs ${want[i]} (${JSON.stringify(g)})`);
        }
      };
      close('y', conv2d(x, w, g), ty!, g.kH * g.kW * g.inC);
      if (withGrads) {
        close('dx', conv2dBackpropInput(dy, w, g), tgx!, g.kH * g.kW * g.outC);
        close('dw', conv2dBackpropFilter(x, dy, g), tgw!, g.batch * g.outH * g.outW);
      }
    }), { seed: SEED, numRuns: 60 });
  });
});

// ---- pooling -----------------------------------------------------------------------------------

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
  batch: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 4 }),
  kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }),
  sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }),
  same: fc.boolean(), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
});

/** input flat indices of the valid cells of each output's window, in row-major window order */
function windows(g: Pool2dGeometry): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let c = 0; c < g.channels; c++) {
          const cells: number[] = [];
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH - g.padTop + kh;
            if (ih < 0 || ih >= g.inH) continue;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW - g.padLeft + kw;
              if (iw >= 0 && iw < g.inW) cells.push(((b * g.inH + ih) * g.inW + iw) * g.channels + c);
            }
          }
          out.push(cells);
        }
      }
    }
  }
  return out;
}

function checkPools(g: Pool2dGeometry, x: Float32Array, dy: Float32Array): void {
  const copies = [x.slice(), dy.slice()];
  const win = windows(g);
  const y = maxPool2d(x, g), argmax = maxPool2dArgmax(x, g);
  const ya = avgPool2d(x, g);
  expect(y.length).toBe(win.length);
  expect(ya.length).toBe(win.length);
  const dxMax = new Float64Array(x.length), dxAvg = new Float64Array(x.length);
  const fail = (what: string): never => expect.fail(`${JSON.stringify(g)}: ${what}`);
  win.forEach((cells, o) => {
    // brute force: first strict maximum among the valid cells
    let best = cells[0]!;
    for (const i of cells) if (x[i]! > x[best]!) best = i;
    if (argmax[o] !== best || y[o] !== x[best]) fail(`max[${o}] = ${y[o]} at ${argmax[o]}, expected ${x[best]} at ${best}`);
    let s = 0;
    for (const i of cells) s += x[i]!;
    if (!(Math.abs(ya[o]! - s / cells.length) <= 1e-6 * (1 + Math.abs(s)))) fail(`avg[${o}] = ${ya[o]}, expected ${s / cells.length}`);
    dxMax[best] = dxMax[best]! + dy[o]!;
    for (const i of cells) dxAvg[i] = dxAvg[i]! + dy[o]! / cells.length;
  });
  const bMax = maxPool2dBackprop(dy, argmax, g), bAvg = avgPool2dBackprop(dy, g);
  expect(sameBits(x, copies[0]!) && sameBits(dy, copies[1]!), 'inputs unchanged').toBe(true);
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(bMax[i]! - dxMax[i]!) <= 1e-6 * (1 + Math.abs(dxMax[i]!)))) fail(`maxPool dx[${i}] = ${bMax[i]}, expected ${dxMax[i]}`);
    if (!(Math.abs(bAvg[i]! - dxAvg[i]!) <= 1e-6 * (1 + Math.abs(dxAvg[i]!)))) fail(`avgPool dx[${i}] = ${bAvg[i]}, expected ${dxAvg[i]}`);
  }
  // adjoint identities: max pool is a selection (exact), avg pool a linear map
  const absDy = dot(dy.map(Math.abs), ya.map(Math.abs)) + 1;
  expect(Math.abs(dot(y, dy) - dot(x, bMax))).toBeLessThanOrEqual(1e-5 * absDy * 4);
  expect(Math.abs(dot(ya, dy) - dot(x, bAvg))).toBeLessThanOrEqual(1e-5 * absDy * 4);
}

describe('pool kernels (cpu, NHWC)', () => {
  it('match brute force (padded cells never win / are not counted) and the adjoint identities', () => {
    fc.assert(fc.property(poolSpecArb, fc.integer({ min: 0, max: 1 << 20 }), (spec, seed) => {
      const g = poolGeometry(spec);
      // all-negative inputs: a padded zero would win if padding took part
      const x = randArray(g.batch * g.inH * g.inW * g.channels, seed).map((v) => v - 1.5);
      checkPools(g, x, randArray(g.batch * g.outH * g.outW * g.channels, seed + 1));
    }), { seed: SEED, numRuns: 300 });
  });

  it('resolve ties to the first cell in window order', () => {
    fc.assert(fc.property(poolSpecArb, fc.integer({ min: 0, max: 1 << 20 }), (spec, seed) => {
      const g = poolGeometry(spec);
      checkPools(g, randLevels(g.batch * g.inH * g.inW * g.channels, seed, 3), randArray(g.batch * g.outH * g.outW * g.channels, seed + 1));
    }), { seed: SEED, numRuns: 150 });
  });

  it('agree with tf.maxPool / tf.avgPool and their gradients', () => {
    fc.assert(fc.property(poolSpecArb, fc.integer({ min: 0, max: 1 << 20 }), (spec, seed) => {
      const g = poolGeometry(spec);
      const pad = spec.same ? 'same' : 'valid';
      const x = randArray(g.batch * g.inH * g.inW * g.channels, seed);
      const dy = randArray(g.batch * g.outH * g.outW * g.channels, seed + 1);
      const r = tf.tidy(() => {
        const xt = tf.tensor4d(x, [g.batch, g.inH, g.inW, g.channels]);
        const dyt = tf.tensor4d(dy, [g.batch, g.outH, g.outW, g.channels]);
        const mp = (a: tf.Tensor4D): tf.Tensor4D => tf.maxPool(a, [g.kH, g.kW], [g.strideH, g.strideW], pad);
        const ap = (a: tf.Tensor4D): tf.Tensor4D => tf.avgPool(a, [g.kH, g.kW], [g.strideH, g.strideW], pad);
        return {
          max: mp(xt).dataSync(), avg: ap(xt).dataSync(),
          dMax: tf.grad((a: tf.Tensor) => mp(a as tf.Tensor4D).mul(dyt).sum())(xt).dataSync(),
          dAvg: tf.grad((a: tf.Tensor) => ap(a as tf.Tensor4D).mul(dyt).sum())(xt).dataSync(),
        };
      });
      const close = (got: Float32Array, want: ArrayLike<number>): void => {
        expect(got.length).toBe(want.length);
        for (let i = 0; i < got.length; i++) {
          if (!(Math.abs(got[i]! - want[i]!) <= 1e-5)) expect.fail(`[${i}] = ${got[i]}, tfjs ${want[i]} (${JSON.stringify(g)})`);
        }
      };
      const y = maxPool2d(x, g), argmax = maxPool2dArgmax(x, g);
      close(y, r.max);
      close(avgPool2d(x, g), r.avg);
      close(maxPool2dBackprop(dy, argmax, g), r.dMax);
      // tfjs' avgPool gradient divides by the full window even where the forward pass
      // excluded padding, so it is the adjoint of its forward pass only for 'valid'
      if (!spec.same) close(avgPool2dBackprop(dy, g), r.dAvg);
    }), { seed: SEED, numRuns: 60 });
  });
});
