import { InputError } from '../../runtime/engine/engine.js';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import { expectArgs } from '../cli/args.js';
import { toWireDiagnostic } from '../../runtime/language/diagnostic-wire.js';
import { compileFailure, serverCompileFailure } from '../cli/compile-report.js';
import { connectionOf, wantsServer, type CommandContext } from '../cli/context.js';
import { CliError, EXIT, usageError, type ExitCode } from '../cli/exit.js';
import { readInputsFile, readSource, type SourceFile } from '../cli/files.js';
import { expectShape, failUnlessOk, request } from '../cli/http.js';
import { mergeInputs } from '../cli/inputs.js';
import { compileLocally, moduleFiles, startRuntime } from '../cli/local.js';
import { AsyncRunReply, RunReply } from '../cli/schemas.js';
import { printRunOutcome, type RunOutcome } from './run-report.js';

/**
 * `constellation run <file>`: inputs from `--inputs file.json` and `--input k=v` (the latter
 * win); runs in-process with a fresh runtime (closed afterwards) or, with `--server <url>` /
 * `--remote`, through `POST /run`. Exit 0 for completed and suspended runs, 2 for failed ones,
 * 1 for compile errors (not 2 as the reference client does). `--async` (server mode only)
 * starts the run on the server and prints its execution id at once (exit 0); follow it with
 * `server executions show <id>`, stop it with `server executions cancel <id>`.
 */

export async function runCommand(cli: CommandContext): Promise<ExitCode> {
  const [file] = expectArgs(cli.args.args, ['file'], 'run');
  const fileInputs = cli.args.inputsFile !== undefined ? await readInputsFile(cli.args.inputsFile) : {};
  const inputs = mergeInputs(fileInputs, cli.args.input);
  if (cli.args.async && !wantsServer(cli)) throw usageError('--async runs on a server: add --server <url> or --remote');
  const src = await readSource(file!);
  if (cli.args.async) return startRemote(cli, src, inputs);
  const outcome = wantsServer(cli) ? await runRemote(cli, src, inputs) : await runLocal(cli, src, inputs);
  return printRunOutcome(cli.out, outcome, wantsServer(cli));
}

async function runLocal(cli: CommandContext, src: SourceFile, inputs: Record<string, unknown>): Promise<RunOutcome> {
  const files = moduleFiles(cli.args.modules, cli.env);
  const compiled = await compileLocally(src.text, files);
  if (!compiled.ok) throw compileFailure(cli.out, src, compiled.diagnostics.map(toWireDiagnostic));
  const runtime = await startRuntime(files, cli.env, (m) => cli.out.error(cli.out.paint('yellow', `warning: ${m}`, true)));
  try {
    const result = await runtime.engine.run(compiled.dag!, inputs);
    return localOutcome(result);
  } catch (e) {
    if (e instanceof InputError) throw new CliError(EXIT.RUNTIME_ERROR, `Input error: ${e.message}`);
    throw new CliError(EXIT.RUNTIME_ERROR, `Execution failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await runtime.close();
  }
}

function localOutcome(result: ExecutionResult): RunOutcome {
  const error = result.errors.length > 0 ? result.errors.map((e) => `${e.nodeName}: ${e.message}`).join('; ') : result.status === 'completed' || result.status === 'suspended' ? null : `execution ${result.status.replace('_', ' ')}`;
  return {
    status: result.status,
    outputs: result.outputs,
    missingInputs: result.missingInputs,
    pendingOutputs: result.pendingOutputs,
    executionId: result.executionId,
    error,
    durationMs: result.durationMs,
    json: { success: result.status === 'completed' || result.status === 'suspended', ...result, error },
  };
}

async function runRemote(cli: CommandContext, src: SourceFile, inputs: Record<string, unknown>): Promise<RunOutcome> {
  const res = await request(connectionOf(cli), cli.out, 'POST', '/run', { body: { source: src.text, inputs } });
  if (res.status !== 400) failUnlessOk(res);
  const reply = expectShape(res, RunReply, 'run');
  if (res.status === 400) {
    const messages = reply.compilationErrors ?? [];
    if (messages.length > 0 || (reply.diagnostics ?? []).length > 0) throw serverCompileFailure(cli.out, src, reply.diagnostics, messages);
    throw new CliError(EXIT.RUNTIME_ERROR, reply.error ?? 'the server rejected the run (HTTP 400)', { status: 400 });
  }
  if (!reply.status) throw new CliError(EXIT.RUNTIME_ERROR, `unexpected run reply from the server: no status${reply.error ? ` (${reply.error})` : ''}`);
  return remoteOutcome(reply);
}

/** `run --async`: 202 with the execution id; compile and input errors are reported as for a run. */
async function startRemote(cli: CommandContext, src: SourceFile, inputs: Record<string, unknown>): Promise<ExitCode> {
  const { out } = cli;
  const res = await request(connectionOf(cli), out, 'POST', '/run', { body: { source: src.text, inputs, async: true } });
  if (res.status === 400) {
    const reply = expectShape(res, RunReply, 'run');
    const messages = reply.compilationErrors ?? [];
    if (messages.length > 0 || (reply.diagnostics ?? []).length > 0) throw serverCompileFailure(out, src, reply.diagnostics, messages);
    throw new CliError(EXIT.RUNTIME_ERROR, reply.error ?? 'the server rejected the run (HTTP 400)', { status: 400 });
  }
  if (res.status !== 202) failUnlessOk(res);
  const reply = expectShape(res, AsyncRunReply, 'run');
  out.line(out.ok(`started execution ${reply.executionId}`));
  out.info(`  follow it with: constellation server executions show ${reply.executionId}`);
  out.info(`  cancel it with: constellation server executions cancel ${reply.executionId}`);
  out.result({ success: true, executionId: reply.executionId, status: reply.status, location: `/executions/${reply.executionId}` });
  return EXIT.SUCCESS;
}

function remoteOutcome(reply: RunReply): RunOutcome {
  return {
    status: reply.status!,
    outputs: reply.outputs ?? {},
    missingInputs: reply.missingInputs ?? {},
    pendingOutputs: reply.pendingOutputs ?? [],
    executionId: reply.executionId ?? null,
    error: reply.error ?? null,
    durationMs: null,
    json: reply,
  };
}
