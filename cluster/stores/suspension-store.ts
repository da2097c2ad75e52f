import { randomUUID } from 'node:crypto';
import { snapshotSchema, summarise, type ExecutionSnapshot, type SuspensionSummary } from '../../runtime/engine/suspension.js';
import { SuspensionIndex, type ExpiryRule } from '../../runtime/stores/suspension-index.js';
import {
  DEFAULT_LIMITS, limitRefusal,
  type ListRequest, type SaveOutcome, type SuspensionClaim, type SuspensionLimits, type SuspensionPage, type SuspensionStore, type SuspensionUsage,
} from '../../runtime/stores/suspension-store.js';
import { KvView, type ViewEntry } from '../kv-view.js';
import { isValidKey } from '../naming.js';
import type { ClusterNode } from '../node.js';
import { suspensionEnvelope, suspensionSummaryEnvelope } from './records.js';

/**
 * Suspended executions shared by the cluster: any instance lists, loads, resumes and deletes
 * any of them; nothing is lost when the instance that suspended one dies.
 *
 * - `cst_<c>_suspended` (key = execution id): the snapshot (as JSON text) and the resume claim.
 *   Not mirrored: snapshots are read from the bucket when needed (get, resume).
 * - `cst_<c>_suspended_idx` (key = execution id): the summary and size, mirrored in memory into
 *   the runtime's `SuspensionIndex`, so lists page, the filter by pipeline (the image
 *   lifecycle's question) is one lookup, and the limits and `usage()` are two counters. Written
 *   after the snapshot and deleted after it; advisory (an entry whose snapshot is gone is
 *   removed when found).
 *
 * Resume claims are compare-and-set on the snapshot's KV revision: a claim writes
 * `{holder, token, leaseUntil}` into the record; of two instances claiming at once exactly one
 * write succeeds (the other gets ResumeInProgress). Saves, deletes, renewals and the release are
 * compare-and-set on the revision the claim last wrote, so a claimant that lost its lease (it
 * stalled past it and another took over) can change nothing.
 *
 * Limits (entries, bytes) are checked against this instance's mirror of the index: several
 * instances saving at the same moment can pass a limit by the number of concurrent saves.
 * Expiry: failed runs after `failedTtlMs`, every execution `retentionMs` after its last save or
 * resume (as on a single instance; each instance removes what it finds due), and in any case
 * the buckets' max-age counted from an execution's last write (nats-server 2.9 expires silently,
 * so the mirror drops what the server would have dropped).
 */

type SuspensionRecord = { snapshotJson: string; claim: { holder: string; token: string; leaseUntil: number } | null };
type IndexEntry = SuspensionSummary & { bytes: number };

export interface NatsSuspensionStoreOptions {
  readonly limits?: Partial<SuspensionLimits>;
  /** Default lease of a resume claim (renewed by the engine every third of it). */
  readonly leaseMs: number;
  /** The buckets' max-age: how long the cluster keeps an execution after its last write. */
  readonly bucketMaxAgeMs: number;
  /** Every execution goes this long after its last save or resume (0 or absent: the buckets' max-age only). */
  readonly retentionMs?: number;
  /** Executions that did not merely suspend (failed, cancelled, timed out) expire this long after they were created. */
  readonly failedTtlMs?: number;
  /** Executions this instance removed by expiry (`rule`: the failed-run TTL or the retention time). */
  readonly onExpired?: (count: number, rule: ExpiryRule) => void;
  readonly now?: () => number;
}

const CLAIM_ATTEMPTS = 5;

export class NatsSuspensionStore implements SuspensionStore {
  readonly limits: SuspensionLimits;
  private readonly records: KvView<SuspensionRecord>;
  private readonly index: KvView<IndexEntry>;
  /** The index bucket's mirror, in list order. */
  private readonly mirror: SuspensionIndex;
  private readonly now: () => number;
  /** Claims this instance holds: a resume loads the snapshot its claim just read (no second read). */
  private readonly held = new Map<string, NatsClaim>();
  /** When the mirror is next checked for what the buckets' max-age expired (epoch ms). */
  private nextPrune = 0;

  constructor(private readonly node: ClusterNode, private readonly options: NatsSuspensionStoreOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    const ttl = options.bucketMaxAgeMs;
    this.records = new KvView({ node, spec: { purpose: 'suspended', description: 'Constellation: suspended executions', ttlMs: ttl }, codec: suspensionEnvelope, keepCopy: false, maxAgeMs: ttl, isKey: isValidKey });
    this.index = new KvView({ node, spec: { purpose: 'suspended_idx', description: 'Constellation: index of suspended executions', ttlMs: ttl }, codec: suspensionSummaryEnvelope, maxAgeMs: ttl, isKey: isValidKey });
    this.mirror = new SuspensionIndex({ failedTtlMs: options.failedTtlMs ?? 0, retentionMs: options.retentionMs ?? 0 });
    this.index.onChange(({ key, entry }) => {
      if (entry) this.mirror.set(summaryOf(entry.value), entry.value.bytes);
      else this.mirror.delete(key);
    });
  }

