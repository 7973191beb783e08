/**
 * Learning-rate schedules: plain functions of the step count (the number of updates already
 * applied, read from the optimizer state: the first update uses step 0, as optax). Any
 * optimizer takes a schedule wherever it takes a number.
 */

export type Schedule = (step: number) => number;
/** a constant or a schedule */
export type ScheduleOr = number | Schedule;

/** The value of a constant-or-schedule at a step. */
export function valueAt(v: ScheduleOr, step: number): number {
  return typeof v === 'function' ? v(step) : v;
}

function finite(name: string, what: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`${name}: ${what} must be a finite number, got ${x}`);
}
function nonNegInt(name: string, what: string, x: number): void {
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`${name}: ${what} must be a non-negative integer, got ${x}`);
}

/** The same value at every step. */
export function constantSchedule(value: number): Schedule {
  finite('constantSchedule', 'value', value);
  return () => value;
}

export interface LinearScheduleOptions {
  readonly init: number;
  readonly end: number;
  /** steps over which the value moves from init to end */
  readonly steps: number;
  /** steps at init before the transition starts (default 0) */
  readonly begin?: number;
}

/** init until `begin`, then linearly to `end` over `steps` steps, then end. */
export function linearSchedule(o: LinearScheduleOptions): Schedule {
  const begin = o.begin ?? 0;
  finite('linearSchedule', 'init', o.init);
  finite('linearSchedule', 'end', o.end);
  nonNegInt('linearSchedule', 'steps', o.steps);
  nonNegInt('linearSchedule', 'begin', begin);
  return (step) => {
    if (o.steps === 0) return step < begin ? o.init : o.end;
    const frac = Math.min(Math.max(step - begin, 0), o.steps) / o.steps;
    return o.init + (o.end - o.init) * frac;
  };
}

export interface WarmupOptions {
  /** the value reached after warm-up and kept afterwards */
  readonly peak: number;
  readonly warmupSteps: number;
  /** the value at step 0 (default 0) */
  readonly init?: number;
}

/** Linear warm-up from init (default 0) to peak over warmupSteps, then constant. */
export function linearWarmup(o: WarmupOptions): Schedule {
  return linearSchedule({ init: o.init ?? 0, end: o.peak, steps: o.warmupSteps });
}

export interface CosineDecayOptions {
  readonly init: number;
  readonly decaySteps: number;
  /** the final value as a fraction of init (default 0) */
  readonly alpha?: number;
}

/** init·((1 − α)·½(1 + cos(π·min(step, T)/T)) + α) with T = decaySteps (optax cosine_decay_schedule). */
export function cosineDecay(o: CosineDecayOptions): Schedule {
  const alpha = o.alpha ?? 0;
  finite('cosineDecay', 'init', o.init);
  finite('cosineDecay', 'alpha', alpha);
  if (!Number.isInteger(o.decaySteps) || o.decaySteps < 1) throw new RangeError(`cosineDecay: decaySteps must be a positive integer, got ${o.decaySteps}`);
  return (step) => {
    const t = Math.min(Math.max(step, 0), o.decaySteps) / o.decaySteps;
    return o.init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
  };
}

export interface WarmupCosineOptions {
  readonly peak: number;
  readonly warmupSteps: number;
  /** total steps, warm-up included: the value reaches `end` at this step */
  readonly decaySteps: number;
  readonly init?: number;
  readonly end?: number;
}

/**
 * Linear warm-up from init (default 0) to peak over warmupSteps, then cosine decay from peak to
 * end (default 0) over the remaining decaySteps − warmupSteps steps (optax warmup_cosine_decay_schedule).
 */
export function warmupCosineDecay(o: WarmupCosineOptions): Schedule {
  const init = o.init ?? 0;
  const end = o.end ?? 0;
  finite('warmupCosineDecay', 'peak', o.peak);
  nonNegInt('warmupCosineDecay', 'warmupSteps', o.warmupSteps);
  if (!Number.isInteger(o.decaySteps) || o.decaySteps <= o.warmupSteps) {
    throw new RangeError(`warmupCosineDecay: decaySteps (${o.decaySteps}) must be an integer greater than warmupSteps (${o.warmupSteps})`);
  }
  const warm = linearSchedule({ init, end: o.peak, steps: o.warmupSteps });
  const span = o.decaySteps - o.warmupSteps;
  return (step) => {
    if (step < o.warmupSteps) return warm(step);
    const t = Math.min(step - o.warmupSteps, span) / span;
    return end + (o.peak - end) * 0.5 * (1 + Math.cos(Math.PI * t));
  };
}

export interface ExponentialDecayOptions {
  readonly init: number;
  /** the factor applied every transitionSteps steps */
  readonly decayRate: number;
  readonly transitionSteps: number;
  /** decay in whole steps of transitionSteps (default false: continuously) */
  readonly staircase?: boolean;
  /** steps at init before decay starts (default 0) */
  readonly begin?: number;
  /** a floor (decayRate < 1) or ceiling (decayRate > 1) on the value */
  readonly end?: number;
}

/** init · decayRate^((step − begin) / transitionSteps), floored with staircase, clamped at end. */
export function exponentialDecay(o: ExponentialDecayOptions): Schedule {
  const begin = o.begin ?? 0;
  finite('exponentialDecay', 'init', o.init);
  if (!(o.decayRate > 0) || !Number.isFinite(o.decayRate)) throw new RangeError(`exponentialDecay: decayRate must be positive, got ${o.decayRate}`);
  if (!Number.isInteger(o.transitionSteps) || o.transitionSteps < 1) throw new RangeError(`exponentialDecay: transitionSteps must be a positive integer, got ${o.transitionSteps}`);
  nonNegInt('exponentialDecay', 'begin', begin);
  return (step) => {
    let p = Math.max(step - begin, 0) / o.transitionSteps;
    if (o.staircase) p = Math.floor(p);
    const v = o.init * o.decayRate ** p;
    if (o.end === undefined) return v;
    return o.decayRate < 1 ? Math.max(v, o.end) : Math.min(v, o.end);
  };
}

export interface StepDecayOptions {
  readonly init: number;
  /** multiply by this factor ... */
  readonly factor: number;
  /** ... every this many steps */
  readonly every: number;
}

/** init · factor^⌊step / every⌋ (Keras-style step decay). */
export function stepDecay(o: StepDecayOptions): Schedule {
  return exponentialDecay({ init: o.init, decayRate: o.factor, transitionSteps: o.every, staircase: true });
}

/**
 * values[0] before boundaries[0], values[i] from boundaries[i − 1] on (values has one more entry
 * than boundaries; boundaries strictly increasing).
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): Schedule {
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(`piecewiseConstant: needs one more value than boundaries (${values.length} values, ${boundaries.length} boundaries)`);
  }
  boundaries.forEach((b, i) => {
    if (!Number.isFinite(b) || (i > 0 && b <= boundaries[i - 1]!)) throw new RangeError(`piecewiseConstant: boundaries must be finite and strictly increasing, got [${boundaries.join(', ')}]`);
  });
  values.forEach((v) => finite('piecewiseConstant', 'each value', v));
  const bs = boundaries.slice();
  const vs = values.slice();
  return (step) => {
    let i = 0;
    while (i < bs.length && step >= bs[i]!) i++;
    return vs[i]!;
  };
}
