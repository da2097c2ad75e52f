import { z } from 'zod';
import { dagToViz } from '../../runtime/viz/from-dag.js';
import type { ServerContext } from '../context.js';
import { json, type Handler, type HttpReply, type HttpRequest } from '../http/types.js';
import { diagnosticsJson, errorMessages } from '../routes/compile-run.js';
import { moduleRoutes } from '../routes/modules.js';
import type { RouteDoc, RouteSpec } from '../routes/openapi.js';
import type { DashboardAssets } from './assets.js';
import { dashboardBody, dashboardError } from './errors.js';
import type { DashboardRuns } from './execute.js';
import { DashboardExecuteRequest } from './execute.js';
import { listScripts, readScript } from './files.js';
import { recordJson, summaryOf, vizWithStates } from './history.js';
import { declaredInterface } from './script-info.js';

/**
 * The dashboard's routes: the HTML shell and its static files (public), and the `/api/v1`
 * API — script files, preview, execute, history, status, modules. Errors use the dashboard
 * envelope (errors.ts). Timestamps are epoch milliseconds.
 */

const PreviewRequest = z.object({ source: z.string() });

const doc = (summary: string, responses: RouteDoc['responses'], extra: Partial<RouteDoc> = {}): RouteDoc => ({ summary, tag: 'dashboard', responses, ...extra });
const ok = (description: string) => ({ 200: { description } });
const notFoundDoc = { 404: { description: 'not_found' } };

/** What the page may use besides the API (asked at request time: listeners mount routes after this one). */
export interface DashboardFeatures {
  readonly lsp: () => boolean;
}

