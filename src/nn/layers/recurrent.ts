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
import type { Check } from '../../shape/rules';
import { makeTensor, type Tensor } from '../../tensor/tensor';
import { zerosLike } from '../../tensor/create';
import { bind, type AVal, type AnyTensor, type MaybeTensor, type Primitive } from '../../autodiff/core';
import { jvp as jvpTransform, vjp as vjpTransform } from '../../autodiff/transforms';
import { add, mul, sub } from '../../ops/elementwise';
import { matmulRaw } from '../../ops/linalg';
import { reshapeRaw } from '../../ops/reduce-core';
import { concatRaw, splitRaw } from '../../ops/layout';
import { activationFn } from '../activation';
import { glorotUniform, keys, orthogonal, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type InOf, type Layer, type LayerKind, type RDim } from '../layer';
import type { Key } from '../../random';
import { backend } from '../../backend';
import type { CellActivation, CellConfig, CellKind, SeqDims, SeqForward, SeqInputs } from '../../backend/backend';

export type { CellActivation } from '../../backend/backend';
export type RecurrentImplementation = 'fused' | 'ops';

type T = Tensor<Dim[]>;
const A = (x: AnyTensor) => x as unknown as T;
const Any = (x: T) => x as unknown as AnyTensor;
const f32 = (x: AnyTensor) => x._data as Float32Array;
const dimsOf = (x: AVal | AnyTensor) => x.shape as readonly number[];
const concrete = (xs: readonly MaybeTensor[]) => xs.every((x) => x === null || x._tracer === null);
const fmt = (s: readonly RDim[]) => `[${s.join(', ')}]`;

const gateCount = (kind: CellKind) => (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1);

const LAYER_NAME: Record<CellKind, string> = { rnn: 'simpleRnn', lstm: 'lstm', gru: 'gru' };
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

type FeatOf<S> = S extends readonly [Dim, Dim, infer F extends Dim] ? F : Dim;
type BatchOf<S> = S extends readonly [infer B extends Dim, ...Dim[]] ? B : Dim;
type TimeOf<S> = S extends readonly [Dim, infer Tm extends Dim, ...Dim[]] ? Tm : Dim;

function inputRule(name: string, input: readonly RDim[], inputDim: number | undefined): void {
  if (input.length !== 3) throw new ShapeError(name, `expects a rank-3 input [batch, time, features] (got rank ${input.length})`);
  const f = input[2]!;
  if (inputDim !== undefined && typeof f === 'number' && f !== inputDim) throw new ShapeError(name, `input dim differs (expected ${inputDim}, got ${f})`);
}

// =============================================================================================
// The fused whole-sequence primitive and its backward primitive

function biasShape(cfg: CellConfig, G: number): number[] {
  return cfg.kind === 'gru' && cfg.resetAfter ? [2, G] : [G];
}

/** Validates [x, W, U, bias, h0, c0?] and returns the dims; ShapeError names the layer. */
function sequenceDims(ins: readonly AVal[], cfg: CellConfig): SeqDims {
  const name = LAYER_NAME[cfg.kind];
  const n = cfg.kind === 'lstm' ? 6 : 5;
  if (ins.length !== n) throw new ShapeError(name, `expects ${n} inputs, got ${ins.length}`);
  for (const a of ins) if (a.dtype !== 'float32') throw new ShapeError(name, `expects float32 inputs, got ${a.dtype}`);
  const [x, W, U, b, h0, c0] = ins as [AVal, AVal, AVal, AVal, AVal, AVal | undefined];
  const xs = x.shape;
  if (xs.length !== 3) throw new ShapeError(name, `expects a rank-3 input [batch, time, features] (got rank ${xs.length})`);
  const [B, Tn, F] = xs as [number, number, number];
  if (Tn < 1) throw new ShapeError(name, 'needs at least one time step (got 0)');
  if (U.shape.length !== 2) throw new ShapeError(name, `recurrentKernel must be [units, gates·units] (got ${fmt(U.shape)})`);
  const u = U.shape[0]!;
  const G = gateCount(cfg.kind) * u;
  if (U.shape[1] !== G) throw new ShapeError(name, `recurrentKernel must be [${u}, ${G}] (got ${fmt(U.shape)})`);
  if (W.shape.length !== 2 || W.shape[1] !== G) throw new ShapeError(name, `kernel must be [features, ${G}] (got ${fmt(W.shape)})`);
  if (W.shape[0] !== F) throw new ShapeError(name, `input dim differs (expected ${W.shape[0]}, got ${F})`);
  const bs = biasShape(cfg, G);
  if (b.shape.join() !== bs.join()) throw new ShapeError(name, `bias must be ${fmt(bs)} (got ${fmt(b.shape)})`);
  for (const s of cfg.kind === 'lstm' ? [h0, c0!] : [h0]) {
    if (s.shape.length !== 2 || s.shape[0] !== B || s.shape[1] !== u) throw new ShapeError(name, `initial state must be [${B}, ${u}] (got ${fmt(s.shape)})`);
  }
  return { B, T: Tn, F, u };
}

