import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterView, eventually, ready, startInstance, type Instance } from '../helpers/cluster.js';
import { FAULTS_JS, spawnServer, request, tempDir } from '../helpers/http.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * N instances behave as one service (real nats-server, instances as OS processes): a pipeline
 * compiled on A runs by name on B and C at once; an alias moved or a version rolled back on B
 * is seen by A; racing version writes on two instances lose nothing; an execution suspended on
 * A resumes on B, also after A was killed; two concurrent resumes on two instances give one 200
 * and one 409; list/get/delete work from anywhere; an instance lacking a module says so; an
 * instance joining with an existing data directory brings its pipelines and suspensions along;
 * a dashboard run on A is in B's history (detail and DAG), deleted on B it is gone on A, and the
 * history's capacity holds for the cluster.
 */

let nats: NatsServer;
let a: Instance;
let b: Instance;
let c: Instance;
const extra: Instance[] = [];

/** The dashboard's history capacity (`CONSTELLATION_MAX_EXECUTIONS`) of A, B and C. */
const HISTORY_CAPACITY = 4;
const withFaults = { CONSTELLATION_MODULES: FAULTS_JS, CONSTELLATION_MAX_EXECUTIONS: String(HISTORY_CAPACITY) };

before(async () => {
  nats = await startNats({ name: 'shared' });
  [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => startInstance({ name, natsUrl: nats.url, clusterName: 'shared', env: withFaults })));
  await Promise.all([a, b, c].map((i) => ready(i!)));
});
after(async () => {
  for (const i of [a, b, c, ...extra]) {
    await i?.kill();
    i?.cleanup();
  }
  await nats.stop();
});

const triple = (k: number) => `in x: Int\ny = x * ${k}\nout y\n`;

describe('shared pipelines', () => {
  test('compiled on A, executable by name on B and C at once (a local miss reads the bucket once)', async () => {
    const compiled = await a.post('/compile', { source: triple(3), name: 'triple' });
    assert.equal(compiled.status, 200, compiled.text);
    // no waiting: B and C may not have seen the watch event yet, and must still find it
    const [onB, onC] = await Promise.all([b.post('/execute', { ref: 'triple', inputs: { x: 5 } }), c.post('/execute', { ref: 'triple', inputs: { x: 7 } })]);
    assert.equal(onB.status, 200, onB.text);
    assert.deepEqual(onB.json.outputs, { y: 15 });
    assert.equal(onC.status, 200, onC.text);
    assert.deepEqual(onC.json.outputs, { y: 21 });
    const byHash = await c.post('/execute', { ref: `sha256:${compiled.json.structuralHash}`, inputs: { x: 1 } });
    assert.deepEqual(byHash.json.outputs, { y: 3 });
    const unknown = await b.post('/execute', { ref: 'never-compiled', inputs: {} });
    assert.equal(unknown.status, 404, unknown.text);
    const detail = await c.get('/pipelines/triple');
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.json.aliases, ['triple']);
  });

  test('an alias moved on B and a rollback on B are seen by A', async () => {
    const v1 = await a.post('/compile', { source: triple(10), name: 'moving' });
    const v2 = await a.post('/compile', { source: triple(20), name: 'moving' });
    assert.equal(v2.status, 200);
    await eventually('B knows v2', async () => ((await b.post('/execute', { ref: 'moving', inputs: { x: 1 } })).json?.outputs?.y === 20 ? true : undefined));
    const moved = await b.request('PUT', '/pipelines/moving/alias', { structuralHash: v1.json.structuralHash });
    assert.equal(moved.status, 200, moved.text);
    await eventually('A sees the alias move', async () => ((await a.post('/execute', { ref: 'moving', inputs: { x: 1 } })).json.outputs.y === 10 ? true : undefined), 2_000, 5);
    const back = await b.post('/pipelines/moving/rollback/2', {});
    assert.equal(back.status, 200, back.text);
    await eventually('A sees the rollback', async () => ((await a.post('/execute', { ref: 'moving', inputs: { x: 1 } })).json.outputs.y === 20 ? true : undefined), 2_000, 5);
    const versions = await a.get('/pipelines/moving/versions');
    assert.equal(versions.json.activeVersion, 2);
  });

  test('a canary started on A routes on B; promoted on B and completed on C, the alias moves everywhere', async () => {
    await a.post('/compile', { source: triple(1000), name: 'released' });
    const started = await a.post('/pipelines/released/reload', { source: triple(2000), canary: { initialWeight: 0.5, promotionSteps: [1], autoPromote: false } });
    assert.equal(started.status, 200, started.text);
    const onB = await eventually('B sees the canary', async () => {
      const r = await b.get('/pipelines/released/canary');
      return r.status === 200 ? r.json : undefined;
    });
    assert.equal(onB.status, 'observing');
    assert.equal(onB.currentWeight, 0.5);
    // B routes by it: both versions answer
    const seen = new Set<number>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await b.post('/execute', { ref: 'released', inputs: { x: 1 } })).json.outputs.y);
    assert.deepEqual([...seen].sort((x, y) => x - y), [1000, 2000]);
    const promoted = await b.post('/pipelines/released/canary/promote', {});
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal(promoted.json.status, 'complete');
    await eventually('C runs the new version only', async () => ((await c.post('/execute', { ref: 'released', inputs: { x: 1 } })).json.outputs.y === 2000 ? true : undefined));
    assert.equal((await a.get('/pipelines/released/canary')).json.status, 'complete');
    assert.equal((await c.get('/pipelines/released/versions')).json.activeVersion, 2);
  });

  test('versions written at once on two instances: none lost, no number used twice', async () => {
    await a.post('/compile', { source: triple(100), name: 'racy' });
    await eventually('B knows racy', async () => ((await b.get('/pipelines/racy/versions')).status === 200 ? true : undefined));
    const writes: Promise<{ status: number; text: string }>[] = [];
    for (let i = 1; i <= 6; i++) {
      const on = i % 2 === 0 ? a : b;
      writes.push(on.post('/pipelines/racy/reload', { source: triple(100 + i) }));
    }
    const replies = await Promise.all(writes);
    for (const r of replies) assert.equal(r.status, 200, r.text);
    const versions = await eventually('all seven versions on C', async () => {
      const v = await c.get('/pipelines/racy/versions');
      return v.json?.versions?.length === 7 ? v.json.versions : undefined;
    });
    const numbers = versions.map((v: { version: number }) => v.version).sort((x: number, y: number) => x - y);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7]);
    const hashes = new Set(versions.map((v: { structuralHash: string }) => v.structuralHash));
    assert.equal(hashes.size, 7, 'every reload recorded its own pipeline');
  });
});

