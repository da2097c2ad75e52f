import { pipelineCodec } from '../codegen/pipeline-codec.js';
import type { ErrorCode } from '../error-codes.js';
import { ctypeString } from '../types/ctype.js';
import { encodeJson } from '../values/json.js';
import { BLOCKED, CANCELLED, DONE, FAILED, PENDING, RUNNING, stateName, TIMED_OUT, type Execution, type ExecutionEnd } from './execution.js';
import { KIND_MODULE } from './plan.js';
import type { NodeState } from './spi.js';

/**
 * The result of one execution (the reference's runtime, with the TypeScript divergences: timed-out
 * nodes fail the run, state is keyed by node id, names come from variables).
 */

export type ExecutionStatus = 'completed' | 'suspended' | 'failed' | 'cancelled' | 'timed_out';

export interface ExecutionFailure {
  readonly nodeId: number;
  /** The variable the node is bound to, else its display name. */
  readonly nodeName: string;
  readonly moduleName: string | null;
  readonly code: ErrorCode;
  readonly message: string;
  readonly retriesAttempted: number;
  readonly attemptErrors?: readonly string[];
}

export interface NodeResult {
  readonly id: number;
  readonly name: string;
  readonly kind: 'input' | 'module' | 'transform';
  readonly state: NodeState;
  readonly durationMs?: number;
  readonly attempts?: number;
  readonly cacheHit?: boolean;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export interface ExecutionResult {
  readonly executionId: string;
  readonly structuralHash: string;
  readonly resumptionCount: number;
  readonly status: ExecutionStatus;
  /** Declared outputs that have a value, as plain JSON. */
  readonly outputs: Record<string, unknown>;
  /** Missing required inputs → type string (`CInt`, …), sorted by name. */
  readonly missingInputs: Record<string, string>;
  readonly pendingOutputs: readonly string[];
  readonly errors: readonly ExecutionFailure[];
  /** Epoch milliseconds (ISO strings are left to the edge: formatting dates is not free). */
  readonly startedAtMs: number;
  readonly completedAtMs: number;
  readonly durationMs: number;
  /** Per-node states, timings, attempts (when requested). */
  readonly nodes?: readonly NodeResult[];
  /** Values of every computed variable, as plain JSON (when requested). */
  readonly computed?: Record<string, unknown>;
  /**
   * Set when the run ended unfinished and the suspension store refused its snapshot (a limit,
   * or a lost claim): the execution id cannot be resumed. A suspended run in that state is
   * answered 507 `SuspensionStoreFull` by the server.
   */
  readonly notStored?: { readonly reason: 'lease-lost' | 'count-limit' | 'byte-limit' | 'error'; readonly message: string };
}

export interface ResultOptions {
  readonly includeNodes?: boolean;
  readonly includeComputed?: boolean;
}

export function buildResult(exec: Execution, end: ExecutionEnd, resumptionCount: number, options: ResultOptions = {}): ExecutionResult {
  const { plan, state, values } = exec;
  const dag = plan.dag;
  const pendingOutputs: string[] = [];
  // the pipeline's generated encoder (codegen/output-encoder.ts): encodeJson's results, straight-line
  const outputs = pipelineCodec(dag).encodeOutputs(values, state, DONE, pendingOutputs);
  const missingInputs: Record<string, string> = {};
  for (const input of plan.inputsByName) {
    if (state[input.node] === BLOCKED) missingInputs[input.name] = ctypeString(input.type);
  }
  const errors: ExecutionFailure[] = [];
  let failed = false;
  for (const [id, record] of exec.records) {
    const s = state[id];
    if ((s !== FAILED && s !== TIMED_OUT) || !record.error) continue;
    // a failure its fallback replaced is not a failure of the run
    const recover = plan.recoveredBy[id]!;
    if (recover >= 0 && state[recover] === DONE) continue;
    failed = true;
    const node = dag.nodes[id]!;
    errors.push({
      nodeId: id,
      nodeName: dag.variables[id] ?? node.name,
      moduleName: node.kind === 'module' ? node.module : null,
      code: record.error.code,
      message: record.error.message,
      retriesAttempted: Math.max(0, (record.attempts ?? 1) - 1),
      ...(record.error.attemptErrors ? { attemptErrors: record.error.attemptErrors } : {}),
    });
  }
  errors.sort((a, b) => a.nodeId - b.nodeId);
  const status: ExecutionStatus = failed
    ? 'failed'
    : end === 'cancelled'
      ? 'cancelled'
      : end === 'timed_out'
        ? 'timed_out'
        : pendingOutputs.length === 0 && Object.keys(missingInputs).length === 0
          ? 'completed'
          : 'suspended';
  const completedAt = exec.startedAt + exec.durationMs;
  const result: {
    -readonly [K in keyof ExecutionResult]: ExecutionResult[K];
  } = {
    executionId: exec.executionId,
    structuralHash: plan.structuralHash,
    resumptionCount,
    status,
    outputs,
    missingInputs,
    pendingOutputs,
    errors,
    startedAtMs: exec.startedAt,
    completedAtMs: completedAt,
    durationMs: exec.durationMs,
  };
  if (options.includeNodes) result.nodes = dag.nodes.map((node) => nodeResult(exec, node.id));
  if (options.includeComputed) {
    const computed: Record<string, unknown> = {};
    for (const [name, id] of plan.variableIndex) {
      if (state[id] === DONE) computed[name] = encodeJson(values[id], dag.nodes[id]!.type);
    }
    result.computed = computed;
  }
  return result;
}

/** One node's state, timing, attempts and error in a run (ended or still running). */
export function nodeResult(exec: Execution, id: number): NodeResult {
  const { plan, state } = exec;
  const node = plan.dag.nodes[id]!;
  const record = exec.records.get(id);
  const s = state[id]!;
  return {
    id,
    name: plan.dag.variables[id] ?? node.name,
    kind: node.kind,
    state: s === CANCELLED ? 'cancelled' : stateName(s),
    ...(record?.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
    ...(record?.attempts !== undefined && plan.kind[id] === KIND_MODULE ? { attempts: record.attempts } : {}),
    ...(record?.cacheHit ? { cacheHit: true } : {}),
    ...(record?.error ? { error: { code: record.error.code, message: record.error.message } } : {}),
  };
}

/** The nodes of a running execution that have settled so far (completed, failed, skipped, …), in node order. */
export function settledNodes(exec: Execution): NodeResult[] {
  const out: NodeResult[] = [];
  const state = exec.state;
  for (let id = 0; id < state.length; id++) {
    const s = state[id]!;
    if (s !== PENDING && s !== RUNNING) out.push(nodeResult(exec, id));
  }
  return out;
}
