import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LocalClaims, matches, snapshotSchema, summarise,
  type ExecutionSnapshot, type ResumeClaim, type SuspensionFilter, type SuspensionStore, type SuspensionSummary,
} from '../../runtime/engine/suspension.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

/**
 * The embedded suspension store: one JSON file per execution under `<dataDir>/executions/`,
 * written atomically, validated with zod when read back. Survives a restart of the process.
 * A file that fails validation is reported as missing (and left for inspection), never loaded.
 *
 * Bounded, because every failed run is kept too (runtime.md §6.3) and clients can cause those at
 * will: snapshots of runs that did not merely suspend expire after `failedTtlMs`, and beyond
 * `maxEntries` the oldest go first (failed ones before suspended ones).
 */

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface FileSuspensionStoreOptions {
  readonly maxEntries?: number;
  readonly failedTtlMs?: number;
}

interface IndexEntry {
  readonly createdAt: number;
  readonly suspended: boolean;
}

export class FileSuspensionStore implements SuspensionStore {
  private readonly dir: string;
  private readonly claims = new LocalClaims();
  private readonly maxEntries: number;
  private readonly failedTtlMs: number;
  private index: Promise<Map<string, IndexEntry>> | undefined;

  constructor(dataDir: string, options: FileSuspensionStoreOptions = {}) {
    this.dir = join(dataDir, 'executions');
    this.maxEntries = options.maxEntries ?? 10_000;
    this.failedTtlMs = options.failedTtlMs ?? 24 * 3_600_000;
  }

  /** What is stored, read once from the directory. */
  private entries(): Promise<Map<string, IndexEntry>> {
    this.index ??= (async () => {
      const map = new Map<string, IndexEntry>();
      let names: string[] = [];
      try {
        names = await readdir(this.dir);
      } catch {
        return map;
      }
      for (const name of names) {
        if (!name.endsWith('.json') || name.startsWith('.')) continue;
        const s = await this.load(name.slice(0, -5));
        if (s) map.set(s.executionId, { createdAt: Date.parse(s.createdAt), suspended: s.status === 'suspended' });
      }
      return map;
    })();
    return this.index;
  }

  private async enforceBounds(index: Map<string, IndexEntry>): Promise<void> {
    const now = Date.now();
    const doomed: string[] = [];
    for (const [id, e] of index) if (!e.suspended && now - e.createdAt > this.failedTtlMs) doomed.push(id);
    let excess = index.size - doomed.length - this.maxEntries;
    if (excess > 0) {
      const byAge = [...index].filter(([id]) => !doomed.includes(id)).sort((a, b) => Number(a[1].suspended) - Number(b[1].suspended) || a[1].createdAt - b[1].createdAt);
      for (const [id] of byAge) {
        if (excess-- <= 0) break;
        doomed.push(id);
      }
    }
    for (const id of doomed) {
      index.delete(id);
      const path = this.path(id);
      if (path) await rm(path, { force: true });
    }
  }

  private path(executionId: string): string | undefined {
    return ID.test(executionId) ? join(this.dir, `${executionId}.json`) : undefined;
  }

  async save(snapshot: ExecutionSnapshot): Promise<void> {
    const path = this.path(snapshot.executionId);
    if (!path) throw new Error(`invalid execution id '${snapshot.executionId}'`);
    const index = await this.entries();
    // the engine builds snapshots; they are validated when read back, not on this path
    await writeFileAtomic(path, JSON.stringify(snapshot));
    index.set(snapshot.executionId, { createdAt: Date.parse(snapshot.createdAt), suspended: snapshot.status === 'suspended' });
    if (index.size > this.maxEntries || snapshot.status !== 'suspended') await this.enforceBounds(index);
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    const path = this.path(executionId);
    if (!path) return undefined;
    const text = await readFileIfExists(path);
    if (text === undefined) return undefined;
    try {
      const parsed = snapshotSchema.safeParse(JSON.parse(text));
      return parsed.success ? (parsed.data as ExecutionSnapshot) : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(executionId: string): Promise<boolean> {
    const path = this.path(executionId);
    if (!path) return false;
    (await this.entries()).delete(executionId);
    try {
      await rm(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async list(filter?: SuspensionFilter): Promise<SuspensionSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: SuspensionSummary[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const s = await this.load(name.slice(0, -5));
      if (s && matches(s, filter)) out.push(summarise(s));
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async claim(executionId: string): Promise<ResumeClaim | undefined> {
    return this.claims.claim(executionId);
  }
}
