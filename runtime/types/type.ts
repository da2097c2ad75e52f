/**
 * Semantic types of constellation-lang as plain, immutable data, so a type can
 * be hashed, serialised into a DAG image and shipped to a worker thread.
 */

export type Type =
  | { readonly k: 'String' }
  | { readonly k: 'Int' }
  | { readonly k: 'Float' }
  | { readonly k: 'Boolean' }
  | { readonly k: 'Nothing' }
  | { readonly k: 'List'; readonly of: Type }
  | { readonly k: 'Seq'; readonly of: Type }
  | { readonly k: 'Optional'; readonly of: Type }
  | { readonly k: 'Map'; readonly key: Type; readonly value: Type }
  | { readonly k: 'Record'; readonly fields: readonly RecordField[]; readonly open?: boolean }
  | { readonly k: 'Union'; readonly members: readonly Type[] }
  | { readonly k: 'Function'; readonly params: readonly Type[]; readonly result: Type }
  /** A type variable; only in generic signatures (the higher-order functions). */
  | { readonly k: 'Var'; readonly name: string }
  /** The type of an expression that already failed to check: compatible with everything. */
  | { readonly k: 'Error' };

export type RecordField = readonly [name: string, type: Type];

export type RecordType = Extract<Type, { k: 'Record' }>;
export type UnionType = Extract<Type, { k: 'Union' }>;
export type FunctionType = Extract<Type, { k: 'Function' }>;

export const T = {
  String: { k: 'String' } as Type,
  Int: { k: 'Int' } as Type,
  Float: { k: 'Float' } as Type,
  Boolean: { k: 'Boolean' } as Type,
  Nothing: { k: 'Nothing' } as Type,
  Error: { k: 'Error' } as Type,
  list: (of: Type): Type => ({ k: 'List', of }),
  seq: (of: Type): Type => ({ k: 'Seq', of }),
  optional: (of: Type): Type => ({ k: 'Optional', of }),
  map: (key: Type, value: Type): Type => ({ k: 'Map', key, value }),
  record: (fields: Iterable<RecordField>, open = false): Type => {
    // duplicate names: last wins, keeping the first position
    const index = new Map<string, number>();
    const list: RecordField[] = [];
    for (const [name, type] of fields) {
      const at = index.get(name);
      if (at === undefined) {
        index.set(name, list.length);
        list.push([name, type]);
      } else list[at] = [name, type];
    }
    return open ? { k: 'Record', fields: list, open: true } : { k: 'Record', fields: list };
  },
  fn: (params: readonly Type[], result: Type): Type => ({ k: 'Function', params, result }),
  variable: (name: string): Type => ({ k: 'Var', name }),
  union: (members: Iterable<Type>): Type => makeUnion(members),
};

export const PRIMITIVE_NAMES = ['String', 'Int', 'Float', 'Boolean'] as const;

export function isNumeric(t: Type): boolean {
  return t.k === 'Int' || t.k === 'Float';
}

export function fieldType(record: RecordType, name: string): Type | undefined {
  for (const [n, t] of record.fields) if (n === name) return t;
  return undefined;
}

export function fieldNames(record: RecordType): string[] {
  return record.fields.map((f) => f[0]);
}

// ---------------------------------------------------------------- printing

const printCache = new WeakMap<Type, string>();

export function printType(t: Type): string {
  const cached = printCache.get(t);
  if (cached !== undefined) return cached;
  let s: string;
  switch (t.k) {
    case 'String': case 'Int': case 'Float': case 'Boolean': case 'Nothing':
      s = t.k;
      break;
    case 'Error':
      s = '<error>';
      break;
    case 'List': s = `List<${printType(t.of)}>`; break;
    case 'Seq': s = `Seq<${printType(t.of)}>`; break;
    case 'Optional': s = `Optional<${printType(t.of)}>`; break;
    case 'Map': s = `Map<${printType(t.key)}, ${printType(t.value)}>`; break;
    case 'Record': {
      const inner = t.fields.map(([n, ft]) => `${n}: ${printType(ft)}`).join(', ');
      s = t.open ? `{ ${inner}${inner ? ', ' : ''}... }` : `{ ${inner} }`;
      break;
    }
    case 'Union': s = t.members.map(printType).sort().join(' | '); break;
    case 'Function': s = `(${t.params.map(printType).join(', ')}) => ${printType(t.result)}`; break;
    case 'Var': s = t.name; break;
  }
  printCache.set(t, s);
  return s;
}

