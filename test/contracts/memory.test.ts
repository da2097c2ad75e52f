import { LocalBreakerRegistry } from '../../runtime/engine/circuit-breaker.js';
import { MemoryCache } from '../../runtime/engine/result-cache.js';
import { MemoryCanaryStore } from '../../runtime/stores/canary-store.js';
import { MemoryExecutionStorage } from '../../runtime/stores/execution-history.js';
import { MemoryPipelineStore } from '../../runtime/stores/pipeline-store.js';
import { MemorySuspensionStore } from '../../runtime/stores/suspension-store.js';
import { MemoryVersionStore } from '../../runtime/stores/version-store.js';
import {
  breakerRegistryContract, cacheBackendContract, canaryStoreContract, executionHistoryContract, pipelineStoreContract, suspensionStoreContract, versionStoreContract,
} from './index.js';

/** The in-memory implementations against the contract suites. */

const memory = <T>(store: T) => async () => ({ store, cleanup: async () => {} });

pipelineStoreContract('memory', () => memory(new MemoryPipelineStore())());
versionStoreContract('memory', () => memory(new MemoryVersionStore())());
canaryStoreContract('memory', () => memory(new MemoryCanaryStore())());
suspensionStoreContract('memory', async (options) => ({ store: new MemorySuspensionStore(options), cleanup: async () => {} }));
cacheBackendContract('memory', () => memory(new MemoryCache())());
breakerRegistryContract('local', (config) => new LocalBreakerRegistry({ ...config, halfOpenMaxProbes: 1 }));
executionHistoryContract('memory', (bounds) => memory(new MemoryExecutionStorage(bounds?.capacity, bounds?.maxValueBytes))());
