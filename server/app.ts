import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createRuntime, EXAMPLE_MODULES_FILE, type Runtime } from '../actors/runtime-factory.js';
import type { Backends } from '../runtime/backends.js';
import { compositeListener } from '../runtime/engine/composite-listener.js';
import type { Engine } from '../runtime/engine/engine.js';
import { LocalExecutionControl, type ExecutionControl } from '../runtime/engine/execution-control.js';
import type { ExpiryRule } from '../runtime/stores/suspension-index.js';
import type { SuspensionStore } from '../runtime/stores/suspension-store.js';
import type { ResultCacheInvalidation } from '../runtime/engine/spi.js';
import { ExecutionEventHub } from '../runtime/events/execution-events.js';
import { BoundedScheduler } from '../runtime/engine/scheduler.js';
import { PipelineCatalogue } from '../runtime/pipelines/catalogue.js';
import { authMiddleware } from './auth.js';
import { startupDamage, withEmbeddedDefaults } from './backends.js';
import type { Config } from './config.js';
import type { ServerContext } from './context.js';
import { corsMiddleware } from './cors.js';
import { DashboardListener } from './dashboard/listener.js';
import { executionEventsRoute } from './events/events-socket.js';
import { Router } from './http/router.js';
import { MiddlewareChain, type Middleware } from './http/middleware.js';
import { attachHttp } from './http/uws-adapter.js';
import type { AttachedListener } from './host/listener.js';
import { Host } from './host/server-host.js';
import { backgroundRunsListener } from './host/background-runs.js';
import { Lifecycle } from './lifecycle.js';
import { moduleLogs, requestLog } from './log-events.js';
import { createLogger, type Logger } from './logger.js';
import { ServerMetrics } from './metrics.js';
import { loadPipelineDirectory } from './pipeline-loader.js';
import { rateLimitMiddleware } from './rate-limit.js';
import { registerRoutes, type ReadinessCheck } from './routes/index.js';
import { FilePipelineStore } from './stores/file-pipeline-store.js';
import { Diagnostics } from './diagnostics.js';
import { afterFirstSynchronisation, clusterListener, coordinate, coordinationListener, setUpCluster } from './cluster.js';
import { ClusterExecutionControl } from '../cluster/execution-routing.js';

/**
 * Assembles the server: the backends (given ones, else the embedded defaults: file stores under
 * the data directory), the pipeline catalogue over the stores, the engine with its worker pool, the
 * middleware chain (CORS → rate limit → auth → routes) shared by HTTP requests and WebSocket
 * upgrades, the attached listeners (host/listener.ts) and the routes; then listens.
 * `shutdown()` drains HTTP and every listener against one deadline, then closes them.
 */

export interface ServerOptions {
  readonly logger?: Logger;
  /** Backends to use instead of the embedded ones (cluster mode passes its NATS adapters). */
  readonly backends?: Partial<Backends>;
  /** Execution control to use instead of this engine's own (a cluster wraps it and routes by owner). */
  readonly executionControl?: (local: LocalExecutionControl) => ExecutionControl;
  /** How `DELETE /cache` reaches the other instances (a cluster wraps the engine's caches). */
  readonly resultCaches?: (engine: Engine) => ResultCacheInvalidation;
  readonly readinessChecks?: ReadonlyMap<string, ReadinessCheck>;
  /** WebSocket routes, other ports and agents that live and drain with the server. */
  readonly listeners?: readonly AttachedListener[];
}

export interface ConstellationServer {
  readonly context: ServerContext;
  /** The backends in use (given ones and the embedded defaults). */
  readonly backends: Backends;
  readonly runtime: Runtime;
  readonly host: Host;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Drains, stops listening, closes the pool. Resolves when everything is closed. */
  shutdown(): Promise<void>;
}

