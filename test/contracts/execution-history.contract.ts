import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutionStorage, StoredExecution } from '../../runtime/engine/spi.js';
import { sleep, type Subject } from './fixtures.js';

const exec = (id: string, startTime: number, extra: Partial<StoredExecution> = {}): StoredExecution => ({
  executionId: id, dagName: 'p', startTime, inputs: {}, status: 'Completed', nodeResults: {}, source: 'API', ...extra,
});

/** The bounds a history is opened with (the defaults when absent). */
export interface HistoryBounds {
  readonly capacity?: number;
  readonly maxValueBytes?: number;
}

/** Polls until `probe` holds (a shared store evicts and propagates in the background). */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * The ExecutionStorage (execution history) contract: newest first, paging, update, delete,
 * stats, the capacity bound and value truncation; for a shared store (`shared`, whose subjects
 * `reopen` a second instance), what one writes the other reads and deletes.
 */
export function executionHistoryContract(name: string, open: (bounds?: HistoryBounds) => Promise<Subject<ExecutionStorage>>, options: { shared?: boolean } = {}): void {
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
        assert.equal((await store.get('r'))?.endTime, 5);
        assert.equal(await store.update('missing', (e) => e), undefined);
        assert.deepEqual((await store.listByScript('b.cst', 10)).map((e) => e.executionId), ['f']);
        // a part of the path matches (the dashboard's history filter), newest first
        assert.deepEqual((await store.listByScript('.cst', 10)).map((e) => e.executionId), ['f', 'r']);
        const stats = await store.stats();
        assert.deepEqual([stats.totalExecutions, stats.completed, stats.failed, stats.running], [2, 1, 1, 0]);
        assert.deepEqual([stats.oldestExecutionTime, stats.newestExecutionTime], [1, 2]);
        assert.equal(await store.delete('f'), true);
        assert.equal(await store.delete('f'), false);
        assert.equal(await store.get('f'), undefined);
        await store.clear();
        assert.equal((await store.stats()).totalExecutions, 0);
        assert.deepEqual(await store.list(10, 0), []);
      } finally {
        await cleanup();
      }
    });

    test('holds at most its capacity: the oldest runs go first', async () => {
      const { store, cleanup } = await open({ capacity: 3 });
      try {
        for (let i = 0; i < 5; i++) await store.store(exec(`c${i}`, 100 + i));
        assert.deepEqual((await store.list(10, 0)).map((e) => e.executionId), ['c4', 'c3', 'c2']);
        const stats = await store.stats();
        assert.deepEqual([stats.totalExecutions, stats.maxCapacity, stats.oldestExecutionTime], [3, 3, 102]);
        await until('the oldest evicted', async () => (await store.get('c0')) === undefined && (await store.get('c1')) === undefined);
        assert.equal((await store.get('c2'))?.startTime, 102);
      } finally {
        await cleanup();
      }
    });

    test('values over the limit are stored as a truncation marker', async () => {
      const { store, cleanup } = await open({ maxValueBytes: 100 });
      try {
        const big = 'x'.repeat(200);
        await store.store(exec('t', 1, { inputs: { big, small: 1 }, outputs: { out: big }, nodeResults: { '1': { nodeId: '1', status: 'Completed', value: big } } }));
        const marker = `<truncated: ${Buffer.byteLength(JSON.stringify(big))} bytes>`;
        const stored = await store.get('t');
        assert.deepEqual(stored?.inputs, { big: marker, small: 1 });
        assert.deepEqual(stored?.outputs, { out: marker });
        assert.equal(stored?.nodeResults['1']?.value, marker);
        const updated = await store.update('t', (e) => ({ ...e, outputs: { out: big, also: 'small' } }));
        assert.deepEqual(updated?.outputs, { out: marker, also: 'small' });
      } finally {
        await cleanup();
      }
    });

    if (options.shared) test('a second instance of a shared store reads, updates and deletes what the first stored', async () => {
      const subject = await open({ capacity: 3 });
      try {
        assert.ok(subject.reopen, 'a shared store\'s subject opens a second instance');
        const other = await subject.reopen();
        await subject.store.store(exec('s1', 10, { status: 'Running', scriptPath: 'shared.cst' }));
        await until('the run on the other instance', async () => (await other.get('s1')) !== undefined);
        assert.equal((await other.update('s1', (e) => ({ ...e, status: 'Completed', endTime: 20 })))?.status, 'Completed');
        await until('the update on the first instance', async () => (await subject.store.get('s1'))?.status === 'Completed');
        // capacity holds across instances: runs stored on both, the oldest evicted wherever stored
        for (let i = 0; i < 4; i++) await (i % 2 === 0 ? other : subject.store).store(exec(`s${i + 2}`, 11 + i));
        const newest = ['s5', 's4', 's3'];
        for (const store of [subject.store, other]) {
          await until('three runs, the newest', async () => JSON.stringify((await store.list(10, 0)).map((e) => e.executionId)) === JSON.stringify(newest));
          await until('the older ones evicted', async () => (await store.get('s1')) === undefined && (await store.get('s2')) === undefined);
        }
        assert.equal(await other.delete('s4'), true);
        await until('the delete on the first instance', async () => (await subject.store.get('s4')) === undefined);
        assert.equal((await subject.store.stats()).totalExecutions, 2);
      } finally {
        await subject.cleanup();
      }
    });
  });
}
