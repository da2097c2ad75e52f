import { pipelineCodec } from '../codegen/pipeline-codec.js';
import { CompileCache } from '../compiler/cache.js';
import { compile, type CompileResult } from '../compiler/compile.js';
import type { Dag } from '../compiler/dag.js';
import { FunctionRegistry, qualifiedName } from '../compiler/registry.js';
import { ConstellationError, formatError } from '../errors.js';
import { randomUuid } from '../random-uuid.js';
import type { ConstellationModule } from '../modules/define.js';
import { STDLIB_SIGNATURES } from '../stdlib/signatures.js';
import { printType } from '../types/type.js';
import { decodeJson, encodeJson, type DecodeError } from '../values/json.js';
import type { Value } from '../values/value.js';
import { LocalBreakerRegistry } from './circuit-breaker.js';
import { DONE, Execution, stateName, type ExecutionEnd, type ExecutionHooks } from './execution.js';
import { ModuleLimits } from './limits.js';
import { ModuleRegistry, type RemoteModule } from './module-registry.js';
import type { EngineContext, NodeOutcome } from './node-actor.js';
import { planFor, type ExecutionPlan } from './plan.js';
import { buildResult, type ExecutionResult, type ResultOptions } from './result.js';
import { CacheRegistry } from './result-cache.js';
import { UnboundedScheduler, type Scheduler } from './scheduler.js';
import { safeListener } from './safe-listener.js';
import { compositeListener } from './composite-listener.js';
import { metricsListener } from './metrics-listener.js';
import type { CacheBackend, CircuitBreakerRegistry, ExecutionListener, MetricsProvider, ModuleInvoker, NodeState, TracerProvider } from './spi.js';
import type { SuspensionClaim, SuspensionStore } from '../stores/suspension-store.js';
import { SNAPSHOT_FORMAT_VERSION, type ExecutionSnapshot } from './suspension.js';

/**
 * The engine: compiles against its registry and runs DAGs. Transport-agnostic — the HTTP server,
 * the LSP, the CLI and the cluster all drive this one object.
 */

export interface EngineOptions {
  /** Modules to register (with the file the worker pool loads them from). */
  readonly modules?: Iterable<{ readonly module: ConstellationModule; readonly file?: string }>;
  /** Runs `worker` modules (the Piscina pool from actors/); without one they run on the coordinator. */
  readonly invoker?: ModuleInvoker;
  readonly scheduler?: Scheduler;
  readonly breakers?: CircuitBreakerRegistry;
  readonly cache?: CacheBackend;
  readonly listener?: ExecutionListener;
  /** Metrics of executions and module calls, fed from the listener events. */
  readonly metrics?: MetricsProvider;
  /** A span around every run and resume (the body runs inside it). */
  readonly tracer?: TracerProvider;
  /** Per-attempt limit for calls without a `timeout` option. Default 30 s; `null` for none. */
  readonly defaultModuleTimeoutMs?: number | null;
  /** Limit for a whole execution (cancels what is left). Default: none. */
  readonly executionTimeoutMs?: number;
  /** A `front` call that runs this long without yielding is reported (log, listener). Default 50 ms. */
  readonly frontStallMs?: number;
  /** Where suspended (and failed) executions are kept for resume. */
  readonly suspensionStore?: SuspensionStore;
  /** Finds a DAG by structural hash (the pipeline store), for resuming executions. */
  readonly resolveDag?: (structuralHash: string) => Promise<Dag | undefined>;
  readonly warn?: (message: string, fields?: Record<string, unknown>) => void;
  readonly compileCacheSize?: number;
  /** Estimated heap the compile cache may hold (default 64 MiB). */
  readonly compileCacheBytes?: number;
}

/** DAGs the engine keeps by hash for resume when no pipeline store resolves them (tests, embedding). */
const REMEMBERED_DAGS = 1000;

export interface RunOptions extends ResultOptions {
  /** Use this execution id (resume keeps the original id). */
  readonly executionId?: string;
  readonly timeoutMs?: number;
  /** Persist a snapshot when the run does not complete (default: when a store is configured). */
  readonly persist?: boolean;
  readonly hooks?: ExecutionHooks;
  /** Called once the execution object exists (for cancellation by id, step-through). */
  readonly onStart?: (execution: Execution) => void;
}

