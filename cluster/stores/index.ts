import type { SuspensionLimits } from '../../runtime/stores/suspension-store.js';
import { resumeLeaseMs } from '../config.js';
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
  readonly suspensionLimits?: Partial<SuspensionLimits>;
  /** The engine's execution timeout: the resume lease is max(30 s, twice it) unless configured. */
  readonly executionTimeoutMs?: number;
}

/**
 * Builds the NATS-backed stores over a node and registers their synchronisation, in order, so
 * the node is synchronised (and the instance ready) only when every local copy is complete.
 */
export function createClusterStores(node: ClusterNode, options: ClusterStoreOptions = {}): ClusterStores {
  const timers = node.config.timers;
  const stores: ClusterStores = {
    pipelineStore: new NatsPipelineStore(node, timers),
    versionStore: new NatsVersionStore(node),
    canaryStore: new NatsCanaryStore(node),
    suspensionStore: new NatsSuspensionStore(node, {
      leaseMs: resumeLeaseMs(timers, options.executionTimeoutMs),
      retentionMs: timers.suspensionRetentionMs,
      ...(options.suspensionLimits ? { limits: options.suspensionLimits } : {}),
    }),
  };
  node.addSynchroniser('pipelines', () => stores.pipelineStore.resync());
  node.addSynchroniser('versions', () => stores.versionStore.resync());
  node.addSynchroniser('canaries', () => stores.canaryStore.resync());
  node.addSynchroniser('suspensions', () => stores.suspensionStore.resync());
  return stores;
}
