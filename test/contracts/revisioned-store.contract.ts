import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CasOutcome, Revisioned } from '../../runtime/stores/revision.js';
import { withSubject, type Subject } from './fixtures.js';

/**
 * Compare-and-set, as the version store and the canary-state store both promise it: the part of
 * their contracts that a network store must get right when two instances write one key at once.
 */
export interface CasAccess<S, T> {
  get(store: S, key: string): Revisioned<T> | undefined;
  put(store: S, key: string, value: T, expectedRevision: number): Promise<CasOutcome<T>>;
  sample(key: string, variant: number): T;
}

export function casTests<S, T>(open: () => Promise<Subject<S>>, access: CasAccess<S, T>): void {
  const withStore = (body: (s: Subject<S>) => Promise<void>) => withSubject(open, body);

  test('a write expecting revision 0 creates; the record reads back with a positive revision', () =>
    withStore(async ({ store }) => {
      assert.equal(access.get(store, 'k'), undefined);
      const created = await access.put(store, 'k', access.sample('k', 1), 0);
      assert.ok(created.ok);
      const read = access.get(store, 'k')!;
      assert.ok(read.revision > 0);
      assert.equal(read.revision, created.ok && created.revision);
      assert.deepEqual(read.value, access.sample('k', 1));
    }));

  test('a write naming a stale revision is refused and returns the current record', () =>
    withStore(async ({ store }) => {
      const first = await access.put(store, 'k', access.sample('k', 1), 0);
      assert.ok(first.ok);
      const second = await access.put(store, 'k', access.sample('k', 2), first.revision);
      assert.ok(second.ok);
      assert.ok(second.revision > first.revision, 'revisions grow');
      const stale = await access.put(store, 'k', access.sample('k', 3), first.revision);
      assert.equal(stale.ok, false);
      assert.deepEqual(!stale.ok && stale.current?.value, access.sample('k', 2));
      const recreate = await access.put(store, 'k', access.sample('k', 3), 0);
      assert.equal(recreate.ok, false, 'creating an existing record is refused');
      assert.deepEqual(access.get(store, 'k')!.value, access.sample('k', 2));
    }));

  test('racing writes from one revision: exactly one wins', () =>
    withStore(async ({ store }) => {
      const base = await access.put(store, 'k', access.sample('k', 1), 0);
      assert.ok(base.ok);
      const outcomes = await Promise.all([2, 3, 4, 5].map((v) => access.put(store, 'k', access.sample('k', v), base.revision)));
      assert.equal(outcomes.filter((o) => o.ok).length, 1);
      const winner = [2, 3, 4, 5][outcomes.findIndex((o) => o.ok)]!;
      assert.deepEqual(access.get(store, 'k')!.value, access.sample('k', winner));
    }));

  test('keys are independent', () =>
    withStore(async ({ store }) => {
      assert.ok((await access.put(store, 'a', access.sample('a', 1), 0)).ok);
      assert.ok((await access.put(store, 'b', access.sample('b', 1), 0)).ok);
      assert.deepEqual(access.get(store, 'a')!.value, access.sample('a', 1));
      assert.deepEqual(access.get(store, 'b')!.value, access.sample('b', 1));
    }));

  test('persistent stores: records survive a reopen and keep compare-and-set working', () =>
    withStore(async ({ store, reopen }) => {
      if (!reopen) return;
      await access.put(store, 'k', access.sample('k', 7), 0);
      const again = await reopen();
      const read = access.get(again, 'k')!;
      assert.deepEqual(read.value, access.sample('k', 7));
      assert.ok((await access.put(again, 'k', access.sample('k', 8), read.revision)).ok);
    }));
}