export interface ResumeRequest {
  readonly additionalInputs?: Readonly<Record<string, unknown>>;
  readonly resolvedNodes?: Readonly<Record<string, unknown>>;
}

/** No seeded values (a run that is not a resume). */
const NO_VALUES: ReadonlyMap<number, Value> = new Map();

export class InputError extends ConstellationError {
  constructor(readonly problems: readonly DecodeError[]) {
    super('InputError', problems.map((p) => `Input '${p.path.split(/[.[]/)[0]}': ${p.path.includes('.') || p.path.includes('[') ? `field '${p.path}': ` : ''}${p.message}`).join('; '));
  }
}

export class Engine {
  readonly functions: FunctionRegistry;
  readonly modules: ModuleRegistry;
  readonly caches: CacheRegistry;
  readonly breakers: CircuitBreakerRegistry;
  readonly scheduler: Scheduler;
  readonly compileCache: CompileCache<CompileResult>;
  /** The per-module `throttle` and `concurrency` limiters (a cluster may share a throttle out). */
  readonly limits = new ModuleLimits();
  private readonly env: EngineContext;
  private readonly dags = new Map<string, Dag>();
  private readonly running = new Map<string, Execution>();
  /** Of the running executions, the ids of step-through sessions' runs. */
  private readonly stepping = new Set<string>();
  private readonly missingByPlan = new WeakMap<ExecutionPlan, { version: number; missing: readonly string[] }>();
  private readonly listener: ExecutionListener | undefined;

  constructor(private readonly options: EngineOptions = {}) {
    this.functions = new FunctionRegistry(STDLIB_SIGNATURES);
    this.modules = new ModuleRegistry();
    this.caches = new CacheRegistry(options.cache);
    this.scheduler = options.scheduler ?? new UnboundedScheduler();
    const warn = options.warn ?? ((m: string) => process.stderr.write(m + '\n'));
    this.listener = safeListener(compositeListener([options.listener, options.metrics ? metricsListener(options.metrics) : undefined]), warn);
    this.breakers = options.breakers ?? new LocalBreakerRegistry();
    // every transition reaches the listener, whoever built the registry (a cluster builds its own)
    const circuitListener = this.listener;
    if (circuitListener?.onCircuitStateChanged) this.breakers.observe((t) => circuitListener.onCircuitStateChanged!(t.module, t.from, t.to));
    this.compileCache = new CompileCache(options.compileCacheSize ?? 1000, options.compileCacheBytes ?? 64 * 1024 * 1024);
    this.env = {
      modules: this.modules,
      invoker: options.invoker,
      scheduler: this.scheduler,
      breakers: this.breakers,
      caches: this.caches,
      limits: this.limits,
      listener: this.listener,
      metrics: options.metrics,
      defaultModuleTimeoutMs: options.defaultModuleTimeoutMs === null ? undefined : (options.defaultModuleTimeoutMs ?? 30_000),
      frontStallMs: options.frontStallMs ?? 50,
      warn,
      inflight: new Map<string, Promise<NodeOutcome>>(),
    };
    for (const { module, file } of options.modules ?? []) this.register(module, file);
  }

  /** Registers a module for compilation and execution. */
  register(module: ConstellationModule, file?: string): void {
    const entry = this.modules.register(module, file);
    this.functions.register(entry.signature);
  }

  /**
   * Registers (or replaces) a module another process runs. Compilations after this call see it;
   * executions already running reach it from their next node start.
   */
  registerRemote(module: RemoteModule): void {
    const entry = this.modules.registerRemote(module);
    this.functions.register(entry.signature);
  }

  /** Withdraws a module (a provider's, typically): later compilations and node starts no longer find it. */
  unregister(id: string): boolean {
    const entry = this.modules.get(id);
    if (!entry || entry.id !== id) return false;
    this.modules.unregister(id);
    this.functions.deregister(qualifiedName(entry.signature));
    return true;
  }

  get suspensionStore(): SuspensionStore | undefined {
    return this.options.suspensionStore;
  }

