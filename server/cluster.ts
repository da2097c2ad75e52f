import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../actors/runtime-factory.js';
import type { ClusterConfig } from '../cluster/config.js';
import { importLocalState } from '../cluster/import.js';
import { errorText } from '../cluster/log.js';
import { ClusterCoordination, type InstanceParts } from '../cluster/coordination.js';
import { ClusterNode, type ClusterMetrics } from '../cluster/node.js';
import { ProviderAdvertisement } from '../cluster/provider-advertisement.js';
import { LocalBreakerRegistry } from '../runtime/engine/circuit-breaker.js';
import type { CircuitBreakerRegistry } from '../runtime/engine/spi.js';
import { ExecutionEventHub } from '../runtime/events/execution-events.js';
import { createClusterStores, type ClusterStores } from '../cluster/stores/index.js';
import { qualifiedName, signatureText } from '../runtime/compiler/registry.js';
import type { ExpiryRule } from '../runtime/stores/suspension-index.js';
import type { Config } from './config.js';
import type { AttachedListener, ServerHost } from './host/listener.js';
import type { Logger } from './logger.js';
import { FilePipelineStore } from './stores/file-pipeline-store.js';
import { FileSuspensionStore } from './stores/file-suspension-store.js';
import { FileVersionStore } from './stores/file-version-store.js';
import { readFileIfExists, writeFileAtomic } from './stores/atomic-file.js';

/**
 * Where the server meets the cluster layer (cluster/ never imports server/): builds the
 * ClusterNode and its shared stores from the configuration, feeds the node this instance's load
 * and module signatures, imports an existing data directory into the cluster once, and attaches
 * the node as a listener — readiness waits for the first synchronisation, `/health/detail` and
 * `/metrics` gain a `cluster` section, lifecycle changes become membership states (Running →
 * running, Draining → draining, close → leaving). With a provider port, its providers are
 * advertised to the other instances (the port attaches itself to `providers`) and provider
 * schema divergence between instances joins the cluster section.
 */

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Module name → digest of its signature: the registry as peers compare it. */
export function moduleSignatures(runtime: Runtime): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sig of runtime.engine.functions.all()) {
    if (sig.kind !== 'module') continue;
    out[qualifiedName(sig)] = createHash('sha256').update(signatureText(sig)).digest('hex').slice(0, 16);
  }
  return out;
}

/** `moduleSignatures`, recomputed only when the registry changed (it is read before every heartbeat). */
function cachedModuleSignatures(runtime: () => Runtime | undefined): () => Record<string, string> {
  let version = -1;
  let table: Record<string, string> = {};
  return () => {
    const r = runtime();
    if (!r) return table;
    if (r.engine.functions.version !== version) {
      version = r.engine.functions.version;
      table = moduleSignatures(r);
    }
    return table;
  };
}

/**
 * The node for a server; `runtime()` is read lazily (the node exists before the runtime, whose
 * stores it provides).
 */
export function createClusterNode(config: ClusterConfig, logger: Logger, runtime: () => Runtime | undefined): ClusterNode {
  const load = () => {
    const r = runtime();
    return {
      activeExecutions: r?.engine.inflightCount ?? 0,
      queuedNodes: r?.engine.scheduler.stats().queuedCount ?? 0,
      workerUtilisation: r?.pool.utilisation ?? 0,
    };
  };
  return new ClusterNode({
    config,
    logger,
    version: packageVersion(),
    capabilities: ['pipelines', 'suspensions', 'execution-routing', 'breakers', 'cache-invalidation', 'live-events'],
    load,
    modules: cachedModuleSignatures(runtime),
  });
}

