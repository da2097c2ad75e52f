import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FilePipelineStore } from '../../server/stores/file-pipeline-store.js';
import { FileSuspensionStore } from '../../server/stores/file-suspension-store.js';
import { FileVersionStore } from '../../server/stores/file-version-store.js';
import { pipelineStoreContract, sampleImage, suspensionStoreContract, versionStoreContract, type Subject } from './index.js';

/** The embedded file stores (server/stores/) against the same contract suites as the in-memory ones, and what only they do. */

async function inTempDir<T>(open: (dir: string) => Promise<T>): Promise<Subject<T>> {
  const dir = await mkdtemp(join(tmpdir(), 'constellation-contract-'));
  return { store: await open(dir), reopen: () => open(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

pipelineStoreContract('file', () => inTempDir((dir) => FilePipelineStore.open(dir)));
versionStoreContract('file', () => inTempDir((dir) => FileVersionStore.open(dir)));
suspensionStoreContract('file', (options) => inTempDir(async (dir) => new FileSuspensionStore(dir, options)));

describe('FilePipelineStore beyond the contract', () => {
  test('images no alias pins stay in memory only within the budget, and are read back from disk; aliased ones always stay', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'constellation-file-store-'));
    try {
      const store = await FilePipelineStore.open(dir, { memoryBytes: 1 });
      const [unnamed, named] = [sampleImage(21), sampleImage(22)];
      await store.putImage(unnamed);
      await store.putImage(named);
      await store.setAlias('named', named.structuralHash);
      assert.equal(store.getImage(unnamed.structuralHash), undefined, 'over the budget: dropped from memory');
      assert.ok(store.getImage(named.structuralHash), 'aliased: in memory');
      assert.deepEqual((await store.fetchImage(unnamed.structuralHash))?.dag, unnamed.dag, 'read back from disk');
      assert.equal(store.memoryUsage().unpinnedHeapBytes, 0);
      // a torn last line of the index (a crash during an append) is not damage: no quarantine
      await appendFile(join(dir, 'pipelines', 'image-index.jsonl'), '{"k":"abc","v":{"struct');
      const again = await FilePipelineStore.open(dir);
      assert.equal([...again.summaries()].length, 2);
      assert.equal(existsSync(join(dir, 'quarantine')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
