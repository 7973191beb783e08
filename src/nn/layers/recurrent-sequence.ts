/**
 * The recurrence behind simpleRnn / lstm / gru and their scans (see ./recurrent.ts for the
 * public layers, options and layout): the fused whole-sequence primitive, its backprop-through-
 * time primitive, and the op-level reference recurrence ('ops', and every higher derivative).
 * Everything here is untyped (`AnyTensor`) and calls op cores; the typed signatures live in
 * ./recurrent.ts.
 */
import { ShapeError } from '../../shape/dims';
import { makeTensor } from '../../tensor/tensor';
import { erase, dimsOf } from '../../tensor/untyped';
import { bind, type AVal, type AnyTensor, type MaybeTensor, type Primitive } from '../../autodiff/core';
import { jvp as jvpTransform, vjp as vjpTransform } from '../../autodiff/transforms';
import { onlyJitTracers } from '../../autodiff/traces';
import { addRaw, mulRaw, subRaw } from '../../ops/elementwise';
import { matmulRaw } from '../../ops/linalg';
import { reshapeRaw } from '../../ops/reduce-core';
import { concatRaw, splitRaw } from '../../ops/layout';
import { batchFoldN } from '../../ops/batch-rules';
import { vmap } from '../../ops/vmap';
import { activationRaw } from '../activation';
import type { RDim } from '../layer';
import { backend } from '../../backend';
import type { CellConfig, CellKind, Offered, SeqDims, SeqForward, SeqGradients, SeqInputs } from '../../backend/backend';
import type { TypedArray } from '../../tensor/dtype';

export type RecurrentImplementation = 'fused' | 'ops';

const f32 = (x: AnyTensor) => x._data as Float32Array;
const concrete = (xs: readonly MaybeTensor[]) => xs.every((x) => x === null || x._tracer === null);
const fmt = (s: readonly RDim[]) => `[${s.join(', ')}]`;

export const gateCount = (kind: CellKind) => (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1);

export const LAYER_NAME: Record<CellKind, string> = { rnn: 'simpleRnn', lstm: 'lstm', gru: 'gru' };

// =============================================================================================
// The fused whole-sequence primitive and its backward primitive

