/**
 * Index notation: `einsum` (numpy) and `rearrange` (einops), both with their shapes computed
 * in the type (src/shape/rules/einsum.ts) and lowered at run time onto existing primitives —
 * reshape, transpose, matmul, sum and broadcast multiply — so gradients, every transform and
 * the ONNX export need nothing new.
 *
 * einsum contracts its operands left to right, two at a time (numpy's order without
 * `optimize`). For each pair the shared letters that are still needed later (by a later
 * operand or the output) are batch dims, the other shared letters are contracted, and the
 * letters of one side only are its free dims: the pair becomes one batched matmul
 * [...batch, M, K] · [...batch, K, N], where an operand already laid out as [..., K, M] (or
 * [..., N, K]) is read through matmul's transpose flag rather than copied. A pair with nothing
 * to contract is a broadcast multiply. Letters that occur in one operand only and not in the
 * output are summed first; a letter repeated within an operand takes the diagonal (multiply by
 * the identity, sum); '...' dims of size 1 that broadcast are reshaped away.
 */
import type { Shape } from '../shape/dims';
import { ShapeError } from '../shape/dims';
import { einsumPlan, rearrangePlan, type Check, type EinsumCheck, type EinsumShape, type RearrangeShape, type Result } from '../shape/rules';
import type { DType } from '../tensor/dtype';
import { makeTensor, type Tensor } from '../tensor/tensor';
import { erase, eraseAll, typed, type AnyTensor } from '../tensor/untyped';
import { tensorArgs, tensorListArg } from '../tensor/validate';
import { mulRaw } from './elementwise';
import { matmulRaw, transposeRaw } from './linalg';
import { reshapeRaw, sumRaw } from './reduce-core';

const dims = (x: AnyTensor) => x.shape as readonly number[];

