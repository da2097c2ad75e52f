import type { ParsedArgs } from './args.js';
import { resolveConnection, type ConfigFile, type Connection, type Env } from './config.js';
import type { ExitCode } from './exit.js';
import type { Output } from './output.js';

/** What every command receives, and what it returns: its exit code (failures are thrown). */
export interface CommandContext {
  readonly args: ParsedArgs;
  readonly out: Output;
  readonly env: Env;
  readonly config: ConfigFile;
}

export type Command = (cli: CommandContext) => Promise<ExitCode>;

/** The server to talk to (validated URL, optional key). */
export function connectionOf(cli: CommandContext): Connection {
  return resolveConnection(cli.args, cli.env, cli.config);
}

/** `compile`/`run` go to a server only with `--server <url>` or `--remote`. */
export function wantsServer(cli: CommandContext): boolean {
  return cli.args.server !== undefined || cli.args.remote;
}
