/**
 * `fit`: a small, explicit training loop — batching and shuffling from a key, one
 * valueAndGrad + optimizer step per batch, per-epoch history, validation, early stopping and
 * progress callbacks. Nothing here is hidden state: the same key, data and params give the same
 * history, and the loop is short enough to copy when you need something else (see
 * test/train.test.ts for the hand-written version with valueAndGrad + opt.update).
 *
 *   const { params, history } = fit(model.init(key(0)), {
 *     model, loss: sparseCategoricalCrossEntropy, optimizer: adam({ learningRate: 1e-3 }),
 *     data: { x, y }, epochs: 10, batchSize: 32, key: key(1),
 *     metrics: { accuracy }, validation: { x: xVal, y: yVal },
 *     earlyStopping: { patience: 3 },
 *     onBatch: (p) => bar.update(p.globalStep + 1, { loss: p.loss.toFixed(3) }),
 *   });
 *
 * Data: `{ x, y }` with tensors (or pytrees of tensors) sharing a leading example axis, cut
 * into batches of `batchSize` (the last one smaller unless dropRemainder), reshuffled every
 * epoch; or an array of ready-made batches (`[x, y]` or `{ x, y }`), whose order is shuffled.
 * Epoch losses and metrics are means over batches weighted by batch size.
 */
import type { Dim, Shape } from '../shape/dims';
import { Tensor, makeTensor } from '../tensor/tensor';
import { treeCopy, treeFlatten } from '../autodiff/pytree';
import { erase, wide } from '../tensor/untyped';
import { valueAndGrad, type Scalar } from '../autodiff/transforms';
import { jit } from '../autodiff/jit';
import { sameGraph } from '../autodiff/graph';
import { gather } from '../ops/indexing';
import { foldIn, key as makeKey, permutationArray, split, type Key } from '../random';
import { applyUpdates, type GradientTransformation, type State } from '../optim/transform';
import type { ApplyContext } from './layer';
import type { DimFits, InputDtypeCheck, Model, OutputOf } from './sequential';
import type { ShapeMismatch } from '../shape/dims';
import type { DType } from '../tensor/dtype';

// ---------------------------------------------------------------- types

/** A tensor (or pytree of tensors) with its leading example dim replaced by `number` (a batch). */
export type BatchOf<X> =
  X extends Tensor<infer S, infer D>
    ? S extends readonly [Dim, ...infer R extends Shape]
      ? Tensor<[number, ...R], D>
      : X
    : X extends readonly unknown[]
      ? { -readonly [K in keyof X]: BatchOf<X[K]> }
      : X extends object
        ? { -readonly [K in keyof X]: BatchOf<X[K]> }
        : X;

/** Anything with a forward pass: a `Model` from sequential(), a layer wrapper, ... */
export interface ApplyLike<P, X, O> {
  // a property, not a method, so that parameters are checked strictly (the batch must fit the model)
  readonly apply: (params: P, x: X, ctx?: ApplyContext) => O;
}
/** ... or a plain function of params, a batch and the context. */
export type ApplyFn<P, X, O> = (params: P, x: X, ctx: ApplyContext) => O;

/** A model usable with params P on batches XB. */
export type ModelFor<P, XB> = ApplyLike<P, XB, unknown> | ApplyFn<P, XB, unknown>;

/**
 * The predictions of model M on a batch XB: for a sequential `Model`, the exact output shape of
 * its layers for the batch shape; otherwise the return type of apply / the function.
 */
export type PredictionOf<M, XB> =
  M extends Model<Shape, infer Ls>
    ? XB extends Tensor<infer XS, DType>
      ? Tensor<OutputOf<XS, Ls>>
      : unknown
    : M extends (params: never, x: never, ctx: never) => infer O
      ? O
      : M extends { apply(params: never, x: never, ctx?: never): infer O }
        ? O
        : unknown;

/**
 * The model property's check. A sequential `Model` is checked here for its params only: its
 * input (shape and dtype) is checked on the data (`DataCheck`), so that a wrong `data.x` is
 * reported on `x` in the `data` line, naming both widths, and not on `model`. Other models (apply
 * objects, functions) are checked against the batch type as before.
 */
