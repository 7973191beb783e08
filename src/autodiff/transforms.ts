/**
 * JAX-style function transforms over typed pytrees: vjp, grad, valueAndGrad, jvp,
 * makeGraph, stopGradient, customVjp.
 *
 * The gradient of an argument has exactly the argument's type (same keys, same shapes);
 * static leaves (numbers, strings, ...) come back unchanged. A loss must be a scalar
 * `Tensor<[]>`: anything else is a type error at the function argument.
 */
import type { Shape } from '../shape/dims';
import { Tensor } from '../tensor/tensor';
import { onesLike, zerosLike } from '../tensor/create';
import { bind, withTrace, type AVal, type AnyTensor, type MaybeTensor, type Primitive, tracerOf } from './core';
import { GraphTrace, JvpTrace, VjpTrace, type JvpTracer, type VjpTracer } from './traces';
import type { Atom, Graph } from './graph';
import { treeFlatten } from './pytree';
import { addAny } from './accumulate';

/** A scalar loss. */
export type Scalar = Tensor<readonly [], 'float32'>;

function checkFloatLeaves(leaves: readonly AnyTensor[], paths: readonly string[], what: string): void {
  leaves.forEach((l, i) => {
    if (l.dtype !== 'float32') {
      throw new TypeError(`${what}: cannot differentiate with respect to leaf '${paths[i] || '(root)'}' of dtype ${l.dtype}; only float32 leaves are differentiable`);
    }
  });
}

/** Run f on the flattened primals under a fresh VJP trace; returns outputs (unwrapped) and a backward function. */
function vjpFlat(f: (leaves: AnyTensor[]) => unknown, primals: readonly AnyTensor[]) {
  return withTrace(
    (level) => new VjpTrace(level),
    (trace) => {
      const traced = primals.map((p) => trace.newInput(p));
      const out = f(traced);
      const outFlat = treeFlatten(out);
      const outAtoms: Atom[] = outFlat.leaves.map((l) => {
        const tr = tracerOf<VjpTracer>(l, trace);
        return tr ? tr.v : { kind: 'literal', value: l };
      });
      const outPrimals = outFlat.leaves.map((l) => tracerOf<VjpTracer>(l, trace)?.primal ?? l);
      let used = false;
      const backward = (cts: readonly MaybeTensor[]): MaybeTensor[] => {
        // A pullback may be called more than once; only the last call may release activations.
        const r = trace.backward(outAtoms, cts, addAny, false);
        used = true;
        return r;
      };
      return { out: outFlat.rebuild(outPrimals), outLeaves: outPrimals, outPaths: outFlat.paths, backward, graph: () => trace.graph(outAtoms), used: () => used };
    },
  );
}

/**
 * Reverse mode: `[out, pullback] = vjp(f, ...primals)`; `pullback(ct)` returns the
 * cotangents of all primals (a tuple with the primals' types). `ct` has the output's type.
 */
export function vjp<const A extends readonly unknown[], O>(f: (...args: A) => O, ...primals: A): [O, (ct: O) => A] {
  const flat = treeFlatten(primals);
  checkFloatLeaves(flat.leaves, flat.paths, 'vjp');
  // cast: rebuild gives back the primals' own tree, which A types
  const r = vjpFlat((ls) => f(...(flat.rebuild(ls) as unknown as A)), flat.leaves);
  const pullback = (ct: O): A => {
    const ctFlat = treeFlatten(ct);
    if (ctFlat.leaves.length !== r.outLeaves.length) {
      throw new Error(`vjp pullback: cotangent has ${ctFlat.leaves.length} tensor leaves, the output has ${r.outLeaves.length}`);
    }
    ctFlat.leaves.forEach((c, i) => {
      const o = r.outLeaves[i]!;
      if (c.shape.join() !== o.shape.join()) throw new Error(`vjp pullback: cotangent leaf ${i} has shape [${c.shape}] but the output has [${o.shape}]`);
    });
    const inCts = r.backward(ctFlat.leaves);
    return flat.rebuild(inCts.map((c, i) => c ?? zerosLike(flat.leaves[i]!)));
  };
  return [r.out as O, pullback];
}

export interface GradOptions<N extends number | readonly number[] = number | readonly number[], Aux extends boolean = boolean> {
  /** which argument(s) to differentiate: an index or a tuple of indices (default 0) */
  readonly argnums?: N;
  /** f returns [loss, aux]; aux is passed through (JAX's has_aux) */
  readonly hasAux?: Aux;
}

/** The gradient's type: argument `argnums` of A, or a tuple of them. */
export type GradOf<A extends readonly unknown[], N> = N extends number ? A[N] : { -readonly [K in keyof N]: N[K] extends number ? A[N[K]] : never };

function normArgnums(argnums: number | readonly number[] | undefined, n: number): { list: number[]; single: boolean } {
  const single = argnums === undefined || typeof argnums === 'number';
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list) if (!Number.isInteger(a) || a < 0 || a >= n) throw new RangeError(`argnums ${a} out of range for a function called with ${n} arguments`);
  return { list, single };
}

