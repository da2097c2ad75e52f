import { z } from 'zod';
import { imageSchema } from '../../runtime/stores/pipeline-store.js';
import { defineEnvelope } from '../envelope.js';
import { isInstanceId } from '../naming.js';

/**
 * The envelopes of the shared stores' bucket values: one kind per bucket, validated with zod
 * when read (a value that fails is treated as absent and counted, never loaded). Large values
 * (a big pipeline's image, a snapshot with large intermediate values) may reach the Object
 * Store through KvView; the limits here bound what is accepted from it.
 */

const HASH = /^[0-9a-f]{64}$/;
const MAX_BLOB = 64 * 1024 * 1024;

export const imageEnvelope = defineEnvelope('pipeline-image', imageSchema, MAX_BLOB);

export const aliasEnvelope = defineEnvelope(
  'pipeline-alias',
  z.object({ name: z.string().min(1).max(256), structuralHash: z.string().regex(HASH), updatedAt: z.string().max(40), updatedBy: z.string().max(80) }),
  16 * 1024,
);

export const syntacticEnvelope = defineEnvelope('syntactic-index', z.object({ structuralHash: z.string().regex(HASH) }), 1024);

const versionSchema = z.object({ version: z.number().int().min(1), structuralHash: z.string().regex(HASH), createdAt: z.string().max(40), source: z.string().nullable() });
export const versionsEnvelope = defineEnvelope(
  'pipeline-versions',
  z.object({ name: z.string().min(1).max(256), history: z.object({ versions: z.array(versionSchema).max(100_000).readonly(), active: z.number().int().min(0) }) }),
  MAX_BLOB,
);

const canaryVersion = z.object({ version: z.number().int().min(1), structuralHash: z.string().regex(HASH) });
export const canaryEnvelope = defineEnvelope(
  'pipeline-canary',
  z.object({
    name: z.string().min(1).max(256),
    state: z.object({
      pipelineName: z.string().min(1).max(256),
      oldVersion: canaryVersion,
      newVersion: canaryVersion,
      config: z.object({
        initialWeight: z.number().min(0).max(1),
        promotionSteps: z.array(z.number().min(0).max(1)).max(100).readonly(),
        observationWindowMs: z.number().min(0),
        errorThreshold: z.number().min(0).max(1),
        latencyThresholdMs: z.number().min(0).nullable(),
        minRequests: z.number().int().min(0),
        autoPromote: z.boolean(),
      }),
      status: z.enum(['observing', 'promoting', 'rolled_back', 'complete']),
      step: z.number().int().min(0),
      weight: z.number().min(0).max(1),
      startedAt: z.string().max(40),
      stepStartedAt: z.number(),
    }),
  }),
  64 * 1024,
);

/** A resume claim inside a suspension record: who holds it, until when (epoch ms), and a token per claim. */
const claimSchema = z.object({ holder: z.string().refine(isInstanceId), token: z.string().min(1).max(64), leaseUntil: z.number() });

/**
 * A suspended execution: its snapshot as JSON text (exactly what the file store keeps, so byte
 * limits mean the same everywhere; the store validates it with the snapshot schema when read)
 * and the resume claim, if one is held.
 */
export const suspensionEnvelope = defineEnvelope(
  'suspended-execution',
  z.object({
    snapshotJson: z.string().max(MAX_BLOB),
    claim: claimSchema.nullable(),
  }),
  MAX_BLOB,
);

/** The index entry of a suspended execution: its summary and size (lists never load snapshots). */
export const suspensionSummaryEnvelope = defineEnvelope(
  'suspension-summary',
  z.object({
    executionId: z.string().min(1).max(128),
    structuralHash: z.string().regex(HASH),
    resumptionCount: z.number().int().min(0),
    missingInputs: z.record(z.string(), z.string()),
    status: z.enum(['suspended', 'failed', 'cancelled', 'timed_out']),
    createdAt: z.string().max(40),
    lastResumedAt: z.string().max(40).nullable(),
    bytes: z.number().int().min(0),
  }),
  256 * 1024,
);

const vizNode = z.object({
  id: z.string().max(256),
  kind: z.enum(['Input', 'Output', 'Operation', 'Literal', 'Merge', 'Project', 'FieldAccess', 'Conditional', 'Guard', 'Branch', 'Coalesce', 'HigherOrder', 'ListLiteral', 'BooleanOp', 'StringInterp']),
  label: z.string(),
  typeSignature: z.string(),
  position: z.object({ x: z.number(), y: z.number() }).nullable(),
  executionState: z.object({ status: z.enum(['Pending', 'Running', 'Completed', 'Failed', 'Skipped']), value: z.unknown(), durationMs: z.number().nullable(), error: z.string().nullable() }).nullable(),
});

/** The graph a history record keeps (the dashboard's DAG view lays the run's states over it). */
const dagViz = z.object({
  nodes: z.array(vizNode),
  edges: z.array(z.object({ id: z.string(), source: z.string(), target: z.string(), label: z.string().nullable(), kind: z.enum(['Data', 'Optional', 'Control']) })),
  groups: z.array(z.object({ id: z.string(), label: z.string(), nodeIds: z.array(z.string()), collapsed: z.boolean() })),
  metadata: z.object({
    title: z.string().nullable(),
    layoutDirection: z.enum(['TB', 'LR']),
    bounds: z.object({ minX: z.number(), minY: z.number(), maxX: z.number(), maxY: z.number() }).nullable(),
  }),
});

/** A run of the dashboard's history (`StoredExecution`), values already truncated by the writer. */
export const historyEnvelope = defineEnvelope(
  'execution-history',
  z.object({
    executionId: z.string().min(1).max(1024),
    dagName: z.string().max(4096),
    scriptPath: z.string().max(4096).optional(),
    startTime: z.number(),
    endTime: z.number().optional(),
    inputs: z.record(z.string(), z.unknown()),
    outputs: z.record(z.string(), z.unknown()).optional(),
    status: z.enum(['Running', 'Completed', 'Failed']),
    nodeResults: z.record(
      z.string(),
      z.object({ nodeId: z.string(), status: z.string(), value: z.unknown().optional(), durationMs: z.number().optional(), error: z.string().optional() }),
    ),
    dagVizIR: dagViz.optional(),
    sampleRate: z.number().min(0).max(1).optional(),
    error: z.string().optional(),
    source: z.enum(['Dashboard', 'VSCodeExtension', 'API']),
  }),
  MAX_BLOB,
);
