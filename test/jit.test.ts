import { describe, expect, it } from 'vitest';
import { tensor, scalar } from '../src/tensor/create';
import { randomUniform } from '../src/tensor/random';
import { key } from '../src/random';
import { add, mul, sub, exp, square } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { grad, valueAndGrad, vjp, jvp, customVjp } from '../src/autodiff/transforms';
import { DonatedTensorError, jit } from '../src/autodiff/jit';
import { printGraph } from '../src/autodiff/graph';
import { treeLeaves } from '../src/autodiff/pytree';
import type { Tensor } from '../src/tensor/tensor';
import { dense, flatten, dropout } from '../src/nn/layers/core';
import { conv2d, maxPool2d, conv1d } from '../src/nn/layers/conv';
import { lstm, gru, simpleRnn } from '../src/nn/layers/recurrent';
import { embedding } from '../src/nn/layers/embedding';
import { layerNormalization } from '../src/nn/layers/norm';
import { multiHeadAttention } from '../src/nn/layers/attention';
import { transformerEncoderLayer } from '../src/nn/layers/transformer';
import { initLayer, applyLayer } from '../src/nn/layer';
import { randint } from '../src/tensor/random';
import { sequential } from '../src/nn/sequential';
import { categoricalCrossEntropyFromLogits } from '../src/nn/losses';
import { adam, applyUpdates } from '../src/optim';
import fc from 'fast-check';
import { bind1, type AnyTensor } from '../src/autodiff/core';
import { fromDataOrThrow } from '../src/tensor/create';
import * as E from '../src/ops/elementwise';
import * as A from '../src/ops/activations';
import { sumRaw, reshapeRaw, broadcastToRaw } from '../src/ops/reduce-core';
import { reduceRaw, maxP, meanRaw } from '../src/ops/reduce';
import { transposeRaw } from '../src/ops/linalg';
import { concatRaw, sliceRaw } from '../src/ops/layout';
import { setBackend, backend } from '../src/backend';
import { cpuBackend } from '../src/backend/cpu';
import { onBackends } from './helpers/backends';

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

describe('jit: edge cases', () => {
  it('keeps at most cacheLimit plans, dropping the least recently used', () => {
    const f = jit((x: Tensor<[3]>, step: number) => mul(x, step), { cacheLimit: 2 });
    f(x3, 1);
    f(x3, 2);
    f(x3, 1); // 1 is now the most recent
    f(x3, 3); // drops 2
    expect([f.traceCount, f.cacheSize]).toEqual([3, 2]);
    f(x3, 1); // still cached
    expect(f.traceCount).toBe(3);
    f(x3, 2); // traced again
    expect([f.traceCount, f.cacheSize]).toEqual([4, 2]);
    expect(bits(f(x3, 2))).toEqual(bits(mul(x3, 2)));
    // the default bound: a counter in the arguments does not grow the cache without end
    const g = jit((x: Tensor<[3]>, step: number) => mul(x, step));
    for (let i = 0; i < 70; i++) g(x3, i);
    expect([g.traceCount, g.cacheSize]).toEqual([70, 64]);
    expect(() => jit((x: Tensor<[3]>) => x, { cacheLimit: 0 })).toThrow(/cacheLimit must be a positive integer, got 0/);
  });


  it('jvp through jit, constant and empty outputs, zero-size tensors', () => {
    const f = (x: Tensor<[3]>) => mul(exp(x), x);
    const [o, t] = jvp(jit(f), [x3], [y3]);
    const [o0, t0] = jvp(f, [x3], [y3]);
    sameBits([o, t], [o0, t0]);
    const c = jit((_x: Tensor<[3]>) => ({ k: tensor([1, 2]), n: 7 }));
    expect(c(x3).k.toArray()).toEqual([1, 2]);
    expect(c(x3).n).toBe(7);
    const e = jit((x: AnyTensor) => A.tanhRaw(E.addRaw(E.mulRaw(x, 2), 1)));
    const z = fromDataOrThrow(new Float32Array(0), [0, 4] as const) as unknown as AnyTensor;
    expect(e(z).shape).toEqual([0, 4]);
  });

  it('rejects bad static indices and traced static arguments', () => {
    expect(() => jit((x: Tensor<[3]>) => x, { static: [-1] })).toThrow(/static argument indices/);
    const j = jit((x: Tensor<[3]>, s: Tensor<[3]>) => mul(x, s), { static: [1] });
    sameBits(j(x3, y3), mul(x3, y3)); // a concrete static tensor is a constant of the trace
    expect(() => grad((w: Tensor<[3]>) => sum(j(x3, w)))(y3)).toThrow(/static argument 1 holds a traced tensor/);
  });

  it('keeps one plan per backend: switching backends does not retrace and gives that backend’s values', () => {
    const f = (x: AnyTensor) => A.geluRaw(E.mulRaw(E.addRaw(x, 0.5), x));
    const x = randomUniform(key(9), [64, 64] as const, -2, 2) as unknown as AnyTensor;
    const j = jit(f);
    const saved = backend();
    expect(sameValues(j(x), f(x))).toBe(true);
    setBackend(cpuBackend);
    try {
      expect(sameValues(j(x), f(x))).toBe(true);
    } finally {
      setBackend(saved);
    }
    expect(j.traceCount).toBe(1);
  });
});

