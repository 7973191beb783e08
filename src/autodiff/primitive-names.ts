/**
 * The name of every kernel primitive, in one list. `Primitive.name` is typed by it, and so is
 * every per-primitive table (the ONNX handlers; later jit and vmap rules): renaming or adding a
 * primitive without updating its tables fails to compile. Composite primitives made by users
 * (customVjp) carry free-form names and are typed `Primitive<P, string>`.
 */
export const PRIMITIVE_NAMES = [
  // element-wise (ops/elementwise, ops/activations)
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum',
  'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sign', 'sin', 'cos', 'floor', 'round',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'where', 'clip', 'cast',
  'step', 'sigmoid', 'tanh', 'relu', 'gelu', 'softplus', 'leaky_relu', 'elu', 'normal_cdf',
  'softmax', 'log_softmax', 'log_sum_exp',
  // reductions and shapes (ops/reduce-core, ops/reduce, ops/layout, ops/linalg)
  'sum', 'max', 'min', 'prod', 'norm', 'argmax', 'argmin',
  'broadcast_to', 'reshape', 'transpose', 'concat', 'split', 'slice', 'pad', 'tile', 'gather', 'scatter_add', 'one_hot',
  'matmul',
  // convolution and pooling (ops/conv), with their backward passes
  'conv2d', 'conv2d_backprop_input', 'conv2d_backprop_filter',
  'max_pool2d', 'max_pool2d_argmax', 'max_pool_gather', 'max_pool_scatter', 'avg_pool2d', 'avg_pool2d_backprop',
  // normalisation (ops/norm), fused recurrent layers (nn/layers/recurrent), autodiff
  'layer_normalize', 'layer_norm_affine',
  'recurrent_sequence', 'recurrent_sequence_grad',
  'stop_gradient', 'add_any',
  // host callbacks (ops/callback): optimizer schedules of the step count inside jit
  'pure_callback',
] as const;

export type PrimitiveName = (typeof PRIMITIVE_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(PRIMITIVE_NAMES);

/** Narrows a primitive's name (composites have free-form ones) to the kernel-primitive names. */
export function isPrimitiveName(name: string): name is PrimitiveName {
  return NAMES.has(name);
}
