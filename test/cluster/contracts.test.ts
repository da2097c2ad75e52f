import { after, before } from 'node:test';
import { clusterConfig } from '../../cluster/config.js';
import { ClusterNode } from '../../cluster/node.js';
import { createClusterStores, type ClusterStores } from '../../cluster/stores/index.js';
import type { SuspensionLimits } from '../../runtime/stores/suspension-store.js';
import {
  canaryStoreContract, executionHistoryContract, pipelineStoreContract, suspensionStoreContract, versionStoreContract, type HistoryBounds, type Subject,
} from '../contracts/index.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * The NATS JetStream implementations of the runtime's store interfaces against the same
 * contract suites as the in-memory and file stores. Each subject is a fresh cluster (its own
 * buckets) on one real nats-server; `reopen` is a second instance joining the same cluster,
 * which must see everything the first stored.
 */

let nats: NatsServer;
let clusters = 0;
const nodes: ClusterNode[] = [];

before(async () => {
  nats = await startNats({ name: 'contracts' });
});
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await nats.stop();
});

type Options = { leaseMs?: number; limits?: Partial<SuspensionLimits>; retentionMs?: number; history?: HistoryBounds };

async function instance(cluster: string, options: Options = {}): Promise<ClusterStores> {
  const node = new ClusterNode({
    config: clusterConfig([nats.url], { clusterName: cluster, timers: { reconnectWaitMs: 100, reconnectJitterMs: 50 } }),
  });
  nodes.push(node);
  const stores = createClusterStores(node, {
    suspensions: { ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}), ...(options.retentionMs !== undefined ? { retentionMs: options.retentionMs } : {}), ...options.limits },
    ...(options.history ? { history: options.history } : {}),
  });
  node.start();
  await node.whenSynchronised();
  return stores;
}

function subject<T>(pick: (s: ClusterStores) => T, options: Options = {}): () => Promise<Subject<T>> {
  return async () => {
    const cluster = `c${++clusters}`;
    const first = await instance(cluster, options);
    return { store: pick(first), reopen: async () => pick(await instance(cluster, options)), cleanup: async () => {} };
  };
}

pipelineStoreContract('nats', subject((s) => s.pipelineStore));
versionStoreContract('nats', subject((s) => s.versionStore));
canaryStoreContract('nats', subject((s) => s.canaryStore));
suspensionStoreContract('nats', (options) => subject((s) => s.suspensionStore, options)());
executionHistoryContract('nats', (bounds) => subject((s) => s.executionHistory, bounds ? { history: bounds } : {})(), { shared: true });
