import type { z } from 'zod';
import type { CompileResult } from '../../runtime/compiler/compile.js';
import type { Dag } from '../../runtime/compiler/dag.js';
import { ConstellationError, formatError, httpStatus } from '../../runtime/errors.js';
import { InputError } from '../../runtime/engine/engine.js';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import { compileErrorLines, toWireDiagnostic, type WireDiagnostic } from '../../runtime/language/diagnostic-wire.js';
import { pipelineCodec } from '../../runtime/codegen/pipeline-codec.js';
import { jsonString } from '../../runtime/values/json-text.js';
import type { RefResolution } from '../../runtime/pipelines/refs.js';
import type { RunningCanary } from '../../runtime/pipelines/catalogue.js';
import type { PipelineImage } from '../../runtime/stores/pipeline-store.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { CompileRequest, ExecuteRequest, ResumeRequest, RunRequest } from '../schemas.js';
import { parseBody, readBody, unreadableBody, type BodyResult } from './body.js';
import { sharedStateReply } from '../http/error-reply.js';
import { busyReply, errorReply, shuttingDownReply } from './reply.js';

/**
 * Compile and execution routes: `/compile`, `/run`, `/execute` (synchronous, or `"async": true`),
 * `/executions/{id}/resume`. Responses keep the reference's field names and nulls
 * (docs/decisions.md #15) and add structured `diagnostics` / `errors` beside them.
 */

export function diagnosticsJson(result: CompileResult): WireDiagnostic[] {
  return result.diagnostics.map(toWireDiagnostic);
}

/** Compile errors as the reference's message strings, each with its position. */
export function errorMessages(result: CompileResult): string[] {
  return compileErrorLines(result.diagnostics);
}

const NO_ERRORS: readonly never[] = Object.freeze([]);

/**
 * The ExecuteResponse of the reference's HTTP API (plus `errors`); with `structuralHash` for `/run`'s
 * RunResponse. Built as one object literal of a fixed shape (no spreads): on the request path a
 * changing object shape costs map transitions that showed up in profiles.
 */
export function executeResponse(result: ExecutionResult, structuralHash?: string): Record<string, unknown> {
  const failed = result.status === 'failed' || result.status === 'cancelled' || result.status === 'timed_out';
  let missing: Record<string, string> | null = null;
  for (const _ in result.missingInputs) {
    missing = result.missingInputs;
    break;
  }
  let error: string | null = null;
  if (result.errors.length > 0) error = result.errors.map((e) => `${e.nodeName}: ${e.message}`).join('; ');
  else if (result.status === 'cancelled') error = 'The execution was cancelled';
  else if (result.status === 'timed_out') error = 'The execution exceeded its time limit';
  const errors = result.errors.length === 0 ? NO_ERRORS : result.errors.map((e) => ({ node: e.nodeName, module: e.moduleName, code: e.code, message: e.message }));
  const status = failed ? 'failed' : result.status;
  const pendingOutputs = result.pendingOutputs.length > 0 ? result.pendingOutputs : null;
  if (structuralHash === undefined) {
    return { success: !failed, outputs: result.outputs, error, status, executionId: result.executionId, missingInputs: missing, pendingOutputs, resumptionCount: result.resumptionCount, errors };
  }
  return {
    success: !failed, outputs: result.outputs, error, status, executionId: result.executionId, missingInputs: missing, pendingOutputs, resumptionCount: result.resumptionCount, errors,
    structuralHash, compilationErrors: NO_ERRORS,
  };
}

/**
 * The same response as executeResponse, written as JSON text directly: the shape is fixed, so
 * only the variable parts go through JSON.stringify (serialising the whole object was ~5 % of
 * the /execute path), and the outputs of a run of `dag` through its generated stringifier.
 */
