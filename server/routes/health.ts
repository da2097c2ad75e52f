import type { ServerContext } from '../context.js';
import type { ReadinessCheck } from '../diagnostics.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';

/**
 * Health endpoints: liveness always 200; `/health` and
 * readiness 503 unless Running (so a load balancer stops sending traffic while draining);
 * `/health/detail` opt-in and gated by auth (docs/decisions.md #19).
 */

export type { ReadinessCheck } from '../diagnostics.js';

export function healthRoutes(context: ServerContext, checks: ReadonlyMap<string, ReadinessCheck> = new Map()) {
  const runChecks = () => {
    const out: Record<string, boolean> = {};
    for (const [name, check] of checks) {
      try {
        out[name] = check();
      } catch {
        out[name] = false;
      }
    }
    return out;
  };
  return {
    health: (): HttpReply => {
      const s = context.lifecycle.state;
      if (s === 'Running') return json(200, { status: 'ok' });
      return json(503, { status: s === 'Starting' ? 'starting' : s === 'Draining' ? 'draining' : 'stopped' });
    },
    live: (): HttpReply => json(200, { status: 'alive' }),
    ready: (): HttpReply => {
      const ok = context.lifecycle.state === 'Running' && Object.values(runChecks()).every(Boolean);
      return ok ? json(200, { status: 'ready' }) : json(503, { status: 'not_ready' });
    },
    detail: (_req: HttpRequest): HttpReply => {
      const cache = context.engine.compileCache.stats();
      const scheduler = context.engine.scheduler.stats();
      const results = runChecks();
      return json(200, {
        timestamp: new Date().toISOString(),
        lifecycle: { state: context.lifecycle.state, inflightRequests: context.lifecycle.inflightRequests, inflightExecutions: context.engine.inflightCount },
        cache: { hits: cache.hits, misses: cache.misses, hitRate: cache.hitRate, evictions: cache.evictions, entries: cache.entries },
        scheduler: scheduler.enabled ? { activeCount: scheduler.activeCount, queuedCount: scheduler.queuedCount, totalSubmitted: scheduler.totalSubmitted, totalCompleted: scheduler.totalCompleted } : null,
        streams: null,
        readinessChecks: checks.size > 0 ? results : null,
        circuitBreakers: context.engine.breakers.all(),
        resultCaches: context.engine.caches.all(),
        ...context.diagnostics.collect('detail'),
      });
    },
  };
}
