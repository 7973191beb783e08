/**
 * Fused element-wise programs in the kernel memory (jit's fused steps). The output is walked
 * in blocks of about BLOCK elements: each block of the inputs is copied in (broadcast ones
 * expanded there), every instruction runs on block-sized resident buffers — the same kernel
 * the op-by-op Backend call on all n elements would run (wasm SIMD where that call uses wasm,
 * the CPU kernel's loop on views of the memory where it falls back; the choice is made on n,
 * not on the block), so the bits agree — and only the program's outputs are copied out. The
 * blocks keep every intermediate in the cache: each input is read once and each output
 * written once, however long the program. Value buffers are reused by liveness; the layout is
 * computed once per program.
 *
 * A program whose every instruction has a wasm kernel at its n runs instead in program.wat's
 * interpreter (program-interp.ts): the same kernels, one call per chunk, over the worker
 * threads when large, reading resident inputs and writing resident outputs in place. This
 * block path serves the others (an instruction on a CPU loop), on the calling thread: the
 * kernels are element-wise, so the threaded op-by-op calls (chunks, pipelines) give the same
 * bits. It too reads a resident full input in place instead of copying it.
 */
import type { ElementwiseArg, ElementwiseProgram, F32 } from '../backend';
import { BINARY_LOOPS, UNARY_LOOPS, clipInto, eluInto, leakyReluInto } from '../cpu/elementwise';
import { loadBroadcast, valueSlots } from '../cpu/program';
import { UNARY_CODE, underflows } from './elementwise';
import type { wasmMathResident } from './math';
import { encodeProgram, runEncoded, type Encoded } from './program-interp';
import { copyView, region, type WasmRuntime } from './runtime';

/**
 * Elements per block: 32 KB buffers, so a program's few live buffers stay in L1/L2 and the
 * kernel memory a program needs does not grow with n. Measured on a 1M-param Adam update
 * (56 ops, 24 inputs, 12 outputs): CPU time 7.2 → 6.9 ms, wall time unchanged (the fresh
 * output arrays dominate). A program with a heavy op big enough for the threads stays one
 * block (gelu(x·a + b) on 1M: 5.9 ms on 2 threads vs 6.9 blocked on one).
 */
export const BLOCK = 8192;

interface Layout {
  /** elements per block (n when n <= BLOCK); a multiple of every row / column period */
  readonly L: number;
  /** byte address of each input's buffer (-1: a scalar, read from JavaScript) */
  readonly inAt: readonly number[];
  /**
   * broadcast inputs read in place, row by row: 'row' ([C] over [N, C]: its b floats copied in,
   * one vector-vector call per row), 'column' ([N, 1] over [N, C]: one vector-scalar call per
   * run of a equal values, read from JavaScript); null: expanded to n floats in the memory
   */
  readonly rowwise: readonly ('row' | 'column' | null)[];
  /** byte address of each value's buffer */
  readonly valAt: readonly number[];
  /** 32 bytes for the math kernels' thread job record */
  readonly job: number;
  readonly bytes: number;
}

const ARITH = new Set(['add', 'sub', 'mul', 'div']);

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function layoutOf(p: ElementwiseProgram, base: number, threaded: boolean): Layout {
  let at = base;
  // a broadcast input is read in place when every use is add/sub/mul/div against an operand of n elements
  const inPlace = p.inputs.map((x, k): 'row' | 'column' | null => {
    if (x.kind !== 'broadcast' || !(x.a === 1 || x.a * x.b === p.n)) return null;
    const ok = p.instrs.every(({ rule, args }) => {
      const j = args.findIndex((a) => a.kind === 'input' && a.k === k);
      if (j === -1) return true;
      const other = args[1 - j];
      return rule.kind === 'binary' && ARITH.has(rule.op) && other !== undefined && (other.kind === 'value' || p.inputs[other.k]!.kind === 'full');
    });
    return ok ? (x.a === 1 ? 'row' : 'column') : null;
  });
  // blocks start at multiples of every in-place input's period (a row's b, a column's run a);
  // n is a multiple of each, so of their lcm. A period longer than a block: expanded instead.
  let unit = 1;
  inPlace.forEach((w, k) => {
    if (w === null) return;
    const period = w === 'row' ? p.inputs[k]!.b : p.inputs[k]!.a;
    unit = unit <= BLOCK ? (unit / gcd(unit, period)) * period : unit;
  });
  const L = p.n <= BLOCK || threaded ? p.n : unit <= BLOCK ? Math.floor(BLOCK / unit) * unit : BLOCK;
  const rowwise = L === p.n || unit <= BLOCK ? inPlace : inPlace.map(() => null);
  const r = region(L);
  const inAt = p.inputs.map((x, k) => {
    if (x.kind === 'scalar' || rowwise[k] === 'column') return -1;
    const a = at;
    at += rowwise[k] === 'row' ? region(x.b) : r;
    return a;
  });
  // value buffers by liveness (outputs keep theirs: they are copied out after the block)
  const { slot, count } = valueSlots(p, 'keep');
  const valAt = slot.map((s) => at + s * r);
  at += count * r;
  return { L, inAt, rowwise, valAt, job: at, bytes: at + 32 - base };
}

