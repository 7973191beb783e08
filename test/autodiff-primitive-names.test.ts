import { describe, expect, it } from 'vitest';
import { PRIMITIVE_NAMES, isPrimitiveName } from '../src/autodiff/primitive-names';
import { ONNX_SUPPORTED_PRIMITIVES } from '../src/io';
import { makeGraph, stopGradient } from '../src/autodiff';

/** every module that declares kernel primitives */
/** vite's import.meta.glob (typed here rather than pulling vite/client's globals into the whole program) */
type Glob = (patterns: string[], options: { eager: true }) => Record<string, unknown>;
const modules = (import.meta as ImportMeta & { glob: Glob }).glob(['../src/ops/*.ts', '../src/nn/layers/*.ts', '../src/autodiff/*.ts'], { eager: true });

function declaredPrimitives(): string[] {
  const names = new Set<string>();
  for (const mod of Object.values(modules)) {
    for (const v of Object.values(mod as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null && 'name' in v && 'shape' in v && 'impl' in v && typeof (v as { impl: unknown }).impl === 'function') {
        names.add((v as { name: string }).name);
      }
    }
  }
  return [...names];
}

describe('primitive names', () => {
  it('the list has no duplicates', () => {
    expect(new Set(PRIMITIVE_NAMES).size).toBe(PRIMITIVE_NAMES.length);
  });
  it('every exported primitive is in the list, and every listed name but stop_gradient is an exported primitive', () => {
    const declared = declaredPrimitives();
    expect(declared.filter((n) => !isPrimitiveName(n))).toEqual([]);
    expect(PRIMITIVE_NAMES.filter((n) => !declared.includes(n))).toEqual(['stop_gradient']);
    // stop_gradient is module-private; check it through a trace
    const g = makeGraph((x) => stopGradient(x as never), // makeGraph hands untyped tensors
      [{ shape: [], dtype: 'float32' }]);
    expect(g.eqns.map((e) => e.prim.name)).toEqual(['stop_gradient']);
  });
  it('ONNX maps a subset of them', () => {
    expect(ONNX_SUPPORTED_PRIMITIVES.every(isPrimitiveName)).toBe(true);
    expect(ONNX_SUPPORTED_PRIMITIVES.length).toBeGreaterThan(50);
  });
});
