import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clusterConfig } from '../../cluster/config.js';
import type { KvView } from '../../cluster/kv-view.js';
import { ClusterNode } from '../../cluster/node.js';
import { createClusterStores, type ClusterStores } from '../../cluster/stores/index.js';
import { NatsPipelineStore } from '../../cluster/stores/pipeline-store.js';
import { Engine } from '../../runtime/engine/engine.js';
import { PipelineCatalogue } from '../../runtime/pipelines/catalogue.js';
import type { StoreChange } from '../../runtime/stores/pipeline-store.js';
import { sampleImage } from '../contracts/fixtures.js';
import { eventually } from '../helpers/cluster.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * The bounds on anonymous images in a cluster (real nats-server, instances as in-process nodes):
 * every instance's catalogue books the images of the shared bucket and evicts through the
 * NATS store, which deletes only what nobody named, renewed or used within the grace period, and
 * only at the revision its view saw — so an alias written on another instance wins even against
 * an eviction decided on a view that has not seen it.
 */

let nats: NatsServer;
const nodes: ClusterNode[] = [];
let clusters = 0;
const engine = new Engine();
const source = (n: number) => `in x: Int\ny = x * 7 + ${n}\nout y\n`;

before(async () => {
  nats = await startNats({ name: 'eviction' });
});
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await nats.stop();
});

function node(cluster: string, name: string, graceMs: number): ClusterNode {
  const n = new ClusterNode({
    config: clusterConfig([nats.url], { clusterName: cluster, timers: { reconnectWaitMs: 100, reconnectJitterMs: 50, evictionGraceMs: graceMs } }),
    instanceId: `${name}-1-evictaaa`,
  });
  nodes.push(n);
  return n;
}

async function instance(cluster: string, name: string, graceMs: number): Promise<ClusterStores> {
  const n = node(cluster, name, graceMs);
  const stores = createClusterStores(n);
  n.start();
  await n.whenSynchronised();
  return stores;
}

/** A pipeline store alone, on a clock the test moves (`skew` ms ahead of the wall clock). */
async function clockedStore(cluster: string, name: string, graceMs: number, clock: { skew: number }): Promise<NatsPipelineStore> {
  const n = node(cluster, name, graceMs);
  const store = new NatsPipelineStore(n, n.config.timers, { now: () => Date.now() + clock.skew });
  n.addSynchroniser('pipelines', () => store.resync());
  n.start();
  await n.whenSynchronised();
  return store;
}

function catalogue(stores: ClusterStores, maxCount: number): PipelineCatalogue {
  return new PipelineCatalogue({
    store: stores.pipelineStore,
    versions: stores.versionStore,
    canaries: stores.canaryStore,
    compile: (s) => engine.compile(s),
    dependencyHash: (lookups) => engine.functions.dependencyHash(lookups),
    referencedBySuspension: async (hash) => (await stores.suspensionStore.list({ filter: { structuralHash: hash }, limit: 1 })).items.length > 0,
    anonymousImages: { maxCount, maxBytes: 1024 ** 3, maxAgeMs: 0 },
  });
}

/** Stops a store's watches: its view stays as it is (an instance whose view lags). */
function freeze(store: NatsPipelineStore): void {
  for (const view of ['images', 'aliasView'] as const) (store as unknown as Record<typeof view, KvView<unknown>>)[view].stop();
}

function changes(store: NatsPipelineStore): StoreChange[] {
  const seen: StoreChange[] = [];
  store.onChange((c) => seen.push(c));
  return seen;
}

