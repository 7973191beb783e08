/**
 * Fusion of element-wise chains (filled in by the next step).
 */
import type { AnyTensor } from './core';
import type { Eqn, Graph, Var, Atom } from './graph';

export interface Cluster {
  readonly eqnCount: number;
}

export interface FusedStep {
  readonly kind: 'fused';
  readonly ins: readonly number[];
  readonly outs: readonly number[];
  run(ins: readonly AnyTensor[]): AnyTensor[];
}

export interface ClusterGroup {
  readonly cluster: Cluster;
  bind(slot: (a: Atom) => number, defSlot: (v: Var) => number): FusedStep;
}

export function fuseClusters(graph: Graph): (Eqn | ClusterGroup)[] {
  return graph.eqns.slice();
}
