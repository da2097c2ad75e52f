import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { API_KEYS_ENV, baseEnv, KEYS, LogCapture, request, type Reply } from '../helpers/http.js';
import { fillPattern, serverRoutes, type RouteEntry } from '../helpers/routes.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * Every route × every kind of caller (docs/decisions.md #19): 401 without a valid
 * bearer key, 403 when the role does not allow the method (method-only rule), never 401/403
 * on the public health/metrics paths; `/health/detail` stays gated. Keys never reach the logs.
 */

const PUBLIC = new Set(['/health', '/health/live', '/health/ready', '/metrics']);
// the server's extra alias of `GET /metrics` with Accept: text/plain: the same public data
const PUBLIC_EXTRA = new Set(['/metrics/prometheus']);
// the dashboard's shell and static files: public (they hold no data; the page sends the key on its API calls)
const PUBLIC_DASHBOARD = new Set(['/dashboard', '/dashboard/', '/dashboard/static/:dir/:file', '/static/:dir/:file']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BAD_KEY = 'wrong-key-but-long-enough-0123456789';
const INVALID_SHORT_KEY = 'short-secret-xyz';
const INVALID_ROLE_KEY = 'unknown-role-key-0123456789abcdef';

type Caller = 'none' | 'bad' | 'malformed' | 'admin' | 'execute' | 'readonly';
const CALLERS: Record<Caller, Record<string, string>[]> = {
  none: [{}],
  bad: [{ authorization: `Bearer ${BAD_KEY}` }],
  // not a bearer token: other schemes, no token, the bare key, an empty header
  malformed: [
    { authorization: `Basic ${Buffer.from(`user:${KEYS.admin}`).toString('base64')}` },
    { authorization: 'Bearer' },
    { authorization: KEYS.admin },
    { authorization: `Token ${KEYS.admin}` },
    { authorization: `Bearer ${KEYS.admin} extra` },
    { authorization: '' },
  ],
  admin: [{ authorization: `Bearer ${KEYS.admin}` }, { authorization: `bearer ${KEYS.admin}` }],
  execute: [{ authorization: `Bearer ${KEYS.execute}` }, { authorization: `BEARER ${KEYS.execute}` }],
  readonly: [{ authorization: `Bearer ${KEYS.readonly}` }],
};

const ALLOWED: Record<'admin' | 'execute' | 'readonly', ReadonlySet<string>> = {
  admin: new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
  execute: new Set(['GET', 'POST']),
  readonly: new Set(['GET']),
};

function bodyFor(method: string): unknown {
  return method === 'GET' || method === 'DELETE' ? undefined : {};
}

function assertErrorBody(r: Reply, code: string, where: string): void {
  assert.equal(r.headers['content-type'], 'application/json', where);
  assert.ok(r.json && typeof r.json === 'object', `${where}: body is not JSON: ${r.text}`);
  assert.equal(r.json.error, code, `${where}: ${r.text}`);
  assert.equal(typeof r.json.message, 'string', where);
  assert.ok(r.json.message.length > 0, where);
  assert.equal(typeof r.json.requestId, 'string', `${where}: requestId`);
  assert.equal(r.json.requestId, r.headers['x-request-id'], `${where}: requestId matches the header`);
}

describe('auth matrix', () => {
  let srv: TestServer;
  let routes: RouteEntry[];
  const logs = new LogCapture();

  before(async () => {
    // two invalid entries (too short, unknown role) around the valid ones: skipped with a warning
    const keys = `${INVALID_SHORT_KEY}:Admin,${API_KEYS_ENV},${INVALID_ROLE_KEY}:Superuser`;
    srv = await startServer({ env: { CONSTELLATION_API_KEYS: keys, CONSTELLATION_HEALTH_DETAIL_ENABLED: 'true', CONSTELLATION_LOG_LEVEL: 'trace' }, server: { logger: logs.logger('trace') } });
    routes = serverRoutes(srv.server.context, srv.server.host.attachedRoutes);
  });
  after(async () => {
    await srv.close();
  });

  test('the route table is the real one (compile/run/execute/health/metrics at least)', () => {
    const names = routes.map((r) => `${r.method} ${r.pattern}`);
    for (const expected of ['POST /compile', 'POST /run', 'POST /execute', 'GET /health', 'GET /health/live', 'GET /health/ready', 'GET /health/detail', 'GET /metrics', 'GET /dashboard', 'POST /api/v1/execute']) {
      assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`);
    }
  });

  test('every route × every caller: 401 / 403 exactly per the method-only rule', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const path = fillPattern(route.pattern);
      const isPublic = PUBLIC.has(route.pattern) || PUBLIC_EXTRA.has(route.pattern) || PUBLIC_DASHBOARD.has(route.pattern);
      for (const [caller, variants] of Object.entries(CALLERS) as [Caller, Record<string, string>[]][]) {
        for (const headers of variants) {
          const body = bodyFor(route.method);
          const r = await request(srv.port, path, { method: route.method, headers, ...(body !== undefined ? { body } : {}) });
          checked++;
          const where = `${route.method} ${path} as ${caller} (${JSON.stringify(headers)}) → ${r.status} ${r.text.slice(0, 200)}`;
          let expected: 401 | 403 | 'pass';
          if (isPublic) expected = 'pass';
          else if (caller === 'none' || caller === 'bad' || caller === 'malformed') expected = 401;
          else expected = ALLOWED[caller].has(route.method) ? 'pass' : 403;
          if (expected === 'pass') {
            if (r.status === 401 || r.status === 403) failures.push(`expected no auth failure: ${where}`);
            if (r.status >= 500) failures.push(`server error: ${where}`);
            continue;
          }
          if (r.status !== expected) {
            failures.push(`expected ${expected}: ${where}`);
            continue;
          }
          try {
            if (expected === 401) {
              assertErrorBody(r, 'Unauthorized', where);
              assert.equal(r.json.message, caller === 'bad' ? 'Invalid API key' : 'Missing or invalid Authorization header. Expected: Bearer <api-key>', where);
            } else {
              assertErrorBody(r, 'Forbidden', where);
              const role = caller === 'execute' ? 'Execute' : 'ReadOnly';
              assert.equal(r.json.message, `Role '${role}' does not permit ${route.method} requests`, where);
            }
          } catch (e) {
            failures.push(e instanceof Error ? e.message : String(e));
          }
        }
      }
    }
    assert.ok(checked >= routes.length * 6);
    assert.deepEqual(failures, [], `${failures.length} of ${checked} checks failed`);
  });

  test('methods no route declares are still gated by role (PUT/DELETE/PATCH on any path)', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/compile', '/pipelines/x', '/no/such/path']) {
        const ro = await request(srv.port, path, { method, headers: { authorization: `Bearer ${KEYS.readonly}` }, body: '{}' });
        assert.equal(ro.status, 403, `${method} ${path} ReadOnly: ${ro.text}`);
        const ex = await request(srv.port, path, { method, headers: { authorization: `Bearer ${KEYS.execute}` }, body: '{}' });
        assert.equal(ex.status, 403, `${method} ${path} Execute: ${ex.text}`);
        const none = await request(srv.port, path, { method, body: '{}' });
        assert.equal(none.status, 401, `${method} ${path} anonymous: ${none.text}`);
        const admin = await request(srv.port, path, { method, headers: { authorization: `Bearer ${KEYS.admin}` }, body: '{}' });
        assert.ok(admin.status !== 401 && admin.status !== 403 && admin.status < 500, `${method} ${path} Admin → ${admin.status}`);
      }
    }
  });

  test('an unknown path needs a key before it is reported missing (no route probing)', async () => {
    const anon = await request(srv.port, '/definitely/not/a/route');
    assert.equal(anon.status, 401);
    const ro = await request(srv.port, '/definitely/not/a/route', { headers: { authorization: `Bearer ${KEYS.readonly}` } });
    assert.equal(ro.status, 404);
    assert.equal(ro.json.error, 'NotFound');
  });

  test('public paths are matched exactly: /health/detail and look-alikes stay gated', async () => {
    for (const path of ['/health/detail', '/health/', '/healthz', '/health/live/x', '/metrics/', '/metricsx', '/HEALTH']) {
      const r = await request(srv.port, path);
      assert.equal(r.status, 401, `${path} without a key → ${r.status}`);
      assertErrorBody(r, 'Unauthorized', path);
    }
    for (const key of [KEYS.admin, KEYS.execute, KEYS.readonly]) {
      const r = await request(srv.port, '/health/detail', { headers: { authorization: `Bearer ${key}` } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.lifecycle.state, 'Running');
    }
    const bad = await request(srv.port, '/health/detail', { headers: { authorization: `Bearer ${BAD_KEY}` } });
    assert.equal(bad.status, 401);
  });

  test('public paths answer without a key, with a bad key and with a malformed header', async () => {
    for (const path of PUBLIC) {
      for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${BAD_KEY}` }, { authorization: 'Basic Zm9vOmJhcg==' }, { authorization: `Bearer ${KEYS.readonly}` }]) {
        const r = await request(srv.port, path, { headers });
        assert.equal(r.status, 200, `${path} ${JSON.stringify(headers)} → ${r.status} ${r.text}`);
      }
    }
  });

  test('401 answers carry WWW-Authenticate: Bearer', async () => {
    const r = await request(srv.port, '/compile', { method: 'POST', body: '{}' });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Bearer/);
  });

  test('a generated request id is a UUID; a sent one is echoed in the error body', async () => {
    const gen = await request(srv.port, '/compile', { method: 'POST', body: '{}' });
    assert.match(gen.json.requestId, UUID);
    const sent = await request(srv.port, '/compile', { method: 'POST', body: '{}', headers: { 'x-request-id': 'req-auth-1' } });
    assert.equal(sent.json.requestId, 'req-auth-1');
    assert.equal(sent.headers['x-request-id'], 'req-auth-1');
  });

  test('keys work end to end: Execute compiles and runs, ReadOnly cannot', async () => {
    const source = { source: 'in a: Int\nin b: Int\nc = a + b\nout c\n', inputs: { a: 2, b: 3 } };
    const ex = await request(srv.port, '/run', { method: 'POST', body: source, headers: { authorization: `Bearer ${KEYS.execute}` } });
    assert.equal(ex.status, 200, ex.text);
    assert.deepEqual(ex.json.outputs, { c: 5 });
    const ro = await request(srv.port, '/run', { method: 'POST', body: source, headers: { authorization: `Bearer ${KEYS.readonly}` } });
    assert.equal(ro.status, 403);
  });

  test('no key text (valid, presented or rejected) appears in the logs; invalid entries are reported by position', () => {
    const text = logs.text;
    assert.ok(text.length > 0, 'the logger captured something');
    for (const secret of [KEYS.admin, KEYS.execute, KEYS.readonly, BAD_KEY, INVALID_SHORT_KEY, INVALID_ROLE_KEY]) {
      assert.ok(!text.includes(secret), `a key leaked into the logs`);
      // nor a recognisable fragment of it
      assert.ok(!text.includes(secret.slice(0, 12)), `a key prefix leaked into the logs`);
    }
    const warnings = logs.lines.filter((l) => l['level'] === 'WARN').map((l) => String(l['message']));
    const keyWarnings = warnings.filter((w) => w.includes('CONSTELLATION_API_KEYS'));
    assert.equal(keyWarnings.length, 2, warnings.join('\n'));
    assert.match(keyWarnings[0]!, /entry #1 rejected/);
    assert.match(keyWarnings[1]!, /entry #5 rejected/);
    for (const w of keyWarnings) {
      // the position only: no key length either
      assert.ok(!w.includes(String(INVALID_SHORT_KEY.length)), w);
      assert.ok(!w.includes(String(INVALID_ROLE_KEY.length)), w);
    }
    const summary = logs.lines.find((l) => String(l['message']).includes('listening'));
    assert.ok(summary, 'start-up summary logged');
    assert.equal(summary['auth'], '3 keys');
  });

  test('auth is off when no entry is valid (every entry skipped)', () => {
    const config = loadConfig(baseEnv('unused-data-dir', { CONSTELLATION_API_KEYS: `${INVALID_SHORT_KEY}:Admin,no-colon-entry-0123456789abcdef, :ReadOnly` }));
    assert.equal(config.apiKeys.length, 0);
    assert.equal(config.warnings.length, 3);
    for (const w of config.warnings) {
      assert.ok(!w.includes(INVALID_SHORT_KEY) && !w.includes('no-colon-entry'), w);
    }
  });
});
