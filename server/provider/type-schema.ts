import { printType, T, unionMembers, type Type } from '../../runtime/types/type.js';
import type { TypeSchemaMsg } from './proto.js';

/**
 * Types on the provider wire: the protocol's `TypeSchema` message, decoded into a `WireType`
 * (the reference's CType vocabulary, keeping what the engine's `Type` forgets: the order of a
 * union's variants, which is how union values are tagged on the wire), and converted both ways
 * to and from the engine's types.
 *
 * | engine `Type`         | `TypeSchema`                      |
 * |-----------------------|-----------------------------------|
 * | String/Int/Float/Boolean | primitive STRING/INT/FLOAT/BOOL |
 * | record                | record (a proto map: no order; fields are kept sorted by name) |
 * | List<T>, Seq<T>       | list (a provider always receives materialised data) |
 * | Map<K, V>             | map                               |
 * | A | B                 | union (variants named variant0, variant1, … by position) |
 * | Optional<T>           | option                            |
 *
 * Rejected with a path to the offending node: a schema with no type set (also what a type from
 * a later protocol version looks like: unknown oneof members are dropped), a list without its
 * element type, a map without key or value type, an option without inner type, a union without
 * variants, an unknown primitive kind, an empty record field name, and nesting deeper than the
 * configured limit. An empty `PrimitiveType` is STRING: kind 0 is proto3's default, so it is
 * never written on the wire.
 */

export type WireType =
  | { readonly tag: 'CString' }
  | { readonly tag: 'CInt' }
  | { readonly tag: 'CFloat' }
  | { readonly tag: 'CBoolean' }
  | { readonly tag: 'CList'; readonly of: WireType }
  | { readonly tag: 'CMap'; readonly key: WireType; readonly value: WireType }
  | { readonly tag: 'CProduct'; readonly fields: readonly (readonly [string, WireType])[] }
  | { readonly tag: 'CUnion'; readonly variants: readonly WireType[] }
  | { readonly tag: 'COptional'; readonly of: WireType };

export type WireProduct = Extract<WireType, { tag: 'CProduct' }>;
export type WireUnion = Extract<WireType, { tag: 'CUnion' }>;

const PRIMITIVES: readonly WireType[] = [{ tag: 'CString' }, { tag: 'CInt' }, { tag: 'CFloat' }, { tag: 'CBoolean' }];
const KIND_NAMES = ['STRING', 'INT', 'FLOAT', 'BOOL'];

/** A schema that does not convert; `path` locates the node (`input.tags[]`, `output.score`). */
export class SchemaError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'SchemaError';
  }
}

export const DEFAULT_MAX_SCHEMA_DEPTH = 32;

