import { createHash, timingSafeEqual } from 'node:crypto';
import { formatError } from '../runtime/errors.js';
import { errorReply } from './http/error-reply.js';
import type { ApiKey, Role } from './config.js';
import type { Middleware } from './http/middleware.js';
import type { HttpRequest } from './http/types.js';

/**
 * API-key authentication, opt-in: active when at least one valid key is
 * configured. Keys are held as SHA-256 digests and compared in constant time; they never reach
 * a log. Public paths are matched exactly (docs/decisions.md #19: `/health/detail` stays gated).
 * Roles allow HTTP methods: Admin all, Execute GET/POST, ReadOnly GET.
 */

export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/health', '/health/live', '/health/ready', '/metrics', '/metrics/prometheus']);

/**
 * Paths served without a key: the exact public paths, and the dashboard's HTML shell and static
 * files (docs/decisions.md #30: they hold no data, and a browser's navigation cannot carry a
 * Bearer token; the page asks for the key and sends it on every `/api/v1` call and WebSocket).
 */
export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || path === '/dashboard' || path === '/dashboard/' || path.startsWith('/dashboard/static/') || path.startsWith('/static/');
}

const ALLOWED: Record<Role, ReadonlySet<string>> = {
  Admin: new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  Execute: new Set(['GET', 'HEAD', 'POST', 'OPTIONS']),
  ReadOnly: new Set(['GET', 'HEAD', 'OPTIONS']),
};

export function roleAllows(role: Role, method: string): boolean {
  return ALLOWED[role].has(method);
}

/** Finds the role of a presented key, comparing against every configured digest in constant time. */
export function authenticate(keys: readonly ApiKey[], presented: string): Role | undefined {
  const digest = createHash('sha256').update(presented).digest();
  let found: Role | undefined;
  for (const k of keys) {
    // compare all, even after a match, so timing does not reveal the key's position
    if (timingSafeEqual(k.digest, digest) && found === undefined) found = k.role;
  }
  return found;
}

/** The bearer token of a request, from `Authorization: Bearer …` (scheme case-insensitive). */
export function bearerToken(req: Pick<HttpRequest, 'headers'>): string | undefined {
  const header = req.headers['authorization'];
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export function authMiddleware(keys: readonly ApiKey[]): Middleware {
  return {
    before(req) {
      if (isPublicPath(req.path) || req.method === 'OPTIONS') return undefined;
      const token = bearerToken(req);
      if (!token) {
        return errorReply('Unauthorized', formatError('Unauthorized'), req.requestId, { 'www-authenticate': 'Bearer' });
      }
      const role = authenticate(keys, token);
      if (!role) return errorReply('Unauthorized', 'Invalid API key', req.requestId, { 'www-authenticate': 'Bearer' });
      if (!roleAllows(role, req.method)) {
        return errorReply('Forbidden', formatError('Forbidden', { role, method: req.method }), req.requestId);
      }
      req.role = role;
      return undefined;
    },
  };
}

/**
 * The credential of a WebSocket upgrade. Browsers and the reference's editor extensions cannot
 * set headers on a WebSocket, so besides `Authorization` the key may come as a `?token=` query
 * parameter or as one of the `Sec-WebSocket-Protocol` values. Of several candidates the one that
 * authenticates wins; otherwise the first is returned (and fails as an invalid key).
 */
export function upgradeCredential(keys: readonly ApiKey[], req: Pick<HttpRequest, 'headers' | 'query'>): { token: string; fromProtocol: boolean } | undefined {
  const header = bearerToken(req);
  if (header) return { token: header, fromProtocol: false };
  const candidates: { token: string; fromProtocol: boolean }[] = [];
  const query = req.query.get('token');
  if (query) candidates.push({ token: query, fromProtocol: false });
  for (const p of offeredProtocols(req.headers)) candidates.push({ token: p, fromProtocol: true });
  return candidates.find((c) => authenticate(keys, c.token) !== undefined) ?? candidates[0];
}

/** The `Sec-WebSocket-Protocol` values a client offered, in its order. */
export function offeredProtocols(headers: Readonly<Record<string, string>>): string[] {
  const raw = headers['sec-websocket-protocol'];
  if (!raw) return [];
  return raw.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}
