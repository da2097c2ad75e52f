import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import type { ConstellationModule } from '../../../runtime/modules/define.js';
import { moduleNameProblem, namespaceProblem, parseExecutorUrl } from '../namespaces.js';
import type { ModuleDeclarationMsg } from '../proto.js';
import { encodeTypeSchema } from '../type-schema.js';
import { EngineLink, RegistrationRefused, type LinkState } from './engine-link.js';
import { ExecutorServer, serveModule, type ServedModule } from './executor.js';

/**
 * The provider kit: serve `defineModule` modules to Constellation engines over the Module
 * Provider Protocol.
 *
 * ```ts
 * const provider = await serveProvider({
 *   namespace: 'text.tools',
 *   modules: [Shout, WordCount],          // defineModule(...) modules
 *   servers: ['engine-1:9090', 'engine-2:9090'],
 * });
 * // pipelines now call text.tools.Shout(...)
 * await provider.stop();
 * ```
 *
 * It starts an executor (a gRPC server, on any free port unless `executor.port` is given),
 * registers with every engine listed (and those `discover` returns, asked again every
 * `discoveryIntervalMs`), heartbeats, reconnects after an engine restart, and honours drains.
 * A module written once runs the same locally and as a provider, with one difference: as a
 * provider its parameters are in field-name order (the wire form of a record has no order).
 *
 * The executor address engines are told: `executor.advertise`, else `<host>:<bound port>` with
 * host 127.0.0.1 when every engine is on loopback and the machine's host name otherwise.
 */

