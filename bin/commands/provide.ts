import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { modulesOf } from '../../actors/module-loader.js';
import { splitList, expectArgs } from '../cli/args.js';
import type { CommandContext } from '../cli/context.js';
import { CliError, EXIT, usageError, type ExitCode } from '../cli/exit.js';

/**
 * `constellation provide <file> --engine host:port [--engine …] [--namespace ns] [--group id]
 * [--executor-port N] [--advertise host:port]`: serves the modules a file exports (every
 * `defineModule` export, as in CONSTELLATION_MODULES files) to the engines over the Module
 * Provider Protocol, until SIGTERM/SIGINT (it then deregisters and exits 0) or until every
 * engine has drained it (exit 0).
 *
 * The file may also export `namespace` and `groupId`; flags win. Engines also come from
 * `CONSTELLATION_PROVIDER_ENGINES` (comma-separated); the shared secret from
 * `CONSTELLATION_PROVIDER_TOKEN`; the heartbeat interval from
 * `CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL` (default 5s).
 */

export async function provideCommand(ctx: CommandContext): Promise<ExitCode> {
  const [file] = expectArgs(ctx.args.args, ['file'], 'provide');
  const engines = [...ctx.args.engine, ...splitList(ctx.env['CONSTELLATION_PROVIDER_ENGINES'] ?? '')];
  if (engines.length === 0) throw usageError('provide needs at least one --engine host:port (or CONSTELLATION_PROVIDER_ENGINES)');
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(resolve(file!)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(EXIT.RUNTIME_ERROR, `cannot load ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const modules = modulesOf(exports);
  if (modules.length === 0) throw new CliError(EXIT.RUNTIME_ERROR, `${file} exports no modules (defineModule(...))`);
  const namespace = ctx.args.namespace ?? (typeof exports['namespace'] === 'string' ? exports['namespace'] : undefined);
  if (!namespace) throw usageError('provide needs --namespace (or an exported `namespace` in the file)');
  const groupId = ctx.args.group ?? (typeof exports['groupId'] === 'string' ? exports['groupId'] : undefined);
  let executorPort: number | undefined;
  if (ctx.args.executorPort !== undefined) {
    executorPort = Number(ctx.args.executorPort);
    if (!Number.isInteger(executorPort) || executorPort < 0 || executorPort > 65535) throw usageError(`--executor-port must be a port number 0–65535, got '${ctx.args.executorPort}'`);
  }
  let heartbeatIntervalMs: number | undefined;
  const heartbeat = ctx.env['CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL'];
  if (heartbeat) {
    const { parseDuration } = await import('../../server/config.js');
    heartbeatIntervalMs = parseDuration(heartbeat);
    if (heartbeatIntervalMs === undefined || heartbeatIntervalMs <= 0) throw usageError(`CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL: expected a duration such as 5s or 500ms, got '${heartbeat}'`);
  }
  const { serveProvider, RegistrationRefused } = await import('../../server/provider/kit/index.js');
  const out = ctx.out;
  let provider;
  try {
    provider = await serveProvider({
      namespace,
      modules,
      servers: engines,
      ...(groupId ? { groupId } : {}),
      ...(ctx.env['CONSTELLATION_PROVIDER_TOKEN'] ? { token: ctx.env['CONSTELLATION_PROVIDER_TOKEN'] } : {}),
      ...(heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs } : {}),
      executor: { ...(executorPort !== undefined ? { port: executorPort } : {}), ...(ctx.args.advertise ? { advertise: ctx.args.advertise } : {}) },
      log: (level, message, fields) => out.error(`[provider ${namespace}] ${level}: ${message}${fields ? ' ' + JSON.stringify(fields) : ''}`),
    });
  } catch (e) {
    if (e instanceof RegistrationRefused || e instanceof TypeError) throw new CliError(EXIT.RUNTIME_ERROR, e.message);
    throw e;
  }
  out.line(`Serving ${modules.map((m) => `${namespace}.${m.name}`).join(', ')} at ${provider.executorUrl} to ${engines.join(', ')}`);
  out.result({ success: true, namespace, modules: modules.map((m) => m.name), executorUrl: provider.executorUrl, engines: provider.status() });
  const served = provider;
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    out.error(`[provider ${namespace}] ${why}: leaving the engines`);
    served.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  void served.drained().then(() => stop('drained by every engine'));
  return EXIT.SUCCESS;
}
