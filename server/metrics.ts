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
  private readonly circuitChanges = new Counter({ name: 'constellation_circuit_transitions_total', help: 'Circuit breaker state changes', labelNames: ['module', 'to'], registers: [this.registry] });
  readonly inflight = new Gauge({ name: 'constellation_executions_inflight', help: 'Executions running now', registers: [this.registry] });

  onRequest(method: string, route: string, status: number, durationMs: number): void {
    this.requestsTotal++;
    this.requests.inc({ method, route, status: String(status) });
    this.requestSeconds.observe({ route }, durationMs / 1000);
  }

  onExecution(pipeline: string, status: string, durationMs: number): void {
    this.executionSeconds.observe({ pipeline, status }, durationMs / 1000);
  }

  /** Listener feeding per-module histograms from the engine. */
  listener(): ExecutionListener {
    return {
      onModuleComplete: (_e, _n, module, durationMs) => this.moduleSeconds.observe({ module, outcome: 'success' }, durationMs / 1000),
      onModuleFailed: (_e, _n, module, error: NodeErrorInfo) => this.moduleSeconds.observe({ module, outcome: error.code }, 0),
      onCircuitStateChanged: (module, _from, to) => this.circuitChanges.inc({ module, to }),
    };
  }

  uptimeSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }
}
