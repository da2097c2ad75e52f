import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { closedPort, OK_SOURCE, parseJson, Scratch, startStub } from './support.js';
import { FAULTS_JS } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * `constellation server …` against a real server started in this process (health, metrics,
 * pipelines, executions, server URL precedence, connection errors, auth), plus a stub HTTP server
 * for the replies a healthy server does not give (409, 503, unparsable, wrong shape).
 */

describe('constellation server (real server)', () => {
  let s: Scratch;
  let srv: TestServer;
  let slowSrv: TestServer;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    srv = await startServer();
    slowSrv = await startServer({ env: { CONSTELLATION_MODULES: FAULTS_JS } });
  });
  after(async () => {
    await slowSrv.close();
    await srv.close();
    await s.remove();
  });

  test('health → 0', async () => {
    const r = await s.run(['server', 'health', '--server', srv.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✓ server healthy \(ok\)/);
    assert.deepEqual(parseJson((await s.run(['server', 'health', '-s', srv.url, '-j'])).stdout), { success: true, health: { status: 'ok' } });
  });

  test('--verbose shows the HTTP exchange on stderr, keeping stdout clean', async () => {
    const r = await s.run(['server', 'health', '--server', srv.url, '-v', '--json']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /→ GET http:\/\/127\.0\.0\.1:\d+\/health/);
    assert.match(r.stderr, /← 200/);
    assert.equal(parseJson(r.stdout).success, true);
  });

  test('metrics → 0, human summary and JSON', async () => {
    const r = await s.run(['server', 'metrics', '--server', srv.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^uptime\s+\d+ s$/m);
    assert.match(r.stdout, /^requests\s+\d+$/m);
    const j = parseJson((await s.run(['server', 'metrics', '--server', srv.url, '--json'])).stdout);
    assert.equal(typeof j.metrics.server.requests_total, 'number');
  });

  test('pipelines, pipelines show <ref>, and 404 → 5', async () => {
    assert.equal((await s.run(['compile', 'ok.cst', '--server', srv.url])).code, 0);
    const list = await s.run(['server', 'pipelines', '--server', srv.url]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^[0-9a-f]{12} {2}ok {2}outputs: greeting, total/m);
    const j = parseJson((await s.run(['server', 'pipelines', '--server', srv.url, '--json', '-n', '1'])).stdout);
    assert.equal(j.pipelines.length, 1);
    const show = await s.run(['server', 'pipelines', 'show', 'ok', '--server', srv.url]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^aliases\s+ok$/m);
    assert.match(show.stdout, /^input\s+name: String$/m);
    assert.match(show.stdout, /^output\s+total: Int$/m);
    const byHash = await s.run(['server', 'pipelines', 'show', `sha256:${j.pipelines[0].structuralHash}`, '--server', srv.url]);
    assert.equal(byHash.code, 0, byHash.stderr);
    const missing = await s.run(['server', 'pipelines', 'show', 'no-such-pipeline', '--server', srv.url]);
    assert.equal(missing.code, 5);
    assert.match(missing.stderr, /404: Pipeline 'no-such-pipeline' not found/);
  });

  test('executions list / show / delete, and 404 → 5', async () => {
    const run = parseJson((await s.run(['run', 'ok.cst', '--server', srv.url, '-i', 'name=x', '--json'])).stdout);
    assert.equal(run.status, 'suspended');
    const id = run.executionId as string;
    const list = await s.run(['server', 'executions', 'list', '--server', srv.url]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.includes(id), list.stdout);
    assert.match(list.stdout, /missing: n: Int/);
    const show = await s.run(['server', 'executions', 'show', id, '--server', srv.url]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^missing input\s+n: Int$/m);
    const del = await s.run(['server', 'executions', 'delete', id, '--server', srv.url, '--json']);
    assert.equal(del.code, 0, del.stdout);
    assert.equal(parseJson(del.stdout).success, true);
    assert.equal((await s.run(['server', 'executions', 'show', id, '--server', srv.url])).code, 5);
    assert.equal((await s.run(['server', 'executions', 'delete', id, '--server', srv.url])).code, 5);
  });

  test('run --async starts on the server; executions show follows it; cancel stops a running one (404 → 5, 409 → 6)', async () => {
    await s.write('slow.cst', 'in ms: Int\nr = Sleep(ms)\nout r\n');
    const local = await s.run(['run', 'ok.cst', '--async']);
    assert.equal(local.code, 10, 'no server: a usage error');
    const started = await s.run(['run', 'ok.cst', '--server', srv.url, '--async', '-i', 'name=x', '-i', 'n=2']);
    assert.equal(started.code, 0, started.stderr);
    const id = /started execution ([0-9a-f-]{36})/.exec(started.stdout)?.[1];
    assert.ok(id, started.stdout);
    let show;
    for (let i = 0; i < 100; i++) {
      show = await s.run(['server', 'executions', 'show', id, '--server', srv.url]);
      if (/^status\s+completed$/m.test(show.stdout)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(show!.stdout, /^status\s+completed$/m);
    assert.match(show!.stdout, /^output\s+total: /m);
    assert.match(show!.stdout, /^finished at\s+\d{4}-/m);

    const slow = parseJson((await s.run(['run', 'slow.cst', '--server', slowSrv.url, '--async', '-i', 'ms=10000', '--json'])).stdout);
    assert.equal(slow.status, 'running');
    const running = await s.run(['server', 'executions', 'show', slow.executionId, '--server', slowSrv.url]);
    assert.match(running.stdout, /^status\s+running$/m);
    assert.match(running.stdout, /^node\s+ms: completed/m);
    const cancel = await s.run(['server', 'executions', 'cancel', slow.executionId, '--server', slowSrv.url]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /cancelled execution/);
    assert.equal((await s.run(['server', 'executions', 'cancel', id, '--server', srv.url])).code, 6, 'finished: 409');
    assert.equal((await s.run(['server', 'executions', 'cancel', '00000000-0000-4000-8000-000000000000', '--server', srv.url])).code, 5);
  });

  test('bad subcommands and arguments are usage errors', async () => {
    for (const args of [['server'], ['server', 'frob'], ['server', 'health', 'extra'], ['server', 'executions'], ['server', 'executions', 'show'], ['server', 'executions', 'list', '-n', 'abc'], ['server', 'health', '-n', '2']]) {
      const r = await s.run([...args, '--server', srv.url]);
      assert.equal(r.code, 10, `${args.join(' ')}: ${r.stderr}`);
    }
  });

  test('server URL: flag > CONSTELLATION_SERVER_URL > config file', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    assert.equal((await s.run(['server', 'health'], { env: { CONSTELLATION_SERVER_URL: srv.url } })).code, 0);
    assert.equal((await s.run(['server', 'health', '--server', srv.url], { env: { CONSTELLATION_SERVER_URL: closed } })).code, 0);
    assert.equal((await s.run(['server', 'health', '--server', closed], { env: { CONSTELLATION_SERVER_URL: srv.url } })).code, 3);
    await mkdir(s.path('.constellation'), { recursive: true });
    await writeFile(s.path('.constellation/config.json'), JSON.stringify({ server: { url: srv.url } }));
    assert.equal((await s.run(['server', 'health'])).code, 0);
    assert.equal((await s.run(['server', 'health'], { env: { CONSTELLATION_SERVER_URL: closed } })).code, 3);
    assert.equal((await s.run(['server', 'health'], { env: { CONSTELLATION_SERVER_URL: 'ftp://x' } })).code, 10);
  });

  test('connection refused → 3', async () => {
    const r = await s.run(['server', 'health', '--server', `http://127.0.0.1:${await closedPort()}`]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot connect to http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    const j = await s.run(['server', 'pipelines', '--json', '--server', `http://127.0.0.1:${await closedPort()}`]);
    assert.equal(j.code, 3);
    assert.equal(parseJson(j.stdout).success, false);
  });
});

describe('constellation server (auth)', () => {
  const ADMIN = 'cli-test-admin-key-0123456789';
  const READER = 'cli-test-reader-key-0123456789';
  let s: Scratch;
  let srv: TestServer;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    srv = await startServer({ env: { CONSTELLATION_API_KEYS: `${ADMIN}:Admin,${READER}:ReadOnly` } });
  });
  after(async () => {
    await srv.close();
    await s.remove();
  });

  test('missing or wrong token → 4; public health needs none', async () => {
    const none = await s.run(['server', 'pipelines', '--server', srv.url]);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /401/);
    assert.equal((await s.run(['server', 'pipelines', '--server', srv.url, '--token', 'wrong-key-wrong-key-wrong-key'])).code, 4);
    assert.equal((await s.run(['server', 'health', '--server', srv.url])).code, 0);
  });

  test('a valid token from --token or CONSTELLATION_TOKEN is sent as Bearer', async () => {
    assert.equal((await s.run(['server', 'pipelines', '--server', srv.url, '--token', ADMIN])).code, 0);
    assert.equal((await s.run(['server', 'pipelines', '-s', srv.url, '-t', ADMIN])).code, 0);
    assert.equal((await s.run(['server', 'pipelines', '--server', srv.url], { env: { CONSTELLATION_TOKEN: ADMIN } })).code, 0);
    assert.equal((await s.run(['compile', 'ok.cst', '--server', srv.url], { env: { CONSTELLATION_TOKEN: ADMIN } })).code, 0);
  });

  test('a blank --token is not sent; a read-only key cannot POST (403 → 4)', async () => {
    assert.equal((await s.run(['server', 'pipelines', '--server', srv.url, '--token', '  '], { env: { CONSTELLATION_TOKEN: ADMIN } })).code, 4);
    const forbidden = await s.run(['compile', 'ok.cst', '--server', srv.url, '--token', READER]);
    assert.equal(forbidden.code, 4);
    assert.match(forbidden.stderr, /403/);
  });
});

