import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AggregateBreakerTripping } from '../../cluster/breaker-aggregate.js';
import { BreakerGossip } from '../../cluster/breakers.js';
import { clusterConfig, type ClusterTimers } from '../../cluster/config.js';
import { ClusterExecutionControl } from '../../cluster/execution-routing.js';
import { KvResultCache } from '../../cluster/kv-result-cache.js';
import { ClusterNode } from '../../cluster/node.js';
import { ProbeLeases } from '../../cluster/probe-leases.js';
import { createClusterStores } from '../../cluster/stores/index.js';
import { ThrottleSplit } from '../../cluster/throttle-split.js';
import { LocalBreakerRegistry } from '../../runtime/engine/circuit-breaker.js';
import { Engine } from '../../runtime/engine/engine.js';
import { LocalExecutionControl } from '../../runtime/engine/execution-control.js';
import { ModuleLimits } from '../../runtime/engine/limits.js';
import { Slow, Upper } from '../contracts/control-modules.js';
import { cacheBackendContract } from '../contracts/cache-backend.contract.js';
import { executionControlContract } from '../contracts/execution-control.contract.js';
import { eventually } from '../helpers/cluster.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * The coordination agents in this process against a real nats-server (the multi-process test,
 * coordination.test.ts, takes the server's routes across instances):
 *
 * - the ExecutionControl contract suite, with the executions on instance A and every call made
 *   through instance B's cluster control; the CacheBackend contract on the shared KV cache, and
 *   a result shared between two instances;
 * - the probe lease: of three instances asking at once, exactly one may probe;
 * - aggregate tripping: failures on one instance and successes on another, summed cluster-wide;
 * - the throttle split follows the live members.
 */

const FAST: Partial<ClusterTimers> = {
  heartbeatIntervalMs: 100,
  suspectAfterMs: 350,
  deadAfterMs: 600,
  memberRecordTtlMs: 5_000,
  memberRecordRefreshMs: 1_000,
  operationTimeoutMs: 1_000,
  reconnectWaitMs: 100,
  reconnectJitterMs: 50,
  controlTimeoutMs: 500,
  breakerDeltaIntervalMs: 100,
  breakerAggregateWindowMs: 5_000,
};

let nats: NatsServer;
const nodes: ClusterNode[] = [];
const engines: Engine[] = [];
let clusters = 0;

before(async () => {
  nats = await startNats({ name: 'agents' });
});
after(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await Promise.all(nodes.map((n) => n.close()));
  await nats.stop();
});

function node(cluster: string, name: string, coordination = {}): ClusterNode {
  const n = new ClusterNode({ config: clusterConfig([nats.url], { clusterName: cluster, timers: FAST, coordination }), instanceId: `${name}-1-abcdefgh` });
  nodes.push(n);
  return n;
}

/** One instance: node, shared stores, engine, local and cluster execution control. */
async function instance(cluster: string, name: string) {
  const n = node(cluster, name);
  const stores = createClusterStores(n);
  const engine = new Engine({ suspensionStore: stores.suspensionStore, modules: [{ module: Slow }, { module: Upper }] });
  engines.push(engine);
  const local = new LocalExecutionControl(engine, { suspensions: stores.suspensionStore, instanceId: n.instanceId, sessionIds: ClusterExecutionControl.sessionIds(n.instanceId) });
  const control = new ClusterExecutionControl(n, local);
  n.addSynchroniser('routing', () => control.synchronise());
  n.start();
  await n.whenSynchronised();
  return { node: n, engine, control };
}

executionControlContract('cluster (executions on A, controlled through B)', async () => {
  const cluster = `ec${++clusters}`;
  const a = await instance(cluster, 'a');
  const b = await instance(cluster, 'b');
  const slow = a.engine.compile('in t: String\nx = Slow(t)\nout x\n').dag!;
  const suspending = a.engine.compile('in a: Int\nin b: Int\nx = a + b\nout x\n').dag!;
  const stepped = b.engine.compile('in t: String\na = Upper(t)\nb = Upper(a)\nout b\n').dag!;
  return {
    store: {
      control: b.control,
      startSlow: async () => {
        const run = a.engine.launch(slow, { t: 'x' });
        return { executionId: run.executionId, finished: run.result };
      },
      suspended: async () => (await a.engine.run(suspending, { a: 1 })).executionId,
      stepped: { dag: stepped, inputs: { t: 'Mixed' } },
      sessionIdPrefix: `${b.node.instanceId}:`,
      quick: { dag: stepped, inputs: { t: 'quick' } },
      owner: a.node.instanceId,
    },
    cleanup: async () => {},
  };
});

