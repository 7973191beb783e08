/**
 * What jit does with a traced graph: simplify it, then turn it into a plan that runs without
 * tracers.
 *
 * - `simplifyGraph`: common-subexpression elimination (an eqn with the same primitive, the
 *   same inputs and equal params as an earlier one is replaced by it; small literals are
 *   compared by value, so the `2` of two `mul(x, 2)` is one input) and then dead-code
 *   elimination (eqns no output depends on are dropped). Every primitive is a pure function of
 *   its inputs and params: randomness comes from explicit keys that a trace sees as static
 *   values, so there is no key-consuming primitive CSE would have to keep apart. Eqns whose
 *   params hold functions are never merged (two closures cannot be compared).
 * - `buildPlan`: slots instead of vars; each step calls the primitive's kernel (`impl`) on
 *   concrete tensors with the output avals the trace computed (no shape rule, no bind, no
 *   tracer); a slot is dropped right after its last use (liveness), so intermediates become
 *   garbage as early as in the unjitted function. Chains of element-wise primitives become
 *   fused steps (./jit-fuse.ts).
 * - Donation (`jit(f, { donate })`): a graph output computed by a fused step may be written into
 *   the array of a donated input of the same size, once nothing after that step reads the input
 *   (the step itself may: fused programs read element i of an input before writing element i).
 *   Which input takes which output is fixed when the plan is built; at run time a donated array
 *   is used only if its tensor alone owns the buffer (no reshape shares it, it is not passed
 *   twice or closed over), else the output gets a fresh array as usual.
 */
import { makeTensor, ownsBuffer, markShared, markOwnedView } from '../tensor/tensor';
import type { F32 } from '../backend/backend';
import { backend } from '../backend';
import { evalPrimitive, runKernel, type AVal, type AnyTensor, type Primitive } from './core';
import type { Atom, Eqn, Graph, Literal, Var } from './graph';
import { fuseClusters, type FusedStep } from './jit-fuse';

// ---------------------------------------------------------------- CSE + DCE

/** literals up to this many elements are compared by value */
const SMALL_LITERAL = 16;

function paramsKey(params: unknown): string | null {
  let hasFunction = false;
  let key: string;
  try {
    key = JSON.stringify(params, (_k, v: unknown) => {
      if (typeof v === 'function') hasFunction = true;
      // cast: primitive params hold typed arrays (never a DataView), which index as numbers
      if (ArrayBuffer.isView(v)) return { typed: v.constructor.name, values: Array.from(v as unknown as ArrayLike<number>) };
      return v;
    });
  } catch {
    return null; // circular or otherwise not comparable: never merged
  }
  return hasFunction ? null : String(key);
}

/** CSE then DCE; the result has the same inputs and computes the same outputs. */
export function simplifyGraph(graph: Graph): Graph {
  return deadCode(commonSubexpressions(graph));
}

/**
 * Merge eqns that repeat an earlier one. The values are the same bits (kernels are
 * deterministic), but a merged value used twice gets its cotangents summed before its vjp rule
 * instead of after, so graphs that outer transforms differentiate are not merged (jit.ts).
 */
