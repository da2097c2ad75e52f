import type { Backends } from '../runtime/backends.js';
import { LocalBreakerRegistry } from '../runtime/engine/circuit-breaker.js';
import { MemoryCache } from '../runtime/engine/result-cache.js';
import { MemoryCanaryStore } from '../runtime/stores/canary-store.js';
import { MemoryExecutionStorage } from '../runtime/stores/execution-history.js';
import type { Config } from './config.js';
import { FilePipelineStore } from './stores/file-pipeline-store.js';
import { FileSuspensionStore, type SuspensionStoreEvents } from './stores/file-suspension-store.js';
import { FileVersionStore } from './stores/file-version-store.js';
import type { Warn } from './stores/quarantine.js';

/**
 * The embedded backends of a single instance, for whatever the caller did not supply: file
 * stores under the data directory (images, aliases, versions, suspended executions), canary
 * state and execution history in memory (as the reference keeps them), the in-memory result
 * cache, and circuit breakers with the configured thresholds.
 * `events` reports what the file suspension store expires (logs and metrics).
 */
export async function withEmbeddedDefaults(
  given: Partial<Backends>,
  config: Pick<Config, 'suspensions' | 'imageMemoryMaxBytes' | 'dashboard' | 'breaker'>,
  dataDir: string,
  warn: Warn,
  events: SuspensionStoreEvents = {},
): Promise<Backends> {
  const s = config.suspensions;
  // its index loads while the rest of the server starts (nothing needs it before the first request)
  const suspensionStore =
    given.suspensionStore ??
    new FileSuspensionStore(dataDir, {
      leaseMs: s.leaseMs,
      failedTtlMs: s.failedTtlMs,
      retentionMs: s.retentionMs,
      limits: { maxEntries: s.maxEntries, maxBytes: s.maxBytes },
      warn,
      events,
    }).warmUp();
  return {
    metrics: given.metrics,
    tracer: given.tracer,
    listener: given.listener,
    cache: given.cache ?? new MemoryCache(),
    circuitBreakers: given.circuitBreakers ?? new LocalBreakerRegistry(config.breaker),
    pipelineStore: given.pipelineStore ?? (await FilePipelineStore.open(dataDir, { warn, memoryBytes: config.imageMemoryMaxBytes })),
    versionStore: given.versionStore ?? (await FileVersionStore.open(dataDir, warn)),
    canaryStore: given.canaryStore ?? new MemoryCanaryStore(),
    suspensionStore,
    executionHistory: given.executionHistory ?? new MemoryExecutionStorage(config.dashboard.maxExecutions),
  };
}

/** What the embedded stores could not read at start-up (moved aside), so the server rebuilds or protects what depends on it. */
export function startupDamage(backends: Backends): { readonly aliasesLost: boolean; readonly historiesLost: boolean } {
  return {
    aliasesLost: backends.pipelineStore instanceof FilePipelineStore && backends.pipelineStore.aliasesLost,
    historiesLost: backends.versionStore instanceof FileVersionStore && backends.versionStore.historiesLost,
  };
}
