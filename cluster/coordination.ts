import type { LocalBreakerRegistry } from '../runtime/engine/circuit-breaker.js';
import type { LocalExecutionControl } from '../runtime/engine/execution-control.js';
import type { ModuleLimits } from '../runtime/engine/limits.js';
import type { CacheRegistry } from '../runtime/engine/result-cache.js';
import type { ExecutionEventHub } from '../runtime/events/execution-events.js';
import { AggregateBreakerTripping } from './breaker-aggregate.js';
import { BreakerGossip } from './breakers.js';
import { CacheInvalidationBus } from './cache-invalidation.js';
import { ExecutionEventBridge } from './event-bridge.js';
import { ClusterExecutionControl } from './execution-routing.js';
import { KvResultCache } from './kv-result-cache.js';
import type { ClusterNode } from './node.js';
import { ThrottleSplit } from './throttle-split.js';

/**
 * The coordination an instance takes part in beyond shared state: execution-ID routing,
 * distributed circuit breakers, cache invalidation (and the optional shared result cache), live
 * events across instances, and the optional throttle split and aggregate breaker tripping.
 * Built over the runtime's own parts (the server hands them over; nothing here knows HTTP), each
 * agent re-subscribing and resynchronising on every (re)connection of the node.
 */

export interface InstanceParts {
  readonly breakers: LocalBreakerRegistry;
  readonly caches: CacheRegistry;
  readonly limits: ModuleLimits;
  /** The hub of this instance's event subscribers. */
  readonly events: ExecutionEventHub;
  /** A second hub fed by the engine, for the events other instances watch (see event-bridge.ts). */
  readonly outgoingEvents: ExecutionEventHub;
  readonly executions: LocalExecutionControl;
}

export const SHARED_CACHE_BACKEND = 'nats';

export class ClusterCoordination {
  readonly routing: ClusterExecutionControl;
  readonly breakers: BreakerGossip;
  readonly aggregate: AggregateBreakerTripping | undefined;
  readonly invalidation: CacheInvalidationBus;
  readonly sharedCache: KvResultCache;
  readonly events: ExecutionEventBridge;
  readonly throttle: ThrottleSplit | undefined;

  constructor(private readonly node: ClusterNode, parts: InstanceParts) {
    const { timers, coordination } = node.config;
    this.routing = new ClusterExecutionControl(node, parts.executions);
    this.breakers = new BreakerGossip(node, parts.breakers);
    this.aggregate = coordination.breakerAggregate.enabled
      ? new AggregateBreakerTripping(node, parts.breakers, {
          ratio: coordination.breakerAggregate.ratio,
          minCalls: coordination.breakerAggregate.minCalls,
          intervalMs: timers.breakerDeltaIntervalMs,
          windowMs: timers.breakerAggregateWindowMs,
        })
      : undefined;
    // results held in memory live at most the L1 bound: an invalidation missed is outlived by nothing longer
    parts.caches.capMemoryTtl(timers.cacheL1TtlMs);
    this.invalidation = new CacheInvalidationBus(node, parts.caches);
    this.sharedCache = new KvResultCache(node);
    parts.caches.register(SHARED_CACHE_BACKEND, this.sharedCache);
    if (coordination.cacheBackend === 'nats') parts.caches.setDefault(this.sharedCache);
    this.events = new ExecutionEventBridge(node, parts.events, parts.outgoingEvents);
    this.throttle = coordination.throttleSplit ? new ThrottleSplit(node, parts.limits) : undefined;

    node.addSynchroniser('execution routing', () => this.routing.synchronise());
    node.addSynchroniser('circuit breakers', (reason) => this.breakers.synchronise(reason));
    if (this.aggregate) node.addSynchroniser('aggregate breakers', () => this.aggregate!.synchronise());
    node.addSynchroniser('cache invalidation', (reason) => this.invalidation.synchronise(reason));
    node.addSynchroniser('shared result cache', () => this.sharedCache.synchronise());
    node.addSynchroniser('execution events', () => this.events.synchronise());
  }