export function executeResponseJson(result: ExecutionResult, structuralHash?: string, dag?: Dag): string {
  if (result.status === 'completed' && result.errors.length === 0) {
    // the common answer: a completed run has no error, no missing input and no pending output
    const outputs = dag === undefined ? JSON.stringify(result.outputs) : pipelineCodec(dag).outputsJson(result.outputs);
    const tail = structuralHash === undefined ? '}' : `,"structuralHash":"${structuralHash}","compilationErrors":[]}`;
    return '{"success":true,"outputs":' + outputs + ',"error":null,"status":"completed","executionId":' + jsonString(result.executionId) +
      ',"missingInputs":null,"pendingOutputs":null,"resumptionCount":' + result.resumptionCount + ',"errors":[]' + tail;
  }
  const r = executeResponse(result, structuralHash) as {
    success: boolean; outputs: Record<string, unknown>; error: string | null; status: string; executionId: string;
    missingInputs: unknown; pendingOutputs: unknown; resumptionCount: number; errors: readonly unknown[];
  };
  // the outputs of a run of `dag` are written by the pipeline's generated stringifier
  const outputs = dag === undefined ? JSON.stringify(r.outputs) : pipelineCodec(dag).outputsJson(r.outputs);
  let text =
    `{"success":${r.success},"outputs":${outputs},"error":${r.error === null ? 'null' : JSON.stringify(r.error)},` +
    `"status":"${r.status}","executionId":${jsonString(r.executionId)},` +
    `"missingInputs":${r.missingInputs === null ? 'null' : JSON.stringify(r.missingInputs)},` +
    `"pendingOutputs":${r.pendingOutputs === null ? 'null' : JSON.stringify(r.pendingOutputs)},` +
    `"resumptionCount":${r.resumptionCount},"errors":${r.errors.length === 0 ? '[]' : JSON.stringify(r.errors)}`;
  if (structuralHash !== undefined) text += `,"structuralHash":"${structuralHash}","compilationErrors":[]`;
  return text + '}';
}

function jsonText(status: number, body: string): HttpReply {
  return { status, body, raw: true, contentType: 'application/json' };
}

const EMPTY_RESULT = { outputs: {}, status: null, executionId: null, missingInputs: null, pendingOutputs: null, resumptionCount: null };

/** Parses and validates a JSON body; a failure becomes the endpoint's 400 reply. */
async function body<T extends z.ZodType>(req: HttpRequest, schema: T, invalid: (message: string) => HttpReply): Promise<z.output<T> | HttpReply> {
  const parsed = await readBody(req, schema);
  return parsed.ok ? parsed.value : invalid(parsed.message);
}

/**
 * The execution routes' request path: synchronous — parse, envelope check, resolve, run, encode,
 * and the reply goes back without a promise — as long as nothing has to wait (the body is in
 * before the handler starts, the run needs no I/O). `handle` may answer with a reply or a
 * promise of one.
 */
function withBody<T extends z.ZodType>(
  req: HttpRequest, schema: T, invalid: (message: string) => HttpReply, handle: (value: z.output<T>) => HttpReply | Promise<HttpReply>,
): HttpReply | Promise<HttpReply> {
  const answer = (parsed: BodyResult<z.output<T>>) => (parsed.ok ? handle(parsed.value) : invalid(parsed.message));
  const ready = req.bodyNow;
  if (ready !== undefined) return answer(parseBody(ready, schema));
  return req.body().then((raw) => answer(parseBody(raw, schema)), (e: unknown) => answer(unreadableBody(e)));
}

function isReply(v: unknown): v is HttpReply {
  return typeof v === 'object' && v !== null && 'status' in v && typeof (v as HttpReply).status === 'number' && 'body' in v;
}

/**
 * Compiles through the engine's cache. No compile timeout (the reference has 30 s): compilation
 * is linear in the source, bounded in depth, and the body limit bounds the source.
 */
function compileSource(context: ServerContext, source: string): CompileResult {
  if (!context.logger.isLevelEnabled('trace')) return context.engine.compile(source);
  const started = performance.now();
  const result = context.engine.compile(source);
  context.logger.trace({ structuralHash: result.hashes.structural ?? null, nodes: result.dag?.nodes.length ?? 0, errors: result.diagnostics.filter((d) => d.severity === 'error').length, durationMs: performance.now() - started }, 'compiled');
  return result;
}

