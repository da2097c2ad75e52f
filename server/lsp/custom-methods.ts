import type { Engine } from '../../runtime/engine/engine.js';
import type { ExecutionControl } from '../../runtime/engine/execution-control.js';
import type { StepState } from '../../runtime/engine/stepper.js';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import { dagStructureOf, errorInfoOf, inputSchemaOf, runtimeErrorInfo, type ErrorInfo } from '../language-service/index.js';
import { dagToViz } from '../../runtime/viz/from-dag.js';
import { positioned } from '../../runtime/viz/positioned.js';
import type { CompileResult } from '../../runtime/compiler/compile.js';

/**
 * The `constellation/*` methods of the reference's editor extension: run the open document,
 * describe its inputs and its DAG, step through it batch by batch, read the compile cache. Each
 * answers `success: false` with an `error` for a document that is not open or does not compile,
 * as the reference does; unlike it, a run that suspends or fails is reported as such, and inputs
 * are checked against their declared types.
 */

const NOT_FOUND = 'Document not found';

export interface DocumentSource {
  text(uri: string): string | undefined;
}

function compileErrors(compiled: CompileResult, text: string): { error: string; errors: ErrorInfo[] } {
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  return { error: errors.map((d) => d.message).join('; '), errors: errors.map((d) => errorInfoOf(d, text)) };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A non-negative hash of a URI: the reference's internal pipeline names (`lsp-dag-<n>`). */
function uriHash(uri: string): number {
  let h = 0;
  for (let i = 0; i < uri.length; i++) h = (Math.imul(h, 31) + uri.charCodeAt(i)) | 0;
  return Math.abs(h);
}

/** Why a finished run did not produce its outputs, or undefined when it completed. */
function runProblem(result: ExecutionResult): string | undefined {
  switch (result.status) {
    case 'completed': return undefined;
    case 'suspended': {
      const missing = Object.keys(result.missingInputs);
      return missing.length > 0 ? `Execution suspended: missing inputs ${missing.join(', ')}` : `Execution suspended: outputs not computed: ${result.pendingOutputs.join(', ')}`;
    }
    case 'failed': return `Execution failed: ${result.errors.map((e) => `${e.nodeName}: [${e.code}] ${e.message}`).join('; ')}`;
    case 'cancelled': return 'Execution cancelled';
    case 'timed_out': return 'Execution timed out';
  }
}

export class CustomMethods {
  /** The step-through sessions this connection started, with their start time. */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly engine: Engine, private readonly executions: ExecutionControl, private readonly documents: DocumentSource) {}

  async executePipeline(uri: string, inputs: Record<string, unknown>) {
    const text = this.documents.text(uri);
    if (text === undefined) return { success: false, outputs: null, error: NOT_FOUND, errors: null, executionTimeMs: null };
    const compiled = this.engine.compile(text);
    if (!compiled.dag) return { success: false, outputs: null, ...compileErrors(compiled, text), executionTimeMs: null };
    const started = performance.now();
    try {
      const result = await this.engine.run(compiled.dag, inputs);
      const problem = runProblem(result);
      return {
        success: problem === undefined,
        outputs: result.outputs,
        error: problem ?? null,
        errors: problem ? [runtimeErrorInfo(problem)] : null,
        executionTimeMs: Math.round(result.durationMs),
        status: result.status,
        executionId: result.executionId,
      };
    } catch (e) {
      const message = errorText(e);
      return { success: false, outputs: null, error: message, errors: [runtimeErrorInfo(message)], executionTimeMs: Math.round(performance.now() - started) };
    }
  }

  getInputSchema(uri: string) {
    const text = this.documents.text(uri);
    if (text === undefined) return { success: false, inputs: null, error: NOT_FOUND, errors: null };
    return inputSchemaOf(text);
  }

  getDagStructure(uri: string) {
    const text = this.documents.text(uri);
    if (text === undefined) return { success: false, dag: null, error: NOT_FOUND };
    const compiled = this.engine.compile(text);
    if (!compiled.dag) return { success: false, dag: null, error: compileErrors(compiled, text).error };
    return { success: true, dag: dagStructureOf(compiled.dag), error: null };
  }

  getDagVisualization(uri: string, direction: 'TB' | 'LR') {
    const text = this.documents.text(uri);
    if (text === undefined) return { success: false, dag: null, error: NOT_FOUND };
    const compiled = this.engine.compile(text);
    if (!compiled.dag) return { success: false, dag: null, error: compileErrors(compiled, text).error };
    return { success: true, dag: positioned(dagToViz(compiled.dag, `lsp-dag-${uriHash(uri)}`), direction), error: null };
  }

  getCacheStats() {
    const s = this.engine.compileCache.stats();
    return { success: true, cachingEnabled: true, stats: { hits: s.hits, misses: s.misses, hitRate: s.hitRate, evictions: s.evictions, entries: s.entries } };
  }

  async stepStart(uri: string, inputs: Record<string, unknown>) {
    const failed = (error: string) => ({ success: false, sessionId: null, totalBatches: null, initialState: null, error });
    const text = this.documents.text(uri);
    if (text === undefined) return failed(NOT_FOUND);
    const compiled = this.engine.compile(text);
    if (!compiled.dag) return failed(compileErrors(compiled, text).error);
    for (const node of compiled.dag.nodes) {
      if (node.kind === 'module' && !this.engine.modules.get(node.module)) return failed(`Module ${node.module} not found`);
    }
    try {
      const reply = await this.executions.startStepping(compiled.dag, inputs);
      this.sessions.set(reply.sessionId, performance.now());
      return { success: true, sessionId: reply.sessionId, totalBatches: reply.state.totalBatches, initialState: wireState(reply.state), error: null };
    } catch (e) {
      return failed(errorText(e));
    }
  }

  async stepNext(sessionId: string) {
    const reply = this.sessions.has(sessionId) ? await this.executions.step(sessionId, 'next') : undefined;
    if (!reply) return { success: false, state: null, isComplete: false, error: 'Session not found' };
    return { success: true, state: wireState(reply.state), isComplete: reply.result !== undefined, error: null };
  }

  async stepContinue(sessionId: string) {
    const reply = this.sessions.has(sessionId) ? await this.executions.step(sessionId, 'continue') : undefined;
    if (!reply || !reply.result) return { success: false, state: null, outputs: null, executionTimeMs: null, error: 'Session not found' };
    const problem = runProblem(reply.result);
    const since = this.sessions.get(sessionId)!;
    return {
      success: problem === undefined,
      state: wireState(reply.state),
      outputs: reply.result.outputs,
      executionTimeMs: Math.round(performance.now() - since),
      error: problem ?? null,
    };
  }

  async stepStop(sessionId: string) {
    if (!this.sessions.delete(sessionId)) return { success: false };
    return { success: (await this.executions.step(sessionId, 'stop')) !== undefined };
  }

  /** Stops every step-through session this connection started (its client went away). */
  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.stepStop(id).catch(() => undefined)));
  }

}

/** The wire form of a step state: node ids as strings, absent durations as null. */
function wireState(s: StepState) {
  return {
    currentBatch: s.currentBatch,
    totalBatches: s.totalBatches,
    batchNodes: s.batchNodes.map(String),
    completedNodes: s.completedNodes.map((n) => ({ nodeId: String(n.nodeId), nodeName: n.nodeName, nodeType: n.nodeType, valuePreview: n.valuePreview, durationMs: n.durationMs ? Math.round(n.durationMs) : null })),
    pendingNodes: s.pendingNodes.map(String),
  };
}
