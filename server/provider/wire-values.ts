import { printType, unionMembers } from '../../runtime/types/type.js';
import { setField, some, Some, Tagged, ValueMap, type Value } from '../../runtime/values/value.js';
import { toEngineType, typeJson, type WireType, type WireUnion } from './type-schema.js';

/**
 * Values on the provider wire: the tagged JSON of the runtime spec ("wire form A"), the payload
 * of `input_data` / `output_data` in protocol version 1. Encoding and decoding are directed by
 * the declared wire type, so a value that does not match it is reported with a path instead of
 * reaching a pipeline.
 *
 * Union values are tagged `variantN` on the wire (N = the variant's position in the declared
 * schema), while the engine tags a union value with its member's printed type. Decoding accepts
 * `variantN`, or a tag named in the value's own `structure` (a provider that built the value
 * with its own variant names), by position.
 *
 * Lenient where it costs nothing: a CInt where a Float is declared, an integral CFloat where an
 * Int is declared, CSeq for a list, and a bare value where an option is declared (as present).
 */

export interface WireProblem {
  readonly path: string;
  readonly message: string;
}

// ---------------------------------------------------------------- encoding

export function encodeValue(v: Value, w: WireType): unknown {
  switch (w.tag) {
    case 'CString':
    case 'CInt':
    case 'CFloat':
    case 'CBoolean':
      return { tag: w.tag, value: v };
    case 'CList':
      return { tag: 'CList', value: (v as readonly Value[]).map((e) => encodeValue(e, w.of)), subtype: typeJson(w.of) };
    case 'CMap': {
      const pairs: unknown[] = [];
      for (const [k, x] of v as ValueMap) pairs.push({ key: encodeValue(k, w.key), value: encodeValue(x, w.value) });
      return { tag: 'CMap', value: pairs, keysType: typeJson(w.key), valuesType: typeJson(w.value) };
    }
    case 'CProduct': {
      const record = v as Record<string, Value>;
      const value: Record<string, unknown> = {};
      for (const [name, f] of w.fields) setField(value as Record<string, Value>, name, encodeValue(record[name], f));
      return { tag: 'CProduct', value, structure: (typeJson(w) as { structure: unknown }).structure };
    }
    case 'CUnion': {
      const index = variantOf(v, w);
      return { tag: 'CUnion', value: encodeValue(w.variants[index]!.tag === 'CUnion' ? v : unwrapTagged(v), w.variants[index]!), structure: (typeJson(w) as { structure: unknown }).structure, unionTag: `variant${index}` };
    }
    case 'COptional':
      if (v === null || v === undefined) return { tag: 'CNone', innerType: typeJson(w.of) };
      return { tag: 'CSome', value: encodeValue(v instanceof Some ? v.value : v, w.of), innerType: typeJson(w.of) };
  }
}

function unwrapTagged(v: Value): Value {
  return v instanceof Tagged ? v.value : v;
}

const variantIndexes = new WeakMap<WireUnion, Map<string, number>>();

/** The engine's member tags (printed types) → variant position; a nested union's members map to it too. */
function indexesOf(w: WireUnion): Map<string, number> {
  let m = variantIndexes.get(w);
  if (!m) {
    m = new Map();
    w.variants.forEach((variant, i) => {
      for (const member of unionMembers(toEngineType(variant))) if (!m!.has(printType(member))) m!.set(printType(member), i);
    });
    variantIndexes.set(w, m);
  }
  return m;
}

function variantOf(v: Value, w: WireUnion): number {
  if (v instanceof Tagged) {
    const i = indexesOf(w).get(v.tag);
    if (i !== undefined) return i;
  }
  // an untagged value: the first variant of its shape
  const i = w.variants.findIndex((variant) => fits(v, variant));
  if (i < 0) throw new TypeError(`value does not belong to any variant of ${printType(toEngineType(w))}`);
  return i;
}

function fits(v: Value, w: WireType): boolean {
  switch (w.tag) {
    case 'CString': return typeof v === 'string';
    case 'CInt': return typeof v === 'number' && Number.isInteger(v);
    case 'CFloat': return typeof v === 'number';
    case 'CBoolean': return typeof v === 'boolean';
    case 'CList': return Array.isArray(v);
    case 'CMap': return v instanceof ValueMap;
    case 'CProduct': return typeof v === 'object' && v !== null && !(v instanceof Map) && !Array.isArray(v) && w.fields.every(([n]) => n in (v as object));
    case 'CUnion': return v instanceof Tagged ? indexesOf(w).has(v.tag) : w.variants.some((x) => fits(v, x));
    case 'COptional': return true;
  }
}

/** Bytes of the tagged JSON of a value. */
export function valueBytes(v: Value, w: WireType): Buffer {
  return Buffer.from(JSON.stringify(encodeValue(v, w)), 'utf8');
}

// ---------------------------------------------------------------- decoding

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(json: unknown): string {
  if (isObject(json) && typeof json['tag'] === 'string') return json['tag'];
  if (json === null) return 'null';
  return Array.isArray(json) ? 'an array' : typeof json;
}

