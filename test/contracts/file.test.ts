import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilePipelineStore } from '../../server/stores/file-pipeline-store.js';
import { FileSuspensionStore } from '../../server/stores/file-suspension-store.js';
import { FileVersionStore } from '../../server/stores/file-version-store.js';
import { pipelineStoreContract, suspensionStoreContract, versionStoreContract, type Subject } from './index.js';

/** The embedded file stores (server/stores/) against the same contract suites as the in-memory ones. */

async function inTempDir<T>(open: (dir: string) => Promise<T>): Promise<Subject<T>> {
  const dir = await mkdtemp(join(tmpdir(), 'constellation-contract-'));
  return { store: await open(dir), reopen: () => open(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

pipelineStoreContract('file', () => inTempDir((dir) => FilePipelineStore.open(dir)));
versionStoreContract('file', () => inTempDir((dir) => FileVersionStore.open(dir)));
suspensionStoreContract('file', (options) => inTempDir(async (dir) => new FileSuspensionStore(dir, options)));
