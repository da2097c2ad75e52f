import { fileURLToPath } from 'node:url';
import { Engine, type EngineOptions } from '../runtime/engine/engine.js';
import { loadModuleFiles } from './module-loader.js';
import { WorkerPool, type WorkerPoolOptions } from './pool.js';

/**
 * Assembles an engine with its worker pool: loads the module files, starts the pool with those
 * files preloaded in every worker, registers the modules. The one place that wires `runtime/`
 * to `actors/`.
 */

/** The example module pack shipped with the project (compiled location). */
export const EXAMPLE_MODULES_FILE = fileURLToPath(new URL('../examples/modules/index.js', import.meta.url));

export interface RuntimeOptions extends Omit<EngineOptions, 'modules' | 'invoker'> {
  readonly moduleFiles?: readonly string[];
  readonly pool?: WorkerPoolOptions;
}

export interface Runtime {
  readonly engine: Engine;
  readonly pool: WorkerPool;
  close(): Promise<void>;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const loaded = await loadModuleFiles(options.moduleFiles ?? []);
  const workerFiles = [...new Set(loaded.filter((l) => l.module.placement === 'worker').map((l) => l.file))];
  const pool = new WorkerPool({ ...options.pool, preload: [...(options.pool?.preload ?? []), ...workerFiles] });
  const engine = new Engine({ ...options, invoker: pool, modules: loaded });
  return {
    engine,
    pool,
    close: async () => {
      await engine.close();
    },
  };
}