describe('jit: fusion', () => {
  it('fuses y = gelu(x·a + b) into one step on both backends, with the plain function’s values', () => {
    onBackends(() => {
      const x = randomUniform(key(5), [64, 128] as const, -3, 3), a = randomUniform(key(6), [128] as const), b = randomUniform(key(7), [64, 1] as const);
      const f = (x: Tensor<[64, 128]>, a: Tensor<[128]>, b: Tensor<[64, 1]>) => A.geluRaw(E.addRaw(E.mulRaw(x as unknown as AnyTensor, a as unknown as AnyTensor), b as unknown as AnyTensor));
      const j = jit(f);
      expect(sameValues(j(x, a, b), f(x, a, b))).toBe(true);
      expect(j.lastPlan!.steps).toHaveLength(1);
      expect(j.lastPlan!.fusedEqns).toBe(3);
    });
  });

  it('runs long programs in blocks bit-identically: row, column and expanded broadcasts, a short last block', () => {
    // BLOCK (wasm/program.ts) is 8192 elements: these outputs span 2-4 blocks; the last block of
    // [2, 8196] has 8 elements for tanh (whose op-by-op kernel is chosen on the whole size, 16392)
    const cases: [readonly number[], readonly number[]][] = [
      [[2, 8196], [8196]], // a row longer than a block: expanded per block
      [[300, 70], [70]], // a row period that does not divide the block
      [[4000, 5], [4000, 1]], // a column: runs of 5
      [[3, 9000], [3, 1]], // a column run longer than a block
      [[16392], [1]], // a scalar
    ];
    onBackends(() => {
      for (const [xs, ys] of cases) {
        const x = randomUniform(key(xs[0]!), xs, -3, 3) as unknown as AnyTensor;
        const y = randomUniform(key(ys[0]! + 1), ys, 0.5, 2) as unknown as AnyTensor;
        const f = (x: AnyTensor, y: AnyTensor) => {
          const u = E.addRaw(E.mulRaw(x, y), y);
          const v = A.tanhRaw(E.divRaw(u, y));
          return [A.geluRaw(E.subRaw(v, E.mulRaw(u, 0.25))), E.expRaw(E.mulRaw(v, y))];
        };
        const j = jit(f);
        const got = j(x, y), want = f(x, y);
        expect(j.lastPlan!.steps.every((s) => s.kind === 'fused')).toBe(true);
        sameBits(got, want);
      }
    });
  });

  it('keeps values used after a cluster, and splits clusters at other ops and shapes', () => {
    const f = (x: AnyTensor) => {
      const t = A.tanhRaw(E.mulRaw(x, 2)); // cluster 1, t used after it
      const s = sumRaw(t, [1], true); // not element-wise
      return [E.expRaw(E.subRaw(t, s)), t]; // cluster 2 (broadcast of s over t): needs s, so after the sum
    };
    const x = randomUniform(key(8), [16, 32] as const, -2, 2) as unknown as AnyTensor;
    const j = jit(f);
    const [u, t] = j(x);
    const [u0, t0] = f(x);
    expect(sameValues(u!, u0!) && sameValues(t!, t0!)).toBe(true);
    expect(j.lastPlan!.steps.map((s) => s.kind)).toEqual(['fused', 'eqn', 'fused']);
  });

  it('an element-wise op joins an earlier cluster across other ops when it reads only values defined by then', () => {
    const f = (x: AnyTensor) => {
      const a = A.tanhRaw(E.mulRaw(x, 2));
      const s = sumRaw(a, [1], true); // not element-wise
      const b = E.expRaw(a); // reads only a: runs in the first cluster
      return [b, s, E.addRaw(b, 1)];
    };
    const x = randomUniform(key(9), [16, 32] as const, -2, 2) as unknown as AnyTensor;
    const j = jit(f);
    const got = j(x);
    f(x).forEach((w, i) => expect(sameValues(got[i]!, w)).toBe(true));
    expect(j.lastPlan!.steps.map((s) => (s.kind === 'fused' ? `fused ${s.cluster.eqnCount}` : s.kind))).toEqual(['fused 4', 'eqn']);
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
      expect(rb[1].count.item()).toBe(ra[1].count.item());
      [pa, sa] = [ra[0], ra[1]];
      [pb, sb] = [rb[0], rb[1]];
    }
    // the optimizer's step count is an int32 tensor in the state: one signature for every step
    expect(jstep.traceCount).toBe(1);
    expect(jstep.cacheSize).toBe(1);
  });
});

