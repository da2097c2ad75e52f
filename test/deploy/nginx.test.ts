import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { deployFiles, readRepoFile } from '../helpers/deploy.js';
import { rawRequest, request, sleep, tempDir } from '../helpers/http.js';
import { connectClient, initialize, open, openSocket, startLspServer, type LspServer } from '../helpers/lsp.js';
import { checkSite, mapUpstreams, NGINX, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { startServer } from '../helpers/server.js';
import { DEFAULT_LSP_SETTINGS } from '../../server/lsp/settings.js';

/**
 * The shipped nginx sites with a real nginx from Debian. In front of a real server, the
 * one-instance site (deploy/nginx/constellation.conf): HTTP/1.0 clients — which the
 * uWebSockets.js build never answers directly — get their answers through it, because it talks
 * HTTP/1.1 upstream (without `proxy_http_version 1.1`, nginx's default 1.0, every request ends in
 * 504: the reason the README and the sites insist on it); the language server and the live-events
 * WebSocket upgrade through it and stay open; a client cannot pick its own address for the rate
 * limits. Every
 * other site (the cluster's, each load-balancing strategy in it) passes `nginx -t`; they run in
 * front of three instances in cluster-nginx.test.ts.
 */

const SINGLE = 'deploy/nginx/constellation.conf';
const CLUSTER = 'deploy/nginx/cluster.conf';

/** `location` blocks of a site: path → body. */
function locations(site: string): Map<string, string> {
  return new Map([...site.matchAll(/location\s+(?:=\s*)?(\S+)\s*\{([^}]*)\}/g)].map((m) => [m[1]!, m[2]!]));
}

const seconds = (body: string, directive: string) => Number(new RegExp(`${directive}\\s+(\\d+)s;`).exec(body)?.[1] ?? 60);

