/**
 * checkGrads itself: it must reject wrong derivatives for every output rank (scalar losses
 * above all), in both modes and at order 2, and accept right ones.
 */
import { describe, expect, it } from 'vitest';
import { tensor, scalar } from '../src/tensor/create';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { mul, exp, sin } from '../src/ops/elementwise';
import { tanh } from '../src/ops/activations';
import { sum, reshape } from '../src/ops/reduce-core';
import { mean } from '../src/ops/reduce';
import { matmul } from '../src/ops/linalg';
import { customVjp, stopGradient, jvp, grad, makeGraph } from '../src/autodiff/transforms';
import { printGraph } from '../src/autodiff/graph';
import { checkGrads } from '../src/testing/check-grads';

type AnyT = Tensor<any>;

/** exp with a wrong backward rule: ct·2 instead of ct·exp(x) */
const badExp = customVjp(
  (x: AnyT) => exp(x),
  (x: AnyT) => [exp(x), x] as const,
  (_x, ct) => [mul(ct, 2)] as const,
);
/** exp whose backward is right at first order but treats exp(x) as a constant (wrong second order) */
const flatSecondExp = customVjp(
  (x: AnyT) => exp(x),
  (x: AnyT) => [exp(x), x] as const,
  (x, ct) => [mul(ct, stopGradient(exp(x)))] as const,
);

const filled = (shape: readonly number[], seed: number): AnyT =>
  makeTensor(shape, 'float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 7 + seed))) as AnyT;
const x3 = tensor([0.1, -0.5, 0.3]);

describe('checkGrads rejects a wrong reverse-mode rule', () => {
  it('for a scalar output (sum), with the defaults and with modes rev (issue 18)', () => {
    expect(() => checkGrads((a: Tensor<[3]>) => mul(badExp(a), scalar(1)), [x3], { modes: ['rev'] })).toThrow(/vjp vs finite differences/);
    expect(() => checkGrads((a: Tensor<[3]>) => sum(badExp(a)), [x3], { modes: ['rev'] })).toThrow(/vjp vs finite differences/);
    // the defaults include forward mode, which refuses a customVjp function outright
    expect(() => checkGrads((a: Tensor<[3]>) => sum(badExp(a)), [x3])).toThrow(/cannot differentiate customVjp function/);
  });

  it('for every output rank, input rank and seed tried (120 cases, all caught)', () => {
    // seed 0 drew a scalar cotangent of -0.006 before directions were rescaled to RMS 1
    let caught = 0;
    let tried = 0;
    const outputs: ((y: AnyT) => AnyT)[] = [(y) => sum(y), (y) => mean(y), (y) => y];
    for (const shape of [[], [1], [3], [2, 3]]) {
      for (let seed = 0; seed < 10; seed++) {
        for (const out of outputs) {
          tried++;
          try {
            checkGrads((a: AnyT) => out(badExp(a)), [filled(shape, seed)], { modes: ['rev'], seed });
          } catch {
            caught++;
          }
        }
      }
    }
    expect({ caught, tried }).toEqual({ caught: 120, tried: 120 });
  });

  it('at order 2 when only the second derivative is wrong', () => {
    const f = (a: AnyT) => sum(flatSecondExp(a));
    checkGrads(f, [x3], { modes: ['rev'] }); // first order is right
    expect(() => checkGrads(f, [x3], { modes: ['rev'], order: 2 })).toThrow(/vjp vs finite differences/);
  });

  it('in one leaf of a pytree output', () => {
    const f = (a: AnyT) => ({ loss: sum(tanh(a)), y: [badExp(a)] });
    expect(() => checkGrads(f, [filled([2, 2], 3)], { modes: ['rev'] })).toThrow(/vjp vs finite differences/);
  });
});

describe('checkGrads accepts right derivatives', () => {
  it('for output ranks 0 to 3, inputs of rank 0 to 2, order 1 and 2, both modes', () => {
    const w = filled([3, 3], 5);
    const fs: [(a: AnyT, s: AnyT) => unknown, readonly number[]][] = [
      [(a, s) => sum(mul(sin(a), s)), [3]],
      [(a, s) => mul(exp(a), s), [3]],
      [(a, s) => matmul(reshape(tanh(a), [2, 3]), mul(w, s)), [6]],
      [(a, s) => reshape(mul(sin(a), s), [1, 2, 3]), [2, 3]],
      [(a, s) => ({ total: sum(mul(a, a)), scaled: [mul(a, s)] }), [2, 2]],
    ];
    for (const [f, shape] of fs) {
      for (const order of [1, 2]) checkGrads(f, [filled(shape, 1), scalar(0.7)], { order, seed: order });
    }
  });
});

describe('checkGrads options', () => {
  it('rejects a bad order, direction count or empty modes', () => {
    const f = (a: AnyT) => sum(a);
    expect(() => checkGrads(f, [x3], { order: 0 })).toThrow(/order must be an integer >= 1, got 0/);
    expect(() => checkGrads(f, [x3], { directions: 0 })).toThrow(/directions must be an integer >= 1, got 0/);
    expect(() => checkGrads(f, [x3], { modes: [] })).toThrow(/modes is empty/);
  });
});

describe('jvp of a customVjp function (issue 18)', () => {
  const cube = customVjp(
    (x: Tensor<[3]>) => mul(mul(x, x), x),
    (x: Tensor<[3]>) => [mul(mul(x, x), x), x] as const,
    (x, ct) => [mul(mul(mul(x, x), 3), ct)] as const,
    'cube',
  );
  const t3 = tensor([1, 0.5, -2]);

  it('throws a library error naming the function and what to do instead', () => {
    expect(() => jvp(cube, [x3], [t3])).toThrow(
      "jvp: cannot differentiate customVjp function 'cube' in forward mode: customVjp gives only a reverse-mode rule",
    );
    expect(() => jvp((a: Tensor<[3]>) => sum(cube(a)), [x3], [t3])).toThrow(/modes: \['rev'\]/);
    // checkGrads' default modes include forward mode, so it reports the same error
    expect(() => checkGrads((a: Tensor<[3]>) => sum(cube(a)), [x3])).toThrow(/customVjp function 'cube'/);
  });

  it('forward-over-reverse (jvp of grad) differentiates the custom backward', () => {
    const g = (a: Tensor<[3]>) => grad((b: Tensor<[3]>) => sum(cube(b)))(a); // 3x²
    const [, t] = jvp(g, [x3], [t3]);
    const xs = x3.dataSync();
    const ts = t3.dataSync();
    expect(Array.from(t.dataSync())).toEqual(Array.from(xs, (v, i) => Math.fround(6 * v * ts[i]!)).map((v) => expect.closeTo(v, 6)));
    checkGrads((a: Tensor<[3]>) => sum(cube(a)), [x3], { modes: ['rev'], order: 2 });
  });

  it('plain evaluation and graph tracing still run the function', () => {
    expect(Array.from(cube(x3).dataSync())).toEqual(Array.from(x3.dataSync(), (v) => expect.closeTo(v * v * v, 6)));
    expect(printGraph(makeGraph((a) => cube(a as Tensor<[3]>), [{ shape: [3], dtype: 'float32' }]))).toContain('mul');
  });
});
