/**
 * The kernel interface: every numeric loop the op layer needs, on flat row-major typed
 * arrays with explicit shapes. Ops (src/ops) compute shapes, check them and call these;
 * nothing above this line touches a loop. A faster backend (WebAssembly SIMD, worker
 * threads) implements the same interface and is swapped in with `setBackend`, without
 * touching the op layer.
 *
 * Contract for every kernel:
 * - inputs are never written; the result is a freshly allocated array (or written into
 *   an `out` array the caller allocated for this call only);
 * - shapes are plain `number[]`, row-major, contiguous; the op layer has already checked
 *   them, kernels do not re-validate;
 * - no per-element closures or boxed numbers in hot loops.
 */
export type F32 = Float32Array;
export type I32 = Int32Array;
export type U8 = Uint8Array;
export type NumArray = Float32Array | Int32Array | Uint8Array;

export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal' | 'sign'
  | 'sigmoid' | 'tanh' | 'relu' | 'gelu' | 'softplus' | 'sin' | 'cos' | 'floor' | 'round'
  | 'step'; // step(x) = x > 0 ? 1 : 0 (the relu derivative, relu'(0) = 0)
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ReduceOp = 'sum' | 'max' | 'min' | 'prod';

export interface Conv2dGeometry {
  /** input [batch, inH, inW, inC] (NHWC), filter [kH, kW, inC, outC], output [batch, outH, outW, outC] */
  batch: number; inH: number; inW: number; inC: number;
  kH: number; kW: number; outC: number;
  outH: number; outW: number;
  strideH: number; strideW: number;
  dilationH: number; dilationW: number;
  /** zero padding before the first row / column (after-padding follows from outH/outW) */
  padTop: number; padLeft: number;
}

export interface Pool2dGeometry {
  /** input [batch, inH, inW, channels], output [batch, outH, outW, channels] */
  batch: number; inH: number; inW: number; channels: number;
  kH: number; kW: number; outH: number; outW: number;
  strideH: number; strideW: number; padTop: number; padLeft: number;
}

// ---- recurrent sequences (SimpleRNN, LSTM, GRU) ---------------------------------------
// Layout (Keras): x [B, T, F], hidden states [B, T, u]; kernel W [F, G], recurrent kernel
// U [u, G], G = gates·u with the gate blocks side by side (LSTM i, f, c, o; GRU z, r, h;
// SimpleRNN one block); bias [G] (GRU resetAfter: [2, G], input bias then recurrent bias).

export type CellKind = 'rnn' | 'lstm' | 'gru';
/** activations the fused kernels implement; each derivative is a function of the output */
export type CellActivation = 'tanh' | 'sigmoid' | 'relu' | 'linear';

export interface CellConfig {
  readonly kind: CellKind;
  /** candidate / output activation (Keras `activation`) */
  readonly activation: CellActivation;
  /** gate activation (Keras `recurrent_activation`; ignored by SimpleRNN) */
  readonly recurrentActivation: CellActivation;
  /** GRU only: apply the reset gate after the recurrent matmul (Keras 2 default) */
  readonly resetAfter: boolean;
}

export interface SeqDims {
  readonly B: number;
  readonly T: number;
  readonly F: number;
  readonly u: number;
}

export interface SeqInputs {
  readonly x: F32;
  readonly W: F32;
  readonly U: F32;
  /** [G] (or [2G] for GRU resetAfter); zeros when the layer has no bias */
  readonly bias: F32;
  readonly h0: F32;
  /** LSTM only */
  readonly c0: F32 | null;
}

/**
 * The forward pass: public outputs (hs, hT, cT) and the residuals its backward pass reads.
 * The residuals are part of the contract (any backend's backward pass accepts any backend's
 * forward result), so their layout is fixed here.
 */
