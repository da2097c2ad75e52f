import { compile } from '../../runtime/compiler/compile.js';
import { parseDag } from '../../runtime/compiler/dag-schema.js';
import type { FunctionRegistry } from '../../runtime/compiler/registry.js';
import { DiagnosticSink } from '../../runtime/language/diagnostics.js';
import { lex } from '../../runtime/language/lexer.js';
import { loadConformanceCases } from './conformance.js';
import { diagnosticProblems } from './diagnostics.js';
import { prng, type Rng } from './prng.js';

/**
 * Seeded source generators and the property check of the compiler fuzz test. Everything here is
 * deterministic in the seed, so a failure reproduces from (family, seed, index) alone.
 */

export { prng, type Rng };

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
const chance = (rng: Rng, p: number): boolean => rng() < p;

// ---------------------------------------------------------------- token soup

const KEYWORDS = ['type', 'in', 'out', 'if', 'else', 'true', 'false', 'use', 'as', 'and', 'or', 'not', 'when', 'branch', 'otherwise', 'with', 'lazy', 'match', 'is'];
const IDENTS = ['x', 'y', 'z', 'a-b', 'input', '_', 'r', 'xs', 't', 'n', 'Uppercase', 'add', 'filter', 'map', 'all', 'stdlib.math.add', 'stdlib', 'stdlib.collection', 'm', 'm.add', 'String', 'Int', 'Float', 'Boolean', 'List', 'Optional', 'Map', 'Seq', 'Candidates', 'retry', 'timeout', 'fallback', 'priority', 'high', 'exponential', 'window', 'tumbling', 'example', 'source', 'sink', 'concat', 'SumList', 'Split', 'list-sum', 'string-length', 'AlwaysFailsService'];
const SYMBOLS = ['=', ':', ',', '.', '@', '(', ')', '[', ']', '{', '}', '<', '>', '|', '+', '-', '*', '/', '==', '!=', '<=', '>=', '??', '->', '=>', '!', '?', '$', ';', '\\', '&'];
const LITERALS = ['0', '1', '-1', '42', '1.5', '-1.5', '007', '1e5', '9007199254740993', '-9007199254740991', '"a"', '""', '"${x}"', '"${', '"\\q"', '"a${"b${x}"}c"', '"abc', '"${}"', '"$5"', '"\\n\\t\\$"', '5min', '10s', '0ms', '100/1min', '3/0s', '1.5s'];
const TRIVIA = ['# comment\n', '\n', ' ', '\t', '\r\n', ''];
const SNIPPETS = ['in x: Int\n', 'in xs: List<Int>\n', 'in r: {a: Int, b: String}\n', 'in o: Optional<Int>\n', 'in u: Int | String\n', 'use stdlib.math\n', 'use stdlib.math as m\n', 'type T = {a: Int}\n', '@example(1)\n', ' with retry: 3, timeout: 1s', ' with fallback: ', '(v) => ', 'match u { ', 'branch { ', 'otherwise -> ', 'if (', ') else ', '\nout x', '\nout y'];

export function tokenSoup(rng: Rng): string {
  const n = 1 + int(rng, 60);
  let s = chance(rng, 0.5) ? 'in x: Int\n' : '';
  for (let i = 0; i < n; i++) {
    const r = rng();
    const tok = r < 0.15 ? pick(rng, KEYWORDS) : r < 0.4 ? pick(rng, IDENTS) : r < 0.7 ? pick(rng, SYMBOLS) : r < 0.85 ? pick(rng, LITERALS) : pick(rng, SNIPPETS);
    s += tok + (chance(rng, 0.7) ? ' ' : pick(rng, TRIVIA));
  }
  if (chance(rng, 0.5)) s += '\nout x';
  return s;
}

// ---------------------------------------------------------------- random bytes and unicode

const UNICODE = [0x00a0, 0x2028, 0x2029, 0xfeff, 0x200b, 0x0301, 0x1f600, 0x1f468, 0x4e2d, 0x0627, 0xfffd, 0x0000, 0x007f, 0x0085, 0xd800, 0xdc00, 0x10ffff, 0x000c, 0x000b];

