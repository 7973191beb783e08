export { grad, valueAndGrad, vjp, jvp, makeGraph, traceGraph, stopGradient, customVjp, type Scalar, type GradOptions } from './transforms';
export { printGraph, evalGraph, sameGraph, type Graph, type Eqn, type Var, type Atom, type Literal } from './graph';
export { treeFlatten, treeLeaves, treeMap, type Flat } from './pytree';
export type { Primitive, AVal } from './core';
export { jit, type JitOptions, type JitInfo } from './jit';
