import { LocalExecutionControl } from '../../runtime/engine/execution-control.js';
import { createLogger } from '../../server/logger.js';
import { ConfigError } from '../../server/config.js';
import { serveStreams } from '../../server/lsp/stdio.js';
import { loadLspSettings } from '../../server/lsp/settings.js';
import { expectArgs } from '../cli/args.js';
import type { CommandContext } from '../cli/context.js';
import { EXIT, usageError, type ExitCode } from '../cli/exit.js';
import { moduleFiles, startRuntime } from '../cli/local.js';

/**
 * `constellation lsp --stdio`: the language server on stdin/stdout with the local module
 * registry (examples, CONSTELLATION_MODULES, --modules), for editors that launch a server
 * process. stdout carries only the protocol; logs go to stderr (CONSTELLATION_LOG_LEVEL, default
 * warn). The client's process id is watched: when it dies, the server ends.
 */
export async function lspCommand(ctx: CommandContext): Promise<ExitCode> {
  expectArgs(ctx.args.args, [], 'lsp');
  if (!ctx.args.stdio) throw usageError("'lsp' needs --stdio (the WebSocket server is at /lsp of 'constellation serve')");
  let settings;
  try {
    settings = loadLspSettings(ctx.env);
  } catch (e) {
    if (e instanceof ConfigError) throw usageError(e.message);
    throw e;
  }
  const logger = createLogger({ level: ctx.env.CONSTELLATION_LOG_LEVEL ?? 'warn', format: 'json', destination: process.stderr });
  const runtime = await startRuntime(moduleFiles(ctx.args.modules, ctx.env), ctx.env, (m) => logger.warn(m));
  try {
    const engine = runtime.engine;
    const { done } = serveStreams(process.stdin, process.stdout, {
      engine,
      executions: new LocalExecutionControl(engine),
      functions: () => engine.functions,
      settings,
      logger,
      canExecute: true,
      watchProcessId: true,
      peer: { transport: 'stdio' },
    });
    const code = await done;
    return code === 0 ? EXIT.SUCCESS : (1 as ExitCode);
  } finally {
    process.stdin.pause();
    await runtime.close();
  }
}
