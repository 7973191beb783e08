/**
 * Fused element-wise programs run by program.wat's interpreter: the program is encoded once
 * into instruction records, and each call is one `program_chunk` per chunk of the output —
 * on the calling thread alone (one chunk) or over the worker threads (rt.parallel /
 * rt.pipeline). Each instruction calls the kernel the single-thread block path (program.ts)
 * calls from JavaScript for it, so the bits are the same; the interpreter saves that path's
 * per-instruction calls from JavaScript and its copies.
 *
 * In place: a full input that is a resident array (rt.resident) is read at its own address;
 * an output whose `into` is resident is written there (each chunk writes its own elements,
 * block by block after the block's instructions: see program.wat), so a donated step runs
 * with no copy at all. Other full inputs are copied into the heap (while workers compute the
 * chunks already copied), broadcast inputs' few floats are copied there and expanded block by
 * block into a buffer of the work area (same bits: the row- and column-wise calls of the block
 * path apply the same per-element operation to the same floats),
 * scalars travel in the instruction records. Other outputs go to a heap region, copied out.
 *
 * Programs with an instruction the block path would run as a CPU loop (pow, maximum,
 * minimum; a math op below its wasm crossover; clip with lo > hi or bounds that round to ±0;
 * a binary op on two scalars, a one-operand op on a scalar) are not encoded: they stay on the
 * block path.
 */
import type { ElementwiseArg, ElementwiseProgram, F32 } from '../backend';
import { valueSlots } from '../cpu/program';
import { UNARY_CODE, underflows } from './elementwise';
import type { wasmMathResident } from './math';
import { copyOut, region, type WasmRuntime } from './runtime';

/** words per instruction record (48 bytes; see program.wat) */
const WORDS = 12;
const OP = { add: 0, sub: 1, mul: 2, div: 3 } as const;
const UNARY = 4, MATH = 5, CLIP = 6;
/**
 * elements per block: 32 KB value buffers (halved while a program's buffers overfill the work
 * area). Measured on the Adam program (56 ops on 256K floats, one thread, best of 100 steps):
 * blocks of 8192 and 4096 elements 1.87 ms, 2048 1.95, 1024 2.17 (more kernel calls).
 */
const BLOCK = 8192;
/**
 * Threads pay from about this much work (elements × instruction weights: MATH_WEIGHT for a
 * math_map op, 1 for the others, ~0.05 ns per element on one thread); below it the calling
 * thread runs the program alone. Measured (best of many calls, µs, 1 → 2 threads, resident
 * operands): add/mul ×64 on 4K floats 13.0 → 8.2, on 8K 26.1 → 13.8, on 256K 815 → 417;
 * tanh + 3 cheap ops, ×16 on 8K 39.8 → 20.8, ×4 on 64K 79.7 → 41.1. While the machine's other
 * core was busy with other processes, whole series of calls came out slower on two threads
 * (e.g. add/mul ×4 on 64K 17 → 44, or 18.5 → 13.2 in another run of the same case): the worker
 * then shares the caller's core; that depends on the machine's load, not on the sizes.
 */
export const MIN_THREADED_WORK = 1 << 18;
/** a math_map op (exp, tanh, sigmoid, gelu...) costs about this many cheap ones (on 6400 floats: tanh 7.0 µs, mul_vs 0.38) */
const MATH_WEIGHT = 16;
/** and from this many elements (a chunk smaller than a few blocks is mostly wake-up) */
export const MIN_THREADED_N = 4096;
/** chunks per thread when every input is already in the memory (so a slow thread holds no one up long) */
const CHUNKS_PER_THREAD = 2;
/** elements per chunk when inputs are copied in as a pipeline */
const PIPELINE_CHUNK = 1 << 14;

export interface Encoded {
  /** the instruction records, operands' addresses and scalars still to patch in */
  readonly records: Int32Array;
  /** [word, input] pairs: the word takes input k's address (full, broadcast) or f32 bits (scalar) */
  readonly patches: readonly (readonly [number, number])[];
  /** value buffer of each output */
  readonly outSlots: readonly number[];
  /** [input, value buffer] of each broadcast input, expanded block by block */
  readonly broadcasts: readonly (readonly [number, number])[];
  readonly slots: number;
  /** elements per block */
  readonly block: number;
  /** work per element: instructions weighted by their cost (see MIN_THREADED_WORK) */
  readonly weight: number;
}

