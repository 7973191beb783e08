/**
 * Gradient transformations, optax-style: pure (init, update) pairs over pytrees.
 *
 *   const opt = adam({ learningRate: 1e-3 });
 *   let state = opt.init(params);
 *   const [updates, next] = opt.update(grads, state, params);
 *   params = applyUpdates(params, updates);   // params + updates
 *
 * Params, grads and updates share one pytree type P; the state is typed by P too, so a state
 * made for one model cannot be fed to another. Nothing is mutated: update returns new
 * tensors and a new state (tensors are immutable, so unchanged leaves are shared, not copied).
 *
 * Updates are *added* to the params (optax's convention): optimizers return −lr·direction.
 *
 * Speed: the per-leaf arithmetic of each optimizer runs as one fused loop over the leaf's
 * data when every input is a concrete tensor (the usual case), and as the equivalent
 * composition of public ops otherwise (inside grad / jvp / makeGraph, e.g. when
 * differentiating through an update step), so updates stay differentiable.
 *
 * The step count is an int32 scalar tensor, not a number: inside jit it is an input of the plan,
 * so a jitted training step keeps one signature for every step. Schedules and bias corrections
 * are plain functions of the count; with a traced count they run through a host callback
 * (ops/callback) each time the plan runs, with the same values an eager update computes.
 */
import type { Dim } from '../shape/dims';
import type { Tensor } from '../tensor/tensor';
import { isTensor, makeTensor } from '../tensor/tensor';
import { scalar, zerosLike } from '../tensor/create';
import { pureCallbackRaw } from '../ops/callback';
import { erase, wide, type AnyTensor } from '../tensor/untyped';
import { treeFlatten } from '../autodiff/pytree';
import { add, div, maximum, mul, sqrt } from '../ops/elementwise';
import { sumRaw } from '../ops/reduce-core';
import { ArgumentError } from '../shape/dims';
import { checkSameTree, type TreeAgree } from './trees';
import { valueAt, type ScheduleOr } from './schedules';

/**
 * Optimizer state for params of type P: a pytree (tensors in `slots`, numbers elsewhere), so
 * it can be flattened, saved and restored like params.
 */
export interface State<P> {
  /**
   * number of updates applied so far (an int32 scalar: `stepCount(state)` reads it); schedules
   * read it (the first update sees 0)
   */
  readonly count: Tensor<[], 'int32'>;
  /** per-parameter accumulators, each shaped like the params (adam: mu, nu; sgd momentum: trace) */
  readonly slots: { readonly [name: string]: P };
  /** the states of the transformations inside a chain, in order */
  readonly inner: readonly State<P>[];
}

export interface GradientTransformation {
  /** for messages and summaries, e.g. 'adam' */
  readonly name: string;
  /** the initial state for params (zeros in every slot) */
  init<P>(params: P): State<P>;
  /**
   * Transform grads (or the updates of an earlier transformation) into updates, returning the
   * new state. `params` is needed by transformations that read them (adamw, addDecayedWeights).
   */
  update<P, G = P>(updates: G & TreeAgree<'optim.update', 'grads', 'params', G, NoInfer<P>>, state: State<P>, params?: P): [P, State<P>];
}

/**
 * The implementation side of `update`: one tree type P for updates, state and params. Every
 * implementation runs checkSameTree, the runtime twin of the signature's TreeAgree.
 */
type UpdateImpl = <P>(updates: P, state: State<P>, params?: P) => [P, State<P>];
// cast: the public signature only adds the compile-time tree rule on `updates` to UpdateImpl
const typedUpdate = (f: UpdateImpl) => f as unknown as GradientTransformation['update'];

/** An optimizer is a gradient transformation whose updates are ready to add to the params. */
export type Optimizer = GradientTransformation;

type AnyT = Tensor<Dim[]>;
const A = (x: AnyTensor): AnyT => wide(x);
const T = (x: AnyT): AnyTensor => erase(x);
const f32 = (x: AnyTensor) => x._data as Float32Array;
const wrap = (like: AnyTensor, data: Float32Array): AnyTensor => erase(makeTensor(like.shape as readonly number[], 'float32', data));