describe('anonymous images in a cluster', () => {
  test('the bound holds in the shared bucket; every instance books what the others store and forgets what they evict', async () => {
    const cluster = `ev${++clusters}`;
    const [a, b] = [await instance(cluster, 'a', 0), await instance(cluster, 'b', 0)];
    const [onA, onB] = [catalogue(a, 4), catalogue(b, 1000)];
    await Promise.all([onA.startLifecycle(), onB.startLifecycle()]);
    const hashes: string[] = [];
    for (let i = 0; i < 5; i++) hashes.push((await onB.storeImage(engine.compile(source(i)), source(i))).structuralHash);
    // A books B's images as they arrive (over its bound: it sweeps down to 90 %)
    await eventually('A evicted down to its bound', async () => ([...a.pipelineStore.summaries()].length <= 4 && onA.anonymous!.usage().count <= 4 ? true : undefined));
    const fresh = await instance(cluster, 'c', 0);
    const stored = [...fresh.pipelineStore.summaries()].map((s) => s.structuralHash);
    assert.ok(stored.length <= 4 && stored.length >= 3, `the bucket holds ${stored.length}`);
    assert.ok(!stored.includes(hashes[0]!), 'the least recently used went first');
    await eventually('B forgot what A evicted', async () => (onB.anonymous!.usage().count === stored.length ? true : undefined));
    await Promise.all([onA.close(), onB.close()]);
  });

  test('an eviction decided on a view that has not seen an alias written elsewhere fails: the alias wins', async () => {
    const cluster = `ev${++clusters}`;
    const [a, b] = [await instance(cluster, 'a', 0), await instance(cluster, 'b', 0)];
    const [image, other] = [sampleImage(31), sampleImage(32)];
    await a.pipelineStore.putImage(image);
    await a.pipelineStore.putImage(other);
    await eventually('B sees both images', async () => (b.pipelineStore.summary(image.structuralHash) && b.pipelineStore.summary(other.structuralHash) ? true : undefined));
    freeze(b.pipelineStore);
    // A names the image; B, whose view stopped before that, decides to evict it
    await a.pipelineStore.setAlias('named', image.structuralHash);
    assert.equal(await b.pipelineStore.evictImage(image.structuralHash), false, 'the image was renewed since B saw it');
    assert.ok(await b.pipelineStore.fetchImage(image.structuralHash), 'still stored');
    assert.equal(await b.pipelineStore.fetchAlias('named'), image.structuralHash);
    // the other order: B evicts first; naming it afterwards stores it again (the catalogue keeps an image before naming it)
    assert.equal(await b.pipelineStore.evictImage(other.structuralHash), true, 'nothing renewed it: evicted');
    await a.pipelineStore.keepImage(other);
    await a.pipelineStore.setAlias('late', other.structuralHash);
    const reader = await instance(cluster, 'c', 0);
    assert.ok(reader.pipelineStore.summary(other.structuralHash), 'stored again');
    assert.equal(reader.pipelineStore.resolveAlias('late'), other.structuralHash);
  });

  test('the grace period: no eviction of an image stored, used on another instance or left by its alias less than the grace ago', async () => {
    const cluster = `ev${++clusters}`;
    const grace = 10_000;
    const clock = { skew: 0 };
    const a = await clockedStore(cluster, 'a', grace, { skew: 0 });
    const b = await clockedStore(cluster, 'b', grace, clock);
    const seenByB = changes(b);
    const [used, named] = [sampleImage(41), sampleImage(42)];
    await a.putImage(used);
    await eventually('B sees the image', async () => b.summary(used.structuralHash));
    assert.equal(await b.evictImage(used.structuralHash), false, 'stored just now');
    clock.skew = 2 * grace;
    // A uses it: B hears of it (and counts it as a use)
    assert.ok(a.getImage(used.structuralHash));
    await eventually('B hears of the use', async () => (seenByB.some((c) => c.kind === 'use' && c.key === used.structuralHash) ? true : undefined));
    assert.equal(await b.evictImage(used.structuralHash), false, 'used on A a moment ago');
    clock.skew = 4 * grace;
    assert.equal(await b.evictImage(used.structuralHash), true, 'unused for longer than the grace');
    await eventually('A forgot it', async () => (a.summary(used.structuralHash) ? undefined : true));

    await a.putImage(named);
    await a.setAlias('n', named.structuralHash);
    await eventually('B sees the alias', async () => b.resolveAlias('n'));
    clock.skew = 6 * grace;
    assert.equal(await b.evictImage(named.structuralHash), false, 'aliased');
    assert.equal(await a.deleteAlias('n'), true);
    await eventually('B sees the alias go', async () => (b.resolveAlias('n') ? undefined : true));
    assert.equal(await b.evictImage(named.structuralHash), false, 'anonymous for less than the grace');
    clock.skew = 8 * grace;
    assert.equal(await b.evictImage(named.structuralHash), true);
  });

  test('an image used on one instance keeps its place in the books of another (least recently used across the cluster)', async () => {
    const cluster = `ev${++clusters}`;
    const [a, b] = [await instance(cluster, 'a', 0), await instance(cluster, 'b', 0)];
    const onB = catalogue(b, 3);
    await onB.startLifecycle();
    const seenByB = changes(b.pipelineStore);
    const [hot, old1, old2, young] = [sampleImage(51), sampleImage(52), sampleImage(53), sampleImage(54)];
    for (const image of [hot, old1, old2]) await a.pipelineStore.putImage(image);
    await eventually('B booked them', async () => (onB.anonymous!.usage().count === 3 ? true : undefined));
    assert.ok(a.pipelineStore.getImage(hot.structuralHash));
    await eventually('B hears of the use on A', async () => (seenByB.some((c) => c.kind === 'use' && c.key === hot.structuralHash) ? true : undefined));
    // the fourth image passes B's bound: its sweep gives the image used on A a second chance and takes the two unused ones
    await a.pipelineStore.putImage(young);
    await eventually('B swept', async () => (onB.anonymous!.usage().count === 2 ? true : undefined));
    const reader = await instance(cluster, 'c', 0);
    assert.deepEqual([...reader.pipelineStore.summaries()].map((s) => s.structuralHash).sort(), [hot.structuralHash, young.structuralHash].sort());
    await onB.close();
  });
});
