import type { SuspensionSummary } from '../engine/suspension.js';
import { byCreation as compare, decodeCursor, encodeCursor, matches, MAX_PAGE, type ListRequest, type SuspensionPage } from './suspension-paging.js';

/**
 * The summaries of stored executions, kept in list order — (createdAt, executionId) — with the
 * executions of each pipeline and the total bytes, so that every question the store gets without
 * a snapshot in hand is answered from memory: a page is a binary search and a slice (no sort, no
 * file read), "does any stored execution use this image?" one lookup, the limits two counters.
 * Shared by the in-memory and file suspension stores; a network store may keep one as its mirror.
 */

export interface IndexedSuspension {
  readonly summary: SuspensionSummary;
  /** Bytes of the stored snapshot (its JSON). */
  readonly bytes: number;
}

/** When stored executions go without being resumed or deleted (0 switches a rule off). */
export interface Expiry {
  /** Runs that did not merely suspend (failed, cancelled, timed out): this long after they were first stored. */
  readonly failedTtlMs: number;
  /** Every execution: this long after its last write (suspension or resume). */
  readonly retentionMs: number;
}

export type ExpiryRule = 'failed-ttl' | 'retention';

export class SuspensionIndex {
  private readonly byId = new Map<string, IndexedSuspension>();
  /** Sorted by (createdAt, executionId). */
  private readonly order: IndexedSuspension[] = [];
  private readonly byHash = new Map<string, Set<string>>();
  private totalBytes = 0;
  /** No entry is due before this (epoch ms); kept on writes, recomputed by a scan. */
  private nextDue = Number.POSITIVE_INFINITY;

  constructor(private readonly expiry: Expiry = { failedTtlMs: 0, retentionMs: 0 }) {}

  get size(): number {
    return this.byId.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get(executionId: string): IndexedSuspension | undefined {
    return this.byId.get(executionId);
  }

  values(): IterableIterator<IndexedSuspension> {
    return this.byId.values();
  }

  /** True when a stored execution references the pipeline (it pins the image). */
  references(structuralHash: string): boolean {
    return this.byHash.has(structuralHash);
  }

  set(summary: SuspensionSummary, bytes: number): void {
    this.delete(summary.executionId);
    const entry: IndexedSuspension = { summary, bytes };
    this.byId.set(summary.executionId, entry);
    // new executions come last: the common case is an append
    const at = this.after(summary);
    if (at === this.order.length) this.order.push(entry);
    else this.order.splice(at, 0, entry);
    let ids = this.byHash.get(summary.structuralHash);
    if (!ids) this.byHash.set(summary.structuralHash, (ids = new Set()));
    ids.add(summary.executionId);
    this.totalBytes += bytes;
    this.nextDue = Math.min(this.nextDue, this.dueAt(summary).at);
  }

  delete(executionId: string): IndexedSuspension | undefined {
    const entry = this.byId.get(executionId);
    if (!entry) return undefined;
    this.byId.delete(executionId);
    const at = this.after(entry.summary) - 1;
    if (this.order[at] === entry) this.order.splice(at, 1);
    else this.order.splice(this.order.indexOf(entry), 1);
    const ids = this.byHash.get(entry.summary.structuralHash)!;
    ids.delete(executionId);
    if (ids.size === 0) this.byHash.delete(entry.summary.structuralHash);
    this.totalBytes -= entry.bytes;
    return entry;
  }

  clear(): void {
    this.byId.clear();
    this.order.length = 0;
    this.byHash.clear();
    this.totalBytes = 0;
    this.nextDue = Number.POSITIVE_INFINITY;
  }

  /**
   * The entries whose time is up at `now`, with the rule that expired each (they stay indexed:
   * the store removes them with their files). A scan happens only once something may be due.
   */
  due(now: number): { readonly entry: IndexedSuspension; readonly rule: ExpiryRule }[] {
    if (now < this.nextDue) return [];
    const out: { entry: IndexedSuspension; rule: ExpiryRule }[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.byId.values()) {
      const due = this.dueAt(entry.summary);
      if (due.at <= now) out.push({ entry, rule: due.rule });
      else next = Math.min(next, due.at);
    }
    this.nextDue = next;
    return out;
  }

  private dueAt(s: SuspensionSummary): { at: number; rule: ExpiryRule } {
    let at = Number.POSITIVE_INFINITY;
    let rule: ExpiryRule = 'retention';
    const { failedTtlMs, retentionMs } = this.expiry;
    if (retentionMs > 0) at = Date.parse(s.lastResumedAt ?? s.createdAt) + retentionMs;
    if (failedTtlMs > 0 && s.status !== 'suspended') {
      const failedAt = Date.parse(s.createdAt) + failedTtlMs;
      if (failedAt < at) {
        at = failedAt;
        rule = 'failed-ttl';
      }
    }
    return { at: Number.isNaN(at) ? Number.POSITIVE_INFINITY : at, rule };
  }

  /** One page in list order, after the request's cursor (an unreadable cursor starts at the beginning). */
  page(request: ListRequest = {}): SuspensionPage {
    const limit = Math.max(1, Math.min(MAX_PAGE, request.limit ?? MAX_PAGE));
    const cursor = request.cursor ? decodeCursor(request.cursor) : undefined;
    const filter = request.filter;
    const hash = filter?.structuralHash;
    // one pipeline's executions: only those, sorted (they are few next to the whole store)
    const candidates =
      hash === undefined ? this.order : [...(this.byHash.get(hash) ?? [])].map((id) => this.byId.get(id)!).sort((a, b) => compare(a.summary, b.summary));
    let i = cursor ? upperBound(candidates, cursor) : 0;
    const items: SuspensionSummary[] = [];
    for (; i < candidates.length && items.length < limit; i++) {
      const s = candidates[i]!.summary;
      if (matches(s, filter)) items.push(s);
    }
    let more = false;
    for (; i < candidates.length && !more; i++) more = matches(candidates[i]!.summary, filter);
    const last = items[items.length - 1];
    return { items, next: more && last ? encodeCursor(last) : null };
  }

  /** Position after every entry ordered before or equal to `key`. */
  private after(key: { createdAt: string; executionId: string }): number {
    return upperBound(this.order, key);
  }
}

function upperBound(sorted: readonly IndexedSuspension[], key: { createdAt: string; executionId: string }): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(sorted[mid]!.summary, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
