import type { ErrorCode } from '../error-codes.js';
import type { Value } from '../values/value.js';
import type { DagVizIR } from '../viz/types.js';

/**
 * Service-provider interfaces of the engine. The engine depends only on these;
 * implementations live outside its core (in-memory and file defaults in runtime/stores/, NATS
 * ones in cluster/). Observability SPIs never propagate errors into executions.
 */

export interface ExecutionListener {
  onExecutionStart?(executionId: string, dagName: string): void;
  onModuleStart?(executionId: string, nodeId: number, moduleName: string): void;
  onModuleComplete?(executionId: string, nodeId: number, moduleName: string, durationMs: number, info: { attempts: number; cacheHit: boolean }): void;
  onModuleFailed?(executionId: string, nodeId: number, moduleName: string, error: NodeErrorInfo): void;
  onNodeStateChanged?(executionId: string, nodeId: number, state: NodeState): void;
  onExecutionComplete?(executionId: string, dagName: string, succeeded: boolean, durationMs: number): void;
  onExecutionCancelled?(executionId: string, dagName: string): void;
  onCircuitStateChanged?(moduleName: string, from: CircuitState, to: CircuitState): void;
  /** A `front` module held the event loop for `syncMs` in one stretch (every request waited). */
  onFrontModuleStall?(moduleName: string, syncMs: number): void;
}

export interface MetricsProvider {
  counter(name: string, tags?: Record<string, string>, value?: number): void;
  histogram(name: string, value: number, tags?: Record<string, string>): void;
  gauge(name: string, value: number, tags?: Record<string, string>): void;
}

export type NodeState = 'pending' | 'blocked' | 'ready' | 'running' | 'completed' | 'failed' | 'timed_out' | 'skipped' | 'untaken' | 'cancelled';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface NodeErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  readonly attempts?: number;
  readonly attemptErrors?: readonly string[];
}

/** Cache entries hold engine values; a backend that leaves the process serialises them. */
export interface CacheEntry {
  readonly value: Value;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
  maxSize?: number;
  hitRatio: number;
}

/** What to drop from a result cache: one entry, every entry of one module, or everything. */
export type CacheScope = { readonly key: string } | { readonly module: string } | 'all';

/**
 * A module result cache. Reads and writes may be sync (in-memory) or async (a network cache):
 * the node actor handles both, and a backend that fails is a miss, never a failed call.
 * Invalidation is scoped so a cluster can broadcast "module X changed" without flushing
 * everything; it answers how many entries it dropped (a network backend may answer an estimate).
 */
