import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Event-loop lag of this process, for the load in heartbeats: the mean delay beyond the timer
 * resolution over the last window (1 s), in milliseconds. Cheap: a timer inside libuv samples,
 * no JavaScript per tick; reading it is a field access.
 */
export class EventLoopLag {
  private static readonly RESOLUTION_MS = 20;
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: EventLoopLag.RESOLUTION_MS });
  private readonly timer: NodeJS.Timeout;
  private value = 0;

  constructor(windowMs = 1_000) {
    this.histogram.enable();
    this.timer = setInterval(() => {
      const mean = this.histogram.mean;
      this.histogram.reset();
      // the histogram measures whole timer periods: the lag is what exceeds the resolution
      this.value = Number.isFinite(mean) ? Math.max(0, mean / 1e6 - EventLoopLag.RESOLUTION_MS) : 0;
    }, windowMs);
    this.timer.unref();
  }

  /** Mean lag over the last window (ms). */
  get current(): number {
    return this.value;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
