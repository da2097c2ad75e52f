import { z } from 'zod';
import type { NodeState } from './spi.js';

/**
 * The snapshot of a suspended (or failed) execution. It is plain, versioned data that references
 * the pipeline by structural hash (the DAG itself lives in the pipeline store), so snapshots stay
 * small enough for NATS KV. Values are plain JSON, decoded again with the DAG's node types.
 * The execution id is the handle: it stays the same across resumes (docs/decisions.md #11).
 * The store that keeps snapshots is runtime/stores/suspension-store.ts.
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
