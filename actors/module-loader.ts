import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isModule, type ConstellationModule } from '../runtime/modules/define.js';

/**
 * Loads module files by path (the configuration lists them): every exported module, or array of
 * modules, is collected. The same files are imported again inside each worker thread, which is
 * how module code reaches the pool (functions cannot cross threads).
 */
export interface LoadedModule {
  readonly module: ConstellationModule;
  readonly file: string;
}

/** Every module exported by a module file's namespace (directly or in arrays). */
export function modulesOf(namespace: Record<string, unknown>): ConstellationModule[] {
  const found: ConstellationModule[] = [];
  const collect = (v: unknown): void => {
    if (isModule(v)) found.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
  };
  Object.values(namespace).forEach(collect);
  return found;
}

export async function loadModuleFiles(files: readonly string[]): Promise<LoadedModule[]> {
  const out: LoadedModule[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const file = resolve(f);
    let ns: Record<string, unknown>;
    try {
      ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`cannot load module file ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const module of modulesOf(ns)) {
      if (seen.has(module.id)) continue;
      seen.add(module.id);
      out.push({ module, file });
    }
  }
  return out;
}