  compile(source: string): CompileResult {
    const result = compile(source, this.functions, { cache: this.compileCache });
    if (result.dag && result.hashes.structural) this.remember(result.dag, result.hashes.structural);
    return result;
  }

  /**
   * Makes a DAG known by its hash, for resume without a pipeline store. With one (`resolveDag`)
   * the store is the only place DAGs are kept: a second copy here would outlive the bounds on
   * anonymous images.
   */
  remember(dag: Dag, hash?: string): void {
    if (this.options.resolveDag) return;
    const plan = planFor(dag, hash);
    if (!this.dags.has(plan.structuralHash)) {
      if (this.dags.size >= REMEMBERED_DAGS) this.dags.delete(this.dags.keys().next().value as string);
      this.dags.set(plan.structuralHash, dag);
    }
  }

  /** True while an execution of the pipeline with this hash runs here (its image must not be evicted meanwhile). */
  isRunning(structuralHash: string): boolean {
    for (const exec of this.running.values()) if (exec.plan.structuralHash === structuralHash) return true;
    return false;
  }

  /**
   * Decodes plain-JSON inputs against the DAG's declared inputs (lenient: unknown names are
   * ignored). The pipeline's generated decoder takes inputs that fit; any others go through the
   * generic decoder, which reports every problem (InputError).
   */
  decodeInputs(dag: Dag, json: Readonly<Record<string, unknown>>): Map<number, Value> {
    const decoded = pipelineCodec(dag).decodeInputs(json);
    return decoded ?? this.decodeInputsGenerically(dag, json);
  }

  /** The generic decoder: walks each declared input's type, collecting every problem with its path. */
  decodeInputsGenerically(dag: Dag, json: Readonly<Record<string, unknown>>): Map<number, Value> {
    const values = new Map<number, Value>();
    const problems: DecodeError[] = [];
    for (const input of dag.inputs) {
      const raw = Object.prototype.hasOwnProperty.call(json, input.name) ? json[input.name] : undefined;
      if (raw === undefined || (raw === null && input.type.k !== 'Optional')) {
        // an omitted Optional input is absent (docs/decisions.md #10); a required one is missing
        if (input.type.k === 'Optional') values.set(input.node, null);
        else if (raw === null) problems.push({ path: input.name, message: `expected ${printType(input.type)}, got null` });
        continue;
      }
      const v = decodeJson(raw, input.type, input.name, problems);
      values.set(input.node, v);
    }
    if (problems.length > 0) throw new InputError(problems);
    return values;
  }

  /** Runs a DAG with plain-JSON inputs. Throws InputError before anything runs if inputs are ill-typed. */
  async run(dag: Dag, inputs: Readonly<Record<string, unknown>>, options: RunOptions = {}): Promise<ExecutionResult> {
    return this.runNow(dag, inputs, options);
  }

  /**
   * `run` without the promise when none is needed: an execution that ends inside the call (inline
   * expressions, standard-library calls, synchronous `front` modules) and has nothing to store
   * returns its result directly; anything else returns a promise. Ill-typed inputs throw
   * InputError synchronously. The HTTP routes use it so that a request that needs no waiting
   * costs no promise hops (each costs a microtask and a thenable check).
   */
  runNow(dag: Dag, inputs: Readonly<Record<string, unknown>>, options: RunOptions = {}): ExecutionResult | Promise<ExecutionResult> {
    const decoded = this.decodeInputs(dag, inputs);
    const tracer = this.options.tracer;
    if (tracer) return tracer.span('constellation.execution', { pipeline: planFor(dag).structuralHash }, async () => this.runDecoded(dag, decoded, NO_VALUES, 0, options, null, undefined));
    return this.runDecoded(dag, decoded, NO_VALUES, 0, options, null, undefined);
  }

  /**
   * Starts a run and returns at once with its id: the inputs are decoded first, so an ill-typed
   * input throws InputError here, before anything runs; `result` settles when the run ends.
   * (The asynchronous `/run` and `/execute` answer 202 with the id while the run goes on.)
   */
  launch(dag: Dag, inputs: Readonly<Record<string, unknown>>, options: RunOptions = {}): { executionId: string; result: Promise<ExecutionResult> } {
    const executionId = options.executionId ?? randomUuid();
    const result = this.runNow(dag, inputs, { ...options, executionId });
    return { executionId, result: Promise.resolve(result) };
  }

