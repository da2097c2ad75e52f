import { z } from 'zod';

/**
 * zod schemas of every request body (validated at the edge) and of the main responses (for the
 * OpenAPI document). Unknown fields are ignored, as the reference does.
 */

const inputs = z.record(z.string(), z.unknown()).describe('Input values by declared input name, as plain JSON');

export const CompileRequest = z.object({
  source: z.string().describe('constellation-lang program text'),
  name: z.string().min(1).max(256).optional().describe('Alias to create or move to the compiled image'),
  dagName: z.string().min(1).max(256).optional().describe('Deprecated synonym of name'),
});

export const RunRequest = z.object({
  source: z.string(),
  inputs: inputs.optional().describe('Missing means {}'),
});

export const ExecuteRequest = z.object({
  ref: z.string().optional().describe('Alias, sha256:<hash> or a bare 64-hex structural hash'),
  dagName: z.string().optional().describe('Deprecated synonym of ref'),
  inputs: inputs.optional(),
});

export const ResumeRequest = z.object({
  additionalInputs: inputs.optional(),
  resolvedNodes: z.record(z.string(), z.unknown()).optional().describe('Values for intermediate variables, by name'),
});

export const AliasRequest = z.object({
  structuralHash: z.string(),
});

export const CanaryConfigRequest = z.object({
  initialWeight: z.number().min(0).max(1).optional(),
  promotionSteps: z.array(z.number().min(0).max(1)).min(1).optional(),
  observationWindow: z.string().optional().describe('e.g. 5m, 30s, 500ms, or seconds'),
  errorThreshold: z.number().min(0).max(1).optional(),
  latencyThresholdMs: z.number().int().positive().optional(),
  minRequests: z.number().int().min(0).optional(),
  autoPromote: z.boolean().optional(),
});

export const ReloadRequest = z.object({
  source: z.string().optional(),
  canary: CanaryConfigRequest.optional(),
});

export const InvokeRequest = z.record(z.string(), z.unknown());

// ---------------------------------------------------------------- responses (documentation)

export const ErrorResponse = z.object({
  error: z.string().describe('Machine-readable code'),
  message: z.string(),
  requestId: z.string().nullable(),
});

const Position = z.object({ line: z.number().int(), column: z.number().int(), offset: z.number().int() });

export const DiagnosticJson = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  range: z.object({ start: Position, end: Position }),
  suggestions: z.array(z.string()).optional(),
});

export const CompileResponse = z.object({
  success: z.boolean(),
  structuralHash: z.string().nullable(),
  syntacticHash: z.string().nullable(),
  dagName: z.string().nullable(),
  name: z.string().nullable(),
  errors: z.array(z.string()),
  diagnostics: z.array(DiagnosticJson).describe('Structured errors and warnings (an addition to the reference)'),
});

export const ExecuteResponse = z.object({
  success: z.boolean(),
  outputs: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  status: z.enum(['completed', 'suspended', 'failed']).nullable(),
  executionId: z.string().nullable(),
  missingInputs: z.record(z.string(), z.string()).nullable(),
  pendingOutputs: z.array(z.string()).nullable(),
  resumptionCount: z.number().int().nullable(),
  errors: z.array(z.object({ node: z.string(), module: z.string().nullable(), code: z.string(), message: z.string() })).optional(),
});

export const RunResponse = ExecuteResponse.extend({
  structuralHash: z.string().nullable(),
  compilationErrors: z.array(z.string()),
  diagnostics: z.array(DiagnosticJson).optional(),
});

/** A zod error as one readable line: `field 'inputs': expected record, got string`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `field '${i.path.map(String).join('.')}': ${i.message}` : i.message))
    .join('; ');
}