export function compileRoute(context: ServerContext) {
  return async (req: HttpRequest): Promise<HttpReply> => {
    // a body that is not JSON, not an object or has no string `source` gets the API's fixed
    // message (the detail beside it); a bad optional field names itself
    const invalid = (message: string) => {
      const aboutSource = !message.startsWith("field '") || message.startsWith("field 'source'");
      const error = aboutSource ? "Invalid request: expected JSON body with 'source' field" : `Invalid request: ${message}`;
      return json(400, { success: false, structuralHash: null, syntacticHash: null, dagName: null, name: null, errors: [error], diagnostics: [], ...(aboutSource ? { detail: message } : {}) });
    };
    const parsed = await body(req, CompileRequest, invalid);
    if (isReply(parsed)) return parsed;
    const name = parsed.name ?? parsed.dagName ?? null;
    const result = compileSource(context, parsed.source);
    if (!result.ok) {
      return json(400, { success: false, structuralHash: null, syntacticHash: null, dagName: null, name: null, errors: errorMessages(result), diagnostics: diagnosticsJson(result) });
    }
    let image: PipelineImage;
    if (name) {
      // moving the alias under a running canary would be overwritten when the canary
      // completes: the catalogue refuses, and stores nothing
      const named = await context.pipelines.compileNamed(name, result, parsed.source);
      if (!named.ok) return errorReply(named.code, named.message, req.requestId);
      image = named.image;
    } else {
      image = await context.pipelines.storeImage(result, parsed.source);
    }
    return json(200, {
      success: true,
      structuralHash: image.structuralHash,
      syntacticHash: image.syntacticHash,
      dagName: name,
      name,
      errors: [],
      diagnostics: diagnosticsJson(result),
    });
  };
}

/** Runs a DAG; the reply (and the result) come synchronously when the run needed no waiting. */
function runAndReply(context: ServerContext, req: HttpRequest, dag: Dag, inputs: Record<string, unknown>, pipeline: string, structuralHash?: string): RunReply | Promise<RunReply> {
  let run: ExecutionResult | Promise<ExecutionResult>;
  try {
    // a client that goes away cancels its execution (a no-op once it has ended, so a run that
    // is being saved as suspended stays resumable)
    run = context.engine.runNow(dag, inputs, { onStart: (execution) => req.onAbort(() => execution.cancel('cancelled')) });
  } catch (e) {
    return { reply: executionFailure(req, e, failureExtra(structuralHash)) };
  }
  if (run instanceof Promise) {
    return run.then(
      (result) => runReply(context, req, dag, pipeline, result, structuralHash),
      (e: unknown) => ({ reply: executionFailure(req, e, failureExtra(structuralHash)) }),
    );
  }
  return runReply(context, req, dag, pipeline, run, structuralHash);
}

interface RunReply {
  readonly reply: HttpReply;
  readonly result?: ExecutionResult;
}

function runReply(context: ServerContext, req: HttpRequest, dag: Dag, pipeline: string, result: ExecutionResult, structuralHash: string | undefined): RunReply {
  context.metrics.onExecution(pipeline, result.status, result.durationMs);
  if (context.logger.isLevelEnabled('debug')) {
    context.logger.debug({ requestId: req.requestId, executionId: result.executionId, pipelineName: pipeline, status: result.status, durationMs: result.durationMs }, 'execution finished');
  }
  if (result.notStored) return { reply: notStoredReply(context, req, result, structuralHash) ?? jsonText(200, executeResponseJson(result, structuralHash, dag)), result };
  return { reply: jsonText(200, executeResponseJson(result, structuralHash, dag)), result };
}

function failureExtra(structuralHash: string | undefined): Record<string, unknown> {
  return structuralHash === undefined ? {} : { structuralHash, compilationErrors: [] };
}

/**
 * A run that ended suspended but could not be stored: its execution id would lead nowhere, so
 * the reply is not a 200. A full store (count or byte limit) is 507 `SuspensionStoreFull`, a
 * failing one 500; both carry what was computed and what is missing, for a retry with every
 * input. Nothing stored was evicted to make room. (A failed run that could not be stored keeps
 * its normal reply: its outcome is final either way.) Counted on /metrics either way. A resume
 * keeps its execution id in the reply: the execution stays stored as it was before the resume.
 */
