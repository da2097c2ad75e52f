import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KEYS, API_KEYS_ENV } from '../helpers/http.js';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/** Step-through sessions over HTTP: `/debug/sessions…` on one instance. */

const TWO_STEPS = 'in t: String\na = Uppercase(t)\nb = Lowercase(a)\nout b\n';

let s: TestServer;
before(async () => {
  s = await startServer({ env: { CONSTELLATION_DEBUG_SESSION_IDLE: '600ms', CONSTELLATION_DEBUG_SESSIONS_MAX: '3' } });
  await compile(s, TWO_STEPS, 'shout');
});
after(async () => {
  await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/debug/sessions', () => {
  test('start → next → state → continue → stop, batch by batch', async () => {
    const r = await s.post('/debug/sessions', { source: TWO_STEPS, inputs: { t: 'hey' } });
    assert.equal(r.status, 201, r.text);
    const id = r.body.sessionId as string;
    assert.equal(r.headers.get('location'), `/debug/sessions/${id}`);
    assert.equal(r.body.isComplete, false);
    assert.equal(r.body.result, null);
    assert.equal(r.body.state.currentBatch, 0);
    assert.equal(r.body.totalBatches, 3);
    assert.deepEqual(r.body.state.completedNodes.map((n: { nodeName: string }) => n.nodeName), ['t']);

    assert.equal((await s.get('/metrics')).body.server.executions_inflight, 0, 'a session waiting for its user is not work in flight');

    const next = await s.post(`/debug/sessions/${id}/next`);
    assert.equal(next.status, 200);
    assert.equal(next.body.state.currentBatch, 1);
    const a = next.body.state.completedNodes.find((n: { nodeName: string }) => n.nodeName === 'a');
    assert.deepEqual([a.nodeType, a.valuePreview], ['module', '"HEY"']);
    assert.ok(!next.body.state.completedNodes.some((n: { nodeName: string }) => n.nodeName === 'b'), 'the second batch has not run');

    const state = await s.get(`/debug/sessions/${id}`);
    assert.equal(state.body.state.currentBatch, 1, 'GET runs nothing');

    const end = await s.post(`/debug/sessions/${id}/continue`);
    assert.equal(end.status, 200);
    assert.equal(end.body.isComplete, true);
    assert.deepEqual(end.body.outputs, { b: 'hey' });
    assert.equal(typeof end.body.executionTimeMs, 'number');
    assert.equal(end.body.result.status, 'completed');
    assert.deepEqual(end.body.result.outputs, { b: 'hey' });

    const stop = await s.del(`/debug/sessions/${id}`);
    assert.deepEqual(stop.body, { sessionId: id, stopped: true });
    assert.equal((await s.post(`/debug/sessions/${id}/next`)).status, 404);
  });

  test('a stored pipeline by ref; an Execute key may stop with POST …/stop (DELETE needs Admin)', async () => {
    const keyed = await startServer({ env: { CONSTELLATION_API_KEYS: API_KEYS_ENV } });
    try {
      const auth = { authorization: `Bearer ${KEYS.execute}` };
      await keyed.request('POST', '/compile', { source: TWO_STEPS, name: 'shout' }, { authorization: `Bearer ${KEYS.admin}` });
      const r = await keyed.request('POST', '/debug/sessions', { ref: 'shout', inputs: { t: 'x' } }, auth);
      assert.equal(r.status, 201, r.text);
      const id = r.body.sessionId;
      assert.equal((await keyed.request('DELETE', `/debug/sessions/${id}`, undefined, auth)).status, 403);
      const stop = await keyed.request('POST', `/debug/sessions/${id}/stop`, undefined, auth);
      assert.equal(stop.status, 200);
      assert.equal((await keyed.request('GET', `/debug/sessions/${id}`, undefined, auth)).status, 404);
      assert.equal((await keyed.request('GET', `/debug/sessions/${id}`)).status, 401);
    } finally {
      await keyed.close();
    }
  });

  test('bad requests: both or neither of source and ref, compile errors, ill-typed inputs, unknown refs and sessions', async () => {
    assert.equal((await s.post('/debug/sessions', { source: TWO_STEPS, ref: 'shout' })).status, 400);
    assert.equal((await s.post('/debug/sessions', { inputs: {} })).status, 400);
    const broken = await s.post('/debug/sessions', { source: 'out nowhere' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error, 'CompilationError');
    assert.ok(broken.body.diagnostics.length > 0);
    const ill = await s.post('/debug/sessions', { ref: 'shout', inputs: { t: 42 } });
    assert.equal(ill.status, 400);
    assert.equal(ill.body.error, 'InputError');
    assert.equal((await s.post('/debug/sessions', { ref: 'no-such-pipeline' })).status, 404);
    assert.equal((await s.post('/debug/sessions/00000000-0000-4000-8000-000000000000/next')).status, 404);
    assert.equal((await s.get('/debug/sessions/%2F..%2F')).status, 404);
  });

  test('at most CONSTELLATION_DEBUG_SESSIONS_MAX sessions (429 beyond); idle ones expire and make room', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.post('/debug/sessions', { ref: 'shout', inputs: { t: `s${i}` } });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.sessionId);
    }
    const full = await s.post('/debug/sessions', { ref: 'shout', inputs: { t: 'one too many' } });
    assert.equal(full.status, 429);
    assert.equal(full.body.error, 'TooManyDebugSessions');
    // keep one alive across the idle limit; the others expire without anyone touching them
    for (let i = 0; i < 4; i++) {
      await sleep(250);
      assert.equal((await s.get(`/debug/sessions/${ids[0]}`)).status, 200);
    }
    assert.equal((await s.get(`/debug/sessions/${ids[1]}`)).status, 404, 'idle: expired');
    assert.equal(s.server.context.executions instanceof Object, true);
    const again = await s.post('/debug/sessions', { ref: 'shout', inputs: { t: 'room again' } });
    assert.equal(again.status, 201);
    await s.del(`/debug/sessions/${ids[0]}`);
    await s.del(`/debug/sessions/${again.body.sessionId}`);
  });
});
