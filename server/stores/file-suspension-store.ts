import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { snapshotSchema, summarise, type ExecutionSnapshot } from '../../runtime/engine/suspension.js';
import { SuspensionIndex, type ExpiryRule, type IndexedSuspension } from '../../runtime/stores/suspension-index.js';
import {
  DEFAULT_LIMITS, LocalLeases, limitRefusal,
  type ClaimTarget, type ListRequest, type SaveOutcome, type SuspensionClaim, type SuspensionLimits, type SuspensionPage, type SuspensionStore, type SuspensionUsage,
} from '../../runtime/stores/suspension-store.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { problemOf, Quarantine, type Warn } from './quarantine.js';
import { RecordLog } from './record-log.js';

/**
 * The embedded suspension store: one JSON file per execution under `<dataDir>/executions/`,
 * written atomically and validated with zod when read back, and `index.jsonl` beside them, the
 * summaries and sizes of what is stored (record-log.ts). Start-up reads the index and the
 * directory listing, not the snapshots; lists, limits and "is this image referenced?" are
 * answered from the index in memory (runtime/stores/suspension-index.ts), a page at a time.
 *
 * Bounded, because clients can cause suspensions and failures at will: past the count or byte
 * limit a save is refused (nothing stored is evicted to make room); failed runs expire after
 * `failedTtlMs`, and every execution after `retentionMs` when one is set. Expiry is reported
 * through `events` (the server logs and counts it).
 *
 * A snapshot file that cannot be read is moved aside (quarantine.ts) and logged, never loaded.
 */

const ID = /^[A-Za-z0-9_-]{1,128}$/;

const recordSchema = z.object({
  summary: snapshotSchema.pick({ executionId: true, structuralHash: true, resumptionCount: true, missingInputs: true, status: true, createdAt: true, lastResumedAt: true }),
  bytes: z.number().int().min(0),
});

export interface SuspensionStoreEvents {
  /** Executions removed by expiry (`rule`: the failed-run TTL or the retention time). */
  readonly onExpired?: (count: number, rule: ExpiryRule) => void;
}

export interface FileSuspensionStoreOptions {
  readonly limits?: Partial<SuspensionLimits>;
  readonly failedTtlMs?: number;
  /** Every execution goes this long after its last write; 0 or absent: kept until resumed or deleted. */
  readonly retentionMs?: number;
  readonly leaseMs?: number;
  readonly warn?: Warn;
  readonly events?: SuspensionStoreEvents;
}

export class FileSuspensionStore implements SuspensionStore {
  readonly limits: SuspensionLimits;
  private readonly dir: string;
  private readonly leases: LocalLeases;
  private readonly target: ClaimTarget;
  private readonly index: SuspensionIndex;
  private readonly quarantine: Quarantine;
  private readonly warn: Warn;
  private readonly events: SuspensionStoreEvents;
  private log!: RecordLog<IndexedSuspension>;
  private opened: Promise<void> | undefined;

  /** Opens lazily, on first use (`open()` opens at once). */
  constructor(dataDir: string, options: FileSuspensionStoreOptions = {}) {
    this.dir = join(dataDir, 'executions');
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.index = new SuspensionIndex({ failedTtlMs: options.failedTtlMs ?? 24 * 3_600_000, retentionMs: options.retentionMs ?? 0 });
    this.leases = new LocalLeases(options.leaseMs);
    this.target = { save: (s) => this.write(s), delete: (id) => this.remove(id) };
    this.warn = options.warn ?? (() => {});
    this.quarantine = new Quarantine(dataDir, this.warn);
    this.events = options.events ?? {};
  }

  static async open(dataDir: string, options: FileSuspensionStoreOptions = {}): Promise<FileSuspensionStore> {
    const store = new FileSuspensionStore(dataDir, options);
    await store.ready();
    return store;
  }

  /** Starts reading the index now without waiting for it (the server's start-up goes on meanwhile; the first use waits). */
  warmUp(): this {
    this.ready().catch(() => {});
    return this;
  }

  private ready(): Promise<void> {
    this.opened ??= this.loadIndex();
    return this.opened;
  }

