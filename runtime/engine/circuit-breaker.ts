import type { CircuitBreaker, CircuitBreakerRegistry, CircuitState } from './spi.js';

/**
 * Per-module circuit breakers (runtime.md §9): closed → open after `failureThreshold`
 * consecutive failures; after `resetDurationMs` the next call is a half-open probe; a successful
 * probe closes, a failed one re-opens. Transitions out of open are lazy (on the next call).
 * Fed with node outcomes ([divergence]: the reference's breaker never sees failures).
 */

export interface BreakerConfig {
  failureThreshold: number;
  resetDurationMs: number;
  halfOpenMaxProbes: number;
}

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = { failureThreshold: 5, resetDurationMs: 30_000, halfOpenMaxProbes: 1 };

export class LocalCircuitBreaker implements CircuitBreaker {
  private current: CircuitState = 'closed';
  private consecutive = 0;
  private successes = 0;
  private failures = 0;
  private rejected = 0;
  private openedAt = 0;
  private probes = 0;

  constructor(
    readonly name: string,
    private readonly config: BreakerConfig,
    private readonly onChange?: (name: string, from: CircuitState, to: CircuitState) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    try {
      this.onChange?.(this.name, from, to);
    } catch {
      // observers never break the breaker
    }
  }

  tryAcquire(): boolean {
    if (this.current === 'open') {
      if (this.now() - this.openedAt >= this.config.resetDurationMs) {
        this.transition('half_open');
        this.probes = 1;
        return true;
      }
      this.rejected++;
      return false;
    }
    if (this.current === 'half_open') {
      if (this.probes < this.config.halfOpenMaxProbes) {
        this.probes++;
        return true;
      }
      this.rejected++;
      return false;
    }
    return true;
  }

  onSuccess(): void {
    this.successes++;
    this.consecutive = 0;
    if (this.current === 'half_open') {
      this.probes = 0;
      this.transition('closed');
    }
  }

  onFailure(): void {
    this.failures++;
    this.consecutive++;
    if (this.current === 'half_open') {
      this.probes = 0;
      this.openedAt = this.now();
      this.transition('open');
    } else if (this.current === 'closed' && this.consecutive >= this.config.failureThreshold) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  release(): void {
    if (this.current === 'half_open' && this.probes > 0) this.probes--;
  }

  stats() {
    return { state: this.current, consecutiveFailures: this.consecutive, totalSuccesses: this.successes, totalFailures: this.failures, totalRejected: this.rejected };
  }

  reset(): void {
    this.consecutive = 0;
    this.probes = 0;
    this.transition('closed');
  }
}

export class LocalBreakerRegistry implements CircuitBreakerRegistry {
  private readonly breakers = new Map<string, LocalCircuitBreaker>();

  constructor(
    private readonly defaults: BreakerConfig = DEFAULT_BREAKER_CONFIG,
    private readonly overrides: Readonly<Record<string, Partial<BreakerConfig>>> = {},
    private readonly onChange?: (name: string, from: CircuitState, to: CircuitState) => void,
    private readonly now: () => number = Date.now,
  ) {}

  forModule(name: string): LocalCircuitBreaker {
    let b = this.breakers.get(name);
    if (!b) {
      b = new LocalCircuitBreaker(name, { ...this.defaults, ...this.overrides[name] }, this.onChange, this.now);
      this.breakers.set(name, b);
    }
    return b;
  }

  all() {
    const out: Record<string, ReturnType<CircuitBreaker['stats']>> = {};
    for (const [name, b] of this.breakers) out[name] = b.stats();
    return out;
  }
}
