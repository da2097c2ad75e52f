import type { Middleware } from './http/middleware.js';
import { errorReply } from './http/error-reply.js';

/**
 * CORS, opt-in: active when at least one origin is configured. Preflights
 * are answered here, before rate limiting and auth see them. Credentials are never allowed.
 */

const METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const HEADERS = 'Content-Type, Authorization, X-Request-ID';

export function corsMiddleware(origins: readonly string[]): Middleware {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (!origin) return undefined;
    if (any) return '*';
    return allowed.has(origin) ? origin : undefined;
  };
  return {
    before(req) {
      if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return undefined;
      const origin = allowOrigin(req.headers['origin']);
      if (!origin) return errorReply('Forbidden', 'Origin not allowed', req.requestId);
      return {
        status: 200,
        body: '',
        raw: true,
        headers: {
          'access-control-allow-methods': METHODS,
          'access-control-allow-headers': HEADERS,
          'access-control-max-age': '3600',
        },
      };
    },
    headers(req, out) {
      const origin = allowOrigin(req.headers['origin']);
      if (!origin) return;
      out['access-control-allow-origin'] = origin;
      out['access-control-expose-headers'] = 'X-Request-ID, Retry-After';
      if (!any) out['vary'] = 'Origin';
    },
  };
}
