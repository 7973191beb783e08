/**
 * ONNX export (opset 17): trace a function with makeGraph and translate each primitive of the
 * graph IR into ONNX operators.
 *
 *   const bytes = exportOnnx((p, x) => model.apply(p, x), [{ name: 'x', shape: ['batch', 784] }], params);
 *
 * - Params (any pytree) become initializers named by their key paths ("0.kernel"); constants
 *   the function creates become initializers too. Graph inputs carry the given names, dtypes
 *   and dims; the outputs are named 'output' (one tensor) or by their pytree paths, or
 *   `options.outputNames`.
 * - Layouts: our conv / pool tensors are NHWC, ONNX's NCHW: each conv / pool is wrapped in
 *   Transposes (filters [kH, kW, in, out] → [out, in, kH, kW]). matmul's transpose flags become
 *   Transposes of the last two dims. layerNorm is LayerNormalization (its gamma / beta as Scale /
 *   B; scale 1 without gamma). The fused recurrent primitive becomes ONNX
 *   LSTM / GRU (linear_before_reset = Keras' resetAfter) / RNN, with the weights reordered by
 *   ONNX ops (Keras gate order i f c o → ONNX i o f c) that onnxruntime folds at load time.
 * - Anything without a mapping (backward-pass primitives such as scatter_add or
 *   conv2d_backprop_input, max_pool2d_argmax) is an Error naming the primitive.
 *
 * Dynamic dims. A dim given as a string ('batch') is a named dynamic axis. The function is
 * traced twice, with every symbol at two different sizes (`options.traceSizes`, default
 * distinct primes: 5/7, 11/13, 17/19, ...); dims, shape parameters and constants that differ
 * between the traces are dynamic, the rest static. Then:
 * - shape-agnostic ops (element-wise, matmul, reductions over static axes, softmax, concat,
 *   gather, LayerNormalization, conv / pools with fixed windows, LSTM / GRU / RNN, global pools)
 *   need nothing;
 * - reshape emits 0 for a dim copied from the same position of its input, -1 for one other
 *   dynamic dim, and for further dynamic dims their run-time value, read with Shape from a
 *   tensor that carries the same dim (or a product of the symbols, e.g. batch·seq);
 * - broadcastTo, slices with dynamic bounds (counted from the end where they are), 'same'
 *   padding with strides on a dynamic axis (auto_pad SAME_UPPER), and constants that depend on
 *   a dynamic dim (mean's 1/n, an all-zeros initial state [batch, units]) are rebuilt from
 *   run-time shapes;
 * - constants that grow with a dynamic dim (a sinusoidal position table [seq, d], a causal mask
 *   [seq, seq]) need `options.maxSizes`: they are stored at that size and sliced at run time,
 *   so the model accepts sizes up to it.
 * A function whose graph changes with the size (a loop over time steps, such as the recurrent
 * layers' `implementation: 'ops'`, or a branch on a size) cannot be exported with that dim
 * dynamic: the export fails and says so; give that dim a number. So does a constant whose
 * values change with a dynamic dim in another way.
 * Two different dynamic dims that happen to have equal sizes in both traces would be confused:
 * the default trace sizes make that unlikely; `traceSizes` changes them.
 */
import type { AnyFn, ExportOnnxOptions, OnnxInput } from './options';
import { type Tensor } from '../../tensor/tensor';

import type { Graph } from '../../autodiff/graph';
import { treeFlatten } from '../../autodiff/pytree';
import { ONNX_OF } from './emitter';
import { buildModel } from './model';
import { alignGraphs, maxSizes, symbolSizes, traceGraph } from './trace';

export { ONNX_OPSET, type OnnxInput, type ExportOnnxOptions } from './options';
export { ONNX_SUPPORTED_PRIMITIVES } from './handlers';

/**
 * Export `fn` as an ONNX model (bytes of a ModelProto). With `params`, `fn` is called as
 * `fn(params, ...inputs)` and the params become initializers; without, as `fn(...inputs)`.
 * Throws an Error naming the primitive, the dim or the constant that has no ONNX form.
 */
export function exportOnnx(fn: (...inputs: Tensor<any, any>[]) => unknown, inputs: readonly OnnxInput[], params?: undefined, options?: ExportOnnxOptions): Uint8Array;
export function exportOnnx<P>(fn: (params: P, ...inputs: Tensor<any, any>[]) => unknown, inputs: readonly OnnxInput[], params: P, options?: ExportOnnxOptions): Uint8Array;
export function exportOnnx(fn: AnyFn, inputs: readonly OnnxInput[], params?: unknown, options: ExportOnnxOptions = {}): Uint8Array {
  const specs = inputs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype ?? 'float32' }));
  const names = new Set<string>();
  for (const s of specs) {
    if (typeof s.name !== 'string' || s.name === '') throw new Error('exportOnnx: every input needs a non-empty name');
    if (names.has(s.name)) throw new Error(`exportOnnx: two inputs are named '${s.name}'`);
    names.add(s.name);
    if (!Object.hasOwn(ONNX_OF, s.dtype)) throw new Error(`exportOnnx: input '${s.name}' has an unknown dtype '${String(s.dtype)}'`);
    for (const d of s.shape) {
      if (typeof d === 'number' ? !(Number.isInteger(d) && d >= 1) : typeof d !== 'string' || d === '') {
        throw new Error(`exportOnnx: input '${s.name}' has an invalid dim ${JSON.stringify(d)} (a positive integer or a non-empty name)`);
      }
    }
  }
  const symbols = symbolSizes(specs, options.traceSizes);
  const flatParams = params === undefined ? null : treeFlatten(params);
  const traceAt = (k: 0 | 1) => traceGraph(fn, specs, flatParams, symbols, k);
  const g1 = traceAt(0);
  const g2 = symbols.size > 0 ? traceAt(1) : g1;
  if (g2 !== g1) alignGraphs(g1, g2, symbols);
  const max = maxSizes(symbols, options.maxSizes);
  let g3: Graph | null = null;
  if (max !== null) {
    g3 = traceGraph(fn, specs, flatParams, max, 0);
    alignGraphs(g1, g3, max);
  }
  return buildModel(g1, g2, g3, specs, flatParams, symbols, options);
}
