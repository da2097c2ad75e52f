import { expectArgs } from '../cli/args.js';
import type { CommandContext } from '../cli/context.js';
import { EXIT, usageError, type ExitCode } from '../cli/exit.js';

/**
 * `constellation serve [--port N] [--data-dir DIR]`: starts the server exactly as `npm start`
 * does (server/main.ts), configured by the CONSTELLATION_* variables; the flags override
 * CONSTELLATION_PORT and CONSTELLATION_DATA_DIR, and `--json` selects JSON logs. An invalid
 * configuration is a usage error (10); a server that cannot start exits 1 (server/main.ts). The
 * process then runs until SIGTERM/SIGINT (graceful drain, exit 0).
 */

function portOf(text: string): string {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw usageError(`--port must be a port number 0–65535, got '${text}'`);
  return String(n);
}

/** The environment the server starts with: the caller's, with the flags applied. */
export function serveEnv(cli: CommandContext): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...cli.env };
  if (cli.args.port !== undefined) env.CONSTELLATION_PORT = portOf(cli.args.port);
  if (cli.args.dataDir !== undefined) {
    if (cli.args.dataDir.trim() === '') throw usageError('--data-dir must not be empty');
    env.CONSTELLATION_DATA_DIR = cli.args.dataDir;
  }
  if (cli.args.json) env.CONSTELLATION_LOG_FORMAT = 'json';
  return env;
}

/** A bad CONSTELLATION_* value is a usage error here (main() itself would exit 2). */
async function checkConfig(env: Record<string, string | undefined>): Promise<void> {
  const { ConfigError, loadConfig } = await import('../../server/config.js');
  const { loadProviderConfig } = await import('../../server/provider/config.js');
  const { loadLspSettings } = await import('../../server/lsp/settings.js');
  try {
    loadConfig(env);
    loadProviderConfig(env);
    loadLspSettings(env);
  } catch (e) {
    if (e instanceof ConfigError) throw usageError(e.message);
    throw e;
  }
}

export async function serveCommand(cli: CommandContext): Promise<ExitCode> {
  expectArgs(cli.args.args, [], 'serve');
  const env = serveEnv(cli);
  await checkConfig(env);
  const { main } = await import('../../server/main.js');
  await main(env);
  return EXIT.SUCCESS;
}