export function biasShape(cfg: CellConfig, G: number): number[] {
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

type Into = readonly (TypedArray | undefined)[];
/** output i's offered float32 array, if any */
const offeredAt = (into: Into, i: number): Float32Array | undefined => (into[i] instanceof Float32Array ? into[i] : undefined);

/** a jit plan's offered output arrays (`into`, in output order) by name, for the backend */
function forwardInto(cfg: CellConfig, into: Into | undefined): Offered<SeqForward> | undefined {
  if (into === undefined) return undefined;
  const at = (i: number) => offeredAt(into, i);
  if (cfg.kind === 'lstm') return { hs: at(0), gates: at(3), cs: at(4), acs: at(5) };
  if (cfg.kind === 'gru') return { hs: at(0), gates: at(2), recH: cfg.resetAfter ? at(3) : undefined };
  return { hs: at(0) };
}

/** the same for the backward pass' outputs [dx, dW, dU, db, dh0, dc0 (LSTM)] */
function gradientsInto(into: Into | undefined): Offered<SeqGradients> | undefined {
  if (into === undefined) return undefined;
  const at = (i: number) => offeredAt(into, i);
  return { dx: at(0), dW: at(1), dU: at(2), db: at(3), dh0: at(4), dc0: at(5) };
}

/** The recurrence as ordinary ops, step by step: the reference, and the path of every higher derivative. */
function referenceSequence(cfg: CellConfig, ins: readonly AnyTensor[]): AnyTensor[] {
  const [x, W, U, b, h0, c0] = ins as [AnyTensor, AnyTensor, AnyTensor, AnyTensor, AnyTensor, AnyTensor | undefined];
  const [B, Tn, F] = dimsOf(x) as [number, number, number];
  const u = dimsOf(U)[0]!;
  const G = gateCount(cfg.kind) * u;
  const act = activationRaw(cfg.activation);
  const ract = activationRaw(cfg.recurrentActivation);
  let bIn = b;
  let bRec: AnyTensor | null = null;
  if (cfg.kind === 'gru' && cfg.resetAfter) [bIn, bRec] = splitRaw(b, 0, [1, 1]).map((p) => reshapeRaw(p, [G])) as [AnyTensor, AnyTensor];
  const xp = reshapeRaw(addRaw(matmulRaw(reshapeRaw(x, [B * Tn, F]), W), bIn), [B, Tn, G]);
  const steps = splitRaw(xp, 1, new Array<number>(Tn).fill(1)).map((s) => reshapeRaw(s, [B, G]));
  const [Uzr, Uh] = cfg.kind === 'gru' && !cfg.resetAfter ? splitRaw(U, 1, [2 * u, u]) : [U, U];
  const parts = (z: AnyTensor, n: number) => splitRaw(z, 1, new Array<number>(n).fill(u));
  let h = h0;
  let c = c0 ?? null;
  const hs: AnyTensor[] = [];
  for (const xt of steps) {
    if (cfg.kind === 'rnn') {
      h = act(addRaw(xt, matmulRaw(h, U)));
    } else if (cfg.kind === 'lstm') {
      const [zi, zf, zg, zo] = parts(addRaw(xt, matmulRaw(h, U)), 4) as [AnyTensor, AnyTensor, AnyTensor, AnyTensor];
      c = addRaw(mulRaw(ract(zf), c!), mulRaw(ract(zi), act(zg)));
      h = mulRaw(ract(zo), act(c));
    } else {
      const [xz, xr, xh] = parts(xt, 3) as [AnyTensor, AnyTensor, AnyTensor];
      let z: AnyTensor, r: AnyTensor, hh: AnyTensor;
      if (cfg.resetAfter) {
        const [rz, rr, rh] = parts(addRaw(matmulRaw(h, U), bRec!), 3) as [AnyTensor, AnyTensor, AnyTensor];
        z = ract(addRaw(xz, rz));
        r = ract(addRaw(xr, rr));
        hh = act(addRaw(xh, mulRaw(r, rh)));
      } else {
        const [rz, rr] = parts(matmulRaw(h, Uzr!), 2) as [AnyTensor, AnyTensor];
        z = ract(addRaw(xz, rz));
        r = ract(addRaw(xr, rr));
        hh = act(addRaw(xh, matmulRaw(mulRaw(r, h), Uh!)));
      }
      h = addRaw(mulRaw(z, h), mulRaw(subRaw(1, z), hh));
    }
    hs.push(reshapeRaw(h, [B, 1, u]));
  }
  const out = [concatRaw(hs, 1), h];
  return c ? [...out, c] : out;
}

type GradParams = { readonly cfg: CellConfig; readonly has: readonly boolean[] };

/**
 * The backward pass as a function of the sequence inputs and the present output cotangents,
 * through the op-level recurrence: what the fused backward primitive computes, in a form
 * transforms can differentiate. The residual inputs of the primitive (the forward outputs) are
 * functions of the sequence inputs, so their derivatives are already in this one.
 */
function referenceGrad(p: GradParams, n: number, outShapes: readonly (readonly number[])[]) {
  return (...xs: AnyTensor[]): AnyTensor[] => {
    const seq = xs.slice(0, n);
    let k = n;
    const cts = outShapes.map((s, i) => (p.has[i] ? xs[k++]! : zerosT(s)));
    const f = (...ys: AnyTensor[]) => referenceSequence(p.cfg, ys);
    const [, pull] = vjpTransform(f as (...ys: unknown[]) => AnyTensor[], ...(seq as unknown[]));
    return pull(cts) as AnyTensor[];
  };
}

/** [sequence inputs, present cotangents] of a recurrent_sequence_grad eqn's inputs, and the function of them it computes */
function gradParts(ins: readonly AnyTensor[], p: GradParams) {
  const n = p.cfg.kind === 'lstm' ? 6 : 5;
  const nOut = outputAvals(p.cfg, sequenceDims(ins.slice(0, n).map((x) => ({ shape: dimsOf(x), dtype: x.dtype })), p.cfg)).length;
  const outShapes = ins.slice(n, n + publicOutputs(p.cfg)).map(dimsOf);
  const args = [...ins.slice(0, n), ...ins.slice(n + nOut)];
  return { n, nOut, args, f: referenceGrad(p, n, outShapes) };
}

export const recurrentSequenceGradP: Primitive<GradParams> = {
  name: 'recurrent_sequence_grad',
  shape(ins, p) {
    const n = p.cfg.kind === 'lstm' ? 6 : 5;
    return ins.slice(0, n).map((a) => ({ shape: a.shape, dtype: 'float32' }));
  },
  impl(ins, p, _outs, into) {
    const n = p.cfg.kind === 'lstm' ? 6 : 5;
    const d = sequenceDims(ins.slice(0, n), p.cfg);
    const nOut = outputAvals(p.cfg, d).length;
    const fw = forwardFromList(p.cfg, ins.slice(n, n + nOut).map(f32));
    let k = n + nOut;
    const next = (present: boolean | undefined) => (present ? f32(ins[k++]!) : null);
    const dhs = next(p.has[0]);
    const dhT = next(p.has[1]);
    const dcT = next(p.has[2]);
    const g = backend().recurrentBackward(p.cfg, d, seqInputs(p.cfg, ins), fw, { dhs, dhT, dcT }, gradientsInto(into));
    return p.cfg.kind === 'lstm' ? [g.dx, g.dW, g.dU, g.db, g.dh0, g.dc0!] : [g.dx, g.dW, g.dU, g.db, g.dh0];
  },
  // Reached when a jit plan that holds the fused backward pass is evaluated under an outer
  // transform (grad(jit(valueAndGrad(f))), ...): higher derivatives take the op-level
  // recurrence, as they do without jit. The residual inputs get no tangent / cotangent of their
  // own: they are the forward outputs of the sequence inputs, whose derivatives cover them.
  jvp(primals, tangents, _outs, p) {
    const { n, nOut, args, f } = gradParts(primals, p);
    const tans = [...tangents.slice(0, n), ...tangents.slice(n + nOut)].map((t, i) => t ?? zerosT(dimsOf(args[i]!)));
    const [, tOut] = jvpTransform(f as (...xs: unknown[]) => AnyTensor[], args as unknown[], tans as unknown[]);
    return tOut as AnyTensor[];
  },
  vjp(cts, primals, outs, p) {
    const { n, nOut, args, f } = gradParts(primals, p);
    const [, pull] = vjpTransform(f as (...xs: unknown[]) => AnyTensor[], ...(args as unknown[]));
    const g = pull(cts.map((c, i) => c ?? zerosT(dimsOf(outs[i]!)))) as AnyTensor[];
    return [...g.slice(0, n), ...new Array<null>(nOut).fill(null), ...g.slice(n)];
  },
  // Per-example weight gradients are sums over each example's rows alone, which folding the
  // examples into the kernel's batch would mix: the same maths through the op-level recurrence's
  // vjp, batched op by op (equal to the kernel within float32 rounding, not bit for bit).
  batch: (ins, dims, p) => {
    const perExample = (...xs: AnyTensor[]) => {
      const { args, f } = gradParts(xs, p);
      return f(...args);
    };
    const grads = vmap(perExample, { inAxes: dims })(...ins) as AnyTensor[]; // cast: vmap of an untyped function
    return [grads, grads.map(() => 0)];
  },
};

/**
 * The whole sequence as one primitive. Inputs [x, W, U, bias, h0, c0 (LSTM)]; outputs
 * [hs, hT, cT (LSTM), ...residuals]; the public wrappers drop the residuals.
 */
export const recurrentSequenceP: Primitive<CellConfig> = {
  name: 'recurrent_sequence',
  shape: (ins, cfg) => outputAvals(cfg, sequenceDims(ins, cfg)),
  impl(ins, cfg, _outs, into) {
    const d = sequenceDims(ins, cfg);
    return forwardList(cfg, backend().recurrentForward(cfg, d, seqInputs(cfg, ins), forwardInto(cfg, into)));
  },
  // forward mode differentiates the op-level recurrence (exact, not fused)
  jvp(primals, tangents, outs, cfg) {
    const tans = tangents.map((t, i) => t ?? zerosT(dimsOf(primals[i]!)));
    const f = (...xs: AnyTensor[]) => referenceSequence(cfg, xs);
    const [, tOut] = jvpTransform(f as (...xs: unknown[]) => AnyTensor[], primals as unknown[], tans as unknown[]);
    return outs.map((_, i) => tOut[i] ?? null);
  },
  vjp(cts, primals, outs, cfg) {
    const nPub = publicOutputs(cfg);
    const pub = cts.slice(0, nPub);
    if (pub.every((c) => c === null)) return primals.map(() => null);
    // concrete values, or values a jit trace only stages into its plan: the fused backward pass
    const fusedOk = (xs: readonly MaybeTensor[]) => concrete(xs) || onlyJitTracers(xs);
    if (fusedOk(pub) && fusedOk(primals) && fusedOk(outs)) {
      const has = pub.map((c) => c !== null);
      return bind(recurrentSequenceGradP, [...primals, ...outs, ...pub.filter((c): c is AnyTensor => c !== null)], { cfg, has });
    }
    // traced values: an outer transform differentiates this backward pass, so take it through ops
    const f = (...xs: AnyTensor[]) => referenceSequence(cfg, xs);
    const [, pull] = vjpTransform(f as (...xs: unknown[]) => AnyTensor[], ...(primals as unknown[]));
    return pull(pub.map((c, i) => c ?? zerosT(dimsOf(outs[i]!)))) as AnyTensor[];
  },
  // the examples fold into the sequence batch (x, h0, c0); the weights must be unbatched. Its
  // vjp on batched values takes the op-level recurrence (traced values), batched op by op.
  batch: (ins, dims, cfg) => batchFoldN(recurrentSequenceP, ins, dims, cfg, ins.map((_, i) => i === 0 || i >= 4)),
};

export interface SequenceResult {
  readonly hs: AnyTensor;
  readonly hT: AnyTensor;
  readonly cT: AnyTensor | null;
}

function zerosT(shape: readonly number[]): AnyTensor {
  return erase(makeTensor(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1))));
}

/** Run a cell over a sequence; missing bias / states are zeros. */
export function runSequence(
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
