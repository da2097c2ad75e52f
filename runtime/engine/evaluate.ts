import type { Coercion, IrExpr, MatchCaseIr } from '../compiler/ir.js';
import { WHOLE_VALUE } from '../compiler/ir.js';
import { ConstellationError } from '../errors.js';
import { LAMBDA_OVERRIDES, STDLIB_FUNCTIONS, type PureFunction } from '../stdlib/functions.js';
import { intAdd, intDiv, intMul, intNeg, intSub } from '../values/int.js';
import { toText } from '../values/text.js';
import { setField, Some, some, Tagged, unwrapSome, ValueMap, type Value } from '../values/value.js';

/**
 * Turns an inline expression tree (plain data) into a JavaScript closure, once per loaded DAG.
 * The closures read node values from `nodes` (indexed by node id) and locals (lambda parameters,
 * match bindings) from `env`. Evaluation is lazy where the language says so: only the taken arm
 * of if/branch/match, the right side of and/or/?? only when needed.
 */

export type Evaluator = (nodes: readonly Value[], env: Value[]) => Value;

export function compileExpr(expr: IrExpr): { fn: Evaluator; envSize: number } {
  let maxSlot = -1;
  const track = (slot: number) => {
    if (slot > maxSlot) maxSlot = slot;
  };
  const fn = build(expr, track);
  return { fn, envSize: maxSlot + 1 };
}

