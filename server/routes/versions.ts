import type { z } from 'zod';
import { formatError } from '../../runtime/errors.js';
import { DEFAULT_CANARY } from '../../runtime/pipelines/canary-release.js';
import type { CanaryConfig } from '../../runtime/stores/canary-store.js';
import { parseDuration } from '../config.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { sharedStateReply } from '../http/error-reply.js';
import { ReloadRequest, ReloadResponse, RollbackResponse, VersionsResponse } from '../schemas.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply, invalidName, jsonBody, notFound } from './reply.js';

/**
 * Versioning and hot reload: `POST /pipelines/{name}/reload`,
 * `GET /pipelines/{name}/versions`, `POST /pipelines/{name}/rollback[/{version}]`. Versioning
 * and canaries are always enabled (the reference's `VersioningNotEnabled` / `CanaryNotEnabled`
 * answers never occur).
 *
 * Decisions:
 * - docs/decisions.md #20: a failed reload stores nothing. Every conflict (compile error, canary
 *   conflict) is detected before the image is stored or a version recorded.
 * - The active version is the one the alias points to (#20). A plain reload records the new
 *   version as active and moves the alias; a reload with a canary records it *without*
 *   activating it and leaves the alias on the old version; completion of the canary activates
 *   it and moves the alias (the pipeline catalogue, on the request that completes it or a promote).
 * - The canary's old version is the recorded version the alias points to (the active one when
 *   it matches). If the alias points at no recorded version of the name (or there is no alias),
 *   the canary has nothing to compare against: 409 "No previous version exists…".
 * - A reload *without* a canary while a canary of the name is running → 409 `CanaryConflict`
 *   (the reference moves the alias under the canary, which then moves it again on completion).
 * - An unchanged reload (same hash as the alias) changes nothing and reports the version the
 *   alias points to; if the name has no recorded version yet (alias set by PUT), one is
 *   recorded, as a named /compile does (docs/decisions.md #17), so `version` is always real.
 * - A malformed JSON body is 400 `InvalidRequest` (docs/decisions.md #16; the reference answers 500).
 *   An empty body (or none) means "re-read the file". An invalid canary config (weights outside
 *   0..1, an empty step list) is 400 `InvalidRequest`; an unparsable observation window falls
 *   back to 5 minutes as in the reference.
 * - Compilation is not time-limited (see compile-run.ts: linear-time compiler, bounded body).
 * - Rollback during a running canary aborts the canary first (status `rolled_back`): rolling
 *   back is the emergency action and must win; otherwise rollback touches no canary.
 * - `{version}` must match `-?[0-9]+` (so `1.0` and `1e0` are `InvalidVersion`).
 */


/** A reload request's canary settings with the defaults filled in. */
export function canaryConfigFrom(request: NonNullable<z.output<typeof ReloadRequest>['canary']>): CanaryConfig {
  const window = request.observationWindow !== undefined ? parseDuration(request.observationWindow) : undefined;
  return {
    initialWeight: request.initialWeight ?? DEFAULT_CANARY.initialWeight,
    promotionSteps: request.promotionSteps ?? DEFAULT_CANARY.promotionSteps,
    observationWindowMs: window ?? DEFAULT_CANARY.observationWindowMs,
    errorThreshold: request.errorThreshold ?? DEFAULT_CANARY.errorThreshold,
    latencyThresholdMs: request.latencyThresholdMs ?? null,
    minRequests: request.minRequests ?? DEFAULT_CANARY.minRequests,
    autoPromote: request.autoPromote ?? DEFAULT_CANARY.autoPromote,
  };
}

