/**
 * Shared by rnn-airpassengers and lstm-airpassengers: loading a series, the ordered 2/3 split,
 * the seasonal period, the choice of transform and look-back, training with progress,
 * one-step-ahead evaluation in the series' own units, the naive baselines and the plots.
 *
 * The model is the Keras tutorial's (MinMaxScaler fitted on the training part,
 * createDataset(series, lookBack), a 50-unit recurrent layer, Dense(1), MSE, Adam); what it reads
 * is chosen per series:
 *
 *   y ─log?→ v ─difference at lag (0, 1 or the period)→ z[t] = v[t] − v[t−lag] ─MinMax (train)→ s
 *     ─windows of lookBack→ RNN → ŝ[t];   ŷ[t] = exp?(v[t−lag] + unscale(ŝ[t]))
 *
 * Why: the seed recipe (log, first difference, look-back 12) was tuned on AirPassengers, where
 * the log makes the growing seasonal swing additive and the difference removes the trend (raw
 * MinMax levels put the test third at up to 1.68 and the plain recipe was fragile: SimpleRNN
 * RMSE 25-31, LSTM 43-54). On other series another transform wins, so the period comes from
 * --period or the training part's autocorrelation, and the transform and look-back are chosen
 * by a validation split of the training part only (selectPipeline): the test third is never
 * seen before the final evaluation, and the report says plainly whether the model beats the
 * seasonal-naive forecast there.
 */
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import {
  MinMaxScaler,
  createDataset,
  mae,
  parseNumericColumn,
  persistenceForecast,
  rmse,
  seasonalNaiveForecast,
  trainSize,
  type FittedMinMaxScaler,
} from '../data';
import { readTextFileEither } from '../data/node';
import { detectPeriod } from '../data/seasonal';
import { mse } from '../nn/losses';
import { fitAsync } from '../nn/train';
import type { ApplyContext } from '../nn/layer';
import { adam } from '../optim';
import { key as makeKey, split, type Key } from '../random';
import { fromDataOrThrow } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import type { TopLevelSpec } from 'vega-lite';
import type { ExampleContext, ExampleResult } from './example';
import { lines } from './plots';

/** Seasonal period of a monthly series; also the default look-back window. */
export const SEASON = 12;
/** The Keras tutorial's ordered split: the first 2/3 train (96 of 144 months), the rest test. */
export const TRAIN_FRACTION = 2 / 3;

export const AIRPASSENGERS_FORMAT =
  "CSV with a header and a numeric column named 'value' (one observation per row, in time order; " +
  "optional 'year' (and 'period') columns label the time axis). At least 8 rows. The first 2/3 train, the last " +
  '1/3 is forecast one step ahead. The seasonal period is --period or the autocorrelation peak of the training part. ' +
  'The transform (raw, log when every value is positive; levels, first or seasonal difference) and the look-back ' +
  '(period/2, period, 2·period; 12 without a period) are chosen by the validation RMSE on the last third of the ' +
  'training part; too short a series keeps the seed recipe (log, first difference, look-back 12 or half the training ' +
  'differences). The report says whether the model beats the seasonal-naive forecast.';

// ---------------------------------------------------------------------------------------------
// Loading

export interface LoadedSeries {
  readonly values: Float64Array;
  /** x coordinates for plots: year + (period − 1)/12 when the file has those columns, the year alone, else 1..n */
  readonly time: readonly number[];
  readonly timeLabel: string;
  readonly source: string;
  /** the columns read, for the report */
  readonly columns: string;
}

function orThrow<A>(r: E.Either<{ readonly message: string }, A>, where: string): A {
  if (E.isLeft(r)) throw new Error(`${where}: ${r.left.message}`);
  return r.right;
}

/** Parses the `value` column (and, if present, `year`/`period` for the time axis). */
export function parseSeries(text: string, source: string): LoadedSeries {
  const values = orThrow(parseNumericColumn(text, 'value'), source);
  const year = parseNumericColumn(text, 'year');
  const period = parseNumericColumn(text, 'period');
  if (E.isRight(year) && E.isRight(period)) {
    return { values, time: Array.from(values, (_, i) => year.right[i]! + (period.right[i]! - 1) / SEASON), timeLabel: 'year', source, columns: "'value' (time axis from 'year', 'period')" };
  }
  if (E.isRight(year)) return { values, time: Array.from(year.right), timeLabel: 'year', source, columns: "'value' (time axis from 'year')" };
  return { values, time: Array.from(values, (_, i) => i + 1), timeLabel: 'time step', source, columns: "'value'" };
}

