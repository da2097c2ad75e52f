import { Gauge, Registry } from 'prom-client';
import type { ExecutionListener, NodeErrorInfo } from '../runtime/engine/spi.js';
import { FastCounter, FastHistogram } from './fast-metrics.js';

/**
 * Server metrics: request counts and latencies per route, execution latencies per pipeline,
 * module latencies per module, plus the JSON document of `/metrics`. Prometheus text via
 * prom-client's registry. Labels stay low-cardinality: route patterns (not paths), pipeline
 * aliases or `ephemeral`/`by-hash` (never hashes or execution ids), module names.
 */

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Label combinations whose handles are cached; past it each call resolves its series again (still bounded by the names clients use). */
const MAX_CACHED_SERIES = 10_000;

interface RequestSeries {
  readonly method: string;
  readonly count: { inc(): void };
  readonly latency: { observe(v: number): void };
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly startedAt = Date.now();
  requestsTotal = 0;
  private readonly requests = new FastCounter('constellation_http_requests_total', 'HTTP requests by route and status', ['method', 'route', 'status']);
  private readonly requestSeconds = new FastHistogram('constellation_http_request_duration_seconds', 'HTTP request latency by route', ['route'], LATENCY_BUCKETS);
  private readonly executionSeconds = new FastHistogram('constellation_execution_duration_seconds', 'Execution latency by pipeline and status', ['pipeline', 'status'], LATENCY_BUCKETS);
  private readonly moduleSeconds = new FastHistogram('constellation_module_duration_seconds', 'Module call latency by module', ['module'], LATENCY_BUCKETS);
  private readonly moduleFailures = new FastCounter('constellation_module_failures_total', 'Module call failures by module and error code', ['module', 'code']);
  private readonly circuitChanges = new FastCounter('constellation_circuit_transitions_total', 'Circuit breaker state changes', ['module', 'to']);
  private readonly frontStalls = new FastCounter('constellation_front_module_stalls_total', "Calls of 'front' modules that held the event loop (50 ms or more without yielding)", ['module']);
  private readonly imagesEvicted = new FastCounter('constellation_anonymous_images_evicted_total', 'Anonymous pipeline images evicted, by the bound that took them', ['reason']);
  private readonly suspensionsNotStored = new FastCounter('constellation_suspension_store_refusals_total', 'Unfinished runs whose snapshot was not stored, by reason', ['reason']);
  private readonly suspensionsExpired = new FastCounter('constellation_suspensions_expired_total', 'Stored executions removed by expiry, by rule', ['rule']);
  /** Totals of the three counters above, for the JSON document. */
  readonly storeEvents = { imagesEvicted: 0, suspensionsNotStored: 0, suspensionsExpired: 0 };
  /** Set by the server: reads the engine's in-flight count at scrape time. */
  inflightSource: () => number = () => 0;
  private readonly inflight: Gauge = new Gauge({
    name: 'constellation_executions_inflight',
    help: 'Executions running now',
    registers: [this.registry],
    collect: (): void => this.inflight.set(this.inflightSource()),
  });

  // Series handles by label values, looked up level by level: the route and pipeline names are
  // the same string objects on every call (their hash is cached), and statuses are numbers, so
  // a lookup hashes no new string (a `${method} ${route} ${status}` key cost ~5 % of /execute).
  private readonly requestChildren = new Map<string, Map<number, RequestSeries[]>>();
  private readonly executionChildren = new Map<string, Map<string, { observe(v: number): void }>>();
  private cachedSeries = 0;
  private readonly moduleChildren = new Map<string, { observe(v: number): void }>();

  constructor() {
    for (const m of [
      this.requests, this.requestSeconds, this.executionSeconds, this.moduleSeconds, this.moduleFailures, this.circuitChanges,
      this.frontStalls, this.imagesEvicted, this.suspensionsNotStored, this.suspensionsExpired,
    ]) {
      this.registry.registerMetric(m as never);
    }
  }

  onRequest(method: string, route: string, status: number, durationMs: number): void {
    this.requestsTotal++;
    let byStatus = this.requestChildren.get(route);
    let methods = byStatus?.get(status);
    let child: RequestSeries | undefined;
    if (methods) for (let i = 0; i < methods.length; i++) if (methods[i]!.method === method) child = methods[i];
    if (!child) {
      child = { method, count: this.requests.child(method, route, String(status)), latency: this.requestSeconds.child(route) };
      if (this.cachedSeries < MAX_CACHED_SERIES) {
        this.cachedSeries++;
        if (!byStatus) this.requestChildren.set(route, (byStatus = new Map()));
        if (!methods) byStatus.set(status, (methods = []));
        methods.push(child);
      }
    }
    child.count.inc();
    child.latency.observe(durationMs / 1000);
  }

  onExecution(pipeline: string, status: string, durationMs: number): void {
    let byStatus = this.executionChildren.get(pipeline);
    let child = byStatus?.get(status);
    if (!child) {
      child = this.executionSeconds.child(pipeline, status);
      if (this.cachedSeries < MAX_CACHED_SERIES) {
        this.cachedSeries++;
        if (!byStatus) this.executionChildren.set(pipeline, (byStatus = new Map()));
        byStatus.set(status, child);
      }
    }
    child.observe(durationMs / 1000);
  }

  onImagesEvicted(reasons: Readonly<Record<string, number>>): void {
    for (const [reason, n] of Object.entries(reasons)) {
      if (n === 0) continue;
      this.imagesEvicted.child(reason).inc(n);
      this.storeEvents.imagesEvicted += n;
    }
  }

  onSuspensionNotStored(reason: string): void {
    this.suspensionsNotStored.child(reason).inc();
    this.storeEvents.suspensionsNotStored++;
  }

  onSuspensionsExpired(count: number, rule: string): void {
    this.suspensionsExpired.child(rule).inc(count);
    this.storeEvents.suspensionsExpired += count;
  }

  /** Listener feeding per-module histograms from the engine. */
  listener(): ExecutionListener {
    return {
      onModuleComplete: (_e, _n, module, durationMs) => {
        let child = this.moduleChildren.get(module);
        if (!child) {
          child = this.moduleSeconds.child(module);
          this.moduleChildren.set(module, child);
        }
        child.observe(durationMs / 1000);
      },
      onModuleFailed: (_e, _n, module, error: NodeErrorInfo) => this.moduleFailures.child(module, error.code).inc(),
      onCircuitStateChanged: (module, _from, to) => this.circuitChanges.child(module, to).inc(),
      onFrontModuleStall: (module) => this.frontStalls.child(module).inc(),
    };
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }
}
