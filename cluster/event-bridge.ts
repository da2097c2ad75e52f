import type { Subscription } from 'nats';
import { z } from 'zod';
import type { EventSubscription, ExecutionEvent, ExecutionEventHub } from '../runtime/events/execution-events.js';
import { defineEnvelope } from './envelope.js';
import { errorText } from './log.js';
import { isInstanceId } from './naming.js';
import type { ClusterNode } from './node.js';
import { safeCallback } from './safe-callback.js';

/**
 * Live execution events across instances: a WebSocket client on any instance sees the events
 * of executions running anywhere. Interest-gated, so executions nobody watches cost nothing:
 *
 * - Each instance announces which executions its subscribers watch (an id, or `*` for all) on
 *   `cst.<c>.exec.interest` when that changes, again every `interestRefreshMs` (an announcement
 *   lives three periods), and when asked (a joining instance asks everyone once).
 * - An owner subscribes on behalf of remote watchers — which makes the engine produce those
 *   events at all — and publishes them on `cst.<c>.exec.<id>.events`, each with its `origin`
 *   (the instance that ran it). It subscribes to a hub of its own (`outgoing`, fed by the engine
 *   like the local one): subscribing to the local hub would count as local interest, which this
 *   instance would announce, which the others would mirror back — watchers that never leave.
 * - The watcher's instance subscribes to those subjects (to `cst.<c>.exec.*.events` while
 *   someone watches all) and hands the events to its hub, which delivers them to its sockets.
 *   NATS keeps one publisher's messages in order, so a client sees them in the order they
 *   happened, ending with `execution:complete` or `execution:cancelled`.
 *
 * Events the bridge puts into the hub carry the bridge's origin, so they never go back out.
 */

const BRIDGE = 'cluster';

const base = { executionId: z.string().min(1).max(200), timestamp: z.number(), origin: z.string().refine(isInstanceId) };
const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('execution:start'), dagName: z.string().max(512), ...base }),
  z.object({ type: z.literal('module:start'), moduleId: z.string().max(64), moduleName: z.string().max(512), ...base }),
  z.object({ type: z.literal('module:complete'), moduleId: z.string().max(64), moduleName: z.string().max(512), durationMs: z.number(), ...base }),
  z.object({ type: z.literal('module:failed'), moduleId: z.string().max(64), moduleName: z.string().max(512), error: z.string().max(64 * 1024), ...base }),
  z.object({ type: z.literal('execution:complete'), dagName: z.string().max(512), succeeded: z.boolean(), durationMs: z.number(), ...base }),
  z.object({ type: z.literal('execution:cancelled'), dagName: z.string().max(512), ...base }),
]);

const eventEnvelope = defineEnvelope('execution-event', z.object({ event: eventSchema }), 96 * 1024);

const interestEnvelope = defineEnvelope(
  'events-interest',
  z.object({
    origin: z.string().refine(isInstanceId),
    op: z.enum(['watch', 'unwatch', 'query']),
    /** Execution ids, or `*` for every execution. */
    keys: z.array(z.string().min(1).max(200)).max(10_000),
  }),
  1024 * 1024,
);

const ALL = '*';
/** Watched keys remembered for other instances at most (a flood of announcements cannot grow memory). */
const MAX_REMOTE_KEYS = 10_000;

export interface EventBridgeStats {
  /** Executions (or `*`) this instance's subscribers watch. */
  readonly localInterests: number;
  /** Executions (or `*`) other instances watch, as this instance knows. */
  readonly remoteInterests: number;
  readonly eventsPublished: number;
  readonly eventsReceived: number;
}

export class ExecutionEventBridge {
  /** What local subscribers watch. */
  private readonly local = new Set<string>();
  /** NATS subscriptions to other instances' events, by key. */
  private readonly incoming = new Map<string, Subscription>();
  /** Remote watchers: key → origin → expiry (epoch ms). */
  private readonly remote = new Map<string, Map<string, number>>();
  /** Our hub subscriptions on behalf of remote watchers, by key. */
  private readonly sinks = new Map<string, EventSubscription>();
  private interestSub: Subscription | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private stopInterest: (() => void) | undefined;
  private readonly counters = { eventsPublished: 0, eventsReceived: 0 };

  /**
   * `hub`: the hub of this instance's WebSocket subscribers (their interest is announced; events
   * of other instances are handed to it). `outgoing`: a second hub fed by the same engine, which
   * only this bridge subscribes to, for the remote watchers.
   */
  constructor(private readonly node: ClusterNode, private readonly hub: ExecutionEventHub, private readonly outgoing: ExecutionEventHub) {}

  start(): void {
    this.stopInterest = this.hub.onInterest((executionId, watched) => this.localChange(executionId ?? ALL, watched));
    this.refresh = setInterval(() => {
      this.announce('watch', [...this.local]);
      this.expire();
    }, this.node.config.timers.interestRefreshMs);
    this.refresh.unref();
    this.node.membership.onPeerChange((id, change) => {
      if (change === 'left' || change === 'dead') this.dropOrigin(id);
    });
  }

