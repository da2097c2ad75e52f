import type { z } from 'zod';
import { T, type Type } from '../types/type.js';

/**
 * zod schema → constellation type, so a module's zod schemas give the compiler its signature.
 * Supported: string (and string literals/enums), number (Float; `.int()`/`z.int()` → Int),
 * boolean, array (List), object (record), optional/nullable/nullish (Optional), default (the
 * inner type), union, record with string keys and map (Map). Anything else is a definition error.
 */

type AnyDef = { type: string; [k: string]: unknown };

function defOf(schema: z.ZodType): AnyDef {
  return (schema as unknown as { _zod: { def: AnyDef } })._zod.def;
}

const INT_FORMATS = new Set(['safeint', 'int32', 'uint32', 'int64', 'uint64']);

function isIntSchema(def: AnyDef): boolean {
  if (typeof def.format === 'string' && INT_FORMATS.has(def.format)) return true;
  const checks = (def.checks ?? []) as { _zod: { def: { check?: string; format?: string } } }[];
  return checks.some((c) => c._zod.def.check === 'number_format' && INT_FORMATS.has(c._zod.def.format ?? ''));
}

export function typeOfSchema(schema: z.ZodType, path = 'schema'): Type {
  const def = defOf(schema);
  switch (def.type) {
    case 'string': return T.String;
    case 'number': return isIntSchema(def) ? T.Int : T.Float;
    case 'int': return T.Int;
    case 'boolean': return T.Boolean;
    case 'literal': {
      const values = def.values as unknown[];
      if (values.every((v) => typeof v === 'string')) return T.String;
      if (values.every((v) => typeof v === 'boolean')) return T.Boolean;
      if (values.every((v) => typeof v === 'number')) return values.every((v) => Number.isInteger(v)) ? T.Int : T.Float;
      break;
    }
    case 'enum': return T.String;
    case 'array': return T.list(typeOfSchema(def.element as z.ZodType, `${path}[]`));
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      return T.record(Object.entries(shape).map(([k, v]) => [k, typeOfSchema(v, `${path}.${k}`)] as const));
    }
    case 'optional': case 'nullable': {
      const inner = typeOfSchema(def.innerType as z.ZodType, path);
      return inner.k === 'Optional' ? inner : T.optional(inner);
    }
    case 'default': case 'prefault': case 'readonly': case 'catch':
      return typeOfSchema(def.innerType as z.ZodType, path);
    case 'pipe':
      return typeOfSchema(def.in as z.ZodType, path);
    case 'union':
      return T.union((def.options as z.ZodType[]).map((o, i) => typeOfSchema(o, `${path}|${i}`)));
    case 'record': {
      const key = typeOfSchema(def.keyType as z.ZodType, `${path}<key>`);
      if (key.k !== 'String') break;
      return T.map(T.String, typeOfSchema(def.valueType as z.ZodType, `${path}<value>`));
    }
    case 'map':
      return T.map(typeOfSchema(def.keyType as z.ZodType, `${path}<key>`), typeOfSchema(def.valueType as z.ZodType, `${path}<value>`));
  }
  throw new TypeError(`${path}: zod type '${def.type}' has no constellation-lang equivalent (use string, number, boolean, array, object, optional, union, record or map)`);
}

export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = defOf(schema);
  return def.type === 'object' ? (def.shape as Record<string, z.ZodType>) : undefined;
}
