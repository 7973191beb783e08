import { describe, expect, it } from 'vitest';
import { tensor, scalar } from '../src/tensor/create';
import { randomUniform } from '../src/tensor/random';
import { key } from '../src/random';
import { add, mul, sub, exp, square } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { grad, valueAndGrad, vjp, customVjp } from '../src/autodiff/transforms';
import { jit } from '../src/autodiff/jit';
import { printGraph } from '../src/autodiff/graph';
import { treeLeaves } from '../src/autodiff/pytree';
import type { Tensor } from '../src/tensor/tensor';
import { dense } from '../src/nn/layers/core';
import { sequential } from '../src/nn/sequential';
import { categoricalCrossEntropyFromLogits } from '../src/nn/losses';
import { adam, applyUpdates } from '../src/optim';

const bits = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
const sameBits = (a: unknown, b: unknown) => {
  const la = treeLeaves(a), lb = treeLeaves(b);
  expect(la.length).toBe(lb.length);
  la.forEach((l, i) => {
    expect(l.shape).toEqual(lb[i]!.shape);
    expect(new Uint32Array(Float32Array.from(l.dataSync() as ArrayLike<number>).buffer)).toEqual(new Uint32Array(Float32Array.from(lb[i]!.dataSync() as ArrayLike<number>).buffer));
  });
};

const x3 = tensor([0.5, -1.25, 2]);
const y3 = tensor([1, 2, -3]);

describe('jit: tracing and the cache', () => {
  it('gives f’s result and traces once per signature', () => {
    const f = (x: Tensor<[number]>, y: Tensor<[number]>) => sum(mul(exp(add(x, y)), add(x, y)));
    const j = jit(f);
    expect(j.traceCount).toBe(0);
    sameBits(j(x3, y3), f(x3, y3));
    sameBits(j(y3, x3), f(y3, x3)); // same signature, other values: no trace
    expect(j.traceCount).toBe(1);
    expect(j.cacheSize).toBe(1);
    const x4 = tensor([1, 2, 3, 4]);
    sameBits(j(x4, x4), f(x4, x4)); // new shape: one more trace
    expect(j.traceCount).toBe(2);
    expect(j.cacheSize).toBe(2);
    j(x3, y3);
    expect(j.traceCount).toBe(2);
  });

  it('retraces when a static argument or a number leaf changes, not otherwise', () => {
    const f = (x: Tensor<[3]>, opts: { scale: number; square: boolean }) => (opts.square ? square(mul(x, opts.scale)) : mul(x, opts.scale));
    const j = jit(f, { static: [1] });
    sameBits(j(x3, { scale: 2, square: true }), f(x3, { scale: 2, square: true }));
    sameBits(j(y3, { scale: 2, square: true }), f(y3, { scale: 2, square: true }));
    expect(j.traceCount).toBe(1);
    sameBits(j(x3, { scale: 3, square: true }), f(x3, { scale: 3, square: true }));
    expect(j.traceCount).toBe(2);
    sameBits(j(x3, { scale: 3, square: false }), f(x3, { scale: 3, square: false }));
    expect(j.traceCount).toBe(3);
    // a number inside a non-static pytree argument is part of the signature too
    const g = jit((p: { x: Tensor<[3]>; k: number }) => mul(p.x, p.k));
    sameBits(g({ x: x3, k: 2 }), mul(x3, 2));
    sameBits(g({ x: y3, k: 2 }), mul(y3, 2));
    expect(g.traceCount).toBe(1);
    sameBits(g({ x: x3, k: 5 }), mul(x3, 5));
    expect(g.traceCount).toBe(2);
  });

  it('returns the output pytree (non-tensor leaves from the trace)', () => {
    const f = (p: { a: Tensor<[3]>; b: Tensor<[3]> }) => ({ s: add(p.a, p.b), list: [sub(p.a, p.b), p.a], tag: 'ok' as const });
    const j = jit(f);
    const r = j({ a: x3, b: y3 });
    expect(r.tag).toBe('ok');
    expect(r.list[1]).toBe(x3); // an input returned as it is
    sameBits(r, f({ a: x3, b: y3 }));
  });

  it('runs JavaScript side effects once, at trace time', () => {
    let calls = 0;
    const j = jit((x: Tensor<[3]>) => {
      calls++;
      return mul(x, x);
    });
    j(x3);
    j(y3);
    j(x3);
    expect(calls).toBe(1);
  });

  it('fails at trace time, naming the read, when f reads values', () => {
    const reads: [string, (y: Tensor<[3]>) => unknown][] = [
      ['dataSync\\(\\)', (y) => y.dataSync()],
      ['toArray\\(\\)', (y) => y.toArray()],
      ['item\\(\\)', (y) => sum(y).item()],
    ];
    for (const [name, read] of reads) {
      const j = jit((x: Tensor<[3]>) => {
        const y = mul(x, 2);
        read(y);
        return y;
      });
      expect(() => j(x3)).toThrow(new RegExp(`^jit: ${name} read the values of a traced tensor float32\\[(3)?\\] while tracing`));
    }
    // also through a transform inside jit
    const k = jit((x: Tensor<[3]>) => valueAndGrad((y: Tensor<[3]>) => {
      y.dataSync();
      return sum(y);
    })(x));
    expect(() => k(x3)).toThrow(/jit: dataSync\(\) read the values/);
  });

  it('removes common subexpressions and dead code', () => {
    const j = jit((x: Tensor<[3]>) => {
      const a = mul(exp(x), 2);
      const b = mul(exp(x), 2); // the same as a
      void square(x); // dead
      return add(a, b);
    }, { fuse: false });
    j(x3);
    const text = printGraph(j.lastGraph!);
    expect(text.match(/= exp/g)).toHaveLength(1);
    expect(text.match(/= mul/g)).toHaveLength(1);
    expect(text).not.toMatch(/square/);
    sameBits(j(x3), add(mul(exp(x3), 2), mul(exp(x3), 2)));
  });

  it('drops intermediates after their last use (liveness)', () => {
    const j = jit((x: Tensor<[3]>) => add(exp(x), square(x)), { fuse: false });
    j(x3);
    const steps = j.lastPlan!.steps;
    expect(steps).toHaveLength(3);
    // exp's and square's slots are freed by the add that reads them
    expect(steps[2]!.free.length).toBe(2);
  });
});

