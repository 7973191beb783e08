/** The public options and constants of ONNX export (kept apart so every part can import them). */
import type { DType } from '../../tensor/dtype';

export const ONNX_OPSET = 17;
/** the IR version that goes with opset 17 */
export const IR_VERSION = 8;

export interface OnnxInput {
  readonly name: string;
  /** numbers are static dims; strings name dynamic axes (the same name = the same size) */
  readonly shape: readonly (number | string)[];
  /** default float32 */
  readonly dtype?: DType;
}

export interface ExportOnnxOptions {
  /** names of the graph outputs, one per tensor leaf of the function's result */
  readonly outputNames?: readonly string[];
  /** the two sizes each dynamic dim is traced at (distinct integers >= 2) */
  readonly traceSizes?: Readonly<Record<string, readonly [number, number]>>;
  /**
   * The largest size a dynamic dim will take at run time, for constants that grow with it (a
   * sinusoidal position table [seq, d], a causal mask [seq, seq]): the function is traced once
   * more at these sizes, the constants are stored at that size and sliced to the run-time one.
   */
  readonly maxSizes?: Readonly<Record<string, number>>;
  readonly graphName?: string;
  readonly docString?: string;
  /** model metadata_props */
  readonly metadata?: Readonly<Record<string, string>>;
}

export type AnyFn = (...args: any[]) => unknown;