function requireFloatLeaves(name: string, leaves: readonly AnyTensor[], paths: readonly string[], what: string): void {
  leaves.forEach((l, i) => {
    if (l.dtype !== 'float32') throw new ArgumentError(name, what, `${what} leaf '${paths[i] || '(root)'}' has dtype ${l.dtype}; only float32 leaves can be optimized`);
  });
}

/** params + updates, leaf by leaf (structures must match). */
export function applyUpdates<P>(params: P, updates: P): P {
  const pf = treeFlatten(params);
  const uf = treeFlatten(updates);
  // leaf by leaf, shapes exactly: an update of shape [1] must not broadcast onto a [3, 4] weight
  checkSameTree('optim.applyUpdates', 'updates', uf, 'params', pf);
  return pf.rebuild(
    pf.leaves.map((p, k) => {
      const u = uf.leaves[k]!;
      // concrete leaves of one shape: a plain loop (the op path would go through broadcasting)
      if (p._data !== null && u._data !== null && p.dtype === 'float32' && u.dtype === 'float32' && p.shape.length === u.shape.length && p.shape.every((d, i) => d === u.shape[i])) {
        const a = f32(p);
        const b = f32(u);
        const out = new Float32Array(a.length);
        for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
        return wrap(p, out);
      }
      return T(add(A(p), A(u)));
    }),
  );
}

/** A number or a schedule, from an untyped caller too. */
function checkScheduleOr(name: string, what: string, v: unknown): void {
  if (typeof v !== 'function' && !(typeof v === 'number' && Number.isFinite(v))) throw new RangeError(`${name}: ${what} must be a finite number or a schedule, got ${String(v)}`);
}

/** The state an update is given must look like one made by init (plain JS callers can pass anything). */
function checkState(op: string, state: unknown): asserts state is State<unknown> {
  const s = state as Partial<State<unknown>> | null;
  if (s === null || typeof s !== 'object' || s.slots === null || typeof s.slots !== 'object' || !Array.isArray(s.inner)) {
    throw new ArgumentError(op, 'state', `state is not an optimizer state ({ count, slots, inner } from init), got ${s === null ? 'null' : Array.isArray(s) ? 'an array' : typeof s}`);
  }
  const c: unknown = s.count;
  if (!isTensor(c) || c.dtype !== 'int32' || c.shape.length !== 0) {
    const got = typeof c === 'number' ? 'a number (wrap a saved count with scalar(n, \'int32\'))' : isTensor(c) ? `a ${c.dtype} tensor of shape [${c.shape.join(', ')}]` : typeof c;
    throw new ArgumentError(op, 'state', `the state's count must be an int32 scalar tensor (from init), got ${got}`);
  }
}

// ---------------------------------------------------------------- leaf-wise transformations

/** The per-leaf rule of a transformation with per-step scalars H. */
export interface LeafRule<H> {
  readonly name: string;
  /** names of the per-leaf state slots */
  readonly slots: readonly string[];
  /** whether update needs params (adamw) */
  readonly needsParams: boolean;
  /** per-step scalars from the count (learning rate, bias corrections, ...); the same structure at every count */
  hyper(count: number): H;
  /**
   * Fused kernel on concrete data: writes the update into `out[0]` and the new slots into
   * `out[1..]` (all freshly allocated, same length as g). `out[0]` may be `g` itself (stages
   * composed by composeRules run in place): read g[i] before writing out[0][i].
   */
  fused(h: H, g: Float32Array, slots: readonly Float32Array[], p: Float32Array | null, out: readonly Float32Array[], path: string): void;
  /**
   * the same rule with ops: [update, ...new slots]. Inside jit the per-step scalars are scalar
   * tensors (computed by a host callback from the traced count), so h's numbers may be either.
   */
  ops(h: Traced<H>, g: AnyT, slots: readonly AnyT[], p: AnyT | null, path: string): AnyT[];
  /** A stage that is affine per element, u = a·g + b·p, says so (scale, addDecayedWeights). */
  affine?(h: H, path: string): readonly [a: number, b: number];
  /**
   * `fused` followed by u ← a·u + b·p in the same loop: what composeRules calls when all the
   * stages after this one are affine (adam → decay → learning rate is one pass, as it was
   * before the optimizers were chains).
   */
  fusedAffine?(h: H, g: Float32Array, slots: readonly Float32Array[], p: Float32Array | null, out: readonly Float32Array[], path: string, a: number, b: number): void;
}

