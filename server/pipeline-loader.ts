import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Engine } from '../runtime/engine/engine.js';
import { compileErrorLines } from '../runtime/language/diagnostic-wire.js';
import type { PipelineCatalogue } from '../runtime/pipelines/catalogue.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * The start-up pipeline loader: compiles every `.cst` file of a directory
 * before the server listens and aliases it by file name (or relative path, or not at all).
 * Files whose (syntactic hash, registry hash) is already indexed are skipped. With
 * fail-on-error, everything is compiled first and nothing is stored if any file fails.
 */

async function listCst(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && recursive) out.push(...(await listCst(path, true)));
    else if (entry.isFile() && entry.name.endsWith('.cst')) out.push(path);
  }
  return out.sort();
}

export interface LoaderDeps {
  readonly config: Config;
  readonly engine: Engine;
  readonly pipelines: PipelineCatalogue;
  readonly logger: Logger;
}

export async function loadPipelineDirectory(deps: LoaderDeps, dir: string): Promise<{ loaded: number; failed: number; skipped: number }> {
  const { config, engine, pipelines, logger } = deps;
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`CONSTELLATION_PIPELINE_DIR ${dir} is not a directory`);
  const files = await listCst(dir, config.pipelineRecursive);
  const failures: string[] = [];
  const seenAliases = new Map<string, string>();
  const compiled: { file: string; alias: string | null; source: string; result: ReturnType<typeof engine.compile>; skipped: boolean }[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    const source = bytes.toString('utf8');
    if (Buffer.from(source, 'utf8').compare(bytes) !== 0) {
      failures.push(`${file}: not valid UTF-8 (save the file as UTF-8)`);
      continue;
    }
    const stem = file.slice(file.lastIndexOf(sep) + 1, -4);
    const alias = config.pipelineAliasStrategy === 'hashonly' ? null : config.pipelineAliasStrategy === 'relativepath' ? relative(dir, file).split(sep).join('/').slice(0, -4) : stem;
    if (alias !== null) {
      const other = seenAliases.get(alias);
      if (other) {
        failures.push(`${file}: alias '${alias}' is already used by ${other}`);
        continue;
      }
      seenAliases.set(alias, file);
    }
    const result = engine.compile(source);
    if (!result.ok) {
      failures.push(`${file}: ${compileErrorLines(result.diagnostics).join('; ')}`);
      continue;
    }
    const skipped = pipelines.storedFor(result) === result.hashes.structural;
    compiled.push({ file, alias, source, result, skipped });
  }
  if (failures.length > 0 && config.pipelineFailOnError) {
    throw new Error(`pipeline loader: ${failures.length} file(s) failed, nothing stored:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  }
  for (const f of failures) logger.warn(`pipeline loader: ${f}`);
  let loaded = 0;
  let skippedCount = 0;
  for (const c of compiled) {
    if (c.alias === null) await pipelines.storeImage(c.result, c.source);
    else {
      const named = await pipelines.compileNamed(c.alias, c.result, c.source, c.file);
      if (!named.ok) throw new Error(`pipeline loader: ${c.file}: ${named.message}`);
    }
    if (c.skipped) skippedCount++;
    else loaded++;
  }
  logger.info({ loaded, failed: failures.length, skipped: skippedCount, dir }, 'pipeline loader finished');
  return { loaded, failed: failures.length, skipped: skippedCount };
}
