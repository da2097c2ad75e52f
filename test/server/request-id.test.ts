import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_KEYS_ENV, KEYS, request, type Reply } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * X-Request-ID: echoed when sent, a fresh UUID when absent (or unusable), on
 * success and on every kind of error; error bodies carry the same id. Metrics (docs/decisions.md #21):
 * `requests_total` counts every request, whatever its outcome; Prometheus
 * text via `Accept: text/plain` with the spec's series names.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const AUTH = { authorization: `Bearer ${KEYS.admin}` };

describe('request ids and metrics', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      env: {
        CONSTELLATION_API_KEYS: API_KEYS_ENV,
        CONSTELLATION_MAX_BODY_SIZE: '1024',
        CONSTELLATION_RATE_LIMIT_RPM: '600',
        CONSTELLATION_RATE_LIMIT_BURST: '1000',
        CONSTELLATION_SCHEDULER_ENABLED: 'true',
      },
    });
  });
  after(async () => {
    await srv.close();
  });

  // one request of each outcome class: success, 400, 401, 403, 404, 405, 413 (declared and chunked)
  const cases: { name: string; send: (headers: Record<string, string>) => Promise<Reply>; status: number; errorBody: boolean }[] = [
    { name: 'GET /health', send: (h) => request(srv.port, '/health', { headers: h }), status: 200, errorBody: false },
    { name: 'POST /run ok', send: (h) => request(srv.port, '/run', { method: 'POST', headers: { ...AUTH, ...h }, body: { source: 'in x: Int\nout x\n', inputs: { x: 5 } } }), status: 200, errorBody: false },
    { name: 'POST /run malformed', send: (h) => request(srv.port, '/run', { method: 'POST', headers: { ...AUTH, ...h }, body: '{"source":' }), status: 400, errorBody: false },
    { name: '401', send: (h) => request(srv.port, '/run', { method: 'POST', headers: h, body: '{}' }), status: 401, errorBody: true },
    { name: '403', send: (h) => request(srv.port, '/run', { method: 'POST', headers: { authorization: `Bearer ${KEYS.readonly}`, ...h }, body: '{}' }), status: 403, errorBody: true },
    { name: '404', send: (h) => request(srv.port, '/nope', { headers: { ...AUTH, ...h } }), status: 404, errorBody: true },
    { name: '405', send: (h) => request(srv.port, '/compile', { headers: { ...AUTH, ...h } }), status: 405, errorBody: true },
    { name: '413 declared', send: (h) => request(srv.port, '/run', { method: 'POST', headers: { ...AUTH, ...h }, body: JSON.stringify({ source: 'x'.repeat(5000) }) }), status: 413, errorBody: true },
    { name: '413 chunked', send: (h) => request(srv.port, '/compile', { method: 'POST', headers: { ...AUTH, ...h }, body: JSON.stringify({ source: 'y'.repeat(5000) }), chunked: true }), status: 413, errorBody: true },
    { name: '/execute NotFound', send: (h) => request(srv.port, '/execute', { method: 'POST', headers: { ...AUTH, ...h }, body: { ref: 'no-such-pipeline' } }), status: 404, errorBody: true },
  ];

  test('a sent X-Request-ID is echoed on every response and in error bodies', async () => {
    for (const [i, c] of cases.entries()) {
      const id = `test-id-${i}-${c.name.replace(/\W+/g, '_')}`;
      const r = await c.send({ 'x-request-id': id });
      assert.equal(r.status, c.status, `${c.name}: ${r.status} ${r.text}`);
      assert.equal(r.headers['x-request-id'], id, c.name);
      if (c.errorBody) {
        assert.equal(typeof r.json.error, 'string', `${c.name}: ${r.text}`);
        assert.equal(typeof r.json.message, 'string', c.name);
        assert.equal(r.json.requestId, id, c.name);
      }
    }
  });

  test('without X-Request-ID a fresh UUID is generated for each response', async () => {
    const seen = new Set<string>();
    for (const c of cases) {
      const r = await c.send({});
      assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
      const id = String(r.headers['x-request-id']);
      assert.match(id, UUID, c.name);
      assert.ok(!seen.has(id), 'ids are unique');
      seen.add(id);
      if (c.errorBody) assert.equal(r.json.requestId, id, c.name);
    }
  });

  test('an unusable X-Request-ID (too long, spaces, control characters) is replaced by a UUID', async () => {
    for (const bad of ['x'.repeat(201), 'has space', 'tab\there', '']) {
      const r = await request(srv.port, '/nope', { headers: { ...AUTH, 'x-request-id': bad } });
      assert.match(String(r.headers['x-request-id']), UUID, JSON.stringify(bad));
      assert.equal(r.json.requestId, r.headers['x-request-id']);
    }
    const ok = await request(srv.port, '/health', { headers: { 'x-request-id': 'x'.repeat(200) } });
    assert.equal(ok.headers['x-request-id'], 'x'.repeat(200));
  });

  test('requests_total counts every request, whatever its status', async () => {
    const m1 = await request(srv.port, '/metrics');
    const before = m1.json.server.requests_total as number;
    assert.equal(typeof before, 'number');
    for (const c of cases) await c.send({});
    // and a 429
    const limited = await startRateBurst();
    const m2 = await request(srv.port, '/metrics');
    // the first scrape itself is counted once it has been answered
    assert.equal(m2.json.server.requests_total, before + 1 + cases.length + limited, JSON.stringify(m2.json.server));
    assert.equal(typeof m2.json.server.uptime_seconds, 'number');
    assert.match(m2.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  /** Counts requests of a caller that exhausts a per-key bucket (burst 40): returns how many were sent. */
  async function startRateBurst(): Promise<number> {
    let n = 0;
    for (;;) {
      const r = await request(srv.port, '/nope', { headers: { authorization: 'Bearer not-a-real-key-but-long-enough-xyz' } });
      n++;
      if (r.status === 429) return n;
      assert.equal(r.status, 401);
      assert.ok(n < 60, 'the per-key bucket never ran out');
    }
  }

  test('the JSON metrics document has the spec shape (scheduler enabled)', async () => {
    const m = await request(srv.port, '/metrics', { headers: { accept: 'application/json' } });
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /^application\/json/);
    for (const k of ['hits', 'misses', 'hitRate', 'evictions', 'entries']) assert.equal(typeof m.json.cache[k], 'number', `cache.${k}`);
    assert.equal(m.json.scheduler.enabled, true);
    for (const k of ['activeCount', 'queuedCount', 'totalSubmitted', 'totalCompleted', 'highPriorityCompleted', 'lowPriorityCompleted', 'starvationPromotions']) {
      assert.equal(typeof m.json.scheduler[k], 'number', `scheduler.${k}`);
    }
    assert.ok(m.json.scheduler.totalSubmitted >= 0);
  });

  test('Prometheus text via Accept: text/plain has every spec series with HELP and TYPE', async () => {
    for (const accept of ['text/plain', 'text/*', 'application/json;q=0.5, text/plain;q=0.9', 'text/plain; version=0.0.4']) {
      const r = await request(srv.port, '/metrics', { headers: { accept } });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain/, accept);
      const text = r.text;
      const series: [string, 'gauge' | 'counter'][] = [
        ['constellation_server_uptime_seconds', 'gauge'],
        ['constellation_server_requests_total', 'counter'],
        ['constellation_cache_hits_total', 'counter'],
        ['constellation_cache_misses_total', 'counter'],
        ['constellation_cache_hit_rate', 'gauge'],
        ['constellation_cache_evictions_total', 'counter'],
        ['constellation_cache_entries', 'gauge'],
        ['constellation_scheduler_active_count', 'gauge'],
        ['constellation_scheduler_queued_count', 'gauge'],
        ['constellation_scheduler_submitted_total', 'counter'],
        ['constellation_scheduler_completed_total', 'counter'],
        ['constellation_scheduler_starvation_promotions_total', 'counter'],
      ];
      for (const [name, type] of series) {
        assert.match(text, new RegExp(`^# HELP ${name} .+$`, 'm'), `${name} HELP`);
        assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} TYPE`);
        assert.match(text, new RegExp(`^${name} [0-9.eE+-]+$`, 'm'), `${name} sample`);
      }
      const total = Number(/^constellation_server_requests_total (\d+)$/m.exec(text)![1]);
      assert.ok(total > 10);
    }
  });

  test('without text/plain in Accept the answer is JSON', async () => {
    for (const accept of ['application/json', '*/*', 'text/html']) {
      const r = await request(srv.port, '/metrics', { headers: { accept } });
      assert.match(String(r.headers['content-type']), /^application\/json/, accept);
      assert.equal(typeof r.json.server.requests_total, 'number');
    }
  });
});
