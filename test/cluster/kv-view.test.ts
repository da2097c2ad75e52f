import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { clusterConfig } from '../../cluster/config.js';
import { defineEnvelope, ENVELOPE_VERSION } from '../../cluster/envelope.js';
import { KvView, type ViewChange } from '../../cluster/kv-view.js';
import { ClusterNode } from '../../cluster/node.js';
import { eventually } from '../helpers/cluster.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * KvView, the local copy of a bucket kept fresh by a watch, against a real nats-server: writes
 * are seen by the other instance within one watch event; compare-and-set lets exactly one of two
 * concurrent writers win; values over the KV limit travel through the Object Store; garbage in
 * the bucket is dropped and counted; a resynchronisation reports what changed while it was not
 * watching; the markers of deleted keys are purged once old enough; an age limit hides what
 * the server would have expired.
 */

const note = defineEnvelope('note', z.object({ text: z.string(), n: z.number().int() }), 8 * 1024 * 1024);
type Note = { text: string; n: number };

let nats: NatsServer;
const nodes: ClusterNode[] = [];
let bucketNo = 0;

async function pair(opts: { maxAgeMs?: number } = {}): Promise<[KvView<Note>, KvView<Note>, ClusterNode, ClusterNode]> {
  bucketNo++;
  const make = async (name: string) => {
    const node = new ClusterNode({ config: clusterConfig([nats.url], { clusterName: `kv${bucketNo}`, timers: { reconnectWaitMs: 100, reconnectJitterMs: 50 } }), instanceId: `${name}-1-aaaaaaaa` });
    nodes.push(node);
    const view = new KvView({ node, spec: { purpose: 'notes', description: 'test notes' }, codec: note, ...(opts.maxAgeMs !== undefined ? { maxAgeMs: opts.maxAgeMs } : {}) });
    node.addSynchroniser('notes', () => view.synchronise());
    node.start();
    await node.whenSynchronised();
    return { node, view };
  };
  const a = await make('a');
  const b = await make('b');
  return [a.view, b.view, a.node, b.node];
}

before(async () => {
  nats = await startNats();
});
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await nats.stop();
});

