import type { Dag } from '../../runtime/compiler/dag.js';
import { InputError } from '../../runtime/engine/engine.js';
import type { StepAction, StepReply } from '../../runtime/engine/execution-control.js';
import { ConstellationError, formatError } from '../../runtime/errors.js';
import type { ServerContext } from '../context.js';
import { errorReply } from '../http/error-reply.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { DebugSessionReply, DebugSessionRequest, DebugStoppedReply } from '../schemas.js';
import { diagnosticsJson, errorMessages, executeResponse } from './compile-run.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { jsonBody, notFound } from './reply.js';

/**
 * Step-through debugging over HTTP (the reference offers it only as LSP methods):
 *
 *   POST   /debug/sessions                 {source | ref, inputs} → 201 {sessionId, state, …}
 *   POST   /debug/sessions/{id}/next       runs the next batch of module calls
 *   POST   /debug/sessions/{id}/continue   runs everything left; the run's result
 *   GET    /debug/sessions/{id}            the state, nothing runs
 *   DELETE /debug/sessions/{id}            stops the session (also POST …/{id}/stop, which
 *                                          a key with the Execute role may send)
 *
 * A session lives on the instance that started it (it holds a live execution); its id names
 * that instance in a cluster, so any instance can take the next call and forward it (410
 * `SessionLost` when the owner is gone, 504 `OwnerTimeout` when it does not answer in time).
 * Sessions idle for CONSTELLATION_DEBUG_SESSION_IDLE are stopped; an instance holds at most
 * CONSTELLATION_DEBUG_SESSIONS_MAX (429 `TooManyDebugSessions` beyond).
 *
 * Replies: `{sessionId, state, isComplete, result}` where `state` is the step state of the
 * reference's protocol (current batch, batch nodes, completed nodes with value previews, pending
 * nodes) and `result` the `/execute` body once the run has ended (else null); `continue` also
 * gives `outputs` and `executionTimeMs`, as the reference's `stepContinue` does.
 */

/** Session ids as this server makes them: a UUID, or `<instance id>:<UUID>` in a cluster. */
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

function reply(r: StepReply): Record<string, unknown> {
  return { sessionId: r.sessionId, state: r.state, isComplete: r.isComplete, result: r.result ? executeResponse(r.result) : null };
}

function missingSession(id: string): HttpReply {
  return notFound(`Debug session '${id}' not found (it expired, was stopped, or never existed)`);
}

/** Coded failures of the control (and of routing to the owner) as their replies. */
function failure(e: unknown, req: HttpRequest): HttpReply {
  if (e instanceof InputError) return errorReply('InputError', formatError('InputError', { detail: e.message }), req.requestId);
  if (e instanceof ConstellationError) return errorReply(e.code, e.message, req.requestId);
  throw e;
}

