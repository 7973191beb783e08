/**
 * Optimizers as gradient transformations (see ./transform). Each returns updates to ADD to the
 * params. Learning rates (and weight decay) take a number or a schedule of the step count.
 *
 * Update rules (t = count + 1, g the gradient, all per element):
 * - sgd:      u = −lr·g; with momentum m: v ← g + m·v, u = −lr·v; nesterov: u = −lr·(g + m·v)
 *             (v updated first) — optax.sgd, tf.train.momentum.
 * - adam:     μ ← β1·μ + (1 − β1)·g;  ν ← β2·ν + (1 − β2)·g²;
 *             u = −lr · (μ / (1 − β1^t)) / (√(ν / (1 − β2^t)) + ε)   — optax.adam and
 *             tf.train.adam (ε outside the root, after bias correction). Defaults differ: ε = 1e-8
 *             here (optax, PyTorch), 1e-7 in tfjs (its backend epsilon). Keras / TF-Python Adam
 *             instead add ε̂ = ε·√(1 − β2^t) before the correction.
 * - adamw:    adam's direction plus decoupled weight decay: u = −lr · (adam direction + wd·p),
 *             wd applied to the leaves whose path passes `decayMask` (optax.adamw, PyTorch AdamW).
 * - rmsprop:  ν ← ρ·ν + (1 − ρ)·g²; centered: γ ← ρ·γ + (1 − ρ)·g, ν̂ = ν − γ² else ν̂ = ν;
 *             s = g / √(ν̂ + ε) (ε inside the root, as tf.train.rmsprop and optax; for the centred
 *             variant tfjs computes √(ν − (γ² + ε)), i.e. subtracts ε: the two agree at ε = 0);
 *             no momentum: u = −lr·s; momentum m: v ← m·v + lr·s, u = −v.
 */
import { add, div, mul, sqrt, square, sub, neg } from '../ops/elementwise';
import { addDecayedWeightsRule, composeRules, leafwise, scaleByLearningRateRule, type GradientTransformation, type LeafRule } from './transform';
import { valueAt, type ScheduleOr } from './schedules';
import { ArgumentError } from '../shape/dims';
import { optionsArg } from '../tensor/validate';

/** Plain-JS callers: the options must be an object with known keys (a misspelt key is ignored otherwise). */
function checkOptions(name: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new ArgumentError(name, 'options', `options must be an object with a learningRate, got ${options === null ? 'null' : typeof options}`);
  optionsArg(name, options, allowed);
}
function checkFlag(name: string, what: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new ArgumentError(name, what, `${what} must be true or false, got ${typeof v}`);
}

function checkRate(name: string, lr: ScheduleOr): void {
  if (typeof lr !== 'function' && !Number.isFinite(lr)) throw new RangeError(`${name}: learningRate must be a finite number or a schedule, got ${lr}`);
}
function checkUnit(name: string, what: string, x: number): void {
  if (typeof x !== 'number' || !(x >= 0 && x < 1)) throw new RangeError(`${name}: ${what} must be in [0, 1), got ${x}`);
}
function checkNonNeg(name: string, what: string, x: number): void {
  if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) throw new RangeError(`${name}: ${what} must be a finite number >= 0, got ${x}`);
}

// ---------------------------------------------------------------- sgd

export interface SgdOptions {
  readonly learningRate: ScheduleOr;
  /** momentum coefficient (default 0: plain gradient descent, no state) */
  readonly momentum?: number;
  /** Nesterov momentum (default false) */
  readonly nesterov?: boolean;
}

/** Stochastic gradient descent, optionally with (Nesterov) momentum. */
export function sgd(options: SgdOptions): GradientTransformation {
  checkOptions('sgd', options, ['learningRate', 'momentum', 'nesterov']);
  checkFlag('sgd', 'nesterov', options.nesterov);
  const { learningRate } = options;
  const m = options.momentum ?? 0;
  const nesterov = options.nesterov ?? false;
  checkRate('sgd', learningRate);
  checkNonNeg('sgd', 'momentum', m);
  if (nesterov && m === 0) throw new RangeError('sgd: nesterov needs a momentum > 0');
  const lr = scaleByLearningRateRule(learningRate);
  return leafwise(composeRules('sgd', m === 0 ? [lr] : [traceRule(m, nesterov), lr]));
}

export interface TraceOptions {
  /** momentum coefficient m (> 0) */
  readonly decay: number;
  /** Nesterov momentum (default false) */
  readonly nesterov?: boolean;
}

