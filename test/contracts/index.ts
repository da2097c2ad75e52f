/**
 * Contract suites of the runtime's interfaces. Each is a function taking a factory of the
 * implementation under test; the in-memory and file implementations run them in
 * memory.test.ts and file.test.ts (the local execution control in execution-control.test.ts),
 * the cluster's NATS implementations import them from here.
 * None of them touches files or the network itself.
 */
export { breakerRegistryContract, type BreakerConfigUnderTest } from './breaker-registry.contract.js';
export { cacheBackendContract } from './cache-backend.contract.js';
export { canaryStoreContract } from './canary-store.contract.js';
export { executionControlContract, type ControlledSystem } from './execution-control.contract.js';
export { executionHistoryContract, type HistoryBounds } from './execution-history.contract.js';
export { pipelineStoreContract } from './pipeline-store.contract.js';
export { suspensionStoreContract, type SuspensionStoreOptions } from './suspension-store.contract.js';
export { versionStoreContract } from './version-store.contract.js';
export { casTests, type CasAccess } from './revisioned-store.contract.js';
export { sampleCanary, sampleHistory, sampleImage, sampleSnapshot, withSubject, type Subject } from './fixtures.js';
