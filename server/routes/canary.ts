import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { CanaryStateResponse } from '../schemas.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply, notFound } from './reply.js';

/**
 * Canary routes: `GET /pipelines/{name}/canary`,
 * `POST /pipelines/{name}/canary/promote`, `POST /pipelines/{name}/canary/rollback`,
 * `DELETE /pipelines/{name}/canary`. The state machine is runtime/pipelines/canary-release.ts (docs/decisions.md #20); the routes call the pipeline catalogue.
 *
 * Decisions:
 * - A finished canary (complete or rolled back) stays readable with its final status until a
 *   new one starts (#20); 404 only when the name never had one (since start-up: canary state
 *   is in memory, like the reference's).
 * - Promote and rollback act only on a running canary (`observing` / `promoting`); on a
 *   finished one they return it unchanged with 200 (so a retried request is harmless).
 * - When a promote completes the canary, the alias moves to the new version and that version
 *   becomes the active one (#20: the active version is the one the alias points to).
 * - No request body is read.
 */

export function canaryRoutes(context: ServerContext): RouteSpec[] {
  const catalogue = context.pipelines;

  const get = (req: HttpRequest): HttpReply => {
    const name = req.params['name']!;
    const canary = catalogue.canary(name);
    return canary ? json(200, canary) : notFound(`No canary deployment active for pipeline '${name}'`);
  };

  const promote = async (req: HttpRequest): Promise<HttpReply> => {
    const outcome = await catalogue.promoteCanary(req.params['name']!);
    return outcome.ok ? json(200, outcome.canary) : errorReply(outcome.code, outcome.message);
  };

  const rollback = async (req: HttpRequest): Promise<HttpReply> => {
    const outcome = await catalogue.rollbackCanary(req.params['name']!);
    return outcome.ok ? json(200, outcome.canary) : errorReply(outcome.code, outcome.message);
  };

  const nameParam = { name: 'Pipeline (alias) name' };
  const responses = { 200: { description: 'The canary state', schema: CanaryStateResponse }, 404: errorDoc('NotFound: no canary for this name') };
  return [
    { method: 'GET', path: '/pipelines/:name/canary', handler: get, doc: { summary: 'Canary state (running or last finished)', tag: 'canary', params: nameParam, responses } },
    {
      method: 'POST',
      path: '/pipelines/:name/canary/promote',
      handler: promote,
      doc: { summary: 'Advance a running canary one step (the last step completes it and moves the alias)', tag: 'canary', params: nameParam, responses },
    },
    {
      method: 'POST',
      path: '/pipelines/:name/canary/rollback',
      handler: rollback,
      doc: { summary: 'Abort a running canary (status rolled_back; the alias stays on the old version)', tag: 'canary', params: nameParam, responses },
    },
    { method: 'DELETE', path: '/pipelines/:name/canary', handler: rollback, doc: { summary: 'Abort a running canary (same as POST …/canary/rollback)', tag: 'canary', params: nameParam, responses } },
  ];
}
