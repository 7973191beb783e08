/**
 * Element types, the other half of a tensor's static description beside its shape. float32 for
 * values, int32 for indices (token ids, labels), bool for masks. Storage for each lives in
 * tensor/dtype.ts, one layer up.
 */
export type DType = 'float32' | 'int32' | 'bool';