/** The user's --data file, or the bundled AirPassengers.csv. */
export function loadSeries(ctx: ExampleContext): LoadedSeries {
  const path = ctx.dataFile ?? join(ctx.dataDir, 'timeseries', 'AirPassengers.csv');
  return parseSeries(orThrow(readTextFileEither(path), 'loading the series'), path);
}

// ---------------------------------------------------------------------------------------------
// Split, transform, scale, window

/** Tensors of one set of windows and the series index each target forecasts. */
export interface WindowSet {
  readonly x: Tensor<[number, number, 1]>;
  readonly y: Tensor<[number, 1]>;
  /** targetIndex[i]: the time index t of the value sample i forecasts */
  readonly targetIndex: Int32Array;
}

/**
 * The transform and window of one pipeline: v = log y (or y), then the model's target
 * z[t] = v[t] − v[t − lag] (lag 0: z = v, raw levels; 1: first difference; the period:
 * seasonal difference), MinMax-scaled, read in windows of `lookBack` past z values.
 */
export interface PipelineSettings {
  readonly log: boolean;
  readonly lag: number;
  readonly lookBack: number;
}

export interface Prepared {
  readonly values: Float64Array;
  readonly n: number;
  /** first test index (96 for AirPassengers) */
  readonly trainEnd: number;
  readonly lookBack: number;
  readonly logged: boolean;
  /** 0 raw, 1 first difference, else the seasonal-difference lag */
  readonly lag: number;
  /** v[t]: log(y[t]) (or y[t] when not logged) */
  readonly level: Float64Array;
  /** fitted on the transformed values inside the training part only */
  readonly scaler: FittedMinMaxScaler;
  readonly train: WindowSet;
  readonly test: WindowSet;
}

/** lookBack = SEASON when the training part gives at least SEASON windows of SEASON differences. */
export function chooseLookBack(trainEnd: number): number {
  const diffs = trainEnd - 1;
  return diffs - SEASON >= SEASON ? SEASON : Math.floor(diffs / 2);
}

/** The seed recipe's settings: log when every value is positive, first difference, chooseLookBack. */
export function defaultSettings(values: Float64Array, trainEnd: number): PipelineSettings {
  return { log: values.every((y) => y > 0), lag: 1, lookBack: chooseLookBack(trainEnd) };
}

/** 'log, seasonal difference (lag 12)' and the like. */
export function describeTransform(s: Pick<PipelineSettings, 'log' | 'lag'>): string {
  const d = s.lag === 0 ? 'raw levels' : s.lag === 1 ? 'first difference' : `seasonal difference (lag ${s.lag})`;
  return `${s.log ? 'log, ' : ''}${d}`;
}

/**
 * Split (the first `trainFraction` trains), transform (log, difference at `lag`), MinMax fitted
 * on the transformed training values, and look-back windows: training windows forecast values
 * up to trainEnd − 1, test windows every value from trainEnd on (inputs are actual values).
 * Without settings: the seed recipe (log when positive, first difference, look-back 12).
 */
export function prepare(values: Float64Array, settings?: PipelineSettings, trainFraction = TRAIN_FRACTION): Prepared {
  const n = values.length;
  if (n < 8) throw new Error(`the series has ${n} values; at least 8 are needed (2/3 of them to train on)`);
  const trainEnd = trainSize(n, trainFraction);
  const { log, lag, lookBack } = settings ?? defaultSettings(values, trainEnd);
  if (log && !values.every((y) => y > 0)) throw new Error('log transform: every value must be positive');
  const firstTest = trainEnd - lag - lookBack;
  if (!Number.isInteger(lag) || lag < 0 || !Number.isInteger(lookBack) || lookBack < 1 || firstTest < 1) {
    throw new Error(`lag ${lag} and look-back ${lookBack} leave no training window in ${trainEnd} training values`);
  }
  const level = log ? values.map(Math.log) : Float64Array.from(values);
  // z[t] = v[t] − v[t − lag] for t = lag..n−1, stored at position t − lag
  const z = Array.from({ length: n - lag }, (_, i) => [level[i + lag]! - (lag === 0 ? 0 : level[i]!)]);
  // the transformed training values z[lag..trainEnd−1] use only training values
  const scaler = orThrow(new MinMaxScaler().fit(z.slice(0, trainEnd - lag)), `MinMaxScaler (training ${describeTransform({ log, lag })})`);
  const scaled = scaler.transform(z).map((r) => r[0]!);
  const ds = orThrow(createDataset(scaled, lookBack), 'createDataset');
  // sample i: inputs z[lag+i .. lag+i+lookBack), target z[t] with t = lag + i + lookBack
  const pick = (from: number, to: number): WindowSet => {
    const m = to - from;
    return {
      x: fromDataOrThrow(ds.inputs.subarray(from * lookBack, to * lookBack), [m, lookBack, 1]),
      y: fromDataOrThrow(ds.targets.subarray(from, to), [m, 1]),
      targetIndex: Int32Array.from({ length: m }, (_, j) => lag + from + j + lookBack),
    };
  };
  return { values, n, trainEnd, lookBack, logged: log, lag, level, scaler, train: pick(0, firstTest), test: pick(firstTest, ds.n) };
}

