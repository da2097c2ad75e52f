import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Load generation with wrk (Debian package), loopback only. Returns requests/s and latency
 * percentiles from wrk's own latency distribution.
 */

export interface LoadResult {
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly tool: 'wrk';
}

/**
 * Makes sure wrk is on the PATH. On a fresh Debian machine it is installed with apt-get (as the
 * project's tests install nats-server); elsewhere a clear message says what to install.
 */
export function ensureWrk(log: (m: string) => void): void {
  const has = () => spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (has()) return;
  log('wrk not found: installing it with apt-get (Debian package "wrk")');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => spawnSync(sudo[0] ?? args[0]!, sudo.length ? args : args.slice(1), { stdio: 'inherit' });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', 'wrk']);
  if (!has()) throw new Error('the HTTP benchmarks need wrk: install it (apt-get install -y wrk) and run again');
}

const tmp = mkdtempSync(join(tmpdir(), 'constellation-bench-'));
let scriptCounter = 0;

function luaScript(method: string, body: string | undefined): string {
  const path = join(tmp, `req-${++scriptCounter}.lua`);
  const lines = [`wrk.method = ${JSON.stringify(method)}`, 'wrk.headers["Content-Type"] = "application/json"'];
  if (body !== undefined) lines.push(`wrk.body = ${JSON.stringify(body)}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  switch (unit) {
    case 'us': return v / 1000;
    case 'ms': return v;
    case 's': return v * 1000;
    case 'm': return v * 60_000;
  }
  return NaN;
}

export async function wrk(url: string, options: { method?: string; body?: string; connections?: number; seconds: number; threads?: number }): Promise<LoadResult> {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error('load generation is loopback-only');
  const script = luaScript(options.method ?? 'GET', options.body);
  const args = ['-t', String(options.threads ?? 1), '-c', String(options.connections ?? 64), '-d', `${options.seconds}s`, '--latency', '-s', script, url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const lat = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50_ms: lat('50'), p99_ms: lat('99'), errors, non2xx, tool: 'wrk' };
}
