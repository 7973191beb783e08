/**
 * The GEMM core generator (build/gemm-tile.ts) for register blocks other than the committed
 * one: each block's module must match a float64 reference and compute exactly the bits of
 * the committed 4x8 block (each C element is reduced in k order whatever the block), in the
 * plain-SIMD build and, where the engine runs it, the relaxed one. Shapes cover edge tiles,
 * both transpositions, k over one KC block, n over one NC block, and C += (acc = 1).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assembleWithTile, type KernelVariant } from '../src/backend/wasm/build/assemble';
import { checkTile, type Tile } from '../src/backend/wasm/build/gemm-tile';
import { relaxedSimdAvailable } from '../src/backend/wasm';
import { randArray } from './helpers/rand';

type Exports = {
  gemm(a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, ldc: number, m: number, k: number, n: number, acc: number): void;
  set_scratch(p: number): void;
  heap_base: { value: number };
};
// the project compiles without the DOM lib
const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer; grow(n: number): void }; Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;
const dir = fileURLToPath(new URL('../src/backend/wasm/', import.meta.url));

async function gemmOf(variant: KernelVariant, tile: Tile) {
  const bytes = await assembleWithTile(dir, variant, tile);
  const mem = new wasm.Memory({ initial: 1, maximum: 65536 });
  const ex = new wasm.Instance(new wasm.Module(bytes), { env: { memory: mem } }).exports as Exports;
  ex.set_scratch(0);
  const base = ex.heap_base.value;
  mem.grow(base / 65536 + 64);
  /** C = op(A)·op(B) (+ c0 when given), A row-major [m,k] or (transA) [k,m], B [k,n] or [n,k] */
  return (a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean, c0?: Float32Array) => {
    const f = new Float32Array(mem.buffer);
    const pa = base, pb = pa + 4 * a.length, pc = pb + 4 * b.length;
    f.set(a, pa >> 2);
    f.set(b, pb >> 2);
    if (c0) f.set(c0, pc >> 2);
    ex.gemm(pa, tA ? 1 : k, tA ? m : 1, pb, tB ? 1 : n, tB ? k : 1, pc, n, m, k, n, c0 ? 1 : 0);
    return f.slice(pc >> 2, (pc >> 2) + m * n);
  };
}

function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean, c0?: Float32Array): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j]! : 0;
      for (let p = 0; p < k; p++) s += a[tA ? p * m + i : i * k + p]! * b[tB ? j * k + p : p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

// k = 300 is one pass (k <= 512) with MC, NC shrunk to fit (130 > 112 rows, 460 > 448 columns); k = 700 is three blocks
const SHAPES: [number, number, number][] = [[1, 1, 1], [7, 5, 13], [13, 17, 9], [6, 300, 25], [25, 40, 530], [64, 33, 64], [130, 300, 460], [9, 700, 21]];
const BLOCKS: Tile[] = [{ mr: 3, nr: 12 }, { mr: 2, nr: 16 }, { mr: 5, nr: 8 }, { mr: 6, nr: 8 }, { mr: 4, nr: 12 }, { mr: 8, nr: 4 }];

describe('GEMM core for other register blocks (build/gemm-tile.ts)', () => {
  const variants: KernelVariant[] = relaxedSimdAvailable() ? ['simd', 'relaxed'] : ['simd'];
  for (const variant of variants) {
    it(`${variant} build: every block matches float64 and the 4x8 block bit for bit`, async () => {
      const base = await gemmOf(variant, { mr: 4, nr: 8 });
      const others = await Promise.all(BLOCKS.map((t) => gemmOf(variant, t)));
      let seed = 1;
      for (const [m, k, n] of SHAPES) {
        for (const [tA, tB, acc] of [[false, false, false], [true, false, true], [false, true, false], [true, true, true]] as const) {
          const a = randArray(m * k, seed++), b = randArray(k * n, seed++);
          const c0 = acc ? randArray(m * n, seed++) : undefined;
          const want = reference(a, b, m, k, n, tA, tB, c0);
          const got = base(a, b, m, k, n, tA, tB, c0);
          const what = `${m}x${k}x${n} transA ${tA} transB ${tB} acc ${acc}`;
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
          expect(worst, what).toBeLessThan(1e-5 * (k + 1));
          others.forEach((g, bi) => {
            const o = g(a, b, m, k, n, tA, tB, c0);
            const diff = o.findIndex((v, i) => !Object.is(v, got[i]));
            expect(diff, `${what}: block ${BLOCKS[bi]!.mr}x${BLOCKS[bi]!.nr} first differs at`).toBe(-1);
          });
        }
      }
    }, 60_000);
  }

  it('cutting k into blocks never changes a result: C += A1·B1 then C += A2·B2 is A·B bit for bit', async () => {
    for (const variant of variants) {
      const g = await gemmOf(variant, { mr: 4, nr: 8 });
      let seed = 100;
      for (const [m, k, n, cut] of [[9, 300, 21, 97], [37, 700, 19, 256], [5, 1030, 70, 515], [12, 64, 8, 1]] as const) {
        const a = randArray(m * k, seed++), b = randArray(k * n, seed++);
        const whole = g(a, b, m, k, n, false, false);
        // A split by columns at `cut`, B by rows
        const a1 = new Float32Array(m * cut), a2 = new Float32Array(m * (k - cut));
        for (let i = 0; i < m; i++) {
          a1.set(a.subarray(i * k, i * k + cut), i * cut);
          a2.set(a.subarray(i * k + cut, (i + 1) * k), i * (k - cut));
        }
        const first = g(a1, b.subarray(0, cut * n), m, cut, n, false, false);
        const both = g(a2, b.subarray(cut * n), m, k - cut, n, false, false, first);
        const diff = both.findIndex((v, i) => !Object.is(v, whole[i]));
        expect(diff, `${variant} ${m}x${k}x${n} cut at ${cut}: first differs at`).toBe(-1);
      }
    }
  }, 60_000);

  it('rejects blocks it cannot build', () => {
    expect(() => checkTile({ mr: 4, nr: 6 })).toThrow('nr must be 4, 8, 12 or 16, got 6');
    expect(() => checkTile({ mr: 0, nr: 8 })).toThrow('mr must be an integer in 1..8, got 0');
  });
});