/** Canonical text: like printType but with record fields sorted, so equal types print equally. */
export function canonicalType(t: Type): string {
  switch (t.k) {
    case 'List': return `List<${canonicalType(t.of)}>`;
    case 'Seq': return `Seq<${canonicalType(t.of)}>`;
    case 'Optional': return `Optional<${canonicalType(t.of)}>`;
    case 'Map': return `Map<${canonicalType(t.key)}, ${canonicalType(t.value)}>`;
    case 'Record': {
      const inner = t.fields.map(([n, ft]) => `${n}: ${canonicalType(ft)}`).sort().join(', ');
      return t.open ? `{ ${inner}, ... }` : `{ ${inner} }`;
    }
    case 'Union': return t.members.map(canonicalType).sort().join(' | ');
    case 'Function': return `(${t.params.map(canonicalType).join(', ')}) => ${canonicalType(t.result)}`;
    default: return printType(t);
  }
}

// ---------------------------------------------------------------- equality and subtyping

export function typeEquals(a: Type, b: Type): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'List': case 'Seq': case 'Optional':
      return typeEquals(a.of, (b as typeof a).of);
    case 'Map':
      return typeEquals(a.key, (b as typeof a).key) && typeEquals(a.value, (b as typeof a).value);
    case 'Record': {
      const br = b as RecordType;
      if (a.fields.length !== br.fields.length || !!a.open !== !!br.open) return false;
      for (const [n, t] of a.fields) {
        const other = fieldType(br, n);
        if (!other || !typeEquals(t, other)) return false;
      }
      return true;
    }
    case 'Union': {
      const bu = b as UnionType;
      if (a.members.length !== bu.members.length) return false;
      return a.members.every((m) => bu.members.some((o) => typeEquals(m, o)));
    }
    case 'Function': {
      const bf = b as FunctionType;
      return a.params.length === bf.params.length && a.params.every((p, i) => typeEquals(p, bf.params[i]!)) && typeEquals(a.result, bf.result);
    }
    case 'Var':
      return a.name === (b as typeof a).name;
    default:
      return true;
  }
}

export function isSubtype(s: Type, t: Type): boolean {
  if (s === t) return true;
  if (s.k === 'Error' || t.k === 'Error') return true;
  if (s.k === 'Nothing') return true;
  // A union on the left: every member must fit (the complete rule).
  if (s.k === 'Union') return s.members.every((m) => isSubtype(m, t));
  if (t.k === 'Union') return t.members.some((m) => isSubtype(s, m));
  switch (t.k) {
    case 'String': case 'Int': case 'Float': case 'Boolean':
      return s.k === t.k;
    case 'Nothing':
      return false;
    case 'List':
      return s.k === 'List' && isSubtype(s.of, t.of);
    case 'Seq':
      return (s.k === 'Seq' || s.k === 'List') && isSubtype(s.of, t.of);
    case 'Optional':
      return s.k === 'Optional' && isSubtype(s.of, t.of);
    case 'Map':
      return s.k === 'Map' && typeEquals(s.key, t.key) && isSubtype(s.value, t.value);
    case 'Record': {
      if (s.k !== 'Record') return false;
      if (s.open && !t.open) return false;
      for (const [n, ft] of t.fields) {
        const sf = fieldType(s, n);
        if (!sf || !isSubtype(sf, ft)) return false;
      }
      return true;
    }
    case 'Function':
      return (
        s.k === 'Function' &&
        s.params.length === t.params.length &&
        t.params.every((p, i) => isSubtype(p, s.params[i]!)) &&
        isSubtype(s.result, t.result)
      );
    case 'Var':
      return s.k === 'Var' && s.name === t.name;
  }
}

// ---------------------------------------------------------------- unions, lub

function makeUnion(members: Iterable<Type>): Type {
  const flat: Type[] = [];
  const add = (m: Type): void => {
    if (m.k === 'Union') {
      for (const inner of m.members) add(inner);
      return;
    }
    if (m.k === 'Nothing') return;
    if (!flat.some((f) => typeEquals(f, m))) flat.push(m);
  };
  for (const m of members) add(m);
  if (flat.length === 0) return T.Nothing;
  if (flat.length === 1) return flat[0]!;
  flat.sort((a, b) => (printType(a) < printType(b) ? -1 : printType(a) > printType(b) ? 1 : 0));
  return { k: 'Union', members: flat };
}

export function unionMembers(t: Type): readonly Type[] {
  return t.k === 'Union' ? t.members : [t];
}

export function lub(a: Type, b: Type): Type {
  if (a.k === 'Error') return b;
  if (b.k === 'Error') return a;
  if (isSubtype(a, b)) return b;
  if (isSubtype(b, a)) return a;
  // Records: the lub keeps the common fields when they are compatible (width subtyping).
  if (a.k === 'Record' && b.k === 'Record') {
    const common: RecordField[] = [];
    let compatible = true;
    for (const [n, ta] of a.fields) {
      const tb = fieldType(b, n);
      if (!tb) continue;
      if (isSubtype(ta, tb)) common.push([n, tb]);
      else if (isSubtype(tb, ta)) common.push([n, ta]);
      else compatible = false;
    }
    if (compatible && common.length > 0 && common.length === Math.min(a.fields.length, b.fields.length)) return T.record(common);
  }
  if ((a.k === 'List' || a.k === 'Seq') && (b.k === 'List' || b.k === 'Seq')) {
    const inner = lub(a.of, b.of);
    return a.k === 'List' && b.k === 'List' ? T.list(inner) : T.seq(inner);
  }
  if (a.k === 'Optional' && b.k === 'Optional') return T.optional(lub(a.of, b.of));
  return makeUnion([a, b]);
}

