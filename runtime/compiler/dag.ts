import type { Type } from '../types/type.js';
import type { IrExpr, NodeId } from './ir.js';
import type { ModuleCallOptions } from './options.js';

/**
 * The compiled pipeline: a DAG of plain data (no closures), versioned, so it can be hashed,
 * stored, sent across threads with msgpackr and across instances over NATS.
 *
 * Nodes are numbered in creation order, which is a topological order (a node only reads nodes
 * created before it). Three kinds:
 * - `input`: a declared pipeline input;
 * - `module`: a call of a registered function (a module), with its options;
 * - `transform`: an inline expression tree over other nodes (cheap, evaluated on the spot).
 *
 * A node may carry a `gate`: it runs only when the gate node's outcome passes the test. Gates are
 * how untaken work is not run (docs/decisions.md #6): the modules of an untaken `if` arm, the right
 * side of `and`/`or`/`??` when not needed, a guarded expression whose guard is false, a fallback
 * whose call succeeded. A node whose gate does not pass is `untaken` (which is not a failure).
 */

export const DAG_FORMAT_VERSION = 1;

export type GateTest = 'true' | 'false' | 'absent' | 'failed' | 'case';

export interface Gate {
  readonly node: NodeId;
  readonly test: GateTest;
  /** For `case`: the match case index the gate node must select. */
  readonly index?: number;
}

interface NodeBase {
  readonly id: NodeId;
  /** Display name: the variable it is bound to, the function it calls, or a synthetic label. */
  readonly name: string;
  readonly type: Type;
  readonly gate?: Gate;
}

export interface InputNode extends NodeBase {
  readonly kind: 'input';
}

export interface ModuleNode extends NodeBase {
  readonly kind: 'module';
  /** Registry name of the module that runs (`stdlib.add`, `Uppercase`, `ns.fn`). */
  readonly module: string;
  /** The function as resolved by the compiler (`stdlib.math.add`). */
  readonly function: string;
  /** Parameter names, in argument order (= the module's input field names). */
  readonly params: readonly string[];
  /** Argument nodes, in parameter order. */
  readonly args: readonly NodeId[];
  readonly outputField: string;
  readonly options?: ModuleCallOptions;
}

export interface TransformNode extends NodeBase {
  readonly kind: 'transform';
  readonly expr: IrExpr;
  /** Nodes the expression reads. */
  readonly deps: readonly NodeId[];
  /** Runs even when the node in a `recover` failed (the fallback of a module call). */
  readonly recovers?: NodeId;
}

export type DagNode = InputNode | ModuleNode | TransformNode;

export interface DagInput {
  readonly name: string;
  readonly type: Type;
  readonly node: NodeId;
}

export interface DagOutput {
  readonly name: string;
  readonly type: Type;
  readonly node: NodeId;
}

export interface Dag {
  readonly formatVersion: typeof DAG_FORMAT_VERSION;
  readonly inputs: readonly DagInput[];
  readonly outputs: readonly DagOutput[];
  readonly nodes: readonly DagNode[];
  /** Layer of each node (index = node id): 0 for inputs, 1 + max(layer of dependencies). */
  readonly layers: readonly number[];
  /** Variable name bound to each node, where there is one (index = node id). */
  readonly variables: readonly (string | null)[];
}

/** Source ranges of nodes, kept beside the DAG: formatting must not change the DAG's hash. */
export type DagSourceMap = readonly (readonly [start: number, end: number] | null)[];

export function dependenciesOf(node: DagNode): readonly NodeId[] {
  const deps = node.kind === 'module' ? node.args : node.kind === 'transform' ? node.deps : [];
  return node.gate ? [...deps, node.gate.node] : deps;
}

/** Kahn layering: layer(input) = 0, layer(node) = 1 + max(layer of dependencies). */
export function computeLayers(nodes: readonly DagNode[]): number[] {
  const layers = new Array<number>(nodes.length).fill(0);
  for (const node of nodes) {
    let layer = 0;
    for (const dep of dependenciesOf(node)) layer = Math.max(layer, layers[dep]! + 1);
    layers[node.id] = node.kind === 'input' ? 0 : layer;
  }
  return layers;
}