function build(e: IrExpr, track: (slot: number) => void): Evaluator {
  const b = (x: IrExpr) => build(x, track);
  switch (e.op) {
    case 'ref': {
      const id = e.node;
      return (nodes) => nodes[id];
    }
    case 'local': {
      const slot = e.slot;
      track(slot);
      return (_n, env) => env[slot];
    }
    case 'lit': {
      const value = e.value;
      return () => value;
    }
    case 'unreachable':
      return () => {
        throw new ConstellationError('TransformFailed', 'internal error: an unreachable expression was evaluated');
      };
    case 'list': {
      const items = e.items.map(b);
      return (n, env) => {
        const out = new Array<Value>(items.length);
        for (let i = 0; i < items.length; i++) out[i] = items[i]!(n, env);
        return out;
      };
    }
    case 'record': {
      const names = e.fields.map((f) => f[0]);
      const values = e.fields.map((f) => b(f[1]));
      return (n, env) => {
        const o: Record<string, Value> = {};
        for (let i = 0; i < names.length; i++) setField(o, names[i]!, values[i]!(n, env));
        return o;
      };
    }
    case 'field': {
      const source = b(e.source);
      const name = e.name;
      if (e.each) return (n, env) => (source(n, env) as Record<string, Value>[]).map((r) => r[name]);
      return (n, env) => (source(n, env) as Record<string, Value>)[name];
    }
    case 'project': {
      const source = b(e.source);
      const names = e.names;
      const pick = (r: Record<string, Value>) => {
        const o: Record<string, Value> = {};
        for (const k of names) setField(o, k, r[k]);
        return o;
      };
      if (e.each) return (n, env) => (source(n, env) as Record<string, Value>[]).map(pick);
      return (n, env) => pick(source(n, env) as Record<string, Value>);
    }
    case 'merge': {
      const left = b(e.left);
      const right = b(e.right);
      // spread defines own properties, so a field named __proto__ stays a field
      const merge2 = (a: object, c: object) => ({ ...a, ...c });
      switch (e.shape) {
        case 'record':
          return (n, env) => merge2(left(n, env) as object, right(n, env) as object);
        case 'broadcast-right':
          return (n, env) => {
            const r = right(n, env) as object;
            return (left(n, env) as object[]).map((l) => merge2(l, r));
          };
        case 'broadcast-left':
          return (n, env) => {
            const l = left(n, env) as object;
            return (right(n, env) as object[]).map((r) => merge2(l, r));
          };
        case 'zip':
          return (n, env) => {
            const l = left(n, env) as object[];
            const r = right(n, env) as object[];
            if (l.length !== r.length) {
              throw new ConstellationError('TransformFailed', `Cannot merge lists of different lengths (${l.length} and ${r.length}) element-wise`);
            }
            return l.map((x, i) => merge2(x, r[i]!));
          };
      }
      break;
    }
    case 'arith': {
      const left = b(e.left);
      const right = b(e.right);
      if (e.num === 'float') {
        switch (e.fn) {
          case '+': return (n, env) => (left(n, env) as number) + (right(n, env) as number);
          case '-': return (n, env) => (left(n, env) as number) - (right(n, env) as number);
          case '*': return (n, env) => (left(n, env) as number) * (right(n, env) as number);
          case '/': return (n, env) => (left(n, env) as number) / (right(n, env) as number);
        }
      }
      switch (e.fn) {
        case '+': return (n, env) => intAdd(left(n, env) as number, right(n, env) as number);
        case '-': return (n, env) => intSub(left(n, env) as number, right(n, env) as number);
        case '*': return (n, env) => intMul(left(n, env) as number, right(n, env) as number);
        case '/':
          // Integer division by zero yields 0 inside a lambda, fails elsewhere.
          if (e.lambda) return (n, env) => {
            const d = right(n, env) as number;
            return d === 0 ? 0 : intDiv(left(n, env) as number, d);
          };
          return (n, env) => intDiv(left(n, env) as number, right(n, env) as number, "'/'");
      }
      break;
    }
    case 'neg': {
      const operand = b(e.operand);
      return e.num === 'int' ? (n, env) => intNeg(operand(n, env) as number) : (n, env) => -(operand(n, env) as number);
    }
    case 'cmp': {
      const left = b(e.left);
      const right = b(e.right);
      switch (e.fn) {
        case '==': return (n, env) => left(n, env) === right(n, env);
        case '!=': return (n, env) => left(n, env) !== right(n, env);
        case '<': return (n, env) => (left(n, env) as number) < (right(n, env) as number);
        case '>': return (n, env) => (left(n, env) as number) > (right(n, env) as number);
        case '<=': return (n, env) => (left(n, env) as number) <= (right(n, env) as number);
        case '>=': return (n, env) => (left(n, env) as number) >= (right(n, env) as number);
      }
      break;
    }
    case 'and': {
      const left = b(e.left);
      const right = b(e.right);
      return (n, env) => (left(n, env) as boolean) && (right(n, env) as boolean);
    }
    case 'or': {
      const left = b(e.left);
      const right = b(e.right);
      return (n, env) => (left(n, env) as boolean) || (right(n, env) as boolean);
    }
    case 'not': {
      const operand = b(e.operand);
      return (n, env) => !(operand(n, env) as boolean);
    }
    case 'when': {
      const value = b(e.value);
      const cond = b(e.cond);
      return (n, env) => (cond(n, env) ? some(value(n, env)) : null);
    }
    case 'coalesce': {
      const left = b(e.left);
      const right = b(e.right);
      if (e.keepOptional) return (n, env) => {
        const l = left(n, env);
        return l === null || l === undefined ? right(n, env) : l;
      };
      return (n, env) => {
        const l = left(n, env);
        return l === null || l === undefined ? right(n, env) : unwrapSome(l);
      };
    }
    case 'if': {
      const cond = b(e.cond);
      const then = b(e.then);
      const otherwise = b(e.else);
      return (n, env) => (cond(n, env) ? then(n, env) : otherwise(n, env));
    }
    case 'branch': {
      const conds = e.conds.map(b);
      const bodies = e.bodies.map(b);
      const otherwise = b(e.otherwise);
      return (n, env) => {
        for (let i = 0; i < conds.length; i++) if (conds[i]!(n, env)) return bodies[i]!(n, env);
        return otherwise(n, env);
      };
    }
    case 'match': {
      const scrutinee = b(e.scrutinee);
      const cases = e.cases.map((c) => ({ test: tagTest(c.tags), bind: c.bind.map((x) => ({ ...x, coercers: coercerMap(x.coerce) })), body: b(c.body) }));
      for (const c of e.cases) for (const x of c.bind) track(x.slot);
      return (n, env) => {
        const v = scrutinee(n, env);
        const tag = v instanceof Tagged ? v.tag : null;
        const inner = v instanceof Tagged ? v.value : v;
        for (const c of cases) {
          if (!c.test(tag)) continue;
          for (const x of c.bind) {
            const fieldValue = x.field === WHOLE_VALUE ? inner : (inner as Record<string, Value>)[x.field];
            const coerce = tag !== null && x.coercers ? x.coercers[tag] : undefined;
            env[x.slot] = coerce ? coerce(fieldValue) : fieldValue;
          }
          return c.body(n, env);
        }
        throw new ConstellationError('TransformFailed', `No match case accepts the value${tag ? ` of type ${tag}` : ''}`);
      };
    }
    case 'matchIndex': {
      const scrutinee = b(e.scrutinee);
      const tests = e.cases.map(tagTest);
      return (n, env) => {
        const v = scrutinee(n, env);
        const tag = v instanceof Tagged ? v.tag : null;
        for (let i = 0; i < tests.length; i++) if (tests[i]!(tag)) return i;
        throw new ConstellationError('TransformFailed', `No match case accepts the value${tag ? ` of type ${tag}` : ''}`);
      };
    }
    case 'select': {
      const index = b(e.index);
      const bodies = e.bodies.map(b);
      return (n, env) => bodies[index(n, env) as number]!(n, env);
    }
    case 'interp': {
      const strings = e.strings;
      const parts = e.parts.map((p) => {
        const f = b(p.expr);
        const t = p.type;
        if (t.k === 'String') return f;
        return (n: readonly Value[], env: Value[]) => toText(f(n, env), t);
      });
      return (n, env) => {
        let s = strings[0]!;
        for (let i = 0; i < parts.length; i++) s += (parts[i]!(n, env) as string) + strings[i + 1]!;
        return s;
      };
    }
    case 'call': {
      const impl: PureFunction | undefined = (e.lambda ? LAMBDA_OVERRIDES[e.fn] : undefined) ?? STDLIB_FUNCTIONS[e.fn];
      if (!impl) throw new ConstellationError('ModuleNotFound', `No inline implementation for ${e.fn}`);
      const args = e.args.map(b);
      return (n, env) => impl(args.map((a) => a(n, env)));
    }
    case 'hof': {
      const source = b(e.source);
      const body = b(e.body);
      const slot = e.slot;
      track(slot);
      switch (e.fn) {
        case 'filter':
          return (n, env) => (source(n, env) as Value[]).filter((x) => {
            env[slot] = x;
            return body(n, env) as boolean;
          });
        case 'map':
          return (n, env) => (source(n, env) as Value[]).map((x) => {
            env[slot] = x;
            return body(n, env);
          });
        case 'all':
          return (n, env) => (source(n, env) as Value[]).every((x) => {
            env[slot] = x;
            return body(n, env) as boolean;
          });
        case 'any':
          return (n, env) => (source(n, env) as Value[]).some((x) => {
            env[slot] = x;
            return body(n, env) as boolean;
          });
      }
      break;
    }
    case 'coerce': {
      const source = b(e.source);
      const c = coercer(e.coercion);
      return (n, env) => c(source(n, env));
    }
    case 'recover': {
      const primary = e.primary;
      const fallback = b(e.fallback);
      // The executor marks a failed primary with FAILED_VALUE before evaluating.
      return (n, env) => (n[primary] === FAILED_VALUE ? fallback(n, env) : n[primary]);
    }
  }
  throw new ConstellationError('TransformFailed', `internal error: unknown expression operator '${(e as { op: string }).op}'`);
}