export function debugSessionRoutes(context: ServerContext): RouteSpec[] {
  const resolveDag = async (req: HttpRequest, body: DebugSessionRequest): Promise<Dag | HttpReply> => {
    if (body.source !== undefined) {
      const compiled = context.engine.compile(body.source);
      if (!compiled.ok) {
        const base = errorReply('CompilationError', errorMessages(compiled).join('; '), req.requestId);
        return json(400, { ...(base.body as object), compilationErrors: errorMessages(compiled), diagnostics: diagnosticsJson(compiled) });
      }
      return compiled.dag!;
    }
    const pipelines = context.pipelines;
    let resolved = pipelines.resolve(body.ref!);
    if (!resolved.ok && resolved.problem === 'not-local') resolved = await pipelines.resolveFromAuthority(body.ref!);
    if (!resolved.ok) return resolved.problem === 'invalid' ? errorReply('InvalidRequest', formatError('InvalidRequest', { detail: `invalid ref: ${resolved.message}` }), req.requestId) : notFound(resolved.message, req.requestId);
    const image = pipelines.image(resolved.hash) ?? (pipelines.completeView ? undefined : await pipelines.fetchImage(resolved.hash));
    return image ? image.dag : notFound(`Pipeline '${body.ref}' not found`, req.requestId);
  };

  const start = async (req: HttpRequest): Promise<HttpReply> => {
    const parsed = await jsonBody(req, DebugSessionRequest);
    if (!parsed.ok) return parsed.reply;
    if (!context.lifecycle.acceptingWork) return errorReply('ShuttingDown', formatError('ShuttingDown'), req.requestId);
    const dag = await resolveDag(req, parsed.value);
    if (!('nodes' in dag)) return dag;
    try {
      const started = await context.executions.startStepping(dag, parsed.value.inputs ?? {});
      return json(201, { ...reply(started), totalBatches: started.state.totalBatches }, { location: `/debug/sessions/${encodeURIComponent(started.sessionId)}` });
    } catch (e) {
      return failure(e, req);
    }
  };

  const act = (action: StepAction) => async (req: HttpRequest): Promise<HttpReply> => {
    const id = req.params['id']!;
    if (!SESSION_ID.test(id)) return missingSession(id);
    let r: StepReply | undefined;
    try {
      r = await context.executions.step(id, action);
    } catch (e) {
      return failure(e, req);
    }
    if (!r) return missingSession(id);
    if (action === 'stop') return json(200, { sessionId: id, stopped: true });
    const body = reply(r);
    if (action === 'continue' && r.result) return json(200, { ...body, outputs: r.result.outputs, executionTimeMs: r.result.durationMs });
    return json(200, body);
  };

  const idParam = { id: 'Session id (as POST /debug/sessions answered it)' };
  const sessionErrors = {
    404: errorDoc('NotFound: no such session (expired, stopped or unknown)'),
    410: errorDoc('SessionLost: the instance that held the session is gone'),
    503: errorDoc('CoordinationUnavailable: the owner cannot be reached (cluster)'),
    504: errorDoc('OwnerTimeout: the owner did not answer in time'),
  };
  return [
    {
      method: 'POST',
      path: '/debug/sessions',
      handler: start,
      doc: {
        summary: 'Start a step-through session (no module runs yet)',
        tag: 'debug',
        body: { schema: DebugSessionRequest, required: true },
        responses: {
          201: { description: 'The session, at batch 0 (inputs resolved)', schema: DebugSessionReply },
          400: errorDoc('InvalidRequest, CompilationError or InputError'),
          404: errorDoc('NotFound: the ref resolves to no pipeline'),
          429: errorDoc('TooManyDebugSessions'),
          503: errorDoc('ShuttingDown'),
        },
      },
    },
    {
      method: 'POST',
      path: '/debug/sessions/:id/next',
      handler: act('next'),
      doc: { summary: 'Run the next batch of module calls', tag: 'debug', params: idParam, responses: { 200: { description: 'The new state', schema: DebugSessionReply }, ...sessionErrors } },
    },
    {
      method: 'POST',
      path: '/debug/sessions/:id/continue',
      handler: act('continue'),
      doc: { summary: 'Run everything that is left', tag: 'debug', params: idParam, responses: { 200: { description: 'The final state and the run', schema: DebugSessionReply }, ...sessionErrors } },
    },
    {
      method: 'GET',
      path: '/debug/sessions/:id',
      handler: act('state'),
      doc: { summary: 'The state of a session (runs nothing)', tag: 'debug', params: idParam, responses: { 200: { description: 'The state', schema: DebugSessionReply }, ...sessionErrors } },
    },
    {
      method: 'DELETE',
      path: '/debug/sessions/:id',
      handler: act('stop'),
      doc: {
        summary: 'Stop a session (its execution is cancelled)',
        tag: 'debug',
        params: idParam,
        responses: { 200: { description: 'Stopped', schema: DebugStoppedReply }, ...sessionErrors },
      },
    },
    {
      method: 'POST',
      path: '/debug/sessions/:id/stop',
      handler: act('stop'),
      doc: {
        summary: 'Stop a session (as DELETE does; allowed to keys with the Execute role)',
        tag: 'debug',
        params: idParam,
        responses: { 200: { description: 'Stopped', schema: DebugStoppedReply }, ...sessionErrors },
      },
    },
  ];
}
