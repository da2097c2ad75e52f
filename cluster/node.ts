import type { ClusterConfig } from './config.js';
import { Buckets, type BucketStatus } from './buckets.js';
import { ClusterConnection, type ConnectionStats } from './connection.js';
import { DropCounter, type DropReason } from './envelope.js';
import { errorText, silentLogger, type ClusterLogger } from './log.js';
import { IDLE, Membership, type LoadSample, type MemberView, type ModuleDivergence } from './membership.js';
import { EventLoopLag } from './load.js';
import { ClusterNames, newInstanceId } from './naming.js';

/**
 * One instance's membership of a cluster: the NATS connection, the buckets, membership and the
 * synchronisation of shared state. The server builds one when cluster mode is on, attaches it
 * as a listener and hands its stores to the runtime; everything else in `cluster/` hangs off it.
 *
 * Synchronisation: after the first connection and after every reconnect, membership and then
 * every registered synchroniser (`addSynchroniser`: the stores reloading their local copies,
 * breakers re-reading snapshots…) run in order. Until the first pass succeeds the instance is
 * not ready (`/health/ready` 503); a failed pass is retried while connected. Afterwards, losing
 * NATS does not make the instance unready: it serves in degraded mode (`degraded`), and shared
 * writes are refused with CoordinationUnavailable until a reconnect resynchronises.
 */

export type Synchroniser = (reason: 'connect' | 'reconnect') => Promise<void>;

export type ClusterMode = 'connecting' | 'synchronising' | 'ready' | 'degraded' | 'closed';

export interface ClusterNodeOptions {
  readonly config: ClusterConfig;
  readonly logger?: ClusterLogger;
  /** Default: a fresh `<host>-<pid>-<random>`. */
  readonly instanceId?: string;
  /** This build's version (heartbeats). */
  readonly version?: string;
  readonly httpUrl?: string | null;
  readonly grpcUrl?: string | null;
  readonly capabilities?: readonly string[];
  /** This instance's load; the event-loop lag is measured by the node itself. */
  readonly load?: () => Omit<LoadSample, 'eventLoopLagMs'>;
  /** Module name → signature digest (module-registry divergence). */
  readonly modules?: () => Readonly<Record<string, string>>;
}

export interface ClusterView {
  readonly name: string;
  readonly instanceId: string;
  readonly mode: ClusterMode;
  readonly synchronised: boolean;
  /** ISO time of the last complete synchronisation. */
  readonly lastSynchronisedAt: string | null;
  readonly lastSyncError: string | null;
  readonly nats: ConnectionStats & { readonly since: number };
  readonly members: readonly MemberView[];
  readonly buckets: readonly BucketStatus[];
  readonly moduleDivergence: readonly ModuleDivergence[];
  readonly droppedEnvelopes: { readonly total: number; readonly byReason: readonly { kind: string; reason: DropReason; count: number }[] };
}

export interface ClusterMetrics {
  readonly connected: number;
  readonly synchronised: number;
  readonly degraded: number;
  readonly membersAlive: number;
  readonly membersSuspect: number;
  readonly membersDead: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly sharedRefused: number;
  readonly sharedFailed: number;
  readonly heartbeatsSent: number;
  readonly heartbeatsReceived: number;
  readonly divergentPeers: number;
  readonly dropped: readonly { kind: string; reason: DropReason; count: number }[];
  readonly buckets: readonly { bucket: string; values: number; bytes: number }[];
}

export class ClusterNode {
  readonly instanceId: string;
  readonly names: ClusterNames;
  readonly connection: ClusterConnection;
  readonly buckets: Buckets;
  readonly membership: Membership;
  readonly drops = new DropCounter();
  readonly logger: ClusterLogger;
  private readonly synchronisers: { name: string; run: Synchroniser }[] = [];
  private syncedOnce = false;
  private inSync = false;
  private syncGeneration = 0;
  private lastSyncAt: number | null = null;
  private lastSyncError: string | null = null;
  private readonly firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  private statusTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private readonly lag = new EventLoopLag();

  constructor(readonly options: ClusterNodeOptions) {
    const config = options.config;
    this.logger = options.logger ?? silentLogger;
    this.instanceId = options.instanceId ?? newInstanceId();
    this.names = new ClusterNames(config.clusterName);
    this.connection = new ClusterConnection(config, this.instanceId, this.logger);
    this.buckets = new Buckets(this.connection, this.names, config.replicas, config.timers.operationTimeoutMs, this.logger);
    this.firstSync = new Promise((resolve) => (this.resolveFirstSync = resolve));
    this.membership = new Membership({
      connection: this.connection,
      names: this.names,
      buckets: this.buckets,
      timers: config.timers,
      drops: this.drops,
      logger: this.logger,
      self: {
        instanceId: this.instanceId,
        httpUrl: options.httpUrl ?? null,
        grpcUrl: options.grpcUrl ?? null,
        version: options.version ?? '0.0.0',
        startedAt: Date.now(),
        capabilities: options.capabilities ?? [],
      },
      load: () => ({ ...(options.load?.() ?? IDLE), eventLoopLagMs: this.lag.current }),
      modules: options.modules ?? (() => ({})),
    });
    const logged = new Map<string, number>();
    this.drops.onDrop((kind, reason, detail) => {
      const key = `${kind}/${reason}`;
      const n = (logged.get(key) ?? 0) + 1;
      logged.set(key, n);
      // the first of each kind and reason, then one in a thousand: a flood cannot flood the log
      if (n === 1 || n % 1000 === 0) this.logger.warn({ kind, reason, detail, count: n }, 'cluster: dropped an invalid envelope');
    });
  }

