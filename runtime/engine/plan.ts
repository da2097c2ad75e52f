import type { Dag, DagInput, DagNode, Gate, ModuleNode } from '../compiler/dag.js';
import { structuralHash } from '../compiler/hash.js';
import { compileExpr, type Evaluator } from './evaluate.js';

/**
 * An execution plan: what the coordinator needs to run a DAG, derived once per DAG and cached
 * (the DAG is immutable). Closures for inline expressions, dependency counts, dependent lists
 * (CSR arrays), gates and lazy-demand bookkeeping. Building a plan is O(nodes); running an
 * execution then touches only typed arrays and closures.
 */

export const KIND_INPUT = 0;
export const KIND_MODULE = 1;
export const KIND_TRANSFORM = 2;

export interface ExecutionPlan {
  readonly dag: Dag;
  readonly structuralHash: string;
  readonly size: number;
  readonly kind: Uint8Array;
  /** Unique data dependencies + 1 for a gate. */
  readonly waitCount: Int32Array;
  /** Data dependents of each node: `dependents.subarray(depStart[i], depStart[i+1])`. */
  readonly depStart: Int32Array;
  readonly dependents: Int32Array;
  /** Nodes gated on each node. */
  readonly gateStart: Int32Array;
  readonly gated: Int32Array;
  readonly gates: readonly (Gate | undefined)[];
  readonly evaluators: readonly (Evaluator | undefined)[];
  readonly envSize: Int32Array;
  /** For a recover transform: the module node whose failure it tolerates, else -1. */
  readonly recovers: Int32Array;
  /** For a module node with a fallback: its recover node, else -1 (a recovered failure does not fail the run). */
  readonly recoveredBy: Int32Array;
  /** Lazy module nodes: 1 when a lazy call must run regardless (an output or an ungated consumer). */
  readonly lazy: Uint8Array;
  readonly alwaysDemanded: Uint8Array;
  /** Lazy data dependencies of each node (demanded when the node's gate opens). */
  readonly lazyDeps: readonly (readonly number[] | undefined)[];
  /** Number of consumers of each lazy node (it becomes untaken when all settle without demand). */
  readonly lazyConsumers: Int32Array;
  /** Any gated node / any lazy call (the executor skips that bookkeeping otherwise). */
  readonly hasGates: boolean;
  readonly hasLazy: boolean;
  readonly inputIndex: ReadonlyMap<string, number>;
  /** Declared inputs sorted by name (the order `missingInputs` reports them in). */
  readonly inputsByName: readonly DagInput[];
  readonly moduleNodes: readonly ModuleNode[];
  /** The first node id of each variable name, for `resolvedNodes` and `computedNodes`. */
  readonly variableIndex: ReadonlyMap<string, number>;
}

const plans = new WeakMap<Dag, ExecutionPlan>();

export function planFor(dag: Dag, knownHash?: string): ExecutionPlan {
  let plan = plans.get(dag);
  if (!plan) {
    plan = buildPlan(dag, knownHash ?? structuralHash(dag));
    plans.set(dag, plan);
  }
  return plan;
}

function dataDeps(node: DagNode): readonly number[] {
  if (node.kind === 'module') return [...new Set(node.args)];
  if (node.kind === 'transform') return node.deps;
  return [];
}

function buildPlan(dag: Dag, hash: string): ExecutionPlan {
  const n = dag.nodes.length;
  const kind = new Uint8Array(n);
  const waitCount = new Int32Array(n);
  const recovers = new Int32Array(n).fill(-1);
  const recoveredBy = new Int32Array(n).fill(-1);
  const lazy = new Uint8Array(n);
  const alwaysDemanded = new Uint8Array(n);
  const lazyConsumers = new Int32Array(n);
  const envSize = new Int32Array(n);
  const evaluators: (Evaluator | undefined)[] = new Array(n);
  const gates: (Gate | undefined)[] = new Array(n);
  const lazyDeps: (number[] | undefined)[] = new Array(n);
  const depCount = new Int32Array(n);
  const gateCount = new Int32Array(n);
  const moduleNodes: ModuleNode[] = [];

  for (const node of dag.nodes) {
    const i = node.id;
    kind[i] = node.kind === 'input' ? KIND_INPUT : node.kind === 'module' ? KIND_MODULE : KIND_TRANSFORM;
    const deps = dataDeps(node);
    waitCount[i] = deps.length + (node.gate ? 1 : 0);
    for (const d of deps) depCount[d]!++;
    if (node.gate) {
      gates[i] = node.gate;
      gateCount[node.gate.node]!++;
    }
    if (node.kind === 'transform') {
      const compiled = compileExpr(node.expr);
      evaluators[i] = compiled.fn;
      envSize[i] = compiled.envSize;
      if (node.recovers !== undefined) {
        recovers[i] = node.recovers;
        recoveredBy[node.recovers] = i;
      }
    } else if (node.kind === 'module') {
      moduleNodes.push(node);
      if (node.options?.lazyEval) lazy[i] = 1;
    }
  }

  // CSR dependents
  const depStart = new Int32Array(n + 1);
  const gateStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    depStart[i + 1] = depStart[i]! + depCount[i]!;
    gateStart[i + 1] = gateStart[i]! + gateCount[i]!;
  }
  const dependents = new Int32Array(depStart[n]!);
  const gated = new Int32Array(gateStart[n]!);
  const depFill = depStart.slice(0, n);
  const gateFill = gateStart.slice(0, n);
  for (const node of dag.nodes) {
    for (const d of dataDeps(node)) dependents[depFill[d]!++] = node.id;
    if (node.gate) gated[gateFill[node.gate.node]!++] = node.id;
  }

  // lazy demand: a lazy call is always demanded when an output reads it or some consumer will
  // certainly run (no gate and not itself lazy); otherwise it waits for a consumer's gate.
  const outputs = new Set(dag.outputs.map((o) => o.node));
  for (const node of dag.nodes) {
    const deps = dataDeps(node);
    const lazyOnes = deps.filter((d) => lazy[d]);
    if (lazyOnes.length === 0) continue;
    lazyDeps[node.id] = lazyOnes;
    for (const d of lazyOnes) {
      lazyConsumers[d]!++;
      if (!node.gate && !lazy[node.id]) alwaysDemanded[d] = 1;
    }
  }
  for (const o of outputs) if (lazy[o]) alwaysDemanded[o] = 1;
  // demand flows through chains of lazy calls
  for (let i = n - 1; i >= 0; i--) {
    if (lazy[i] && alwaysDemanded[i]) for (const d of lazyDeps[i] ?? []) alwaysDemanded[d] = 1;
  }

  const inputIndex = new Map<string, number>();
  for (const input of dag.inputs) inputIndex.set(input.name, input.node);
  const variableIndex = new Map<string, number>();
  dag.variables.forEach((v, i) => {
    if (v !== null && !variableIndex.has(v)) variableIndex.set(v, i);
  });

  return {
    dag, structuralHash: hash, size: n, kind, waitCount, depStart, dependents, gateStart, gated, gates, evaluators, envSize,
    hasGates: gates.some((g) => g !== undefined), hasLazy: lazy.some((l) => l === 1),
    inputsByName: [...dag.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    recovers, recoveredBy, lazy, alwaysDemanded, lazyDeps, lazyConsumers, inputIndex, moduleNodes, variableIndex,
  };
}
