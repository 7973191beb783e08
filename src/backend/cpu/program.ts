/**
 * Fused element-wise programs on the CPU (jit's fused steps): the output is walked in blocks
 * of BLOCK elements and each instruction runs as one of the element-wise kernels' own loops
 * over the block, between registers — Float32Arrays of one block, allocated once per program
 * and reused by liveness. Intermediates are never allocated at full size and stay in the
 * cache; only the outputs get fresh arrays. The loops are the kernels' (./elementwise), each
 * storing float32 after every op, so results are bit-identical to the op-by-op kernels.
 */
import type { ElementwiseArg, ElementwiseProgram, F32 } from '../backend';
import { BINARY_LOOPS, UNARY_LOOPS, clipInto, eluInto, leakyReluInto } from './elementwise';

/** elements per block (registers of 16 KB: a few of them fit in L1/L2) */
export const BLOCK = 4096;

interface Compiled {
  readonly L: number;
  /** register of each value, -1 for outputs (written into their arrays) */
  readonly regOf: readonly number[];
  readonly outIndex: ReadonlyMap<number, number>;
  readonly regs: readonly F32[];
  readonly bregs: readonly (F32 | null)[];
}

const compiled = new WeakMap<ElementwiseProgram, Compiled>();

/**
 * A buffer index for each instruction's value, reused by liveness: a value's buffer is free
 * after the last instruction reading it (an instruction's result never takes the buffer of one
 * of its own operands). Outputs either keep a buffer for the whole program ('keep': the wasm
 * paths copy them out after a block) or get none ('skip', -1: written into their arrays).
 * Shared by this file and the wasm programs (wasm/program.ts, wasm/program-interp.ts).
 */
export function valueSlots(p: ElementwiseProgram, outputs: 'keep' | 'skip'): { readonly slot: readonly number[]; readonly count: number } {
  const m = p.instrs.length;
  const lastUse = new Array<number>(m).fill(-1);
  p.instrs.forEach((ins, i) => ins.args.forEach((a) => a.kind === 'value' && (lastUse[a.v] = i)));
  const isOut = new Set(p.outputs);
  if (outputs === 'keep') for (const o of isOut) lastUse[o] = Infinity;
  const slot = new Array<number>(m).fill(-1);
  const free: number[] = [];
  const live: number[] = [];
  let count = 0;
  for (let i = 0; i < m; i++) {
    for (let j = live.length - 1; j >= 0; j--) {
      if (lastUse[live[j]!]! < i) {
        free.push(slot[live[j]!]!);
        live.splice(j, 1);
      }
    }
    if (outputs === 'skip' && isOut.has(i)) continue;
    slot[i] = free.length > 0 ? free.pop()! : count++;
    live.push(i);
  }
  return { slot, count };
}

/** Registers by liveness (valueSlots), outputs written straight into their arrays. */
function compile(p: ElementwiseProgram): Compiled {
  const outIndex = new Map(p.outputs.map((v, j) => [v, j]));
  const { slot: regOf, count: nRegs } = valueSlots(p, 'skip');
  const L = Math.min(p.n, BLOCK);
  return {
    L,
    regOf,
    outIndex,
    regs: Array.from({ length: nRegs }, () => new Float32Array(L)),
    bregs: p.inputs.map((r) => (r.kind === 'broadcast' ? new Float32Array(L) : null)),
  };
}

export function elementwiseProgram(p: ElementwiseProgram, inputs: readonly F32[], into?: readonly (F32 | undefined)[]): F32[] {
  let c = compiled.get(p);
  if (c === undefined) compiled.set(p, (c = compile(p)));
  const { L, regOf, outIndex, regs, bregs } = c;
  const n = p.n;
  const outs = p.outputs.map((_, j) => into?.[j] ?? new Float32Array(n));
  // an output written over one of the inputs is computed into a block of its own and copied at
  // the block's end: later instructions of the block may still read that input
  const staged = outs.map((o) => (inputs.includes(o) ? new Float32Array(L) : null));
  const vals = new Array<F32>(p.instrs.length);
  const inView = new Array<F32>(inputs.length);
  const scalars = inputs.map((d, k) => (p.inputs[k]!.kind === 'scalar' ? d[0]! : 0));
  const isScalar = (o: ElementwiseArg) => o.kind === 'input' && p.inputs[o.k]!.kind === 'scalar';
  const arr = (o: ElementwiseArg): F32 => (o.kind === 'value' ? vals[o.v]! : inView[o.k]!);
  for (let s = 0; s < n; s += L) {
    const len = Math.min(L, n - s);
    for (let k = 0; k < inputs.length; k++) {
      const r = p.inputs[k]!;
      if (r.kind === 'full') inView[k] = L === n ? inputs[k]! : inputs[k]!.subarray(s, s + len);
      else if (r.kind === 'broadcast') inView[k] = loadBroadcast(inputs[k]!, r.a, r.b, s, len, bregs[k]!);
    }
    for (let i = 0; i < p.instrs.length; i++) {
      const it = p.instrs[i]!;
      const j = outIndex.get(i);
      const dst = j !== undefined ? (staged[j] ?? (L === n ? outs[j]! : outs[j]!.subarray(s, s + len))) : regs[regOf[i]!]!;
      vals[i] = dst;
      const rule = it.rule;
      if (rule.kind === 'binary') {
        const x = it.args[0]!, y = it.args[1]!;
        const loops = BINARY_LOOPS[rule.op];
        // both scalars only when n = 1, and then both inputs are full
        if (isScalar(x)) loops.sf(scalars[(x as { k: number }).k]!, arr(y), dst, len);
        else if (isScalar(y)) loops.fs(arr(x), scalars[(y as { k: number }).k]!, dst, len);
        else loops.ff(arr(x), arr(y), dst, len);
      } else if (rule.kind === 'unary') UNARY_LOOPS[rule.op](arr(it.args[0]!), dst, len);
      else if (rule.kind === 'alpha') (rule.op === 'leakyRelu' ? leakyReluInto : eluInto)(arr(it.args[0]!), dst, len, rule.alpha);
      else clipInto(arr(it.args[0]!), dst, len, rule.lo, rule.hi);
    }
    staged.forEach((b, j) => b !== null && outs[j]!.set(len === L ? b : b.subarray(0, len), s));
  }
  return outs;
}

/** reg[j] = src[⌊(s + j) / a⌋ mod b] for j < L, in runs */
export function loadBroadcast(src: F32, a: number, b: number, s: number, L: number, reg: F32): F32 {
  let p = s;
  const end = s + L;
  if (a === 1) {
    while (p < end) {
      const i = p % b;
      const len = Math.min(end - p, b - i);
      reg.set(src.subarray(i, i + len), p - s);
      p += len;
    }
  } else {
    while (p < end) {
      const q = Math.floor(p / a);
      const len = Math.min(end, (q + 1) * a) - p;
      reg.fill(src[q % b]!, p - s, p - s + len);
      p += len;
    }
  }
  return reg;
}
