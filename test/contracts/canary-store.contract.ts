import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CanaryState, CanaryStore } from '../../runtime/stores/canary-store.js';
import { sampleCanary, type Subject } from './fixtures.js';
import { casTests } from './revisioned-store.contract.js';

const STATUSES: CanaryState['status'][] = ['observing', 'promoting', 'complete', 'rolled_back', 'observing', 'promoting', 'complete', 'rolled_back'];

/** The CanaryStore contract: compare-and-set on each name's canary state, every state listed. */
export function canaryStoreContract(name: string, open: () => Promise<Subject<CanaryStore>>): void {
  describe(`CanaryStore contract: ${name}`, () => {
    casTests<CanaryStore, CanaryState>(open, {
      get: (s, k) => s.get(k),
      put: (s, k, v, r) => s.put(k, v, r),
      sample: (k, n) => ({ ...sampleCanary(k, STATUSES[n % STATUSES.length]), step: n }),
    });

    test('list() gives every name’s state, running or finished', async () => {
      const { store, cleanup } = await open();
      try {
        await store.put('a', sampleCanary('a'), 0);
        await store.put('b', sampleCanary('b', 'complete'), 0);
        assert.deepEqual([...store.list()].map((c) => [c.value.pipelineName, c.value.status]).sort(), [['a', 'observing'], ['b', 'complete']]);
      } finally {
        await cleanup();
      }
    });
  });
}
