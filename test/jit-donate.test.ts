/**
 * jit(f, { donate }): outputs written into the arrays of donated inputs, donated tensors retired
 * afterwards, and never a reuse where another tensor can still see the buffer.
 */
import { describe, expect, it } from 'vitest';
import { DonatedTensorError, jit } from '../src/autodiff/jit';
import { grad, valueAndGrad } from '../src/autodiff/transforms';
import { treeLeaves } from '../src/autodiff/pytree';
import { randomUniform } from '../src/tensor/random';
import { key } from '../src/random';
import type { Tensor } from '../src/tensor/tensor';
import { add, mul, sub } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce';
import { reshape } from '../src/ops/reduce-core';
import { dense } from '../src/nn/layers/core';
import { sequential } from '../src/nn/sequential';
import { mse } from '../src/nn/losses';
import { adam, applyUpdates, type State } from '../src/optim';
import { onBackends } from './helpers/backends';
import { backend } from '../src/backend';

const bits = (t: { dataSync(): ArrayLike<number> }) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
const dataOf = (t: unknown) => (t as { _data: unknown })._data;

describe('jit donation', () => {
  it('a whole Adam step writes params and state into the donated arrays, bit-identical to not donating', () => {
    onBackends(() => {
      const model = sequential([16, 8] as const, dense(32, { activation: 'tanh' }), dense(4));
      const p0 = model.init(key(3));
      const x = randomUniform(key(4), [16, 8] as const);
      const y = randomUniform(key(5), [16, 4] as const);
      const opt = adam({ learningRate: 0.01 });
      type P = typeof p0;
      const step = (p: P, s: State<P>, xb: Tensor<[16, 8]>, yb: Tensor<[16, 4]>) => {
        const [l, g] = valueAndGrad((q: P) => mse(model.apply(q, xb), yb))(p);
        const [u, s2] = opt.update(g, s, p);
        return [applyUpdates(p, u), s2, l] as const;
      };
      const plain = jit(step);
      const donating = jit(step, { donate: [0, 1] });
      // copies of the initial params for each side: the donating side consumes its own
      let [pa, sa] = [p0, opt.init(p0)];
      let [pb, sb] = [model.init(key(3)), opt.init(p0)];
      for (let i = 0; i < 4; i++) {
        const before = [...treeLeaves(pb), ...treeLeaves(sb.slots)].map(dataOf);
        const ra = plain(pa, sa, x, y);
        const rb = donating(pb, sb, x, y);
        expect(bits(rb[2])).toEqual(bits(ra[2]));
        treeLeaves(rb[0]).forEach((l, k) => expect(bits(l)).toEqual(bits(treeLeaves(ra[0])[k]!)));
        treeLeaves(rb[1]).forEach((l, k) => expect(bits(l)).toEqual(bits(treeLeaves(ra[1])[k]!)));
        // the new params and slots live in the arrays of the old ones. A backend with a resident
        // pool (wasm) moves them into its kernel memory on the first step, then stays there
        const after = [...treeLeaves(rb[0]), ...treeLeaves(rb[1].slots)].map(dataOf);
        const resident = backend().resident;
        if (resident !== undefined && i === 0) expect(after.every((d) => resident.addressOf(d as Float32Array) >= 0)).toBe(true);
        else expect(after.filter((d) => before.includes(d)).length).toBe(after.length);
        // the old ones are retired
        expect(() => treeLeaves(pb)[0]!.dataSync()).toThrow(DonatedTensorError);
        [pa, sa] = [ra[0], ra[1]];
        [pb, sb] = [rb[0], rb[1]];
      }
      expect(donating.traceCount).toBe(1);
      expect(donating.lastPlan!.donatedOutputs).toBe(3 * treeLeaves(p0).length);
    });
  });

  it('in place over several blocks: the step that reads the donated input may write it', () => {
    onBackends(() => {
      const n = 20000; // more than one block of either backend's fused programs
      const f = (p: Tensor<[number]>, g: Tensor<[number]>) => sub(p, mul(g, 0.1));
      const mk = () => [randomUniform(key(7), [n]), randomUniform(key(8), [n])] as const;
      const [p1, g1] = mk();
      const want = bits(jit(f)(p1, g1));
      const want2 = bits(jit(f)(jit(f)(p1, g1), g1));
      const [p2, g2] = mk();
      const step = jit(f, { donate: [0] });
      // the first call may move the array into the backend's kernel memory (wasm), the second
      // runs in place there
      const arr = dataOf(p2);
      const out = step(p2, g2);
      expect(dataOf(out) === arr || backend().resident?.addressOf(dataOf(out) as Float32Array) !== -1).toBe(true);
      expect(bits(out)).toEqual(want);
      const arr2 = dataOf(out);
      const out2 = step(out, g2);
      expect(dataOf(out2) === arr2).toBe(true);
      expect(bits(out2)).toEqual(want2);
      expect(bits(g2)).toEqual(bits(g1)); // not donated: untouched
    });
  });

  it('a donated tensor is retired: reads, ops and printing name the donation', () => {
    const f = jit((p: Tensor<[3]>) => add(mul(p, 2), 1), { donate: [0] });
    const p = randomUniform(key(1), [3]);
    const out = f(p);
    expect(out.size).toBe(3);
    for (const use of [() => p.dataSync(), () => p.toArray(), () => p.item(), () => add(p, 1), () => f(p)]) {
      expect(use).toThrow(DonatedTensorError);
      expect(use).toThrow(/donated to jit\(.*\) \(donate: \[0\]\) was used after the call/);
    }
    expect(String(p)).toContain('(donated)');
  });

  it('never reuses a buffer another tensor can see: a live reshape, the same tensor twice, a closed-over tensor', () => {
    onBackends(() => {
      const f = (p: Tensor<[4]>, q: Tensor<[4]>) => add(mul(p, 2), q);
      // a reshape of p shares its array
      const p = randomUniform(key(2), [4]);
      const alias = reshape(p, [2, 2] as const);
      const aliasBits = bits(alias);
      const q = randomUniform(key(3), [4]);
      const out = jit(f, { donate: [0] })(p, q);
      expect(dataOf(out)).not.toBe(dataOf(alias));
      expect(bits(alias)).toEqual(aliasBits);
      // the same tensor as both arguments
      const r = randomUniform(key(4), [4]);
      const rBits = bits(r);
      const g = jit(f, { donate: [0] });
      const o2 = g(r, r);
      expect(bits(o2)).toEqual(bits(jit(f)(randomUniform(key(4), [4]), randomUniform(key(4), [4]))));
      expect(dataOf(o2)).not.toBe(rBits);
      // closed over: the plan reads it on every call, so it is neither reused nor retired
      const c = randomUniform(key(5), [4]);
      const h = jit((p2: Tensor<[4]>) => add(mul(p2, 2), c), { donate: [0] });
      const cBits = bits(c);
      h(c);
      expect(bits(c)).toEqual(cBits);
      expect(bits(h(c))).toEqual(bits(h(randomUniform(key(5), [4]))));
    });
  });

  it('not taken while a later step still reads the input (then taken at the end of the run); a donated input returned as it is stays valid', () => {
    const f = jit((p: Tensor<[5]>) => [add(mul(p, 2), 1), sum(mul(p, p)), p] as const, { donate: [0] });
    const p = randomUniform(key(6), [5]);
    const pBits = bits(p);
    const [a, s, same] = f(p);
    expect(f.lastPlan!.donatedOutputs).toBe(0);
    expect(same).toBe(p);
    expect(bits(p)).toEqual(pBits);
    expect(a.size + s.size).toBe(6);
    // read later by the sum: the cluster's output must not overwrite x while the sum still
    // reads it; it goes to one of the plan's arrays and is copied into x's array at the end
    const g = jit((x: Tensor<[5]>) => [add(mul(x, 2), 1), sum(x)] as const, { donate: [0] });
    const x = randomUniform(key(6), [5]);
    const xArr = dataOf(x);
    const [y, total] = g(x);
    expect(g.lastPlan!.donatedOutputs).toBe(1);
    expect(bits(total)).toEqual(bits(sum(randomUniform(key(6), [5]))));
    expect(bits(y)).toEqual(bits(add(mul(randomUniform(key(6), [5]), 2), 1)));
    expect(dataOf(y) === xArr || backend().resident?.addressOf(dataOf(y) as Float32Array) !== -1).toBe(true);
  });

  it('a donated input reshaped inside the step is still donated once the reshape is dead; a returned reshape keeps its array', () => {
    onBackends(() => {
      const f = (p: Tensor<[4, 4]>, g: Tensor<[4, 4]>) => [sub(p, mul(g, 0.1)), sum(mul(reshape(p, [16] as const), 2))] as const;
      const g = randomUniform(key(12), [4, 4] as const);
      const step = jit(f, { donate: [0] });
      let p = randomUniform(key(11), [4, 4] as const);
      let q = randomUniform(key(11), [4, 4] as const);
      let arr: unknown = null;
      for (let i = 0; i < 3; i++) {
        const [p2, s2] = step(p, g);
        const [q2, t2] = jit(f)(q, g);
        expect(bits(p2)).toEqual(bits(q2));
        expect(bits(s2)).toEqual(bits(t2));
        // from the second call on the step runs in the same array (the first may move it into
        // the kernel memory)
        if (i > 0) expect(dataOf(p2)).toBe(arr);
        arr = dataOf(p2);
        [p, q] = [p2, q2];
      }
      // the reshape leaves: p's array is the user's now, never overwritten
      const h = jit((x: Tensor<[4, 4]>) => [reshape(x, [16] as const), add(x, 1)] as const, { donate: [0] });
      const x = randomUniform(key(13), [4, 4] as const);
      const xBits = bits(x);
      const [flat, plus] = h(x);
      expect(bits(flat)).toEqual(xBits);
      expect(dataOf(plus)).not.toBe(dataOf(flat));
      const [flat2] = h(randomUniform(key(13), [4, 4] as const));
      expect(bits(flat)).toEqual(xBits);
      expect(bits(flat2)).toEqual(xBits);
    });
  });

  it('under an outer transform nothing is donated or retired', () => {
    const f = jit((p: Tensor<[3]>) => sum(add(mul(p, p), 1)), { donate: [0] });
    const p = randomUniform(key(9), [3]);
    const g = grad(f)(p);
    expect(Array.from(g.dataSync())).toEqual(Array.from(p.dataSync()).map((v) => Math.fround(2 * v)));
    expect(() => p.dataSync()).not.toThrow();
  });

  it('the plan’s own intermediate arrays never reach an output: a returned reshape of one is a copy', () => {
    onBackends(() => {
      const f = jit((x: Tensor<[4, 4]>) => {
        const h = add(mul(x, 2), 1); // a fused intermediate: one of the plan's arrays
        return [reshape(h, [16] as const), sum(h)] as const;
      });
      const [ra] = f(randomUniform(key(1), [4, 4] as const));
      const want = bits(ra);
      const [rb] = f(randomUniform(key(2), [4, 4] as const));
      expect(bits(ra)).toEqual(want); // not overwritten by the second run
      expect(bits(rb)).not.toEqual(want);
      expect(bits(f(randomUniform(key(1), [4, 4] as const))[0])).toEqual(want);
    });
  });

  it('rejects bad donate indices', () => {
    const f = (x: Tensor<[2]>) => x;
    expect(() => jit(f, { donate: [-1] })).toThrow(RangeError);
    expect(() => jit(f, { donate: [0], static: [0] })).toThrow(/both static and donated/);
  });
});
