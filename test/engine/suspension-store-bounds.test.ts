import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SNAPSHOT_FORMAT_VERSION, type ExecutionSnapshot } from '../../runtime/engine/suspension.js';
import { FileSuspensionStore } from '../../server/stores/file-suspension-store.js';

/** The file suspension store stays bounded: failed snapshots expire; past its limits a save is refused, nothing is evicted. */

const snapshot = (id: string, status: ExecutionSnapshot['status'], createdAt: Date): ExecutionSnapshot => ({
  formatVersion: SNAPSHOT_FORMAT_VERSION, executionId: id, structuralHash: 'a'.repeat(64), resumptionCount: 0, status,
  providedInputs: {}, computed: {}, nodeStates: {}, missingInputs: {}, createdAt: createdAt.toISOString(), lastResumedAt: null,
});

describe('FileSuspensionStore bounds', () => {
  test('beyond maxEntries a save is refused and says so; what is stored stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'susp-bounds-'));
    try {
      const store = new FileSuspensionStore(dir, { limits: { maxEntries: 3 } });
      const t = Date.now();
      assert.deepEqual(await store.save(snapshot('s1', 'suspended', new Date(t - 5000))), { persisted: true });
      await store.save(snapshot('f1', 'failed', new Date(t - 4000)));
      await store.save(snapshot('s2', 'suspended', new Date(t - 3000)));
      const refused = await store.save(snapshot('f2', 'failed', new Date(t - 2000)));
      assert.equal(refused.persisted, false);
      assert.equal(!refused.persisted && refused.reason, 'count-limit');
      assert.deepEqual((await store.list()).items.map((s) => s.executionId).sort(), ['f1', 's1', 's2']);
      // replacing a stored execution's snapshot is not a new entry
      assert.deepEqual(await store.save({ ...snapshot('s2', 'suspended', new Date(t - 3000)), resumptionCount: 1 }), { persisted: true });
      assert.equal(readdirSync(join(dir, 'executions')).filter((f) => f.endsWith('.json')).length, 3);
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
      assert.deepEqual((await store.list()).items.map((s) => s.executionId).sort(), ['new-failed', 'old-suspended']);
      const claim = (await store.claim('new-failed'))!;
      assert.equal(await claim.delete(), true);
      assert.equal(await claim.delete(), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
