import { existsSync } from 'node:fs';
import { z } from 'zod';
import { CLUSTER_NAME_PATTERN, clusterConfig, DEFAULT_COORDINATION, type ClusterConfig, type ClusterTimers } from '../cluster/config.js';
import { age, bool, duration, positiveInt } from './env-fields.js';

/**
 * Cluster mode's variables. `CONSTELLATION_NATS_URL` switches it on (comma-separated servers);
 * everything else has a default. Every timer of the coordination plane has a variable so tests
 * (and impatient operators) can shorten it. The token and the files' contents are never put in
 * an error message.
 */

const serverUrl = z.string().transform((s, check) => {
  const list = s.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  if (list.length === 0) {
    check.addIssue({ code: 'custom', message: 'expected at least one NATS server URL' });
    return z.NEVER;
  }
  for (const [i, entry] of list.entries()) {
    const withScheme = /^[a-z]+:\/\//i.test(entry) ? entry : `nats://${entry}`;
    let url: URL | undefined;
    try {
      url = new URL(withScheme);
    } catch {
      url = undefined;
    }
    if (!url || !['nats:', 'tls:'].includes(url.protocol) || !url.hostname) {
      // the entry may carry a password: say which entry, not what it holds
      check.addIssue({ code: 'custom', message: `entry #${i + 1} is not a NATS URL (nats://host:port, tls://host:port or host:port)` });
      return z.NEVER;
    }
  }
  return list;
});

const file = (what: string) =>
  z.string().transform((s, check) => {
    if (!existsSync(s)) {
      check.addIssue({ code: 'custom', message: `${what} '${s}' does not exist` });
      return z.NEVER;
    }
    return s;
  });

/** Variable → timer it sets. */
export const CLUSTER_TIMER_VARIABLES: Readonly<Record<string, keyof ClusterTimers>> = {
  CONSTELLATION_CLUSTER_HEARTBEAT_INTERVAL: 'heartbeatIntervalMs',
  CONSTELLATION_CLUSTER_SUSPECT_AFTER: 'suspectAfterMs',
  CONSTELLATION_CLUSTER_DEAD_AFTER: 'deadAfterMs',
  CONSTELLATION_CLUSTER_MEMBER_TTL: 'memberRecordTtlMs',
  CONSTELLATION_CLUSTER_MEMBER_REFRESH: 'memberRecordRefreshMs',
  CONSTELLATION_CLUSTER_EVICTION_GRACE: 'evictionGraceMs',
  CONSTELLATION_CLUSTER_OPERATION_TIMEOUT: 'operationTimeoutMs',
  CONSTELLATION_NATS_RECONNECT_WAIT: 'reconnectWaitMs',
  CONSTELLATION_NATS_RECONNECT_JITTER: 'reconnectJitterMs',
  CONSTELLATION_NATS_PING_INTERVAL: 'pingIntervalMs',
  CONSTELLATION_NATS_CONNECT_TIMEOUT: 'connectTimeoutMs',
  CONSTELLATION_CLUSTER_STATUS_INTERVAL: 'statusIntervalMs',
  CONSTELLATION_CLUSTER_CONTROL_TIMEOUT: 'controlTimeoutMs',
  CONSTELLATION_CLUSTER_ROUTE_TIMEOUT: 'routeTimeoutMs',
  CONSTELLATION_CLUSTER_EVENTS_INTEREST_REFRESH: 'interestRefreshMs',
  CONSTELLATION_BREAKER_PROBE_LEASE: 'probeLeaseMs',
  CONSTELLATION_BREAKER_AGGREGATE_INTERVAL: 'breakerDeltaIntervalMs',
  CONSTELLATION_BREAKER_AGGREGATE_WINDOW: 'breakerAggregateWindowMs',
  CONSTELLATION_CACHE_L1_TTL: 'cacheL1TtlMs',
  CONSTELLATION_CACHE_L2_TIMEOUT: 'cacheL2TimeoutMs',
};

/** Retention ages: bucket max-ages, not timers (beyond 24 days is fine). */
export const CLUSTER_AGE_VARIABLES: Readonly<Record<string, keyof ClusterTimers>> = {
  CONSTELLATION_CLUSTER_SUSPENSION_RETENTION: 'suspensionRetentionMs',
  CONSTELLATION_CLUSTER_SYNTACTIC_RETENTION: 'syntacticRetentionMs',
  CONSTELLATION_CACHE_L2_MAX_TTL: 'cacheL2MaxTtlMs',
};

const ratio = z.string().transform((s, ctx) => {
  const n = Number(s.trim());
  if (!Number.isFinite(n) || n <= 0 || n > 1) {
    ctx.addIssue({ code: 'custom', message: `must be a failure ratio above 0 and at most 1, got '${s}'` });
    return z.NEVER;
  }
  return n;
});

