import { expectArgs } from '../cli/args.js';
import { connectionOf, type CommandContext } from '../cli/context.js';
import { CliError, EXIT, usageError, type ExitCode } from '../cli/exit.js';
import { expectShape, failUnlessOk, getJson, request } from '../cli/http.js';
import { compactJson } from '../cli/output.js';
import { readableType } from '../cli/type-text.js';
import { CancelReply, DeletedReply, ExecutionsReply, ExecutionStatusReply, type ExecutionSummary, HealthReply, MetricsReply, PipelineDetail, PipelinesReply } from '../cli/schemas.js';

/**
 * `constellation server …`: HTTP calls to a running server:
 * `health`, `metrics`, `pipelines [show <ref>]`, `executions list|show <id>|cancel <id>|delete <id>`.
 * Path segments are percent-encoded; replies are validated before they are printed.
 */

type Sub = (cli: CommandContext, rest: readonly string[]) => Promise<ExitCode>;

const enc = encodeURIComponent;

export async function serverCommand(cli: CommandContext): Promise<ExitCode> {
  const [group, ...rest] = cli.args.args;
  const table: Record<string, Sub> = { health, metrics, pipelines, executions };
  const sub = group !== undefined ? table[group] : undefined;
  if (!sub) throw usageError(group === undefined ? "'server' needs a subcommand: health, metrics, pipelines, executions" : `unknown 'server' subcommand '${group}'`);
  if (cli.args.limit !== undefined && !['pipelines', 'executions'].includes(group!)) throw usageError(`option --limit is not valid for 'server ${group}'`);
  return sub(cli, rest);
}

/** `-n/--limit`: a positive integer (client-side truncation). */
function limitOf(cli: CommandContext): number {
  if (cli.args.limit === undefined) return Infinity;
  const n = Number(cli.args.limit);
  if (!Number.isInteger(n) || n <= 0) throw usageError(`--limit must be a positive integer, got '${cli.args.limit}'`);
  return n;
}

async function health(cli: CommandContext, rest: readonly string[]): Promise<ExitCode> {
  expectArgs(rest, [], 'server health');
  const { out } = cli;
  const res = await request(connectionOf(cli), out, 'GET', '/health');
  if (res.status !== 503) failUnlessOk(res);
  const reply = expectShape(res, HealthReply, 'health');
  if (res.status === 503) throw new CliError(EXIT.RUNTIME_ERROR, `server unhealthy: ${reply.status}`, { status: 503, health: reply });
  out.line(out.ok(`server healthy (${reply.status})`));
  out.result({ success: true, health: reply });
  return EXIT.SUCCESS;
}

async function metrics(cli: CommandContext, rest: readonly string[]): Promise<ExitCode> {
  expectArgs(rest, [], 'server metrics');
  const { out } = cli;
  const m = await getJson(connectionOf(cli), out, '/metrics', MetricsReply, 'metrics');
  out.line(`uptime           ${m.server.uptime_seconds} s`);
  out.line(`requests         ${m.server.requests_total}`);
  if (m.cache) out.line(`compile cache    ${m.cache.entries} entries, ${m.cache.hits} hits, ${m.cache.misses} misses (hit rate ${(m.cache.hitRate * 100).toFixed(1)} %)`);
  if (m.scheduler) out.line(`scheduler        ${m.scheduler.enabled ? `${m.scheduler.activeCount ?? 0} active, ${m.scheduler.queuedCount ?? 0} queued` : 'unbounded'}`);
  out.result({ success: true, metrics: m });
  return EXIT.SUCCESS;
}

async function pipelines(cli: CommandContext, rest: readonly string[]): Promise<ExitCode> {
  const [verb = 'list', ...args] = rest;
  if (verb === 'show') return pipelineShow(cli, expectArgs(args, ['ref'], 'server pipelines show')[0]!);
  if (verb !== 'list') throw usageError(`unknown 'server pipelines' subcommand '${verb}' (expected list or show <ref>)`);
  expectArgs(args, [], 'server pipelines');
  const { out } = cli;
  const reply = await getJson(connectionOf(cli), out, '/pipelines', PipelinesReply, 'pipelines');
  const list = reply.pipelines.slice(0, limitOf(cli));
  if (list.length === 0) out.info('no pipelines stored');
  for (const p of list) {
    const names = p.aliases.length > 0 ? p.aliases.join(', ') : '(no alias)';
    out.line(`${p.structuralHash.slice(0, 12)}  ${names}  outputs: ${p.declaredOutputs.join(', ') || '-'}  modules: ${p.moduleCount ?? '?'}  ${p.compiledAt ?? ''}`.trimEnd());
  }
  out.result({ success: true, pipelines: list });
  return EXIT.SUCCESS;
}

