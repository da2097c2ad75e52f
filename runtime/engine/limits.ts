import { ConstellationError } from '../errors.js';

/**
 * Per-module rate controls shared by every call site and execution of one engine
 * (the `throttle` and `concurrency` options): a continuously refilling token bucket and a
 * semaphore. The first call that creates the limiter for a module fixes its rate (as specified).
 */

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly capacity: number, private readonly perMs: number, private readonly now: () => number = Date.now) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.capacity) / this.perMs);
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
      const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) * this.perMs) / this.capacity));
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

  bucket(module: string, count: number, perMs: number): TokenBucket {
    let b = this.buckets.get(module);
    if (!b) {
      b = new TokenBucket(count, perMs);
      this.buckets.set(module, b);
    }
    return b;
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
