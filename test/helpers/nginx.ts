import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { sleep } from './http.js';
import { freePort } from './nats.js';

/**
 * A real nginx from Debian (test/run.sh installs nginx-light when it is missing) running one of
 * the repository's sites: everything nginx needs lives in a temporary prefix directory, the site
 * is included in an http { } block of the test's own (as conf.d/ does in the nginx image), and
 * `listen 80` becomes a free loopback port. The access log records, per request, the upstream
 * addresses nginx tried and their statuses (`$upstream_addr`, `$upstream_status`): the test's
 * view of routing, retries and affinity.
 */

export const NGINX = '/usr/sbin/nginx';

const TEMP_DIRS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

/** One access-log line: the request as the client made it and where nginx sent it. */
export interface AccessEntry {
  readonly method: string;
  readonly uri: string;
  readonly status: number;
  readonly requestId: string;
  /** Every upstream tried, in order (`127.0.0.1:1234`); empty when none was. */
  readonly upstreams: readonly string[];
  /** Their statuses, in the same order (502 for a refused connection). */
  readonly upstreamStatuses: readonly number[];
}

/** The http { } block around a site: temp paths in `dir`, errors and accesses logged there. */
function wrap(dir: string, site: string): string {
  return [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 512; }',
    'http {',
    // tab-separated: $upstream_addr holds ", " and " : " between the upstreams it tried
    `  log_format routing '$request_method\\t$uri\\t$status\\t$http_x_request_id\\t$upstream_addr\\t$upstream_status';`,
    `  access_log ${join(dir, 'access.log')} routing;`,
    ...TEMP_DIRS.map((d) => `  ${d}_temp_path ${join(dir, d)};`),
    site,
    '}',
  ].join('\n');
}

/** Replaces `listen 80;` with a loopback port. */
export function listenOn(site: string, port: number): string {
  assertHas(site, /listen 80;/, 'listen 80;');
  return site.replace(/listen 80;/g, `listen 127.0.0.1:${port};`);
}

function assertHas(text: string, pattern: RegExp, what: string): void {
  if (!pattern.test(text)) throw new Error(`the site has no ${what}`);
}

/** `nginx -t` on a site: the configuration nginx would load. Throws with nginx's message. */
export function checkSite(dir: string, site: string): void {
  mkdirSync(dir, { recursive: true });
  for (const d of TEMP_DIRS) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, wrap(dir, site));
  const r = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nginx -t failed:\n${r.stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`);
}

export interface RunningNginx {
  readonly port: number;
  readonly child: ChildProcess;
  /** The access log so far. */
  accesses(): AccessEntry[];
  /** The access-log entries whose request id starts with `prefix`, once there are `count` (nginx logs a request after its answer went out). */
  logged(prefix: string, count: number): Promise<AccessEntry[]>;
  errors(): string;
  stop(): Promise<void>;
}

/** Starts nginx with `site` (its `listen 80` moved to a free port); resolves once it accepts connections. */
export async function startNginx(dir: string, site: string): Promise<RunningNginx> {
  const port = await freePort();
  checkSite(dir, listenOn(site, port));
  const conf = join(dir, 'nginx.conf');
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  // a test process that ends without stopping it (a failure, process.exit) takes it along
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.removeListener('exit', orphanGuard));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errors = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  const running: RunningNginx = {
    port,
    child,
    errors,
    accesses: () => parseAccessLog(existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log'), 'utf8') : ''),
    logged: async (prefix, count) => {
      for (let i = 0; ; i++) {
        const entries = running.accesses().filter((e) => e.requestId.startsWith(prefix));
        if (entries.length >= count || i >= 100) return entries;
        await sleep(20);
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return running;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not start: ${errors()}`);
}

function parseAccessLog(text: string): AccessEntry[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const [method = '', uri = '', status = '0', requestId = '', addr = '', statuses = ''] = line.split('\t');
      const list = (s: string) => (s === '-' || s === '' ? [] : s.split(/\s*[,:]\s+/).map((x) => x.trim()));
      return {
        method,
        uri,
        status: Number(status),
        requestId: requestId === '-' ? '' : requestId,
        upstreams: list(addr),
        upstreamStatuses: list(statuses).map(Number),
      };
    });
}

/** The `server host:port …;` entries of `upstream name { … }` in a site (`host:port` only). */
export function upstreamServers(site: string, name: string): string[] {
  const block = new RegExp(`upstream\\s+${name}\\s*\\{([^}]*)\\}`).exec(site)?.[1];
  if (block === undefined) throw new Error(`no upstream ${name}`);
  return [...block.matchAll(/^\s*server\s+(\S+?)[\s;]/gm)].map((m) => m[1]!);
}

/** The site with every upstream server `host:port` replaced through `to` (the names docker-compose resolves, here loopback ports). */
export function mapUpstreams(site: string, to: (hostPort: string) => string): string {
  return site.replace(/(upstream\s+\S+\s*\{)([^}]*)(\})/g, (_, open: string, body: string, close: string) =>
    open + body.replace(/^(\s*server\s+)(\S+?)([\s;])/gm, (_m, head: string, hostPort: string, tail: string) => `${head}${to(hostPort)}${tail}`) + close,
  );
}
