import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ClusterConfig } from '../cluster/config.js';
import { loadClusterConfig } from './cluster-config.js';
import { ageOrOff, bool, duration, list, nonNegativeInt, positiveInt, size } from './env-fields.js';

/**
 * Server configuration: every `CONSTELLATION_*` variable of the reference's operations guide (plus the ones
 * docs/decisions.md #22 adds), parsed with zod at start-up. A bad value stops the process with a
 * message naming the variable (never its value when it is a secret) and a non-zero exit —
 * unlike the reference, which silently falls back to defaults.
 *
 * Decisions: auth is on when at least one key is configured, CORS when at
 * least one origin is, rate limiting when RPM or BURST is set (docs/decisions.md #18); the drain
 * timeout, data directory, health-detail switch, scheduler queue bound, log format, module
 * files and NATS URL get variables of their own.
 */

export { bool, duration, list, parseDuration, parseSize, positiveInt } from './env-fields.js';

/** Anonymous images kept by default: on disk at most 128 MiB of them (and 10,000), each unused for at most a week. */
export const DEFAULT_ANON_IMAGES = { maxCount: 10_000, maxBytes: 128 * 1024 * 1024, maxAgeMs: 7 * 86_400_000 } as const;

export type Role = 'Admin' | 'Execute' | 'ReadOnly';

export interface ApiKey {
  /** SHA-256 of the key: keys are never kept or logged in clear. */
  readonly digest: Buffer;
  readonly role: Role;
}

export const portNumber = z.string().transform((s, check) => {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    check.addIssue({ code: 'custom', message: `must be a port number 0–65535, got '${s}'` });
    return z.NEVER;
  }
  return n;
});

const envSchema = z.object({
  CONSTELLATION_PORT: portNumber.optional(),
  CONSTELLATION_HOST: z.string().min(1).optional(),
  CONSTELLATION_API_KEYS: z.string().optional(),
  CONSTELLATION_CORS_ORIGINS: list.optional(),
  CONSTELLATION_RATE_LIMIT_RPM: positiveInt('rate limit rpm').optional(),
  CONSTELLATION_RATE_LIMIT_BURST: positiveInt('rate limit burst').optional(),
  CONSTELLATION_TRUST_PROXY: bool.optional(),
  CONSTELLATION_SCHEDULER_ENABLED: bool.optional(),
  CONSTELLATION_SCHEDULER_MAX_CONCURRENCY: positiveInt('scheduler max concurrency').optional(),
  CONSTELLATION_SCHEDULER_STARVATION_TIMEOUT: duration.optional(),
  CONSTELLATION_SCHEDULER_MAX_QUEUE: nonNegativeInt('scheduler max queue').optional(),
  CONSTELLATION_LOG_LEVEL: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']))
    .optional(),
  CONSTELLATION_LOG_FORMAT: z.string().transform((s) => s.trim().toLowerCase()).pipe(z.enum(['json', 'pretty', 'text'])).optional(),
  CONSTELLATION_DRAIN_TIMEOUT: duration.optional(),
  CONSTELLATION_DATA_DIR: z.string().min(1).optional(),
  CONSTELLATION_HEALTH_DETAIL_ENABLED: bool.optional(),
  CONSTELLATION_MODULES: list.optional(),
  CONSTELLATION_EXAMPLE_MODULES: bool.optional(),
  CONSTELLATION_PIPELINE_DIR: z.string().min(1).optional(),
  CONSTELLATION_PIPELINE_RECURSIVE: bool.optional(),
  CONSTELLATION_PIPELINE_FAIL_ON_ERROR: bool.optional(),
  CONSTELLATION_PIPELINE_ALIAS_STRATEGY: z
    .string()
    .transform((s) => s.trim().toLowerCase().replace(/[-_]/g, ''))
    .pipe(z.enum(['filename', 'relativepath', 'hashonly']))
    .optional(),
  CONSTELLATION_MAX_BODY_SIZE: positiveInt('max body size (bytes)').optional(),
  CONSTELLATION_WORKERS: positiveInt('worker threads').optional(),
  CONSTELLATION_MODULE_TIMEOUT: duration.optional(),
  CONSTELLATION_EXECUTION_TIMEOUT: duration.optional(),
  CONSTELLATION_SUSPENSION_LEASE: duration.optional(),
  CONSTELLATION_SUSPENSION_FAILED_TTL: duration.optional(),
  CONSTELLATION_SUSPENSION_MAX_ENTRIES: positiveInt('suspension store max entries').optional(),
  CONSTELLATION_SUSPENSION_MAX_BYTES: size('suspension store max bytes').optional(),
  CONSTELLATION_SUSPENSION_RETENTION: ageOrOff.optional(),
  CONSTELLATION_ANON_IMAGES_MAX_COUNT: positiveInt('anonymous images max count').optional(),
  CONSTELLATION_ANON_IMAGES_MAX_BYTES: size('anonymous images max bytes').optional(),
  CONSTELLATION_ANON_IMAGES_MAX_AGE: ageOrOff.optional(),
  CONSTELLATION_IMAGE_MEMORY_MAX_BYTES: size('image memory max bytes').optional(),
  CONSTELLATION_COMPILE_CACHE_MAX_ENTRIES: positiveInt('compile cache max entries').optional(),
  CONSTELLATION_COMPILE_CACHE_MAX_BYTES: size('compile cache max bytes').optional(),
  CONSTELLATION_DEBUG: z.string().optional(),
  CONSTELLATION_DASHBOARD_ENABLED: bool.optional(),
  CONSTELLATION_CST_DIR: z.string().min(1).optional(),
  CONSTELLATION_SAMPLE_RATE: z
    .string()
    .transform((s, ctx) => {
      const n = Number(s.trim());
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: `must be a number from 0.0 to 1.0, got '${s}'` });
        return z.NEVER;
      }
      return n;
    })
    .optional(),
  CONSTELLATION_MAX_EXECUTIONS: positiveInt('execution history capacity').optional(),
  CONSTELLATION_RESULT_RETENTION: duration.optional(),
  CONSTELLATION_RESULT_RETENTION_MAX_ENTRIES: positiveInt('result retention max entries').optional(),
  CONSTELLATION_RESULT_RETENTION_MAX_BYTES: positiveInt('result retention max bytes').optional(),
  CONSTELLATION_DEBUG_SESSION_IDLE: duration.optional(),
  CONSTELLATION_DEBUG_SESSIONS_MAX: positiveInt('debug sessions max').optional(),
  CONSTELLATION_BREAKER_FAILURE_THRESHOLD: positiveInt('breaker failure threshold').optional(),
  CONSTELLATION_BREAKER_RESET: duration.optional(),
  CONSTELLATION_BREAKER_HALF_OPEN_PROBES: positiveInt('breaker half-open probes').optional(),
});

