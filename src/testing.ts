/**
 * shapeflow/testing: what our own property tests use, shipped for users' suites —
 * fast-check arbitraries for shapes, conv/pool cases and float arrays, and checkGrads.
 */
export * from './testing/arbitraries';
export { checkGrads, type CheckGradsOptions } from './testing/check-grads';