describe('shared suspended executions', () => {
  const SUM = 'in a: Int\nin b: Int\ns = a + b\nout s\n';

  test('suspended on A, listed and read everywhere, resumed on B, gone everywhere', async () => {
    const s = await a.post('/run', { source: SUM, inputs: { a: 1 } });
    assert.equal(s.json.status, 'suspended', s.text);
    const id = s.json.executionId;
    for (const i of [b, c]) {
      const list = await i.get('/executions');
      assert.ok(list.json.executions.some((e: { executionId: string }) => e.executionId === id), `${i.name} lists it`);
      assert.equal((await i.get(`/executions/${id}`)).status, 200);
    }
    const resumed = await b.post(`/executions/${id}/resume`, { additionalInputs: { b: 2 } });
    assert.equal(resumed.status, 200, resumed.text);
    assert.deepEqual(resumed.json.outputs, { s: 3 });
    assert.equal(resumed.json.executionId, id);
    for (const i of [a, b, c]) assert.equal((await i.get(`/executions/${id}`)).status, 404, i.name);
  });

  test('deleted on C, gone on A', async () => {
    const s = await a.post('/run', { source: SUM, inputs: { a: 5 } });
    const id = s.json.executionId;
    const del = await c.request('DELETE', `/executions/${id}`);
    assert.equal(del.status, 200, del.text);
    assert.equal((await a.get(`/executions/${id}`)).status, 404);
    assert.equal((await a.post(`/executions/${id}/resume`, { additionalInputs: { b: 1 } })).status, 404);
  });

  test('two concurrent resumes on two instances: exactly one 200, one 409', async () => {
    const SLOW = 'in ms: Int\nin go: Boolean\nr = Sleep(ms) when go\nout r\n';
    const s = await a.post('/run', { source: SLOW, inputs: { ms: 600 } });
    assert.equal(s.json.status, 'suspended', s.text);
    const id = s.json.executionId;
    const [r1, r2] = await Promise.all([b.post(`/executions/${id}/resume`, { additionalInputs: { go: true } }), c.post(`/executions/${id}/resume`, { additionalInputs: { go: true } })]);
    assert.deepEqual([r1.status, r2.status].sort(), [200, 409], `${r1.text} / ${r2.text}`);
    const conflict = r1.status === 409 ? r1 : r2;
    assert.equal(conflict.json.error, 'ResumeInProgress');
  });

  test('the instance that suspended an execution is killed: another resumes it, nothing lost', async () => {
    const d = await startInstance({ name: 'd', natsUrl: nats.url, clusterName: 'shared', env: withFaults });
    extra.push(d);
    await ready(d);
    const s = await d.post('/run', { source: SUM, inputs: { a: 40 } });
    assert.equal(s.json.status, 'suspended', s.text);
    await d.kill();
    const resumed = await c.post(`/executions/${s.json.executionId}/resume`, { additionalInputs: { b: 2 } });
    assert.equal(resumed.status, 200, resumed.text);
    assert.deepEqual(resumed.json.outputs, { s: 42 });
  });
});

