import { formatError } from '../../runtime/errors.js';
import type { SuspensionSummary } from '../../runtime/engine/suspension.js';
import { decodeCursor, MAX_PAGE } from '../../runtime/stores/suspension-store.js';
import type { ListedState } from '../../runtime/engine/execution-control.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { DeleteResponse, ExecutionsResponse } from '../schemas.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply, notFound } from './reply.js';

/**
 * Suspended executions: `GET /executions`, `DELETE /executions/{id}` (resume is in
 * compile-run.ts; `GET /executions/{id}`, which also answers for running and finished
 * executions, in execution-status.ts). The suspension store is always
 * configured (a file store under the data directory, or the cluster's), so the "no suspension
 * store configured" answers never occur.
 *
 * Decisions:
 * - Summaries add `status` (suspended, or failed/cancelled/timed_out for a stored run that can
 *   be resumed) and `lastResumedAt` to the reference fields; `createdAt` is when the execution
 *   was first stored (it is kept across resumes, as the execution id is, docs/decisions.md #11).
 * - The list is sorted by `createdAt`, oldest first, and paged (an addition: the reference answers
 *   everything at once): `?limit=` (1–1000, default 1000) and `?cursor=` (the previous reply's
 *   `nextCursor`, null on the last page). A page comes from the store's index: no snapshot is
 *   read to list executions.
 * - `?status=` (docs/decisions.md #31) chooses states: `suspended` (and the `failed`/`cancelled`
 *   state of stored runs that can be resumed) from the store, a page at a time as above, and
 *   running executions and the kept results of finished asynchronous runs — of every instance in
 *   a cluster — on the first page (at most 1000 per instance, not paged).
 * - An id that is not a UUID is 404 without touching the store.
 * - DELETE while a resume of that execution is running → 409 `ResumeInProgress` (the resume
 *   would otherwise save the execution again right after the delete).
 */

/** `?status=` values: stored executions (`suspended`, and resumable failed or cancelled runs) and the execution control's. */
const LISTED_STATES: ReadonlySet<string> = new Set(['suspended', 'running', 'completed', 'failed', 'cancelled']);

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function summary(s: SuspensionSummary) {
  return {
    executionId: s.executionId,
    structuralHash: s.structuralHash,
    resumptionCount: s.resumptionCount,
    missingInputs: s.missingInputs,
    createdAt: s.createdAt,
    status: s.status,
    lastResumedAt: s.lastResumedAt,
  };
}

export function suspendedExecutionRoutes(context: ServerContext): RouteSpec[] {
  const missing = (id: string) => notFound(`Execution '${id}' not found`);

  const list = async (req: HttpRequest): Promise<HttpReply> => {
    const limitText = req.query.get('limit');
    const limit = limitText === null ? MAX_PAGE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      return errorReply('InvalidRequest', formatError('InvalidRequest', { detail: `limit must be an integer from 1 to ${MAX_PAGE}, got '${limitText}'` }));
    }
    const cursor = req.query.get('cursor');
    if (cursor !== null && decodeCursor(cursor) === undefined) {
      return errorReply('InvalidRequest', formatError('InvalidRequest', { detail: 'cursor is not one this server issued (pass nextCursor of the previous page)' }));
    }
    const raw = req.query.get('status');
    // pages come sorted by createdAt, then id
    if (raw === null) {
      const page = await context.suspensions.list({ limit, cursor });
      return json(200, { executions: page.items.map(summary), nextCursor: page.next });
    }
    const states = raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    const unknown = states.find((x) => !LISTED_STATES.has(x));
    if (unknown !== undefined || states.length === 0) {
      return errorReply('InvalidRequest', formatError('InvalidRequest', { detail: `status must be a comma-separated list of ${[...LISTED_STATES].join(', ')}` }), req.requestId);
    }
    const wanted = new Set(states);
    // stored executions (suspended, or failed runs that can be resumed) in the asked states
    const storedWanted = wanted.has('suspended') || wanted.has('failed') || wanted.has('cancelled');
    const page = storedWanted ? await context.suspensions.list({ limit, cursor }) : { items: [], next: null };
    const stored = page.items.filter((e) => wanted.has(e.status === 'timed_out' ? 'failed' : e.status)).map(summary);
    const liveStates = states.filter((x): x is ListedState => x !== 'suspended');
    const live = cursor === null && liveStates.length > 0 ? await context.executions.list(liveStates) : [];
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const storedIds = new Set(stored.map((e) => e.executionId));
    const listed = live
      .filter((e) => !storedIds.has(e.executionId))
      .map((e) => ({ executionId: e.executionId, status: e.state, owner: e.owner, structuralHash: e.structuralHash, startedAt: iso(e.startedAt), finishedAt: iso(e.finishedAt) }));
    return json(200, { executions: [...stored, ...listed], nextCursor: page.next });
  };

  const remove = async (req: HttpRequest): Promise<HttpReply> => {
    const id = req.params['id']!;
    if (!UUID.test(id)) return missing(id);
    const claim = await context.suspensions.claim(id);
    if (!claim) return errorReply('ResumeInProgress', formatError('ResumeInProgress', { id }), req.requestId);
    try {
      return (await claim.delete()) ? json(200, { deleted: true }) : missing(id);
    } finally {
      await claim.release();
    }
  };

  const idParam = { id: 'Execution id (UUID)' };
  return [
    {
      method: 'GET',
      path: '/executions',
      handler: list,
      doc: {
        summary: 'Suspended (resumable) executions, a page at a time; with ?status= also running and finished ones, of every instance',
        description:
          'Without status: the stored executions, oldest first. status=suspended,running,completed,failed,cancelled (any of them, comma-separated): ' +
          'stored executions in those states (paged), then, on the first page, running executions and the kept results of finished asynchronous runs (at most 1000 per instance).',
        tag: 'executions',
        query: {
          limit: `Page size, 1–${MAX_PAGE} (default ${MAX_PAGE})`,
          cursor: 'nextCursor of the previous page',
          status: 'Comma-separated states: suspended, running, completed, failed, cancelled',
        },
        responses: { 200: { description: 'The executions', schema: ExecutionsResponse }, 400: errorDoc('InvalidRequest: a bad limit, cursor or status') },
      },
    },
    {
      method: 'DELETE',
      path: '/executions/:id',
      handler: remove,
      doc: {
        summary: 'Discard a suspended execution',
        tag: 'executions',
        params: idParam,
        responses: { 200: { description: 'Deleted', schema: DeleteResponse }, 404: errorDoc('NotFound'), 409: errorDoc('ResumeInProgress') },
      },
    },
  ];
}