/** H with each number possibly a float32 scalar tensor (the per-step scalars of a traced count). */
export type Traced<H> = H extends number ? number | Tensor<[]> : H extends null | undefined | string | boolean ? H : { readonly [K in keyof H]: Traced<H[K]> };

/** A fresh count of 0. */
export const zeroCount = (): Tensor<[], 'int32'> => scalar(0, 'int32');

/** The number of updates a state has seen (its count; concrete states only). */
export function stepCount(state: State<unknown>): number {
  const c = state.count;
  if (c._data === null) throw new Error('stepCount: the state is traced (inside jit the count is abstract; return it and read it outside)');
  return c._data[0]!;
}

/** count + 1, exact in int32 (the arithmetic ops are float32-only: a traced count steps in a host callback) */
function nextCount(c: Tensor<[], 'int32'>): Tensor<[], 'int32'> {
  if (c._tracer === null) return scalar(c._data![0]! + 1, 'int32');
  const [next] = pureCallbackRaw('optim.update', ([d]) => [Int32Array.of(d![0]! + 1)], [{ shape: [], dtype: 'int32' }], [erase(c)]);
  // cast: the callback's one output is an int32 scalar
  return next! as unknown as Tensor<[], 'int32'>;
}

/** Every number in a hyper-parameter structure, in order (arrays and plain objects walked). */
function numbersOf(h: unknown, out: number[] = []): number[] {
  if (typeof h === 'number') out.push(h);
  else if (Array.isArray(h)) for (const x of h) numbersOf(x, out);
  else if (h !== null && typeof h === 'object') for (const k of Object.keys(h)) numbersOf((h as Record<string, unknown>)[k], out);
  return out;
}
function withNumbers(h: unknown, vals: readonly unknown[], at = { i: 0 }): unknown {
  if (typeof h === 'number') return vals[at.i++];
  if (Array.isArray(h)) return h.map((x) => withNumbers(x, vals, at));
  if (h !== null && typeof h === 'object') return Object.fromEntries(Object.keys(h).map((k) => [k, withNumbers((h as Record<string, unknown>)[k], vals, at)]));
  return h;
}

/**
 * The per-step scalars at a count: computed here for a concrete count; for a traced one (jit)
 * the numbers become float32 scalar tensors that a host callback computes from the count when
 * the plan runs (the rounding an eager ops update applies to them too).
 */
function hyperAt<H>(rule: LeafRule<H>, count: Tensor<[], 'int32'>): { h: Traced<H>; concrete: boolean } {
  // cast: a concrete count gives plain numbers, which Traced<H> admits
  if (count._tracer === null) return { h: rule.hyper(count._data![0]!) as Traced<H>, concrete: true };
  const template = rule.hyper(0);
  const k = numbersOf(template).length;
  if (k === 0) return { h: template as Traced<H>, concrete: false };
  const outs = pureCallbackRaw(
    `${rule.name}.update`,
    ([c]) => numbersOf(rule.hyper(c![0]!)).map((v) => Float32Array.of(v)),
    Array.from({ length: k }, () => ({ shape: [], dtype: 'float32' as const })),
    [erase(count)],
  );
  // cast: the template's structure with its numbers replaced by scalar tensors is Traced<H>
  return { h: withNumbers(template, outs) as Traced<H>, concrete: false };
}

