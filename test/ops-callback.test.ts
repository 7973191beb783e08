/** The host callback primitive: runs when values are computed (every jit plan run), checks what it returns, has zero derivatives. */
import { describe, expect, it } from 'vitest';
import { pureCallbackRaw } from '../src/ops/callback';
import { jit } from '../src/autodiff/jit';
import { grad } from '../src/autodiff/transforms';
import { ArgumentError } from '../src/shape/dims';
import { scalar, tensor } from '../src/tensor/create';
import type { AnyTensor } from '../src/tensor/untyped';
import { mul } from '../src/ops/elementwise';
import type { Tensor } from '../src/tensor/tensor';

const twice = (x: AnyTensor, calls: { n: number }) =>
  pureCallbackRaw('twice', ([d]) => (calls.n++, [Float32Array.from(d!, (v) => 2 * v)]), [{ shape: x.shape as readonly number[], dtype: 'float32' }], [x])[0]!;

describe('pure_callback', () => {
  it('runs on every call of a jit plan, on that call’s values', () => {
    const calls = { n: 0 };
    const f = jit((x: Tensor<[3]>) => twice(x as unknown as AnyTensor, calls));
    expect(Array.from(f(tensor([1, 2, 3])).dataSync())).toEqual([2, 4, 6]);
    expect(Array.from(f(tensor([5, 6, 7])).dataSync())).toEqual([10, 12, 14]);
    expect(f.traceCount).toBe(1);
    expect(calls.n).toBe(2); // once per run, never at trace time
  });

  it('an output of the wrong kind or size is an ArgumentError naming the callback', () => {
    const bad = () => pureCallbackRaw('bad', () => [new Float32Array(2)], [{ shape: [3], dtype: 'float32' }], [tensor([1, 2, 3]) as unknown as AnyTensor]);
    expect(bad).toThrow(ArgumentError);
    expect(bad).toThrow(/bad: .*output 0 of the callback must be a Float32Array of 3 elements, got Float32Array of 2/);
    const wrongType = () => pureCallbackRaw('cnt', () => [new Float32Array(1)], [{ shape: [], dtype: 'int32' }], [scalar(1, 'int32') as unknown as AnyTensor]);
    expect(wrongType).toThrow(/must be a Int32Array of 1 elements, got Float32Array/);
  });

  it('has zero derivatives: only the other path of a product carries the gradient', () => {
    const calls = { n: 0 };
    const h = grad((x: Tensor<[]>) => mul(x, twice(x as unknown as AnyTensor, calls) as unknown as Tensor<[]>));
    // d/dx [x · c(x)] with c treated as a constant = c = 2x
    expect(h(scalar(3)).item()).toBe(6);
  });
});
