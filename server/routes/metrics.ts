import type { ServerContext } from '../context.js';
import { json, text, type HttpReply, type HttpRequest } from '../http/types.js';

/**
 * `/metrics`: JSON by default; Prometheus text when `Accept` admits
 * text/plain, or at `/metrics/prometheus`. `requests_total` counts every request and the
 * scheduler section reports the real scheduler (docs/decisions.md #21).
 */

export function metricsJson(context: ServerContext): Record<string, unknown> {
  const cache = context.engine.compileCache.stats();
  const s = context.engine.scheduler.stats();
  return {
    timestamp: new Date().toISOString(),
    cache: { hits: cache.hits, misses: cache.misses, hitRate: cache.hitRate, evictions: cache.evictions, entries: cache.entries },
    scheduler: s.enabled
      ? {
          enabled: true,
          activeCount: s.activeCount,
          queuedCount: s.queuedCount,
          totalSubmitted: s.totalSubmitted,
          totalCompleted: s.totalCompleted,
          highPriorityCompleted: s.highPriorityCompleted,
          lowPriorityCompleted: s.lowPriorityCompleted,
          starvationPromotions: s.starvationPromotions,
        }
      : { enabled: false },
    server: { uptime_seconds: context.metrics.uptimeSeconds(), requests_total: context.metrics.requestsTotal, executions_inflight: context.engine.inflightCount },
    resultCaches: context.engine.caches.all(),
    circuitBreakers: context.engine.breakers.all(),
  };
}

function wantsText(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return type === 'text/plain' || type === 'text/*';
  });
}

async function prometheus(context: ServerContext): Promise<string> {
  const m = metricsJson(context) as { cache: Record<string, number>; scheduler: Record<string, number | boolean>; server: Record<string, number> };
  const lines: string[] = [];
  const series = (name: string, type: 'gauge' | 'counter', help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  series('constellation_server_uptime_seconds', 'gauge', 'Seconds since the server started', m.server['uptime_seconds']!);
  series('constellation_server_requests_total', 'counter', 'HTTP requests served', m.server['requests_total']!);
  series('constellation_cache_hits_total', 'counter', 'Compilation cache hits', m.cache['hits']!);
  series('constellation_cache_misses_total', 'counter', 'Compilation cache misses', m.cache['misses']!);
  series('constellation_cache_hit_rate', 'gauge', 'Compilation cache hit rate', m.cache['hitRate']!);
  series('constellation_cache_evictions_total', 'counter', 'Compilation cache evictions', m.cache['evictions']!);
  series('constellation_cache_entries', 'gauge', 'Compilations cached', m.cache['entries']!);
  if (m.scheduler['enabled']) {
    series('constellation_scheduler_active_count', 'gauge', 'Scheduled tasks running', m.scheduler['activeCount'] as number);
    series('constellation_scheduler_queued_count', 'gauge', 'Scheduled tasks waiting', m.scheduler['queuedCount'] as number);
    series('constellation_scheduler_submitted_total', 'counter', 'Scheduled tasks submitted', m.scheduler['totalSubmitted'] as number);
    series('constellation_scheduler_completed_total', 'counter', 'Scheduled tasks completed', m.scheduler['totalCompleted'] as number);
    series('constellation_scheduler_starvation_promotions_total', 'counter', 'Starvation promotions', m.scheduler['starvationPromotions'] as number);
  }
  return lines.join('\n') + '\n' + (await context.metrics.registry.metrics());
}

export function metricsRoutes(context: ServerContext) {
  return {
    metrics: async (req: HttpRequest): Promise<HttpReply> =>
      wantsText(req.headers['accept']) ? text(200, await prometheus(context), 'text/plain; version=0.0.4; charset=utf-8') : json(200, metricsJson(context)),
    prometheus: async (): Promise<HttpReply> => text(200, await prometheus(context), 'text/plain; version=0.0.4; charset=utf-8'),
  };
}
