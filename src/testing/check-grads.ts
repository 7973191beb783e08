/**
 * checkGrads: JAX's method for testing derivatives.
 * - forward mode: jvp along a random direction u vs the central difference
 *   (f(x + eps·u) - f(x - eps·u)) / 2eps;
 * - reverse mode: the dot-product identity ⟨w, jvp(u)⟩ = ⟨vjp(w), u⟩ for random u, w
 *   (when forward mode is also available), or vjp against central differences;
 * - order n > 1: the same checks applied to the derivative functions themselves.
 * Throws an Error describing the first failure; returns nothing on success.
 */
import { jvp, vjp } from '../autodiff/transforms';
import { treeFlatten } from '../autodiff/pytree';
import type { AnyTensor } from '../autodiff/core';
import { makeTensor, concreteData } from '../tensor/tensor';
import { key as makeKey, split, normalArray, type Key } from '../random';

export interface CheckGradsOptions {
  /** derivative order to check (default 1; 2 checks derivatives of derivatives) */
  readonly order?: number;
  /** which modes (default both) */
  readonly modes?: readonly ('fwd' | 'rev')[];
  /** finite-difference step (default 1e-3: float32 arithmetic) */
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
  /** seed for the random directions */
  readonly seed?: number;
}

type Fn = (...args: any[]) => unknown;

function leavesOf(tree: unknown): AnyTensor[] {
  return treeFlatten(tree).leaves;
}

function randomLike(k: Key, leaves: readonly AnyTensor[]): AnyTensor[] {
  const ks = split(k, leaves.length + 1) as Key[];
  return leaves.map((l, i) => makeTensor(l.shape as readonly number[], 'float32', normalArray(ks[i]!, l.size)) as unknown as AnyTensor);
}

function axpy(xs: readonly AnyTensor[], a: number, ys: readonly AnyTensor[]): AnyTensor[] {
  return xs.map((x, i) => {
    const xd = concreteData(x) as Float32Array;
    const yd = concreteData(ys[i]!) as Float32Array;
    const out = new Float32Array(xd.length);
    for (let j = 0; j < out.length; j++) out[j] = xd[j]! + a * yd[j]!;
    return makeTensor(x.shape as readonly number[], 'float32', out) as unknown as AnyTensor;
  });
}

function toF64(leaves: readonly AnyTensor[]): Float64Array[] {
  return leaves.map((l) => Float64Array.from(concreteData(l) as Float32Array));
}

function dot(a: readonly AnyTensor[], b: readonly AnyTensor[]): number {
  let s = 0;
  a.forEach((x, i) => {
    const xd = concreteData(x);
    const yd = concreteData(b[i]!);
    for (let j = 0; j < xd.length; j++) s += xd[j]! * yd[j]!;
  });
  return s;
}

function assertClose(what: string, actual: readonly Float64Array[] | number, expected: readonly Float64Array[] | number, atol: number, rtol: number): void {
  const A = typeof actual === 'number' ? [Float64Array.of(actual)] : actual;
  const B = typeof expected === 'number' ? [Float64Array.of(expected)] : expected;
  A.forEach((a, i) => {
    const b = B[i]!;
    for (let j = 0; j < a.length; j++) {
      const diff = Math.abs(a[j]! - b[j]!);
      if (!(diff <= atol + rtol * Math.abs(b[j]!))) {
        throw new Error(`checkGrads: ${what} mismatch at output ${i}, element ${j}: got ${a[j]}, expected ${b[j]} (|diff| ${diff.toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`);
      }
    }
  });
}

/** Check f's derivatives at `args` (a tuple of pytrees of float32 tensors). */
export function checkGrads(f: Fn, args: readonly unknown[], options: CheckGradsOptions = {}): void {
  const order = options.order ?? 1;
  const modes = options.modes ?? ['fwd', 'rev'];
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-3;
  const flat = treeFlatten(args);
  const apply = (leaves: readonly AnyTensor[]) => (f as Fn)(...(flat.rebuild(leaves) as unknown as unknown[]));
  const k = makeKey(options.seed ?? 0);
  const [ku, kw, kn] = split(k, 3);

  const u = randomLike(ku, flat.leaves);
  const fd = (): Float64Array[] => {
    const plus = toF64(leavesOf(apply(axpy(flat.leaves, eps, u))));
    const minus = toF64(leavesOf(apply(axpy(flat.leaves, -eps, u))));
    return plus.map((p, i) => p.map((v, j) => (v - minus[i]![j]!) / (2 * eps)));
  };

  let jvpOut: AnyTensor[] | null = null;
  if (modes.includes('fwd')) {
    const [, tOut] = jvp((...ls: AnyTensor[]) => apply(ls), flat.leaves, u);
    jvpOut = leavesOf(tOut);
    assertClose('jvp vs finite differences', toF64(jvpOut), fd(), atol, rtol);
  }
  if (modes.includes('rev')) {
    const [out, pullback] = vjp((...ls: AnyTensor[]) => apply(ls), ...flat.leaves);
    const outLeaves = leavesOf(out);
    const w = randomLike(kw, outLeaves);
    const cts = pullback(treeFlatten(out).rebuild(w) as never) as unknown as AnyTensor[];
    const lhs = dot(cts, u);
    if (jvpOut) {
      // ⟨vjp(w), u⟩ = ⟨w, jvp(u)⟩, to float32 accumulation accuracy
      const rhs = dot(w, jvpOut);
      assertClose('vjp/jvp dot-product identity', lhs, rhs, atol * Math.sqrt(w.reduce((s, x) => s + x.size, 0)), rtol);
    } else {
      const g = fd();
      let rhs = 0;
      g.forEach((gi, i) => {
        const wd = concreteData(w[i]!);
        for (let j = 0; j < gi.length; j++) rhs += gi[j]! * wd[j]!;
      });
      assertClose('vjp vs finite differences', lhs, rhs, atol * Math.sqrt(w.reduce((s, x) => s + x.size, 0)), rtol);
    }
  }
  if (order > 1) {
    const sub = { ...options, order: order - 1, seed: (options.seed ?? 0) + 1 };
    if (modes.includes('fwd')) {
      // derivative of the jvp along the fixed direction u
      checkGrads((...ls: AnyTensor[]) => jvp((...xs: AnyTensor[]) => apply(xs), ls, u)[1], flat.leaves, sub);
    }
    if (modes.includes('rev')) {
      const out = apply(flat.leaves);
      const w = randomLike(kn, leavesOf(out));
      checkGrads(
        (...ls: AnyTensor[]) => {
          const [o, pb] = vjp((...xs: AnyTensor[]) => apply(xs), ...ls);
          return pb(treeFlatten(o).rebuild(w) as never);
        },
        flat.leaves,
        sub,
      );
    }
  }
}
