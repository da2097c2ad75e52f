import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SNAPSHOT_FORMAT_VERSION, type ExecutionSnapshot } from '../../runtime/engine/suspension.js';
import { FileSuspensionStore } from '../../server/stores/file-suspension-store.js';

/** The file suspension store stays bounded: failed snapshots expire, the oldest go first. */

const snapshot = (id: string, status: ExecutionSnapshot['status'], createdAt: Date): ExecutionSnapshot => ({
  formatVersion: SNAPSHOT_FORMAT_VERSION, executionId: id, structuralHash: 'a'.repeat(64), resumptionCount: 0, status,
  providedInputs: {}, computed: {}, nodeStates: {}, missingInputs: {}, createdAt: createdAt.toISOString(), lastResumedAt: null,
});

describe('FileSuspensionStore bounds', () => {
  test('beyond maxEntries the oldest failed snapshots go first, then the oldest suspended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'susp-bounds-'));
    try {
      const store = new FileSuspensionStore(dir, { maxEntries: 3 });
      const t = Date.now();
      await store.save(snapshot('s1', 'suspended', new Date(t - 5000)));
      await store.save(snapshot('f1', 'failed', new Date(t - 4000)));
      await store.save(snapshot('s2', 'suspended', new Date(t - 3000)));
      await store.save(snapshot('f2', 'failed', new Date(t - 2000)));
      assert.deepEqual((await store.list()).map((s) => s.executionId).sort(), ['f2', 's1', 's2']);
      await store.save(snapshot('s3', 'suspended', new Date(t - 1000)));
      assert.deepEqual((await store.list()).map((s) => s.executionId).sort(), ['s1', 's2', 's3']);
      assert.equal(readdirSync(join(dir, 'executions')).length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('failed snapshots expire after failedTtlMs; suspended ones stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'susp-ttl-'));
    try {
      const store = new FileSuspensionStore(dir, { failedTtlMs: 1000 });
      await store.save(snapshot('old-failed', 'failed', new Date(Date.now() - 5000)));
      await store.save(snapshot('old-suspended', 'suspended', new Date(Date.now() - 5000)));
      await store.save(snapshot('new-failed', 'failed', new Date()));
      assert.deepEqual((await store.list()).map((s) => s.executionId).sort(), ['new-failed', 'old-suspended']);
      assert.equal(await store.delete('new-failed'), true);
      assert.equal(await store.delete('new-failed'), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
