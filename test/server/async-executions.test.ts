import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAULTS_JS } from '../helpers/http.js';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/**
 * Asynchronous runs (`"async": true` on /run and /execute), `GET /executions/{id}` for running,
 * finished, cancelled and suspended executions, and `POST /executions/{id}/cancel` — on one
 * instance (the cluster tests take the same calls across instances).
 */

const SLOW = 'in ms: Int\nr = Sleep(ms)\nout r\n';
const QUICK = 'in t: String\nx = Echo(t)\nout x\n';
const TWO = 'in a: Int\nin b: String\nc = a + 1\nout c\n';

let s: TestServer;
before(async () => {
  s = await startServer({ env: { CONSTELLATION_MODULES: FAULTS_JS, CONSTELLATION_RESULT_RETENTION: '1500ms', CONSTELLATION_RESULT_RETENTION_MAX_ENTRIES: '50' } });
  await compile(s, SLOW, 'slow');
});
after(async () => {
  await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForStatus(id: string, wanted: string, timeoutMs = 10_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.get(`/executions/${id}`);
    if (r.status === 200 && r.body.status === wanted) return r.body;
    if (Date.now() > until) throw new Error(`execution ${id} never reached ${wanted}: ${r.status} ${r.text}`);
    await sleep(20);
  }
}

describe('"async": true', () => {
  test('/run answers 202 with the id and a Location at once; GET follows it to the body /run would have returned', async () => {
    const r = await s.post('/run', { source: QUICK, inputs: { t: 'hello' }, async: true });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['executionId', 'status']);
    assert.equal(r.body.status, 'running');
    assert.equal(r.headers.get('location'), `/executions/${r.body.executionId}`);
    const done = await waitForStatus(r.body.executionId, 'completed');
    const sync = await s.post('/run', { source: QUICK, inputs: { t: 'hello' } });
    // the same body as the synchronous answer, plus where and when it finished
    for (const key of Object.keys(sync.body)) if (key !== 'executionId') assert.deepEqual(done[key], sync.body[key], key);
    assert.equal(done.executionId, r.body.executionId);
    assert.equal(done.owner, null, 'no cluster: no owner instance');
    assert.match(done.finishedAt, /Z$/);
  });

  test('/execute by ref: running with its settled nodes, then the execute body (no structuralHash); the result is kept for the retention time only', async () => {
    const r = await s.post('/execute', { ref: 'slow', inputs: { ms: 400 }, async: true });
    assert.equal(r.status, 202, r.text);
    const id = r.body.executionId as string;
    const running = await s.get(`/executions/${id}`);
    assert.equal(running.status, 200);
    assert.equal(running.body.status, 'running');
    assert.match(running.body.startedAt, /Z$/);
    assert.match(running.body.structuralHash, /^[0-9a-f]{64}$/);
    assert.ok(running.body.nodes.some((n: { name: string; state: string }) => n.name === 'ms' && n.state === 'completed'), running.text);
    assert.ok(!running.body.nodes.some((n: { name: string }) => n.name === 'r'), 'the sleeping call has not settled');
    const done = await waitForStatus(id, 'completed');
    assert.deepEqual(done.outputs, { r: 400 });
    assert.equal(done.structuralHash, undefined, '/execute answers without a structural hash');
    await sleep(1700);
    assert.equal((await s.get(`/executions/${id}`)).status, 404, 'forgotten after CONSTELLATION_RESULT_RETENTION');
  });

  test('ill-typed inputs are still 400 (nothing runs); compile errors too; a missing input makes a suspended execution', async () => {
    const bad = await s.post('/execute', { ref: 'slow', inputs: { ms: 'long' }, async: true });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /^Input error: /);
    const broken = await s.post('/run', { source: 'out nothing', async: true });
    assert.equal(broken.status, 400);
    assert.ok(broken.body.compilationErrors.length > 0);
    const r = await s.post('/run', { source: TWO, inputs: { a: 1 }, async: true });
    assert.equal(r.status, 202);
    const suspended = await waitForStatus(r.body.executionId, 'suspended');
    assert.deepEqual(suspended.missingInputs, { b: 'CString' });
    assert.equal(suspended.resumptionCount, 0);
  });

  test('a malformed async flag is 400', async () => {
    const r = await s.post('/run', { source: QUICK, async: 'yes' });
    assert.equal(r.status, 400);
  });
});

