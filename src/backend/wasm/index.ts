/**
 * The WebAssembly SIMD backend: the CPU backend with its hot kernels (GEMM, same-shape /
 * scalar / row-broadcast add, sub, mul, div, the exact unary ops, clip) replaced by
 * hand-written f32x4 kernels from kernels.wat. Install with `setBackend(createWasmBackend())`.
 *
 * Each call copies its operands into the instance's memory (from heap_base on), runs the
 * kernel, and copies the result out into a fresh Float32Array, so the Backend contract
 * (inputs never written, fresh outputs) holds and nothing is shared between calls. Memory
 * grows to the largest call seen and is kept for reuse; it never shrinks.
 *
 * Below a size threshold the CPU kernel runs instead: the copies and the JS → wasm call
 * cost more than they save on small inputs (thresholds measured, see DEFAULTS).
 * Element-wise results are bit-identical to the CPU backend's (the ops used are exactly
 * rounded per lane); GEMM differs within float32 accumulation error (f32 accumulators
 * and no FMA here, double accumulators in the CPU kernel).
 */
import type { Backend, BinaryOp, F32, UnaryOp } from '../backend';
import { cpuBackend } from '../cpu';
import { KERNELS_WASM_BASE64 } from './kernels.generated';

export interface WasmBackendOptions {
  /** matmuls with fewer than this many flops (2·batch·m·k·n) run on the CPU kernel */
  readonly minMatmulFlops?: number;
  /** element-wise calls with fewer output elements than this run on the CPU kernels */
  readonly minElementwise?: number;
}

/**
 * Crossover points measured with build/bench.ts (Node 20, x64, CPU time): matmul 4³ 0.65 µs
 * cpu vs 0.77 µs wasm, 8³ 1.5 vs 1.2; add / relu about even at 64 elements, wasm ahead from 256.
 */
const DEFAULTS = { minMatmulFlops: 2 * 8 * 8 * 8, minElementwise: 128 } as const;

// The project compiles without the DOM lib, so the few WebAssembly members used are typed here.
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface KernelExports {
  readonly memory: WasmMemory;
  readonly heap_base: { readonly value: number };
  gemm(a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, m: number, k: number, n: number): void;
  add_vv(a: number, b: number, o: number, n: number): void;
  sub_vv(a: number, b: number, o: number, n: number): void;
  mul_vv(a: number, b: number, o: number, n: number): void;
  div_vv(a: number, b: number, o: number, n: number): void;
  add_vs(a: number, s: number, o: number, n: number): void;
  sub_vs(a: number, s: number, o: number, n: number): void;
  mul_vs(a: number, s: number, o: number, n: number): void;
  div_vs(a: number, s: number, o: number, n: number): void;
  sub_sv(b: number, s: number, o: number, n: number): void;
  div_sv(b: number, s: number, o: number, n: number): void;
  unary(op: number, x: number, o: number, n: number): void;
  clip(x: number, lo: number, hi: number, o: number, n: number): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let wasmModule: object | null = null;

function instantiate(): KernelExports {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('createWasmBackend: WebAssembly is not available in this environment');
  // compiled once per process (3 KB, synchronous compile is allowed at this size)
  wasmModule ??= new api.Module(decodeBase64(KERNELS_WASM_BASE64));
  return new api.Instance(wasmModule, {}).exports as KernelExports;
}

/** selector of each unary op the `unary` kernel implements (see kernels.wat) */
const UNARY_CODE: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, sqrt: 2, square: 3, reciprocal: 4, relu: 5, step: 6, floor: 7, round: 8, sign: 9,
};

/** bytes for n floats, plus one spare vector: the element-wise loops overrun by up to 3 floats */
function region(n: number): number {
  return ((n * 4 + 15) & ~15) + 16;
}

function underflows(v: number): boolean {
  return v !== 0 && Math.fround(v) === 0;
}

