import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PipelineStore } from '../../runtime/stores/pipeline-store.js';
import { sampleImage, withSubject, type Subject } from './fixtures.js';

/**
 * The PipelineStore contract: every implementation (memory, file, NATS) passes it. `open` gives
 * a fresh, empty store. A complete view (memory, file) answers misses locally; any store answers
 * fetchImage/fetchAlias from its authority.
 */
export function pipelineStoreContract(name: string, open: () => Promise<Subject<PipelineStore>>): void {
  describe(`PipelineStore contract: ${name}`, () => {
    const withStore = (body: (s: Subject<PipelineStore>) => Promise<void>) => withSubject(open, body);

    test('an image put is read back by hash, listed, and indexed by (syntactic hash, registry hash)', () =>
      withStore(async ({ store }) => {
        const image = sampleImage(1);
        assert.equal(store.getImage(image.structuralHash), undefined);
        await store.putImage(image);
        assert.equal(store.getImage(image.structuralHash)?.structuralHash, image.structuralHash);
        assert.deepEqual((await store.fetchImage(image.structuralHash))?.dag, image.dag);
        assert.deepEqual([...store.summaries()].map((i) => i.structuralHash), [image.structuralHash]);
        assert.equal(store.summary(image.structuralHash)?.moduleCount, 0);
        assert.deepEqual(store.summary(image.structuralHash)?.declaredOutputs, ['y']);
        assert.ok(store.summary(image.structuralHash)!.bytes > 100, 'the summary knows the stored size');
        assert.equal(store.lookupSyntactic(image.syntacticHash, image.registryHash), image.structuralHash);
        assert.equal(store.lookupSyntactic(image.syntacticHash, 'another-registry'), undefined);
        // putting the same image again changes nothing
        await store.putImage(image);
        assert.equal([...store.summaries()].length, 1);
      }));

    test('aliases: set, move (last writer wins), list, reverse lookup sorted, delete', () =>
      withStore(async ({ store }) => {
        const a = sampleImage(2);
        const b = sampleImage(3);
        await store.putImage(a);
        await store.putImage(b);
        await store.setAlias('beta', a.structuralHash);
        await store.setAlias('alpha', a.structuralHash);
        assert.deepEqual(store.aliasesOf(a.structuralHash), ['alpha', 'beta']);
        await store.setAlias('beta', b.structuralHash);
        assert.equal(store.resolveAlias('beta'), b.structuralHash);
        assert.equal(await store.fetchAlias('beta'), b.structuralHash);
        assert.deepEqual([...store.aliases()].sort(), [['alpha', a.structuralHash], ['beta', b.structuralHash]]);
        assert.equal(await store.deleteAlias('alpha'), true);
        assert.equal(await store.deleteAlias('alpha'), false);
        assert.equal(store.resolveAlias('alpha'), undefined);
        assert.equal(await store.fetchAlias('alpha'), undefined);
      }));

    test('aliasesOf follows moves and deletes (one lookup: the image lifecycle asks it for every image it may evict)', () =>
      withStore(async ({ store }) => {
        const a = sampleImage(7);
        const b = sampleImage(8);
        await store.putImage(a);
        await store.putImage(b);
        await store.setAlias('one', a.structuralHash);
        await store.setAlias('two', a.structuralHash);
        await store.setAlias('one', b.structuralHash);
        assert.deepEqual(store.aliasesOf(a.structuralHash), ['two']);
        assert.deepEqual(store.aliasesOf(b.structuralHash), ['one']);
        await store.deleteAlias('two');
        assert.deepEqual(store.aliasesOf(a.structuralHash), []);
      }));

    test('summaries: every stored image without loading it; a deleted image leaves them', () =>
      withStore(async ({ store }) => {
        const a = sampleImage(9);
        const b = sampleImage(10);
        await store.putImage(a);
        await store.putImage(b);
        const summary = store.summary(a.structuralHash)!;
        assert.deepEqual(
          { hash: summary.structuralHash, syntactic: summary.syntacticHash, registry: summary.registryHash, compiledAt: summary.compiledAt },
          { hash: a.structuralHash, syntactic: a.syntacticHash, registry: a.registryHash, compiledAt: a.compiledAt },
        );
        assert.deepEqual([...store.summaries()].map((s) => s.structuralHash).sort(), [a.structuralHash, b.structuralHash].sort());
        await store.deleteImage(a.structuralHash);
        assert.equal(store.summary(a.structuralHash), undefined);
        assert.deepEqual([...store.summaries()].map((s) => s.structuralHash), [b.structuralHash]);
      }));

    test('deleting an image removes it and its index entry; deleting an unknown one answers false', () =>
      withStore(async ({ store }) => {
        const image = sampleImage(4);
        await store.putImage(image);
        assert.equal(await store.deleteImage(image.structuralHash), true);
        assert.equal(store.getImage(image.structuralHash), undefined);
        assert.equal(await store.fetchImage(image.structuralHash), undefined);
        assert.equal(store.lookupSyntactic(image.syntacticHash, image.registryHash), undefined);
        assert.equal(await store.deleteImage(image.structuralHash), false);
      }));

    test('a complete view answers misses as "does not exist"; resync keeps what is stored', () =>
      withStore(async ({ store }) => {
        const image = sampleImage(5);
        await store.putImage(image);
        await store.setAlias('kept', image.structuralHash);
        await store.resync();
        assert.equal(store.resolveAlias('kept'), image.structuralHash);
        assert.ok(store.getImage(image.structuralHash));
        if (store.completeView) assert.equal(await store.fetchImage('f'.repeat(64)), undefined);
      }));

    test('persistent stores: images and aliases survive a reopen', () =>
      withStore(async ({ store, reopen }) => {
        if (!reopen) return;
        const image = sampleImage(6);
        await store.putImage(image);
        await store.setAlias('survivor', image.structuralHash);
        const unnamed = sampleImage(11);
        await store.putImage(unnamed);
        const again = await reopen();
        assert.equal(again.resolveAlias('survivor'), image.structuralHash);
        assert.deepEqual(again.getImage(image.structuralHash)?.dag, image.dag, 'an aliased image is in memory');
        assert.equal(again.lookupSyntactic(image.syntacticHash, image.registryHash), image.structuralHash);
        // an unnamed one may stay on disk until asked for, but it is known
        assert.equal(again.summary(unnamed.structuralHash)?.bytes, store.summary(unnamed.structuralHash)?.bytes);
        assert.deepEqual((await again.fetchImage(unnamed.structuralHash))?.dag, unnamed.dag);
      }));
  });
}
