/**
 * vmap's types: the batch dim inserted at the in / out axis, symbolic batch dims flowing
 * through, pytrees (per-example gradients typed as a batch of params), nesting, and the
 * errors: batch sizes that differ (at the offending argument, naming both sizes), inAxes of
 * the wrong arity.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { grad, jvp, matmul, mul, relu, softmax, sum, vmap, type Tensor } from '../src';
import type { BatchedShape, Result } from '../src/shape/rules';

type P = { w: Tensor<[3, 4]>; b: Tensor<[4]> };
declare const f: (x: Tensor<[3]>, w: Tensor<[3, 4]>) => Tensor<[4]>;
declare const xs: Tensor<[8, 3]>;
declare const w: Tensor<[3, 4]>;
declare const ws: Tensor<[8, 3, 4]>;
declare const ws5: Tensor<[5, 3, 4]>;
declare const xsym: Tensor<['batch', 3]>;
declare const xt: Tensor<[3, 8]>;
declare const x6: Tensor<[6, 2, 3]>;
declare const bad: Tensor<[8, 4]>;
declare const p: P;
declare const bx: Tensor<[64, 1, 3]>;
declare const by: Tensor<[64, 1, 4]>;
declare const pb: { w: Tensor<[3, 4]>; b: Tensor<[8, 4]> };
declare const xss: Tensor<[2, 8, 3]>;
declare const x527: Tensor<[5, 8, 2, 3]>;

describe('vmap types', () => {
  it('inAxes [0, null]: (x: [B, ...S], w: W) => [B, ...R], B inferred (literal or symbolic)', () => {
    const g = vmap(f, { inAxes: [0, null] });
    expectTypeOf(g(xs, w)).toEqualTypeOf<Tensor<[8, 4]>>();
    expectTypeOf(g(xsym, w)).toEqualTypeOf<Tensor<['batch', 4]>>();
  });

  it('default axes batch every argument at 0; other axes insert the batch dim there', () => {
    expectTypeOf(vmap(f)(xs, ws)).toEqualTypeOf<Tensor<[8, 4]>>();
    const h = vmap(f, { inAxes: [1, null], outAxes: 1 });
    expectTypeOf(h(xt, w)).toEqualTypeOf<Tensor<[4, 8]>>();
    const last = vmap((x: Tensor<[2, 3]>) => softmax(x), { outAxes: -1 });
    expectTypeOf(last(x6)).toEqualTypeOf<Tensor<[2, 3, 6]>>();
  });

  it('BatchedShape, the type rule', () => {
    expectTypeOf<Result<BatchedShape<[3, 4], 0, 8>>>().toEqualTypeOf<[8, 3, 4]>();
    expectTypeOf<Result<BatchedShape<[3, 4], -1, 'b'>>>().toEqualTypeOf<[3, 4, 'b']>();
    expectTypeOf<Result<BatchedShape<[3, 4], 1, 8>>>().toEqualTypeOf<[3, 8, 4]>();
    expectTypeOf<BatchedShape<[3, 4], 3, 8>>().toEqualTypeOf<import('../src').ShapeMismatch<'vmap: batch axis out of range (axis 3, rank 3)', [3, 4], 3>>();
  });

  it('batch sizes that differ fail at the second argument, naming both sizes', () => {
    // @ts-expect-error vmap: batch sizes differ (8 at argument 0 vs 5 at argument 1)
    vmap(f)(xs, ws5);
    // a symbolic dim and a literal differ too
    // @ts-expect-error vmap: batch sizes differ (batch at argument 0 vs 8 at argument 1)
    vmap(f)(xsym, ws);
    // a per-example shape that does not fit f is an error as well
    // @ts-expect-error x must be [B, 3]
    vmap(f, { inAxes: [0, null] })(bad, w);
  });

  it('inAxes of the wrong arity is an error at inAxes', () => {
    // @ts-expect-error vmap: inAxes has 3 entries but f takes 2 arguments
    vmap(f, { inAxes: [0, null, 0] });
    // @ts-expect-error vmap: inAxes has 1 entries but f takes 2 arguments
    vmap(f, { inAxes: [0] });
  });

  it('per-example gradients: vmap(grad(loss), { inAxes: [null, 0, 0] }) is a batch of params pytrees', () => {
    const loss = (p: P, x: Tensor<[1, 3]>, y: Tensor<[1, 4]>): Tensor<[]> => sum(mul(relu(matmul(x, p.w)), y));
    const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
    expectTypeOf(perExample(p, bx, by)).toEqualTypeOf<{ w: Tensor<[64, 3, 4]>; b: Tensor<[64, 4]> }>();
    // pytree prefixes in inAxes
    const g2 = vmap((q: P, x: Tensor<[3]>) => q.b, { inAxes: [{ w: null, b: 0 }, 0] });
    expectTypeOf(g2(pb, xs)).toEqualTypeOf<Tensor<[8, 4]>>();
  });

  it('nested vmap adds one batch dim per level; grad and jvp of a vmapped function keep their types', () => {
    const inner = vmap(f, { inAxes: [0, null] });
    const outer = vmap(inner, { inAxes: [0, null] });
    expectTypeOf(outer(xss, w)).toEqualTypeOf<Tensor<[2, 8, 4]>>();
    // any depth, each level with its own axes
    const third = vmap(vmap(inner, { inAxes: [1, null], outAxes: 1 }), { inAxes: [0, null] });
    expectTypeOf(third(x527, w)).toEqualTypeOf<Tensor<[5, 8, 2, 4]>>();
    const total = (w: Tensor<[3, 4]>): Tensor<[]> => sum(inner(xs, w));
    expectTypeOf(grad(total)(w)).toEqualTypeOf<Tensor<[3, 4]>>();
    expectTypeOf(jvp((x: Tensor<[8, 3]>) => inner(x, w), [xs], [xs])).toEqualTypeOf<[Tensor<[8, 4]>, Tensor<[8, 4]>]>();
  });
});