/** outputs: hs, hT, cT (LSTM) — then the residuals the backward pass reads */
function outputAvals(cfg: CellConfig, d: SeqDims): AVal[] {
  const f = (shape: number[]): AVal => ({ shape, dtype: 'float32' });
  const { B, T: Tn, u } = d;
  const G = gateCount(cfg.kind) * u;
  const hs = f([B, Tn, u]);
  const hT = f([B, u]);
  if (cfg.kind === 'lstm') return [hs, hT, f([B, u]), f([B, Tn, G]), f([B, Tn, u]), f([B, Tn, u])];
  if (cfg.kind === 'gru') return cfg.resetAfter ? [hs, hT, f([B, Tn, G]), f([B, Tn, u])] : [hs, hT, f([B, Tn, G])];
  return [hs, hT];
}

const publicOutputs = (cfg: CellConfig) => (cfg.kind === 'lstm' ? 3 : 2);

function seqInputs(cfg: CellConfig, ins: readonly AnyTensor[]): SeqInputs {
  return { x: f32(ins[0]!), W: f32(ins[1]!), U: f32(ins[2]!), bias: f32(ins[3]!), h0: f32(ins[4]!), c0: cfg.kind === 'lstm' ? f32(ins[5]!) : null };
}

function forwardList(cfg: CellConfig, fw: SeqForward): Float32Array[] {
  if (cfg.kind === 'lstm') return [fw.hs, fw.hT, fw.cT!, fw.gates!, fw.cs!, fw.acs!];
  if (cfg.kind === 'gru') return cfg.resetAfter ? [fw.hs, fw.hT, fw.gates!, fw.recH!] : [fw.hs, fw.hT, fw.gates!];
  return [fw.hs, fw.hT];
}

function forwardFromList(cfg: CellConfig, outs: readonly Float32Array[]): SeqForward {
  const [hs, hT] = outs as [Float32Array, Float32Array];
  if (cfg.kind === 'lstm') return { hs, hT, cT: outs[2]!, gates: outs[3]!, cs: outs[4]!, acs: outs[5]!, recH: null };
  if (cfg.kind === 'gru') return { hs, hT, cT: null, gates: outs[2]!, cs: null, acs: null, recH: cfg.resetAfter ? outs[3]! : null };
  return { hs, hT, cT: null, gates: null, cs: null, acs: null, recH: null };
}

/** The recurrence as ordinary ops, step by step: the reference, and the path of every higher derivative. */
function referenceSequence(cfg: CellConfig, ins: readonly AnyTensor[]): AnyTensor[] {
  const [x, W, U, b, h0, c0] = ins as [AnyTensor, AnyTensor, AnyTensor, AnyTensor, AnyTensor, AnyTensor | undefined];
  const [B, Tn, F] = dimsOf(x) as [number, number, number];
  const u = dimsOf(U)[0]!;
  const G = gateCount(cfg.kind) * u;
  const act = activationFn(cfg.activation);
  const ract = activationFn(cfg.recurrentActivation);
  let bIn = b;
  let bRec: AnyTensor | null = null;
  if (cfg.kind === 'gru' && cfg.resetAfter) [bIn, bRec] = splitRaw(b, 0, [1, 1]).map((p) => reshapeRaw(p, [G])) as [AnyTensor, AnyTensor];
  const xp = reshapeRaw(Any(add(A(matmulRaw(reshapeRaw(x, [B * Tn, F]), W)), A(bIn))), [B, Tn, G]);
  const steps = splitRaw(xp, 1, new Array<number>(Tn).fill(1)).map((s) => A(reshapeRaw(s, [B, G])));
  const [Uzr, Uh] = cfg.kind === 'gru' && !cfg.resetAfter ? splitRaw(U, 1, [2 * u, u]) : [U, U];
  const parts = (z: T, n: number) => splitRaw(Any(z), 1, new Array<number>(n).fill(u)).map(A);
  let h = A(h0);
  let c = c0 ? A(c0) : null;
  const hs: AnyTensor[] = [];
  for (const xt of steps) {
    if (cfg.kind === 'rnn') {
      h = act(add(xt, A(matmulRaw(Any(h), U))));
    } else if (cfg.kind === 'lstm') {
      const [zi, zf, zg, zo] = parts(add(xt, A(matmulRaw(Any(h), U))), 4) as [T, T, T, T];
      c = add(mul(ract(zf), c!), mul(ract(zi), act(zg)));
      h = mul(ract(zo), act(c));
    } else {
      const [xz, xr, xh] = parts(xt, 3) as [T, T, T];
      let z: T, r: T, hh: T;
      if (cfg.resetAfter) {
        const [rz, rr, rh] = parts(add(A(matmulRaw(Any(h), U)), A(bRec!)), 3) as [T, T, T];
        z = ract(add(xz, rz));
        r = ract(add(xr, rr));
        hh = act(add(xh, mul(r, rh)));
      } else {
        const [rz, rr] = parts(A(matmulRaw(Any(h), Uzr!)), 2) as [T, T];
        z = ract(add(xz, rz));
        r = ract(add(xr, rr));
        hh = act(add(xh, A(matmulRaw(Any(mul(r, h)), Uh!))));
      }
      h = add(mul(z, h), mul(sub(1, z), hh));
    }
    hs.push(reshapeRaw(Any(h), [B, 1, u]));
  }
  const out = [concatRaw(hs, 1), Any(h)];
  return c ? [...out, Any(c)] : out;
}

