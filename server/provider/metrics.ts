import { Gauge, type Registry } from 'prom-client';
import { FastCounter, FastHistogram } from '../fast-metrics.js';

/**
 * Provider metrics, in the server's Prometheus registry (so `/metrics` shows them):
 * - `constellation_provider_connections{state}`: connections by state, read at scrape time;
 * - `constellation_provider_registrations_total{outcome,reason}`: registrations accepted, and
 *   rejected by reason (reserved, owned_by_other, owned_by_other_group, already_exists,
 *   schema_mismatch, invalid, unauthenticated, draining);
 * - `constellation_provider_heartbeat_lag_seconds`: arrival time minus the provider's own
 *   timestamp (clock skew included; never negative);
 * - `constellation_provider_calls_total{module,outcome}` and
 *   `constellation_provider_call_duration_seconds{module}`: executor calls and their round trip;
 * - `constellation_provider_execution_duration_seconds{module}`: the provider's own measure of a
 *   call (`ExecutionMetrics.duration_ms`), beside the round trip.
 * Labels stay low-cardinality: module names and fixed words, never connection or execution ids.
 */

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30];

export class ProviderMetrics {
  private readonly registrations = new FastCounter('constellation_provider_registrations_total', 'Provider registrations by outcome and rejection reason', ['outcome', 'reason']);
  private readonly heartbeatLag = new FastHistogram('constellation_provider_heartbeat_lag_seconds', 'Heartbeat arrival time minus the provider timestamp', [], LAG_BUCKETS);
  private readonly calls = new FastCounter('constellation_provider_calls_total', 'Provider executor calls by module and outcome', ['module', 'outcome']);
  private readonly roundTrip = new FastHistogram('constellation_provider_call_duration_seconds', 'Round trip of provider executor calls', ['module'], LATENCY_BUCKETS);
  private readonly providerSide = new FastHistogram('constellation_provider_execution_duration_seconds', 'Duration of provider executor calls as the provider measured it', ['module'], LATENCY_BUCKETS);
  private readonly lag = this.heartbeatLag.child();
  private readonly callChildren = new Map<string, { inc(): void }>();
  private readonly rttChildren = new Map<string, { observe(v: number): void }>();
  private readonly sideChildren = new Map<string, { observe(v: number): void }>();
  /** Set by the port: connections by state at scrape time. */
  connectionsSource: () => Record<string, number> = () => ({});
  private readonly registered: (Gauge | FastCounter | FastHistogram)[] = [];
  private registry: Registry | undefined;

  /** Adds the provider series to a registry (the server's), once. */
  register(registry: Registry): void {
    if (this.registry) return;
    this.registry = registry;
    const connections: Gauge = new Gauge({
      name: 'constellation_provider_connections',
      help: 'Provider connections by state',
      labelNames: ['state'],
      registers: [],
      collect: (): void => {
        connections.reset();
        for (const [state, n] of Object.entries(this.connectionsSource())) connections.set({ state }, n);
      },
    });
    this.registered.push(connections, this.registrations, this.heartbeatLag, this.calls, this.roundTrip, this.providerSide);
    for (const m of this.registered) registry.registerMetric(m as never);
  }

  /** Removes the series again (the port closed; a new one may register its own). */
  unregister(): void {
    if (!this.registry) return;
    for (const m of this.registered) this.registry.removeSingleMetric((m as { name: string }).name);
    this.registered.length = 0;
    this.registry = undefined;
  }

  onRegistration(outcome: 'accepted' | 'rejected', reason = ''): void {
    this.registrations.child(outcome, reason).inc();
  }

  onHeartbeat(providerTimestamp: number | undefined): void {
    if (providerTimestamp === undefined || providerTimestamp <= 0) return;
    this.lag.observe(Math.max(0, Date.now() - providerTimestamp) / 1000);
  }

  onCall(module: string, outcome: string, roundTripMs: number | undefined, providerMs: number | undefined): void {
    const key = module + '\u0000' + outcome;
    let counter = this.callChildren.get(key);
    if (!counter) this.callChildren.set(key, (counter = this.calls.child(module, outcome)));
    counter.inc();
    if (roundTripMs !== undefined) {
      let h = this.rttChildren.get(module);
      if (!h) this.rttChildren.set(module, (h = this.roundTrip.child(module)));
      h.observe(roundTripMs / 1000);
    }
    if (providerMs !== undefined) {
      let h = this.sideChildren.get(module);
      if (!h) this.sideChildren.set(module, (h = this.providerSide.child(module)));
      h.observe(providerMs / 1000);
    }
  }
}
