/**
 * Server lifecycle: Starting → Running → Draining → Stopped (the states `/health/detail`
 * reports). While draining, the listener stays open so in-flight requests finish and probes
 * answer (readiness 503); new executions are refused with 503 ShuttingDown. When in-flight work
 * reaches zero, or the drain deadline passes (then the rest is cancelled), the state becomes
 * Stopped. Every change is announced to the observers (attached listeners: the WebSocket
 * routes, the provider port, the cluster agent) in order, synchronously. While the port closes,
 * requests can be held (see Host.close) so no client is reset.
 */

export type LifecycleState = 'Starting' | 'Running' | 'Draining' | 'Stopped';

export class Lifecycle {
  private current: LifecycleState = 'Starting';
  private inflight = 0;
  private waiters: (() => void)[] = [];
  private readonly observers: ((state: LifecycleState) => void)[] = [];
  /** When the last HTTP request started (performance.now()). */
  private lastStart = 0;
  private holding: Promise<void> | undefined;

  get state(): LifecycleState {
    return this.current;
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  get acceptingWork(): boolean {
    return this.current === 'Running';
  }

  /** Calls `observer` on every later state change. An observer that throws is ignored. */
  onChange(observer: (state: LifecycleState) => void): void {
    this.observers.push(observer);
  }

  private enter(state: LifecycleState): void {
    if (this.current === state) return;
    this.current = state;
    for (const o of this.observers) {
      try {
        o(state);
      } catch {
        // an observer must not stop the lifecycle
      }
    }
  }

  markRunning(): void {
    if (this.current === 'Starting') this.enter('Running');
  }

  /** Refuses new work from now on (idempotent). */
  beginDrain(): void {
    if (this.current === 'Starting' || this.current === 'Running') this.enter('Draining');
  }

  markStopped(): void {
    this.enter('Stopped');
  }

  /**
   * While held, requests wait before they run (see Host.close); resolves and ends the hold when
   * the returned function is called.
   */
  hold(): () => void {
    let release!: () => void;
    this.holding = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.holding = undefined;
      release();
    };
  }

  /** The hold requests must wait for, or `undefined` (almost always). */
  get held(): Promise<void> | undefined {
    return this.holding;
  }

  readonly counter = {
    inc: () => {
      this.inflight++;
      this.lastStart = performance.now();
    },
    dec: () => {
      this.inflight--;
      if (this.inflight === 0) for (const w of this.waiters.splice(0)) w();
    },
  };

  /** Resolves once no request has started for `quietMs`, or after `maxMs`. */
  async noneStartedFor(quietMs: number, maxMs: number): Promise<void> {
    const until = performance.now() + maxMs;
    for (;;) {
      const wait = Math.min(quietMs - (performance.now() - this.lastStart), until - performance.now());
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Resolves once no request is in flight and none has started for `quietMs`, or after `maxMs`.
   * (After the port closes, requests can still arrive on open connections.)
   */
  async quiet(quietMs: number, maxMs: number): Promise<void> {
    const until = performance.now() + maxMs;
    for (;;) {
      await this.noneStartedFor(quietMs, Math.max(0, until - performance.now()));
      await this.idle(Math.max(0, until - performance.now()));
      if (performance.now() >= until || (this.inflight === 0 && performance.now() - this.lastStart >= quietMs)) return;
    }
  }

  /** Resolves once no HTTP request is in flight, or after `ms`, whichever is first. */
  async idle(ms: number): Promise<void> {
    if (this.inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }

  /**
   * Waits for in-flight HTTP requests until `deadline` (epoch ms); `onTimeout` cancels what is
   * left, and the requests it cancelled get a moment to write their replies.
   */
  async drainRequests(deadline: number, onTimeout: () => void): Promise<void> {
    this.beginDrain();
    if (this.inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      timer = setTimeout(() => {
        onTimeout();
        setTimeout(resolve, 200).unref();
      }, Math.max(0, deadline - Date.now()));
      timer.unref();
    });
    if (timer) clearTimeout(timer);
  }
}