function notStoredReply(context: ServerContext, req: HttpRequest, result: ExecutionResult, structuralHash?: string, resumed = false): HttpReply | undefined {
  const notStored = result.notStored!;
  context.metrics.onSuspensionNotStored(notStored.reason);
  if (result.status !== 'suspended' || notStored.reason === 'lease-lost') return undefined;
  const code = notStored.reason === 'error' ? 'InternalError' : 'SuspensionStoreFull';
  const response = executeResponse(result, structuralHash);
  return {
    status: httpStatus(code),
    body: {
      error: code,
      message: formatError(code, { detail: notStored.message }),
      requestId: req.requestId,
      success: false,
      status: 'suspended',
      executionId: resumed ? result.executionId : null,
      outputs: response['outputs'],
      missingInputs: response['missingInputs'],
      pendingOutputs: response['pendingOutputs'],
      resumptionCount: result.resumptionCount,
      ...(structuralHash === undefined ? {} : { structuralHash }),
    },
  };
}

function executionFailure(req: HttpRequest, e: unknown, extra: Record<string, unknown>): HttpReply {
  if (e instanceof InputError) return json(400, { success: false, ...EMPTY_RESULT, error: `Input error: ${e.message}`, ...extra });
  const busy = busyReply(e, req.requestId);
  if (busy) return busy;
  return json(500, { success: false, ...EMPTY_RESULT, error: `Execution failed: ${e instanceof Error ? e.message : String(e)}`, ...extra });
}

/**
 * `"async": true`: the run starts here and the answer is `202 {executionId, status: "running"}`
 * with `Location: /executions/{id}` at once; `GET /executions/{id}` follows it and keeps its
 * result for a while. Input errors are still 400 (inputs are checked before anything runs). A
 * run that ends stored keeps its image as a synchronous one does; `onEnd` hears how it ended
 * (`undefined`: it threw).
 */
function startInBackground(
  context: ServerContext,
  req: HttpRequest,
  image: PipelineImage,
  inputs: Record<string, unknown>,
  via: 'run' | 'execute',
  pipeline: string,
  extra: Record<string, unknown>,
  onEnd?: (result: ExecutionResult | undefined) => void,
): HttpReply {
  let run;
  try {
    run = context.executions.runInBackground(image.dag, inputs, via);
  } catch (e) {
    return executionFailure(req, e, extra);
  }
  run.finished.then(
    (result) => {
      context.metrics.onExecution(pipeline, result.status, result.durationMs);
      void keepStoredImage(context, image, { reply: ACCEPTED, result });
      onEnd?.(result);
    },
    (e: unknown) => {
      context.logger.warn({ executionId: run.executionId, err: e instanceof Error ? e.message : String(e) }, 'asynchronous execution failed');
      onEnd?.(undefined);
    },
  );
  return json(202, { executionId: run.executionId, status: 'running' }, { location: `/executions/${run.executionId}` });
}

/** Placeholder reply of a background run (nobody waits for its reply). */
const ACCEPTED: HttpReply = { status: 202, body: null };

export function runRoute(context: ServerContext) {
  const invalid = (message: string) => json(400, { success: false, ...EMPTY_RESULT, structuralHash: null, compilationErrors: [], error: `Invalid request: ${message}` });
  return (req: HttpRequest): HttpReply | Promise<HttpReply> =>
    withBody(req, RunRequest, invalid, (parsed) => {
      if (!context.lifecycle.acceptingWork) return shuttingDownReply(req.requestId);
      const result = compileSource(context, parsed.source);
      if (!result.ok) {
        return json(400, { success: false, ...EMPTY_RESULT, structuralHash: null, compilationErrors: errorMessages(result), error: null, diagnostics: diagnosticsJson(result) });
      }
      const pipelines = context.pipelines;
      if (parsed.async === true) {
        // the run may end stored, its snapshot referring to the image: the image is stored before the 202
        const extra = (image: PipelineImage | null) => ({ structuralHash: image?.structuralHash ?? null, compilationErrors: [] });
        const known = pipelines.image(result.hashes.structural!);
        return (known ? Promise.resolve(known) : pipelines.storeImage(result, parsed.source)).then(
          (image) => startInBackground(context, req, image, parsed.inputs ?? {}, 'run', 'ephemeral', extra(image)),
          (e: unknown) => sharedStateReply(e, req.requestId) ?? executionFailure(req, e, extra(null)),
        );
      }
      const run = (image: PipelineImage, written?: Promise<unknown>): HttpReply | Promise<HttpReply> => {
        const ran = runAndReply(context, req, image.dag, parsed.inputs ?? {}, 'ephemeral', image.structuralHash);
        const settle = ({ reply, result: r }: RunReply): HttpReply | Promise<HttpReply> => {
          if (r === undefined || r.status === 'completed' || r.notStored !== undefined) return reply;
          // a stored execution pins its image: the image (written beside the run, on a shared store)
          // is stored, and an eviction during the run did not take it, before the reply
          return (async () => {
            await written;
            await pipelines.keepImage(image);
            return reply;
          })().catch((e: unknown) => sharedStateReply(e, req.requestId) ?? executionFailure(req, e, { structuralHash: image.structuralHash, compilationErrors: [] }));
        };
        return ran instanceof Promise ? ran.then(settle) : settle(ran);
      };
      // an image already stored (a source seen before) runs without waiting for the store
      const known = pipelines.image(result.hashes.structural!);
      if (known) return run(known);
      if (pipelines.completeView) return pipelines.storeImage(result, parsed.source).then((image) => run(image));
      // a shared store (cluster): the run does not wait for the image write unless it ends stored
      const written = pipelines.storeImage(result, parsed.source);
      written.catch((e: unknown) => context.logger.debug({ err: e instanceof Error ? e.message : String(e) }, 'image of a run not stored'));
      return run(pipelines.imageOf(result, parsed.source), written);
    });
}

