import type { Subscription } from 'nats';
import { z } from 'zod';
import type { LocalBreakerRegistry } from '../runtime/engine/circuit-breaker.js';
import { defineEnvelope } from './envelope.js';
import { errorText } from './log.js';
import { isInstanceId } from './naming.js';
import type { ClusterNode } from './node.js';
import { safeCallback } from './safe-callback.js';

/**
 * Optional cluster-wide tripping on the failure *rate* (CONSTELLATION_BREAKER_AGGREGATE=true;
 * off by default: consecutive-failure counts do not add up across instances, rates do). Every
 * `breakerDeltaIntervalMs` each instance publishes how many calls of each module failed and
 * succeeded since its last report, on `cst.<c>.cbdeltas`. Every instance sums the reports of
 * the last `breakerAggregateWindowMs`; when a module's failure ratio reaches `ratio` over at
 * least `minCalls` calls, it trips its own breaker — which then goes out as an ordinary
 * transition (all instances trip on the same evidence, and the epoch rule settles duplicates).
 * A module whose breaker closes starts a new window.
 *
 * The counts come from the registry's statistics, read once per interval: nothing is added to
 * the call path.
 */

const deltasEnvelope = defineEnvelope(
  'breaker-deltas',
  z.object({
    origin: z.string().refine(isInstanceId),
    /** [module, failures, successes] since the sender's previous report. */
    deltas: z.array(z.tuple([z.string().min(1).max(512), z.number().int().min(0), z.number().int().min(0)])).max(10_000),
  }),
  512 * 1024,
);

const MAX_MODULES = 10_000;

interface Sample {
  readonly at: number;
  readonly failures: number;
  readonly successes: number;
}

export interface AggregateSettings {
  readonly ratio: number;
  readonly minCalls: number;
  readonly intervalMs: number;
  readonly windowMs: number;
}

export class AggregateBreakerTripping {
  private readonly totals = new Map<string, { failures: number; successes: number }>();
  private readonly window = new Map<string, Sample[]>();
  private timer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private stopObserving: (() => void) | undefined;
  tripped = 0;

  constructor(private readonly node: ClusterNode, private readonly registry: LocalBreakerRegistry, private readonly settings: AggregateSettings) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.settings.intervalMs);
    this.timer.unref();
    // a breaker that closes has recovered: its old failures no longer count
    this.stopObserving = this.registry.observe((t) => {
      if (t.to === 'closed') this.window.delete(t.module);
    });
  }

  async synchronise(): Promise<void> {
    const nc = this.node.connection.require('aggregate breakers');
    if (!this.subscription || this.subscription.isClosed()) {
      this.subscription = nc.subscribe(this.node.names.breakerDeltas, {
        callback: safeCallback(this.node.logger, 'breaker deltas', (msg) => {
          const report = this.node.drops.accept(deltasEnvelope, msg.data);
          if (!report || report.origin === this.node.instanceId) return;
          for (const [module, failures, successes] of report.deltas) this.add(module, failures, successes);
          this.evaluate();
        }),
      });
    }
  }

  private add(module: string, failures: number, successes: number): void {
    let samples = this.window.get(module);
    if (!samples && this.window.size >= MAX_MODULES) return; // a flood of made-up modules cannot grow memory
    if (!samples) this.window.set(module, (samples = []));
    samples.push({ at: Date.now(), failures, successes });
  }

  /** Reads this instance's counts, publishes what changed, and decides. */
  private tick(): void {
    const deltas: [string, number, number][] = [];
    for (const [module, s] of Object.entries(this.registry.all())) {
      const before = this.totals.get(module) ?? { failures: 0, successes: 0 };
      const f = s.totalFailures - before.failures;
      const ok = s.totalSuccesses - before.successes;
      this.totals.set(module, { failures: s.totalFailures, successes: s.totalSuccesses });
      if (f === 0 && ok === 0) continue;
      deltas.push([module, f, ok]);
      this.add(module, f, ok);
    }
    const nc = this.node.connection.raw;
    if (deltas.length > 0 && nc && this.node.connection.connected) {
      try {
        nc.publish(this.node.names.breakerDeltas, deltasEnvelope.encode({ origin: this.node.instanceId, deltas }));
      } catch (e) {
        this.node.logger.debug({ err: errorText(e) }, 'cluster: breaker deltas not published');
      }
    }
    this.evaluate();
  }

  private evaluate(): void {
    const since = Date.now() - this.settings.windowMs;
    for (const [module, samples] of this.window) {
      while (samples.length > 0 && samples[0]!.at < since) samples.shift();
      if (samples.length === 0) {
        this.window.delete(module);
        continue;
      }
      let failures = 0;
      let total = 0;
      for (const s of samples) {
        failures += s.failures;
        total += s.failures + s.successes;
      }
      if (total < this.settings.minCalls || failures / total < this.settings.ratio) continue;
      const breaker = this.registry.forModule(module);
      if (breaker.state !== 'closed') continue;
      if (breaker.trip()) {
        this.tripped++;
        this.window.delete(module);
        this.node.logger.warn({ module, failures, calls: total }, 'cluster: failure ratio across the cluster too high; breaker tripped');
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.stopObserving?.();
    this.subscription?.unsubscribe();
  }
}