export function commonSubexpressions(graph: Graph): Graph {
  const subst = new Map<number, Atom>(); // var id → the atom that replaces it
  const literalByValue = new Map<string, Literal>();
  const literalId = new Map<AnyTensor, number>();
  const primId = new Map<Primitive<any, string>, number>();
  const seen = new Map<string, Eqn>();

  const canon = (a: Atom): Atom => {
    if (a.kind === 'var') return subst.get(a.id) ?? a;
    const t = a.value;
    if (t._data !== null && t.size <= SMALL_LITERAL) {
      const k = `${t.dtype}[${t.shape.join(',')}]${Array.from(t._data as ArrayLike<number>, (x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}`;
      const prev = literalByValue.get(k);
      if (prev) return prev;
      literalByValue.set(k, a);
    }
    return a;
  };
  const atomKey = (a: Atom): string => {
    if (a.kind === 'var') return `v${a.id}`;
    let id = literalId.get(a.value);
    if (id === undefined) literalId.set(a.value, (id = literalId.size));
    return `l${id}`;
  };

  const eqns: Eqn[] = [];
  for (const e of graph.eqns) {
    const inputs = e.inputs.map(canon);
    const pk = paramsKey(e.params);
    let pid = primId.get(e.prim);
    if (pid === undefined) primId.set(e.prim, (pid = primId.size));
    if (pk !== null) {
      const key = `${pid}(${inputs.map(atomKey).join(' ')})${pk}`;
      const prev = seen.get(key);
      if (prev && prev.outputs.length === e.outputs.length) {
        e.outputs.forEach((v, i) => subst.set(v.id, prev.outputs[i]!));
        continue;
      }
      const ne: Eqn = { prim: e.prim, inputs, outputs: e.outputs, params: e.params };
      seen.set(key, ne);
      eqns.push(ne);
    } else eqns.push({ prim: e.prim, inputs, outputs: e.outputs, params: e.params });
  }
  return { inputs: graph.inputs, eqns, outputs: graph.outputs.map(canon) };
}

/** Drop the eqns no output depends on (every primitive is pure). */
export function deadCode(graph: Graph): Graph {
  const { eqns, outputs } = graph;
  const live = new Set<number>();
  for (const o of outputs) if (o.kind === 'var') live.add(o.id);
  const kept: Eqn[] = [];
  for (let i = eqns.length - 1; i >= 0; i--) {
    const e = eqns[i]!;
    if (!e.outputs.some((v) => live.has(v.id))) continue;
    kept.push(e);
    for (const a of e.inputs) if (a.kind === 'var') live.add(a.id);
  }
  kept.reverse();
  return { inputs: graph.inputs, eqns: kept, outputs };
}

// ---------------------------------------------------------------- the plan

interface EqnStep {
  readonly kind: 'eqn';
  readonly prim: Primitive<any, string>;
  readonly params: unknown;
  readonly ins: readonly number[];
  readonly outs: readonly number[];
  readonly avals: readonly AVal[];
  /** slots whose last use is this step */
  readonly free: readonly number[];
}

/** a fused step, with the donated input (graph input index, or -1) each output is written into */
export type Step = EqnStep | (FusedStep & { readonly free: readonly number[]; readonly donors: readonly number[] | null });

export interface Plan {
  readonly steps: readonly Step[];
  /** eqns in the simplified graph, and how many of them run inside fused steps */
  readonly eqnCount: number;
  readonly fusedEqns: number;
  /** how many graph outputs are written into donated inputs (when their buffers are free) */
  readonly donatedOutputs: number;
  /** whether t is one of the plan's constants (a tensor f closed over), which later runs read again */
  holds(t: AnyTensor): boolean;
  run(inputs: readonly AnyTensor[]): AnyTensor[];
}

export interface PlanOptions {
  /** fuse element-wise chains (./jit-fuse.ts; default true) */
  readonly fuse?: boolean;
  /** per graph input: whether it is donated (its array may take an output) */
  readonly donated?: readonly boolean[];
}