/** Build a transformation from a per-leaf rule. */
export function leafwise<H>(rule: LeafRule<H>): GradientTransformation {
  return {
    name: rule.name,
    init<P>(params: P): State<P> {
      const flat = treeFlatten(params);
      requireFloatLeaves(rule.name, flat.leaves, flat.paths, 'params');
      const slots: Record<string, P> = {};
      for (const s of rule.slots) slots[s] = flat.rebuild(flat.leaves.map((l) => zerosLike(l)));
      return { count: zeroCount(), slots, inner: [] };
    },
    update: typedUpdate(<P,>(updates: P, state: State<P>, params?: P): [P, State<P>] => {
      const op = `${rule.name}.update`;
      checkState(op, state);
      const g = treeFlatten(updates);
      requireFloatLeaves(rule.name, g.leaves, g.paths, 'update');
      if (rule.needsParams && params === undefined) throw new ArgumentError(rule.name, 'params', `update needs the params (opt.update(grads, state, params))`);
      // params, when given, are checked even by rules that do not read them: grads of another
      // model are a bug whatever the optimizer
      const given = params === undefined ? null : treeFlatten(params);
      if (given) checkSameTree(op, 'grads', g, 'params', given);
      const p = rule.needsParams ? given : null;
      const slotFlats = rule.slots.map((s) => {
        const tree = Object.hasOwn(state.slots, s) ? state.slots[s] : undefined;
        if (tree === undefined) throw new ArgumentError(rule.name, 'state', `the state has no '${s}' slot (was it made by ${rule.name}.init?)`);
        const f = treeFlatten(tree);
        checkSameTree(op, `state slot '${s}'`, f, 'grads', g);
        return f;
      });
      const { h, concrete } = hyperAt(rule, state.count);
      // before the leaf ops: inside jit its host callback would otherwise sit between them and
      // the applyUpdates that follows, splitting one fused element-wise step in two
      const count = nextCount(state.count);
      const n = g.leaves.length;
      const outUpdates = new Array<AnyTensor>(n);
      const outSlots = rule.slots.map(() => new Array<AnyTensor>(n));
      for (let i = 0; i < n; i++) {
        const gl = g.leaves[i]!;
        const sl = slotFlats.map((f) => f.leaves[i]!);
        const pl = p ? p.leaves[i]! : null;
        const path = g.paths[i]!;
        if (concrete && gl._data !== null && sl.every((s) => s._data !== null) && (pl === null || pl._data !== null)) {
          const out = [gl, ...sl].map((t) => new Float32Array(t.size));
          // cast: a concrete count gave plain numbers (hyperAt)
          rule.fused(h as H, f32(gl), sl.map(f32), pl && f32(pl), out, path);
          outUpdates[i] = wrap(gl, out[0]!);
          sl.forEach((s, k) => (outSlots[k]![i] = wrap(s, out[k + 1]!)));
        } else {
          const r = rule.ops(h, A(gl), sl.map(A), pl && A(pl), path);
          outUpdates[i] = T(r[0]!);
          r.slice(1).forEach((s, k) => (outSlots[k]![i] = T(s)));
        }
      }
      const slots: Record<string, P> = {};
      rule.slots.forEach((s, k) => (slots[s] = slotFlats[k]!.rebuild(outSlots[k]!)));
      return [g.rebuild(outUpdates), { count, slots, inner: [] }];
    }),
  };
}

// ---------------------------------------------------------------- composition

/**
 * Apply transformations in order, each to the previous one's output (optax.chain):
 * `chain(clipByGlobalNorm(1), adam({ learningRate: 1e-3 }))`. The state holds one inner state
 * per transformation.
 */
export function chain(...transforms: readonly GradientTransformation[]): GradientTransformation {
  transforms.forEach((t, i) => {
    const g = t as Partial<GradientTransformation> | null;
    if (g === null || typeof g !== 'object' || typeof g.init !== 'function' || typeof g.update !== 'function') {
      throw new ArgumentError('chain', `transforms[${i}]`, `argument ${i} is not a gradient transformation ({ init, update }), got ${g === null ? 'null' : typeof g}`);
    }
  });
  const name = `chain(${transforms.map((t) => t.name).join(', ')})`;
  return {
    name,
    init<P>(params: P): State<P> {
      return { count: zeroCount(), slots: {}, inner: transforms.map((t) => t.init(params)) };
    },
    update: typedUpdate(<P,>(updates: P, state: State<P>, params?: P): [P, State<P>] => {
      checkState(`${name}.update`, state);
      if (state.inner.length !== transforms.length) {
        throw new ArgumentError(name, 'state', `the state holds ${state.inner.length} inner states for ${transforms.length} transformations (was it made by this chain's init?)`);
      }
      const count = nextCount(state.count); // first, as in leafwise
      let u = updates;
      const inner = transforms.map((t, i) => {
        const [next, s] = t.update(u, state.inner[i]!, params);
        u = next;
        return s;
      });
      return [u, { count, slots: {}, inner }];
    }),
  };
}

