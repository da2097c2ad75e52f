import { snapshotSchema, summarise, type ExecutionSnapshot } from '../engine/suspension.js';
import { SuspensionIndex } from './suspension-index.js';
import type { ListRequest, SuspensionPage } from './suspension-paging.js';

export { decodeCursor, encodeCursor, listAll, matches, MAX_PAGE, page, type ListRequest, type SuspensionFilter, type SuspensionPage } from './suspension-paging.js';

/**
 * Where suspended (and failed) executions wait to be resumed. Shaped for a network behind it:
 *
 * - Resume and delete happen under a **claim** with a **lease**: exclusive for `leaseMs`,
 *   extended by `renew()`. A claim whose lease ran out (or was taken over after it ran out) is
 *   lost, and everything bound to it says so: `save` answers `persisted: false`, `renew` false,
 *   `delete` false. So a stalled instance can never overwrite the newer state of another.
 * - **Limits refuse instead of evicting**: beyond `maxEntries` snapshots or `maxBytes` of them, a
 *   save answers `persisted: false` with the limit it hit; nothing stored is thrown away to make
 *   room (the server answers such a run 507 `SuspensionStoreFull`). Expiry is configured, not
 *   forced by pressure: failed runs after their TTL, every execution after the retention time
 *   when one is set; it runs before the limits are checked.
 * - **Lists page**: `limit` items at a time in (createdAt, executionId) order, with an opaque
 *   cursor for the next page, answered from an index (suspension-index.ts), never by reading
 *   every snapshot. A filter by `structuralHash` is cheap: the image lifecycle asks it.
 *
 * All operations are async: none is on the path of a run that completes (docs/decisions.md,
 * "Store interfaces").
 */

export interface SuspensionLimits {
  readonly maxEntries: number;
  /** Total bytes of the stored snapshots (their JSON). */
  readonly maxBytes: number;
}

export type SaveOutcome =
  | { readonly persisted: true }
  | { readonly persisted: false; readonly reason: 'lease-lost' | 'count-limit' | 'byte-limit'; readonly message: string };

/** The exclusive right to resume (or delete) one execution, for as long as its lease holds. */
export interface SuspensionClaim {
  readonly executionId: string;
  /** Epoch ms when the lease ends unless renewed. */
  readonly leaseExpiresAt: number;
  /** Extends the lease by the store's lease time; false when the lease was already lost. */
  renew(): Promise<boolean>;
  /** Stores the execution's new snapshot, if the lease still holds. */
  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome>;
  /** Removes the execution, if the lease still holds; false when it was not stored (or the lease is lost). */
  delete(): Promise<boolean>;
  /** Gives the claim up (idempotent). */
  release(): Promise<void>;
}

export interface SuspensionStore {
  readonly limits: SuspensionLimits;
  /** Stores the snapshot of an execution nobody can have claimed yet (a run that just ended unfinished). */
  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome>;
  load(executionId: string): Promise<ExecutionSnapshot | undefined>;
  list(request?: ListRequest): Promise<SuspensionPage>;
  /** Takes the execution's claim for `leaseMs` (default: the store's lease); `undefined` while another claim holds it. */
  claim(executionId: string, leaseMs?: number): Promise<SuspensionClaim | undefined>;
  /**
   * How full the store is (the gauges beside the limits on /metrics). Optional: a store without
   * it is not reported.
   */
  usage?(): Promise<SuspensionUsage>;
}

export interface SuspensionUsage {
  readonly entries: number;
  readonly bytes: number;
}

export const DEFAULT_LIMITS: SuspensionLimits = { maxEntries: 10_000, maxBytes: 1024 * 1024 * 1024 };
export const DEFAULT_LEASE_MS = 30_000;

/** What a store needs from its storage to offer claims: the bound operations run only while the lease holds. */
export interface ClaimTarget {
  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome>;
  delete(executionId: string): Promise<boolean>;
}

/** In-process leases, shared by the in-memory and file stores. */
export class LocalLeases {
  private readonly held = new Map<string, { token: number; expiresAt: number }>();
  private tokens = 0;

  constructor(private readonly defaultLeaseMs: number = DEFAULT_LEASE_MS, private readonly now: () => number = Date.now) {}

