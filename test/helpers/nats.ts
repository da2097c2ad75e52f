import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';

/**
 * Real `nats-server` processes for the cluster tests: JetStream on, storage in a temporary
 * directory, loopback only, free ports. One server (`startNats`) or a three-server JetStream
 * cluster (`startNatsCluster`, routes between them, R3 buckets possible). A server can be
 * killed (SIGKILL: a crash) and restarted on the same port and storage.
 */

export function natsServerPath(): string {
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(candidate)) return candidate;
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  throw new Error('nats-server is not installed (test/run.sh installs it: apt-get install -y nats-server)');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface NatsServer {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  readonly running: boolean;
  /** SIGKILL (a crash); resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs (connections stay open, nothing answers); resolves once it is stopped. */
  pause(): Promise<void>;
  resume(): void;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** Stops it and removes its storage. */
  stop(): Promise<void>;
  log(): string;
}

interface ServerSpec {
  readonly name: string;
  readonly port: number;
  readonly storeDir: string;
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly number[] };
  /** More nats-server arguments (`--auth <token>`). */
  readonly extraArgs?: readonly string[];
}

class NatsProcess implements NatsServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(private readonly spec: ServerSpec, private readonly ownsDir: boolean) {}

  get name(): string {
    return this.spec.name;
  }
  get port(): number {
    return this.spec.port;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.spec.port}`;
  }
  get storeDir(): string {
    return this.spec.storeDir;
  }
  get running(): boolean {
    return this.child !== undefined;
  }

  async launch(): Promise<void> {
    const s = this.spec;
    const args = ['-a', '127.0.0.1', '-p', String(s.port), '-js', '-sd', s.storeDir, '--server_name', s.name];
    if (s.cluster) {
      args.push('--cluster_name', s.cluster.name, '--cluster', `nats://127.0.0.1:${s.cluster.port}`);
      args.push('--routes', s.cluster.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    args.push(...(s.extraArgs ?? []));
    const child = spawn(natsServerPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // a test process that ends without stopping its servers (a failure, process.exit) takes them along
    const orphanGuard = () => child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    child.once('exit', () => process.removeListener('exit', orphanGuard));
    child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    for (let i = 0; i < 200; i++) {
      if (!this.child) throw new Error(`nats-server ${s.name} exited at start:\n${this.output}`);
      if (await portOpen(s.port)) return;
      await sleep(25);
    }
    throw new Error(`nats-server ${s.name} did not listen on ${s.port}:\n${this.output}`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async pause(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    child.kill('SIGSTOP');
    // the signal is delivered asynchronously: wait until the kernel reports the process stopped
    for (let i = 0; i < 100; i++) {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      if (/^\d+ \(.*\) [Tt] /.test(stat)) return;
      await sleep(10);
    }
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsDir) rmSync(this.spec.storeDir, { recursive: true, force: true });
  }

  log(): string {
    return this.output;
  }
}

/** Waits until JetStream answers through `urls` (a cluster needs its meta leader first). */
export async function waitForJetStream(urls: string, timeoutMs = 20_000, token?: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const nc = await connect({ servers: urls.split(','), timeout: 1_000, reconnect: false, ...(token ? { token } : {}) });
      try {
        const jsm = await nc.jetstreamManager({ timeout: 1_000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (e) {
      last = e;
      await sleep(100);
    }
  }
  throw new Error(`JetStream not available at ${urls}: ${last instanceof Error ? last.message : String(last)}`);
}

/**
 * One JetStream server on a free port (or on `port`, for a server that starts after its
 * clients); with `token`, clients must present it.
 */
export async function startNats(options: { name?: string; port?: number; token?: string } = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'constellation-nats-'));
  const extraArgs = options.token ? ['--auth', options.token] : [];
  const server = new NatsProcess({ name: options.name ?? 'n1', port: options.port ?? (await freePort()), storeDir: dir, extraArgs }, true);
  await server.launch();
  await waitForJetStream(server.url, 20_000, options.token);
  return server;
}

export interface NatsCluster {
  readonly servers: readonly NatsServer[];
  /** Every server's URL, comma-separated (CONSTELLATION_NATS_URL). */
  readonly urls: string;
  stop(): Promise<void>;
}

/** Three JetStream servers routed into one cluster (for R3 buckets). */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const servers = clientPorts.map(
    (port, i) =>
      new NatsProcess(
        { name: `c${i + 1}`, port, storeDir: mkdtempSync(join(tmpdir(), `constellation-nats-c${i + 1}-`)), cluster: { name: 'cst-test', port: routePorts[i]!, routes: routePorts.filter((_, j) => j !== i) } },
        true,
      ),
  );
  await Promise.all(servers.map((s) => s.launch()));
  const urls = servers.map((s) => s.url).join(',');
  await waitForJetStream(urls, 30_000);
  return { servers, urls, stop: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
}
