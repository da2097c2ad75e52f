import type { Dag } from '../../runtime/compiler/dag.js';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import type { NodeState, StoredExecution } from '../../runtime/engine/spi.js';
import type { DagVizIR, VizStatus } from '../../runtime/viz/types.js';

/**
 * Execution history records of the dashboard (the `ExecutionStorage` SPI): per-node results
 * taken from the engine's result, the stored graph with those results laid over it, and the
 * list's summaries.
 *
 * Decisions (the reference records neither): every run records its per-node states, durations,
 * errors and the values of named nodes; the stored graph is kept without states and they are
 * laid over it when read, so a value is stored once.
 */

export type NodeResultRecord = StoredExecution['nodeResults'][string];

export function vizStatus(state: NodeState): VizStatus {
  switch (state) {
    case 'completed': return 'Completed';
    case 'failed': case 'timed_out': return 'Failed';
    case 'running': return 'Running';
    case 'untaken': case 'skipped': case 'cancelled': return 'Skipped';
    default: return 'Pending';
  }
}

export function nodeResultsOf(dag: Dag, result: ExecutionResult, inputs: Readonly<Record<string, unknown>>): Record<string, NodeResultRecord> {
  const out: Record<string, NodeResultRecord> = {};
  const computed = result.computed ?? {};
  for (const n of result.nodes ?? []) {
    const node = dag.nodes[n.id]!;
    const variable = dag.variables[n.id];
    let value: unknown;
    if (node.kind === 'input') value = Object.prototype.hasOwnProperty.call(inputs, node.name) ? inputs[node.name] : undefined;
    else if (variable && Object.prototype.hasOwnProperty.call(computed, variable)) value = computed[variable];
    const id = String(n.id);
    out[id] = {
      nodeId: id,
      status: vizStatus(n.state),
      ...(value !== undefined && n.state === 'completed' ? { value } : {}),
      ...(n.durationMs !== undefined ? { durationMs: Math.round(n.durationMs) } : {}),
      ...(n.error ? { error: n.error.message } : {}),
    };
  }
  return out;
}

/** The stored graph with the record's node results (and outputs) as execution states. */
export function vizWithStates(record: StoredExecution): DagVizIR | undefined {
  const viz = record.dagVizIR;
  if (!viz) return undefined;
  const outputs = record.outputs ?? {};
  const ended = record.status !== 'Running';
  return {
    ...viz,
    nodes: viz.nodes.map((node) => {
      if (node.kind === 'Output') {
        const present = Object.prototype.hasOwnProperty.call(outputs, node.label);
        if (!ended && !present) return node;
        return { ...node, executionState: { status: present ? 'Completed' : 'Skipped', value: present ? outputs[node.label] : null, durationMs: null, error: null } };
      }
      const r = record.nodeResults[node.id];
      if (!r) return node;
      return {
        ...node,
        executionState: { status: r.status as VizStatus, value: r.value === undefined ? null : r.value, durationMs: r.durationMs ?? null, error: r.error ?? null },
      };
    }),
  };
}

function preview(outputs: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!outputs) return null;
  const first = Object.keys(outputs)[0];
  if (first === undefined) return null;
  const text = JSON.stringify(outputs[first]) ?? 'null';
  return `${first}: ${text.length > 50 ? `${text.slice(0, 50)}...` : text}`;
}

/** The fields a history entry and its full record share. */
function identity(e: StoredExecution) {
  return { executionId: e.executionId, dagName: e.dagName, scriptPath: e.scriptPath ?? null, startTime: e.startTime, endTime: e.endTime ?? null };
}

export function summaryOf(e: StoredExecution) {
  return { ...identity(e), status: e.status, source: e.source, nodeCount: Object.keys(e.nodeResults).length, outputPreview: preview(e.outputs) };
}

/** The full record as the API returns it (nulls for absent optional fields). */
export function recordJson(e: StoredExecution) {
  return {
    ...identity(e),
    inputs: e.inputs,
    outputs: e.outputs ?? null,
    status: e.status,
    nodeResults: e.nodeResults,
    dagVizIR: vizWithStates(e) ?? null,
    sampleRate: e.sampleRate ?? 1,
    source: e.source,
    error: e.error ?? null,
  };
}
