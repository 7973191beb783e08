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
