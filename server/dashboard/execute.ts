import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import type { Dag } from '../../runtime/compiler/dag.js';
import { InputError } from '../../runtime/engine/engine.js';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import type { StoredExecution } from '../../runtime/engine/spi.js';
import { printType } from '../../runtime/types/type.js';
import { dagToViz } from '../../runtime/viz/from-dag.js';
import type { DagVizIR } from '../../runtime/viz/types.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { diagnosticsJson, errorMessages } from '../routes/compile-run.js';
import { busyReply, shuttingDownReply } from '../routes/reply.js';
import { dashboardError, dashboardBody } from './errors.js';
import { readScript, resolveInside } from './files.js';
import { nodeResultsOf } from './history.js';

/**
 * `POST /api/v1/execute`: runs a script of the script directory and records it in the history.
 *
 * Beyond the reference (all optional fields, so its clients work unchanged):
 * - `content`: the editor's text to run instead of the file's (the page runs what it shows;
 *   `scriptPath` still names the run and must lie inside the directory);
 * - `async: true`: answers 202 as soon as the run has started, with the graph of the image that
 *   runs; the result lands in the history, the progress on the live-events WebSocket. With
 *   `executionId` (a fresh UUID the client made), the client subscribes to that id first and
 *   misses no event. Asynchronous runs are always stored (the result has nowhere else to go);
 * - the record holds per-node results and the graph; a failed input conversion marks it
 *   `Failed`; a run whose modules failed answers `success: false` with the error (the
 *   reference says `true`), plus `status`.
 */

export const DashboardExecuteRequest = z.object({
  scriptPath: z.string().min(1).max(4096),
  inputs: z.record(z.string(), z.unknown()).optional(),
  sampleRate: z.number().min(0).max(1).optional(),
  source: z.string().max(200).optional(),
  content: z.string().optional(),
  async: z.boolean().optional(),
  executionId: z.uuid().optional(),
});

function sourceTag(tag: string | undefined): StoredExecution['source'] {
  const t = tag?.toLowerCase();
  if (t === 'vscode' || t === 'vscode-extension') return 'VSCodeExtension';
  if (t === 'dashboard') return 'Dashboard';
  return 'API';
}

/** Every declared input must be given (an Optional one may be null or absent). */
function missingInput(dag: Dag, inputs: Readonly<Record<string, unknown>>): string | undefined {
  for (const input of dag.inputs) {
    const given = Object.prototype.hasOwnProperty.call(inputs, input.name) && inputs[input.name] !== undefined;
    if (!given && input.type.k !== 'Optional') return input.name;
  }
  return undefined;
}

