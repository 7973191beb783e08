/**
 * Fused element-wise programs on the wasm backend: program.wat's interpreter (over the worker
 * threads, and on one thread) against the block path of program.ts and against the Backend's
 * op-by-op calls, on random programs: sizes over the threading threshold and odd ones, scalar
 * and broadcast inputs, resident and ordinary inputs and outputs, outputs donated in place
 * onto their inputs, and ops the interpreter leaves to the block path (CPU loops).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BinaryOp, ElementwiseArg, ElementwiseProgram, ElementwiseRule, F32, UnaryOp } from '../src/backend/backend';
import { loadBroadcast } from '../src/backend/cpu/program';
import { createWasmBackend, getThreads, setThreads } from '../src/backend/wasm';
import { wasmMathResident } from '../src/backend/wasm/math';
import { wasmProgram } from '../src/backend/wasm/program';
import { chunksFor, encodeProgram } from '../src/backend/wasm/program-interp';
import { region, runtime } from '../src/backend/wasm/runtime';
import { cpuBackend } from '../src/backend/cpu';
import { UNARY_CODE } from '../src/backend/wasm/elementwise';

const rt = runtime();
const interp = wasmProgram(rt, wasmMathResident(rt));
const blocks = wasmProgram(rt, wasmMathResident(rt), { interpreter: false });
const wasm = createWasmBackend();
const initialThreads = getThreads();

beforeAll(async () => {
  setThreads(2);
  expect(await rt.startThreads()).toBe(2);
});
afterAll(() => setThreads(initialThreads));

/** sizes: one chunk (small), and threaded ones, odd and even; with their broadcast (a, b) pairs */
const SIZES: readonly { n: number; bcast: readonly (readonly [number, number])[] }[] = [
  { n: 1001, bcast: [[1, 143], [7, 1], [7, 11]] },
  { n: 135135, bcast: [[1, 1001], [135, 1], [5, 27]] },
  { n: 131072, bcast: [[1, 256], [512, 1], [8, 16]] },
];
const BINARY: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'add', 'sub', 'mul', 'div', 'pow', 'maximum'];
const UNARY: readonly UnaryOp[] = ['neg', 'abs', 'sqrt', 'square', 'reciprocal', 'relu', 'step', 'floor', 'round', 'sign', 'exp', 'sigmoid', 'tanh', 'softplus', 'log', 'gelu', 'rsqrt', 'sin'];
const CLIPS: readonly (readonly [number, number])[] = [[-1, 1], [0.5, 0.5], [1, -1], [-1e-46, 2]];
const ALPHAS = [0.1, 1.5, -0.3];

type InKind = { kind: 'full'; resident: boolean } | { kind: 'scalar' } | { kind: 'broadcast'; ab: number };
type Into = 'none' | 'fresh' | 'resident' | 'donate';

interface Case {
  readonly p: ElementwiseProgram;
  readonly data: readonly F32[];
  readonly kinds: readonly InKind[];
  readonly into: readonly Into[];
  /** the input each donated output overwrites */
  readonly donor: readonly number[];
}

