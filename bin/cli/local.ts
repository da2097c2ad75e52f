import { availableParallelism } from 'node:os';
import { EXAMPLE_MODULES_FILE, createRuntime, type Runtime } from '../../actors/runtime-factory.js';
import { loadModuleFiles } from '../../actors/module-loader.js';
import { compile, type CompileResult } from '../../runtime/compiler/compile.js';
import { signatureOf } from '../../runtime/modules/define.js';
import { standardRegistry } from '../../runtime/stdlib/index.js';
import { splitList } from './args.js';
import type { Env } from './config.js';
import { CliError, EXIT, usageError } from './exit.js';

/**
 * Local (serverless) compilation and execution: the standard library, the example module pack
 * (unless CONSTELLATION_EXAMPLE_MODULES is false) and the module files named by `--modules` and
 * CONSTELLATION_MODULES — the same set a server started with that environment would have.
 */

const FALSY = new Set(['false', '0', 'no', 'off']);

/** Every module file to load, examples first. */
export function moduleFiles(flagged: readonly string[], env: Env): string[] {
  const examples = !FALSY.has((env.CONSTELLATION_EXAMPLE_MODULES ?? '').trim().toLowerCase());
  return [...(examples ? [EXAMPLE_MODULES_FILE] : []), ...splitList(env.CONSTELLATION_MODULES ?? ''), ...flagged];
}

/** Imports the module files for their signatures (a bad file is a usage error). */
export async function compileLocally(source: string, files: readonly string[]): Promise<CompileResult> {
  let loaded;
  try {
    loaded = await loadModuleFiles(files);
  } catch (e) {
    throw usageError(e instanceof Error ? e.message : String(e));
  }
  return compile(source, standardRegistry(loaded.map((l) => signatureOf(l.module))));
}

/** Worker threads for a local run: CONSTELLATION_WORKERS, else up to 4. */
function workerThreads(env: Env): number {
  const n = Number(env.CONSTELLATION_WORKERS);
  return Number.isInteger(n) && n > 0 ? n : Math.max(1, Math.min(4, availableParallelism()));
}

/** Starts an in-process runtime (engine + worker pool); the caller must `close()` it. */
export async function startRuntime(files: readonly string[], env: Env, warn: (message: string) => void): Promise<Runtime> {
  try {
    return await createRuntime({ moduleFiles: files, pool: { threads: workerThreads(env) }, warn });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw message.startsWith('cannot load module file') ? usageError(message) : new CliError(EXIT.RUNTIME_ERROR, `cannot start the runtime: ${message}`);
  }
}
