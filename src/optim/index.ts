/**
 * Optimizers, gradient transformations and learning-rate schedules (optax-style pure
 * (init, update) pairs over pytrees).
 */
export {
  applyUpdates,
  chain,
  scale,
  scaleByLearningRate,
  composeRules,
  addDecayedWeights,
  clipByGlobalNorm,
  globalNorm,
  leafwise,
  stepCount,
  type GradientTransformation,
  type Traced,
  type LeafRule,
  type Optimizer,
  type State,
} from './transform';
export { sgd, adam, adamw, rmsprop, scaleByAdam, trace, type ScaleByAdamOptions, type TraceOptions, type SgdOptions, type AdamOptions, type AdamWOptions, type RmspropOptions } from './optimizers';
export {
  constantSchedule,
  linearSchedule,
  linearWarmup,
  cosineDecay,
  warmupCosineDecay,
  exponentialDecay,
  stepDecay,
  piecewiseConstant,
  valueAt,
  type Schedule,
  type ScheduleOr,
  type LinearScheduleOptions,
  type WarmupOptions,
  type CosineDecayOptions,
  type WarmupCosineOptions,
  type ExponentialDecayOptions,
  type StepDecayOptions,
} from './schedules';