/** deterministic data from a seed: values in [-4, 4] with some 0, -0, ±1, ∞ and NaN */
function dataOf(n: number, seed: number): F32 {
  const d = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const special = [0, -0, 1, -1, Infinity, -Infinity, NaN];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = s % 97 === 0 ? special[s % special.length]! : (s / 2 ** 32) * 8 - 4;
  }
  return d;
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    size: fc.nat(SIZES.length - 1),
    inputs: fc.array(fc.record({ kind: fc.nat(5), pick: fc.nat(2), resident: fc.boolean() }), { minLength: 1, maxLength: 4 }),
    instrs: fc.array(fc.record({ kind: fc.nat(9), op: fc.nat(100), x: fc.nat(100), y: fc.nat(100) }), { minLength: 1, maxLength: 14 }),
    outs: fc.array(fc.record({ v: fc.nat(100), into: fc.constantFrom<Into>('none', 'fresh', 'resident', 'donate', 'donate') }), { minLength: 1, maxLength: 3 }),
    seed: fc.nat(),
  })
  .map(({ size, inputs, instrs, outs, seed }): Case => {
    const { n, bcast } = SIZES[size]!;
    // input 0 is full; the others full, scalar or broadcast
    const kinds = inputs.map(({ kind, pick, resident }, k): InKind =>
      k === 0 || kind < 3 ? { kind: 'full', resident } : kind === 3 ? { kind: 'scalar' } : { kind: 'broadcast', ab: pick });
    const pins = kinds.map((x) => (x.kind === 'broadcast' ? { kind: 'broadcast' as const, a: bcast[x.ab]![0], b: bcast[x.ab]![1] } : { kind: x.kind, a: 1, b: 1 }));
    const data = kinds.map((x, k) => dataOf(x.kind === 'scalar' ? 1 : x.kind === 'broadcast' ? pins[k]!.b : n, seed + k));
    const operand = (r: number, i: number, vector: boolean): ElementwiseArg => {
      const c = r % (kinds.length + i);
      if (c >= kinds.length) return { kind: 'value', v: c - kinds.length };
      return vector && kinds[c]!.kind === 'scalar' ? { kind: 'input', k: 0 } : { kind: 'input', k: c };
    };
    const ins = instrs.map(({ kind, op, x, y }, i): { rule: ElementwiseRule; args: ElementwiseArg[] } => {
      if (kind < 5) {
        const a = operand(x, i, false);
        // never two scalars (jit folds those)
        const scalar = a.kind === 'input' && kinds[a.k]!.kind === 'scalar';
        return { rule: { kind: 'binary', op: BINARY[op % BINARY.length]! }, args: [a, operand(y, i, scalar)] };
      }
      const a = operand(x, i, true);
      if (kind < 8) return { rule: { kind: 'unary', op: UNARY[op % UNARY.length]! }, args: [a] };
      if (kind === 8) return { rule: { kind: 'alpha', op: op % 2 === 0 ? 'leakyRelu' : 'elu', alpha: ALPHAS[op % ALPHAS.length]! }, args: [a] };
      const [lo, hi] = CLIPS[op % CLIPS.length]!;
      return { rule: { kind: 'clip', lo, hi }, args: [a] };
    });
    const outputs = [...new Set(outs.map(({ v }) => v % ins.length))];
    const donor: number[] = [];
    const into = outputs.map((_, j): Into => {
      const want = outs[j]!.into;
      if (want !== 'donate') return want;
      const k = kinds.findIndex((x, k) => x.kind === 'full' && !donor.includes(k));
      if (k < 0) return 'fresh';
      donor[j] = k;
      return 'donate';
    });
    return { p: { n, inputs: pins, instrs: ins, outputs }, data, kinds, into, donor };
  });

/** one run's own arrays: the inputs (resident ones in the pool) and the `into` arrays */
/** resident arrays by (size, run variant, slot), reused across cases: the pool frees views only between tasks */
const residentCache = new Map<string, F32>();

function arraysOf(c: Case, variant: number): { inputs: F32[]; into: (F32 | undefined)[] } {
  let slot = 0;
  const resident = (d: F32) => {
    const key = `${d.length}:${variant}:${slot++}`;
    let a = residentCache.get(key) ?? null;
    if (a === null) {
      a = rt.resident.alloc(d.length);
      expect(a).not.toBeNull();
      residentCache.set(key, a!);
    }
    a!.set(d);
    return a!;
  };
  const inputs = c.data.map((d, k) => {
    const x = c.kinds[k]!;
    return x.kind === 'full' && x.resident ? resident(d) : d.slice();
  });
  const into = c.into.map((w, j) => (w === 'none' ? undefined : w === 'fresh' ? new Float32Array(c.p.n) : w === 'resident' ? resident(new Float32Array(c.p.n)) : inputs[c.donor[j]!]));
  return { inputs, into };
}