  get config(): ClusterConfig {
    return this.options.config;
  }

  /** Runs on every (re)connection, after membership and the synchronisers added before it. */
  addSynchroniser(name: string, run: Synchroniser): void {
    this.synchronisers.push({ name, run });
  }

  /** Starts connecting (in the background) and the membership timers. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connection.onConnected((reason) => this.synchronise(reason));
    this.connection.onDisconnected(() => {
      this.inSync = false;
      this.syncGeneration++;
    });
    this.membership.start();
    this.connection.start();
    this.statusTimer = setInterval(() => void this.buckets.refreshStatus().catch(() => {}), this.config.timers.statusIntervalMs);
    this.statusTimer.unref();
  }

  private async synchronise(reason: 'connect' | 'reconnect'): Promise<void> {
    const generation = ++this.syncGeneration;
    this.inSync = false;
    clearTimeout(this.retryTimer);
    const started = performance.now();
    try {
      await this.membership.synchronise();
      for (const s of this.synchronisers) {
        if (generation !== this.syncGeneration) return; // superseded by a newer (re)connection
        try {
          await s.run(reason);
        } catch (e) {
          throw new Error(`${s.name}: ${errorText(e)}`);
        }
      }
    } catch (e) {
      this.lastSyncError = errorText(e);
      this.logger.warn({ err: this.lastSyncError, reason }, 'cluster: synchronisation failed; retrying');
      this.retryTimer = setTimeout(() => {
        if (this.connection.connected && !this.closed && generation === this.syncGeneration) void this.synchronise(reason);
      }, this.config.timers.reconnectWaitMs);
      this.retryTimer.unref();
      return;
    }
    if (generation !== this.syncGeneration) return;
    this.inSync = true;
    this.lastSyncAt = Date.now();
    this.lastSyncError = null;
    void this.buckets.refreshStatus().catch(() => {});
    this.logger.info({ reason, ms: Math.round(performance.now() - started), synchronisers: this.synchronisers.map((s) => s.name) }, 'cluster: shared state synchronised');
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      this.resolveFirstSync();
    }
  }

  /** True once the first synchronisation succeeded (readiness). Stays true in degraded mode. */
  get synchronised(): boolean {
    return this.syncedOnce;
  }

  whenSynchronised(): Promise<void> {
    return this.firstSync;
  }

  /** Connected and in step with the shared state. */
  get inStep(): boolean {
    return this.inSync && this.connection.connected;
  }

  get mode(): ClusterMode {
    if (this.closed) return 'closed';
    if (this.inStep) return 'ready';
    if (!this.syncedOnce) return this.connection.connected ? 'synchronising' : 'connecting';
    return this.connection.connected ? 'synchronising' : 'degraded';
  }

  view(): ClusterView {
    const dropped = this.drops.entries();
    return {
      name: this.config.clusterName,
      instanceId: this.instanceId,
      mode: this.mode,
      synchronised: this.syncedOnce,
      lastSynchronisedAt: this.lastSyncAt === null ? null : new Date(this.lastSyncAt).toISOString(),
      lastSyncError: this.lastSyncError,
      nats: this.connection.stats(),
      members: this.membership.members(),
      buckets: this.buckets.status(),
      moduleDivergence: this.membership.divergence(),
      droppedEnvelopes: { total: this.drops.total, byReason: dropped },
    };
  }

  metrics(): ClusterMetrics {
    const members = this.membership.members();
    const stats = this.connection.stats();
    const count = (l: string) => members.filter((m) => m.liveness === l).length;
    return {
      connected: stats.state === 'connected' ? 1 : 0,
      synchronised: this.syncedOnce ? 1 : 0,
      degraded: this.syncedOnce && !this.inStep ? 1 : 0,
      membersAlive: count('alive'),
      membersSuspect: count('suspect'),
      membersDead: count('dead'),
      connects: stats.connects,
      disconnects: stats.disconnects,
      sharedRefused: stats.refused,
      sharedFailed: stats.failed,
      heartbeatsSent: this.membership.counters.heartbeatsSent,
      heartbeatsReceived: this.membership.counters.heartbeatsReceived,
      divergentPeers: this.membership.divergence().length,
      dropped: this.drops.entries(),
      buckets: this.buckets.status().map((b) => ({ bucket: b.bucket, values: b.values, bytes: b.bytes })),
    };
  }

  /** Announces `draining` (peers and operators see it at once). */
  drain(): void {
    this.membership.setState('draining');
  }

  /** Announces `leaving`, deletes the membership record, closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statusTimer);
    clearTimeout(this.retryTimer);
    this.lag.stop();
    await this.membership.leave();
    await this.connection.close();
  }
}
