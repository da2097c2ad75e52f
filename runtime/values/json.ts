import { fieldType, printType, type RecordType, type Type } from '../types/type.js';
import { javaDouble } from './text.js';
import { setField, some, Some, Tagged, ValueMap, type Value } from './value.js';

/**
 * Plain JSON ↔ values, directed by the declared type.
 * Decoding never throws: problems are collected with a field path (`user.tags[2]`) so a caller
 * can report all of them at once.
 */

export interface DecodeError {
  readonly path: string;
  readonly message: string;
}

export function decodeJson(json: unknown, type: Type, path: string, errors: DecodeError[]): Value {
  switch (type.k) {
    case 'String':
      if (typeof json === 'string') return json;
      return fail(errors, path, 'String', json);
    case 'Int':
      if (typeof json === 'number' && Number.isInteger(json)) {
        if (!Number.isSafeInteger(json)) {
          errors.push({ path, message: `expected Int within ±9007199254740991 (exact range), got ${json}` });
          return 0;
        }
        return json === 0 ? 0 : json;
      }
      return fail(errors, path, 'Int', json);
    case 'Float':
      if (typeof json === 'number') {
        if (Number.isFinite(json)) return json;
        // JSON has no infinities: a literal such as 1e309 is out of range (JSON.parse made it one)
        errors.push({ path, message: `expected a finite Float, got a number out of range (±1.7976931348623157e308)` });
        return 0;
      }
      if (json === 'NaN') return NaN;
      if (json === 'Infinity') return Infinity;
      if (json === '-Infinity') return -Infinity;
      return fail(errors, path, 'Float', json);
    case 'Boolean':
      if (typeof json === 'boolean') return json;
      return fail(errors, path, 'Boolean', json);
    case 'List':
    case 'Seq': {
      if (!Array.isArray(json)) return fail(errors, path, printType(type), json);
      const out = new Array<Value>(json.length);
      for (let i = 0; i < json.length; i++) out[i] = decodeJson(json[i], type.of, `${path}[${i}]`, errors);
      return out;
    }
    case 'Map': {
      const m = new ValueMap<Value, Value>();
      if (Array.isArray(json)) {
        json.forEach((pair, i) => {
          if (!Array.isArray(pair) || pair.length !== 2) {
            errors.push({ path: `${path}[${i}]`, message: 'expected a [key, value] pair' });
            return;
          }
          m.set(decodeJson(pair[0], type.key, `${path}[${i}][0]`, errors), decodeJson(pair[1], type.value, `${path}[${i}][1]`, errors));
        });
        return m;
      }
      if (type.key.k === 'String' && isPlainObject(json)) {
        for (const [k, v] of Object.entries(json)) m.set(k, decodeJson(v, type.value, joinPath(path, k), errors));
        return m;
      }
      return fail(errors, path, printType(type), json);
    }
    case 'Record':
      return decodeRecord(json, type, path, errors);
    case 'Optional':
      if (json === null || json === undefined) return null;
      return some(decodeJson(json, type.of, path, errors));
    case 'Union':
      return decodeUnion(json, type.members, path, errors);
    case 'Nothing':
      errors.push({ path, message: 'no value can have type Nothing' });
      return null;
    default:
      errors.push({ path, message: `values of type ${printType(type)} cannot be given as JSON` });
      return null;
  }
}

function decodeRecord(json: unknown, type: RecordType, path: string, errors: DecodeError[]): Value {
  if (!isPlainObject(json)) return fail(errors, path, printType(type), json);
  const out: Record<string, Value> = {};
  for (const [name, ft] of type.fields) {
    const fieldPath = joinPath(path, name);
    if (!Object.prototype.hasOwnProperty.call(json, name)) {
      // [divergence] an absent key of an Optional field means absent
      if (ft.k === 'Optional') {
        setField(out, name, null);
        continue;
      }
      errors.push({ path: fieldPath, message: `missing required field '${name}' (${printType(ft)})` });
      continue;
    }
    setField(out, name, decodeJson((json as Record<string, unknown>)[name], ft, fieldPath, errors));
  }
  return out;
}

