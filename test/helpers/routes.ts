import type { ServerContext } from '../../server/context.js';
import { routeTable } from '../../server/routes/index.js';
import type { RouteSpec } from '../../server/routes/openapi.js';

/**
 * The one route table of the tests. `serverRoutes` reads the server's own table (so routes
 * added later are covered without editing a test); `REFERENCE_ROUTES` is the independent list
 * the reference's HTTP API promises (minus the opt-in /health/detail), which the OpenAPI test
 * holds the server to.
 */

export interface RouteEntry {
  readonly method: string;
  readonly pattern: string;
}

/** `attached`: the routes listeners added (the dashboard's: `server.host.attachedRoutes`). */
export function serverRoutes(context: ServerContext, attached: readonly RouteSpec[] = []): RouteEntry[] {
  return routeTable(context, new Map(), attached).map((r) => ({ method: r.method, pattern: r.path }));
}

/** Replaces `:param` segments with a placeholder value (`:version` with a number). */
export function fillPattern(pattern: string, value = 'placeholder'): string {
  return pattern.replace(/:[^/]+/g, (p) => (p === ':version' ? '1' : value));
}

/** [method, OpenAPI path] of every route the reference's HTTP API has, plus the server's additions. */
export const REFERENCE_ROUTES: readonly (readonly [string, string])[] = [
  ['post', '/compile'],
  ['post', '/run'],
  ['post', '/execute'],
  ['get', '/pipelines'],
  ['get', '/pipelines/{ref}'],
  ['delete', '/pipelines/{ref}'],
  ['put', '/pipelines/{name}/alias'],
  ['post', '/pipelines/{name}/reload'],
  ['get', '/pipelines/{name}/versions'],
  ['post', '/pipelines/{name}/rollback'],
  ['post', '/pipelines/{name}/rollback/{version}'],
  ['get', '/pipelines/{name}/canary'],
  ['post', '/pipelines/{name}/canary/promote'],
  ['post', '/pipelines/{name}/canary/rollback'],
  ['delete', '/pipelines/{name}/canary'],
  ['get', '/executions'],
  ['get', '/executions/{id}'],
  ['post', '/executions/{id}/resume'],
  ['delete', '/executions/{id}'],
  ['post', '/executions/{id}/cancel'],
  ['get', '/api/v1/executions/events'],
  ['post', '/debug/sessions'],
  ['post', '/debug/sessions/{id}/next'],
  ['post', '/debug/sessions/{id}/continue'],
  ['post', '/debug/sessions/{id}/stop'],
  ['get', '/debug/sessions/{id}'],
  ['delete', '/debug/sessions/{id}'],
  ['delete', '/cache'],
  ['delete', '/cache/modules/{name}'],
  ['get', '/modules'],
  ['get', '/modules/published'],
  ['post', '/modules/{name}/invoke'],
  ['get', '/namespaces'],
  ['get', '/namespaces/{namespace}'],
  ['get', '/health'],
  ['get', '/health/live'],
  ['get', '/health/ready'],
  ['get', '/metrics'],
  ['get', '/metrics/prometheus'],
  ['get', '/openapi.json'],
  // the dashboard (on by default): its shell and files, and its /api/v1 routes
  ['get', '/dashboard'],
  ['get', '/dashboard/'],
  ['get', '/dashboard/static/{dir}/{file}'],
  ['get', '/static/{dir}/{file}'],
  ['get', '/api/v1/files'],
  ['get', '/api/v1/file'],
  ['get', '/api/v1/files/{path}'],
  ['post', '/api/v1/preview'],
  ['post', '/api/v1/execute'],
  ['get', '/api/v1/executions'],
  ['get', '/api/v1/executions/{id}'],
  ['get', '/api/v1/executions/{id}/dag'],
  ['delete', '/api/v1/executions/{id}'],
  ['get', '/api/v1/status'],
  ['get', '/api/v1/canaries'],
  ['get', '/api/v1/modules'],
];