/** the program as the Backend's own calls, one op at a time, on the original data */
function opByOp(c: Case): F32[] {
  const { p } = c;
  const n = p.n;
  const vals: F32[] = [];
  const full = (a: ElementwiseArg): F32 => {
    if (a.kind === 'value') return vals[a.v]!;
    const x = p.inputs[a.k]!;
    return x.kind === 'broadcast' ? loadBroadcast(c.data[a.k]!, x.a, x.b, 0, n, new Float32Array(n)) : c.data[a.k]!;
  };
  for (const { rule, args } of p.instrs) {
    if (rule.kind === 'binary') {
      const [x, y] = args as [ElementwiseArg, ElementwiseArg];
      const bc = (a: ElementwiseArg) => (a.kind === 'input' ? p.inputs[a.k]! : null);
      const bx = bc(x), by = bc(y);
      const shaped = (d: ElementwiseArg, other: ElementwiseArg): [F32, number[]] => {
        const b = bc(d);
        if (b?.kind === 'scalar') return [c.data[(d as { k: number }).k]!, []];
        const o = bc(other);
        if (b?.kind !== 'broadcast' && o?.kind === 'broadcast') return [full(d), o.a === 1 ? [n / o.b, o.b] : o.b === 1 ? [n / o.a, o.a] : [n / (o.a * o.b), o.b, o.a]];
        if (b?.kind === 'broadcast' && o?.kind !== 'broadcast') return [c.data[(d as { k: number }).k]!, b.a === 1 ? [b.b] : b.b === 1 ? [n / b.a, 1] : [b.b, 1]];
        return [full(d), [n]];
      };
      // one broadcast operand against a full one: the shaped call; else broadcasts expanded
      const oneB = (bx?.kind === 'broadcast') !== (by?.kind === 'broadcast') && bx?.kind !== 'scalar' && by?.kind !== 'scalar';
      const [ax, sx] = oneB ? shaped(x, y) : bx?.kind === 'scalar' ? [c.data[(x as { k: number }).k]!, []] : [full(x), [n]];
      const [ay, sy] = oneB ? shaped(y, x) : by?.kind === 'scalar' ? [c.data[(y as { k: number }).k]!, []] : [full(y), [n]];
      // the output's shape: the operand of n elements
      const out = ax.length === n ? sx : sy;
      vals.push(wasm.binary(rule.op, ax, sx, ay, sy, out));
    } else if (rule.kind === 'unary') vals.push(wasm.unary(rule.op, full(args[0]!)));
    else if (rule.kind === 'alpha') vals.push(rule.op === 'elu' ? wasm.elu(full(args[0]!), rule.alpha) : wasm.leakyRelu(full(args[0]!), rule.alpha));
    else vals.push(wasm.clip(full(args[0]!), rule.lo, rule.hi));
  }
  return p.outputs.map((o) => vals[o]!);
}

