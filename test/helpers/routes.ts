import type { ServerContext } from '../../server/context.js';
import { routeTable } from '../../server/routes/index.js';

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

export function serverRoutes(context: ServerContext): RouteEntry[] {
  return routeTable(context, new Map()).map((r) => ({ method: r.method, pattern: r.path }));
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
];