function valueAndGradImpl(f: (...args: unknown[]) => unknown, options: GradOptions | undefined, name: string) {
  return (...args: unknown[]): [unknown, unknown] => {
    const { list, single } = normArgnums(options?.argnums, args.length);
    const diffArgs = list.map((i) => args[i]);
    const flat = treeFlatten(diffArgs);
    checkFloatLeaves(flat.leaves, flat.paths, name);
    const r = vjpFlat((ls) => {
      const d = flat.rebuild(ls);
      const full = args.slice();
      list.forEach((i, j) => (full[i] = d[j]));
      return f(...full);
    }, flat.leaves);
    const out = r.out as unknown;
    const loss = (options?.hasAux ? (out as readonly unknown[])[0] : out) as AnyTensor;
    if (!(loss instanceof Tensor) || loss.shape.length !== 0 || loss.dtype !== 'float32') {
      const desc = loss instanceof Tensor ? `a ${loss.dtype} tensor of shape [${loss.shape.join(', ')}]` : typeof loss;
      throw new TypeError(`${name}: the function must return a float32 scalar Tensor<[]>${options?.hasAux ? ' as the first element of [loss, aux]' : ''}, got ${desc}`);
    }
    // The loss is the first output leaf; aux leaves get no cotangent.
    const cts: MaybeTensor[] = r.outLeaves.map((_, i) => (i === 0 ? onesLike(loss) : null));
    const inCts = r.backward(cts);
    const grads = flat.rebuild(inCts.map((c, i) => c ?? zerosLike(flat.leaves[i]!))) as unknown[];
    return [out, single ? grads[0] : grads];
  };
}

/** Gradient of a scalar-valued function with respect to argument `argnums` (default 0). */
export function grad<A extends readonly unknown[]>(f: (...args: A) => Scalar, options?: GradOptions<0, false>): (...args: A) => A[0];
export function grad<A extends readonly unknown[], const N extends number | readonly number[]>(f: (...args: A) => Scalar, options: GradOptions<N, false>): (...args: A) => GradOf<A, N>;
export function grad<A extends readonly unknown[], Aux>(f: (...args: A) => readonly [Scalar, Aux], options: GradOptions<0, true>): (...args: A) => [A[0], Aux];
export function grad<A extends readonly unknown[], Aux, const N extends number | readonly number[]>(f: (...args: A) => readonly [Scalar, Aux], options: GradOptions<N, true>): (...args: A) => [GradOf<A, N>, Aux];
export function grad(f: (...args: any[]) => unknown, options?: GradOptions): (...args: unknown[]) => unknown {
  const vg = valueAndGradImpl(f, options, 'grad');
  return (...args) => {
    const [out, g] = vg(...args);
    return options?.hasAux ? [g, (out as readonly unknown[])[1]] : g;
  };
}

/** `[value, grad]` in one pass; with hasAux, `[[value, aux], grad]` as in JAX. */
export function valueAndGrad<A extends readonly unknown[]>(f: (...args: A) => Scalar, options?: GradOptions<0, false>): (...args: A) => [Scalar, A[0]];
export function valueAndGrad<A extends readonly unknown[], const N extends number | readonly number[]>(f: (...args: A) => Scalar, options: GradOptions<N, false>): (...args: A) => [Scalar, GradOf<A, N>];
export function valueAndGrad<A extends readonly unknown[], Aux>(f: (...args: A) => readonly [Scalar, Aux], options: GradOptions<0, true>): (...args: A) => [[Scalar, Aux], A[0]];
export function valueAndGrad<A extends readonly unknown[], Aux, const N extends number | readonly number[]>(f: (...args: A) => readonly [Scalar, Aux], options: GradOptions<N, true>): (...args: A) => [[Scalar, Aux], GradOf<A, N>];
export function valueAndGrad(f: (...args: any[]) => unknown, options?: GradOptions): (...args: unknown[]) => unknown {
  return valueAndGradImpl(f, options, 'valueAndGrad');
}

/**
 * Forward mode: `[out, tangentOut] = jvp(f, primals, tangents)`, where `tangents` has the
 * primals' types. Tangent leaves must match primal shapes.
 */
export function jvp<const A extends readonly unknown[], O>(f: (...args: A) => O, primals: A, tangents: A): [O, O] {
  const pf = treeFlatten(primals);
  const tf = treeFlatten(tangents);
  checkFloatLeaves(pf.leaves, pf.paths, 'jvp');
  if (tf.leaves.length !== pf.leaves.length) throw new Error(`jvp: ${pf.leaves.length} primal leaves but ${tf.leaves.length} tangent leaves`);
  pf.leaves.forEach((p, i) => {
    const t = tf.leaves[i]!;
    if (p.shape.join() !== t.shape.join()) throw new Error(`jvp: tangent '${tf.paths[i]}' has shape [${t.shape}] but the primal has [${p.shape}]`);
  });
  return withTrace(
    (level) => new JvpTrace(level),
    (trace) => {
      const traced = pf.leaves.map((p, i) => trace.lift(p, tf.leaves[i]!));
      // lift of a null tangent would return the primal itself; tangents here are tensors, so all are tracers.
      const out = f(...(pf.rebuild(traced) as unknown as A));
      const of = treeFlatten(out);
      const primOut = of.leaves.map((l) => tracerOf<JvpTracer>(l, trace)?.primal ?? l);
      const tanOut = of.leaves.map((l) => tracerOf<JvpTracer>(l, trace)?.tangent ?? zerosLike(l));
      return [of.rebuild(primOut), of.rebuild(tanOut)] as [O, O];
    },
  );
}

