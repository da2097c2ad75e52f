import type { Expr, TypeExpr } from '../../runtime/language/ast.js';
import { parseSource } from '../../runtime/compiler/compile.js';
import { LineMap } from '../../runtime/language/source.js';
import { errorInfoOf, type ErrorInfo } from './error-info.js';

/**
 * `constellation/getInputSchema`: the declared inputs of a document from a parse alone, so the
 * runner panel can show its form even while the program has type errors. Types are described as
 * written (aliases stay references); `@example` literals become example values.
 */

export type TypeDescriptor =
  | { readonly kind: 'primitive'; readonly name: string }
  | { readonly kind: 'list'; readonly elementType: TypeDescriptor }
  | { readonly kind: 'map'; readonly keyType: TypeDescriptor; readonly valueType: TypeDescriptor }
  | { readonly kind: 'record'; readonly fields: readonly { readonly name: string; readonly type: TypeDescriptor }[] }
  | { readonly kind: 'parameterized'; readonly name: string; readonly params: readonly TypeDescriptor[] }
  | { readonly kind: 'ref'; readonly name: string }
  | { readonly kind: 'union'; readonly members: readonly TypeDescriptor[] };

export interface InputSchemaEntry {
  readonly name: string;
  readonly type: TypeDescriptor;
  /** 1-based line of the input's name. */
  readonly line: number;
  readonly example: unknown;
}

export interface InputSchemaResult {
  readonly success: boolean;
  readonly inputs: readonly InputSchemaEntry[] | null;
  readonly error: string | null;
  readonly errors: readonly ErrorInfo[] | null;
}

const PRIMITIVES: ReadonlySet<string> = new Set(['String', 'Int', 'Float', 'Boolean']);

export function describeType(t: TypeExpr): TypeDescriptor {
  switch (t.kind) {
    case 'named':
      return PRIMITIVES.has(t.name.name) ? { kind: 'primitive', name: t.name.name } : { kind: 'ref', name: t.name.name };
    case 'applied': {
      const args = t.args.map(describeType);
      if (t.name.name === 'List' && args.length === 1) return { kind: 'list', elementType: args[0]! };
      if (t.name.name === 'Map' && args.length === 2) return { kind: 'map', keyType: args[0]!, valueType: args[1]! };
      return { kind: 'parameterized', name: t.name.name, params: args };
    }
    case 'record':
      return { kind: 'record', fields: t.fields.map((f) => ({ name: f.name.name, type: describeType(f.type) })) };
    case 'merge': {
      const left = describeType(t.left);
      const right = describeType(t.right);
      if (left.kind === 'record' && right.kind === 'record') return { kind: 'record', fields: [...left.fields, ...right.fields] };
      return { kind: 'record', fields: [{ name: '_merged_left', type: left }, { name: '_merged_right', type: right }] };
    }
    case 'union':
      return { kind: 'union', members: t.members.map(describeType) };
    case 'error':
      return { kind: 'ref', name: '?' };
  }
}

/** An `@example` value when it is a literal (or a list of literals). */
export function exampleValue(e: Expr | undefined): unknown {
  if (!e) return null;
  switch (e.kind) {
    case 'string': case 'int': case 'float': case 'bool': return e.value;
    case 'negate': return e.operand.kind === 'int' || e.operand.kind === 'float' ? -e.operand.value : null;
    case 'list': {
      const values = e.elements.map(exampleValue);
      return values.every((v) => v !== null && typeof v !== 'object') ? values : null;
    }
    default: return null;
  }
}

export function inputSchemaOf(text: string): InputSchemaResult {
  const { program, diagnostics } = parseSource(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    return { success: false, inputs: null, error: errors.map((d) => d.message).join('; '), errors: errors.map((d) => errorInfoOf(d, text)) };
  }
  const lines = new LineMap(text);
  const inputs: InputSchemaEntry[] = [];
  for (const d of program.declarations) {
    if (d.kind !== 'input') continue;
    const example = d.annotations.find((a) => a.example !== undefined)?.example;
    inputs.push({ name: d.name.name, type: describeType(d.type), line: lines.position(d.name.span.start).line, example: exampleValue(example) });
  }
  return { success: true, inputs, error: null, errors: null };
}
