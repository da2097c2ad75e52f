import type { KV } from 'nats';
import { z } from 'zod';
import type { ProbeGate } from '../runtime/engine/circuit-breaker.js';
import type { BucketSpec } from './buckets.js';
import { defineEnvelope } from './envelope.js';
import { isCoordinationUnavailable, isRevisionConflict } from './errors.js';
import { errorText } from './log.js';
import { encodeName, isInstanceId } from './naming.js';
import type { ClusterNode } from './node.js';

/**
 * The cluster probe lease: when a module's open period ends, exactly one instance probes it.
 * The lease is a key `probe.<module>` in the breaker bucket holding `{origin, leaseUntil}`,
 * taken with a KV create (or a compare-and-set over an expired lease); the winner probes, and
 * releases the lease once its probe decided (closed, or open again). Losers keep rejecting until
 * they hear the outcome or the lease expires (a crashed prober blocks nobody for longer).
 *
 * The gate answers on the call path, so it never waits: the first call after the open period
 * starts taking the lease in the background and is rejected; once the lease is held, the next
 * call is the probe. Without NATS (or with its key-value store failing) the gate lets the local
 * breaker probe as it would alone: the breakers degrade to per-instance ones, never to stuck.
 */

export const BREAKER_BUCKET: BucketSpec = { purpose: 'cb', description: 'Constellation: circuit breaker snapshots and probe leases', history: 1, ttlMs: 24 * 3_600_000 };

const leaseEnvelope = defineEnvelope('probe-lease', z.object({ origin: z.string().refine(isInstanceId), leaseUntil: z.number() }), 1024);

interface LeaseState {
  /** Epoch ms until which this instance holds the lease (0: not held). */
  heldUntil: number;
  /** Epoch ms until which another instance holds it, as last read. */
  otherUntil: number;
  taking: boolean;
  /** The revision of our lease entry (to delete only what we wrote). */
  revision: number;
}

export interface ProbeLeaseStats {
  readonly won: number;
  readonly lost: number;
  /** Probes allowed locally because the coordination service could not decide. */
  readonly degraded: number;
}

export class ProbeLeases implements ProbeGate {
  private readonly leases = new Map<string, LeaseState>();
  private readonly counters = { won: 0, lost: 0, degraded: 0 };

  constructor(private readonly node: ClusterNode, private readonly leaseMs: number) {}

  static key(module: string): string {
    return `probe.${encodeName(module)}`;
  }

  mayProbe(module: string): boolean {
    if (!this.node.connection.connected) return true; // degraded: this instance decides alone
    let s = this.leases.get(module);
    if (!s) this.leases.set(module, (s = { heldUntil: 0, otherUntil: 0, taking: false, revision: 0 }));
    const now = Date.now();
    if (s.heldUntil > now) return true;
    if (s.taking || s.otherUntil > now) return false;
    s.taking = true;
    void this.take(module, s).finally(() => (s.taking = false));
    return false;
  }

  private async take(module: string, s: LeaseState): Promise<void> {
    const key = ProbeLeases.key(module);
    const leaseUntil = Date.now() + this.leaseMs;
    const value = leaseEnvelope.encode({ origin: this.node.instanceId, leaseUntil });
    const shared = this.node.connection.shared.bind(this.node.connection);
    try {
      const kv: KV = await this.node.buckets.kv(BREAKER_BUCKET);
      try {
        s.revision = await shared('take probe lease', () => kv.create(key, value));
        return this.won(s, leaseUntil);
      } catch (e) {
        if (!isRevisionConflict(e)) throw e;
      }
      const entry = await shared('read probe lease', () => kv.get(key));
      const current = entry && entry.operation === 'PUT' ? this.node.drops.accept(leaseEnvelope, entry.value) : undefined;
      if (current && current.origin !== this.node.instanceId && current.leaseUntil > Date.now()) {
        s.otherUntil = current.leaseUntil;
        this.counters.lost++;
        return;
      }
      // expired, garbage or deleted meanwhile: take it over, unless someone else just did
      try {
        s.revision = entry ? await shared('renew probe lease', () => kv.update(key, value, entry.revision)) : await shared('take probe lease', () => kv.create(key, value));
        this.won(s, leaseUntil);
      } catch (e) {
        if (!isRevisionConflict(e)) throw e;
        s.otherUntil = Date.now() + Math.min(this.leaseMs, 1_000); // lost the race: look again shortly
        this.counters.lost++;
      }
    } catch (e) {
      if (!isCoordinationUnavailable(e)) this.node.logger.warn({ err: errorText(e), module }, 'cluster: probe lease failed');
      // the shared store cannot decide: probe as a single instance would (never a breaker stuck open)
      this.counters.degraded++;
      s.heldUntil = leaseUntil;
      s.revision = 0;
    }
  }

  private won(s: LeaseState, leaseUntil: number): void {
    s.heldUntil = leaseUntil;
    this.counters.won++;
  }

  /** This instance's probe decided (its breaker left half-open): give the lease up. */
  release(module: string): void {
    const s = this.leases.get(module);
    if (!s || s.heldUntil === 0) return;
    const revision = s.revision;
    this.leases.delete(module);
    if (revision === 0 || !this.node.connection.connected) return; // it expires by itself
    void (async () => {
      const kv = await this.node.buckets.kv(BREAKER_BUCKET);
      await this.node.connection.shared('release probe lease', () => kv.delete(ProbeLeases.key(module), { previousSeq: revision }));
    })().catch(() => {}); // taken over or gone: nothing to release
  }

  /** Another instance's outcome arrived: whatever was read about the lease is stale. */
  forget(module: string): void {
    const s = this.leases.get(module);
    if (s && s.heldUntil === 0) this.leases.delete(module);
  }

  stats(): ProbeLeaseStats {
    return { ...this.counters };
  }
}
