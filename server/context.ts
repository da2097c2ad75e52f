import type { Engine } from '../runtime/engine/engine.js';
import type { SuspensionStore } from '../runtime/engine/suspension.js';
import type { PipelineStore } from '../runtime/stores/pipeline-store.js';
import type { CanaryRouter } from '../runtime/pipelines/canary-release.js';
import type { Config } from './config.js';
import type { KeyedLock } from '../runtime/pipelines/keyed-lock.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import type { VersionStore } from '../runtime/stores/version-store.js';

/** Everything a route handler may use; assembled once in app.ts. */
export interface ServerContext {
  readonly config: Config;
  readonly engine: Engine;
  readonly store: PipelineStore;
  readonly versions: VersionStore;
  readonly canaries: CanaryRouter;
  readonly suspensions: SuspensionStore;
  readonly lifecycle: Lifecycle;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Alias → .cst file it was loaded from (reload without a body re-reads it). */
  readonly pipelineFiles: Map<string, string>;
  /** Serialises the alias/version/canary updates of one pipeline name. */
  readonly names: KeyedLock;
}