  async resync(): Promise<void> {
    await this.records.open();
    await this.index.synchronise();
  }

  /**
   * Executions whose time is up leave the mirror at once; the returned promise removes their
   * records and index entries (best effort: another instance may be removing them too).
   */
  private expire(): Promise<void> {
    const now = this.now();
    if (now >= this.nextPrune) {
      this.nextPrune = now + Math.min(60_000, Math.max(1000, this.options.bucketMaxAgeMs / 10));
      this.index.pruneExpired();
    }
    const due = this.mirror.due(now);
    if (due.length === 0) return Promise.resolve();
    for (const { entry } of due) this.mirror.delete(entry.summary.executionId);
    return (async () => {
      const byRule = new Map<ExpiryRule, number>();
      await Promise.all(
        due.map(async ({ entry, rule }) => {
          const id = entry.summary.executionId;
          try {
            await this.records.delete(id);
            await this.index.delete(id);
            byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
          } catch {
            // NATS away: whichever instance next finds it due removes it
          }
        }),
      );
      for (const [rule, count] of byRule) this.options.onExpired?.(count, rule);
    })();
  }

  private refusal(id: string, bytes: number): SaveOutcome | undefined {
    const previous = this.mirror.get(id);
    return limitRefusal(this.limits, this.mirror.size + (previous ? 0 : 1), this.mirror.bytes - (previous?.bytes ?? 0) + bytes);
  }

  /** The first save of an execution that just ended unfinished (no claim can exist yet). */
  async save(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    const id = snapshot.executionId;
    if (!isValidKey(id)) throw new Error(`execution id '${id.slice(0, 80)}' cannot be a shared key`);
    await this.expire();
    const text = JSON.stringify(snapshot);
    const bytes = Buffer.byteLength(text);
    const refused = this.refusal(id, bytes);
    if (refused) return refused;
    await this.records.put(id, { snapshotJson: text, claim: null });
    await this.index.put(id, { ...summarise(snapshot), bytes });
    return { persisted: true };
  }

  /**
   * Stores a snapshot only if the execution is not stored yet (joining with a data directory:
   * importing twice changes nothing). False when it was already there or a limit refused it.
   */
  async importSnapshot(snapshot: ExecutionSnapshot): Promise<boolean> {
    const id = snapshot.executionId;
    if (!isValidKey(id) || this.mirror.get(id)) return false;
    const text = JSON.stringify(snapshot);
    const bytes = Buffer.byteLength(text);
    if (this.refusal(id, bytes)) return false;
    const created = await this.records.compareAndSet(id, { snapshotJson: text, claim: null }, 0);
    if (!created.ok) return false;
    await this.index.put(id, { ...summarise(snapshot), bytes });
    return true;
  }