export function commonType(types: readonly Type[]): Type {
  if (types.length === 0) return T.Nothing;
  let acc = types[0]!;
  for (let i = 1; i < types.length; i++) acc = lub(acc, types[i]!);
  return acc;
}

// ---------------------------------------------------------------- merge

export function isMergeable(t: Type): boolean {
  return t.k === 'Record' || ((t.k === 'List' || t.k === 'Seq') && t.of.k === 'Record');
}

export type MergeShape = 'record' | 'zip' | 'broadcast-right' | 'broadcast-left';

/** The merged type and how values combine, or an explanation of why the operands do not merge. */
export function mergeTypes(left: Type, right: Type): { type: Type; shape: MergeShape } | { error: string } {
  if (left.k === 'Error' || right.k === 'Error') return { type: T.Error, shape: 'record' };
  if (left.k === 'Record' && right.k === 'Record') return { type: mergeRecords(left, right), shape: 'record' };
  if ((left.k === 'List' || left.k === 'Seq') && left.of.k === 'Record') {
    if (right.k === left.k && right.of.k === 'Record') {
      return { type: { k: left.k, of: mergeRecords(left.of, right.of) }, shape: 'zip' };
    }
    if (right.k === 'Record') return { type: { k: left.k, of: mergeRecords(left.of, right) }, shape: 'broadcast-right' };
    if ((right.k === 'List' || right.k === 'Seq') && right.of.k === 'Record') {
      return { error: `${left.k} and ${right.k} cannot be merged element-wise; both sides must be the same kind of collection` };
    }
  }
  if (left.k === 'Record' && (right.k === 'List' || right.k === 'Seq') && right.of.k === 'Record') {
    return { type: { k: right.k, of: mergeRecords(left, right.of) }, shape: 'broadcast-left' };
  }
  return { error: 'only records, and lists or sequences of records, can be merged' };
}

function mergeRecords(a: RecordType, b: RecordType): RecordType {
  return T.record([...a.fields, ...b.fields]) as RecordType;
}

// ---------------------------------------------------------------- generics

export function substitute(t: Type, bindings: ReadonlyMap<string, Type>): Type {
  switch (t.k) {
    case 'Var': return bindings.get(t.name) ?? t;
    case 'List': case 'Seq': case 'Optional': return { k: t.k, of: substitute(t.of, bindings) };
    case 'Map': return { k: 'Map', key: substitute(t.key, bindings), value: substitute(t.value, bindings) };
    case 'Record': return { k: 'Record', fields: t.fields.map(([n, ft]) => [n, substitute(ft, bindings)] as const), ...(t.open ? { open: true } : {}) };
    case 'Union': return makeUnion(t.members.map((m) => substitute(m, bindings)));
    case 'Function': return { k: 'Function', params: t.params.map((p) => substitute(p, bindings)), result: substitute(t.result, bindings) };
    default: return t;
  }
}

export function hasVars(t: Type): boolean {
  switch (t.k) {
    case 'Var': return true;
    case 'List': case 'Seq': case 'Optional': return hasVars(t.of);
    case 'Map': return hasVars(t.key) || hasVars(t.value);
    case 'Record': return t.fields.some(([, ft]) => hasVars(ft));
    case 'Union': return t.members.some(hasVars);
    case 'Function': return t.params.some(hasVars) || hasVars(t.result);
    default: return false;
  }
}

/**
 * Binds the type variables of `pattern` from an actual argument type (one-way matching). Returns
 * false when the shapes disagree; the caller then reports an ordinary type mismatch.
 */
export function bindVars(pattern: Type, actual: Type, bindings: Map<string, Type>): boolean {
  if (pattern.k === 'Var') {
    const bound = bindings.get(pattern.name);
    if (!bound) {
      bindings.set(pattern.name, actual);
      return true;
    }
    bindings.set(pattern.name, lub(bound, actual));
    return true;
  }
  if (actual.k === 'Error') return true;
  if (actual.k === 'Nothing') return true;
  switch (pattern.k) {
    case 'List': case 'Optional':
      return actual.k === pattern.k && bindVars(pattern.of, actual.of, bindings);
    case 'Seq':
      return (actual.k === 'Seq' || actual.k === 'List') && bindVars(pattern.of, actual.of, bindings);
    case 'Map':
      return actual.k === 'Map' && bindVars(pattern.key, actual.key, bindings) && bindVars(pattern.value, actual.value, bindings);
    default:
      return true;
  }
}
