import type { KV } from 'nats';
import { z } from 'zod';
import { MemoryCache } from '../runtime/engine/result-cache.js';
import type { CacheBackend, CacheEntry, CacheScope, CacheStats } from '../runtime/engine/spi.js';
import { decodeWire, encodeWire } from '../runtime/values/codec.js';
import type { Value } from '../runtime/values/value.js';
import type { BucketSpec } from './buckets.js';
import { defineEnvelope } from './envelope.js';
import { errorText } from './log.js';
import { asCoordinationError, isStreamNotFound } from './errors.js';
import { encodeName } from './naming.js';
import type { ClusterNode } from './node.js';

/**
 * The optional shared module-result cache (`cache_backend: "nats"` on a call, or
 * CONSTELLATION_CACHE_BACKEND=nats for every cached call): a result computed on one instance is
 * a hit on the others. Two levels:
 *
 * - L1, this instance's memory, entries bounded by CONSTELLATION_CACHE_L1_TTL (invalidations can
 *   be missed; the bound is the staleness they can cause);
 * - L2, the KV bucket `cst_<c>_results`, key `<module>.<cache key>`, value `{value, createdAt,
 *   expiresAt}` (the reader checks `expiresAt`: nats-server 2.9 has no per-key TTL; the bucket's
 *   max-age, CONSTELLATION_CACHE_L2_MAX_TTL, bounds every entry and removes them).
 *
 * A read that misses L1 asks L2 within CONSTELLATION_CACHE_L2_TIMEOUT (slower is a miss; the first
 * read of an instance that has not used the bucket yet opens it within that time too); writes
 * to L2 do not hold up the call that produced the value; values larger than 512 KiB stay in L1
 * only. Invalidation purges the bucket's subjects of a module (or all) in one request.
 * Concurrent misses for one key are coalesced per instance by the engine.
 */

export const RESULTS_BUCKET_PURPOSE = 'results';
const MAX_SHARED_VALUE = 512 * 1024;

const entryEnvelope = defineEnvelope(
  'cached-result',
  z.object({ value: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: "expected bytes" }), createdAt: z.number(), expiresAt: z.number() }),
  MAX_SHARED_VALUE + 1024,
);

export class KvResultCache implements CacheBackend {
  readonly l1 = new MemoryCache();
  private readonly spec: BucketSpec;
  private l2Hits = 0;
  private l2Misses = 0;
  private l2Errors = 0;
  private l2Writes = 0;

  constructor(private readonly node: ClusterNode) {
    const t = node.config.timers;
    this.l1.maxTtlMs = t.cacheL1TtlMs;
    this.spec = { purpose: RESULTS_BUCKET_PURPOSE, description: 'Constellation: shared module results', history: 1, ttlMs: t.cacheL2MaxTtlMs, maxValueBytes: MAX_SHARED_VALUE + 1024 };
  }

  /** The bucket once open: until then (and while it cannot be opened) reads miss and writes stay local. */
  private kv: KV | undefined;
  private opening: Promise<void> | undefined;

  /**
   * When the shared cache is the default of cached calls, the bucket is opened at synchronisation,
   * so the call path never waits for its creation; otherwise the first call that names it opens it
   * in the background (a cluster that never uses it has no such bucket). Either way it is
   * optional: a bucket that cannot be opened does not hold up the instance — reads miss and
   * writes stay local until it opens.
   */
  async synchronise(): Promise<void> {
    if (this.node.config.coordination.cacheBackend === 'nats' || this.kv) await this.open();
  }