  /** Starts the agents that need no connection (probe gate, observers, timers). */
  start(): void {
    this.breakers.start();
    this.aggregate?.start();
    this.events.start();
    this.throttle?.start();
  }

  view(): Record<string, unknown> {
    return {
      routing: this.routing.stats(),
      breakers: { ...this.breakers.stats(), modules: this.breakers.view(), aggregateTripping: this.aggregate ? { enabled: true, tripped: this.aggregate.tripped } : { enabled: false } },
      cacheInvalidation: this.invalidation.stats(),
      sharedCache: this.sharedCache.stats(),
      events: this.events.stats(),
      throttleSplit: this.throttle ? { enabled: true, members: this.throttle.members } : { enabled: false },
    };
  }

  /** The view without the per-module breaker table (/metrics stays small; /health/detail has it). */
  metrics(): Record<string, unknown> {
    const view = this.view();
    const { modules: _modules, ...breakers } = view['breakers'] as Record<string, unknown>;
    return { ...view, breakers };
  }

  prometheus(): string {
    const lines: string[] = [];
    const series = (name: string, type: 'gauge' | 'counter', help: string, values: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
    };
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const stateValue = { closed: 0, half_open: 1, open: 2 } as const;
    const modules = this.breakers.view();
    series('constellation_cluster_breaker_state', 'gauge', 'Circuit breaker state by module (0 closed, 1 half-open, 2 open)', Object.entries(modules).map(([m, b]) => [`{module="${esc(m)}"}`, stateValue[b.state]]));
    series('constellation_cluster_breaker_epoch', 'gauge', 'Transitions of the module known cluster-wide', Object.entries(modules).map(([m, b]) => [`{module="${esc(m)}"}`, b.epoch]));
    series(
      'constellation_cluster_breaker_transitions_total',
      'counter',
      'Breaker transitions by module, target state and source (local: decided here; remote: adopted from another instance)',
      this.breakers.transitions().map((t) => [`{module="${esc(t.module)}",to="${t.to}",source="${t.source}"}`, t.count]),
    );
    const leases = this.breakers.stats().probeLeases;
    series('constellation_cluster_probe_leases_total', 'counter', 'Probe lease attempts by result', [['{result="won"}', leases.won], ['{result="lost"}', leases.lost], ['{result="degraded"}', leases.degraded]]);
    const r = this.routing.stats();
    series('constellation_cluster_control_requests_total', 'counter', 'Broadcast control requests (status, cancel) sent and answered', [['{direction="sent"}', r.controlRequestsSent], ['{direction="answered"}', r.controlRequestsAnswered]]);
    series('constellation_cluster_step_calls_total', 'counter', 'Step-through calls forwarded to owners and served for others', [['{direction="forwarded"}', r.stepCallsForwarded], ['{direction="served"}', r.stepCallsServed]]);
    series('constellation_cluster_sessions_lost_total', 'counter', 'Step-through calls whose owner was gone (410)', [['', r.sessionsLost]]);
    const inv = this.invalidation.stats();
    series('constellation_cluster_cache_invalidations_total', 'counter', 'Cache invalidations announced, received, and not announced (NATS away)', [
      ['{kind="announced"}', inv.announced],
      ['{kind="received"}', inv.received],
      ['{kind="not_announced"}', inv.notAnnounced],
    ]);
    const ev = this.events.stats();
    series('constellation_cluster_event_interests', 'gauge', 'Executions (or all) watched by subscribers here (local) and elsewhere (remote)', [['{where="local"}', ev.localInterests], ['{where="remote"}', ev.remoteInterests]]);
    series('constellation_cluster_events_total', 'counter', 'Live execution events sent to and received from other instances', [['{direction="published"}', ev.eventsPublished], ['{direction="received"}', ev.eventsReceived]]);
    return lines.join('\n') + '\n';
  }

  close(): void {
    this.events.close();
    this.aggregate?.close();
    this.breakers.close();
    this.invalidation.close();
    this.routing.close();
  }
}
