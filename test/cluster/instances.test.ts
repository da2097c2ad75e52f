import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connect } from 'nats';
import { Packr } from 'msgpackr';
import { ENVELOPE_VERSION } from '../../cluster/envelope.js';
import { clusterView, eventually, ready, startInstance, type Instance } from '../helpers/cluster.js';
import { FAULTS_JS } from '../helpers/http.js';
import { freePort, startNats, type NatsServer } from '../helpers/nats.js';

/**
 * Instances in cluster mode as real processes (`node dist/server/main.js`) against a real
 * nats-server: readiness waits for the first synchronisation (and only for it: losing NATS
 * later keeps the instance ready, in degraded mode); /health/detail shows the members, the
 * connection and the buckets; /metrics has the cluster gauges; a drained instance is seen
 * draining, then leaving; a killed one suspect then dead; hostile envelopes are dropped and
 * counted; NATS killed and restarted: local work goes on and the cluster reconverges.
 */

const instances: Instance[] = [];
const servers: NatsServer[] = [];
after(async () => {
  await Promise.all(instances.map((i) => i.kill()));
  for (const i of instances) i.cleanup();
  await Promise.all(servers.map((s) => s.stop()));
});

async function instance(name: string, natsUrl: string, clusterName: string, env: Record<string, string> = {}): Promise<Instance> {
  const i = await startInstance({ name, natsUrl, clusterName, env });
  instances.push(i);
  return i;
}

const RUN = { source: 'in x: Int\ny = x * 2\nout y', inputs: { x: 21 } };

