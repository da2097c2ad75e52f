import { formatError } from '../../runtime/errors.js';
import type { CacheScope } from '../../runtime/engine/spi.js';
import type { ServerContext } from '../context.js';
import { errorReply } from '../http/error-reply.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { CacheClearedResponse } from '../schemas.js';
import { errorDoc, type RouteSpec } from './openapi.js';

/**
 * `DELETE /cache` (every module result) and `DELETE /cache/modules/{name}` (one module's):
 * `200 {"cleared": <entries dropped here>, "scope": "all" | "<module>"}`. DELETE needs the Admin
 * role. In a cluster every instance drops the same scope; when the others cannot be told (NATS
 * away) the answer is 503 `CoordinationUnavailable`, after this instance dropped its own: the
 * others drop theirs within their bounded cache TTL and flush after reconnecting.
 */
export function cacheRoutes(context: ServerContext): RouteSpec[] {
  const clear = (scopeOf: (req: HttpRequest) => CacheScope, label: (req: HttpRequest) => string) => async (req: HttpRequest): Promise<HttpReply> => {
    const { cleared, propagated } = await context.resultCaches.invalidate(scopeOf(req));
    if (propagated === false) {
      const detail = `cleared ${cleared} entries on this instance, but the other instances could not be told; they drop theirs within their cache TTL and after reconnecting`;
      return errorReply('CoordinationUnavailable', formatError('CoordinationUnavailable', { detail }), req.requestId);
    }
    return json(200, { cleared, scope: label(req) });
  };
  const responses = {
    200: { description: 'Cleared', schema: CacheClearedResponse },
    503: errorDoc('CoordinationUnavailable: cleared here, the other instances could not be told'),
  };
  return [
    {
      method: 'DELETE',
      path: '/cache',
      handler: clear(() => 'all', () => 'all'),
      doc: { summary: 'Clear every cached module result (cluster-wide)', tag: 'cache', responses },
    },
    {
      method: 'DELETE',
      path: '/cache/modules/:name',
      handler: clear((req) => ({ module: context.engine.modules.get(req.params['name']!)?.id ?? req.params['name']! }), (req) => req.params['name']!),
      doc: { summary: "Clear one module's cached results (cluster-wide)", tag: 'cache', params: { name: 'Module name' }, responses },
    },
  ];
}
