import { z } from 'zod';
import { CliDiagnostic } from './diagnostics.js';

/**
 * zod schemas of the server replies the client reads (the reference's HTTP API). Only the fields the client
 * relies on are required; optional fields may be `null` or absent (docs/decisions.md #15); unknown
 * fields pass through so `--json` can print the whole reply.
 */

const nullish = <T extends z.ZodType>(t: T) => t.nullish();

export const HealthReply = z.looseObject({ status: z.string() });

export const MetricsReply = z.looseObject({
  timestamp: nullish(z.string()),
  cache: nullish(z.looseObject({ hits: z.number(), misses: z.number(), hitRate: z.number(), entries: z.number() })),
  scheduler: nullish(z.looseObject({ enabled: z.boolean(), activeCount: z.number().optional(), queuedCount: z.number().optional() })),
  server: z.looseObject({ uptime_seconds: z.number(), requests_total: z.number() }),
});

export const PipelineSummary = z.looseObject({
  structuralHash: z.string(),
  syntacticHash: nullish(z.string()),
  aliases: z.array(z.string()).default([]),
  compiledAt: nullish(z.string()),
  moduleCount: nullish(z.number()),
  declaredOutputs: z.array(z.string()).default([]),
});

export const PipelinesReply = z.looseObject({ pipelines: z.array(PipelineSummary) });

export const PipelineDetail = z.looseObject({
  structuralHash: z.string(),
  syntacticHash: nullish(z.string()),
  aliases: z.array(z.string()).default([]),
  compiledAt: nullish(z.string()),
  modules: z.array(z.looseObject({ name: z.string() })).default([]),
  declaredOutputs: z.array(z.string()).default([]),
  inputSchema: z.record(z.string(), z.string()).default({}),
  outputSchema: z.record(z.string(), z.string()).default({}),
});

export const ExecutionSummary = z.looseObject({
  executionId: z.string(),
  structuralHash: nullish(z.string()),
  resumptionCount: nullish(z.number()),
  missingInputs: nullish(z.record(z.string(), z.string())),
  createdAt: nullish(z.string()),
});

export const ExecutionsReply = z.looseObject({ executions: z.array(ExecutionSummary), nextCursor: nullish(z.string()) });

/** `GET /executions/{id}`: a running, finished or stored execution, told apart by `status`. */
export const ExecutionStatusReply = z.looseObject({
  executionId: z.string(),
  status: z.string(),
  owner: nullish(z.string()),
  startedAt: nullish(z.string()),
  finishedAt: nullish(z.string()),
  nodes: nullish(z.array(z.looseObject({ name: z.string(), state: z.string(), durationMs: z.number().optional() }))),
  outputs: nullish(z.record(z.string(), z.unknown())),
  error: nullish(z.string()),
  structuralHash: nullish(z.string()),
  resumptionCount: nullish(z.number()),
  missingInputs: nullish(z.record(z.string(), z.string())),
  createdAt: nullish(z.string()),
});

export const AsyncRunReply = z.looseObject({ executionId: z.string(), status: z.literal('running') });

export const CancelReply = z.looseObject({ executionId: z.string(), cancelled: z.literal(true) });

export const DeletedReply = z.looseObject({ deleted: z.boolean() });

export const CompileReply = z.looseObject({
  success: z.boolean(),
  structuralHash: nullish(z.string()),
  syntacticHash: nullish(z.string()),
  errors: z.array(z.string()).default([]),
  diagnostics: z.array(CliDiagnostic).optional(),
});

export const RunReply = z.looseObject({
  success: z.boolean(),
  outputs: nullish(z.record(z.string(), z.unknown())),
  structuralHash: nullish(z.string()),
  compilationErrors: nullish(z.array(z.string())),
  error: nullish(z.string()),
  status: nullish(z.string()),
  executionId: nullish(z.string()),
  missingInputs: nullish(z.record(z.string(), z.string())),
  pendingOutputs: nullish(z.array(z.string())),
  resumptionCount: nullish(z.number()),
  diagnostics: z.array(CliDiagnostic).optional(),
});

export type RunReply = z.infer<typeof RunReply>;
export type ExecutionSummary = z.infer<typeof ExecutionSummary>;
export type ExecutionStatusReply = z.infer<typeof ExecutionStatusReply>;
