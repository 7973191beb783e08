import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { compile } from 'vega-lite';
import { example } from '../src/examples/vanishing-gradient';
import type { ExampleContext } from '../src/examples/example';

const ctx = (extra: Partial<ExampleContext> = {}): ExampleContext => ({
  quick: true,
  dataDir: join(__dirname, '..', 'src', 'examples', 'data'),
  progress: () => ({ update: () => undefined, stop: () => undefined }),
  log: () => undefined,
  ...extra,
});

describe('vanishing-gradient example (quick)', () => {
  it("sigmoid's first/last gradient ratio is far below relu's; σ' peaks at 0.25", async () => {
    const r = await example.run(ctx());
    expect(example.id).toBe('vanishing-gradient');
    expect(r.lowerIsBetter).toBe(false);
    expect(r.target).toBe(10);
    const d = r.details!;
    const sig = d['sigmoid first/last ratio'] as number;
    const rel = d['relu first/last ratio'] as number;
    expect(sig).toBeGreaterThan(0);
    expect(r.value).toBeCloseTo(rel / sig, 6);
    // the requirement, already on the quick batch
    expect(r.value).toBeGreaterThanOrEqual(10);
    expect(d["max σ'(x) on [-8, 8] (by grad)"]).toBeCloseTo(0.25, 6);
    expect(d["argmax σ'(x)"]).toBeCloseTo(0, 6);
    // one gradient norm per dense layer (10 hidden + output) for each network, all positive
    const spec = r.plots[0]!.spec as { data: { values: { x: number; y: number; series: string }[] } };
    for (const s of ['sigmoid', 'relu']) {
      const ys = spec.data.values.filter((v) => v.series === s);
      expect(ys.map((v) => v.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      for (const v of ys) expect(v.y).toBeGreaterThan(0);
    }
    // sigmoid's gradient shrinks monotonically towards the input
    const sigYs = spec.data.values.filter((v) => v.series === 'sigmoid').map((v) => v.y);
    for (let i = 1; i < sigYs.length; i++) expect(sigYs[i - 1]!).toBeLessThan(sigYs[i]!);
    for (const p of r.plots) expect(() => compile(p.spec)).not.toThrow();
  });

  it('refuses a --data file', async () => {
    await expect(example.run(ctx({ dataFile: '/nonexistent.csv' }))).rejects.toThrow(/takes no --data/);
  });
});