/** Trace f abstractly (no kernels run) into the graph IR. Arguments give only shapes and dtypes. */
export function makeGraph(f: (...args: AnyTensor[]) => unknown, inputs: readonly AVal[]): Graph {
  return withTrace(
    (level) => new GraphTrace(level),
    (trace) => {
      const args = inputs.map((a) => trace.newInput(a));
      const out = f(...args);
      const of = treeFlatten(out);
      return { inputs: trace.inputs, eqns: trace.builder.eqns, outputs: of.leaves.map((l) => trace.atomOf(l)) };
    },
  );
}

/** The graph a VJP trace records for f at these primals (concrete evaluation, with literals). */
export function traceGraph<const A extends readonly unknown[]>(f: (...args: A) => unknown, ...primals: A): Graph {
  const flat = treeFlatten(primals);
  // cast: as in vjp, rebuild gives back the primals' own tree
  return vjpFlat((ls) => f(...(flat.rebuild(ls) as unknown as A)), flat.leaves).graph();
}

// ---------------------------------------------------------------- stopGradient

const stopGradientP: Primitive<null> = {
  name: 'stop_gradient',
  shape: (ins) => [ins[0]!],
  impl: (ins) => [ins[0]!._data!], // identity; sharing data is safe because tensors are immutable
  jvp: () => [null],
  vjp: () => [null],
  batch: (ins, dims) => [[bind(stopGradientP, ins, null)[0]!], [dims[0]!]],
};

/** The identity whose derivative is zero. */
export function stopGradient<S extends Shape>(x: Tensor<S>): Tensor<S> {
  // cast: the identity keeps x's shape and dtype (autodiff sits below tensor/untyped's erase helpers)
  return bind(stopGradientP, [x as unknown as AnyTensor], null)[0] as unknown as Tensor<S>;
}

// ---------------------------------------------------------------- customVjp

/**
 * A function with a hand-written backward pass (JAX's custom_vjp).
 * - `f(...xs)` computes the output (a tensor or a tuple/array of tensors) and is what
 *   graph tracing and plain evaluation use;
 * - `fwd(...xs)` returns `[out, residuals]` (anything the backward needs);
 * - `bwd(residuals, ct)` returns one cotangent per input (null = zero).
 * Inputs must be tensors. `name` appears in graphs and error messages.
 * Forward mode (`jvp` of the function) throws, as in JAX: f's own derivative could disagree
 * with `bwd`. Forward-over-reverse (`jvp` of a `grad` through it) works: fwd and bwd are
 * ordinary ops, differentiated as such.
 */
export function customVjp<const A extends readonly Tensor<any, any>[], O extends Tensor<any, any> | readonly Tensor<any, any>[], R>(
  f: (...xs: A) => O,
  fwd: (...xs: A) => readonly [O, R],
  bwd: (residuals: R, ct: O) => { [K in keyof A]: A[K] | null },
  name = 'custom_vjp',
): (...xs: A) => O {
  let multi = false;
  const toList = (o: O): AnyTensor[] => {
    multi = !(o instanceof Tensor);
    return (o instanceof Tensor ? [o] : [...(o as readonly AnyTensor[])]) as AnyTensor[];
  };
  const prim: Primitive<null, string> = {
    name,
    shape: () => {
      throw new Error(`${name}: composite primitives are evaluated through their function`);
    },
    impl: () => {
      throw new Error(`${name}: composite primitives are evaluated through their function`);
    },
    // casts below: a composite's inputs/outputs are the user's A and O, flattened to tensor lists by bind
    composite: {
      run: (inputs) => toList(f(...(inputs as unknown as A))),
      vjpForward: (primals) => {
        const [out, residuals] = fwd(...(primals as unknown as A));
        return { outs: toList(out), residuals };
      },
      vjpBackward: (residuals, cts, _primals, outs) => {
        const filled = cts.map((c, i) => c ?? zerosLike(outs[i]!));
        const ct = (multi ? filled : filled[0]) as unknown as O;
        return [...(bwd(residuals as R, ct) as readonly MaybeTensor[])];
      },
    },
  };
  return (...xs: A): O => {
    // cast: A is a list of tensors (customVjp's contract) and the outputs are O's tensors, one or many
    const outs = bind(prim, xs as unknown as AnyTensor[], null);
    return (multi ? outs : outs[0]) as unknown as O;
  };
}