/** Back to the series' units: ŷ[t] = exp(v[t−lag] + unscale(ŝ)) (no exp when not logged, no v when lag 0). */
export function toLevels(p: Prepared, scaledPredictions: ArrayLike<number>, targetIndex: Int32Array): Float64Array {
  const rows = Array.from(targetIndex, (_, i) => [scaledPredictions[i]!]);
  const d = p.scaler.inverseTransform(rows);
  return Float64Array.from(targetIndex, (t, i) => {
    const v = (p.lag === 0 ? 0 : p.level[t - p.lag]!) + d[i]![0]!;
    return p.logged ? Math.exp(v) : v;
  });
}

// ---------------------------------------------------------------------------------------------
// Training and evaluation

/** What the runner needs of a model: a `sequential(['batch', lookBack, 1], ..., dense(1))` fits. */
export interface SeriesModel<P> {
  init(key: Key): P;
  apply(params: P, x: Tensor<[number, number, 1]>, ctx?: ApplyContext): Tensor<[number, 1]>;
  summary(params: P): string;
}

export interface TrainSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

export interface ForecastSpec<P> {
  /** 'SimpleRNN(50)' or 'LSTM(50)': for titles and logs */
  readonly name: string;
  readonly build: (lookBack: number) => SeriesModel<P>;
  readonly full: TrainSettings;
  readonly quick: TrainSettings;
  readonly seed: number;
}

export interface ForecastRun {
  readonly prepared: Prepared;
  readonly trainPred: Float64Array;
  readonly testPred: Float64Array;
  readonly trainRmse: number;
  readonly testRmse: number;
  readonly testMae: number;
  readonly lossHistory: readonly number[];
  readonly testLossHistory: readonly number[];
  readonly summary: string;
  readonly cpuSeconds: number;
}

