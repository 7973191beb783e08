/** The CPU backend: plain TypeScript loops on typed arrays, the default and the reference. */
import type { Backend } from '../backend';
import { matmul } from './gemm';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv';
import { avgPool2d, avgPool2dBackprop, maxPool2d, maxPool2dArgmax, maxPool2dBackprop } from './pool';
import { binary, cast, clip, compare, elu, leakyRelu, unary, where } from './elementwise';
import { argReduce, layerNorm, logSoftmax, reduce, softmax } from './reduce';
import { concat, gather, oneHot, pad, scatterAdd, slice, tile, transpose } from './layout';
import { recurrentBackward, recurrentForward } from './recurrent';
import { elementwiseProgram } from './program';
import { attentionKernel } from './attention';

export const cpuBackend: Backend = {
  name: 'cpu',
  unary,
  leakyRelu,
  elu,
  binary,
  compare,
  where,
  clip,
  cast,
  reduce,
  argReduce,
  softmax,
  logSoftmax,
  layerNorm,
  matmul,
  transpose,
  slice,
  pad,
  concat,
  tile,
  gather,
  scatterAdd,
  oneHot,
  conv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  maxPool2d,
  maxPool2dArgmax,
  maxPool2dBackprop,
  avgPool2d,
  avgPool2dBackprop,
  recurrentForward,
  recurrentBackward,
  elementwiseProgram,
  attention: attentionKernel(matmul, softmax),
};
