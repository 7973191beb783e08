/** Every op: element-wise, reductions, activations, linear algebra, layout, conv/pool, attention, normalisation. */
export * from './elementwise';
export { sum, reshape, broadcastTo } from './reduce-core';
export { mean, max, min, prod, variance, norm, argmax, argmin, type AxesArg, type ReduceOut, type ArgOut } from './reduce';
export { sigmoid, tanh, relu, leakyRelu, elu, gelu, softplus, softmax, logSoftmax, logSumExp } from './activations';
export { matmul, dot, outer, transpose, type MatmulOptions } from './linalg';
export { einsum, rearrange } from './einsum';
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
  type AxisMsg,
  type StrideMsg,
  type EndMsg,
  type ShapeOfT,
  type DTypeOfT,
  type ShapesOf,
  type FirstDType,
  type ListDtypeRule,
  type ListRule,
  type ConcatRule,
  type StackRule,
  type SplitOut,
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
  type Conv2dOptions,
  type Conv1dOptions,
  type Pool2dOptions,
  type Pool1dOptions,
  type Pool2dOut,
  type Pool1dOut,
} from './conv';
export { causalMask, paddingMask, scaledDotProductAttention, type PaddingMaskOptions, type AttentionOptions, type AttentionWithWeights, type AttentionOut } from './attention';
export { layerNorm, batchNorm, dropout, type LayerNormOptions, type BatchNormOptions, type DropoutOptions } from './norm';
export { vmap, type VmapOptions, type Vmapped, type Batched, type AxisSpec, type CheckInAxes, type ArgsOf, type VmapOf } from './vmap';