function maxRel(a: Tensor<any, any>, b: Tensor<any, any>): number {
  const da = a.dataSync() as Float32Array, db = b.dataSync() as Float32Array;
  let m = 0;
  for (let i = 0; i < da.length; i++) m = Math.max(m, Math.abs(da[i]! - db[i]!) / Math.max(1e-6, Math.abs(db[i]!)));
  return m;
}

// ---------------------------------------------------------------- properties over random graphs

type Op = { kind: number; other: number; axis: number };
const R = 6, C = 5;
const unaries: ((x: AnyTensor) => AnyTensor)[] = [
  E.negRaw, E.absRaw, (x) => E.expRaw(E.clipRaw(x, -20, 20)), (x) => E.logRaw(E.addRaw(E.absRaw(x), 0.5)), (x) => E.sqrtRaw(E.absRaw(x)),
  A.tanhRaw, A.sigmoidRaw, A.reluRaw, A.geluRaw, A.softplusRaw, E.squareRaw, E.sinRaw, E.cosRaw,
  (x) => E.rsqrtRaw(E.addRaw(E.squareRaw(x), 1)), (x) => E.reciprocalRaw(E.addRaw(E.absRaw(x), 1)),
  (x) => bind1(A.leakyReluP, [x], { alpha: 0.2 }), (x) => bind1(A.eluP, [x], { alpha: 1.5 }), (x) => E.clipRaw(x, -1, 1.5), (x) => bind1(E.floorP, [x], null), (x) => bind1(E.roundP, [x], null), E.signRaw,
];
const binaries: ((a: AnyTensor, b: AnyTensor) => AnyTensor)[] = [E.addRaw, E.subRaw, E.mulRaw, (a, b) => E.divRaw(a, E.addRaw(E.absRaw(b), 1)), E.maximumRaw, E.minimumRaw];
const broadcasts = (a: readonly number[], b: readonly number[]) => {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i]!, y = b[b.length - i]!;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
};

/** A random program over x [R, C] and y [C]: element-wise chains, reductions and layout ops. */
function program(ops: readonly Op[]) {
  return (x: AnyTensor, y: AnyTensor): AnyTensor[] => {
    const pool: AnyTensor[] = [x, y, E.mulRaw(x, y)];
    for (const op of ops) {
      const v = pool[pool.length - 1]!;
      const o = pool[op.other % pool.length]!;
      const rank = v.shape.length;
      const ax = rank === 0 ? 0 : op.axis % rank;
      let r: AnyTensor;
      const k = op.kind % 10;
      if (k < 4) r = unaries[op.kind % unaries.length]!(v);
      else if (k < 7) r = broadcasts(v.shape, o.shape) ? binaries[op.kind % binaries.length]!(v, o) : E.mulRaw(v, 0.75);
      else if (k === 7) r = rank === 0 ? A.tanhRaw(v) : [() => sumRaw(v, [ax], true), () => reduceRaw(maxP, v, [ax], true), () => meanRaw(v, [ax], true)][op.other % 3]!();
      else if (k === 8) r = rank < 2 ? reshapeRaw(v, [v.size]) : [() => transposeRaw(v, [1, 0]), () => reshapeRaw(v, [v.shape[1]!, v.shape[0]!]), () => concatRaw([v, v], ax)][op.other % 3]!();
      else r = rank === 2 && v.shape[0]! > 1 ? sliceRaw(v, [1, 0], [v.shape[0]! - 1, v.shape[1]!], null) : rank >= 1 && v.shape.length < 2 ? broadcastToRaw(v, [3, ...v.shape]) : E.addRaw(v, 1);
      pool.push(r);
    }
    return [pool[pool.length - 1]!, pool[Math.floor(pool.length / 2)]!];
  };
}
const arbOps = fc.array(fc.record({ kind: fc.nat(1000), other: fc.nat(1000), axis: fc.nat(3) }), { minLength: 1, maxLength: 24 });
const arbData = (n: number) => fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