/** the program's instruction records, or null where an instruction would take a CPU loop */
export function encodeProgram(p: ElementwiseProgram, math: ReturnType<typeof wasmMathResident>, workBytes: number): Encoded | null {
  const m = p.instrs.length;
  const { slot, count } = valueSlots(p, 'keep');
  // each broadcast input gets a buffer of its own after the values' ones
  const broadcasts: [number, number][] = [];
  let slots = count;
  const bslot = p.inputs.map((x, k) => (x.kind === 'broadcast' ? (broadcasts.push([k, slots]), slots++) : -1));
  let block = BLOCK;
  while (block > 256 && slots * region(block) > workBytes) block /= 2;
  if (slots * region(block) > workBytes) return null;
  const records = new Int32Array(m * WORDS);
  const f32 = new Float32Array(records.buffer);
  const f64 = new Float64Array(records.buffer);
  const patches: [number, number][] = [];
  const isScalar = (a: ElementwiseArg) => a.kind === 'input' && p.inputs[a.k]!.kind === 'scalar';
  for (let i = 0; i < m; i++) {
    const { rule, args } = p.instrs[i]!;
    const w = i * WORDS;
    if (rule.kind !== 'binary' && isScalar(args[0]!)) return null; // a one-operand op on a scalar (jit folds those)
    if (rule.kind === 'binary') {
      if (rule.op !== 'add' && rule.op !== 'sub' && rule.op !== 'mul' && rule.op !== 'div') return null;
      if (isScalar(args[0]!) && isScalar(args[1]!)) return null;
      records[w] = OP[rule.op];
    } else if (rule.kind === 'unary') {
      const code = UNARY_CODE[rule.op];
      const k = code === undefined ? math.kernel(rule.op, p.n) : null;
      if (code === undefined && k === null) return null;
      records[w] = code !== undefined ? UNARY : MATH;
      records[w + 6] = code ?? k!.code;
    } else if (rule.kind === 'alpha') {
      const k = math.kernel(rule.op, p.n, rule.alpha);
      if (k === null) return null;
      records[w] = MATH;
      records[w + 6] = k.code;
      f64[(w + 10) / 2] = k.alpha;
    } else {
      if (!(rule.lo <= rule.hi) || underflows(rule.lo) || underflows(rule.hi)) return null;
      records[w] = CLIP;
      f32[w + 7] = rule.lo;
      f32[w + 8] = rule.hi;
    }
    args.forEach((a, j) => {
      const at = w + 1 + 2 * j;
      if (a.kind === 'value' || bslot[a.k]! >= 0) {
        records[at] = 0;
        records[at + 1] = a.kind === 'value' ? slot[a.v]! : bslot[a.k]!;
      } else {
        records[at] = p.inputs[a.k]!.kind === 'scalar' ? 2 : 1;
        patches.push([at + 1, a.k]);
      }
    });
    records[w + 5] = slot[i]!;
  }
  let weight = 0;
  for (let i = 0; i < m; i++) weight += records[i * WORDS] === MATH ? MATH_WEIGHT : 1;
  return { records, patches, outSlots: p.outputs.map((o) => slot[o]!), broadcasts, slots, block, weight };
}

/**
 * How a call is split: `threaded` chunks run over the workers; else on the calling thread, one
 * chunk, or with inputs to copy in one block-sized chunk per call, each copied just before it
 * runs, while it is in the cache, as the block path does (one thread, best of many calls, one
 * add on 64K ordinary floats: block path 33.7 µs, interpreter 32.9; 16 ops: 157.3 / 156.8;
 * 16 ops on 256 floats: 3.0 / 2.2, the interpreter saving the calls from JavaScript)
 */
