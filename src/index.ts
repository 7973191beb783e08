/**
 * shapeflow: tensors whose shapes live in their types.
 * Module map (see README "Design"):
 *   shape/     type-level dims, digit-wise arithmetic, shape rules and their runtime twins
 *   tensor/    the immutable Tensor, constructors, random tensors
 *   random/    explicit, splittable PRNG keys
 *   backend/   the kernel interface, the CPU kernels (reference) and the wasm SIMD kernels (default)
 *   autodiff/  primitives, traces (JVP, VJP, graph, batching), graph IR, grad / vjp / jvp / customVjp
 *   ops/       every op: type rule + runtime check + kernel call + derivative and batching rules; vmap
 *   nn/        layers, sequential models, losses, metrics, training loop   (namespace `nn`)
 *   optim/     optimizers and schedules                                     (namespace `optim`)
 *   data/      scalers, datasets, tokenizers, readers, metrics             (namespace `data`)
 */
export * from './shape/dims';
/**
 * The names hovers show in op signatures: `Check<Rule>` (intersected into the offending parameter:
 * `unknown` when the rule holds, the rule's ShapeMismatch otherwise), `Result<Rule>` (the output
 * shape), the padding and stride kinds of the conv/pool options, and `AnyTensor` / `WideTensor`
 * (a tensor of any static shape; a float32 tensor of unknown rank).
 */
export type { Check, Result, Padding, ConvPadding2d, PoolPadding, Pair } from './shape/rules';
/** Every shape rule by name (src/shape/rules): the types op signatures compute their outputs and checks with. */
export type {
  CheckIf, CheckUnless, Rank, Axis, Pieces, BatchDimOf, SeqLenOf, FeatureDimOf, BroadcastShape,
  MatmulShape, SwapLast, OpShape, MatmulTShape, DotShape, OuterShape, ReshapeShape, FlattenShape,
  TransposeShape, SqueezeShape, UnsqueezeShape, ConcatShape, StackShape, SliceShape, SplitDimShape,
  SplitShape, ReduceShape, Padding2d, ConvOutSize, PairOf, Conv2dShape, Pool2dShape, Conv1dShape,
  Pool1dShape, KDim, AsPad2d, PadDim, Conv2dFilterShape, Conv1dFilterShape, GlobalPool2dShape,
  GlobalPool1dShape, MulDim, MergeDimsShape, PadShape, TileShape, RepeatShape, ReplaceAt,
  GatherShape, OneHotShape, UnstackShape, UnstackCount, SplitSizesShape, SplitRule,
  StridedSliceShape, AttentionScoresShape, AttentionShape, AttentionMaskShape, PaddingMaskShape,
  LastN, LayerNormDims, LayerNormParamShape, BatchNormParamShape, DtypeRule, EinsumShape, EinsumCheck, RearrangeShape,
} from './shape/rules';
export type { AnyTensor, WideTensor } from './tensor/untyped';
export * from './tensor/dtype';
export { Tensor, isTensor, type NestedArray } from './tensor/tensor';
export * from './tensor/create';
export * from './tensor/random';
export * as random from './random';
export { key, type Key } from './random';
export * from './autodiff';
export * from './ops';
export { backend, setBackend, type Backend } from './backend';
/** the CPU backend (plain TypeScript kernels, the reference): `setBackend(cpuBackend)` */
export { cpuBackend } from './backend/cpu';
/** the WebAssembly SIMD backend (the default where supported), its thread-count setting and worker start */
export { createWasmBackend, getThreads, setThreads, startThreads, wasmSupported, workerChunks, type WasmBackendOptions } from './backend/wasm';
/** layers, models, losses, metrics, training loop: `nn.sequential(...)`, `nn.dense(10)` */
export * as nn from './nn';
/** optax-style optimizers and schedules: `optim.adam({ learningRate: 1e-3 })` */
export * as optim from './optim';
/** scalers, datasets, tokenizers, readers, metrics, baselines */
export * as data from './data';
/** safetensors weights and ONNX export */
export * as io from './io';
