import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './exit.js';

/**
 * Command-line parsing: one `node:util` parseArgs pass over every option the client knows
 * (global ones from the reference's operations guide and the per-command ones), then a check that each
 * command-specific option is used only with a command that accepts it. Any problem is a usage
 * error (exit 10).
 */

const OPTIONS = {
  // global
  server: { type: 'string', short: 's' },
  token: { type: 'string', short: 't' },
  json: { type: 'boolean', short: 'j' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
  // compile / run
  remote: { type: 'boolean' },
  modules: { type: 'string', multiple: true },
  // run
  input: { type: 'string', short: 'i', multiple: true },
  async: { type: 'boolean' },
  inputs: { type: 'string' },
  'input-file': { type: 'string', short: 'f' },
  // viz
  format: { type: 'string', short: 'F' },
  // serve
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  // server executions list
  limit: { type: 'string', short: 'n' },
  // provide
  engine: { type: 'string', short: 'e', multiple: true },
  namespace: { type: 'string' },
  group: { type: 'string' },
  'executor-port': { type: 'string' },
  advertise: { type: 'string' },
  // lsp
  stdio: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export type OptionName = keyof typeof OPTIONS;

export interface ParsedArgs {
  /** First positional (`compile`, `run`, …), undefined when none. */
  readonly command: string | undefined;
  /** The positionals after the command. */
  readonly args: readonly string[];
  readonly server?: string;
  readonly token?: string;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly version: boolean;
  readonly help: boolean;
  readonly remote: boolean;
  /** run: start on the server and return at once (POST /run with "async": true). */
  readonly async: boolean;
  readonly modules: readonly string[];
  readonly input: readonly string[];
  readonly inputsFile?: string;
  readonly format?: string;
  readonly port?: string;
  readonly dataDir?: string;
  readonly limit?: string;
  /** `provide`: engine provider ports, namespace, group, executor port and advertised address. */
  readonly engine: readonly string[];
  readonly namespace?: string;
  readonly group?: string;
  readonly executorPort?: string;
  readonly advertise?: string;
  readonly stdio: boolean;
  /** Options actually given, for the per-command check. */
  readonly given: ReadonlySet<OptionName>;
}

const GLOBAL: readonly OptionName[] = ['server', 'token', 'json', 'quiet', 'verbose', 'version', 'help'];

/** Command-specific options each command accepts (global ones are accepted everywhere). */
const ACCEPTS: Readonly<Record<string, readonly OptionName[]>> = {
  compile: ['remote', 'modules'],
  run: ['remote', 'modules', 'input', 'inputs', 'input-file', 'async'],
  viz: ['modules', 'format'],
  serve: ['port', 'data-dir'],
  server: ['limit'],
  provide: ['engine', 'namespace', 'group', 'executor-port', 'advertise'],
  lsp: ['modules', 'stdio'],
  help: [],
};

export const COMMANDS = Object.keys(ACCEPTS);

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  const [command, ...args] = parsed.positionals;
  const given = new Set(Object.keys(v) as OptionName[]);
  if (v.inputs !== undefined && v['input-file'] !== undefined) throw usageError('use either --inputs or --input-file, not both');
  return {
    command,
    args,
    ...(v.server !== undefined ? { server: v.server } : {}),
    ...(v.token !== undefined ? { token: v.token } : {}),
    json: v.json ?? false,
    quiet: v.quiet ?? false,
    verbose: v.verbose ?? false,
    version: v.version ?? false,
    help: v.help ?? false,
    remote: v.remote ?? false,
    async: v.async ?? false,
    modules: (v.modules ?? []).flatMap(splitList),
    input: v.input ?? [],
    ...(v.inputs ?? v['input-file'] ? { inputsFile: (v.inputs ?? v['input-file'])! } : {}),
    ...(v.format !== undefined ? { format: v.format } : {}),
    ...(v.port !== undefined ? { port: v.port } : {}),
    ...(v['data-dir'] !== undefined ? { dataDir: v['data-dir'] } : {}),
    ...(v.limit !== undefined ? { limit: v.limit } : {}),
    engine: (v.engine ?? []).flatMap(splitList),
    ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
    ...(v.group !== undefined ? { group: v.group } : {}),
    ...(v['executor-port'] !== undefined ? { executorPort: v['executor-port'] } : {}),
    ...(v.advertise !== undefined ? { advertise: v.advertise } : {}),
    stdio: v.stdio ?? false,
    given,
  };
}

/** `a.js,b.js` → [`a.js`, `b.js`] (blank entries dropped). */
export function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Rejects options the command does not take (`viz --input x=1`). */
export function checkOptions(command: string, args: ParsedArgs): void {
  const accepted = new Set<OptionName>([...GLOBAL, ...(ACCEPTS[command] ?? [])]);
  for (const name of args.given) {
    if (!accepted.has(name)) throw usageError(`option --${name} is not valid for '${command}'`);
  }
}

/** Exactly `count` positionals after the command (words like `show` included by the caller). */
export function expectArgs(args: readonly string[], names: readonly string[], command: string): string[] {
  if (args.length < names.length) throw usageError(`'${command}' needs ${names.map((n) => `<${n}>`).join(' ')}`);
  if (args.length > names.length) throw usageError(`unexpected argument '${args[names.length]}' for '${command}'`);
  return [...args];
}
