import type { ServerContext } from '../context.js';
import type { Router } from '../http/router.js';
import {
  CompileRequest, CompileResponse, ErrorResponse, ExecuteRequest, ExecuteResponse, HealthResponse, MetricsResponse, ResumeRequest, RunRequest, RunResponse,
} from '../schemas.js';
import { canaryRoutes } from './canary.js';
import { compileRoute, executeRoute, resumeRoute, runRoute } from './compile-run.js';
import { suspendedExecutionRoutes } from './suspended-executions.js';
import { cacheRoutes } from './cache.js';
import { debugSessionRoutes } from './debug-sessions.js';
import { executionEventsDocRoute } from './execution-events.js';
import { executionStatusRoutes } from './execution-status.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { metricsRoutes } from './metrics.js';
import { moduleRoutes } from './modules.js';
import { namespaceRoutes } from './namespaces.js';
import { buildOpenApi, errorDoc, OPENAPI_DOC, openApiReply, type RouteSpec } from './openapi.js';
import { pipelineRoutes } from './pipelines.js';
import { versionRoutes } from './versions.js';

export type { ReadinessCheck };

/**
 * The route table. Every route is declared with its OpenAPI documentation
 * (`RouteDoc`); the same table registers the routes and builds `GET /openapi.json` once at
 * start-up, so the document cannot miss a route.
 */

const busy = { 429: errorDoc('QueueFull'), 503: errorDoc('ShuttingDown') };
const tooLarge = { 413: errorDoc('PayloadTooLarge') };

function coreRoutes(context: ServerContext, checks: ReadonlyMap<string, ReadinessCheck>): RouteSpec[] {
  const health = healthRoutes(context, checks);
  const metrics = metricsRoutes(context);
  const routes: RouteSpec[] = [
    {
      method: 'POST',
      path: '/compile',
      handler: compileRoute(context),
      doc: {
        summary: 'Compile source, store the image, optionally create or move an alias',
        tag: 'execution',
        body: { schema: CompileRequest, required: true },
        responses: {
          200: { description: 'Compiled', schema: CompileResponse },
          400: { description: 'Compile errors or an invalid body', schema: CompileResponse },
          ...tooLarge,
          500: { description: 'Unexpected failure', schema: CompileResponse },
        },
      },
    },
    {
      method: 'POST',
      path: '/run',
      handler: runRoute(context),
      doc: {
        summary: 'Compile, store and execute in one call',
        tag: 'execution',
        body: { schema: RunRequest, required: true },
        responses: {
          200: { description: 'Completed, suspended (missing inputs) or failed (modules failed) run', schema: RunResponse },
          400: { description: 'Compile errors, input errors or an invalid body', schema: RunResponse },
          ...tooLarge,
          ...busy,
          500: { description: 'Execution failed', schema: RunResponse },
        },
      },
    },
    {
      method: 'POST',
      path: '/execute',
      handler: executeRoute(context),
      doc: {
        summary: 'Execute a stored pipeline by reference (canary routing applies to alias refs)',
        tag: 'execution',
        body: { schema: ExecuteRequest, required: true },
        responses: {
          200: { description: 'Completed, suspended or failed run', schema: ExecuteResponse },
          400: { description: 'Missing or invalid ref, input error, invalid body', schema: ExecuteResponse },
          404: { description: 'NotFound: the ref resolves to no pipeline', schema: ErrorResponse },
          ...tooLarge,
          ...busy,
          500: { description: 'Execution failed', schema: ExecuteResponse },
        },
      },
    },
    {
      method: 'POST',
      path: '/executions/:id/resume',
      handler: resumeRoute(context),
      doc: {
        summary: 'Resume a suspended execution with more inputs or resolved nodes',
        tag: 'executions',
        params: { id: 'Execution id (UUID)' },
        body: { schema: ResumeRequest, required: true },
        responses: {
          200: { description: 'The resumed run', schema: ExecuteResponse },
          400: { description: 'Input error or pipeline error', schema: ExecuteResponse },
          404: errorDoc('NotFound'),
          409: errorDoc('ResumeInProgress'),
          ...busy,
          500: { description: 'Unexpected failure', schema: ExecuteResponse },
        },
      },
    },
    {
      method: 'GET',
      path: '/health',
      handler: health.health,
      doc: { summary: 'Basic health', tag: 'health', public: true, responses: { 200: { description: 'ok', schema: HealthResponse }, 503: { description: 'draining or stopped', schema: HealthResponse } } },
    },
    { method: 'GET', path: '/health/live', handler: health.live, doc: { summary: 'Liveness', tag: 'health', public: true, responses: { 200: { description: 'alive', schema: HealthResponse } } } },
    {
      method: 'GET',
      path: '/health/ready',
      handler: health.ready,
      doc: { summary: 'Readiness', tag: 'health', public: true, responses: { 200: { description: 'ready', schema: HealthResponse }, 503: { description: 'not_ready', schema: HealthResponse } } },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: metrics.metrics,
      doc: {
        summary: 'Metrics: JSON, or Prometheus text when Accept admits text/plain',
        tag: 'metrics',
        public: true,
        responses: { 200: { description: 'Metrics', schema: MetricsResponse } },
      },
    },
    {
      method: 'GET',
      path: '/metrics/prometheus',
      handler: metrics.prometheus,
      doc: { summary: 'Metrics in Prometheus text format', tag: 'metrics', public: true, responses: { 200: { description: 'Prometheus exposition', contentType: 'text/plain' } } },
    },
  ];
  if (context.config.healthDetailEnabled) {
    routes.push({
      method: 'GET',
      path: '/health/detail',
      handler: health.detail,
      doc: { summary: 'Diagnostics (opt-in; requires a key when auth is on)', tag: 'health', responses: { 200: { description: 'Diagnostics', schema: MetricsResponse } } },
    });
  }
  return routes;
}

/** Every route of the server, in registration order (documented). */
export function routeTable(context: ServerContext, checks: ReadonlyMap<string, ReadinessCheck>, attached: readonly RouteSpec[] = []): RouteSpec[] {
  const routes: RouteSpec[] = [
    ...coreRoutes(context, checks),
    ...pipelineRoutes(context),
    ...versionRoutes(context),
    ...canaryRoutes(context),
    ...suspendedExecutionRoutes(context),
    ...executionStatusRoutes(context),
    executionEventsDocRoute(),
    ...debugSessionRoutes(context),
    ...cacheRoutes(context),
    // /modules/published is an exact path: the router matches it before /modules/:name/…
    ...moduleRoutes(context),
    ...namespaceRoutes(context),
    // routes of attached listeners (provider operations, dashboard API, …)
    ...attached,
  ];
  let document: ReturnType<typeof openApiReply> | undefined;
  routes.push({ method: 'GET', path: '/openapi.json', handler: () => document!, doc: OPENAPI_DOC });
  document = openApiReply(
    buildOpenApi(routes, {
      title: 'Constellation Engine HTTP API',
      version: '1.0.0',
      description: 'Compile, store, version and execute constellation-lang pipelines over HTTP. Generated from the server route table and its zod schemas.',
    }),
  );
  return routes;
}

export function registerRoutes(router: Router, context: ServerContext, checks: ReadonlyMap<string, ReadinessCheck>, attached: readonly RouteSpec[] = []): void {
  for (const route of routeTable(context, checks, attached)) router.add(route.method, route.path, route.handler);
}