export const recurrentSequenceGradP: Primitive<{ readonly cfg: CellConfig; readonly has: readonly boolean[] }> = {
  name: 'recurrent_sequence_grad',
  shape(ins, p) {
    const n = p.cfg.kind === 'lstm' ? 6 : 5;
    return ins.slice(0, n).map((a) => ({ shape: a.shape, dtype: 'float32' }));
  },
  impl(ins, p) {
    const n = p.cfg.kind === 'lstm' ? 6 : 5;
    const d = sequenceDims(ins.slice(0, n), p.cfg);
    const nOut = outputAvals(p.cfg, d).length;
    const fw = forwardFromList(p.cfg, ins.slice(n, n + nOut).map(f32));
    let k = n + nOut;
    const next = (present: boolean | undefined) => (present ? f32(ins[k++]!) : null);
    const dhs = next(p.has[0]);
    const dhT = next(p.has[1]);
    const dcT = next(p.has[2]);
    const g = backend().recurrentBackward(p.cfg, d, seqInputs(p.cfg, ins), fw, { dhs, dhT, dcT });
    return p.cfg.kind === 'lstm' ? [g.dx, g.dW, g.dU, g.db, g.dh0, g.dc0!] : [g.dx, g.dW, g.dU, g.db, g.dh0];
  },
  // Never reached: the sequence primitive only binds this on concrete values and routes traced
  // ones (higher-order derivatives) through the op-level recurrence. Kept explicit for clarity.
  jvp: () => {
    throw new Error('recurrent_sequence_grad: the fused backward pass is not differentiable; higher-order derivatives go through the op-level recurrence');
  },
  vjp: () => {
    throw new Error('recurrent_sequence_grad: the fused backward pass is not differentiable; higher-order derivatives go through the op-level recurrence');
  },
};

/**
 * The whole sequence as one primitive. Inputs [x, W, U, bias, h0, c0 (LSTM)]; outputs
 * [hs, hT, cT (LSTM), ...residuals]; the public wrappers drop the residuals.
 */
export const recurrentSequenceP: Primitive<CellConfig> = {
  name: 'recurrent_sequence',
  shape: (ins, cfg) => outputAvals(cfg, sequenceDims(ins, cfg)),
  impl(ins, cfg) {
    const d = sequenceDims(ins, cfg);
    return forwardList(cfg, backend().recurrentForward(cfg, d, seqInputs(cfg, ins)));
  },
  // forward mode differentiates the op-level recurrence (exact, not fused)
  jvp(primals, tangents, outs, cfg) {
    const tans = tangents.map((t, i) => t ?? (zerosLike(A(primals[i]!)) as unknown as AnyTensor));
    const f = (...xs: AnyTensor[]) => referenceSequence(cfg, xs);
    const [, tOut] = jvpTransform(f as (...xs: unknown[]) => AnyTensor[], primals as unknown[], tans as unknown[]);
    return outs.map((_, i) => tOut[i] ?? null);
  },
  vjp(cts, primals, outs, cfg) {
    const nPub = publicOutputs(cfg);
    const pub = cts.slice(0, nPub);
    if (pub.every((c) => c === null)) return primals.map(() => null);
    if (concrete(pub) && concrete(primals) && concrete(outs)) {
      const has = pub.map((c) => c !== null);
      return bind(recurrentSequenceGradP, [...primals, ...outs, ...pub.filter((c): c is AnyTensor => c !== null)], { cfg, has });
    }
    // traced values: an outer transform differentiates this backward pass, so take it through ops
    const f = (...xs: AnyTensor[]) => referenceSequence(cfg, xs);
    const [, pull] = vjpTransform(f as (...xs: unknown[]) => AnyTensor[], ...(primals as unknown[]));
    return pull(pub.map((c, i) => c ?? (zerosLike(A(outs[i]!)) as unknown as AnyTensor))) as AnyTensor[];
  },
};

