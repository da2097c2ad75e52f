import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_KEYS_ENV, KEYS, request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * CORS: preflights answered 200 by the CORS layer, before rate limiting
 * and auth; allowed origins echoed with `Vary: Origin`; disallowed origins get no CORS headers;
 * `*` answers `Access-Control-Allow-Origin: *`. Credentials are never allowed.
 */

const ALLOWED = 'https://app.example.com';
const LOCAL = 'http://localhost:3000';
const preflight = (origin: string, method = 'POST') => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type, authorization' },
});

function assertNoCors(headers: Record<string, unknown>, where: string): void {
  for (const h of Object.keys(headers)) assert.ok(!h.startsWith('access-control-'), `${where}: unexpected ${h}: ${String(headers[h])}`);
}

describe('CORS with a list of origins', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      env: {
        // an invalid origin (plain http to a public host) is skipped, not fatal
        CONSTELLATION_CORS_ORIGINS: `${ALLOWED}, ${LOCAL},http://evil.example.com`,
        CONSTELLATION_API_KEYS: API_KEYS_ENV,
        CONSTELLATION_RATE_LIMIT_RPM: '60',
        CONSTELLATION_RATE_LIMIT_BURST: '2',
      },
    });
  });
  after(async () => {
    await srv.close();
  });

  test('a preflight is answered 200 with methods, headers and max-age — before auth and rate limiting', async () => {
    // more preflights than the burst, none with a key: neither 401 nor 429
    for (let i = 0; i < 5; i++) {
      for (const path of ['/compile', '/run', '/pipelines/x/alias', '/no/such/path']) {
        const r = await request(srv.port, path, preflight(ALLOWED, i % 2 ? 'PUT' : 'POST'));
        assert.equal(r.status, 200, `${path}: ${r.status} ${r.text}`);
        assert.equal(r.headers['access-control-allow-origin'], ALLOWED);
        assert.equal(r.headers['vary'], 'Origin');
        const methods = String(r.headers['access-control-allow-methods']).split(',').map((m) => m.trim());
        for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']) assert.ok(methods.includes(m), `allow-methods lacks ${m}`);
        const allowHeaders = String(r.headers['access-control-allow-headers']).toLowerCase().split(',').map((m) => m.trim());
        for (const h of ['content-type', 'authorization']) assert.ok(allowHeaders.includes(h), `allow-headers lacks ${h}`);
        assert.equal(r.headers['access-control-max-age'], '3600');
        assert.equal(r.headers['access-control-allow-credentials'], undefined, 'credentials are never allowed');
      }
    }
  });

  test('an http://localhost origin with a port is allowed', async () => {
    const r = await request(srv.port, '/compile', preflight(LOCAL));
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], LOCAL);
  });

  test('an actual request from an allowed origin gets the origin echoed and Vary: Origin (also on errors)', async () => {
    const ok = await request(srv.port, '/health', { headers: { origin: ALLOWED } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(ok.headers['vary'], 'Origin');
    // a 401 must be readable by the page too
    const denied = await request(srv.port, '/pipelines', { headers: { origin: ALLOWED } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['access-control-allow-origin'], ALLOWED);
    const run = await request(srv.port, '/run', { method: 'POST', headers: { origin: ALLOWED, authorization: `Bearer ${KEYS.execute}` }, body: { source: 'in x: Int\nout x\n', inputs: { x: 1 } } });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.headers['access-control-allow-origin'], ALLOWED);
  });

  test('a disallowed origin gets no CORS headers, on preflights and on actual requests', async () => {
    for (const origin of ['https://evil.example.com', 'http://evil.example.com', `${ALLOWED}:8443`, 'https://APP.example.com.evil', 'null', ALLOWED.replace('https', 'http')]) {
      const pre = await request(srv.port, '/compile', preflight(origin));
      assertNoCors(pre.headers, `preflight from ${origin}`);
      assert.ok(pre.status !== 200 || pre.text === '', `preflight from ${origin} must not be approved`);
      assert.ok(pre.status < 500);
      const actual = await request(srv.port, '/health', { headers: { origin } });
      assert.equal(actual.status, 200);
      assertNoCors(actual.headers, `GET from ${origin}`);
    }
  });

  test('a request without Origin gets no CORS headers', async () => {
    const r = await request(srv.port, '/health');
    assertNoCors(r.headers, 'no origin');
  });

  test('OPTIONS without Access-Control-Request-Method is not a preflight', async () => {
    const r = await request(srv.port, '/compile', { method: 'OPTIONS', headers: { origin: ALLOWED } });
    assert.notEqual(r.headers['access-control-allow-methods'], 'GET, POST, PUT, DELETE, OPTIONS');
    assert.ok(r.status < 500);
  });
});

describe('CORS with *', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: { CONSTELLATION_CORS_ORIGINS: '*', CONSTELLATION_API_KEYS: API_KEYS_ENV } });
  });
  after(async () => {
    await srv.close();
  });

  test('any origin: preflight 200 with Access-Control-Allow-Origin: *', async () => {
    for (const origin of ['https://anything.example', 'http://192.168.1.2:8080', 'null']) {
      const r = await request(srv.port, '/execute', preflight(origin));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.equal(r.headers['access-control-max-age'], '3600');
      assert.equal(r.headers['access-control-allow-credentials'], undefined);
    }
  });

  test('actual requests get Access-Control-Allow-Origin: *', async () => {
    const r = await request(srv.port, '/health', { headers: { origin: 'https://x.example' } });
    assert.equal(r.headers['access-control-allow-origin'], '*');
    const denied = await request(srv.port, '/compile', { method: 'POST', body: '{}', headers: { origin: 'https://x.example' } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['access-control-allow-origin'], '*');
  });
});

describe('CORS off', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: {} });
  });
  after(async () => {
    await srv.close();
  });

  test('no origins configured: no CORS headers, a preflight is not answered by a CORS layer', async () => {
    const r = await request(srv.port, '/compile', preflight(ALLOWED));
    assertNoCors(r.headers, 'cors off preflight');
    assert.ok(r.status < 500);
    const g = await request(srv.port, '/health', { headers: { origin: ALLOWED } });
    assertNoCors(g.headers, 'cors off GET');
  });
});