export class DashboardRuns {
  /** Runs started with `async`, for the drain. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly context: ServerContext) {}

  get backgroundCount(): number {
    return this.background.size;
  }

  /** Resolves when every background run has ended, or at `deadline`. */
  async settle(deadline: number): Promise<void> {
    while (this.background.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(this.background), new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
  }

  async handle(req: HttpRequest): Promise<HttpReply> {
    const { context } = this;
    const parsed = await dashboardBody(req, DashboardExecuteRequest);
    if (!parsed.ok) return parsed.reply;
    const body = parsed.value;
    if (!context.lifecycle.acceptingWork) return shuttingDownReply(req.requestId);
    const root = context.config.dashboard.cstDir;

    let text: string;
    if (body.content !== undefined) {
      if (!(await resolveInside(root, body.scriptPath))) return dashboardError(400, 'invalid_request', 'Invalid file path', body.scriptPath);
      text = body.content;
    } else {
      const read = await readScript(root, body.scriptPath);
      if (!read.ok) return dashboardError(read.status, read.error, read.message, body.scriptPath);
      text = read.content;
    }
    const compiled = context.engine.compile(text);
    if (!compiled.ok || !compiled.dag) {
      return dashboardError(400, 'compilation_error', errorMessages(compiled).join('; '), body.scriptPath, diagnosticsJson(compiled));
    }
    const dag = compiled.dag;
    const name = basename(body.scriptPath);
    const viz = dagToViz(dag, name);

    const executionId = body.executionId ?? randomUUID();
    if (body.executionId && ((await context.history.get(body.executionId)) || [...context.engine.runningExecutions()].some((e) => e.executionId === body.executionId))) {
      return dashboardError(400, 'invalid_request', 'Execution id already in use', body.executionId);
    }
    const source = sourceTag(body.source);
    const sampleRate = body.sampleRate ?? context.config.dashboard.sampleRate;
    const stored = body.async === true || source === 'VSCodeExtension' || Math.random() < sampleRate;
    const inputs = body.inputs ?? {};
    const startTime = Date.now();
    if (stored) {
      await context.history.store({
        executionId, dagName: name, scriptPath: body.scriptPath, startTime, inputs, status: 'Running', nodeResults: {}, dagVizIR: viz, sampleRate, source,
      });
    }
    const fail = async (message: string) => {
      if (stored) await context.history.update(executionId, (c) => ({ ...c, status: 'Failed', endTime: Date.now(), error: message }));
      return dashboardError(400, 'invalid_request', message, body.scriptPath, { executionId });
    };
    const missing = missingInput(dag, inputs);
    if (missing !== undefined) return fail(`Missing required input: '${missing}' (${printType(dag.inputs.find((i) => i.name === missing)!.type)})`);
    try {
      context.engine.decodeInputs(dag, inputs);
    } catch (e) {
      if (e instanceof InputError) return fail(e.message);
      throw e;
    }

    const forget = context.events.nameExecution(executionId, name);
    const run = context.engine.run(dag, inputs, { executionId, includeNodes: true, includeComputed: true });
    const recorded = run.then(
      async (result) => {
        forget();
        context.metrics.onExecution('dashboard', result.status, result.durationMs);
        // a stored (failed) execution is resumed from the pipeline store: its image must be there
        if (result.status !== 'completed' && result.notStored === undefined) await context.pipelines.keepImage(await context.pipelines.storeImage(compiled, text));
        if (stored) await this.record(executionId, dag, result, inputs);
        return result;
      },
      async (e: unknown) => {
        forget();
        if (stored) await context.history.update(executionId, (c) => ({ ...c, status: 'Failed', endTime: Date.now(), error: e instanceof Error ? e.message : String(e) }));
        throw e;
      },
    );

    if (body.async === true) {
      const tracked = recorded.then(
        () => undefined,
        (e: unknown) => context.logger.warn({ executionId, err: e instanceof Error ? e.message : String(e) }, 'dashboard run failed'),
      );
      this.background.add(tracked);
      void tracked.finally(() => this.background.delete(tracked));
      return json(202, asyncReply(executionId, viz, compiled.hashes.structural));
    }
    let result: ExecutionResult;
    try {
      result = await recorded;
    } catch (e) {
      const busy = busyReply(e, req.requestId);
      if (busy) return busy;
      return dashboardError(500, 'server_error', `Execution failed: ${e instanceof Error ? e.message : String(e)}`, body.scriptPath, { executionId });
    }
    const error = runError(result);
    return json(200, {
      success: error === null,
      executionId,
      outputs: result.outputs,
      error,
      status: result.status,
      dashboardUrl: `/dashboard#/executions/${executionId}`,
      durationMs: Math.round(result.durationMs),
    });
  }

  private async record(executionId: string, dag: Dag, result: ExecutionResult, inputs: Readonly<Record<string, unknown>>): Promise<void> {
    const error = runError(result);
    await this.context.history.update(executionId, (c) => ({
      ...c,
      status: error === null ? 'Completed' : 'Failed',
      endTime: c.startTime + Math.max(0, Math.round(result.durationMs)),
      outputs: result.outputs,
      nodeResults: nodeResultsOf(dag, result, inputs),
      ...(error !== null ? { error } : {}),
    }));
  }
}

function asyncReply(executionId: string, dagVizIR: DagVizIR, structuralHash: string | null) {
  return { success: true, executionId, status: 'Running', dashboardUrl: `/dashboard#/executions/${executionId}`, structuralHash, dagVizIR };
}

/** The run's failure as one message, or null when it completed. */
function runError(result: ExecutionResult): string | null {
  if (result.status === 'completed') return null;
  if (result.errors.length > 0) return result.errors.map((e) => `${e.nodeName}: ${e.message}`).join('; ');
  if (result.status === 'cancelled') return 'The execution was cancelled';
  if (result.status === 'timed_out') return 'The execution exceeded its time limit';
  return `Outputs without a value: ${result.pendingOutputs.join(', ')}`;
}
