#!/usr/bin/env node
/**
 * `constellation`, the command-line client: parses the arguments,
 * dispatches to one command module under bin/commands/, and turns the outcome into output and
 * an exit code. Command modules are imported lazily so `compile` never loads the HTTP
 * server and `server health` never loads the compiler.
 */
import { checkOptions, COMMANDS, parseCommandLine, type ParsedArgs } from './cli/args.js';
import { readConfigFile, type Env } from './cli/config.js';
import type { Command, CommandContext } from './cli/context.js';
import { CliError, EXIT, type ExitCode } from './cli/exit.js';
import { helpText } from './cli/help.js';
import { Output } from './cli/output.js';
import { version } from './cli/version.js';

const LOADERS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  compile: async () => (await import('./commands/compile.js')).compileCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  viz: async () => (await import('./commands/viz.js')).vizCommand,
  server: async () => (await import('./commands/server.js')).serverCommand,
  provide: async () => (await import('./commands/provide.js')).provideCommand,
  lsp: async () => (await import('./commands/lsp.js')).lspCommand,
};

/** `--json`/`-j` anywhere in argv: how to report a failure to parse argv itself. */
function jsonRequested(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--json' || /^-[a-zA-Z]*j[a-zA-Z]*$/.test(a));
}

function report(out: Output, error: CliError, command: string | undefined): void {
  out.result({ success: false, error: error.message, ...error.details });
  if (error.exitCode === EXIT.USAGE_ERROR) {
    const usage = helpText(command).split('\n\n')[0]!;
    out.error(`constellation: ${error.message}`);
    out.error(usage);
    out.error(`Run 'constellation ${command ? `${command} ` : ''}--help' for more.`);
  } else {
    out.error(out.fail(error.message));
  }
}

function internalError(e: unknown, verbose: boolean): CliError {
  const message = e instanceof Error ? e.message : String(e);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return new CliError(EXIT.RUNTIME_ERROR, `unexpected error: ${message}`);
}

async function dispatch(args: ParsedArgs, out: Output, env: Env, config: ReturnType<typeof readConfigFile>): Promise<ExitCode> {
  if (args.version) {
    out.line(`constellation ${version()}`);
    out.result({ success: true, version: version() });
    return EXIT.SUCCESS;
  }
  if (args.help || args.command === 'help') {
    const topic = args.command === 'help' ? args.args[0] : args.command;
    out.raw(helpText(topic));
    out.result({ success: true, help: helpText(topic) });
    return EXIT.SUCCESS;
  }
  if (args.command === undefined) throw new CliError(EXIT.USAGE_ERROR, 'no command given');
  const load = LOADERS[args.command];
  if (!load) throw new CliError(EXIT.USAGE_ERROR, `unknown command '${args.command}' (expected one of ${COMMANDS.join(', ')})`);
  checkOptions(args.command, args);
  const cli: CommandContext = { args, out, env, config };
  return (await load())(cli);
}

interface Outcome {
  readonly code: ExitCode;
  /** `serve` started the server (or `provide` a provider): the process stays up until a signal. */
  readonly serving: boolean;
}

/** Runs one invocation (never throws). */
async function cli(argv: readonly string[], env: Env = process.env): Promise<Outcome> {
  const config = readConfigFile(env);
  let out = new Output(jsonRequested(argv) || config.defaults?.output === 'json', false, false);
  let args: ParsedArgs | undefined;
  try {
    args = parseCommandLine(argv);
    out = new Output(args.json || config.defaults?.output === 'json', args.quiet, args.verbose);
    const code = await dispatch(args, out, env, config);
    const longRunning = args.command === 'serve' || args.command === 'provide';
    return { code, serving: code === EXIT.SUCCESS && longRunning && !args.help && !args.version };
  } catch (e) {
    const error = e instanceof CliError ? e : internalError(e, args?.verbose ?? false);
    report(out, error, args?.command !== undefined && args.command in LOADERS ? args.command : undefined);
    return { code: error.exitCode, serving: false };
  }
}

async function entry(): Promise<void> {
  const { code, serving } = await cli(process.argv.slice(2));
  if (serving) return; // the server keeps the process alive until a signal
  process.exitCode = code;
  // A safety net: nothing the client starts should outlive it, but never hang a script.
  setTimeout(() => process.exit(code), 2000).unref();
}

await entry();
