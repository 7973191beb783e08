export * from './elementwise';
export { sum, reshape, sumToShape } from './reduce-core';