export type ModelCheck<M, P, X> = M extends Model<infer _S extends Shape, infer _Ls extends readonly unknown[]> ? ApplyLike<P, never, unknown> : ModelFor<P, BatchOf<X>>;

/** Whether dims 1.. of data shape X fit the model's input S (dim 0 holds the examples). */
type DataDimsFit<Who extends string, S extends Shape, X extends Shape, Field extends string, I extends unknown[] = [0]> = I['length'] extends S['length']
  ? unknown
  : DimFits<S[I['length']], X[I['length']]> extends true
    ? DataDimsFit<Who, S, X, Field, [...I, 0]>
    : S['length'] extends 2
      ? ShapeMismatch<`${Who}: ${Field}: the model takes ${S[1] & (string | number)} features, got ${X[1] & (string | number)}`, S, X>
      : ShapeMismatch<`${Who}: ${Field} dim ${I['length']} differs (the model takes ${S[I['length']] & (string | number)}, got ${X[I['length']] & (string | number)})`, S, X>;

/**
 * The data property's check for a sequential `Model` fed whole tensors `{ x, y }`: `data.x`
 * must have the model's rank, fit its input dims after the example dim, and have the dtype
 * of its first typed layer; a mismatch names the rule with both sides (`fit: data.x: the
 * model takes 784 features, got 785`). unknown otherwise (ready-made batches, other models).
 */
export type DataCheck<Who extends string, M, X, Field extends string = 'data.x'> =
  M extends Model<infer S extends Shape, infer Ls extends readonly unknown[]>
    ? X extends Tensor<infer XS, infer D>
      ? number extends XS['length']
        ? unknown
        : XS['length'] extends S['length']
          ? DataDimsFit<Who, S, XS, Field> extends infer C
            ? unknown extends C
              ? InputDtypeCheck<Ls, D> extends ShapeMismatch<infer R, infer E, infer A>
                ? ShapeMismatch<`${Who}: ${Field}: ${R}`, E, A>
                : unknown
              : C
            : never
          : ShapeMismatch<`${Who}: ${Field}: the model takes rank ${S['length']}, got ${XS['length']}`, S, XS>
      : unknown
    : unknown;

/**
 * The type of the data property: FitData, or, when `DataCheck` fails, only its mismatch, so
 * that the message starts with the rule instead of the whole data type.
 */
export type CheckedData<Who extends string, M, X, Y, Field extends string = 'data.x'> = [DataCheck<Who, M, X, Field>] extends [ShapeMismatch<string, unknown, unknown>] ? DataCheck<Who, M, X, Field> : FitData<X, Y>;

/**
 * The type of the validation property: for a sequential `Model`, checked against the model's
 * input like `data` (any number of examples; `fit: validation.x: the model takes 784 features,
 * got 785`, on the validation line); for other models, batches of the training data's type.
 */
export type CheckedValidation<M, X, Y, VX> = M extends Model<infer _S extends Shape, infer _Ls extends readonly unknown[]> ? CheckedData<'fit', M, VX, BatchOf<Y>, 'validation.x'> : FitData<BatchOf<X>, BatchOf<Y>>;

/**
 * The predictions and targets the loss and metrics see; never when the data check fails, so
 * that a wrong data.x is reported once, on the data, and not again on the loss.
 */
type Checked<Who extends string, M, X, T> = [DataCheck<Who, M, X>] extends [ShapeMismatch<string, unknown, unknown>] ? never : T;

/** One ready-made batch. */
export type Batch<X, Y> = readonly [X, Y] | { readonly x: X; readonly y: Y };

/** Whole tensors cut into batches by fit, or ready-made batches. */
export type FitData<X, Y> = { readonly x: X; readonly y: Y } | readonly Batch<X, Y>[];

export type Metric<O, Y> = (predictions: O, targets: Y) => Tensor<readonly [], 'float32'> | number;

/** A history key to monitor: 'loss', 'valLoss', 'metrics.<name>' or 'valMetrics.<name>'. */
export type Monitor = 'loss' | 'valLoss' | `metrics.${string}` | `valMetrics.${string}`;