  private open(): Promise<void> {
    this.opening ??= this.node.buckets
      .kv(this.spec, this.node.config.timers.operationTimeoutMs * 10)
      .then(
        (kv) => {
          this.kv = kv;
        },
        (e: unknown) => this.node.logger.warn({ err: errorText(e) }, 'cluster: shared result cache not available (results stay in memory)'),
      )
      .finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** The open bucket; opening it (the first use, or after a failure) waits at most `ms`. */
  private async bucket(ms: number): Promise<KV | undefined> {
    if (this.kv) return this.kv;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.open(), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return this.kv;
  }

  private kvKey(key: string, module: string): string {
    return `${encodeName(module)}.${key}`;
  }

  async get(key: string, module?: string): Promise<CacheEntry | undefined> {
    const local = this.l1.get(key);
    if (local) return local;
    if (module === undefined || !this.node.connection.connected) return undefined;
    const timeout = this.node.config.timers.cacheL2TimeoutMs;
    const kv = await this.bucket(timeout);
    if (!kv) return undefined;
    try {
      const entry = await this.node.connection.shared('read shared result', () => kv.get(this.kvKey(key, module)), timeout);
      if (!entry || entry.operation !== 'PUT') {
        this.l2Misses++;
        return undefined;
      }
      const stored = this.node.drops.accept(entryEnvelope, entry.value);
      const now = Date.now();
      if (!stored || stored.expiresAt <= now) {
        this.l2Misses++;
        return undefined;
      }
      const value = decodeWire(stored.value) as Value;
      this.l1.set(key, value, stored.expiresAt - now, module);
      this.l2Hits++;
      return { value, createdAt: stored.createdAt, expiresAt: stored.expiresAt };
    } catch (e) {
      this.l2Errors++;
      this.node.logger.debug({ err: errorText(e) }, 'cluster: shared result cache read failed (a miss)');
      return undefined;
    }
  }

  set(key: string, value: Value, ttlMs: number, module: string): void {
    const before = this.l1.moduleOf(key);
    this.l1.set(key, value, ttlMs, module);
    if (!this.node.connection.connected) return;
    // the same key under another module: its old shared entry must not outlive the move
    if (before !== undefined && before !== module) void this.purge(`${encodeName(before)}.${key}`).catch(() => {});
    let bytes: Uint8Array;
    try {
      const now = Date.now();
      const wire = encodeWire(value);
      if (wire.length > MAX_SHARED_VALUE) return; // too big to share: this instance keeps it
      bytes = entryEnvelope.encode({ value: wire, createdAt: now, expiresAt: now + Math.min(ttlMs, this.node.config.timers.cacheL2MaxTtlMs) });
    } catch (e) {
      this.node.logger.debug({ err: errorText(e) }, 'cluster: result not shareable');
      return;
    }
    // the call that produced the value does not wait for the write
    void (async () => {
      const kv = await this.bucket(this.node.config.timers.operationTimeoutMs * 10);
      if (!kv) return;
      await this.node.connection.shared('write shared result', () => kv.put(this.kvKey(key, module), bytes));
      this.l2Writes++;
    })().catch((e: unknown) => {
      this.l2Errors++;
      this.node.logger.debug({ err: errorText(e) }, 'cluster: shared result not written');
    });
  }

  async invalidate(scope: CacheScope): Promise<number> {
    const local = this.l1.invalidate(scope);
    // one purge request over the bucket's keys: all, one module's, or one key under any module
    const keys = scope === 'all' ? '>' : 'module' in scope ? `${encodeName(scope.module)}.>` : `*.${scope.key}`;
    try {
      return Math.max(local, await this.purge(keys));
    } catch (e) {
      if (local > 0) return local; // this instance's part is done; the shared entries expire by their TTL
      throw e;
    }
  }

  /** Purges the bucket's keys matching `keys` (a key, or a pattern with `*` and `>`); how many went. */
  private async purge(keys: string): Promise<number> {
    const bucket = this.node.names.bucket(RESULTS_BUCKET_PURPOSE);
    const jsm = await this.node.connection.jetstreamManager('purge shared results');
    try {
      // not through `shared`: that turns every NATS error into an outage, and a missing bucket is not one
      const purged = await jsm.streams.purge(`KV_${bucket}`, { filter: `$KV.${bucket}.${keys}` });
      return purged.purged;
    } catch (e) {
      if (isStreamNotFound(e)) return 0; // the bucket was never created: nothing is shared
      throw asCoordinationError('purge shared results', e);
    }
  }

  invalidateLocal(scope: CacheScope): number {
    return this.l1.invalidate(scope);
  }

  stats(): CacheStats & { shared: { hits: number; misses: number; errors: number; writes: number } } {
    const s = this.l1.stats();
    const hits = s.hits + this.l2Hits;
    const misses = Math.max(0, s.misses - this.l2Hits);
    return { ...s, hits, misses, hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses), shared: { hits: this.l2Hits, misses: this.l2Misses, errors: this.l2Errors, writes: this.l2Writes } };
  }
}
