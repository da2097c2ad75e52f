import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAULTS_JS, request, sleep, type Reply } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * A module that never yields runs on the worker pool, not on the HTTP thread: while it spins
 * (both workers busy), liveness answers and a stdlib-only run completes before the spinning
 * calls end — an order, not a timing, so a loaded machine cannot fail it; the module
 * timeout (CONSTELLATION_MODULE_TIMEOUT=3s) then fails the busy call with ModuleTimeout, the
 * stuck worker is replaced, and the server keeps serving pool work.
 */

const BUSY = 'in t: String\nr = BusyLoop(t)\nout r\n';
const STDLIB = 'in a: Int\nin b: Int\nc = a * b + 1\nout c\n';
const ECHO = 'in text: String\nr = Echo(text)\nout r\n';
// after the stuck workers are replaced, a call may wait for a fresh thread to start and load
// its modules: seconds on a loaded CI machine, which the server-wide 3 s timeout would count
const ECHO_PATIENT = 'in text: String\nr = Echo(text) with timeout: 30s\nout r\n';

describe('the HTTP front is not stalled by a spinning module', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: { CONSTELLATION_MODULES: FAULTS_JS, CONSTELLATION_MODULE_TIMEOUT: '3s', CONSTELLATION_WORKERS: '2' } });
  });
  after(async () => {
    await srv.close();
  });

  test('liveness and a stdlib run answer while BusyLoop spins; the busy call ends as ModuleTimeout', async () => {
    // warm the pool so the measurement is not of worker start-up
    const warm = await request(srv.port, '/run', { method: 'POST', body: { source: ECHO, inputs: { text: 'warm' } } });
    assert.equal(warm.status, 200, warm.text);

    const t0 = performance.now();
    const busy: Promise<Reply>[] = [0, 1].map((i) => request(srv.port, '/run', { method: 'POST', body: { source: BUSY, inputs: { t: `spin-${i}` } } }));
    let busyDone = false;
    void Promise.allSettled(busy).then(() => (busyDone = true));
    await sleep(150);

    // a stdlib-only run while the pool is busy
    let runBeforeBusy = false;
    const quick = request(srv.port, '/run', { method: 'POST', body: { source: STDLIB, inputs: { a: 6, b: 7 } } }).then((r) => {
      runBeforeBusy = !busyDone;
      return r;
    });
    let probes = 0;
    while (performance.now() - t0 < 2000) {
      const live = await request(srv.port, '/health/live');
      if (busyDone) break;
      probes++;
      assert.equal(live.status, 200);
      assert.deepEqual(live.json, { status: 'alive' });
      await sleep(40);
    }
    const q = await quick;
    assert.equal(q.status, 200, q.text);
    assert.deepEqual(q.json.outputs, { c: 43 });
    assert.ok(runBeforeBusy, 'the stdlib run finished while the busy calls were still spinning');
    assert.ok(probes >= 3, `only ${probes} liveness probes answered while the busy calls spun`);

    const replies = await Promise.all(busy);
    const elapsed = performance.now() - t0;
    for (const r of replies) {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.success, false);
      assert.equal(r.json.status, 'failed');
      assert.equal(r.json.errors.length, 1, r.text);
      assert.equal(r.json.errors[0].code, 'ModuleTimeout', r.text);
      assert.equal(r.json.errors[0].module, 'BusyLoop');
    }
    assert.ok(elapsed >= 2900 && elapsed < 15_000, `busy calls answered after ${elapsed.toFixed(0)} ms (timeout 3 s)`);
  });

  test('afterwards the server keeps serving, including pool work on replaced workers', async () => {
    const health = await request(srv.port, '/health');
    assert.equal(health.status, 200);
    const echoes = await Promise.all([1, 2, 3, 4].map((i) => request(srv.port, '/run', { method: 'POST', body: { source: ECHO_PATIENT, inputs: { text: `after-${i}` } } })));
    echoes.forEach((r, i) => {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.success, true, r.text);
      assert.deepEqual(r.json.outputs, { r: `after-${i + 1}` });
    });
  });
});
