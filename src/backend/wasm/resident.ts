/**
 * Arrays that live in the kernel memory: a fixed pool of the shared memory, between the
 * instances' scratch regions and the per-call heap, handed out as Float32Array views. jit
 * plans put their donated outputs and their own intermediates here, so a training step's
 * params and optimizer state stay in the memory the kernels read (no copy in or out) and a
 * kernel can read such an array in place (`addressOf`).
 *
 * A view is freed when it is garbage collected (a FinalizationRegistry gives its bytes back),
 * so users never free anything. Collection is lazy and its callbacks run only between tasks,
 * so a long synchronous loop that keeps allocating fills the pool: `alloc` then returns null
 * and the caller uses an ordinary array. Only shared memory is used: an unshared memory's
 * buffer is detached when it grows, which would invalidate every view.
 */

/** bytes of address space the pool takes by default (pages are committed only as touched) */
export const RESIDENT_BYTES = 256 * 1024 * 1024;

/** allocation granule: 64 bytes (a cache line), which also covers the SIMD loops' overrun */
const GRAIN = 64;

export interface ResidentPool {
  /** a view of n floats in the kernel memory (zeroed), or null: no pool, or no room */
  alloc(n: number): Float32Array | null;
  /** the byte address of a pool view, or -1 for any other array */
  addressOf(a: Float32Array): number;
  /** bytes in use and capacity (diagnostics, tests) */
  stats(): { readonly used: number; readonly capacity: number; readonly live: number };
}

interface Memoryish {
  readonly buffer: ArrayBufferLike;
}

/**
 * A first-fit pool over [base, base + bytes) of `memory` (already addressable). Every region
 * carries GRAIN spare bytes past its end: kernels' vector loops may write up to 3 floats past
 * a length that is not a multiple of 4.
 */
export function createResidentPool(memory: Memoryish | null, base: number, bytes: number): ResidentPool {
  // free list: sorted, non-adjacent [address, size] runs
  const free: [number, number][] = bytes > 0 ? [[base, bytes]] : [];
  const addresses = new WeakMap<Float32Array, number>();
  let used = 0;
  let live = 0;

  function release(at: number, size: number): void {
    used -= size;
    live--;
    let i = 0;
    while (i < free.length && free[i]![0] < at) i++;
    free.splice(i, 0, [at, size]);
    // coalesce with the next run, then with the previous one
    if (i + 1 < free.length && free[i]![0] + free[i]![1] === free[i + 1]![0]) {
      free[i]![1] += free[i + 1]![1];
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1]![0] + free[i - 1]![1] === free[i]![0]) {
      free[i - 1]![1] += free[i]![1];
      free.splice(i, 1);
    }
  }
  const collected = new FinalizationRegistry<[number, number]>(([at, size]) => release(at, size));

  return {
    alloc(n: number): Float32Array | null {
      if (memory === null || !Number.isInteger(n) || n <= 0) return null;
      const size = Math.ceil((n * 4) / GRAIN) * GRAIN + GRAIN;
      const i = free.findIndex(([, s]) => s >= size);
      if (i === -1) return null;
      const run = free[i]!;
      const at = run[0];
      if (run[1] === size) free.splice(i, 1);
      else {
        run[0] += size;
        run[1] -= size;
      }
      used += size;
      live++;
      const view = new Float32Array(memory.buffer, at, n);
      view.fill(0); // a freed region holds its last owner's values
      addresses.set(view, at);
      collected.register(view, [at, size]);
      return view;
    },
    addressOf: (a) => addresses.get(a) ?? -1,
    stats: () => ({ used, capacity: bytes, live }),
  };
}
