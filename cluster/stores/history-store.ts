import type { ExecutionStorage, ExecutionStorageStats, StoredExecution } from '../../runtime/engine/spi.js';
import {
  DEFAULT_HISTORY_CAPACITY, DEFAULT_MAX_VALUE_BYTES, historyStats, matchesScript, newestFirst, page, truncateExecution,
} from '../../runtime/stores/execution-history.js';
import type { EnvelopeCodec } from '../envelope.js';
import { coordinationUnavailable } from '../errors.js';
import { KvView } from '../kv-view.js';
import { errorText } from '../log.js';
import { isValidKey } from '../naming.js';
import type { ClusterNode } from '../node.js';
import { historyEnvelope } from './records.js';

/**
 * The dashboard's execution history shared by the cluster (`ExecutionStorage`): a run on one
 * instance is listed, read and deleted through any other, so the dashboard needs no
 * load-balancer affinity. The same semantics as the single instance's `MemoryExecutionStorage`:
 * at most `capacity` runs, oldest evicted first, newest first, values truncated alike.
 *
 * - `cst_<c>_history` (key = execution id), mirrored in memory by a KvView: list, get and stats
 *   answer from memory and never wait on NATS.
 * - Writes of a run (`store`, `update`) do not wait on NATS either: they take effect here at once
 *   and reach the bucket in the background, after the request's own work (`setImmediate`), one
 *   flush at a time per execution — what arrives while one is in flight goes in the next, merged
 *   — so `POST /api/v1/execute` answers as on a single instance. A write that
 *   fails (NATS away, degraded mode) never fails the run: it is logged, counted
 *   (`writeFailures`), and the record stays readable here; the next synchronisation writes it
 *   again, so runs recorded during an outage reach the cluster when NATS returns (a record
 *   deleted elsewhere meanwhile may come back with it: a history is a report, not a ledger).
 * - `update` is compare-and-set on the key's revision, the change applied again to what the
 *   bucket holds after a conflict; a run deleted or evicted elsewhere meanwhile stays deleted.
 * - `delete` and `clear` are a user's, and wait for the bucket (CoordinationUnavailable when
 *   NATS is away: nothing is deleted then).
 * - Capacity: a KV bucket refuses new writes when full, so the bound is kept here. Reads show
 *   the newest `capacity` runs; an instance that wrote a run deletes what lies beyond the
 *   newest `capacity` in its copy (compare-and-set on the revision it saw: every instance picks
 *   the same oldest runs, and an eviction decided twice deletes once); an instance whose copy
 *   went over capacity by another's write looks again an operation timeout later, in case that
 *   writer's copy lacked a run stored elsewhere a moment before. The bucket's byte limit
 *   (`capacity` × 256 KiB, at least 64 MiB) is only a backstop. Deletes leave a marker per key
 *   (execution ids are never reused): markers older than the eviction grace period are purged
 *   after every `capacity` deletes this instance makes and at each synchronisation.
 */

/** The bucket's byte limit per run of capacity: a backstop, well above a typical record. */
const BYTES_PER_RECORD = 256 * 1024;
const MIN_BUCKET_BYTES = 64 * 1024 * 1024;
const UPDATE_ATTEMPTS = 5;

type Change = (current: StoredExecution) => StoredExecution;

/** A key written here and not yet confirmed by the bucket (or whose write failed). */
interface LocalWrite {
  /** The record as this instance last wrote it: it answers reads until the bucket holds it. */
  value: StoredExecution;
  /** Not yet sent: a store (the whole record goes, last writer wins) … */
  stored: boolean;
  /** … or changes, in order (applied to the bucket's record, compare-and-set). */
  changes: Change[];
  /** The key's flush, while one is scheduled or in flight (at most one per key). */
  flushing: Promise<void> | undefined;
  /** The last write failed: the record lives here only, until the next synchronisation writes it again. */
  failed: boolean;
}

export interface NatsExecutionStorageOptions {
  /** Runs kept (`CONSTELLATION_MAX_EXECUTIONS`, as on a single instance). */
  readonly capacity?: number;
  readonly maxValueBytes?: number;
}

export class NatsExecutionStorage implements ExecutionStorage {
  readonly capacity: number;
  private readonly maxValueBytes: number;
  private readonly view: KvView<StoredExecution>;
  private readonly local = new Map<string, LocalWrite>();
  private readonly evicting = new Set<string>();
  private evictTimer: NodeJS.Timeout | undefined;
  private deletesSincePurge = 0;
  private failures = 0;
  private failing = false;

