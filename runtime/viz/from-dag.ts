import type { Dag, DagNode } from '../compiler/dag.js';
import type { IrExpr } from '../compiler/ir.js';
import { printType } from '../types/type.js';
import type { DagVizIR, VizEdge, VizEdgeKind, VizNode, VizNodeKind } from './types.js';

/**
 * Turns a compiled DAG into its visualization graph (types.ts). One viz node per DAG node (id =
 * the DAG node id), plus one per declared output. The kind of an inline node follows the
 * outermost operation of its expression (a coercion is looked through). Edges: a module's
 * arguments are labelled with the parameter names; an edge from an Optional-typed value is
 * `Optional`; a gate (the node runs only when another node's outcome passes a test) is a
 * `Control` edge labelled with the test. Positions are left null: layout is the viewer's job.
 */

function exprKind(e: IrExpr): VizNodeKind {
  switch (e.op) {
    case 'coerce': return exprKind(e.source);
    case 'lit': case 'record': case 'unreachable': return 'Literal';
    case 'list': return 'ListLiteral';
    case 'field': return 'FieldAccess';
    case 'project': return 'Project';
    case 'merge': return 'Merge';
    case 'and': case 'or': case 'not': return 'BooleanOp';
    case 'when': return 'Guard';
    case 'coalesce': case 'recover': return 'Coalesce';
    case 'if': return 'Conditional';
    case 'branch': case 'match': case 'matchIndex': case 'select': return 'Branch';
    case 'interp': return 'StringInterp';
    case 'hof': return 'HigherOrder';
    default: return 'Operation'; // arithmetic, comparisons, inline calls, plain references
  }
}

const HOF_NAMES = new Set(['filter', 'map', 'all', 'any']);

function nodeKind(node: DagNode): VizNodeKind {
  switch (node.kind) {
    case 'input': return 'Input';
    case 'module': return HOF_NAMES.has(node.function.split('.').pop()!) ? 'HigherOrder' : 'Operation';
    case 'transform': return exprKind(node.expr);
  }
}

/** A module call is labelled with the function's short name; an inline node with its variable, else its operation. */
function nodeLabel(dag: Dag, node: DagNode): string {
  if (node.kind === 'module') return node.name;
  const variable = dag.variables[node.id];
  if (variable || node.kind === 'input') return variable ?? node.name;
  const e = node.expr.op === 'coerce' ? node.expr.source : node.expr;
  return e.op === 'hof' ? e.fn : node.name;
}

export function dagToViz(dag: Dag, title: string | null = null): DagVizIR {
  const nodes: VizNode[] = [];
  const edges: VizEdge[] = [];
  const edgeKind = (from: number): VizEdgeKind => (dag.nodes[from]!.type.k === 'Optional' ? 'Optional' : 'Data');
  for (const node of dag.nodes) {
    const id = String(node.id);
    nodes.push({ id, kind: nodeKind(node), label: nodeLabel(dag, node), typeSignature: printType(node.type), position: null, executionState: null });
    const deps: readonly number[] = node.kind === 'module' ? node.args : node.kind === 'transform' ? node.deps : [];
    deps.forEach((dep, i) => {
      edges.push({ id: `e${dep}-${id}`, source: String(dep), target: id, label: node.kind === 'module' ? (node.params[i] ?? null) : null, kind: edgeKind(dep) });
    });
    if (node.gate && !deps.includes(node.gate.node)) {
      const test = node.gate.test === 'case' ? `case ${node.gate.index}` : node.gate.test;
      edges.push({ id: `c${node.gate.node}-${id}`, source: String(node.gate.node), target: id, label: test, kind: 'Control' });
    }
  }
  for (const out of dag.outputs) {
    const id = `out:${out.name}`;
    nodes.push({ id, kind: 'Output', label: out.name, typeSignature: printType(out.type), position: null, executionState: null });
    edges.push({ id: `e${out.node}-${id}`, source: String(out.node), target: id, label: null, kind: edgeKind(out.node) });
  }
  return { nodes, edges, groups: [], metadata: { title, layoutDirection: 'TB', bounds: null } };
}
