import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { snapshotSchema, summarise, type ExecutionSnapshot, type SuspensionSummary } from '../../runtime/engine/suspension.js';
import {
  DEFAULT_LIMITS, LocalLeases, limitRefusal, page,
  type ClaimTarget, type ListRequest, type SaveOutcome, type SuspensionClaim, type SuspensionLimits, type SuspensionPage, type SuspensionStore,
} from '../../runtime/stores/suspension-store.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

/**
 * The embedded suspension store: one JSON file per execution under `<dataDir>/executions/`,
 * written atomically, validated with zod when read back. Survives a restart of the process.
 * A file that fails validation is reported as missing (and left for inspection), never loaded.
 * An index of summaries (read once from the directory) answers lists and limits without
 * reading files.
 *
 * Bounded, because every failed run is kept too and clients can cause those at will: snapshots
 * of runs that did not merely suspend expire after `failedTtlMs`; past the count or byte limit a
 * save is refused (nothing stored is evicted to make room).
 */

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface FileSuspensionStoreOptions {
  readonly limits?: Partial<SuspensionLimits>;
  readonly failedTtlMs?: number;
  readonly leaseMs?: number;
}

interface IndexEntry {
  readonly summary: SuspensionSummary;
  readonly createdAtMs: number;
  readonly bytes: number;
}

export class FileSuspensionStore implements SuspensionStore {
  readonly limits: SuspensionLimits;
  private readonly dir: string;
  private readonly leases: LocalLeases;
  private readonly failedTtlMs: number;
  private readonly target: ClaimTarget;
  private index: Promise<Map<string, IndexEntry>> | undefined;
  /** Bytes of every indexed snapshot (kept with the index, for the byte limit). */
  private totalBytes = 0;

  constructor(dataDir: string, options: FileSuspensionStoreOptions = {}) {
    this.dir = join(dataDir, 'executions');
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.failedTtlMs = options.failedTtlMs ?? 24 * 3_600_000;
    this.leases = new LocalLeases(options.leaseMs);
    this.target = { save: (s) => this.write(s), delete: (id) => this.remove(id) };
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
        const text = await this.readText(name.slice(0, -5));
        const s = text === undefined ? undefined : this.parse(text);
        if (s) {
          const entry = entryOf(s, Buffer.byteLength(text!));
          map.set(s.executionId, entry);
          this.totalBytes += entry.bytes;
        }
      }
      return map;
    })();
    return this.index;
  }

  /** Failed (not merely suspended) runs older than the TTL go: expiry, before any limit applies. */
  private async expire(index: Map<string, IndexEntry>): Promise<void> {
    const now = Date.now();
    for (const [id, e] of index) {
      if (e.summary.status !== 'suspended' && now - e.createdAtMs > this.failedTtlMs) {
        this.unindex(index, id);
        const path = this.path(id);
        if (path) await rm(path, { force: true });
      }
    }
  }

  private path(executionId: string): string | undefined {
    return ID.test(executionId) ? join(this.dir, `${executionId}.json`) : undefined;
  }

  private async write(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    const path = this.path(snapshot.executionId);
    if (!path) throw new Error(`invalid execution id '${snapshot.executionId}'`);
    const index = await this.entries();
    await this.expire(index);
    // the engine builds snapshots; they are validated when read back, not on this path
    const text = JSON.stringify(snapshot);
    const bytes = Buffer.byteLength(text);
    const previous = index.get(snapshot.executionId);
    const refused = limitRefusal(this.limits, index.size + (previous ? 0 : 1), this.totalBytes - (previous?.bytes ?? 0) + bytes);
    if (refused) return refused;
    await writeFileAtomic(path, text);
    this.unindex(index, snapshot.executionId);
    index.set(snapshot.executionId, entryOf(snapshot, bytes));
    this.totalBytes += bytes;
    return { persisted: true };
  }

  private unindex(index: Map<string, IndexEntry>, executionId: string): void {
    const entry = index.get(executionId);
    if (!entry) return;
    index.delete(executionId);
    this.totalBytes -= entry.bytes;
  }

  private async remove(executionId: string): Promise<boolean> {
    const path = this.path(executionId);
    if (!path) return false;
    this.unindex(await this.entries(), executionId);
    try {
      await rm(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    return this.write(snapshot);
  }

  private async readText(executionId: string): Promise<string | undefined> {
    const path = this.path(executionId);
    return path ? readFileIfExists(path) : undefined;
  }

  private parse(text: string): ExecutionSnapshot | undefined {
    try {
      const parsed = snapshotSchema.safeParse(JSON.parse(text));
      return parsed.success ? (parsed.data as ExecutionSnapshot) : undefined;
    } catch {
      return undefined;
    }
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    const text = await this.readText(executionId);
    return text === undefined ? undefined : this.parse(text);
  }

  async list(request?: ListRequest): Promise<SuspensionPage> {
    const index = await this.entries();
    await this.expire(index);
    return page([...index.values()].map((e) => e.summary), request);
  }

  async claim(executionId: string, leaseMs?: number): Promise<SuspensionClaim | undefined> {
    return this.leases.claim(executionId, this.target, leaseMs);
  }
}

function entryOf(s: ExecutionSnapshot, bytes: number): IndexEntry {
  return { summary: summarise(s), createdAtMs: Date.parse(s.createdAt), bytes };
}
