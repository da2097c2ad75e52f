import { z } from 'zod';
import { bool, ConfigError, duration, list, portNumber, positiveInt } from '../config.js';

/**
 * Settings of the provider port, from `CONSTELLATION_PROVIDER_*` variables (validated like the
 * rest of the configuration: a bad value stops the server with a message naming the variable).
 *
 * The port is on when `CONSTELLATION_PROVIDER_PORT` is set, or `CONSTELLATION_PROVIDER_ENABLED`
 * is true (port 9090 then; docs/decisions.md #24). Durations accept `15s`, `500ms`, `2m` or bare seconds (the
 * reference reads bare seconds only). `CONSTELLATION_PROVIDER_RESERVED_NS` is read (the reference
 * documents it but never reads it). Every timer has a variable, so tests run in seconds.
 */

export interface ProviderTls {
  /** PEM files of the port's certificate and key. */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM file of the CA that signs provider client certificates (mutual TLS) and TLS executors. */
  readonly caFile: string | null;
}

export interface ProviderConfig {
  readonly port: number;
  readonly host: string;
  /** Per-attempt limit of a provider call whose `timeout` option is not set. */
  readonly callTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly controlPlaneTimeoutMs: number;
  readonly reportIntervalMs: number;
  /** How often the liveness monitor looks at the connections. */
  readonly monitorIntervalMs: number;
  /** Deadline of a drain that names none (`POST /providers/{id}/drain`). */
  readonly drainDeadlineMs: number;
  /** How long past its drain deadline a draining provider may keep its stream open. */
  readonly drainGraceMs: number;
  readonly reservedNamespaces: readonly string[];
  /** Shared secret providers must present (`authorization: Bearer <token>`); null: none. */
  readonly token: string | null;
  readonly tls: ProviderTls | null;
  readonly maxModulesPerRegistration: number;
  readonly maxSchemaDepth: number;
  /** Largest gRPC message either way (registrations, payloads). */
  readonly maxMessageBytes: number;
}

const envSchema = z.object({
  CONSTELLATION_PROVIDER_PORT: portNumber.optional(),
  CONSTELLATION_PROVIDER_ENABLED: bool.optional(),
  CONSTELLATION_PROVIDER_HOST: z.string().min(1).optional(),
  CONSTELLATION_HOST: z.string().min(1).optional(),
  CONSTELLATION_PROVIDER_CALL_TIMEOUT: duration.optional(),
  CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL: duration.optional(),
  CONSTELLATION_PROVIDER_HEARTBEAT_TIMEOUT: duration.optional(),
  CONSTELLATION_PROVIDER_CONTROL_PLANE_TIMEOUT: duration.optional(),
  CONSTELLATION_PROVIDER_REPORT_INTERVAL: duration.optional(),
  CONSTELLATION_PROVIDER_MONITOR_INTERVAL: duration.optional(),
  CONSTELLATION_PROVIDER_DRAIN_DEADLINE: duration.optional(),
  CONSTELLATION_PROVIDER_DRAIN_GRACE: duration.optional(),
  CONSTELLATION_PROVIDER_RESERVED_NS: list.optional(),
  CONSTELLATION_PROVIDER_TOKEN: z.string().min(16, 'the shared secret needs at least 16 characters').optional(),
  CONSTELLATION_PROVIDER_TLS_CERT: z.string().min(1).optional(),
  CONSTELLATION_PROVIDER_TLS_KEY: z.string().min(1).optional(),
  CONSTELLATION_PROVIDER_TLS_CA: z.string().min(1).optional(),
  CONSTELLATION_PROVIDER_MAX_MODULES: positiveInt('modules per registration').optional(),
  CONSTELLATION_PROVIDER_MAX_SCHEMA_DEPTH: positiveInt('schema depth').optional(),
  CONSTELLATION_PROVIDER_MAX_MESSAGE_SIZE: positiveInt('message size (bytes)').optional(),
});

/** The variables of the provider port (server/config-variables.ts gathers every part's). */
export const PROVIDER_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

const NAMESPACE_PREFIX = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** The provider port's settings, or null when the port is off. Throws ConfigError. */
export function loadProviderConfig(env: Readonly<Record<string, string | undefined>> = process.env): ProviderConfig | null {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('CONSTELLATION_') && k in envSchema.shape && v !== undefined && v !== '') relevant[k] = v;
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`));
  const e = parsed.data;
  if (e.CONSTELLATION_PROVIDER_PORT === undefined && e.CONSTELLATION_PROVIDER_ENABLED !== true) return null;
  const problems: string[] = [];
  const reserved = e.CONSTELLATION_PROVIDER_RESERVED_NS ?? ['stdlib'];
  for (const ns of reserved) if (!NAMESPACE_PREFIX.test(ns)) problems.push(`CONSTELLATION_PROVIDER_RESERVED_NS: '${ns}' is not a namespace (dot-separated names)`);
  const cert = e.CONSTELLATION_PROVIDER_TLS_CERT;
  const key = e.CONSTELLATION_PROVIDER_TLS_KEY;
  if ((cert === undefined) !== (key === undefined)) problems.push('CONSTELLATION_PROVIDER_TLS_CERT and CONSTELLATION_PROVIDER_TLS_KEY go together');
  if (e.CONSTELLATION_PROVIDER_TLS_CA !== undefined && cert === undefined) problems.push('CONSTELLATION_PROVIDER_TLS_CA needs CONSTELLATION_PROVIDER_TLS_CERT and _KEY (client certificates are checked on a TLS port)');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: e.CONSTELLATION_PROVIDER_PORT ?? 9090,
    host: e.CONSTELLATION_PROVIDER_HOST ?? e.CONSTELLATION_HOST ?? '0.0.0.0',
    callTimeoutMs: e.CONSTELLATION_PROVIDER_CALL_TIMEOUT ?? 3_000,
    heartbeatIntervalMs: e.CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL ?? 5_000,
    heartbeatTimeoutMs: e.CONSTELLATION_PROVIDER_HEARTBEAT_TIMEOUT ?? 15_000,
    controlPlaneTimeoutMs: e.CONSTELLATION_PROVIDER_CONTROL_PLANE_TIMEOUT ?? 30_000,
    reportIntervalMs: e.CONSTELLATION_PROVIDER_REPORT_INTERVAL ?? 30_000,
    monitorIntervalMs: e.CONSTELLATION_PROVIDER_MONITOR_INTERVAL ?? 1_000,
    drainDeadlineMs: e.CONSTELLATION_PROVIDER_DRAIN_DEADLINE ?? 30_000,
    drainGraceMs: e.CONSTELLATION_PROVIDER_DRAIN_GRACE ?? 5_000,
    reservedNamespaces: reserved,
    token: e.CONSTELLATION_PROVIDER_TOKEN ?? null,
    tls: cert && key ? { certFile: cert, keyFile: key, caFile: e.CONSTELLATION_PROVIDER_TLS_CA ?? null } : null,
    maxModulesPerRegistration: e.CONSTELLATION_PROVIDER_MAX_MODULES ?? 256,
    maxSchemaDepth: e.CONSTELLATION_PROVIDER_MAX_SCHEMA_DEPTH ?? 32,
    maxMessageBytes: e.CONSTELLATION_PROVIDER_MAX_MESSAGE_SIZE ?? 4 * 1024 * 1024,
  };
}

/** Defaults with overrides: for programmatic use and tests. */
export function providerConfig(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return { ...loadProviderConfig({ CONSTELLATION_PROVIDER_ENABLED: 'true' })!, ...overrides };
}
