import { formatError } from '../../runtime/errors.js';
import type { ExecutionStatusReport } from '../../runtime/engine/execution-control.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { CancelResponse, ExecutionStatusResponse } from '../schemas.js';
import { executeResponse } from './compile-run.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply, notFound } from './reply.js';
import { summary, UUID } from './suspended-executions.js';

/**
 * `GET /executions/{id}` and `POST /executions/{id}/cancel`: any execution by id, wherever it
 * runs (the execution control routes to the owner in a cluster). `status` tells them apart
 * (docs/decisions.md #31):
 *
 * - `running`: the owner instance, when it started, the nodes settled so far;
 * - `completed` / `failed` / `cancelled`: a finished asynchronous run, answered with the body
 *   `/run` or `/execute` would have returned (plus `owner` and `finishedAt`) for as long as its
 *   result is kept (CONSTELLATION_RESULT_RETENTION); a cancelled run says `cancelled` here where
 *   `/run` would say `failed`, and a run that timed out says `failed`;
 * - `suspended` (or the failed, cancelled or timed-out state of a stored run that can be
 *   resumed): the stored execution's summary, as before.
 *
 * Cancel: 200 when it was running (its run ends `cancelled`), 404 for an unknown id, 409
 * `ExecutionNotRunning` for a suspended (discard it with DELETE) or finished one.
 */

const iso = (ms: number) => new Date(ms).toISOString();

export function statusBody(report: ExecutionStatusReport): Record<string, unknown> {
  if (report.state === 'running') {
    return {
      executionId: report.executionId,
      status: 'running',
      owner: report.owner,
      structuralHash: report.structuralHash,
      startedAt: iso(report.startedAt ?? Date.now()),
      nodes: report.nodes ?? [],
    };
  }
  const finished = report.finished;
  if (finished && (!report.stored || report.state !== 'suspended')) {
    const result = finished.result;
    const tail = { owner: report.owner, finishedAt: iso(finished.finishedAt) };
    if (!result) {
      return {
        success: false, outputs: {}, error: `Execution failed: ${finished.error ?? 'unknown error'}`, status: 'failed', executionId: report.executionId,
        missingInputs: null, pendingOutputs: null, resumptionCount: null, ...tail,
      };
    }
    const body = executeResponse(result, finished.via === 'run' ? result.structuralHash : undefined);
    return { ...body, status: result.status === 'cancelled' ? 'cancelled' : body['status'], ...tail };
  }
  if (report.stored) return summary(report.stored);
  return { executionId: report.executionId, status: report.state, owner: report.owner };
}

export function executionStatusRoutes(context: ServerContext): RouteSpec[] {
  const missing = (id: string) => notFound(`Execution '${id}' not found`);

  const get = async (req: HttpRequest): Promise<HttpReply> => {
    const id = req.params['id']!;
    if (!UUID.test(id)) return missing(id);
    const report = await context.executions.status(id);
    return report ? json(200, statusBody(report)) : missing(id);
  };

  const cancel = async (req: HttpRequest): Promise<HttpReply> => {
    const id = req.params['id']!;
    if (!UUID.test(id)) return missing(id);
    const outcome = await context.executions.cancel(id);
    if (outcome === 'cancelled') return json(200, { executionId: id, cancelled: true });
    if (outcome === 'not-found') return missing(id);
    const state = (await context.executions.status(id))?.state ?? 'finished';
    return errorReply('ExecutionNotRunning', formatError('ExecutionNotRunning', { id, state }), req.requestId);
  };

  const idParam = { id: 'Execution id (UUID)' };
  return [
    {
      method: 'GET',
      path: '/executions/:id',
      handler: get,
      doc: {
        summary: 'One execution: running (anywhere in the cluster), finished (asynchronous runs, kept for a while) or suspended',
        tag: 'executions',
        params: idParam,
        responses: { 200: { description: 'Its state; `status` tells which', schema: ExecutionStatusResponse }, 404: errorDoc('NotFound') },
      },
    },
    {
      method: 'POST',
      path: '/executions/:id/cancel',
      handler: cancel,
      doc: {
        summary: 'Cancel a running execution, wherever it runs',
        tag: 'executions',
        params: idParam,
        responses: {
          200: { description: 'Cancelled: its run ends with status cancelled', schema: CancelResponse },
          404: errorDoc('NotFound: no such execution'),
          409: errorDoc('ExecutionNotRunning: it is suspended (discard it with DELETE) or has finished'),
        },
      },
    },
  ];
}