  private runDecoded(
    dag: Dag,
    inputs: ReadonlyMap<number, Value>,
    seeded: ReadonlyMap<number, Value>,
    resumptionCount: number,
    options: RunOptions,
    previous: ExecutionSnapshot | null,
    claim: SuspensionClaim | undefined,
  ): ExecutionResult | Promise<ExecutionResult> {
    const plan = planFor(dag);
    this.remember(dag, plan.structuralHash);
    const executionId = options.executionId ?? randomUuid();
    const exec = new Execution(plan, this.env, executionId, options.hooks);
    this.listener?.onExecutionStart?.(executionId, plan.structuralHash);
    // registered while it runs, so it can be cancelled by id (even from a module that starts inside start())
    this.running.set(executionId, exec);
    // a step-through run waits for its user between batches: not work in flight
    if (options.hooks?.admission !== undefined) this.stepping.add(executionId);
    try {
      options.onStart?.(exec);
      const timeoutMs = options.timeoutMs ?? this.options.executionTimeoutMs;
      // known before the first node starts: remote calls cut their deadlines to it
      if (timeoutMs) exec.deadline = exec.startedAt + timeoutMs;
      exec.start(inputs, seeded);
    } catch (e) {
      this.endRun(executionId);
      throw e;
    }
    if (exec.isEnded) {
      // an all-inline execution ends inside start(): no timer, no promise to wait for
      this.endRun(executionId);
      return this.finishRun(exec, exec.endState!, resumptionCount, options, previous, claim);
    }
    return this.awaitRun(exec, resumptionCount, options, previous, claim);
  }

