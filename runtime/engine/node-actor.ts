import type { ModuleNode } from '../compiler/dag.js';
import { ConstellationError, type ErrorCode } from '../errors.js';
import type { Value } from '../values/value.js';
import { zeroValue } from '../values/zero.js';
import { invokeModule, sleep } from '../modules/call.js';
import type { ModuleContext } from '../modules/define.js';
import type { CacheRegistry } from './result-cache.js';
import { cacheKey } from './result-cache.js';
import { abortableDelay, type ModuleLimits } from './limits.js';
import type { ModuleEntry, ModuleRegistry } from './module-registry.js';
import type { Scheduler } from './scheduler.js';
import type { CancelToken, CircuitBreakerRegistry, ExecutionListener, MetricsProvider, ModuleInvoker, NodeErrorInfo } from './spi.js';

/**
 * The node actor: runs one module node with its `with` options on the normal execution path
 * (the reference compiles these options but never applies them). Order (docs/decisions.md #9,
 * outermost first): priority (scheduler slot) → throttle token → concurrency permit → cache
 * lookup → circuit breaker → attempts (each under its own timeout; retries with delay/backoff) →
 * on final failure: the fallback (a recover node downstream) if there is one, else `on_error`.
 * Only successes are cached; concurrent misses for one key share one computation.
 */

/**
 * What every node of every execution shares (registry, scheduler, breakers, caches, …), passed
 * as `env`. Names: `ctx` always means a module's call context (`run(input, ctx)`), `context` the
 * server's state (ServerContext), `cli` a CLI command's context.
 */
export interface EngineContext {
  readonly modules: ModuleRegistry;
  readonly invoker: ModuleInvoker | undefined;
  readonly scheduler: Scheduler;
  readonly breakers: CircuitBreakerRegistry;
  readonly caches: CacheRegistry;
  readonly limits: ModuleLimits;
  readonly listener: ExecutionListener | undefined;
  readonly metrics: MetricsProvider | undefined;
  /** Per-attempt limit for modules whose call has no `timeout` option (undefined = none). */
  readonly defaultModuleTimeoutMs: number | undefined;
  /** Synchronous time of one `front` call from which it is reported as stalling the loop. */
  readonly frontStallMs: number;
  readonly warn: (message: string, fields?: Record<string, unknown>) => void;
  readonly inflight: Map<string, Promise<NodeOutcome>>;
}

export type NodeOutcome =
  | { readonly ok: true; readonly value: Value; readonly attempts: number; readonly cacheHit: boolean; readonly durationMs: number; readonly recovered?: boolean }
  | { readonly ok: false; readonly error: NodeErrorInfo; readonly timedOut: boolean; readonly attempts: number; readonly durationMs: number };

export interface NodeRun {
  readonly executionId: string;
  readonly callSite: string;
  /** The node's id in its DAG, and the DAG's structural hash (for remote calls' metadata). */
  readonly nodeId: number;
  readonly structuralHash: string;
  /** When the execution's time limit ends (epoch ms), if it has one. */
  readonly deadline: number | undefined;
  /** The execution's signal (for waits of the options path: scheduler, throttle, delays). */
  readonly signal: AbortSignal;
  /** Registers a call to be cancelled with the execution (until untracked). */
  track(token: CallToken): void;
  untrack(token: CallToken): void;
}

const MAX_BACKOFF_MS = 30_000;

export function backoffDelay(strategy: 'fixed' | 'linear' | 'exponential' | undefined, baseMs: number, retry: number): number {
  const d = strategy === 'linear' ? retry * baseMs : strategy === 'exponential' ? 2 ** (retry - 1) * baseMs : baseMs;
  return Math.min(MAX_BACKOFF_MS, d);
}

export async function runNode(env: EngineContext, run: NodeRun, node: ModuleNode, entry: ModuleEntry, args: readonly Value[]): Promise<NodeOutcome> {
  const opts = node.options ?? {};
  const started = performance.now();
  const release = env.scheduler.bounded ? await env.scheduler.acquire(opts.priority ?? 50, run.signal) : undefined;
  try {
    if (opts.throttleCount && opts.throttlePerMs) await env.limits.bucket(entry.id, opts.throttleCount, opts.throttlePerMs).take(run.signal);
    const permit = opts.concurrency ? await env.limits.semaphore(entry.id, opts.concurrency).acquire(run.signal) : undefined;
    try {
      return await protectedRun(env, run, node, entry, args, started);
    } finally {
      permit?.();
    }
  } catch (e) {
    return { ok: false, error: errorInfo(e, 'ModuleFailed'), timedOut: false, attempts: 0, durationMs: performance.now() - started };
  } finally {
    release?.();
  }
}