describe('nginx sites', () => {
  let dir: string;
  before(() => {
    assert.ok(existsSync(NGINX), `${NGINX} is missing: test/run.sh installs it (apt-get install -y nginx-light)`);
    dir = tempDir('constellation-nginx-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every site, and the cluster site with each strategy in place of its upstream, passes nginx -t', () => {
    const sites = deployFiles().filter((f) => f.startsWith('deploy/nginx/') && f.endsWith('.conf'));
    const strategies = sites.filter((f) => f.includes('/strategies/'));
    assert.ok(strategies.length >= 3, 'least_conn, weighted, ip_hash');
    const loopback = (site: string) => mapUpstreams(site, () => '127.0.0.1:1');
    for (const file of sites.filter((f) => !strategies.includes(f))) checkSite(join(dir, file.replace(/\W/g, '_')), loopback(readRepoFile(file)));
    const cluster = readRepoFile(CLUSTER);
    for (const file of strategies) {
      const upstream = readRepoFile(file).replace(/^#.*\n/gm, '');
      assert.match(upstream, /^upstream constellation \{/m, `${file} is an upstream constellation block`);
      checkSite(join(dir, file.replace(/\W/g, '_')), loopback(cluster.replace(/upstream constellation \{[^}]*\}/, upstream.trim())));
    }
    // and nginx -t does fail on a broken site
    assert.throws(() => checkSite(join(dir, 'broken'), loopback(cluster.replace('proxy_next_upstream_tries 3;', 'proxy_next_upstream_tries;'))), /nginx -t failed/);
  });

  test('every site speaks HTTP/1.1 upstream, passes WebSocket upgrades and keeps sockets open an hour', () => {
    for (const file of [SINGLE, CLUSTER]) {
      const site = readRepoFile(file);
      assert.match(site, /^\s*proxy_http_version 1\.1;/m, file);
      assert.match(site, /proxy_set_header Upgrade \$http_upgrade;/, file);
      assert.match(site, /proxy_set_header Connection \$constellation_connection;/, file);
      const at = locations(site);
      for (const path of ['/lsp', '/api/v1/executions/events']) {
        const body = at.get(path);
        assert.ok(body, `${file}: location ${path}`);
        assert.ok(seconds(body, 'proxy_read_timeout') >= 3600 && seconds(body, 'proxy_send_timeout') >= 3600, `${file}: ${path} stays open`);
        // the server closes an idle language-server socket itself: nginx must not cut it first
        assert.ok(seconds(body, 'proxy_read_timeout') > DEFAULT_LSP_SETTINGS.idleTimeoutSeconds, `${file}: ${path} outlasts the server's idle timeout`);
      }
      assert.match(site, /proxy_set_header X-Forwarded-For \$remote_addr;/, `${file}: the client's own X-Forwarded-For is replaced`);
    }
  });

  describe('one instance behind deploy/nginx/constellation.conf', () => {
    let s: LspServer;
    let proxy: RunningNginx;
    const started: RunningNginx[] = [];
    const site = (port: number) => mapUpstreams(readRepoFile(SINGLE), () => `127.0.0.1:${port}`);

    before(async () => {
      s = await startLspServer();
      proxy = await startNginx(join(dir, 'single'), site(s.port));
      started.push(proxy);
    });
    after(async () => {
      for (const p of started) await p.stop();
      await s.close();
    });

    test('the language server answers through nginx: initialize, then diagnostics of an open document', async () => {
      const client = await connectClient(`ws://127.0.0.1:${proxy.port}/lsp`);
      try {
        const init = await initialize(client);
        assert.ok(init.capabilities.textDocumentSync, JSON.stringify(init));
        const uri = 'file:///nginx.cst';
        const diagnostics = client.nextDiagnostics(uri, (d) => d.length > 0);
        await open(client, uri, 'in x: Int\ny = x + nope\nout y');
        assert.match(JSON.stringify(await diagnostics), /nope/);
      } finally {
        await client.close();
      }
    });

    test('HTTP/1.0 clients are answered at once through nginx', async () => {
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
      const broken = site(s.port)
        .replace(/\s*proxy_http_version 1\.1;/, '')
        .replace(/proxy_read_timeout \d+s;/g, 'proxy_read_timeout 1s;');
      const p = await startNginx(join(dir, 'http10'), broken);
      started.push(p);
      const health = await rawRequest(p.port, 'GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 5_000);
      assert.equal(health?.status, 504, health?.head);
    });

    test('the live-events WebSocket upgrades through nginx, stays open and carries the events of later runs', async () => {
      const ws = await openSocket(`ws://127.0.0.1:${proxy.port}/api/v1/executions/events`);
      const events: { type: string; executionId: string }[] = [];
      ws.on('message', (data) => events.push(JSON.parse(String(data))));
      try {
        const runAndWait = async () => {
          const r = await request(proxy.port, '/run', { method: 'POST', body: { source: 'in x: Int\ny = x + 1\nout y', inputs: { x: 1 } } });
          assert.equal(r.status, 200, r.text);
          const id = r.json.executionId as string;
          for (let i = 0; i < 100 && !events.some((e) => e.executionId === id && e.type === 'execution:complete'); i++) await sleep(20);
          return events.filter((e) => e.executionId === id).map((e) => e.type);
        };
        const first = await runAndWait();
        assert.equal(first[0], 'execution:start');
        assert.equal(first.at(-1), 'execution:complete');
        // quiet for a while (the sockets' timeouts are an hour; nothing in between closes it)
        await sleep(1_500);
        ws.send('ping');
        assert.equal(ws.readyState, WebSocket.OPEN);
        assert.equal((await runAndWait()).at(-1), 'execution:complete', 'still delivering');
      } finally {
        ws.close();
      }
    });

    test("a client's own X-Forwarded-For does not reach the server: it cannot pick a fresh rate-limit bucket", async () => {
      // trusting X-Forwarded-For, with a rate limit of two requests per address
      const limited = await startServer({ env: { CONSTELLATION_TRUST_PROXY: 'true', CONSTELLATION_RATE_LIMIT_RPM: '1', CONSTELLATION_RATE_LIMIT_BURST: '2' } });
      try {
        const p = await startNginx(join(dir, 'limited'), site(limited.port));
        started.push(p);
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push((await request(p.port, '/modules', { headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status);
        assert.deepEqual(statuses, [200, 200, 429], 'nginx replaced the header: one address, one bucket of two');
        // straight to the server the header picks the bucket (why the proxy must replace it)
        const direct: number[] = [];
        for (let i = 0; i < 3; i++) direct.push((await request(limited.port, '/modules', { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status);
        assert.deepEqual(direct, [200, 200, 200]);
      } finally {
        await limited.close();
      }
    });
  });
});