/**
 * Several per-leaf rules run as one (optax's chain of element-wise transformations, fused): the
 * stages' fused kernels run one after the other over each leaf, each reading the previous one's
 * output, with one flatten of the trees and one state whose slots are the stages' slots. This is
 * how adam, adamw and sgd are built from scaleByAdam / trace, addDecayedWeights and
 * scaleByLearningRate while keeping a single pass over the trees (and the state layout of a
 * single transformation).
 */
export function composeRules(name: string, rules: readonly LeafRule<any>[]): LeafRule<unknown[]> {
  const slots = rules.flatMap((r) => r.slots);
  if (new Set(slots).size !== slots.length) throw new Error(`${name}: two stages use the same state slot name (${slots.join(', ')})`);
  const offsets = rules.map((_, k) => rules.slice(0, k).reduce((n, r) => n + r.slots.length, 0));
  return {
    name,
    slots,
    needsParams: rules.some((r) => r.needsParams),
    hyper: (count) => rules.map((r) => r.hyper(count)),
    fused(hs, g, sl, p, out, path) {
      const [first, ...rest] = rules;
      if (first?.fusedAffine && rest.every((r) => r.affine)) {
        // fold the affine tail into one (a, b): a₂(a₁u + b₁p) + b₂p = a₂a₁·u + (a₂b₁ + b₂)·p
        let a = 1;
        let b = 0;
        rest.forEach((r, k) => {
          const [ak, bk] = r.affine!(hs[k + 1], path);
          a *= ak;
          b = ak * b + bk;
        });
        first.fusedAffine(hs[0], g, sl.slice(0, first.slots.length), p, [out[0]!, ...out.slice(1, 1 + first.slots.length)], path, a, b);
        return;
      }
      let cur = g;
      rules.forEach((r, k) => {
        const o = offsets[k]!;
        const n = r.slots.length;
        // every stage writes the update buffer; the later ones read it in place (a fused kernel
        // reads g[i] before it writes out[0][i]), so the chain allocates nothing per stage
        r.fused(hs[k], cur, sl.slice(o, o + n), p, [out[0]!, ...out.slice(1 + o, 1 + o + n)], path);
        cur = out[0]!;
      });
    },
    ops(hs, g, sl, p, path) {
      let cur = g;
      const newSlots: AnyT[] = [];
      rules.forEach((r, k) => {
        const o = offsets[k]!;
        const [u, ...ns] = r.ops(hs[k], cur, sl.slice(o, o + r.slots.length), p, path);
        cur = u!;
        newSlots.push(...ns);
      });
      return [cur, ...newSlots];
    },
  };
}

/** The per-leaf rule of `scale`: u = factor · g. */
export function scaleRule(name: string, factor: (count: number) => number): LeafRule<number> {
  return {
    name,
    slots: [],
    needsParams: false,
    hyper: factor,
    fused(s, g, _slots, _p, out) {
      const u = out[0]!;
      for (let i = 0; i < g.length; i++) u[i] = s * g[i]!;
    },
    ops: (s, g) => [mul(g, s)],
    affine: (s) => [s, 0],
  };
}

/** Multiply the updates by a constant or scheduled factor (e.g. `scale(-lr)` after a direction). */
export function scale(factor: ScheduleOr): GradientTransformation {
  checkScheduleOr('scale', 'factor', factor);
  return leafwise(scaleRule('scale', (count) => valueAt(factor, count)));
}

/**
 * Multiply the updates by −learningRate (optax scale_by_learning_rate): the last stage of an
 * optimizer built by chain, turning a direction into an update to add to the params.
 */
