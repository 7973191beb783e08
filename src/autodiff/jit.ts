/**
 * `jit(f)`: trace f once per signature into the graph IR, simplify and compile the graph into
 * a plan (./jit-plan.ts), and run the plan on later calls with the same signature.
 *
 * A signature is the pytree structure of the arguments (keys, array lengths, the values of
 * non-tensor leaves such as numbers, strings and keys), the shape and dtype of every tensor
 * leaf, and the value (by JSON) of every argument marked static. Tensors are the only inputs
 * of the plan: everything else is baked in at trace time.
 *
 * Under an outer transform (grad / vjp / jvp of a jitted function, jit inside jit) the inputs
 * are tracers: the traced graph (dead code removed, no CSE) is then evaluated with `evalGraph`,
 * which binds every eqn, so the outer trace sees (and differentiates) the same primitives f
 * would have bound, and derivatives equal f's bit for bit.
 */
import { Tensor, retire, type TracerPayload } from '../tensor/tensor';
import { isKey } from '../random';
import { withTrace, type AVal, type AnyTensor, type Primitive } from './core';
import { GraphTrace } from './traces';
import { evalGraph, type Atom, type Graph } from './graph';
import { treeFlatten } from './pytree';
import { buildPlan, commonSubexpressions, deadCode, type Plan } from './jit-plan';
import { backend } from '../backend';

export interface JitOptions {
  /**
   * Indices of arguments that are not traced: they are passed to f as they are, and a call
   * with a different value (compared by JSON; tensors by shape, dtype and data) traces again.
   * Use it for flags (`training`), sizes and other configuration.
   */
  readonly static?: readonly number[];
  /** fuse chains of element-wise ops into single passes (default true; false runs every op as its own step) */
  readonly fuse?: boolean;
  /**
   * How many signatures keep their compiled plan (default 64); beyond it the least recently
   * used is dropped and traced again if it comes back. A function whose signature changes on
   * every call (a number that counts steps in its arguments) then holds at most this many
   * plans instead of one per call.
   */
  readonly cacheLimit?: number;
  /**
   * Indices of arguments whose tensors the call consumes (JAX's donate_argnums): the plan may
   * write its outputs into their arrays instead of fresh ones — a training step that returns
   * new params and optimizer state of the same shapes then allocates nothing for them. After
   * the call every tensor of a donated argument is retired: reading it or using it in an op
   * throws DonatedTensorError, so a donated value is never silently seen with other contents.
   * Pass the call's outputs on instead (`[params, state] = step(params, state, x, y)`). A
   * tensor that shares its buffer (a reshape of it is alive, it is passed twice or closed
   * over) is retired but its array is not reused. Under an outer transform nothing is donated.
   */
  readonly donate?: readonly number[];
}

/** A tensor that was donated to a jitted call (`jit(f, { donate })`) was used afterwards. */
export class DonatedTensorError extends Error {
  override readonly name = 'DonatedTensorError';
}

/** What a jitted function tells about its cache. */
export interface JitInfo {
  /** how many times f has been traced (once per new signature) */
  readonly traceCount: number;
  /** how many signatures have a compiled plan */
  readonly cacheSize: number;
  /** the simplified graph of the most recent trace (for inspection with printGraph), or null */
  readonly lastGraph: Graph | null;
  /** the plan of the most recent trace on the current backend, or null */
  readonly lastPlan: Plan | null;
  /** the simplified graph for these arguments, traced (and cached) if their signature is new; nothing runs */
  graphOf(...args: readonly unknown[]): Graph;
}

interface Entry {
  /** CSE + DCE: what plans run */
  readonly graph: Graph;
  /** DCE only: what outer transforms see (the eqns f bound, so their derivatives are f's, bit for bit) */
  readonly traced: Graph;
  /** one plan per backend (by name): fusion needs the backend's elementwiseProgram */
  readonly plans: Map<string, Plan>;
  readonly rebuild: (leaves: readonly AnyTensor[]) => unknown;
  /** per input leaf: whether it belongs to a donated argument */
  readonly donated: readonly boolean[];
}

const STATIC = Symbol('jit.static');