export interface EarlyStoppingOptions {
  /** stop after this many epochs in a row without improvement (Keras semantics) */
  readonly patience: number;
  /** default 'valLoss' when there is validation data, else 'loss' */
  readonly monitor?: Monitor;
  /** 'min' or 'max'; default 'min', except 'max' for metrics whose name contains 'acc' (as Keras' auto) */
  readonly mode?: 'min' | 'max';
  /** an improvement must exceed this (default 0) */
  readonly minDelta?: number;
  /** return the params of the best epoch instead of the last (default true) */
  readonly restoreBest?: boolean;
}

export interface BatchProgress {
  /** 0-based epoch */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based batch index within the epoch */
  readonly step: number;
  /** batches per epoch */
  readonly steps: number;
  /** batches done before this one, over all epochs */
  readonly globalStep: number;
  readonly totalSteps: number;
  /** running mean of the loss over this epoch so far */
  readonly loss: number;
  /** this batch's loss */
  readonly batchLoss: number;
  /** running means of the metrics over this epoch so far */
  readonly metrics: Readonly<Record<string, number>>;
  /** the first metric's running mean, if any (for a one-number progress bar) */
  readonly metric: number | undefined;
  /** ms since fit started */
  readonly elapsed: number;
  /** estimated ms left */
  readonly eta: number;
}

export interface EpochProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly metric: number | undefined;
  readonly valLoss: number | undefined;
  readonly valMetrics: Readonly<Record<string, number>>;
  readonly elapsed: number;
  readonly eta: number;
}

export interface History {
  /** training loss per epoch */
  readonly loss: number[];
  readonly metrics: Record<string, number[]>;
  /** validation loss per epoch (empty without validation data) */
  readonly valLoss: number[];
  readonly valMetrics: Record<string, number[]>;
}

export interface FitOptions<P, X, Y, M, VX = BatchOf<X>> {
  /** a sequential Model, an object with apply(params, x, ctx), or a function (params, x, ctx) => predictions */
  readonly model: M & ModelCheck<M, P, X>;
  readonly loss: (predictions: Checked<'fit', M, X, PredictionOf<M, BatchOf<X>>>, targets: Checked<'fit', M, X, BatchOf<Y>>) => Scalar;
  readonly optimizer: GradientTransformation;
  /** checked against a sequential model's input shape and dtype (the error lands here) */
  readonly data: CheckedData<'fit', M, X, Y>;
  readonly epochs: number;
  /** examples per batch when data is { x, y } (default 32) */
  readonly batchSize?: number;
  /** drop a last batch smaller than batchSize (default false) */
  readonly dropRemainder?: boolean;
  /** reshuffle every epoch (default true) */
  readonly shuffle?: boolean;
  /** randomness for shuffling and for the model's ctx.key (dropout); default key(0) */
  readonly key?: Key;
  readonly metrics?: Readonly<Record<string, Metric<Checked<'fit', M, X, PredictionOf<M, BatchOf<X>>>, Checked<'fit', M, X, BatchOf<Y>>>>>;
  /** validation data (any number of examples), evaluated after every epoch with training: false */
  readonly validation?: CheckedValidation<M, X, Y, VX>;
  /** default batchSize */
  readonly validationBatchSize?: number;
  readonly earlyStopping?: EarlyStoppingOptions;
  /** after every batch; return false to stop training */
  readonly onBatch?: (p: BatchProgress) => unknown;
  /** after every epoch (and its validation); return false to stop training */
  readonly onEpoch?: (p: EpochProgress) => unknown;
  /** resume from an optimizer state (default optimizer.init(params)) */
  readonly initialState?: State<P>;
  /**
   * compile the whole training step — loss and gradient, optimizer update, new params — with
   * `jit` (default true): traced once per batch shape, then run as a fused plan that writes the
   * new params and optimizer state into the arrays of the previous step's (donated; fit works
   * on its own copies, so the params and state you pass in stay valid). Used only when the step
   * is a pure function of (params, state, x, y): it is dropped after the first step when the
   * step's graph depends on the key (dropout: keys are JavaScript values, so every step would
   * trace again) or when the step cannot be traced (a loss or optimizer that reads values).
   * `false` turns it off: the step then runs op by op with the optimizer's fused update loops.
   */
  readonly jit?: boolean;
}

