import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './machine.js';
import type { Scenario } from './scenario.js';
import { median, round } from './stats.js';

/**
 * The stores under abuse, against a real server process (the figures issue 9 asks for):
 *
 * - RSS and disk after N distinct anonymous `/run` sources (default 20,000): every source is a
 *   new pipeline image; the lifecycle of unnamed images keeps both bounded;
 * - start-up time with that data directory (and with an empty one, for reference);
 * - RSS after large anonymous sources (thirty of 8 MB by default): the highest reading during
 *   the burst (garbage the collector has not taken yet) and the reading two seconds later;
 * - listing time with M suspended executions (default 10,000): 16 listings in parallel, each
 *   walking every page (`nextCursor`), and a single first page; start-up time with them.
 *
 * `node dist/bench/stores.js [--quick] [--sources=N] [--suspensions=M] [--large=K]` prints the
 * scenarios as JSON and writes them to bench/results/stores.json; `npm run bench` runs it as the
 * `stores` group (in a quick run only with `--only=stores`). Loopback only.
 */

const dist = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Server {
  readonly port: number;
  readonly pid: number;
  readonly startupMs: number;
  stop(): Promise<void>;
}

async function startServer(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [dist('../server/main.js')], {
    env: {
      ...process.env,
      CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_LOG_LEVEL: 'info',
      CONSTELLATION_LOG_FORMAT: 'json', CONSTELLATION_WORKERS: '1', ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 120_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /"port":(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
  const startupMs = performance.now() - started;
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    pid: child.pid!,
    startupMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Bytes the directory takes on disk (allocated blocks, as `du`). */
function diskMiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else bytes += statSync(p).blocks * 512;
    }
  };
  walk(dir);
  return bytes / 1024 / 1024;
}

async function post(port: number, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/** Runs `count` requests, `concurrency` at a time. */
async function pool(count: number, concurrency: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

/** Every page of GET /executions (one page on a server that does not page). */
async function listAll(port: number): Promise<number> {
  let cursor: string | null = null;
  let n = 0;
  do {
    const r = await fetch(`http://127.0.0.1:${port}/executions${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    const body = (await r.json()) as { executions: unknown[]; nextCursor?: string | null };
    n += body.executions.length;
    cursor = body.nextCursor ?? null;
  } while (cursor !== null);
  return n;
}

const settle = () => new Promise((r) => setTimeout(r, 2000));

export async function runStoresBench(opts: { quick: boolean; sources?: number; suspensions?: number; large?: number }): Promise<Scenario[]> {
  const sources = opts.sources ?? (opts.quick ? 2000 : 20_000);
  const suspensions = opts.suspensions ?? (opts.quick ? 1000 : 10_000);
  const large = opts.large ?? (opts.quick ? 4 : 30);
  const log = (m: string) => process.stderr.write(`[bench] stores: ${m}\n`);
  const scenarios: Scenario[] = [];
  const tool = 'server process';

  const emptyDir = mkdtempSync(join(tmpdir(), 'constellation-bench-stores-empty-'));
  const anonDir = mkdtempSync(join(tmpdir(), 'constellation-bench-stores-anon-'));
  const suspDir = mkdtempSync(join(tmpdir(), 'constellation-bench-stores-susp-'));
  const largeDir = mkdtempSync(join(tmpdir(), 'constellation-bench-stores-large-'));
  try {
    const empty = await startServer(emptyDir);
    const idleRss = rssMiB(empty.pid);
    await empty.stop();
    const emptyAgain = await startServer(emptyDir);
    const emptyStartup = emptyAgain.startupMs;
    await emptyAgain.stop();

    // ---------------------------------------------------------------- anonymous /run sources
    log(`${sources} anonymous /run sources`);
    let server = await startServer(anonDir);
    await pool(sources, 8, async (i) => {
      const r = await post(server.port, '/run', { source: `in x: Int\ny = x * 2 + ${i}\nz = y - ${i % 7}\nout z`, inputs: { x: 1 } });
      if (r.status !== 200) throw new Error(`/run answered ${r.status}: ${JSON.stringify(r.body)}`);
    });
    await settle();
    const anonRss = rssMiB(server.pid);
    await server.stop();
    const anonDisk = diskMiB(anonDir);
    server = await startServer(anonDir);
    const anonStartup = server.startupMs;
    const anonRssAfterRestart = rssMiB(server.pid);
    await server.stop();
    scenarios.push({ name: 'stores-anon-runs-rss', unit: 'MiB', value: round(anonRss, 1), peers: { idle: round(idleRss, 1), 'after-restart': round(anonRssAfterRestart, 1) }, tool, note: `RSS after ${sources} distinct anonymous /run sources` });
    scenarios.push({ name: 'stores-anon-runs-disk', unit: 'MiB', value: round(anonDisk, 1), tool, note: `data directory after ${sources} distinct anonymous /run sources` });
    scenarios.push({ name: 'stores-anon-runs-startup', unit: 'ms', value: round(anonStartup, 0), peers: { 'empty-data-dir': round(emptyStartup, 0) }, tool, note: `spawn to listening with the data directory of ${sources} anonymous sources` });

    // ---------------------------------------------------------------- large anonymous sources
    log(`${large} anonymous /run sources of 8 MB`);
    server = await startServer(largeDir);
    const filler = 'x'.repeat(8 * 1024 * 1024);
    let peak = 0;
    await pool(large, 2, async (i) => {
      const r = await post(server.port, '/run', { source: `in x: Int\ns = "${i}${filler}"\nn = stdlib.string.string-length(s)\nout n`, inputs: { x: 1 } });
      if (r.status !== 200) throw new Error(`/run answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      peak = Math.max(peak, rssMiB(server.pid));
    });
    await settle();
    const largeRss = rssMiB(server.pid);
    await server.stop();
    const largeDisk = diskMiB(largeDir);
    server = await startServer(largeDir);
    const largeRssAfterRestart = rssMiB(server.pid);
    await server.stop();
    scenarios.push({
      name: 'stores-large-runs-rss', unit: 'MiB', value: round(largeRss, 1),
      peers: { idle: round(idleRss, 1), 'peak-during': round(peak, 1), 'after-restart': round(largeRssAfterRestart, 1), 'disk-MiB': round(largeDisk, 1) },
      tool, note: `RSS 2 s after ${large} anonymous /run sources of 8 MB each`,
    });

    // ---------------------------------------------------------------- suspended executions
    log(`${suspensions} suspended executions`);
    server = await startServer(suspDir, { CONSTELLATION_SUSPENSION_MAX_ENTRIES: String(suspensions + 10) });
    const source = 'in a: Int\nin b: Int\nc = a * 3\nd = c + b\nout c\nout d';
    await pool(suspensions, 8, async (i) => {
      const r = await post(server.port, '/run', { source, inputs: { a: i } });
      if (r.status !== 200 || r.body.status !== 'suspended') throw new Error(`/run answered ${r.status}: ${JSON.stringify(r.body)}`);
    });
    await settle();
    const listed = await listAll(server.port);
    if (listed !== suspensions) throw new Error(`GET /executions listed ${listed} of ${suspensions}`);
    const rssBefore = rssMiB(server.pid);
    const firstPage: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await (await fetch(`http://127.0.0.1:${server.port}/executions`)).arrayBuffer();
      firstPage.push(performance.now() - t);
    }
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 16 }, () => listAll(server.port)));
    const parallelAll = performance.now() - t0;
    const rssAfter = rssMiB(server.pid);
    await server.stop();
    server = await startServer(suspDir, { CONSTELLATION_SUSPENSION_MAX_ENTRIES: String(suspensions + 10) });
    const suspStartup = server.startupMs;
    const t1 = performance.now();
    await (await fetch(`http://127.0.0.1:${server.port}/executions`)).arrayBuffer();
    const firstListAfterRestart = performance.now() - t1;
    await server.stop();
    scenarios.push({ name: 'stores-list-executions-16-parallel', unit: 'ms', value: round(parallelAll, 0), peers: { 'rss-growth-MiB': round(rssAfter - rssBefore, 1) }, tool, note: `16 parallel listings of all ${suspensions} suspended executions (every page)` });
    scenarios.push({ name: 'stores-list-executions-first-page', unit: 'ms', value: round(median(firstPage), 1), peers: { 'first-after-restart': round(firstListAfterRestart, 1) }, tool, note: `GET /executions with ${suspensions} stored (median of 5)` });
    scenarios.push({ name: 'stores-suspensions-startup', unit: 'ms', value: round(suspStartup, 0), peers: { 'empty-data-dir': round(emptyStartup, 0) }, tool, note: `spawn to listening with ${suspensions} suspended executions stored` });
  } finally {
    for (const d of [emptyDir, anonDir, suspDir, largeDir]) rmSync(d, { recursive: true, force: true });
  }
  return scenarios;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  const args = process.argv.slice(2);
  const num = (name: string) => {
    const a = args.find((x) => x.startsWith(`--${name}=`));
    return a === undefined ? undefined : Number(a.slice(name.length + 3));
  };
  const opts: { quick: boolean; sources?: number; suspensions?: number; large?: number } = { quick: args.includes('--quick') };
  for (const k of ['sources', 'suspensions', 'large'] as const) {
    const v = num(k);
    if (v !== undefined) opts[k] = v;
  }
  const loadBefore = loadavg();
  runStoresBench(opts).then(
    (scenarios) => {
      // the machine's load average (1, 5, 15 min) before and after: start-up times move with it
      const text = JSON.stringify({ machine: machine(), load: { before: loadBefore, after: loadavg() }, options: opts, scenarios }, null, 2) + '\n';
      const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}stores.json`, text);
      process.stdout.write(text);
    },
    (e: unknown) => {
      process.stderr.write(`[bench] stores failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
