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
        const again = await reopen();
        assert.equal(again.resolveAlias('survivor'), image.structuralHash);
        assert.deepEqual(again.getImage(image.structuralHash)?.dag, image.dag);
        assert.equal(again.lookupSyntactic(image.syntacticHash, image.registryHash), image.structuralHash);
      }));
  });
}
