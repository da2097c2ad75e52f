/**
 * Cluster configuration: which NATS servers to use, how to authenticate, the cluster's name,
 * bucket replicas, and every timer of the coordination plane. The server reads it from the
 * `CONSTELLATION_NATS_*` / `CONSTELLATION_CLUSTER_*` variables (server/cluster-config.ts);
 * tests build it directly with `clusterConfig()`.
 *
 * Secrets (the token, the contents of the credentials and key files, passwords inside server
 * URLs) never leave this object except to the NATS client: `describeClusterConfig` is the form
 * fit for logs.
 */

export interface ClusterTimers {
  /** Heartbeat period (membership). */
  readonly heartbeatIntervalMs: number;
  /** A peer whose heartbeats stopped this long ago is suspect (3 missed beats by default). */
  readonly suspectAfterMs: number;
  /** … and dead after this long (5 missed beats). Advisory only: no decision rests on it. */
  readonly deadAfterMs: number;
  /** Max age of a membership record in its bucket (records of crashed instances vanish). */
  readonly memberRecordTtlMs: number;
  /** How often an instance rewrites its membership record. */
  readonly memberRecordRefreshMs: number;
  /** Bound of every shared read or write (a KV operation): past it, 503 CoordinationUnavailable. */
  readonly operationTimeoutMs: number;
  /** Reconnect back-off: wait plus a random jitter up to `reconnectJitterMs`, forever. */
  readonly reconnectWaitMs: number;
  readonly reconnectJitterMs: number;
  /** Client pings: a server that answers none of two in a row is considered gone. */
  readonly pingIntervalMs: number;
  /** How long one connection attempt may take. */
  readonly connectTimeoutMs: number;
  /** How often bucket statistics for /health/detail are refreshed (in the background). */
  readonly statusIntervalMs: number;
  /**
   * An image that became anonymous (stored, renewed, left by its last alias, or used anywhere in
   * the cluster) cannot be evicted for this long: longer than any instance's view may lag.
   */
  readonly evictionGraceMs: number;
  /** Bucket max-age of suspended executions (expired silently by nats-server 2.9). */
  readonly suspensionRetentionMs: number;
  /** Bucket max-age of the shared syntactic index. */
  readonly syntacticRetentionMs: number;
  /** How long a broadcast control request (status, cancel of a running execution) waits for its owner's reply. */
  readonly controlTimeoutMs: number;
  /** Deadline of a call forwarded to the instance owning a step-through session. */
  readonly routeTimeoutMs: number;
  /** Lease of the one instance allowed to probe a recovering module. */
  readonly probeLeaseMs: number;
  /** How often an instance re-announces which executions its event subscribers watch. */
  readonly interestRefreshMs: number;
  /** Upper bound of a module result's lifetime in an instance's memory (invalidations may be missed). */
  readonly cacheL1TtlMs: number;
  /** Bound of one read of the shared result cache (a slow read is a miss). */
  readonly cacheL2TimeoutMs: number;
  /** Bucket max-age of the shared result cache (longer `cache` TTLs end there). */
  readonly cacheL2MaxTtlMs: number;
  /** Aggregate breaker tripping: how often failure counts are exchanged, and the window they are summed over. */
  readonly breakerDeltaIntervalMs: number;
  readonly breakerAggregateWindowMs: number;
}

/** Cluster-wide behaviour beyond the timers (all off, or the local behaviour, by default). */
export interface CoordinationOptions {
  /**
   * Consecutive failures of a module's calls count across the cluster (a success anywhere resets
   * the count), so a dead dependency costs one threshold of calls in total, not one per instance.
   */
  readonly breakerSharedCount: boolean;
  /** Trip a module's breakers everywhere when its failure ratio across the cluster is too high. */
  readonly breakerAggregate: { readonly enabled: boolean; readonly ratio: number; readonly minCalls: number };
  /** Split each `throttle` budget between the live members (`count / members`). */
  readonly throttleSplit: boolean;
  /** The result cache of calls without `cache_backend`: this instance's memory, or the shared one. */
  readonly cacheBackend: 'memory' | 'nats';
}

