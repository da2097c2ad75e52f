import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { Packr } from 'msgpackr';
import { clusterConfig, type ClusterTimers } from '../../cluster/config.js';
import { ENVELOPE_VERSION } from '../../cluster/envelope.js';
import { heartbeatEnvelope, type PeerChange } from '../../cluster/membership.js';
import { ClusterNode } from '../../cluster/node.js';
import { isCoordinationUnavailable } from '../../cluster/errors.js';
import { eventually } from '../helpers/cluster.js';
import { freePort, startNats, type NatsServer } from '../helpers/nats.js';

/**
 * Membership, synchronisation and degraded mode of ClusterNodes in this process against a real
 * nats-server: peers see each other with their load and state; a silent peer becomes suspect,
 * then dead; a late joiner knows the others from their records before any heartbeat; module
 * tables are compared name by name; hostile heartbeats are dropped and counted; a node started
 * before NATS becomes ready when NATS arrives; shared operations are refused at once without a
 * connection and within the operation timeout when the server hangs.
 */

const FAST: Partial<ClusterTimers> = {
  heartbeatIntervalMs: 100,
  suspectAfterMs: 350,
  deadAfterMs: 600,
  memberRecordTtlMs: 5_000,
  memberRecordRefreshMs: 1_000,
  operationTimeoutMs: 800,
  reconnectWaitMs: 100,
  reconnectJitterMs: 50,
  pingIntervalMs: 1_000,
  connectTimeoutMs: 1_000,
  statusIntervalMs: 200,
};

let nats: NatsServer;
const nodes: ClusterNode[] = [];
let cluster = 0;

function node(name: string, opts: { timers?: Partial<ClusterTimers>; modules?: Record<string, string>; url?: string; clusterName?: string } = {}): ClusterNode {
  const n = new ClusterNode({
    config: clusterConfig([opts.url ?? nats.url], { clusterName: opts.clusterName ?? `m${cluster}`, timers: { ...FAST, ...opts.timers } }),
    instanceId: `${name}-1-${'abcdefgh'}`,
    version: '9.9.9',
    load: () => ({ activeExecutions: name.length, queuedNodes: 2, workerUtilisation: 0.5 }),
    modules: () => opts.modules ?? {},
  });
  nodes.push(n);
  return n;
}

async function started(...ns: ClusterNode[]): Promise<void> {
  for (const n of ns) n.start();
  await Promise.all(ns.map((n) => n.whenSynchronised()));
}

function peer(n: ClusterNode, id: string) {
  return n.membership.members().find((m) => m.instanceId === id);
}

before(async () => {
  nats = await startNats();
});
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await nats.stop();
});

