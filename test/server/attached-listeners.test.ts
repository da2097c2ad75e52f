import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createServer, type ConstellationServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { AttachedListener, ServerHost } from '../../server/host/listener.js';
import type { WebSocketConnection } from '../../server/host/websocket.js';
import type { LifecycleState } from '../../server/lifecycle.js';
import { API_KEYS_ENV, baseEnv, KEYS, tempDir } from '../helpers/http.js';

/**
 * Attached listeners (server/host/): a WebSocket route on the HTTP port passes the same
 * middleware chain as a request (auth with the key as header, query or subprotocol; rate
 * limit), and a listener hears the lifecycle, drains with the server and closes after it.
 */

/** A listener with an echo WebSocket route and a drain that waits for its own in-flight work. */
class EchoListener implements AttachedListener {
  readonly name = 'echo';
  readonly states: LifecycleState[] = [];
  readonly calls: string[] = [];
  readonly opened: WebSocketConnection[] = [];
  inflight: Promise<void> | undefined;

  async start(host: ServerHost): Promise<void> {
    this.calls.push('start');
    host.webSocket({
      path: '/echo',
      protocols: ['echo.v1'],
      open: (conn) => {
        this.opened.push(conn);
      },
      message: (conn, data) => {
        if (data === 'throw') throw new Error('handler failure');
        if (data === 'role') conn.send(String(conn.request.role));
        else conn.send(`echo:${String(data)}`);
      },
      close: () => {},
    });
  }

  onStateChange(state: LifecycleState): void {
    this.states.push(state);
  }

  async drain(): Promise<void> {
    this.calls.push('drain');
    await this.inflight;
    this.calls.push('drained');
  }

  async close(): Promise<void> {
    this.calls.push('close');
  }
}

interface Started {
  readonly server: ConstellationServer;
  readonly dataDir: string;
  readonly url: string;
}

const started: Started[] = [];
after(async () => {
  for (const s of started) {
    await s.server.shutdown();
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

async function start(listeners: AttachedListener[], env: Record<string, string> = {}): Promise<Started> {
  const dataDir = tempDir();
  const server = await createServer(loadConfig(baseEnv(dataDir, { CONSTELLATION_WORKERS: '1', ...env })), { listeners });
  const s = { server, dataDir, url: `ws://127.0.0.1:${server.port}` };
  started.push(s);
  return s;
}

/** Opens a socket; resolves with it once open, or with the HTTP status of a refused upgrade. */
function connect(url: string, protocols?: string[], headers?: Record<string, string>): Promise<{ ws?: WebSocket; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('WebSocket routes on the HTTP port', () => {
  test('an open route echoes; a throwing handler closes only its socket (1011); a plain GET of the path is not upgraded', async () => {
    const listener = new EchoListener();
    const s = await start([listener]);
    const a = await connect(`${s.url}/echo`, ['echo.v1']);
    assert.ok(a.ws, `upgrade refused: ${a.status} ${a.body}`);
    assert.equal(a.ws.protocol, 'echo.v1');
    const reply = nextMessage(a.ws);
    a.ws.send('hello');
    assert.equal(await reply, 'echo:hello');

    const b = await connect(`${s.url}/echo`);
    const bClosed = closed(b.ws!);
    b.ws!.send('throw');
    assert.equal(await bClosed, 1011);
    // the other socket and the server are unaffected
    const again = nextMessage(a.ws);
    a.ws.send('still here');
    assert.equal(await again, 'echo:still here');
    const http = await fetch(`http://127.0.0.1:${s.server.port}/echo`);
    assert.equal(http.status, 404);
    a.ws.close();
  });

  test('with API keys: refused without a key (401), with a bad key (401); the key works as a header, ?token= or a subprotocol', async () => {
    const s = await start([new EchoListener()], { CONSTELLATION_API_KEYS: API_KEYS_ENV });
    const none = await connect(`${s.url}/echo`);
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body!).error, 'Unauthorized');
    const bad = await connect(`${s.url}/echo?token=not-a-valid-key-0123456789abc`);
    assert.equal(bad.status, 401);

    const viaHeader = await connect(`${s.url}/echo`, undefined, { authorization: `Bearer ${KEYS.execute}` });
    const viaQuery = await connect(`${s.url}/echo?token=${KEYS.readonly}`);
    const viaProtocol = await connect(`${s.url}/echo`, ['echo.v1', KEYS.admin]);
    const onlyKey = await connect(`${s.url}/echo`, [KEYS.admin]);
    for (const [conn, role] of [[viaHeader, 'Execute'], [viaQuery, 'ReadOnly'], [viaProtocol, 'Admin'], [onlyKey, 'Admin']] as const) {
      assert.ok(conn.ws, `refused: ${conn.status} ${conn.body}`);
      const m = nextMessage(conn.ws);
      conn.ws.send('role');
      assert.equal(await m, role);
      conn.ws.close();
    }
    // the route's own subprotocol is echoed, never the key, when the client offers both
    assert.equal(viaProtocol.ws!.protocol, 'echo.v1');
  });

  test('the rate limit applies to upgrades (429 with Retry-After)', async () => {
    const s = await start([new EchoListener()], { CONSTELLATION_RATE_LIMIT_RPM: '1', CONSTELLATION_RATE_LIMIT_BURST: '1' });
    const first = await connect(`${s.url}/echo`);
    assert.ok(first.ws);
    const second = await connect(`${s.url}/echo`);
    assert.equal(second.status, 429);
    assert.equal(JSON.parse(second.body!).error, 'RateLimitExceeded');
    first.ws.close();
  });
});

describe('listener lifecycle', () => {
  test('shutdown announces Draining, waits for the listener drain, then closes it and its sockets (1001)', async () => {
    const listener = new EchoListener();
    const dataDir = tempDir();
    const server = await createServer(loadConfig(baseEnv(dataDir, { CONSTELLATION_WORKERS: '1' })), { listeners: [listener] });
    try {
      assert.deepEqual(listener.states, ['Running']);
      const { ws } = await connect(`ws://127.0.0.1:${server.port}/echo`);
      const wsClosed = closed(ws!);
      let finishWork!: () => void;
      listener.inflight = new Promise<void>((r) => (finishWork = r));
      const shutdown = server.shutdown();
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(listener.states, ['Running', 'Draining']);
      assert.deepEqual(listener.calls, ['start', 'drain'], 'close waits for the drain');
      // a new upgrade during the drain is refused like new work
      const late = await connect(`ws://127.0.0.1:${server.port}/echo`);
      assert.equal(late.status, 503);
      finishWork();
      await shutdown;
      assert.deepEqual(listener.calls, ['start', 'drain', 'drained', 'close']);
      assert.deepEqual(listener.states, ['Running', 'Draining', 'Stopped']);
      assert.equal(await wsClosed, 1001);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a listener that fails to start fails createServer; the ones started before are closed', async () => {
    const first = new EchoListener();
    const broken: AttachedListener = {
      name: 'broken',
      start: async () => {
        throw new Error('port taken');
      },
      drain: async () => {},
      close: async () => {},
    };
    const dataDir = tempDir();
    try {
      await assert.rejects(createServer(loadConfig(baseEnv(dataDir, { CONSTELLATION_WORKERS: '1' })), { listeners: [first, broken] }), /broken failed to start: port taken/);
      assert.deepEqual(first.calls, ['start', 'close']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
