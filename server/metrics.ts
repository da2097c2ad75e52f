import { Counter, Histogram, Gauge, Registry } from 'prom-client';
import type { ExecutionListener, NodeErrorInfo } from '../runtime/engine/spi.js';

/**
 * Server metrics: request counts and latencies per route, execution latencies per pipeline,
 * module latencies per module, plus the JSON document of http-api.md §11.1. Prometheus text via
 * prom-client. Labels stay low-cardinality: route patterns (not paths), pipeline aliases or
 * `ephemeral`/`by-hash` (never hashes or execution ids), module names.
 */

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly startedAt = Date.now();
  requestsTotal = 0;
  private readonly requests = new Counter({ name: 'constellation_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  private readonly requestSeconds = new Histogram({ name: 'constellation_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly executionSeconds = new Histogram({ name: 'constellation_execution_duration_seconds', help: 'Execution latency by pipeline and status', labelNames: ['pipeline', 'status'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly moduleSeconds = new Histogram({ name: 'constellation_module_duration_seconds', help: 'Module call latency by module and outcome', labelNames: ['module', 'outcome'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly moduleFailures = new Counter({ name: 'constellation_module_failures_total', help: 'Module call failures by module and error code', labelNames: ['module', 'code'], registers: [this.registry] });
  private readonly circuitChanges = new Counter({ name: 'constellation_circuit_transitions_total', help: 'Circuit breaker state changes', labelNames: ['module', 'to'], registers: [this.registry] });
  readonly inflight = new Gauge({ name: 'constellation_executions_inflight', help: 'Executions running now', registers: [this.registry] });

  // labelled children cached by label values: prom-client hashes the label object on every
  // unlabelled-child call, which showed up at ~2 % of the request path
  private readonly requestChildren = new Map<string, { count: { inc(): void }; latency: { observe(v: number): void } }>();
  private readonly executionChildren = new Map<string, { observe(v: number): void }>();

  onRequest(method: string, route: string, status: number, durationMs: number): void {
    this.requestsTotal++;
    const key = `${method} ${route} ${status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = { count: this.requests.labels(method, route, String(status)), latency: this.requestSeconds.labels(route) };
      this.requestChildren.set(key, child);
    }
    child.count.inc();
    child.latency.observe(durationMs / 1000);
  }

  onExecution(pipeline: string, status: string, durationMs: number): void {
    const key = `${pipeline} ${status}`;
    let child = this.executionChildren.get(key);
    if (!child) {
      child = this.executionSeconds.labels(pipeline, status);
      // bounded: pipeline names are aliases, but a client could invent many; stop caching past 10k
      if (this.executionChildren.size < 10_000) this.executionChildren.set(key, child);
    }
    child.observe(durationMs / 1000);
  }

  /** Listener feeding per-module histograms from the engine. */
  listener(): ExecutionListener {
    return {
      onModuleComplete: (_e, _n, module, durationMs) => this.moduleSeconds.observe({ module, outcome: 'success' }, durationMs / 1000),
      onModuleFailed: (_e, _n, module, error: NodeErrorInfo) => this.moduleFailures.inc({ module, code: error.code }),
      onCircuitStateChanged: (module, _from, to) => this.circuitChanges.inc({ module, to }),
    };
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }
}
