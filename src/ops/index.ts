/** Every op: element-wise, reductions, activations, linear algebra, layout, conv/pool, attention, normalisation. */
export * from './elementwise';
export { sum, reshape, broadcastTo } from './reduce-core';
export { mean, max, min, prod, variance, norm, argmax, argmin } from './reduce';
export { sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus, softmax, logSoftmax, logSumExp } from './activations';
export { matmul, dot, outer, transpose, type MatmulOptions } from './linalg';
export {
  flatten,
  squeeze,
  unsqueeze,
  expandDims,
  splitDim,
  mergeDims,
  concat,
  stack,
  unstack,
  split,
  slice,
  stridedSlice,
  pad,
  tile,
  repeat,
} from './layout';
export { gather, take, oneHot } from './indexing';
export {
  conv2d,
  conv1d,
  maxPool2d,
  avgPool2d,
  maxPool1d,
  avgPool1d,
  globalMaxPool2d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalAvgPool1d,
} from './conv';
export { causalMask, paddingMask, scaledDotProductAttention } from './attention';
export { layerNorm, batchNorm, dropout } from './norm';
export { vmap, type VmapOptions, type Vmapped, type Batched, type AxisSpec } from './vmap';