function advertisedUrl(config: Config, cluster: ClusterConfig, port: number): string {
  if (cluster.advertiseUrl) return cluster.advertiseUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function prometheus(m: ClusterMetrics): string {
  const lines: string[] = [];
  const series = (name: string, type: 'gauge' | 'counter', help: string, values: [labels: string, value: number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
  };
  series('constellation_cluster_connected', 'gauge', 'Connected to NATS (1) or not (0)', [['', m.connected]]);
  series('constellation_cluster_synchronised', 'gauge', 'The first synchronisation of the shared state is done', [['', m.synchronised]]);
  series('constellation_cluster_degraded', 'gauge', 'Serving in degraded mode (shared writes refused)', [['', m.degraded]]);
  series('constellation_cluster_members', 'gauge', 'Members known, by liveness (this instance included)', [
    ['{liveness="alive"}', m.membersAlive],
    ['{liveness="suspect"}', m.membersSuspect],
    ['{liveness="dead"}', m.membersDead],
  ]);
  series('constellation_cluster_connects_total', 'counter', 'Connections to NATS (the first and every reconnect)', [['', m.connects]]);
  series('constellation_cluster_disconnects_total', 'counter', 'Losses of the NATS connection', [['', m.disconnects]]);
  series('constellation_cluster_shared_refused_total', 'counter', 'Shared operations refused at once (no connection)', [['', m.sharedRefused]]);
  series('constellation_cluster_shared_failed_total', 'counter', 'Shared operations failed against NATS (timeouts, no quorum)', [['', m.sharedFailed]]);
  series('constellation_cluster_heartbeats_sent_total', 'counter', 'Heartbeats published', [['', m.heartbeatsSent]]);
  series('constellation_cluster_heartbeats_received_total', 'counter', 'Heartbeats of peers received', [['', m.heartbeatsReceived]]);
  series('constellation_cluster_divergent_peers', 'gauge', 'Live peers whose module registry differs from this one', [['', m.divergentPeers]]);
  series('constellation_cluster_envelopes_dropped_total', 'counter', 'Invalid envelopes dropped, by kind and reason', m.dropped.map((d) => [`{kind="${d.kind}",reason="${d.reason}"}`, d.count]));
  series('constellation_cluster_bucket_values', 'gauge', 'Entries in each shared bucket', m.buckets.map((b) => [`{bucket="${b.bucket}"}`, b.values]));
  series('constellation_cluster_bucket_bytes', 'gauge', 'Bytes in each shared bucket', m.buckets.map((b) => [`{bucket="${b.bucket}"}`, b.bytes]));
  return lines.join('\n') + '\n';
}

function historyPrometheus(failures: number): string {
  const name = 'constellation_cluster_history_write_failures_total';
  return `# HELP ${name} Dashboard history writes that could not reach NATS (the runs are kept on the instance)\n# TYPE ${name} counter\n${name} ${failures}\n`;
}

/** Is there anything a single instance stored under this data directory? */
async function hasLocalState(dataDir: string): Promise<boolean> {
  const entries = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  return (
    (await entries(join(dataDir, 'pipelines', 'images'))).length > 0 ||
    existsSync(join(dataDir, 'pipelines', 'aliases.json')) ||
    existsSync(join(dataDir, 'pipelines', 'versions.json')) ||
    (await entries(join(dataDir, 'executions'))).length > 0
  );
}

/**
 * The one-time import of a data directory into the cluster (on the first synchronisation). A
 * marker file per cluster name records it, so a restart does not bring back what the cluster
 * deleted since.
 */
function importSynchroniser(dataDir: string, clusterName: string, stores: ClusterStores, logger: Logger): () => Promise<void> {
  const marker = join(dataDir, `cluster-import-${clusterName}.json`);
  let done = false;
  return async () => {
    if (done) return;
    if ((await readFileIfExists(marker)) !== undefined || !(await hasLocalState(dataDir))) {
      done = true;
      return;
    }
    const warn = (m: string) => logger.warn(m);
    const local = {
      pipelineStore: await FilePipelineStore.open(dataDir, warn),
      versionStore: await FileVersionStore.open(dataDir, warn),
      suspensionStore: new FileSuspensionStore(dataDir),
    };
    const report = await importLocalState(local, stores);
    await writeFileAtomic(marker, JSON.stringify({ cluster: clusterName, importedAt: new Date().toISOString(), ...report }, null, 2));
    done = true;
    logger.info({ ...report, dataDir }, 'cluster: imported the data directory into the cluster');
    if (report.conflicts.length > 0) logger.warn({ conflicts: report.conflicts.slice(0, 50) }, 'cluster: the cluster already held these names differently; kept the cluster’s');
  };
}

export interface ClusterWiring {
  readonly node: ClusterNode;
  readonly stores: ClusterStores;
  /** Events for other instances' watchers: the engine feeds it beside the local hub. */
  readonly outgoingEvents: ExecutionEventHub;
  /** Where the provider port (when there is one) hands over its providers. */
  readonly providers: ProviderAdvertisement;
}

/** The node and its shared stores for a server in cluster mode (nothing connects before the listener starts). */
export function setUpCluster(
  config: Config,
  cluster: ClusterConfig,
  logger: Logger,
  dataDir: string,
  runtime: () => Runtime | undefined,
  events: { readonly onSuspensionsExpired?: (count: number, rule: ExpiryRule) => void } = {},
): ClusterWiring {
  const node = createClusterNode(cluster, logger, runtime);
  const stores = createClusterStores(node, {
    suspensions: config.suspensions,
    // the dashboard's history, bounded as a single instance bounds it
    history: { capacity: config.dashboard.maxExecutions },
    ...(config.executionTimeoutMs !== undefined ? { executionTimeoutMs: config.executionTimeoutMs } : {}),
    imageInUse: (hash) => runtime()?.engine.isRunning(hash) ?? false,
    ...(events.onSuspensionsExpired ? { onSuspensionsExpired: events.onSuspensionsExpired } : {}),
  });
  node.addSynchroniser('data directory import', importSynchroniser(dataDir, cluster.clusterName, stores, logger));
  const providers = new ProviderAdvertisement(node);
  return { node, stores, outgoingEvents: new ExecutionEventHub((m) => logger.warn(m)), providers };
}

/**
 * Runs `work` once the node is first synchronised (the start-up pipeline loader, which writes to
 * the shared stores); readiness waits for it too.
 */
export function afterFirstSynchronisation(node: ClusterNode, readiness: Map<string, () => boolean>, name: string, work: () => Promise<void>, logger: Logger): void {
  let finished = false;
  readiness.set(name, () => finished);
  void node.whenSynchronised().then(async () => {
    try {
      await work();
      finished = true;
    } catch (e) {
      logger.error({ err: errorText(e) }, `${name} failed after joining the cluster; the instance stays not ready`);
    }
  });
}

/**
 * The node as an attached listener of the server (with the provider advertisement it carries);
 * the shared history's failed writes (degraded mode) join its metrics.
 */
export function clusterListener(node: ClusterNode, providers: ProviderAdvertisement, history: { readonly writeFailures: number }): AttachedListener {
  let host: ServerHost | undefined;
  return {
    name: 'cluster',
    async start(h: ServerHost): Promise<void> {
      host = h;
      const d = h.context.diagnostics;
      d.readiness.set('cluster', () => node.synchronised);
      d.sections.set('cluster', {
        detail: () => ({ ...node.view(), providers: providers.viewOf() }),
        metrics: () => ({ ...node.metrics(), historyWriteFailures: history.writeFailures, providers: providers.metrics() }),
        prometheus: () => prometheus(node.metrics()) + historyPrometheus(history.writeFailures) + providers.prometheus(),
      });
      node.start();
      providers.start();
    },
    onStateChange(state): void {
      if (state === 'Running') {
        if (host?.port !== undefined && host.config.cluster) node.membership.setHttpUrl(advertisedUrl(host.config, host.config.cluster, host.port));
        node.membership.setState('running');
      } else if (state === 'Draining') {
        node.drain();
      }
    },
    async drain(): Promise<void> {
      node.drain();
    },
    async close(): Promise<void> {
      await providers.close();
      await node.close();
    },
  };
}

/**
 * The coordination agents over this instance's runtime parts. The breakers gossiped are the
 * registry's own (a custom registry cannot take part: refused at start-up rather than silently
 * left out of the cluster).
 */
export function coordinate(node: ClusterNode, parts: Omit<InstanceParts, 'breakers'> & { readonly breakers: CircuitBreakerRegistry | undefined }): ClusterCoordination {
  if (!(parts.breakers instanceof LocalBreakerRegistry)) throw new Error('cluster mode shares the circuit breakers of the built-in registry: a custom circuitBreakers backend cannot be used with CONSTELLATION_NATS_URL');
  return new ClusterCoordination(node, { ...parts, breakers: parts.breakers });
}

/** The coordination agents as a listener: their sections in /health/detail and /metrics; closed before the node. */
export function coordinationListener(coordination: ClusterCoordination): AttachedListener {
  return {
    name: 'cluster coordination',
    async start(h: ServerHost): Promise<void> {
      h.context.diagnostics.sections.set('coordination', {
        detail: () => coordination.view(),
        metrics: () => coordination.metrics(),
        prometheus: () => coordination.prometheus(),
      });
      coordination.start();
    },
    async drain(): Promise<void> {},
    async close(): Promise<void> {
      coordination.close();
    },
  };
}
