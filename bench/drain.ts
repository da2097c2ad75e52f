import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoad, type LoadOutcome } from './keepalive-load.js';

/**
 * `node dist/bench/drain.js [--server=path/to/server/main.js] [--connections=32] [--drain=1s]`:
 * SIGTERM under load. Keep-alive clients run `/execute` of a 50 ms pipeline and reconnect as
 * HTTP clients do; after 1.5 s the server gets SIGTERM. Prints how every request ended (see
 * keepalive-load.ts) and how long the process took to exit. `--server` points at another
 * build's main.js to compare (its fixtures must be built beside it).
 */

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const mainJs = args['server'] ?? fileURLToPath(new URL('../server/main.js', import.meta.url));
const faults = join(mainJs, '../../test/fixtures/modules/faults.js');
const connections = Number(args['connections'] ?? 32);
const drain = args['drain'] ?? '1s';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'constellation-drain-bench-'));
  const child = spawn(process.execPath, [mainJs], {
    env: { ...process.env, CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_LOG_FORMAT: 'json', CONSTELLATION_DRAIN_TIMEOUT: drain, CONSTELLATION_MODULES: faults },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  const compiled = await fetch(`http://127.0.0.1:${port}/compile`, { method: 'POST', body: JSON.stringify({ source: 'in ms: Int\nr = Sleep(ms)\nout r', name: 'slow' }) });
  if (!compiled.ok) throw new Error(`compile failed: ${await compiled.text()}`);
  const body = JSON.stringify({ ref: 'slow', inputs: { ms: 50 } });
  const load = startLoad({ port, connections, request: `POST /execute HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` });
  await new Promise((r) => setTimeout(r, 1500));
  const before: LoadOutcome = { ...load.outcome };
  const t0 = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const exitMs = Math.round(performance.now() - t0);
  await Promise.race([load.ended, new Promise((r) => setTimeout(r, 2000))]);
  await load.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const after = load.outcome;
  const during = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof LoadOutcome]]));
  process.stdout.write(JSON.stringify({ server: mainJs, connections, drain, exitCode: code, exitMs, beforeSignal: before, afterSignal: during }, null, 1) + '\n');
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
