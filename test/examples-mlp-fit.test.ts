import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { example } from '../src/examples/mlp-fit';
import type { ExampleContext } from '../src/examples/example';

function fakeContext(extra: Partial<ExampleContext> = {}): ExampleContext & { lines: string[]; updates: number } {
  const state = { lines: [] as string[], updates: 0 };
  return {
    quick: true,
    dataDir: join(__dirname, '..', 'src', 'examples', 'data'),
    progress: () => ({ update: () => void state.updates++, stop: () => undefined }),
    log: (line) => void state.lines.push(line),
    ...extra,
    get lines() {
      return state.lines;
    },
    get updates() {
      return state.updates;
    },
  };
}

describe('mlp-fit example (quick)', () => {
  it('fits three models and reports train/test errors, baselines and three plots', async () => {
    const ctx = fakeContext();
    const r = await example.run(ctx);
    expect(example.id).toBe('mlp-fit');
    expect(r.lowerIsBetter).toBe(true);
    expect(r.target).toBeNull();
    expect(Number.isFinite(r.value)).toBe(true);
    expect(r.value).toBeGreaterThan(0);
    // the baseline is the better of the constant and the least-squares line, both on test
    const d = r.details!;
    expect(r.baseline).toBe(Math.min(d['constant fit test MSE'] as number, d['linear fit test MSE'] as number));
    // a constant cannot follow sin(2x): its test MSE is well above the noise variance 0.09
    expect(d['constant fit test MSE'] as number).toBeGreaterThan(0.09);
    expect(r.value).toBe(d['right-sized 2×16 tanh test MSE']);
    expect(d['too small 1 tanh unit params']).toBe(4);
    expect(d['right-sized 2×16 tanh params']).toBe(321);
    expect(d['too large 3×128 relu params']).toBe(33409);
    for (const [k, v] of Object.entries(d)) if (k.endsWith('MSE')) expect(Number.isFinite(v as number), k).toBe(true);
    expect(r.plots.map((p) => p.title)).toHaveLength(3);
    for (const p of r.plots) expect(() => compile(p.spec)).not.toThrow();
    // the fit plot: 60 training points and four curves (truth + three models)
    const layers = (r.plots[0]!.spec as { layer: { data: { values: { series?: string }[] } }[] }).layer;
    expect(layers[0]!.data.values).toHaveLength(60);
    expect(new Set(layers[1]!.data.values.map((v) => v.series)).size).toBe(4);
    expect(ctx.lines.length).toBeGreaterThanOrEqual(3);
    expect(ctx.updates).toBeGreaterThan(0);
  });

  it('is deterministic (fixed keys) and refuses a --data file', async () => {
    const a = await example.run(fakeContext());
    const b = await example.run(fakeContext());
    expect(b.value).toBe(a.value);
    expect(b.details).toEqual(a.details);
    await expect(example.run(fakeContext({ dataFile: '/nonexistent.csv' }))).rejects.toThrow(/takes no --data/);
  });
});
