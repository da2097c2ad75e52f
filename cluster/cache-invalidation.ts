import type { Subscription } from 'nats';
import { z } from 'zod';
import type { CacheRegistry } from '../runtime/engine/result-cache.js';
import type { CacheScope, ResultCacheInvalidation } from '../runtime/engine/spi.js';
import { defineEnvelope } from './envelope.js';
import { errorText } from './log.js';
import { isInstanceId } from './naming.js';
import type { ClusterNode } from './node.js';
import { safeCallback } from './safe-callback.js';

/**
 * Module results cleared on one instance are cleared on all. The instance that is asked
 * (`DELETE /cache…`) drops the scope from its caches — the shared KV cache included — and
 * announces it on `cst.<c>.inv.<cache>`; the others drop the same scope from what they hold in
 * memory (the shared store is done already). Instances ignore their own announcements.
 *
 * Delivery is at most once (core NATS), so staleness is bounded by design instead: every
 * in-memory entry lives at most CONSTELLATION_CACHE_L1_TTL whatever its `cache` TTL, and after
 * every reconnect each instance flushes what it holds in memory (it may have missed
 * announcements while away).
 */

export const RESULTS_CACHE = 'results';

const invalidationEnvelope = defineEnvelope(
  'cache-invalidation',
  z.object({
    origin: z.string().refine(isInstanceId),
    scope: z.enum(['all', 'module', 'key']),
    module: z.string().max(512).optional(),
    key: z.string().max(1024).optional(),
    reason: z.string().max(200),
    sentAt: z.number(),
  }),
  4 * 1024,
);

export interface InvalidationStats {
  readonly announced: number;
  readonly received: number;
  readonly notAnnounced: number;
  readonly flushes: number;
}

export class CacheInvalidationBus implements ResultCacheInvalidation {
  private subscription: Subscription | undefined;
  private readonly counters = { announced: 0, received: 0, notAnnounced: 0, flushes: 0 };

  constructor(private readonly node: ClusterNode, private readonly caches: CacheRegistry) {}

  async invalidate(scope: CacheScope): Promise<{ cleared: number; propagated: boolean }> {
    const cleared = await this.caches.invalidate(scope);
    return { cleared, propagated: this.announce(scope, 'admin request') };
  }

  private announce(scope: CacheScope, reason: string): boolean {
    const nc = this.node.connection.raw;
    if (!nc || !this.node.connection.connected) {
      this.counters.notAnnounced++;
      return false;
    }
    const fields = scope === 'all' ? { scope: 'all' as const } : 'module' in scope ? { scope: 'module' as const, module: scope.module } : { scope: 'key' as const, key: scope.key };
    try {
      nc.publish(this.node.names.invalidation(RESULTS_CACHE), invalidationEnvelope.encode({ origin: this.node.instanceId, ...fields, reason, sentAt: Date.now() }));
      this.counters.announced++;
      return true;
    } catch (e) {
      this.node.logger.warn({ err: errorText(e) }, 'cluster: cache invalidation not announced');
      this.counters.notAnnounced++;
      return false;
    }
  }

  /** After each (re)connection: subscribe; after a reconnect also flush what this instance holds. */
  async synchronise(reason: 'connect' | 'reconnect'): Promise<void> {
    const nc = this.node.connection.require('cache invalidation');
    if (!this.subscription || this.subscription.isClosed()) {
      this.subscription = nc.subscribe(this.node.names.invalidation(RESULTS_CACHE), {
        callback: safeCallback(this.node.logger, 'cache invalidation', (msg) => {
          const m = this.node.drops.accept(invalidationEnvelope, msg.data);
          if (!m || m.origin === this.node.instanceId) return;
          const scope: CacheScope | undefined = m.scope === 'all' ? 'all' : m.scope === 'module' && m.module ? { module: m.module } : m.scope === 'key' && m.key ? { key: m.key } : undefined;
          if (!scope) return;
          this.counters.received++;
          this.caches.invalidateLocal(scope);
        }),
      });
    }
    if (reason === 'reconnect') {
      const dropped = this.caches.invalidateLocal('all');
      this.counters.flushes++;
      this.node.logger.info({ dropped }, 'cluster: module results held in memory flushed after the reconnect (invalidations may have been missed)');
    }
  }

  stats(): InvalidationStats {
    return { ...this.counters };
  }

  close(): void {
    this.subscription?.unsubscribe();
  }
}
