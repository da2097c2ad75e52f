import assert from 'node:assert/strict';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { abortProbe } from '../fixtures/modules/abort-probe.js';
import { request, sleep, spawnServer, tempDir, type SpawnedServer } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * HTTP edges seen by a hostile or unusual client, over raw sockets: pipelined requests, request
 * smuggling through ambiguous framing, a 413 that must reach a client still uploading, and a
 * client that goes away while its execution runs.
 */

const ABORT_PROBE_JS = fileURLToPath(new URL('../fixtures/modules/abort-probe.js', import.meta.url));

/** Writes `data` on a fresh connection; collects every byte until the server closes it or `ms` pass. */
function exchange(port: number, data: string, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(data));
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed });
    }, ms);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closed });
    });
  });
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

function post(path: string, body: string, extraHeaders = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;
}

describe('HTTP edges over raw sockets', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { CONSTELLATION_MODULES: ABORT_PROBE_JS } });
  });
  after(() => s.close());

  test('pipelining: safe requests are answered in order; a request with side effects followed by another is not performed', async () => {
    const reads = await exchange(s.port, 'GET /health HTTP/1.1\r\nHost: t\r\n\r\nGET /health/live HTTP/1.1\r\nHost: t\r\n\r\nGET /pipelines/none HTTP/1.1\r\nHost: t\r\n\r\n', 500);
    assert.deepEqual(statuses(reads.text), [200, 200, 404]);
    assert.ok(reads.text.indexOf('"ok"') < reads.text.indexOf('"alive"'), 'in order');

    // uWebSockets.js drops a connection when a request arrives while an earlier one awaits an
    // asynchronous answer: the compile must then not have happened
    const compile = JSON.stringify({ source: 'in x: Int\nout x', name: 'piped' });
    const piped = await exchange(s.port, post('/compile', compile) + 'GET /health HTTP/1.1\r\nHost: t\r\n\r\n');
    const answered = statuses(piped.text);
    if (answered.length === 0) {
      assert.ok(piped.closed, 'closed without an answer');
      await sleep(300); // time for work the server might have started anyway
      assert.equal((await request(s.port, '/pipelines/piped')).status, 404, 'a request whose answer was never sent was not performed');
    } else {
      assert.deepEqual(answered, [200, 200], piped.text);
    }
    // the client may retry on a connection of its own
    const alone = await exchange(s.port, post('/compile', compile) + '', 1000);
    assert.deepEqual(statuses(alone.text), [200]);
    assert.equal((await request(s.port, '/pipelines/piped')).status, 200);
  });

  test('ambiguous framing is refused with 400 and the connection closed; nothing is smuggled', async () => {
    const compileY = JSON.stringify({ source: 'in y: Int\nout y', name: 'smuggled' });
    const smuggled = post('/compile', compileY);
    const refused: Record<string, string> = {
      'Content-Length twice': `POST /compile HTTP/1.1\r\nHost: t\r\nContent-Length: ${compileY.length}\r\nContent-Length: 2\r\n\r\n${compileY}`,
      'empty Content-Length': `POST /compile HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n`,
      'Transfer-Encoding chunked, identity': `POST /compile HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      'Transfer-Encoding xchunked': `POST /compile HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    };
    for (const [name, data] of Object.entries(refused)) {
      const r = await exchange(s.port, data);
      assert.deepEqual(statuses(r.text), [400], `${name}: ${r.text}`);
      assert.ok(r.closed, `${name}: connection closed`);
      assert.match(r.text, /connection: close/i, name);
      assert.match(r.text, /"error":"InvalidRequest","message":"Ambiguous request framing: /, name);
    }
    // a request hidden behind an ambiguous one never runs: the connection closes first
    const attacks: Record<string, string> = {
      'Content-Length twice': `POST /compile HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: ${2 + smuggled.length}\r\n\r\n{}${smuggled}`,
      'Transfer-Encoding xchunked': `POST /compile HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n${smuggled}`,
      // both fields: uWebSockets.js closes the connection itself before any handler runs
      'Content-Length and Transfer-Encoding': `POST /compile HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n${smuggled}`,
    };
    for (const [name, data] of Object.entries(attacks)) {
      const r = await exchange(s.port, data);
      assert.ok(r.closed, `${name}: connection closed`);
      assert.ok(statuses(r.text).every((code) => code === 400), `${name}: ${r.text}`);
    }
    assert.equal((await request(s.port, '/pipelines/smuggled')).status, 404, 'the smuggled request never ran');
    // a plain chunked body still works
    const source = '{"source":"in z: Int\\nout z"}';
    const chunked = await exchange(s.port, `POST /compile HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${source.length.toString(16)}\r\n${source}\r\n0\r\n\r\n`, 1000);
    assert.deepEqual(statuses(chunked.text), [200], chunked.text);
  });

  test('a client that disconnects cancels its execution: the module call sees the cancellation', async () => {
    const before = { ...abortProbe };
    const socket = net.connect({ host: '127.0.0.1', port: s.port }, () => socket.write(post('/run', JSON.stringify({ source: 'in ms: Int\nr = WaitForCancel(ms)\nout r', inputs: { ms: 20_000 } }))));
    socket.on('error', () => {});
    for (let i = 0; i < 200 && abortProbe.started === before.started; i++) await sleep(10);
    assert.equal(abortProbe.started, before.started + 1, 'the module started');
    socket.destroy();
    for (let i = 0; i < 200 && abortProbe.cancelled === before.cancelled; i++) await sleep(10);
    assert.equal(abortProbe.cancelled, before.cancelled + 1, 'the module saw the cancellation');
    const metrics = await request(s.port, '/metrics');
    assert.equal(metrics.json.server.executions_inflight, 0);
  });
});

describe('413 for a client still uploading (the real process)', () => {
  let srv: SpawnedServer;
  const limit = 256 * 1024;
  before(async () => {
    srv = await spawnServer({ CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: tempDir(), CONSTELLATION_WORKERS: '1', CONSTELLATION_MAX_BODY_SIZE: String(limit) });
  });
  after(() => srv.child.kill('SIGKILL'));

  test('every over-limit upload reads its 413, with a declared length or chunked', async () => {
    const body = Buffer.alloc(3 * limit, 'x');
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const chunked = i % 2 === 1;
      const payload = chunked
        ? new ReadableStream({
            start(c) {
              for (let o = 0; o < body.length; o += 64 * 1024) c.enqueue(body.subarray(o, o + 64 * 1024));
              c.close();
            },
          })
        : body;
      try {
        const r = await fetch(`${srv.base}/run`, { method: 'POST', body: payload, duplex: 'half' } as RequestInit);
        const json = (await r.json()) as { error?: string };
        outcomes.push(`${r.status} ${json.error}`);
      } catch (e) {
        outcomes.push(`failed: ${String((e as { cause?: { code?: string } }).cause?.code ?? e)}`);
      }
    }
    assert.deepEqual(outcomes, Array(8).fill('413 PayloadTooLarge'));
    // a length beyond what is worth discarding is refused at once, before the body is sent
    const r = await exchange(srv.port, `POST /run HTTP/1.1\r\nHost: t\r\nContent-Length: ${100 * limit}\r\n\r\n`, 3000);
    assert.deepEqual(statuses(r.text), [413]);
    assert.ok(r.closed);
  });
});