export function randomText(rng: Rng): string {
  const mode = int(rng, 4);
  const len = int(rng, 400);
  if (mode === 0 || mode === 1) {
    const bytes = Buffer.alloc(len);
    for (let i = 0; i < len; i++) bytes[i] = int(rng, 256);
    return bytes.toString(mode === 0 ? 'latin1' : 'utf8');
  }
  if (mode === 2) {
    // arbitrary UTF-16 code units, lone surrogates included
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(int(rng, 0x10000));
    return s;
  }
  // language characters mixed with awkward code points
  const ascii = 'in out x y = : , . ( ) [ ] { } < > | + - * / " $ { } # \\ \n \t 0 1 9 a z _ when ?? -> =>'.split(' ');
  let s = '';
  for (let i = 0; i < len; i++) s += chance(rng, 0.8) ? pick(rng, ascii) : String.fromCodePoint(pick(rng, UNICODE));
  return s;
}

// ---------------------------------------------------------------- mutations of real programs

const INSERT_CHARS = '(){}[]<>"\'$#\\,.:=+-*/?@|!_ \n\t0123456789aezAZ😀é\u00a0';

function tokensOf(source: string): { start: number; end: number }[] {
  return lex(source, new DiagnosticSink()).filter((t) => t.kind !== 'eof');
}

export function mutate(rng: Rng, source: string, others: readonly string[]): string {
  let s = source;
  const ops = 1 + int(rng, 4);
  for (let k = 0; k < ops; k++) {
    const at = int(rng, s.length + 1);
    switch (int(rng, 13)) {
      case 0: s = s.slice(0, at) + s.slice(at + 1); break; // delete a character
      case 1: s = s.slice(0, at) + pick(rng, [...INSERT_CHARS]) + s.slice(at); break; // insert a character
      case 2: if (at + 1 < s.length) s = s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2); break; // swap neighbours
      case 3: s = s.slice(0, at); break; // truncate
      case 4: { // delete a token
        const ts = tokensOf(s);
        if (ts.length) { const t = pick(rng, ts); s = s.slice(0, t.start) + s.slice(t.end); }
        break;
      }
      case 5: { // duplicate a token
        const ts = tokensOf(s);
        if (ts.length) { const t = pick(rng, ts); s = s.slice(0, t.end) + ' ' + s.slice(t.start, t.end) + s.slice(t.end); }
        break;
      }
      case 6: { // swap two tokens
        const ts = tokensOf(s);
        if (ts.length > 1) {
          let a = pick(rng, ts);
          let b = pick(rng, ts);
          if (a.start > b.start) [a, b] = [b, a];
          if (a.end <= b.start) s = s.slice(0, a.start) + s.slice(b.start, b.end) + s.slice(a.end, b.start) + s.slice(a.start, a.end) + s.slice(b.end);
        }
        break;
      }
      case 7: { // insert a token from the vocabulary
        const tok = pick(rng, [...KEYWORDS, ...IDENTS, ...SYMBOLS, ...LITERALS]);
        s = s.slice(0, at) + ' ' + tok + ' ' + s.slice(at);
        break;
      }
      case 8: { // duplicate a line
        const lines = s.split('\n');
        const i = int(rng, lines.length);
        lines.splice(i, 0, lines[i]!);
        s = lines.join('\n');
        break;
      }
      case 9: { // delete a line
        const lines = s.split('\n');
        lines.splice(int(rng, lines.length), 1);
        s = lines.join('\n');
        break;
      }
      case 10: { // swap two lines
        const lines = s.split('\n');
        const i = int(rng, lines.length);
        const j = int(rng, lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        s = lines.join('\n');
        break;
      }
      case 11: { // splice in a chunk of another program
        const o = pick(rng, others);
        const from = int(rng, o.length);
        s = s.slice(0, at) + o.slice(from, from + int(rng, 80)) + s.slice(at);
        break;
      }
      default: { // replace a character
        if (s.length) s = s.slice(0, at) + pick(rng, [...INSERT_CHARS]) + s.slice(at + 1);
      }
    }
  }
  return s;
}

// ---------------------------------------------------------------- structured random programs

const FIELDS = ['a', 'b', 'name', 'value'];

