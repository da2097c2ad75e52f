import { parseSource } from '../../runtime/compiler/compile.js';
import type { Dag } from '../../runtime/compiler/dag.js';
import type { Expr } from '../../runtime/language/ast.js';
import { printType } from '../../runtime/types/type.js';

/**
 * The declared inputs and outputs of a script, for the dashboard's input form.
 *
 * Decision: the reference scans the text with regular expressions; we read the parse tree, which
 * the parser builds even for programs with errors, so multi-line declarations, comments and
 * every annotation form are read as the compiler reads them. A type is spelt as resolved by the
 * compiler when the program compiles (`Optional<Int>`, an alias expanded to its record), else as
 * written. `defaultValue` comes from an `@example(…)` whose expression is a literal — string,
 * number, boolean, a negated number, or a list or record of those; anything else gives `null`.
 */

export interface DeclaredInput {
  readonly name: string;
  readonly paramType: string;
  readonly required: boolean;
  readonly defaultValue: unknown;
}

export interface DeclaredOutput {
  readonly name: string;
  readonly paramType: string;
}

const NOT_LITERAL = Symbol('not a literal');

function literal(e: Expr): unknown {
  switch (e.kind) {
    case 'string': case 'int': case 'float': case 'bool': return e.value;
    case 'negate': {
      const v = literal(e.operand);
      return typeof v === 'number' ? -v : NOT_LITERAL;
    }
    case 'list': {
      const items = e.elements.map(literal);
      return items.includes(NOT_LITERAL) ? NOT_LITERAL : items;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const f of e.fields) {
        const v = literal(f.value);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out[f.name.name] = v;
      }
      return out;
    }
    default: return NOT_LITERAL;
  }
}

export function declaredInterface(source: string, dag: Dag | null): { inputs: DeclaredInput[]; outputs: DeclaredOutput[] } {
  const { program } = parseSource(source);
  const compiledInput = new Map(dag?.inputs.map((i) => [i.name, i.type]) ?? []);
  const compiledOutput = new Map(dag?.outputs.map((o) => [o.name, o.type]) ?? []);
  const inputs: DeclaredInput[] = [];
  const outputs: DeclaredOutput[] = [];
  const seen = new Set<string>();
  for (const d of program.declarations) {
    if (d.kind === 'input' && d.type.kind !== 'error' && !seen.has(d.name.name)) {
      seen.add(d.name.name);
      const type = compiledInput.get(d.name.name);
      let example: unknown = null;
      for (const a of d.annotations) {
        if (a.name.name !== 'example' || !a.example) continue;
        const v = literal(a.example);
        if (v !== NOT_LITERAL) {
          example = v;
          break;
        }
      }
      inputs.push({
        name: d.name.name,
        paramType: type ? printType(type) : source.slice(d.type.span.start, d.type.span.end),
        required: type ? type.k !== 'Optional' : !/^Optional\s*</.test(source.slice(d.type.span.start, d.type.span.end)),
        defaultValue: example,
      });
    } else if (d.kind === 'output') {
      const type = compiledOutput.get(d.name.name);
      outputs.push({ name: d.name.name, paramType: type ? printType(type) : 'Any' });
    }
  }
  return { inputs, outputs };
}
