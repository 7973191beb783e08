/**
 * Every primitive the library registers, found by walking src/ (examples and kernel backends
 * excluded: they define none) for exported values shaped like a Primitive, so a new primitive
 * shows up in the suites that enumerate them instead of being skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyTensor, Primitive } from '../../src/autodiff/core';
import { makeGraph, stopGradient } from '../../src/autodiff/transforms';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '../../src');

export async function enumeratePrimitives(): Promise<Map<string, Primitive<unknown>>> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        if (p !== join(srcDir, 'examples') && p !== join(srcDir, 'backend')) walk(p);
      } else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(srcDir);
  const found = new Map<string, Primitive<unknown>>();
  for (const f of files) {
    const mod = (await import(f)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      const p = v as Primitive<unknown>;
      if (p && typeof p === 'object' && typeof p.name === 'string' && typeof p.impl === 'function' && typeof p.shape === 'function') {
        const prev = found.get(p.name);
        if (prev && prev !== p) throw new Error(`two primitives are named '${p.name}'`);
        found.set(p.name, p);
      }
    }
  }
  // stop_gradient is module-private: take it from a trace
  const sg = makeGraph((x) => stopGradient(x as never) as unknown as AnyTensor, [{ shape: [], dtype: 'float32' }]).eqns[0]!.prim as Primitive<unknown>;
  found.set(sg.name, sg);
  return found;
}
