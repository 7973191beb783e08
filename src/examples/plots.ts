/**
 * Vega-Lite specs for the tour's plots (rendered to SVG by the tour with vega). Heat maps
 * use a blue (small) → red (large) scale throughout.
 */
import type { TopLevelSpec } from 'vega-lite';

const W = 420;
const H = 260;

/** Several named curves over a shared x axis (loss per epoch, predictions vs actual, ...). */
export function lines(
  series: Readonly<Record<string, readonly number[]>>,
  opts: { x?: string; y?: string; xValues?: readonly number[]; logY?: boolean; width?: number; height?: number } = {},
): TopLevelSpec {
  const values: { x: number; y: number; series: string }[] = [];
  for (const [name, ys] of Object.entries(series)) {
    ys.forEach((y, i) => {
      if (Number.isFinite(y)) values.push({ x: opts.xValues?.[i] ?? i + 1, y, series: name });
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: opts.width ?? W,
    height: opts.height ?? H,
    data: { values },
    mark: { type: 'line', point: values.length < 80 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.x ?? 'epoch' },
      y: { field: 'y', type: 'quantitative', title: opts.y ?? 'loss', scale: opts.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Points (x, y) plus optional fitted curves: the 1-D function-fitting picture. */
export function scatterWithCurves(
  points: readonly { x: number; y: number }[],
  curves: Readonly<Record<string, readonly { x: number; y: number }[]>>,
  opts: { x?: string; y?: string } = {},
): TopLevelSpec {
  const curveValues = Object.entries(curves).flatMap(([name, ps]) => ps.map((p) => ({ ...p, series: name })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: W,
    height: H,
    layer: [
      { data: { values: points.map((p) => ({ ...p })) }, mark: { type: 'point', opacity: 0.5, color: '#888' }, encoding: { x: { field: 'x', type: 'quantitative', title: opts.x ?? 'x' }, y: { field: 'y', type: 'quantitative', title: opts.y ?? 'y' } } },
      { data: { values: curveValues }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: null } } },
    ],
  };
}

/** A matrix as a heat map: rows top to bottom, blue small → red large. */
export function heatmap(
  matrix: readonly (readonly number[])[],
  opts: { rowLabels?: readonly string[]; colLabels?: readonly string[]; x?: string; y?: string; cell?: number; showValues?: boolean } = {},
): TopLevelSpec {
  const values: { r: string; c: string; v: number; ri: number; ci: number }[] = [];
  matrix.forEach((row, i) =>
    row.forEach((v, j) => values.push({ r: opts.rowLabels?.[i] ?? String(i), c: opts.colLabels?.[j] ?? String(j), v, ri: i, ci: j })),
  );
  const cell = opts.cell ?? Math.max(6, Math.min(28, Math.floor(420 / Math.max(1, matrix[0]?.length ?? 1))));
  const rowSort = (opts.rowLabels ?? matrix.map((_, i) => String(i))).slice();
  const colSort = (opts.colLabels ?? (matrix[0] ?? []).map((_, j) => String(j))).slice();
  const rect = {
    mark: 'rect' as const,
    encoding: {
      x: { field: 'c', type: 'ordinal' as const, sort: colSort, title: opts.x ?? '' },
      y: { field: 'r', type: 'ordinal' as const, sort: rowSort, title: opts.y ?? '' },
      color: { field: 'v', type: 'quantitative' as const, scale: { scheme: 'blueorange' }, title: null },
    },
  };
  const text = {
    mark: { type: 'text' as const, fontSize: 9 },
    encoding: {
      x: { field: 'c', type: 'ordinal' as const, sort: colSort },
      y: { field: 'r', type: 'ordinal' as const, sort: rowSort },
      text: { field: 'v', type: 'quantitative' as const, format: '.0f' },
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: cell * (matrix[0]?.length ?? 1),
    height: cell * matrix.length,
    data: { values },
    layer: opts.showValues ? [rect, text] : [rect],
  } as TopLevelSpec;
}

/** A confusion matrix (rows: true class, columns: predicted), counts printed in the cells. */
export function confusion(cm: readonly (readonly number[])[], labels: readonly string[]): TopLevelSpec {
  return heatmap(cm, { rowLabels: labels, colLabels: labels, x: 'predicted', y: 'true', showValues: true, cell: Math.max(22, Math.floor(360 / labels.length)) });
}

/** Small multiples of square images (conv filters): each a heat map in a grid. */
export function imageGrid(images: readonly { name: string; pixels: readonly (readonly number[])[] }[], opts: { columns?: number; cell?: number } = {}): TopLevelSpec {
  const values = images.flatMap((img) => img.pixels.flatMap((row, i) => row.map((v, j) => ({ img: img.name, r: i, c: j, v }))));
  const cell = opts.cell ?? 10;
  const side = images[0]?.pixels.length ?? 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: { field: 'img', type: 'nominal', title: null, sort: images.map((i) => i.name) },
    columns: opts.columns ?? 8,
    spec: {
      width: cell * side,
      height: cell * side,
      mark: 'rect',
      encoding: {
        x: { field: 'c', type: 'ordinal', axis: null },
        y: { field: 'r', type: 'ordinal', axis: null },
        color: { field: 'v', type: 'quantitative', scale: { scheme: 'blueorange' }, legend: null },
      },
    },
  } as TopLevelSpec;
}

/** Bars: one value per category (e.g. gradient norm per layer). */
export function bars(values: Readonly<Record<string, readonly number[]>>, categories: readonly string[], opts: { y?: string; logY?: boolean; x?: string } = {}): TopLevelSpec {
  const rows = Object.entries(values).flatMap(([series, vs]) => vs.map((v, i) => ({ cat: categories[i] ?? String(i), v, series })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: W,
    height: H,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'cat', type: 'ordinal', sort: categories.slice(), title: opts.x ?? '' },
      xOffset: { field: 'series' },
      y: { field: 'v', type: 'quantitative', title: opts.y ?? '', scale: opts.logY ? { type: 'log' } : {} },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
}
