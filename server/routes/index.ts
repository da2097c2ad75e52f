import type { ServerContext } from '../context.js';
import type { Router } from '../http/router.js';
import { compileRoute, executeRoute, resumeRoute, runRoute } from './execution.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { metricsRoutes } from './metrics.js';

/** The route table (http-api.md §2). */
export function registerRoutes(router: Router, ctx: ServerContext, checks: ReadonlyMap<string, ReadinessCheck>): void {
  const health = healthRoutes(ctx, checks);
  const metrics = metricsRoutes(ctx);
  router
    .add('POST', '/compile', compileRoute(ctx))
    .add('POST', '/run', runRoute(ctx))
    .add('POST', '/execute', executeRoute(ctx))
    .add('POST', '/executions/:id/resume', resumeRoute(ctx))
    .add('GET', '/health', health.health)
    .add('GET', '/health/live', health.live)
    .add('GET', '/health/ready', health.ready)
    .add('GET', '/metrics', metrics.metrics)
    .add('GET', '/metrics/prometheus', metrics.prometheus);
  if (ctx.config.healthDetailEnabled) router.add('GET', '/health/detail', health.detail);
}