describe('jit: composition', () => {
  const f = (x: Tensor<[3]>, y: Tensor<[3]>) => sum(mul(exp(mul(x, y)), add(x, y)));

  it('grad(jit(f)) equals grad(f), and vjp through jit', () => {
    const j = jit(f);
    sameBits(grad(j)(x3, y3), grad(f)(x3, y3));
    sameBits(grad(j, { argnums: [0, 1] })(x3, y3), grad(f, { argnums: [0, 1] })(x3, y3));
    // second order through jit
    const g2 = (x: Tensor<[3]>) => sum(grad(j)(x, y3));
    sameBits(grad(g2)(x3), grad((x: Tensor<[3]>) => sum(grad(f)(x, y3)))(x3));
    const [out, pb] = vjp(j, x3, y3);
    sameBits(out, f(x3, y3));
    sameBits(pb(scalar(1)), vjp(f, x3, y3)[1](scalar(1)));
    expect(j.traceCount).toBe(1); // one signature: the tracer calls reuse the graph
  });

  it('jit(valueAndGrad(loss)) and jit(jit(f))', () => {
    const vg = jit(valueAndGrad(f, { argnums: [0, 1] }));
    sameBits(vg(x3, y3), valueAndGrad(f, { argnums: [0, 1] })(x3, y3));
    sameBits(vg(y3, x3), valueAndGrad(f, { argnums: [0, 1] })(y3, x3));
    expect(vg.traceCount).toBe(1);
    const inner = jit(f);
    const outer = jit((x: Tensor<[3]>, y: Tensor<[3]>) => mul(inner(x, y), 2));
    sameBits(outer(x3, y3), mul(f(x3, y3), 2));
    sameBits(grad(outer)(x3, y3), grad((x: Tensor<[3]>, y: Tensor<[3]>) => mul(f(x, y), 2))(x3, y3));
  });

  it('keeps a customVjp’s backward pass under grad(jit(f))', () => {
    // straight-through: forward squares, backward passes the cotangent unchanged
    const st = customVjp((x: Tensor<[3]>) => square(x), (x: Tensor<[3]>) => [square(x), null] as const, (_r, ct: Tensor<[3]>) => [ct] as const, 'straight_through');
    const h = (x: Tensor<[3]>) => sum(mul(st(x), 3));
    sameBits(grad(jit(h))(x3), grad(h)(x3));
    sameBits(jit(h)(x3), h(x3));
    expect(bits(grad(jit(h))(x3))).toEqual([3, 3, 3]);
  });

  it('a closure over an outer tracer is evaluated through the outer trace', () => {
    const g = grad((w: Tensor<[3]>) => sum(jit((x: Tensor<[3]>) => mul(x, w))(x3)));
    sameBits(g(y3), x3);
  });

  it('a whole training step: valueAndGrad, adam update, applyUpdates', () => {
    const B = 8;
    const model = sequential([B, 6] as const, dense(5, { activation: 'relu' }), dense(3));
    const params0 = model.init(key(1));
    const x = randomUniform(key(2), [B, 6] as const);
    const y = tensor(Array.from({ length: B }, (_, i) => [0, 1, 2].map((c) => (c === i % 3 ? 1 : 0))) as number[][]) as unknown as Tensor<[8, 3]>;
    const opt = adam({ learningRate: 0.01 });
    type P = typeof params0;
    const loss = (p: P, xb: Tensor<[8, 6]>, yb: Tensor<[8, 3]>) => categoricalCrossEntropyFromLogits(model.apply(p, xb), yb);
    const step = (params: P, optState: ReturnType<typeof opt.init<P>>, xb: Tensor<[8, 6]>, yb: Tensor<[8, 3]>) => {
      const [l, g] = valueAndGrad(loss)(params, xb, yb);
      const [updates, next] = opt.update(g, optState, params);
      return [applyUpdates(params, updates), next, l] as const;
    };
    const jstep = jit(step);
    let pa = params0, sa = opt.init(params0);
    let pb = params0, sb = opt.init(params0);
    for (let i = 0; i < 3; i++) {
      const ra = step(pa, sa, x, y);
      const rb = jstep(pb, sb, x, y);
      // the eager Adam update is one fused loop in float64, the traced one float32 ops: close, not bit-equal
      expect(rb[2].item()).toBeCloseTo(ra[2].item(), 5);
      treeLeaves(rb[0]).forEach((l, k) => expect(maxRel(l, treeLeaves(ra[0])[k]!)).toBeLessThan(1e-5));
      expect(rb[1].count).toBe(ra[1].count);
      [pa, sa] = [ra[0], ra[1]];
      [pb, sb] = [rb[0], rb[1]];
    }
    // the optimizer's step count is a number in the state, so each step is a new signature
    expect(jstep.traceCount).toBe(3);
  });
});

function maxRel(a: Tensor<any, any>, b: Tensor<any, any>): number {
  const da = a.dataSync() as Float32Array, db = b.dataSync() as Float32Array;
  let m = 0;
  for (let i = 0; i < da.length; i++) m = Math.max(m, Math.abs(da[i]! - db[i]!) / Math.max(1e-6, Math.abs(db[i]!)));
  return m;
}