export function chunksFor(n: number, weight: number, threads: number, copies: boolean): { chunks: number; chunk: number; threaded: boolean } {
  if (threads <= 1 || n < MIN_THREADED_N || n * weight < MIN_THREADED_WORK) {
    const chunk = copies && n > BLOCK ? BLOCK : (n + 3) & ~3;
    return { chunks: Math.ceil(n / chunk), chunk, threaded: false };
  }
  const want = copies ? Math.max(threads * CHUNKS_PER_THREAD, Math.ceil(n / PIPELINE_CHUNK)) : threads * CHUNKS_PER_THREAD;
  const chunk = (Math.ceil(n / want) + 3) & ~3;
  return { chunks: Math.ceil(n / chunk), chunk, threaded: true };
}

/** runs an encoded program (see the file comment); returns the outputs as the Backend contract says */
export function runEncoded(
  rt: WasmRuntime, p: ElementwiseProgram, e: Encoded, inputs: readonly F32[], into: readonly (F32 | undefined)[] | undefined,
): F32[] {
  const n = p.n;
  const m = p.instrs.length;
  const nOut = p.outputs.length;
  // heap: job header, instruction records, output table, broadcast table, copied inputs, output regions
  const job = rt.heapBase;
  const table = job + 48;
  const outTable = table + m * WORDS * 4;
  const bTable = outTable + ((nOut * 8 + 15) & ~15);
  let at = bTable + e.broadcasts.length * 16;
  const inPlace = p.inputs.map((x, k) => x.kind === 'full' && rt.resident.addressOf(inputs[k]!) >= 0);
  const inAddr = p.inputs.map((x, k) => {
    if (x.kind === 'scalar') return -1;
    if (inPlace[k]) return rt.resident.addressOf(inputs[k]!);
    const a = at;
    at += region(x.kind === 'broadcast' ? x.b : n);
    return a;
  });
  const outInPlace = p.outputs.map((_, j) => into?.[j] !== undefined && rt.resident.addressOf(into[j]) >= 0);
  const outAddr = p.outputs.map((_, j) => {
    if (outInPlace[j]) return rt.resident.addressOf(into![j]!);
    const a = at;
    at += region(n);
    return a;
  });
  rt.reserve(at - rt.heapBase);
  const i32 = rt.i32();
  const f32 = rt.f32();
  i32.set(e.records, table >> 2);
  for (const [w, k] of e.patches) {
    if (inAddr[k]! >= 0) i32[(table >> 2) + w] = inAddr[k]!;
    else f32[(table >> 2) + w] = inputs[k]![0]!;
  }
  e.outSlots.forEach((s, j) => {
    i32[(outTable >> 2) + 2 * j] = s;
    i32[(outTable >> 2) + 2 * j + 1] = outAddr[j]!;
  });
  e.broadcasts.forEach(([k, slot], b) => {
    const x = p.inputs[k]!;
    i32.set([inAddr[k]!, x.a, x.b, slot], (bTable >> 2) + 4 * b);
  });
  // inputs to copy: broadcast ones' b floats now, full ones now or chunk by chunk
  const copied: number[] = [];
  p.inputs.forEach((x, k) => {
    if (x.kind === 'scalar' || inPlace[k]) return;
    if (x.kind === 'broadcast') f32.set(inputs[k]!, inAddr[k]! >> 2);
    else copied.push(k);
  });
  const { chunks, chunk, threaded } = chunksFor(n, e.weight, rt.threads(), copied.length > 0);
  i32.set([n, chunk, Math.min(e.block, chunk), m, table, nOut, outTable, region(e.block), e.broadcasts.length, bTable], job >> 2);
  const copy = (s: number, end: number) => {
    for (const k of copied) f32.set(inputs[k]!.subarray(s, end), (inAddr[k]! >> 2) + s);
  };
  if (!threaded) {
    const run = rt.fn<(job: number, i: number) => void>('program_chunk');
    for (let i = 0; i < chunks; i++) {
      copy(i * chunk, Math.min(n, (i + 1) * chunk));
      run(job, i);
    }
  } else if (copied.length === 0) rt.parallel('program_chunk', job, chunks);
  else rt.pipeline('program_chunk', job, chunks, (i) => copy(i * chunk, Math.min(n, (i + 1) * chunk)));
  return p.outputs.map((_, j) => {
    const t = into?.[j];
    return outInPlace[j] ? t! : copyOut(rt.f32(), outAddr[j]!, n, t);
  });
}
