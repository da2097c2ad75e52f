import type { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { canaryConfigFrom, type CanaryVersion } from '../../runtime/pipelines/canary-release.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { ReloadRequest, ReloadResponse, RollbackResponse, VersionsResponse } from '../schemas.js';
import type { PipelineVersion } from '../../runtime/stores/version-store.js';
import { errorMessages, storeImage } from './compile-run.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply, invalidName, jsonBody, notFound } from './reply.js';

/**
 * Versioning and hot reload (http-api.md §5): `POST /pipelines/{name}/reload`,
 * `GET /pipelines/{name}/versions`, `POST /pipelines/{name}/rollback[/{version}]`. Versioning
 * and canaries are always enabled (the `VersioningNotEnabled` / `CanaryNotEnabled` answers of
 * §5 and §6 never occur).
 *
 * Decisions:
 * - DECISIONS.md #20: a failed reload stores nothing. Every conflict (compile error, canary
 *   conflict) is detected before the image is stored or a version recorded.
 * - The active version is the one the alias points to (#20). A plain reload records the new
 *   version as active and moves the alias; a reload with a canary records it *without*
 *   activating it and leaves the alias on the old version; completion of the canary activates
 *   it and moves the alias (canary.ts, execute and promote routes).
 * - The canary's old version is the recorded version the alias points to (the active one when
 *   it matches). If the alias points at no recorded version of the name (or there is no alias),
 *   the canary has nothing to compare against: 409 "No previous version exists…".
 * - A reload *without* a canary while a canary of the name is running → 409 `CanaryConflict`
 *   (the reference moves the alias under the canary, which then moves it again on completion).
 * - An unchanged reload (same hash as the alias) changes nothing and reports the version the
 *   alias points to; if the name has no recorded version yet (alias set by PUT), one is
 *   recorded, as a named /compile does (DECISIONS.md #17), so `version` is always real.
 * - A malformed JSON body is 400 `InvalidRequest` (DECISIONS.md #16; the reference answers 500).
 *   An empty body (or none) means "re-read the file". An invalid canary config (weights outside
 *   0..1, an empty step list) is 400 `InvalidRequest`; an unparsable observation window falls
 *   back to 5 minutes as in the reference.
 * - Compilation is not time-limited (see execution.ts: linear-time compiler, bounded body).
 * - Rollback during a running canary aborts the canary first (status `rolled_back`): rolling
 *   back is the emergency action and must win; otherwise rollback touches no canary (§5.4).
 * - `{version}` must match `-?[0-9]+` (so `1.0` and `1e0` are `InvalidVersion`).
 */


/** The recorded version the alias of `name` points to (the active one if it matches). */
export function aliasVersion(ctx: ServerContext, name: string): PipelineVersion | undefined {
  const hash = ctx.store.resolveAlias(name);
  if (hash === undefined) return undefined;
  const active = ctx.versions.active(name);
  if (active && active.structuralHash === hash) return active;
  return [...ctx.versions.list(name)].reverse().find((v) => v.structuralHash === hash);
}

export function versionRoutes(ctx: ServerContext): RouteSpec[] {
  const reload = async (req: HttpRequest): Promise<HttpReply> => {
    const name = req.params['name']!;
    const problem = invalidName(name);
    if (problem) return errorReply(400, 'InvalidRequest', problem);
    const parsed = await jsonBody(req, ReloadRequest);
    if (!parsed.ok) return parsed.reply;
    try {
      return await ctx.names.run(name, () => reloadLocked(name, parsed.value));
    } catch (e) {
      ctx.logger.error({ requestId: req.requestId, err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, `[${req.requestId}] reload of '${name}' failed`);
      return errorReply(500, 'InternalError', `Unexpected error: ${e instanceof Error ? e.message : String(e)}`, req.requestId);
    }
  };

  /** The reload itself, under the name's lock: its checks and writes must not interleave. */
  const reloadLocked = async (name: string, request: z.output<typeof ReloadRequest>): Promise<HttpReply> => {
    let source = request.source;
    if (source === undefined) {
      const file = ctx.pipelineFiles.get(name);
      if (file === undefined) return errorReply(400, 'NoSource', 'No source provided and no file path known for this pipeline');
      try {
        source = await readFile(file, 'utf8');
      } catch (e) {
        return errorReply(400, 'NoSource', `Failed to read file ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const result = ctx.engine.compile(source);
    if (!result.ok) return errorReply(400, 'CompilationError', errorMessages(result).join('; '));
    const newHash = result.hashes.structural!;
    const previousHash = ctx.store.resolveAlias(name) ?? null;

    if (newHash === previousHash) {
      let current = aliasVersion(ctx, name);
      if (!current) {
        const image = await storeImage(ctx, result, source);
        current = await ctx.versions.record(name, image.structuralHash, source);
      }
      return json(200, { success: true, previousHash, newHash, name, changed: false, version: current.version, canary: null });
    }

    // every conflict is checked before anything is stored (DECISIONS.md #20)
    const running = ctx.canaries.active(name);
    const wantsCanary = request.canary !== undefined;
    if (running) {
      return errorReply(409, 'CanaryConflict', wantsCanary ? `Canary deployment already active for pipeline '${name}'` : `Canary deployment active for pipeline '${name}': promote or roll it back before reloading without a canary`);
    }
    let old: PipelineVersion | undefined;
    if (wantsCanary) {
      old = aliasVersion(ctx, name);
      if (!old) return errorReply(409, 'CanaryConflict', 'No previous version exists for canary deployment');
    }

    const image = await storeImage(ctx, result, source);
    if (!wantsCanary) {
      const version = await ctx.versions.record(name, image.structuralHash, source, true);
      await ctx.store.setAlias(name, image.structuralHash);
      return json(200, { success: true, previousHash, newHash, name, changed: true, version: version.version, canary: null });
    }
    const version = await ctx.versions.record(name, image.structuralHash, source, false);
    const toRef = (v: PipelineVersion): CanaryVersion => ({ version: v.version, structuralHash: v.structuralHash });
    const canary = ctx.canaries.start(name, toRef(old!), toRef(version), canaryConfigFrom(request.canary!));
    return json(200, { success: true, previousHash, newHash, name, changed: true, version: version.version, canary: canary.toJSON() });
  };

  const versions = (req: HttpRequest): HttpReply => {
    const name = req.params['name']!;
    const list = ctx.versions.list(name);
    if (list.length === 0) return notFound(`Pipeline '${name}' not found`);
    const active = ctx.versions.activeNumber(name);
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
        return errorReply(400, 'InvalidVersion', `Version must be an integer, got '${given}'`);
      }
      target = Number(given);
    }
    const current = ctx.versions.activeNumber(name);
    if (current === 0) return notFound(`Pipeline '${name}' not found`);
    const wanted = target ?? current - 1;
    const version = ctx.versions.get(name, wanted);
    if (!version) {
      return notFound(target !== undefined ? `Version ${target} not found for pipeline '${name}'` : `No previous version exists for pipeline '${name}'`);
    }
    if (!ctx.store.getImage(version.structuralHash)) {
      return notFound(`Pipeline image for version ${wanted} (hash=${version.structuralHash.slice(0, 12)}...) no longer exists`);
    }
    ctx.canaries.active(name)?.rollback();
    await ctx.versions.activate(name, wanted);
    await ctx.store.setAlias(name, version.structuralHash);
    return json(200, { success: true, name, previousVersion: current, activeVersion: wanted, structuralHash: version.structuralHash });
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
