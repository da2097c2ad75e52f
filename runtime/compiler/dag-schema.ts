import { z } from 'zod';
import type { Type } from '../types/type.js';
import { DAG_FORMAT_VERSION, type Dag } from './dag.js';
import type { Coercion, IrExpr } from './ir.js';

/**
 * zod schemas of the DAG IR: every DAG that comes from outside the process (a file store, NATS
 * KV, another instance, a worker message) is validated against these before the engine uses it.
 */

export const typeSchema: z.ZodType<Type> = z.lazy(() =>
  z.union([
    z.object({ k: z.enum(['String', 'Int', 'Float', 'Boolean', 'Nothing', 'Error']) }),
    z.object({ k: z.enum(['List', 'Seq', 'Optional']), of: typeSchema }),
    z.object({ k: z.literal('Map'), key: typeSchema, value: typeSchema }),
    z.object({ k: z.literal('Record'), fields: z.array(z.tuple([z.string(), typeSchema])), open: z.boolean().optional() }),
    z.object({ k: z.literal('Union'), members: z.array(typeSchema) }),
    z.object({ k: z.literal('Function'), params: z.array(typeSchema), result: typeSchema }),
    z.object({ k: z.literal('Var'), name: z.string() }),
  ]),
) as z.ZodType<Type>;

const nodeId = z.number().int().min(0);

export const coercionSchema: z.ZodType<Coercion> = z.lazy(() =>
  z.union([
    z.object({ c: z.literal('inject'), tag: z.string(), inner: coercionSchema.optional() }),
    z.object({ c: z.literal('retag'), tags: z.record(z.string(), z.object({ tag: z.string(), inner: coercionSchema.optional() })) }),
    z.object({ c: z.enum(['each', 'optional', 'mapValues']), of: coercionSchema }),
    z.object({ c: z.literal('fields'), fields: z.array(z.tuple([z.string(), coercionSchema])) }),
  ]),
) as z.ZodType<Coercion>;

const tags = z.array(z.string()).nullable();

export const irSchema: z.ZodType<IrExpr> = z.lazy(() =>
  z.union([
    z.object({ op: z.literal('ref'), node: nodeId }),
    z.object({ op: z.literal('local'), slot: z.number().int().min(0) }),
    z.object({ op: z.literal('lit'), value: z.union([z.string(), z.number(), z.boolean()]) }),
    z.object({ op: z.literal('list'), items: z.array(irSchema) }),
    z.object({ op: z.literal('record'), fields: z.array(z.tuple([z.string(), irSchema])) }),
    z.object({ op: z.literal('field'), source: irSchema, name: z.string(), each: z.boolean() }),
    z.object({ op: z.literal('project'), source: irSchema, names: z.array(z.string()), each: z.boolean() }),
    z.object({ op: z.literal('merge'), left: irSchema, right: irSchema, shape: z.enum(['record', 'zip', 'broadcast-right', 'broadcast-left']) }),
    z.object({ op: z.literal('arith'), fn: z.enum(['+', '-', '*', '/']), num: z.enum(['int', 'float']), left: irSchema, right: irSchema, lambda: z.boolean().optional() }),
    z.object({ op: z.literal('neg'), num: z.enum(['int', 'float']), operand: irSchema }),
    z.object({ op: z.literal('cmp'), fn: z.enum(['==', '!=', '<', '>', '<=', '>=']), left: irSchema, right: irSchema }),
    z.object({ op: z.enum(['and', 'or']), left: irSchema, right: irSchema }),
    z.object({ op: z.literal('not'), operand: irSchema }),
    z.object({ op: z.literal('when'), value: irSchema, cond: irSchema }),
    z.object({ op: z.literal('coalesce'), left: irSchema, right: irSchema, keepOptional: z.boolean() }),
    z.object({ op: z.literal('if'), cond: irSchema, then: irSchema, else: irSchema }),
    z.object({ op: z.literal('branch'), conds: z.array(irSchema), bodies: z.array(irSchema), otherwise: irSchema }),
    z.object({
      op: z.literal('match'),
      scrutinee: irSchema,
      cases: z.array(z.object({
        tags,
        bind: z.array(z.object({ slot: z.number().int().min(0), field: z.string(), coerce: z.record(z.string(), coercionSchema).optional() })),
        body: irSchema,
      })),
    }),
    z.object({ op: z.literal('matchIndex'), scrutinee: irSchema, cases: z.array(tags) }),
    z.object({ op: z.literal('select'), index: irSchema, bodies: z.array(irSchema) }),
    z.object({ op: z.literal('interp'), strings: z.array(z.string()), parts: z.array(z.object({ expr: irSchema, type: typeSchema })) }),
    z.object({ op: z.literal('call'), fn: z.string(), args: z.array(irSchema), lambda: z.boolean() }),
    z.object({ op: z.literal('hof'), fn: z.enum(['filter', 'map', 'all', 'any']), source: irSchema, slot: z.number().int().min(0), body: irSchema }),
    z.object({ op: z.literal('coerce'), source: irSchema, coercion: coercionSchema }),
    z.object({ op: z.literal('recover'), primary: nodeId, fallback: irSchema }),
    z.object({ op: z.literal('unreachable') }),
  ]),
) as z.ZodType<IrExpr>;

