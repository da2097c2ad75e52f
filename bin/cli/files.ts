import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { CliError, usageError } from './exit.js';

/**
 * Reading what the user points the client at: pipeline sources (UTF-8,
 * symlinks resolved; a missing file or a directory is a usage error) and the `--inputs` JSON file
 * (≤ 10 MiB, a JSON object). Every failure is a usage error (exit 10).
 */

export const MAX_INPUT_FILE_BYTES = 10 * 1024 * 1024;

export interface SourceFile {
  /** The path as the user wrote it (used in diagnostics). */
  readonly path: string;
  /** File name without `.cst` (the pipeline name for `POST /compile`). */
  readonly stem: string;
  readonly text: string;
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

/** Resolves symlinks and checks the target is a regular file no larger than `maxBytes`. */
async function regularFile(path: string, what: string, maxBytes: number): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
    const info = await stat(real);
    if (info.isDirectory()) throw usageError(`${what} '${path}' is a directory`);
    if (!info.isFile()) throw usageError(`${what} '${path}' is not a regular file`);
    if (info.size > maxBytes) throw usageError(`${what} '${path}' is too large: ${info.size} bytes (max ${maxBytes})`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError(`cannot read ${what} '${path}': ${reason(e)}`);
  }
  return real;
}

async function readText(path: string, what: string, maxBytes: number): Promise<string> {
  const real = await regularFile(path, what, maxBytes);
  try {
    return await readFile(real, 'utf8');
  } catch (e) {
    throw usageError(`cannot read ${what} '${path}': ${reason(e)}`);
  }
}

/** Reads a pipeline source file. */
export async function readSource(path: string): Promise<SourceFile> {
  const text = await readText(path, 'source file', 64 * 1024 * 1024);
  const name = basename(path);
  const stem = extname(name) === '.cst' ? name.slice(0, -4) : name;
  return { path, stem, text };
}

const InputsObject = z.record(z.string(), z.unknown());

/** Reads the `--inputs` file: a JSON object of input values. */
export async function readInputsFile(path: string): Promise<Record<string, unknown>> {
  const text = await readText(path, 'inputs file', MAX_INPUT_FILE_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw usageError(`inputs file '${path}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = Array.isArray(json) ? undefined : InputsObject.safeParse(json);
  if (!parsed?.success) throw usageError(`inputs file '${path}' must contain a JSON object of input values`);
  // the parsed JSON itself, not zod's copy: keeps a literal "__proto__" key an ordinary key
  return json as Record<string, unknown>;
}
