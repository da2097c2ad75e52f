import type { ExecutionListener, MetricsProvider } from './spi.js';

/**
 * Feeds a MetricsProvider (StatsD, OpenTelemetry metrics, …) from the engine's events: one
 * listener among the others (compositeListener), so an engine without a provider pays nothing.
 * Tags stay low-cardinality: module names and outcomes, never execution ids.
 */
export function metricsListener(metrics: MetricsProvider): ExecutionListener {
  return {
    onExecutionComplete: (_id, _dag, succeeded, durationMs) => {
      metrics.histogram('constellation.execution.duration_ms', durationMs, { outcome: succeeded ? 'completed' : 'not_completed' });
    },
    onExecutionCancelled: () => metrics.counter('constellation.execution.cancelled'),
    onModuleComplete: (_id, _node, module, durationMs, info) => {
      metrics.histogram('constellation.module.duration_ms', durationMs, { module });
      if (info.cacheHit) metrics.counter('constellation.module.cache_hits', { module });
    },
    onModuleFailed: (_id, _node, module, error) => metrics.counter('constellation.module.failures', { module, code: error.code }),
    onCircuitStateChanged: (module, _from, to) => metrics.counter('constellation.circuit.transitions', { module, to }),
  };
}