describe('membership', () => {
  test('peers see each other running, with load, version and URLs; draining then leaving', async () => {
    cluster++;
    const a = node('alpha');
    const b = node('beta');
    await started(a, b);
    a.membership.setState('running');
    b.membership.setState('running');
    b.membership.setHttpUrl('http://beta:8080');
    const seen = await eventually('alpha sees beta running', async () => {
      const p = peer(a, b.instanceId);
      return p?.state === 'running' && p.httpUrl === 'http://beta:8080' ? p : undefined;
    });
    assert.equal(seen.liveness, 'alive');
    assert.equal(seen.version, '9.9.9');
    assert.equal(seen.load.activeExecutions, 4);
    assert.equal(seen.load.queuedNodes, 2);
    assert.equal(seen.load.workerUtilisation, 0.5);
    assert.equal(a.membership.members()[0]!.self, true);

    const changes: PeerChange[] = [];
    a.membership.onPeerChange((id, change) => id === b.instanceId && changes.push(change));
    b.drain();
    await eventually('alpha sees beta draining', async () => (peer(a, b.instanceId)?.state === 'draining' ? true : undefined));
    await b.close();
    await eventually('beta gone from alpha', async () => (peer(a, b.instanceId) === undefined ? true : undefined));
    // (a loaded machine may add suspect/alive flaps between them; the order is what matters)
    const meaningful = changes.filter((c) => c === 'state' || c === 'left');
    assert.deepEqual(meaningful, ['state', 'left']);
  });

  test('a peer that stops beating is suspect, then dead, then alive again when it returns', async () => {
    cluster++;
    const a = node('gamma');
    const b = node('delta');
    await started(a, b);
    await eventually('gamma sees delta', async () => peer(a, b.instanceId));
    // stopping the heartbeat timer is what a frozen or partitioned process looks like
    const timers = b as unknown as { membership: { beat: NodeJS.Timeout } };
    clearInterval(timers.membership.beat);
    const changes: PeerChange[] = [];
    a.membership.onPeerChange((id, change) => id === b.instanceId && changes.push(change));
    await eventually('delta dead', async () => (peer(a, b.instanceId)?.liveness === 'dead' ? true : undefined), 5_000);
    assert.deepEqual(changes, ['suspect', 'dead']);
    assert.equal(a.metrics().membersDead, 1);
    (b.membership as unknown as { publishHeartbeat(): void }).publishHeartbeat();
    await eventually('delta alive', async () => (peer(a, b.instanceId)?.liveness === 'alive' ? true : undefined));
    assert.deepEqual(changes, ['suspect', 'dead', 'alive']);
  });

  test('a late joiner knows the members from their records before any heartbeat', async () => {
    cluster++;
    const slow = { heartbeatIntervalMs: 60_000, suspectAfterMs: 120_000, deadAfterMs: 180_000, memberRecordTtlMs: 600_000, memberRecordRefreshMs: 300_000 };
    const a = node('early', { timers: slow });
    await started(a);
    a.membership.setState('running');
    await new Promise((r) => setTimeout(r, 100)); // the record write of the state change
    const c = node('late', { timers: slow });
    await started(c);
    const p = peer(c, a.instanceId);
    assert.ok(p, 'known right after the first synchronisation');
    assert.equal(p.state, 'running');
    assert.equal(p.liveness, 'alive');
  });

  test('module-registry divergence is reported name by name', async () => {
    cluster++;
    const a = node('mods-a', { modules: { Shared: 's1', Changed: 'v1', OnlyA: 'a' } });
    const b = node('mods-b', { modules: { Shared: 's1', Changed: 'v2', OnlyB: 'b' } });
    const c = node('mods-c', { modules: { Shared: 's1', Changed: 'v1', OnlyA: 'a' } });
    await started(a, b, c);
    const d = await eventually('divergence with mods-b', async () => {
      const div = a.membership.divergence();
      return div.length === 1 && !div[0]!.unknown ? div[0] : undefined;
    });
    assert.deepEqual(d, { instanceId: b.instanceId, missing: ['OnlyA'], extra: ['OnlyB'], different: ['Changed'], unknown: false });
    assert.equal(a.metrics().divergentPeers, 1);
    assert.ok(a.membership.members().every((m) => m.liveness === 'alive'));
  });

  test('hostile heartbeats are dropped and counted; made-up peers cannot grow the table without bound', async () => {
    cluster++;
    const a = node('target');
    await started(a);
    const nc: NatsConnection = await connect({ servers: nats.url });
    try {
      const subject = a.names.heartbeats;
      const plain = new Packr({ useRecords: false });
      nc.publish(subject, Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
      nc.publish(subject, Uint8Array.from([ENVELOPE_VERSION, 0xc1, 0xc1]));
      nc.publish(subject, Uint8Array.from([2, ...plain.pack({ kind: 'heartbeat' })]));
      nc.publish(subject, new Uint8Array(100 * 1024));
      nc.publish(subject, Uint8Array.from([ENVELOPE_VERSION, ...plain.pack({ kind: 'heartbeat', instanceId: 'x' })]));
      nc.publish(subject, Uint8Array.from([ENVELOPE_VERSION, ...plain.pack({ kind: 'breaker' })]));
      nc.publish(subject, new Uint8Array(0));
      const load = { activeExecutions: 0, queuedNodes: 0, eventLoopLagMs: 0, workerUtilisation: 0 };
      for (let i = 0; i < 1_100; i++) {
        nc.publish(subject, heartbeatEnvelope.encode({ instanceId: `fake-${i}-zzzzzzzz`, seq: 1, state: 'running', httpUrl: null, grpcUrl: null, version: '0', startedAt: 0, capabilities: [], modulesDigest: '', load }));
      }
      await nc.flush();
      const dropped = await eventually('drops counted', async () => (a.drops.total >= 7 ? a.drops.entries() : undefined));
      const reasons = Object.fromEntries(dropped.map((d) => [d.reason, d.count]));
      assert.deepEqual(reasons, { version: 2, garbage: 1, oversized: 1, schema: 1, kind: 1, empty: 1 });
      await eventually('fakes tracked', async () => (a.membership.members().length > 1000 ? true : undefined));
      assert.ok(a.membership.members().length <= 1001, `${a.membership.members().length} members`);
      assert.equal(a.mode, 'ready');
    } finally {
      await nc.close();
    }
  });
});

describe('connection and synchronisation', () => {
  test('a node started before NATS is not synchronised until NATS arrives, then synchronises', async () => {
    const port = await freePort();
    const a = node('before', { url: `nats://127.0.0.1:${port}`, clusterName: 'early' });
    a.start();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(a.synchronised, false);
    assert.equal(a.mode, 'connecting');
    await assert.rejects(a.connection.shared('probe', async () => 1), (e) => isCoordinationUnavailable(e));
    const late = await startNats({ port, name: 'late' });
    try {
      await eventually('synchronised', async () => (a.synchronised ? true : undefined), 10_000);
      assert.equal(a.mode, 'ready');
    } finally {
      await a.close();
      await late.stop();
    }
  });

  test('degraded mode: refused at once when disconnected, bounded by the operation timeout when NATS hangs; resynchronised after', async () => {
    const own = await startNats({ name: 'flaky' });
    const a = node('flaky-client', { url: own.url, clusterName: 'flaky' });
    const syncs: string[] = [];
    a.addSynchroniser('probe', async (reason) => void syncs.push(reason));
    try {
      await started(a);
      assert.deepEqual(syncs, ['connect']);
      assert.equal(await a.connection.shared('ok', async () => 42), 42);

      const kv = await a.buckets.kv({ purpose: 'probe', description: 'test' });
      // a hung server: the socket stays open, nothing answers
      await own.pause();
      const t0 = performance.now();
      await assert.rejects(a.connection.shared('put while hung', () => kv.put('k', new Uint8Array([1]))), (e) => isCoordinationUnavailable(e));
      const hungMs = performance.now() - t0;
      assert.ok(hungMs < 2_000, `refused after ${hungMs} ms`);
      own.resume();

      await own.kill();
      await eventually('disconnected', async () => (a.connection.state === 'reconnecting' ? true : undefined));
      assert.equal(a.mode, 'degraded');
      assert.equal(a.synchronised, true, 'still ready: degraded, not unready');
      // right after the loss an operation waits for a reconnect, within its timeout
      const t1 = performance.now();
      await assert.rejects(a.connection.shared('put while down', () => kv.put('k', new Uint8Array([1]))), (e) => isCoordinationUnavailable(e));
      const waited = performance.now() - t1;
      assert.ok(waited < 2_000, `refused after ${waited} ms`);
      // later in the outage: refused without trying
      await new Promise((r) => setTimeout(r, 2 * 800 - waited + 50));
      const t2 = performance.now();
      await assert.rejects(a.connection.shared('put while down', () => kv.put('k', new Uint8Array([1]))), (e) => isCoordinationUnavailable(e));
      assert.ok(performance.now() - t2 < 50, 'refused at once');
      assert.ok(a.metrics().sharedRefused >= 1);
      assert.equal(a.metrics().degraded, 1);

      await own.restart();
      await eventually('resynchronised', async () => (a.mode === 'ready' ? true : undefined), 10_000);
      assert.deepEqual(syncs, ['connect', 'reconnect']);
      assert.ok(await a.connection.shared('put after', () => kv.put('k', new Uint8Array([2]))) > 0);
    } finally {
      own.resume();
      await a.close();
      await own.stop();
    }
  });
});