export interface FitResult<P> {
  /** the final params (the best epoch's with earlyStopping.restoreBest) */
  readonly params: P;
  readonly optState: State<P>;
  readonly history: History;
  /** epochs completed */
  readonly epochs: number;
  /** whether early stopping (or a callback) ended training before the last epoch */
  readonly stoppedEarly: boolean;
  /** the best epoch under the monitored value (with earlyStopping) */
  readonly bestEpoch: number | undefined;
}

// ---------------------------------------------------------------- batching

type AnyBatch = { x: unknown; y: unknown; size: number };

function leadingSize(tree: unknown, what: string): number {
  const leaves = treeFlatten(tree).leaves;
  if (leaves.length === 0) throw new Error(`fit: ${what} holds no tensors`);
  const n = leaves[0]!.shape[0];
  if (n === undefined) throw new Error(`fit: ${what} must have a leading example axis (got a scalar)`);
  for (const l of leaves) {
    if (l.shape[0] !== n) throw new Error(`fit: every tensor in ${what} needs the same leading (example) dim; got ${n} and ${l.shape[0]}`);
  }
  return n as number;
}

function take(tree: unknown, idx: Int32Array): unknown {
  const flat = treeFlatten(tree);
  const ids = makeTensor<[number], 'int32'>([idx.length], 'int32', idx);
  return flat.rebuild(flat.leaves.map((l) => erase(gather(wide(l), ids, 0))));
}

function isBatchList(d: unknown): d is readonly Batch<unknown, unknown>[] {
  return Array.isArray(d);
}

function batchSizeOf(b: Batch<unknown, unknown>): AnyBatch {
  const [x, y] = Array.isArray(b) ? (b as readonly [unknown, unknown]) : [(b as { x: unknown }).x, (b as { y: unknown }).y];
  return { x, y, size: leadingSize(x, 'a batch x') };
}

/** The batches of one pass over the data (shuffled with `k` when given). */
function makeBatches(data: FitData<unknown, unknown>, batchSize: number, dropRemainder: boolean, k: Key | null): AnyBatch[] {
  if (isBatchList(data)) {
    const bs = data.map(batchSizeOf);
    if (!k) return bs;
    const perm = permutationArray(k, bs.length);
    return Array.from(perm, (i) => bs[i]!);
  }
  const d = data as { x: unknown; y: unknown };
  const n = leadingSize(d.x, 'data.x');
  const ny = leadingSize(d.y, 'data.y');
  if (ny !== n) throw new Error(`fit: data.x has ${n} examples but data.y has ${ny}`);
  const order = k ? permutationArray(k, n) : Int32Array.from({ length: n }, (_, i) => i);
  const out: AnyBatch[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropRemainder && end - start < batchSize) break;
    const idx = order.subarray(start, end);
    out.push({ x: take(d.x, idx), y: take(d.y, idx), size: end - start });
  }
  return out;
}

function toNumber(v: Tensor<readonly [], 'float32'> | number, what: string): number {
  if (typeof v === 'number') return v;
  if (!(v instanceof Tensor) || v.size !== 1) throw new Error(`fit: ${what} must return a number or a one-element tensor`);
  return v.item() as number;
}

/** Running weighted means of the loss and metrics. */
class Meter {
  private n = 0;
  private lossSum = 0;
  private readonly sums: Record<string, number> = {};
  add(size: number, loss: number, metrics: Readonly<Record<string, number>>): void {
    this.n += size;
    this.lossSum += loss * size;
    for (const [k, v] of Object.entries(metrics)) this.sums[k] = (this.sums[k] ?? 0) + v * size;
  }
  get loss(): number {
    return this.lossSum / this.n;
  }
  get metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.sums)) out[k] = v / this.n;
    return out;
  }
}

// ---------------------------------------------------------------- evaluate

