/**
 * 2-D convolution, NHWC input, [kH, kW, inC, outC] filter, as GEMMs on the packed kernel.
 *
 * Forward and filter gradient are *implicit* im2col GEMMs: the packing step of the GEMM
 * reads the conv input through the geometry (zeros in the padding), so the im2col matrix
 * is never materialized. The input gradient is dy · filterᵀ into a cache-sized column
 * buffer, scattered back (col2im) chunk by chunk. 1x1 / stride-1 / unpadded convolutions
 * are plain GEMMs on the input itself.
 */
import type { Conv2dGeometry, F32 } from '../backend';
import { A_IM2COL, A_IM2COL_T, denseA, fitsOneBlock, gemmPacked } from './gemm';
import type { ASource } from './gemm';

/** column-buffer budget for the input gradient, in floats (1 MB: stays in L2) */
const COL_CHUNK = 1 << 18;

/** a 1x1 convolution that visits every input pixel once, in order: x is already [pixels, inC] */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

function im2colSource(kind: number, x: F32, g: Conv2dGeometry): ASource {
  return { kind, data: x, off: 0, rs: 0, cs: 0, g };
}

/** y[b, oh, ow, co] = sum_{kh, kw, ci} x[b, oh*sH - padTop + kh*dH, ow*sW - padLeft + kw*dW, ci] * f[kh, kw, ci, co] */
export function conv2d(x: F32, filter: F32, g: Conv2dGeometry): F32 {
  const pixels = g.batch * g.outH * g.outW;
  const taps = g.kH * g.kW * g.inC;
  const y = new Float32Array(pixels * g.outC);
  if (pixels === 0 || g.outC === 0 || taps === 0) return y;
  const a = isPointwise(g) ? denseA(x, 0, g.inC, 1) : im2colSource(A_IM2COL, x, g);
  gemmPacked(a, filter, 0, g.outC, 1, y, 0, g.outC, pixels, taps, g.outC, false, false);
  return y;
}

/** dFilter[kh, kw, ci, co] = sum over output pixels of x(tap) * dy: im2col(x)ᵀ · dy */
export function conv2dBackpropFilter(x: F32, dy: F32, g: Conv2dGeometry): F32 {
  const pixels = g.batch * g.outH * g.outW;
  const taps = g.kH * g.kW * g.inC;
  const df = new Float32Array(taps * g.outC);
  if (pixels === 0 || g.outC === 0 || taps === 0) return df;
  const a = isPointwise(g) ? denseA(x, 0, 1, g.inC) : im2colSource(A_IM2COL_T, x, g);
  gemmPacked(a, dy, 0, g.outC, 1, df, 0, g.outC, taps, pixels, g.outC, false, false);
  return df;
}

/** dx = col2im(dy · filterᵀ): every tap of every output pixel sends its gradient back to its input cell */
export function conv2dBackpropInput(dy: F32, filter: F32, g: Conv2dGeometry): F32 {
  const { batch, inH, inW, inC, kH, kW, outC, outH, outW } = g;
  const pixels = batch * outH * outW;
  const taps = kH * kW * inC;
  const dx = new Float32Array(batch * inH * inW * inC);
  if (pixels === 0 || outC === 0 || taps === 0) return dx;
  // filterᵀ as the B operand: B[co, t] = filter[t * outC + co]
  if (isPointwise(g)) {
    gemmPacked(denseA(dy, 0, outC, 1), filter, 0, 1, outC, dx, 0, inC, pixels, outC, inC, false, false);
    return dx;
  }
  const rows = Math.max(1, Math.min(pixels, Math.floor(COL_CHUNK / taps)));
  const col = new Float32Array(rows * taps);
  const a = denseA(dy, 0, outC, 1);
  const { strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const outHW = outH * outW;
  for (let r0 = 0; r0 < pixels; r0 += rows) {
    const nRows = Math.min(rows, pixels - r0);
    if (r0 > 0) col.fill(0, 0, nRows * taps);
    a.off = r0 * outC;
    // filterᵀ fits one packed block when outC <= KC and taps <= NC: pack it once for all chunks
    gemmPacked(a, filter, 0, 1, outC, col, 0, taps, nRows, outC, taps, false, r0 > 0 && fitsOneBlock(taps, outC, 'B'));
    // col2im for this chunk
    for (let r = 0; r < nRows; r++) {
      const pix = r0 + r;
      const b = Math.floor(pix / outHW);
      const rem = pix - b * outHW;
      const oh = Math.floor(rem / outW);
      const ow = rem - oh * outW;
      const ihBase = oh * strideH - padTop;
      const iwBase = ow * strideW - padLeft;
      let src = r * taps;
      for (let kh = 0; kh < kH; kh++) {
        const ih = ihBase + kh * dilationH;
        if (ih < 0 || ih >= inH) { src += kW * inC; continue; }
        const rowBase = (b * inH + ih) * inW;
        for (let kw = 0; kw < kW; kw++) {
          const iw = iwBase + kw * dilationW;
          if (iw >= 0 && iw < inW) {
            const dst = (rowBase + iw) * inC;
            for (let c = 0; c < inC; c++) dx[dst + c] = dx[dst + c]! + col[src + c]!;
          }
          src += inC;
        }
      }
    }
  }
  return dx;
}
