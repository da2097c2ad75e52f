import type { FunctionRegistry } from './registry.js';

/**
 * Compilation cache ([divergence]): keyed by the source text plus the fingerprints
 * of the registry names the program looked up, so an entry stays valid across unrelated module
 * (de)registrations and instances with different module sets share entries when the same file
 * store backs them. Many entries per pipeline name; least-recently-used eviction.
 *
 * The source string itself is the map key: V8 hashes a string once, which is cheaper than
 * SHA-256 on the hit path (the syntactic hash is computed only on a miss).
 */
export interface CacheEntry<R> {
  readonly result: R;
  readonly lookups: readonly (readonly [name: string, fingerprint: string])[];
  /**
   * Set for results that depend on the whole registry — a failed compile's "did you mean"
   * suggestions are drawn from every name — so they go stale when any module (de)registers.
   */
  readonly registryHash?: string;
}

export interface CompileCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  hitRate: number;
}

export class CompileCache<R> {
  private readonly entries = new Map<string, CacheEntry<R>[]>();
  private count = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly maxEntries = 1000) {}

  get(source: string, registry: FunctionRegistry): R | undefined {
    const list = this.entries.get(source);
    if (list) {
      for (const entry of list) {
        if ((entry.registryHash === undefined || entry.registryHash === registry.hash()) && entry.lookups.every(([name, fp]) => registry.fingerprint(name) === fp)) {
          this.hits++;
          // refresh recency: re-insert the key at the end of the map's order
          this.entries.delete(source);
          this.entries.set(source, list);
          return entry.result;
        }
      }
    }
    this.misses++;
    return undefined;
  }

  set(source: string, registry: FunctionRegistry, lookups: Iterable<string>, result: R, wholeRegistry = false): void {
    const sorted = [...lookups].sort().map((n) => [n, registry.fingerprint(n)] as const);
    const entry: CacheEntry<R> = wholeRegistry ? { result, lookups: sorted, registryHash: registry.hash() } : { result, lookups: sorted };
    const list = this.entries.get(source) ?? [];
    // keep one entry per distinct fingerprint set (different registries seen by this process)
    const key = JSON.stringify([entry.lookups, entry.registryHash]);
    const kept = list.filter((e) => JSON.stringify([e.lookups, e.registryHash]) !== key);
    this.count -= list.length - kept.length;
    kept.push(entry);
    this.count++;
    this.entries.delete(source);
    this.entries.set(source, kept);
    while (this.count > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      const removed = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      this.count -= removed.length;
      this.evictions += removed.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.count = 0;
  }

  stats(): CompileCacheStats {
    const total = this.hits + this.misses;
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, entries: this.count, hitRate: total === 0 ? 0 : this.hits / total };
  }
}