export interface WasmProgramOptions {
  /** false: always the block path below, never program.wat's interpreter (tests compare the two) */
  readonly interpreter?: boolean;
}

export function wasmProgram(rt: WasmRuntime, math: ReturnType<typeof wasmMathResident>, options: WasmProgramOptions = {}) {
  const k = rt.exports;
  const layouts = new WeakMap<ElementwiseProgram, Layout>();
  const encoded = new WeakMap<ElementwiseProgram, Encoded | null>();
  const workBytes = rt.scratchBytes - rt.workOffset;

  return function elementwiseProgram(p: ElementwiseProgram, inputs: readonly F32[], into?: readonly (F32 | undefined)[]): F32[] {
    if (p.n === 0) return p.outputs.map((_, j) => into?.[j] ?? new Float32Array(0));
    if (options.interpreter !== false) {
      let e = encoded.get(p);
      if (e === undefined) encoded.set(p, (e = encodeProgram(p, math, workBytes)));
      if (e !== null) return runEncoded(rt, p, e, inputs, into);
    }
    let known = layouts.get(p);
    if (known === undefined) {
      // a heavy op (gelu, tanh, ...) big enough for the threads runs over all n at once: one
      // block, as the op-by-op call would (blocks are too short to wake a worker for)
      const threaded = p.instrs.some(({ rule }) => (rule.kind === 'unary' || rule.kind === 'alpha') && math.threaded(rule.op, p.n));
      layouts.set(p, (known = layoutOf(p, rt.heapBase, threaded)));
    }
    const lay = known;
    const n = p.n;
    rt.reserve(lay.bytes);
    const f32 = rt.f32();
    const L = lay.L;
    const scalars = inputs.map((d, i) => (p.inputs[i]!.kind === 'scalar' ? d[0]! : 0));
    p.inputs.forEach((_, i) => {
      if (lay.rowwise[i] === 'row') f32.set(inputs[i]!, lay.inAt[i]! >> 2);
    });
    const rowsOf = (a: ElementwiseArg) => (a.kind === 'input' ? lay.rowwise[a.k]! : null);
    const isScalar = (a: ElementwiseArg) => a.kind === 'input' && p.inputs[a.k]!.kind === 'scalar';
    // a resident full input is read in place: its address + the block's offset
    const resident = p.inputs.map((x, i) => (x.kind === 'full' ? rt.resident.addressOf(inputs[i]!) : -1));
    const inAt = lay.inAt.slice();
    const at = (a: ElementwiseArg) => (a.kind === 'value' ? lay.valAt[a.v]! : inAt[a.k]!);
    const sc = (a: ElementwiseArg) => scalars[(a as { k: number }).k]!;
    // outputs go to `into` where given: a block's inputs are in the memory before its outputs are
    // copied out, so an output may overwrite one of the inputs
    const outs = p.outputs.map((_, j) => into?.[j] ?? (L === n ? null : new Float32Array(n)));
    let s = 0; // the block's first element
    let len = L;
    const view = (at: number) => f32.subarray(at >> 2, (at >> 2) + len);
    for (; s < n; s += L) {
      len = Math.min(L, n - s);
      p.inputs.forEach((x, i) => {
        if (resident[i]! >= 0) inAt[i] = resident[i]! + s * 4;
        else if (x.kind === 'full') f32.set(L === n ? inputs[i]! : inputs[i]!.subarray(s, s + len), lay.inAt[i]! >> 2);
        else if (x.kind === 'broadcast' && lay.rowwise[i] === null) loadBroadcast(inputs[i]!, x.a, x.b, s, len, view(lay.inAt[i]!));
      });
      runBlock();
      p.outputs.forEach((o, j) => outs[j]?.set(view(lay.valAt[o]!), s));
    }
    return p.outputs.map((o, j) => outs[j] ?? copyView(f32, lay.valAt[o]! >> 2, (lay.valAt[o]! >> 2) + n));

    /** every instruction on the current block (elements s .. s + len) */
    function runBlock(): void {
    for (let i = 0; i < p.instrs.length; i++) {
      const { rule, args } = p.instrs[i]!;
      const po = lay.valAt[i]!;
      if (rule.kind === 'binary') {
        const x = args[0]!, y = args[1]!;
        const op = rule.op;
        if (op === 'add' || op === 'sub' || op === 'mul' || op === 'div') {
          // the kernels the Backend's binary runs for these operand forms (same-shape,
          // vector-scalar, and per row or run for a broadcast operand; all exactly rounded)
          const rx = rowsOf(x), ry = rowsOf(y);
          if (rx !== null || ry !== null) {
            broadcastArith(op, rx ?? ry!, rx !== null, rx !== null ? x : y, at(rx !== null ? y : x), po);
            continue;
          }
          if (isScalar(y)) (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_vs : op === 'mul' ? k.mul_vs : k.div_vs)(at(x), sc(y), po, len);
          else if (isScalar(x)) (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_sv : op === 'mul' ? k.mul_vs : k.div_sv)(at(y), sc(x), po, len);
          else (op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv)(at(x), at(y), po, len);
        } else {
          const loops = BINARY_LOOPS[op]; // pow, maximum, minimum: the CPU kernel's loops
          if (isScalar(y)) loops.fs(view(at(x)), sc(y), view(po), len);
          else if (isScalar(x)) loops.sf(sc(x), view(at(y)), view(po), len);
          else loops.ff(view(at(x)), view(at(y)), view(po), len);
        }
      } else if (rule.kind === 'unary') {
        const code = UNARY_CODE[rule.op];
        if (code !== undefined) k.unary(code, at(args[0]!), po, len);
        else if (!math.unary(rule.op, at(args[0]!), po, len, n, lay.job)) UNARY_LOOPS[rule.op](view(at(args[0]!)), view(po), len);
      } else if (rule.kind === 'alpha') {
        if (!math.alpha(rule.op, at(args[0]!), po, len, n, rule.alpha, lay.job)) (rule.op === 'leakyRelu' ? leakyReluInto : eluInto)(view(at(args[0]!)), view(po), len, rule.alpha);
      } else if (!(rule.lo <= rule.hi) || underflows(rule.lo) || underflows(rule.hi)) clipInto(view(at(args[0]!)), view(po), len, rule.lo, rule.hi);
      else k.clip(at(args[0]!), rule.lo, rule.hi, po, len);
    }
    }

    /** op with a broadcast operand b (first when bFirst) read in place, the other operand at pv */
    function broadcastArith(op: 'add' | 'sub' | 'mul' | 'div', kind: 'row' | 'column', bFirst: boolean, b: ElementwiseArg, pv: number, po: number): void {
      const { a: runLen, b: size } = p.inputs[(b as { k: number }).k]!;
      if (kind === 'row') {
        // a row's overrun into the next row is rewritten by the next call (as the Backend's binary does)
        const f = op === 'add' ? k.add_vv : op === 'sub' ? k.sub_vv : op === 'mul' ? k.mul_vv : k.div_vv;
        const pb = at(b);
        for (let r = 0, rows = len / size; r < rows; r++) {
          if (bFirst) f(pb, pv + r * size * 4, po + r * size * 4, size);
          else f(pv + r * size * 4, pb, po + r * size * 4, size);
        }
        return;
      }
      const src = inputs[(b as { k: number }).k]!;
      const f = bFirst ? (op === 'add' ? k.add_vs : op === 'sub' ? k.sub_sv : op === 'mul' ? k.mul_vs : k.div_sv) : op === 'add' ? k.add_vs : op === 'sub' ? k.sub_vs : op === 'mul' ? k.mul_vs : k.div_vs;
      for (let q = 0, q0 = s / runLen, runs = len / runLen; q < runs; q++) f(pv + q * runLen * 4, src[q0 + q]!, po + q * runLen * 4, runLen);
    }
  };
}
