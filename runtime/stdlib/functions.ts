import { ConstellationError } from '../errors.js';
import { floatToInt, intAdd, intDiv, intMod, intMul, intNeg, intSub, intSum, javaRound } from '../values/int.js';
import type { Value } from '../values/value.js';

/**
 * Implementations of the standard library, keyed by module name. All are pure and
 * synchronous, so the engine runs them inline on the coordinator (no thread hop) and lambda
 * bodies may call them. Arguments arrive positionally, in the signature's parameter order.
 */
export type PureFunction = (args: readonly Value[]) => Value;

const s = (v: Value) => v as string;
const n = (v: Value) => v as number;
const list = (v: Value) => v as readonly number[];

/** Characters with code ≤ U+0020 (Java's String.trim). */
export function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 32) start++;
  while (end > start && value.charCodeAt(end - 1) <= 32) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Literal split keeping every empty piece; an empty separator splits into UTF-16 units plus "". */
export function literalSplit(value: string, separator: string): string[] {
  if (separator === '') {
    if (value === '') return [''];
    const out: string[] = [];
    for (let i = 0; i < value.length; i++) out.push(value[i]!);
    out.push('');
    return out;
  }
  return value.split(separator);
}

export const STDLIB_FUNCTIONS: Readonly<Record<string, PureFunction>> = {
  // math
  'stdlib.add': (a) => intAdd(n(a[0]), n(a[1])),
  'stdlib.subtract': (a) => intSub(n(a[0]), n(a[1])),
  'stdlib.multiply': (a) => intMul(n(a[0]), n(a[1])),
  'stdlib.divide': (a) => intDiv(n(a[0]), n(a[1])),
  'stdlib.max': (a) => Math.max(n(a[0]), n(a[1])),
  'stdlib.min': (a) => Math.min(n(a[0]), n(a[1])),
  'stdlib.abs': (a) => Math.abs(n(a[0])),
  'stdlib.modulo': (a) => intMod(n(a[0]), n(a[1])),
  'stdlib.round': (a) => javaRound(n(a[0])),
  'stdlib.negate': (a) => intNeg(n(a[0])),
  // string
  'stdlib.concat': (a) => s(a[0]) + s(a[1]),
  'stdlib.string-length': (a) => s(a[0]).length,
  'stdlib.join': (a) => (a[0] as string[]).join(s(a[1])),
  'stdlib.split': (a) => literalSplit(s(a[0]), s(a[1])),
  'stdlib.contains': (a) => s(a[0]).includes(s(a[1])),
  'stdlib.trim': (a) => javaTrim(s(a[0])),
  'stdlib.replace': (a) => s(a[0]).replaceAll(s(a[1]), () => s(a[2])),
  // list
  'stdlib.list-length': (a) => list(a[0]).length,
  'stdlib.list-first': (a) => {
    const l = list(a[0]);
    if (l.length === 0) throw new ConstellationError('ModuleFailed', 'stdlib.list-first: list is empty');
    return l[0];
  },
  'stdlib.list-last': (a) => {
    const l = list(a[0]);
    if (l.length === 0) throw new ConstellationError('ModuleFailed', 'stdlib.list-last: list is empty');
    return l[l.length - 1];
  },
  'stdlib.list-is-empty': (a) => list(a[0]).length === 0,
  'stdlib.list-sum': (a) => intSum(list(a[0])),
  'stdlib.list-concat': (a) => list(a[0]).concat(list(a[1])),
  'stdlib.list-contains': (a) => list(a[0]).includes(n(a[1])),
  'stdlib.list-reverse': (a) => list(a[0]).slice().reverse(),
  // bool (operator targets)
  'stdlib.and': (a) => (a[0] as boolean) && (a[1] as boolean),
  'stdlib.or': (a) => (a[0] as boolean) || (a[1] as boolean),
  'stdlib.not': (a) => !(a[0] as boolean),
  // compare
  'stdlib.eq-int': (a) => n(a[0]) === n(a[1]),
  'stdlib.eq-string': (a) => s(a[0]) === s(a[1]),
  'stdlib.gt': (a) => n(a[0]) > n(a[1]),
  'stdlib.lt': (a) => n(a[0]) < n(a[1]),
  'stdlib.gte': (a) => n(a[0]) >= n(a[1]),
  'stdlib.lte': (a) => n(a[0]) <= n(a[1]),
  // convert
  'stdlib.to-string': (a) => String(n(a[0])),
  'stdlib.to-int': (a) => floatToInt(n(a[0])),
  'stdlib.to-float': (a) => n(a[0]),
  // utility
  'stdlib.identity': (a) => a[0],
  'stdlib.log': (a) => {
    process.stdout.write(`[constellation-lang] ${s(a[0])}\n`);
    return a[0];
  },
};

/** Inside lambda bodies integer division and modulo by zero yield 0. */
export const LAMBDA_OVERRIDES: Readonly<Record<string, PureFunction>> = {
  'stdlib.divide': (a) => (n(a[1]) === 0 ? 0 : intDiv(n(a[0]), n(a[1]))),
  'stdlib.modulo': (a) => (n(a[1]) === 0 ? 0 : intMod(n(a[0]), n(a[1]))),
};