/** Stands in the value array for a node that failed, so a `recover` expression can see it. */
export const FAILED_VALUE: unique symbol = Symbol('failed');

function tagTest(tags: readonly string[] | null): (tag: string | null) => boolean {
  if (tags === null) return () => true;
  if (tags.length === 1) {
    const only = tags[0];
    return (tag) => tag === only;
  }
  const set = new Set(tags);
  return (tag) => tag !== null && set.has(tag);
}

function coercerMap(map: MatchCaseIr['bind'][number]['coerce']): Record<string, (v: Value) => Value> | undefined {
  if (!map) return undefined;
  const out: Record<string, (v: Value) => Value> = {};
  for (const [tag, c] of Object.entries(map)) out[tag] = coercer(c);
  return out;
}

/** Applies a coercion (union injection and its structural liftings) to a value. */
export function coercer(c: Coercion): (v: Value) => Value {
  switch (c.c) {
    case 'inject': {
      const inner = c.inner ? coercer(c.inner) : undefined;
      const tag = c.tag;
      return inner ? (v) => new Tagged(tag, inner(v)) : (v) => new Tagged(tag, v);
    }
    case 'retag': {
      const table = new Map(Object.entries(c.tags).map(([from, t]) => [from, { tag: t.tag, inner: t.inner ? coercer(t.inner) : undefined }]));
      return (v) => {
        if (!(v instanceof Tagged)) return v;
        const t = table.get(v.tag);
        if (!t) return v;
        return new Tagged(t.tag, t.inner ? t.inner(v.value) : v.value);
      };
    }
    case 'each': {
      const of = coercer(c.of);
      return (v) => (v as Value[]).map(of);
    }
    case 'optional': {
      const of = coercer(c.of);
      return (v) => (v === null || v === undefined ? null : v instanceof Some ? new Some(of(v.value)) : of(v));
    }
    case 'mapValues': {
      const of = coercer(c.of);
      return (v) => {
        const m = new ValueMap<Value, Value>();
        for (const [k, x] of v as Map<Value, Value>) m.set(k, of(x));
        return m;
      };
    }
    case 'fields': {
      const fields = c.fields.map(([name, fc]) => [name, coercer(fc)] as const);
      return (v) => {
        const o = { ...(v as object) } as Record<string, Value>;
        for (const [name, f] of fields) setField(o, name, f(o[name]));
        return o;
      };
    }
  }
}