/**
 * A stored execution pins an image no name holds: before the reply, make sure no eviction (here,
 * or on another instance whose view has not seen the execution yet) took it during the run.
 */
function keepStoredImage(context: ServerContext, image: PipelineImage, run: RunReply | Promise<RunReply>): RunReply | Promise<RunReply> {
  const settle = (ran: RunReply): RunReply | Promise<RunReply> => {
    const r = ran.result;
    if (r === undefined || r.status === 'completed' || r.notStored !== undefined || context.pipelines.aliasesOf(image.structuralHash).length > 0) return ran;
    return context.pipelines
      .keepImage(image)
      .catch((e: unknown) => context.logger.warn({ err: e instanceof Error ? e.message : String(e), structuralHash: image.structuralHash }, 'image of a stored execution not renewed'))
      .then(() => ran);
  };
  return run instanceof Promise ? run.then(settle) : settle(run);
}

function replyOf(run: RunReply | Promise<RunReply>): HttpReply | Promise<HttpReply> {
  return run instanceof Promise ? run.then((r) => r.reply) : run.reply;
}

export function executeRoute(context: ServerContext) {
  const invalid = (message: string) => json(400, { success: false, ...EMPTY_RESULT, error: `Invalid request: ${message}` });
  return (req: HttpRequest): HttpReply | Promise<HttpReply> =>
    withBody(req, ExecuteRequest, invalid, (parsed) => {
      const ref = parsed.ref ?? parsed.dagName;
      if (ref === undefined) return json(400, { success: false, ...EMPTY_RESULT, error: "Missing 'ref' or 'dagName' field" });
      if (!context.lifecycle.acceptingWork) return shuttingDownReply(req.requestId);
      const pipelines = context.pipelines;
      const resolved = pipelines.resolve(ref);
      // only a store whose view may lag (cluster) answers not-local; a single instance never waits here
      const async = parsed.async === true;
      if (!resolved.ok && resolved.problem === 'not-local') return pipelines.resolveFromAuthority(ref).then((r) => executeResolved(context, req, ref, parsed.inputs, r, async));
      return executeResolved(context, req, ref, parsed.inputs, resolved, async);
    });
}

function executeResolved(
  context: ServerContext, req: HttpRequest, ref: string, inputs: Record<string, unknown> | undefined, resolved: RefResolution, async: boolean,
): HttpReply | Promise<HttpReply> {
  if (!resolved.ok) {
    return resolved.problem === 'invalid'
      ? json(400, { success: false, ...EMPTY_RESULT, error: `Invalid ref: ${resolved.message}` })
      : errorReply('NotFound', resolved.message, req.requestId);
  }
  const pipelines = context.pipelines;
  let hash = resolved.hash;
  // canary routing applies to name refs only, not to hash-shaped refs
  const canary = resolved.byName !== null && resolved.byName.length !== 64 ? pipelines.runningCanary(resolved.byName) : undefined;
  if (canary) hash = pipelines.chooseVersion(canary);
  // an image the memory budget dropped (or another instance stored) is read once; a known one costs a lookup
  const image = pipelines.image(hash);
  if (image) return executeImage(context, req, ref, image, inputs, resolved.byName, canary, hash, async);
  return pipelines
    .fetchImage(hash)
    .then((fetched) => (fetched ? executeImage(context, req, ref, fetched, inputs, resolved.byName, canary, hash, async) : errorReply('NotFound', `Pipeline '${ref}' not found`, req.requestId)));
}

