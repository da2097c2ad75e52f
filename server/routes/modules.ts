import type { Dag, DagNode } from '../../runtime/compiler/dag.js';
import { qualifiedName } from '../../runtime/compiler/registry.js';
import { InputError } from '../../runtime/engine/engine.js';
import type { ModuleEntry } from '../../runtime/engine/module-registry.js';
import type { ServerContext } from '../context.js';
import { moduleInfo } from '../module-info.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { ErrorResponse, InvokeRequest, InvokeResponse, ModulesResponse, PublishedModulesResponse } from '../schemas.js';
import { readBody } from './body.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { busyReply, notFound, shuttingDownReply } from './reply.js';

/**
 * Module routes: `GET /modules`, `GET /modules/published`,
 * `POST /modules/{name}/invoke`. The ModuleInfo shape is server/module-info.ts.
 *
 * Decisions:
 * - Invoke runs the module as a one-node pipeline built directly as a DAG (one input node per
 *   parameter, one module node, one output), through the normal engine: same placement
 *   (worker pool), timeouts, circuit breaker and listeners as inside a pipeline. The DAG is
 *   built once per module. Invoke runs are never stored as suspended executions.
 * - Every parameter is required, except `Optional` ones, which may be omitted (docs/decisions.md #10).
 * - Malformed JSON is 400 (docs/decisions.md #16; the reference answers 500); a failed module run is
 *   500 with the module's error; a draining server is 503 `ShuttingDown`, a full queue 429.
 * - A module may be addressed by its registry name, or by its short name when that is unique
 *   enough for the registry (`Uppercase`); a dotted name must match exactly.
 */

function isPublished(entry: ModuleEntry): boolean {
  return entry.prepared?.module.published === true;
}

function lookup(context: ServerContext, name: string): ModuleEntry | undefined {
  const entry = context.engine.modules.get(name);
  if (!entry) return undefined;
  return entry.id === name || !name.includes('.') ? entry : undefined;
}

/** The output name of the one-node pipeline whose output is the whole output record. */
const WHOLE = '*';

const dags = new WeakMap<ModuleEntry, Dag>();

/** `in p1; …; in pN; out = Module(p1, …, pN)` as a DAG. */
function oneNodeDag(entry: ModuleEntry): Dag {
  let dag = dags.get(entry);
  if (dag) return dag;
  const sig = entry.signature;
  const nodes: DagNode[] = sig.params.map((p, i) => ({ id: i, kind: 'input', name: p.name, type: p.type }));
  const id = nodes.length;
  nodes.push({
    id,
    kind: 'module',
    name: sig.name,
    type: sig.returns,
    module: entry.id,
    function: qualifiedName(sig),
    params: sig.params.map((p) => p.name),
    args: sig.params.map((_, i) => i),
    outputField: sig.outputField,
  });
  const outName = sig.outputField === '*' ? WHOLE : sig.outputField;
  dag = {
    formatVersion: 1,
    inputs: sig.params.map((p, i) => ({ name: p.name, type: p.type, node: i })),
    outputs: [{ name: outName, type: sig.returns, node: id }],
    nodes,
    layers: nodes.map((n) => (n.kind === 'input' ? 0 : 1)),
    variables: nodes.map((n) => (n.kind === 'input' ? n.name : null)),
  };
  dags.set(entry, dag);
  return dag;
}

export function moduleRoutes(context: ServerContext): RouteSpec[] {
  const list = (): HttpReply => json(200, { modules: [...context.engine.modules.entries()].map(moduleInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) });

  const published = (): HttpReply =>
    json(200, {
      modules: [...context.engine.modules.entries()]
        .filter(isPublished)
        .map((e) => ({ ...moduleInfo(e), tags: [...(e.prepared?.module.tags ?? [])], endpoint: `/modules/${encodeURIComponent(e.id)}/invoke` }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    });

  const invoke = async (req: HttpRequest): Promise<HttpReply> => {
    const name = req.params['name']!;
    const entry = lookup(context, name);
    if (!entry) return notFound(`Module '${name}' not found`);
    if (!isPublished(entry)) return notFound(`Module '${name}' is not published as an HTTP endpoint`);
    const fail = (status: number, error: string) => json(status, { success: false, outputs: {}, error, module: entry.id });
    const parsed = await readBody(req, InvokeRequest);
    if (!parsed.ok) return fail(400, parsed.message.startsWith('malformed JSON') ? `Invalid request: ${parsed.message}` : 'Request body must be a JSON object');
    const inputs = parsed.value;
    for (const p of entry.signature.params) {
      const given = Object.prototype.hasOwnProperty.call(inputs, p.name) && inputs[p.name] !== undefined;
      if (!given && p.type.k !== 'Optional') return fail(400, `Missing required input: '${p.name}'`);
    }
    if (!context.lifecycle.acceptingWork) return shuttingDownReply(req.requestId);
    const dag = oneNodeDag(entry);
    try {
      const result = await context.engine.run(dag, inputs, { persist: false });
      context.metrics.onExecution(`module:${entry.id}`, result.status, result.durationMs);
      if (result.status !== 'completed') {
        const error =
          result.errors.map((e) => e.message).join('; ') ||
          (result.status === 'timed_out' ? 'The execution exceeded its time limit' : result.status === 'cancelled' ? 'The execution was cancelled' : `Module did not complete (${result.status})`);
        return fail(500, error);
      }
      const out = result.outputs as Record<string, unknown>;
      const outputs = entry.signature.outputField === '*' ? ((out[WHOLE] as Record<string, unknown> | undefined) ?? {}) : out;
      return json(200, { success: true, outputs, error: null, module: entry.id });
    } catch (e) {
      if (e instanceof InputError) return fail(400, e.message);
      const busy = busyReply(e, req.requestId);
      if (busy) return busy;
      return fail(500, e instanceof Error ? e.message : String(e));
    }
  };

  return [
    {
      method: 'GET',
      path: '/modules',
      handler: list,
      doc: { summary: 'Every registered module (standard library and application modules)', tag: 'modules', responses: { 200: { description: 'Modules, sorted by name', schema: ModulesResponse } } },
    },
    {
      method: 'GET',
      path: '/modules/published',
      handler: published,
      doc: { summary: 'Modules published for direct invocation', tag: 'modules', responses: { 200: { description: 'Published modules', schema: PublishedModulesResponse } } },
    },
    {
      method: 'POST',
      path: '/modules/:name/invoke',
      handler: invoke,
      doc: {
        summary: 'Invoke one published module as a one-node pipeline',
        tag: 'modules',
        params: { name: 'Module registry name' },
        body: { schema: InvokeRequest, required: true, description: 'The module parameters by name; every non-Optional parameter is required' },
        responses: {
          200: { description: 'The module outputs', schema: InvokeResponse },
          400: { description: 'Body not a JSON object, a missing parameter, or a conversion error', schema: InvokeResponse },
          404: { description: 'Module unknown or not published', schema: ErrorResponse },
          429: errorDoc('QueueFull'),
          500: { description: 'The module failed', schema: InvokeResponse },
          503: errorDoc('ShuttingDown'),
        },
      },
    },
  ];
}