/** Sorts record fields by name (code-unit order, like every other canonical text here). */
function byName(a: readonly [string, unknown], b: readonly [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export function product(fields: Iterable<readonly [string, WireType]>): WireProduct {
  return { tag: 'CProduct', fields: [...fields].sort(byName) };
}

/** TypeSchema message → WireType; throws SchemaError. */
export function decodeTypeSchema(msg: TypeSchemaMsg | null | undefined, path: string, maxDepth = DEFAULT_MAX_SCHEMA_DEPTH, depth = 1): WireType {
  if (depth > maxDepth) throw new SchemaError(path, `nested deeper than ${maxDepth} levels`);
  const which = msg ? (msg.type ?? firstSet(msg)) : undefined;
  const next = depth + 1;
  switch (which) {
    case 'primitive': {
      const kind = msg!.primitive?.kind ?? 0;
      const t = PRIMITIVES[kind];
      if (!t) throw new SchemaError(path, `unknown primitive kind ${kind} (known: ${KIND_NAMES.map((n, i) => `${n}=${i}`).join(', ')})`);
      return t;
    }
    case 'record': {
      const fields: [string, WireType][] = [];
      for (const [name, schema] of Object.entries(msg!.record?.fields ?? {})) {
        if (name.length === 0) throw new SchemaError(path, 'a record field has an empty name');
        fields.push([name, decodeTypeSchema(schema, `${path}.${name}`, maxDepth, next)]);
      }
      return product(fields);
    }
    case 'list': {
      const element = msg!.list?.elementType;
      if (!element) throw new SchemaError(path, 'list without element_type');
      return { tag: 'CList', of: decodeTypeSchema(element, `${path}[]`, maxDepth, next) };
    }
    case 'map': {
      const m = msg!.map;
      if (!m?.keyType) throw new SchemaError(path, 'map without key_type');
      if (!m.valueType) throw new SchemaError(path, 'map without value_type');
      return { tag: 'CMap', key: decodeTypeSchema(m.keyType, `${path}{key}`, maxDepth, next), value: decodeTypeSchema(m.valueType, `${path}{value}`, maxDepth, next) };
    }
    case 'union': {
      const variants = msg!.union?.variants ?? [];
      if (variants.length === 0) throw new SchemaError(path, 'union without variants');
      return { tag: 'CUnion', variants: variants.map((v, i) => decodeTypeSchema(v, `${path}|variant${i}`, maxDepth, next)) };
    }
    case 'option': {
      const inner = msg!.option?.innerType;
      if (!inner) throw new SchemaError(path, 'option without inner_type');
      return { tag: 'COptional', of: decodeTypeSchema(inner, `${path}?`, maxDepth, next) };
    }
    default:
      throw new SchemaError(path, 'no type set (an empty TypeSchema, or a type that protocol version 1 does not define)');
  }
}

function firstSet(msg: TypeSchemaMsg): TypeSchemaMsg['type'] {
  for (const k of ['primitive', 'record', 'list', 'map', 'union', 'option'] as const) if (msg[k]) return k;
  return undefined;
}

/** WireType → TypeSchema message (what a provider sends when it registers). */
export function encodeTypeSchema(w: WireType): TypeSchemaMsg {
  switch (w.tag) {
    case 'CString': return { primitive: { kind: 0 } };
    case 'CInt': return { primitive: { kind: 1 } };
    case 'CFloat': return { primitive: { kind: 2 } };
    case 'CBoolean': return { primitive: { kind: 3 } };
    case 'CList': return { list: { elementType: encodeTypeSchema(w.of) } };
    case 'CMap': return { map: { keyType: encodeTypeSchema(w.key), valueType: encodeTypeSchema(w.value) } };
    case 'CProduct': return { record: { fields: Object.fromEntries(w.fields.map(([n, t]) => [n, encodeTypeSchema(t)])) } };
    case 'CUnion': return { union: { variants: w.variants.map(encodeTypeSchema) } };
    case 'COptional': return { option: { innerType: encodeTypeSchema(w.of) } };
  }
}

const typeCache = new WeakMap<WireType, Type>();

/** The engine type a wire type denotes (cached per wire type object). */
export function toEngineType(w: WireType): Type {
  let t = typeCache.get(w);
  if (t) return t;
  switch (w.tag) {
    case 'CString': t = T.String; break;
    case 'CInt': t = T.Int; break;
    case 'CFloat': t = T.Float; break;
    case 'CBoolean': t = T.Boolean; break;
    case 'CList': t = T.list(toEngineType(w.of)); break;
    case 'CMap': t = T.map(toEngineType(w.key), toEngineType(w.value)); break;
    case 'CProduct': t = T.record(w.fields.map(([n, f]) => [n, toEngineType(f)] as const)); break;
    case 'CUnion': t = T.union(w.variants.map(toEngineType)); break;
    case 'COptional': t = T.optional(toEngineType(w.of)); break;
  }
  typeCache.set(w, t);
  return t;
}

/** Engine type → wire type (the provider kit's side); throws SchemaError for types with no wire form. */
export function fromEngineType(t: Type, path: string): WireType {
  switch (t.k) {
    case 'String': return PRIMITIVES[0]!;
    case 'Int': return PRIMITIVES[1]!;
    case 'Float': return PRIMITIVES[2]!;
    case 'Boolean': return PRIMITIVES[3]!;
    case 'List':
    case 'Seq': return { tag: 'CList', of: fromEngineType(t.of, `${path}[]`) };
    case 'Map': return { tag: 'CMap', key: fromEngineType(t.key, `${path}{key}`), value: fromEngineType(t.value, `${path}{value}`) };
    case 'Optional': return { tag: 'COptional', of: fromEngineType(t.of, `${path}?`) };
    case 'Record': return product(t.fields.map(([n, f]) => [n, fromEngineType(f, `${path}.${n}`)] as const));
    case 'Union': return { tag: 'CUnion', variants: unionMembers(t).map((m, i) => fromEngineType(m, `${path}|variant${i}`)) };
    default: throw new SchemaError(path, `type ${printType(t)} has no form on the provider wire`);
  }
}

/** Canonical text of a wire type: equal texts, equal schemas (group members are compared with it). */
export function wireText(w: WireType): string {
  switch (w.tag) {
    case 'CString': case 'CInt': case 'CFloat': case 'CBoolean': return w.tag;
    case 'CList': return `CList(${wireText(w.of)})`;
    case 'CMap': return `CMap(${wireText(w.key)},${wireText(w.value)})`;
    case 'CProduct': return `CProduct(${w.fields.map(([n, f]) => `${JSON.stringify(n)}:${wireText(f)}`).join(',')})`;
    case 'CUnion': return `CUnion(${w.variants.map(wireText).join('|')})`;
    case 'COptional': return `COptional(${wireText(w.of)})`;
  }
}

const jsonCache = new WeakMap<WireType, unknown>();

/**
 * The tagged-JSON form of a type (runtime spec "wire form A"), as carried inside tagged values:
 * `{"tag":"CList","valuesType":…}`, `{"tag":"CUnion","structure":{"variant0":…}}`, …
 */
export function typeJson(w: WireType): unknown {
  let j = jsonCache.get(w);
  if (j !== undefined) return j;
  switch (w.tag) {
    case 'CString': case 'CInt': case 'CFloat': case 'CBoolean': j = { tag: w.tag }; break;
    case 'CList': j = { tag: 'CList', valuesType: typeJson(w.of) }; break;
    case 'CMap': j = { tag: 'CMap', keysType: typeJson(w.key), valuesType: typeJson(w.value) }; break;
    case 'CProduct': j = { tag: 'CProduct', structure: Object.fromEntries(w.fields.map(([n, f]) => [n, typeJson(f)])) }; break;
    case 'CUnion': j = { tag: 'CUnion', structure: Object.fromEntries(w.variants.map((v, i) => [`variant${i}`, typeJson(v)])) }; break;
    case 'COptional': j = { tag: 'COptional', innerType: typeJson(w.of) }; break;
  }
  jsonCache.set(w, j);
  return j;
}
