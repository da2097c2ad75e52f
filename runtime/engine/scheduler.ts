import { ConstellationError } from '../errors.js';

/**
 * Priority scheduler. Decides *when* a ready module node may start; only nodes
 * whose inputs are all available are submitted (ready-only dispatch), so a waiting node never
 * holds a slot.
 *
 * Aging: every `agingIntervalMs` a waiting entry's effective priority rises so that a priority-0
 * entry reaches 60 at `starvationTimeoutMs` ([divergence]: the reference accepts the timeout but
 * ages at a fixed rate; with the 30 s default ours equals its +10 per 5 s).
 */

export interface SchedulerStats {
  enabled: boolean;
  activeCount: number;
  queuedCount: number;
  totalSubmitted: number;
  totalCompleted: number;
  highPriorityCompleted: number;
  lowPriorityCompleted: number;
  starvationPromotions: number;
  maxConcurrency: number | null;
}

export type Release = () => void;

export interface Scheduler {
  readonly bounded: boolean;
  /** Waits for a slot; the returned function releases it. */
  acquire(priority: number, signal?: AbortSignal): Promise<Release>;
  stats(): SchedulerStats;
  shutdown(): void;
}

const NOOP: Release = () => {};

export class UnboundedScheduler implements Scheduler {
  readonly bounded = false;
  private submitted = 0;
  acquire(): Promise<Release> {
    this.submitted++;
    return Promise.resolve(NOOP);
  }
  stats(): SchedulerStats {
    return { enabled: false, activeCount: 0, queuedCount: 0, totalSubmitted: this.submitted, totalCompleted: this.submitted, highPriorityCompleted: 0, lowPriorityCompleted: 0, starvationPromotions: 0, maxConcurrency: null };
  }
  shutdown(): void {}
}

interface Waiting {
  readonly base: number;
  effective: number;
  readonly seq: number;
  readonly enqueuedAt: number;
  resolve(release: Release): void;
  reject(e: Error): void;
  onAbort?: () => void;
  signal?: AbortSignal;
}

export interface BoundedSchedulerOptions {
  maxConcurrency: number;
  /** 0 = unlimited. */
  maxQueueSize?: number;
  starvationTimeoutMs?: number;
  agingIntervalMs?: number;
  now?: () => number;
}

export class BoundedScheduler implements Scheduler {
  readonly bounded = true;
  private readonly queue: Waiting[] = [];
  private active = 0;
  private seq = 0;
  private totalSubmitted = 0;
  private totalCompleted = 0;
  private highCompleted = 0;
  private lowCompleted = 0;
  private promotions = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxQueue: number;
  private readonly interval: number;
  private readonly step: number;
  private readonly now: () => number;

  constructor(private readonly options: BoundedSchedulerOptions) {
    if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be at least 1');
    this.maxQueue = options.maxQueueSize ?? 0;
    this.interval = options.agingIntervalMs ?? 5000;
    const starvation = options.starvationTimeoutMs ?? 30_000;
    // boost per interval so that priority 0 reaches 60 after `starvation`
    this.step = 60 / Math.max(1, starvation / this.interval);
    this.now = options.now ?? Date.now;
  }

  acquire(priority: number, signal?: AbortSignal): Promise<Release> {
    if (this.closed) return Promise.reject(new ConstellationError('ShuttingDown', 'The scheduler is shutting down'));
    if (signal?.aborted) return Promise.reject(new ConstellationError('Cancelled', 'cancelled before it got a scheduler slot'));
    const base = Math.max(0, Math.min(100, priority));
    this.totalSubmitted++;
    if (this.active < this.options.maxConcurrency && this.queue.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser(base));
    }
    if (this.maxQueue > 0 && this.queue.length >= this.maxQueue) {
      this.totalSubmitted--;
      return Promise.reject(new ConstellationError('QueueFull', `The scheduler queue is full (${this.maxQueue} waiting)`));
    }
    return new Promise<Release>((resolve, reject) => {
      const entry: Waiting = { base, effective: base, seq: this.seq++, enqueuedAt: this.now(), resolve, reject };
      if (signal) {
        entry.signal = signal;
        entry.onAbort = () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason instanceof Error ? signal.reason : new ConstellationError('Cancelled', 'cancelled while waiting for a scheduler slot'));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.insert(entry);
      this.startAging();
    });
  }

  private insert(entry: Waiting): void {
    // highest effective priority first, FIFO among equals
    let i = this.queue.length;
    while (i > 0) {
      const prev = this.queue[i - 1]!;
      if (prev.effective > entry.effective || (prev.effective === entry.effective && prev.seq < entry.seq)) break;
      i--;
    }
    this.queue.splice(i, 0, entry);
  }

  private releaser(base: number): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.totalCompleted++;
      if (base >= 75) this.highCompleted++;
      if (base < 25) this.lowCompleted++;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.active < this.options.maxConcurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (next.signal && next.onAbort) next.signal.removeEventListener('abort', next.onAbort);
      this.active++;
      next.resolve(this.releaser(next.base));
    }
    if (this.queue.length === 0) this.stopAging();
  }

  private startAging(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.age(), this.interval);
    this.timer.unref();
  }

  private stopAging(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Raises waiting entries' priorities with their waiting time; exposed for tests. */
  age(): void {
    const now = this.now();
    let changed = false;
    for (const e of this.queue) {
      const periods = Math.floor((now - e.enqueuedAt) / this.interval);
      const effective = Math.min(100, e.base + Math.round(this.step * periods));
      if (effective > e.effective) {
        e.effective = effective;
        this.promotions++;
        changed = true;
      }
    }
    if (changed) this.queue.sort((a, b) => b.effective - a.effective || a.seq - b.seq);
  }

  stats(): SchedulerStats {
    return {
      enabled: true,
      activeCount: this.active,
      queuedCount: this.queue.length,
      totalSubmitted: this.totalSubmitted,
      totalCompleted: this.totalCompleted,
      highPriorityCompleted: this.highCompleted,
      lowPriorityCompleted: this.lowCompleted,
      starvationPromotions: this.promotions,
      maxConcurrency: this.options.maxConcurrency,
    };
  }

  /** Rejects new work, releases every waiting entry with an error, lets active work finish. */
  shutdown(): void {
    this.closed = true;
    this.stopAging();
    for (const e of this.queue.splice(0)) {
      if (e.signal && e.onAbort) e.signal.removeEventListener('abort', e.onAbort);
      e.reject(new ConstellationError('ShuttingDown', 'The scheduler is shutting down'));
    }
  }
}