const bitsOf = (a: F32) => new Uint32Array(a.buffer, a.byteOffset, a.length);
/** the first index where the bits differ (-1: none; a length mismatch is index -2) */
function bitDiff(x: F32, y: F32): number {
  if (x.length !== y.length) return -2;
  const a = bitsOf(x), b = bitsOf(y);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
/** the same float32 values element by element (NaN equals NaN, -0 differs from 0) */
function sameValues(x: F32, y: F32): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** the program's outputs from `run`, each checked to be the `into` array where one was given */
function runCase(c: Case, run: typeof interp, variant: number): F32[] {
  const { inputs, into } = arraysOf(c, variant);
  const out = run(c.p, inputs, into);
  out.forEach((o, j) => into[j] !== undefined && expect(o).toBe(into[j]));
  return out.map((o) => o.slice());
}

describe('wasm fused programs: interpreter, threads, in place', () => {
  it('random programs: threaded = one thread = block path (bits) = op by op (values)', () => {
    const seen = { threaded: 0, blockPath: 0, donatedResident: 0, broadcast: 0, scalar: 0, residentOut: 0, copiedIn: 0 };
    const chunksBefore = rt.workerChunks();
    fc.assert(
      fc.property(arbCase, (c) => {
        const ref = opByOp(c);
        setThreads(2);
        const threaded = runCase(c, interp, 0);
        setThreads(1);
        const single = runCase(c, interp, 1);
        const block = runCase(c, blocks, 2);
        setThreads(2);
        const e = encodeProgram(c.p, wasmMathResident(rt), rt.scratchBytes - rt.workOffset);
        if (e === null) seen.blockPath++;
        if (e !== null && chunksFor(c.p.n, e.weight, 2, false).threaded) {
          seen.threaded++;
          if (c.into.some((w, j) => w === 'donate' && c.kinds[c.donor[j]!]!.kind === 'full' && (c.kinds[c.donor[j]!] as { resident: boolean }).resident)) seen.donatedResident++;
          if (c.kinds.some((x) => x.kind === 'broadcast')) seen.broadcast++;
          if (c.kinds.some((x) => x.kind === 'scalar')) seen.scalar++;
          if (c.into.includes('resident')) seen.residentOut++;
          if (c.kinds.some((x) => x.kind === 'full' && !x.resident)) seen.copiedIn++;
        }
        threaded.forEach((t, j) => {
          expect(bitDiff(t, single[j]!)).toBe(-1);
          expect(bitDiff(t, block[j]!)).toBe(-1);
          expect(sameValues(t, ref[j]!)).toBe(true);
        });
      }),
      { seed: 1357, numRuns: 300 },
    );
    // the generator reaches the threaded interpreter, and its chunks ran on the workers
    for (const [what, count] of Object.entries(seen)) expect([what, count > 5]).toEqual([what, true]);
    expect(rt.workerChunks()).toBeGreaterThan(chunksBefore);
  });

  it('a donated Adam-like step in place on resident arrays runs on the workers, bit-identical to one thread', () => {
    const n = 1 << 18;
    // m' = 0.9·m + 0.1·g; v' = 0.999·v + 0.001·g²; p' = p − lr·m' / (√v' + eps)
    const p: ElementwiseProgram = {
      n,
      inputs: [{ kind: 'full', a: 1, b: 1 }, { kind: 'full', a: 1, b: 1 }, { kind: 'full', a: 1, b: 1 }, { kind: 'full', a: 1, b: 1 }, { kind: 'scalar', a: 1, b: 1 }],
      instrs: [
        { rule: { kind: 'binary', op: 'mul' }, args: [{ kind: 'input', k: 1 }, { kind: 'input', k: 4 }] }, // 0: m·0.9
        { rule: { kind: 'binary', op: 'mul' }, args: [{ kind: 'input', k: 3 }, { kind: 'input', k: 4 }] }, // 1: g·0.9 (reuse the scalar)
        { rule: { kind: 'binary', op: 'sub' }, args: [{ kind: 'input', k: 3 }, { kind: 'value', v: 1 }] }, // 2: g − 0.9g
        { rule: { kind: 'binary', op: 'add' }, args: [{ kind: 'value', v: 0 }, { kind: 'value', v: 2 }] }, // 3: m'
        { rule: { kind: 'unary', op: 'square' }, args: [{ kind: 'input', k: 3 }] }, // 4: g²
        { rule: { kind: 'binary', op: 'add' }, args: [{ kind: 'input', k: 2 }, { kind: 'value', v: 4 }] }, // 5: v'
        { rule: { kind: 'unary', op: 'sqrt' }, args: [{ kind: 'value', v: 5 }] }, // 6
        { rule: { kind: 'binary', op: 'add' }, args: [{ kind: 'value', v: 6 }, { kind: 'input', k: 4 }] }, // 7
        { rule: { kind: 'binary', op: 'div' }, args: [{ kind: 'value', v: 3 }, { kind: 'value', v: 7 }] }, // 8
        { rule: { kind: 'binary', op: 'sub' }, args: [{ kind: 'input', k: 0 }, { kind: 'value', v: 8 }] }, // 9: p'
      ],
      outputs: [9, 3, 5],
    };
    const data = [dataOf(n, 1), dataOf(n, 2), dataOf(n, 3).map(Math.abs), dataOf(n, 4), Float32Array.of(0.9)];
    const step = (threads: number) => {
      setThreads(threads);
      const arr = data.map((d, k) => {
        if (k === 3 || k === 4) return d.slice(); // the gradient and the scalar: ordinary arrays
        const a = rt.resident.alloc(n)!;
        a.set(d);
        return a;
      });
      const into = [arr[0]!, arr[1]!, arr[2]!];
      const before = rt.workerChunks();
      for (let i = 0; i < 3; i++) interp(p, arr, into).forEach((o, j) => expect(o).toBe(into[j]));
      const ran = rt.workerChunks() - before;
      setThreads(2);
      return { out: into.map((a) => a.slice()), ran };
    };
    const two = step(2), one = step(1);
    expect(two.ran).toBeGreaterThan(0);
    expect(one.ran).toBe(0);
    two.out.forEach((o, j) => expect(bitDiff(o, one.out[j]!)).toBe(-1));
    // and the block path, three steps on ordinary arrays
    const arr = data.map((d) => d.slice());
    for (let i = 0; i < 3; i++) blocks(p, arr, [arr[0], arr[1], arr[2]]);
    two.out.forEach((o, j) => expect(bitDiff(o, arr[j]!)).toBe(-1));
  });

  it('leaves programs with a CPU loop to the block path', () => {
    const math = wasmMathResident(rt);
    const work = rt.scratchBytes - rt.workOffset;
    const prog = (rule: ElementwiseRule, n = 4096): ElementwiseProgram => ({ n, inputs: [{ kind: 'full', a: 1, b: 1 }, { kind: 'full', a: 1, b: 1 }], instrs: [{ rule, args: rule.kind === 'binary' ? [{ kind: 'input', k: 0 }, { kind: 'input', k: 1 }] : [{ kind: 'input', k: 0 }] }], outputs: [0] });
    expect(encodeProgram(prog({ kind: 'binary', op: 'add' }), math, work)).not.toBeNull();
    expect(encodeProgram(prog({ kind: 'unary', op: 'tanh' }), math, work)).not.toBeNull();
    expect(encodeProgram(prog({ kind: 'binary', op: 'pow' }), math, work)).toBeNull();
    expect(encodeProgram(prog({ kind: 'unary', op: 'sin' }), math, work)).toBeNull();
    expect(encodeProgram(prog({ kind: 'unary', op: 'exp' }, 16), math, work)).toBeNull(); // below exp's wasm crossover
    expect(encodeProgram(prog({ kind: 'clip', lo: 1, hi: 0 }), math, work)).toBeNull();
    expect(encodeProgram(prog({ kind: 'alpha', op: 'elu', alpha: 1e39 }), math, work)).toBeNull();
    const onScalar: ElementwiseProgram = { n: 4096, inputs: [{ kind: 'scalar', a: 1, b: 1 }], instrs: [{ rule: { kind: 'unary', op: 'neg' }, args: [{ kind: 'input', k: 0 }] }], outputs: [0] };
    expect(encodeProgram(onScalar, math, work)).toBeNull();
  });
});

describe('element-wise kernel loops (four vectors per iteration, then one at a time)', () => {
  it('match the CPU kernels at every length, in place too, and store only the vectors that start before n', () => {
    const k = rt.exports;
    const SENTINEL = 0x7fa0beef; // a NaN no kernel produces
    const lengths = [...Array.from({ length: 70 }, (_, i) => i), 1001, 4099];
    const binary: [string, (a: number, b: number, o: number, n: number) => void, 'vv' | 'vs' | 'sv', 'add' | 'sub' | 'mul' | 'div'][] = [
      ['add_vv', k.add_vv, 'vv', 'add'], ['sub_vv', k.sub_vv, 'vv', 'sub'], ['mul_vv', k.mul_vv, 'vv', 'mul'], ['div_vv', k.div_vv, 'vv', 'div'],
      ['add_vs', k.add_vs, 'vs', 'add'], ['sub_vs', k.sub_vs, 'vs', 'sub'], ['mul_vs', k.mul_vs, 'vs', 'mul'], ['div_vs', k.div_vs, 'vs', 'div'],
      ['sub_sv', k.sub_sv, 'sv', 'sub'], ['div_sv', k.div_sv, 'sv', 'div'],
    ];
    for (const n of lengths) {
      const r = region(n);
      const pa = rt.heapBase, pb = pa + r, po = pb + r;
      rt.reserve(3 * r + 64);
      const a = dataOf(n, n + 1), b = dataOf(n, n + 7);
      const s = 1.25;
      const check = (name: string, run: (x: number, o: number) => void, want: F32) => {
        for (const inPlace of [false, true]) {
          const f32 = rt.f32(), i32 = rt.i32();
          f32.set(a, pa >> 2);
          f32.set(b, pb >> 2);
          const o = inPlace ? pa : po;
          // up to the region's end in place (b follows), 16 floats further after the last region
          const end = (o >> 2) + r / 4 + (inPlace ? 0 : 16);
          i32.fill(SENTINEL, (o >> 2) + (inPlace ? n : 0), end);
          run(pa, o);
          const got = f32.slice(o >> 2, (o >> 2) + n);
          expect([name, n, inPlace, sameValues(got, want)]).toEqual([name, n, inPlace, true]);
          // stores past n reach at most the vector n ends in
          const stored = Math.ceil(n / 4) * 4;
          const after = Array.from(i32.subarray((o >> 2) + stored, end));
          expect([name, n, after.every((w) => w === SENTINEL)]).toEqual([name, n, true]);
        }
      };
      for (const [name, f, form, op] of binary) {
        const want = form === 'vv' ? cpuBackend.binary(op, a, [n], b, [n], [n]) : form === 'vs' ? cpuBackend.binary(op, a, [n], Float32Array.of(s), [], [n]) : cpuBackend.binary(op, Float32Array.of(s), [], a, [n], [n]);
        check(name, (x, o) => (form === 'vv' ? f(x, pb, o, n) : f(x, s, o, n)), want);
      }
      for (const [op, code] of Object.entries(UNARY_CODE)) check(op, (x, o) => k.unary(code, x, o, n), cpuBackend.unary(op as UnaryOp, a));
      check('clip', (x, o) => k.clip(x, -1.5, 2, o, n), cpuBackend.clip(a, -1.5, 2));
    }
  });
});