function executeImage(
  context: ServerContext, req: HttpRequest, ref: string, image: PipelineImage, inputs: Record<string, unknown> | undefined, byName: string | null, canary: RunningCanary | undefined, hash: string,
  async: boolean,
): HttpReply | Promise<HttpReply> {
  // stored by an instance with other modules (cluster): refuse before anything runs
  const missing = context.engine.missingModules(image.dag);
  if (missing.length > 0) return errorReply('ModulesUnavailable', formatError('ModulesUnavailable', { name: ref, modules: missing.join(', ') }), req.requestId);
  const started = performance.now();
  if (async) {
    return startInBackground(context, req, image, inputs ?? {}, 'execute', byName ?? 'by-hash', {}, (result) => {
      if (!canary) return;
      const ok = result !== undefined && (result.status === 'completed' || result.status === 'suspended');
      void context.pipelines.recordOutcome(canary, hash, ok, performance.now() - started)?.catch((e: unknown) => context.logger.warn({ err: String(e) }, 'canary outcome of an asynchronous run not recorded'));
    });
  }
  const run = keepStoredImage(context, image, runAndReply(context, req, image.dag, inputs ?? {}, byName ?? 'by-hash'));
  if (!canary) return replyOf(run);
  return Promise.resolve(run).then(async ({ reply, result }) => {
    // a run that ended badly — failed, timed out, cancelled, or an error reply — counts against
    // the version; a suspended run is a success
    const ok = result !== undefined && (result.status === 'completed' || result.status === 'suspended');
    // a promotion or rollback this outcome decided is written before the reply
    const transition = context.pipelines.recordOutcome(canary, hash, ok, performance.now() - started);
    // the run happened: a transition that cannot be written (shared store away) is retried by a later outcome
    if (transition) await transition.catch((e: unknown) => context.logger.warn({ err: e instanceof Error ? e.message : String(e), pipeline: canary.value.pipelineName }, 'canary transition not written'));
    return reply;
  });
}

export function resumeRoute(context: ServerContext) {
  return async (req: HttpRequest): Promise<HttpReply> => {
    const invalid = (message: string) => json(400, { success: false, ...EMPTY_RESULT, error: `Invalid request: ${message}` });
    const parsed = await body(req, ResumeRequest, invalid);
    if (isReply(parsed)) return parsed;
    if (!context.lifecycle.acceptingWork) return shuttingDownReply(req.requestId);
    const id = req.params['id']!;
    try {
      // a result kept from an asynchronous run of this id stops describing it now
      context.executions.forget(id);
      const result = await context.engine.resume(id, { additionalInputs: parsed.additionalInputs ?? {}, resolvedNodes: parsed.resolvedNodes ?? {} });
      context.metrics.onExecution('resume', result.status, result.durationMs);
      return (result.notStored && notStoredReply(context, req, result, undefined, true)) || json(200, executeResponse(result));
    } catch (e) {
      if (e instanceof InputError) return json(400, { success: false, ...EMPTY_RESULT, error: `Input error: ${e.message}` });
      if (e instanceof ConstellationError) {
        switch (e.code) {
          case 'ExecutionNotFound': return errorReply('NotFound', e.message, req.requestId);
          case 'ResumeInProgress': return errorReply('ResumeInProgress', e.message, req.requestId);
          case 'ResumeInvalid': return json(400, { success: false, ...EMPTY_RESULT, error: `Input error: ${e.message}` });
          case 'PipelineNotFound': return json(400, { success: false, ...EMPTY_RESULT, error: `Pipeline error: ${e.message}` });
          case 'ModulesUnavailable': return errorReply('ModulesUnavailable', e.message, req.requestId);
        }
      }
      return executionFailure(req, e, {});
    }
  };
}
