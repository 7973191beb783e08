import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tf, toTf, fromFlat, expectCloseTf, expectCloseArrays, type Tol } from './helpers/tf';
import { dot, matmul, matmulP, outer, transpose } from '../src/ops/linalg';
import { mul, sin } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce-core';
import { grad, jvp, makeGraph, vjp } from '../src/autodiff';
import { checkGrads } from '../src/testing/check-grads';
import { key, normalArray } from '../src/random';
import { ShapeError, type Dim, type Shape } from '../src/shape/dims';
import type { DType } from '../src/tensor/dtype';
import { tensor } from '../src/tensor/create';
import { makeTensor, type Tensor } from '../src/tensor/tensor';
import { backend, setBackend, type Backend } from '../src/backend';

type T = Tensor<Dim[]>;
const anyMatmul = matmul as unknown as (a: T, b: T, o?: { transposeA?: boolean; transposeB?: boolean }) => T;
const anyTranspose = transpose as unknown as (x: Tensor<Dim[], DType>, perm?: number[]) => Tensor<Dim[], DType>;
const anyDot = dot as unknown as (a: T, b: T) => T;
const anyOuter = outer as unknown as (a: T, b: T) => T;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const randn = (shape: readonly number[], seed: number, scale = 1): T => fromFlat(normalArray(key(seed), size(shape), 0, scale), [...shape]) as T;

