/**
 * The active kernel backend. The CPU backend (plain TypeScript) is the default and the
 * reference; a faster one (WebAssembly SIMD, threads) can be installed with setBackend.
 * The choice affects speed only, never results beyond float rounding.
 */
import type { Backend } from './backend';
import { cpuBackend } from './cpu';

let current: Backend = cpuBackend;

export function backend(): Backend {
  return current;
}

export function setBackend(b: Backend): void {
  current = b;
}

export type { Backend } from './backend';