function randomType(rng: Rng, depth: number): string {
  const prim = ['Int', 'String', 'Float', 'Boolean'];
  if (depth <= 0) return pick(rng, prim);
  switch (int(rng, 7)) {
    case 0: return `List<${randomType(rng, depth - 1)}>`;
    case 1: return `Optional<${randomType(rng, depth - 1)}>`;
    case 2: {
      const n = 1 + int(rng, 3);
      return `{${Array.from({ length: n }, (_, i) => `${FIELDS[i]}: ${randomType(rng, depth - 1)}`).join(', ')}}`;
    }
    case 3: return `${randomType(rng, depth - 1)} | ${randomType(rng, depth - 1)}`;
    case 4: return `Seq<${randomType(rng, depth - 1)}>`;
    default: return pick(rng, prim);
  }
}

const CALLS: [string, number][] = [['add', 2], ['concat', 2], ['Uppercase', 1], ['string-length', 1], ['SumList', 1], ['list-sum', 1], ['max', 2], ['to-string', 1], ['Split', 2], ['join', 2], ['Contains', 2], ['stdlib.math.abs', 1], ['round', 1], ['AlwaysFailsService', 1]];
const OPTIONS = ['retry: 2', 'timeout: 1s', 'delay: 5ms', 'backoff: linear', 'fallback: 0', 'fallback: "x"', 'cache: 1min', 'on_error: skip', 'lazy', 'priority: high', 'concurrency: 0', 'throttle: 2/1s'];

function randomExpr(rng: Rng, vars: readonly string[], depth: number): string {
  const leaf = (): string => {
    const r = rng();
    if (r < 0.45 && vars.length) return pick(rng, vars);
    return pick(rng, ['1', '-2', '3.5', '"s"', 'true', 'false', '[]', '[1, 2]', '{a: 1}', '{}', 'undefinedVar']);
  };
  if (depth <= 0) return leaf();
  const e = (): string => randomExpr(rng, vars, depth - 1);
  switch (int(rng, 20)) {
    case 0: return `${e()} ${pick(rng, ['+', '-', '*', '/'])} ${e()}`;
    case 1: return `${e()} ${pick(rng, ['==', '!=', '<', '>=', '<='])} ${e()}`;
    case 2: return `${e()} ${pick(rng, ['and', 'or'])} ${e()}`;
    case 3: return `not ${e()}`;
    case 4: return `${e()} when ${e()}`;
    case 5: return `${e()} ?? ${e()}`;
    case 6: return `if (${e()}) ${e()} else ${e()}`;
    case 7: return `branch { ${e()} -> ${e()}, otherwise -> ${e()} }`;
    case 8: return `match (${e()}) { ${pick(rng, ['{a} -> a', 'is Int -> 1', 'is String -> 2', '{name, value} -> name'])}, _ -> ${e()} }`;
    case 9: return `(${e()}).${pick(rng, FIELDS)}`;
    case 10: return `(${e()})[${pick(rng, FIELDS)}]`;
    case 11: return `[${e()}, ${e()}]`;
    case 12: return `{${pick(rng, FIELDS)}: ${e()}, ${pick(rng, FIELDS)}: ${e()}}`;
    case 13: return `"t ${'${'}${e()}} u"`;
    case 14: {
      const [f, n] = pick(rng, CALLS);
      const args = Array.from({ length: chance(rng, 0.85) ? n : int(rng, 4) }, e).join(', ');
      const opts = chance(rng, 0.3) ? ` with ${Array.from({ length: 1 + int(rng, 3) }, () => pick(rng, OPTIONS)).join(', ')}` : '';
      return `${f}(${args})${opts}`;
    }
    case 15: {
      const hof = pick(rng, ['filter', 'map', 'all', 'any']);
      const p = pick(rng, ['v', 'w']);
      return `${hof}(${e()}, (${p}${chance(rng, 0.2) ? ': Int' : ''}) => ${randomExpr(rng, [...vars, p], depth - 1)})`;
    }
    case 16: return `${e()} + ${e()}`;
    case 17: return `-${e()}`;
    default: return leaf();
  }
}