interface SequenceResult {
  readonly hs: AnyTensor;
  readonly hT: AnyTensor;
  readonly cT: AnyTensor | null;
}

function zerosT(shape: readonly number[]): AnyTensor {
  return makeTensor(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))) as unknown as AnyTensor;
}

/** Run a cell over a sequence; missing bias / states are zeros. */
function runSequence(
  cfg: CellConfig,
  impl: RecurrentImplementation,
  x: AnyTensor,
  W: AnyTensor,
  U: AnyTensor,
  bias: AnyTensor | undefined,
  state: readonly (AnyTensor | undefined)[] | null | undefined,
): SequenceResult {
  const name = LAYER_NAME[cfg.kind];
  if (impl !== 'fused' && impl !== 'ops') throw new RangeError(`${name}: implementation must be 'fused' or 'ops', got '${String(impl)}'`);
  const xs = dimsOf(x);
  const u = dimsOf(U)[0] ?? 0;
  const B = xs[0] ?? 0;
  const nState = cfg.kind === 'lstm' ? 2 : 1;
  if (state && state.length !== nState) throw new ShapeError(name, `initial state must be ${nState === 2 ? 'a pair [h, c]' : 'a one-element tuple [h]'} (got ${state.length} tensors)`);
  const states = Array.from({ length: nState }, (_, i) => state?.[i] ?? zerosT([B, u]));
  const b = bias ?? zerosT(biasShape(cfg, gateCount(cfg.kind) * u));
  const ins = [x, W, U, b, ...states];
  let outs: AnyTensor[];
  if (impl === 'ops') {
    sequenceDims(ins, cfg);
    outs = referenceSequence(cfg, ins);
  } else outs = bind(recurrentSequenceP, ins, cfg);
  return { hs: outs[0]!, hT: outs[1]!, cT: cfg.kind === 'lstm' ? outs[2]! : null };
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

type ScanOut<X extends Shape, U extends Dim, St> = ScanResult<[BatchOf<X>, TimeOf<X>, U], St>;

function scan(cfg: CellConfig, impl: RecurrentImplementation | undefined, params: RecurrentWeights<Dim, Dim>, x: AnyTensor, state: readonly (AnyTensor | undefined)[] | null | undefined) {
  const p = params as unknown as { kernel: AnyTensor; recurrentKernel: AnyTensor; bias?: AnyTensor };
  const r = runSequence(cfg, impl ?? 'fused', x, p.kernel, p.recurrentKernel, p.bias, state);
  return { outputs: r.hs, state: r.cT ? [r.hT, r.cT] : [r.hT] };
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
  return scan(cfg, options.implementation, params, x as unknown as AnyTensor, initialState as unknown as AnyTensor[] | null | undefined) as unknown as ScanOut<X, U, HState<BatchOf<X>, U>>;
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
  return scan(cfg, options.implementation, params, x as unknown as AnyTensor, initialState as unknown as AnyTensor[] | null | undefined) as unknown as ScanOut<X, U, LstmState<BatchOf<X>, U>>;
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
  return scan(cfg, options.implementation, params, x as unknown as AnyTensor, initialState as unknown as AnyTensor[] | null | undefined) as unknown as ScanOut<X, U, HState<BatchOf<X>, U>>;
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
        kernel: kInit(k1!, [F, G]) as unknown as AnyTensor,
        recurrentKernel: rInit(k2!, [units, G]) as unknown as AnyTensor,
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
    initBias: (k, G) => bInit(k, [G]) as unknown as AnyTensor,
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
      if (!unitForgetBias) return bInit(k, [G]) as unknown as AnyTensor;
      // Keras: concat(init([u]), ones([u]), init([2u]))
      const [ka, kb] = keys(k, 2);
      const data = new Float32Array(G);
      data.set(bInit(ka!, [units]).dataSync(), 0);
      data.fill(1, units, 2 * units);
      data.set(bInit(kb!, [2 * units]).dataSync(), 2 * units);
      return makeTensor([G], 'float32', data) as unknown as AnyTensor;
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
    initBias: (k, G) => bInit(k, biasShape(cfg, G)) as unknown as AnyTensor,
  });
}