  private async awaitRun(exec: Execution, resumptionCount: number, options: RunOptions, previous: ExecutionSnapshot | null, claim: SuspensionClaim | undefined): Promise<ExecutionResult> {
    let end;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = options.timeoutMs ?? this.options.executionTimeoutMs;
      if (timeoutMs) timer = setTimeout(() => exec.cancel('timed_out'), timeoutMs);
      end = await exec.done;
    } finally {
      if (timer) clearTimeout(timer);
      this.endRun(exec.executionId);
    }
    return this.finishRun(exec, end, resumptionCount, options, previous, claim);
  }

  /** The result of an ended execution; a promise only when a snapshot has to be stored or a claim settled. */
  private finishRun(exec: Execution, end: ExecutionEnd, resumptionCount: number, options: RunOptions, previous: ExecutionSnapshot | null, claim: SuspensionClaim | undefined): ExecutionResult | Promise<ExecutionResult> {
    const { executionId, plan } = exec;
    const listener = this.listener;
    const result = buildResult(exec, end, resumptionCount, options);
    if (end === 'cancelled') listener?.onExecutionCancelled?.(executionId, plan.structuralHash);
    else listener?.onExecutionComplete?.(executionId, plan.structuralHash, result.status === 'completed', result.durationMs);
    const store = this.options.suspensionStore;
    if (!store || options.persist === false || (result.status === 'completed' && !claim)) return result;
    return this.persist(store, exec, result, previous, claim);
  }

  private async persist(store: SuspensionStore, exec: Execution, result: ExecutionResult, previous: ExecutionSnapshot | null, claim: SuspensionClaim | undefined): Promise<ExecutionResult> {
    const executionId = exec.executionId;
    // the run has happened: a store that fails is logged and reported on the result, it does not
    // turn the result into an error — except a shared store that cannot be reached while saving
    // an unfinished run: it is refused as the other shared operations are (503, the client may retry)
    try {
      if (result.status === 'completed') {
        if (claim) await claim.delete();
      } else {
        const snapshot = this.snapshotOf(exec, result, previous);
        const saved = await (claim ? claim.save(snapshot) : store.save(snapshot));
        if (!saved.persisted) {
          this.env.warn(`suspension store: execution ${executionId} not stored: ${saved.message}`, { executionId, reason: saved.reason });
          return { ...result, notStored: { reason: saved.reason, message: saved.message } };
        }
      }
    } catch (e) {
      if (result.status !== 'completed' && e instanceof ConstellationError && e.code === 'CoordinationUnavailable') throw e;
      const message = e instanceof Error ? e.message : String(e);
      this.env.warn(`suspension store: cannot store execution ${executionId}: ${message}`, { executionId });
      if (result.status !== 'completed') return { ...result, notStored: { reason: 'error', message } };
    }
    return result;
  }

  private snapshotOf(exec: Execution, result: ExecutionResult, previous: ExecutionSnapshot | null): ExecutionSnapshot {
    const { plan, state, values } = exec;
    const dag = plan.dag;
    const providedInputs: Record<string, unknown> = {};
    const computed: Record<string, unknown> = {};
    const nodeStates: Record<string, NodeState> = {};
    for (const node of dag.nodes) {
      const s = state[node.id]!;
      if (s === DONE) {
        const json = encodeJson(values[node.id], node.type);
        if (node.kind === 'input') providedInputs[node.name] = json;
        else computed[String(node.id)] = json;
      } else {
        nodeStates[String(node.id)] = stateName(s);
      }
    }
    const now = new Date().toISOString();
    return {
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      executionId: exec.executionId,
      structuralHash: plan.structuralHash,
      resumptionCount: result.resumptionCount,
      status: result.status === 'completed' ? 'suspended' : result.status,
      providedInputs,
      computed,
      nodeStates,
      missingInputs: result.missingInputs,
      createdAt: previous?.createdAt ?? now,
      lastResumedAt: previous ? now : null,
    };
  }

  /**
   * The modules a DAG calls that this engine does not have (a pipeline stored by another
   * instance of a cluster with other modules). Cached per DAG until the registry changes, so
   * the request path pays one lookup.
   */
  missingModules(dag: Dag): readonly string[] {
    const plan = planFor(dag);
    const version = this.functions.version;
    const cached = this.missingByPlan.get(plan);
    if (cached && cached.version === version) return cached.missing;
    const missing = [...new Set(plan.moduleNodes.filter((n) => !this.modules.get(n.module)).map((n) => n.module))].sort();
    this.missingByPlan.set(plan, { version, missing });
    return missing;
  }

  /** Cancels a running execution of this engine. */
  cancel(executionId: string): boolean {
    const exec = this.running.get(executionId);
    if (!exec) return false;
    exec.cancel('cancelled');
    return true;
  }

  /** A running execution of this engine, by id. */
  execution(executionId: string): Execution | undefined {
    return this.running.get(executionId);
  }

  /** A run is over: no longer running (nor stepping). */
  private endRun(executionId: string): void {
    this.running.delete(executionId);
    if (this.stepping.size > 0) this.stepping.delete(executionId);
  }

  /** Executions running now, step-through sessions (waiting for their user) not counted. */
  get inflightCount(): number {
    return this.running.size - this.stepping.size;
  }

  runningExecutions(): IterableIterator<Execution> {
    return this.running.values();
  }

  /**
   * Resumes a suspended (or failed) execution: validates the new inputs and resolved nodes,
   * seeds every value computed before, runs only what is missing, keeps the execution id.
   */
  resume(executionId: string, request: ResumeRequest, options: ResultOptions = {}): Promise<ExecutionResult> {
    const tracer = this.options.tracer;
    if (tracer) return tracer.span('constellation.resume', { executionId }, () => this.resumeStored(executionId, request, options));
    return this.resumeStored(executionId, request, options);
  }

  private async resumeStored(executionId: string, request: ResumeRequest, options: ResultOptions): Promise<ExecutionResult> {
    const store = this.options.suspensionStore;
    if (!store) throw new ConstellationError('ExecutionNotFound', `Execution '${executionId}' not found (no suspension store configured)`);
    const claim = await store.claim(executionId);
    if (!claim) throw new ConstellationError('ResumeInProgress', formatError('ResumeInProgress', { id: executionId }));
    // a resume may outlast the lease: keep it while the run goes on (a lost lease makes the save report it)
    const leaseMs = Math.max(1, claim.leaseExpiresAt - Date.now());
    const renewal = setInterval(() => void claim.renew().catch(() => {}), Math.max(1, Math.floor(leaseMs / 3)));
    renewal.unref();
    try {
      const snapshot = await store.load(executionId);
      if (!snapshot) throw new ConstellationError('ExecutionNotFound', `Execution '${executionId}' not found`);
      const dag = this.dags.get(snapshot.structuralHash) ?? (await this.options.resolveDag?.(snapshot.structuralHash));
      if (!dag) throw new ConstellationError('PipelineNotFound', `Pipeline ${snapshot.structuralHash} of execution '${executionId}' is no longer in the pipeline store`);
      const missing = this.missingModules(dag);
      if (missing.length > 0) throw new ConstellationError('ModulesUnavailable', formatError('ModulesUnavailable', { name: snapshot.structuralHash.slice(0, 12), modules: missing.join(', ') }));
      const plan = planFor(dag, snapshot.structuralHash);
      const { inputs, seeded } = this.resumeValues(plan, snapshot, request);
      return await this.runDecoded(dag, inputs, seeded, snapshot.resumptionCount + 1, { ...options, executionId }, snapshot, claim);
    } finally {
      clearInterval(renewal);
      await claim.release();
    }
  }

  private resumeValues(plan: ExecutionPlan, snapshot: ExecutionSnapshot, request: ResumeRequest): { inputs: Map<number, Value>; seeded: Map<number, Value> } {
    const dag = plan.dag;
    const inputs = new Map<number, Value>();
    const problems: DecodeError[] = [];
    for (const input of dag.inputs) {
      if (Object.prototype.hasOwnProperty.call(snapshot.providedInputs, input.name)) {
        inputs.set(input.node, decodeJson(snapshot.providedInputs[input.name], input.type, input.name, problems));
      } else if (input.type.k === 'Optional') {
        inputs.set(input.node, null);
      }
    }
    for (const [name, json] of Object.entries(request.additionalInputs ?? {})) {
      const id = plan.inputIndex.get(name);
      if (id === undefined) throw new ConstellationError('ResumeInvalid', `Unknown node name: '${name}'`);
      const type = dag.nodes[id]!.type;
      const errs: DecodeError[] = [];
      const value = decodeJson(json, type, name, errs);
      if (errs.length > 0) throw new InputError(errs);
      if (Object.prototype.hasOwnProperty.call(snapshot.providedInputs, name)) {
        if (JSON.stringify(encodeJson(value, type)) !== JSON.stringify(snapshot.providedInputs[name])) {
          throw new ConstellationError('ResumeInvalid', `Input '${name}' was already provided with a different value`);
        }
      }
      inputs.set(id, value);
    }
    const seeded = new Map<number, Value>();
    for (const [idText, json] of Object.entries(snapshot.computed)) {
      const id = Number(idText);
      const node = dag.nodes[id];
      if (!node) continue;
      seeded.set(id, decodeJson(json, node.type, node.name, problems));
    }
    if (problems.length > 0) throw new ConstellationError('ResumeInvalid', `The stored execution state does not match its pipeline: ${problems[0]!.path}: ${problems[0]!.message}`);
    for (const [name, json] of Object.entries(request.resolvedNodes ?? {})) {
      const id = plan.variableIndex.get(name);
      if (id === undefined) throw new ConstellationError('ResumeInvalid', `Unknown node name: '${name}'`);
      if (seeded.has(id) || inputs.has(id)) throw new ConstellationError('ResumeInvalid', `Node '${name}' has already been computed`);
      const type = dag.nodes[id]!.type;
      const errs: DecodeError[] = [];
      const value = decodeJson(json, type, name, errs);
      if (errs.length > 0) throw new ConstellationError('ResumeInvalid', `Node '${name}' type mismatch: ${errs[0]!.message}`);
      seeded.set(id, value);
    }
    return { inputs, seeded };
  }

  async close(): Promise<void> {
    for (const exec of this.running.values()) exec.cancel('cancelled');
    this.scheduler.shutdown();
    await this.options.invoker?.close?.();
  }
}
