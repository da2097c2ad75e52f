import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { rawRequest, sleep, tempDir } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * The shipped nginx configuration (deploy/nginx/constellation.conf) in front of a real server,
 * with a real nginx from Debian (test/run.sh installs nginx-light when it is missing): HTTP/1.0
 * clients — which the uWebSockets.js build never answers directly — get their answers through
 * it, because it talks HTTP/1.1 upstream. Without `proxy_http_version 1.1` (nginx's default is
 * 1.0) every request ends in 504: the reason the README and the config insist on it.
 */

const NGINX = '/usr/sbin/nginx';
const SHIPPED = fileURLToPath(new URL('../../../deploy/nginx/constellation.conf', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startNginx(dir: string, site: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { recursive: true });
  const conf = [
    'daemon off;', 'master_process off;', 'worker_processes 1;', `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 64; }',
    'http {', '  access_log off;',
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((d) => `  ${d === 'body' ? 'client_body' : d}_temp_path ${join(dir, d)};`),
    site.replace(/listen 80;/, `listen 127.0.0.1:${port};`),
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return { port, child };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not start: ${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`);
}

describe('behind nginx (the shipped configuration)', () => {
  let s: TestServer;
  let dir: string;
  const nginx: ChildProcess[] = [];
  before(async () => {
    assert.ok(existsSync(NGINX), `${NGINX} is missing: test/run.sh installs it (apt-get install -y nginx-light)`);
    s = await startServer();
    dir = tempDir('constellation-nginx-');
  });
  after(async () => {
    for (const child of nginx) child.kill('SIGKILL');
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const shipped = () => readFileSync(SHIPPED, 'utf8').replace('server 127.0.0.1:8080;', `server 127.0.0.1:${s.port};`);

  test('HTTP/1.0 clients are answered at once through nginx', async () => {
    const proxy = await startNginx(join(dir, 'shipped'), shipped());
    nginx.push(proxy.child);
    const t0 = performance.now();
    const health = await rawRequest(proxy.port, 'GET /health HTTP/1.0\r\nHost: t\r\n\r\n', 5_000);
    assert.equal(health?.status, 200, health?.head);
    assert.deepEqual(health?.json, { status: 'ok' });
    const body = JSON.stringify({ source: 'in x: Int\ny = x * 2\nout y', inputs: { x: 21 } });
    const run = await rawRequest(proxy.port, `POST /run HTTP/1.0\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 5_000);
    assert.equal(run?.status, 200, run?.head);
    assert.deepEqual(run?.json.outputs, { y: 42 });
    assert.ok(performance.now() - t0 < 2_000, 'answered without waiting for a timeout');
  });

  test("without proxy_http_version 1.1 (nginx's default 1.0) requests end in 504", async () => {
    const site = shipped().replace(/\s*proxy_http_version 1\.1;/, '').replace(/proxy_read_timeout \d+s;/, 'proxy_read_timeout 1s;');
    const proxy = await startNginx(join(dir, 'default'), site);
    nginx.push(proxy.child);
    const health = await rawRequest(proxy.port, 'GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 5_000);
    assert.equal(health?.status, 504, health?.head);
  });
});