export interface CacheBackend {
  /** `module`: the module whose result is asked for (a shared backend may key by it). */
  get(key: string, module?: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /** `module`: the module whose result this is (the scope of module invalidation). */
  set(key: string, value: Value, ttlMs: number, module: string): void | Promise<void>;
  invalidate(scope: CacheScope): number | Promise<number>;
  /**
   * Drops only what this process holds (an in-memory copy in front of a shared store): what a
   * cluster does when another instance announces an invalidation it already applied to the
   * shared store. A backend without it holds nothing of its own.
   */
  invalidateLocal?(scope: CacheScope): number;
  stats(): CacheStats;
}

/**
 * Clearing module results on request (the admin's `DELETE /cache`): this instance's backends,
 * and in a cluster every other instance's too. `propagated` is null on a single instance and
 * false when the others could not be told (they then drop their entries within their bounded
 * TTL, and flush after reconnecting).
 */
export interface ResultCacheInvalidation {
  invalidate(scope: CacheScope): Promise<{ readonly cleared: number; readonly propagated: boolean | null }>;
}

export interface CircuitBreaker {
  readonly name: string;
  /** May a call start now? (Counts a rejection when not.) */
  tryAcquire(): boolean;
  onSuccess(): void;
  onFailure(): void;
  /** A permit that ended with neither outcome (cancelled, skipped). */
  release?(): void;
  readonly state: CircuitState;
  stats(): { state: CircuitState; consecutiveFailures: number; totalSuccesses: number; totalFailures: number; totalRejected: number };
  reset(): void;
}

/**
 * A breaker's change of state, as one instance tells the others. `epoch` counts the module's
 * transitions (every instance's, as far as this one knows): a transition whose epoch is not
 * newer than the local one is stale and ignored, so replays and crossed messages are harmless;
 * two instances deciding at once produce the same epoch and each keeps its own (the next
 * transition settles it). `remainingOpenMs` says how much of the open period is left, so the
 * receiver's half-open probe comes when the sender's would, whatever the clocks say.
 */
export interface BreakerTransition {
  readonly module: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly epoch: number;
  /** For `to: 'open'`: milliseconds until a probe may go; 0 otherwise. */
  readonly remainingOpenMs: number;
}

export type BreakerObserver = (transition: BreakerTransition, origin: 'local' | 'adopted') => void;

/**
 * Circuit breakers by module. Synchronous: a breaker is consulted on every module call, so its
 * state is local; a cluster keeps instances in step by publishing what `observe` reports and
 * feeding what others publish to `adopt`.
 */
export interface CircuitBreakerRegistry {
  forModule(name: string): CircuitBreaker;
  all(): Record<string, ReturnType<CircuitBreaker['stats']>>;
  /** Applies a transition decided elsewhere; false when it is stale (not newer than the local epoch). */
  adopt(transition: BreakerTransition): boolean;
  /** Hears every transition, local or adopted; returns the function that stops it. */
  observe(observer: BreakerObserver): () => void;
}

/**
 * Cancellation of one module call. Not an AbortSignal: adding the first listener to a fresh
 * AbortSignal costs ~2.7 µs in Node 20 (measured), more than the rest of a module call on the
 * coordinator; a token is a flag and a callback.
 */
export interface CancelToken {
  readonly cancelled: boolean;
  readonly reason: unknown;
  /** Calls `fn` once when the call is cancelled (at once if it already is). */
  onCancel(fn: (reason: unknown) => void): void;
}

/** Runs a module body outside the coordinator (the worker pool implements it). */
export interface ModuleInvoker {
  invoke(request: InvokeRequest, token: CancelToken): Promise<Value>;
  close?(): Promise<void>;
}

export interface InvokeRequest {
  readonly moduleId: string;
  readonly file: string;
  readonly args: readonly Value[];
  readonly attempt: number;
  readonly executionId: string;
}

/** Spans around executions and module calls; the body runs inside the span. */
export interface TracerProvider {
  span<T>(name: string, attributes: Readonly<Record<string, string | number | boolean>>, body: () => T): T;
}

/** A finished or running execution kept for history (the dashboard's list). */
export interface StoredExecution {
  readonly executionId: string;
  readonly dagName: string;
  readonly scriptPath?: string;
  readonly startTime: number;
  readonly endTime?: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs?: Readonly<Record<string, unknown>>;
  readonly status: 'Running' | 'Completed' | 'Failed';
  readonly nodeResults: Readonly<Record<string, { readonly nodeId: string; readonly status: string; readonly value?: unknown; readonly durationMs?: number; readonly error?: string }>>;
  /** The graph of the image that ran, without states (states come from `nodeResults` when read). */
  readonly dagVizIR?: DagVizIR;
  /** The sampling probability under which the run was stored. */
  readonly sampleRate?: number;
  /** The run's error message when it failed. */
  readonly error?: string;
  readonly source: 'Dashboard' | 'VSCodeExtension' | 'API';
}

export interface ExecutionStorageStats {
  readonly totalExecutions: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly oldestExecutionTime: number | null;
  readonly newestExecutionTime: number | null;
  readonly maxCapacity: number;
}

/** Execution history: bounded, newest first, values truncated when large. */
export interface ExecutionStorage {
  store(execution: StoredExecution): Promise<string>;
  get(executionId: string): Promise<StoredExecution | undefined>;
  list(limit: number, offset: number): Promise<StoredExecution[]>;
  /** Newest first, the executions whose `scriptPath` contains `scriptPath` (a filter box's text). */
  listByScript(scriptPath: string, limit: number): Promise<StoredExecution[]>;
  update(executionId: string, change: (current: StoredExecution) => StoredExecution): Promise<StoredExecution | undefined>;
  delete(executionId: string): Promise<boolean>;
  clear(): Promise<void>;
  stats(): Promise<ExecutionStorageStats>;
}