function expectTf(ours: Tensor<Shape, DType>, theirs: () => tf.Tensor, tol: Tol = {}, what = ''): void {
  const r = tf.tidy(theirs);
  try {
    expectCloseTf(ours, r, tol, what);
  } finally {
    r.dispose();
  }
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * The tfjs oracle for a broadcasting matmul. tfjs 4.22 broadcasts batch dims only when one side's
 * batch is a single matrix or the batches are equal: its kernel indexes `b % batchA`, so
 * [2, 1, ...] @ [1, 3, ...] yields a [2, 3, ...] tensor holding 3 matrices. We broadcast both
 * operands explicitly (tf.broadcastTo) before tf.matMul.
 */
function tfMatmul(a: T, b: T, ta: boolean, tb: boolean): tf.Tensor {
  const sa = a.shape as readonly number[];
  const sb = b.shape as readonly number[];
  const batch = broadcast(sa.slice(0, -2), sb.slice(0, -2));
  const A = tf.broadcastTo(toTf(a), [...batch, ...sa.slice(-2)]);
  const B = tf.broadcastTo(toTf(b), [...batch, ...sb.slice(-2)]);
  return tf.matMul(A, B, ta, tb);
}

/** batch shapes for A and B that broadcast: suffixes of one full batch shape with some dims set to 1 */
const batchPairArb = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 })
  .chain((full) =>
    fc.tuple(
      fc.constant(full),
      fc.integer({ min: 0, max: full.length }),
      fc.integer({ min: 0, max: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
    ),
  )
  .map(([full, ca, cb, oa, ob]) => [full.slice(ca).map((d, i) => (oa[i + ca] ? 1 : d)), full.slice(cb).map((d, i) => (ob[i + cb] ? 1 : d))] as const);

const matmulCaseArb = fc.record({
  batch: batchPairArb,
  // 1-sized dims, the 2x4 micro-tile tails, and sizes past the small-GEMM threshold
  m: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(17, 33, 65)),
  k: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(31, 64, 129)),
  n: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(15, 37, 66)),
  ta: fc.boolean(),
  tb: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

describe('matmul vs tfjs', () => {
  it('2-D and batched, broadcast batch dims, all transpose flags, tails of the micro-tile', () => {
    fc.assert(
      fc.property(matmulCaseArb, ({ batch: [ba, bb], m, k, n, ta, tb, seed }) => {
        const a = randn([...ba, ...(ta ? [k, m] : [m, k])], seed);
        const b = randn([...bb, ...(tb ? [n, k] : [k, n])], seed + 1);
        const y = anyMatmul(a, b, { transposeA: ta, transposeB: tb });
        expect(y.shape).toEqual([...broadcast(ba, bb), m, n]);
        // tfjs accumulates in float32, our GEMM in float64: allow k roundings of O(sqrt k) sums
        expectTf(y, () => tfMatmul(a, b, ta, tb), { atol: 2e-6 * k, rtol: 1e-5 }, `[${ba}|${bb}] m${m} k${k} n${n} ta${ta} tb${tb}`);
      }),
      { seed: 42, numRuns: 120 },
    );
  });

  it('matches tf.matMul directly where tfjs broadcasting is right (one side unbatched, or equal batches)', () => {
    const a = randn([3, 2, 5, 7], 1);
    const w = randn([7, 4], 2);
    expectTf(anyMatmul(a, w), () => tf.matMul(toTf(a), toTf(w)), { atol: 1e-5 });
    const b = randn([3, 2, 4, 7], 3);
    expectTf(anyMatmul(a, b, { transposeB: true }), () => tf.matMul(toTf(a), toTf(b), false, true), { atol: 1e-5 });
  });

  it('packed-GEMM path with every block edge crossed (k > 256, m > 128, n tail)', () => {
    const a = randn([2, 1, 130, 257], 5);
    const b = randn([3, 257, 131], 6);
    expectTf(anyMatmul(a, b), () => tfMatmul(a, b, false, false), { atol: 1e-4, rtol: 1e-5 });
    const bt = randn([131, 257], 7);
    expectTf(anyMatmul(a, bt, { transposeB: true }), () => tfMatmul(a, bt, false, true), { atol: 1e-4, rtol: 1e-5 });
  });

  it('zero-sized dims give zeros / empty results', () => {
    expect(anyMatmul(randn([3, 0], 1), randn([0, 4], 2)).dataSync()).toEqual(new Float32Array(12));
    expect(anyMatmul(randn([0, 2, 3], 1), randn([3, 4], 2)).shape).toEqual([0, 2, 4]);
  });

  it('extreme values: infinities and NaN propagate like tfjs', () => {
    const a = tensor([[1e30, 1], [Number.NaN, 0]]) as T;
    const b = tensor([[1e30, 0], [1, Number.POSITIVE_INFINITY]]) as T;
    expectTf(anyMatmul(a, b), () => tf.matMul(toTf(a), toTf(b)));
  });
});

describe('dot, outer, transpose vs tfjs', () => {
  it('dot: vector·vector, matrix·vector, vector·matrix, matrix·matrix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (k, m, kind, seed) => {
        const a = randn(kind & 1 ? [m, k] : [k], seed);
        const b = randn(kind & 2 ? [k, m + 1] : [k], seed + 1);
        expectTf(anyDot(a, b), () => tf.dot(toTf(a), toTf(b)), { atol: 1e-5 });
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('outer vs tf.outerProduct', () => {
    const a = randn([5], 1);
    const b = randn([3], 2);
    expectTf(anyOuter(a, b), () => tf.outerProduct(toTf(a) as tf.Tensor1D, toTf(b) as tf.Tensor1D));
  });

  it('transpose: random ranks 0-5, perms (with negative entries), default reverse, every dtype', () => {
    const caseArb = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 5 })
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.option(fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }), { nil: undefined }),
          fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          fc.constantFrom<DType>('float32', 'int32', 'bool'),
          fc.integer(),
        ),
      );
    fc.assert(
      fc.property(caseArb, ([shape, perm, negs, dtype, seed]) => {
        const vals = normalArray(key(seed), size(shape), 0, 5);
        const data = dtype === 'float32' ? vals : dtype === 'int32' ? Int32Array.from(vals, Math.round) : Uint8Array.from(vals, (v) => (v > 0 ? 1 : 0));
        const x = makeTensor(shape, dtype, data as never) as Tensor<Dim[], DType>;
        const p = perm?.map((a, i) => (negs[i] ? a - shape.length : a));
        const y = anyTranspose(x, p);
        expect(y.dtype).toBe(dtype);
        expectTf(y, () => tf.transpose(toTf(x), perm), { atol: 0, rtol: 0 }, `shape [${shape}] perm ${JSON.stringify(p)}`);
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('identity perm returns the input itself (tensors are immutable, no copy needed)', () => {
    const x = randn([2, 3], 1);
    expect(anyTranspose(x, [0, 1])).toBe(x);
  });
});

// ---------------------------------------------------------------- derivatives

describe('matmul derivatives', () => {
  const flagSets = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const;
  const shapes = (ta: boolean, tb: boolean, ba: number[], bb: number[]) => [[...ba, ...(ta ? [4, 3] : [3, 4])], [...bb, ...(tb ? [5, 4] : [4, 5])]] as const;

  it('checkGrads order 1, fwd and rev: every flag pair, 2-D and broadcast batches', () => {
    const batches: [number[], number[]][] = [
      [[], []],
      [[2], []],
      [[], [3]],
      [[2, 1], [1, 3]],
      [[1], [2]],
    ];
    let seed = 0;
    for (const [ta, tb] of flagSets) {
      for (const [ba, bb] of batches) {
        const [sa, sb] = shapes(ta, tb, ba, bb);
        seed += 2;
        checkGrads((a: T, b: T) => anyMatmul(a, b, { transposeA: ta, transposeB: tb }), [randn(sa, seed), randn(sb, seed + 1)], { order: 1, seed });
      }
    }
  });

  it('checkGrads order 2 (grad of grad, Hessian-vector products)', () => {
    for (const [ta, tb] of flagSets) {
      const [sa, sb] = shapes(ta, tb, [2, 1], [3]);
      // a nonlinear head makes the second derivative non-trivial
      checkGrads((a: T, b: T) => sin(anyMatmul(a, b, { transposeA: ta, transposeB: tb })), [randn(sa, 30, 0.5), randn(sb, 31, 0.5)], { order: 2, seed: 3 });
    }
  });

  it('grad matches tf.grads on a matmul chain with broadcast batch and a transposed weight', () => {
    const x = randn([2, 3, 6], 1);
    const w1 = randn([6, 5], 2); // shared across the batch: its gradient sums over it
    const w2t = randn([1, 4, 5], 3); // used transposed, batch dim broadcast
    const f = (a: T, b: T, c: T) => sum(sin(anyMatmul(anyMatmul(a, b), c, { transposeB: true })));
    const ours = grad(f, { argnums: [0, 1, 2] })(x, w1, w2t) as T[];
    const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      // tfjs' BatchMatMul gradient does not unbroadcast: broadcast explicitly, broadcastTo's gradient sums
      tf.sum(tf.sin(tf.matMul(tf.matMul(a, tf.broadcastTo(b, [2, 6, 5])), tf.broadcastTo(c, [2, 4, 5]), false, true))),
    )([toTf(x), toTf(w1), toTf(w2t)]);
    ours.forEach((g, i) => expectCloseTf(g, theirs[i]!, { atol: 1e-5, rtol: 1e-4 }, `grad ${i}`));
    theirs.forEach((t) => t.dispose());
  });

  it('vjp rule: G·Bᵀ and Aᵀ·G, summed over broadcast batch dims', () => {
    const a = randn([2, 1, 3, 4], 1);
    const b = randn([3, 4, 5], 2);
    const [y, pb] = vjp((p: T, q: T) => anyMatmul(p, q), a, b);
    const g = randn(y.shape as readonly number[], 3);
    const [da, db] = pb(g);
    const ra = tf.sum(tf.matMul(toTf(g), tf.broadcastTo(toTf(b), [2, 3, 4, 5]), false, true), 1, true);
    const rb = tf.sum(tf.matMul(tf.broadcastTo(toTf(a), [2, 3, 3, 4]), toTf(g), true, false), 0);
    expectCloseTf(da, ra, { atol: 1e-5 });
    expectCloseTf(db, rb, { atol: 1e-5 });
  });

  it('jvp rule: dA·B + A·dB', () => {
    const a = randn([3, 4], 1);
    const b = randn([4, 2], 2);
    const da = randn([3, 4], 3);
    const db = randn([4, 2], 4);
    const [, t] = jvp((p: T, q: T) => anyMatmul(p, q), [a, b], [da, db]);
    expectTf(t, () => tf.add(tf.matMul(toTf(da), toTf(b)), tf.matMul(toTf(a), toTf(db))), { atol: 1e-5 });
  });

  it('dot, outer, transpose: checkGrads order 1 and 2', () => {
    checkGrads((a: T, b: T) => anyDot(a, b), [randn([6], 1), randn([6], 2)], { order: 2 });
    checkGrads((a: T, b: T) => anyDot(a, b), [randn([3, 6], 3), randn([6], 4)], { order: 2 });
    checkGrads((a: T, b: T) => anyDot(a, b), [randn([6], 5), randn([6, 2], 6)], { order: 1 });
    checkGrads((a: T, b: T) => anyOuter(a, b), [randn([3], 7), randn([4], 8)], { order: 2 });
    checkGrads((x: T) => mul(anyTranspose(x, [2, 0, 1]) as T, anyTranspose(x, [2, 0, 1]) as T), [randn([2, 3, 4], 9)], { order: 2 });
    checkGrads((x: T) => anyTranspose(x) as T, [randn([2, 3, 4], 10)], { order: 1 });
  });
});

