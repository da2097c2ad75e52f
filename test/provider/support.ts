import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ConstellationServer } from '../../server/app.js';
import { loadProviderConfig } from '../../server/provider/config.js';
import { ProviderListener } from '../../server/provider/listener.js';
import type { ProviderPort } from '../../server/provider/port.js';
import { services } from '../../server/provider/proto.js';
import type { KitProviderOptions } from '../fixtures/providers/kit-provider.js';
import { request, type Reply } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

/**
 * Helpers of the provider tests: a real server (uWS HTTP + worker pool) with the provider port
 * on free loopback ports and short timers; provider processes (the kit fixture, the
 * reference-style fixture) spawned from the compiled fixtures, with their JSON event lines; a
 * raw gRPC client for requests no well-behaved provider sends.
 */

export const KIT_PROVIDER = fileURLToPath(new URL('../fixtures/providers/kit-provider.js', import.meta.url));
export const REFERENCE_PROVIDER = fileURLToPath(new URL('../fixtures/providers/reference-style-provider.js', import.meta.url));

/** Short timers: a silent provider is noticed in about a second. */
export const FAST_TIMERS: Record<string, string> = {
  CONSTELLATION_PROVIDER_PORT: '0',
  CONSTELLATION_PROVIDER_HEARTBEAT_TIMEOUT: '1s',
  CONSTELLATION_PROVIDER_CONTROL_PLANE_TIMEOUT: '1s',
  CONSTELLATION_PROVIDER_MONITOR_INTERVAL: '100ms',
  CONSTELLATION_PROVIDER_REPORT_INTERVAL: '500ms',
  CONSTELLATION_PROVIDER_DRAIN_GRACE: '300ms',
  CONSTELLATION_PROVIDER_DRAIN_DEADLINE: '2s',
};

export interface EngineServer {
  readonly server: ConstellationServer;
  readonly base: string;
  /** `127.0.0.1:<provider port>` */
  readonly grpcAddress: string;
  readonly port: ProviderPort;
  get(path: string): Promise<Reply>;
  post(path: string, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export async function startEngine(extraEnv: Record<string, string> = {}): Promise<EngineServer> {
  const env = { CONSTELLATION_HOST: '127.0.0.1', ...FAST_TIMERS, ...extraEnv };
  const listener = new ProviderListener(loadProviderConfig(env)!);
  const started = await startServer({ env, server: { listeners: [listener] } });
  return {
    server: started.server,
    base: started.base,
    grpcAddress: `127.0.0.1:${listener.providerPort!.port}`,
    port: listener.providerPort!,
    get: (path) => request(started.port, path),
    post: (path, body) => request(started.port, path, { method: 'POST', ...(body === undefined ? {} : { body }), headers: { 'content-type': 'application/json' } }),
    close: () => started.close(),
  };
}

/**
 * The server of a test file: started before its tests, closed (with every provider process
 * still running) after them. The object returned forwards to it once it runs.
 */
export function sharedEngine(env: Record<string, string> = {}): EngineServer {
  let current: EngineServer | undefined;
  before(async () => {
    current = await startEngine(env);
  });
  after(async () => {
    await killProviders();
    await current?.close();
  });
  return new Proxy({} as EngineServer, {
    get: (_target, key) => {
      if (!current) throw new Error('the test server is not started yet (use it inside tests)');
      const value = (current as unknown as Record<PropertyKey, unknown>)[key];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
}

export type Event = Record<string, unknown> & { event: string };

/** A provider process and its stdout events. */
export class ProviderProcess {
  readonly events: Event[] = [];
  stderr = '';
  private waiters: { match: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.trim()) continue;
        const event = JSON.parse(line) as Event;
        this.events.push(event);
        for (const w of [...this.waiters]) {
          if (w.match(event)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** The first event (past or future) of one of these kinds; rejects after `timeoutMs` with what was seen. */
  next(kinds: string | readonly string[], timeoutMs = 10_000): Promise<Event> {
    const wanted = typeof kinds === 'string' ? [kinds] : kinds;
    const match = (e: Event) => wanted.includes(e.event);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${wanted.join('/')} event within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      timer.unref();
      this.waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

const running = new Set<ProviderProcess>();

function spawnFixture(script: string, env: Record<string, string>): ProviderProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const p = new ProviderProcess(child);
  running.add(p);
  void p.exited.then(() => running.delete(p));
  return p;
}

/** A kit provider process; resolves once it reported `ready` (registered everywhere it could). */
export async function startKitProvider(options: KitProviderOptions): Promise<ProviderProcess> {
  const p = spawnFixture(KIT_PROVIDER, { PROVIDER_OPTIONS: JSON.stringify(options) });
  const first = await p.next(['ready', 'error'], 15_000);
  if (first.event === 'error') throw new Error(`kit provider failed: ${String(first['message'])}`);
  return p;
}

/** The reference-style provider process (started, not yet waited for). */
export function spawnReferenceProvider(env: Record<string, string>): ProviderProcess {
  return spawnFixture(REFERENCE_PROVIDER, env);
}

/** Kills every provider process still running (after each test file). */
export async function killProviders(): Promise<void> {
  const all = [...running];
  for (const p of all) p.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type RawProviderClient = grpc.Client & {
  register(request: unknown, metadata: grpc.Metadata, callback: (e: grpc.ServiceError | null, r?: any) => void): void;
  deregister(request: unknown, metadata: grpc.Metadata, callback: (e: grpc.ServiceError | null, r?: any) => void): void;
  controlPlane(metadata?: grpc.Metadata): grpc.ClientDuplexStream<any, any>;
};

/** A plain gRPC client of the provider port. */
export function rawClient(address: string, credentials = grpc.credentials.createInsecure()): RawProviderClient {
  return new (services().ModuleProvider)(address, credentials) as unknown as RawProviderClient;
}

export function callRegister(client: RawProviderClient, body: unknown, metadata = new grpc.Metadata()): Promise<{ error: grpc.ServiceError | null; response: any }> {
  return new Promise((resolve) => client.register(body, metadata, (error, response) => resolve({ error, response })));
}

export function callDeregister(client: RawProviderClient, body: unknown, metadata = new grpc.Metadata()): Promise<{ error: grpc.ServiceError | null; response: any }> {
  return new Promise((resolve) => client.deregister(body, metadata, (error, response) => resolve({ error, response })));
}

export const S = { primitive: { kind: 0 } };
export const I = { primitive: { kind: 1 } };

/** `in … out …` pipeline source calling one provider module. */
export async function run(engine: EngineServer, source: string, inputs: Record<string, unknown> = {}): Promise<Reply> {
  return engine.post('/run', { source, inputs });
}
