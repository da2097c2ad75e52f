import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Packr } from 'msgpackr';
import { z } from 'zod';
import { clusterConfig, describeClusterConfig, redactServerUrl } from '../../cluster/config.js';
import { defineEnvelope, DropCounter, ENVELOPE_VERSION, EnvelopeTooLargeError } from '../../cluster/envelope.js';
import { heartbeatEnvelope, memberRecordEnvelope, modulesDigest } from '../../cluster/membership.js';
import { ClusterNames, decodeName, encodeName, isInstanceId, isValidKey, newInstanceId } from '../../cluster/naming.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { prng } from '../helpers/prng.js';

/**
 * The cluster layer's foundations without NATS: names on the coordination plane (encoding of
 * user-supplied names, instance ids, bucket and key rules), the versioned envelope and its
 * behaviour on hostile bytes, and the cluster configuration read from the environment.
 */

describe('naming', () => {
  test('user-supplied names round-trip and become valid subject tokens and KV keys', () => {
    const names = ['my-pipeline:v1.0', 'a.b.c', 'with space', '*', '>', 'ünïcødé ✓', 'x'.repeat(256), '_kv-lookalike', '.leading'];
    for (const name of names) {
      const token = encodeName(name);
      assert.match(token, /^[A-Za-z0-9_-]+$/, name);
      assert.ok(isValidKey(token), `${name} → ${token} is a valid key`);
      assert.equal(decodeName(token), name);
    }
  });

  test('decodeName refuses what encodeName never produces', () => {
    for (const bad of ['', 'a.b', 'a*', 'ab=', 'abc/']) assert.equal(decodeName(bad), undefined, bad);
  });

  test('instance ids are unique, subject-safe and carry host and pid', () => {
    const a = newInstanceId('web-1.prod.example.com', 42);
    const b = newInstanceId('web-1.prod.example.com', 42);
    assert.notEqual(a, b);
    assert.match(a, /^web-1-42-[a-z2-7]{8}$/);
    assert.ok(isInstanceId(a));
    assert.ok(isInstanceId(newInstanceId('we!rd host', 1)));
    assert.ok(!isInstanceId('a.b') && !isInstanceId('a b') && !isInstanceId('*'));
  });

  test('subjects and buckets follow cst.<c>.… and cst_<c>_…; bad cluster names are refused', () => {
    const n = new ClusterNames('prod-eu_1');
    assert.equal(n.heartbeats, 'cst.prod-eu_1.members.hb');
    assert.equal(n.bucket('images'), 'cst_prod-eu_1_images');
    assert.equal(n.instance('host-1-abcdefgh'), 'cst.prod-eu_1.inst.host-1-abcdefgh.>');
    assert.equal(n.instance('host-1-abcdefgh', 'step.next'), 'cst.prod-eu_1.inst.host-1-abcdefgh.step.next');
    assert.equal(n.breaker('ns.Module'), `cst.prod-eu_1.cb.${encodeName('ns.Module')}`);
    assert.equal(n.syntacticKey('a'.repeat(64), 'b'.repeat(64)), `${'a'.repeat(64)}.${'b'.repeat(64)}`);
    assert.ok(isValidKey(n.nameKey('my-pipeline:v1.0')));
    assert.throws(() => n.instance('bad.id'));
    assert.throws(() => n.nameKey('x'.repeat(2000)), /too long/);
    for (const bad of ['', 'a.b', 'a b', 'x'.repeat(33), 'ü']) assert.throws(() => new ClusterNames(bad), /invalid cluster name/, bad);
  });

  test('KV key rules', () => {
    assert.ok(isValidKey('abc/def=_-.x'));
    for (const bad of ['', '.a', 'a.', '_kvx', 'a b', 'a*', 'a>', 'ä']) assert.ok(!isValidKey(bad), bad);
  });
});

