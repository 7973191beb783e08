/**
 * The benchmark command end to end on two small cases with --quick: it must run every library
 * (ours, tfjs cpu / wasm, and ONNX Runtime where the case has an ONNX graph), agree with them on
 * the output, and write well-formed latest.json / latest.md.
 * No timing is asserted (the numbers depend on the machine and its load).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownTable, parseArgs, type ResultRow } from '../benchmarks/report';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const out = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('benchmarks/run.ts', () => {
  it('runs cases with --quick and writes the JSON and markdown results', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'benchmarks/run.ts', '--only', 'add-32x200,matmul-128', '--quick', '--out', out], { cwd: root });
    const all = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')) as ResultRow[];
    // the machine ceilings come first: plain SIMD always, relaxed SIMD where the engine has it
    const peaks = all.filter((r) => r.name.endsWith('simd-peak'));
    expect(peaks.map((r) => r.name)).toEqual(['simd-peak', 'relaxed-simd-peak'].slice(0, peaks.length));
    expect(peaks.length).toBeGreaterThanOrEqual(1);
    for (const p of peaks) {
      expect(p.gflops!, p.name).toBeGreaterThan(0);
      expect(p.gflops_1t!, p.name).toBeGreaterThan(0);
      expect(p.cpu, p.name).toBe(cpus()[0]!.model.trim());
    }
    const rows = all.slice(peaks.length);
    // in the order of the case list
    expect(rows.map((x) => x.name)).toEqual(['matmul-128', 'add-32x200']);
    const r = rows[1]!;
    expect(r.name).toBe('add-32x200');
    expect(r.shape).toBe('[32,200] + [32,200]');
    for (const k of ['ours_ms', 'ours_ts_ms', 'tfjs_cpu_ms', 'tfjs_wasm_ms'] as const) {
      expect(typeof r[k], k).toBe('number');
      expect(r[k]!, k).toBeGreaterThan(0);
    }
    // the three libraries computed the same sums
    expect(r.max_abs_diff_cpu).toBe(0);
    expect(r.max_abs_diff_wasm).toBe(0);
    expect(r.notes.some((n) => /failed|MISMATCH/.test(n))).toBe(false);
    // add has no ONNX graph: no ORT fields at all (the column stays empty, not n/a)
    expect(r.ort_ms).toBeUndefined();
    // matmul-128: ONNX Runtime ran the exported graph on as many threads as ours and agrees
    const m = rows[0]!;
    expect(m.ort_ms!).toBeGreaterThan(0);
    expect(m.ort_cpu_time_ms!).toBeGreaterThan(0);
    // both fields are rounded to 4 significant digits (report.ts `round`), so compare relatively:
    // an absolute tolerance fails whenever the rate passes 100 GFLOP/s
    const ortRate = (2 * 128 ** 3) / m.ort_ms! / 1e6;
    expect(Math.abs(m.ort_gflops! - ortRate) / ortRate).toBeLessThan(2e-3);
    expect(m.max_abs_diff_ort!).toBeLessThan(1e-4);
    expect(m.reps.ort).toBeDefined();
    expect(m.notes.some((n) => /failed|MISMATCH/.test(n))).toBe(false);
    const md = readFileSync(path.join(out, 'latest.md'), 'utf8');
    expect(md).toContain('| case | shape | ours ms | tfjs-cpu ms | tfjs-wasm ms | cpu/ours | wasm/ours |');
    expect(md).toMatch(/\| simd-peak \(f32x4.mul \+ f32x4.add\) \| [\d.]+ \| [\d.]+ \|/);
    expect(md.indexOf('simd-peak')).toBeLessThan(md.indexOf('| case |'));
    expect(md).toMatch(/\| add-32x200 \| \[32,200\] \+ \[32,200\] \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x \| [\d.]+x \|  \|  \|/);
    expect(md).toContain('| ORT native ms | vs ORT native |');
    expect(md).toMatch(/\| matmul-128 \| \[128,128\]x\[128,128\] \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x \| [\d.]+x \| [\d.]+ \| [\d.]+x \|/);
    expect(md).toMatch(/intra-op threads = \d+/);
    // the CPU-time table: GFLOP/s per CPU-second for tfjs-wasm and ORT beside ours
    expect(md).toMatch(/\| matmul-128 \|( [\d.]+ \|){4}( [\d.]+x \|){3} [\d.]+ \| [\d.]+% \| [\d.]+ \/ [\d.]+ \|/);
    expect(stdout).toContain('| add-32x200 |');
  });

  it('parses its options and rejects unknown ones', () => {
    expect(parseArgs(['--only', 'a, b', '--quick', '--out=/tmp/x'])).toEqual({ only: ['a', 'b'], quick: true, out: '/tmp/x' });
    expect(parseArgs([]).only).toBeNull();
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseArgs(['--only'])).toThrow(/--only needs a value/);
  });

  it('prints n/a and no ratio for a library that could not run', () => {
    const row: ResultRow = { name: 'x', shape: '[1]', ours_ms: 2, tfjs_cpu_ms: 4, tfjs_wasm_ms: null, reps: {}, notes: ['tfjs-wasm failed: no kernel'] };
    const lines = markdownTable([row]).split('\n');
    expect(lines[2]).toBe('| x | [1] | 2.00 | 4.00 | n/a | 2.00x | n/a |  |  |  |  |  |  |  | tfjs-wasm failed: no kernel |');
    const withOrt = markdownTable([{ ...row, ort_ms: null, notes: ['ORT failed: no kernel'] }]).split('\n');
    expect(withOrt[2]).toBe('| x | [1] | 2.00 | 4.00 | n/a | 2.00x | n/a | n/a | n/a |  |  |  |  |  | ORT failed: no kernel |');
  });
});