/** Tagged JSON → engine value of the declared type; problems are collected with their path. */
export function decodeValue(json: unknown, w: WireType, path: string, problems: WireProblem[]): Value {
  const fail = (message: string): Value => {
    problems.push({ path, message });
    return null;
  };
  if (!isObject(json)) return fail(`expected a tagged ${w.tag} value, got ${describe(json)}`);
  const tag = json['tag'];
  const raw = json['value'];
  switch (w.tag) {
    case 'CString':
      if (tag !== 'CString' || typeof raw !== 'string') return fail(`expected CString, got ${describe(json)}`);
      return raw;
    case 'CInt':
      if ((tag !== 'CInt' && tag !== 'CFloat') || typeof raw !== 'number' || !Number.isInteger(raw)) return fail(`expected CInt, got ${describe(json)}${typeof raw === 'number' ? ` ${raw}` : ''}`);
      if (!Number.isSafeInteger(raw)) return fail(`CInt ${raw} is outside the exact integer range (±9007199254740991)`);
      return raw === 0 ? 0 : raw;
    case 'CFloat':
      if ((tag !== 'CFloat' && tag !== 'CInt') || typeof raw !== 'number') return fail(`expected CFloat, got ${describe(json)}`);
      return raw;
    case 'CBoolean':
      if (tag !== 'CBoolean' || typeof raw !== 'boolean') return fail(`expected CBoolean, got ${describe(json)}`);
      return raw;
    case 'CList': {
      if ((tag !== 'CList' && tag !== 'CSeq') || !Array.isArray(raw)) return fail(`expected CList, got ${describe(json)}`);
      const out = new Array<Value>(raw.length);
      for (let i = 0; i < raw.length; i++) out[i] = decodeValue(raw[i], w.of, `${path}[${i}]`, problems);
      return out;
    }
    case 'CMap': {
      if (tag !== 'CMap' || !Array.isArray(raw)) return fail(`expected CMap (an array of key/value pairs), got ${describe(json)}`);
      const m = new ValueMap<Value, Value>();
      raw.forEach((pair: unknown, i) => {
        if (!isObject(pair)) {
          problems.push({ path: `${path}[${i}]`, message: 'expected a {key, value} pair' });
          return;
        }
        m.set(decodeValue(pair['key'], w.key, `${path}[${i}].key`, problems), decodeValue(pair['value'], w.value, `${path}[${i}].value`, problems));
      });
      return m;
    }
    case 'CProduct': {
      if (tag !== 'CProduct' || !isObject(raw)) return fail(`expected CProduct, got ${describe(json)}`);
      const record: Record<string, Value> = {};
      for (const [name, f] of w.fields) {
        const fieldPath = path ? `${path}.${name}` : name;
        if (!Object.prototype.hasOwnProperty.call(raw, name)) {
          // an absent optional field is absent; any other is missing
          if (f.tag === 'COptional') setField(record, name, null);
          else problems.push({ path: fieldPath, message: 'missing field' });
          continue;
        }
        setField(record, name, decodeValue(raw[name], f, fieldPath, problems));
      }
      return record;
    }
    case 'CUnion': {
      if (tag !== 'CUnion') return fail(`expected CUnion, got ${describe(json)}`);
      const index = variantIndex(json, w);
      if (index === undefined) return fail(`unknown union tag ${JSON.stringify(json['unionTag'])} (expected variant0…variant${w.variants.length - 1})`);
      const variant = w.variants[index]!;
      const inner = decodeValue(raw, variant, `${path}|variant${index}`, problems);
      return variant.tag === 'CUnion' ? inner : new Tagged(printType(toEngineType(variant)), inner);
    }
    case 'COptional':
      if (tag === 'CNone') return null;
      if (tag === 'CSome') return some(decodeValue(raw, w.of, path, problems));
      return some(decodeValue(json, w.of, path, problems));
  }
}

function variantIndex(json: Record<string, unknown>, w: WireUnion): number | undefined {
  const unionTag = json['unionTag'];
  if (typeof unionTag !== 'string') return undefined;
  const m = /^variant(\d+)$/.exec(unionTag);
  if (m && Number(m[1]) < w.variants.length) return Number(m[1]);
  // the provider's own variant names: the position of the tag in the value's structure
  const structure = json['structure'];
  if (isObject(structure)) {
    const i = Object.keys(structure).indexOf(unionTag);
    if (i >= 0 && i < w.variants.length) return i;
  }
  return undefined;
}

/** Parses bytes of tagged JSON and decodes them; throws with every problem listed. */
export function valueFromBytes(bytes: Uint8Array, w: WireType, what: string): Value {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw new WireValueError(`${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, []);
  }
  const problems: WireProblem[] = [];
  const value = decodeValue(json, w, '', problems);
  if (problems.length > 0) {
    const listed = problems.slice(0, 5).map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
    throw new WireValueError(`${what} does not match its declared type ${printType(toEngineType(w))}: ${listed.join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, problems);
  }
  return value;
}

export class WireValueError extends Error {
  constructor(message: string, readonly problems: readonly WireProblem[]) {
    super(message);
    this.name = 'WireValueError';
  }
}