/** An operand during the contraction: a tensor and one label per axis (no label twice). */
interface Labelled {
  readonly t: AnyTensor;
  readonly labels: readonly string[];
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Drop the '' (broadcast size-1) axes and take the diagonal of each letter repeated in the term. */
function prepare(x: AnyTensor, term: readonly string[]): Labelled {
  let t = x;
  let labels = term.slice();
  if (labels.includes('')) {
    t = reshapeRaw(t, dims(t).filter((_, i) => labels[i] !== ''));
    labels = labels.filter((l) => l !== '');
  }
  for (let q = 0; q < labels.length; q++) {
    const p = labels.indexOf(labels[q]!);
    if (p === q) continue;
    // x * I (the identity over axes p and q, 1 elsewhere), summed over q: the diagonal
    const n = dims(t)[p]!;
    const eye = new Float32Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    const maskShape = labels.map((_, i) => (i === p || i === q ? n : 1));
    t = sumRaw(mulRaw(t, erase(makeTensor<Shape, 'float32'>(maskShape, 'float32', eye))), [q], false);
    labels.splice(q, 1);
    q--;
  }
  return { t, labels };
}

/** Sum the labels of x that `keep` does not need. */
function reduceUnneeded(x: Labelled, keep: (l: string) => boolean): Labelled {
  const axes = x.labels.flatMap((l, i) => (keep(l) ? [] : [i]));
  if (axes.length === 0) return x;
  return { t: sumRaw(x.t, axes, false), labels: x.labels.filter((l) => keep(l)) };
}

/** x with its axes in the order `labels` (a permutation of x.labels). */
function permute(x: Labelled, labels: readonly string[]): AnyTensor {
  return transposeRaw(x.t, labels.map((l) => x.labels.indexOf(l)));
}

/** Contract two operands, keeping the labels `keep` still needs. */
function contract(a0: Labelled, b0: Labelled, keep: ReadonlySet<string>, sizes: ReadonlyMap<string, number>): Labelled {
  const a = reduceUnneeded(a0, (l) => keep.has(l) || b0.labels.includes(l));
  const b = reduceUnneeded(b0, (l) => keep.has(l) || a.labels.includes(l));
  const inB = (l: string) => b.labels.includes(l);
  const inA = (l: string) => a.labels.includes(l);
  const af = a.labels.filter((l) => !inB(l));
  const bf = b.labels.filter((l) => !inA(l));
  const size = (ls: readonly string[]) => ls.map((l) => sizes.get(l)!);
  const prod = (ls: readonly string[]) => ls.reduce((p, l) => p * sizes.get(l)!, 1);
  // batch and contracted letters in A's order or in B's: whichever needs fewer copies
  const orders = [a.labels, b.labels].map((src) => {
    const batch = src.filter((l) => inA(l) && inB(l) && keep.has(l));
    const contr = src.filter((l) => inA(l) && inB(l) && !keep.has(l));
    return { batch, contr };
  });
  if (orders[0]!.contr.length === 0) {
    // nothing to sum over: a broadcast multiply [batch, af, 1...] * [batch, 1..., bf]
    const { batch } = orders[0]!;
    const ta = reshapeRaw(permute(a, [...batch, ...af]), [...size(batch), ...size(af), ...bf.map(() => 1)]);
    const tb = reshapeRaw(permute(b, [...batch, ...bf]), [...size(batch), ...af.map(() => 1), ...size(bf)]);
    return { t: mulRaw(ta, tb), labels: [...batch, ...af, ...bf] };
  }
  const layouts = orders.map(({ batch, contr }) => {
    const aTrans = same(a.labels, [...batch, ...contr, ...af]);
    const aPlain = same(a.labels, [...batch, ...af, ...contr]);
    const bTrans = same(b.labels, [...batch, ...bf, ...contr]);
    const bPlain = same(b.labels, [...batch, ...contr, ...bf]);
    return { batch, contr, aTrans, bTrans, copies: (aTrans || aPlain ? 0 : 1) + (bTrans || bPlain ? 0 : 1) };
  });
  const { batch, contr, aTrans, bTrans } = layouts[1]!.copies < layouts[0]!.copies ? layouts[1]! : layouts[0]!;
  const bs = size(batch);
  const [m, k, n] = [prod(af), prod(contr), prod(bf)];
  const ta = aTrans ? reshapeRaw(a.t, [...bs, k, m]) : reshapeRaw(permute(a, [...batch, ...af, ...contr]), [...bs, m, k]);
  const tb = bTrans ? reshapeRaw(b.t, [...bs, n, k]) : reshapeRaw(permute(b, [...batch, ...contr, ...bf]), [...bs, k, n]);
  const c = matmulRaw(ta, tb, aTrans, bTrans);
  return { t: reshapeRaw(c, [...bs, ...size(af), ...size(bf)]), labels: [...batch, ...af, ...bf] };
}

/** The untyped core of `einsum`. */
export function einsumRaw(spec: string, xs: readonly AnyTensor[]): AnyTensor {
  const plan = einsumPlan(spec, xs.map(dims));
  for (const x of xs) if (x.dtype !== 'float32') throw new ShapeError('einsum', `expects float32 operands, got ${x.dtype}`);
  let ops = xs.map((x, i) => prepare(x, plan.terms[i]!));
  while (ops.length > 1) {
    const keep = new Set([...plan.out, ...ops.slice(2).flatMap((o) => o.labels)]);
    ops = [contract(ops[0]!, ops[1]!, keep, plan.sizes), ...ops.slice(2)];
  }
  const outSet = new Set(plan.out);
  const last = reduceUnneeded(ops[0]!, (l) => outSet.has(l));
  return permute(last, plan.out);
}

type ShapesOf<Ts extends readonly unknown[]> = { [I in keyof Ts]: Ts[I] extends Tensor<infer S, DType> ? S : never };

/**
 * numpy.einsum: `einsum('bhqd,bhkd->bhqk', q, k)` ([b, h, q, d]·[b, h, k, d] → [b, h, q, k],
 * one batched matmul), `einsum('ij,jk', a, b)` (implicit output: the letters that appear
 * once, sorted), `einsum('...ij,...jk->...ik', a, b)` (broadcast batch dims), `einsum('ii', m)`
 * (trace). Free and summed indices as numpy; float32 operands. The result shape is computed in
 * the type; a letter whose sizes disagree fails at the operand that disagrees:
 * `einsum: 'j' is 3 in operand 0 but 4 in operand 1`.
 */
export function einsum<const Spec extends string, const Ts extends readonly Tensor<Shape>[]>(
  spec: Spec & EinsumCheck<Spec, ShapesOf<Ts>, 'spec'>,
  ...operands: { [I in keyof Ts]: Ts[I] & EinsumCheck<Spec, ShapesOf<Ts>, I & string> }
): Tensor<Result<EinsumShape<Spec, ShapesOf<Ts>>>> {
  tensorListArg('einsum', 'operands', operands);
  return typed<Tensor<Result<EinsumShape<Spec, ShapesOf<Ts>>>>>(einsumRaw(spec, eraseAll(operands)));
}

/** The untyped core of `rearrange`: reshape to one axis per name, transpose, reshape. */
export function rearrangeRaw(x: AnyTensor, pattern: string, sizes: Readonly<Record<string, number>> = {}): AnyTensor {
  const plan = rearrangePlan(dims(x), pattern, sizes);
  return reshapeRaw(transposeRaw(reshapeRaw(x, plan.split), plan.perm), plan.outShape);
}

/**
 * einops.rearrange: `rearrange(x, 'b s (h d) -> b h s d', { h: 8 })` splits the last dim into
 * heads and moves them forward; `'b h s d -> b s (h d)'` merges them back; `...` stands for
 * any number of dims (`'b ... (h d) -> b h ... d'`). Groups on either side, sizes by name (all
 * but one per split group), every dtype. The result shape is computed
 * in the type; a size that does not divide its group fails at the pattern:
 * `rearrange: 'h d' groups 512 but h = 6 does not divide it`.
 */
export function rearrange<S extends Shape, const P extends string, const Z extends Readonly<Record<string, number>> = {}, D extends DType = 'float32'>(
  x: Tensor<S, D>,
  pattern: P & Check<RearrangeShape<S, P, Z>>,
  sizes?: Z,
): Tensor<Result<RearrangeShape<S, P, Z>>, D> {
  tensorArgs('rearrange', { x });
  return typed<Tensor<Result<RearrangeShape<S, P, Z>>, D>>(rearrangeRaw(erase(x), pattern, sizes));
}