export function randomProgram(rng: Rng): string {
  const lines: string[] = [];
  const vars: string[] = [];
  if (chance(rng, 0.2)) lines.push(pick(rng, ['use stdlib.math', 'use stdlib.string', 'use stdlib.math as m', 'use stdlib']));
  if (chance(rng, 0.3)) lines.push(`type T = ${randomType(rng, 2)}`);
  const inputs = 1 + int(rng, 4);
  for (let i = 0; i < inputs; i++) {
    const name = `i${i}`;
    lines.push(`${chance(rng, 0.1) ? `@example(${randomExpr(rng, vars, 1)}) ` : ''}in ${name}: ${chance(rng, 0.15) ? 'T' : randomType(rng, 2)}`);
    vars.push(name);
  }
  const assigns = 1 + int(rng, 6);
  for (let i = 0; i < assigns; i++) {
    const name = `v${i}`;
    lines.push(`${name} = ${randomExpr(rng, vars, 1 + int(rng, 3))}`);
    vars.push(name);
  }
  const outs = 1 + int(rng, 3);
  for (let i = 0; i < outs; i++) lines.push(`out ${pick(rng, vars)}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- well-typed random programs

type Ty = 'Int' | 'Float' | 'String' | 'Boolean' | 'List<Int>' | 'List<String>' | 'Rec' | 'List<Rec>' | 'Optional<Int>' | 'Optional<String>' | 'Int | String';
const TYPES: readonly Ty[] = ['Int', 'Float', 'String', 'Boolean', 'List<Int>', 'List<String>', 'Rec', 'List<Rec>', 'Optional<Int>', 'Optional<String>', 'Int | String'];
const written = (t: Ty): string => (t === 'Rec' ? '{a: Int, b: String}' : t === 'List<Rec>' ? 'List<{a: Int, b: String}>' : t);

interface Env { readonly vars: readonly (readonly [string, Ty])[] }

/**
 * An expression of type `t` (mostly: with a small probability it is deliberately of another
 * type), so most programs get through the checker to the DAG builder.
 */
function typedExpr(rng: Rng, env: Env, t: Ty, depth: number): string {
  if (chance(rng, 0.03)) t = pick(rng, TYPES);
  const same = env.vars.filter(([, vt]) => vt === t).map(([n]) => n);
  if (depth <= 0 || chance(rng, 0.25)) {
    if (same.length && chance(rng, 0.7)) return pick(rng, same);
    switch (t) {
      case 'Int': return pick(rng, ['0', '7', '-3', '42']);
      case 'Float': return pick(rng, ['1.5', '-0.25', '2.0']);
      case 'String': return pick(rng, ['"s"', '""', '"a b"', '"Pay $5"', '"\\n"']);
      case 'Boolean': return pick(rng, ['true', 'false']);
      case 'List<Int>': return pick(rng, ['[1, 2, 3]', '[]', '[-1]']);
      case 'List<String>': return pick(rng, ['["a", "b"]', '[]']);
      case 'Rec': return '{a: 1, b: "x"}';
      case 'List<Rec>': return '[{a: 1, b: "x"}, {a: 2, b: "y"}]';
      case 'Optional<Int>': return '1 when true';
      case 'Optional<String>': return '"o" when false';
      case 'Int | String': return 'if (true) 1 else "s"';
    }
  }
  // operands are parenthesised (precedence chaos is the untyped generator's job)
  const e = (ty: Ty): string => {
    const sub = typedExpr(rng, env, ty, depth - 1);
    return sub.includes(' ') ? `(${sub})` : sub;
  };
  const opts = (): string => (chance(rng, 0.25) ? ` with ${pick(rng, ['retry: 2', 'timeout: 5s', 'retry: 1, delay: 1ms', 'cache: 1min', 'lazy', 'priority: low', 'on_error: skip'])}` : '');
  const cond = (): string => e('Boolean');
  switch (t) {
    case 'Int':
      return pick(rng, [
        () => `${e('Int')} ${pick(rng, ['+', '-', '*', '/'])} ${e('Int')}`,
        () => `if (${cond()}) ${e('Int')} else ${e('Int')}`,
        () => `branch { ${cond()} -> ${e('Int')}, otherwise -> ${e('Int')} }`,
        () => `string-length(${e('String')})`,
        () => `list-sum(${e('List<Int>')})`,
        () => `SumList(${e('List<Int>')})${opts()}`,
        () => `${e('Optional<Int>')} ?? ${e('Int')}`,
        () => `(${e('Rec')}).a`,
        () => `match (${e('Int | String')}) { is Int -> ${e('Int')}, is String -> ${e('Int')} }`,
        () => `max(${e('Int')}, ${e('Int')})${opts()}`,
        () => `WordCount(${e('String')})${opts()}`,
        () => `-(${e('Int')})`,
        () => `list-length(map(${e('List<Rec>')}, (r) => r.a))`,
      ])();
    case 'Float':
      return pick(rng, [() => `${e('Float')} + ${e('Int')}`, () => `Average(${e('List<Int>')})${opts()}`, () => `to-float(${e('Int')})`])();
    case 'String':
      return pick(rng, [
        () => `"v=\${${e(pick(rng, TYPES))}}!"`,
        () => `concat(${e('String')}, ${e('String')})`,
        () => `Uppercase(${e('String')})${opts()}`,
        () => `Trim(${e('String')}) with fallback: ${e('String')}`,
        () => `if (${cond()}) ${e('String')} else ${e('String')}`,
        () => `(${e('Rec')}).b`,
        () => `join(${e('List<String>')}, ",")`,
        () => `${e('Optional<String>')} ?? ${e('String')}`,
        () => `match (${e('Int | String')}) { is String -> ${e('String')}, _ -> ${e('String')} }`,
        () => `to-string(${e('Int')})`,
      ])();
    case 'Boolean':
      return pick(rng, [
        () => `${e('Int')} ${pick(rng, ['>', '<', '>=', '<=', '==', '!='])} ${e('Int')}`,
        () => `${e('String')} ${pick(rng, ['==', '!='])} ${e('String')}`,
        () => `${cond()} ${pick(rng, ['and', 'or'])} ${cond()}`,
        () => `not ${cond()}`,
        () => `Contains(${e('String')}, ${e('String')})${opts()}`,
        () => `all(${e('List<Int>')}, (v) => v > ${e('Int')})`,
        () => `any(${e('List<Rec>')}, (r) => r.b == ${e('String')})`,
      ])();
    case 'List<Int>':
      return pick(rng, [
        () => `[${e('Int')}, ${e('Int')}]`,
        () => `FilterGreaterThan(${e('List<Int>')}, ${e('Int')})${opts()}`,
        () => `Range(0, ${e('Int')})`,
        () => `(${e('List<Rec>')}).a`,
        () => `if (${cond()}) ${e('List<Int>')} else []`,
      ])();
    case 'List<String>':
      return pick(rng, [() => `Split(${e('String')}, ",")${opts()}`, () => `[${e('String')}]`, () => `(${e('List<Rec>')}).b`])();
    case 'Rec':
      return pick(rng, [() => `{a: ${e('Int')}, b: ${e('String')}}`, () => `${e('Rec')} + {b: ${e('String')}}`, () => `(${e('Rec')} + {c: 1})[a, b]`])();
    case 'List<Rec>':
      return pick(rng, [() => `[${e('Rec')}]`, () => `${e('List<Rec>')} + {b: ${e('String')}}`, () => `filter(${e('List<Rec>')}, (r) => r.a > ${e('Int')})`])();
    case 'Optional<Int>':
      return pick(rng, [() => `${e('Int')} when ${cond()}`, () => `${e('Optional<Int>')} ?? ${e('Optional<Int>')}`])();
    case 'Optional<String>':
      return `${e('String')} when ${cond()}`;
    case 'Int | String':
      return pick(rng, [() => `if (${cond()}) ${e('Int')} else ${e('String')}`, () => `branch { ${cond()} -> ${e('String')}, otherwise -> ${e('Int')} }`])();
  }
}

export function typedProgram(rng: Rng): string {
  const vars: [string, Ty][] = [];
  const lines: string[] = [];
  const inputs = 1 + int(rng, 5);
  for (let i = 0; i < inputs; i++) {
    const t = pick(rng, TYPES);
    lines.push(`in i${i}: ${written(t)}`);
    vars.push([`i${i}`, t]);
  }
  const assigns = 1 + int(rng, 8);
  for (let i = 0; i < assigns; i++) {
    const t = pick(rng, TYPES);
    lines.push(`v${i} = ${typedExpr(rng, { vars }, t, 1 + int(rng, 3))}`);
    vars.push([`v${i}`, t]);
  }
  const outs = 1 + int(rng, 3);
  for (let i = 0; i < outs; i++) lines.push(`out ${pick(rng, vars)[0]}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- families and the check

export type Family = 'tokens' | 'bytes' | 'mutations' | 'programs';

export function generator(family: Family, seed: number): (index: number) => string {
  const rng = prng(seed);
  const corpus = loadConformanceCases().map((c) => c.source);
  let next = 0;
  const cache = new Map<number, string>();
  // generation is sequential (one stream per family); indices are produced in order
  return (index: number): string => {
    while (next <= index) {
      const s =
        family === 'tokens' ? tokenSoup(rng)
        : family === 'bytes' ? randomText(rng)
        : family === 'mutations' ? mutate(rng, pick(rng, corpus), corpus)
        : next % 2 === 0 ? typedProgram(rng) : randomProgram(rng);
      cache.set(next, s);
      cache.delete(next - 2);
      next++;
    }
    return cache.get(index)!;
  };
}

/** E900 messages the compiler raises on purpose; any other E900 is a caught exception (a bug). */
const DELIBERATE_E900 = [
  'Internal compiler error: Unsupported function in lambda body: ',
  'Internal compiler error: module options (with …) are not supported inside a lambda body',
];

export interface FuzzFailure {
  readonly index: number;
  readonly source: string;
  readonly problem: string;
}

export interface FuzzReport {
  readonly family: Family;
  readonly seed: number;
  readonly count: number;
  readonly compiled: number;
  readonly totalMs: number;
  readonly maxMs: number;
  readonly maxIndex: number;
  readonly failures: FuzzFailure[];
}

/** The properties every compile must satisfy. Returns the problems (empty when fine). */
export function checkSource(source: string, registry: FunctionRegistry, perCallMs: number): { problems: string[]; ms: number; ok: boolean } {
  const problems: string[] = [];
  const t0 = performance.now();
  let r;
  try {
    r = compile(source, registry);
  } catch (e) {
    return { problems: [`compile threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`], ms: performance.now() - t0, ok: false };
  }
  const ms = performance.now() - t0;
  if (ms > perCallMs) problems.push(`compile took ${ms.toFixed(0)} ms (bound ${perCallMs} ms)`);
  problems.push(...diagnosticProblems(source, r.diagnostics));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) {
    if (d.code === 'E900' && !DELIBERATE_E900.some((m) => d.message.startsWith(m))) problems.push(`internal error (a caught exception): ${d.message}`);
  }
  if (r.ok !== (errors.length === 0)) problems.push(`ok=${r.ok} with ${errors.length} errors`);
  if (r.ok !== (r.dag !== null) || r.ok !== (r.hashes.structural !== null)) problems.push('ok, dag and structural hash disagree');
  if (r.ok && r.dag) {
    try {
      parseDag(JSON.parse(JSON.stringify(r.dag)));
    } catch (e) {
      problems.push(`the DAG fails its schema: ${e instanceof Error ? e.message.slice(0, 500) : String(e)}`);
    }
  }
  return { problems, ms, ok: r.ok };
}

/**
 * Runs `count` sources of a family. `progress[0]` holds the index being compiled, so a watchdog
 * on another thread can name the source of a hang.
 */
export function runFamily(family: Family, seed: number, count: number, registry: FunctionRegistry, perCallMs: number, progress?: Int32Array): FuzzReport {
  const gen = generator(family, seed);
  const failures: FuzzFailure[] = [];
  let totalMs = 0;
  let maxMs = 0;
  let maxIndex = 0;
  let compiled = 0;
  for (let i = 0; i < count; i++) {
    const source = gen(i);
    if (progress) Atomics.store(progress, 0, i);
    const { problems, ms, ok } = checkSource(source, registry, perCallMs);
    totalMs += ms;
    if (ms > maxMs) {
      maxMs = ms;
      maxIndex = i;
    }
    if (ok) compiled++;
    // determinism: every 16th source compiles to the same diagnostics again
    if (i % 16 === 0 && problems.length === 0) {
      const a = JSON.stringify(compile(source, registry).diagnostics);
      const b = JSON.stringify(compile(source, registry).diagnostics);
      if (a !== b) problems.push('two compiles of the same source disagree');
    }
    if (problems.length > 0 && failures.length < 20) failures.push({ index: i, source, problem: problems.join('\n') });
  }
  return { family, seed, count, compiled, totalMs, maxMs, maxIndex, failures };
}
