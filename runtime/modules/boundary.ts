import { printType, type Type } from '../types/type.js';
import { isSubtype } from '../types/type.js';
import { setField, Some, Tagged, ValueMap, type Value } from '../values/value.js';

/**
 * Conversion between the engine's value representation and what module code sees (plain data,
 * as zod parses it): union values lose their tag, absent optionals become `undefined`, Map values
 * become plain objects (string keys) or Maps. On the way back the declared type drives the
 * reverse conversion. For types without unions, optionals or maps both directions are the
 * identity, and `needsConversion` lets callers skip the walk.
 */

export function needsConversion(t: Type): boolean {
  switch (t.k) {
    case 'Optional': case 'Union': case 'Map': return true;
    case 'List': case 'Seq': return needsConversion(t.of);
    case 'Record': return t.fields.some(([, ft]) => needsConversion(ft));
    default: return false;
  }
}

export function toModuleValue(v: Value, t: Type): unknown {
  switch (t.k) {
    case 'Optional':
      if (v === null || v === undefined) return undefined;
      return toModuleValue(v instanceof Some ? v.value : v, t.of);
    case 'Union': {
      if (!(v instanceof Tagged)) return v;
      const member = t.members.find((m) => printType(m) === v.tag);
      return member ? toModuleValue(v.value, member) : v.value;
    }
    case 'Map': {
      const m = v as Map<Value, Value>;
      if (t.key.k === 'String') {
        const o: Record<string, unknown> = {};
        for (const [k, x] of m) setField(o, k as string, toModuleValue(x, t.value));
        return o;
      }
      const out = new Map<unknown, unknown>();
      for (const [k, x] of m) out.set(toModuleValue(k, t.key), toModuleValue(x, t.value));
      return out;
    }
    case 'List': case 'Seq':
      return needsConversion(t.of) ? (v as Value[]).map((x) => toModuleValue(x, t.of)) : v;
    case 'Record': {
      if (!needsConversion(t)) return v;
      const rec = v as Record<string, Value>;
      const o: Record<string, unknown> = {};
      for (const [n, ft] of t.fields) setField(o, n, toModuleValue(rec[n], ft));
      return o;
    }
    default:
      return v;
  }
}

/** Module output (already validated by its zod schema) → engine value of type `t`. */
export function fromModuleValue(v: unknown, t: Type): Value {
  switch (t.k) {
    case 'Optional':
      if (v === null || v === undefined) return null;
      return wrapPresent(fromModuleValue(v, t.of));
    case 'Union': {
      const member = t.members.find((m) => conforms(v, m)) ?? t.members[0]!;
      return new Tagged(printType(member), fromModuleValue(v, member));
    }
    case 'Map': {
      const m = new ValueMap<Value, Value>();
      if (v instanceof Map) for (const [k, x] of v) m.set(fromModuleValue(k, t.key), fromModuleValue(x, t.value));
      else for (const [k, x] of Object.entries(v as object)) m.set(k, fromModuleValue(x, t.value));
      return m;
    }
    case 'List': case 'Seq':
      return needsConversion(t.of) ? (v as unknown[]).map((x) => fromModuleValue(x, t.of)) : v;
    case 'Record': {
      if (!needsConversion(t)) return v;
      const rec = v as Record<string, unknown>;
      const o: Record<string, Value> = {};
      for (const [n, ft] of t.fields) setField(o, n, fromModuleValue(rec[n], ft));
      return o;
    }
    default:
      return v;
  }
}

function wrapPresent(v: Value): Value {
  return v === null || v instanceof Some ? new Some(v) : v;
}

/** Does a plain module value fit a member type? Used to tag union outputs. */
function conforms(v: unknown, t: Type): boolean {
  switch (t.k) {
    case 'String': return typeof v === 'string';
    case 'Int': return typeof v === 'number' && Number.isInteger(v);
    case 'Float': return typeof v === 'number';
    case 'Boolean': return typeof v === 'boolean';
    case 'List': case 'Seq': return Array.isArray(v) && v.every((x) => conforms(x, t.of));
    case 'Optional': return v === null || v === undefined || conforms(v, t.of);
    case 'Map': return v instanceof Map || (typeof v === 'object' && v !== null && !Array.isArray(v));
    case 'Record':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && t.fields.every(([n, ft]) => conforms((v as Record<string, unknown>)[n], ft));
    case 'Union': return t.members.some((m) => conforms(v, m));
    default: return isSubtype(t, t);
  }
}
