/**
 * Pytrees: plain nested records, arrays and tuples whose leaves are tensors. Anything
 * else inside (numbers, strings, booleans, null, functions, class instances other than
 * Tensor) is static structure: carried along unchanged, never differentiated.
 */
import { Tensor, makeTensor } from '../tensor/tensor';
import type { AnyTensor } from './core';
import type { Dim } from '../shape/dims';

export interface Flat<T> {
  readonly leaves: AnyTensor[];
  /** key path of each leaf, e.g. "layers.0.kernel" */
  readonly paths: string[];
  rebuild(leaves: readonly AnyTensor[]): T;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function treeFlatten<T>(tree: T): Flat<T> {
  const leaves: AnyTensor[] = [];
  const paths: string[] = [];
  const build = (node: unknown, path: string): ((ls: readonly AnyTensor[]) => unknown) => {
    if (node instanceof Tensor) {
      const i = leaves.length;
      leaves.push(node as AnyTensor);
      paths.push(path);
      return (ls) => ls[i];
    }
    if (Array.isArray(node)) {
      const parts = node.map((c, j) => build(c, path === '' ? String(j) : `${path}.${j}`));
      return (ls) => parts.map((p) => p(ls));
    }
    if (isPlainObject(node)) {
      const keys = Object.keys(node);
      const parts = keys.map((k) => build(node[k], path === '' ? k : `${path}.${k}`));
      return (ls) => {
        const out: Record<string, unknown> = {};
        keys.forEach((k, j) => {
          const v = parts[j]!(ls);
          // an own "__proto__" key (JSON.parse makes one): assigning it would set the prototype
          if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
          else out[k] = v;
        });
        return out;
      };
    }
    return () => node;
  };
  const rebuildFn = build(tree, '');
  const n = leaves.length;
  return {
    leaves,
    paths,
    rebuild(ls) {
      if (ls.length !== n) throw new Error(`pytree rebuild: expected ${n} leaves, got ${ls.length}`);
      return rebuildFn(ls) as T;
    },
  };
}

export function treeLeaves(tree: unknown): AnyTensor[] {
  return treeFlatten(tree).leaves;
}

/** A leaf as tree functions see it: a float32 tensor of some shape. */
export type Leaf = Tensor<Dim[], 'float32'>;

/** Map over the leaves of one or more pytrees of the same structure (the function must keep each leaf's shape). */
export function treeMap<T>(f: (...leaves: Leaf[]) => Leaf, tree: T, ...rest: readonly T[]): T {
  const flat = treeFlatten(tree);
  const others = rest.map((r) => treeFlatten(r));
  for (const o of others) {
    if (o.leaves.length !== flat.leaves.length || o.paths.some((p, i) => p !== flat.paths[i])) {
      throw new Error(`treeMap: pytrees differ in structure (${flat.paths.join(', ')} vs ${o.paths.join(', ')})`);
    }
  }
  // cast: tree functions see float32 leaves of some shape; f keeps each leaf's shape (documented above)
  return flat.rebuild(flat.leaves.map((l, i) => f(l as unknown as Leaf, ...others.map((o) => o.leaves[i]! as unknown as Leaf)) as unknown as AnyTensor));
}

/**
 * A copy of every concrete tensor leaf (any dtype), the structure and other leaves as they are:
 * own arrays for a loop that donates its params and state to jit (nn.fit, the benchmarks).
 */
export function treeCopy<T>(tree: T): T {
  const f = treeFlatten(tree);
  // cast: each copy is the same dtype's array type; rebuild gives back T's structure
  return f.rebuild(f.leaves.map((l) => (l._data === null ? l : makeTensor(l.shape as readonly number[], l.dtype, l._data.slice() as never)))) as T;
}
