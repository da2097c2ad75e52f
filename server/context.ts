import type { ProviderAdvertising } from '../cluster/provider-advertisement.js';
import type { Engine } from '../runtime/engine/engine.js';
import type { ExecutionControl } from '../runtime/engine/execution-control.js';
import type { ExecutionStorage, ResultCacheInvalidation } from '../runtime/engine/spi.js';
import type { ExecutionEventHub } from '../runtime/events/execution-events.js';
import type { SuspensionStore } from '../runtime/stores/suspension-store.js';
import type { PipelineCatalogue } from '../runtime/pipelines/catalogue.js';
import type { Config } from './config.js';
import type { Diagnostics } from './diagnostics.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

/** Everything a route handler may use; assembled once in app.ts. */
export interface ServerContext {
  readonly config: Config;
  readonly engine: Engine;
  /** The owner of pipeline names: images, aliases, versions, canaries. */
  readonly pipelines: PipelineCatalogue;
  readonly suspensions: SuspensionStore;
  /** Status, cancellation, background runs and step-through of executions by id. */
  readonly executions: ExecutionControl;
  /** Clears module results here (and, in a cluster, everywhere). */
  readonly resultCaches: ResultCacheInvalidation;
  readonly lifecycle: Lifecycle;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Live execution events (the `/api/v1/executions/events` WebSocket), fed by the engine. */
  readonly events: ExecutionEventHub;
  /** The dashboard's execution history (the `executionHistory` backend). */
  readonly history: ExecutionStorage;
  /** The memory budget of the embedded pipeline store (images read from disk), when it is in use. */
  readonly pipelineMemory?: () => { readonly residentImages: number; readonly unpinnedHeapBytes: number; readonly maxBytes: number };
  /** Readiness checks and probe sections added by attached parts (the cluster). */
  readonly diagnostics: Diagnostics;
  /** In cluster mode: where a provider port advertises its providers to the other instances. */
  readonly providerAdvertising?: ProviderAdvertising;
}