/** Trains the model on the prepared training windows and forecasts both parts one step ahead. */
export async function trainAndForecast<P>(
  p: Prepared,
  spec: ForecastSpec<P>,
  settings: TrainSettings,
  ctx: Pick<ExampleContext, 'progress'>,
  seed = spec.seed,
  title = `${spec.name} (seed ${seed})`,
): Promise<ForecastRun> {
  const cpu0 = process.cpuUsage();
  const model = spec.build(p.lookBack);
  const [initKey, fitKey] = split(makeKey(seed), 2);
  const bar = ctx.progress(title, settings.epochs);
  const fitted = await fitAsync(model.init(initKey), {
    model,
    loss: (pred, y) => mse(pred, y),
    optimizer: adam({ learningRate: settings.learningRate }),
    data: { x: p.train.x, y: p.train.y },
    // the held-out windows are only monitored (the loss-curve plot), never used to choose anything here
    validation: { x: p.test.x, y: p.test.y },
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    key: fitKey,
    onEpoch: (e) => bar.update(e.epoch + 1, { loss: e.loss, testLoss: e.valLoss ?? Number.NaN }),
  });
  bar.stop();
  const predict = (w: WindowSet) => toLevels(p, model.apply(fitted.params, w.x, { training: false }).dataSync(), w.targetIndex);
  const actual = (w: WindowSet) => Float64Array.from(w.targetIndex, (t) => p.values[t]!);
  const trainPred = predict(p.train);
  const testPred = predict(p.test);
  const cpu = process.cpuUsage(cpu0);
  return {
    prepared: p,
    trainPred,
    testPred,
    trainRmse: rmse(actual(p.train), trainPred),
    testRmse: rmse(actual(p.test), testPred),
    testMae: mae(actual(p.test), testPred),
    lossHistory: fitted.history.loss,
    testLossHistory: fitted.history.valLoss,
    summary: model.summary(fitted.params),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

// ---------------------------------------------------------------------------------------------
// Period and pipeline selection (training part only)

export interface PeriodChoice {
  readonly period: number | null;
  readonly source: string;
}

/** --period when given, else detected from the training part's autocorrelation. */
export function choosePeriod(values: Float64Array, trainEnd: number, given: number | undefined): PeriodChoice {
  if (given !== undefined) return { period: given, source: '--period' };
  const est = detectPeriod(values.subarray(0, trainEnd));
  return est.period === null
    ? { period: null, source: `no autocorrelation peak of the training part above ${est.bound.toFixed(3)}: no seasonal period` }
    : { period: est.period, source: `autocorrelation peak of the detrended training part (r = ${est.acf.toFixed(3)} at lag ${est.period})` };
}

/** One candidate of the selection and its validation RMSE (series units). */
export interface Candidate {
  readonly settings: PipelineSettings;
  readonly validationRmse: number;
}

export interface Selection {
  readonly chosen: PipelineSettings;
  /** every candidate tried, in the order tried; empty when the series was too short to select */
  readonly candidates: readonly Candidate[];
  /** values the candidates were trained on / validated on (both inside the training part) */
  readonly fitValues: number;
  readonly validationValues: number;
  /** the seasonal-naive RMSE on the validation part, for reference (null without a period) */
  readonly validationSeasonalNaive: number | null;
}

/** Fewest training windows a candidate must leave on the inner split. */
const MIN_WINDOWS = 10;

/** The candidate grid: log (when every value is positive) × lag {0, 1, period} × look-back. */
export function candidateSettings(values: Float64Array, period: number | null, quick: boolean): PipelineSettings[] {
  const logs = values.every((y) => y > 0) ? [false, true] : [false];
  const lags = period !== null && period > 1 ? [0, 1, period] : [0, 1];
  const p = period ?? SEASON;
  const lookBacks = quick ? [p] : [...new Set([Math.max(2, Math.ceil(p / 2)), p, 2 * p])];
  return logs.flatMap((log) => lags.flatMap((lag) => lookBacks.map((lookBack) => ({ log, lag, lookBack }))));
}

/**
 * Chooses transform and look-back on the training part only: it is split again (first 2/3
 * fit, last 1/3 validation), every candidate is trained with the same seed and settings and
 * scored by its one-step RMSE on the validation part; the lowest wins. The test part is not an
 * argument, so nothing about it can reach the choice. Falls back to the seed recipe when no
 * candidate leaves MIN_WINDOWS windows to fit on.
 */
export async function selectPipeline<P>(
  trainPart: Float64Array,
  period: number | null,
  spec: ForecastSpec<P>,
  settings: TrainSettings,
  quick: boolean,
  ctx: Pick<ExampleContext, 'progress'>,
): Promise<Selection> {
  const fitEnd = trainSize(trainPart.length, TRAIN_FRACTION);
  const feasible = candidateSettings(trainPart, period, quick).filter((c) => fitEnd - c.lag - c.lookBack >= MIN_WINDOWS && trainPart.length - fitEnd >= 1);
  const validationSeasonalNaive = period !== null && fitEnd >= period ? seasonalNaiveForecast(trainPart, period, fitEnd).rmse : null;
  const base = { fitValues: fitEnd, validationValues: trainPart.length - fitEnd, validationSeasonalNaive };
  if (feasible.length === 0) return { chosen: defaultSettings(trainPart, trainPart.length), candidates: [], ...base };
  const candidates: Candidate[] = [];
  for (const c of feasible) {
    const r = await trainAndForecast(prepare(trainPart, c), spec, settings, ctx, spec.seed, `select ${describeTransform(c)}, look-back ${c.lookBack}`);
    // a diverged candidate (NaN) never wins
    candidates.push({ settings: c, validationRmse: Number.isFinite(r.testRmse) ? r.testRmse : Infinity });
  }
  const best = candidates.reduce((a, b) => (b.validationRmse < a.validationRmse ? b : a));
  return { chosen: best.settings, candidates, ...base };
}

export interface Baselines {
  /** ŷ[t] = y[t−1] */
  readonly persistence: number;
  /** ŷ[t] = y[t−period]; null without a period or when the training part is shorter than one */
  readonly seasonalNaive: number | null;
  /**
   * The seasonal naive rule on the change of v = log y (or y):
   * ŷ[t] = exp(v[t−1] + v[t−P] − v[t−P−1]) = y[t−1]·y[t−P]/y[t−P−1] — what a network reading
   * the last P changes can learn at the least. null when there is no period or too little data.
   */
  readonly seasonalNaiveChange: number | null;
}

/** RMSE on the test part of the naive forecasts (walk-forward, from actual values). */
export function baselines(p: Prepared, period: number | null = SEASON): Baselines {
  const { values, trainEnd, n } = p;
  const logged = values.every((y) => y > 0);
  const level = logged ? values.map(Math.log) : values;
  let seasonalNaiveChange: number | null = null;
  if (period !== null && trainEnd - 1 >= period) {
    // on the differences d (d[t] stored at t − 1) the test starts at position trainEnd − 1
    const diffs = Float64Array.from({ length: n - 1 }, (_, i) => level[i + 1]! - level[i]!);
    const f = seasonalNaiveForecast(diffs, period, trainEnd - 1);
    const pred = Array.from(f.predictions, (d, j) => {
      const v = level[trainEnd - 1 + j]! + d;
      return logged ? Math.exp(v) : v;
    });
    seasonalNaiveChange = rmse(values.subarray(trainEnd), pred);
  }
  return {
    persistence: persistenceForecast(values, trainEnd).rmse,
    seasonalNaive: period !== null && trainEnd >= period ? seasonalNaiveForecast(values, period, trainEnd).rmse : null,
    seasonalNaiveChange,
  };
}

/** Plain integer tick labels on x (vega's default number format would print years as 1,949). */
function integerXAxis(spec: TopLevelSpec): TopLevelSpec {
  const x = (spec as { encoding?: { x?: Record<string, unknown> } }).encoding?.x;
  if (x) x['axis'] = { format: 'd' };
  return spec;
}

/** The target RMSE of the issue (passengers, AirPassengers only). */
export const TARGET_RMSE = 45;

/** The whole example: load, choose period and pipeline on the training part, train, evaluate, compare, plot. */
export async function runForecastExample<P>(ctx: ExampleContext, spec: ForecastSpec<P>): Promise<ExampleResult> {
  if (ctx.labelsFile !== undefined) throw new Error(`${spec.name} forecasting takes no --labels file (that is for IDX images)`);
  const series = loadSeries(ctx);
  const settings = ctx.quick ? spec.quick : spec.full;
  const n = series.values.length;
  if (n < 8) throw new Error(`the series has ${n} values; at least 8 are needed (2/3 of them to train on)`);
  const trainEnd = trainSize(n, TRAIN_FRACTION);
  const trainPart = series.values.slice(0, trainEnd);
  const pc = choosePeriod(series.values, trainEnd, ctx.period);
  ctx.log(`data: ${series.source}: ${n} rows, columns used: ${series.columns}`);
  ctx.log(`period: ${pc.period ?? 'none'} (${pc.source})`);
  const sel = await selectPipeline(trainPart, pc.period, spec, settings, ctx.quick, ctx);
  const chosen = sel.chosen;
  const selectionLine =
    sel.candidates.length === 0
      ? `too short to select (no candidate leaves ${MIN_WINDOWS} windows): the seed recipe`
      : `${sel.candidates.length} candidates trained on the first ${sel.fitValues} values, scored on the next ${sel.validationValues} (validation RMSE ${sel.candidates.find((c) => c.settings === chosen)!.validationRmse.toFixed(3)}` +
        (sel.validationSeasonalNaive === null ? '' : `, seasonal naive ${sel.validationSeasonalNaive.toFixed(3)}`) +
        ')';
  ctx.log(`selection on the training part only: ${selectionLine}; chosen ${describeTransform(chosen)}, look-back ${chosen.lookBack}`);
  for (const c of sel.candidates) ctx.log(`  candidate ${describeTransform(c.settings)}, look-back ${c.settings.lookBack}: validation RMSE ${c.validationRmse.toFixed(3)}`);

  const p = prepare(series.values, chosen);
  const r = await trainAndForecast(p, spec, settings, ctx);
  const base = baselines(p, pc.period);
  const unit = ctx.dataFile ? 'value' : 'passengers';
  const transform = `${describeTransform(chosen)}, MinMax on ${p.trainEnd - p.lag} transformed training values`;
  ctx.log(`${p.n} values: train ${p.trainEnd}, test ${p.n - p.trainEnd}; lookBack ${p.lookBack}; ${transform}`);
  ctx.log(
    `${spec.name}: test RMSE ${r.testRmse.toFixed(2)} vs persistence ${base.persistence.toFixed(2)}` +
      (base.seasonalNaive === null ? '' : `, seasonal naive ${base.seasonalNaive.toFixed(2)}`) +
      (base.seasonalNaiveChange === null ? '' : `, seasonal naive on changes ${base.seasonalNaiveChange.toFixed(2)}`) +
      ` (${r.cpuSeconds.toFixed(1)} CPU s)`,
  );
  const bestBaseline = base.seasonalNaive ?? base.persistence;
  const baselineName = base.seasonalNaive === null ? 'persistence RMSE' : `seasonal naive RMSE (period ${pc.period})`;
  const beats = r.testRmse < bestBaseline;
  const verdict = beats
    ? `${spec.name} beats the ${baselineName.replace(' RMSE', '')} forecast on the test third (RMSE ${r.testRmse.toFixed(3)} < ${bestBaseline.toFixed(3)}).`
    : `WARNING: ${spec.name} does NOT beat the ${baselineName.replace(' RMSE', '')} forecast on the test third (RMSE ${r.testRmse.toFixed(3)} >= ${bestBaseline.toFixed(3)}); use the naive forecast for this series.`;
  ctx.log(verdict);

  const fitLine = new Array<number>(p.n).fill(Number.NaN);
  const testLine = new Array<number>(p.n).fill(Number.NaN);
  p.train.targetIndex.forEach((t, i) => (fitLine[t] = r.trainPred[i]!));
  p.test.targetIndex.forEach((t, i) => (testLine[t] = r.testPred[i]!));
  // join the forecast line to the last fitted point so the two read as one curve
  testLine[p.trainEnd - 1] = fitLine[p.trainEnd - 1]!;

  return {
    metric: `test RMSE (${unit})`,
    value: r.testRmse,
    // the target is the issue's, for AirPassengers; a user's file is compared with its baselines only
    target: ctx.dataFile ? null : TARGET_RMSE,
    lowerIsBetter: true,
    baseline: bestBaseline,
    baselineName,
    details: {
      [`beats ${baselineName.replace(' RMSE', '')}`]: beats ? 'yes' : 'NO',
      'persistence RMSE': base.persistence,
      ...(base.seasonalNaive === null ? {} : { 'seasonal naive RMSE': base.seasonalNaive }),
      ...(base.seasonalNaiveChange === null ? {} : { [`seasonal naive on ${p.values.every((y) => y > 0) ? 'log ' : ''}changes RMSE`]: base.seasonalNaiveChange }),
      'test MAE': r.testMae,
      'train RMSE (one step ahead)': r.trainRmse,
      'data file': series.source,
      'rows, columns used': `${n}, ${series.columns}`,
      period: `${pc.period ?? 'none'} (${pc.source})`,
      selection: selectionLine,
      'look-back (months)': p.lookBack,
      'train / test values': `${p.trainEnd} / ${p.n - p.trainEnd}`,
      transform,
      'epochs, batch, learning rate': `${settings.epochs}, ${settings.batchSize}, ${settings.learningRate}`,
      seed: spec.seed,
      'CPU seconds': r.cpuSeconds,
    },
    plots: [
      {
        title: `${spec.name}: training and test loss (MSE on the scaled ${describeTransform(chosen)})`,
        spec: lines({ train: r.lossHistory, test: r.testLossHistory }, { x: 'epoch', y: 'MSE (scaled)', logY: true }),
      },
      {
        title: `${spec.name}: one-step-ahead predictions vs actual (${unit})`,
        spec: integerXAxis(lines({ actual: Array.from(p.values), 'train fit': fitLine, 'test forecast': testLine }, { x: series.timeLabel, y: unit, xValues: series.time })),
      },
    ],
    notes: [verdict, ...sel.candidates.map((c) => `candidate ${describeTransform(c.settings)}, look-back ${c.settings.lookBack}: validation RMSE ${c.validationRmse.toFixed(4)}`), r.summary],
  };
}
