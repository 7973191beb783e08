/**
 * Which register block the GEMM micro-kernel should use: builds the kernel module once per
 * candidate block (gemm-tile.ts) and times the `gemm` export on one thread, the candidates
 * interleaved round by round so machine load falls on all of them alike:
 *
 *   node --import tsx src/backend/wasm/build/tile-bench.ts [--variant relaxed|simd] [--rounds N] [4x8 6x8 4x12 ...]
 *
 * Prints, per shape, each block's median GFLOP/s (CPU time, so waiting for a core does not
 * count) and its ratio to the first block, the median of the per-round ratios with their
 * range (the noise). Every block must compute the same bits (each C element is reduced in k
 * order whatever the block), which is checked on every shape before timing.
 */
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { assembleWithTile, type KernelVariant } from './assemble';
import type { Tile } from './gemm-tile';
import { rand } from './rand';

type Exports = {
  gemm(a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, ldc: number, m: number, k: number, n: number, acc: number): void;
  set_scratch(p: number): void;
  heap_base: { value: number };
};
// cast: no DOM/wasm lib types in this build; the shape below is the part of WebAssembly used
const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer; grow(n: number): void }; Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  if (v === undefined) throw new Error(`${name} needs a value`);
  return v;
};
const variant = opt('--variant', 'relaxed') as KernelVariant;
if (variant !== 'relaxed' && variant !== 'simd') throw new Error(`--variant must be relaxed or simd, got ${variant}`);
const rounds = Number(opt('--rounds', '5'));
const tiles: Tile[] = (args.length > 0 ? args : ['4x8', '6x8', '4x12']).map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (m === null) throw new Error(`a block is MRxNR, e.g. 6x8; got ${s}`);
  return { mr: Number(m[1]), nr: Number(m[2]) };
});
const label = (t: Tile) => `${t.mr}x${t.nr}`;

if (variant === 'relaxed') v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const dir = fileURLToPath(new URL('..', import.meta.url));

async function instantiate(t: Tile): Promise<{ ex: Exports; mem: { buffer: ArrayBuffer } }> {
  const bytes = await assembleWithTile(dir, variant, t);
  const mem = new wasm.Memory({ initial: 1, maximum: 65536 });
  const ex = new wasm.Instance(new wasm.Module(bytes), { env: { memory: mem } }).exports as Exports;
  ex.set_scratch(0);
  mem.grow((ex.heap_base.value + 3 * 4 * 1024 * 1024 * 4) / 65536);
  return { ex, mem };
}

/** the shapes that dominate the benchmark: square matmuls, the conv's im2col product, mha's projections and q·kᵀ */
const shapes: { name: string; m: number; k: number; n: number }[] = [
  { name: 'matmul-1024', m: 1024, k: 1024, n: 1024 },
  { name: 'matmul-256', m: 256, k: 256, n: 256 },
  { name: 'conv2d im2col', m: 32 * 24 * 24, k: 288, n: 64 },
  { name: 'mha projection', m: 1024, k: 256, n: 256 },
  { name: 'mha q·kT', m: 128, k: 32, n: 128 },
];

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

const insts = await Promise.all(tiles.map(instantiate));
console.log(`${variant} build, one thread, ${rounds} rounds; blocks ${tiles.map(label).join(', ')} (ratios vs ${label(tiles[0]!)}, median [min, max] over rounds)`);
for (const s of shapes) {
  const { m, k, n } = s;
  const a = rand(m * k, 1), b = rand(k * n, 2);
  const flops = 2 * m * k * n;
  const call = (i: number) => {
    const { ex, mem } = insts[i]!;
    const base = ex.heap_base.value;
    const pa = base, pb = pa + a.length * 4, pc = pb + b.length * 4;
    const f = new Float32Array(mem.buffer);
    f.set(a, pa >> 2);
    f.set(b, pb >> 2);
    return { run: () => ex.gemm(pa, k, 1, pb, n, 1, pc, n, m, k, n, 0), out: () => f.slice(pc >> 2, (pc >> 2) + m * n) };
  };
  const calls = tiles.map((_, i) => call(i));
  calls.forEach((c) => c.run());
  const ref = calls[0]!.out();
  calls.forEach((c, i) => {
    const o = c.out();
    for (let j = 0; j < o.length; j++) {
      if (!Object.is(o[j], ref[j])) throw new Error(`${s.name}: block ${label(tiles[i]!)} differs from ${label(tiles[0]!)} at ${j} (${o[j]} vs ${ref[j]})`);
    }
  });
  // enough calls per sample for ~40 ms of work at ~30 GFLOP/s
  const reps = Math.max(1, Math.round(1.2e9 / flops));
  const gf: number[][] = tiles.map(() => []);
  for (let r = 0; r < rounds; r++) {
    calls.forEach((c, i) => {
      c.run();
      const t0 = process.cpuUsage();
      for (let q = 0; q < reps; q++) c.run();
      const d = process.cpuUsage(t0);
      gf[i]!.push((flops * reps) / ((d.user + d.system) * 1e3));
    });
  }
  const cells = tiles.map((t, i) => {
    const ratios = gf[i]!.map((g, r) => g / gf[0]![r]!);
    const rr = i === 0 ? '' : ` ${median(ratios).toFixed(3)}x [${Math.min(...ratios).toFixed(2)}, ${Math.max(...ratios).toFixed(2)}]`;
    return `${label(t)} ${median(gf[i]!).toFixed(1)}${rr}`;
  });
  console.log(`${s.name.padEnd(15)} ${cells.join('  |  ')}`);
}