function size(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** whether `small` (leading 1s ignored) equals the trailing dims of `out` */
function isSuffix(small: readonly number[], out: readonly number[]): boolean {
  let i = 0;
  while (i < small.length && small[i] === 1) i++;
  const len = small.length - i;
  if (len > out.length) return false;
  for (let j = 0; j < len; j++) if (small[i + j] !== out[out.length - len + j]) return false;
  return true;
}

/**
 * A backend running GEMM and the common element-wise kernels in WebAssembly SIMD, the rest
 * on the CPU backend. Each call creates its own wasm instance (own memory).
 */
export function createWasmBackend(options: WasmBackendOptions = {}): Backend {
  const minFlops = options.minMatmulFlops ?? DEFAULTS.minMatmulFlops;
  const minElems = options.minElementwise ?? DEFAULTS.minElementwise;
  const k = instantiate();
  const mem = k.memory;
  const base = k.heap_base.value;
  let heap = new Float32Array(mem.buffer);

  /** makes [base, base + bytes) addressable and refreshes the view after a grow */
  function reserve(bytes: number): void {
    const have = mem.buffer.byteLength;
    if (base + bytes > have) mem.grow(Math.ceil((base + bytes - have) / 65536));
    if (heap.buffer !== mem.buffer) heap = new Float32Array(mem.buffer);
  }

  function matmul(
    a: F32, aOffsets: Int32Array, b: F32, bOffsets: Int32Array,
    batch: number, m: number, kk: number, n: number, transA: boolean, transB: boolean,
  ): F32 {
    // thin products are memory-bound (the CPU kernel has no-pack paths for them) and empty
    // ones must return zeros, which the wasm kernel does not write
    if (m <= 1 || n <= 1 || kk === 0 || batch === 0 || 2 * batch * m * kk * n < minFlops) {
      return cpuBackend.matmul(a, aOffsets, b, bOffsets, batch, m, kk, n, transA, transB);
    }
    const pa = base, pb = pa + region(a.length), pc = pb + region(b.length);
    const total = batch * m * n;
    reserve(pc - base + region(total));
    heap.set(a, pa >> 2);
    heap.set(b, pb >> 2);
    const ars = transA ? 1 : kk, acs = transA ? m : 1;
    const brs = transB ? 1 : n, bcs = transB ? kk : 1;
    const mn4 = m * n * 4;
    for (let t = 0; t < batch; t++) {
      k.gemm(pa + aOffsets[t]! * 4, ars, acs, pb + bOffsets[t]! * 4, brs, bcs, pc + t * mn4, m, kk, n);
    }
    return heap.slice(pc >> 2, (pc >> 2) + total);
  }

  function binary(
    op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], outShape: readonly number[],
  ): F32 {
    const n = size(outShape);
    if (n < minElems || (op !== 'add' && op !== 'sub' && op !== 'mul' && op !== 'div')) {
      return cpuBackend.binary(op, a, aShape, b, bShape, outShape);
    }
    const na = a.length, nb = b.length;
    const pa = base, pb = pa + region(na), po = pb + region(nb);
    if (na === n && nb === n) {
      reserve(po - base + region(n));
      heap.set(a, pa >> 2);
      heap.set(b, pb >> 2);
      (op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv)(pa, pb, po, n);
    } else if (na === n && nb === 1) {
      reserve(pb - base + region(n));
      heap.set(a, pa >> 2);
      (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_vs : op === 'mul' ? k.mul_vs : k.div_vs)(pa, b[0]!, pb, n);
      return heap.slice(pb >> 2, (pb >> 2) + n);
    } else if (na === 1 && nb === n) {
      reserve(region(n) * 2);
      heap.set(b, pa >> 2);
      const o = pa + region(n);
      (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_sv : op === 'mul' ? k.mul_vs : k.div_sv)(pa, a[0]!, o, n);
      return heap.slice(o >> 2, (o >> 2) + n);
    } else if ((na === n && isSuffix(bShape, outShape)) || (nb === n && isSuffix(aShape, outShape))) {
      // [.., C] op [C] (or the mirror): one vector-vector call per row, the small operand's
      // pointer fixed; a row's overrun into the next row is rewritten by the next call
      reserve(po - base + region(n));
      heap.set(a, pa >> 2);
      heap.set(b, pb >> 2);
      const f = op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv;
      const cols = na === n ? nb : na;
      const aStep = na === n ? cols * 4 : 0, bStep = nb === n ? cols * 4 : 0;
      for (let r = 0, rows = n / cols; r < rows; r++) f(pa + r * aStep, pb + r * bStep, po + r * cols * 4, cols);
    } else {
      return cpuBackend.binary(op, a, aShape, b, bShape, outShape);
    }
    return heap.slice(po >> 2, (po >> 2) + n);
  }

  function unary(op: UnaryOp, x: F32): F32 {
    const code = UNARY_CODE[op];
    const n = x.length;
    if (code === undefined || n < minElems) return cpuBackend.unary(op, x);
    const px = base, po = px + region(n);
    reserve(2 * region(n));
    heap.set(x, px >> 2);
    k.unary(code, px, po, n);
    return heap.slice(po >> 2, (po >> 2) + n);
  }

  function clip(x: F32, lo: number, hi: number): F32 {
    const n = x.length;
    // The kernel compares with the bounds rounded to float32, which gives the same values
    // unless lo > hi (or NaN): the CPU kernel's order of comparisons then decides; or a
    // bound that rounds to ±0 without being 0, where -0 vs +0 of the result could differ.
    if (n < minElems || !(lo <= hi) || underflows(lo) || underflows(hi)) return cpuBackend.clip(x, lo, hi);
    const px = base, po = px + region(n);
    reserve(2 * region(n));
    heap.set(x, px >> 2);
    k.clip(px, lo, hi, po, n);
    return heap.slice(po >> 2, (po >> 2) + n);
  }

  return { ...cpuBackend, name: 'wasm', matmul, binary, unary, clip };
}