/** The variables this schema reads (server/config-variables.ts gathers every part's). */
export const SERVER_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly apiKeys: readonly ApiKey[];
  readonly corsOrigins: readonly string[];
  readonly rateLimit: { readonly rpm: number; readonly burst: number; readonly keyRpm: number; readonly keyBurst: number } | null;
  readonly trustProxy: boolean;
  readonly scheduler: { readonly enabled: boolean; readonly maxConcurrency: number; readonly starvationTimeoutMs: number; readonly maxQueue: number };
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  readonly logFormat: 'json' | 'pretty';
  readonly drainTimeoutMs: number;
  readonly dataDir: string;
  readonly healthDetailEnabled: boolean;
  readonly moduleFiles: readonly string[];
  readonly exampleModules: boolean;
  /** Cluster mode (on when CONSTELLATION_NATS_URL is set); `null`: one instance on its file stores. */
  readonly cluster: ClusterConfig | null;
  readonly pipelineDir: string | null;
  readonly pipelineRecursive: boolean;
  readonly pipelineFailOnError: boolean;
  readonly pipelineAliasStrategy: 'filename' | 'relativepath' | 'hashonly';
  readonly maxBodyBytes: number;
  readonly workers: number | undefined;
  readonly moduleTimeoutMs: number;
  readonly executionTimeoutMs: number | undefined;
  /**
   * The web dashboard (`/dashboard`, `/api/v1/*`): on unless disabled; `cstDir` is the root of
   * its file browser and of `scriptPath`s; `sampleRate` the share of dashboard runs kept in the
   * history, which holds at most `maxExecutions` runs.
   */
  readonly dashboard: { readonly enabled: boolean; readonly cstDir: string; readonly sampleRate: number; readonly maxExecutions: number };
  /**
   * The embedded suspension store: claim lease, expiry of failed runs, limits (a full store
   * refuses), retention of suspended runs (ms; 0 = kept until resumed or deleted).
   */
  readonly suspensions: { readonly leaseMs: number; readonly failedTtlMs: number; readonly maxEntries: number; readonly maxBytes: number; readonly retentionMs: number };
  /**
   * Unnamed pipeline images (anonymous `/run` and unnamed `/compile`): how many are kept, their
   * stored bytes and the longest they stay unused (ms; 0 = no age limit). Pinned images never count.
   */
  readonly anonymousImages: { readonly maxCount: number; readonly maxBytes: number; readonly maxAgeMs: number };
  /** Estimated heap held by images loaded from the data directory that no alias pins (re-read on demand past it). */
  readonly imageMemoryMaxBytes: number;
  /** The compile cache: entries and the estimated heap they hold. */
  readonly compileCache: { readonly maxEntries: number; readonly maxBytes: number };
  /** Results of asynchronous runs: how long and how many are kept for `GET /executions/{id}`. */
  readonly resultRetention: { readonly ttlMs: number; readonly maxEntries: number; readonly maxBytes: number };
  /** Step-through sessions over HTTP: idle expiry and the most one instance holds. */
  readonly debugSessions: { readonly idleMs: number; readonly max: number };
  /** Circuit breakers of every module (the reference's defaults). */
  readonly breaker: { readonly failureThreshold: number; readonly resetDurationMs: number; readonly halfOpenMaxProbes: number };
  /** Warnings to log at start-up (skipped key or origin entries, by position only). */
  readonly warnings: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MIN_KEY_LENGTH = 24;