export const clusterEnvSchema = z.object({
  CONSTELLATION_NATS_URL: serverUrl.optional(),
  CONSTELLATION_CLUSTER_NAME: z
    .string()
    .refine((s) => CLUSTER_NAME_PATTERN.test(s), 'use 1–32 characters of A-Z, a-z, 0-9, _ and - (it appears in bucket names)')
    .optional(),
  CONSTELLATION_NATS_CREDS: file('credentials file').optional(),
  // a secret: accepted as is, never echoed
  CONSTELLATION_NATS_TOKEN: z.string().optional(),
  CONSTELLATION_NATS_TLS_CA: file('CA file').optional(),
  CONSTELLATION_NATS_TLS_CERT: file('certificate file').optional(),
  CONSTELLATION_NATS_TLS_KEY: file('key file').optional(),
  CONSTELLATION_NATS_REPLICAS: z.enum(['1', '3'], { message: 'must be 1 or 3' }).optional(),
  CONSTELLATION_CLUSTER_ADVERTISE_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  CONSTELLATION_BREAKER_SHARED_COUNT: bool.optional(),
  CONSTELLATION_BREAKER_AGGREGATE: bool.optional(),
  CONSTELLATION_BREAKER_AGGREGATE_RATIO: ratio.optional(),
  CONSTELLATION_BREAKER_AGGREGATE_MIN_CALLS: positiveInt('aggregate breaker minimum calls').optional(),
  CONSTELLATION_THROTTLE_SPLIT: bool.optional(),
  CONSTELLATION_CACHE_BACKEND: z.enum(['memory', 'nats'], { message: "must be 'memory' or 'nats'" }).optional(),
  ...Object.fromEntries(Object.keys(CLUSTER_TIMER_VARIABLES).map((k) => [k, duration.optional()])),
  ...Object.fromEntries(Object.keys(CLUSTER_AGE_VARIABLES).map((k) => [k, age.optional()])),
});

/** The variables this schema reads (server/config-variables.ts gathers every part's). */
export const CLUSTER_VARIABLES: readonly string[] = Object.keys(clusterEnvSchema.shape);

/**
 * The cluster configuration from the `CONSTELLATION_*` variables; `null` when
 * `CONSTELLATION_NATS_URL` is not set. Every problem found is appended to `problems`.
 */
export function loadClusterConfig(variables: Readonly<Record<string, string>>, problems: string[]): ClusterConfig | null {
  const parsed = clusterEnvSchema.safeParse(variables);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${String(i.path[0] ?? 'environment')}: ${i.message}`);
    return null;
  }
  const env = parsed.data as Record<string, unknown>;
  const servers = env.CONSTELLATION_NATS_URL as string[] | undefined;
  if (!servers) return null;
  const cert = env.CONSTELLATION_NATS_TLS_CERT as string | undefined;
  const key = env.CONSTELLATION_NATS_TLS_KEY as string | undefined;
  if ((cert === undefined) !== (key === undefined)) problems.push('CONSTELLATION_NATS_TLS_CERT and CONSTELLATION_NATS_TLS_KEY go together: set both or neither');
  if (env.CONSTELLATION_NATS_CREDS !== undefined && env.CONSTELLATION_NATS_TOKEN !== undefined) problems.push('CONSTELLATION_NATS_CREDS and CONSTELLATION_NATS_TOKEN are alternatives: set one');
  const ca = env.CONSTELLATION_NATS_TLS_CA as string | undefined;
  const timers: Partial<Record<keyof ClusterTimers, number>> = {};
  for (const [variable, timer] of Object.entries({ ...CLUSTER_TIMER_VARIABLES, ...CLUSTER_AGE_VARIABLES })) {
    const v = env[variable];
    if (typeof v === 'number') timers[timer] = v;
  }
  const t = { ...clusterConfig([]).timers, ...timers };
  if (t.suspectAfterMs <= t.heartbeatIntervalMs) problems.push('CONSTELLATION_CLUSTER_SUSPECT_AFTER must be longer than the heartbeat interval');
  if (t.deadAfterMs < t.suspectAfterMs) problems.push('CONSTELLATION_CLUSTER_DEAD_AFTER must not be shorter than CONSTELLATION_CLUSTER_SUSPECT_AFTER');
  if (t.memberRecordRefreshMs >= t.memberRecordTtlMs) problems.push('CONSTELLATION_CLUSTER_MEMBER_REFRESH must be shorter than CONSTELLATION_CLUSTER_MEMBER_TTL');
  if (t.operationTimeoutMs <= 0) problems.push('CONSTELLATION_CLUSTER_OPERATION_TIMEOUT must be positive');
  return clusterConfig(servers, {
    clusterName: (env.CONSTELLATION_CLUSTER_NAME as string | undefined) ?? 'default',
    credsFile: (env.CONSTELLATION_NATS_CREDS as string | undefined) ?? null,
    token: (env.CONSTELLATION_NATS_TOKEN as string | undefined) ?? null,
    tls: ca || cert || key || servers.some((s) => s.startsWith('tls://')) ? { caFile: ca ?? null, certFile: cert ?? null, keyFile: key ?? null } : null,
    replicas: env.CONSTELLATION_NATS_REPLICAS === '3' ? 3 : 1,
    advertiseUrl: (env.CONSTELLATION_CLUSTER_ADVERTISE_URL as string | undefined) ?? null,
    timers,
    coordination: {
      breakerSharedCount: (env.CONSTELLATION_BREAKER_SHARED_COUNT as boolean | undefined) ?? DEFAULT_COORDINATION.breakerSharedCount,
      breakerAggregate: {
        enabled: (env.CONSTELLATION_BREAKER_AGGREGATE as boolean | undefined) ?? false,
        ratio: (env.CONSTELLATION_BREAKER_AGGREGATE_RATIO as number | undefined) ?? DEFAULT_COORDINATION.breakerAggregate.ratio,
        minCalls: (env.CONSTELLATION_BREAKER_AGGREGATE_MIN_CALLS as number | undefined) ?? DEFAULT_COORDINATION.breakerAggregate.minCalls,
      },
      throttleSplit: (env.CONSTELLATION_THROTTLE_SPLIT as boolean | undefined) ?? false,
      cacheBackend: (env.CONSTELLATION_CACHE_BACKEND as 'memory' | 'nats' | undefined) ?? 'memory',
    },
  });
}