export function scaleByLearningRate(learningRate: ScheduleOr): GradientTransformation {
  checkScheduleOr('scaleByLearningRate', 'learningRate', learningRate);
  return leafwise(scaleByLearningRateRule(learningRate));
}
export function scaleByLearningRateRule(learningRate: ScheduleOr): LeafRule<number> {
  return scaleRule('scaleByLearningRate', (count) => -valueAt(learningRate, count));
}

/** The per-leaf rule of `addDecayedWeights`: u = g + wd · p where the path passes the mask. */
export function addDecayedWeightsRule(weightDecay: ScheduleOr, mask?: (path: string) => boolean): LeafRule<number> {
  return {
    name: 'addDecayedWeights',
    slots: [],
    needsParams: true,
    hyper: (count) => valueAt(weightDecay, count),
    fused(wd, g, _slots, p, out, path) {
      const u = out[0]!;
      const w = mask && !mask(path) ? 0 : wd;
      for (let i = 0; i < g.length; i++) u[i] = g[i]! + w * p![i]!;
    },
    ops: (wd, g, _slots, p, path) => [mask && !mask(path) ? g : add(g, mul(p!, wd))],
    affine: (wd, path) => [1, mask && !mask(path) ? 0 : wd],
  };
}

/**
 * Add weightDecay · params to the updates (optax add_decayed_weights), for leaves whose path
 * (e.g. '0.kernel') passes `mask` (default: all). Put it before the learning-rate scaling to get
 * decoupled weight decay.
 */
export function addDecayedWeights(weightDecay: ScheduleOr, mask?: (path: string) => boolean): GradientTransformation {
  checkScheduleOr('addDecayedWeights', 'weightDecay', weightDecay);
  if (mask !== undefined && typeof mask !== 'function') throw new ArgumentError('addDecayedWeights', 'mask', `mask must be a function of the leaf path, got ${typeof mask}`);
  return leafwise(addDecayedWeightsRule(weightDecay, mask));
}

// ---------------------------------------------------------------- clipping

/**
 * The global L2 norm of a pytree, √(Σ over all leaves of Σ x²), as a number (accumulated in
 * float64). The pytree must be concrete.
 */
export function globalNorm(tree: unknown): number {
  let s = 0;
  for (const l of treeFlatten(tree).leaves) {
    const d = l._data as Float32Array | null;
    if (d === null) throw new Error('globalNorm: needs concrete tensors (use the ops path inside transforms)');
    for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  }
  return Math.sqrt(s);
}

/**
 * Scale all updates by min(1, maxNorm / ‖updates‖), ‖·‖ the global L2 norm over every leaf
 * (optax.clip_by_global_norm): the direction is kept, the length capped at maxNorm.
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new RangeError(`clipByGlobalNorm: maxNorm must be a positive finite number, got ${maxNorm}`);
  return {
    name: 'clipByGlobalNorm',
    init: <P>(): State<P> => ({ count: zeroCount(), slots: {}, inner: [] }),
    update: typedUpdate(<P,>(updates: P, state: State<P>): [P, State<P>] => {
      checkState('clipByGlobalNorm.update', state);
      const flat = treeFlatten(updates);
      requireFloatLeaves('clipByGlobalNorm', flat.leaves, flat.paths, 'update');
      const next: State<P> = { count: nextCount(state.count), slots: {}, inner: [] };
      if (flat.leaves.every((l) => l._data !== null)) {
        const n = globalNorm(updates);
        if (n <= maxNorm) return [updates, next];
        const f = maxNorm / n;
        return [flat.rebuild(flat.leaves.map((l) => T(mul(A(l), f)))), next];
      }
      // traced: the same rule with ops, factor = maxNorm / max(‖g‖, maxNorm)
      let sq: AnyT | null = null;
      for (const l of flat.leaves) {
        const s = A(sumRaw(T(mul(A(l), A(l))), Array.from({ length: l.shape.length }, (_, i) => i), false));
        sq = sq === null ? s : add(sq, s);
      }
      if (sq === null) return [updates, next];
      const factor = div(maxNorm, maximum(sqrt(sq), maxNorm));
      return [flat.rebuild(flat.leaves.map((l) => T(mul(A(l), factor)))), next];
    }),
  };
}
