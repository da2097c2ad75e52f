import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VersionHistory, VersionStore } from '../../runtime/stores/version-store.js';
import { sampleHistory, type Subject } from './fixtures.js';
import { casTests } from './revisioned-store.contract.js';

/** The VersionStore contract: compare-and-set on each name's history, names listed. */
export function versionStoreContract(name: string, open: () => Promise<Subject<VersionStore>>): void {
  describe(`VersionStore contract: ${name}`, () => {
    casTests<VersionStore, VersionHistory>(open, {
      get: (s, k) => s.get(k),
      put: (s, k, v, r) => s.put(k, v, r),
      sample: (_k, n) => sampleHistory('a'.repeat(64), n),
    });

    test('names() lists every name with a history', async () => {
      const { store, cleanup } = await open();
      try {
        await store.put('one', sampleHistory('a'.repeat(64)), 0);
        await store.put('two', sampleHistory('b'.repeat(64), 2), 0);
        assert.deepEqual([...store.names()].sort(), ['one', 'two']);
        assert.equal(store.get('two')!.value.active, 2);
      } finally {
        await cleanup();
      }
    });
  });
}
