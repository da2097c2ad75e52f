/**
 * The cluster layer: N instances behave as one service over NATS (JetStream KV for shared
 * state, core subjects for signals). It depends on `runtime/` (whose interfaces it implements)
 * and never on `server/`, which wires it in (server/cluster.ts).
 *
 * Building a further cluster feature (as the coordination agents at the end of this list do:
 * breaker gossip, execution routing, cache invalidation, live events):
 *
 * - `ClusterNode` (node.ts) is the one object per instance. `node.connection.raw` publishes and
 *   subscribes signals; `node.connection.shared(op, work)` bounds any JetStream operation and
 *   turns failures into 503 CoordinationUnavailable; `node.addSynchroniser(name, fn)` runs `fn`
 *   after the first connection and every reconnect (re-read snapshots, republish state) before
 *   the instance counts as in step; `node.inStep` says whether it is now.
 * - `node.names` (naming.ts) builds every subject, bucket and key; user-supplied names are encoded.
 * - `defineEnvelope(kind, zodSchema, maxBytes)` (envelope.ts) is the wire format of a message or
 *   value; decode what arrives with `node.drops.accept(codec, bytes)` so hostile input is dropped
 *   and counted in /metrics.
 * - `node.membership` (membership.ts): peers with state, load and liveness (`onPeerChange`);
 *   advisory only — decide nothing on "dead", use leases.
 * - `KvView` (kv-view.ts): a bucket mirrored in memory with compare-and-set writes — the building
 *   block of the stores in stores/.
 * - `ProviderAdvertisement` (provider-advertisement.ts): this instance's providers in
 *   `cst_<c>_providers`, and provider schema divergence between the live instances.
 * - Timers belong in `ClusterTimers` (config.ts) with a variable in server/cluster-config.ts.
 */

export { clusterConfig, describeClusterConfig, DEFAULT_CLUSTER_TIMERS, DEFAULT_COORDINATION, type ClusterConfig, type ClusterTimers, type CoordinationOptions } from './config.js';
export { ClusterConnection, type ConnectionState, type ConnectionStats } from './connection.js';
export { defineEnvelope, DropCounter, ENVELOPE_VERSION, MAX_INLINE_BYTES, type Decoded, type DropReason, type EnvelopeCodec } from './envelope.js';
export { asCoordinationError, coordinationUnavailable, isCoordinationUnavailable, isRevisionConflict } from './errors.js';
export { importLocalState, type ImportReport, type LocalState } from './import.js';
export { KvView, type CasResult, type ViewChange, type ViewEntry } from './kv-view.js';
export type { ClusterLogger } from './log.js';
export { Membership, type LoadSample, type MemberInfo, type MemberState, type MemberView, type ModuleDivergence, type PeerChange } from './membership.js';
export { ClusterNames, decodeName, encodeName, isValidKey, newInstanceId } from './naming.js';
export { ClusterNode, type ClusterMetrics, type ClusterMode, type ClusterView, type Synchroniser } from './node.js';
export { createClusterStores, NatsCanaryStore, NatsPipelineStore, NatsSuspensionStore, NatsVersionStore, type ClusterStores } from './stores/index.js';

// coordination beyond shared state (coordination.ts wires them over an instance's runtime parts)
export { AggregateBreakerTripping, type AggregateSettings } from './breaker-aggregate.js';
export { BreakerGossip, type BreakerGossipStats, type TransitionRecord } from './breakers.js';
export { CacheInvalidationBus, type InvalidationStats } from './cache-invalidation.js';
export { ClusterCoordination, SHARED_CACHE_BACKEND, type InstanceParts } from './coordination.js';
export { ExecutionEventBridge, type EventBridgeStats } from './event-bridge.js';
export { ClusterExecutionControl, sessionOwner, type RoutingStats } from './execution-routing.js';
export { KvResultCache } from './kv-result-cache.js';
export { ProviderAdvertisement, type ProviderAdvertising, type ProviderAdvertisementView, type ProviderSource } from './provider-advertisement.js';
export { providerDivergence, type AdvertisedNamespace, type ProviderDivergence, type ProviderDivergenceKind } from './provider-divergence.js';
export { ProbeLeases, type ProbeLeaseStats } from './probe-leases.js';
export { ThrottleSplit } from './throttle-split.js';
