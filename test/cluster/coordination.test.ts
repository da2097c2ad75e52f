import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { clusterView, eventually, ready, startInstance, type Instance } from '../helpers/cluster.js';
import { DEPENDENCY_MODULES_JS, startDependency, type Dependency } from '../helpers/dependency.js';
import { FAULTS_JS } from '../helpers/http.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * Coordination across instances (real nats-server, three instances as OS processes, a real
 * HTTP dependency in this process that counts the calls reaching it):
 *
 * - status of a running execution through another instance, cancel through a third; finished
 *   and suspended executions answered without waiting for the broadcast timeout;
 * - live events of an execution on A on a WebSocket connected to B, in order;
 * - a step-through session started through A and driven through B and C;
 * - cache cleared on A → recomputed on B; the shared KV cache hit across instances;
 * - a dependency that fails on every call: once A's breaker opens, B and C reject without
 *   calling it; a restarted instance adopts the open breaker; after the reset exactly one
 *   probe runs cluster-wide;
 * - NATS restarted: an entry cleared meanwhile lives no longer than the in-memory TTL, and the
 *   reconnect flushes what the instances held;
 * - A killed → its session is 410 SessionLost from B.
 *
 * The tests run in order on one cluster (each leaves it as the next expects).
 */

const CONTROL_TIMEOUT_MS = 3_000;
const RESET_MS = 10_000;
const L1_TTL_MS = 4_000;

let nats: NatsServer;
let dep: Dependency;
let a: Instance;
let b: Instance;
let c: Instance;
const spare: Instance[] = [];

function env(): Record<string, string> {
  return {
    CONSTELLATION_MODULES: `${FAULTS_JS},${DEPENDENCY_MODULES_JS}`,
    CONSTELLATION_TEST_DEPENDENCY_URL: dep.url,
    CONSTELLATION_BREAKER_FAILURE_THRESHOLD: '3',
    CONSTELLATION_BREAKER_RESET: `${RESET_MS}ms`,
    CONSTELLATION_BREAKER_PROBE_LEASE: '5s',
    CONSTELLATION_CLUSTER_CONTROL_TIMEOUT: `${CONTROL_TIMEOUT_MS}ms`,
    CONSTELLATION_CLUSTER_ROUTE_TIMEOUT: '10s',
    CONSTELLATION_CLUSTER_EVENTS_INTEREST_REFRESH: '1s',
    CONSTELLATION_CACHE_L1_TTL: `${L1_TTL_MS}ms`,
    // the shared cache's bucket opens on first use: a loaded machine must not turn that into a miss
    CONSTELLATION_CACHE_L2_TIMEOUT: '3s',
  };
}

const start = (name: string) => startInstance({ name, natsUrl: nats.url, clusterName: 'coord', env: env() });

before(async () => {
  dep = await startDependency();
  nats = await startNats({ name: 'coord' });
  [a, b, c] = await Promise.all(['a', 'b', 'c'].map(start));
  await Promise.all([a, b, c].map((i) => ready(i!)));
  await a.post('/compile', { source: 'in ms: Int\nr = Sleep(ms)\nout r\n', name: 'slow' });
  await a.post('/compile', { source: 'in a: Int\nin b: Int\nr = a + b\nout r\n', name: 'two' });
});
after(async () => {
  for (const i of [a, b, c, ...spare]) {
    await i?.kill();
    i?.cleanup();
  }
  await nats?.stop();
  await dep?.close();
});

const idOf = async (i: Instance): Promise<string> => (await clusterView(i)).instanceId;
const detail = async (i: Instance): Promise<any> => (await i.get('/health/detail')).json.coordination;

