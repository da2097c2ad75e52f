import type { BreakerObserver, BreakerTransition, CircuitBreaker, CircuitBreakerRegistry, CircuitState } from './spi.js';

/**
 * Per-module circuit breakers: closed → open after `failureThreshold` consecutive failures;
 * after `resetDurationMs` the next call is a half-open probe; a successful probe closes, a failed
 * one re-opens. Transitions out of open are lazy (on the next call). Fed with node outcomes
 * (the reference's breaker never sees failures). Every transition carries an epoch so a registry
 * can adopt transitions decided by other instances (see BreakerTransition).
 */

export interface BreakerConfig {
  failureThreshold: number;
  resetDurationMs: number;
  halfOpenMaxProbes: number;
}

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = { failureThreshold: 5, resetDurationMs: 30_000, halfOpenMaxProbes: 1 };

/**
 * Who may send the half-open probes of a recovering module. Without a gate, any instance whose
 * open period has ended probes; a cluster installs one that answers true only on the instance
 * holding the module's probe lease, so exactly one instance probes a dead dependency. It is
 * asked on the call path and must answer at once (it may start taking the lease in the
 * background and say no for now).
 */
export interface ProbeGate {
  mayProbe(module: string): boolean;
}

/** What a breaker's state is, as a cluster republishes or stores it. */
export interface BreakerSnapshot {
  readonly module: string;
  readonly state: CircuitState;
  readonly epoch: number;
  /** For `open`: milliseconds left of the open period; 0 otherwise. */
  readonly remainingOpenMs: number;
  readonly consecutiveFailures: number;
}

/**
 * Hears the outcomes that move a closed breaker's count: every failure, and a success only when
 * it resets a count that was above zero (so a healthy module's successes cost nothing). A
 * cluster shares them, so failures seen anywhere add up to one count (see `countRemote`).
 */
export type OutcomeListener = (module: string, outcome: 'failure' | 'success') => void;

/** Hears a breaker's transitions (the last two arguments give the epoch and where it was decided). */
export type BreakerChange = (name: string, from: CircuitState, to: CircuitState, transition: BreakerTransition, origin: 'local' | 'adopted') => void;

export class LocalCircuitBreaker implements CircuitBreaker {
  private current: CircuitState = 'closed';
  private consecutive = 0;
  private successes = 0;
  private failures = 0;
  private rejected = 0;
  private openedAt = 0;
  private probes = 0;
  /** Transitions of this module known here (local and adopted). */
  epoch = 0;

  constructor(
    readonly name: string,
    private readonly config: BreakerConfig,
    private readonly onChange?: BreakerChange,
    private readonly now: () => number = Date.now,
    private readonly gate: () => ProbeGate | undefined = () => undefined,
    private readonly outcomes: () => OutcomeListener | undefined = () => undefined,
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.epoch++;
    this.tell({ module: this.name, from, to, epoch: this.epoch, remainingOpenMs: to === 'open' ? this.config.resetDurationMs : 0 }, 'local');
  }

  private tell(transition: BreakerTransition, origin: 'local' | 'adopted'): void {
    try {
      this.onChange?.(transition.module, transition.from, transition.to, transition, origin);
    } catch {
      // observers never break the breaker
    }
  }

  /**
   * Applies a transition decided elsewhere; false when it is not newer than what is known here.
   * On an exact tie of epochs (two instances decided at once) an `open` wins over any other
   * state: the fail-safe choice, settled by the next transition.
   */
  adopt(transition: BreakerTransition): boolean {
    const tieToOpen = transition.epoch === this.epoch && transition.to === 'open' && this.current !== 'open';
    if (transition.epoch < this.epoch || (transition.epoch === this.epoch && !tieToOpen)) return false;
    const from = this.current;
    this.epoch = transition.epoch;
    this.current = transition.to;
    this.probes = 0;
    if (transition.to === 'open') this.openedAt = this.now() - Math.max(0, this.config.resetDurationMs - transition.remainingOpenMs);
    else this.consecutive = 0;
    if (from !== transition.to) this.tell({ ...transition, from }, 'adopted');
    return true;
  }