export interface SeqForward {
  /** [B, T, u] */
  readonly hs: F32;
  /** [B, u] */
  readonly hT: F32;
  /** LSTM: final cell state [B, u] */
  readonly cT: F32 | null;
  /** LSTM / GRU: activated gates [B, T, G] */
  readonly gates: F32 | null;
  /** LSTM: cell states [B, T, u] */
  readonly cs: F32 | null;
  /** LSTM: act(cell states) [B, T, u] */
  readonly acs: F32 | null;
  /** GRU resetAfter: h-block of h·U + b_rec, [B, T, u] */
  readonly recH: F32 | null;
}

export interface SeqCotangents {
  /** of the hidden states [B, T, u] (null: zero) */
  readonly dhs: F32 | null;
  /** of the final hidden state [B, u] (null: zero) */
  readonly dhT: F32 | null;
  /** LSTM: of the final cell state [B, u] (null: zero) */
  readonly dcT: F32 | null;
}

/** arrays a caller offers for some of a kernel's results (`into`): any of them may be absent */
export type Offered<T> = { readonly [K in keyof T]?: F32 | undefined };

export interface SeqGradients {
  readonly dx: F32;
  readonly dW: F32;
  readonly dU: F32;
  /** same length as the bias input */
  readonly db: F32;
  readonly dh0: F32;
  /** LSTM only */
  readonly dc0: F32 | null;
}

// ---- fused element-wise programs (jit) ------------------------------------------------
// A program computes a chain of element-wise float32 ops over n output elements, each op
// rounding to float32 after itself as its own kernel would. Values are numbered by the
// instruction that computes them; inputs are read full (n elements), as a scalar, or
// broadcast (element i reads input element floor(i / a) mod b).

export type ElementwiseRule =
  | { readonly kind: 'binary'; readonly op: BinaryOp }
  | { readonly kind: 'unary'; readonly op: UnaryOp }
  | { readonly kind: 'alpha'; readonly op: 'leakyRelu' | 'elu'; readonly alpha: number }
  | { readonly kind: 'clip'; readonly lo: number; readonly hi: number };
export type ElementwiseArg = { readonly kind: 'value'; readonly v: number } | { readonly kind: 'input'; readonly k: number };
export interface ElementwiseInput {
  readonly kind: 'full' | 'scalar' | 'broadcast';
  readonly a: number;
  readonly b: number;
}
export interface ElementwiseProgram {
  readonly n: number;
  readonly inputs: readonly ElementwiseInput[];
  /** instruction i computes value i */
  readonly instrs: readonly { readonly rule: ElementwiseRule; readonly args: readonly ElementwiseArg[] }[];
  /** the values returned, each as a fresh array of n floats (or written into `into`) */
  readonly outputs: readonly number[];
}

// ---- fused attention ------------------------------------------------------------------
// softmax(q·kᵀ·scale + mask)·v over `slices` (batch, head) slices: q [Lq, dk], k [Lk, dk],
// v [Lk, dv] per slice, each found at its float offset (broadcast batch dims repeat one);
// the output is dense [slices, Lq, dv].

export interface AttentionDims {
  readonly slices: number;
  readonly Lq: number;
  readonly Lk: number;
  readonly dk: number;
  readonly dv: number;
}

export interface AttentionInputs {
  readonly q: F32;
  readonly qOffsets: Int32Array;
  readonly k: F32;
  readonly kOffsets: Int32Array;
  readonly v: F32;
  readonly vOffsets: Int32Array;
  /** bool, true = attend; slice t's row i starts at maskOffsets[t] + i·maskRowStride; null: no mask */
  readonly mask: U8 | null;
  readonly maskOffsets: Int32Array | null;
  /** Lk, or 0 when one mask row serves every query */
  readonly maskRowStride: number;
  /** a float32 value */
  readonly scale: number;
  /** true: (q·kᵀ)·scale; false: (q·scale)·kᵀ */
  readonly scaleScores: boolean;
  /** multiply the weights by the mask after the softmax (zeroes fully masked rows) */
  readonly zeroMasked: boolean;
}

