import { z } from 'zod';
import { WireDiagnostic } from '../runtime/language/diagnostic-wire.js';

/**
 * zod schemas of every request body (validated at the edge) and of the main responses (for the
 * OpenAPI document). Unknown fields are ignored, as the reference does.
 */

/**
 * Input values by declared input name. Checked here to be a plain JSON object; each value is
 * then decoded against its declared type by the engine, which reports every problem with its
 * field path. (A z.record would walk every key a second time on the request path.)
 */
const inputs = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'expected an object mapping input names to values' })
  .meta({ description: 'Input values by declared input name, as plain JSON', type: 'object', additionalProperties: {} });

export const CompileRequest = z.object({
  source: z.string().describe('constellation-lang program text'),
  name: z.string().min(1).max(256).optional().describe('Alias to create or move to the compiled image'),
  dagName: z.string().min(1).max(256).optional().describe('Deprecated synonym of name'),
});

const asyncFlag = z
  .boolean()
  .optional()
  .describe('true: answer 202 {executionId, status: "running"} with Location: /executions/{id} at once, and run in the background');

export const RunRequest = z.object({
  source: z.string(),
  inputs: inputs.optional().describe('Missing means {}'),
  async: asyncFlag,
});

export const ExecuteRequest = z.object({
  ref: z.string().optional().describe('Alias, sha256:<hash> or a bare 64-hex structural hash'),
  dagName: z.string().optional().describe('Deprecated synonym of ref'),
  inputs: inputs.optional(),
  async: asyncFlag,
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

/** The diagnostic wire form shared with the CLI and the LSP. */
export const DiagnosticJson = WireDiagnostic;

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

// ---------------------------------------------------------------- pipeline, version, canary, module, namespace routes

/** A structural hash: 64 lower-case hex characters. */
const Hash = z.string().regex(/^[0-9a-f]{64}$/).describe('Structural hash (64 lower-case hex)');
/** Type strings as the reference's HTTP API renders them (`CInt`, `CList(CString)`, …). */
const TypeStrings = z.record(z.string(), z.string()).describe('Name → type string');

export const DeleteResponse = z.object({ deleted: z.literal(true) });

export const PipelineSummary = z.object({
  structuralHash: Hash,
  syntacticHash: z.string(),
  aliases: z.array(z.string()).describe('Every alias currently pointing at this image, sorted'),
  compiledAt: z.string().describe('ISO-8601'),
  moduleCount: z.number().int().describe('Module nodes in the DAG, including standard-library calls'),
  declaredOutputs: z.array(z.string()),
});

export const PipelinesResponse = z.object({ pipelines: z.array(PipelineSummary) });

export const ModuleInfo = z.object({
  name: z.string().describe('Registry name, e.g. Uppercase or stdlib.add'),
  description: z.string(),
  version: z.string().describe('<major>.<minor>'),
  inputs: TypeStrings,
  outputs: TypeStrings,
});

export const PipelineDetail = z.object({
  structuralHash: Hash,
  syntacticHash: z.string(),
  aliases: z.array(z.string()),
  compiledAt: z.string(),
  modules: z.array(ModuleInfo).describe('One entry per module node'),
  declaredOutputs: z.array(z.string()),
  inputSchema: TypeStrings,
  outputSchema: TypeStrings,
});

export const AliasResponse = z.object({ name: z.string(), structuralHash: Hash });

const CanaryVersionRef = z.object({ version: z.number().int(), structuralHash: Hash });

export const VersionMetrics = z.object({
  requests: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  avgLatencyMs: z.number(),
  p99LatencyMs: z.number(),
});

export const CanaryStateResponse = z.object({
  pipelineName: z.string(),
  oldVersion: CanaryVersionRef,
  newVersion: CanaryVersionRef,
  currentWeight: z.number(),
  currentStep: z.number().int(),
  status: z.enum(['observing', 'promoting', 'rolled_back', 'complete']),
  startedAt: z.string(),
  metrics: z.object({ oldVersion: VersionMetrics, newVersion: VersionMetrics }),
});

export const ReloadResponse = z.object({
  success: z.literal(true),
  previousHash: Hash.nullable(),
  newHash: Hash,
  name: z.string(),
  changed: z.boolean(),
  version: z.number().int(),
  canary: CanaryStateResponse.nullable(),
});

export const VersionsResponse = z.object({
  name: z.string(),
  versions: z.array(z.object({ version: z.number().int(), structuralHash: Hash, createdAt: z.string(), active: z.boolean() })).describe('Newest first'),
  activeVersion: z.number().int().describe('0 when none is active'),
});

export const RollbackResponse = z.object({
  success: z.literal(true),
  name: z.string(),
  previousVersion: z.number().int(),
  activeVersion: z.number().int(),
  structuralHash: Hash,
});

export const ExecutionSummary = z.object({
  executionId: z.string(),
  structuralHash: Hash,
  resumptionCount: z.number().int(),
  missingInputs: TypeStrings,
  createdAt: z.string().describe('ISO-8601, when the execution was first suspended'),
  status: z.enum(['suspended', 'failed', 'cancelled', 'timed_out']).describe('Why the execution is stored (an addition to the reference)'),
  lastResumedAt: z.string().nullable(),
});

export const ListedExecution = z.object({
  executionId: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  owner: z.string().nullable(),
  structuralHash: Hash.nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const ExecutionsResponse = z.object({
  executions: z.array(z.union([ExecutionSummary, ListedExecution])).describe('Stored executions; with ?status= also running and finished ones'),
  nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page (an addition to the reference)'),
});

export const NodeStatus = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(['input', 'module', 'transform']),
  state: z.string().describe('completed, failed, timed_out, skipped, untaken, blocked, cancelled'),
  durationMs: z.number().optional(),
  attempts: z.number().int().optional(),
  cacheHit: z.boolean().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const RunningExecution = z.object({
  executionId: z.string(),
  status: z.literal('running'),
  owner: z.string().nullable().describe('Instance id of the cluster member running it; null on a single instance'),
  structuralHash: Hash.nullable(),
  startedAt: z.string().describe('ISO-8601'),
  nodes: z.array(NodeStatus).describe('Nodes settled so far'),
});

export const FinishedExecution = RunResponse.partial({ structuralHash: true, compilationErrors: true }).extend({
  status: z.enum(['completed', 'failed', 'cancelled']),
  owner: z.string().nullable(),
  finishedAt: z.string().describe('ISO-8601'),
});

export const ExecutionStatusResponse = z
  .union([RunningExecution, FinishedExecution, ExecutionSummary])
  .describe('Running: progress; finished (asynchronous runs, kept for a while): the body /run or /execute answered with; suspended or stored: the summary');

export const AsyncRunResponse = z.object({ executionId: z.string(), status: z.literal('running') });

export const CancelResponse = z.object({ executionId: z.string(), cancelled: z.literal(true) });

export const ModulesResponse = z.object({ modules: z.array(ModuleInfo) });

export const PublishedModule = ModuleInfo.extend({
  tags: z.array(z.string()),
  endpoint: z.string().describe('/modules/<name>/invoke'),
});

export const PublishedModulesResponse = z.object({ modules: z.array(PublishedModule) });

export const InvokeResponse = z.object({
  success: z.boolean(),
  outputs: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  module: z.string(),
});

export const NamespacesResponse = z.object({ namespaces: z.array(z.string()) });

export const NamespaceFunctionsResponse = z.object({
  namespace: z.string(),
  functions: z.array(
    z.object({
      name: z.string(),
      qualifiedName: z.string(),
      params: z.array(z.string()).describe('"<name>: <Type>" in language spelling'),
      returns: z.string(),
    }),
  ),
});

export const HealthResponse = z.object({ status: z.string() });

export const MetricsResponse = z.record(z.string(), z.unknown()).describe('Cache, scheduler and server counters');

export const OpenApiDocument = z.record(z.string(), z.unknown()).describe('This document');

// ---------------------------------------------------------------- step-through sessions

export const DebugSessionRequest = z
  .object({
    source: z.string().optional().describe('Program text to step through'),
    ref: z.string().optional().describe('Or a stored pipeline: alias, sha256:<hash> or a bare structural hash'),
    inputs: inputs.optional(),
  })
  .refine((b) => (b.source === undefined) !== (b.ref === undefined), { message: "give exactly one of 'source' and 'ref'" });

export type DebugSessionRequest = z.output<typeof DebugSessionRequest>;

const CompletedNode = z.object({
  nodeId: z.number().int(),
  nodeName: z.string(),
  nodeType: z.enum(['module', 'data']),
  valuePreview: z.string().describe('At most 50 characters'),
  durationMs: z.number().optional(),
});

export const StepStateJson = z.object({
  currentBatch: z.number().int(),
  totalBatches: z.number().int(),
  batchNodes: z.array(z.number().int()),
  completedNodes: z.array(CompletedNode),
  pendingNodes: z.array(z.number().int()),
});

export const DebugSessionReply = z.object({
  sessionId: z.string().describe('Names the owner instance in a cluster; opaque to clients'),
  state: StepStateJson,
  isComplete: z.boolean(),
  result: ExecuteResponse.nullable().describe('The run, once it has ended'),
  totalBatches: z.number().int().optional().describe('On start'),
  outputs: z.record(z.string(), z.unknown()).optional().describe('On continue'),
  executionTimeMs: z.number().optional().describe('On continue'),
});

export const DebugStoppedReply = z.object({ sessionId: z.string(), stopped: z.literal(true) });

// ---------------------------------------------------------------- result cache

export const CacheClearedResponse = z.object({
  cleared: z.number().int().describe('Entries dropped on this instance (other instances drop theirs when told)'),
  scope: z.string().describe('"all", or the module name'),
});
