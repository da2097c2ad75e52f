/**
 * The visualization graph of a pipeline (the dashboard's DAG view, the LSP's DAG request):
 * plain JSON, the same shape the reference's dashboard API returns. Node ids of module and
 * inline nodes are the DAG node ids as decimal strings, so live execution events (which name a
 * module call by its node id) land on the right node; the declared outputs get nodes of their
 * own (`out:<name>`).
 */

export type VizNodeKind =
  | 'Input' | 'Output' | 'Operation' | 'Literal' | 'Merge' | 'Project' | 'FieldAccess' | 'Conditional'
  | 'Guard' | 'Branch' | 'Coalesce' | 'HigherOrder' | 'ListLiteral' | 'BooleanOp' | 'StringInterp';

/** `Skipped` (untaken, skipped or cancelled work) is ours: the reference knows only the first four. */
export type VizStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Skipped';

export interface VizExecutionState {
  readonly status: VizStatus;
  readonly value: unknown;
  readonly durationMs: number | null;
  readonly error: string | null;
}

export interface VizNode {
  readonly id: string;
  readonly kind: VizNodeKind;
  readonly label: string;
  readonly typeSignature: string;
  readonly position: { readonly x: number; readonly y: number } | null;
  readonly executionState: VizExecutionState | null;
}

export type VizEdgeKind = 'Data' | 'Optional' | 'Control';

export interface VizEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** Parameter name for a module's input; the gate's test for a control edge. */
  readonly label: string | null;
  readonly kind: VizEdgeKind;
}

export interface VizGroup {
  readonly id: string;
  readonly label: string;
  readonly nodeIds: readonly string[];
  readonly collapsed: boolean;
}

export type LayoutDirection = 'TB' | 'LR';

export interface DagVizIR {
  readonly nodes: readonly VizNode[];
  readonly edges: readonly VizEdge[];
  readonly groups: readonly VizGroup[];
  readonly metadata: {
    readonly title: string | null;
    readonly layoutDirection: LayoutDirection;
    readonly bounds: { readonly minX: number; readonly minY: number; readonly maxX: number; readonly maxY: number } | null;
  };
}
