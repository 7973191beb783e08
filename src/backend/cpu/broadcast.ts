/**
 * Broadcast planning shared by the element-wise kernels (binary, compare, where).
 *
 * Operand shapes are right-aligned against the output shape; every operand gets an element
 * stride per output dim (0 where it broadcasts). Output dims of size 1 are dropped and
 * adjacent dims are merged wherever every operand stays contiguous across them, so
 * [N, C] + [C] becomes a 2-D plan (b stride 0 on the rows), [A, B, C] + [A, B, C] a 1-D one,
 * and only genuinely interleaved patterns keep more dims. The innermost planned dim then
 * runs as a tight loop and the outer dims as an odometer.
 */
export interface BroadcastPlan {
  /** planned output dims (product = output size), at least one */
  readonly dims: number[];
  /** strides[k][d]: element stride of operand k along planned dim d (0 = broadcast) */
  readonly strides: number[][];
}

export function planBroadcast(
  shapes: readonly (readonly number[])[],
  outShape: readonly number[],
): BroadcastPlan {
  const rank = outShape.length;
  const k = shapes.length;
  // Full-rank strides per operand, outermost first.
  const full: number[][] = [];
  for (let j = 0; j < k; j++) {
    const s = shapes[j]!;
    const off = rank - s.length;
    const st = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let d = rank - 1; d >= off; d--) {
      const n = s[d - off]!;
      st[d] = n === 1 ? 0 : acc;
      acc *= n;
    }
    full.push(st);
  }
  const dims: number[] = [];
  const strides: number[][] = [];
  for (let j = 0; j < k; j++) strides.push([]);
  // Walk from the innermost dim outwards, merging into the current outermost planned dim.
  for (let d = rank - 1; d >= 0; d--) {
    const n = outShape[d]!;
    if (n === 1) continue;
    const last = dims.length - 1;
    let merge = last >= 0;
    if (merge) {
      const inner = dims[last]!;
      for (let j = 0; j < k; j++) {
        const sj = strides[j]!;
        if (full[j]![d] !== sj[last]! * inner) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      dims[last] = dims[last]! * n;
    } else {
      dims.push(n);
      for (let j = 0; j < k; j++) strides[j]!.push(full[j]![d]!);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    for (let j = 0; j < k; j++) strides[j]!.push(0);
  }
  dims.reverse();
  for (let j = 0; j < k; j++) strides[j]!.reverse();
  return { dims, strides };
}
