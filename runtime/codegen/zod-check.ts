import type { z } from 'zod';
import { CodeBuilder, jsString } from './emit.js';

/**
 * zod schemas compiled to specialised checks (once per schema object: a module's at its
 * registration, a request body's at its first use), for the hot paths that validate with zod:
 * module calls (input and output) and request bodies.
 *
 * A specialised check only accepts. Given a value zod would accept, it returns what zod would
 * return (a fresh object with the schema's keys in the schema's order, unknown keys dropped);
 * for anything else — an invalid value, or a schema part it does not model — it returns
 * `REJECTED` and the caller asks zod, so every error is zod's own. Modelled: string, number
 * (finite; `int`), boolean, literal, optional, nullable, array and object schemas without extra
 * checks, and `custom` predicates; any other part (refinements, length or range checks, unions,
 * records, defaults, transforms …) is parsed by zod itself inside the generated code.
 */

export const REJECTED: unique symbol = Symbol('rejected');

/** zod's output for values it accepts, else REJECTED (then zod decides). */
export type SpecialisedCheck = (value: unknown) => unknown;

const checks = new WeakMap<z.ZodType, SpecialisedCheck>();

/** The schema's specialised check, compiled on first use and kept as long as the schema lives. */
export function specialisedCheck(schema: z.ZodType): SpecialisedCheck {
  let check = checks.get(schema);
  if (check === undefined) {
    check = compileCheck(schema);
    checks.set(schema, check);
  }
  return check;
}

type AnyDef = { type: string; [k: string]: unknown };
type Internals = { def: AnyDef; optin?: string; optout?: string };

function internals(schema: z.ZodType): Internals {
  return (schema as unknown as { _zod: Internals })._zod;
}

function compileCheck(schema: z.ZodType): SpecialisedCheck {
  const b = new CodeBuilder();
  const rejected = b.constant(REJECTED);
  const out = emitCheck(b, schema, 'value', rejected);
  b.line(`return ${out};`);
  const generated = b.compile<SpecialisedCheck>(['value']).fn;
  return (value) => {
    try {
      return generated(value);
    } catch {
      // a zod part that throws (an asynchronous refinement …): zod gives the answer
      return REJECTED;
    }
  };
}

/** Checks with only these names and formats keep a number schema specialised. */
function plainInt(check: unknown): boolean {
  const def = (check as { _zod?: { def?: { check?: string; format?: string } } })._zod?.def;
  return def?.check === 'number_format' && def.format === 'safeint';
}

function emitCheck(b: CodeBuilder, schema: z.ZodType, src: string, rejected: string): string {
  const zod = internals(schema);
  const def = zod.def;
  const checks = (def.checks as unknown[] | undefined) ?? [];
  const reject = `return ${rejected};`;
  switch (def.type) {
    case 'string':
      if (def.coerce || def.check !== undefined || checks.length > 0) break;
      b.line(`if (typeof ${src} !== 'string') ${reject}`);
      return src;
    case 'boolean':
      if (def.coerce || def.check !== undefined || checks.length > 0) break;
      b.line(`if (typeof ${src} !== 'boolean') ${reject}`);
      return src;
    case 'number': {
      if (def.coerce) break;
      const selfInt = def.check === 'number_format' && def.format === 'safeint';
      if ((def.check !== undefined && !selfInt) || !checks.every(plainInt)) break;
      const int = selfInt || checks.length > 0;
      b.line(int ? `if (typeof ${src} !== 'number' || !Number.isSafeInteger(${src})) ${reject}` : `if (typeof ${src} !== 'number' || !Number.isFinite(${src})) ${reject}`);
      return src;
    }
    case 'literal': {
      if (def.check !== undefined || checks.length > 0) break;
      b.line(`if (!${b.constant(new Set(def.values as unknown[]))}.has(${src})) ${reject}`);
      return src;
    }
    case 'optional': {
      const inner = def.innerType as z.ZodType;
      if (checks.length > 0 || internals(inner).optin !== undefined) break;
      const v = b.local();
      b.line(`let ${v};`);
      b.line(`if (${src} !== undefined) {`);
      b.line(`${v} = ${emitCheck(b, inner, src, rejected)};`);
      b.line('}');
      return v;
    }
    case 'nullable': {
      if (checks.length > 0) break;
      const v = b.local();
      b.line(`let ${v} = null;`);
      b.line(`if (${src} !== null) {`);
      b.line(`${v} = ${emitCheck(b, def.innerType as z.ZodType, src, rejected)};`);
      b.line('}');
      return v;
    }
    case 'array': {
      if (def.check !== undefined || checks.length > 0) break;
      return b.arrayCopy(src, reject, (item) => emitCheck(b, def.element as z.ZodType, item, rejected));
    }
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const keys = Object.keys(shape);
      // zod drops a declared `__proto__` from its output and reads symbol keys: left to zod
      if (def.catchall !== undefined || def.check !== undefined || checks.length > 0 || keys.includes('__proto__') || Object.getOwnPropertySymbols(shape).length > 0) break;
      b.line(`if (typeof ${src} !== 'object' || ${src} === null || Array.isArray(${src})) ${reject}`);
      const v = b.local();
      b.line(`const ${v} = {};`);
      for (const key of keys) emitProperty(b, shape[key]!, src, v, jsString(key), rejected);
      return v;
    }
    case 'custom': {
      if (checks.length > 0 || typeof def.fn !== 'function') break;
      // zod's custom check passes on a truthy answer; a promise (asynchronous) is zod's business
      b.line(`if (${b.constant(def.fn)}(${src}) !== true) ${reject}`);
      return src;
    }
  }
  // not modelled: zod parses this part
  const parsed = b.local();
  b.line(`const ${parsed} = ${b.constant(schema)}.safeParse(${src});`);
  b.line(`if (!${parsed}.success) ${reject}`);
  return `${parsed}.data`;
}

/**
 * One key of an object schema, as zod's object parser handles it: absent and optional → left
 * out; present → checked (an explicit `undefined` stays as a key); absent and required → zod.
 */
function emitProperty(b: CodeBuilder, schema: z.ZodType, src: string, out: string, key: string, rejected: string): void {
  const { optin, optout } = internals(schema);
  const present = b.local();
  const raw = b.local();
  b.line(`const ${present} = ${key} in ${src};`);
  b.line(`const ${raw} = ${src}[${key}];`);
  if (optin === 'optional' && optout === 'optional') {
    b.line(`if (${present}) {`);
    const value = emitCheck(b, schema, raw, rejected);
    b.line(`${out}[${key}] = ${value};`);
    b.line('}');
    return;
  }
  // absent and required (or filled in by a default): zod decides
  b.line(`if (!${present}) return ${rejected};`);
  const value = emitCheck(b, schema, raw, rejected);
  b.line(`${out}[${key}] = ${value};`);
}
