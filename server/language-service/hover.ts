import type { Hover, Position } from 'vscode-languageserver-types';
import type { Span } from '../../runtime/language/source.js';
import type { Analysis } from './analysis.js';
import { expressionPathAt } from './ast-walk.js';
import { functionMarkdown, importsOf, resolveCallee, typeText } from './functions.js';
import { OPTION_DOC_BY_NAME, optionHoverMarkdown, STRATEGY_DOCS, strategyHoverMarkdown } from './option-docs.js';
import { touches } from './positions.js';
import type { SymbolKind } from './symbols.js';

/**
 * Hover (`textDocument/hover`): option and strategy documentation inside `with`, a function's
 * documentation on a call, a name's declaration and type, else the type of the innermost
 * expression under the cursor.
 */

const KIND_LABEL: Readonly<Record<SymbolKind, string>> = {
  input: 'input',
  variable: 'variable',
  'lambda-parameter': 'parameter',
  'pattern-binding': 'pattern binding',
  type: 'type',
};

const IDENT = /[A-Za-z0-9_]/;

/** The word (identifier characters) around an offset. */
function wordAt(text: string, offset: number): { word: string; span: Span } {
  let start = offset;
  let end = offset;
  while (start > 0 && IDENT.test(text[start - 1]!)) start--;
  while (end < text.length && IDENT.test(text[end]!)) end++;
  return { word: text.slice(start, end), span: { start, end } };
}

function code(text: string): string {
  return '```constellation\n' + text + '\n```';
}

export function hoverAt(analysis: Analysis, position: Position): Hover | null {
  const offset = analysis.positions.offsetAt(position);
  const { word, span: wordSpan } = wordAt(analysis.text, offset);
  const markdown = (value: string, span: Span): Hover => ({ contents: { kind: 'markdown', value }, range: analysis.positions.rangeOf(span) });

  const before = analysis.positions.lineBefore(offset);
  if (word && /\bwith\s/.test(before)) {
    const option = OPTION_DOC_BY_NAME.get(word);
    if (option) return markdown(optionHoverMarkdown(option), wordSpan);
    const strategy = STRATEGY_DOCS.get(word);
    if (strategy) return markdown(strategyHoverMarkdown(word, strategy), wordSpan);
  }

  for (const call of analysis.symbols.calls.values()) {
    if (touches(call.callee.span, offset)) return markdown(functionMarkdown(call.signature, call.callee.text), call.callee.span);
  }

  const occurrence = analysis.symbols.occurrenceAt(offset);
  if (occurrence) {
    const s = occurrence.symbol;
    const head = s.kind === 'type' ? `type ${s.name} = ${typeText(s.type)}` : `(${KIND_LABEL[s.kind]}) ${s.name}: ${typeText(s.type)}`;
    const line = analysis.positions.positionAt(s.span.start).line + 1;
    return markdown(`${code(head)}\n\nDeclared on line ${line}.`, occurrence.span);
  }

  const path = expressionPathAt(analysis.program, offset);
  for (let i = path.length - 1; i >= 0; i--) {
    const e = path[i]!;
    if (e.kind === 'call' && touches(e.callee.span, offset)) {
      // a call that did not check (wrong arguments): still document the function
      const sig = resolveCallee(e.callee.text, importsOf(analysis.program), analysis.registry);
      if (sig) return markdown(functionMarkdown(sig, e.callee.text), e.callee.span);
    }
    const type = analysis.symbols.types.get(e);
    if (!type || type.k === 'Error') continue;
    if (e.kind === 'field' && touches(e.field.span, offset)) return markdown(code(`(field) ${e.field.name}: ${typeText(type)}`), e.field.span);
    return markdown(code(typeText(type)), e.span);
  }

  // a function name the program does not call (yet) but the registry knows
  if (word) {
    const sig = resolveCallee(word, importsOf(analysis.program), analysis.registry);
    if (sig) return markdown(functionMarkdown(sig, word), wordSpan);
  }
  return null;
}
