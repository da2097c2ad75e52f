import { createHash } from 'node:crypto';
import { bearerToken, isPublicPath } from './auth.js';
import type { Middleware } from './http/middleware.js';
import { errorReply } from './http/error-reply.js';

/**
 * Rate limiting (docs/decisions.md #18): a correct token bucket — capacity =
 * burst, continuous refill at rpm/60 per second, one token per request — per client address
 * and, when a bearer token is present, also per token (both must grant; the address first, so
 * made-up tokens cannot escape the address budget). Health and metrics are exempt. A rejected
 * request gets 429 with `Retry-After` (seconds until a token is available). Idle buckets are
 * evicted so the table cannot grow without bound.
 */

interface Bucket {
  tokens: number;
  last: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;
  constructor(private readonly rpm: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  /** Takes a token; returns 0 when granted, else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    this.sweep(t);
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, last: t };
      this.buckets.set(key, b);
    }
    const perMs = this.rpm / 60_000;
    b.tokens = Math.min(this.burst, b.tokens + (t - b.last) * perMs);
    b.last = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    // a bucket idle long enough to be full again carries no state worth keeping
    const fullAfterMs = (this.burst / this.rpm) * 60_000;
    for (const [k, b] of this.buckets) if (t - b.last > fullAfterMs) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}

export function rateLimitMiddleware(config: { rpm: number; burst: number; keyRpm: number; keyBurst: number }, now?: () => number): Middleware {
  const byAddress = new TokenBuckets(config.rpm, config.burst, now);
  const byKey = new TokenBuckets(config.keyRpm, config.keyBurst, now);
  return {
    before(req) {
      if (isPublicPath(req.path) || req.method === 'OPTIONS') return undefined;
      // the reference's operations guide: the address bucket always, the key bucket only if the address passed
      let wait = byAddress.take(`ip:${req.remoteAddress || 'unknown'}`);
      const token = wait === 0 ? bearerToken(req) : undefined;
      if (token) wait = byKey.take(`key:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`);
      if (wait === 0) return undefined;
      return errorReply('RateLimitExceeded', 'Too many requests, please try again later', req.requestId, { 'retry-after': String(wait) });
    },
  };
}