  /** The index log, reconciled with the directory listing (a snapshot the log does not know is read once). */
  private async loadIndex(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const onDisk = new Set<string>();
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true });
      else if (name.endsWith('.json') && ID.test(name.slice(0, -5))) onDisk.add(name.slice(0, -5));
    }
    const opened = await RecordLog.open(join(this.dir, 'index.jsonl'), recordSchema as z.ZodType<IndexedSuspension>, this.quarantine, () => this.records(), () => this.index.size);
    this.log = opened.log;
    let reconciled = opened.clean;
    for (const [id, record] of opened.records) {
      if (onDisk.has(id) && record.summary.executionId === id) this.index.set(record.summary, record.bytes);
      else reconciled = false;
    }
    for (const id of onDisk) {
      if (this.index.get(id)) continue;
      reconciled = false;
      const text = await readFileIfExists(this.path(id)!);
      const snapshot = text === undefined ? undefined : await this.parse(id, text);
      if (snapshot) this.index.set(summarise(snapshot), Buffer.byteLength(text!));
    }
    if (!reconciled) await this.log.rewrite();
  }

  private *records(): Iterable<readonly [string, IndexedSuspension]> {
    for (const entry of this.index.values()) yield [entry.summary.executionId, entry];
  }

  /** Expired executions go (with their files), before any limit is checked. */
  private async expire(): Promise<void> {
    const due = this.index.due(Date.now());
    if (due.length === 0) return;
    const byRule = new Map<ExpiryRule, number>();
    await Promise.all(
      due.map(async ({ entry, rule }) => {
        if (await this.remove(entry.summary.executionId)) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
      }),
    );
    for (const [rule, count] of byRule) this.events.onExpired?.(count, rule);
  }

  private path(executionId: string): string | undefined {
    return ID.test(executionId) ? join(this.dir, `${executionId}.json`) : undefined;
  }

  private async write(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    const path = this.path(snapshot.executionId);
    if (!path) throw new Error(`invalid execution id '${snapshot.executionId}'`);
    await this.ready();
    await this.expire();
    // the engine builds snapshots; they are validated when read back, not on this path
    const text = JSON.stringify(snapshot);
    const bytes = Buffer.byteLength(text);
    const previous = this.index.get(snapshot.executionId);
    const refused = limitRefusal(this.limits, this.index.size + (previous ? 0 : 1), this.index.bytes - (previous?.bytes ?? 0) + bytes);
    if (refused) return refused;
    await writeFileAtomic(path, text);
    const summary = summarise(snapshot);
    this.index.set(summary, bytes);
    await this.log.set(snapshot.executionId, { summary, bytes });
    return { persisted: true };
  }

  private async remove(executionId: string): Promise<boolean> {
    const path = this.path(executionId);
    if (!path) return false;
    await this.ready();
    const indexed = this.index.delete(executionId) !== undefined;
    let removed: boolean;
    try {
      await rm(path);
      removed = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      removed = false;
    }
    if (indexed) await this.log.remove(executionId);
    return removed;
  }

  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    return this.write(snapshot);
  }

  /** A snapshot, or undefined; a file that fails to parse or validate is moved aside and logged. */
  private async parse(executionId: string, text: string): Promise<ExecutionSnapshot | undefined> {
    let problem: string;
    try {
      const parsed = snapshotSchema.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.executionId === executionId) return parsed.data as ExecutionSnapshot;
      problem = parsed.success ? 'the execution id differs from the file name' : (parsed.error.issues[0]?.message ?? 'invalid snapshot');
    } catch (e) {
      problem = problemOf(e);
    }
    await this.quarantine.moveAside(this.path(executionId)!, problem);
    return undefined;
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    const path = this.path(executionId);
    if (!path) return undefined;
    await this.ready();
    await this.expire();
    const text = await readFileIfExists(path);
    const snapshot = text === undefined ? undefined : await this.parse(executionId, text);
    // a file gone (or moved aside) leaves no entry behind in the lists
    if (!snapshot && this.index.delete(executionId)) await this.log.remove(executionId);
    return snapshot;
  }

  async list(request?: ListRequest): Promise<SuspensionPage> {
    await this.ready();
    await this.expire();
    return this.index.page(request);
  }

  async claim(executionId: string, leaseMs?: number): Promise<SuspensionClaim | undefined> {
    return this.leases.claim(executionId, this.target, leaseMs);
  }

  async usage(): Promise<SuspensionUsage> {
    await this.ready();
    await this.expire();
    return { entries: this.index.size, bytes: this.index.bytes };
  }
}
