/**
 * The optimizer step count is an int32 scalar tensor: a jitted training step keeps one
 * signature, and schedules of the count run through a host callback each time the plan runs.
 */
import { describe, expect, it } from 'vitest';
import { jit } from '../src/autodiff/jit';
import { valueAndGrad } from '../src/autodiff';
import { treeLeaves } from '../src/autodiff/pytree';
import { adam, applyUpdates, chain, clipByGlobalNorm, piecewiseConstant, rmsprop, sgd, stepCount, type GradientTransformation, type State } from '../src/optim';
import { ArgumentError } from '../src/shape/dims';
import { scalar, tensor } from '../src/tensor/create';
import type { Tensor } from '../src/tensor/tensor';
import { mul, sub } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce';

type P = { w: Tensor<[4]> };
const x = tensor([0.5, -1, 2, 0.25]) as unknown as Tensor<[4]>;
const loss = (p: P) => sum(mul(sub(p.w, x), sub(p.w, x)));
const params0: P = { w: tensor([1, 2, 3, 4]) as unknown as Tensor<[4]> };

function run(opt: GradientTransformation, steps: number, jitted: boolean) {
  const step = (p: P, s: State<P>) => {
    const [l, g] = valueAndGrad(loss)(p);
    const [u, next] = opt.update(g, s, p);
    return [applyUpdates(p, u), next, l] as const;
  };
  const f = jitted ? jit(step) : step;
  let p = params0;
  let s = opt.init(params0);
  const ws: number[][] = [];
  for (let i = 0; i < steps; i++) {
    [p, s] = f(p, s);
    ws.push(Array.from(p.w.dataSync()));
  }
  return { ws, state: s, f };
}

describe('optimizer step count', () => {
  it('is an int32 scalar that counts updates, also through chains', () => {
    const opt = chain(clipByGlobalNorm(10), adam({ learningRate: 0.1 }));
    const { state } = run(opt, 4, false);
    expect(state.count.dtype).toBe('int32');
    expect(state.count.shape).toEqual([]);
    expect(stepCount(state)).toBe(4);
    expect(state.inner.map((s) => stepCount(s))).toEqual([4, 4]);
  });

  for (const [name, opt] of [
    ['adam with a schedule', adam({ learningRate: piecewiseConstant([2], [0.1, 0.01]) })],
    ['sgd with momentum', sgd({ learningRate: 0.05, momentum: 0.9 })],
    ['rmsprop with momentum', rmsprop({ learningRate: 0.01, momentum: 0.5 })],
    ['clipped adam', chain(clipByGlobalNorm(1), adam({ learningRate: 0.1 }))],
  ] as const) {
    it(`a jitted step with ${name} traces once and follows the eager steps`, () => {
      const eager = run(opt, 6, false);
      const jitted = run(opt, 6, true);
      expect((jitted.f as unknown as { traceCount: number }).traceCount).toBe(1);
      expect(stepCount(jitted.state)).toBe(6);
      // eager updates are one fused float64 loop per leaf, the traced ones float32 ops
      jitted.ws.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(eager.ws[i]![j]!, 5)));
    });
  }

  it('the schedule sees each step in the plan (not the count frozen at trace time)', () => {
    // learning rate 0 from step 2 on: the params stop moving after two updates
    const { ws, f } = run(sgd({ learningRate: piecewiseConstant([2], [0.1, 0]) }), 5, true);
    expect((f as unknown as { traceCount: number }).traceCount).toBe(1);
    expect(ws[1]).not.toEqual(ws[0]);
    expect(ws[2]).toEqual(ws[1]);
    expect(ws[4]).toEqual(ws[1]);
  });

  it('a state whose count is not an int32 scalar is a clear error', () => {
    const opt = adam({ learningRate: 0.1 });
    const good = opt.init(params0);
    const grads = { w: x };
    for (const [count, msg] of [
      [3, /count must be an int32 scalar tensor \(from init\), got a number/],
      [scalar(3), /got a float32 tensor of shape \[\]/],
      [tensor([1, 2]), /got a float32 tensor of shape \[2\]/],
    ] as const) {
      const bad = { ...good, count } as unknown as State<P>;
      expect(() => opt.update(grads, bad, params0)).toThrow(ArgumentError);
      expect(() => opt.update(grads, bad, params0)).toThrow(msg);
    }
    expect(treeLeaves(opt.update(grads, { ...good, count: scalar(7, 'int32') }, params0)[1]).length).toBeGreaterThan(0);
  });

  it('stepCount names a traced state instead of returning garbage', () => {
    const opt = sgd({ learningRate: 0.1 });
    const f = jit((s: State<P>) => stepCount(s));
    expect(() => f(opt.init(params0))).toThrow(/stepCount: the state is traced/);
  });
});