/** equal element by element with Object.is (NaN equals NaN, -0 differs from 0): the same float32 values */
function sameValues(a: AnyTensor, b: AnyTensor): boolean {
  if (a.shape.join() !== b.shape.join()) return false;
  const x = a.dataSync() as ArrayLike<number>, y = b.dataSync() as ArrayLike<number>;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

describe('jit: properties over random graphs (wasm and cpu backends)', () => {
  it('jit(f)(x) equals f(x), value for value', () => {
    onBackends(() => {
      fc.assert(
        fc.property(arbOps, arbData(R * C), arbData(C), (ops, xd, yd) => {
          const f = program(ops);
          const x = fromDataOrThrow(Float32Array.from(xd), [R, C] as const) as unknown as AnyTensor;
          const y = fromDataOrThrow(Float32Array.from(yd), [C] as const) as unknown as AnyTensor;
          const j = jit(f);
          const want = f(x, y), got = j(x, y), again = j(y.size === C ? x : y, y);
          return want.every((w, i) => sameValues(w, got[i]!) && sameValues(w, again[i]!)) && j.traceCount === 1;
        }),
        { seed: 13, numRuns: 60 },
      );
    });
  });

  it('donating x changes no value: the outputs equal f on a copy, y is untouched, x is retired unless returned', () => {
    onBackends(() => {
      fc.assert(
        fc.property(arbOps, fc.integer({ min: 1, max: 1000 }), fc.boolean(), (ops, seed, big) => {
          const f = program(ops);
          const shape = big ? ([300, 40] as const) : ([R, C] as const);
          const mk = () => randomUniform(key(seed), shape, -3, 3) as unknown as AnyTensor;
          const y = randomUniform(key(seed + 1), [shape[1]] as const, -3, 3) as unknown as AnyTensor;
          const yBefore = Array.from(y.dataSync());
          const want = f(mk(), y);
          const j = jit(f, { donate: [0] });
          for (let call = 0; call < 2; call++) {
            const x = mk();
            const got = j(x, y);
            if (!want.every((w, i) => sameValues(w, got[i]!))) return false;
            const returned = got.includes(x);
            let retired = false;
            try {
              x.dataSync();
            } catch (e) {
              retired = e instanceof DonatedTensorError;
            }
            if (retired === returned) return false;
          }
          return Array.from(y.dataSync()).every((v, i) => Object.is(v, yBefore[i])) && j.traceCount === 1;
        }),
        { seed: 16, numRuns: 40 },
      );
    });
  });

  it('large tensors (wasm kernels above their minimum sizes) fuse bit-identically', () => {
    onBackends(() => {
      fc.assert(
        fc.property(arbOps, fc.integer({ min: 1, max: 1000 }), (ops, seed) => {
          const f = program(ops);
          const x = randomUniform(key(seed), [300, 40] as const, -3, 3) as unknown as AnyTensor;
          const y = randomUniform(key(seed + 1), [40] as const, -3, 3) as unknown as AnyTensor;
          const want = f(x, y), got = jit(f)(x, y);
          return want.every((w, i) => sameValues(w, got[i]!));
        }),
        { seed: 14, numRuns: 25 },
      );
    });
  });

  it('grads of jitted functions equal grads of the plain ones; jit(grad(f)) too', () => {
    onBackends(() => {
      fc.assert(
        fc.property(arbOps, arbData(R * C), arbData(C), (ops, xd, yd) => {
          const p = program(ops);
          const loss = (x: Tensor<[6, 5]>, y: Tensor<[5]>) => {
            const [a, b] = p(x as unknown as AnyTensor, y as unknown as AnyTensor);
            // cast: the program's outputs are float32 tensors; their sums are scalars
            return E.addRaw(sumRaw(a!, a!.shape.map((_, i) => i), false), sumRaw(b!, b!.shape.map((_, i) => i), false)) as unknown as Tensor<[]>;
          };
          const x = fromDataOrThrow(Float32Array.from(xd), [R, C] as const);
          const y = fromDataOrThrow(Float32Array.from(yd), [C] as const);
          const want = grad(loss, { argnums: [0, 1] })(x, y);
          const viaJit = grad(jit(loss), { argnums: [0, 1] })(x, y);
          const jitOfGrad = jit(grad(loss, { argnums: [0, 1] }))(x, y);
          return [0, 1].every((i) => sameValues(want[i] as unknown as AnyTensor, viaJit[i] as unknown as AnyTensor) && sameValues(want[i] as unknown as AnyTensor, jitOfGrad[i] as unknown as AnyTensor));
        }),
        { seed: 15, numRuns: 40 },
      );
    });
  });
});

describe('jit: nn layers', () => {
  // untyped on purpose: one loop over layers of different kinds (their types are tested elsewhere)
  const cases: [string, unknown, readonly number[], 'float32' | 'int32'][] = [
    ['dense+gelu', dense(7, { activation: 'gelu' }), [4, 6], 'float32'],
    ['layerNormalization', layerNormalization(), [4, 6], 'float32'],
    ['conv2d+relu', conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), [2, 7, 7, 3], 'float32'],
    ['maxPool2d', maxPool2d({ poolSize: 2 }), [2, 6, 6, 3], 'float32'],
    ['conv1d', conv1d({ filters: 3, kernelSize: 2, activation: 'tanh' }), [2, 9, 4], 'float32'],
    ['flatten', flatten(), [2, 3, 4], 'float32'],
    ['lstm', lstm(5, { returnSequences: true }), [3, 7, 2], 'float32'],
    ['gru', gru(4), [3, 6, 2], 'float32'],
    ['simpleRnn', simpleRnn(3), [2, 5, 3], 'float32'],
    ['embedding', embedding(11, 4), [3, 5], 'int32'],
    ['multiHeadAttention', multiHeadAttention({ numHeads: 2 }), [2, 5, 8], 'float32'],
    ['transformerEncoderLayer', transformerEncoderLayer({ numHeads: 2, ffDim: 16 }), [2, 5, 8], 'float32'],
  ];
  it('jit(apply) equals apply, on both backends, forward and gradient', () => {
    onBackends(() => {
      cases.forEach(([name, layer, shape, dtype], i) => {
        const L = layer as Parameters<typeof initLayer>[0];
        const params = (initLayer as (l: unknown, k: unknown, s: readonly number[]) => unknown)(L, key(10 + i), shape);
        const x = dtype === 'int32' ? randint(key(40 + i), shape, 0, 11) : randomUniform(key(40 + i), shape, -1, 1);
        const apply = (p: unknown, xb: unknown) => (applyLayer as (l: unknown, p: unknown, x: unknown, ctx?: unknown) => AnyTensor)(L, p, xb, { training: false });
        const j = jit(apply);
        const want = apply(params, x), got = j(params, x);
        expect(sameValues(want, got), name).toBe(true);
        const loss = (p: unknown) => sumRaw(apply(p, x), want.shape.map((_, d) => d), false) as unknown as Tensor<[]>;
        const gp = grad(loss)(params), gj = grad(jit(loss))(params);
        treeLeaves(gp).forEach((l, k) => expect(sameValues(l, treeLeaves(gj)[k]!), `${name} grad ${k}`).toBe(true));
      });
    });
  });

  it('dropout in training mode: the key is part of the signature', () => {
    const layer = dropout(0.5);
    const x = randomUniform(key(3), [4, 8] as const);
    const j = jit((xb: Tensor<[4, 8]>, k: ReturnType<typeof key>) => (applyLayer as (l: unknown, p: unknown, x: unknown, ctx?: unknown) => AnyTensor)(layer, {}, xb, { training: true, key: k }));
    const plain = (k: ReturnType<typeof key>) => (applyLayer as (l: unknown, p: unknown, x: unknown, ctx?: unknown) => AnyTensor)(layer, {}, x, { training: true, key: k });
    expect(sameValues(j(x, key(1)), plain(key(1)))).toBe(true);
    expect(sameValues(j(x, key(2)), plain(key(2)))).toBe(true);
    expect(j.traceCount).toBe(2);
    j(x, key(1));
    expect(j.traceCount).toBe(2);
  });
});