export interface EvaluateOptions<P, X, Y, M> {
  readonly model: M & ModelCheck<M, P, X>;
  readonly loss: (predictions: Checked<'evaluate', M, X, PredictionOf<M, BatchOf<X>>>, targets: Checked<'evaluate', M, X, BatchOf<Y>>) => Scalar;
  readonly data: CheckedData<'evaluate', M, X, Y>;
  readonly batchSize?: number;
  readonly metrics?: Readonly<Record<string, Metric<Checked<'evaluate', M, X, PredictionOf<M, BatchOf<X>>>, Checked<'evaluate', M, X, BatchOf<Y>>>>>;
}

type Fn = (params: unknown, x: unknown, ctx: ApplyContext) => unknown;

function applyFnOf(model: unknown): Fn {
  if (typeof model === 'function') return model as Fn;
  const m = model as { apply?: unknown };
  if (m && typeof m.apply === 'function') return (p, x, ctx) => (m.apply as Fn).call(m, p, x, ctx);
  throw new TypeError('fit: model must be a function (params, x, ctx) => predictions or have an apply(params, x, ctx) method');
}

function evalMetrics(metrics: Readonly<Record<string, Metric<any, any>>> | undefined, pred: unknown, y: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (metrics) for (const [name, m] of Object.entries(metrics)) out[name] = toNumber(m(pred, y), `metric '${name}'`);
  return out;
}

function evaluateWith(apply: Fn, loss: (o: any, y: any) => Scalar, metrics: Readonly<Record<string, Metric<any, any>>> | undefined, params: unknown, data: FitData<unknown, unknown>, batchSize: number): { loss: number; metrics: Record<string, number> } {
  const meter = new Meter();
  const batches = makeBatches(data, batchSize, false, null);
  if (batches.length === 0) throw new Error('evaluate: the data holds no batches');
  for (const b of batches) {
    const pred = apply(params, b.x, { training: false });
    meter.add(b.size, toNumber(loss(pred, b.y), 'loss'), evalMetrics(metrics, pred, b.y));
  }
  return { loss: meter.loss, metrics: meter.metrics };
}

/** Loss and metrics of params on data in inference mode (training: false), batch-size-weighted means. */
export function evaluate<P, X, Y, M>(params: P, options: EvaluateOptions<P, X, Y, M>): { loss: number; metrics: Record<string, number> } {
  const bs = options.batchSize ?? 32;
  checkBatchSize(bs, 'evaluate');
  return evaluateWith(applyFnOf(options.model), options.loss, options.metrics, params, options.data as FitData<unknown, unknown>, bs);
}

function checkBatchSize(bs: number, who: string): void {
  if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`${who}: batchSize must be a positive integer, got ${bs}`);
}

// ---------------------------------------------------------------- the loop

type Event = { kind: 'batch'; progress: BatchProgress } | { kind: 'epoch'; progress: EpochProgress };

function monitorValue(h: History, m: Monitor): number | undefined {
  if (m === 'loss') return h.loss.at(-1);
  if (m === 'valLoss') return h.valLoss.at(-1);
  if (m.startsWith('metrics.')) return h.metrics[m.slice('metrics.'.length)]?.at(-1);
  return h.valMetrics[m.slice('valMetrics.'.length)]?.at(-1);
}

/** one training step: [loss, predictions], the new params, the new optimizer state */
type Step<P> = (p: P, s: State<P>, x: unknown, y: unknown, k: Key) => readonly [readonly [Scalar, unknown], P, State<P>];

/**
 * The training step under jit, when it is a pure function of (params, state, x, y): the first
 * step traces with its key and once more with another key (graphOf traces without running, so
 * nothing is donated); equal graphs mean the key is unused, and later steps run the cached plan
 * (with the first key, so no new trace). Otherwise, or when the step cannot be traced, it falls
 * back to the plain step for good. Params and state are donated: the caller passes its own
 * copies and only ever the previous step's outputs.
 */
function jitFitStep<P>(plain: Step<P>): Step<P> {
  const jitted = jit(plain, { static: [4], donate: [0, 1] });
  let mode: 'probe' | 'jit' | 'plain' = 'probe';
  let k0: Key | null = null;
  return (p, s, x, y, k) => {
    if (mode === 'jit') return jitted(p, s, x, y, k0!);
    if (mode === 'plain') return plain(p, s, x, y, k);
    try {
      const same = sameGraph(jitted.graphOf(p, s, x, y, k), jitted.graphOf(p, s, x, y, foldIn(k, 0x6a17)));
      mode = same ? 'jit' : 'plain';
      k0 = k;
    } catch {
      mode = 'plain'; // not traceable (it reads values, ...): the plain step runs it, or throws the real error
    }
    return mode === 'jit' ? jitted(p, s, x, y, k) : plain(p, s, x, y, k);
  };
}

