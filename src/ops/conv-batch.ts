/**
 * The batching rules of the convolutions that need more than folding the examples into N (the
 * rules sit beside the primitives in ./conv.ts): per-example filters and per-example filter
 * gradients. Both read each example's patches with ops (pad, one strided slice per kernel tap,
 * concat) and contract them in one batched GEMM over the examples: the same sums as the conv
 * kernels in another order, so equal to them within float32 rounding, not bit for bit.
 */
import { moveBatch } from './batch-rules';
import { concatRaw, padRaw, sliceRaw } from './layout';
import { matmulRaw } from './linalg';
import { reshapeRaw } from './reduce-core';
import { vjp } from '../autodiff/transforms';
import type { ConvParams } from '../shape/rules';
import { erase, type AnyTensor, dimsOf } from '../tensor/untyped';
import { makeTensor } from '../tensor/tensor';
import type { BatchDim } from '../autodiff/core';

const sizeAt = (a: AnyTensor, da: BatchDim, b: AnyTensor, db: BatchDim) => (da === null ? dimsOf(b)[db!]! : dimsOf(a)[da]!);

/**
 * The patches of xb ([B, N, H, W, C], examples in front) under a kh×kw filter with output
 * oh×ow: [B, N·oh·ow, kh·kw·C], each patch laid out in the filter's [kH, kW, inC] order.
 */
function patches(xb: AnyTensor, p: ConvParams, kh: number, kw: number, oh: number, ow: number): AnyTensor {
  const [size, n, , , c] = dimsOf(xb) as [number, number, number, number, number];
  const xp = padRaw(xb, [0, 0, p.pads[0], p.pads[2], 0], [0, 0, p.pads[1], p.pads[3], 0], 0);
  const taps: AnyTensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(sliceRaw(xp, [0, 0, i * p.dilation[0], j * p.dilation[1], 0], [size, n, oh, ow, c], [1, 1, p.strides[0], p.strides[1], 1]));
    }
  }
  return reshapeRaw(concatRaw(taps, 4), [size, n * oh * ow, kh * kw * c]);
}

/** dW_b = Σ over positions of x_b's patches ⊗ dy_b, for every example b at once: [B, kH, kW, inC, outC]. */
export function batchedFilterGradient(x: AnyTensor, dx: BatchDim, dy: AnyTensor, ddy: BatchDim, p: ConvParams & { readonly filterShape: readonly number[] }): AnyTensor {
  const size = sizeAt(x, dx, dy, ddy);
  const yb = moveBatch(dy, ddy, 0, size);
  const [, n, oh, ow, oc] = dimsOf(yb) as [number, number, number, number, number];
  const [kh, kw, c] = p.filterShape as [number, number, number, number];
  const g = matmulRaw(patches(moveBatch(x, dx, 0, size), p, kh, kw, oh, ow), reshapeRaw(yb, [size, n * oh * ow, oc]), true, false);
  return reshapeRaw(g, [size, kh, kw, c, oc]);
}

/** conv2d with a filter per example: y_b = x_b's patches · w_b, [B, N, oh, ow, outC]; `out` is one example's output shape. */
export function batchedFilterConv(x: AnyTensor, dx: BatchDim, w: AnyTensor, dw: BatchDim, p: ConvParams, out: readonly number[]): AnyTensor {
  const size = sizeAt(x, dx, w, dw);
  const wb = moveBatch(w, dw, 0, size);
  const [, kh, kw, c, oc] = dimsOf(wb) as [number, number, number, number, number];
  const [n, oh, ow] = out as [number, number, number, number];
  const y = matmulRaw(patches(moveBatch(x, dx, 0, size), p, kh, kw, oh, ow), reshapeRaw(wb, [size, kh * kw * c, oc]));
  return reshapeRaw(y, [size, n, oh, ow, oc]);
}

/**
 * conv2dBackpropInput with a filter per example: the transpose of x ↦ batchedFilterConv(x, w),
 * taken as its vjp (it is linear in x, so the point it is taken at does not matter).
 */
export function batchedFilterInputGradient(dy: AnyTensor, ddy: BatchDim, w: AnyTensor, dw: BatchDim, p: ConvParams & { readonly inShape: readonly number[] }): AnyTensor {
  const size = sizeAt(dy, ddy, w, dw);
  const yb = moveBatch(dy, ddy, 0, size);
  const wb = moveBatch(w, dw, 0, size);
  const inShape = [size, ...p.inShape];
  const zeros = erase(makeTensor(inShape, 'float32', new Float32Array(inShape.reduce((a, b) => a * b, 1))));
  const [, pull] = vjp((x: AnyTensor) => batchedFilterConv(x, 0, wb, 0, p, dimsOf(yb).slice(1)), zeros);
  return pull(yb)[0];
}
