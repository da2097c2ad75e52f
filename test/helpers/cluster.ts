import { rmSync } from 'node:fs';
import { request, spawnServer, tempDir, type Reply, type SpawnedServer } from './http.js';

/**
 * Constellation instances in cluster mode as separate OS processes (`node dist/server/main.js`),
 * with every cluster timer shortened so a test sees heartbeats, suspicion and reconnects in
 * well under a second. One worker thread each: several instances share the CI machine's two
 * cores with the NATS servers.
 */

export const FAST_CLUSTER_TIMERS: Readonly<Record<string, string>> = {
  CONSTELLATION_CLUSTER_HEARTBEAT_INTERVAL: '200ms',
  CONSTELLATION_CLUSTER_SUSPECT_AFTER: '700ms',
  CONSTELLATION_CLUSTER_DEAD_AFTER: '1200ms',
  CONSTELLATION_CLUSTER_MEMBER_TTL: '6s',
  CONSTELLATION_CLUSTER_MEMBER_REFRESH: '1s',
  CONSTELLATION_CLUSTER_OPERATION_TIMEOUT: '1s',
  CONSTELLATION_CLUSTER_STATUS_INTERVAL: '300ms',
  CONSTELLATION_NATS_RECONNECT_WAIT: '100ms',
  CONSTELLATION_NATS_RECONNECT_JITTER: '100ms',
  CONSTELLATION_NATS_PING_INTERVAL: '1s',
  CONSTELLATION_NATS_CONNECT_TIMEOUT: '1s',
  CONSTELLATION_DRAIN_TIMEOUT: '5s',
};

export interface Instance extends SpawnedServer {
  readonly name: string;
  readonly dataDir: string;
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>;
  request(method: string, path: string, body?: unknown): Promise<Reply>;
  /** SIGKILL: a crash (nothing announced, nothing flushed). */
  kill(): Promise<void>;
  /** SIGTERM: graceful drain; resolves with the exit code. */
  stop(): Promise<number | string>;
  /** Removes the data directory (after the process ended). */
  cleanup(): void;
}

export interface InstanceOptions {
  readonly name: string;
  readonly natsUrl: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly dataDir?: string;
  readonly clusterName?: string;
}

export async function startInstance(o: InstanceOptions): Promise<Instance> {
  const dataDir = o.dataDir ?? tempDir(`constellation-${o.name}-`);
  const srv = await spawnServer({
    CONSTELLATION_PORT: '0',
    CONSTELLATION_HOST: '127.0.0.1',
    CONSTELLATION_DATA_DIR: dataDir,
    CONSTELLATION_WORKERS: '1',
    CONSTELLATION_HEALTH_DETAIL_ENABLED: 'true',
    CONSTELLATION_NATS_URL: o.natsUrl,
    CONSTELLATION_CLUSTER_NAME: o.clusterName ?? 'test',
    ...FAST_CLUSTER_TIMERS,
    ...o.env,
  });
  return {
    ...srv,
    name: o.name,
    dataDir,
    get: (path, headers = {}) => request(srv.port, path, { headers }),
    post: (path, body, headers = {}) => request(srv.port, path, { method: 'POST', body, headers }),
    request: (method, path, body) => request(srv.port, path, { method, body }),
    kill: async () => {
      if (srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill('SIGKILL');
      await srv.exited;
    },
    stop: async () => {
      if (srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill('SIGTERM');
      return srv.exited;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Polls `probe` until it returns a value other than `undefined`; fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
}

/** Waits until the instance answers /health/ready with 200. */
export function ready(instance: Instance, timeoutMs = 15_000): Promise<true> {
  return eventually(`${instance.name} ready`, async () => ((await instance.get('/health/ready')).status === 200 ? true : undefined), timeoutMs);
}

/** The instance's cluster view from /health/detail. */
export async function clusterView(instance: Instance): Promise<any> {
  const r = await instance.get('/health/detail');
  if (r.status !== 200) throw new Error(`/health/detail: ${r.status} ${r.text}`);
  return r.json.cluster;
}
