import type { Msg, Subscription } from 'nats';
import { z } from 'zod';
import type { LocalBreakerRegistry } from '../runtime/engine/circuit-breaker.js';
import type { BreakerTransition, CircuitState } from '../runtime/engine/spi.js';
import { defineEnvelope } from './envelope.js';
import { asCoordinationError, isStreamNotFound } from './errors.js';
import { errorText } from './log.js';
import { decodeName, encodeName, isInstanceId } from './naming.js';
import type { ClusterNode } from './node.js';
import { BREAKER_BUCKET, ProbeLeases } from './probe-leases.js';
import { safeCallback } from './safe-callback.js';

/**
 * Circuit breakers across the cluster (local counting, gossiped transitions, one prober):
 *
 * - Consecutive failures are counted across the cluster (CONSTELLATION_BREAKER_SHARED_COUNT,
 *   on by default): every failure of a closed breaker's module, and every success that resets a
 *   count above zero, goes out on `cst.<c>.cbo.<module>`, and every instance adds the others'
 *   failures to its own count (a success anywhere resets it). So whichever instances a dead
 *   dependency's calls land on, the breakers open after one threshold of failures in total —
 *   not one per instance. (A healthy module's successes send nothing.) Off, each instance
 *   counts its own calls only, as the reference does.
 * - When a breaker changes state here, the transition goes out on `cst.<c>.cb.<module>` with
 *   its epoch, this instance as origin, and the open time left; a snapshot goes to the
 *   `cst_<c>_cb` bucket.
 * - Every instance adopts a transition that is newer than what it knows (the registry's epoch
 *   rule: higher epoch wins; on a tie an open wins). The open period's end is computed from
 *   `remainingOpenMs` at receipt, so clocks do not matter. So once one instance trips, the others
 *   reject within one message latency, without calling the dead dependency themselves.
 * - After the open period exactly one instance probes: the one holding the probe lease
 *   (probe-leases.ts); its outcome (closed, or open again) reaches everyone the same way.
 * - Start-up and every reconnect: the snapshots are read and open ones adopted with their
 *   remaining time (a restarted instance does not call a dependency the cluster knows is dead);
 *   then this instance's own non-closed breakers are published again (what others missed while
 *   it was away). Conflicts settle by epoch.
 * - Without NATS the breakers work on their own (per instance), as the reference's do.
 */

export const transitionEnvelope = defineEnvelope(
  'breaker-transition',
  z.object({
    module: z.string().min(1).max(512),
    from: z.enum(['closed', 'open', 'half_open']),
    to: z.enum(['closed', 'open', 'half_open']),
    epoch: z.number().int().min(0),
    origin: z.string().refine(isInstanceId),
    remainingOpenMs: z.number().min(0).max(2_147_483_647),
    consecutiveFailures: z.number().int().min(0),
    reason: z.enum(['transition', 'republish']),
    sentAt: z.number(),
  }),
  4 * 1024,
);

/** A failure of a module's call, or a success that reset a count above zero. */
export const outcomeEnvelope = defineEnvelope(
  'breaker-outcome',
  z.object({ module: z.string().min(1).max(512), outcome: z.enum(['failure', 'success']), origin: z.string().refine(isInstanceId) }),
  1024,
);

const snapshotEnvelope = defineEnvelope(
  'breaker-snapshot',
  z.object({
    module: z.string().min(1).max(512),
    state: z.enum(['closed', 'open', 'half_open']),
    epoch: z.number().int().min(0),
    origin: z.string().refine(isInstanceId),
    remainingOpenMs: z.number().min(0),
    /** Epoch ms of the write (the remaining time is counted from it at start-up). */
    writtenAt: z.number(),
  }),
  4 * 1024,
);

/** Breakers other instances may make this one create (module names come from the wire). */
const MAX_BREAKERS = 10_000;

export interface TransitionRecord {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly epoch: number;
  /** The instance that decided it. */
  readonly origin: string;
  readonly source: 'local' | 'remote';
  readonly at: string;
}

export interface BreakerGossipStats {
  readonly published: number;
  readonly received: number;
  readonly adopted: number;
  readonly stale: number;
  readonly snapshotsAdopted: number;
  /** Failures (and resetting successes) shared with the other instances, and received from them. */
  readonly outcomesSent: number;
  readonly outcomesReceived: number;
}

export class BreakerGossip {
  readonly leases: ProbeLeases;
  private subscription: Subscription | undefined;
  private outcomeSubscription: Subscription | undefined;
  private readonly last = new Map<string, TransitionRecord>();
  /** Set while a received transition is being adopted: the observer records its origin. */
  private adoptingFrom: string | undefined;
  private readonly counters = { published: 0, received: 0, adopted: 0, stale: 0, snapshotsAdopted: 0, outcomesSent: 0, outcomesReceived: 0 };
  private readonly transitionsBy = new Map<string, number>();
  private stopObserving: (() => void) | undefined;