describe('execution-ID routing', () => {
  test('a running execution on A: status through B (owner A), cancelled through C, then its kept result through B', async () => {
    const started = await a.post('/execute', { ref: 'slow', inputs: { ms: 20_000 }, async: true });
    assert.equal(started.status, 202, started.text);
    const id = started.json.executionId as string;
    const running = await b.get(`/executions/${id}`);
    assert.equal(running.status, 200, running.text);
    assert.equal(running.json.status, 'running');
    assert.equal(running.json.owner, await idOf(a));
    assert.ok(running.json.nodes.some((n: { name: string }) => n.name === 'ms'));
    const listed = await c.get('/executions?status=running');
    assert.ok(listed.json.executions.some((e: { executionId: string; owner: string }) => e.executionId === id && e.owner === running.json.owner), listed.text);

    const cancelled = await c.post(`/executions/${id}/cancel`, {});
    assert.equal(cancelled.status, 200, cancelled.text);
    const after = await eventually('cancelled on A', async () => {
      const r = await b.get(`/executions/${id}`);
      return r.json.status === 'cancelled' ? r.json : undefined;
    });
    assert.equal(after.owner, await idOf(a), 'the kept result comes from its owner');
    const again = await c.post(`/executions/${id}/cancel`, {});
    assert.equal(again.status, 409, 'finished: nothing to cancel');
  });

  test('finished and suspended executions are answered without waiting for the broadcast timeout; unknown ids after it', async () => {
    const quick = await a.post('/execute', { ref: 'two', inputs: { a: 1, b: 2 }, async: true });
    await eventually('finished on A', async () => ((await a.get(`/executions/${quick.json.executionId}`)).json.status === 'completed' ? true : undefined));
    let t = performance.now();
    const finished = await c.get(`/executions/${quick.json.executionId}`);
    assert.ok(performance.now() - t < CONTROL_TIMEOUT_MS / 2, 'the owner answered');
    assert.deepEqual(finished.json.outputs, { r: 3 });

    const suspended = await a.post('/execute', { ref: 'two', inputs: { a: 1 } });
    assert.equal(suspended.json.status, 'suspended');
    t = performance.now();
    const stored = await b.get(`/executions/${suspended.json.executionId}`);
    assert.ok(performance.now() - t < CONTROL_TIMEOUT_MS / 2, 'the shared store answered');
    assert.equal(stored.json.status, 'suspended');
    assert.deepEqual(stored.json.missingInputs, { b: 'CInt' });
    assert.equal((await c.post(`/executions/${suspended.json.executionId}/cancel`, {})).status, 409);

    const unknown = '00000000-0000-4000-8000-00000000beef';
    assert.equal((await b.get(`/executions/${unknown}`)).status, 404);
    assert.equal((await c.post(`/executions/${unknown}/cancel`, {})).status, 404);
  });
});