// ---------------------------------------------------------------- contracts

describe('immutability', () => {
  it('no op writes its inputs, forward or backward', () => {
    const a = randn([2, 3, 4], 1);
    const b = randn([4, 5], 2);
    const v = randn([4], 3);
    const before = [a, b, v].map((t) => t.dataSync());
    anyMatmul(a, b);
    anyMatmul(b, a, { transposeA: true, transposeB: true });
    anyDot(b, randn([5], 4));
    anyDot(v, v);
    anyOuter(v, v);
    anyTranspose(a, [1, 2, 0]);
    grad((p: T, q: T) => sum(sin(anyMatmul(p, q))), { argnums: [0, 1] })(a, b);
    [a, b, v].forEach((t, i) => expect(t.dataSync()).toEqual(before[i]));
  });

  it('outputs never alias input data', () => {
    const a = randn([3, 3], 1);
    const y = anyTranspose(a, [1, 0]);
    expect(y._data!.buffer).not.toBe(a._data!.buffer);
  });
});

describe('runtime ShapeError when the types are bypassed', () => {
  const m = (s: number[]) => randn(s, 0);
  it('matmul: same messages as the type rules', () => {
    expect(() => anyMatmul(m([2, 784]), m([128, 10]))).toThrow(new ShapeError('matmul', 'inner dims differ (784 vs 128)'));
    expect(() => anyMatmul(m([2, 3, 4]), m([3, 4, 5]))).toThrow('matmul: batch dims not broadcastable at axis -3 (2 vs 3)');
    expect(() => anyMatmul(m([4]), m([4, 5]))).toThrow('matmul: operands need rank >= 2 (ranks 1 and 2)');
    expect(() => anyMatmul(m([3, 4]), m([3, 5]), { transposeB: true })).toThrow('matmul: inner dims differ (4 vs 5)');
    expect(() => anyMatmul(m([3, 4]), m([3, 5]), { transposeA: true })).not.toThrow();
    const ids = tensor([[1, 2]], 'int32') as unknown as T;
    expect(() => anyMatmul(ids, m([2, 2]))).toThrow('matmul: expects float32 operands, got int32');
  });
  it('dot / outer / transpose', () => {
    expect(() => anyDot(m([3]), m([4]))).toThrow('dot: inner dims differ (3 vs 4)');
    expect(() => anyDot(m([2, 3, 4]), m([4]))).toThrow('dot: operands need rank 1 or 2 (ranks 3 and 1)');
    expect(() => anyOuter(m([3, 4]), m([4]))).toThrow('outer: operands need rank 1 (ranks 2 and 1)');
    expect(() => anyTranspose(m([2, 3, 4]), [1, 0])).toThrow('transpose: perm length differs from rank (2 vs 3)');
    expect(() => anyTranspose(m([2, 3, 4]), [0, 1, 3])).toThrow('transpose: axis out of range (axis 3, rank 3)');
    expect(() => anyTranspose(m([2, 3, 4]), [0, 1, -2])).toThrow('transpose: perm repeats axis (1)');
  });
  it('abstract tracing (makeGraph) runs the same shape rule without data', () => {
    const g = makeGraph((a, b) => matmul(a as T, b as T, { transposeB: true } as never), [
      { shape: [2, 8, 16, 64], dtype: 'float32' },
      { shape: [2, 8, 16, 64], dtype: 'float32' },
    ]);
    expect(g.eqns[0]!.prim).toBe(matmulP);
    expect(g.eqns[0]!.outputs[0]!.aval.shape).toEqual([2, 8, 16, 16]);
    expect(() => makeGraph((a, b) => anyMatmul(a as T, b as T), [
      { shape: [2, 3], dtype: 'float32' },
      { shape: [2, 3], dtype: 'float32' },
    ])).toThrow('matmul: inner dims differ (3 vs 2)');
  });
});