describe('divergence and joining', () => {
  test('an instance without a module a shared pipeline uses answers a clear error; /health/detail reports the divergence', async () => {
    const lean = await startInstance({ name: 'lean', natsUrl: nats.url, clusterName: 'shared' });
    extra.push(lean);
    await ready(lean);
    await a.post('/compile', { source: 'in t: String\ne = Echo(t)\nout e\n', name: 'needs-echo' });
    const r = await lean.post('/execute', { ref: 'needs-echo', inputs: { t: 'hi' } });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error, 'ModulesUnavailable');
    assert.match(r.json.message, /needs-echo.*Echo/);
    assert.deepEqual((await a.post('/execute', { ref: 'needs-echo', inputs: { t: 'hi' } })).json.outputs, { e: 'hi' }, 'instances with the module run it');
    const leanId = (await clusterView(lean)).instanceId;
    const div = await eventually('A reports lean as divergent', async () => {
      const d = (await clusterView(a)).moduleDivergence.find((x: { instanceId: string; unknown: boolean }) => x.instanceId === leanId && !x.unknown);
      return d;
    });
    assert.ok(div.missing.includes('Echo') && div.missing.includes('Sleep'), JSON.stringify(div));
    assert.deepEqual(div.extra, []);
    assert.equal((await a.get('/metrics')).json.cluster.divergentPeers, 1);
    await lean.stop();
  });

  test('a single instance grown into a cluster: its pipelines, versions and suspensions are imported once', async () => {
    const dataDir = tempDir('constellation-join-');
    const solo = await spawnServer({ CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_WORKERS: '1' });
    const compiled = await request(solo.port, '/compile', { method: 'POST', body: { source: triple(7), name: 'from-solo' } });
    assert.equal(compiled.status, 200, compiled.text);
    const suspended = await request(solo.port, '/run', { method: 'POST', body: { source: 'in a: Int\nin b: Int\ns = a * b\nout s\n', inputs: { a: 6 } } });
    const id = suspended.json.executionId;
    solo.child.kill('SIGTERM');
    await solo.exited;

    const joined = await startInstance({ name: 'joined', natsUrl: nats.url, clusterName: 'shared', dataDir });
    extra.push(joined);
    await ready(joined);
    const run = await b.post('/execute', { ref: 'from-solo', inputs: { x: 6 } });
    assert.equal(run.status, 200, run.text);
    assert.deepEqual(run.json.outputs, { y: 42 });
    assert.equal((await c.get('/pipelines/from-solo/versions')).json.activeVersion, 1);
    const resumed = await c.post(`/executions/${id}/resume`, { additionalInputs: { b: 7 } });
    assert.deepEqual(resumed.json.outputs, { s: 42 }, resumed.text);

    // the cluster moves on; a restart of the joined instance must not bring the old state back
    assert.equal((await b.request('DELETE', '/pipelines/from-solo')).status, 200);
    await joined.stop();
    const again = await startInstance({ name: 'joined-again', natsUrl: nats.url, clusterName: 'shared', dataDir });
    extra.push(again);
    await ready(again);
    assert.equal((await again.post('/execute', { ref: 'from-solo', inputs: { x: 1 } })).status, 404);
    assert.equal((await a.get(`/executions/${id}`)).status, 404);
  });
});