cacheBackendContract('nats (shared KV behind memory)', async () => {
  const n = node(`kv${++clusters}`, 'k1');
  const cache = new KvResultCache(n);
  n.addSynchroniser('results', () => cache.synchronise());
  n.start();
  await n.whenSynchronised();
  return { store: cache, cleanup: async () => {} };
});

describe('shared result cache', () => {
  test("a result set on one instance is read on another (with its module); a module's purge reaches both", async () => {
    const cluster = `kv${++clusters}`;
    const [n1, n2] = [node(cluster, 'r1'), node(cluster, 'r2')];
    const [c1, c2] = [new KvResultCache(n1), new KvResultCache(n2)];
    n1.addSynchroniser('results', () => c1.synchronise());
    n2.addSynchroniser('results', () => c2.synchronise());
    for (const n of [n1, n2]) n.start();
    await Promise.all([n1, n2].map((n) => n.whenSynchronised()));
    c1.set('key-1', { answer: 42n }, 60_000, 'Geo.Code');
    const hit = await eventually('the write landed', async () => c2.get('key-1', 'Geo.Code'));
    assert.deepEqual(hit.value, { answer: 42n });
    assert.equal(await c2.get('key-2', 'Geo.Code'), undefined);
    assert.equal(c2.stats().shared.hits, 1);
    assert.ok(c2.stats().shared.misses >= 1);
    assert.ok((await c1.invalidate({ module: 'Geo.Code' })) >= 1);
    c2.invalidateLocal('all'); // what the announcement does on the other instance
    assert.equal(await c2.get('key-1', 'Geo.Code'), undefined);
  });
});

describe('probe lease', () => {
  test('three instances ask at once: exactly one probes; the lease goes when its probe decided', async () => {
    const cluster = `pl${++clusters}`;
    // a generous operation timeout: a lease taken late (machine under load) must not count as "NATS cannot decide"
    const ns = ['p1', 'p2', 'p3'].map((name) => {
      const n = new ClusterNode({ config: clusterConfig([nats.url], { clusterName: cluster, timers: { ...FAST, operationTimeoutMs: 10_000 } }), instanceId: `${name}-1-abcdefgh` });
      nodes.push(n);
      return n;
    });
    for (const n of ns) n.start();
    await Promise.all(ns.map((n) => n.whenSynchronised()));
    const leases = ns.map((n) => new ProbeLeases(n, 5_000));
    assert.deepEqual(leases.map((l) => l.mayProbe('Dep')), [false, false, false], 'nobody holds it yet: the first ask only starts taking it');
    const granted = await eventually('a holder', async () => {
      const g = leases.map((l) => l.mayProbe('Dep'));
      return g.some(Boolean) && leases.every((l) => l.stats().won + l.stats().lost >= 1) ? g : undefined;
    });
    assert.equal(granted.filter(Boolean).length, 1, `granted: ${granted.join(', ')}`);
    assert.equal(leases.reduce((n, l) => n + l.stats().won, 0), 1);
    const winner = granted.indexOf(true);
    leases[winner]!.release('Dep');
    const other = leases[(winner + 1) % 3]!;
    other.forget('Dep');
    await eventually('the next instance takes the released lease', async () => (other.mayProbe('Dep') ? true : undefined));
  });
});