describe('POST /executions/{id}/cancel', () => {
  test('cancels a running asynchronous run; its status then says cancelled; a second cancel is 409', async () => {
    const r = await s.post('/execute', { ref: 'slow', inputs: { ms: 5000 }, async: true });
    const id = r.body.executionId as string;
    const c = await s.post(`/executions/${id}/cancel`);
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.body, { executionId: id, cancelled: true });
    const status = await waitForStatus(id, 'cancelled');
    assert.equal(status.success, false);
    const again = await s.post(`/executions/${id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'ExecutionNotRunning');
  });

  test('cancels a synchronous run from another request: its caller gets the cancelled run', async () => {
    const pending = s.post('/execute', { ref: 'slow', inputs: { ms: 5000 } });
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      await sleep(10);
      id = [...s.server.context.engine.runningExecutions()][0]?.executionId;
    }
    assert.ok(id, 'the run started');
    const running = await s.get(`/executions/${id}`);
    assert.equal(running.body.status, 'running', 'synchronous runs are visible while they run');
    assert.equal((await s.post(`/executions/${id}/cancel`)).status, 200);
    const reply = await pending;
    assert.equal(reply.status, 200);
    assert.equal(reply.body.success, false);
    assert.equal(reply.body.error, 'The execution was cancelled');
  });

  test('unknown → 404; suspended → 409 (discard it with DELETE); finished → 409; malformed id → 404', async () => {
    assert.equal((await s.post('/executions/00000000-0000-4000-8000-00000000dead/cancel')).status, 404);
    assert.equal((await s.post('/executions/not-an-id/cancel')).status, 404);
    const suspended = await s.post('/run', { source: TWO, inputs: {} });
    const c = await s.post(`/executions/${suspended.body.executionId}/cancel`);
    assert.equal(c.status, 409);
    assert.match(c.body.message, /suspended/);
    const quick = await s.post('/run', { source: QUICK, inputs: { t: 'x' }, async: true });
    await waitForStatus(quick.body.executionId, 'completed');
    assert.equal((await s.post(`/executions/${quick.body.executionId}/cancel`)).status, 409);
  });

  test('resuming an execution forgets the result kept from its asynchronous run', async () => {
    const r = await s.post('/run', { source: TWO, inputs: { a: 1 }, async: true });
    const id = r.body.executionId as string;
    await waitForStatus(id, 'suspended');
    const resumed = await s.post(`/executions/${id}/resume`, { additionalInputs: { b: 'x' } });
    assert.equal(resumed.body.status, 'completed');
    assert.equal((await s.get(`/executions/${id}`)).status, 404, 'neither running, kept nor stored');
  });
});

describe('GET /executions?status=', () => {
  test('running and finished executions besides the stored ones; an unknown status is 400', async () => {
    const slow = await s.post('/execute', { ref: 'slow', inputs: { ms: 3000 }, async: true });
    const quick = await s.post('/run', { source: QUICK, inputs: { t: 'listed' }, async: true });
    await waitForStatus(quick.body.executionId, 'completed');
    const suspended = await s.post('/run', { source: TWO, inputs: {} });
    const running = await s.get('/executions?status=running');
    assert.equal(running.status, 200);
    const ids = (r: { body: { executions: { executionId: string; status: string }[] } }) => r.body.executions.map((e) => e.executionId);
    assert.ok(ids(running).includes(slow.body.executionId));
    assert.ok(running.body.executions.every((e: { status: string }) => e.status === 'running'));
    const mine = running.body.executions.find((e: { executionId: string }) => e.executionId === slow.body.executionId);
    assert.equal(mine.owner, null);
    assert.match(mine.startedAt, /Z$/);
    const done = await s.get('/executions?status=completed,suspended');
    assert.ok(ids(done).includes(quick.body.executionId));
    assert.ok(ids(done).includes(suspended.body.executionId));
    assert.ok(!ids(done).includes(slow.body.executionId));
    const plain = await s.get('/executions');
    assert.ok(!ids(plain).includes(slow.body.executionId), 'without status: stored executions only, as before');
    assert.equal((await s.get('/executions?status=sleeping')).status, 400);
    await s.post(`/executions/${slow.body.executionId}/cancel`);
  });
});

describe('bounds', () => {
  test('asynchronous runs beyond the retention bound are refused with 429 while all are running', async () => {
    const small = await startServer({ env: { CONSTELLATION_MODULES: FAULTS_JS, CONSTELLATION_RESULT_RETENTION_MAX_ENTRIES: '2' } });
    try {
      await compile(small, SLOW, 'slow');
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await small.post('/execute', { ref: 'slow', inputs: { ms: 3000 }, async: true })).body.executionId);
      const third = await small.post('/execute', { ref: 'slow', inputs: { ms: 10 }, async: true });
      assert.equal(third.status, 429);
      assert.equal(third.body.error, 'QueueFull');
      for (const id of ids) assert.equal((await small.post(`/executions/${id}/cancel`)).status, 200);
    } finally {
      await small.close();
    }
  });
});
