/** The six loop forms of a binary element-wise kernel (see ./elementwise's broadcasting notes). */
import type { F32 } from '../backend';
/** Both operands advance: o[oo+i] = a[ao+i] op b[bo+i]. */
export type VV = (a: F32, ao: number, b: F32, bo: number, o: F32, oo: number, n: number) => void;
/** b is the scalar s. */
export type VS = (a: F32, ao: number, s: number, o: F32, oo: number, n: number) => void;
/** a is the scalar s. */
export type SV = (s: number, b: F32, bo: number, o: F32, oo: number, n: number) => void;
/** Offset-free forms for the same-shape and scalar paths. */
export type FF = (a: F32, b: F32, o: F32, n: number) => void;
export type FS = (a: F32, s: number, o: F32, n: number) => void;
export type SF = (s: number, b: F32, o: F32, n: number) => void;
export interface BinaryLoops {
  readonly ff: FF;
  readonly fs: FS;
  readonly sf: SF;
  readonly vv: VV;
  readonly vs: VS;
  readonly sv: SV;
}