  constructor(private readonly node: ClusterNode, options: NatsExecutionStorageOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_HISTORY_CAPACITY;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.view = new KvView({
      node,
      spec: { purpose: 'history', description: "Constellation: the dashboard's execution history", maxBytes: Math.max(MIN_BUCKET_BYTES, this.capacity * BYTES_PER_RECORD) },
      codec: historyEnvelope as unknown as EnvelopeCodec<StoredExecution>,
      isKey: isValidKey,
    });
    // a run another instance stored may put this copy over capacity without anyone evicting (the
    // writer's copy may have lacked a run stored elsewhere a moment before): look again shortly,
    // by when the writer has usually done it
    this.view.onChange(({ local, entry }) => {
      if (!local && entry && this.view.size > this.capacity) this.evictSoon();
    });
  }

  /** History writes that failed (NATS away or refusing): logged and counted, never a run's failure. */
  get writeFailures(): number {
    return this.failures;
  }

  /** Reloads the copy (every (re)connection), then writes again what failed meanwhile. */
  async resync(): Promise<void> {
    await this.view.synchronise();
    for (const [id, l] of this.local) {
      if (!l.failed || l.flushing) continue;
      l.stored = true;
      this.schedule(id, l);
    }
    // (what the new copy holds beyond capacity came as changes: evicted shortly, once in step)
    void this.purgeMarkers();
  }

  // ---------------------------------------------------------------- reads (from memory)

  private current(executionId: string): StoredExecution | undefined {
    return this.local.get(executionId)?.value ?? this.view.get(executionId)?.value;
  }

  /** Newest first, at most `capacity` (runs beyond it are on their way out of the bucket). */
  private newest(): StoredExecution[] {
    const all: StoredExecution[] = [];
    // in the order they arrived here, reversed: of runs started in the same millisecond, the later first
    for (const [id, entry] of this.view.entries()) if (!this.local.has(id)) all.push(entry.value);
    for (const l of this.local.values()) all.push(l.value);
    all.reverse().sort(newestFirst);
    if (all.length > this.capacity) all.length = this.capacity;
    return all;
  }

  async get(executionId: string): Promise<StoredExecution | undefined> {
    return this.current(executionId);
  }

  async list(limit: number, offset: number): Promise<StoredExecution[]> {
    return page(this.newest(), limit, offset);
  }

  async listByScript(scriptPath: string, limit: number): Promise<StoredExecution[]> {
    return page(this.newest().filter((e) => matchesScript(e, scriptPath)), limit, 0);
  }

  async stats(): Promise<ExecutionStorageStats> {
    return historyStats(this.newest(), this.capacity);
  }

  // ---------------------------------------------------------------- a run's writes (background)

  async store(execution: StoredExecution): Promise<string> {
    const record = truncateExecution(execution, this.maxValueBytes);
    const id = record.executionId;
    const l = this.written(id, record);
    l.stored = true;
    l.changes = [];
    this.schedule(id, l);
    this.boundLocal();
    return id;
  }

  async update(executionId: string, change: Change): Promise<StoredExecution | undefined> {
    const current = this.current(executionId);
    if (!current) return undefined;
    const next = truncateExecution(change(current), this.maxValueBytes);
    const l = this.written(executionId, next);
    // a store not yet sent carries the change already
    if (!l.stored) l.changes.push(change);
    this.schedule(executionId, l);
    return next;
  }

  /** This instance's view of the key from now on (until the bucket confirms it). */
  private written(id: string, value: StoredExecution): LocalWrite {
    let l = this.local.get(id);
    if (!l) {
      l = { value, stored: false, changes: [], flushing: undefined, failed: false };
      this.local.set(id, l);
    }
    l.value = value;
    return l;
  }

  /** Sends the key's pending writes once the current request's work is done (one flush per key at a time). */
  private schedule(id: string, l: LocalWrite): void {
    l.flushing ??= new Promise<void>((resolve) => setImmediate(() => void this.flush(id, l).finally(resolve)));
  }

  /**
   * Sends what is pending, again while more arrives. A failure is logged and counted, and the
   * record stays here (`failed`) for the next synchronisation; never thrown (nobody waits).
   */
  private async flush(id: string, l: LocalWrite): Promise<void> {
    while (l.stored || l.changes.length > 0) {
      const { stored, changes, value } = l;
      l.stored = false;
      l.changes = [];
      try {
        if (stored) await this.put(id, value);
        else await this.compareAndSet(id, value, changes, l.failed);
        l.failed = false;
        this.failing = false;
      } catch (e) {
        l.failed = true;
        this.writeFailed(id, e);
      }
    }
    l.flushing = undefined;
    // confirmed: the copy holds the write (or what came after it) from now on
    if (!l.failed && this.local.get(id) === l) this.local.delete(id);
  }

  private async put(id: string, record: StoredExecution): Promise<void> {
    if (!isValidKey(id)) throw new Error(`execution id '${id.slice(0, 80)}' cannot be a shared key`);
    await this.view.put(id, record);
    this.evictBeyondCapacity();
  }

