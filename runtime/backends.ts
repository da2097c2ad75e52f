import type { CacheBackend, CircuitBreakerRegistry, ExecutionListener, ExecutionStorage, MetricsProvider, TracerProvider } from './engine/spi.js';
import type { SuspensionStore } from './stores/suspension-store.js';
import type { CanaryStore } from './stores/canary-store.js';
import type { PipelineStore } from './stores/pipeline-store.js';
import type { VersionStore } from './stores/version-store.js';

/**
 * Every pluggable backend of a server in one bundle: the engine's observability and resilience
 * backends (metrics, tracer, listener, result cache, circuit breakers) and the stores (pipeline,
 * version, canary state, suspended executions, execution history). `createServer` takes a
 * partial bundle and fills the rest with the embedded defaults (file stores under the data
 * directory, in-memory everything else); the cluster passes its NATS adapters here, so plugging
 * one in never means editing the server's assembly.
 */
export interface Backends {
  readonly metrics: MetricsProvider | undefined;
  readonly tracer: TracerProvider | undefined;
  /** Extra execution listener(s); the server's own metrics listener always runs too. */
  readonly listener: ExecutionListener | undefined;
  readonly cache: CacheBackend;
  readonly circuitBreakers: CircuitBreakerRegistry | undefined;
  readonly pipelineStore: PipelineStore;
  readonly versionStore: VersionStore;
  readonly canaryStore: CanaryStore;
  readonly suspensionStore: SuspensionStore;
  readonly executionHistory: ExecutionStorage;
}
