/**
 * Leaf-by-leaf comparison of two pytrees that must have one structure (params and grads, an
 * optimizer's state slots, updates): the first difference is reported with its path and both
 * shapes as a TreeMismatchError, never broadcast and never a raw list of every path.
 */
import { TreeMismatchError } from '../shape/dims';
import type { AnyTensor } from '../autodiff/core';

interface FlatLike {
  readonly leaves: readonly AnyTensor[];
  readonly paths: readonly string[];
}

/** A key path as code would spell it: "2.kernel" → "[2].kernel", "layers.0.bias" → "layers[0].bias". */
export function formatPath(path: string): string {
  if (path === '') return '(root)';
  return path
    .split('.')
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

const shapeText = (t: AnyTensor) => `[${(t.shape as readonly number[]).join(', ')}]`;

/**
 * Throw a TreeMismatchError from `op` unless `a` (called `aName`, e.g. 'grads') has the leaves
 * of `b` ('params') at the same paths, in the same order, with the same shapes and dtypes.
 */
export function checkSameTree(op: string, aName: string, a: FlatLike, bName: string, b: FlatLike): void {
  const fail = (path: string, detail: string, actual: AnyTensor | null, expected: AnyTensor | null): never => {
    const at = formatPath(path);
    throw new TreeMismatchError(op, `${aName} differ from ${bName} at ${at}: ${detail}`, at, actual && (actual.shape as readonly number[]), expected && (expected.shape as readonly number[]));
  };
  const n = Math.max(a.paths.length, b.paths.length);
  for (let i = 0; i < n; i++) {
    const pa = a.paths[i];
    const pb = b.paths[i];
    if (pa !== pb) {
      // report the leaf that is missing on one side, looked up by path (so an extra leaf in the
      // middle is named, not the shifted one after it)
      const inB = new Set(b.paths);
      const inA = new Set(a.paths);
      if (pa !== undefined && !inB.has(pa)) fail(pa, `${shapeText(a.leaves[i]!)} vs no leaf (${bName} have none there)`, a.leaves[i]!, null);
      if (pb !== undefined && !inA.has(pb)) fail(pb, `no leaf vs ${shapeText(b.leaves[i]!)} (${aName} have none there)`, null, b.leaves[i]!);
      fail(pa ?? pb!, `the leaves come in a different order (${aName}: ${formatPath(pa ?? '')}, ${bName}: ${formatPath(pb ?? '')}); build both trees with the same key order`, null, null);
    }
    const la = a.leaves[i]!;
    const lb = b.leaves[i]!;
    const sa = la.shape as readonly number[];
    const sb = lb.shape as readonly number[];
    if (sa.length !== sb.length || sa.some((d, k) => d !== sb[k])) fail(pa!, `${shapeText(la)} vs ${shapeText(lb)}`, la, lb);
    if (la.dtype !== lb.dtype) fail(pa!, `${shapeText(la)} ${la.dtype} vs ${shapeText(lb)} ${lb.dtype}`, la, lb);
  }
}