const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Compile a (simplified) graph into slots and steps. */
export function buildPlan(graph: Graph, options: PlanOptions = {}): Plan {
  const slotOf = new Map<number, number>();
  const constants: [number, AnyTensor][] = [];
  let nSlots = 0;
  for (const v of graph.inputs) slotOf.set(v.id, nSlots++);
  const literalSlot = new Map<AnyTensor, number>();
  const slot = (a: Atom): number => {
    if (a.kind === 'var') return slotOf.get(a.id)!;
    let s = literalSlot.get(a.value);
    if (s === undefined) {
      literalSlot.set(a.value, (s = nSlots++));
      constants.push([s, a.value]);
    }
    return s;
  };
  const defSlot = (v: Var): number => {
    const s = nSlots++;
    slotOf.set(v.id, s);
    return s;
  };

  // a lone element-wise eqn whose output is returned and could take a donated input of its size
  // runs as a fused step of one (the same kernel), since only fused steps write into donated arrays
  const outIds = new Set(graph.outputs.flatMap((a) => (a.kind === 'var' ? [a.id] : [])));
  const donatedSizes = new Set(graph.inputs.flatMap((v, k) => (options.donated?.[k] === true && v.aval.dtype === 'float32' ? [sizeOf(v.aval.shape)] : [])));
  const single = (e: Eqn) => e.outputs.length === 1 && outIds.has(e.outputs[0]!.id) && donatedSizes.has(sizeOf(e.outputs[0]!.aval.shape));
  const groups = options.fuse === false ? graph.eqns.slice() : fuseClusters(graph, single);
  const raw: (Omit<EqnStep, 'free'> | FusedStep)[] = [];
  let fusedEqns = 0;
  for (const g of groups) {
    if ('cluster' in g) {
      fusedEqns += g.cluster.eqnCount;
      raw.push(g.bind(slot, defSlot));
    } else {
      const ins = g.inputs.map(slot);
      raw.push({ kind: 'eqn', prim: g.prim, params: g.params, ins, outs: g.outputs.map(defSlot), avals: g.outputs.map((v) => v.aval) });
    }
  }
  const outSlots = graph.outputs.map(slot);

  // liveness: the last step that reads each slot; inputs and constants are never written
  const lastUse = new Array<number>(nSlots).fill(-1);
  raw.forEach((st, i) => {
    for (const s of st.ins) lastUse[s] = i;
    for (const s of st.outs) if (lastUse[s]! < i) lastUse[s] = i; // unread outputs die at once
  });
  for (const s of outSlots) lastUse[s] = Infinity;
  for (const [s] of constants) lastUse[s] = Infinity;
  const frees: number[][] = raw.map(() => []);
  lastUse.forEach((u, s) => {
    if (u >= 0 && u !== Infinity) frees[u]!.push(s);
  });

  // donation: each float32 donated input (slot k = input k) not returned as an output can take
  // one graph output of a later (or its last reading) fused step of its size
  const isOut = new Set(outSlots);
  const pool = graph.inputs.flatMap((v, k) => (options.donated?.[k] === true && v.aval.dtype === 'float32' && lastUse[k] !== Infinity ? [k] : []));
  let donatedOutputs = 0;
  const donorsOf = raw.map((st, i): number[] | null => {
    if (st.kind !== 'fused' || pool.length === 0) return null;
    const n = st.cluster.size;
    const ds = st.outs.map((o) => {
      if (!isOut.has(o)) return -1;
      const at = pool.findIndex((k) => lastUse[k]! <= i && sizeOf(graph.inputs[k]!.aval.shape) === n);
      if (at === -1) return -1;
      donatedOutputs++;
      return pool.splice(at, 1)[0]!;
    });
    return ds.some((d) => d >= 0) ? ds : null;
  });
  // a returned fused output left without a donor (every donated array of its size is still read
  // by a later step) goes to one of the plan's arrays, and is copied at the end of the run into a
  // donated array that was left over: by then nothing reads it. No array is made for it per call.
  const late = new Map<number, number>();
  raw.forEach((st, i) => {
    if (st.kind !== 'fused') return;
    st.outs.forEach((o, j) => {
      if (!isOut.has(o) || (donorsOf[i]?.[j] ?? -1) >= 0 || late.has(o)) return;
      const at = pool.findIndex((k) => sizeOf(graph.inputs[k]!.aval.shape) === st.cluster.size);
      if (at === -1) return;
      donatedOutputs++;
      late.set(o, pool.splice(at, 1)[0]!);
    });
  });
  const steps: Step[] = raw.map((st, i) => (st.kind === 'fused' ? { ...st, free: frees[i]!, donors: donorsOf[i]! } : { ...st, free: frees[i]! }));
  const donorInputs = [...new Set([...donorsOf.flatMap((d) => d ?? []).filter((k) => k >= 0), ...late.values()])];
  const own = new PlanBuffers();
  let running = false;

  return {
    steps,
    eqnCount: graph.eqns.length,
    fusedEqns,
    donatedOutputs,
    holds: (t) => literalSlot.has(t),
    run(inputs) {
      const env = new Array<AnyTensor | undefined>(nSlots);
      for (let i = 0; i < inputs.length; i++) env[i] = inputs[i];
      for (const [s, t] of constants) env[s] = t;
      const usable = donorInputs.length === 0 ? null : usableDonors(inputs, constants, donorInputs);
      // live aliases (slots holding another tensor over the same array) per array, by slot
      const aliases = new Map<unknown, number>();
      const aliasOf = new Map<number, unknown>();
      // the plan's own arrays for fused intermediates (reused from run to run: warm memory, no
      // garbage); not while a run is already going (a callback calling the plan again)
      const buffers = running ? null : own;
      running = true;
      try {
        for (const st of steps) {
          const ins = st.ins.map((s) => env[s]!);
          if (st.kind === 'eqn') {
            if (st.prim.composite) {
              const outs = evalPrimitive(st.prim, ins, st.params);
              st.outs.forEach((s, j) => buffers?.hold((env[s] = outs[j])));
            } else {
              // an intermediate float32 output is offered one of the plan's arrays (matmul writes into it)
              const into = buffers === null ? undefined : st.outs.map((o, j) => (isOut.has(o) || st.avals[j]!.dtype !== 'float32' ? undefined : buffers.take(sizeOf(st.avals[j]!.shape))));
              const outs = runKernel(st.prim, ins, st.params, st.avals, into);
              // an output that is its input's array (reshape) is an alias of it for as long as its
              // slot lives: that array is not overwritten meanwhile, and stays shared if one leaves
              outs.forEach((o, j) => {
                if (o._data !== null && ins.some((x) => x._data === o._data)) {
                  aliasOf.set(st.outs[j]!, o._data);
                  aliases.set(o._data, (aliases.get(o._data) ?? 0) + 1);
                }
              });
              into?.forEach((a, j) => a !== undefined && outs[j]!._data !== a && buffers!.giveBack(a)); // not taken
              st.outs.forEach((s, j) => buffers?.hold((env[s] = outs[j])));
            }
          } else {
            // a donated array is taken only if its tensor still alone owns it (an earlier step may
            // have shared it); an intermediate gets one of the plan's arrays
            const into = st.outs.map((o, j) => {
              const k = st.donors?.[j] ?? -1;
              if (k >= 0) return usable !== null && usable[k] !== undefined && ownsBuffer(inputs[k]!) && !aliases.get(usable[k]) ? residentDonor(usable[k]) : undefined;
              return (isOut.has(o) && !late.has(o)) || buffers === null ? undefined : buffers.take(st.cluster.size);
            });
            const outs = st.run(ins, into);
            // a backend without fused programs runs the ops one by one and ignores `into`
            into.forEach((a, j) => a !== undefined && (st.donors?.[j] ?? -1) < 0 && outs[j]!._data !== a && buffers!.giveBack(a));
            st.outs.forEach((s, j) => buffers?.hold((env[s] = outs[j])));
          }
          for (const s of st.free) {
            buffers?.release(env[s]!);
            env[s] = undefined;
            const a = aliasOf.get(s);
            if (a !== undefined) aliases.set(a, aliases.get(a)! - 1);
          }
        }
        // an output that is one of the plan's arrays (a reshape of an intermediate) leaves as a
        // copy: into its late donor's array where it has one (see `late`), else a fresh one
        const lateUsed = new Set<number>();
        const results = outSlots.map((s) => {
          const t = env[s]!;
          if (buffers?.owns(t) !== true) return t;
          const k = late.get(s);
          if (k !== undefined && !lateUsed.has(k) && usable?.[k] !== undefined && ownsBuffer(inputs[k]!) && !aliases.get(usable[k]) && t.size === usable[k].length) {
            lateUsed.add(k);
            const d = residentDonor(usable[k]);
            d.set(t._data as F32);
            return makeTensor(t.shape as readonly number[], t.dtype, d as never);
          }
          return makeTensor(t.shape as readonly number[], t.dtype, (t._data as F32).slice() as never);
        });
        buffers?.reset();
        // an alias that leaves as an output shares its array with the user from now on
        for (const s of outSlots) {
          const a = aliasOf.get(s);
          if (a !== undefined) markShared(a as F32);
        }
        return results;
      } finally {
        if (buffers !== null) running = false;
      }
    },
  };
}