  /** After each (re)connection: subscribe, announce what we watch, ask the others what they watch. */
  async synchronise(): Promise<void> {
    const nc = this.node.connection.require('execution events');
    if (!this.interestSub || this.interestSub.isClosed()) {
      this.interestSub = nc.subscribe(this.node.names.executionInterest, { callback: safeCallback(this.node.logger, 'event interest', (msg) => this.onInterest(msg.data)) });
    }
    this.subscribeIncoming();
    this.announce('watch', [...this.local]);
    this.announce('query', []);
  }

  // ------------------------------------------------------------------ our watchers

  private localChange(key: string, watched: boolean): void {
    if (key !== ALL && key.length > 200) return;
    if (watched) this.local.add(key);
    else this.local.delete(key);
    this.subscribeIncoming();
    this.announce(watched ? 'watch' : 'unwatch', [key]);
  }

  /** One NATS subscription per watched execution, or just the wildcard while someone watches all (no duplicates). */
  private subscribeIncoming(): void {
    const nc = this.node.connection.raw;
    if (!nc || nc.isClosed()) return;
    const wanted = this.local.has(ALL) ? new Set([ALL]) : new Set(this.local);
    for (const [key, sub] of this.incoming) {
      if (!wanted.has(key)) {
        sub.unsubscribe();
        this.incoming.delete(key);
      }
    }
    for (const key of wanted) {
      if (this.incoming.has(key)) continue;
      try {
        this.incoming.set(key, nc.subscribe(this.node.names.executionEvents(key), { callback: safeCallback(this.node.logger, 'execution event', (msg) => this.onEvent(msg.data)) }));
      } catch (e) {
        this.node.logger.debug({ err: errorText(e) }, 'cluster: event subscription not made (made after the reconnect)');
      }
    }
  }

  private onEvent(data: Uint8Array): void {
    const m = this.node.drops.accept(eventEnvelope, data);
    if (!m || m.event.origin === this.node.instanceId) return;
    this.counters.eventsReceived++;
    this.hub.publish(m.event as ExecutionEvent, BRIDGE);
  }

  private announce(op: 'watch' | 'unwatch' | 'query', keys: string[]): void {
    if (op !== 'query' && keys.length === 0) return;
    const nc = this.node.connection.raw;
    if (!nc || !this.node.connection.connected) return; // announced again after the reconnect
    try {
      nc.publish(this.node.names.executionInterest, interestEnvelope.encode({ origin: this.node.instanceId, op, keys }));
    } catch (e) {
      this.node.logger.debug({ err: errorText(e) }, 'cluster: event interest not announced');
    }
  }

  // ------------------------------------------------------------------ others' watchers

  private onInterest(data: Uint8Array): void {
    const m = this.node.drops.accept(interestEnvelope, data);
    if (!m || m.origin === this.node.instanceId) return;
    if (m.op === 'query') {
      this.announce('watch', [...this.local]);
      return;
    }
    const until = Date.now() + 3 * this.node.config.timers.interestRefreshMs;
    for (const key of m.keys) {
      let origins = this.remote.get(key);
      if (m.op === 'watch') {
        if (!origins && this.remote.size >= MAX_REMOTE_KEYS) continue;
        if (!origins) this.remote.set(key, (origins = new Map()));
        origins.set(m.origin, until);
      } else if (origins) {
        origins.delete(m.origin);
        if (origins.size === 0) this.remote.delete(key);
      }
      this.updateSink(key);
    }
  }

  private dropOrigin(origin: string): void {
    for (const [key, origins] of this.remote) {
      if (!origins.delete(origin)) continue;
      if (origins.size === 0) this.remote.delete(key);
      this.updateSink(key);
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const [key, origins] of this.remote) {
      for (const [origin, until] of origins) if (until <= now) origins.delete(origin);
      if (origins.size === 0) {
        this.remote.delete(key);
        this.updateSink(key);
      }
    }
  }

  /** Subscribes to our hub for a key while some other instance watches it, so our executions publish it. */
  private updateSink(key: string): void {
    const wanted = this.remote.has(key);
    const sink = this.sinks.get(key);
    if (wanted && !sink) this.sinks.set(key, this.outgoing.subscribe(key === ALL ? undefined : key, (event) => this.forward(key, event)));
    else if (!wanted && sink) {
      sink.close();
      this.sinks.delete(key);
    }
  }

  private forward(key: string, event: ExecutionEvent): void {
    // while everything is forwarded, the per-execution sinks stay quiet (one message per event)
    if (key !== ALL && this.sinks.has(ALL)) return;
    const nc = this.node.connection.raw;
    if (!nc || !this.node.connection.connected) return;
    try {
      nc.publish(this.node.names.executionEvents(event.executionId), eventEnvelope.encode({ event: { ...event, origin: this.node.instanceId } }));
      this.counters.eventsPublished++;
    } catch (e) {
      this.node.logger.debug({ err: errorText(e) }, 'cluster: execution event not published');
    }
  }

  stats(): EventBridgeStats {
    return { localInterests: this.local.size, remoteInterests: this.remote.size, ...this.counters };
  }

  close(): void {
    clearInterval(this.refresh);
    this.stopInterest?.();
    this.announce('unwatch', [...this.local]);
    for (const sub of this.incoming.values()) sub.unsubscribe();
    this.incoming.clear();
    for (const sink of this.sinks.values()) sink.close();
    this.sinks.clear();
    this.interestSub?.unsubscribe();
  }
}
