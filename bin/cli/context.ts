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

export type Command = (ctx: CommandContext) => Promise<ExitCode>;

/** The server to talk to (validated URL, optional key). */
export function connectionOf(ctx: CommandContext): Connection {
  return resolveConnection(ctx.args, ctx.env, ctx.config);
}

/** `compile`/`run` go to a server only with `--server <url>` or `--remote`. */
export function wantsServer(ctx: CommandContext): boolean {
  return ctx.args.server !== undefined || ctx.args.remote;
}
