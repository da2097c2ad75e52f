/**
 * The public API of the package — and nothing else is public (as Chevrotain keeps one barrel):
 * module authoring, the compiler entry point, the engine and its SPIs, the runtime factory and
 * the server.
 */

// authoring modules
export { defineModule, type ConstellationModule, type ModuleContext, type ModuleSpec, type Placement } from './runtime/modules/define.js';

// the compiler
export { compile, parseSource, type CompileResult, type CompileOptions } from './runtime/compiler/compile.js';
export { CompileCache } from './runtime/compiler/cache.js';
export { FunctionRegistry, type FunctionSignature } from './runtime/compiler/registry.js';
export { parseDag, dagSchema } from './runtime/compiler/dag-schema.js';
export type { Dag, DagNode } from './runtime/compiler/dag.js';
export { toDot, toMermaid } from './runtime/compiler/render.js';
export { standardRegistry } from './runtime/stdlib/index.js';
export type { Diagnostic } from './runtime/language/diagnostics.js';

// the engine and its service-provider interfaces
export { Engine, InputError, type EngineOptions, type RunOptions, type ResumeRequest } from './runtime/engine/engine.js';
export type { ExecutionResult, ExecutionStatus, ExecutionFailure, NodeResult } from './runtime/engine/result.js';
export type {
  BreakerObserver, BreakerTransition, CacheBackend, CacheEntry, CacheScope, CacheStats, CircuitBreaker, CircuitBreakerRegistry, ExecutionListener, ExecutionStorage, MetricsProvider, ModuleInvoker, NodeState, StoredExecution, TracerProvider,
} from './runtime/engine/spi.js';
export { LocalExecutionControl, type ExecutionControl, type ExecutionStatusReport, type CancelOutcome, type StepAction, type StepReply } from './runtime/engine/execution-control.js';
export type { ExecutionSnapshot, SuspensionSummary } from './runtime/engine/suspension.js';
export type { SuspensionStore, SuspensionFilter, SuspensionClaim, SuspensionLimits, SuspensionPage, SuspensionUsage, SaveOutcome, ListRequest } from './runtime/stores/suspension-store.js';
export { SuspensionIndex } from './runtime/stores/suspension-index.js';
export { MemorySuspensionStore } from './runtime/stores/suspension-store.js';
export { BoundedScheduler, UnboundedScheduler, type Scheduler } from './runtime/engine/scheduler.js';
export { LocalBreakerRegistry, type BreakerConfig } from './runtime/engine/circuit-breaker.js';
export { MemoryCache } from './runtime/engine/result-cache.js';
export { StepSessions, type StepSession, type StepState } from './runtime/engine/stepper.js';
export type { PipelineStore, PipelineImage, ImageSummary, StoreChange } from './runtime/stores/pipeline-store.js';
export { AliasTable, ImageIndex, MemoryPipelineStore } from './runtime/stores/pipeline-store.js';
export { MemoryVersionStore, type VersionStore, type VersionHistory, type PipelineVersion } from './runtime/stores/version-store.js';
export { MemoryCanaryStore, type CanaryStore, type CanaryState, type CanaryConfig } from './runtime/stores/canary-store.js';
export type { Revisioned, CasOutcome } from './runtime/stores/revision.js';
export { MemoryExecutionStorage } from './runtime/stores/execution-history.js';
export { PipelineCatalogue, type CatalogueOptions } from './runtime/pipelines/catalogue.js';
export type { AnonymousImageLimits, EvictionReport } from './runtime/pipelines/image-retention.js';
export type { Backends } from './runtime/backends.js';
export { compositeListener } from './runtime/engine/composite-listener.js';
export { ExecutionEventHub, type ExecutionEvent, type EventSubscription, type InterestListener } from './runtime/events/execution-events.js';
export { dagToViz } from './runtime/viz/from-dag.js';
export { layoutGraph, type LayoutOptions, type LayoutResult } from './runtime/viz/layout.js';
export type { DagVizIR, VizNode, VizEdge, VizNodeKind, VizStatus } from './runtime/viz/types.js';
export { FilePipelineStore } from './server/stores/file-pipeline-store.js';
export { FileSuspensionStore } from './server/stores/file-suspension-store.js';
export { FileVersionStore } from './server/stores/file-version-store.js';
export { ConstellationError, CompileErrorCodes, RuntimeErrorCodes, ApiErrorCodes, ERROR_CODES, httpStatus, formatError, type ErrorCode } from './runtime/errors.js';

// engine + worker pool, and the server
export { createRuntime, EXAMPLE_MODULES_FILE, type Runtime, type RuntimeOptions } from './actors/runtime-factory.js';
export { WorkerPool, type WorkerPoolOptions } from './actors/pool.js';
export { createServer, type ConstellationServer, type ServerOptions } from './server/app.js';
export { loadConfig, type Config } from './server/config.js';
export type { AttachedListener, ServerHost } from './server/host/listener.js';

// module providers: the engine's provider port, and the kit that serves modules to it
export { ProviderListener } from './server/provider/listener.js';
export { ProviderPort, type ProviderPortOptions } from './server/provider/port.js';
export { loadProviderConfig, providerConfig, type ProviderConfig } from './server/provider/config.js';
export { serveProvider, dnsDiscovery, RegistrationRefused, type ServeProviderOptions, type ServedProvider, type ProviderStatus } from './server/provider/kit/index.js';
export type { RemoteModule, RemoteCallContext } from './runtime/engine/module-registry.js';
