/**
 * Kernels that write into a given array (jit plans offer their own buffers to intermediate
 * outputs): binary, where, softmax, logSoftmax and transpose, on both backends and every path (the CPU
 * fallback of small sizes, one block, the pipeline of large ones), return `into` itself holding the
 * bits of a fresh call, whatever it held before.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/backend/cpu';
import { createWasmBackend } from '../src/backend/wasm';
import type { BinaryOp } from '../src/backend/backend';

const wasm = createWasmBackend();
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const data = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 3);
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// same shape (small and pipelined), scalar either side, a row over a matrix, an outer product, a general broadcast
const SHAPES: readonly (readonly [readonly number[], readonly number[], readonly number[]])[] = [
  [[4, 64], [4, 64], [4, 64]],
  [[600, 1024], [600, 1024], [600, 1024]],
  [[4, 64], [1], [4, 64]],
  [[1], [4, 64], [4, 64]],
  [[32, 64], [64], [32, 64]],
  [[3, 8, 1], [3, 1, 64], [3, 8, 64]],
  [[2, 1, 5, 64], [2, 3, 1, 64], [2, 3, 5, 64]],
];

describe('kernels write into a given array', () => {
  for (const bk of [cpuBackend, wasm]) {
    it(`${bk.name}: binary, where, softmax, logSoftmax, transpose`, () => {
      for (const [as, bs, os] of SHAPES) {
        const a = data(size(as), 1), b = data(size(bs), 2);
        for (const op of ['add', 'sub', 'mul', 'div', 'maximum'] as const satisfies readonly BinaryOp[]) {
          const fresh = bk.binary(op, a, as, b, bs, os);
          const into = new Float32Array(size(os)).fill(Number.NaN);
          const got = bk.binary(op, a, as, b, bs, os, into);
          expect(got, `${op} ${os}`).toBe(into);
          expect(bits(got), `${op} ${os}`).toEqual(bits(fresh));
        }
        const c = Uint8Array.from({ length: size(os) }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
        const fresh = bk.where(c, os, a, as, b, bs, os);
        const into = new Float32Array(size(os)).fill(Number.NaN);
        const got = bk.where(c, os, a, as, b, bs, os, into);
        expect(got).toBe(into);
        expect(bits(got)).toEqual(bits(fresh));
      }
      for (const [rows, cols] of [[2, 4], [64, 100], [512, 1024]] as const) {
        const x = data(rows * cols, 3);
        for (const k of ['softmax', 'logSoftmax'] as const) {
          const fresh = bk[k](x, rows, cols);
          const into = new Float32Array(rows * cols).fill(Number.NaN);
          const got = bk[k](x, rows, cols, into);
          expect(got, `${k} ${rows}x${cols}`).toBe(into);
          expect(bits(got), `${k} ${rows}x${cols}`).toEqual(bits(fresh));
        }
      }
      // transpose: size-1 dims only (a copy), the innermost dim kept (runs), a 2-D tile swap
      for (const [shape, perm] of [[[1, 6, 1], [2, 1, 0]], [[4, 5, 6], [1, 0, 2]], [[4, 5, 6], [0, 2, 1]], [[32, 48], [1, 0]]] as const) {
        const x = data(size(shape), 4);
        const fresh = bk.transpose(x, shape, perm) as Float32Array;
        const into = new Float32Array(x.length).fill(Number.NaN);
        const got = bk.transpose(x, shape, perm, into) as Float32Array;
        expect(got, `transpose ${shape} ${perm}`).toBe(into);
        expect(bits(got), `transpose ${shape} ${perm}`).toEqual(bits(fresh));
      }
    });
  }
});
