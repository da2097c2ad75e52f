import { createHash } from 'node:crypto';
import { printType, type Type } from '../types/type.js';
import { javaDouble } from '../values/text.js';
import { Some, Tagged, type Value } from '../values/value.js';
import type { CacheBackend, CacheEntry, CacheScope, CacheStats } from './spi.js';

/**
 * The module result cache (`with cache: <ttl>`): the in-memory default backend, named backends,
 * and the canonical key (docs/decisions.md #9: module, version, canonical
 * inputs and call site).
 */

export class MemoryCache implements CacheBackend {
  private readonly map = new Map<string, CacheEntry>();
  /** key → module, and module → its keys, for module-scoped invalidation. */
  private readonly moduleOfKey = new Map<string, string>();
  private readonly keysOf = new Map<string, Set<string>>();
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  /**
   * Upper bound of an entry's lifetime, whatever the call's TTL. A cluster bounds it so that an
   * invalidation this instance missed (NATS delivers at most once) is outlived by no entry for
   * longer than this.
   */
  maxTtlMs = Infinity;

  constructor(private readonly maxSize = 10_000, private readonly now: () => number = Date.now) {}

  get(key: string): CacheEntry | undefined {
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    if (e.expiresAt <= this.now()) {
      this.drop(key);
      this.misses++;
      return undefined;
    }
    // least-recently-used order: move to the end
    this.map.delete(key);
    this.map.set(key, e);
    this.hits++;
    return e;
  }

  set(key: string, value: Value, ttlMs: number, module: string): void {
    const now = this.now();
    this.drop(key);
    this.map.set(key, { value, createdAt: now, expiresAt: now + Math.min(ttlMs, this.maxTtlMs) });
    this.moduleOfKey.set(key, module);
    let keys = this.keysOf.get(module);
    if (!keys) this.keysOf.set(module, (keys = new Set()));
    keys.add(key);
    while (this.map.size > this.maxSize) {
      this.drop(this.map.keys().next().value as string);
      this.evictions++;
    }
  }

  private drop(key: string): boolean {
    if (!this.map.delete(key)) return false;
    const module = this.moduleOfKey.get(key);
    this.moduleOfKey.delete(key);
    if (module !== undefined) {
      const keys = this.keysOf.get(module)!;
      keys.delete(key);
      if (keys.size === 0) this.keysOf.delete(module);
    }
    return true;
  }

  invalidate(scope: CacheScope): number {
    if (scope === 'all') {
      const n = this.map.size;
      this.map.clear();
      this.moduleOfKey.clear();
      this.keysOf.clear();
      return n;
    }
    if ('key' in scope) return this.drop(scope.key) ? 1 : 0;
    let n = 0;
    for (const key of [...(this.keysOf.get(scope.module) ?? [])]) if (this.drop(key)) n++;
    return n;
  }

  invalidateLocal(scope: CacheScope): number {
    return this.invalidate(scope);
  }

  /** The module an entry was stored under (undefined when there is no such entry). */
  moduleOf(key: string): string | undefined {
    return this.moduleOfKey.get(key);
  }

  stats(): CacheStats {
    const now = this.now();
    for (const [k, e] of this.map) if (e.expiresAt <= now) this.drop(k);
    const total = this.hits + this.misses;
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.map.size, maxSize: this.maxSize, hitRatio: total === 0 ? 0 : this.hits / total };
  }
}

/**
 * Named cache backends. `default` is the engine's backend; an unknown name used by a
 * `cache_backend` option gets an in-memory backend of its own (the reference's behaviour), so a
 * typo never fails a run — `/metrics` lists every backend by name.
 */
export class CacheRegistry {
  private readonly backends = new Map<string, CacheBackend>();

  constructor(defaultBackend: CacheBackend = new MemoryCache()) {
    this.backends.set('default', defaultBackend);
    this.backends.set('memory', defaultBackend);
  }

  private memoryMaxTtlMs = Infinity;

  register(name: string, backend: CacheBackend): void {
    this.backends.set(name, backend);
  }