export function versionRoutes(context: ServerContext): RouteSpec[] {
  const catalogue = context.pipelines;

  const reload = async (req: HttpRequest): Promise<HttpReply> => {
    const name = req.params['name']!;
    const problem = invalidName(name);
    if (problem) return errorReply('InvalidRequest', problem);
    const parsed = await jsonBody(req, ReloadRequest);
    if (!parsed.ok) return parsed.reply;
    const { source, canary } = parsed.value;
    try {
      const outcome = await catalogue.reload(name, { ...(source !== undefined ? { source } : {}), ...(canary !== undefined ? { canary: canaryConfigFrom(canary) } : {}) });
      if (!outcome.ok) return errorReply(outcome.code, outcome.message);
      return json(200, { success: true, previousHash: outcome.previousHash, newHash: outcome.newHash, name, changed: outcome.changed, version: outcome.version, canary: outcome.canary });
    } catch (e) {
      const shared = sharedStateReply(e, req.requestId);
      if (shared) return shared;
      context.logger.error({ requestId: req.requestId, err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, `[${req.requestId}] reload of '${name}' failed`);
      return errorReply('InternalError', formatError('InternalError', { detail: e instanceof Error ? e.message : String(e) }), req.requestId);
    }
  };

  const versions = (req: HttpRequest): HttpReply => {
    const name = req.params['name']!;
    const history = catalogue.versionHistory(name);
    const list = history?.versions ?? [];
    if (list.length === 0) return notFound(`Pipeline '${name}' not found`);
    const active = history?.active ?? 0;
    return json(200, {
      name,
      versions: [...list]
        .sort((a, b) => b.version - a.version)
        .map((v) => ({ version: v.version, structuralHash: v.structuralHash, createdAt: v.createdAt, active: v.version === active })),
      activeVersion: active,
    });
  };

  const rollback = async (req: HttpRequest): Promise<HttpReply> => {
    const name = req.params['name']!;
    const given = req.params['version'];
    let target: number | undefined;
    if (given !== undefined) {
      if (!/^-?\d+$/.test(given) || !Number.isSafeInteger(Number(given))) {
        return errorReply('InvalidVersion', formatError('InvalidVersion', { given }));
      }
      target = Number(given);
    }
    const outcome = await catalogue.rollback(name, target);
    if (!outcome.ok) return errorReply(outcome.code, outcome.message);
    return json(200, { success: true, name, previousVersion: outcome.previousVersion, activeVersion: outcome.activeVersion, structuralHash: outcome.structuralHash });
  };

  const nameParam = { name: 'Pipeline (alias) name' };
  const rollbackResponses = {
    200: { description: 'Rolled back', schema: RollbackResponse },
    404: errorDoc('NotFound: no such pipeline, version, or the version image was deleted'),
  };
  return [
    {
      method: 'POST',
      path: '/pipelines/:name/reload',
      handler: reload,
      doc: {
        summary: 'Hot reload: compile new source (or re-read the file), record a version, optionally start a canary',
        tag: 'versions',
        params: nameParam,
        body: { schema: ReloadRequest, required: false, description: 'Optional; without `source` the file the pipeline was loaded from is re-read' },
        responses: {
          200: { description: 'Reloaded (or unchanged)', schema: ReloadResponse },
          400: errorDoc('NoSource, CompilationError, or InvalidRequest (malformed body)'),
          409: errorDoc('CanaryConflict: a canary is running, or there is no previous version for a canary'),
          500: errorDoc('InternalError'),
        },
      },
    },
    {
      method: 'GET',
      path: '/pipelines/:name/versions',
      handler: versions,
      doc: {
        summary: 'Version history, newest first',
        tag: 'versions',
        params: nameParam,
        responses: { 200: { description: 'Versions', schema: VersionsResponse }, 404: errorDoc('NotFound: no versions recorded for the name') },
      },
    },
    {
      method: 'POST',
      path: '/pipelines/:name/rollback',
      handler: rollback,
      doc: { summary: 'Roll back to the previous version (active − 1)', tag: 'versions', params: nameParam, responses: rollbackResponses },
    },
    {
      method: 'POST',
      path: '/pipelines/:name/rollback/:version',
      handler: rollback,
      doc: {
        summary: 'Roll back (or forward) to a given version',
        tag: 'versions',
        params: { ...nameParam, version: 'Version number (integer)' },
        responses: { ...rollbackResponses, 400: errorDoc('InvalidVersion: not an integer') },
      },
    },
  ];
}
