/** The tour's verdicts: a quick run must not claim it met targets it never checked (issue 18). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verdict, type ExampleResult } from '../src/examples/example';
import { runTour } from '../src/examples/tour';

const result = (value: number, target: number | null, lowerIsBetter: boolean): ExampleResult => ({ metric: 'm', value, target, lowerIsBetter, baseline: null, plots: [] });

describe('verdict', () => {
  it('says "not checked (quick)" in a quick run, whether or not the target was met', () => {
    expect(verdict(result(0.79, 0.97, false), true)).toBe('not checked (quick)');
    expect(verdict(result(0.99, 0.97, false), true)).toBe('not checked (quick)');
    expect(verdict(result(0.93, 0.35, true), true)).toBe('not checked (quick)');
  });

  it('checks the target in a full run, in the metric direction', () => {
    expect(verdict(result(0.79, 0.97, false), false)).toBe('NO');
    expect(verdict(result(0.97, 0.97, false), false)).toBe('yes');
    expect(verdict(result(0.93, 0.35, true), false)).toBe('NO');
    expect(verdict(result(0.35, 0.35, true), false)).toBe('yes');
  });

  it('says "no target" for an example without one', () => {
    expect(verdict(result(1, null, false), false)).toBe('no target');
    expect(verdict(result(1, null, true), true)).toBe('no target');
  });
});

describe('npm run tour -- --quick', () => {
  let out = '';
  afterEach(() => {
    vi.restoreAllMocks();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('prints and records "not checked (quick)", never "yes", for a target it skipped', async () => {
    out = mkdtempSync(join(tmpdir(), 'tour-quick-'));
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (printed.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // vanishing-gradient has a target (10) and runs in well under a second
    expect(await runTour(['--quick', '--only', 'vanishing-gradient', '--out', out])).toBe(0);
    const row = printed.join('').split('\n').find((l) => l.startsWith('vanishing-gradient'));
    expect(row).toContain('not checked (quick)');
    expect(row).not.toMatch(/\byes\b/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'))['vanishing-gradient'];
    expect(m).toMatchObject({ target: 10, passed: null, verdict: 'not checked (quick)' });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<td>passed</td><td>not checked (quick)</td>');
  });
});