async function protectedRun(env: EngineContext, run: NodeRun, node: ModuleNode, entry: ModuleEntry, args: readonly Value[], started: number): Promise<NodeOutcome> {
  const opts = node.options ?? {};
  // A cache hit calls no module, so it is served before the breaker is consulted: an open
  // circuit rejects calls, not remembered results.
  const cache = opts.cacheMs ? { backend: env.caches.get(opts.cacheBackend), key: cacheKey(entry.id, entry.version, run.callSite, entry.signature.params, args) } : undefined;
  if (cache) {
    // a failing cache backend is a miss, never a failed call
    const hit = await Promise.resolve()
      .then(() => cache.backend.get(cache.key, entry.id))
      .catch((e: unknown) => {
        env.warn(`cache backend get failed: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
    if (hit) return { ok: true, value: hit.value, attempts: 0, cacheHit: true, durationMs: performance.now() - started };
  }
  const breaker = entry.placement === 'inline' ? undefined : env.breakers.forModule(entry.id);
  if (breaker && !breaker.tryAcquire()) {
    return finalFailure(env, node, { code: 'CircuitOpen', message: `circuit breaker open for module '${entry.id}'` }, false, 0, started);
  }
  let outcome: NodeOutcome;
  if (cache) {
    for (;;) {
      let shared = env.inflight.get(cache.key);
      const joined = shared !== undefined;
      if (!shared) {
        shared = attempts(env, run, node, entry, args, started).then(async (o) => {
          if (o.ok) {
            try {
              await cache.backend.set(cache.key, o.value, opts.cacheMs!, entry.id);
            } catch (e) {
              env.warn(`cache backend set failed: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
          return o;
        });
        env.inflight.set(cache.key, shared);
        void shared.finally(() => env.inflight.delete(cache.key));
      }
      outcome = await shared;
      // the computation joined ran under another execution's signal, which was cancelled: that
      // is no outcome for this execution, so compute again (or join whoever does)
      if (joined && !outcome.ok && outcome.error.code === 'Cancelled' && !run.signal.aborted) continue;
      break;
    }
  } else {
    outcome = await attempts(env, run, node, entry, args, started);
  }
  if (breaker) {
    if (outcome.ok) breaker.onSuccess();
    else if (outcome.error.code === 'Cancelled') breaker.release?.();
    else breaker.onFailure();
  }
  if (outcome.ok) return outcome;
  return finalFailure(env, node, outcome.error, outcome.timedOut, outcome.attempts, started);
}

/** Without a fallback, `on_error: skip | log` turn the final failure into the zero value. */
function finalFailure(env: EngineContext, node: ModuleNode, error: NodeErrorInfo, timedOut: boolean, attemptCount: number, started: number): NodeOutcome {
  const opts = node.options ?? {};
  if (!opts.hasFallback && (opts.onError === 'skip' || opts.onError === 'log') && error.code !== 'Cancelled') {
    if (opts.onError === 'log') env.warn(`[${node.module}] failed: ${error.message}. Skipping with zero value.`, { module: node.module, code: error.code });
    return { ok: true, value: zeroValue(node.type), attempts: attemptCount, cacheHit: false, durationMs: performance.now() - started, recovered: true };
  }
  return { ok: false, error, timedOut, attempts: attemptCount, durationMs: performance.now() - started };
}

