/**
 * The types shared by the runtime (runtime.ts) and the worker pools (threads.ts): the kernel
 * module's exports and the memory they run on. Their own module so that neither of the two
 * imports the other's types (no import circle).
 */

// The project compiles without the DOM lib, so the few WebAssembly members used are typed here.
export interface WasmMemory { readonly buffer: ArrayBufferLike; grow(pages: number): number }

/** the kernel exports used from JavaScript (fragments add more; look them up with `fn`) */
export interface KernelExports {
  readonly heap_base: { readonly value: number };
  readonly scratch_bytes: { readonly value: number };
  readonly max_instances: { readonly value: number };
  readonly work_offset: { readonly value: number };
  set_scratch(p: number): void;
  gemm(a: number, ars: number, acs: number, b: number, brs: number, bcs: number,
    c: number, ldc: number, m: number, k: number, n: number, acc: number): void;
  gemm_chunk(job: number, i: number): void;
  add_vv(a: number, b: number, o: number, n: number): void;
  sub_vv(a: number, b: number, o: number, n: number): void;
  mul_vv(a: number, b: number, o: number, n: number): void;
  div_vv(a: number, b: number, o: number, n: number): void;
  add_vs(a: number, s: number, o: number, n: number): void;
  sub_vs(a: number, s: number, o: number, n: number): void;
  mul_vs(a: number, s: number, o: number, n: number): void;
  div_vs(a: number, s: number, o: number, n: number): void;
  sub_sv(b: number, s: number, o: number, n: number): void;
  div_sv(b: number, s: number, o: number, n: number): void;
  unary(op: number, x: number, o: number, n: number): void;
  clip(x: number, lo: number, hi: number, o: number, n: number): void;
}
