import { DEFAULT_LEASE_MS, DEFAULT_LIMITS } from '../../runtime/stores/suspension-store.js';
import type { ClusterNode } from '../node.js';
import { NatsCanaryStore } from './canary-store.js';
import { NatsPipelineStore } from './pipeline-store.js';
import { NatsSuspensionStore } from './suspension-store.js';
import { NatsVersionStore } from './version-store.js';

export { NatsCanaryStore, NatsPipelineStore, NatsSuspensionStore, NatsVersionStore };

/** The shared stores of a cluster, ready to go into the server's backends bundle. */
export interface ClusterStores {
  readonly pipelineStore: NatsPipelineStore;
  readonly versionStore: NatsVersionStore;
  readonly canaryStore: NatsCanaryStore;
  readonly suspensionStore: NatsSuspensionStore;
}

export interface ClusterStoreOptions {
  /** The suspension store's settings (the same as the embedded store's): lease, failed-run expiry, limits. */
  readonly suspensions?: { readonly leaseMs?: number; readonly failedTtlMs?: number; readonly maxEntries?: number; readonly maxBytes?: number };
  /** The engine's execution timeout: a resume lease is never shorter than twice it. */
  readonly executionTimeoutMs?: number;
}

/**
 * Builds the NATS-backed stores over a node and registers their synchronisation, in order, so
 * the node is synchronised (and the instance ready) only when every local copy is complete.
 */
export function createClusterStores(node: ClusterNode, options: ClusterStoreOptions = {}): ClusterStores {
  const timers = node.config.timers;
  const s = options.suspensions ?? {};
  const stores: ClusterStores = {
    pipelineStore: new NatsPipelineStore(node, timers),
    versionStore: new NatsVersionStore(node),
    canaryStore: new NatsCanaryStore(node),
    suspensionStore: new NatsSuspensionStore(node, {
      // a resume that runs up to the execution timeout keeps its claim (renewed every third of the lease)
      leaseMs: Math.max(s.leaseMs ?? DEFAULT_LEASE_MS, 2 * (options.executionTimeoutMs ?? 0)),
      retentionMs: timers.suspensionRetentionMs,
      failedTtlMs: s.failedTtlMs ?? 24 * 3_600_000,
      limits: { maxEntries: s.maxEntries ?? DEFAULT_LIMITS.maxEntries, maxBytes: s.maxBytes ?? DEFAULT_LIMITS.maxBytes },
    }),
  };
  node.addSynchroniser('pipelines', () => stores.pipelineStore.resync());
  node.addSynchroniser('versions', () => stores.versionStore.resync());
  node.addSynchroniser('canaries', () => stores.canaryStore.resync());
  node.addSynchroniser('suspensions', () => stores.suspensionStore.resync());
  return stores;
}