/** The per-leaf rule of `trace`: v ← g + m·v; u = v, or g + m·v with Nesterov. */
function traceRule(m: number, nesterov: boolean): LeafRule<null> {
  const kernel: NonNullable<LeafRule<null>['fusedAffine']> = (_h, g, [v], p, out, _path, a, b) => {
    const [u, v2] = out as [Float32Array, Float32Array];
    for (let i = 0; i < g.length; i++) {
      const gi = g[i]!;
      const vi = gi + m * v![i]!;
      v2[i] = vi;
      const d = nesterov ? gi + m * vi : vi;
      u[i] = b === 0 ? a * d : a * d + b * p![i]!;
    }
  };
  return {
    name: 'trace',
    slots: ['trace'],
    needsParams: false,
    hyper: () => null,
    fused: (h, g, slots, p, out, path) => kernel(h, g, slots, p, out, path, 1, 0),
    fusedAffine: kernel,
    ops(_h, g, [v]) {
      const v2 = add(g, mul(v!, m));
      return [nesterov ? add(g, mul(v2, m)) : v2, v2];
    },
  };
}

/** Momentum (optax trace): an exponentially decaying sum of past updates, in the slot 'trace'. */
export function trace(options: TraceOptions): GradientTransformation {
  checkOptions('trace', options, ['decay', 'nesterov']);
  checkFlag('trace', 'nesterov', options.nesterov);
  checkNonNeg('trace', 'decay', options.decay);
  return leafwise(traceRule(options.decay, options.nesterov ?? false));
}

// ---------------------------------------------------------------- adam, adamw

export interface AdamOptions {
  readonly learningRate: ScheduleOr;
  /** decay of the first-moment average (default 0.9) */
  readonly beta1?: number;
  /** decay of the second-moment average (default 0.999) */
  readonly beta2?: number;
  /** added to the bias-corrected √ν (default 1e-8) */
  readonly epsilon?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** decoupled weight decay coefficient (default 1e-4, as optax), scaled by the learning rate */
  readonly weightDecay?: ScheduleOr;
  /** which leaves to decay, by path such as '1.kernel' (default all) */
  readonly decayMask?: (path: string) => boolean;
}

export interface ScaleByAdamOptions {
  /** decay of the first-moment average (default 0.9) */
  readonly beta1?: number;
  /** decay of the second-moment average (default 0.999) */
  readonly beta2?: number;
  /** added to the bias-corrected √ν (default 1e-8) */
  readonly epsilon?: number;
}

interface AdamHyper {
  /** 1 / (1 − β1^t) */
  readonly c1: number;
  /** 1 / (1 − β2^t) */
  readonly c2: number;
}

function adamMoments(name: string, o: ScaleByAdamOptions): [number, number, number] {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.epsilon ?? 1e-8;
  checkUnit(name, 'beta1', b1);
  checkUnit(name, 'beta2', b2);
  checkNonNeg(name, 'epsilon', eps);
  return [b1, b2, eps];
}

/** The per-leaf rule of `scaleByAdam`: μ, ν updated, u = μ̂ / (√ν̂ + ε). */
function scaleByAdamRule(b1: number, b2: number, eps: number): LeafRule<AdamHyper> {
  const kernel: NonNullable<LeafRule<AdamHyper>['fusedAffine']> = ({ c1, c2 }, g, [mu, nu], p, out, _path, a, b) => {
    const [u, mu2, nu2] = out as [Float32Array, Float32Array, Float32Array];
    const a1 = 1 - b1;
    const a2 = 1 - b2;
    for (let i = 0; i < g.length; i++) {
      const gi = g[i]!;
      const m = b1 * mu![i]! + a1 * gi;
      const v = b2 * nu![i]! + a2 * gi * gi;
      mu2[i] = m;
      nu2[i] = v;
      const dir = (m * c1) / (Math.sqrt(v * c2) + eps);
      u[i] = b === 0 ? a * dir : a * dir + b * p![i]!;
    }
  };
  return {
    name: 'scaleByAdam',
    slots: ['mu', 'nu'],
    needsParams: false,
    hyper(count) {
      const t = count + 1;
      return { c1: 1 / (1 - b1 ** t), c2: 1 / (1 - b2 ** t) };
    },
    fused: (h, g, slots, p, out, path) => kernel(h, g, slots, p, out, path, 1, 0),
    fusedAffine: kernel,
    ops(h, g, [mu, nu]) {
      const mu2 = add(mul(mu!, b1), mul(g, 1 - b1));
      const nu2 = add(mul(nu!, b2), mul(square(g), 1 - b2));
      return [div(mul(mu2, h.c1), add(sqrt(mul(nu2, h.c2)), eps)), mu2, nu2];
    },
  };
}

/**
 * Adam's bias-corrected direction (optax scale_by_adam), slots 'mu' and 'nu'; no learning rate:
 * `chain(scaleByAdam(), scaleByLearningRate(1e-3))` is `adam({ learningRate: 1e-3 })`.
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation {
  checkOptions('scaleByAdam', options, ['beta1', 'beta2', 'epsilon']);
  return leafwise(scaleByAdamRule(...adamMoments('scaleByAdam', options)));
}

/**
 * adam = scaleByAdam → scaleByLearningRate; adamw puts addDecayedWeights between them (optax's
 * chains), composed per leaf into one pass (composeRules).
 */
