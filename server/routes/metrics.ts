import type { ServerContext } from '../context.js';
import { json, text, type HttpReply, type HttpRequest } from '../http/types.js';

/**
 * `/metrics`: JSON by default; Prometheus text when `Accept` admits
 * text/plain, or at `/metrics/prometheus`. `requests_total` counts every request and the
 * scheduler section reports the real scheduler (docs/decisions.md #21).
 */

/**
 * How full the bounded stores are: anonymous images (count and bytes against their bounds,
 * evictions so far), the memory budget of images read from disk, stored executions against their
 * limits (with refusals and expiries so far). Read at scrape time from in-memory indexes.
 */
export async function storesJson(context: ServerContext): Promise<Record<string, unknown>> {
  const anonymous = context.pipelines.anonymous;
  const images = anonymous?.usage();
  const memory = context.pipelineMemory?.();
  const suspensions = context.suspensions;
  const usage = await suspensions.usage?.();
  const events = context.metrics.storeEvents;
  return {
    anonymousImages: anonymous && images
      ? { count: images.count, bytes: images.bytes, maxCount: anonymous.limits.maxCount, maxBytes: anonymous.limits.maxBytes, maxAgeMs: anonymous.limits.maxAgeMs, evictedTotal: events.imagesEvicted }
      : null,
    imageMemory: memory ? { residentImages: memory.residentImages, heapBytes: memory.unpinnedHeapBytes, maxBytes: memory.maxBytes } : null,
    suspensions: {
      entries: usage?.entries ?? null,
      bytes: usage?.bytes ?? null,
      maxEntries: suspensions.limits.maxEntries,
      maxBytes: suspensions.limits.maxBytes,
      notStoredTotal: events.suspensionsNotStored,
      expiredTotal: events.suspensionsExpired,
    },
  };
}

export async function metricsJson(context: ServerContext): Promise<Record<string, unknown>> {
  const cache = context.engine.compileCache.stats();
  const s = context.engine.scheduler.stats();
  return {
    timestamp: new Date().toISOString(),
    cache: { hits: cache.hits, misses: cache.misses, hitRate: cache.hitRate, evictions: cache.evictions, entries: cache.entries, bytes: cache.bytes, maxBytes: cache.maxBytes },
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
    stores: await storesJson(context),
    ...context.diagnostics.collect('metrics'),
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
  type Figures = Record<string, number | null> | null;
  const m = (await metricsJson(context)) as {
    cache: Record<string, number>; scheduler: Record<string, number | boolean>; server: Record<string, number>;
    stores: { anonymousImages: Figures; imageMemory: Figures; suspensions: Figures };
  };
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
  series('constellation_cache_bytes', 'gauge', 'Estimated heap held by the compilation cache', m.cache['bytes']!);
  const gauge = (name: string, help: string, value: number | null | undefined) => {
    if (value !== null && value !== undefined) series(name, 'gauge', help, value);
  };
  const { anonymousImages: anon, imageMemory: memory, suspensions: susp } = m.stores;
  gauge('constellation_anonymous_images', 'Anonymous pipeline images stored', anon?.['count']);
  gauge('constellation_anonymous_image_bytes', 'Bytes of the anonymous pipeline images stored', anon?.['bytes']);
  gauge('constellation_anonymous_images_max', 'Bound on the number of anonymous images', anon?.['maxCount']);
  gauge('constellation_anonymous_image_max_bytes', 'Bound on the bytes of anonymous images', anon?.['maxBytes']);
  gauge('constellation_image_memory_bytes', 'Estimated heap of images held in memory that no alias pins', memory?.['heapBytes']);
  gauge('constellation_suspensions_stored', 'Suspended and failed executions stored', susp?.['entries']);
  gauge('constellation_suspension_bytes', 'Bytes of the stored execution snapshots', susp?.['bytes']);
  gauge('constellation_suspension_max_entries', 'Limit on stored executions', susp?.['maxEntries']);
  gauge('constellation_suspension_max_bytes', 'Limit on the bytes of stored executions', susp?.['maxBytes']);
  if (m.scheduler['enabled']) {
    series('constellation_scheduler_active_count', 'gauge', 'Scheduled tasks running', m.scheduler['activeCount'] as number);
    series('constellation_scheduler_queued_count', 'gauge', 'Scheduled tasks waiting', m.scheduler['queuedCount'] as number);
    series('constellation_scheduler_submitted_total', 'counter', 'Scheduled tasks submitted', m.scheduler['totalSubmitted'] as number);
    series('constellation_scheduler_completed_total', 'counter', 'Scheduled tasks completed', m.scheduler['totalCompleted'] as number);
    series('constellation_scheduler_starvation_promotions_total', 'counter', 'Starvation promotions', m.scheduler['starvationPromotions'] as number);
  }
  return lines.join('\n') + '\n' + context.diagnostics.prometheus() + (await context.metrics.registry.metrics());
}

export function metricsRoutes(context: ServerContext) {
  return {
    metrics: async (req: HttpRequest): Promise<HttpReply> =>
      wantsText(req.headers['accept']) ? text(200, await prometheus(context), 'text/plain; version=0.0.4; charset=utf-8') : json(200, await metricsJson(context)),
    prometheus: async (): Promise<HttpReply> => text(200, await prometheus(context), 'text/plain; version=0.0.4; charset=utf-8'),
  };
}
