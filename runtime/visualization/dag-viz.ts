import type { Dag, DagNode } from '../compiler/dag.js';
import type { IrExpr } from '../compiler/ir.js';
import { printType } from '../types/type.js';

/**
 * The visualization graph of a compiled pipeline (the dashboard's and the editor's DAG view):
 * one node per input, module call, inline expression and declared output, with data edges
 * (labelled with the parameter they feed) and control edges (the gates of conditional work).
 * Positions are filled by `layoutDag` (layout.ts).
 */

export type VizNodeKind =
  | 'Input' | 'Output' | 'Operation' | 'Literal' | 'Merge' | 'Project' | 'FieldAccess' | 'Conditional' | 'Guard'
  | 'Branch' | 'Coalesce' | 'HigherOrder' | 'ListLiteral' | 'BooleanOp' | 'StringInterp';

export interface VizNode {
  readonly id: string;
  readonly kind: VizNodeKind;
  readonly label: string;
  readonly typeSignature: string;
  position: { x: number; y: number } | null;
  executionState: { status: 'Pending' | 'Running' | 'Completed' | 'Failed'; value: unknown; durationMs: number | null; error: string | null } | null;
}

export interface VizEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly label: string | null;
  readonly kind: 'Data' | 'Optional' | 'Control';
}

export interface VizGroup {
  readonly id: string;
  readonly label: string;
  readonly nodeIds: readonly string[];
  readonly collapsed: boolean;
}

export interface DagViz {
  readonly nodes: VizNode[];
  readonly edges: VizEdge[];
  readonly groups: VizGroup[];
  metadata: { title: string | null; layoutDirection: 'TB' | 'LR'; bounds: { minX: number; minY: number; maxX: number; maxY: number } | null };
}

function kindAndLabel(expr: IrExpr): { kind: VizNodeKind; label: string } {
  switch (expr.op) {
    case 'coerce': return kindAndLabel(expr.source);
    case 'lit': return { kind: 'Literal', label: typeof expr.value === 'string' ? JSON.stringify(expr.value) : String(expr.value) };
    case 'record': return { kind: 'Literal', label: `{ ${expr.fields.slice(0, 3).map((f) => f[0]).join(', ')}${expr.fields.length > 3 ? ', ...' : ''} }` };
    case 'list': return { kind: 'ListLiteral', label: `[${expr.items.length} items]` };
    case 'merge': return { kind: 'Merge', label: '+' };
    case 'project': return { kind: 'Project', label: `[${expr.names.slice(0, 3).join(', ')}${expr.names.length > 3 ? ', ...' : ''}]` };
    case 'field': return { kind: 'FieldAccess', label: `.${expr.name}` };
    case 'if': return { kind: 'Conditional', label: 'if/else' };
    case 'when': return { kind: 'Guard', label: 'when' };
    case 'coalesce': return { kind: 'Coalesce', label: '??' };
    case 'recover': return { kind: 'Coalesce', label: 'fallback' };
    case 'branch': return { kind: 'Branch', label: `branch (${expr.conds.length + 1} cases)` };
    case 'match': return { kind: 'Branch', label: `match (${expr.cases.length} cases)` };
    case 'matchIndex': case 'select': return { kind: 'Branch', label: 'match' };
    case 'and': return { kind: 'BooleanOp', label: 'AND' };
    case 'or': return { kind: 'BooleanOp', label: 'OR' };
    case 'not': return { kind: 'BooleanOp', label: 'NOT' };
    case 'interp': return { kind: 'StringInterp', label: 'interpolate' };
    case 'hof': return { kind: 'HigherOrder', label: expr.fn };
    case 'arith': return { kind: 'Operation', label: expr.fn };
    case 'cmp': return { kind: 'Operation', label: expr.fn };
    case 'neg': return { kind: 'Operation', label: '-' };
    case 'call': return { kind: 'Operation', label: expr.fn };
    default: return { kind: 'Operation', label: expr.op };
  }
}

function describe(dag: Dag, node: DagNode): { kind: VizNodeKind; label: string } {
  switch (node.kind) {
    case 'input': return { kind: 'Input', label: node.name };
    case 'module': return { kind: 'Operation', label: node.function };
    case 'transform': {
      const described = kindAndLabel(node.expr);
      const variable = dag.variables[node.id];
      return variable && described.kind !== 'Literal' ? { ...described, label: `${variable} = ${described.label}` } : described;
    }
  }
}

export function dagToViz(dag: Dag, title: string | null = null): DagViz {
  const nodes: VizNode[] = [];
  const edges: VizEdge[] = [];
  let edgeCount = 0;
  const edge = (source: number | string, target: number | string, label: string | null, kind: VizEdge['kind']): void => {
    edges.push({ id: `e${++edgeCount}`, source: String(source), target: String(target), label, kind });
  };
  for (const node of dag.nodes) {
    const { kind, label } = describe(dag, node);
    nodes.push({ id: String(node.id), kind, label, typeSignature: printType(node.type), position: null, executionState: null });
    if (node.kind === 'module') node.args.forEach((arg, i) => edge(arg, node.id, node.params[i] ?? null, dag.nodes[arg]!.type.k === 'Optional' ? 'Optional' : 'Data'));
    else if (node.kind === 'transform') for (const dep of node.deps) edge(dep, node.id, null, 'Data');
    if (node.gate) edge(node.gate.node, node.id, node.gate.test === 'case' ? `case ${node.gate.index}` : node.gate.test, 'Control');
  }
  for (const out of dag.outputs) {
    const id = `out:${out.name}`;
    nodes.push({ id, kind: 'Output', label: out.name, typeSignature: printType(out.type), position: null, executionState: null });
    edge(out.node, id, 'value', 'Data');
  }
  return { nodes, edges, groups: [], metadata: { title, layoutDirection: 'TB', bounds: null } };
}
