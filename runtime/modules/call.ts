import { REJECTED, specialisedCheck, type SpecialisedCheck } from '../codegen/zod-check.js';
import { ConstellationError } from '../errors.js';
import { fromModuleValue, needsConversion, toModuleValue } from './boundary.js';
import type { ConstellationModule, ModuleContext } from './define.js';
import type { Value } from '../values/value.js';

/**
 * Calls a module body with positional engine values: converts them to the module's plain
 * input object, validates it with the input schema, runs, validates the output with the output
 * schema and converts the call's value back. Shared by the coordinator (`front` modules) and the
 * worker threads (`worker` modules), so both validate identically.
 */

export interface PreparedModule {
  readonly module: ConstellationModule;
  readonly convertIn: boolean[];
  readonly convertOut: boolean;
  /** The input and output schemas compiled to specialised checks (codegen/zod-check.ts); zod judges what they do not accept. */
  readonly checkInput: SpecialisedCheck;
  readonly checkOutput: SpecialisedCheck;
}

/**
 * Prepares a module for calls. Runs at every registration (modules come and go at run time:
 * provider modules, reloads), so the compiled checks belong to this registration and are
 * collected with it.
 */
export function prepare(module: ConstellationModule): PreparedModule {
  return {
    module,
    convertIn: module.params.map((p) => needsConversion(p.type)),
    convertOut: needsConversion(module.returns),
    checkInput: specialisedCheck(module.input),
    checkOutput: specialisedCheck(module.output),
  };
}

export async function callModule(p: PreparedModule, args: readonly Value[], ctx: ModuleContext): Promise<Value> {
  return invokeModule(p, args, ctx);
}

/**
 * Like callModule, but synchronous when the module body is: a module whose `run` returns a
 * plain value yields the call's value directly, so the coordinator can settle it in the same
 * turn without a promise. Throws (synchronously) on invalid input or output.
 */
export function invokeModule(p: PreparedModule, args: readonly Value[], ctx: ModuleContext): Value | Promise<Value> {
  const m = p.module;
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < m.params.length; i++) {
    const param = m.params[i]!;
    raw[param.name] = p.convertIn[i] ? toModuleValue(args[i], param.type) : args[i];
  }
  let input = p.checkInput(raw);
  if (input === REJECTED) {
    const parsed = m.input.safeParse(raw);
    if (!parsed.success) throw new ConstellationError('InvalidModuleInput', `${m.id}: input does not match its schema: ${summarise(parsed.error)}`);
    input = parsed.data;
  }
  const result = m.run(input as never, ctx);
  return result instanceof Promise ? result.then((r) => outputValue(p, r)) : outputValue(p, result);
}

function outputValue(p: PreparedModule, result: unknown): Value {
  const m = p.module;
  let checked = p.checkOutput(result);
  if (checked === REJECTED) {
    const output = m.output.safeParse(result);
    if (!output.success) throw new ConstellationError('InvalidModuleOutput', `${m.id}: output does not match its schema: ${summarise(output.error)}`);
    checked = output.data;
  }
  const data = checked as Record<string, unknown>;
  const value = m.outputField === '*' ? data : data[m.outputField];
  return p.convertOut ? fromModuleValue(value, m.returns) : (value as Value);
}

function summarise(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') + ': ' : ''}${i.message}`)
    .join('; ');
}

/** A cancellable sleep for module code (`ctx.sleep`). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