describe('constellation server (unusual replies, stub server)', () => {
  let s: Scratch;
  let stub: { url: string; close(): Promise<void> };
  before(async () => {
    s = await Scratch.create();
    stub = await startStub((req, res) => {
      const send = (status: number, body: string, type = 'application/json') => res.writeHead(status, { 'content-type': type }).end(body);
      if (req.url === '/health') return send(503, '{"status":"draining"}');
      if (req.url === '/pipelines') return send(200, '<html>not json</html>', 'text/html');
      if (req.url === '/executions') return send(200, '{"executions": [{"nope": 1}]}');
      if (req.url === '/metrics') return send(500, '{"success":false,"error":"Unexpected error: boom"}');
      if (req.method === 'DELETE') return send(409, '{"error":"ResumeInProgress","message":"A resume operation is already in progress"}');
      return send(404, 'Not found', 'text/plain');
    });
  });
  after(async () => {
    await stub.close();
    await s.remove();
  });

  test('503 from /health: server unhealthy → 2', async () => {
    const r = await s.run(['server', 'health', '--server', stub.url]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unhealthy: draining/);
  });

  test('409 → 6 with the reply message', async () => {
    const r = await s.run(['server', 'executions', 'delete', 'abc', '--server', stub.url]);
    assert.equal(r.code, 6);
    assert.match(r.stderr, /409: A resume operation is already in progress/);
  });

  test('an unparsable or ill-shaped reply → 2; a 500 → 2 with its error text; raw 404 → 5', async () => {
    const html = await s.run(['server', 'pipelines', '--server', stub.url]);
    assert.equal(html.code, 2);
    assert.match(html.stderr, /unparsable pipelines reply/);
    const shape = await s.run(['server', 'executions', 'list', '--server', stub.url]);
    assert.equal(shape.code, 2);
    assert.match(shape.stderr, /unexpected executions reply .*executionId/);
    const boom = await s.run(['server', 'metrics', '--server', stub.url]);
    assert.equal(boom.code, 2);
    assert.match(boom.stderr, /500: Unexpected error: boom/);
    const raw = await s.run(['server', 'pipelines', 'show', 'x', '--server', stub.url]);
    assert.equal(raw.code, 5);
    assert.match(raw.stderr, /404: Not found/);
  });
});