describe('live events across instances', () => {
  test('an execution on A, watched from B: every event in order, ending with execution:complete, each naming A as its origin', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/api/v1/executions/events`);
    const events: any[] = [];
    ws.on('message', (m) => events.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.once('open', r));
    try {
      await eventually("A knows B's subscriber", async () => ((await detail(a)).events.remoteInterests > 0 ? true : undefined));
      const run = await a.post('/execute', { ref: 'slow', inputs: { ms: 200 }, async: true });
      const id = run.json.executionId as string;
      await eventually('the completion event on B', async () => (events.some((e) => e.executionId === id && e.type === 'execution:complete') ? true : undefined));
      const mine = events.filter((e) => e.executionId === id);
      assert.deepEqual(mine.map((e) => e.type), ['execution:start', 'module:start', 'module:complete', 'execution:complete']);
      const aId = await idOf(a);
      assert.ok(mine.every((e) => e.origin === aId));
      assert.ok(mine.every((e, i) => i === 0 || e.timestamp >= mine[i - 1].timestamp));
    } finally {
      ws.close();
    }
    await eventually('interest withdrawn', async () => ((await detail(a)).events.remoteInterests === 0 ? true : undefined));
  });
});

describe('step-through across instances', () => {
  test('started through A, driven through B and C', async () => {
    const started = await a.post('/debug/sessions', { source: 'in t: String\nx = Uppercase(t)\ny = Lowercase(x)\nout y\n', inputs: { t: 'Mixed' } });
    assert.equal(started.status, 201, started.text);
    const id = started.json.sessionId as string;
    assert.ok(id.startsWith(`${await idOf(a)}:`), 'the id names its owner');
    const next = await b.post(`/debug/sessions/${id}/next`, {});
    assert.equal(next.status, 200, next.text);
    assert.equal(next.json.state.currentBatch, 1);
    const state = await c.get(`/debug/sessions/${id}`);
    assert.equal(state.json.state.currentBatch, 1);
    const end = await c.post(`/debug/sessions/${id}/continue`, {});
    assert.deepEqual(end.json.outputs, { y: 'mixed' });
    assert.equal((await b.request('DELETE', `/debug/sessions/${id}`)).status, 200);
    assert.equal((await c.get(`/debug/sessions/${id}`)).status, 404, 'stopped on its owner');
  });
});

describe('result caches across instances', () => {
  test('cleared on A → recomputed on B; the shared cache: computed on A, a hit on B; a module scope clears it everywhere', async () => {
    await a.post('/compile', { source: 'in p: String\nr = FetchValue(p) with cache: 10min\nout r\n', name: 'cached' });
    const first = (await b.post('/execute', { ref: 'cached', inputs: { p: 'local' } })).json.outputs.r;
    assert.equal((await b.post('/execute', { ref: 'cached', inputs: { p: 'local' } })).json.outputs.r, first, 'a hit on B');
    const cleared = await a.request('DELETE', '/cache');
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.json.scope, 'all');
    const recomputed = await eventually('B recomputes', async () => {
      const r = (await b.post('/execute', { ref: 'cached', inputs: { p: 'local' } })).json.outputs.r;
      return r !== first ? r : undefined;
    });
    assert.match(recomputed, /^local#\d+$/);

    await a.post('/compile', { source: 'in p: String\nr = FetchValue(p) with cache: 10min, cache_backend: "nats"\nout r\n', name: 'shared' });
    const onA = (await a.post('/execute', { ref: 'shared', inputs: { p: 'shared' } })).json.outputs.r;
    // A's write to the shared cache does not hold up its call: wait until it landed
    await eventually("A's shared write", async () => ((await detail(a)).sharedCache.shared.writes >= 1 ? true : undefined));
    const onB = await eventually('B hits what A computed', async () => {
      const r = (await b.post('/execute', { ref: 'shared', inputs: { p: 'shared' } })).json.outputs.r;
      return r === onA ? r : undefined;
    });
    assert.equal(onB, onA);
    assert.equal(dep.calls('shared'), 1, 'computed once for the whole cluster');
    const scoped = await b.request('DELETE', '/cache/modules/FetchValue');
    assert.equal(scoped.json.scope, 'FetchValue');
    const fresh = await eventually('A recomputes after the module was cleared on B', async () => {
      const r = (await a.post('/execute', { ref: 'shared', inputs: { p: 'shared' } })).json.outputs.r;
      return r !== onA ? r : undefined;
    });
    assert.equal(fresh, 'shared#2');
  });
});

describe('circuit breakers across instances', () => {
  test('A trips; B and C reject without calling; a restarted instance adopts the open breaker; after the reset exactly one probe runs', async () => {
    await a.post('/compile', { source: 'in p: String\nr = CallDependency(p)\nout r\n', name: 'dependent' });
    const call = async (i: Instance) => (await i.post('/execute', { ref: 'dependent', inputs: { p: 'dead' } })).json;
    for (let n = 0; n < 3; n++) assert.equal((await call(a)).errors[0].code, 'ModuleFailed');
    const trippedAt = Date.now();
    assert.equal(dep.calls('dead'), 3);
    const aId = await idOf(a);
    for (const i of [b, c]) {
      await eventually(`${i.name} adopted`, async () => ((await detail(i)).breakers.modules.CallDependency?.state === 'open' ? true : undefined), 2_000, 5);
      for (let n = 0; n < 3; n++) assert.equal((await call(i)).errors[0].code, 'CircuitOpen');
      const last = (await detail(i)).breakers.modules.CallDependency.lastTransition;
      assert.deepEqual([last.to, last.origin, last.source], ['open', aId, 'remote']);
    }
    assert.equal(dep.calls('dead'), 3, 'B and C never called the dead dependency');
    const prom = (await b.get('/metrics/prometheus')).text;
    assert.match(prom, /^constellation_cluster_breaker_state\{module="CallDependency"\} 2$/m);
    assert.match(prom, /^constellation_cluster_breaker_transitions_total\{module="CallDependency",to="open",source="remote"\} 1$/m);

    // C restarts while the breaker is open: it adopts it from the snapshot
    await c.kill();
    c.cleanup();
    c = await start('c2');
    await ready(c);
    assert.ok(Date.now() - trippedAt < RESET_MS, 'the restart fits in the open period');
    assert.equal((await detail(c)).breakers.modules.CallDependency?.state, 'open');
    assert.equal((await call(c)).errors[0].code, 'CircuitOpen');
    assert.equal(dep.calls('dead'), 3);

    // after the reset period: calls everywhere, one probe in the whole cluster
    await new Promise((r) => setTimeout(r, Math.max(0, trippedAt + RESET_MS + 200 - Date.now())));
    for (let round = 0; round < 4; round++) {
      for (const i of [a, b, c]) await call(i);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(dep.calls('dead'), 4, 'exactly one probe');
    for (const i of [a, b, c]) assert.equal((await detail(i)).breakers.modules.CallDependency.state, 'open', `${i.name}: the failed probe re-opened it`);
    const won = await Promise.all([a, b, c].map(async (i) => (await detail(i)).breakers.probeLeases.won));
    assert.equal(won.reduce((x, y) => x + y, 0), 1, `one lease won: ${won.join(', ')}`);
  });
});

describe('NATS restarted', () => {
  test('an entry cleared while NATS was away lives no longer than the in-memory TTL; the reconnect flushes what instances held', async () => {
    const get = async (i: Instance) => (await i.post('/execute', { ref: 'cached', inputs: { p: 'outage' } })).json.outputs.r as string;
    const held = await get(b);
    const heldAt = Date.now();
    await nats.kill();
    await eventually('A degraded', async () => ((await clusterView(a)).mode === 'degraded' ? true : undefined));
    const refused = await a.request('DELETE', '/cache');
    assert.equal(refused.status, 503, 'cleared on A only: the others could not be told');
    assert.equal(refused.json.error, 'CoordinationUnavailable');
    await new Promise((r) => setTimeout(r, Math.max(0, heldAt + L1_TTL_MS + 100 - Date.now())));
    const later = await get(b);
    assert.notEqual(later, held, 'B recomputed once the in-memory TTL ran out');

    assert.equal(await get(b), later, 'cached again on B');
    await nats.restart();
    for (const i of [a, b, c]) await eventually(`${i.name} back`, async () => ((await clusterView(i)).mode === 'ready' ? true : undefined), 15_000);
    const flushes = (await detail(b)).cacheInvalidation.flushes;
    assert.ok(flushes >= 1);
    const caches = (await b.get('/metrics')).json.resultCaches;
    assert.equal(caches.default.size, 0, 'the reconnect flushed what B held');
  });
});

describe('owner gone', () => {
  test('A killed: its session is 410 SessionLost from B', async () => {
    const started = await a.post('/debug/sessions', { ref: 'two', inputs: { a: 1, b: 2 } });
    assert.equal(started.status, 201, started.text);
    const id = started.json.sessionId as string;
    assert.equal((await b.get(`/debug/sessions/${id}`)).status, 200);
    await a.kill();
    // until nats-server has seen A's connection close, a request may still go to A's stale
    // subscription and time out (504 OwnerTimeout, a loaded machine's window); then it is 410
    const lost = await eventually('410 from B', async () => {
      const r = await b.post(`/debug/sessions/${id}/next`, {});
      if (r.status === 504 && r.json.error === 'OwnerTimeout') return undefined;
      return r;
    }, 20_000);
    assert.equal(lost.status, 410, lost.text);
    assert.equal(lost.json.error, 'SessionLost');
    spare.push(a);
  });
});