export const DEFAULT_COORDINATION: CoordinationOptions = {
  breakerSharedCount: true,
  breakerAggregate: { enabled: false, ratio: 0.5, minCalls: 20 },
  throttleSplit: false,
  cacheBackend: 'memory',
};

export interface ClusterTls {
  readonly caFile: string | null;
  readonly certFile: string | null;
  readonly keyFile: string | null;
}

export interface ClusterConfig {
  /** NATS server URLs (`nats://host:port`, `tls://host:port` or `host:port`). */
  readonly servers: readonly string[];
  /** Names subjects and buckets: `[A-Za-z0-9_-]`, at most 32 characters. */
  readonly clusterName: string;
  readonly credsFile: string | null;
  readonly token: string | null;
  readonly tls: ClusterTls | null;
  /** Bucket replicas: 3 on a 3-server JetStream cluster (losing one server loses nothing). */
  readonly replicas: 1 | 3;
  /** The HTTP URL peers and operators see for this instance; default http://<host>:<port>. */
  readonly advertiseUrl: string | null;
  readonly timers: ClusterTimers;
  readonly coordination: CoordinationOptions;
}

export const DEFAULT_CLUSTER_TIMERS: ClusterTimers = {
  heartbeatIntervalMs: 2_000,
  suspectAfterMs: 6_000,
  deadAfterMs: 10_000,
  memberRecordTtlMs: 60_000,
  memberRecordRefreshMs: 20_000,
  operationTimeoutMs: 1_500,
  reconnectWaitMs: 1_000,
  reconnectJitterMs: 1_000,
  pingIntervalMs: 10_000,
  connectTimeoutMs: 2_000,
  statusIntervalMs: 5_000,
  evictionGraceMs: 60_000,
  suspensionRetentionMs: 7 * 24 * 3_600_000,
  syntacticRetentionMs: 30 * 24 * 3_600_000,
  controlTimeoutMs: 250,
  routeTimeoutMs: 30_000,
  probeLeaseMs: 30_000,
  interestRefreshMs: 5_000,
  cacheL1TtlMs: 30_000,
  cacheL2TimeoutMs: 100,
  cacheL2MaxTtlMs: 3_600_000,
  breakerDeltaIntervalMs: 1_000,
  breakerAggregateWindowMs: 10_000,
};

export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A configuration with defaults for everything not given (tests, embedding). */
export function clusterConfig(
  servers: readonly string[],
  overrides: Partial<Omit<ClusterConfig, 'servers' | 'timers' | 'coordination'>> & { timers?: Partial<ClusterTimers>; coordination?: Partial<CoordinationOptions> } = {},
): ClusterConfig {
  return {
    servers,
    clusterName: overrides.clusterName ?? 'default',
    credsFile: overrides.credsFile ?? null,
    token: overrides.token ?? null,
    tls: overrides.tls ?? null,
    replicas: overrides.replicas ?? 1,
    advertiseUrl: overrides.advertiseUrl ?? null,
    timers: { ...DEFAULT_CLUSTER_TIMERS, ...overrides.timers },
    coordination: { ...DEFAULT_COORDINATION, ...overrides.coordination },
  };
}

/** A server URL without user name or password (`nats://user:pw@host` → `nats://host`). */
export function redactServerUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)?[^@/]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/** The configuration as logs may show it: secrets replaced by whether they are set. */
export function describeClusterConfig(c: ClusterConfig): Record<string, unknown> {
  return {
    servers: c.servers.map(redactServerUrl),
    clusterName: c.clusterName,
    auth: c.credsFile ? 'credentials file' : c.token ? 'token' : 'none',
    tls: c.tls ? { ca: c.tls.caFile !== null, clientCertificate: c.tls.certFile !== null } : false,
    replicas: c.replicas,
    heartbeatIntervalMs: c.timers.heartbeatIntervalMs,
    operationTimeoutMs: c.timers.operationTimeoutMs,
  };
}
