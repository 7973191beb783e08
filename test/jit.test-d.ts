import { describe, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor';
import { jit, type JitInfo } from '../src/autodiff/jit';
import { add, mul, exp } from '../src/ops/elementwise';
import type { Shape } from '../src/shape/dims';
import { sum } from '../src/ops/reduce-core';
import { grad, valueAndGrad } from '../src/autodiff/transforms';

describe('jit types', () => {
  it('has exactly f’s type (parameters, result, generics, overloads), plus JitInfo', () => {
    const f = (x: Tensor<[2, 3]>, y: Tensor<[3]>) => add(x, y);
    const j = jit(f);
    expectTypeOf(j).toEqualTypeOf<typeof f & JitInfo>();
    expectTypeOf(j).parameters.toEqualTypeOf<[Tensor<[2, 3]>, Tensor<[3]>]>();
    expectTypeOf(j).returns.toEqualTypeOf<ReturnType<typeof f>>();
    expectTypeOf(j).toMatchTypeOf<typeof f>();
    expectTypeOf(j.traceCount).toEqualTypeOf<number>();
    expectTypeOf(j.cacheSize).toEqualTypeOf<number>();

    const g = <S extends Shape>(x: Tensor<S>) => exp(x);
    const jg = jit(g);
    expectTypeOf(jg(null as unknown as Tensor<[4, 5]>)).toEqualTypeOf<Tensor<[4, 5]>>();

    const p = (params: { w: Tensor<[3]>; b: Tensor<[]> }, x: Tensor<[3]>) => ({ loss: sum(mul(params.w, x)), n: 3 });
    expectTypeOf(jit(p)).returns.toEqualTypeOf<{ loss: Tensor<[]>; n: number }>();
  });

  it('rejects what f rejects', () => {
    const f = (x: Tensor<[2, 3]>) => sum(x);
    const j = jit(f);
    // @ts-expect-error a [3, 2] tensor is not a [2, 3] one
    j(null as unknown as Tensor<[3, 2]>);
    // @ts-expect-error f takes one argument
    j(null as unknown as Tensor<[2, 3]>, 1);
  });

  it('composes with grad and valueAndGrad at the type level', () => {
    const loss = (w: Tensor<[3]>, x: Tensor<[3]>) => sum(mul(w, x));
    expectTypeOf(grad(jit(loss))).toEqualTypeOf<(w: Tensor<[3]>, x: Tensor<[3]>) => Tensor<[3]>>();
    expectTypeOf(jit(valueAndGrad(loss))).returns.toEqualTypeOf<[Tensor<readonly [], 'float32'>, Tensor<[3]>]>();
  });
});
