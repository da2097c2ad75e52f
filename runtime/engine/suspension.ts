import { z } from 'zod';
import type { NodeState } from './spi.js';

/**
 * Suspended executions (runtime.md §6). A snapshot is plain, versioned data that references the
 * pipeline by structural hash (the DAG itself lives in the pipeline store), so snapshots stay
 * small enough for NATS KV. Values are plain JSON, decoded again with the DAG's node types.
 * The execution id is the handle: it stays the same across resumes (DECISIONS.md #11).
 */

export const SNAPSHOT_FORMAT_VERSION = 1;

export interface ExecutionSnapshot {
  readonly formatVersion: typeof SNAPSHOT_FORMAT_VERSION;
  readonly executionId: string;
  readonly structuralHash: string;
  readonly resumptionCount: number;
  readonly status: 'suspended' | 'failed' | 'cancelled' | 'timed_out';
  /** Inputs provided so far (plain JSON by input name). */
  readonly providedInputs: Readonly<Record<string, unknown>>;
  /** Values computed so far, by node id (plain JSON, typed by the DAG). */
  readonly computed: Readonly<Record<string, unknown>>;
  /** States of the nodes that did not complete, by node id. */
  readonly nodeStates: Readonly<Record<string, NodeState>>;
  /** Missing required inputs → type string. */
  readonly missingInputs: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly lastResumedAt: string | null;
}

export const snapshotSchema = z.object({
  formatVersion: z.literal(SNAPSHOT_FORMAT_VERSION),
  executionId: z.string().min(1),
  structuralHash: z.string().regex(/^[0-9a-f]{64}$/),
  resumptionCount: z.number().int().min(0),
  status: z.enum(['suspended', 'failed', 'cancelled', 'timed_out']),
  providedInputs: z.record(z.string(), z.unknown()),
  computed: z.record(z.string(), z.unknown()),
  nodeStates: z.record(z.string(), z.enum(['pending', 'blocked', 'ready', 'running', 'completed', 'failed', 'timed_out', 'skipped', 'untaken', 'cancelled'])),
  missingInputs: z.record(z.string(), z.string()),
  createdAt: z.string(),
  lastResumedAt: z.string().nullable(),
});

export interface SuspensionSummary {
  readonly executionId: string;
  readonly structuralHash: string;
  readonly resumptionCount: number;
  readonly missingInputs: Readonly<Record<string, string>>;
  readonly status: ExecutionSnapshot['status'];
  readonly createdAt: string;
  readonly lastResumedAt: string | null;
}

export interface SuspensionFilter {
  readonly structuralHash?: string;
  readonly executionId?: string;
  readonly minResumptionCount?: number;
  readonly maxResumptionCount?: number;
}

/** An exclusive right to resume one execution; release it when the resume ends. */
export interface ResumeClaim {
  release(): Promise<void>;
}

export interface SuspensionStore {
  save(snapshot: ExecutionSnapshot): Promise<void>;
  load(executionId: string): Promise<ExecutionSnapshot | undefined>;
  delete(executionId: string): Promise<boolean>;
  list(filter?: SuspensionFilter): Promise<SuspensionSummary[]>;
  /** Takes the per-execution resume claim; `undefined` when another resume holds it. */
  claim(executionId: string): Promise<ResumeClaim | undefined>;
}

export function summarise(s: ExecutionSnapshot): SuspensionSummary {
  return {
    executionId: s.executionId,
    structuralHash: s.structuralHash,
    resumptionCount: s.resumptionCount,
    missingInputs: s.missingInputs,
    status: s.status,
    createdAt: s.createdAt,
    lastResumedAt: s.lastResumedAt,
  };
}

export function matches(s: ExecutionSnapshot, f: SuspensionFilter | undefined): boolean {
  if (!f) return true;
  if (f.structuralHash !== undefined && s.structuralHash !== f.structuralHash) return false;
  if (f.executionId !== undefined && s.executionId !== f.executionId) return false;
  if (f.minResumptionCount !== undefined && s.resumptionCount < f.minResumptionCount) return false;
  if (f.maxResumptionCount !== undefined && s.resumptionCount > f.maxResumptionCount) return false;
  return true;
}

/** In-process claims, shared by the in-memory and file stores. */
export class LocalClaims {
  private readonly held = new Set<string>();
  claim(executionId: string): ResumeClaim | undefined {
    if (this.held.has(executionId)) return undefined;
    this.held.add(executionId);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.held.delete(executionId);
      },
    };
  }
}

/** The in-memory store (tests, and a server without a data directory). Optional TTL. */
export class MemorySuspensionStore implements SuspensionStore {
  private readonly items = new Map<string, { snapshot: ExecutionSnapshot; savedAt: number }>();
  private readonly claims = new LocalClaims();
  constructor(private readonly ttlMs?: number, private readonly now: () => number = Date.now) {}

  private evict(): void {
    if (!this.ttlMs) return;
    const limit = this.now() - this.ttlMs;
    for (const [k, v] of this.items) if (v.savedAt < limit) this.items.delete(k);
  }

  async save(snapshot: ExecutionSnapshot): Promise<void> {
    this.evict();
    // round-trip through the schema: what cannot be persisted should fail here, in tests too
    this.items.set(snapshot.executionId, { snapshot: snapshotSchema.parse(JSON.parse(JSON.stringify(snapshot))) as ExecutionSnapshot, savedAt: this.now() });
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    this.evict();
    return this.items.get(executionId)?.snapshot;
  }

  async delete(executionId: string): Promise<boolean> {
    return this.items.delete(executionId);
  }

  async list(filter?: SuspensionFilter): Promise<SuspensionSummary[]> {
    this.evict();
    return [...this.items.values()].map((v) => v.snapshot).filter((s) => matches(s, filter)).map(summarise);
  }

  async claim(executionId: string): Promise<ResumeClaim | undefined> {
    return this.claims.claim(executionId);
  }
}
