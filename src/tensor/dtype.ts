/** Storage for each element type (the type itself is shape/dtype's DType, re-exported here). */
import type { DType } from '../shape/dtype';
export type { DType };

export type DataFor<D extends DType> = D extends 'float32' ? Float32Array : D extends 'int32' ? Int32Array : Uint8Array;

export type TypedArray = Float32Array | Int32Array | Uint8Array;

export function allocFor(dtype: DType, size: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
}

export function dtypeOfArray(a: TypedArray): DType {
  return a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : 'bool';
}