describe('broadcast operands are read in place', () => {
  it('the kernel gets the operands’ own arrays and per-batch offsets that repeat for broadcast dims', () => {
    const calls: { a: Float32Array; aOff: number[]; b: Float32Array; bOff: number[]; batch: number; flags: [boolean, boolean] }[] = [];
    const cpu = backend();
    const spy: Backend = {
      ...cpu,
      matmul(a, aOff, b, bOff, batch, m, k, n, ta, tb) {
        calls.push({ a, aOff: Array.from(aOff), b, bOff: Array.from(bOff), batch, flags: [ta, tb] });
        return cpu.matmul(a, aOff, b, bOff, batch, m, k, n, ta, tb);
      },
    };
    const a = randn([2, 1, 3, 4], 1); // matrices of 12
    const b = randn([3, 5, 4], 2); // matrices of 20, used transposed
    setBackend(spy);
    try {
      anyMatmul(a, b, { transposeB: true });
    } finally {
      setBackend(cpu);
    }
    expect(calls).toHaveLength(1);
    const c = calls[0]!;
    expect(c.a).toBe(a._data);
    expect(c.b).toBe(b._data);
    expect(c.batch).toBe(6);
    expect(c.aOff).toEqual([0, 0, 0, 12, 12, 12]);
    expect(c.bOff).toEqual([0, 20, 40, 0, 20, 40]);
    expect(c.flags).toEqual([false, true]);
  });
});

describe('transpose flags', () => {
  it('transposed operands are read in place: matmul(a, b, {transposeB}) equals matmul(a, transpose(b))', () => {
    const a = randn([2, 3, 4], 1);
    const b = randn([2, 5, 4], 2);
    expectCloseArrays(anyMatmul(a, b, { transposeB: true }).dataSync(), anyMatmul(a, anyTranspose(b, [0, 2, 1]) as T).dataSync(), { atol: 1e-6 });
  });
});
