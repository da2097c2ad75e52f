import type { ImageSummary, PipelineStore } from '../stores/pipeline-store.js';

/**
 * The lifecycle of anonymous pipeline images: the ones `/run` and an unnamed `/compile` store,
 * which no alias or version names. They are kept for reuse (`/execute` by `sha256:` ref, resume,
 * the next `/run` of the same source) within bounds on their number, their stored bytes and the
 * time they stay unused; past a bound the least recently used unpinned ones are deleted from
 * the store, and their `sha256:` refs answer 404. The reference keeps every image for ever; a
 * server open to anonymous `/run` cannot (docs/decisions.md, "Anonymous images").
 *
 * Pins are checked when an image is about to go, never on the request path:
 * - **named** (an alias or a recorded version points at it): it is not anonymous any more and
 *   leaves the books for good (`admit` brings it back if the name moves away);
 * - **held** (a running canary routes to it, an execution of it runs here, a stored suspended or
 *   failed execution references it): kept, and looked at again on a later sweep.
 *
 * A store shared by several instances may decline an eviction (`PipelineStore.evictImage`:
 * another instance named or used the image lately); the image then goes back on the books.
 *
 * Costs: `admit` and `touch` are O(1) on the request path (a map insertion; a flag set — the
 * order is a second-chance clock, so a hit never reorders the map). A sweep runs off the request
 * path when a bound is passed (or on the age timer) and deletes down to 90 % of the count and
 * byte bounds, so its cost is shared by the tenth of the bound that admitted it.
 */

export interface AnonymousImageLimits {
  readonly maxCount: number;
  /** Bytes of the stored images (their JSON). */
  readonly maxBytes: number;
  /** Longest time an image may stay unused; 0: no age limit. */
  readonly maxAgeMs: number;
}

export interface PinCheck {
  /** Aliased or versioned: the image is not anonymous any more. */
  named(hash: string): boolean;
  /** Kept for now: a running canary, a running execution or a stored execution uses it. */
  held(hash: string): Promise<boolean>;
}

export type EvictionReason = 'count' | 'bytes' | 'age';

export interface EvictionReport {
  readonly evicted: number;
  readonly bytes: number;
  readonly reasons: Readonly<Record<EvictionReason, number>>;
  /** What is left on the books after the sweep. */
  readonly remaining: { readonly count: number; readonly bytes: number };
}

export interface RetentionOptions {
  readonly store: PipelineStore;
  readonly limits: AnonymousImageLimits;
  /** A fresh pin check for one sweep (it may precompute what it needs once). */
  readonly pins: () => PinCheck;
  readonly onEvict?: (report: EvictionReport) => void;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

interface Entry {
  readonly bytes: number;
  lastUsedMs: number;
  /** Used since the clock hand last passed. */
  used: boolean;
}

/** Sweeps delete down to this share of the count and byte bounds. */
const LOW_WATER = 0.9;
const MIN_AGE_TICK_MS = 1000;
const MAX_AGE_TICK_MS = 10 * 60_000;
/** When to look again at evictions a store declined, if it does not say. */
const DEFAULT_RETRY_MS = 1000;

export class AnonymousImages {
  readonly limits: AnonymousImageLimits;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly now: () => number;
  private sweeping: Promise<void> | undefined;
  private again = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** A sweep after evictions the store declined (they may be allowed later). */
  private retry: NodeJS.Timeout | undefined;
  private evictedTotal = 0;
  private closed = false;

  constructor(private readonly options: RetentionOptions) {
    this.limits = options.limits;
    this.now = options.now ?? Date.now;
  }

  /** Starts the age timer (a quarter of the age limit, between 1 s and 10 min; unref'd). */
  start(): void {
    if (this.limits.maxAgeMs <= 0 || this.timer) return;
    const tick = Math.min(MAX_AGE_TICK_MS, Math.max(MIN_AGE_TICK_MS, Math.floor(this.limits.maxAgeMs / 4)));
    this.timer = setInterval(() => this.schedule(), tick);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.retry);
    this.closed = true;
    this.timer = undefined;
    await this.sweeping;
  }

  /** An image that may be anonymous enters the books (new, or its name moved away). */
  admit(summary: ImageSummary): void {
    if (this.entries.has(summary.structuralHash)) return;
    this.entries.set(summary.structuralHash, { bytes: summary.bytes, lastUsedMs: this.now(), used: false });
    this.bytes += summary.bytes;
    if (this.entries.size > this.limits.maxCount || this.bytes > this.limits.maxBytes) this.schedule();
  }

  /** The image was used (executed, run again): it goes last. */
  touch(hash: string): void {
    const e = this.entries.get(hash);
    if (e !== undefined) e.used = true;
  }

