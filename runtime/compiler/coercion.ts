import { fieldType, isSubtype, printType, typeEquals, type Type } from '../types/type.js';
import type { Coercion } from './ir.js';

/**
 * How a value of type `from` becomes a value of type `to` when `from <: to`. Almost always
 * nothing (the representation is shared); only union membership changes representation, because
 * union values carry their member's tag (the language reference: computed unions are tagged too).
 */
export function coercionFor(from: Type, to: Type): Coercion | undefined {
  if (from === to || from.k === 'Error' || to.k === 'Error' || from.k === 'Nothing') return undefined;
  if (to.k === 'Union') {
    if (from.k === 'Union') {
      const tags: Record<string, { tag: string; inner?: Coercion }> = {};
      let changed = false;
      for (const m of from.members) {
        const target = memberFor(m, to.members);
        if (!target) continue;
        const inner = coercionFor(m, target);
        const fromTag = printType(m);
        const toTag = printType(target);
        if (inner || fromTag !== toTag) changed = true;
        tags[fromTag] = inner ? { tag: toTag, inner } : { tag: toTag };
      }
      return changed ? { c: 'retag', tags } : undefined;
    }
    const target = memberFor(from, to.members);
    if (!target) return undefined;
    const inner = coercionFor(from, target);
    return inner ? { c: 'inject', tag: printType(target), inner } : { c: 'inject', tag: printType(target) };
  }
  switch (to.k) {
    case 'List':
    case 'Seq':
      if (from.k === 'List' || from.k === 'Seq') {
        const of = coercionFor(from.of, to.of);
        return of ? { c: 'each', of } : undefined;
      }
      return undefined;
    case 'Optional':
      if (from.k === 'Optional') {
        const of = coercionFor(from.of, to.of);
        return of ? { c: 'optional', of } : undefined;
      }
      return undefined;
    case 'Map':
      if (from.k === 'Map') {
        const of = coercionFor(from.value, to.value);
        return of ? { c: 'mapValues', of } : undefined;
      }
      return undefined;
    case 'Record': {
      if (from.k !== 'Record') return undefined;
      const fields: [string, Coercion][] = [];
      for (const [name, ft] of to.fields) {
        const sf = fieldType(from, name);
        if (!sf) continue;
        const c = coercionFor(sf, ft);
        if (c) fields.push([name, c]);
      }
      return fields.length ? { c: 'fields', fields } : undefined;
    }
    default:
      return undefined;
  }
}

/** The union member a value of type `t` belongs to: an equal member first, else the first supertype. */
function memberFor(t: Type, members: readonly Type[]): Type | undefined {
  return members.find((m) => typeEquals(m, t)) ?? members.find((m) => isSubtype(t, m));
}