/** Identity numbers of functions and class instances in a signature (per jitted function). */
class Ids {
  private readonly ids = new WeakMap<object, number>();
  private next = 0;
  of(x: object): number {
    let id = this.ids.get(x);
    if (id === undefined) this.ids.set(x, (id = this.next++));
    return id;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The structure part of a signature: walks the tree as treeFlatten does. */
function structureKey(node: unknown, ids: Ids): string {
  if (node instanceof Tensor) return `T${node.dtype}[${node.shape.join(',')}]`;
  if (node === STATIC) return 'S';
  if (Array.isArray(node)) return `[${node.map((c) => structureKey(c, ids)).join(',')}]`;
  if (isPlainObject(node)) return `{${Object.keys(node).map((k) => `${JSON.stringify(k)}:${structureKey(node[k], ids)}`).join(',')}}`;
  if (isKey(node)) return `K${node.words.join('.')}`;
  if (typeof node === 'number') return Object.is(node, -0) ? 'n-0' : `n${node}`;
  if (typeof node === 'string') return `s${JSON.stringify(node)}`;
  if (typeof node === 'boolean' || node === null || node === undefined || typeof node === 'bigint') return String(node);
  if (typeof node === 'symbol') return `y${String(node.description)}`;
  return `#${ids.of(node as object)}`; // functions, class instances: by identity
}

/** A static argument, by value. */
function staticKey(x: unknown, i: number, ids: Ids): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (v instanceof Tensor) {
      if (v._data === null) throw new TypeError(`jit: static argument ${i} holds a traced tensor; static arguments must be concrete values (drop it from { static })`);
      return { tensor: v.dtype, shape: v.shape, data: Array.from(v._data as ArrayLike<number>) };
    }
    if (typeof v === 'function') return `#${ids.of(v)}`;
    if (typeof v === 'number' && !Number.isFinite(v)) return `n${v}`;
    if (typeof v === 'bigint') return `${v}n`;
    if (v === undefined) return '#undefined';
    return v;
  });
}

const avalOf = (x: AnyTensor): AVal => ({ shape: x.shape as readonly number[], dtype: x.dtype });

/** Which leaves (in treeFlatten order of all the arguments) belong to donated arguments. */
function donatedLeavesOf(donate: ReadonlySet<number>, args: readonly unknown[], leaves: readonly AnyTensor[]): boolean[] {
  const mine = new Set<AnyTensor>();
  for (const i of donate) if (i < args.length) for (const l of treeFlatten(args[i]).leaves) mine.add(l);
  return leaves.map((l) => mine.has(l));
}

/**
 * What a retired (donated) tensor carries instead of its data: a tracer payload of a trace
 * below every real one, so that an op on it reaches this trace and a read reaches `concrete`;
 * both throw DonatedTensorError.
 */
function donatedPayload(why: string): TracerPayload {
  const fail = (): never => {
    throw new DonatedTensorError(why);
  };
  const trace = { level: 0, finished: false, process: fail };
  // cast: bind only reads level / finished and calls process; concreteData calls concrete
  return { trace, donated: true, concrete: fail } as unknown as TracerPayload;
}

/**
 * The abstract trace jit records f with. Unlike makeGraph's, it keeps customVjp functions as
 * single eqns (their output avals found by tracing their function once more), so that an outer
 * grad of the jitted function still uses the hand-written backward pass.
 */
class JitTrace extends GraphTrace {
  constructor(level: number) {
    super(level, 'jit');
  }
  override process(prim: Primitive<any, string>, inputs: readonly AnyTensor[], params: unknown): AnyTensor[] {
    const c = prim.composite;
    if (c && c.vjpBackward) {
      const outAvals = withTrace(
        (level) => new GraphTrace(level, 'jit'),
        (t) => c.run(inputs.map((x) => t.newInput(avalOf(x))), params).map(avalOf),
      );
      return this.record(prim, inputs, params, outAvals);
    }
    return super.process(prim, inputs, params);
  }
}

/**
 * Compile `f`: the first call with a new signature (see below) traces f abstractly into the
 * graph IR, removes common subexpressions and dead code, fuses chains of element-wise ops into
 * single passes, and caches the plan; later calls with the same signature run the plan, with
 * no trace and no per-op dispatch. The result has f's own type, plus `traceCount` /
 * `cacheSize` (and the last graph and plan) to see when and how often it traced.
 *
 * Signature: the pytree structure of the arguments, the shape and dtype of every tensor leaf,
 * the values of non-tensor leaves (numbers, strings, keys, ...), and the JSON value of the
 * arguments listed in `options.static`. A new shape, a new number inside the arguments or a
 * new static value traces again.
 *
 * As in JAX, JavaScript side effects inside f (console.log, pushing to an outer array,
 * reading a counter) happen once per trace, not once per call, and values f reads from
 * outside (closures, random keys inside the arguments) are frozen into the plan at trace time.
 * Tensors inside f are abstract while it is traced: reading their values (`dataSync()`,
 * `toArray()`, `item()`) throws at trace time, naming the read. Outputs may be any pytree;
 * its non-tensor leaves are those of the trace.
 *
 * It composes: `grad(jit(f))`, `jit(valueAndGrad(loss))`, `jit(jit(f))`, and a whole training
 * step (valueAndGrad, optimizer update, applyUpdates) inside one jit.
 */
