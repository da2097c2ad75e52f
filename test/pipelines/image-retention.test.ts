import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../../runtime/engine/engine.js';
import { PipelineCatalogue } from '../../runtime/pipelines/catalogue.js';
import type { EvictionReport } from '../../runtime/pipelines/image-retention.js';
import { MemoryCanaryStore } from '../../runtime/stores/canary-store.js';
import { MemoryPipelineStore } from '../../runtime/stores/pipeline-store.js';
import { MemoryVersionStore } from '../../runtime/stores/version-store.js';

/**
 * The bounds on anonymous images, decided by the catalogue over in-memory stores (the server
 * process tests cover the file store): each pin keeps its image, a use gives a second chance,
 * and an image a name leaves becomes anonymous again.
 */

const engine = new Engine();
const source = (n: number) => `in x: Int\ny = x * 3 + ${n}\nout y\n`;

function setUp(options: { maxCount?: number; maxAgeMs?: number; now?: () => number; held?: Set<string> } = {}) {
  const store = new MemoryPipelineStore();
  const reports: EvictionReport[] = [];
  const held = options.held ?? new Set<string>();
  const catalogue = new PipelineCatalogue({
    store,
    versions: new MemoryVersionStore(),
    canaries: new MemoryCanaryStore(),
    compile: (s) => engine.compile(s),
    dependencyHash: (lookups) => engine.functions.dependencyHash(lookups),
    anonymousImages: { maxCount: options.maxCount ?? 1000, maxBytes: 1024 ** 3, maxAgeMs: options.maxAgeMs ?? 0 },
    inUse: (hash) => held.has(`running:${hash}`),
    referencedBySuspension: async (hash) => held.has(`suspended:${hash}`),
    onEvict: (r) => reports.push(r),
    ...(options.now ? { now: options.now } : {}),
  });
  const store_ = async (n: number) => (await catalogue.storeImage(engine.compile(source(n)), source(n))).structuralHash;
  return { store, catalogue, reports, held, storeImage: store_ };
}

describe('anonymous image lifecycle', () => {
  test('past the count bound the least recently used go; aliased, versioned, running and suspended-on images stay; a name moved away frees its image', async () => {
    const { store, catalogue, reports, held, storeImage } = setUp({ maxCount: 10 });
    await catalogue.startLifecycle();
    const named = engine.compile(source(100));
    await catalogue.compileNamed('named', named, source(100));
    const running = await storeImage(101);
    const suspended = await storeImage(102);
    held.add(`running:${running}`).add(`suspended:${suspended}`);
    const aliasOnly = await storeImage(103);
    assert.ok((await catalogue.moveAlias('alias-only', aliasOnly)).ok);
    const anonymous: string[] = [];
    for (let i = 0; i < 30; i++) {
      anonymous.push(await storeImage(i));
      // image 0 is used all along: it keeps its place
      catalogue.image(anonymous[0]!);
    }
    await catalogue.anonymous!.sweep();
    const usage = catalogue.anonymous!.usage();
    assert.ok(usage.count <= 10, JSON.stringify(usage));
    for (const kept of [named.hashes.structural!, running, suspended, aliasOnly, anonymous[0]!, anonymous[29]!]) assert.ok(store.summary(kept), `kept ${kept}`);
    assert.equal(store.summary(anonymous[1]!), undefined, 'the least recently used went');
    assert.equal(catalogue.resolve(`sha256:${anonymous[1]}`).ok, false);
    assert.ok(reports.reduce((n, r) => n + r.reasons.count, 0) >= 20);
    assert.deepEqual(await catalogue.pinsOf(suspended), ['suspended']);

    // the alias moves away from an image no version records: it is anonymous again and may go
    assert.ok((await catalogue.moveAlias('alias-only', anonymous[29]!)).ok);
    held.clear();
    for (let i = 200; i < 240; i++) await storeImage(i);
    await catalogue.anonymous!.sweep();
    assert.equal(store.summary(aliasOnly), undefined, 'no name any more: evicted like any anonymous image');
    assert.equal(store.summary(running), undefined, 'no longer running: evicted');
    assert.ok(store.summary(named.hashes.structural!), 'a named compile stays');
    await catalogue.close();
  });

  test('an image unused for longer than the age bound goes on the next sweep; a used one gets a second chance', async () => {
    const clock = { now: 1_000_000 };
    const { store, catalogue, reports, storeImage } = setUp({ maxAgeMs: 60_000, now: () => clock.now });
    const old = await storeImage(1);
    const used = await storeImage(2);
    clock.now += 30_000;
    const young = await storeImage(3);
    clock.now += 31_000;
    catalogue.image(used);
    await catalogue.anonymous!.sweep();
    assert.equal(store.summary(old), undefined);
    assert.ok(store.summary(used), 'used since the last sweep');
    assert.ok(store.summary(young));
    assert.deepEqual(reports.map((r) => r.reasons), [{ count: 0, bytes: 0, age: 1 }]);
    clock.now += 61_000;
    await catalogue.anonymous!.sweep();
    assert.equal(catalogue.anonymous!.usage().count, 0);
    await catalogue.close();
  });
});
