import { T, printType, type Type } from '../../runtime/types/type.js';
import { Some, Tagged, ValueMap, type Value } from '../../runtime/values/value.js';
import type { Rng } from '../helpers/prng.js';

/**
 * Seeded generators for the generated-code equivalence tests: random types, plain JSON that
 * mostly fits a type (and sometimes does not, in every way the decoder must notice), and engine
 * values of a type (the encoder's input), with names that try to break out of generated code.
 */

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <X>(rng: Rng, items: readonly X[]): X => items[int(rng, items.length)]!;
const chance = (rng: Rng, p: number): boolean => rng() < p;

/** Names meant to break generated code: quotes, escapes, line separators, template syntax, prototype names, array indices. */
export const HOSTILE_NAMES = [
  '"]);globalThis.__pwned=1;//', "'];globalThis.__pwned=1;//", '`${globalThis.__pwned=1}`', '\\', '\\"', 'a\u2028b', 'a\u2029b', '\n', '</script>',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '0', '1', '10', '4294967294', '4294967295', '-1', '01', '',
  '\ud800', '😀', 'k{}', 'x) { globalThis.__pwned = 1; } function y(', '*/globalThis.__pwned=1/*',
];

const PLAIN_NAMES = ['a', 'b', 'id', 'name', 'tags', 'x', 'value', 'user_id', 'a-b'];

export function randomName(rng: Rng, hostile: boolean): string {
  return hostile && chance(rng, 0.5) ? pick(rng, HOSTILE_NAMES) : pick(rng, PLAIN_NAMES);
}

export function randomType(rng: Rng, depth: number, hostile: boolean): Type {
  const r = rng();
  if (depth <= 0 || r < 0.35) return pick(rng, [T.String, T.Int, T.Float, T.Boolean]);
  if (r < 0.5) return chance(rng, 0.5) ? T.list(randomType(rng, depth - 1, hostile)) : T.seq(randomType(rng, depth - 1, hostile));
  if (r < 0.62) return T.optional(randomType(rng, depth - 1, hostile));
  if (r < 0.85) {
    const n = int(rng, 4);
    return T.record(Array.from({ length: n }, () => [randomName(rng, hostile), randomType(rng, depth - 1, hostile)] as const));
  }
  if (r < 0.93) return T.map(chance(rng, 0.7) ? T.String : T.Int, randomType(rng, depth - 1, hostile));
  return T.union([T.Int, T.String, T.record([['a', T.Int]])]);
}

const STRINGS = ['', 'a', 'héllo', '"quoted"', 'back\\slash', 'line\nbreak', '\u2028', '😀', '\ud800', '</script>', 'NaN', 'Infinity'];

/** Plain JSON for `type`: fitting with probability ~0.9 at each level, else wrong in some way. */
export function randomJson(rng: Rng, type: Type, depth = 0): unknown {
  if (chance(rng, 0.04)) return pick<unknown>(rng, [null, 'text', 1.5, 7, true, [], {}, 'NaN', 1e309, -0, 2 ** 53, undefined]);
  switch (type.k) {
    case 'String': return pick(rng, STRINGS);
    case 'Int': return pick(rng, [0, 1, -1, 42, -0, 2 ** 53 - 1, -(2 ** 53 - 1)]);
    case 'Float': return pick<unknown>(rng, [0, 1.5, -2.25, 1e-7, 1e21, -0, 3, 'NaN', 'Infinity', '-Infinity']);
    case 'Boolean': return chance(rng, 0.5);
    case 'List': case 'Seq': return Array.from({ length: int(rng, 4) }, () => randomJson(rng, type.of, depth + 1));
    case 'Optional': return chance(rng, 0.3) ? null : randomJson(rng, type.of, depth + 1);
    case 'Record': {
      const o: Record<string, unknown> = {};
      for (const [name, ft] of type.fields) {
        if (chance(rng, 0.08)) continue; // missing
        Object.defineProperty(o, name, { value: randomJson(rng, ft, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      if (chance(rng, 0.2)) o['extra'] = 1;
      return o;
    }
    case 'Map':
      if (type.key.k === 'String' && chance(rng, 0.6)) {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < int(rng, 3); i++) Object.defineProperty(o, pick(rng, [...PLAIN_NAMES, ...HOSTILE_NAMES]), { value: randomJson(rng, type.value, depth + 1), enumerable: true, writable: true, configurable: true });
        return o;
      }
      return Array.from({ length: int(rng, 3) }, () => [randomJson(rng, type.key, depth + 1), randomJson(rng, type.value, depth + 1)]);
    case 'Union':
      return chance(rng, 0.5) ? { tag: 'Int', value: 3 } : chance(rng, 0.5) ? 'text' : { a: 1 };
    default:
      return null;
  }
}

/** An engine value of `type` (as the executor holds it). */
export function randomValue(rng: Rng, type: Type): Value {
  switch (type.k) {
    case 'String': return pick(rng, STRINGS);
    case 'Int': return pick(rng, [0, 1, -1, 42, 2 ** 53 - 1]);
    case 'Float': return pick(rng, [0, 1.5, -2.25, 1e-7, 1e21, -0, NaN, Infinity, -Infinity]);
    case 'Boolean': return chance(rng, 0.5);
    case 'List': case 'Seq': return Array.from({ length: int(rng, 4) }, () => randomValue(rng, type.of));
    case 'Optional': {
      if (chance(rng, 0.3)) return null;
      const inner = randomValue(rng, type.of);
      return inner === null || inner instanceof Some ? new Some(inner) : inner;
    }
    case 'Record': {
      const o: Record<string, Value> = {};
      for (const [name, ft] of type.fields) Object.defineProperty(o, name, { value: randomValue(rng, ft), enumerable: true, writable: true, configurable: true });
      if (chance(rng, 0.2)) o['extraField'] = 'width subtyping';
      return o;
    }
    case 'Map': {
      const m = new ValueMap<Value, Value>();
      for (let i = 0; i < int(rng, 3); i++) m.set(type.key.k === 'String' ? pick(rng, [...PLAIN_NAMES, ...HOSTILE_NAMES]) : int(rng, 100), randomValue(rng, type.value));
      return m;
    }
    case 'Union': {
      const member = pick(rng, type.members);
      return new Tagged(printType(member), randomValue(rng, member));
    }
    default:
      return null;
  }
}