describe('cluster mode, instance processes', () => {
  test('readiness waits for NATS; detail and metrics show the cluster; NATS loss is degraded mode, then reconverges', async () => {
    const port = await freePort();
    const a = await instance('a', `nats://127.0.0.1:${port}`, 'one');
    // no NATS yet: alive, serving local work, not ready
    assert.equal((await a.get('/health/live')).status, 200);
    assert.equal((await a.get('/health/ready')).status, 503);
    assert.equal((await clusterView(a)).mode, 'connecting');
    const early = await a.post('/run', RUN);
    assert.equal(early.status, 200, early.text);
    assert.deepEqual(early.json.outputs, { y: 42 });

    const nats = await startNats({ port, name: 'one' });
    servers.push(nats);
    await ready(a);
    const b = await instance('b', nats.url, 'one');
    await ready(b);

    const view = await eventually('a sees b with its modules', async () => {
      const v = await clusterView(a);
      return v.members.length === 2 && v.members[1].state === 'running' && v.members[1].moduleCount !== null ? v : undefined;
    });
    assert.equal(view.name, 'one');
    assert.equal(view.mode, 'ready');
    assert.equal(view.nats.state, 'connected');
    assert.equal(view.nats.serverVersion, '2.9.10');
    assert.equal(view.members[0].self, true);
    assert.equal(view.members[0].httpUrl, a.base);
    assert.equal(view.members[1].httpUrl, b.base);
    assert.ok(view.members[1].moduleCount > 0, 'the example modules are announced');
    assert.equal(view.members[1].moduleCount, view.members[0].moduleCount);
    assert.deepEqual(view.moduleDivergence, []);
    const members = await eventually('bucket statistics with both records', async () => {
      const bucket = (await clusterView(a)).buckets.find((x: { bucket: string }) => x.bucket === 'cst_one_members');
      return bucket?.values === 2 ? bucket : undefined;
    });
    assert.equal(members.replicas, 1);
    assert.equal(members.error, null);

    const json = (await a.get('/metrics')).json.cluster;
    assert.equal(json.connected, 1);
    assert.equal(json.synchronised, 1);
    assert.equal(json.membersAlive, 2);
    const prom = (await a.get('/metrics', { accept: 'text/plain' })).text;
    assert.match(prom, /^constellation_cluster_connected 1$/m);
    assert.match(prom, /^constellation_cluster_members\{liveness="alive"\} 2$/m);
    assert.match(prom, /^# TYPE constellation_cluster_envelopes_dropped_total counter$/m);

    // NATS dies: local work continues, readiness holds, the mode says degraded
    await nats.kill();
    await eventually('degraded', async () => ((await clusterView(a)).mode === 'degraded' ? true : undefined));
    assert.equal((await a.get('/health/ready')).status, 200);
    const during = await a.post('/run', RUN);
    assert.equal(during.status, 200, during.text);
    assert.equal((await a.get('/metrics')).json.cluster.degraded, 1);

    await nats.restart();
    for (const i of [a, b]) await eventually(`${i.name} reconverged`, async () => ((await clusterView(i)).mode === 'ready' ? true : undefined), 10_000);
    const after = await clusterView(a);
    assert.equal(after.nats.disconnects, 1);
    assert.ok(after.nats.connects >= 2);
    await eventually('b alive again in a’s view', async () => ((await clusterView(a)).members.find((m: { instanceId: string }) => m.instanceId !== after.instanceId)?.liveness === 'alive' ? true : undefined));
  });

  test('a drained instance is seen draining then gone; a killed one suspect then dead', async () => {
    const nats = await startNats({ name: 'two' });
    servers.push(nats);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => instance(n, nats.url, 'two', { CONSTELLATION_DRAIN_TIMEOUT: '2s', CONSTELLATION_MODULES: FAULTS_JS })));
    await Promise.all([a, b, c].map((i) => ready(i!)));
    const bId = (await clusterView(b!)).instanceId;
    const cId = (await clusterView(c!)).instanceId;
    await eventually('a sees three', async () => ((await clusterView(a!)).members.length === 3 ? true : undefined));

    // a slow run keeps b draining long enough to be seen
    const slow = b!.post('/run', { source: 'in ms: Int\nr = Sleep(ms)\nout r', inputs: { ms: 900 } });
    await eventually('the slow run in flight', async () => ((await b!.get('/metrics')).json.server.executions_inflight === 1 ? true : undefined));
    b!.child.kill('SIGTERM');
    const states = new Set<string>();
    await eventually('b gone', async () => {
      const m = (await clusterView(a!)).members.find((x: { instanceId: string }) => x.instanceId === bId);
      if (m) states.add(m.state);
      return m === undefined ? true : undefined;
    }, 10_000, 20);
    assert.ok(states.has('draining'), `seen: ${[...states].join(', ')}`);
    assert.equal(await b!.exited, 0);
    assert.equal((await slow).status, 200, 'the drain let the run finish');

    await c!.kill();
    const seen = new Set<string>();
    await eventually('c dead', async () => {
      const m = (await clusterView(a!)).members.find((x: { instanceId: string }) => x.instanceId === cId);
      if (m) seen.add(m.liveness);
      return m?.liveness === 'dead' ? true : undefined;
    }, 10_000, 20);
    assert.ok(seen.has('suspect'), `seen: ${[...seen].join(', ')}`);
  });

  test('a NATS token authenticates the instance and never appears in its output; a wrong one keeps it not ready', async () => {
    const token = 'nats-token-do-not-log-0123456789';
    const nats = await startNats({ name: 'auth', token });
    servers.push(nats);
    const good = await instance('good', nats.url, 'auth', { CONSTELLATION_NATS_TOKEN: token, CONSTELLATION_LOG_LEVEL: 'debug' });
    await ready(good);
    const bad = await instance('bad', nats.url, 'auth', { CONSTELLATION_NATS_TOKEN: 'wrong-token-also-secret-9876', CONSTELLATION_LOG_LEVEL: 'debug' });
    await new Promise((r) => setTimeout(r, 800));
    assert.equal((await bad.get('/health/ready')).status, 503);
    assert.equal((await clusterView(bad)).mode, 'connecting');
    assert.equal((await bad.post('/run', RUN)).status, 200, 'local work goes on');
    for (const i of [good, bad]) {
      const out = i.stdout() + i.stderr();
      assert.ok(!out.includes(token) && !out.includes('wrong-token-also-secret-9876'), `${i.name} logged a token`);
    }
    assert.match(good.stdout(), /"auth":"token"/);
  });

  test('hostile envelopes on the cluster subjects are dropped and counted; the instance keeps serving', async () => {
    const nats = await startNats({ name: 'three' });
    servers.push(nats);
    const a = await instance('a', nats.url, 'three');
    await ready(a);
    const nc = await connect({ servers: nats.url });
    try {
      const plain = new Packr({ useRecords: false });
      const hb = 'cst.three.members.hb';
      nc.publish(hb, Buffer.from('not msgpack at all'));
      nc.publish(hb, Uint8Array.from([ENVELOPE_VERSION, 0xdd, 0xff, 0xff, 0xff, 0xff]));
      nc.publish(hb, Uint8Array.from([ENVELOPE_VERSION, ...plain.pack({ kind: 'member' })]));
      nc.publish(hb, Uint8Array.from([42, ...plain.pack({ kind: 'heartbeat' })]));
      nc.publish(hb, new Uint8Array(512 * 1024));
      nc.publish(hb, Uint8Array.from([ENVELOPE_VERSION, ...plain.pack({ kind: 'heartbeat', instanceId: '../../etc', seq: -1 })]));
      await nc.flush();
      const dropped = await eventually('drops', async () => {
        const m = (await a.get('/metrics')).json.cluster;
        return m.dropped.reduce((n: number, d: { count: number }) => n + d.count, 0) >= 6 ? m.dropped : undefined;
      });
      const reasons = Object.fromEntries(dropped.map((d: { reason: string; count: number }) => [d.reason, d.count]));
      assert.equal(reasons.version, 2); // 'n' (0x6e) and 42
      assert.equal(reasons.garbage, 1);
      assert.equal(reasons.oversized, 1);
      assert.equal(reasons.schema, 1);
      assert.equal(reasons.kind, 1);
      const prom = (await a.get('/metrics', { accept: 'text/plain' })).text;
      assert.match(prom, /^constellation_cluster_envelopes_dropped_total\{kind="heartbeat",reason="oversized"\} 1$/m);
      assert.equal((await a.post('/run', RUN)).status, 200);
      assert.equal((await clusterView(a)).members.length, 1, 'no phantom members');
      assert.equal(a.child.exitCode, null);
    } finally {
      await nc.close();
    }
  });
});
