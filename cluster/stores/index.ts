import type { ExpiryRule } from '../../runtime/stores/suspension-index.js';
import { DEFAULT_LEASE_MS, DEFAULT_LIMITS } from '../../runtime/stores/suspension-store.js';
import type { ClusterNode } from '../node.js';
import { NatsCanaryStore } from './canary-store.js';
import { NatsExecutionStorage } from './history-store.js';
import { NatsPipelineStore } from './pipeline-store.js';
import { NatsSuspensionStore } from './suspension-store.js';
import { NatsVersionStore } from './version-store.js';

export { NatsCanaryStore, NatsExecutionStorage, NatsPipelineStore, NatsSuspensionStore, NatsVersionStore };

/** The shared stores of a cluster, ready to go into the server's backends bundle. */
export interface ClusterStores {
  readonly pipelineStore: NatsPipelineStore;
  readonly versionStore: NatsVersionStore;
  readonly canaryStore: NatsCanaryStore;
  readonly suspensionStore: NatsSuspensionStore;
  /** The dashboard's run history (named as the backends bundle names it). */
  readonly executionHistory: NatsExecutionStorage;
}

export interface ClusterStoreOptions {
  /** The suspension store's settings (the same as the embedded store's): lease, expiry, limits. */
  readonly suspensions?: {
    readonly leaseMs?: number;
    readonly failedTtlMs?: number;
    /** Every execution goes this long after its last save or resume (0: the bucket's max-age only). */
    readonly retentionMs?: number;
    readonly maxEntries?: number;
    readonly maxBytes?: number;
  };
  /** The run history's bounds (the same settings as the single instance's in-memory history). */
  readonly history?: { readonly capacity?: number; readonly maxValueBytes?: number };
  /** The engine's execution timeout: a resume lease is never shorter than twice it. */
  readonly executionTimeoutMs?: number;
  /** Is an execution of this pipeline image running here? (Its use is announced to the peers while it runs.) */
  readonly imageInUse?: (structuralHash: string) => boolean;
  /** Stored executions this instance removed by expiry. */
  readonly onSuspensionsExpired?: (count: number, rule: ExpiryRule) => void;
}

/**
 * Builds the NATS-backed stores over a node and registers their synchronisation, in order, so
 * the node is synchronised (and the instance ready) only when every local copy is complete.
 */
export function createClusterStores(node: ClusterNode, options: ClusterStoreOptions = {}): ClusterStores {
  const timers = node.config.timers;
  const s = options.suspensions ?? {};
  const stores: ClusterStores = {
    pipelineStore: new NatsPipelineStore(node, timers, options.imageInUse ? { running: options.imageInUse } : {}),
    versionStore: new NatsVersionStore(node),
    canaryStore: new NatsCanaryStore(node),
    suspensionStore: new NatsSuspensionStore(node, {
      // a resume that runs up to the execution timeout keeps its claim (renewed every third of the lease)
      leaseMs: Math.max(s.leaseMs ?? DEFAULT_LEASE_MS, 2 * (options.executionTimeoutMs ?? 0)),
      bucketMaxAgeMs: timers.suspensionRetentionMs,
      retentionMs: s.retentionMs ?? 0,
      failedTtlMs: s.failedTtlMs ?? 24 * 3_600_000,
      limits: { maxEntries: s.maxEntries ?? DEFAULT_LIMITS.maxEntries, maxBytes: s.maxBytes ?? DEFAULT_LIMITS.maxBytes },
      ...(options.onSuspensionsExpired ? { onExpired: options.onSuspensionsExpired } : {}),
    }),
    executionHistory: new NatsExecutionStorage(node, options.history),
  };
  node.addSynchroniser('pipelines', () => stores.pipelineStore.resync());
  node.addSynchroniser('versions', () => stores.versionStore.resync());
  node.addSynchroniser('canaries', () => stores.canaryStore.resync());
  node.addSynchroniser('suspensions', () => stores.suspensionStore.resync());
  node.addSynchroniser('history', () => stores.executionHistory.resync());
  return stores;
}