function decodeUnion(json: unknown, members: readonly Type[], path: string, errors: DecodeError[]): Value {
  if (isPlainObject(json) && 'tag' in json && 'value' in json && typeof json.tag === 'string') {
    const tag = json.tag;
    const member = members.find((m) => printType(m) === tag) ?? members.find((m) => sameTypeText(printType(m), tag));
    if (!member) {
      errors.push({ path, message: `unknown union tag '${tag}'; expected one of ${members.map((m) => `'${printType(m)}'`).join(', ')}` });
      return null;
    }
    return new Tagged(printType(member), decodeJson(json.value, member, `${path}.value`, errors));
  }
  // Untagged: a record member whose fields are all present and convertible (most fields wins) …
  if (isPlainObject(json)) {
    let best: { member: Type; value: Value; fields: number } | undefined;
    for (const m of members) {
      if (m.k !== 'Record') continue;
      const trial: DecodeError[] = [];
      const value = decodeRecord(json, m, path, trial);
      if (trial.length === 0 && m.fields.every(([n]) => Object.prototype.hasOwnProperty.call(json, n) || fieldType(m, n)!.k === 'Optional')) {
        if (!best || m.fields.length > best.fields) best = { member: m, value, fields: m.fields.length };
      }
    }
    if (best) return new Tagged(printType(best.member), best.value);
  }
  // … or (a superset of the reference) a primitive that fits exactly one primitive member.
  const fits = members.filter((m) => {
    const trial: DecodeError[] = [];
    if (m.k !== 'String' && m.k !== 'Int' && m.k !== 'Float' && m.k !== 'Boolean') return false;
    decodeJson(json, m, path, trial);
    return trial.length === 0;
  });
  const chosen = fits.length === 1 ? fits[0] : fits.find((m) => m.k === 'Int' && Number.isInteger(json));
  if (chosen) return new Tagged(printType(chosen), decodeJson(json, chosen, path, errors));
  errors.push({ path, message: `expected a value of ${members.map(printType).join(' | ')} (as {"tag": …, "value": …} or a matching record), got ${describe(json)}` });
  return null;
}

function sameTypeText(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}

function fail(errors: DecodeError[], path: string, expected: string, json: unknown): null {
  errors.push({ path, message: `expected ${expected}, got ${describe(json)}` });
  return null;
}

function describe(json: unknown): string {
  if (json === null) return 'null';
  if (json === undefined) return 'nothing';
  if (Array.isArray(json)) return 'array';
  if (typeof json === 'number') return Number.isInteger(json) ? `integer ${json}` : `number ${json}`;
  return typeof json;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function joinPath(path: string, key: string): string {
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

/** Value → plain JSON (the reference's runtime encoding): records carry exactly their static fields. */
export function encodeJson(v: Value, type: Type): unknown {
  switch (type.k) {
    case 'String': case 'Int': case 'Boolean':
      return v;
    case 'Float': {
      const x = v as number;
      return Number.isFinite(x) ? x : javaDouble(x);
    }
    case 'List': case 'Seq': {
      const arr = v as Value[];
      const inner = type.of;
      if (inner.k === 'String' || inner.k === 'Int' || inner.k === 'Boolean') return arr;
      return arr.map((e) => encodeJson(e, inner));
    }
    case 'Map': {
      const m = v as Map<Value, Value>;
      if (type.key.k === 'String') {
        const o: Record<string, unknown> = {};
        for (const [k, x] of m) setField(o, k as string, encodeJson(x, type.value));
        return o;
      }
      return [...m].map(([k, x]) => [encodeJson(k, type.key), encodeJson(x, type.value)]);
    }
    case 'Record': {
      const rec = v as Record<string, Value>;
      const o: Record<string, unknown> = {};
      for (const [n, ft] of type.fields) setField(o, n, encodeJson(rec[n], ft));
      return o;
    }
    case 'Optional':
      if (v === null || v === undefined) return null;
      return encodeJson(v instanceof Some ? v.value : v, type.of);
    case 'Union': {
      if (v instanceof Tagged) {
        const member = type.members.find((m) => printType(m) === v.tag);
        return { tag: v.tag, value: member ? encodeJson(v.value, member) : v.value };
      }
      return v;
    }
    default:
      return v ?? null;
  }
}
