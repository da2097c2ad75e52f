import { snapshotSchema, summarise, type ExecutionSnapshot, type SuspensionSummary } from '../engine/suspension.js';

/**
 * Where suspended (and failed) executions wait to be resumed. Shaped for a network behind it:
 *
 * - Resume and delete happen under a **claim** with a **lease**: exclusive for `leaseMs`,
 *   extended by `renew()`. A claim whose lease ran out (or was taken over after it ran out) is
 *   lost, and everything bound to it says so: `save` answers `persisted: false`, `renew` false,
 *   `delete` false. So a stalled instance can never overwrite the newer state of another.
 * - **Limits refuse instead of evicting**: beyond `maxEntries` snapshots or `maxBytes` of them, a
 *   save answers `persisted: false` with the limit it hit; nothing stored is thrown away to make
 *   room. (Failed runs still expire after their TTL in the embedded stores: that is expiry, not
 *   eviction, and runs first.)
 * - **Lists page**: `limit` items at a time in (createdAt, executionId) order, with an opaque
 *   cursor for the next page.
 *
 * All operations are async: none is on the path of a run that completes (docs/decisions.md,
 * "Store interfaces").
 */

export interface SuspensionFilter {
  readonly structuralHash?: string;
  readonly executionId?: string;
  readonly minResumptionCount?: number;
  readonly maxResumptionCount?: number;
}

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

export interface ListRequest {
  readonly filter?: SuspensionFilter;
  /** Page size; default (and maximum) 1000. */
  readonly limit?: number;
  /** `next` of the previous page. */
  readonly cursor?: string | null;
}

export interface SuspensionPage {
  readonly items: SuspensionSummary[];
  /** Cursor of the next page; null on the last. */
  readonly next: string | null;
}

export interface SuspensionStore {
  readonly limits: SuspensionLimits;
  /** Stores the snapshot of an execution nobody can have claimed yet (a run that just ended unfinished). */
  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome>;
  load(executionId: string): Promise<ExecutionSnapshot | undefined>;
  list(request?: ListRequest): Promise<SuspensionPage>;
  /** Takes the execution's claim for `leaseMs` (default: the store's lease); `undefined` while another claim holds it. */
  claim(executionId: string, leaseMs?: number): Promise<SuspensionClaim | undefined>;
}

export const DEFAULT_LIMITS: SuspensionLimits = { maxEntries: 10_000, maxBytes: 1024 * 1024 * 1024 };
export const DEFAULT_LEASE_MS = 30_000;
export const MAX_PAGE = 1000;

export function matches(s: ExecutionSnapshot | SuspensionSummary, f: SuspensionFilter | undefined): boolean {
  if (!f) return true;
  if (f.structuralHash !== undefined && s.structuralHash !== f.structuralHash) return false;
  if (f.executionId !== undefined && s.executionId !== f.executionId) return false;
  if (f.minResumptionCount !== undefined && s.resumptionCount < f.minResumptionCount) return false;
  if (f.maxResumptionCount !== undefined && s.resumptionCount > f.maxResumptionCount) return false;
  return true;
}

/** One page of `summaries` (any order): sorted by (createdAt, executionId), after the cursor. */
export function page(summaries: Iterable<SuspensionSummary>, request: ListRequest = {}): SuspensionPage {
  const limit = Math.max(1, Math.min(MAX_PAGE, request.limit ?? MAX_PAGE));
  const after = request.cursor ? decodeCursor(request.cursor) : undefined;
  const sorted = [...summaries].filter((s) => matches(s, request.filter)).sort(byCreation);
  const start = after ? sorted.findIndex((s) => byCreation(s, after) > 0) : 0;
  const items = start < 0 ? [] : sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const next = last && start + limit < sorted.length ? encodeCursor(last) : null;
  return { items, next };
}

/** Every page of a list, for callers that want everything (the HTTP list route). */
export async function listAll(store: SuspensionStore, filter?: SuspensionFilter): Promise<SuspensionSummary[]> {
  const out: SuspensionSummary[] = [];
  let cursor: string | null = null;
  do {
    const p: SuspensionPage = await store.list(filter ? { filter, cursor } : { cursor });
    out.push(...p.items);
    cursor = p.next;
  } while (cursor !== null);
  return out;
}

function byCreation(a: { createdAt: string; executionId: string }, b: { createdAt: string; executionId: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0;
}

function encodeCursor(s: SuspensionSummary): string {
  return Buffer.from(JSON.stringify([s.createdAt, s.executionId])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; executionId: string } | undefined {
  try {
    const [createdAt, executionId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    return typeof createdAt === 'string' && typeof executionId === 'string' ? { createdAt, executionId } : undefined;
  } catch {
    return undefined;
  }
}

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
  /** Snapshots older than this are dropped (default: kept). */
  readonly ttlMs?: number;
  readonly limits?: Partial<SuspensionLimits>;
  readonly leaseMs?: number;
  readonly now?: () => number;
}

/** The in-memory store (tests, and a server without a data directory). */
export class MemorySuspensionStore implements SuspensionStore {
  readonly limits: SuspensionLimits;
  private readonly items = new Map<string, { snapshot: ExecutionSnapshot; savedAt: number; bytes: number }>();
  private bytes = 0;
  private readonly leases: LocalLeases;
  private readonly now: () => number;
  private readonly ttlMs: number | undefined;
  private readonly target: ClaimTarget;

  constructor(options: MemorySuspensionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.leases = new LocalLeases(options.leaseMs, this.now);
    this.target = { save: (s) => this.write(s), delete: async (id) => this.remove(id) };
  }

  private expire(): void {
    if (!this.ttlMs) return;
    const limit = this.now() - this.ttlMs;
    for (const [k, v] of this.items) if (v.savedAt < limit) this.remove(k);
  }

  private remove(executionId: string): boolean {
    const item = this.items.get(executionId);
    if (!item) return false;
    this.bytes -= item.bytes;
    return this.items.delete(executionId);
  }

  private async write(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    this.expire();
    // round-trip through the schema: what cannot be persisted should fail here, in tests too
    const text = JSON.stringify(snapshot);
    const stored = snapshotSchema.parse(JSON.parse(text)) as ExecutionSnapshot;
    const bytes = Buffer.byteLength(text);
    const previous = this.items.get(snapshot.executionId);
    const refused = limitRefusal(this.limits, this.items.size + (previous ? 0 : 1), this.bytes - (previous?.bytes ?? 0) + bytes);
    if (refused) return refused;
    this.remove(snapshot.executionId);
    this.items.set(snapshot.executionId, { snapshot: stored, savedAt: this.now(), bytes });
    this.bytes += bytes;
    return { persisted: true };
  }

  save(snapshot: ExecutionSnapshot): Promise<SaveOutcome> {
    return this.write(snapshot);
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    this.expire();
    return this.items.get(executionId)?.snapshot;
  }

  async list(request?: ListRequest): Promise<SuspensionPage> {
    this.expire();
    return page([...this.items.values()].map((v) => summarise(v.snapshot)), request);
  }

  async claim(executionId: string, leaseMs?: number): Promise<SuspensionClaim | undefined> {
    return this.leases.claim(executionId, this.target, leaseMs);
  }
}