const gateSchema = z.object({
  node: nodeId,
  test: z.enum(['true', 'false', 'absent', 'failed', 'case']),
  index: z.number().int().min(0).optional(),
});

export const moduleCallOptionsSchema = z.object({
  retry: z.number().int().min(0).optional(),
  timeoutMs: z.number().positive().optional(),
  delayMs: z.number().positive().optional(),
  backoff: z.enum(['fixed', 'linear', 'exponential']).optional(),
  cacheMs: z.number().positive().optional(),
  cacheBackend: z.string().optional(),
  throttleCount: z.number().int().positive().optional(),
  throttlePerMs: z.number().positive().optional(),
  concurrency: z.number().int().positive().optional(),
  onError: z.enum(['propagate', 'skip', 'log', 'wrap']).optional(),
  lazyEval: z.boolean().optional(),
  priority: z.number().min(0).max(100).optional(),
  batchSize: z.number().int().positive().optional(),
  batchTimeoutMs: z.number().positive().optional(),
  window: z.string().optional(),
  checkpointMs: z.number().positive().optional(),
  joinStrategy: z.string().optional(),
  hasFallback: z.boolean().optional(),
});

const base = { id: nodeId, name: z.string(), type: typeSchema, gate: gateSchema.optional() };

export const dagNodeSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('input') }),
  z.object({
    ...base,
    kind: z.literal('module'),
    module: z.string().min(1),
    function: z.string().min(1),
    params: z.array(z.string()),
    args: z.array(nodeId),
    outputField: z.string(),
    options: moduleCallOptionsSchema.optional(),
  }),
  z.object({ ...base, kind: z.literal('transform'), expr: irSchema, deps: z.array(nodeId), recovers: nodeId.optional() }),
]);

export const dagSchema = z
  .object({
    formatVersion: z.literal(DAG_FORMAT_VERSION),
    inputs: z.array(z.object({ name: z.string(), type: typeSchema, node: nodeId })),
    outputs: z.array(z.object({ name: z.string(), type: typeSchema, node: nodeId })),
    nodes: z.array(dagNodeSchema),
    layers: z.array(z.number().int().min(0)),
    variables: z.array(z.string().nullable()),
  })
  .superRefine((dag, check) => {
    // Structural invariants the engine relies on: ids are positions, and every reference points
    // backwards (a topological order, so no cycles).
    dag.nodes.forEach((n, i) => {
      if (n.id !== i) check.addIssue({ code: 'custom', message: `node ${i} has id ${n.id}`, path: ['nodes', i, 'id'] });
      const deps = n.kind === 'module' ? n.args : n.kind === 'transform' ? n.deps : [];
      for (const d of [...deps, ...(n.gate ? [n.gate.node] : [])]) {
        if (d >= i) check.addIssue({ code: 'custom', message: `node ${i} depends on node ${d}, which does not precede it`, path: ['nodes', i] });
      }
      if (n.kind === 'module' && n.args.length !== n.params.length) check.addIssue({ code: 'custom', message: `node ${i}: ${n.args.length} arguments for ${n.params.length} parameters`, path: ['nodes', i] });
    });
    for (const io of [...dag.inputs, ...dag.outputs]) {
      if (io.node >= dag.nodes.length) check.addIssue({ code: 'custom', message: `'${io.name}' refers to missing node ${io.node}` });
    }
    if (dag.layers.length !== dag.nodes.length || dag.variables.length !== dag.nodes.length) {
      check.addIssue({ code: 'custom', message: 'layers and variables must have one entry per node' });
    }
  });

/** Validates an untrusted DAG; throws a zod error describing every problem. */
export function parseDag(value: unknown): Dag {
  return dagSchema.parse(value) as unknown as Dag;
}