async function attempts(env: EngineContext, run: NodeRun, node: ModuleNode, entry: ModuleEntry, args: readonly Value[], started: number): Promise<NodeOutcome> {
  const opts = node.options ?? {};
  const retries = opts.retry ?? 0;
  const timeoutMs = opts.timeoutMs ?? entry.timeoutMs ?? env.defaultModuleTimeoutMs;
  const errors: NodeErrorInfo[] = [];
  let lastTimedOut = false;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (run.signal.aborted) return { ok: false, error: { code: 'Cancelled', message: 'the execution was cancelled' }, timedOut: false, attempts: attempt - 1, durationMs: performance.now() - started };
    if (attempt > 1 && opts.delayMs) {
      try {
        await abortableDelay(backoffDelay(opts.backoff, opts.delayMs, attempt - 1), run.signal);
      } catch {
        return { ok: false, error: { code: 'Cancelled', message: 'the execution was cancelled' }, timedOut: false, attempts: attempt - 1, durationMs: performance.now() - started };
      }
    }
    try {
      const value = await oneAttempt(env, run, entry, args, attempt, timeoutMs);
      return { ok: true, value, attempts: attempt, cacheHit: false, durationMs: performance.now() - started };
    } catch (e) {
      const info = errorInfo(e, 'ModuleFailed');
      errors.push(info);
      lastTimedOut = info.code === 'ModuleTimeout';
      if (info.code === 'Cancelled') return { ok: false, error: info, timedOut: false, attempts: attempt, durationMs: performance.now() - started };
      // a failure that another attempt cannot change (a wrong type, an unknown module) ends the attempts
      if (isPermanent(e)) return { ok: false, error: info, timedOut: false, attempts: attempt, durationMs: performance.now() - started };
    }
  }
  if (retries === 0) return { ok: false, error: errors[0]!, timedOut: lastTimedOut, attempts: 1, durationMs: performance.now() - started };
  return {
    ok: false,
    error: {
      code: 'RetriesExhausted',
      message: `Operation failed after ${retries + 1} attempts: ${errors[errors.length - 1]!.message}`,
      attempts: retries + 1,
      attemptErrors: errors.map((e) => `${e.code}: ${e.message}`),
    },
    timedOut: lastTimedOut,
    attempts: retries + 1,
    durationMs: performance.now() - started,
  };
}

/** An error that says retrying is pointless: a ConstellationError with `details.retryable === false`. */
function isPermanent(e: unknown): boolean {
  return e instanceof ConstellationError && e.details?.['retryable'] === false;
}

/**
 * Cancellation of one call (an attempt): a flag, the callbacks waiting for it, and an
 * AbortController only if someone asks for a signal (module code reading `ctx.signal`).
 */
export class CallToken implements CancelToken {
  cancelled = false;
  reason: unknown = undefined;
  private waiting: ((reason: unknown) => void) | ((reason: unknown) => void)[] | undefined;
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  onCancel(fn: (reason: unknown) => void): void {
    if (this.cancelled) fn(this.reason);
    else if (this.waiting === undefined) this.waiting = fn;
    else if (Array.isArray(this.waiting)) this.waiting.push(fn);
    else this.waiting = [this.waiting, fn];
  }

  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const w = this.waiting;
    this.waiting = undefined;
    if (typeof w === 'function') w(reason);
    else if (w) for (const fn of w) fn(reason);
  }
}

/** The context a `front` module call sees (its signal is the call token's). */
class FrontCall implements ModuleContext {
  constructor(private readonly run: NodeRun, private readonly entry: ModuleEntry, readonly attempt: number, readonly token: CallToken) {}

  get executionId(): string {
    return this.run.executionId;
  }

  get state(): unknown {
    return this.entry.state;
  }

  get signal(): AbortSignal {
    return this.token.signal;
  }

  sleep(ms: number): Promise<void> {
    return sleep(ms, this.token.signal);
  }
}

function timeoutError(timeoutMs: number): ConstellationError {
  return new ConstellationError('ModuleTimeout', `Operation timed out after ${timeoutMs}ms`);
}

/**
 * Races a module's promise against the attempt's timeout and the call's cancellation. With
 * `lateIsTimeout` (front modules), a result that settles after the deadline is a timeout too:
 * code that blocks the event loop delays the timer past the moment its own result settles. (A
 * worker's result that waits for a busy main thread is not the module's fault.)
 */
function guard(body: Promise<Value>, token: CallToken, timeoutMs: number | undefined, done: () => void, lateIsTimeout = false): Promise<Value> {
  const deadline = timeoutMs === undefined || !lateIsTimeout ? Infinity : performance.now() + timeoutMs;
  return new Promise<Value>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return false;
      settled = true;
      if (timer) clearTimeout(timer);
      done();
      return true;
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => token.cancel(timeoutError(timeoutMs)), timeoutMs);
    }
    token.onCancel((reason) => {
      if (finish()) reject(reason);
    });
    body.then(
      (v) => {
        if (performance.now() > deadline) token.cancel(timeoutError(timeoutMs!));
        else if (finish()) resolve(v);
      },
      (e) => {
        if (finish()) reject(e);
      },
    );
  });
}