/** The loop as a generator of progress events; the caller answers each with "continue?". */
function* loop<P>(params0: P, o: FitOptions<P, unknown, unknown, unknown>, result: { value?: FitResult<P> }): Generator<Event, void, boolean> {
  const batchSize = o.batchSize ?? 32;
  checkBatchSize(batchSize, 'fit');
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new RangeError(`fit: epochs must be a non-negative integer, got ${o.epochs}`);
  const apply = applyFnOf(o.model);
  const shuffle = o.shuffle ?? true;
  const [shuffleKey, stepKey] = split(o.key ?? makeKey(0), 2);
  const es = o.earlyStopping;
  const monitor: Monitor = es?.monitor ?? (o.validation ? 'valLoss' : 'loss');
  if (es) {
    if (!Number.isInteger(es.patience) || es.patience < 0) throw new RangeError(`fit: earlyStopping.patience must be a non-negative integer, got ${es.patience}`);
    if (monitor.startsWith('val') && !o.validation) throw new Error(`fit: earlyStopping monitors '${monitor}' but no validation data was given`);
  }
  const mode = es?.mode ?? (monitor.includes('.') && monitor.toLowerCase().includes('acc') ? 'max' : 'min');
  const minDelta = es?.minDelta ?? 0;

  // f(params, x, y, key) = [loss, predictions]; predictions come back as concrete aux values
  const lossAndPred = (p: P, x: unknown, y: unknown, k: Key): readonly [Scalar, unknown] => {
    const pred = apply(p, x, { training: true, key: k });
    // cast: y is the batch of the user's labels; fit's signature checked it against the loss already
    return [o.loss(pred, y as never), pred] as const;
  };
  const lossAndGrad = valueAndGrad(lossAndPred, { hasAux: true });
  const plainStep: Step<P> = (p, s, x, y, k) => {
    const [lp, grads] = lossAndGrad(p, x, y, k);
    const [updates, next] = o.optimizer.update(grads, s, p);
    return [lp, applyUpdates(p, updates), next] as const;
  };
  const jitted = o.jit !== false;
  const step = jitted ? jitFitStep(plainStep) : plainStep;

  const history: History = { loss: [], metrics: {}, valLoss: [], valMetrics: {} };
  // a jitted step consumes (donates) its params and state: start from copies of the caller's
  let params = jitted ? treeCopy(params0) : params0;
  let state = o.initialState === undefined ? o.optimizer.init(params) : jitted ? treeCopy(o.initialState) : o.initialState;
  let best: { value: number; epoch: number; params: P } | undefined;
  let wait = 0;
  let stopped = false;
  let epochsDone = 0;
  const start = performance.now();
  let globalStep = 0;

  for (let epoch = 0; epoch < o.epochs && !stopped; epoch++) {
    const batches = makeBatches(o.data as FitData<unknown, unknown>, batchSize, o.dropRemainder ?? false, shuffle ? foldIn(shuffleKey, epoch) : null);
    if (batches.length === 0) throw new Error('fit: the data gives no batches (empty, or smaller than batchSize with dropRemainder)');
    const totalSteps = o.epochs * batches.length;
    const meter = new Meter();
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const [[lossT, pred], nextParams, next] = step(params, state, b.x, b.y, foldIn(stepKey, globalStep));
      params = nextParams;
      state = next;
      const batchLoss = lossT.item() as number;
      meter.add(b.size, batchLoss, evalMetrics(o.metrics, pred, b.y));
      globalStep++;
      const elapsed = performance.now() - start;
      const metrics = meter.metrics;
      const progress: BatchProgress = {
        epoch,
        epochs: o.epochs,
        step: i,
        steps: batches.length,
        globalStep: globalStep - 1,
        totalSteps,
        loss: meter.loss,
        batchLoss,
        metrics,
        metric: Object.values(metrics)[0],
        elapsed,
        eta: (elapsed / globalStep) * (totalSteps - globalStep),
      };
      if (!(yield { kind: 'batch', progress })) {
        stopped = true;
        break;
      }
    }
    history.loss.push(meter.loss);
    for (const [k, v] of Object.entries(meter.metrics)) (history.metrics[k] ??= []).push(v);
    let val: { loss: number; metrics: Record<string, number> } | undefined;
    if (o.validation) {
      val = evaluateWith(apply, o.loss, o.metrics, params, o.validation as FitData<unknown, unknown>, o.validationBatchSize ?? batchSize);
      history.valLoss.push(val.loss);
      for (const [k, v] of Object.entries(val.metrics)) (history.valMetrics[k] ??= []).push(v);
    }
    epochsDone = epoch + 1;
    if (es) {
      const v = monitorValue(history, monitor);
      if (v === undefined) throw new Error(`fit: earlyStopping monitors '${monitor}', which is not in the history (metrics: ${Object.keys(history.metrics).join(', ') || 'none'})`);
      const improved = best === undefined || (mode === 'min' ? v < best.value - minDelta : v > best.value + minDelta);
      if (improved) {
        // a copy under jit: the next step consumes these params
        best = { value: v, epoch, params: jitted ? treeCopy(params) : params };
        wait = 0;
      } else if (++wait >= es.patience) stopped = true;
    }
    const elapsed = performance.now() - start;
    const metrics = meter.metrics;
    const ep: EpochProgress = {
      epoch,
      epochs: o.epochs,
      loss: meter.loss,
      metrics,
      metric: Object.values(metrics)[0],
      valLoss: val?.loss,
      valMetrics: val?.metrics ?? {},
      elapsed,
      eta: (elapsed / (epoch + 1)) * (o.epochs - epoch - 1),
    };
    if (!(yield { kind: 'epoch', progress: ep })) stopped = true;
  }
  const restore = es && (es.restoreBest ?? true) && best !== undefined;
  result.value = {
    params: restore ? best!.params : params,
    optState: state,
    history,
    epochs: epochsDone,
    stoppedEarly: stopped && epochsDone < o.epochs,
    bestEpoch: best?.epoch,
  };
}