  constructor(private readonly node: ClusterNode, readonly registry: LocalBreakerRegistry) {
    this.leases = new ProbeLeases(node, node.config.timers.probeLeaseMs);
  }

  private get sharedCount(): boolean {
    return this.node.config.coordination.breakerSharedCount;
  }

  /** Installs the probe gate and starts hearing this instance's transitions (and outcomes). */
  start(): void {
    this.registry.setProbeGate(this.leases);
    this.stopObserving = this.registry.observe((t, origin) => this.onTransition(t, origin));
    if (this.sharedCount) this.registry.onOutcome((module, outcome) => this.sendOutcome(module, outcome));
  }

  private sendOutcome(module: string, outcome: 'failure' | 'success'): void {
    const nc = this.node.connection.raw;
    if (!nc || !this.node.connection.connected) return; // counted here only while NATS is away
    try {
      nc.publish(this.node.names.breakerOutcomes(module), outcomeEnvelope.encode({ module, outcome, origin: this.node.instanceId }));
      this.counters.outcomesSent++;
    } catch (e) {
      this.node.logger.debug({ err: errorText(e), module }, 'cluster: breaker outcome not published');
    }
  }

  private onOutcome(data: Uint8Array): void {
    const o = this.node.drops.accept(outcomeEnvelope, data);
    if (!o || o.origin === this.node.instanceId || !this.admits(o.module)) return;
    this.counters.outcomesReceived++;
    this.adoptingFrom = o.origin;
    try {
      // a remote failure that reaches the threshold opens the breaker here, as a local transition
      this.registry.forModule(o.module).countRemote(o.outcome);
    } finally {
      this.adoptingFrom = undefined;
    }
  }

  private onTransition(t: BreakerTransition, origin: 'local' | 'adopted'): void {
    // decided here on our own calls; or caused by another instance (adopted, or opened here by
    // the shared count when its failure reached the threshold: every instance does that on the
    // same messages, so only the instance whose own call failed announces it)
    const remote = origin === 'adopted' || this.adoptingFrom !== undefined;
    const decidedBy = remote ? (this.adoptingFrom ?? 'snapshot') : this.node.instanceId;
    const source = remote ? 'remote' : 'local';
    this.last.set(t.module, { from: t.from, to: t.to, epoch: t.epoch, origin: decidedBy, source, at: new Date().toISOString() });
    const key = `${t.module}\u0000${t.to}\u0000${source}`;
    this.transitionsBy.set(key, (this.transitionsBy.get(key) ?? 0) + 1);
    if (remote) {
      if (t.to !== 'half_open') this.leases.forget(t.module);
      return;
    }
    this.publish(t, 'transition');
    this.writeSnapshot(t);
    if (t.from === 'half_open') this.leases.release(t.module);
  }

  private publish(t: Pick<BreakerTransition, 'module' | 'from' | 'to' | 'epoch' | 'remainingOpenMs'>, reason: 'transition' | 'republish'): void {
    const nc = this.node.connection.raw;
    if (!nc || !this.node.connection.connected) return; // republished after the reconnect
    try {
      const consecutiveFailures = this.registry.all()[t.module]?.consecutiveFailures ?? 0;
      nc.publish(
        this.node.names.breaker(t.module),
        transitionEnvelope.encode({ module: t.module, from: t.from, to: t.to, epoch: t.epoch, origin: this.node.instanceId, remainingOpenMs: t.remainingOpenMs, consecutiveFailures, reason, sentAt: Date.now() }),
      );
      this.counters.published++;
    } catch (e) {
      this.node.logger.debug({ err: errorText(e), module: t.module }, 'cluster: breaker transition not published');
    }
  }

  private writeSnapshot(t: BreakerTransition): void {
    if (!this.node.connection.connected) return;
    const value = snapshotEnvelope.encode({ module: t.module, state: t.to, epoch: t.epoch, origin: this.node.instanceId, remainingOpenMs: t.remainingOpenMs, writtenAt: Date.now() });
    void (async () => {
      const kv = await this.node.buckets.kv(BREAKER_BUCKET);
      await this.node.connection.shared('write breaker snapshot', () => kv.put(encodeName(t.module), value));
    })().catch((e: unknown) => this.node.logger.debug({ err: errorText(e), module: t.module }, 'cluster: breaker snapshot not written'));
  }

  private onMessage(msg: Msg): void {
    const t = this.node.drops.accept(transitionEnvelope, msg.data);
    if (!t || t.origin === this.node.instanceId || !this.admits(t.module)) return;
    this.counters.received++;
    this.adoptingFrom = t.origin;
    try {
      if (this.registry.adopt({ module: t.module, from: t.from, to: t.to, epoch: t.epoch, remainingOpenMs: t.remainingOpenMs })) this.counters.adopted++;
      else this.counters.stale++;
    } finally {
      this.adoptingFrom = undefined;
    }
  }

  /** A module whose breaker exists, or room for one more. */
  private admits(module: string): boolean {
    return this.registry.has(module) || this.registry.size < MAX_BREAKERS;
  }

