import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SuspensionLimits, SuspensionStore } from '../../runtime/stores/suspension-store.js';
import { sampleSnapshot, sleep, withSubject, type Subject } from './fixtures.js';

export interface SuspensionStoreOptions {
  readonly limits?: Partial<SuspensionLimits>;
  readonly leaseMs?: number;
  /** Every execution goes this long after its last write (the store's retention setting). */
  readonly retentionMs?: number;
}

/**
 * The SuspensionStore contract: save/load, paging, exclusive leased claims whose bound
 * operations detect a lost lease, and limits that refuse instead of evicting. Lease times are
 * short (tens of milliseconds to a second) so the suite runs in about a second.
 */
export function suspensionStoreContract(name: string, open: (options: SuspensionStoreOptions) => Promise<Subject<SuspensionStore>>): void {
  describe(`SuspensionStore contract: ${name}`, () => {
    const withStore = (options: SuspensionStoreOptions, body: (s: Subject<SuspensionStore>) => Promise<void>) => withSubject(() => open(options), body);

    test('a saved snapshot loads back; an unknown id loads as undefined', () =>
      withStore({}, async ({ store }) => {
        const snapshot = sampleSnapshot('e-1');
        assert.deepEqual(await store.save(snapshot), { persisted: true });
        assert.deepEqual(await store.load('e-1'), snapshot);
        assert.equal(await store.load('e-unknown'), undefined);
      }));

    test('lists page in (createdAt, id) order with a cursor, and filter', () =>
      withStore({}, async ({ store }) => {
        const t = Date.now() - 10_000;
        for (const [i, id] of ['e-c', 'e-a', 'e-b', 'e-e', 'e-d'].entries()) await store.save(sampleSnapshot(id, { createdAt: t + (i % 3) * 1000, hash: i === 4 ? 'd'.repeat(64) : undefined }));
        const first = await store.list({ limit: 2 });
        assert.equal(first.items.length, 2);
        assert.notEqual(first.next, null);
        const seen = [...first.items];
        let cursor = first.next;
        while (cursor !== null) {
          const p = await store.list({ limit: 2, cursor });
          seen.push(...p.items);
          cursor = p.next;
        }
        // createdAt: e-c and e-e at t, e-a and e-d at t+1s, e-b at t+2s; ties by id
        assert.deepEqual(seen.map((s) => s.executionId), ['e-c', 'e-e', 'e-a', 'e-d', 'e-b']);
        const filtered = await store.list({ filter: { structuralHash: 'd'.repeat(64) } });
        assert.deepEqual(filtered.items.map((s) => s.executionId), ['e-d']);
        assert.equal(filtered.next, null);
      }));

    test('a claim is exclusive until released', () =>
      withStore({}, async ({ store }) => {
        await store.save(sampleSnapshot('e-2'));
        const claim = await store.claim('e-2');
        assert.ok(claim);
        assert.equal(await store.claim('e-2'), undefined);
        await claim.release();
        await claim.release(); // idempotent
        const again = await store.claim('e-2');
        assert.ok(again);
        await again.release();
      }));

    test('saves and deletes bound to a claim work while its lease holds', () =>
      withStore({}, async ({ store }) => {
        await store.save(sampleSnapshot('e-3'));
        const claim = (await store.claim('e-3'))!;
        assert.deepEqual(await claim.save({ ...sampleSnapshot('e-3'), resumptionCount: 1 }), { persisted: true });
        assert.equal((await store.load('e-3'))?.resumptionCount, 1);
        assert.equal(await claim.delete(), true);
        assert.equal(await claim.delete(), false);
        assert.equal(await store.load('e-3'), undefined);
        await claim.release();
      }));

    test('a lease that ran out is lost: another claim takes over, and the old one can no longer save, delete or renew', () =>
      withStore({ leaseMs: 30 }, async ({ store }) => {
        await store.save(sampleSnapshot('e-4'));
        const stale = (await store.claim('e-4'))!;
        assert.ok(stale.leaseExpiresAt > Date.now() - 1);
        await sleep(60);
        const fresh = await store.claim('e-4');
        assert.ok(fresh, 'an expired lease can be claimed');
        const outcome = await stale.save({ ...sampleSnapshot('e-4'), resumptionCount: 9 });
        assert.equal(outcome.persisted, false);
        assert.equal(!outcome.persisted && outcome.reason, 'lease-lost');
        assert.equal(await stale.delete(), false);
        assert.equal(await stale.renew(), false);
        assert.equal((await store.load('e-4'))?.resumptionCount, 0, 'the stale claim changed nothing');
        await stale.release(); // does not release the new holder's claim
        assert.equal(await store.claim('e-4'), undefined);
        await fresh.release();
      }));

    test('renewal keeps a lease past its first term', () =>
      // generous margins: a loaded machine may oversleep by hundreds of milliseconds
      withStore({ leaseMs: 1000 }, async ({ store }) => {
        await store.save(sampleSnapshot('e-5'));
        const claim = (await store.claim('e-5'))!;
        await sleep(400);
        assert.equal(await claim.renew(), true);
        await sleep(700);
        assert.equal(await store.claim('e-5'), undefined, 'still held after the first term');
        assert.deepEqual(await claim.save(sampleSnapshot('e-5')), { persisted: true });
        await claim.release();
      }));

    test('past the entry limit a save is refused; stored executions stay and may still be replaced', () =>
      withStore({ limits: { maxEntries: 2 } }, async ({ store }) => {
        await store.save(sampleSnapshot('e-6'));
        await store.save(sampleSnapshot('e-7'));
        const refused = await store.save(sampleSnapshot('e-8'));
        assert.equal(refused.persisted, false);
        assert.equal(!refused.persisted && refused.reason, 'count-limit');
        assert.deepEqual((await store.list()).items.map((s) => s.executionId).sort(), ['e-6', 'e-7']);
        assert.deepEqual(await store.save({ ...sampleSnapshot('e-7'), resumptionCount: 2 }), { persisted: true });
        assert.equal(store.limits.maxEntries, 2);
      }));

    test('past the byte limit a save is refused', () =>
      withStore({ limits: { maxBytes: 4096 } }, async ({ store }) => {
        assert.deepEqual(await store.save(sampleSnapshot('e-9', { pad: 1000 })), { persisted: true });
        const refused = await store.save(sampleSnapshot('e-10', { pad: 5000 }));
        assert.equal(refused.persisted, false);
        assert.equal(!refused.persisted && refused.reason, 'byte-limit');
        assert.equal(await store.load('e-10'), undefined);
        assert.ok(await store.load('e-9'));
      }));

    test('retention: an execution not written for retentionMs goes; a resume counts as a write', () =>
      withStore({ retentionMs: 400 }, async ({ store }) => {
        await store.save(sampleSnapshot('e-12', { createdAt: Date.now() - 10_000 }));
        await store.save({ ...sampleSnapshot('e-13', { createdAt: Date.now() - 10_000 }), lastResumedAt: new Date().toISOString() });
        assert.deepEqual((await store.list()).items.map((s) => s.executionId), ['e-13'], 'created long ago, never resumed: gone');
        assert.equal(await store.load('e-12'), undefined);
        await sleep(600);
        assert.deepEqual((await store.list()).items, []);
        if (store.usage) assert.deepEqual(await store.usage(), { entries: 0, bytes: 0 });
      }));

    test('a filter by structuralHash sees only that pipeline\'s executions, also after deletes (the image lifecycle asks it)', () =>
      withStore({}, async ({ store }) => {
        const other = 'd'.repeat(64);
        await store.save(sampleSnapshot('e-14'));
        await store.save(sampleSnapshot('e-15', { hash: other }));
        await store.save(sampleSnapshot('e-16', { hash: other }));
        const one = await store.list({ filter: { structuralHash: other }, limit: 1 });
        assert.deepEqual(one.items.map((s) => s.executionId), ['e-15']);
        assert.notEqual(one.next, null);
        for (const id of ['e-15', 'e-16']) {
          const claim = (await store.claim(id))!;
          assert.equal(await claim.delete(), true);
          await claim.release();
        }
        assert.deepEqual((await store.list({ filter: { structuralHash: other }, limit: 1 })).items, []);
        if (store.usage) assert.equal((await store.usage()).entries, 1);
      }));

    test('persistent stores: snapshots survive a reopen', () =>
      withStore({}, async ({ store, reopen }) => {
        if (!reopen) return;
        await store.save(sampleSnapshot('e-11'));
        const again = await reopen();
        assert.deepEqual((await again.list()).items.map((s) => s.executionId), ['e-11']);
        assert.equal((await again.load('e-11'))?.executionId, 'e-11');
      }));
  });
}
