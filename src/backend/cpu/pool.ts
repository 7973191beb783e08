/**
 * 2-D max / average pooling, NHWC. Windows are clipped to the input, so padded cells
 * never take part: they never win a max and are not counted in an average (Keras / tfjs
 * 'same'). Loops run window cell outer, channel inner, so every inner loop is contiguous.
 */
import type { F32, I32, Pool2dGeometry } from '../backend';

/**
 * y = max over the window; argmax = flat index into x of the winner (the first one, in
 * row-major window order, on ties). A NaN in the first valid cell propagates; later NaNs
 * never win (`>` is false). A window with no valid cell (impossible for valid / same
 * geometry) gives -Infinity and argmax -1, which the backprop skips.
 */
export function maxPool2d(x: F32, g: Pool2dGeometry): { y: F32; argmax: I32 } {
  const { batch, inH, inW, channels: C, kH, kW, outH, outW, strideH, strideW, padTop, padLeft } = g;
  const y = new Float32Array(batch * outH * outW * C);
  const argmax = new Int32Array(y.length);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padTop;
      const hs = Math.max(0, h0), he = Math.min(inH, h0 + kH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - padLeft;
        const ws = Math.max(0, w0), we = Math.min(inW, w0 + kW);
        const o = ((b * outH + oh) * outW + ow) * C;
        if (hs >= he || ws >= we) {
          for (let c = 0; c < C; c++) { y[o + c] = -Infinity; argmax[o + c] = -1; }
          continue;
        }
        // the first valid cell initializes, the others compete with a strict >
        let first = true;
        for (let ih = hs; ih < he; ih++) {
          for (let iw = ws; iw < we; iw++) {
            const s = ((b * inH + ih) * inW + iw) * C;
            if (first) {
              for (let c = 0; c < C; c++) { y[o + c] = x[s + c]!; argmax[o + c] = s + c; }
              first = false;
              continue;
            }
            for (let c = 0; c < C; c++) {
              const v = x[s + c]!;
              if (v > y[o + c]!) { y[o + c] = v; argmax[o + c] = s + c; }
            }
          }
        }
      }
    }
  }
  return { y, argmax };
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