  claim(executionId: string, target: ClaimTarget, leaseMs = this.defaultLeaseMs): SuspensionClaim | undefined {
    const current = this.held.get(executionId);
    if (current && current.expiresAt > this.now()) return undefined;
    const token = ++this.tokens;
    const lease = { token, expiresAt: this.now() + leaseMs };
    this.held.set(executionId, lease);
    const holds = () => {
      const h = this.held.get(executionId);
      return h !== undefined && h.token === token && h.expiresAt > this.now();
    };
    const lost = (): SaveOutcome => ({ persisted: false, reason: 'lease-lost', message: `the claim on execution '${executionId}' expired before the save` });
    const leases = this;
    return {
      executionId,
      get leaseExpiresAt() {
        return lease.expiresAt;
      },
      async renew() {
        if (!holds()) return false;
        lease.expiresAt = leases.now() + leaseMs;
        return true;
      },
      async save(snapshot) {
        if (snapshot.executionId !== executionId) throw new Error(`claim of '${executionId}' cannot save execution '${snapshot.executionId}'`);
        return holds() ? target.save(snapshot) : lost();
      },
      async delete() {
        return holds() ? target.delete(executionId) : false;
      },
      async release() {
        if (leases.held.get(executionId)?.token === token) leases.held.delete(executionId);
      },
    };
  }
}

export function limitRefusal(limits: SuspensionLimits, count: number, bytes: number): SaveOutcome | undefined {
  if (count > limits.maxEntries) return { persisted: false, reason: 'count-limit', message: `the suspension store is full (${limits.maxEntries} executions)` };
  if (bytes > limits.maxBytes) return { persisted: false, reason: 'byte-limit', message: `the suspension store is full (${limits.maxBytes} bytes)` };
  return undefined;
}

export interface MemorySuspensionStoreOptions {
  /** Every execution goes this long after its last write (default: kept until resumed or deleted). */
  readonly retentionMs?: number;
  /** Runs that did not merely suspend go this long after they were first stored (default: kept). */
  readonly failedTtlMs?: number;
  readonly limits?: Partial<SuspensionLimits>;
  readonly leaseMs?: number;
  readonly now?: () => number;
}

/** The in-memory store (tests, and a server without a data directory). */
export class MemorySuspensionStore implements SuspensionStore {
  readonly limits: SuspensionLimits;
  private readonly snapshots = new Map<string, ExecutionSnapshot>();
  private readonly index: SuspensionIndex;
  private readonly leases: LocalLeases;
  private readonly now: () => number;
  private readonly target: ClaimTarget;

  constructor(options: MemorySuspensionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.index = new SuspensionIndex({ failedTtlMs: options.failedTtlMs ?? 0, retentionMs: options.retentionMs ?? 0 });
    this.leases = new LocalLeases(options.leaseMs, this.now);
    this.target = { save: (s) => this.write(s), delete: async (id) => this.remove(id) };
  }

  private expire(): void {
    for (const { entry } of this.index.due(this.now())) this.remove(entry.summary.executionId);
  }

  private remove(executionId: string): boolean {
    this.snapshots.delete(executionId);
    return this.index.delete(executionId) !== undefined;
  }

  private async write(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    this.expire();
    // round-trip through the schema: what cannot be persisted should fail here, in tests too
    const text = JSON.stringify(snapshot);
    const stored = snapshotSchema.parse(JSON.parse(text)) as ExecutionSnapshot;
    const bytes = Buffer.byteLength(text);
    const previous = this.index.get(snapshot.executionId);
    const refused = limitRefusal(this.limits, this.index.size + (previous ? 0 : 1), this.index.bytes - (previous?.bytes ?? 0) + bytes);
    if (refused) return refused;
    this.snapshots.set(snapshot.executionId, stored);
    this.index.set(summarise(stored), bytes);
    return { persisted: true };
  }

  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    return this.write(snapshot);
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    this.expire();
    return this.snapshots.get(executionId);
  }

  async list(request?: ListRequest): Promise<SuspensionPage> {
    this.expire();
    return this.index.page(request);
  }

  async claim(executionId: string, leaseMs?: number): Promise<SuspensionClaim | undefined> {
    return this.leases.claim(executionId, this.target, leaseMs);
  }

  async usage(): Promise<SuspensionUsage> {
    this.expire();
    return { entries: this.index.size, bytes: this.index.bytes };
  }
}
