/**
 * The active kernel backend. By default the WebAssembly SIMD backend (wasm/, with worker
 * threads for large GEMM and convolutions) where the environment supports it (WebAssembly
 * with SIMD and shared memory), else the CPU backend (plain TypeScript, the reference).
 * SHAPEFLOW_BACKEND=cpu|wasm in the environment picks one; `setBackend` installs any.
 * The choice affects speed only, never results beyond float rounding.
 */
import type { Backend } from './backend';
import { cpuBackend } from './cpu';
import { createWasmBackend } from './wasm';

let current: Backend | null = null;

function defaultBackend(): Backend {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['SHAPEFLOW_BACKEND'];
  if (env === 'cpu') return cpuBackend;
  try {
    return createWasmBackend();
  } catch (e) {
    if (env === 'wasm') throw e;
    return cpuBackend;
  }
}

export function backend(): Backend {
  current ??= defaultBackend();
  return current;
}

export function setBackend(b: Backend): void {
  current = b;
}

export type { Backend } from './backend';
