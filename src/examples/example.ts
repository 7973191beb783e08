/**
 * What every tour example is: an id, a title, and `run(ctx)` that trains on bundled (or
 * user-given) data and returns its metric, its target and baseline, plots and text.
 * Examples are plain modules under src/examples/; `npm run tour` runs them all and
 * `npm run tour -- --only <id>` runs one on its own.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface TrainProgress {
  /** after each epoch (or step block): current position and the latest numbers */
  update(done: number, values: Readonly<Record<string, number>>): void;
  stop(): void;
}

export interface ExampleContext {
  /** tiny epochs, no targets asserted (CI) */
  readonly quick: boolean;
  /** a user's own data file of the example's format (--data) */
  readonly dataFile?: string;
  /** the IDX label file that goes with an IDX image --data file (--labels) */
  readonly labelsFile?: string;
  /** the seasonal period of a --data series (--period); detected when absent */
  readonly period?: number;
  /** the example's data folder (src/examples/data) */
  readonly dataDir: string;
  /** a progress bar for one training run: `total` units (epochs or steps), named metrics */
  progress(title: string, total: number): TrainProgress;
  /** informational lines (printed under the bar, kept in the report) */
  log(line: string): void;
}

export interface ExamplePlot {
  readonly title: string;
  readonly spec: TopLevelSpec;
}

export interface ExampleResult {
  /** the headline metric's name, e.g. 'test accuracy', 'test RMSE (passengers)', 'bits/char' */
  readonly metric: string;
  readonly value: number;
  /** the target, or null when the example has none */
  readonly target: number | null;
  /** whether smaller is better for this metric (RMSE, bits/char, error rates) */
  readonly lowerIsBetter: boolean;
  /** a reference to compare with (naive Bayes, persistence...), or null */
  readonly baseline: number | null;
  readonly baselineName?: string;
  /** extra numbers worth reporting (other baselines, train error, ...) */
  readonly details?: Readonly<Record<string, number | string>>;
  readonly plots: readonly ExamplePlot[];
  /** free text for the report (samples, summaries) */
  readonly notes?: readonly string[];
}

export interface Example {
  readonly id: string;
  readonly title: string;
  /** one paragraph: what it shows, in the study guide's terms */
  readonly description: string;
  /** the format a --data file must have, or undefined if the example takes none */
  readonly dataFormat?: string;
  run(ctx: ExampleContext): Promise<ExampleResult>;
}

/**
 * What the tour's "passed" column says. Quick runs train too little to meet a target, so
 * they say so instead of "yes"; an example without a target has nothing to pass.
 */
export type Verdict = 'yes' | 'NO' | 'not checked (quick)' | 'no target';
export function verdict(r: ExampleResult, quick: boolean): Verdict {
  if (r.target === null) return 'no target';
  if (quick) return 'not checked (quick)';
  return (r.lowerIsBetter ? r.value <= r.target : r.value >= r.target) ? 'yes' : 'NO';
}
