import { describe, expect, it } from 'vitest';
import { tensor, scalar } from '../src/tensor/create';
import { add, mul, sub, div, exp, log, sin, cos, square, maximum, where, greater, pow } from '../src/ops/elementwise';
import { sum, reshape } from '../src/ops/reduce-core';
import { grad, valueAndGrad, vjp, jvp, makeGraph, traceGraph, stopGradient, customVjp } from '../src/autodiff/transforms';
import { printGraph, evalGraph } from '../src/autodiff/graph';
import { checkGrads } from '../src/testing/check-grads';
import type { Tensor } from '../src/tensor/tensor';

const x3 = tensor([0.5, -1.25, 2]);

describe('grad', () => {
  it('of a polynomial', () => {
    const f = (x: Tensor<[3]>) => sum(mul(mul(x, x), x)); // sum x^3
    const g = grad(f)(x3);
    expect(Array.from(g.dataSync())).toEqual([0.75, 4.6875, 12]);
  });

  it('of a nested param record has the params structure', () => {
    const params = { w: tensor([[1, 2], [3, 4]]), b: { v: tensor([1, -1]) } };
    const loss = (p: typeof params) => sum(add(mul(p.w, p.w), p.b.v));
    const g = grad(loss)(params);
    expect(g.w.toArray()).toEqual([[2, 4], [6, 8]]);
    expect(g.b.v.toArray()).toEqual([2, 2]); // broadcast over 2 rows
  });

  it('valueAndGrad with hasAux returns [[value, aux], grad]', () => {
    const f = (x: Tensor<[3]>) => [sum(square(x)), 'aux-data'] as const;
    const [[v, aux], g] = valueAndGrad(f, { hasAux: true })(x3);
    expect(v.item()).toBeCloseTo(0.25 + 1.5625 + 4);
    expect(aux).toBe('aux-data');
    expect(Array.from(g.dataSync())).toEqual([1, -2.5, 4]);
  });

  it('argnums selects arguments', () => {
    const f = (a: Tensor<[3]>, b: Tensor<[3]>) => sum(mul(a, b));
    const [ga, gb] = grad(f, { argnums: [0, 1] })(x3, tensor([1, 2, 3]));
    expect(Array.from(ga.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(gb.dataSync())).toEqual([0.5, -1.25, 2]);
    const g1 = grad(f, { argnums: 1 })(x3, tensor([1, 2, 3]));
    expect(Array.from(g1.dataSync())).toEqual([0.5, -1.25, 2]);
  });

  it('rejects a non-scalar loss at run time', () => {
    const f = ((x: Tensor<[3]>) => mul(x, x)) as unknown as (x: Tensor<[3]>) => Tensor<[]>;
    expect(() => grad(f)(x3)).toThrow(/scalar/);
  });

  it('grad of grad (second derivative)', () => {
    const f = (x: Tensor<[]>) => mul(mul(x, x), x); // x^3 → 6x
    const d2 = grad((x: Tensor<[]>) => grad(f)(x))(scalar(2));
    expect(d2.item()).toBeCloseTo(12);
    const d3 = grad((x: Tensor<[]>) => grad((y: Tensor<[]>) => grad(f)(y))(x))(scalar(2));
    expect(d3.item()).toBeCloseTo(6);
  });

  it('passes the perturbation-confusion test', () => {
    // d/dx [ x * d/dy (x + y) |_{y=1} ] at x = 1 is 1 (a confused implementation gives 2)
    const inner = (x: Tensor<[]>) => grad((y: Tensor<[]>) => add(x, y))(scalar(1));
    const outer = grad((x: Tensor<[]>) => mul(x, inner(x)))(scalar(1));
    expect(outer.item()).toBe(1);
    // the same with forward mode inside reverse mode
    const innerF = (x: Tensor<[]>) => jvp((y: Tensor<[]>) => mul(x, y), [scalar(1)], [scalar(1)])[1];
    const outerF = grad((x: Tensor<[]>) => mul(x, innerF(x)))(scalar(3));
    expect(outerF.item()).toBe(6);
  });

  it('jvp of grad gives Hessian-vector products', () => {
    // f(x) = sum(x^2 * sin x): H is diagonal with 2 sin x + 4x cos x - x^2 sin x
    const f = (x: Tensor<[3]>) => sum(mul(square(x), sin(x)));
    const v = tensor([1, 2, -1]);
    const [, hv] = jvp((x: Tensor<[3]>) => grad(f)(x), [x3], [v]);
    const xs = x3.dataSync();
    const vs = v.dataSync();
    const expected = Array.from(xs, (x, i) => (2 * Math.sin(x) + 4 * x * Math.cos(x) - x * x * Math.sin(x)) * vs[i]!);
    Array.from(hv.dataSync()).forEach((h, i) => expect(h).toBeCloseTo(expected[i]!, 4));
  });

  it('stopGradient blocks the derivative', () => {
    const g = grad((x: Tensor<[3]>) => sum(mul(x, stopGradient(x))))(x3);
    expect(Array.from(g.dataSync())).toEqual(Array.from(x3.dataSync()));
  });

  it('unused inputs get zero gradients, not errors', () => {
    const g = grad((a: Tensor<[3]>, b: Tensor<[3]>) => sum(b), { argnums: [0, 1] })(x3, x3);
    expect(Array.from(g[0].dataSync())).toEqual([0, 0, 0]);
  });

  it('a traced value that escapes is an error when used', () => {
    let leaked: Tensor<[3]> | null = null;
    grad((x: Tensor<[3]>) => {
      leaked = x;
      return sum(x);
    })(x3);
    expect(() => add(leaked!, x3)).toThrow(/escaped/);
  });
});

describe('vjp and jvp', () => {
  it('agree through the dot-product identity (checkGrads)', () => {
    const f = (a: Tensor<[2, 3]>, b: Tensor<[3]>) => div(exp(mul(a, b)), add(square(b), 1));
    checkGrads(f, [tensor([[0.1, 0.2, -0.3], [0.5, -0.4, 0.3]]), tensor([0.7, -0.2, 0.9])], { order: 2 });
  });

  it('vjp returns the output and a pullback with the primals type', () => {
    const [y, pb] = vjp((a: Tensor<[3]>) => mul(a, 2), x3);
    expect(Array.from(y.dataSync())).toEqual([1, -2.5, 4]);
    const [ct] = pb(tensor([1, 1, 1]));
    expect(Array.from(ct.dataSync())).toEqual([2, 2, 2]);
  });

  it('pow, maximum, where, log, cos derivatives pass checkGrads', () => {
    const a = tensor([0.5, 1.5, 2.5]);
    const b = tensor([1.2, 0.7, 3.1]);
    checkGrads((p: Tensor<[3]>, q: Tensor<[3]>) => pow(p, q), [a, b], { order: 2 });
    checkGrads((p: Tensor<[3]>, q: Tensor<[3]>) => maximum(p, q), [a, b]);
    checkGrads((p: Tensor<[3]>, q: Tensor<[3]>) => where(greater(p, 1), log(p), cos(q)), [a, b], { order: 2 });
    checkGrads((p: Tensor<[3]>) => sub(1, reshape(p, [3, 1])), [a]);
  });
});

describe('customVjp', () => {
  it('uses the hand-written backward pass', () => {
    // f(x) = x^2, with a deliberately different backward (3x) to prove it is used
    const f = customVjp(
      (x: Tensor<[3]>) => mul(x, x),
      (x: Tensor<[3]>) => [mul(x, x), x] as const,
      (x, ct) => [mul(mul(ct, x), 3)] as const,
    );
    const g = grad((x: Tensor<[3]>) => sum(f(x)))(x3);
    expect(Array.from(g.dataSync())).toEqual([1.5, -3.75, 6]);
    // forward mode refuses (as JAX's custom_vjp) rather than differentiate f itself
    expect(() => jvp(f, [x3], [tensor([1, 1, 1])])).toThrow(/cannot differentiate customVjp function 'custom_vjp' in forward mode/);
  });
});

describe('graph IR', () => {
  it('makeGraph records ops abstractly and evalGraph replays them', () => {
    const f = (a: Tensor, b: Tensor) => sum(mul(exp(a), b) as Tensor);
    const g = makeGraph(f as never, [
      { shape: [2, 3], dtype: 'float32' },
      { shape: [3], dtype: 'float32' },
    ]);
    expect(g.eqns.map((e) => e.prim.name)).toEqual(['exp', 'mul', 'sum']);
    const text = printGraph(g);
    expect(text).toContain('a:f32[2,3] b:f32[3]');
    expect(text).toContain('= exp a');
    const [out] = evalGraph(g, [tensor([[0, 0, 0], [0, 0, 0]]), tensor([1, 2, 3])] as never);
    expect(out!.item()).toBe(12);
  });

  it('traceGraph records the concrete trace of a function', () => {
    const g = traceGraph((x: Tensor<[3]>) => sum(square(x)), x3);
    expect(g.eqns.map((e) => e.prim.name)).toEqual(['square', 'sum']);
  });
});