describe('shared failure count', () => {
  test('failures spread over three instances open every breaker after one threshold in total; a success anywhere resets the count', async () => {
    const cluster = `sc${++clusters}`;
    const ns = [node(cluster, 's1'), node(cluster, 's2'), node(cluster, 's3')];
    const registries = ns.map(() => new LocalBreakerRegistry({ failureThreshold: 5, resetDurationMs: 60_000, halfOpenMaxProbes: 1 }));
    const gossip = ns.map((n, i) => new BreakerGossip(n, registries[i]!));
    ns.forEach((n, i) => n.addSynchroniser('breakers', (reason) => gossip[i]!.synchronise(reason)));
    for (const n of ns) n.start();
    await Promise.all(ns.map((n) => n.whenSynchronised()));
    for (const g of gossip) g.start();
    const counts = () => registries.map((r) => r.forModule('Dead').stats().consecutiveFailures);
    try {
      const fail = async (i: number, expected: number) => {
        registries[i]!.forModule('Dead').onFailure();
        await eventually(`count ${expected} everywhere`, async () => (counts().every((c) => c === expected) ? true : undefined), 2_000, 2);
      };
      await fail(0, 1);
      await fail(1, 2);
      registries[2]!.forModule('Dead').onSuccess();
      await eventually('reset everywhere', async () => (counts().every((c) => c === 0) ? true : undefined), 2_000, 2);
      for (let k = 0; k < 4; k++) await fail(k % 3, k + 1);
      assert.deepEqual(registries.map((r) => r.forModule('Dead').state), ['closed', 'closed', 'closed']);
      registries[1]!.forModule('Dead').onFailure(); // the fifth, on the second instance
      await eventually('open everywhere', async () => (registries.every((r) => r.forModule('Dead').state === 'open') ? true : undefined), 2_000, 2);
      const views = gossip.map((g) => g.view()['Dead']!.lastTransition!);
      assert.deepEqual(views.map((v) => [v.origin, v.source]), [['s2-1-abcdefgh', 'remote'], ['s2-1-abcdefgh', 'local'], ['s2-1-abcdefgh', 'remote']]);
      assert.equal(gossip[1]!.stats().published, 1, 'only the instance whose call failed announces the transition');
    } finally {
      for (const g of gossip) g.close();
    }
  });
});

describe('aggregate breaker tripping', () => {
  test("failures on one instance, successes on another: tripped everywhere when the cluster's ratio is too high", async () => {
    const cluster = `ag${++clusters}`;
    const settings = { ratio: 0.5, minCalls: 20, intervalMs: 100, windowMs: 5_000 };
    const [n1, n2] = [node(cluster, 'g1'), node(cluster, 'g2')];
    const [r1, r2] = [new LocalBreakerRegistry({ failureThreshold: 1000, resetDurationMs: 60_000, halfOpenMaxProbes: 1 }), new LocalBreakerRegistry({ failureThreshold: 1000, resetDurationMs: 60_000, halfOpenMaxProbes: 1 })];
    const agents = [new AggregateBreakerTripping(n1, r1, settings), new AggregateBreakerTripping(n2, r2, settings)];
    n1.addSynchroniser('agg', () => agents[0]!.synchronise());
    n2.addSynchroniser('agg', () => agents[1]!.synchronise());
    for (const n of [n1, n2]) n.start();
    await Promise.all([n1, n2].map((n) => n.whenSynchronised()));
    for (const a of agents) a.start();
    try {
      // below the minimum volume: nothing trips
      for (let i = 0; i < 8; i++) r1.forModule('Flaky').onFailure();
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(r2.forModule('Flaky').state, 'closed');
      // 8 + 7 failures here, 10 successes there: 15 / 25 = 0.6 of the cluster's calls failed
      for (let i = 0; i < 7; i++) r1.forModule('Flaky').onFailure();
      for (let i = 0; i < 10; i++) r2.forModule('Flaky').onSuccess();
      await eventually('tripped on both', async () => (r1.forModule('Flaky').state === 'open' && r2.forModule('Flaky').state === 'open' ? true : undefined), 5_000);
      assert.ok(agents[0]!.tripped + agents[1]!.tripped >= 1);
      // a healthy module is left alone
      for (let i = 0; i < 30; i++) r1.forModule('Healthy').onSuccess();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(r2.forModule('Healthy').state, 'closed');
    } finally {
      for (const a of agents) a.close();
    }
  });
});

describe('throttle split', () => {
  test('each instance gets 1 / members of every throttle budget, following membership', async () => {
    const cluster = `ts${++clusters}`;
    const [n1, n2] = [node(cluster, 't1'), node(cluster, 't2')];
    const limits = new ModuleLimits();
    const split = new ThrottleSplit(n1, limits);
    for (const n of [n1, n2]) n.start();
    await Promise.all([n1, n2].map((n) => n.whenSynchronised()));
    n1.membership.setState('running');
    n2.membership.setState('running');
    split.start();
    await eventually('two members', async () => (split.members === 2 ? true : undefined));
    assert.equal(limits.throttleShare, 0.5);
    const bucket = limits.bucket('M', 10, 1000);
    let taken = 0;
    const until = Date.now() + 50;
    while (Date.now() < until) {
      const t = bucket.take();
      const won = await Promise.race([t.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5))]);
      if (!won) break;
      taken++;
    }
    assert.equal(taken, 5, 'half of a burst of 10');
    await n2.close();
    await eventually('alone again', async () => (split.members === 1 ? true : undefined));
    assert.equal(limits.throttleShare, 1);
  });
});
