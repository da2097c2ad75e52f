import type { Backends } from '../runtime/backends.js';
import { MemoryCache } from '../runtime/engine/result-cache.js';
import { MemoryCanaryStore } from '../runtime/stores/canary-store.js';
import { MemoryExecutionStorage } from '../runtime/stores/execution-history.js';
import type { Config } from './config.js';
import { FilePipelineStore } from './stores/file-pipeline-store.js';
import { FileSuspensionStore } from './stores/file-suspension-store.js';
import { FileVersionStore } from './stores/file-version-store.js';

/**
 * The embedded backends of a single instance, for whatever the caller did not supply: file
 * stores under the data directory (images, aliases, versions, suspended executions), canary
 * state and execution history in memory (as the reference keeps them), the in-memory result
 * cache, and the engine's own circuit breakers (`undefined`: the engine creates them).
 */
export async function withEmbeddedDefaults(given: Partial<Backends>, config: Pick<Config, 'suspensions' | 'dashboard'>, dataDir: string, warn: (message: string) => void): Promise<Backends> {
  const s = config.suspensions;
  return {
    metrics: given.metrics,
    tracer: given.tracer,
    listener: given.listener,
    cache: given.cache ?? new MemoryCache(),
    circuitBreakers: given.circuitBreakers,
    pipelineStore: given.pipelineStore ?? (await FilePipelineStore.open(dataDir, warn)),
    versionStore: given.versionStore ?? (await FileVersionStore.open(dataDir, warn)),
    canaryStore: given.canaryStore ?? new MemoryCanaryStore(),
    suspensionStore: given.suspensionStore ?? new FileSuspensionStore(dataDir, { leaseMs: s.leaseMs, failedTtlMs: s.failedTtlMs, limits: { maxEntries: s.maxEntries, maxBytes: s.maxBytes } }),
    executionHistory: given.executionHistory ?? new MemoryExecutionStorage(config.dashboard.maxExecutions),
  };
}