  tryAcquire(): boolean {
    if (this.current === 'open') {
      if (this.now() - this.openedAt >= this.config.resetDurationMs) {
        const gate = this.gate();
        if (gate !== undefined && !gate.mayProbe(this.name)) {
          this.rejected++;
          return false;
        }
        this.transition('half_open');
        this.probes = 1;
        return true;
      }
      this.rejected++;
      return false;
    }
    if (this.current === 'half_open') {
      const gate = this.gate();
      if (this.probes < this.config.halfOpenMaxProbes && (gate === undefined || gate.mayProbe(this.name))) {
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
    if (this.consecutive > 0) {
      this.consecutive = 0;
      this.outcomes()?.(this.name, 'success');
    }
    if (this.current === 'half_open') {
      this.probes = 0;
      this.transition('closed');
    }
  }

  onFailure(): void {
    this.failures++;
    this.consecutive++;
    if (this.current === 'closed') this.outcomes()?.(this.name, 'failure');
    if (this.current === 'half_open') {
      this.probes = 0;
      this.openedAt = this.now();
      this.transition('open');
    } else if (this.current === 'closed' && this.consecutive >= this.config.failureThreshold) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  /**
   * An outcome of another instance's call of this module: a failure adds to the count of
   * consecutive failures (and may open the breaker, as a local one would), a success resets it.
   * Only a closed breaker counts; its statistics of calls stay this instance's own.
   */
  countRemote(outcome: 'failure' | 'success'): void {
    if (this.current !== 'closed') return;
    if (outcome === 'success') {
      this.consecutive = 0;
      return;
    }
    this.consecutive++;
    if (this.consecutive >= this.config.failureThreshold) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  /** Opens the breaker now (a cluster-wide failure rate decided it); false when it already is open. */
  trip(): boolean {
    if (this.current === 'open') return false;
    this.probes = 0;
    this.openedAt = this.now();
    this.transition('open');
    return true;
  }

  snapshot(): BreakerSnapshot {
    const remaining = this.current === 'open' ? Math.max(0, this.config.resetDurationMs - (this.now() - this.openedAt)) : 0;
    return { module: this.name, state: this.current, epoch: this.epoch, remainingOpenMs: remaining, consecutiveFailures: this.consecutive };
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
  private readonly observers = new Set<BreakerObserver>();
  private readonly notify: BreakerChange = (_name, _from, _to, transition, origin) => {
    this.onChange?.(transition.module, transition.from, transition.to);
    for (const o of this.observers) {
      try {
        o(transition, origin);
      } catch {
        // one observer's failure neither breaks the breaker nor silences the others
      }
    }
  };

  private gate: ProbeGate | undefined;
  private readonly gateOf = (): ProbeGate | undefined => this.gate;
  private outcomeListener: OutcomeListener | undefined;
  private readonly outcomesOf = (): OutcomeListener | undefined => this.outcomeListener;

  constructor(
    readonly defaults: BreakerConfig = DEFAULT_BREAKER_CONFIG,
    private readonly overrides: Readonly<Record<string, Partial<BreakerConfig>>> = {},
    private readonly onChange?: (name: string, from: CircuitState, to: CircuitState) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Installs (or removes) the gate every breaker of this registry asks before a probe. */
  setProbeGate(gate: ProbeGate | undefined): void {
    this.gate = gate;
  }

  /** Installs (or removes) the listener of count-moving outcomes (a cluster shares them). */
  onOutcome(listener: OutcomeListener | undefined): void {
    this.outcomeListener = listener;
  }

  /** The settings of one module's breaker (the defaults with its overrides). */
  configOf(name: string): BreakerConfig {
    return { ...this.defaults, ...this.overrides[name] };
  }

  forModule(name: string): LocalCircuitBreaker {
    let b = this.breakers.get(name);
    if (!b) {
      b = new LocalCircuitBreaker(name, this.configOf(name), this.notify, this.now, this.gateOf, this.outcomesOf);
      this.breakers.set(name, b);
    }
    return b;
  }

  all() {
    const out: Record<string, ReturnType<CircuitBreaker['stats']>> = {};
    for (const [name, b] of this.breakers) out[name] = b.stats();
    return out;
  }

  adopt(transition: BreakerTransition): boolean {
    return this.forModule(transition.module).adopt(transition);
  }

  /** Does a breaker for `name` exist yet, and how many are there (a cluster bounds what others may create). */
  has(name: string): boolean {
    return this.breakers.has(name);
  }

  get size(): number {
    return this.breakers.size;
  }

  /** Every breaker's current state (what a cluster republishes after a reconnect). */
  snapshots(): BreakerSnapshot[] {
    return [...this.breakers.values()].map((b) => b.snapshot());
  }

  observe(observer: BreakerObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }
}