describe('shared dashboard history', () => {
  const dashboardRun = (i: Instance, x: number) => i.post('/api/v1/execute', { scriptPath: 'history/triple.cst', content: triple(3), inputs: { x } });
  const listed = async (i: Instance): Promise<{ ids: string[]; total: number }> => {
    const r = await i.get('/api/v1/executions?limit=100');
    return { ids: r.json.executions.map((e: { executionId: string }) => e.executionId), total: r.json.total };
  };

  test('a dashboard run on A is listed and opened on B, detail and DAG; deleted on B, gone on A', async () => {
    const r = await dashboardRun(a, 14);
    assert.equal(r.status, 200, r.text);
    const id: string = r.json.executionId;
    const record = await eventually("the run in B's history", async () => {
      const d = await b.get(`/api/v1/executions/${id}`);
      return d.status === 200 && d.json.status === 'Completed' ? d.json : undefined;
    });
    assert.deepEqual([record.inputs, record.outputs, record.scriptPath, record.source], [{ x: 14 }, { y: 42 }, 'history/triple.cst', 'API']);
    assert.ok(Object.keys(record.nodeResults).length > 0, 'per-node results');
    assert.ok((await listed(b)).ids.includes(id));
    const dag = await b.get(`/api/v1/executions/${id}/dag`);
    assert.equal(dag.status, 200, dag.text);
    const output = dag.json.nodes.find((n: { kind: string; label: string }) => n.kind === 'Output' && n.label === 'y');
    assert.deepEqual([output?.executionState?.status, output?.executionState?.value], ['Completed', 42]);
    assert.equal((await b.request('DELETE', `/api/v1/executions/${id}`)).status, 200);
    await eventually('the run gone from A', async () => ((await a.get(`/api/v1/executions/${id}`)).status === 404 ? true : undefined));
    assert.ok(!(await listed(a)).ids.includes(id));
  });

  test('the capacity holds across instances: runs on A and B, the newest kept everywhere, the oldest deleted', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await dashboardRun(i % 2 === 0 ? a : b, i);
      assert.equal(r.status, 200, r.text);
      ids.push(r.json.executionId);
    }
    const newest = ids.slice(-HISTORY_CAPACITY).reverse();
    for (const i of [a, b, c]) {
      await eventually(`${i.name}: the newest ${HISTORY_CAPACITY}, newest first`, async () => {
        const l = await listed(i);
        return JSON.stringify(l.ids) === JSON.stringify(newest) && l.total === HISTORY_CAPACITY ? true : undefined;
      });
      // evicted from the shared bucket, not only hidden from the list
      for (const old of ids.slice(0, ids.length - HISTORY_CAPACITY)) {
        await eventually(`${i.name}: ${old} evicted`, async () => ((await i.get(`/api/v1/executions/${old}`)).status === 404 ? true : undefined));
      }
    }
  });
});

describe('anonymous images bounded across instances', () => {
  const SUSPENDS = 'in a: Int\nin b: Int\nc = a * 3\nd = c + b\nout c\nout d\n';
  const anonymous = (i: number) => `in x: Int\ny = x * 11 + ${i}\nout y\n`;

  test('/run on D past the bound: the shared bucket keeps the bound; an image named on E and one a stored execution uses stay', async () => {
    const env = { CONSTELLATION_ANON_IMAGES_MAX_COUNT: '4', CONSTELLATION_CLUSTER_EVICTION_GRACE: '1s' };
    const [d, e] = await Promise.all(['d', 'e'].map((name) => startInstance({ name, natsUrl: nats.url, clusterName: 'bounded', env })));
    extra.push(d!, e!);
    await Promise.all([ready(d!), ready(e!)]);
    const suspended = await d!.post('/run', { source: SUSPENDS, inputs: { a: 2 } });
    assert.equal(suspended.json.status, 'suspended', suspended.text);
    const hashes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await d!.post('/run', { source: anonymous(i), inputs: { x: 1 } });
      assert.equal(r.status, 200, r.text);
      hashes.push(r.json.structuralHash);
    }
    // E names the oldest anonymous image while D may be evicting it: the name wins
    const named = await e!.post('/compile', { source: anonymous(0), name: 'named-on-e' });
    assert.equal(named.status, 200, named.text);
    assert.equal(named.json.structuralHash, hashes[0]);
    const stored = await eventually('the bucket back within the bound (after the grace period)', async () => {
      const listed: string[] = (await e!.get('/pipelines')).json.pipelines.map((p: { structuralHash: string }) => p.structuralHash);
      // the named image, the suspended run's, and at most the bound of the others
      return listed.length <= 2 + 4 ? listed : undefined;
    }, 20_000, 100);
    assert.ok(stored.includes(hashes[0]!) && stored.includes(suspended.json.structuralHash), JSON.stringify(stored));
    const evicted = hashes.find((h) => !stored.includes(h))!;
    assert.equal((await d!.post('/execute', { ref: `sha256:${evicted}`, inputs: { x: 1 } })).status, 404);
    assert.deepEqual((await d!.post('/execute', { ref: 'named-on-e', inputs: { x: 1 } })).json.outputs, { y: 11 });
    const resumed = await e!.post(`/executions/${suspended.json.executionId}/resume`, { additionalInputs: { b: 1 } });
    assert.deepEqual(resumed.json.outputs, { c: 6, d: 7 }, resumed.text);
  });
});