async function pipelineShow(cli: CommandContext, ref: string): Promise<ExitCode> {
  const { out } = cli;
  const p = await getJson(connectionOf(cli), out, `/pipelines/${enc(ref)}`, PipelineDetail, 'pipeline');
  out.line(`structural hash  ${p.structuralHash}`);
  if (p.syntacticHash) out.line(`syntactic hash   ${p.syntacticHash}`);
  out.line(`aliases          ${p.aliases.join(', ') || '(none)'}`);
  if (p.compiledAt) out.line(`compiled at      ${p.compiledAt}`);
  out.line(`modules          ${p.modules.map((m) => m.name).join(', ') || '(none)'}`);
  for (const [name, type] of Object.entries(p.inputSchema)) out.line(`input            ${name}: ${readableType(type)}`);
  for (const [name, type] of Object.entries(p.outputSchema)) out.line(`output           ${name}: ${readableType(type)}`);
  out.result({ success: true, pipeline: p });
  return EXIT.SUCCESS;
}

async function executions(cli: CommandContext, rest: readonly string[]): Promise<ExitCode> {
  const [verb, ...args] = rest;
  if (verb === 'list') {
    expectArgs(args, [], 'server executions list');
    return executionList(cli);
  }
  if (verb === 'show') return executionShow(cli, expectArgs(args, ['id'], 'server executions show')[0]!);
  if (verb === 'delete') return executionDelete(cli, expectArgs(args, ['id'], 'server executions delete')[0]!);
  if (verb === 'cancel') return executionCancel(cli, expectArgs(args, ['id'], 'server executions cancel')[0]!);
  throw usageError(verb === undefined ? "'server executions' needs list, show <id>, cancel <id> or delete <id>" : `unknown 'server executions' subcommand '${verb}'`);
}

function describeExecution(e: ExecutionSummary): string {
  const missing = Object.entries(e.missingInputs ?? {}).map(([n, t]) => `${n}: ${readableType(t)}`).join(', ');
  return `${e.executionId}  resumptions: ${e.resumptionCount ?? 0}  missing: ${missing || '-'}  ${e.createdAt ?? ''}`.trimEnd();
}

async function executionList(cli: CommandContext): Promise<ExitCode> {
  const { out } = cli;
  const limit = limitOf(cli);
  // the server pages (at most 1000 a page): the first page is what a listing shows
  const path = limit === Infinity ? '/executions' : `/executions?limit=${Math.min(1000, limit)}`;
  const reply = await getJson(connectionOf(cli), out, path, ExecutionsReply, 'executions');
  const list = reply.executions.slice(0, limit);
  const more = typeof reply.nextCursor === 'string';
  if (list.length === 0) out.info('no suspended executions');
  for (const e of list) out.line(describeExecution(e));
  if (more) out.info('more executions are stored (GET /executions?cursor=… pages through them)');
  out.result({ success: true, executions: list, total: reply.executions.length, more });
  return EXIT.SUCCESS;
}

/** Running (owner, settled nodes), finished (outputs or error) or stored (missing inputs): `status` says which. */
async function executionShow(cli: CommandContext, id: string): Promise<ExitCode> {
  const { out } = cli;
  const e = await getJson(connectionOf(cli), out, `/executions/${enc(id)}`, ExecutionStatusReply, 'execution');
  out.line(`execution        ${e.executionId}`);
  out.line(`status           ${e.status}`);
  if (e.owner) out.line(`owner            ${e.owner}`);
  if (e.structuralHash) out.line(`pipeline         sha256:${e.structuralHash}`);
  if (e.startedAt) out.line(`started at       ${e.startedAt}`);
  if (e.finishedAt) out.line(`finished at      ${e.finishedAt}`);
  for (const n of e.nodes ?? []) out.line(`node             ${n.name}: ${n.state}${n.durationMs !== undefined ? ` (${Math.round(n.durationMs)} ms)` : ''}`);
  for (const [name, value] of Object.entries(e.outputs ?? {})) out.line(`output           ${name}: ${compactJson(value)}`);
  if (e.error) out.line(`error            ${e.error}`);
  if (e.resumptionCount !== undefined && e.resumptionCount !== null) out.line(`resumptions      ${e.resumptionCount}`);
  for (const [name, type] of Object.entries(e.missingInputs ?? {})) out.line(`missing input    ${name}: ${readableType(type)}`);
  if (e.createdAt) out.line(`created at       ${e.createdAt}`);
  out.result({ success: true, execution: e });
  return EXIT.SUCCESS;
}

async function executionCancel(cli: CommandContext, id: string): Promise<ExitCode> {
  const { out } = cli;
  const res = await request(connectionOf(cli), out, 'POST', `/executions/${enc(id)}/cancel`);
  failUnlessOk(res);
  expectShape(res, CancelReply, 'cancel');
  out.line(out.ok(`cancelled execution ${id}`));
  out.result({ success: true, message: `cancelled execution ${id}`, executionId: id });
  return EXIT.SUCCESS;
}

async function executionDelete(cli: CommandContext, id: string): Promise<ExitCode> {
  const { out } = cli;
  const res = await request(connectionOf(cli), out, 'DELETE', `/executions/${enc(id)}`);
  failUnlessOk(res);
  const reply = expectShape(res, DeletedReply, 'delete');
  if (!reply.deleted) throw new CliError(EXIT.RUNTIME_ERROR, `the server did not delete execution ${id}`);
  out.line(out.ok(`deleted execution ${id}`));
  out.result({ success: true, message: `deleted execution ${id}`, executionId: id });
  return EXIT.SUCCESS;
}