export interface Backend {
  readonly name: string;

  /**
   * Optional: run a fused element-wise program, bit-identical to calling this backend's own
   * kernels op by op (jit's fused steps; without it jit runs the ops one by one). `into[j]`, when
   * given, is an array of n floats output j is written into instead of a fresh one (jit's donated
   * buffers); it may be one of `inputs` (read full, element i before output element i is written).
   */
  elementwiseProgram?(p: ElementwiseProgram, inputs: readonly F32[], into?: readonly (F32 | undefined)[]): F32[];

  /**
   * Optional: arrays in the kernels' own memory that outlive a call (wasm: the resident pool),
   * where jit plans keep donated outputs and their intermediates so kernels can read them in
   * place. `alloc` returns null when there is no room (the caller uses an ordinary array);
   * `addressOf` is the array's byte address in that memory, or -1 for any other array.
   */
  readonly resident?: { alloc(n: number): F32 | null; addressOf(a: F32): number };

  // ---- element-wise -------------------------------------------------------------
  /** out = op(x), float32 */
  unary(op: UnaryOp, x: F32): F32;
  /** leakyRelu / elu need a parameter */
  leakyRelu(x: F32, alpha: number): F32;
  elu(x: F32, alpha: number): F32;
  /** NumPy broadcasting of a (aShape) and b (bShape) to outShape, float32 */
  /** `into`: an array of the output's size (not an operand) to write into and return (jit plans' own buffers) */
  binary(op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], outShape: readonly number[], into?: F32): F32;
  /** comparisons with broadcasting → 0/1 mask (Uint8Array) */
  compare(op: CompareOp, a: F32 | I32, aShape: readonly number[], b: F32 | I32, bShape: readonly number[], outShape: readonly number[]): U8;
  /** cond ? a : b with broadcasting of all three */
  /** `into` as for binary */
  where(cond: U8, condShape: readonly number[], a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], outShape: readonly number[], into?: F32): F32;
  clip(x: F32, lo: number, hi: number): F32;
  /** dtype conversion (float → int truncates toward zero; bool is 0/1) */
  cast(x: NumArray, to: 'float32' | 'int32' | 'bool'): NumArray;

  // ---- reductions (one pass; axes sorted, unique, non-empty) -----------------------
  reduce(op: ReduceOp, x: F32, shape: readonly number[], axes: readonly number[]): F32;
  /** index of the max / min along one axis (first on ties) → int32, axis removed */
  argReduce(op: 'max' | 'min', x: F32, shape: readonly number[], axis: number): I32;
  /** numerically stable softmax / logSoftmax along the last axis of [rows, cols] */
  /** `into` as for binary */
  softmax(x: F32, rows: number, cols: number, into?: F32): F32;
  logSoftmax(x: F32, rows: number, cols: number, into?: F32): F32;
  /**
   * (x - mean) / sqrt(var + eps) along the last axis of [rows, cols], then · gamma[col] and
   * + beta[col] when given (length cols; the affine step in float64, rounded once with the
   * normalisation); also returns mean and rstd per row
   */
  layerNorm(x: F32, rows: number, cols: number, eps: number, gamma?: F32 | null, beta?: F32 | null): { y: F32; mean: F32; rstd: F32 };

  // ---- linear algebra ---------------------------------------------------------------
  /**
   * Batched GEMM: for each b < batch, C_b[m, n] = op(A_b)[m, k] · op(B_b)[k, n], where op
   * transposes when transA / transB. aOffsets[b] / bOffsets[b] give where A_b and B_b start
   * (this expresses broadcast batch dims without copies); C is dense [batch, m, n]. `into`, when
   * given, is an array of batch·m·n floats (not one of the operands) C is written into and returned.
   */
  matmul(a: F32, aOffsets: Int32Array, b: F32, bOffsets: Int32Array, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean, into?: F32): F32;

  // ---- layout -------------------------------------------------------------------------
  /** `into` (an array of x's kind and size, not x) as for binary */
  transpose(x: NumArray, shape: readonly number[], perm: readonly number[], into?: NumArray): NumArray;
  /** out[i] = x[begin + i*strides] per axis (strides >= 1) */
  slice(x: NumArray, shape: readonly number[], begin: readonly number[], size: readonly number[], strides?: readonly number[]): NumArray;
  /** constant padding: before[i] / after[i] per axis */
  pad(x: NumArray, shape: readonly number[], before: readonly number[], after: readonly number[], value: number): NumArray;
  concat(xs: readonly NumArray[], shapes: readonly (readonly number[])[], axis: number): NumArray;
  tile(x: NumArray, shape: readonly number[], reps: readonly number[]): NumArray;
  /** take along `axis` with integer indices (already range-checked) → shape[:axis] + idxShape + shape[axis+1:] */
  gather(x: NumArray, shape: readonly number[], indices: I32, axis: number): NumArray;
  /** the transpose of gather: zeros(shape) with updates added at indices along axis */
  scatterAdd(updates: F32, shape: readonly number[], indices: I32, axis: number): F32;
  oneHot(indices: I32, depth: number, on: number, off: number): F32;

  // ---- convolution and pooling (NHWC; 1-D ops use H = 1) ----------------------------
  conv2d(x: F32, filter: F32, g: Conv2dGeometry): F32;
  /** gradient w.r.t. the input, from dy [batch, outH, outW, outC] */
  conv2dBackpropInput(dy: F32, filter: F32, g: Conv2dGeometry): F32;
  /** gradient w.r.t. the filter */
  conv2dBackpropFilter(x: F32, dy: F32, g: Conv2dGeometry): F32;
  /** max pool; padded cells never win; the first valid cell starts, later ones win by a strict > */
  maxPool2d(x: F32, g: Pool2dGeometry): F32;
  /**
   * the flat input index of each window's first maximum (row-major window order, padded cells
   * never win; -1 for a window without valid cells): what the max-pool derivatives route through
   */
  maxPool2dArgmax(x: F32, g: Pool2dGeometry): I32;
  /** dx = zeros with dy added at argmax (entries -1 skipped) */
  maxPool2dBackprop(dy: F32, argmax: I32, g: Pool2dGeometry): F32;
  /** average pool; padded cells are excluded from the count (Keras / tfjs 'same') */
  avgPool2d(x: F32, g: Pool2dGeometry): F32;
  avgPool2dBackprop(dy: F32, g: Pool2dGeometry): F32;

  // ---- attention -----------------------------------------------------------------------
  /**
   * Optional: fused attention forward (no gradients: the op layer uses it for concrete inputs
   * only), with the result of this backend's matmul → where → softmax → mul → matmul chain
   * on the same inputs (the op layer's unfused path), bit for bit or within float32 rounding.
   * Dims are all >= 1. Returns null for a call it does not take (the op layer then runs the
   * unfused chain).
   */
  attention?(d: AttentionDims, ins: AttentionInputs): F32 | null;

  // ---- recurrent sequences -------------------------------------------------------------
  /**
   * The whole sequence forward (h0 / c0 given; zeros are explicit arrays), T >= 1. `into`
   * offers arrays of the right lengths for some results (a jit plan's own arrays); a backend
   * may write a result there and return that array, or ignore the offer.
   */
  recurrentForward(cfg: CellConfig, d: SeqDims, ins: SeqInputs, into?: Offered<SeqForward>): SeqForward;
  /** backpropagation through time from the forward pass' result and the output cotangents (`into` as above) */
  recurrentBackward(cfg: CellConfig, d: SeqDims, ins: SeqInputs, fw: SeqForward, ct: SeqCotangents, into?: Offered<SeqGradients>): SeqGradients;
}
