/**
 * shapeflow/testing: what our own property tests use, shipped for users' suites —
 * fast-check arbitraries for shapes, conv/pool cases, float arrays and typed tensors
 * (and pytrees of them), and checkGrads.
 */
export * from './testing/arbitraries';
export { arbTensor, arbTensorFor, arbTensorsLike, type ConcreteShape, type ShapeTree, type TensorOfShape, type TensorsFor } from './testing/tensor-arbitraries';
export { checkGrads, type CheckGradsOptions } from './testing/check-grads';
