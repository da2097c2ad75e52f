import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredExecution } from '../../runtime/engine/spi.js';
import { MemoryExecutionStorage } from '../../runtime/stores/execution-history.js';

/** The in-memory ExecutionStorage: capacity, order, truncation, update, stats. */

const exec = (id: string, startTime: number, extra: Partial<StoredExecution> = {}): StoredExecution => ({
  executionId: id, dagName: 'p', startTime, inputs: {}, status: 'Completed', nodeResults: {}, source: 'API', ...extra,
});

describe('MemoryExecutionStorage', () => {
  test('keeps at most its capacity, evicting the oldest stored, and lists newest first', async () => {
    const s = new MemoryExecutionStorage(3);
    for (let i = 0; i < 5; i++) await s.store(exec(`e${i}`, 1000 + i));
    assert.deepEqual((await s.list(10, 0)).map((e) => e.executionId), ['e4', 'e3', 'e2']);
    assert.deepEqual((await s.list(1, 1)).map((e) => e.executionId), ['e3']);
    assert.equal(await s.get('e0'), undefined);
  });

  test('truncates large values and leaves small ones alone', async () => {
    const s = new MemoryExecutionStorage(10, 100);
    await s.store(exec('big', 1, { inputs: { small: 'x', large: 'y'.repeat(500) }, nodeResults: { '3': { nodeId: '3', status: 'Completed', value: 'z'.repeat(200) } } }));
    const e = (await s.get('big'))!;
    assert.equal(e.inputs['small'], 'x');
    assert.equal(e.inputs['large'], '<truncated: 502 bytes>');
    assert.equal(e.nodeResults['3']!.value, '<truncated: 202 bytes>');
  });

  test('update, listByScript, delete, clear and stats', async () => {
    const s = new MemoryExecutionStorage();
    await s.store(exec('a', 1, { status: 'Running', scriptPath: 'x.cst' }));
    await s.store(exec('b', 2, { status: 'Failed', scriptPath: 'y.cst' }));
    const updated = await s.update('a', (c) => ({ ...c, status: 'Completed', endTime: 5 }));
    assert.equal(updated?.status, 'Completed');
    assert.equal(await s.update('missing', (c) => c), undefined);
    assert.deepEqual((await s.listByScript('x.cst', 5)).map((e) => e.executionId), ['a']);
    // a part of the path is enough (the history's filter box)
    assert.deepEqual((await s.listByScript('.cst', 5)).map((e) => e.executionId), ['b', 'a']);
    assert.deepEqual(await s.stats(), { totalExecutions: 2, running: 0, completed: 1, failed: 1, oldestExecutionTime: 1, newestExecutionTime: 2, maxCapacity: 1000 });
    assert.equal(await s.delete('b'), true);
    assert.equal(await s.delete('b'), false);
    await s.clear();
    assert.equal((await s.stats()).totalExecutions, 0);
  });
});
