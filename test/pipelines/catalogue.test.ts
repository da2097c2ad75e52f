import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../../runtime/engine/engine.js';
import { PipelineCatalogue } from '../../runtime/pipelines/catalogue.js';
import { MemoryCanaryStore } from '../../runtime/stores/canary-store.js';
import { MemoryPipelineStore, type PipelineImage } from '../../runtime/stores/pipeline-store.js';
import { MemoryVersionStore } from '../../runtime/stores/version-store.js';

/**
 * The pipeline catalogue over shared stores, as two instances of a cluster see it: racing
 * version writes are compare-and-set and retried, a canary transition decided on both
 * instances is applied once, pins keep images, and a lagging store view falls back to its
 * authority.
 */

const engine = new Engine();
const source = (n: number) => `in x: Int\ny = x + ${n}\nout y\n`;

function stores() {
  return { store: new MemoryPipelineStore(), versions: new MemoryVersionStore(), canaries: new MemoryCanaryStore() };
}

function catalogue(shared: ReturnType<typeof stores>, extra: Partial<ConstructorParameters<typeof PipelineCatalogue>[0]> = {}) {
  return new PipelineCatalogue({ ...shared, compile: (s) => engine.compile(s), dependencyHash: (lookups) => engine.functions.dependencyHash(lookups), ...extra });
}

describe('PipelineCatalogue', () => {
  test('two instances reloading one name at once: both versions recorded, no number used twice', async () => {
    const shared = stores();
    const a = catalogue(shared);
    const b = catalogue(shared);
    assert.ok((await a.compileNamed('p', engine.compile(source(1)), source(1))).ok);
    const [ra, rb] = await Promise.all([a.reload('p', { source: source(2) }), b.reload('p', { source: source(3) })]);
    assert.ok(ra.ok && rb.ok);
    assert.deepEqual([ra.version, rb.version].sort(), [2, 3]);
    assert.deepEqual(shared.versions.get('p')!.value.versions.map((v) => v.version), [1, 2, 3]);
  });

  test('a canary promotion decided by two instances is applied once', async () => {
    const shared = stores();
    const clock = { now: 1_000 };
    const opts = { now: () => clock.now, random: () => 0 };
    const a = catalogue(shared, opts);
    const b = catalogue(shared, opts);
    await a.compileNamed('c', engine.compile(source(4)), source(4));
    const started = await a.reload('c', { source: source(5), canary: { initialWeight: 0.5, promotionSteps: [0.75, 1], observationWindowMs: 0, errorThreshold: 0.5, latencyThresholdMs: null, minRequests: 1, autoPromote: true } });
    assert.ok(started.ok && started.canary);
    const seenByA = a.runningCanary('c')!;
    const seenByB = b.runningCanary('c')!;
    const newHash = started.newHash;
    await Promise.all([a.recordOutcome(seenByA, newHash, true, 1), b.recordOutcome(seenByB, newHash, true, 1)]);
    const state = a.canary('c')!;
    assert.equal(state.currentStep, 1, 'one step, not two');
    assert.equal(state.status, 'promoting');
    assert.equal(state.currentWeight, 0.75);
  });

  test('a completed canary moves the alias and the active version, and keeps its last step\'s counts', async () => {
    const shared = stores();
    const cat = catalogue(shared, { random: () => 0 });
    await cat.compileNamed('d', engine.compile(source(11)), source(11));
    const r = await cat.reload('d', { source: source(12), canary: { initialWeight: 1, promotionSteps: [1], observationWindowMs: 0, errorThreshold: 0.5, latencyThresholdMs: null, minRequests: 2, autoPromote: true } });
    assert.ok(r.ok);
    assert.equal(cat.recordOutcome(cat.runningCanary('d')!, r.newHash, true, 1), undefined, 'one request is not enough');
    await cat.recordOutcome(cat.runningCanary('d')!, r.newHash, true, 1);
    const state = cat.canary('d')!;
    assert.equal(state.status, 'complete');
    assert.equal(state.metrics.newVersion.requests, 2);
    assert.equal(cat.resolveAlias('d'), r.newHash);
    assert.equal(cat.versionHistory('d')!.active, 2);
    assert.equal(cat.runningCanary('d'), undefined);
  });

  test('pins: aliased, versioned and canary images are kept; a suspended execution pins its image; the rest may be evicted', async () => {
    const shared = stores();
    const suspendedOn = new Set<string>();
    const cat = catalogue(shared, { referencedBySuspension: async (h) => suspendedOn.has(h) });
    const named = await cat.compileNamed('n', engine.compile(source(6)), source(6));
    assert.ok(named.ok);
    const anonymous = await cat.storeImage(engine.compile(source(7)), source(7));
    const held = await cat.storeImage(engine.compile(source(8)), source(8));
    suspendedOn.add(held.structuralHash);
    assert.deepEqual(await cat.pinsOf(named.image.structuralHash), ['alias', 'version']);
    assert.deepEqual(await cat.pinsOf(anonymous.structuralHash), []);
    assert.deepEqual(await cat.pinsOf(held.structuralHash), ['suspended']);
    assert.deepEqual(await cat.evictableImages(), [anonymous.structuralHash]);
    await cat.reload('n', { source: source(9), canary: { initialWeight: 0.1, promotionSteps: [1], observationWindowMs: 1000, errorThreshold: 0.1, latencyThresholdMs: null, minRequests: 5, autoPromote: true } });
    const canaryNew = cat.runningCanary('n')!.value.newVersion.structuralHash;
    assert.deepEqual(await cat.pinsOf(canaryNew), ['version', 'canary']);
  });

  test('a store view that lags: the local miss is "not known locally", and the authority answers', async () => {
    class LaggingStore extends MemoryPipelineStore {
      override readonly completeView = false;
      readonly remote = new Map<string, PipelineImage>();
      override async fetchImage(hash: string) {
        return this.images.get(hash) ?? this.remote.get(hash);
      }
    }
    const lagging = new LaggingStore();
    const cat = catalogue({ ...stores(), store: lagging });
    const image = await catalogue(stores()).storeImage(engine.compile(source(10)), source(10));
    lagging.remote.set(image.structuralHash, image);
    const ref = `sha256:${image.structuralHash}`;
    const local = cat.resolve(ref);
    assert.equal(!local.ok && local.problem, 'not-local');
    const remote = await cat.resolveFromAuthority(ref);
    assert.ok(remote.ok && remote.hash === image.structuralHash);
    const missing = await cat.resolveFromAuthority(`sha256:${'e'.repeat(64)}`);
    assert.equal(!missing.ok && missing.problem, 'missing');
    assert.equal((await cat.fetchImage(image.structuralHash))?.structuralHash, image.structuralHash);
  });
});