/**
 * The array a donated input's output goes to: the donated array itself when it is in the
 * backend's kernel memory, else (the first call on arrays from outside) a fresh resident array
 * where the backend has one, so from the next call on the step runs on arrays the kernels read
 * in place; the donated array is dropped either way (its tensor is retired).
 */
function residentDonor(a: F32): F32 {
  const r = backend().resident;
  if (r === undefined || r.addressOf(a) >= 0) return a;
  const fresh = r.alloc(a.length);
  if (fresh === null) return a;
  markOwnedView(fresh);
  return fresh;
}

/** a plan's array of n floats: resident in the backend's kernel memory where it has room */
function planArray(n: number): F32 {
  const a = backend().resident?.alloc(n) ?? null;
  if (a === null) return new Float32Array(n);
  markOwnedView(a);
  return a;
}

/**
 * A plan's own float32 arrays for the intermediates of its fused steps, by length. A run takes
 * one for each such output and gives it back when the last slot holding it (the output, or a
 * reshape of it) is freed, so a later step of the same run, or the next run, reuses it.
 */
class PlanBuffers {
  private readonly spare = new Map<number, F32[]>();
  private readonly mine = new WeakSet<F32>();
  private readonly holders = new Map<F32, number>();
  take(n: number): F32 {
    const a = this.spare.get(n)?.pop();
    if (a !== undefined) return a;
    const fresh = planArray(n);
    this.mine.add(fresh);
    return fresh;
  }
  owns(t: AnyTensor): boolean {
    return t._data instanceof Float32Array && this.mine.has(t._data);
  }
  /** a slot now holds t */
  hold(t: AnyTensor | undefined): void {
    if (t !== undefined && this.owns(t)) this.holders.set(t._data as F32, (this.holders.get(t._data as F32) ?? 0) + 1);
  }
  /** a slot holding t was freed */
  release(t: AnyTensor): void {
    if (!this.owns(t)) return;
    const a = t._data as F32;
    const n = this.holders.get(a)! - 1;
    if (n > 0) this.holders.set(a, n);
    else {
      this.holders.delete(a);
      this.give(a);
    }
  }
  /** the run is over: every array is spare again (outputs that were ours left as copies) */
  reset(): void {
    for (const a of this.holders.keys()) this.give(a);
    this.holders.clear();
  }
  /** an array taken but not written (the kernel returned its own) */
  giveBack(a: F32): void {
    this.give(a);
  }
  private give(a: F32): void {
    const l = this.spare.get(a.length);
    if (l) l.push(a);
    else this.spare.set(a.length, [a]);
  }
}

/** The arrays of the donated inputs that may be overwritten: each owns its buffer and appears once among the inputs and constants. */
function usableDonors(inputs: readonly AnyTensor[], constants: readonly [number, AnyTensor][], donors: readonly number[]): (F32 | undefined)[] {
  const uses = new Map<unknown, number>();
  const count = (t: AnyTensor) => t._data !== null && uses.set(t._data, (uses.get(t._data) ?? 0) + 1);
  inputs.forEach(count);
  constants.forEach(([, t]) => count(t));
  const out = new Array<F32 | undefined>(inputs.length);
  for (const k of donors) {
    const t = inputs[k]!;
    if (ownsBuffer(t) && uses.get(t._data) === 1) out[k] = t._data;
  }
  return out;
}
