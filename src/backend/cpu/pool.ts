/**
 * 2-D max / average pooling, NHWC. Windows are clipped to the input, so padded cells
 * never take part: they never win a max and are not counted in an average (Keras / tfjs
 * 'same'). Loops run window cell outer, channel inner, so every inner loop is contiguous.
 */
import type { F32, I32, Pool2dGeometry } from '../backend';

/** window bounds clipped to the input: [hs, he) x [ws, we) */
function clipWindow(g: Pool2dGeometry, oh: number, ow: number): [number, number, number, number] {
  const h0 = oh * g.strideH - g.padTop, w0 = ow * g.strideW - g.padLeft;
  return [Math.max(0, h0), Math.min(g.inH, h0 + g.kH), Math.max(0, w0), Math.min(g.inW, w0 + g.kW)];
}

/**
 * y = max over the window. The first valid cell initializes, later cells win only with a
 * strict > : a NaN in the first valid cell propagates, later NaNs never win, and of +0 / -0
 * the first one stays. A window with no valid cell (impossible for valid / same geometry)
 * gives -Infinity.
 */
export function maxPool2d(x: F32, g: Pool2dGeometry): F32 {
  const { batch, inH, inW, channels: C, outH, outW } = g;
  const y = new Float32Array(batch * outH * outW * C);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const [hs, he, ws, we] = clipWindow(g, oh, ow);
        const o = ((b * outH + oh) * outW + ow) * C;
        if (hs >= he || ws >= we) {
          y.fill(-Infinity, o, o + C);
          continue;
        }
        const s0 = ((b * inH + hs) * inW + ws) * C;
        for (let c = 0; c < C; c++) y[o + c] = x[s0 + c]!;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ih === hs ? ws + 1 : ws; iw < we; iw++) {
            const s = ((b * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[s + c]!;
              if (v > y[o + c]!) y[o + c] = v;
            }
          }
        }
      }
    }
  }
  return y;
}

/**
 * The flat index into x of each window's winner under maxPool2d's rule: the first maximum in
 * row-major window order (NaN only if it is the first valid cell); -1 for a window with no
 * valid cell, which the backprop skips. Only the derivatives need it.
 */
export function maxPool2dArgmax(x: F32, g: Pool2dGeometry): I32 {
  const { batch, inH, inW, channels: C, outH, outW } = g;
  const argmax = new Int32Array(batch * outH * outW * C);
  const best = new Float32Array(C);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const [hs, he, ws, we] = clipWindow(g, oh, ow);
        const o = ((b * outH + oh) * outW + ow) * C;
        if (hs >= he || ws >= we) {
          argmax.fill(-1, o, o + C);
          continue;
        }
        const s0 = ((b * inH + hs) * inW + ws) * C;
        for (let c = 0; c < C; c++) { best[c] = x[s0 + c]!; argmax[o + c] = s0 + c; }
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ih === hs ? ws + 1 : ws; iw < we; iw++) {
            const s = ((b * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[s + c]!;
              if (v > best[c]!) { best[c] = v; argmax[o + c] = s + c; }
            }
          }
        }
      }
    }
  }
  return argmax;
}

/** dx[argmax[o]] += dy[o] */
export function maxPool2dBackprop(dy: F32, argmax: I32, g: Pool2dGeometry): F32 {
  const dx = new Float32Array(g.batch * g.inH * g.inW * g.channels);
  const n = dy.length;
  for (let o = 0; o < n; o++) {
    const i = argmax[o]!;
    if (i >= 0) dx[i] = dx[i]! + dy[o]!;
  }
  return dx;
}

/** y = mean over the valid cells of the window (0 if there are none) */
export function avgPool2d(x: F32, g: Pool2dGeometry): F32 {
  const { batch, inH, inW, channels: C, kH, kW, outH, outW, strideH, strideW, padTop, padLeft } = g;
  const y = new Float32Array(batch * outH * outW * C);
  const acc = new Float64Array(C);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padTop;
      const hs = Math.max(0, h0), he = Math.min(inH, h0 + kH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - padLeft;
        const ws = Math.max(0, w0), we = Math.min(inW, w0 + kW);
        const count = Math.max(0, he - hs) * Math.max(0, we - ws);
        if (count === 0) continue;
        acc.fill(0);
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) {
            const s = ((b * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) acc[c] = acc[c]! + x[s + c]!;
          }
        }
        const o = ((b * outH + oh) * outW + ow) * C;
        for (let c = 0; c < C; c++) y[o + c] = acc[c]! / count;
      }
    }
  }
  return y;
}

/** every valid cell of a window receives dy / (number of valid cells) */
export function avgPool2dBackprop(dy: F32, g: Pool2dGeometry): F32 {
  const { batch, inH, inW, channels: C, kH, kW, outH, outW, strideH, strideW, padTop, padLeft } = g;
  const dx = new Float32Array(batch * inH * inW * C);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padTop;
      const hs = Math.max(0, h0), he = Math.min(inH, h0 + kH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - padLeft;
        const ws = Math.max(0, w0), we = Math.min(inW, w0 + kW);
        const count = Math.max(0, he - hs) * Math.max(0, we - ws);
        if (count === 0) continue;
        const o = ((b * outH + oh) * outW + ow) * C;
        const inv = 1 / count;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) {
            const s = ((b * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) dx[s + c] = dx[s + c]! + dy[o + c]! * inv;
          }
        }
      }
    }
  }
  return dx;
}
