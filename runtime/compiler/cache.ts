import type { FunctionRegistry } from './registry.js';

/**
 * Compilation cache ([divergence]): keyed by the source text plus the fingerprints
 * of the registry names the program looked up, so an entry stays valid across unrelated module
 * (de)registrations and instances with different module sets share entries when the same file
 * store backs them. Many entries per pipeline name; least-recently-used eviction.
 *
 * The source string itself is the map key: V8 hashes a string once, which is cheaper than
 * SHA-256 on the hit path (the syntactic hash is computed only on a miss).
 *
 * Bounded by entries and by bytes: every entry carries the estimated heap it holds (its source,
 * which is the key, and its result); past either bound the least recently used sources go. A
 * 10 MB source therefore cannot make a thousand-entry cache hold gigabytes. An entry larger
 * than the whole budget is not cached.
 */
export interface CacheEntry<R> {
  readonly result: R;
  readonly lookups: readonly (readonly [name: string, fingerprint: string])[];
  /**
   * Set for results that depend on the whole registry — a failed compile's "did you mean"
   * suggestions are drawn from every name — so they go stale when any module (de)registers.
   */
  readonly registryHash?: string;
  /** Estimated heap bytes the entry holds. */
  readonly bytes: number;
}

export interface CompileCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  /** Estimated heap bytes held by the entries. */
  bytes: number;
  maxBytes: number;
  hitRate: number;
}

export class CompileCache<R> {
  private readonly entries = new Map<string, CacheEntry<R>[]>();
  private count = 0;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly maxEntries = 1000, private readonly maxBytes = Number.POSITIVE_INFINITY) {}

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

  /**
   * `wholeRegistry`: the result depends on every registered name (see `registryHash`); `bytes`:
   * the estimated heap the entry holds (default: its source text).
   */
  set(source: string, registry: FunctionRegistry, lookups: Iterable<string>, result: R, wholeRegistry = false, bytes: number = 2 * source.length): void {
    if (bytes > this.maxBytes) return;
    const sorted = [...lookups].sort().map((n) => [n, registry.fingerprint(n)] as const);
    const entry: CacheEntry<R> = wholeRegistry ? { result, lookups: sorted, registryHash: registry.hash(), bytes } : { result, lookups: sorted, bytes };
    const list = this.entries.get(source) ?? [];
    // keep one entry per distinct fingerprint set (different registries seen by this process)
    const key = JSON.stringify([entry.lookups, entry.registryHash]);
    const kept: CacheEntry<R>[] = [];
    for (const e of list) {
      if (JSON.stringify([e.lookups, e.registryHash]) !== key) kept.push(e);
      else this.forget(e);
    }
    kept.push(entry);
    this.count++;
    this.bytes += bytes;
    this.entries.delete(source);
    this.entries.set(source, kept);
    while (this.count > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      const removed = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      for (const e of removed) this.forget(e);
      this.evictions += removed.length;
    }
  }

  private forget(entry: CacheEntry<R>): void {
    this.count--;
    this.bytes -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.count = 0;
    this.bytes = 0;
  }

  stats(): CompileCacheStats {
    const total = this.hits + this.misses;
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, entries: this.count, bytes: this.bytes, maxBytes: this.maxBytes, hitRate: total === 0 ? 0 : this.hits / total };
  }
}