function parseKeys(text: string | undefined, warnings: string[]): ApiKey[] {
  if (!text) return [];
  const keys: ApiKey[] = [];
  text.split(',').forEach((raw, i) => {
    const entry = raw.trim();
    if (!entry) return;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      warnings.push(`CONSTELLATION_API_KEYS entry #${i + 1} rejected: expected key:Role`);
      return;
    }
    const key = entry.slice(0, colon).trim();
    const roleText = entry.slice(colon + 1).trim().toLowerCase();
    const role: Role | undefined = roleText === 'admin' ? 'Admin' : roleText === 'execute' ? 'Execute' : roleText === 'readonly' ? 'ReadOnly' : undefined;
    // eslint-disable-next-line no-control-regex
    if (key.length < MIN_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(key)) {
      warnings.push(`CONSTELLATION_API_KEYS entry #${i + 1} rejected: keys need at least ${MIN_KEY_LENGTH} characters and no control characters`);
      return;
    }
    if (!role) {
      warnings.push(`CONSTELLATION_API_KEYS entry #${i + 1} rejected: role must be Admin, Execute or ReadOnly`);
      return;
    }
    keys.push({ digest: createHash('sha256').update(key).digest(), role });
  });
  return keys;
}

function validOrigin(origin: string): boolean {
  if (origin === '*') return true;
  try {
    const u = new URL(origin);
    if (u.origin !== origin.replace(/\/$/, '')) return false;
    if (u.protocol === 'https:') return true;
    return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('CONSTELLATION_') && v !== undefined && v !== '') relevant[k] = v;
  const parsed = envSchema.safeParse(relevant);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`);
  const cluster = loadClusterConfig(relevant, problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const warnings: string[] = [];
  const apiKeys = parseKeys(e.CONSTELLATION_API_KEYS, warnings);
  const corsOrigins: string[] = [];
  (e.CONSTELLATION_CORS_ORIGINS ?? []).forEach((o, i) => {
    if (validOrigin(o)) corsOrigins.push(o.replace(/\/$/, ''));
    else warnings.push(`CONSTELLATION_CORS_ORIGINS entry #${i + 1} rejected: use *, https://host or http://localhost`);
  });
  const rateOn = e.CONSTELLATION_RATE_LIMIT_RPM !== undefined || e.CONSTELLATION_RATE_LIMIT_BURST !== undefined;
  return {
    port: e.CONSTELLATION_PORT ?? 8080,
    host: e.CONSTELLATION_HOST ?? '0.0.0.0',
    apiKeys,
    corsOrigins,
    rateLimit: rateOn ? { rpm: e.CONSTELLATION_RATE_LIMIT_RPM ?? 100, burst: e.CONSTELLATION_RATE_LIMIT_BURST ?? 20, keyRpm: 200, keyBurst: 40 } : null,
    trustProxy: e.CONSTELLATION_TRUST_PROXY ?? false,
    scheduler: {
      enabled: e.CONSTELLATION_SCHEDULER_ENABLED ?? false,
      maxConcurrency: e.CONSTELLATION_SCHEDULER_MAX_CONCURRENCY ?? 16,
      starvationTimeoutMs: e.CONSTELLATION_SCHEDULER_STARVATION_TIMEOUT ?? 30_000,
      maxQueue: e.CONSTELLATION_SCHEDULER_MAX_QUEUE ?? 0,
    },
    logLevel: e.CONSTELLATION_LOG_LEVEL ?? 'info',
    logFormat: e.CONSTELLATION_LOG_FORMAT === 'json' ? 'json' : e.CONSTELLATION_LOG_FORMAT === undefined ? (process.stdout.isTTY ? 'pretty' : 'json') : 'pretty',
    drainTimeoutMs: e.CONSTELLATION_DRAIN_TIMEOUT ?? 30_000,
    dataDir: e.CONSTELLATION_DATA_DIR ?? '.data',
    healthDetailEnabled: e.CONSTELLATION_HEALTH_DETAIL_ENABLED ?? false,
    moduleFiles: e.CONSTELLATION_MODULES ?? [],
    exampleModules: e.CONSTELLATION_EXAMPLE_MODULES ?? true,
    cluster,
    pipelineDir: e.CONSTELLATION_PIPELINE_DIR ?? null,
    pipelineRecursive: e.CONSTELLATION_PIPELINE_RECURSIVE ?? false,
    pipelineFailOnError: e.CONSTELLATION_PIPELINE_FAIL_ON_ERROR ?? false,
    pipelineAliasStrategy: e.CONSTELLATION_PIPELINE_ALIAS_STRATEGY ?? 'filename',
    maxBodyBytes: e.CONSTELLATION_MAX_BODY_SIZE ?? 10 * 1024 * 1024,
    workers: e.CONSTELLATION_WORKERS,
    moduleTimeoutMs: e.CONSTELLATION_MODULE_TIMEOUT ?? 30_000,
    executionTimeoutMs: e.CONSTELLATION_EXECUTION_TIMEOUT,
    suspensions: {
      leaseMs: e.CONSTELLATION_SUSPENSION_LEASE ?? 30_000,
      failedTtlMs: e.CONSTELLATION_SUSPENSION_FAILED_TTL ?? 24 * 3_600_000,
      maxEntries: e.CONSTELLATION_SUSPENSION_MAX_ENTRIES ?? 10_000,
      maxBytes: e.CONSTELLATION_SUSPENSION_MAX_BYTES ?? 1024 * 1024 * 1024,
      retentionMs: e.CONSTELLATION_SUSPENSION_RETENTION ?? 0,
    },
    dashboard: {
      enabled: e.CONSTELLATION_DASHBOARD_ENABLED ?? true,
      cstDir: e.CONSTELLATION_CST_DIR ?? '.',
      sampleRate: e.CONSTELLATION_SAMPLE_RATE ?? 1,
      maxExecutions: e.CONSTELLATION_MAX_EXECUTIONS ?? 1000,
    },
    anonymousImages: {
      maxCount: e.CONSTELLATION_ANON_IMAGES_MAX_COUNT ?? DEFAULT_ANON_IMAGES.maxCount,
      maxBytes: e.CONSTELLATION_ANON_IMAGES_MAX_BYTES ?? DEFAULT_ANON_IMAGES.maxBytes,
      maxAgeMs: e.CONSTELLATION_ANON_IMAGES_MAX_AGE ?? DEFAULT_ANON_IMAGES.maxAgeMs,
    },
    imageMemoryMaxBytes: e.CONSTELLATION_IMAGE_MEMORY_MAX_BYTES ?? 64 * 1024 * 1024,
    compileCache: { maxEntries: e.CONSTELLATION_COMPILE_CACHE_MAX_ENTRIES ?? 1000, maxBytes: e.CONSTELLATION_COMPILE_CACHE_MAX_BYTES ?? 64 * 1024 * 1024 },
    resultRetention: {
      ttlMs: e.CONSTELLATION_RESULT_RETENTION ?? 10 * 60_000,
      maxEntries: e.CONSTELLATION_RESULT_RETENTION_MAX_ENTRIES ?? 10_000,
      maxBytes: e.CONSTELLATION_RESULT_RETENTION_MAX_BYTES ?? 64 * 1024 * 1024,
    },
    debugSessions: { idleMs: e.CONSTELLATION_DEBUG_SESSION_IDLE ?? 10 * 60_000, max: e.CONSTELLATION_DEBUG_SESSIONS_MAX ?? 100 },
    breaker: {
      failureThreshold: e.CONSTELLATION_BREAKER_FAILURE_THRESHOLD ?? 5,
      resetDurationMs: e.CONSTELLATION_BREAKER_RESET ?? 30_000,
      halfOpenMaxProbes: e.CONSTELLATION_BREAKER_HALF_OPEN_PROBES ?? 1,
    },
    warnings,
  };
}