  /** Makes `backend` the one of calls without `cache_backend` (`memory` stays the in-memory one). */
  setDefault(backend: CacheBackend): void {
    this.backends.set('default', backend);
  }

  /** Bounds the lifetime of entries in every in-memory backend, present and future (cluster mode). */
  capMemoryTtl(ms: number): void {
    this.memoryMaxTtlMs = ms;
    for (const b of this.backends.values()) if (b instanceof MemoryCache) b.maxTtlMs = ms;
  }

  get(name: string | undefined): CacheBackend {
    const key = name ?? 'default';
    let b = this.backends.get(key);
    if (!b) {
      const memory = new MemoryCache(1000);
      memory.maxTtlMs = this.memoryMaxTtlMs;
      b = memory;
      this.backends.set(key, b);
    }
    return b;
  }

  /** Drops `scope` from what this process holds in every backend (never from a shared store). */
  invalidateLocal(scope: CacheScope): number {
    let n = 0;
    for (const b of this.distinct()) {
      try {
        n += b.invalidateLocal?.(scope) ?? 0;
      } catch {
        // one backend's failure does not keep the others from dropping theirs
      }
    }
    return n;
  }

  /** Each backend once (`default` and `memory` may be the same one). */
  private distinct(): CacheBackend[] {
    return [...new Set(this.backends.values())];
  }

  /** Invalidates `scope` in every backend; answers the entries dropped (failing backends count 0). */
  async invalidate(scope: CacheScope): Promise<number> {
    let n = 0;
    for (const b of this.distinct()) {
      try {
        n += await b.invalidate(scope);
      } catch {
        // a failing backend drops nothing; the others still do
      }
    }
    return n;
  }

  all(): Record<string, CacheStats> {
    const out: Record<string, CacheStats> = {};
    const seen = new Set<CacheBackend>();
    for (const [name, b] of this.backends) {
      if (seen.has(b)) continue; // `memory` under `default`, or the other way round
      seen.add(b);
      out[name] = b.stats();
    }
    return out;
  }
}

/** Canonical value text, type-directed so Int and Float stay distinct. */
export function canonicalValue(v: Value, t: Type): string {
  switch (t.k) {
    case 'String': return 'S:' + escape(v as string);
    case 'Int': return 'I:' + String(v);
    case 'Float': return 'F:' + javaDouble(v as number);
    case 'Boolean': return 'B:' + String(v);
    case 'List': return 'L:[' + (v as Value[]).map((x) => canonicalValue(x, t.of)).join(',') + ']';
    case 'Seq': return 'Q:[' + (v as Value[]).map((x) => canonicalValue(x, t.of)).join(',') + ']';
    case 'Map': return 'M:{' + [...(v as Map<Value, Value>)].map(([k, x]) => canonicalValue(k, t.key) + ':' + canonicalValue(x, t.value)).sort().join(',') + '}';
    case 'Record': return 'P:(' + [...t.fields].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, ft]) => n + ':' + canonicalValue((v as Record<string, Value>)[n], ft)).join(',') + ')';
    case 'Optional':
      if (v === null || v === undefined) return 'O-';
      return 'O+:' + canonicalValue(v instanceof Some ? v.value : v, t.of);
    case 'Union': {
      const tagged = v as Tagged;
      const member = t.members.find((m) => printType(m) === tagged.tag);
      return 'U:' + escape(tagged.tag) + ':' + (member ? canonicalValue(tagged.value, member) : JSON.stringify(tagged.value));
    }
    default: return JSON.stringify(v);
  }
}

function escape(s: string): string {
  return s.replace(/[\\:,[\]{}()]/g, (c) => '\\' + c);
}

export function cacheKey(module: string, version: string, callSite: string, params: readonly { name: string; type: Type }[], args: readonly Value[]): string {
  const parts = params.map((p, i) => `${p.name}=${canonicalValue(args[i], p.type)}`).sort();
  const text = `m:${module};v:${version};c:${callSite};i:${parts.join(',')},`;
  return createHash('sha256').update(text).digest('base64url');
}
