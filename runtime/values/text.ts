import { printType, type Type } from '../types/type.js';
import { Some, Tagged, type Value } from './value.js';

/**
 * Text of a value inside string interpolation, type-directed because Int and
 * Float are both numbers at run time. Floats print like Java's Double.toString; maps print as
 * `{key: value, …}` (docs/decisions.md #8); unions print as their member's text.
 */

export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const m = Math.abs(x);
  if (m >= 1e-3 && m < 1e7) {
    const s = String(x);
    // String(x) is plain decimal in this range except for tiny exponents handled above
    return s.includes('.') ? s : s + '.0';
  }
  // computerised scientific notation: d.dddE±n, shortest round-trip digits
  const [mant, exp] = x.toExponential().split('e') as [string, string];
  const mantissa = mant.includes('.') ? mant : mant + '.0';
  const e = exp.startsWith('+') ? exp.slice(1) : exp;
  return `${mantissa}E${e}`;
}

export function toText(v: Value, t: Type): string {
  switch (t.k) {
    case 'String': return v as string;
    case 'Int': return String(v);
    case 'Float': return javaDouble(v as number);
    case 'Boolean': return v ? 'true' : 'false';
    case 'Optional':
      if (v === null || v === undefined) return '';
      return toText(v instanceof Some ? v.value : v, t.of);
    case 'List':
    case 'Seq':
      return '[' + (v as Value[]).map((e) => toText(e, t.of)).join(', ') + ']';
    case 'Map': {
      const parts: string[] = [];
      for (const [k, val] of v as Map<Value, Value>) parts.push(`${toText(k, t.key)}: ${toText(val, t.value)}`);
      return '{' + parts.join(', ') + '}';
    }
    case 'Record': {
      const rec = v as Record<string, Value>;
      return '{' + t.fields.map(([n, ft]) => `${n}: ${toText(rec[n], ft)}`).join(', ') + '}';
    }
    case 'Union': {
      if (v instanceof Tagged) {
        const member = t.members.find((m) => printType(m) === v.tag);
        return member ? toText(v.value, member) : untypedText(v.value);
      }
      return untypedText(v);
    }
    default:
      return untypedText(v);
  }
}

/** Best-effort text when no type is available (never on the normal path). */
export function untypedText(v: Value): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Some) return untypedText(v.value);
  if (v instanceof Tagged) return untypedText(v.value);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return '[' + v.map(untypedText).join(', ') + ']';
  if (v instanceof Map) return '{' + [...v].map(([k, x]) => `${untypedText(k)}: ${untypedText(x)}`).join(', ') + '}';
  if (typeof v === 'object') return '{' + Object.entries(v as object).map(([k, x]) => `${k}: ${untypedText(x)}`).join(', ') + '}';
  return String(v);
}
