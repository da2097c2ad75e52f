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
