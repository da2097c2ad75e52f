import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutionStorage, StoredExecution } from '../../runtime/engine/spi.js';
import type { Subject } from './fixtures.js';

const exec = (id: string, startTime: number, extra: Partial<StoredExecution> = {}): StoredExecution => ({
  executionId: id, dagName: 'p', startTime, inputs: {}, status: 'Completed', nodeResults: {}, source: 'API', ...extra,
});

/** The ExecutionStorage (execution history) contract: newest first, paging, update, delete, stats. */
export function executionHistoryContract(name: string, open: () => Promise<Subject<ExecutionStorage>>): void {
  describe(`ExecutionStorage contract: ${name}`, () => {
    test('stores, reads back, lists newest first with limit and offset', async () => {
      const { store, cleanup } = await open();
      try {
        for (let i = 0; i < 4; i++) assert.equal(await store.store(exec(`h${i}`, 1000 + i)), `h${i}`);
        assert.equal((await store.get('h2'))?.startTime, 1002);
        assert.deepEqual((await store.list(2, 0)).map((e) => e.executionId), ['h3', 'h2']);
        assert.deepEqual((await store.list(2, 2)).map((e) => e.executionId), ['h1', 'h0']);
      } finally {
        await cleanup();
      }
    });

    test('update, listByScript, delete, clear, stats', async () => {
      const { store, cleanup } = await open();
      try {
        await store.store(exec('r', 1, { status: 'Running', scriptPath: 'a.cst' }));
        await store.store(exec('f', 2, { status: 'Failed', scriptPath: 'b.cst' }));
        const updated = await store.update('r', (e) => ({ ...e, status: 'Completed', endTime: 5 }));
        assert.equal(updated?.status, 'Completed');
        assert.equal(await store.update('missing', (e) => e), undefined);
        assert.deepEqual((await store.listByScript('b.cst', 10)).map((e) => e.executionId), ['f']);
        // a part of the path matches (the dashboard's history filter), newest first
        assert.deepEqual((await store.listByScript('.cst', 10)).map((e) => e.executionId), ['f', 'r']);
        const stats = await store.stats();
        assert.deepEqual([stats.totalExecutions, stats.completed, stats.failed, stats.running], [2, 1, 1, 0]);
        assert.equal(await store.delete('f'), true);
        assert.equal(await store.delete('f'), false);
        await store.clear();
        assert.equal((await store.stats()).totalExecutions, 0);
      } finally {
        await cleanup();
      }
    });
  });
}