export function dashboardRoutes(context: ServerContext, assets: DashboardAssets, runs: DashboardRuns, features: DashboardFeatures): RouteSpec[] {
  const root = context.config.dashboard.cstDir;

  const asset = (rel: (req: HttpRequest) => string): Handler => (req) =>
    assets.reply(rel(req), req) ??
    dashboardError(404, 'not_found', assets.built ? 'Resource not found' : 'The dashboard is not built (run npm run build)', req.path);
  const shell = asset(() => 'index.html');
  const staticFile = asset((req) => `static/${req.params['dir']}/${req.params['file']}`);

  const file = async (path: string | null): Promise<HttpReply> => {
    if (path === null || path.length === 0) return dashboardError(400, 'invalid_request', 'Missing path parameter');
    const read = await readScript(root, path);
    if (!read.ok) return dashboardError(read.status, read.error, read.message, path);
    const compiled = context.engine.compile(read.content);
    const { inputs, outputs } = declaredInterface(read.content, compiled.dag);
    return json(200, { path: read.path, name: read.name, content: read.content, inputs, outputs, lastModified: read.lastModified });
  };

  const preview: Handler = async (req) => {
    const parsed = await dashboardBody(req, PreviewRequest);
    if (!parsed.ok) return parsed.reply;
    const source = parsed.value.source;
    const compiled = context.engine.compile(source);
    if (!compiled.ok || !compiled.dag) {
      return json(400, { success: false, dagVizIR: null, errors: errorMessages(compiled), diagnostics: diagnosticsJson(compiled), inputs: declaredInterface(source, null).inputs });
    }
    const { inputs, outputs } = declaredInterface(source, compiled.dag);
    return json(200, {
      success: true, dagVizIR: dagToViz(compiled.dag), errors: [], diagnostics: diagnosticsJson(compiled), inputs, outputs, structuralHash: compiled.hashes.structural,
    });
  };

  const history: Handler = async (req) => {
    const limit = Math.min(100, Math.max(1, intParam(req, 'limit') ?? 50));
    const offset = Math.max(0, intParam(req, 'offset') ?? 0);
    const script = req.query.get('script');
    const records = script ? await context.history.listByScript(script, limit) : await context.history.list(limit, offset);
    const stats = await context.history.stats();
    return json(200, { executions: records.map(summaryOf), total: stats.totalExecutions, limit, offset: script ? 0 : offset });
  };

  const one = (render: (id: string) => Promise<HttpReply>): Handler => (req) => render(req.params['id']!);
  const missing = (id: string) => dashboardError(404, 'not_found', 'Execution not found', id);

  const modules = moduleRoutes(context).find((r) => r.method === 'GET' && r.path === '/modules')!;

  return [
    { method: 'GET', path: '/dashboard', handler: shell, doc: doc('The dashboard (HTML shell; public)', ok('text/html'), { public: true }) },
    // the address users type as often as the one without the slash (the shell's asset paths are absolute)
    { method: 'GET', path: '/dashboard/', handler: shell, doc: doc('The dashboard, as at /dashboard (HTML shell; public)', ok('text/html'), { public: true }) },
    { method: 'GET', path: '/dashboard/static/:dir/:file', handler: staticFile, doc: doc('Dashboard asset (public, precompressed)', { ...ok('the file'), ...notFoundDoc }, { public: true }) },
    { method: 'GET', path: '/static/:dir/:file', handler: staticFile, doc: doc('Dashboard asset (public, precompressed)', { ...ok('the file'), ...notFoundDoc }, { public: true }) },
    {
      method: 'GET',
      path: '/api/v1/files',
      handler: async () => json(200, { root, files: await listScripts(root) }),
      doc: doc('Tree of the .cst files under CONSTELLATION_CST_DIR', ok('{root, files}')),
    },
    { method: 'GET', path: '/api/v1/file', handler: (req) => file(req.query.get('path')), doc: doc('A script (?path=relative/path.cst) with its declared inputs and outputs', { ...ok('the file'), 400: { description: 'invalid_request' }, ...notFoundDoc }) },
    { method: 'GET', path: '/api/v1/files/:path', handler: (req) => file(req.params['path']!), doc: doc('A script at the top of the directory', { ...ok('the file'), 400: { description: 'invalid_request' }, ...notFoundDoc }) },
    {
      method: 'POST',
      path: '/api/v1/preview',
      handler: preview,
      doc: doc('Compile a source to its visualization graph (nothing is stored or run)', { ...ok('graph, diagnostics, inputs'), 400: { description: 'compile errors' } }, { body: { schema: PreviewRequest, required: true } }),
    },
    {
      method: 'POST',
      path: '/api/v1/execute',
      handler: (req) => runs.handle(req),
      doc: doc(
        'Run a script and record it in the history (async: 202 at once, progress on the events WebSocket)',
        { ...ok('the run'), 202: { description: 'started (async)' }, 400: { description: 'invalid_request or compilation_error' }, ...notFoundDoc, 503: { description: 'ShuttingDown' } },
        { body: { schema: DashboardExecuteRequest, required: true } },
      ),
    },
    { method: 'GET', path: '/api/v1/executions', handler: history, doc: doc('Execution history, newest first (?limit=&offset=&script=)', ok('{executions, total, limit, offset}')) },
    {
      method: 'GET',
      path: '/api/v1/executions/:id',
      handler: one(async (id) => {
        const r = await context.history.get(id);
        return r ? json(200, recordJson(r)) : missing(id);
      }),
      doc: doc('One stored execution', { ...ok('the record'), ...notFoundDoc }),
    },
    {
      method: 'GET',
      path: '/api/v1/executions/:id/dag',
      handler: one(async (id) => {
        const r = await context.history.get(id);
        if (!r) return missing(id);
        const viz = vizWithStates(r);
        return viz ? json(200, viz) : dashboardError(404, 'no_dag', 'DAG visualization not available for this execution', id);
      }),
      doc: doc('The stored graph of an execution with its node states', { ...ok('the graph'), 404: { description: 'not_found or no_dag' } }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/executions/:id',
      handler: one(async (id) => ((await context.history.delete(id)) ? json(200, { deleted: true }) : missing(id))),
      doc: doc('Delete a history entry', { ...ok('{deleted: true}'), ...notFoundDoc }),
    },
    {
      method: 'GET',
      path: '/api/v1/status',
      handler: async () => {
        const s = await context.history.stats();
        const { dashboard } = context.config;
        return json(200, {
          enabled: true,
          cstDirectory: dashboard.cstDir,
          sampleRate: dashboard.sampleRate,
          maxExecutions: dashboard.maxExecutions,
          storageStats: {
            totalExecutions: s.totalExecutions, runningExecutions: s.running, completedExecutions: s.completed, failedExecutions: s.failed,
            oldestExecutionTime: s.oldestExecutionTime, newestExecutionTime: s.newestExecutionTime, maxCapacity: s.maxCapacity,
          },
          backgroundRuns: runs.backgroundCount,
          features: { lsp: features.lsp(), liveEvents: true },
        });
      },
      doc: doc('Dashboard status and history statistics', ok('status')),
    },
    {
      method: 'GET',
      path: '/api/v1/canaries',
      handler: () => json(200, { canaries: context.pipelines.canaries() }),
      doc: doc('Every canary release the server knows (one call instead of one per alias)', ok('{canaries: [CanaryStateResponse]}')),
    },
    { method: 'GET', path: '/api/v1/modules', handler: modules.handler, doc: { ...modules.doc, summary: 'Registered modules (same as GET /modules)', tag: 'dashboard' } },
  ];
}

function intParam(req: HttpRequest, name: string): number | undefined {
  const raw = req.query.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) ? n : undefined;
}
