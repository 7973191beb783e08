/** Readable printing for the Node console: shape, dtype, and the values (elided when large). */
import type { DType, TypedArray } from './dtype';

const EDGE = 3; // items shown at each end of a long axis
const FULL_LIMIT = 1000; // print every value below this many elements

function fmt(v: number, dtype: DType): string {
  if (dtype === 'bool') return v !== 0 ? 'true' : 'false';
  if (dtype === 'int32') return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return `${v}.`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

export function formatTensor(shape: readonly number[], dtype: DType, data: TypedArray): string {
  const size = data.length;
  const elide = size > FULL_LIMIT;
  const strides: number[] = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const rec = (axis: number, offset: number, indent: string): string => {
    if (axis === shape.length) return fmt(data[offset]!, dtype);
    const n = shape[axis]!;
    const idx: (number | null)[] = [];
    if (elide && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i);
      idx.push(null);
      for (let i = n - EDGE; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    const parts = idx.map((i) => (i === null ? '...' : rec(axis + 1, offset + i * strides[axis]!, indent + ' ')));
    const sep = axis === shape.length - 1 ? ', ' : ',\n' + indent + ' ';
    return '[' + parts.join(sep) + ']';
  };
  return `Tensor<[${shape.join(', ')}], ${dtype}>\n${rec(0, 0, '')}`;
}
