/**
 * Server lifecycle (operations.md §7): Running → Draining → Stopped. While draining, the
 * listener stays open so in-flight requests finish and probes answer (readiness 503); new
 * executions are refused with 503 ShuttingDown. When in-flight work reaches zero, or the drain
 * timeout elapses (then the rest is cancelled), the state becomes Stopped.
 */

export type LifecycleState = 'Starting' | 'Running' | 'Draining' | 'Stopped';

export class Lifecycle {
  private current: LifecycleState = 'Starting';
  private inflight = 0;
  private waiters: (() => void)[] = [];

  get state(): LifecycleState {
    return this.current;
  }

  get inflightRequests(): number {
    return this.inflight;
  }

  markRunning(): void {
    if (this.current === 'Starting') this.current = 'Running';
  }

  get acceptingWork(): boolean {
    return this.current === 'Running';
  }

  readonly counter = {
    inc: () => {
      this.inflight++;
    },
    dec: () => {
      this.inflight--;
      if (this.inflight === 0) for (const w of this.waiters.splice(0)) w();
    },
  };

  /**
   * Drains: waits for in-flight requests up to `timeoutMs`; `onTimeout` cancels what is left.
   * Call it once (the server's shutdown guards that).
   */
  async drain(timeoutMs: number, onTimeout: () => void): Promise<void> {
    if (this.current === 'Stopped') return;
    this.current = 'Draining';
    if (this.inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(() => {
          onTimeout();
          // give cancelled requests a moment to write their replies
          setTimeout(resolve, 200).unref();
        }, timeoutMs);
        timer.unref();
      });
      if (timer) clearTimeout(timer);
    }
    this.current = 'Stopped';
  }
}