export function jit<F extends (...args: any[]) => any>(f: F, options: JitOptions = {}): F & JitInfo {
  const statics = new Set(options.static ?? []);
  for (const i of statics) if (!Number.isInteger(i) || i < 0) throw new RangeError(`jit: static argument indices must be non-negative integers, got ${i}`);
  const donate = new Set(options.donate ?? []);
  for (const i of donate) {
    if (!Number.isInteger(i) || i < 0) throw new RangeError(`jit: donated argument indices must be non-negative integers, got ${i}`);
    if (statics.has(i)) throw new RangeError(`jit: argument ${i} is both static and donated (a static argument is not an input of the plan)`);
  }
  const cacheLimit = options.cacheLimit ?? 64;
  if (!Number.isInteger(cacheLimit) || cacheLimit < 1) throw new RangeError(`jit: cacheLimit must be a positive integer, got ${cacheLimit}`);
  const cache = new Map<string, Entry>();
  const ids = new Ids();
  let traceCount = 0;
  let last: Entry | null = null;

  const trace = (args: readonly unknown[], dynamic: readonly unknown[], leaves: readonly AnyTensor[], rebuildArgs: (ls: readonly AnyTensor[]) => unknown[]): { entry: Entry; cacheable: boolean } => {
    traceCount++;
    const { graph, rebuild } = withTrace(
      (level) => new JitTrace(level),
      (t) => {
        const tracers = leaves.map((l) => t.newInput(avalOf(l)));
        const rebuilt = rebuildArgs(tracers);
        const callArgs = dynamic.map((a, i) => (a === STATIC ? args[i] : rebuilt[i]));
        const out: unknown = f(...callArgs);
        const of = treeFlatten(out);
        const g: Graph = { inputs: t.inputs, eqns: t.builder.eqns, outputs: of.leaves.map((l) => t.atomOf(l)) };
        return { graph: g, rebuild: of.rebuild };
      },
    );
    const traced = deadCode(graph);
    const simple = deadCode(commonSubexpressions(traced));
    // a literal that is an outer tracer (f closed over a value of an enclosing transform) is
    // valid only during this call: such a graph is evaluated through bind and not cached
    const isTracer = (a: Atom) => a.kind === 'literal' && a.value._tracer !== null;
    const cacheable = !traced.eqns.some((e) => e.inputs.some(isTracer)) && !traced.outputs.some(isTracer);
    const donated = donatedLeavesOf(donate, args, leaves);
    const entry: Entry = { graph: simple, traced, plans: new Map(), rebuild, donated };
    last = entry;
    return { entry, cacheable };
  };

  const planFor = (entry: Entry): Plan => {
    const bk = backend();
    let plan = entry.plans.get(bk.name);
    if (plan === undefined) entry.plans.set(bk.name, (plan = buildPlan(entry.graph, { fuse: options.fuse !== false && bk.elementwiseProgram !== undefined, donated: entry.donated })));
    return plan;
  };

  const lookup = (args: readonly unknown[]) => {
    const dynamic = args.map((a, i) => (statics.has(i) ? STATIC : a));
    const flat = treeFlatten(dynamic);
    let key = structureKey(dynamic, ids);
    for (const i of [...statics].sort((a, b) => a - b)) if (i < args.length) key += `|${i}=${staticKey(args[i], i, ids)}`;
    let entry = cache.get(key);
    let cacheable = true;
    if (entry !== undefined) {
      // most recently used last: a Map iterates in insertion order
      cache.delete(key);
      cache.set(key, entry);
    } else {
      const r = trace(args, dynamic, flat.leaves, (ls) => flat.rebuild(ls));
      entry = r.entry;
      cacheable = r.cacheable;
      if (cacheable) {
        cache.set(key, entry);
        if (cache.size > cacheLimit) cache.delete(cache.keys().next().value!);
      }
    }
    return { entry, cacheable, leaves: flat.leaves };
  };

  const jitted = (...args: unknown[]): unknown => {
    const { entry, cacheable, leaves } = lookup(args);
    const traced = !cacheable || leaves.some((l) => l._tracer !== null);
    if (traced) return entry.rebuild(evalGraph(entry.traced, leaves));
    const plan = planFor(entry);
    const outs = plan.run(leaves);
    if (donate.size > 0) {
      // a donated tensor returned as it is stays valid (it is the output), and so does one f
      // closed over (the plan reads it again on every call; its array was not reused)
      const returned = new Set(outs);
      const why = `a tensor donated to ${jitted.name} (donate: [${[...donate].join(', ')}]) was used after the call; its buffer may hold an output of that call. Use the call's outputs instead.`;
      const payload = donatedPayload(why);
      leaves.forEach((l, k) => entry.donated[k] && !returned.has(l) && !plan.holds(l) && retire(l, payload));
    }
    return entry.rebuild(outs);
  };
  Object.defineProperties(jitted, {
    traceCount: { get: () => traceCount, enumerable: true },
    cacheSize: { get: () => cache.size, enumerable: true },
    lastGraph: { get: () => last?.graph ?? null, enumerable: true },
    lastPlan: { get: () => (last ? planFor(last) : null), enumerable: true },
    graphOf: { value: (...args: unknown[]) => lookup(args).entry.graph },
    name: { value: `jit(${f.name || 'anonymous'})` },
  });
  // cast: jitted takes f's arguments and returns f's result (same pytree), and carries JitInfo's getters
  return jitted as unknown as F & JitInfo;
}
