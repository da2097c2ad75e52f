import { z } from 'zod';
import { isErrorCode, type ErrorCode } from '../runtime/error-codes.js';
import { MAX_LISTED, type ExecutionListEntry, type ExecutionStatusReport, type StepReply } from '../runtime/engine/execution-control.js';
import type { ExecutionResult, NodeResult } from '../runtime/engine/result.js';
import { defineEnvelope, MAX_INLINE_BYTES } from './envelope.js';
import { isInstanceId } from './naming.js';

/**
 * The messages of execution-ID routing: broadcast control requests for running executions
 * (status, cancel, forget) and their single replies, and owner-addressed step-through calls.
 * Replies carry execution results and node states, checked here like every other envelope.
 */

const code = z.string().max(64).refine(isErrorCode, 'not a registered error code') as unknown as z.ZodType<ErrorCode>;
const short = (max = 1024) => z.string().max(max);

const nodeSchema: z.ZodType<NodeResult> = z.object({
  id: z.number().int().min(0),
  name: short(),
  kind: z.enum(['input', 'module', 'transform']),
  state: z.enum(['pending', 'blocked', 'ready', 'running', 'completed', 'failed', 'timed_out', 'skipped', 'untaken', 'cancelled']),
  durationMs: z.number().optional(),
  attempts: z.number().int().optional(),
  cacheHit: z.boolean().optional(),
  error: z.object({ code, message: short(64 * 1024) }).optional(),
});

const resultSchema: z.ZodType<ExecutionResult> = z.object({
  executionId: short(80),
  structuralHash: short(80),
  resumptionCount: z.number().int().min(0),
  status: z.enum(['completed', 'suspended', 'failed', 'cancelled', 'timed_out']),
  outputs: z.record(z.string(), z.unknown()),
  missingInputs: z.record(z.string(), z.string()),
  pendingOutputs: z.array(z.string()).readonly(),
  errors: z
    .array(
      z.object({
        nodeId: z.number().int(),
        nodeName: short(),
        moduleName: short().nullable(),
        code,
        message: short(64 * 1024),
        retriesAttempted: z.number().int().min(0),
        attemptErrors: z.array(short(64 * 1024)).readonly().optional(),
      }),
    )
    .readonly(),
  startedAtMs: z.number(),
  completedAtMs: z.number(),
  durationMs: z.number(),
  nodes: z.array(nodeSchema).readonly().optional(),
  computed: z.record(z.string(), z.unknown()).optional(),
});

const reportSchema: z.ZodType<ExecutionStatusReport> = z.object({
  executionId: short(80),
  state: z.enum(['running', 'completed', 'suspended', 'failed', 'cancelled', 'timed_out']),
  structuralHash: short(80).nullable(),
  startedAt: z.number().nullable(),
  owner: z.string().refine(isInstanceId).nullable(),
  nodes: z.array(nodeSchema).readonly().optional(),
  finished: z
    .object({ via: z.enum(['run', 'execute', 'resume']), finishedAt: z.number(), result: resultSchema.optional(), error: short(64 * 1024).optional() })
    .optional(),
});

const listedState = z.enum(['running', 'completed', 'failed', 'cancelled']);

/** `list` asks every instance (its `executionId` is empty) for its executions in `states`. */
export const controlRequestEnvelope = defineEnvelope(
  'exec-control',
  z.object({ op: z.enum(['status', 'cancel', 'forget', 'list']), executionId: short(80), origin: z.string().refine(isInstanceId), states: z.array(listedState).max(4).optional() }),
  4 * 1024,
);

const listEntrySchema: z.ZodType<ExecutionListEntry> = z.object({
  executionId: short(80),
  state: listedState,
  structuralHash: short(80).nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  owner: z.string().refine(isInstanceId).nullable(),
});

/** The owner's answer: the status of its execution, how a cancel went, or its list. */
export const controlReplyEnvelope = defineEnvelope(
  'exec-control-reply',
  z.object({ report: reportSchema.optional(), outcome: z.enum(['cancelled', 'not-running']).optional(), entries: z.array(listEntrySchema).max(MAX_LISTED).optional() }),
  MAX_INLINE_BYTES,
);

/** `deadline`: epoch ms after which the caller no longer waits (the owner then skips the call). */
export const stepRequestEnvelope = defineEnvelope('step-call', z.object({ sessionId: short(200), action: z.enum(['next', 'continue', 'stop', 'state']), deadline: z.number() }), 4 * 1024);

const stepStateSchema = z.object({
  currentBatch: z.number().int(),
  totalBatches: z.number().int(),
  batchNodes: z.array(z.number().int()).readonly(),
  completedNodes: z
    .array(z.object({ nodeId: z.number().int(), nodeName: short(), nodeType: z.enum(['module', 'data']), valuePreview: short(200), durationMs: z.number().optional() }))
    .readonly(),
  pendingNodes: z.array(z.number().int()).readonly(),
});

const stepReplySchema: z.ZodType<StepReply> = z.object({ sessionId: short(200), state: stepStateSchema, isComplete: z.boolean(), result: resultSchema.optional() });

/** `reply` when the owner acted; `missing` when it has no such session; `error` when the step failed. */
export const stepReplyEnvelope = defineEnvelope(
  'step-reply',
  z.object({ reply: stepReplySchema.optional(), missing: z.boolean().optional(), error: z.object({ code, message: short(64 * 1024) }).optional(), truncated: z.boolean().optional() }),
  MAX_INLINE_BYTES,
);
