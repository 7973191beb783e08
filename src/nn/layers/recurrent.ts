/**
 * Recurrent layers — simpleRnn, lstm, gru — with Keras semantics and weight layout, and the
 * functional scans behind them (simpleRnnScan, lstmScan, gruScan), which also take initial
 * states and return final states.
 *
 *   const model = sequential(['batch', 50, 1], lstm(50), dense(1));          // → ['batch', 1]
 *   sequential(['batch', 50, 1], lstm(50, { returnSequences: true }));        // → ['batch', 50, 50]
 *
 * Layout (copies 1:1 to tf.keras / tfjs `setWeights([kernel, recurrentKernel, bias])`):
 *   kernel [features, G], recurrentKernel [units, G], bias [G], with G = gates·units and the
 *   gate blocks side by side — LSTM i, f, c, o; GRU z, r, h; SimpleRNN one block. A GRU with
 *   `resetAfter: true` (Keras 2's default) has bias [2, G]: input bias, then recurrent bias.
 *   Gates use the classic sigmoid (`recurrentActivation: 'sigmoid'`, Keras 2's default; tfjs
 *   defaults to hardSigmoid, so set it there when comparing), candidates / outputs tanh.
 *
 * States: a layer returns one tensor ([B, T, u] with returnSequences, else [B, u]) and
 * always starts from zero states. Final states, and initial states, belong to the scans:
 *   const { outputs, state: [h, c] } = lstmScan(params, x, [h0, c0]);
 * where `params` is exactly what `initLayer(lstm(u), key, shape)` or a model's init returns.
 * Keras' `returnState` is therefore not a layer option (passing `true` is a type error).
 *
 * Implementation ('fused', the default): one primitive runs the whole sequence — the input
 * projection of all steps as one GEMM, then per step one GEMM (h·U) and one pass computing
 * every gate, c and h — and its reverse-mode rule is a second primitive running backprop
 * through time (the backend's recurrentForward / recurrentBackward kernels; the CPU ones in
 * src/backend/cpu/recurrent.ts), leaving the weight gradients to three large GEMMs.
 * 'ops' runs the same recurrence as ordinary ops (matmul, split, sigmoid, ...) step by step:
 * the reference, 2x (LSTM(50), batch 32) to 4x (small layers) slower for a training step.
 * A per-step fused cell was not kept: per step it still pays the dispatch, taping and
 * slicing the whole-sequence primitive avoids, and the GEMMs already dominate the latter.
 *
 * Derivatives: reverse mode on concrete values uses the fused backward pass. Forward mode
 * (jvp) and every higher-order derivative (grad of grad, Hessian-vector products) go through
 * the 'ops' recurrence instead — the fused primitive's rules detect traced inputs and
 * differentiate the reference — so they are exact and supported, only not fused.
 *
 * Not implemented: dropout / recurrentDropout, masking, goBackwards, stateful layers, and
 * activations other than tanh, sigmoid, relu and linear (no hardSigmoid, tfjs' default
 * recurrentActivation). Sequences need at least one time step.
 */
import type { Mul } from '../../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { BatchDimOf as BatchOf, Check, FeatureDimOf as FeatOf, SeqLenOf as TimeOf } from '../../shape/rules';
import { makeTensor, type Tensor } from '../../tensor/tensor';
import { erase, eraseAll, typed, typedAll, type AnyTensor } from '../../tensor/untyped';
import { glorotUniform, keys, orthogonal, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type InOf, type Layer, type LayerKind, type RDim } from '../layer';
import type { Key } from '../../random';
import type { CellActivation, CellConfig, CellKind } from '../../backend/backend';
import { biasShape, gateCount, LAYER_NAME, runSequence, type RecurrentImplementation } from './recurrent-sequence';

export type { CellActivation } from '../../backend/backend';
export { recurrentSequenceGradP, recurrentSequenceP, type RecurrentImplementation } from './recurrent-sequence';

const ACTIVATIONS: readonly CellActivation[] = ['tanh', 'sigmoid', 'relu', 'linear'];

function checkActivation(name: string, what: string, a: CellActivation): CellActivation {
  if (!ACTIVATIONS.includes(a)) throw new RangeError(`${name}: ${what} must be one of ${ACTIVATIONS.join(', ')}, got '${String(a)}'`);
  return a;
}

