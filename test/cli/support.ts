import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Shared helpers of the CLI tests (not a test file itself): spawn the compiled client
 * (`node dist/bin/constellation.js …`) in a scratch directory with a clean environment, write
 * .cst files there, find a closed port (a real server in this process: helpers/server.ts).
 */

export const CLI = fileURLToPath(new URL('../../bin/constellation.js', import.meta.url));
export const PACKAGE_JSON = fileURLToPath(new URL('../../../package.json', import.meta.url));
/** The repo's zod, for module files written into temp directories. */
export const ZOD_URL = import.meta.resolve('zod');
export const DEFINE_URL = new URL('../../runtime/modules/define.js', import.meta.url).href;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/** The environment every spawned client starts from: no inherited CONSTELLATION_*, no colour. */
export function baseEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CONSTELLATION_')) env[k] = v;
  return { ...env, HOME: home, USERPROFILE: home, NO_COLOR: '1', CONSTELLATION_WORKERS: '1' };
}

/** A scratch directory (also HOME, so no real ~/.constellation/config.json is read). */
export class Scratch {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Scratch> {
    return new Scratch(await mkdtemp(join(tmpdir(), 'constellation-cli-')));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async write(name: string, text: string): Promise<string> {
    await writeFile(this.path(name), text);
    return this.path(name);
  }

  /** Runs the client; never rejects (a non-zero exit is a result). */
  run(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    const env: Record<string, string> = baseEnv(this.dir);
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: options.cwd ?? this.dir, env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Starts the client without waiting for it (for `serve`). */
  spawn(args: readonly string[], env: Readonly<Record<string, string>> = {}): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], { cwd: this.dir, env: { ...baseEnv(this.dir), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A JSON module file defining `Shout(text) -> String` (uppercase + "!"), for --modules. */
export function shoutModuleSource(name = 'Shout'): string {
  return [
    `import { z } from '${ZOD_URL}';`,
    `import { defineModule } from '${DEFINE_URL}';`,
    `export const m = defineModule({ name: '${name}', input: z.object({ text: z.string() }), output: z.object({ out: z.string() }), run: ({ text }) => ({ out: text.toUpperCase() + '!' }) });`,
    '',
  ].join('\n');
}

/** The one JSON object a `--json` invocation prints. */
export function parseJson(stdout: string): Record<string, any> {
  const lines = stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected exactly one line of JSON, got ${lines.length}:\n${stdout}`);
  return JSON.parse(lines[0]!) as Record<string, any>;
}

/** A port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export type StubHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A plain node:http server answering with `handler`, for replies a real server rarely gives. */
export async function startStub(handler: StubHandler): Promise<{ url: string; close(): Promise<void> }> {
  const srv = createHttpServer(handler);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      srv.closeAllConnections();
      srv.close(() => resolve());
    }),
  };
}

export const OK_SOURCE = 'in name: String\nin n: Int\ngreeting = Uppercase(name)\ntotal = n + 1\nout greeting\nout total\n';
export const BAD_SOURCE = 'in name: String\ngreeting = Upercase(nme)\nout greeting\n';
export const FAIL_SOURCE = 'in r: String\nx = AlwaysFailsService(r)\nout x\n';
