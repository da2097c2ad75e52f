import type { ModuleNode } from '../../runtime/compiler/dag.js';
import type { RefResolution } from '../../runtime/pipelines/refs.js';
import { isHash } from '../../runtime/stores/pipeline-store.js';
import { ctypeString } from '../../runtime/types/ctype.js';
import type { ServerContext } from '../context.js';
import { moduleNodeInfo } from '../module-info.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { AliasRequest, AliasResponse, DeleteResponse, PipelineDetail, PipelinesResponse } from '../schemas.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply, invalidName, jsonBody, notFound } from './reply.js';

/**
 * Pipeline store routes: `GET /pipelines`, `GET /pipelines/{ref}`,
 * `DELETE /pipelines/{ref}`, `PUT /pipelines/{name}/alias`.
 *
 * Decisions:
 * - Refs resolve as everywhere (docs/decisions.md #13, `resolveRef`). A ref that resolves to
 *   nothing is 404 NotFound "Pipeline '<ref>' not found" — also one that could never resolve
 *   (`sha256:` + non-hex, over 256 characters), as the API specification says for these routes
 *   (only `/execute` validates refs with 400 "Invalid ref").
 * - DELETE by alias (docs/decisions.md #17): when that alias is the only one pointing at its image,
 *   the alias and the image are both deleted (200 `{"deleted":true}`); when other aliases also
 *   point at it → 409 `AliasConflict` naming them all. DELETE by hash with any alias → 409.
 *   Versions, canaries and suspended executions are left alone; a later rollback to a
 *   deleted image answers 404 "no longer exists". An image a running canary routes traffic to
 *   (its old or new version) cannot be deleted: 409 `CanaryConflict`.
 * - PUT alias accepts the hash bare or as `sha256:<hash>`, in any case. It records no version
 *   but keeps docs/decisions.md #20 ("the active version is the one the alias points to"):
 *   when the target is one of the name's recorded versions, that version (the newest with this
 *   hash) becomes the active one. It is refused with 409 `CanaryConflict` while a canary of the
 *   name is running, since the canary would move the alias again when it completes.
 * - Lists are sorted (pipelines by compile time, then hash) so answers are deterministic.
 */

export function pipelineRoutes(context: ServerContext): RouteSpec[] {
  const catalogue = context.pipelines;
  /** Resolves a path ref, asking the authority when the local view may lag (cluster). */
  const resolve = async (ref: string): Promise<RefResolution> => {
    const local = catalogue.resolve(ref);
    return !local.ok && local.problem === 'not-local' ? catalogue.resolveFromAuthority(ref) : local;
  };

  // from the summaries: listing never reads an image the store keeps on disk
  const list = (): HttpReply => {
    const pipelines = [...catalogue.summaries()]
      .sort((a, b) => (a.compiledAt < b.compiledAt ? -1 : a.compiledAt > b.compiledAt ? 1 : a.structuralHash < b.structuralHash ? -1 : 1))
      .map((s) => ({
        structuralHash: s.structuralHash,
        syntacticHash: s.syntacticHash,
        aliases: catalogue.aliasesOf(s.structuralHash),
        compiledAt: s.compiledAt,
        moduleCount: s.moduleCount,
        declaredOutputs: s.declaredOutputs,
      }));
    return json(200, { pipelines });
  };

  const detail = async (req: HttpRequest): Promise<HttpReply> => {
    const ref = req.params['ref']!;
    const resolved = await resolve(ref);
    if (!resolved.ok) return notFound(`Pipeline '${ref}' not found`);
    const image = await catalogue.fetchImage(resolved.hash);
    if (!image) return notFound(`Pipeline '${ref}' not found`);
    const dag = image.dag;
    return json(200, {
      structuralHash: image.structuralHash,
      syntacticHash: image.syntacticHash,
      aliases: catalogue.aliasesOf(image.structuralHash),
      compiledAt: image.compiledAt,
      modules: dag.nodes.filter((n): n is ModuleNode => n.kind === 'module').map((n) => moduleNodeInfo(context.engine.modules, dag, n)),
      declaredOutputs: dag.outputs.map((o) => o.name),
      inputSchema: Object.fromEntries(dag.inputs.map((i) => [i.name, ctypeString(i.type)])),
      outputSchema: Object.fromEntries(dag.outputs.map((o) => [o.name, ctypeString(o.type)])),
    });
  };

  const remove = async (req: HttpRequest): Promise<HttpReply> => {
    const ref = req.params['ref']!;
    const resolved = await resolve(ref);
    if (!resolved.ok) return notFound(`Pipeline '${ref}' not found`);
    const deleted = await catalogue.deleteImage(ref, resolved);
    return deleted.ok ? json(200, { deleted: true }) : errorReply(deleted.code, deleted.message);
  };

  const alias = async (req: HttpRequest): Promise<HttpReply> => {
    const name = req.params['name']!;
    const problem = invalidName(name);
    if (problem) return errorReply('InvalidRequest', problem);
    const parsed = await jsonBody(req, AliasRequest);
    if (!parsed.ok) return parsed.reply;
    const given = parsed.value.structuralHash;
    const hash = (given.startsWith('sha256:') ? given.slice(7) : given).toLowerCase();
    if (!isHash(hash)) return notFound(`Pipeline with hash '${given}' not found`);
    const moved = await catalogue.moveAlias(name, hash);
    if (!moved.ok) return errorReply(moved.code, moved.code === 'NotFound' ? `Pipeline with hash '${given}' not found` : moved.message);
    return json(200, { name, structuralHash: hash });
  };

  const refParam = { ref: 'Alias name, sha256:<hash>, or a bare 64-hex structural hash (alias first)' };
  return [
    {
      method: 'GET',
      path: '/pipelines',
      handler: list,
      doc: { summary: 'List stored pipeline images', tag: 'pipelines', responses: { 200: { description: 'Stored images', schema: PipelinesResponse } } },
    },
    {
      method: 'GET',
      path: '/pipelines/:ref',
      handler: detail,
      doc: {
        summary: 'Pipeline image detail',
        tag: 'pipelines',
        params: refParam,
        responses: { 200: { description: 'The image', schema: PipelineDetail }, 400: errorDoc('InvalidRequest: the ref is malformed'), 404: errorDoc('NotFound') },
      },
    },
    {
      method: 'DELETE',
      path: '/pipelines/:ref',
      handler: remove,
      doc: {
        summary: 'Delete an image (by hash), or an alias together with its image when it is the only alias',
        tag: 'pipelines',
        params: refParam,
        responses: {
          200: { description: 'Deleted', schema: DeleteResponse },
          400: errorDoc('InvalidRequest: the ref is malformed'),
          404: errorDoc('NotFound'),
          409: errorDoc('AliasConflict: (other) aliases point at the image; CanaryConflict: a running canary routes to it'),
        },
      },
    },
    {
      method: 'PUT',
      path: '/pipelines/:name/alias',
      handler: alias,
      doc: {
        summary: 'Create or move an alias',
        tag: 'pipelines',
        params: { name: 'Alias name' },
        body: { schema: AliasRequest, required: true },
        responses: {
          200: { description: 'The alias now points at the hash', schema: AliasResponse },
          400: errorDoc('InvalidRequest: malformed body or name'),
          404: errorDoc('NotFound: no image with that hash'),
          409: errorDoc('CanaryConflict: a canary of this name is running'),
        },
      },
    },
  ];
}