  /** The image left the store (deleted by a client, or by another instance). */
  forget(hash: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    this.entries.delete(hash);
    this.bytes -= e.bytes;
  }

  usage(): { readonly count: number; readonly bytes: number; readonly evictedTotal: number } {
    return { count: this.entries.size, bytes: this.bytes, evictedTotal: this.evictedTotal };
  }

  /** Runs a sweep now (tests, the age timer); resolves when it is done. */
  sweep(): Promise<void> {
    if (this.sweeping) {
      this.again = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      do {
        this.again = false;
        await this.sweepOnce();
      } while (this.again);
    })()
      .catch((e: unknown) => this.options.onError?.(e))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.sweep();
    });
  }

  private over(now: number, count: number, bytes: number, oldest: Entry | undefined): EvictionReason | undefined {
    if (this.entries.size > count) return 'count';
    if (this.bytes > bytes) return 'bytes';
    if (oldest && this.limits.maxAgeMs > 0 && now - oldest.lastUsedMs > this.limits.maxAgeMs) return 'age';
    return undefined;
  }

  private async sweepOnce(): Promise<void> {
    const now = this.now();
    const first = () => this.entries.entries().next().value as [string, Entry] | undefined;
    // nothing to do unless a bound is passed (count and bytes) or the oldest is too old
    const start = first();
    if (this.entries.size <= this.limits.maxCount && this.bytes <= this.limits.maxBytes && !(start && this.limits.maxAgeMs > 0 && now - start[1].lastUsedMs > this.limits.maxAgeMs)) return;
    const countTarget = Math.floor(this.limits.maxCount * LOW_WATER);
    const bytesTarget = Math.floor(this.limits.maxBytes * LOW_WATER);
    const pins = this.options.pins();
    const reasons: Record<EvictionReason, number> = { count: 0, bytes: 0, age: 0 };
    const evictions: Promise<void>[] = [];
    let evicted = 0;
    let evictedBytes = 0;
    let failure: unknown;
    let declined = 0;
    // every entry is looked at most twice: once to clear its flag, once to decide
    let steps = this.entries.size * 2;
    while (steps-- > 0) {
      const head = first();
      if (!head) break;
      const [hash, entry] = head;
      const reason = this.over(now, countTarget, bytesTarget, entry);
      if (!reason) break;
      const toBack = (touched: boolean) => {
        this.entries.delete(hash);
        if (touched) entry.lastUsedMs = now;
        entry.used = false;
        this.entries.set(hash, entry);
      };
      if (entry.used) {
        toBack(true);
        continue;
      }
      if (pins.named(hash)) {
        this.forget(hash);
        continue;
      }
      if (await pins.held(hash)) {
        toBack(true);
        continue;
      }
      // it may have been used, named, deleted or re-admitted while the pin check waited
      if (this.entries.get(hash) !== entry) continue;
      if (entry.used || pins.named(hash)) continue;
      this.forget(hash);
      // the store forgets the image at once; the file removal may finish later
      evictions.push(
        this.evict(hash).then(
          (gone) => {
            if (gone) {
              reasons[reason]++;
              evicted++;
              evictedBytes += entry.bytes;
            } else if (this.keep(hash, entry, now)) declined++;
          },
          (e: unknown) => {
            failure ??= e;
            if (this.keep(hash, entry, now)) declined++;
          },
        ),
      );
    }
    await Promise.all(evictions);
    if (evicted > 0) {
      this.evictedTotal += evicted;
      this.options.onEvict?.({ evicted, bytes: evictedBytes, reasons, remaining: { count: this.entries.size, bytes: this.bytes } });
    }
    if (declined > 0 && (this.entries.size > this.limits.maxCount || this.bytes > this.limits.maxBytes)) this.retryLater();
    if (failure !== undefined) throw failure;
  }

  /** Sweeps again once the store may allow what it declined (`PipelineStore.evictionRetryMs`). */
  private retryLater(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.schedule();
    }, this.options.store.evictionRetryMs ?? DEFAULT_RETRY_MS);
    this.retry.unref();
  }

  /** Deletes a chosen image; a shared store may decline (another instance named or used it lately). */
  private evict(hash: string): Promise<boolean> {
    const store = this.options.store;
    return store.evictImage ? store.evictImage(hash) : store.deleteImage(hash);
  }

  /**
   * An eviction the store declined (or that failed): the image goes back on the books as if just
   * used (looked at again by a retry while the books stay over a bound, or by the next sweep).
   */
  private keep(hash: string, entry: Entry, now: number): boolean {
    if (this.entries.has(hash) || !this.options.store.summary(hash)) return false;
    entry.lastUsedMs = now;
    entry.used = false;
    this.entries.set(hash, entry);
    this.bytes += entry.bytes;
    return true;
  }
}
