/**
 * Reductions in the kernel memory. Only the sum over leading axes — [rows, cols] → [cols], the
 * bias and broadcast gradients of every dense layer — runs in wasm (reduce.wat: float64 column
 * sums in the cpu kernel's order, so the bits agree); everything else is the cpu kernel's.
 * Measured on a Transformer training step: 52 such sums of [1024, 128 / 512] took 13 ms of
 * the step's 16 ms of reductions in the cpu kernel.
 */
import type { Backend, F32, ReduceOp } from '../backend';
import { cpuBackend } from '../cpu';
import { reduceGroups } from '../cpu/reduce';
import { copyView, region, type WasmRuntime } from './runtime';

/** below this many elements the cpu kernel's loop beats the copy in */
const MIN_ELEMS = 4096;

export function wasmReduce(rt: WasmRuntime): Pick<Backend, 'reduce'> {
  const colsum = rt.fn<(x: number, rows: number, cols: number, o: number) => void>('colsum_f64');
  return {
    reduce(op: ReduceOp, x: F32, shape: readonly number[], axes: readonly number[]): F32 {
      if (op === 'sum' && x.length >= MIN_ELEMS) {
        const { sizes, reduced } = reduceGroups(shape, axes);
        const cols = sizes[1] ?? 0;
        if (sizes.length === 2 && reduced[0] === true && cols % 4 === 0) {
          const rows = sizes[0]!;
          const px = rt.heapBase, po = px + region(x.length);
          rt.reserve(po - px + region(cols));
          rt.f32().set(x, px >> 2);
          colsum(px, rows, cols, po);
          return copyView(rt.f32(), po >> 2, (po >> 2) + cols);
        }
      }
      return cpuBackend.reduce(op, x, shape, axes);
    },
  };
}