export async function createServer(config: Config, options: ServerOptions = {}): Promise<ConstellationServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  for (const w of config.warnings) logger.warn(w);
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const warn = (m: string, fields?: Record<string, unknown>) => logger.warn(fields ?? {}, m);
  let runtimeRef: Runtime | undefined;
  const metrics = new ServerMetrics();
  const onSuspensionsExpired = (count: number, rule: ExpiryRule) => {
    metrics.onSuspensionsExpired(count, rule);
    logger.info({ count, rule }, `suspension store: ${count} stored execution(s) expired (${rule === 'retention' ? 'CONSTELLATION_SUSPENSION_RETENTION' : 'CONSTELLATION_SUSPENSION_FAILED_TTL'})`);
  };
  // cluster mode: the shared stores replace the file stores; the node connects once its listener
  // starts, and readiness waits for the first synchronisation
  const cluster = config.cluster ? setUpCluster(config, config.cluster, logger, dataDir, () => runtimeRef, { onSuspensionsExpired }) : undefined;
  const backends = await withEmbeddedDefaults({ ...cluster?.stores, ...options.backends }, config, dataDir, warn, { onExpired: onSuspensionsExpired });
  const suspensions = backends.suspensionStore;
  const damage = startupDamage(backends);
  // bound once the engine exists (it compiles for the catalogue); resume reads images through it
  let pipelines: PipelineCatalogue | undefined;
  const events = new ExecutionEventHub(warn);
  const scheduler = config.scheduler.enabled
    ? new BoundedScheduler({ maxConcurrency: config.scheduler.maxConcurrency, maxQueueSize: config.scheduler.maxQueue, starvationTimeoutMs: config.scheduler.starvationTimeoutMs })
    : undefined;
  const runtime = await createRuntime({
    moduleFiles: [...(config.exampleModules ? [EXAMPLE_MODULES_FILE] : []), ...config.moduleFiles],
    ...(config.workers !== undefined ? { pool: { threads: config.workers } } : {}),
    ...(scheduler ? { scheduler } : {}),
    suspensionStore: suspensions,
    resolveDag: async (hash) => (await pipelines?.fetchImage(hash))?.dag,
    listener: compositeListener([metrics.listener(), events.listener(), cluster?.outgoingEvents.listener(), backends.listener, moduleLogs(logger)]),
    cache: backends.cache,
    ...(backends.circuitBreakers ? { breakers: backends.circuitBreakers } : {}),
    ...(backends.metrics ? { metrics: backends.metrics } : {}),
    ...(backends.tracer ? { tracer: backends.tracer } : {}),
    defaultModuleTimeoutMs: config.moduleTimeoutMs,
    compileCacheSize: config.compileCache.maxEntries,
    compileCacheBytes: config.compileCache.maxBytes,
    ...(config.executionTimeoutMs !== undefined ? { executionTimeoutMs: config.executionTimeoutMs } : {}),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
  });
  runtimeRef = runtime;
  metrics.inflightSource = () => runtime.engine.inflightCount;
  const engine = runtime.engine;
  pipelines = new PipelineCatalogue({
    store: backends.pipelineStore,
    versions: backends.versionStore,
    canaries: backends.canaryStore,
    compile: (source) => engine.compile(source),
    dependencyHash: (lookups) => engine.functions.dependencyHash(lookups),
    referencedBySuspension: async (structuralHash) => (await suspensions.list({ filter: { structuralHash }, limit: 1 })).items.length > 0,
    anonymousImages: config.anonymousImages,
    inUse: (structuralHash) => engine.isRunning(structuralHash),
    keepExistingImages: damage.historiesLost,
    onEvict: (report) => {
      metrics.onImagesEvicted(report.reasons);
      logger.info({ ...report }, `anonymous images: ${report.evicted} evicted (${report.bytes} bytes); ${report.remaining.count} kept`);
    },
    onRetentionError: (e) => logger.error({ err: e instanceof Error ? e.message : String(e) }, 'anonymous images: eviction sweep failed'),
  });
  if (cluster) {
    // the shared stores' views are complete after the first synchronisation: stock is taken then
    const catalogue = pipelines;
    void cluster.node.whenSynchronised().then(() => catalogue.startLifecycle()).catch((e: unknown) => logger.error({ err: e instanceof Error ? e.message : String(e) }, 'anonymous images: lifecycle not started'));
  } else {
    const recovered = await pipelines.recoverFromVersions(damage.aliasesLost);
    if (recovered.images.length > 0) logger.warn({ rebuilt: recovered.images }, `pipeline store: ${recovered.images.length} image(s) rebuilt from the sources of their versions`);
    if (damage.aliasesLost) logger.warn({ restored: recovered.aliases }, `pipeline store: ${recovered.aliases.length} alias(es) rebuilt from the version histories`);
    if (damage.historiesLost) logger.warn('version store: histories lost; images stored before this start are kept (none is evicted as anonymous)');
    await pipelines.startLifecycle();
  }
  const lifecycle = new Lifecycle();
  const localExecutions = new LocalExecutionControl(engine, {
    suspensions,
    retention: config.resultRetention,
    sessionIdleMs: config.debugSessions.idleMs,
    maxSessions: config.debugSessions.max,
    // in a cluster, session ids name their owner so that any instance can route a step to it
    ...(cluster ? { instanceId: cluster.node.instanceId, sessionIds: ClusterExecutionControl.sessionIds(cluster.node.instanceId) } : {}),
  });
  // cluster mode: execution-ID routing, breakers, cache invalidation and live events across instances
  const coordination = cluster ? coordinate(cluster.node, { breakers: backends.circuitBreakers, caches: engine.caches, limits: engine.limits, events, outgoingEvents: cluster.outgoingEvents, executions: localExecutions }) : undefined;
  const executions = coordination?.routing ?? options.executionControl?.(localExecutions) ?? localExecutions;
  const resultCaches = coordination?.invalidation ?? options.resultCaches?.(engine) ?? { invalidate: async (scope) => ({ cleared: await engine.caches.invalidate(scope), propagated: null }) };
  const pipelineStore = backends.pipelineStore;
  const pipelineMemory = pipelineStore instanceof FilePipelineStore ? () => pipelineStore.memoryUsage() : undefined;
  const context: ServerContext = {
    config, engine, pipelines, suspensions, executions, events, resultCaches, lifecycle, metrics, logger, history: backends.executionHistory,
    diagnostics: new Diagnostics(options.readinessChecks),
    ...(pipelineMemory ? { pipelineMemory } : {}),
    ...(cluster ? { providerAdvertising: cluster.providers } : {}),
  };

  if (config.pipelineDir && cluster) {
    // the loader writes to the shared stores: after joining the cluster
    const dir = config.pipelineDir;
    afterFirstSynchronisation(cluster.node, context.diagnostics.readiness, 'pipeline loader', async () => void (await loadPipelineDirectory(context, dir)), logger);
  } else if (config.pipelineDir) {
    try {
      await loadPipelineDirectory(context, config.pipelineDir);
    } catch (e) {
      await pipelines.close();
      await runtime.close();
      throw e;
    }
  }

  const middleware: Middleware[] = [];
  if (config.corsOrigins.length > 0) middleware.push(corsMiddleware(config.corsOrigins));
  if (config.rateLimit) middleware.push(rateLimitMiddleware(config.rateLimit));
  if (config.apiKeys.length > 0) middleware.push(authMiddleware(config.apiKeys));
  const chain = new MiddlewareChain(middleware);

  const host = new Host(config, logger, lifecycle, runtime, context, backends, chain);
  // the dashboard is a listener of its own: its drain waits for the runs it started in the background
  const listeners = [
    ...(cluster && coordination ? [clusterListener(cluster.node, cluster.providers, cluster.stores.executionHistory), coordinationListener(coordination)] : []),
    ...(config.dashboard.enabled ? [new DashboardListener()] : []),
    ...(options.listeners ?? []),
  ];
  let port: number;
  try {
    host.webSocket(executionEventsRoute(events, logger));
    await host.startListeners([backgroundRunsListener(localExecutions), ...listeners]);
    const router = new Router();
    registerRoutes(router, context, context.diagnostics.readiness, host.attachedRoutes);
    const logRequest = requestLog(logger);
    attachHttp(host.app, {
      router,
      middleware: chain,
      maxBodyBytes: config.maxBodyBytes,
      trustProxy: config.trustProxy,
      inflight: lifecycle.counter,
      draining: () => lifecycle.state === 'Draining' || lifecycle.state === 'Stopped',
      held: () => lifecycle.held,
      onResponse: logRequest
        ? (req, status, durationMs, route) => {
            metrics.onRequest(req.method, route, status, durationMs);
            logRequest(req, status, durationMs, route);
          }
        : (req, status, durationMs, route) => metrics.onRequest(req.method, route, status, durationMs),
      onError: (req, error) => logger.error({ requestId: req.requestId, err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, `[${req.requestId}] request failed`),
    });
    port = await host.listen();
  } catch (e) {
    // the worker threads and any started listener would otherwise outlive the failed start
    await host.close();
    await pipelines.close();
    await runtime.close();
    throw e;
  }
  lifecycle.markRunning();
  logger.info(
    {
      host: config.host,
      port,
      auth: config.apiKeys.length > 0 ? `${config.apiKeys.length} keys` : 'off',
      cors: config.corsOrigins.length > 0 ? `${config.corsOrigins.length} origins` : 'off',
      rateLimit: config.rateLimit ? `${config.rateLimit.rpm}rpm` : 'off',
      scheduler: config.scheduler.enabled ? `bounded(${config.scheduler.maxConcurrency})` : 'unbounded',
      workers: runtime.pool.threadCount,
      modules: [...runtime.engine.modules.entries()].length,
      listeners: listeners.map((l) => l.name),
      dashboard: config.dashboard.enabled ? `http://${config.host}:${port}/dashboard` : 'off',
      cluster: cluster ? { name: cluster.node.config.clusterName, instanceId: cluster.node.instanceId } : 'off',
      dataDir,
      pipelineLoader: config.pipelineDir ?? 'off',
    },
    `Constellation listening on http://${config.host}:${port}`,
  );

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info({ inflight: lifecycle.inflightRequests, drainTimeoutMs: config.drainTimeoutMs }, 'draining');
      await host.drain(Date.now() + config.drainTimeoutMs, () => {
        const cancelled = [...runtime.engine.runningExecutions()];
        logger.warn({ cancelled: cancelled.length }, 'drain timeout reached: cancelling remaining executions');
        for (const exec of cancelled) exec.cancel('cancelled');
      });
      await host.close();
      await pipelines.close();
      await runtime.close();
      logger.info('stopped');
    })();
    return shuttingDown;
  };

  return { context, backends, runtime, host, port, shutdown };
}
