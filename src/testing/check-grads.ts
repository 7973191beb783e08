/**
 * checkGrads: JAX's method for testing derivatives, against central differences.
 * For each of a few random directions u over the inputs:
 * - forward mode: jvp(u) vs the central difference fd(u) = (f(x + eps·u) - f(x - eps·u)) / 2eps,
 *   element by element on every output leaf;
 * - reverse mode: ⟨vjp(w), u⟩ vs ⟨w, fd(u)⟩ for a random output cotangent w, and, when forward
 *   mode is checked too, the dot-product identity ⟨vjp(w), u⟩ = ⟨w, jvp(u)⟩;
 * - order n > 1: the same checks applied to the derivative functions themselves.
 * Every direction and cotangent is rescaled to RMS 1 per leaf: a raw normal draw for a
 * one-element leaf (a scalar loss, a rank-0 input) can be ~0.006, which once made every
 * reverse-mode check of a scalar output pass within atol whatever the rule computed.
 * Throws an Error describing the first failure; returns nothing on success.
 */
import { jvp, vjp } from '../autodiff/transforms';
import { treeFlatten } from '../autodiff/pytree';
import type { AnyTensor } from '../autodiff/core';
import { makeTensor, concreteData } from '../tensor/tensor';
import { erase } from '../tensor/untyped';
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
  /**
   * random input directions per order (default 2): one direction misses an error orthogonal
   * to it (for a 3-element input, |cos| < 0.01 has probability 1%); two make that ~1e-4
   */
  readonly directions?: number;
}

type Fn = (...args: any[]) => unknown;

function leavesOf(tree: unknown): AnyTensor[] {
  return treeFlatten(tree).leaves;
}

/** One random tensor per leaf, normal draws rescaled to RMS 1 (so never all ~0). */
function randomLike(k: Key, leaves: readonly AnyTensor[]): AnyTensor[] {
  const ks = split(k, leaves.length + 1) as Key[];
  return leaves.map((l, i) => {
    const d = normalArray(ks[i]!, l.size);
    let ss = 0;
    for (let j = 0; j < d.length; j++) ss += d[j]! * d[j]!;
    const scale = ss > 0 ? Math.sqrt(d.length / ss) : 1;
    for (let j = 0; j < d.length; j++) d[j] = d[j]! * scale;
    return erase(makeTensor<number[], 'float32'>(l.shape as readonly number[], 'float32', d));
  });
}

function axpy(xs: readonly AnyTensor[], a: number, ys: readonly AnyTensor[]): AnyTensor[] {
  return xs.map((x, i) => {
    const xd = concreteData(x) as Float32Array;
    const yd = concreteData(ys[i]!) as Float32Array;
    const out = new Float32Array(xd.length);
    for (let j = 0; j < out.length; j++) out[j] = xd[j]! + a * yd[j]!;
    return erase(makeTensor<number[], 'float32'>(x.shape as readonly number[], 'float32', out));
  });
}

function toF64(leaves: readonly AnyTensor[]): Float64Array[] {
  return leaves.map((l) => Float64Array.from(concreteData(l) as ArrayLike<number>));
}

/** ⟨a, b⟩ and Σ|a_j·b_j| (the scale its float32 rounding error is relative to). */
function dot(a: readonly (AnyTensor | Float64Array)[], b: readonly AnyTensor[]): { value: number; scale: number } {
  let value = 0;
  let scale = 0;
  a.forEach((x, i) => {
    const xd = x instanceof Float64Array ? x : concreteData(x);
    const yd = concreteData(b[i]!);
    for (let j = 0; j < xd.length; j++) {
      const p = xd[j]! * yd[j]!;
      value += p;
      scale += Math.abs(p);
    }
  });
  return { value, scale };
}

function norm2(xs: readonly AnyTensor[]): number {
  let s = 0;
  for (const x of xs) for (const v of concreteData(x)) s += v * v;
  return Math.sqrt(s);
}