  private parse(entry: ViewEntry<SuspensionRecord>): ExecutionSnapshot | undefined {
    try {
      const parsed = snapshotSchema.safeParse(JSON.parse(entry.value.snapshotJson));
      if (parsed.success) return parsed.data as ExecutionSnapshot;
      this.node.drops.record(suspensionEnvelope.kind, 'schema', `snapshot: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    } catch {
      this.node.drops.record(suspensionEnvelope.kind, 'schema', 'snapshot is not JSON');
    }
    return undefined;
  }

  /** Reads the record from the bucket; an index entry without a record is cleaned up. */
  private async read(id: string): Promise<ViewEntry<SuspensionRecord> | undefined> {
    if (!isValidKey(id)) return undefined;
    const entry = await this.records.fetch(id);
    if (!entry && this.mirror.delete(id)) await this.index.delete(id).catch(() => {});
    return entry;
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    // under our own claim the record cannot have changed since the claim wrote it
    const claim = this.held.get(executionId);
    if (claim?.current) return this.parse({ value: { snapshotJson: claim.current, claim: null }, revision: 0, writtenAt: this.now() });
    await this.expire();
    const entry = await this.read(executionId);
    return entry ? this.parse(entry) : undefined;
  }

  async list(request?: ListRequest): Promise<SuspensionPage> {
    // the mirror answers, but only while it is in step: a list in degraded mode would be stale
    this.node.connection.require('list suspended executions');
    await this.expire();
    return this.mirror.page(request);
  }

  /** From the mirror (it never waits on NATS: /metrics asks it). */
  async usage(): Promise<SuspensionUsage> {
    void this.expire();
    return { entries: this.mirror.size, bytes: this.mirror.bytes };
  }

  async claim(executionId: string, leaseMs = this.options.leaseMs): Promise<SuspensionClaim | undefined> {
    // an execution past its time is gone before anyone can resume it
    await this.expire();
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const entry = await this.read(executionId);
      // nothing stored: a claim over nothing (the engine's load then answers not found)
      if (!entry) return emptyClaim(executionId);
      const held = entry.value.claim;
      if (held && held.leaseUntil > this.now()) return undefined;
      const claim = { holder: this.node.instanceId, token: randomUUID(), leaseUntil: this.now() + leaseMs };
      const outcome = await this.records.compareAndSet(executionId, { snapshotJson: entry.value.snapshotJson, claim }, entry.revision);
      if (outcome.ok) {
        const held = new NatsClaim(this, executionId, entry.value.snapshotJson, claim, outcome.revision, leaseMs);
        this.held.set(executionId, held);
        return held;
      }
      // another instance changed the record between our read and write: look again
    }
    return undefined;
  }

  // ---------------------------------------------------------------- what claims do (under their revision)

  /** @internal */
  async claimWrite(id: string, record: SuspensionRecord, revision: number): Promise<number | undefined> {
    const outcome = await this.records.compareAndSet(id, record, revision);
    return outcome.ok ? outcome.revision : undefined;
  }

  /** @internal */
  async claimSave(id: string, snapshot: ExecutionSnapshot, claim: SuspensionRecord['claim'], revision: number): Promise<{ outcome: SaveOutcome; revision?: number }> {
    const text = JSON.stringify(snapshot);
    const bytes = Buffer.byteLength(text);
    const refused = this.refusal(id, bytes);
    if (refused) return { outcome: refused };
    const written = await this.claimWrite(id, { snapshotJson: text, claim }, revision);
    if (written === undefined) return { outcome: { persisted: false, reason: 'lease-lost', message: `the claim on execution '${id}' was taken over before the save` } };
    await this.index.put(id, { ...summarise(snapshot), bytes });
    return { outcome: { persisted: true }, revision: written };
  }

  /** @internal */
  async claimDelete(id: string, revision: number): Promise<boolean> {
    if (!(await this.records.delete(id, revision))) return false;
    // gone from this instance's lists at once; the index bucket is advisory: the reply does not
    // wait for it (a stale entry is dropped when its load finds nothing)
    this.mirror.delete(id);
    this.index.delete(id).catch(() => {});
    return true;
  }

  /** @internal */
  forget(id: string, claim: NatsClaim): void {
    if (this.held.get(id) === claim) this.held.delete(id);
  }

  /** @internal */
  get clock(): () => number {
    return this.now;
  }
}

function summaryOf(e: IndexEntry): SuspensionSummary {
  const { bytes: _bytes, ...summary } = e;
  return summary;
}

function emptyClaim(executionId: string): SuspensionClaim {
  return {
    executionId,
    leaseExpiresAt: Date.now(),
    renew: async () => false,
    save: async () => ({ persisted: false, reason: 'lease-lost', message: `execution '${executionId}' is not stored` }),
    delete: async () => false,
    release: async () => {},
  };
}

/** A held claim: every operation is compare-and-set on the revision it last wrote. */
class NatsClaim implements SuspensionClaim {
  private released = false;

  constructor(
    private readonly store: NatsSuspensionStore,
    readonly executionId: string,
    private snapshotJson: string,
    private claim: { holder: string; token: string; leaseUntil: number },
    private revision: number,
    private readonly leaseMs: number,
  ) {}

  get leaseExpiresAt(): number {
    return this.claim.leaseUntil;
  }

  private holds(): boolean {
    return !this.released && this.claim.leaseUntil > this.store.clock();
  }

  /** The snapshot (JSON) as this claim last read or wrote it, while the claim holds. */
  get current(): string | undefined {
    return this.holds() ? this.snapshotJson : undefined;
  }

  async renew(): Promise<boolean> {
    if (!this.holds()) return false;
    const claim = { ...this.claim, leaseUntil: this.store.clock() + this.leaseMs };
    const revision = await this.store.claimWrite(this.executionId, { snapshotJson: this.snapshotJson, claim }, this.revision);
    if (revision === undefined) return false;
    this.claim = claim;
    this.revision = revision;
    return true;
  }

  async save(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    if (snapshot.executionId !== this.executionId) throw new Error(`claim of '${this.executionId}' cannot save execution '${snapshot.executionId}'`);
    if (!this.holds()) return { persisted: false, reason: 'lease-lost', message: `the claim on execution '${this.executionId}' expired before the save` };
    const { outcome, revision } = await this.store.claimSave(this.executionId, snapshot, this.claim, this.revision);
    if (revision !== undefined) {
      this.revision = revision;
      this.snapshotJson = JSON.stringify(snapshot);
    }
    return outcome;
  }

  async delete(): Promise<boolean> {
    if (!this.holds()) return false;
    const deleted = await this.store.claimDelete(this.executionId, this.revision);
    if (deleted) {
      this.released = true; // nothing left to release
      this.store.forget(this.executionId, this);
    }
    return deleted;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.store.forget(this.executionId, this);
    // clears the claim if it is still ours; a conflict means someone else holds it now
    await this.store.claimWrite(this.executionId, { snapshotJson: this.snapshotJson, claim: null }, this.revision).catch(() => undefined);
  }
}