// =============================================================================================
// Shape rules (type level and run time, same words)

type Agrees<X, Y> = number extends X ? true : number extends Y ? true : [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;
type ShowDim<D> = D extends string | number ? D : '?';

/** The input rule of every recurrent layer / scan: [batch, time, features], features = I if given. */
export type RecurrentInputRule<Name extends string, S extends Shape, I> = S extends readonly [Dim, Dim, infer F]
  ? I extends number
    ? Agrees<F, I> extends true
      ? S
      : ShapeMismatch<`${Name}: input dim differs (expected ${I}, got ${ShowDim<F>})`, I, S>
    : S
  : number extends S['length']
    ? S
    : ShapeMismatch<`${Name}: expects a rank-3 input [batch, time, features] (got rank ${S['length']})`, 3, S>;

/** Output of a recurrent layer: [B, T, U] with returnSequences, else [B, U]; or the input's mismatch. */
export type RecurrentOut<Name extends string, S extends Shape, U extends number, R extends boolean, I> =
  RecurrentInputRule<Name, S, I> extends infer C
    ? C extends ShapeMismatch<any, any, any>
      ? C
      : S extends readonly [infer B extends Dim, infer Tm extends Dim, Dim]
        ? R extends true
          ? [B, Tm, U]
          : [B, U]
        : Dim[]
    : never;


function inputRule(name: string, input: readonly RDim[], inputDim: number | undefined): void {
  if (input.length !== 3) throw new ShapeError(name, `expects a rank-3 input [batch, time, features] (got rank ${input.length})`);
  const f = input[2]!;
  if (inputDim !== undefined && typeof f === 'number' && f !== inputDim) throw new ShapeError(name, `input dim differs (expected ${inputDim}, got ${f})`);
}


// =============================================================================================
// Functional API: scans with initial and final states

export interface ScanResult<O extends Shape, St> {
  /** the hidden state of every step, [batch, time, units] */
  readonly outputs: Tensor<O>;
  /** final states: [h] (SimpleRNN, GRU) or [h, c] (LSTM), each [batch, units] */
  readonly state: St;
}

/** What a scan reads from the params (the layers' params fit). */
export interface RecurrentWeights<F extends Dim, U extends Dim> {
  readonly kernel: Tensor<[F, Dim]>;
  readonly recurrentKernel: Tensor<[U, Dim]>;
  readonly bias?: Tensor<Shape>;
}

export type HState<B extends Dim, U extends Dim> = [h: Tensor<[B, U]>];
export type LstmState<B extends Dim, U extends Dim> = [h: Tensor<[B, U]>, c: Tensor<[B, U]>];

export interface ScanOptions {
  /** 'fused' (default) or the op-level reference 'ops' */
  readonly implementation?: RecurrentImplementation;
}
export interface SimpleRnnScanOptions extends ScanOptions {
  readonly activation?: CellActivation;
}
export interface LstmScanOptions extends ScanOptions {
  readonly activation?: CellActivation;
  readonly recurrentActivation?: CellActivation;
}
export interface GruScanOptions extends ScanOptions {
  readonly activation?: CellActivation;
  readonly recurrentActivation?: CellActivation;
  /** Keras 2 (default true): reset gate applied after the recurrent matmul; bias [2, 3u]. false: bias [3u] (tfjs). */
  readonly resetAfter?: boolean;
}

export type ScanOut<X extends Shape, U extends Dim, St> = ScanResult<[BatchOf<X>, TimeOf<X>, U], St>;

function scan<O extends Shape, St>(
  cfg: CellConfig,
  impl: RecurrentImplementation | undefined,
  params: RecurrentWeights<Dim, Dim>,
  x: AnyTensor,
  state: readonly Tensor<[Dim, Dim]>[] | null | undefined,
): ScanResult<O, St> {
  const bias = params.bias === undefined ? undefined : erase(params.bias);
  const r = runSequence(cfg, impl ?? 'fused', x, erase(params.kernel), erase(params.recurrentKernel), bias, state && eraseAll(state));
  // the fused primitive's shape rule (or the reference's) has checked [B, T, U] and the states
  return { outputs: typed<Tensor<O>>(r.hs), state: typedAll<St>(r.cT ? [r.hT, r.cT] : [r.hT]) };
}

function cellConfig(kind: CellKind, o: { activation?: CellActivation; recurrentActivation?: CellActivation; resetAfter?: boolean }): CellConfig {
  const name = LAYER_NAME[kind];
  return {
    kind,
    activation: checkActivation(name, 'activation', o.activation ?? 'tanh'),
    recurrentActivation: checkActivation(name, 'recurrentActivation', o.recurrentActivation ?? 'sigmoid'),
    resetAfter: o.resetAfter ?? true,
  };
}

/**
 * h_t = act(x_t·W + h_{t-1}·U + b) over [batch, time, features] from h0 (default zeros).
 * Returns every h_t and the final state [h_T].
 */
export function simpleRnnScan<X extends Shape, F extends Dim, U extends Dim>(
  params: RecurrentWeights<F, U>,
  x: Tensor<X> & Check<RecurrentInputRule<'simpleRnnScan', X, F>>,
  initialState?: HState<BatchOf<X>, NoInfer<U>> | null,
  options: SimpleRnnScanOptions = {},
): ScanOut<X, U, HState<BatchOf<X>, U>> {
  const cfg = cellConfig('rnn', options);
  return scan<[BatchOf<X>, TimeOf<X>, U], HState<BatchOf<X>, U>>(cfg, options.implementation, params, erase(x), initialState);
}

/**
 * The LSTM over [batch, time, features] from [h0, c0] (default zeros): gates
 * i, f, o = σ(·), candidate g = tanh(·), c_t = f⊙c_{t-1} + i⊙g, h_t = o⊙tanh(c_t).
 * Returns every h_t and the final state [h_T, c_T].
 */
export function lstmScan<X extends Shape, F extends Dim, U extends Dim>(
  params: RecurrentWeights<F, U>,
  x: Tensor<X> & Check<RecurrentInputRule<'lstmScan', X, F>>,
  initialState?: LstmState<BatchOf<X>, NoInfer<U>> | null,
  options: LstmScanOptions = {},
): ScanOut<X, U, LstmState<BatchOf<X>, U>> {
  const cfg = cellConfig('lstm', options);
  return scan<[BatchOf<X>, TimeOf<X>, U], LstmState<BatchOf<X>, U>>(cfg, options.implementation, params, erase(x), initialState);
}

/**
 * The GRU over [batch, time, features] from [h0] (default zeros): z, r = σ(·),
 * candidate hh = tanh(x·W_h + r⊙(h·U_h + b_rec)) (resetAfter) or tanh(x·W_h + (r⊙h)·U_h + b),
 * h_t = z⊙h_{t-1} + (1−z)⊙hh. Returns every h_t and the final state [h_T].
 */
export function gruScan<X extends Shape, F extends Dim, U extends Dim>(
  params: RecurrentWeights<F, U>,
  x: Tensor<X> & Check<RecurrentInputRule<'gruScan', X, F>>,
  initialState?: HState<BatchOf<X>, NoInfer<U>> | null,
  options: GruScanOptions = {},
): ScanOut<X, U, HState<BatchOf<X>, U>> {
  const cfg = cellConfig('gru', options);
  return scan<[BatchOf<X>, TimeOf<X>, U], HState<BatchOf<X>, U>>(cfg, options.implementation, params, erase(x), initialState);
}

// =============================================================================================
// Layers

export interface RecurrentLayerOptions<R extends boolean, I extends number | undefined, B extends boolean> {
  /** return every step's h ([batch, time, units]) instead of the last one ([batch, units]) */
  readonly returnSequences?: R;
  /**
   * Not supported on layers (a layer has one output): use simpleRnnScan / lstmScan / gruScan
   * with the layer's params for final (and initial) states.
   */
  readonly returnState?: false;
  readonly useBias?: B;
  /** the expected feature dim: a mismatch with the model's shape is a compile error at this layer */
  readonly inputDim?: I;
  readonly kernelInitializer?: InitializerName | Initializer;
  readonly recurrentInitializer?: InitializerName | Initializer;
  readonly biasInitializer?: InitializerName | Initializer;
  /** 'fused' (default) or the op-level reference 'ops' */
  readonly implementation?: RecurrentImplementation;
}

export interface SimpleRnnOptions<R extends boolean, I extends number | undefined, B extends boolean> extends RecurrentLayerOptions<R, I, B> {
  readonly activation?: CellActivation;
}
export interface LstmOptions<R extends boolean, I extends number | undefined, B extends boolean> extends RecurrentLayerOptions<R, I, B> {
  readonly activation?: CellActivation;
  readonly recurrentActivation?: CellActivation;
  /** Keras (default true): initialise the forget-gate bias to 1 */
  readonly unitForgetBias?: boolean;
}
export interface GruOptions<R extends boolean, I extends number | undefined, B extends boolean, RA extends boolean> extends RecurrentLayerOptions<R, I, B> {
  readonly activation?: CellActivation;
  readonly recurrentActivation?: CellActivation;
  /** Keras 2 (default true): reset gate after the recurrent matmul, bias [2, 3·units] */
  readonly resetAfter?: RA;
}

export type SimpleRnnParams<F, U extends number, B extends boolean = true> = B extends false
  ? { kernel: Tensor<[F & Dim, U]>; recurrentKernel: Tensor<[U, U]> }
  : { kernel: Tensor<[F & Dim, U]>; recurrentKernel: Tensor<[U, U]>; bias: Tensor<[U]> };
export type LstmParams<F, U extends number, B extends boolean = true> = B extends false
  ? { kernel: Tensor<[F & Dim, Mul<4, U>]>; recurrentKernel: Tensor<[U, Mul<4, U>]> }
  : { kernel: Tensor<[F & Dim, Mul<4, U>]>; recurrentKernel: Tensor<[U, Mul<4, U>]>; bias: Tensor<[Mul<4, U>]> };
export type GruParams<F, U extends number, B extends boolean = true, RA extends boolean = true> = B extends false
  ? { kernel: Tensor<[F & Dim, Mul<3, U>]>; recurrentKernel: Tensor<[U, Mul<3, U>]> }
  : { kernel: Tensor<[F & Dim, Mul<3, U>]>; recurrentKernel: Tensor<[U, Mul<3, U>]>; bias: RA extends false ? Tensor<[Mul<3, U>]> : Tensor<[2, Mul<3, U>]> };

export interface SimpleRnnKind<U extends number, R extends boolean, I extends number | undefined, B extends boolean> extends LayerKind {
  readonly Out: RecurrentOut<'simpleRnn', InOf<this>, U, R, I>;
  readonly Params: SimpleRnnParams<FeatOf<InOf<this>>, U, B>;
  readonly InDtype: 'float32';
}
export interface LstmKind<U extends number, R extends boolean, I extends number | undefined, B extends boolean> extends LayerKind {
  readonly Out: RecurrentOut<'lstm', InOf<this>, U, R, I>;
  readonly Params: LstmParams<FeatOf<InOf<this>>, U, B>;
  readonly InDtype: 'float32';
}
export interface GruKind<U extends number, R extends boolean, I extends number | undefined, B extends boolean, RA extends boolean> extends LayerKind {
  readonly Out: RecurrentOut<'gru', InOf<this>, U, R, I>;
  readonly Params: GruParams<FeatOf<InOf<this>>, U, B, RA>;
  readonly InDtype: 'float32';
}

interface LayerSpec {
  readonly cfg: CellConfig;
  readonly units: number;
  readonly options: RecurrentLayerOptions<boolean, number | undefined, boolean>;
  readonly config: Record<string, unknown>;
  /** bias values for [G] (or [2, G]) from the bias initialiser */
  readonly initBias: (key: Key, G: number) => AnyTensor;
}

function recurrentLayer<K extends LayerKind, N extends string>(name: N, spec: LayerSpec): Layer<K, N> {
  const { cfg, units, options } = spec;
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`${name}: units must be a positive integer, got ${units}`);
  if ((options.returnState as boolean | undefined) === true) {
    throw new RangeError(`${name}: returnState is not a layer option (a layer has one output); use ${name}Scan(params, x, initialState) for final states`);
  }
  const returnSequences = options.returnSequences ?? false;
  const useBias = options.useBias ?? true;
  const impl = options.implementation ?? 'fused';
  const kInit = resolveInit(options.kernelInitializer, glorotUniform);
  const rInit = resolveInit(options.recurrentInitializer, orthogonal);
  const G = gateCount(cfg.kind) * units;
  return {
    name,
    inputDtype: 'float32',
    config: { units, returnSequences, useBias, ...spec.config },
    outputShape(input) {
      inputRule(name, input, options.inputDim);
      return returnSequences ? [input[0]!, input[1]!, units] : [input[0]!, units];
    },
    init(key, input) {
      inputRule(name, input, options.inputDim);
      const F = knownDim(input[2], name, 'the input feature dim');
      const [k1, k2, k3] = keys(key, 3);
      const params: Record<string, AnyTensor> = {
        kernel: erase(kInit(k1!, [F, G])),
        recurrentKernel: erase(rInit(k2!, [units, G])),
      };
      if (useBias) params['bias'] = spec.initBias(k3!, G);
      return params;
    },
    apply(params, x) {
      inputRule(name, x.shape as readonly number[], options.inputDim);
      const p = params as { kernel: AnyTensor; recurrentKernel: AnyTensor; bias?: AnyTensor };
      const r = runSequence(cfg, impl, x, p.kernel, p.recurrentKernel, useBias ? p.bias : undefined, null);
      return returnSequences ? r.hs : r.hT;
    },
  };
}

