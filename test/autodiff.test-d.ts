import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import { grad, valueAndGrad, vjp, jvp, customVjp, type Scalar } from '../src/autodiff/transforms';
import { sum } from '../src/ops/reduce-core';
import { mul } from '../src/ops/elementwise';

interface Params {
  encoder: { kernel: Tensor<[784, 128]>; bias: Tensor<[128]> };
  layers: [Tensor<[128, 10]>, Tensor<[10]>];
  name: string;
}
declare const params: Params;
declare const x: Tensor<['batch', 784]>;
declare const loss: (p: Params, x: Tensor<['batch', 784]>) => Tensor<[]>;
declare const v3: Tensor<[3]>;

describe('transform types', () => {
  it('a gradient has exactly the type of what it differentiates', () => {
    expectTypeOf(grad(loss)(params, x)).toEqualTypeOf<Params>();
    expectTypeOf(grad(loss, { argnums: 1 })(params, x)).toEqualTypeOf<Tensor<['batch', 784]>>();
    expectTypeOf(grad(loss, { argnums: [0, 1] })(params, x)).toEqualTypeOf<[Params, Tensor<['batch', 784]>]>();
    expectTypeOf(valueAndGrad(loss)(params, x)).toEqualTypeOf<[Scalar, Params]>();
  });

  it('hasAux returns [[value, aux], grads] as in JAX', () => {
    const f = (p: Params) => [sum(p.layers[1]), { note: 'aux' as const }] as const;
    expectTypeOf(valueAndGrad(f, { hasAux: true })(params)).toEqualTypeOf<[[Scalar, { readonly note: 'aux' }], Params]>();
    expectTypeOf(grad(f, { hasAux: true })(params)).toEqualTypeOf<[Params, { readonly note: 'aux' }]>();
  });

  it('a non-scalar loss is a type error', () => {
    const notScalar = (v: Tensor<[3]>) => mul(v, v);
    // @ts-expect-error the loss must be a scalar Tensor<[]>
    grad(notScalar);
    // @ts-expect-error also with valueAndGrad
    valueAndGrad(notScalar);
  });

  it('vjp and jvp keep the primal and output types', () => {
    const f = (a: Tensor<[3]>, b: Tensor<[3]>) => mul(a, b);
    const [out, pullback] = vjp(f, v3, v3);
    expectTypeOf(out).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(pullback).parameter(0).toEqualTypeOf<Tensor<[3]>>();
    expectTypeOf(pullback(out)).toEqualTypeOf<readonly [Tensor<[3]>, Tensor<[3]>]>();
    const [y, ty] = jvp((a: Tensor<[3]>) => sum(a), [v3], [v3]);
    expectTypeOf(y).toEqualTypeOf<Tensor<[]>>();
    expectTypeOf(ty).toEqualTypeOf<Tensor<[]>>();
  });

  it('customVjp keeps the function type and checks the backward', () => {
    const f = customVjp(
      (a: Tensor<[3]>) => mul(a, a),
      (a: Tensor<[3]>) => [mul(a, a), a] as const,
      (a, ct) => [mul(mul(ct, a), 2)] as const,
    );
    expectTypeOf(f).toEqualTypeOf<(a: Tensor<[3]>) => Tensor<[3]>>();
  });
});