describe('KvView', () => {
  test('a write on one instance is in the other’s copy within a watch event; the writer reads it at once', async () => {
    const [a, b] = await pair();
    const seen: ViewChange<Note>[] = [];
    b.onChange((c) => seen.push(c));
    const revision = await a.put('k1', { text: 'hello', n: 1 });
    assert.deepEqual(a.get('k1')?.value, { text: 'hello', n: 1 }, 'read-your-writes on the writer');
    const got = await eventually('b has k1', async () => b.get('k1'));
    assert.equal(got.revision, revision);
    assert.deepEqual(seen.map((c) => [c.key, c.entry?.value.n, c.local]), [['k1', 1, false]]);
    assert.equal(await a.delete('k1'), true);
    assert.equal(a.get('k1'), undefined);
    await eventually('b lost k1', async () => (b.get('k1') === undefined ? true : undefined));
    assert.deepEqual(seen.map((c) => [c.key, c.entry?.value.n]), [['k1', 1], ['k1', undefined]]);
  });

  test('compare-and-set: of two writers expecting the same revision exactly one wins; the loser learns the winner', async () => {
    const [a, b] = await pair();
    const created = await a.compareAndSet('doc', { text: 'v1', n: 1 }, 0);
    assert.ok(created.ok);
    const again = await b.compareAndSet('doc', { text: 'dup', n: 0 }, 0);
    assert.ok(!again.ok && again.current?.value.text === 'v1', 'create of an existing key is refused');
    const base = created.revision;
    const [x, y] = await Promise.all([a.compareAndSet('doc', { text: 'from a', n: 2 }, base), b.compareAndSet('doc', { text: 'from b', n: 2 }, base)]);
    assert.equal([x, y].filter((r) => r.ok).length, 1);
    const loser = (x.ok ? y : x) as { ok: false; current: { value: { text: string } } };
    assert.equal(loser.current.value.text, x.ok ? 'from a' : 'from b');
    assert.equal(await b.delete('doc', base), false, 'a delete expecting an old revision is refused');
  });

  test('values too large for a KV entry go through the Object Store and come back intact', async () => {
    const [a, b, nodeA] = await pair();
    const big = { text: 'x'.repeat(1_500_000), n: 7 };
    await a.put('big', big);
    const got = await eventually('b has the big value', async () => b.get('big'), 15_000);
    assert.equal(got.value.text.length, 1_500_000);
    assert.deepEqual((await b.fetch('big'))?.value, big);
    const os = await nodeA.buckets.objectStore();
    assert.equal((await os.list()).length, 1);
    await a.delete('big');
    await eventually('blob removed', async () => ((await os.list()).length === 0 ? true : undefined));
  });

  test('refresh: the key written again unchanged, so a delete expecting the older revision fails; after a delete, written anew under an object name of its own', async () => {
    const [a, b, nodeA] = await pair();
    const big = { text: 'y'.repeat(1_200_000), n: 9 };
    assert.ok((await a.compareAndSet('img', big, 0)).ok);
    const seen = await eventually('b has it', async () => b.get('img'), 15_000);
    const renewed = await a.refresh('img', big);
    assert.ok(renewed > seen.revision);
    assert.equal(await b.delete('img', seen.revision), false, 'renewed since b saw it');
    assert.deepEqual((await b.fetch('img'))?.value, big);
    const os = await nodeA.buckets.objectStore();
    const [first] = (await os.list()).map((o) => o.name);
    assert.equal(await b.delete('img', renewed), true);
    // written anew while b may still be removing the deleted value's object: that removal cannot take the new one
    await a.refresh('img', big);
    await eventually('the deleted value\'s object removed', async () => ((await os.list()).every((o) => o.name !== first) ? true : undefined));
    assert.deepEqual((await b.fetch('img'))?.value, big);
    assert.equal((await os.list()).length, 1);
  });

  test('garbage written into the bucket is dropped and counted, never loaded', async () => {
    const [a, b, nodeA, nodeB] = await pair();
    const kv = await nodeA.buckets.kv({ purpose: 'notes', description: 'test notes' });
    await kv.put('junk1', Uint8Array.from([0xff, 0x00]));
    await kv.put('junk2', Uint8Array.from([ENVELOPE_VERSION, 0xdd, 0xff, 0xff, 0xff, 0xff]));
    await kv.put('junk3', note.encode({ text: 'fine', n: 1 }));
    await eventually('good value loaded', async () => b.get('junk3'));
    // a valid value overwritten by garbage is gone: the bucket holds nothing valid under the key
    await kv.put('junk3', Uint8Array.from([ENVELOPE_VERSION, 0x01]));
    await eventually('overwritten value gone', async () => (b.get('junk3') === undefined ? true : undefined));
    await eventually('drops counted', async () => (nodeB.drops.total >= 2 ? true : undefined));
    assert.equal(b.get('junk1'), undefined);
    assert.equal(b.get('junk2'), undefined);
    assert.equal(a.get('junk1'), undefined);
    assert.deepEqual(nodeB.drops.entries().map((d) => d.reason).sort(), ['garbage', 'kind', 'version']);
  });

  test('resynchronising reports what changed while not watching; readAll reads the bucket', async () => {
    const [a, b] = await pair();
    await a.put('stay', { text: 's', n: 1 });
    await a.put('go', { text: 'g', n: 1 });
    await eventually('b has both', async () => (b.get('stay') && b.get('go') ? true : undefined));
    b.stop();
    await a.delete('go');
    await a.put('new', { text: 'n', n: 1 });
    await a.put('stay', { text: 's2', n: 2 });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(b.get('go'), 'stale while not watching');
    const changes: string[] = [];
    b.onChange((c) => changes.push(`${c.key}:${c.entry ? c.entry.value.n : 'gone'}`));
    await b.synchronise();
    assert.deepEqual(changes.sort(), ['go:gone', 'new:1', 'stay:2']);
    assert.equal(b.get('go'), undefined);
    assert.deepEqual([...(await b.readAll()).keys()].sort(), ['new', 'stay']);
  });

  test('purgeDeletes drops the markers deletes left once they are old enough; the live keys stay, a new copy misses the deleted ones', async () => {
    const [a, , nodeA] = await pair();
    for (const k of ['d1', 'd2', 'live']) await a.put(k, { text: k, n: 1 });
    await a.delete('d1');
    await a.delete('d2');
    const messages = async () => (await (await nodeA.connection.jetstreamManager('test')).streams.info(`KV_${a.bucket}`)).state.messages;
    assert.equal(await messages(), 3, 'two markers and the live key');
    assert.equal(await a.purgeDeletes(60_000), 0, 'markers younger than the age stay');
    assert.equal(await messages(), 3);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await a.purgeDeletes(10), 2);
    assert.equal(await messages(), 1);
    await a.synchronise();
    assert.deepEqual([...a.entries()].map(([k, e]) => [k, e.value.text]), [['live', 'live']]);
  });

  test('an age limit hides entries the server would have expired', async () => {
    const [a] = await pair({ maxAgeMs: 200 });
    await a.put('short', { text: 't', n: 1 });
    assert.ok(a.get('short'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.get('short'), undefined);
    assert.equal([...a.entries()].length, 0);
  });
});