  /** After each (re)connection: subscribe, adopt the stored snapshots, republish our own non-closed breakers. */
  async synchronise(reason: 'connect' | 'reconnect'): Promise<void> {
    const nc = this.node.connection.require('breakers');
    if (!this.subscription || this.subscription.isClosed()) {
      this.subscription = nc.subscribe(this.node.names.breaker('*'), { callback: safeCallback(this.node.logger, 'breaker transition', (msg) => this.onMessage(msg)) });
    }
    if (this.sharedCount && (!this.outcomeSubscription || this.outcomeSubscription.isClosed())) {
      this.outcomeSubscription = nc.subscribe(this.node.names.breakerOutcomes('*'), { callback: safeCallback(this.node.logger, 'breaker outcome', (msg) => this.onOutcome(msg.data)) });
    }
    try {
      await this.adoptSnapshots();
    } catch (e) {
      // before the first synchronisation the instance is not ready until it knows the open breakers;
      // after a reconnect its breakers are live already: the transitions it hears keep them right
      if (reason === 'connect') throw e;
      this.node.logger.warn({ err: errorText(e) }, 'cluster: breaker snapshots not read after the reconnect');
    }
    for (const b of this.registry.snapshots()) {
      if (b.state !== 'closed') this.publish({ module: b.module, from: 'closed', to: b.state, epoch: b.epoch, remainingOpenMs: b.remainingOpenMs }, 'republish');
    }
  }

  /**
   * Adopts the open breakers stored in the bucket (an instance that starts learns what the cluster
   * knows). A cluster whose breakers never changed has no bucket: it is created by the first
   * transition's snapshot, not here (one replicated stream less for healthy clusters).
   */
  private async adoptSnapshots(): Promise<void> {
    const timeout = this.node.config.timers.operationTimeoutMs * 10;
    const stream = `KV_${this.node.names.bucket(BREAKER_BUCKET.purpose)}`;
    const jsm = await this.node.connection.jetstreamManager('inspect breaker bucket');
    try {
      // not through `shared`: that turns every NATS error into an outage, and a missing bucket is not one
      await jsm.streams.info(stream);
    } catch (e) {
      if (isStreamNotFound(e)) return;
      throw asCoordinationError('inspect breaker bucket', e);
    }
    const kv = await this.node.buckets.kv(BREAKER_BUCKET, timeout);
    const keys = await this.node.connection.shared('list breaker snapshots', async () => {
      const out: string[] = [];
      for await (const k of await kv.keys()) if (!k.startsWith('probe.')) out.push(k);
      return out;
    }, timeout);
    for (const key of keys) {
      const module = decodeName(key);
      if (module === undefined) continue;
      const entry = await this.node.connection.shared('read breaker snapshot', () => kv.get(key)).catch(() => null);
      if (!entry || entry.operation !== 'PUT') continue;
      const s = this.node.drops.accept(snapshotEnvelope, entry.value);
      if (!s || s.module !== module || s.origin === this.node.instanceId || !this.admits(module)) continue;
      // an open breaker keeps what is left of its period; one being probed (half-open) is open with
      // nothing left, so a call here asks for the probe lease (which the prober holds) instead of calling
      const remaining = s.state === 'open' ? Math.max(0, s.remainingOpenMs - Math.max(0, Date.now() - s.writtenAt)) : 0;
      const state = s.state === 'half_open' ? 'open' : s.state;
      this.adoptingFrom = s.origin;
      try {
        if (this.registry.adopt({ module, from: 'closed', to: state, epoch: s.epoch, remainingOpenMs: remaining })) this.counters.snapshotsAdopted++;
      } finally {
        this.adoptingFrom = undefined;
      }
    }
  }

  /** Per module: state, epoch, failures, and the last transition with the instance that decided it. */
  view(): Record<string, { state: CircuitState; epoch: number; consecutiveFailures: number; lastTransition: TransitionRecord | null }> {
    const out: Record<string, { state: CircuitState; epoch: number; consecutiveFailures: number; lastTransition: TransitionRecord | null }> = {};
    for (const b of this.registry.snapshots()) out[b.module] = { state: b.state, epoch: b.epoch, consecutiveFailures: b.consecutiveFailures, lastTransition: this.last.get(b.module) ?? null };
    return out;
  }

  stats(): BreakerGossipStats & { probeLeases: ReturnType<ProbeLeases['stats']> } {
    return { ...this.counters, probeLeases: this.leases.stats() };
  }

  /** Transitions by module, target state and source (local or remote). */
  transitions(): { module: string; to: string; source: string; count: number }[] {
    return [...this.transitionsBy].map(([key, count]) => {
      const [module, to, source] = key.split('\u0000') as [string, string, string];
      return { module, to, source, count };
    });
  }

  close(): void {
    this.stopObserving?.();
    this.registry.setProbeGate(undefined);
    this.registry.onOutcome(undefined);
    this.subscription?.unsubscribe();
    this.outcomeSubscription?.unsubscribe();
  }
}
