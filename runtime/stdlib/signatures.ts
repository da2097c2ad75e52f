import type { FunctionSignature } from '../compiler/registry.js';
import { T, type Type } from '../types/type.js';

/**
 * Signatures of the 43 standard functions of the reference. Modules are named `stdlib.<name>`, the
 * output field is `out` (`value` for identity). The higher-order functions are generic in the
 * element type (docs/decisions.md #4); everything else is typed exactly as the reference.
 */

type P = readonly [string, Type];

function fn(namespace: string, name: string, params: readonly P[], returns: Type, extra: Partial<FunctionSignature> = {}): FunctionSignature {
  return {
    name,
    namespace,
    params: params.map(([n, t]) => ({ name: n, type: t })),
    returns,
    outputField: 'out',
    module: `stdlib.${name}`,
    kind: 'module',
    pure: true,
    ...extra,
  };
}

const I = T.Int;
const F = T.Float;
const S = T.String;
const B = T.Boolean;
const SeqInt = T.seq(I);
const TV = T.variable('T');
const UV = T.variable('U');

const math = 'stdlib.math';
const str = 'stdlib.string';
const lst = 'stdlib.list';
const bool = 'stdlib.bool';
const cmp = 'stdlib.compare';
const conv = 'stdlib.convert';
const coll = 'stdlib.collection';

export const STDLIB_SIGNATURES: readonly FunctionSignature[] = [
  fn(math, 'add', [['a', I], ['b', I]], I, { description: 'a + b (64-bit, wrapping)' }),
  fn(math, 'subtract', [['a', I], ['b', I]], I, { description: 'a - b' }),
  fn(math, 'multiply', [['a', I], ['b', I]], I, { description: 'a * b' }),
  fn(math, 'divide', [['a', I], ['b', I]], I, { description: 'integer quotient truncated toward zero; fails on b = 0' }),
  fn(math, 'max', [['a', I], ['b', I]], I, { description: 'the larger of a and b' }),
  fn(math, 'min', [['a', I], ['b', I]], I, { description: 'the smaller of a and b' }),
  fn(math, 'abs', [['value', I]], I, { description: 'absolute value' }),
  fn(math, 'modulo', [['a', I], ['b', I]], I, { description: 'remainder with the sign of the dividend; fails on b = 0' }),
  fn(math, 'round', [['value', F]], I, { description: 'Java Math.round: halves toward +∞' }),
  fn(math, 'negate', [['value', I]], I, { description: '-value' }),

  fn(str, 'concat', [['a', S], ['b', S]], S, { description: 'a followed by b' }),
  fn(str, 'string-length', [['value', S]], I, { description: 'length in UTF-16 code units' }),
  fn(str, 'join', [['list', T.list(S)], ['separator', S]], S, { description: 'elements joined with the separator' }),
  fn(str, 'split', [['value', S], ['substring', S]], T.list(S), { description: 'literal split keeping empty pieces' }),
  fn(str, 'contains', [['value', S], ['substring', S]], B, { description: 'substring test (case-sensitive)' }),
  fn(str, 'trim', [['value', S]], S, { description: 'removes leading/trailing characters ≤ U+0020' }),
  fn(str, 'replace', [['value', S], ['target', S], ['replacement', S]], S, { description: 'literal replace-all' }),

  fn(lst, 'list-length', [['list', SeqInt]], I, { description: 'number of elements' }),
  fn(lst, 'list-first', [['list', SeqInt]], I, { description: 'first element; fails when empty' }),
  fn(lst, 'list-last', [['list', SeqInt]], I, { description: 'last element; fails when empty' }),
  fn(lst, 'list-is-empty', [['list', SeqInt]], B, { description: 'true iff no elements' }),
  fn(lst, 'list-sum', [['list', SeqInt]], I, { description: 'sum (wrapping); 0 when empty' }),
  fn(lst, 'list-concat', [['a', SeqInt], ['b', SeqInt]], SeqInt, { description: 'a followed by b' }),
  fn(lst, 'list-contains', [['list', SeqInt], ['value', I]], B, { description: 'membership test' }),
  fn(lst, 'list-reverse', [['list', SeqInt]], SeqInt, { description: 'elements in reverse order' }),

  fn(bool, 'and', [['a', B], ['b', B]], B, { kind: 'operator', description: 'conjunction (the and operator)' }),
  fn(bool, 'or', [['a', B], ['b', B]], B, { kind: 'operator', description: 'disjunction (the or operator)' }),
  fn(bool, 'not', [['value', B]], B, { kind: 'operator', description: 'negation (the not operator)' }),

  fn(cmp, 'eq-int', [['a', I], ['b', I]], B, { description: 'a == b' }),
  fn(cmp, 'eq-string', [['a', S], ['b', S]], B, { description: 'exact string equality' }),
  fn(cmp, 'gt', [['a', I], ['b', I]], B, { description: 'a > b' }),
  fn(cmp, 'lt', [['a', I], ['b', I]], B, { description: 'a < b' }),
  fn(cmp, 'gte', [['a', I], ['b', I]], B, { description: 'a >= b' }),
  fn(cmp, 'lte', [['a', I], ['b', I]], B, { description: 'a <= b' }),

  fn(conv, 'to-string', [['value', I]], S, { description: 'decimal text' }),
  fn(conv, 'to-int', [['value', F]], I, { description: 'truncation toward zero' }),
  fn(conv, 'to-float', [['value', I]], F, { description: 'nearest Float' }),

  fn(coll, 'filter', [['items', T.seq(TV)], ['predicate', T.fn([TV], B)]], T.seq(TV), { kind: 'higher-order', typeParams: ['T'], module: 'stdlib.hof.filter', pure: false, description: 'elements for which the predicate holds' }),
  fn(coll, 'map', [['items', T.seq(TV)], ['transform', T.fn([TV], UV)]], T.seq(UV), { kind: 'higher-order', typeParams: ['T', 'U'], module: 'stdlib.hof.map', pure: false, description: 'the function applied to every element' }),
  fn(coll, 'all', [['items', T.seq(TV)], ['predicate', T.fn([TV], B)]], B, { kind: 'higher-order', typeParams: ['T'], module: 'stdlib.hof.all', pure: false, description: 'true iff the predicate holds for every element' }),
  fn(coll, 'any', [['items', T.seq(TV)], ['predicate', T.fn([TV], B)]], B, { kind: 'higher-order', typeParams: ['T'], module: 'stdlib.hof.any', pure: false, description: 'true iff the predicate holds for some element' }),

  fn('stdlib', 'identity', [['value', S]], S, { outputField: 'value', description: 'returns its argument' }),
  fn('stdlib.debug', 'log', [['message', S]], S, { description: 'prints the message and returns it' }),
];
