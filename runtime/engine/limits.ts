import { ConstellationError } from '../errors.js';

/**
 * Per-module rate controls shared by every call site and execution of one engine
 * (the `throttle` and `concurrency` options): a continuously refilling token bucket and a
 * semaphore. The first call that creates the limiter for a module fixes its rate (as specified).
 */

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** This instance's share of the budget (1 alone; `1 / members` when a cluster splits throttles). */
  private share = 1;
  constructor(private readonly capacity: number, private readonly perMs: number, private readonly now: () => number = Date.now) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Tokens per period for this instance (never below one call per period). */
  private get limit(): number {
    return Math.max(1, this.capacity * this.share);
  }

  setShare(share: number): void {
    this.refill();
    this.share = share;
    this.tokens = Math.min(this.tokens, this.limit);
  }

  private refill(): void {
    const t = this.now();
    const limit = this.limit;
    this.tokens = Math.min(limit, this.tokens + ((t - this.last) * limit) / this.perMs);
    this.last = t;
  }

  /** Takes a token, waiting (in roughly one-token steps) until one is available. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * this.perMs) / this.limit));
      await abortableDelay(waitMs, signal);
    }
  }
}

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new ConstellationError('Cancelled', 'cancelled before it got a concurrency permit');
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new ConstellationError('Cancelled', 'cancelled while waiting for a concurrency permit'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
    this.active++;
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      const next = this.waiting.shift();
      if (next) next();
    };
  }
}

export class ModuleLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly semaphores = new Map<string, Semaphore>();
  private share = 1;

  bucket(module: string, count: number, perMs: number): TokenBucket {
    let b = this.buckets.get(module);
    if (!b) {
      b = new TokenBucket(count, perMs);
      if (this.share !== 1) b.setShare(this.share);
      this.buckets.set(module, b);
    }
    return b;
  }

  /**
   * Splits every `throttle` budget: this instance may use `share` of it (a cluster sets
   * `1 / live members`, so the cluster as a whole keeps the configured rate).
   */
  setShare(share: number): void {
    this.share = share;
    for (const b of this.buckets.values()) b.setShare(share);
  }

  get throttleShare(): number {
    return this.share;
  }

  semaphore(module: string, limit: number): Semaphore {
    let s = this.semaphores.get(module);
    if (!s) {
      s = new Semaphore(limit);
      this.semaphores.set(module, s);
    }
    return s;
  }
}

/** The longest delay setTimeout honours (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ConstellationError('Cancelled', 'cancelled'));
      return;
    }
    // setTimeout fires at once beyond 2^31 - 1 ms: never wait longer than that in one go
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_TIMER_MS));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ConstellationError('Cancelled', 'cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
