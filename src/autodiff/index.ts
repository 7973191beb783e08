export { grad, valueAndGrad, vjp, jvp, makeGraph, traceGraph, stopGradient, customVjp, type Scalar, type GradOptions, type GradOf } from './transforms';
export { printGraph, evalGraph, sameGraph, type Graph, type Eqn, type Var, type Atom, type Literal } from './graph';
export { treeFlatten, treeLeaves, treeMap, type Flat } from './pytree';
export type { Primitive, AVal } from './core';
export type { PrimitiveName } from './primitive-names';
export type { Leaf } from './pytree';
export type { BatchDim, BatchResult, BatchContext } from './core';
export { jit, DonatedTensorError, type JitOptions, type JitInfo } from './jit';