/** A rule that returns a wrongly shaped tangent or cotangent (a dropped broadcast reduction) fails here, not as NaN. */
function assertShapes(what: string, actual: readonly AnyTensor[], expected: readonly AnyTensor[]): void {
  if (actual.length !== expected.length) throw new Error(`checkGrads: ${what} has ${actual.length} leaves, expected ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (a.shape.join() !== e.shape.join()) throw new Error(`checkGrads: ${what} leaf ${i} has shape [${a.shape.join(', ')}], expected [${e.shape.join(', ')}]`);
  });
}

function assertClose(what: string, actual: readonly Float64Array[], expected: readonly Float64Array[], atol: number, rtol: number): void {
  actual.forEach((a, i) => {
    const b = expected[i]!;
    for (let j = 0; j < a.length; j++) {
      const diff = Math.abs(a[j]! - b[j]!);
      if (!(diff <= atol + rtol * Math.abs(b[j]!))) {
        throw new Error(`checkGrads: ${what} mismatch at output ${i}, element ${j}: got ${a[j]}, expected ${b[j]} (|diff| ${diff.toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`);
      }
    }
  });
}

/**
 * Two projections ⟨w, ·⟩ of the derivative: each term w_j·d_j carries d_j's tolerance
 * atol + rtol·|d_j|, so the sum may differ by atol·|w| (random signs) + rtol·Σ|w_j·d_j|.
 */
function assertDotClose(what: string, actual: { value: number; scale: number }, expected: { value: number; scale: number }, wNorm: number, atol: number, rtol: number): void {
  const diff = Math.abs(actual.value - expected.value);
  const tol = atol * Math.max(wNorm, 1) + rtol * Math.max(actual.scale, expected.scale);
  if (!(diff <= tol)) {
    throw new Error(`checkGrads: ${what} mismatch: got ${actual.value}, expected ${expected.value} (|diff| ${diff.toExponential(3)} > tolerance ${tol.toExponential(3)})`);
  }
}

/** Check f's derivatives at `args` (a tuple of pytrees of float32 tensors). */
export function checkGrads(f: Fn, args: readonly unknown[], options: CheckGradsOptions = {}): void {
  const order = options.order ?? 1;
  const modes = options.modes ?? ['fwd', 'rev'];
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-3;
  const nDirs = options.directions ?? 2;
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`checkGrads: order must be an integer >= 1, got ${order}`);
  if (!Number.isInteger(nDirs) || nDirs < 1) throw new RangeError(`checkGrads: directions must be an integer >= 1, got ${nDirs}`);
  if (modes.length === 0) throw new RangeError("checkGrads: modes is empty; give 'fwd', 'rev' or both");
  const flat = treeFlatten(args);
  // cast: rebuild gives back the user's argument tree, whose leaves the caller's f types
  const apply = (leaves: readonly AnyTensor[]) => (f as Fn)(...(flat.rebuild(leaves) as unknown as unknown[]));
  const keys = split(makeKey(options.seed ?? 0), nDirs + 2) as Key[];
  const dirs = Array.from({ length: nDirs }, (_, d) => randomLike(keys[d]!, flat.leaves));
  const fdAlong = (u: readonly AnyTensor[]): Float64Array[] => {
    const plus = toF64(leavesOf(apply(axpy(flat.leaves, eps, u))));
    const minus = toF64(leavesOf(apply(axpy(flat.leaves, -eps, u))));
    return plus.map((p, i) => p.map((v, j) => (v - minus[i]![j]!) / (2 * eps)));
  };
  const fds = dirs.map(fdAlong);
  const dirLabel = (d: number) => (nDirs > 1 ? ` (direction ${d + 1} of ${nDirs})` : '');

  const jvpOuts: AnyTensor[][] = [];
  if (modes.includes('fwd')) {
    dirs.forEach((u, d) => {
      const [out, tOut] = jvp((...ls: AnyTensor[]) => apply(ls), flat.leaves, u);
      jvpOuts.push(leavesOf(tOut));
      assertShapes('jvp tangent', jvpOuts[d]!, leavesOf(out));
      assertClose(`jvp vs finite differences${dirLabel(d)}`, toF64(jvpOuts[d]!), fds[d]!, atol, rtol);
    });
  }
  if (modes.includes('rev')) {
    const [out, pullback] = vjp((...ls: AnyTensor[]) => apply(ls), ...flat.leaves);
    const w = randomLike(keys[nDirs]!, leavesOf(out));
    // cast: the cotangent tree has out's structure by construction (rebuilt from out's own flattening)
    const cts = pullback(treeFlatten(out).rebuild(w) as never) as unknown as AnyTensor[];
    assertShapes('vjp cotangent', cts, flat.leaves);
    const wNorm = norm2(w);
    dirs.forEach((u, d) => {
      const lhs = dot(cts, u);
      assertDotClose(`vjp vs finite differences ⟨vjp(w), u⟩ = ⟨w, fd(u)⟩${dirLabel(d)}`, lhs, dot(fds[d]!, w), wNorm, atol, rtol);
      // ⟨vjp(w), u⟩ = ⟨w, jvp(u)⟩, to float32 accumulation accuracy
      if (jvpOuts[d]) assertDotClose(`vjp/jvp dot-product identity${dirLabel(d)}`, lhs, dot(w, jvpOuts[d]!), wNorm, atol, rtol);
    });
  }
  if (order > 1) {
    const sub = { ...options, order: order - 1, seed: (options.seed ?? 0) + 1 };
    if (modes.includes('fwd')) {
      // derivative of the jvp along the fixed direction u
      const u = dirs[0]!;
      checkGrads((...ls: AnyTensor[]) => jvp((...xs: AnyTensor[]) => apply(xs), ls, u)[1], flat.leaves, sub);
    }
    if (modes.includes('rev')) {
      const out = apply(flat.leaves);
      const w = randomLike(keys[nDirs + 1]!, leavesOf(out));
      checkGrads(
        (...ls: AnyTensor[]) => {
          const [o, pb] = vjp((...xs: AnyTensor[]) => apply(xs), ...ls);
          // cast: as above, w was flattened from o itself
          return pb(treeFlatten(o).rebuild(w) as never);
        },
        flat.leaves,
        sub,
      );
    }
  }
}