/**
 * Keras SimpleRNN: h_t = act(x_t·kernel + h_{t-1}·recurrentKernel + bias), act tanh by default.
 * Input [batch, time, features] → [batch, units] (last step) or [batch, time, units].
 */
export function simpleRnn<const U extends number, const R extends boolean = false, const I extends number | undefined = undefined, const B extends boolean = true>(
  units: U,
  options: SimpleRnnOptions<R, I, B> = {},
): Layer<SimpleRnnKind<U, R, I, B>, 'simpleRnn'> {
  const bInit = resolveInit(options.biasInitializer, zerosInit);
  const cfg = cellConfig('rnn', options);
  return recurrentLayer('simpleRnn', {
    cfg,
    units,
    options,
    config: { activation: cfg.activation },
    initBias: (k, G) => erase(bInit(k, [G])),
  });
}

/**
 * Keras LSTM (gate order i, f, c, o; sigmoid gates, tanh candidate and output). With
 * unitForgetBias (default) the forget-gate bias starts at 1 and the rest from biasInitializer.
 */
export function lstm<const U extends number, const R extends boolean = false, const I extends number | undefined = undefined, const B extends boolean = true>(
  units: U,
  options: LstmOptions<R, I, B> = {},
): Layer<LstmKind<U, R, I, B>, 'lstm'> {
  const bInit = resolveInit(options.biasInitializer, zerosInit);
  const unitForgetBias = options.unitForgetBias ?? true;
  const cfg = cellConfig('lstm', options);
  return recurrentLayer('lstm', {
    cfg,
    units,
    options,
    config: { activation: cfg.activation, recurrentActivation: cfg.recurrentActivation, unitForgetBias },
    initBias: (k, G) => {
      if (!unitForgetBias) return erase(bInit(k, [G]));
      // Keras: concat(init([u]), ones([u]), init([2u]))
      const [ka, kb] = keys(k, 2);
      const data = new Float32Array(G);
      data.set(bInit(ka!, [units]).dataSync(), 0);
      data.fill(1, units, 2 * units);
      data.set(bInit(kb!, [2 * units]).dataSync(), 2 * units);
      return erase(makeTensor([G], 'float32', data));
    },
  });
}

/**
 * Keras GRU (gate order z, r, h; sigmoid gates, tanh candidate), h_t = z⊙h_{t-1} + (1−z)⊙hh.
 * resetAfter (default true, Keras 2) takes bias [2, 3·units]; false is the Keras 1 / tfjs
 * variant with bias [3·units].
 */
export function gru<
  const U extends number,
  const R extends boolean = false,
  const I extends number | undefined = undefined,
  const B extends boolean = true,
  const RA extends boolean = true,
>(units: U, options: GruOptions<R, I, B, RA> = {}): Layer<GruKind<U, R, I, B, RA>, 'gru'> {
  const bInit = resolveInit(options.biasInitializer, zerosInit);
  const cfg = cellConfig('gru', options);
  return recurrentLayer('gru', {
    cfg,
    units,
    options,
    config: { activation: cfg.activation, recurrentActivation: cfg.recurrentActivation, resetAfter: cfg.resetAfter },
    initBias: (k, G) => erase(bInit(k, biasShape(cfg, G))),
  });
}