  /**
   * The changes applied to what the bucket holds, compare-and-set on its revision (again after
   * a conflict). A record absent from the bucket was deleted or evicted elsewhere and stays so —
   * unless an earlier write of it from here failed (`behind`): then the bucket lacks what this
   * instance holds, and `next` (which has it all) goes to the bucket.
   */
  private async compareAndSet(id: string, next: StoredExecution, changes: readonly Change[], behind: boolean): Promise<void> {
    if (!isValidKey(id)) throw new Error(`execution id '${id.slice(0, 80)}' cannot be a shared key`);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const confirmed = this.view.get(id);
      if (!confirmed && !behind) return;
      const value = behind || !confirmed ? next : truncateExecution(changes.reduce((record, change) => change(record), confirmed.value), this.maxValueBytes);
      const outcome = await this.view.compareAndSet(id, value, confirmed?.revision ?? 0);
      if (outcome.ok) return;
      // another writer was first (compareAndSet refreshed the copy from the bucket): the changes go onto theirs
      behind = false;
    }
    throw coordinationUnavailable(`update ${this.view.bucket}`, new Error(`execution '${id}' kept changing`));
  }

  private writeFailed(id: string, e: unknown): void {
    this.failures++;
    // the first failure of a streak is worth a warning; while NATS stays away every run fails alike
    const fields = { executionId: id, failures: this.failures, err: errorText(e) };
    if (this.failing) this.node.logger.debug(fields, 'cluster: history write failed');
    else this.node.logger.warn(fields, 'cluster: history write failed; the run is kept on this instance and written again when the cluster is back');
    this.failing = true;
  }

  /** Runs only this instance holds (their writes failed) are bounded like the rest: the oldest go. */
  private boundLocal(): void {
    if (this.local.size <= this.capacity) return;
    const stranded = [...this.local].filter(([, l]) => l.failed && !l.flushing).sort(([, a], [, b]) => evictionOrder(a.value, b.value));
    for (const [id] of stranded.slice(this.capacity)) this.local.delete(id);
  }

  // ---------------------------------------------------------------- a user's writes (awaited)

  async delete(executionId: string): Promise<boolean> {
    if (!this.current(executionId)) return false;
    // after the run's own writes
    await this.local.get(executionId)?.flushing;
    if (isValidKey(executionId)) {
      // CoordinationUnavailable when NATS is away: nothing deleted
      await this.view.delete(executionId);
      this.deleted();
    }
    const l = this.local.get(executionId);
    if (l && !l.flushing) this.local.delete(executionId);
    return true;
  }

  async clear(): Promise<void> {
    const ids = new Set<string>(this.local.keys());
    for (const [id] of this.view.entries()) ids.add(id);
    await Promise.all([...ids].map((id) => this.delete(id)));
  }

  // ---------------------------------------------------------------- capacity

  private evictSoon(): void {
    if (this.evictTimer) return;
    this.evictTimer = setTimeout(() => {
      this.evictTimer = undefined;
      this.evictBeyondCapacity();
    }, this.node.config.timers.operationTimeoutMs);
    this.evictTimer.unref();
  }

  /** Deletes what lies beyond the newest `capacity` runs of the copy (only on a copy in step). */
  private evictBeyondCapacity(): void {
    if (this.view.size <= this.capacity || !this.node.inStep) return;
    const confirmed = [...this.view.entries()].sort(([, a], [, b]) => evictionOrder(a.value, b.value));
    for (const [id, entry] of confirmed.slice(this.capacity)) {
      if (this.evicting.has(id)) continue;
      this.evicting.add(id);
      // compare-and-set: of instances evicting the same run at once, one deletes it
      void this.view
        .delete(id, entry.revision)
        .then(
          (deleted) => {
            if (deleted) this.deleted();
          },
          (e: unknown) => this.node.logger.debug({ executionId: id, err: errorText(e) }, 'cluster: history eviction failed; the next write evicts again'),
        )
        .finally(() => this.evicting.delete(id));
    }
  }

  private deleted(): void {
    if (++this.deletesSincePurge < Math.max(100, this.capacity)) return;
    this.deletesSincePurge = 0;
    void this.purgeMarkers();
  }

  private async purgeMarkers(): Promise<void> {
    try {
      await this.view.purgeDeletes(this.node.config.timers.evictionGraceMs);
    } catch (e) {
      this.node.logger.debug({ bucket: this.view.bucket, err: errorText(e) }, 'cluster: purging the delete markers failed; the next round does it');
    }
  }
}

/** Newest first, the id breaking ties: every instance picks the same runs to evict. */
function evictionOrder(a: StoredExecution, b: StoredExecution): number {
  return newestFirst(a, b) || (a.executionId < b.executionId ? 1 : a.executionId > b.executionId ? -1 : 0);
}
