export * from './dims';
export type * from './arith';
export * from './rules';
