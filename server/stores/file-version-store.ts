import { join } from 'node:path';
import { z } from 'zod';
import type { CasOutcome } from '../../runtime/stores/revision.js';
import { MemoryVersionStore, type VersionHistory } from '../../runtime/stores/version-store.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { problemOf, Quarantine, type Warn } from './quarantine.js';

/**
 * The embedded version store: every name's history in `<dataDir>/pipelines/versions.json`,
 * written atomically after each change (snapshots in order: a later write never lands before an
 * earlier one). Loaded into memory at start-up so reads stay synchronous. A file that cannot be
 * read is moved aside (quarantine.ts) and logged, never overwritten; the store then starts empty
 * and says so (`historiesLost`), so the server keeps every image that a lost history might pin.
 */

const fileSchema = z.record(
  z.string(),
  z.object({
    active: z.number().int().min(0),
    versions: z.array(z.object({ version: z.number().int().min(1), structuralHash: z.string(), createdAt: z.string(), source: z.string().nullable() })),
  }),
);

export class FileVersionStore extends MemoryVersionStore {
  /** True when `versions.json` could not be read at start-up (it was moved aside). */
  historiesLost = false;
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {
    super();
  }

  static async open(dataDir: string, warn: Warn = () => {}): Promise<FileVersionStore> {
    const store = new FileVersionStore(join(dataDir, 'pipelines', 'versions.json'));
    const text = await readFileIfExists(store.path);
    if (text !== undefined) {
      try {
        for (const [name, e] of Object.entries(fileSchema.parse(JSON.parse(text)))) store.histories.load(name, { active: e.active, versions: e.versions });
      } catch (e) {
        await new Quarantine(dataDir, warn).moveAside(store.path, problemOf(e));
        store.historiesLost = true;
      }
    }
    return store;
  }

  override async put(name: string, history: VersionHistory, expectedRevision: number): Promise<CasOutcome<VersionHistory>> {
    const outcome = await super.put(name, history, expectedRevision);
    if (!outcome.ok) return outcome;
    const snapshot = JSON.stringify(this.histories.snapshot());
    const next = this.writes.then(() => writeFileAtomic(this.path, snapshot));
    this.writes = next.catch(() => {});
    await next;
    return outcome;
  }
}