function adamLike(name: string, o: AdamWOptions, decoupled: boolean): GradientTransformation {
  checkOptions(name, o, ['learningRate', 'beta1', 'beta2', 'epsilon', ...(decoupled ? ['weightDecay', 'decayMask'] : [])]);
  if (o.decayMask !== undefined && typeof o.decayMask !== 'function') throw new ArgumentError(name, 'decayMask', `decayMask must be a function of the leaf path, got ${typeof o.decayMask}`);
  const moments = adamMoments(name, o);
  checkRate(name, o.learningRate);
  const stages: LeafRule<any>[] = [scaleByAdamRule(...moments)];
  if (decoupled) {
    const wd = o.weightDecay ?? 1e-4;
    if (typeof wd !== 'function') checkNonNeg(name, 'weightDecay', wd);
    stages.push(addDecayedWeightsRule(wd, o.decayMask));
  }
  stages.push(scaleByLearningRateRule(o.learningRate));
  return leafwise(composeRules(name, stages));
}

/** Adam (Kingma & Ba) with bias correction, optax conventions. */
export function adam(options: AdamOptions): GradientTransformation {
  return adamLike('adam', options, false);
}

/** AdamW: Adam plus decoupled weight decay −lr·wd·p (Loshchilov & Hutter); needs params in update. */
export function adamw(options: AdamWOptions): GradientTransformation {
  return adamLike('adamw', options, true);
}

// ---------------------------------------------------------------- rmsprop

export interface RmspropOptions {
  readonly learningRate: ScheduleOr;
  /** decay ρ of the squared-gradient average (default 0.9) */
  readonly decay?: number;
  /** inside the square root (default 1e-8) */
  readonly epsilon?: number;
  /** momentum on the scaled step (default 0) */
  readonly momentum?: number;
  /** divide by the centred second moment (an estimate of the variance) (default false) */
  readonly centered?: boolean;
}

/** RMSprop (Hinton), optionally centred and with momentum; tf.train.rmsprop / optax conventions. */
export function rmsprop(options: RmspropOptions): GradientTransformation {
  checkOptions('rmsprop', options, ['learningRate', 'decay', 'epsilon', 'momentum', 'centered']);
  checkFlag('rmsprop', 'centered', options.centered);
  const rho = options.decay ?? 0.9;
  const eps = options.epsilon ?? 1e-8;
  const mom = options.momentum ?? 0;
  const centered = options.centered ?? false;
  const { learningRate } = options;
  checkRate('rmsprop', learningRate);
  checkUnit('rmsprop', 'decay', rho);
  checkNonNeg('rmsprop', 'epsilon', eps);
  checkNonNeg('rmsprop', 'momentum', mom);
  const slots = ['nu', ...(centered ? ['mg'] : []), ...(mom > 0 ? ['trace'] : [])];
  const iMg = centered ? 1 : -1;
  const iTr = mom > 0 ? slots.length - 1 : -1;
  return leafwise<number>({
    name: 'rmsprop',
    slots,
    needsParams: false,
    hyper: (count) => valueAt(learningRate, count),
    fused(lr, g, s, _p, out) {
      const u = out[0]!;
      const nu = s[0]!;
      const nu2 = out[1]!;
      const mg = iMg >= 0 ? s[iMg]! : null;
      const mg2 = iMg >= 0 ? out[iMg + 1]! : null;
      const tr = iTr >= 0 ? s[iTr]! : null;
      const tr2 = iTr >= 0 ? out[iTr + 1]! : null;
      const a = 1 - rho;
      for (let i = 0; i < g.length; i++) {
        const gi = g[i]!;
        const v = rho * nu[i]! + a * gi * gi;
        nu2[i] = v;
        let denom = v;
        if (mg) {
          const c = rho * mg[i]! + a * gi;
          mg2![i] = c;
          denom = v - c * c;
        }
        const step = gi / Math.sqrt(denom + eps);
        if (tr) {
          const t = mom * tr[i]! + lr * step;
          tr2![i] = t;
          u[i] = -t;
        } else u[i] = -lr * step;
      }
    },
    ops(lr, g, s) {
      const nu2 = add(mul(s[0]!, rho), mul(square(g), 1 - rho));
      const out = [nu2];
      let denom = nu2;
      if (iMg >= 0) {
        const mg2 = add(mul(s[iMg]!, rho), mul(g, 1 - rho));
        out.push(mg2);
        denom = sub(nu2, square(mg2));
      }
      const step = div(g, sqrt(add(denom, eps)));
      if (iTr >= 0) {
        const t = add(mul(s[iTr]!, mom), mul(step, lr));
        out.push(t);
        return [neg(t), ...out];
      }
      // −(step·lr), the same bits as step·(−lr); lr may be a scalar tensor inside jit
      return [neg(mul(step, lr)), ...out];
    },
  });
}