export interface ServeProviderOptions {
  readonly namespace: string;
  readonly modules: readonly ConstellationModule[];
  /** Engine provider ports, `host:port`. */
  readonly servers?: readonly string[];
  /** More engines, found at run time (e.g. `dnsDiscovery('constellation.svc', 9090)`). */
  readonly discover?: () => Promise<readonly string[]> | readonly string[];
  readonly discoveryIntervalMs?: number;
  /** Join a scaling group: every member with this id serves the namespace together. */
  readonly groupId?: string;
  readonly executor?: {
    readonly host?: string;
    readonly port?: number;
    /** `host:port` engines call (default: see above). */
    readonly advertise?: string;
    /** Serve the executor over TLS (PEM); engines are told so at registration. */
    readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  };
  /** The engines' shared secret (`CONSTELLATION_PROVIDER_TOKEN`); the executor then also requires it. */
  readonly token?: string;
  /** TLS to the engines' provider port: their CA, and a client certificate for mutual TLS. */
  readonly tls?: { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer };
  readonly heartbeatIntervalMs?: number;
  /** Deadline of Register/Deregister calls. */
  readonly callTimeoutMs?: number;
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly maxMessageBytes?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export interface ProviderStatus {
  readonly server: string;
  readonly state: LinkState;
  readonly connectionId: string;
  readonly error: string | null;
}

export interface ServedProvider {
  readonly namespace: string;
  /** The address engines call. */
  readonly executorUrl: string;
  readonly executorPort: number;
  status(): ProviderStatus[];
  /** Serves new module versions: each engine swaps this provider's modules in place. */
  update(modules: readonly ConstellationModule[], options?: { replaceGroup?: boolean }): Promise<void>;
  /** Resolves once every engine it was linked to has drained it. */
  drained(): Promise<void>;
  /** Leaves every engine (Deregister, then close the stream) and stops the executor. */
  stop(): Promise<void>;
}

function pem(v: string | Buffer | undefined): Buffer | null {
  if (v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  return v.includes('-----BEGIN') ? Buffer.from(v) : readFileSync(v);
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

function checkModules(namespace: string, modules: readonly ConstellationModule[]): ServedModule[] {
  const problem = namespaceProblem(namespace);
  if (problem) throw new TypeError(`serveProvider: ${problem}`);
  if (modules.length === 0) throw new TypeError('serveProvider: no modules to serve');
  const seen = new Set<string>();
  return modules.map((m) => {
    const nameProblem = moduleNameProblem(m.name);
    if (nameProblem) throw new TypeError(`serveProvider: ${nameProblem}`);
    if (m.namespace !== undefined && m.namespace !== namespace) throw new TypeError(`serveProvider: module '${m.name}' is declared in namespace '${m.namespace}', not '${namespace}'`);
    if (seen.has(m.name)) throw new TypeError(`serveProvider: module '${m.name}' is listed twice`);
    seen.add(m.name);
    return serveModule(m);
  });
}

function declarationsOf(served: readonly ServedModule[]): ModuleDeclarationMsg[] {
  return served.map((s) => ({
    name: s.module.name,
    inputSchema: encodeTypeSchema(s.input),
    outputSchema: encodeTypeSchema(s.output),
    version: s.module.version,
    description: s.module.description,
  }));
}

export async function serveProvider(options: ServeProviderOptions): Promise<ServedProvider> {
  let served = checkModules(options.namespace, options.modules);
  const servers = [...(options.servers ?? [])];
  if (servers.length === 0 && !options.discover) throw new TypeError('serveProvider: give the engines to register with (servers, or discover)');
  for (const s of servers) if (typeof parseExecutorUrl(s) === 'string') throw new TypeError(`serveProvider: server '${s}' is not host:port`);
  const log = options.log ?? ((level, message, fields) => process.stderr.write(`[provider ${options.namespace}] ${level}: ${message}${fields ? ' ' + JSON.stringify(fields) : ''}\n`));
  const executorTls = options.executor?.tls;
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const executor = await ExecutorServer.start(served, {
    host: options.executor?.host ?? '0.0.0.0',
    port: options.executor?.port ?? 0,
    credentials: executorTls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: pem(executorTls.cert)!, private_key: pem(executorTls.key)! }], false) : grpc.ServerCredentials.createInsecure(),
    token: options.token ?? null,
    maxMessageBytes,
  });
  const advertiseHost = servers.length > 0 && servers.every((s) => LOOPBACK.test((parseExecutorUrl(s) as { host: string }).host)) ? '127.0.0.1' : hostname();
  const executorUrl = options.executor?.advertise ?? `${advertiseHost}:${executor.port}`;
  const credentials = options.tls ? grpc.credentials.createSsl(pem(options.tls.ca), pem(options.tls.key), pem(options.tls.cert)) : grpc.credentials.createInsecure();
  const links = new Map<string, EngineLink>();
  const link = (address: string): EngineLink => {
    const l = new EngineLink(
      {
        address,
        namespace: options.namespace,
        groupId: options.groupId ?? '',
        executorUrl,
        executorTls: executorTls !== undefined,
        credentials,
        token: options.token ?? null,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
        callTimeoutMs: options.callTimeoutMs ?? 10_000,
        reconnectInitialMs: options.reconnect?.initialMs ?? 1_000,
        reconnectMaxMs: options.reconnect?.maxMs ?? 30_000,
        log,
        idle: () => executor.idle(),
      },
      declarationsOf(served),
    );
    links.set(address, l);
    return l;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(discoveryTimer);
    await Promise.all([...links.values()].map((l) => l.stop()));
    await executor.stop();
  };

  let discoveryTimer: NodeJS.Timeout | undefined;
  const discover = async (): Promise<void> => {
    if (!options.discover || stopped) return;
    try {
      for (const address of await options.discover()) if (!links.has(address)) await link(address).connect();
    } catch (e) {
      log(e instanceof RegistrationRefused ? 'error' : 'warn', `discovery: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  try {
    await Promise.all(servers.map((address) => link(address).connect()));
    await discover();
  } catch (e) {
    await stop();
    throw e;
  }
  if (options.discover) {
    discoveryTimer = setInterval(() => void discover(), options.discoveryIntervalMs ?? 30_000);
    discoveryTimer.unref();
  }

  return {
    namespace: options.namespace,
    executorUrl,
    executorPort: executor.port,
    status: () => [...links.entries()].map(([server, l]) => ({ server, state: l.state, connectionId: l.connectionId, error: l.lastError ?? null })),
    update: async (modules, updateOptions = {}) => {
      const next = checkModules(options.namespace, modules);
      // serve the new versions first: an engine that swaps before we do must not reach old code with new types
      const previous = served;
      served = next;
      executor.setModules(next);
      try {
        await Promise.all([...links.values()].map((l) => l.update(declarationsOf(next), updateOptions.replaceGroup === true)));
      } catch (e) {
        served = previous;
        executor.setModules(previous);
        throw e;
      }
    },
    drained: () => Promise.all([...links.values()].map((l) => l.drained())).then(() => undefined),
    stop,
  };
}