/**
 * Train `params` with `options.optimizer` on `options.data` for `options.epochs` epochs;
 * returns the final params, the optimizer state and the history. Synchronous: progress
 * callbacks run between batches (use fitAsync to let timers, e.g. progress-bar redraws, run).
 */
export function fit<P, X, Y, M, VX = BatchOf<X>>(params: P, options: FitOptions<P, X, Y, M, VX>): FitResult<P> {
  const result: { value?: FitResult<P> } = {};
  // cast: the data checks of fit's signature are done; the loop only needs the untyped options
  const o = options as unknown as FitOptions<P, unknown, unknown, unknown>;
  const gen = loop(params, o, result);
  let r = gen.next(true);
  while (!r.done) {
    const ev = r.value;
    const answer = ev.kind === 'batch' ? o.onBatch?.(ev.progress) : o.onEpoch?.(ev.progress);
    r = gen.next(answer !== false);
  }
  return result.value!;
}

/**
 * fit, yielding to the event loop after every batch (so timers and I/O run) and awaiting
 * callbacks that return promises (a promise resolving to false stops training).
 */
export async function fitAsync<P, X, Y, M, VX = BatchOf<X>>(params: P, options: FitOptions<P, X, Y, M, VX>): Promise<FitResult<P>> {
  const result: { value?: FitResult<P> } = {};
  // cast: the data checks of fit's signature are done; the loop only needs the untyped options
  const o = options as unknown as FitOptions<P, unknown, unknown, unknown>;
  const gen = loop(params, o, result);
  let r = gen.next(true);
  while (!r.done) {
    const ev = r.value;
    const answer = await (ev.kind === 'batch' ? o.onBatch?.(ev.progress) : o.onEpoch?.(ev.progress));
    await new Promise<void>((resolve) => setImmediate(resolve));
    r = gen.next(answer !== false);
  }
  return result.value!;
}