describe('envelopes', () => {
  const ping = defineEnvelope('ping', z.object({ n: z.number().int(), text: z.string().max(10) }), 256);

  test('encode → decode round-trips; the first byte is the envelope version', () => {
    const bytes = ping.encode({ n: 7, text: 'hi' });
    assert.equal(bytes[0], ENVELOPE_VERSION);
    assert.deepEqual(ping.decode(bytes), { ok: true, value: { n: 7, text: 'hi' } });
  });

  test('hostile envelopes are dropped with a reason, never thrown', () => {
    const good = ping.encode({ n: 1, text: 'x' });
    const plain = new Packr({ useRecords: false });
    const withVersion = (body: Uint8Array, v = ENVELOPE_VERSION) => Uint8Array.from([v, ...body]);
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['empty', Uint8Array.from([ENVELOPE_VERSION])],
      ['version', Uint8Array.from([99, ...good.subarray(1)])],
      ['version', Uint8Array.from([0, ...good.subarray(1)])],
      ['garbage', withVersion(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]))],
      ['kind', withVersion(plain.pack({ kind: 'pong', n: 1, text: 'x' }))],
      ['kind', withVersion(plain.pack([1, 2, 3]))],
      ['kind', withVersion(plain.pack('just a string'))],
      ['schema', withVersion(plain.pack({ kind: 'ping', n: 1.5, text: 'x' }))],
      ['schema', withVersion(plain.pack({ kind: 'ping', n: 1, text: 'far too long a text' }))],
      ['oversized', new Uint8Array(257)],
    ];
    for (const [reason, bytes] of cases) {
      const d = ping.decode(bytes);
      assert.equal(d.ok, false, `${reason}: ${Buffer.from(bytes.subarray(0, 16)).toString('hex')}`);
      if (!d.ok) assert.equal(d.reason, reason, d.detail);
    }
  });

  test('random bytes never throw and never pass', () => {
    const rng = prng(10);
    for (let i = 0; i < 5_000; i++) {
      const len = Math.floor(rng() * 64);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(rng() * 256);
      if (len > 0 && rng() < 0.5) bytes[0] = ENVELOPE_VERSION;
      const d = heartbeatEnvelope.decode(bytes);
      assert.equal(d.ok, false);
    }
  });

  test('an envelope larger than its limit is refused when sent', () => {
    assert.throws(() => ping.encode({ n: 1, text: 'x'.repeat(10) + 'y'.repeat(300) } as never), EnvelopeTooLargeError);
  });

  test('prototype keys in a payload do not leak into the decoded value', () => {
    const plain = new Packr({ useRecords: false });
    const bytes = Uint8Array.from([ENVELOPE_VERSION, ...plain.pack(JSON.parse('{"kind":"ping","n":1,"text":"x","__proto__":{"polluted":true}}'))]);
    const d = ping.decode(bytes);
    assert.ok(d.ok);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(Object.keys(d.ok ? d.value : {}).sort(), ['n', 'text']);
  });

  test('DropCounter counts by kind and reason', () => {
    const drops = new DropCounter();
    const seen: string[] = [];
    drops.onDrop((kind, reason) => seen.push(`${kind}/${reason}`));
    assert.deepEqual(drops.accept(ping, ping.encode({ n: 1, text: '' })), { n: 1, text: '' });
    assert.equal(drops.accept(ping, new Uint8Array(1000)), undefined);
    assert.equal(drops.accept(ping, Uint8Array.from([7, 1, 2])), undefined);
    assert.equal(drops.accept(ping, Uint8Array.from([7, 1, 2])), undefined);
    assert.equal(drops.total, 3);
    assert.deepEqual(drops.entries().sort((a, b) => a.reason.localeCompare(b.reason)), [
      { kind: 'ping', reason: 'oversized', count: 1 },
      { kind: 'ping', reason: 'version', count: 2 },
    ]);
    assert.deepEqual(seen, ['ping/oversized', 'ping/version', 'ping/version']);
  });

  test('heartbeats and membership records validate their fields', () => {
    const info = { instanceId: 'h-1-abcdefgh', state: 'running' as const, httpUrl: 'http://h:1', grpcUrl: null, version: '1.0.0', startedAt: 1, capabilities: [], modulesDigest: 'd' };
    const hb = heartbeatEnvelope.encode({ ...info, seq: 3, load: { activeExecutions: 1, queuedNodes: 0, eventLoopLagMs: 0.5, workerUtilisation: 0.25 } });
    assert.ok(heartbeatEnvelope.decode(hb).ok);
    const bad = new Packr({ useRecords: false }).pack({ kind: 'heartbeat', ...info, instanceId: 'bad.id', seq: 0, load: { activeExecutions: 0, queuedNodes: 0, eventLoopLagMs: 0, workerUtilisation: 0 } });
    const d = heartbeatEnvelope.decode(Uint8Array.from([ENVELOPE_VERSION, ...bad]));
    assert.ok(!d.ok && d.reason === 'schema');
    assert.ok(memberRecordEnvelope.decode(memberRecordEnvelope.encode({ ...info, modules: { A: 'x' } })).ok);
    assert.equal(modulesDigest({ A: '1', B: '2' }), modulesDigest({ B: '2', A: '1' }));
    assert.notEqual(modulesDigest({ A: '1' }), modulesDigest({ A: '2' }));
  });
});

