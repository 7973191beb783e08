/**
 * The wasm column sums (sum over leading axes) against the cpu kernel: bit-identical, since both
 * add each column in float64 from +0 over the rows in order; other reductions stay the cpu's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend } from '../src/backend/wasm';

const wasm = createWasmBackend();
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('wasm reduce: sums over leading axes', () => {
  it('equals the cpu kernel bit for bit on random [.., rows, .., cols] shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), fc.boolean(),
        fc.integer({ min: 0, max: 1e6 }),
        (rows, c4, lead, widen, seed) => {
          const cols = widen ? c4 * 4 : c4 * 4 + (seed % 3) + 1; // multiples of 4, and tails (cpu path)
          const shape = lead === 1 ? [rows, cols] : [lead, rows, cols];
          const axes = lead === 1 ? [0] : [0, 1];
          const n = shape.reduce((a, b) => a * b, 1);
          let s = seed;
          const x = Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 10 ** ((s % 7) - 3));
          expect(bits(wasm.reduce('sum', x, shape, axes))).toEqual(bits(cpuBackend.reduce('sum', x, shape, axes)));
        },
      ),
      { seed: 11, numRuns: 80 },
    );
  });

  it('keeps -0, infinities and NaN as the cpu kernel does; other reductions and axes unchanged', () => {
    const rows = 2048, cols = 8;
    const x = new Float32Array(rows * cols).fill(-0);
    x[3] = Infinity;
    x[cols + 5] = Number.NaN;
    x[2 * cols + 6] = -Infinity;
    x[3 * cols + 6] = Infinity; // +∞ + −∞ = NaN in column 6
    const got = wasm.reduce('sum', x, [rows, cols], [0]);
    expect(Array.from(got)).toEqual(Array.from(cpuBackend.reduce('sum', x, [rows, cols], [0])));
    expect(Object.is(got[0], -0) || Object.is(got[0], 0)).toBe(true);
    expect(Object.is(got[0], cpuBackend.reduce('sum', x, [rows, cols], [0])[0])).toBe(true);
    const y = Float32Array.from({ length: 64 * 128 }, (_, i) => Math.sin(i));
    for (const [op, axes] of [['max', [0]], ['sum', [1]], ['prod', [0]], ['sum', [0, 1]]] as const) {
      expect(bits(wasm.reduce(op, y, [64, 128], axes)), `${op} ${axes}`).toEqual(bits(cpuBackend.reduce(op, y, [64, 128], axes)));
    }
  });
});
