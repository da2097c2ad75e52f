import type { z } from 'zod';
import type { FunctionSignature } from '../compiler/registry.js';
import type { Type } from '../types/type.js';
import { objectShape, typeOfSchema } from './zod-type.js';

/**
 * The module authoring API. A module is a TypeScript function with zod schemas for its input and
 * output; the schemas give the compiler the module's signature and validate values at run time.
 *
 * ```ts
 * export default defineModule({
 *   name: 'Uppercase',
 *   input: z.object({ text: z.string() }),
 *   output: z.object({ result: z.string() }),
 *   run: ({ text }) => ({ result: text.toUpperCase() }),
 * });
 * ```
 *
 * The DSL call passes arguments positionally in the order of the input object's keys. When the
 * output object has one field, the call evaluates to that field (the reference's convention);
 * with several fields it evaluates to the whole record.
 */

export interface ModuleContext<S = unknown> {
  /** Aborted when the attempt times out or the execution is cancelled. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  readonly executionId: string;
  /** Per-engine state created by `createState` (per worker thread when the module runs on the pool). */
  readonly state: S;
  /** Resolves after `ms`, or rejects when the signal aborts. */
  sleep(ms: number): Promise<void>;
}

/**
 * Where the module body runs:
 * - `worker` (default): on the Piscina worker pool. Right for anything CPU-bound or untrusted:
 *   a busy loop cannot stall the server, and its timeout replaces the stuck worker.
 * - `front`: on the coordinator's event loop, no thread hop. Only for light, trusted, async
 *   I/O-bound bodies (they must never block).
 */
export type Placement = 'worker' | 'front';

export interface ModuleSpec<I extends z.ZodObject, O extends z.ZodObject, S = unknown> {
  readonly name: string;
  readonly namespace?: string;
  readonly version?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly input: I;
  readonly output: O;
  readonly placement?: Placement;
  /** Also invocable on its own at `POST /modules/{name}/invoke`. */
  readonly published?: boolean;
  readonly createState?: () => S;
  run(input: z.output<I>, ctx: ModuleContext<S>): z.input<O> | Promise<z.input<O>>;
}

export interface ConstellationModule<S = unknown> {
  readonly kind: 'constellation-module';
  /** Registry name (`namespace.name`, or `name`). */
  readonly id: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly version: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly placement: Placement;
  readonly published: boolean;
  readonly input: z.ZodObject;
  readonly output: z.ZodObject;
  readonly params: readonly { readonly name: string; readonly type: Type }[];
  readonly returns: Type;
  /** The output field the call evaluates to, or `*` for the whole output record. */
  readonly outputField: string;
  readonly createState: (() => S) | undefined;
  // method syntax: parameters are bivariant, so a module with typed state is a ConstellationModule
  run(input: never, ctx: ModuleContext<S>): unknown;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function defineModule<I extends z.ZodObject, O extends z.ZodObject, S = unknown>(spec: ModuleSpec<I, O, S>): ConstellationModule<S> {
  if (!NAME.test(spec.name)) throw new TypeError(`module name '${spec.name}' must match ${NAME}`);
  if (spec.namespace !== undefined && !spec.namespace.split('.').every((p) => NAME.test(p))) {
    throw new TypeError(`module namespace '${spec.namespace}' must be dot-separated names`);
  }
  const inputShape = objectShape(spec.input);
  const outputShape = objectShape(spec.output);
  if (!inputShape || !outputShape) throw new TypeError(`module ${spec.name}: input and output must be z.object(...) schemas`);
  const outputKeys = Object.keys(outputShape);
  if (outputKeys.length === 0) throw new TypeError(`module ${spec.name}: the output object needs at least one field`);
  const params = Object.entries(inputShape).map(([name, schema]) => ({ name, type: typeOfSchema(schema, `${spec.name}.input.${name}`) }));
  const outputField = outputKeys.length === 1 ? outputKeys[0]! : '*';
  const returns = outputField === '*' ? typeOfSchema(spec.output, `${spec.name}.output`) : typeOfSchema(outputShape[outputField]!, `${spec.name}.output.${outputField}`);
  return {
    kind: 'constellation-module',
    id: spec.namespace ? `${spec.namespace}.${spec.name}` : spec.name,
    name: spec.name,
    namespace: spec.namespace,
    version: spec.version ?? '1.0.0',
    description: spec.description ?? '',
    tags: spec.tags ?? [],
    placement: spec.placement ?? 'worker',
    published: spec.published ?? false,
    input: spec.input,
    output: spec.output,
    params,
    returns,
    outputField,
    createState: spec.createState,
    run: spec.run as ConstellationModule<S>['run'],
  };
}

export function isModule(value: unknown): value is ConstellationModule {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'constellation-module';
}

export function signatureOf(m: ConstellationModule): FunctionSignature {
  return {
    name: m.name,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    params: m.params,
    returns: m.returns,
    outputField: m.outputField,
    module: m.id,
    kind: 'module',
    version: m.version,
    description: m.description,
    ...(m.tags.length > 0 ? { tags: m.tags } : {}),
  };
}