/** One attempt under its timeout; the module sees an AbortSignal that fires on timeout or cancel. */
function oneAttempt(env: EngineContext, run: NodeRun, entry: ModuleEntry, args: readonly Value[], attempt: number, timeoutMs: number | undefined): Promise<Value> {
  try {
    const out = frontOrInlineAttempt(env, run, entry, args, attempt, timeoutMs);
    return out instanceof Promise ? out : Promise.resolve(out);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** An attempt that may complete synchronously (inline functions, synchronous front modules). */
function frontOrInlineAttempt(env: EngineContext, run: NodeRun, entry: ModuleEntry, args: readonly Value[], attempt: number, timeoutMs: number | undefined): Value | Promise<Value> {
  if (entry.placement === 'inline') return entry.pure!(args);
  const token = new CallToken();
  if (entry.placement === 'remote') {
    run.track(token);
    let deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : undefined;
    if (run.deadline !== undefined && (deadline === undefined || run.deadline < deadline)) deadline = run.deadline;
    const body = entry.remote!.call(args, { executionId: run.executionId, nodeId: run.nodeId, structuralHash: run.structuralHash, attempt, deadline }, token);
    return guard(body, token, timeoutMs, () => run.untrack(token));
  }
  if (entry.placement === 'worker' && env.invoker) {
    run.track(token);
    const body = env.invoker.invoke({ moduleId: entry.id, file: entry.file!, args, attempt, executionId: run.executionId }, token);
    return guard(body, token, timeoutMs, () => run.untrack(token));
  }
  const call = new FrontCall(run, entry, attempt, token);
  const started = performance.now();
  let out: Value | Promise<Value>;
  try {
    out = invokeModule(entry.prepared!, args, call);
  } finally {
    const syncMs = performance.now() - started;
    if (syncMs >= env.frontStallMs) reportStall(env, entry, syncMs);
    // the synchronous part alone overran the deadline: whatever it returned is a timeout
    if (timeoutMs !== undefined && syncMs > timeoutMs) out = Promise.reject(timeoutError(timeoutMs));
  }
  if (!(out instanceof Promise)) return out;
  // asynchronous: from now on the call can time out and be cancelled
  run.track(token);
  return guard(out, token, timeoutMs, () => run.untrack(token), true);
}

function reportStall(env: EngineContext, entry: ModuleEntry, syncMs: number): void {
  env.warn(`front module '${entry.id}' ran ${Math.round(syncMs)} ms without yielding: the server answered nothing meanwhile (give it placement 'worker')`, { module: entry.id, syncMs: Math.round(syncMs) });
  env.listener?.onFrontModuleStall?.(entry.id, syncMs);
}

/**
 * A module call without options, on the coordinator: run it right away and, when the module
 * is synchronous, return the outcome synchronously (no promise, no timer). The breaker still
 * sees every outcome. This is the path of light `front` modules (the composition benchmark).
 */
export function runPlain(env: EngineContext, run: NodeRun, entry: ModuleEntry, args: readonly Value[]): NodeOutcome | Promise<NodeOutcome> {
  const started = performance.now();
  const breaker = env.breakers.forModule(entry.id);
  if (!breaker.tryAcquire()) {
    return { ok: false, error: { code: 'CircuitOpen', message: `circuit breaker open for module '${entry.id}'` }, timedOut: false, attempts: 0, durationMs: 0 };
  }
  const failure = (e: unknown): NodeOutcome => {
    const error = errorInfo(e, 'ModuleFailed');
    if (error.code === 'Cancelled') breaker.release?.();
    else breaker.onFailure();
    return { ok: false, error, timedOut: error.code === 'ModuleTimeout', attempts: 1, durationMs: performance.now() - started };
  };
  let out: Value | Promise<Value>;
  try {
    out = frontOrInlineAttempt(env, run, entry, args, 1, entry.timeoutMs ?? env.defaultModuleTimeoutMs);
  } catch (e) {
    return failure(e);
  }
  if (out instanceof Promise) {
    return out.then((value) => {
      breaker.onSuccess();
      return { ok: true, value, attempts: 1, cacheHit: false, durationMs: performance.now() - started };
    }, failure);
  }
  breaker.onSuccess();
  return { ok: true, value: out, attempts: 1, cacheHit: false, durationMs: performance.now() - started };
}

export function errorInfo(e: unknown, fallbackCode: ErrorCode): NodeErrorInfo {
  if (e instanceof ConstellationError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: fallbackCode, message: e.message || String(e) };
  return { code: fallbackCode, message: String(e) };
}