describe('cluster configuration', () => {
  const base = { CONSTELLATION_DATA_DIR: '/tmp/x' };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ ...base, ...env });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return [...e.problems];
    }
    assert.fail(`accepted ${JSON.stringify(env)}`);
  };

  test('off without CONSTELLATION_NATS_URL; defaults with it', () => {
    assert.equal(loadConfig(base).cluster, null);
    const c = loadConfig({ ...base, CONSTELLATION_NATS_URL: 'nats://127.0.0.1:4222, tls://n2:4443,n3:4222' }).cluster!;
    assert.deepEqual(c.servers, ['nats://127.0.0.1:4222', 'tls://n2:4443', 'n3:4222']);
    assert.equal(c.clusterName, 'default');
    assert.equal(c.replicas, 1);
    assert.deepEqual(c.tls, { caFile: null, certFile: null, keyFile: null }, 'a tls:// server turns TLS on');
    assert.deepEqual(c.timers, clusterConfig([]).timers);
  });

  test('every timer has a variable; retention ages may exceed the longest timer', () => {
    const c = loadConfig({
      ...base,
      CONSTELLATION_NATS_URL: 'n1:4222',
      CONSTELLATION_CLUSTER_NAME: 'eu-1',
      CONSTELLATION_NATS_REPLICAS: '3',
      CONSTELLATION_CLUSTER_HEARTBEAT_INTERVAL: '250ms',
      CONSTELLATION_CLUSTER_SUSPECT_AFTER: '1s',
      CONSTELLATION_CLUSTER_DEAD_AFTER: '2s',
      CONSTELLATION_CLUSTER_MEMBER_TTL: '10s',
      CONSTELLATION_CLUSTER_MEMBER_REFRESH: '3s',
      CONSTELLATION_CLUSTER_OPERATION_TIMEOUT: '800ms',
      CONSTELLATION_NATS_RECONNECT_WAIT: '100ms',
      CONSTELLATION_NATS_RECONNECT_JITTER: '50ms',
      CONSTELLATION_NATS_PING_INTERVAL: '2s',
      CONSTELLATION_NATS_CONNECT_TIMEOUT: '1s',
      CONSTELLATION_CLUSTER_STATUS_INTERVAL: '1s',
      CONSTELLATION_CLUSTER_EVICTION_GRACE: '90s',
      CONSTELLATION_CLUSTER_SUSPENSION_RETENTION: '2000h',
      CONSTELLATION_CLUSTER_SYNTACTIC_RETENTION: '48h',
      CONSTELLATION_CLUSTER_CONTROL_TIMEOUT: '120ms',
      CONSTELLATION_CLUSTER_ROUTE_TIMEOUT: '3s',
      CONSTELLATION_CLUSTER_EVENTS_INTEREST_REFRESH: '700ms',
      CONSTELLATION_BREAKER_PROBE_LEASE: '4s',
      CONSTELLATION_BREAKER_AGGREGATE_INTERVAL: '200ms',
      CONSTELLATION_BREAKER_AGGREGATE_WINDOW: '5s',
      CONSTELLATION_CACHE_L1_TTL: '2s',
      CONSTELLATION_CACHE_L2_TIMEOUT: '30ms',
      CONSTELLATION_CACHE_L2_MAX_TTL: '48h',
    }).cluster!;
    assert.equal(c.clusterName, 'eu-1');
    assert.equal(c.replicas, 3);
    assert.deepEqual(c.timers, {
      heartbeatIntervalMs: 250, suspectAfterMs: 1000, deadAfterMs: 2000, memberRecordTtlMs: 10_000, memberRecordRefreshMs: 3000,
      operationTimeoutMs: 800, reconnectWaitMs: 100, reconnectJitterMs: 50, pingIntervalMs: 2000, connectTimeoutMs: 1000,
      statusIntervalMs: 1000, evictionGraceMs: 90_000, suspensionRetentionMs: 2000 * 3_600_000, syntacticRetentionMs: 48 * 3_600_000,
      controlTimeoutMs: 120, routeTimeoutMs: 3000, interestRefreshMs: 700, probeLeaseMs: 4000, breakerDeltaIntervalMs: 200,
      breakerAggregateWindowMs: 5000, cacheL1TtlMs: 2000, cacheL2TimeoutMs: 30, cacheL2MaxTtlMs: 48 * 3_600_000,
    });
  });

  test('coordination options: shared count on, throttle split, aggregate tripping and the shared cache off unless asked; bad values named', () => {
    const defaults = loadConfig({ ...base, CONSTELLATION_NATS_URL: 'n1:4222' }).cluster!;
    assert.deepEqual(defaults.coordination, { breakerSharedCount: true, breakerAggregate: { enabled: false, ratio: 0.5, minCalls: 20 }, throttleSplit: false, cacheBackend: 'memory' });
    const on = loadConfig({
      ...base,
      CONSTELLATION_NATS_URL: 'n1:4222',
      CONSTELLATION_BREAKER_SHARED_COUNT: 'false',
      CONSTELLATION_BREAKER_AGGREGATE: 'true',
      CONSTELLATION_BREAKER_AGGREGATE_RATIO: '0.25',
      CONSTELLATION_BREAKER_AGGREGATE_MIN_CALLS: '50',
      CONSTELLATION_THROTTLE_SPLIT: 'yes',
      CONSTELLATION_CACHE_BACKEND: 'nats',
    }).cluster!;
    assert.deepEqual(on.coordination, { breakerSharedCount: false, breakerAggregate: { enabled: true, ratio: 0.25, minCalls: 50 }, throttleSplit: true, cacheBackend: 'nats' });
    assert.throws(() => loadConfig({ ...base, CONSTELLATION_NATS_URL: 'n1:4222', CONSTELLATION_BREAKER_AGGREGATE_RATIO: '1.5' }), /CONSTELLATION_BREAKER_AGGREGATE_RATIO/);
    assert.throws(() => loadConfig({ ...base, CONSTELLATION_NATS_URL: 'n1:4222', CONSTELLATION_CACHE_BACKEND: 'redis' }), /CONSTELLATION_CACHE_BACKEND/);
  });

  test('bad values name their variable and never echo the token', () => {
    const token = 'tok-very-secret-123456';
    const p = problems({
      CONSTELLATION_NATS_URL: 'http://wrong:80',
      CONSTELLATION_CLUSTER_NAME: 'has.dot',
      CONSTELLATION_NATS_REPLICAS: '2',
      CONSTELLATION_NATS_CREDS: '/does/not/exist.creds',
      CONSTELLATION_NATS_TOKEN: token,
      CONSTELLATION_CLUSTER_HEARTBEAT_INTERVAL: 'often',
    }).join('\n');
    for (const v of ['CONSTELLATION_NATS_URL', 'CONSTELLATION_CLUSTER_NAME', 'CONSTELLATION_NATS_REPLICAS', 'CONSTELLATION_NATS_CREDS', 'CONSTELLATION_CLUSTER_HEARTBEAT_INTERVAL']) assert.match(p, new RegExp(v));
    assert.ok(!p.includes(token));
    const withPassword = problems({ CONSTELLATION_NATS_URL: 'nats://user:hunter2@h:4222,ftp://user:hunter2@x' }).join('\n');
    assert.match(withPassword, /entry #2/);
    assert.ok(!withPassword.includes('hunter2'));
  });

  test('cross-variable rules', () => {
    assert.match(problems({ CONSTELLATION_NATS_URL: 'h:1', CONSTELLATION_NATS_TLS_CERT: '/etc/hostname' }).join(), /TLS_CERT and CONSTELLATION_NATS_TLS_KEY go together/);
    assert.match(problems({ CONSTELLATION_NATS_URL: 'h:1', CONSTELLATION_CLUSTER_HEARTBEAT_INTERVAL: '10s' }).join(), /SUSPECT_AFTER must be longer/);
    assert.match(problems({ CONSTELLATION_NATS_URL: 'h:1', CONSTELLATION_CLUSTER_MEMBER_REFRESH: '2m' }).join(), /MEMBER_REFRESH must be shorter/);
  });

  test('the log form hides secrets', () => {
    const c = clusterConfig(['nats://alice:hunter2@h:4222', 'h2:4222'], { token: 'secret-token', tls: { caFile: '/ca.pem', certFile: null, keyFile: null } });
    const text = JSON.stringify(describeClusterConfig(c));
    assert.ok(!text.includes('hunter2') && !text.includes('secret-token') && !text.includes('alice'), text);
    assert.match(text, /"auth":"token"/);
    assert.equal(redactServerUrl('nats://u:p@h:1'), 'nats://***@h:1');
    assert.equal(redactServerUrl('u:p@h:1'), '***@h:1');
    assert.equal(redactServerUrl('nats://h:1'), 'nats://h:1');
  });
});
