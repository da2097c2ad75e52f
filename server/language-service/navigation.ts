import type { DocumentHighlight, DocumentSymbol, Location, Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import { KEYWORDS } from '../../runtime/language/tokens.js';
import type { Analysis } from './analysis.js';
import { typeText } from './functions.js';
import type { Declared } from './symbols.js';

/**
 * Navigation over the symbol table: go to definition, find references, highlights, rename, and
 * the document outline. Names are variables, inputs, lambda parameters, pattern bindings and
 * type aliases; module calls have no source in the document.
 */

function sortedSpans(symbol: Declared, withDeclaration: boolean) {
  const spans = [...symbol.references].sort((a, b) => a.start - b.start);
  return withDeclaration ? [symbol.span, ...spans] : spans;
}

export function definitionAt(analysis: Analysis, uri: string, position: Position): Location | null {
  const o = analysis.symbols.occurrenceAt(analysis.positions.offsetAt(position));
  return o ? { uri, range: analysis.positions.rangeOf(o.symbol.span) } : null;
}

export function referencesAt(analysis: Analysis, uri: string, position: Position, includeDeclaration: boolean): Location[] {
  const o = analysis.symbols.occurrenceAt(analysis.positions.offsetAt(position));
  if (!o) return [];
  return sortedSpans(o.symbol, includeDeclaration).map((span) => ({ uri, range: analysis.positions.rangeOf(span) }));
}

export function highlightsAt(analysis: Analysis, position: Position): DocumentHighlight[] {
  const o = analysis.symbols.occurrenceAt(analysis.positions.offsetAt(position));
  if (!o) return [];
  const WRITE = 3;
  const READ = 2;
  return sortedSpans(o.symbol, true).map((span, i) => ({ range: analysis.positions.rangeOf(span), kind: i === 0 ? WRITE : READ }));
}

// ---------------------------------------------------------------- rename

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Why a rename is refused, in the words the editor shows. */
export class RenameRefused extends Error {}

function renameTarget(analysis: Analysis, position: Position): { symbol: Declared; range: Range } {
  const o = analysis.symbols.occurrenceAt(analysis.positions.offsetAt(position));
  if (!o) throw new RenameRefused('Only variables, inputs, parameters and type names can be renamed');
  // a pattern binding is the name of a field of the matched record: renaming it would change what matches
  if (o.symbol.kind === 'pattern-binding') throw new RenameRefused('A pattern binding names a record field; rename the field instead');
  return { symbol: o.symbol, range: analysis.positions.rangeOf(o.span) };
}

export function prepareRenameAt(analysis: Analysis, position: Position): { range: Range; placeholder: string } {
  const { symbol, range } = renameTarget(analysis, position);
  return { range, placeholder: symbol.name };
}

export function renameAt(analysis: Analysis, uri: string, position: Position, newName: string): WorkspaceEdit {
  const { symbol } = renameTarget(analysis, position);
  if (!IDENTIFIER.test(newName)) throw new RenameRefused(`'${newName}' is not a valid name (letters, digits, '_' and '-', not starting with a digit)`);
  if (KEYWORDS.has(newName)) throw new RenameRefused(`'${newName}' is a reserved word`);
  if (newName === symbol.name) return { changes: { [uri]: [] } };
  const clash = analysis.symbols.declarations.find((d) => d.name === newName && (d.kind === 'type') === (symbol.kind === 'type') && scopesOverlap(d, symbol));
  if (clash) {
    const line = analysis.positions.positionAt(clash.span.start).line + 1;
    throw new RenameRefused(`'${newName}' is already declared on line ${line}`);
  }
  const edits: TextEdit[] = sortedSpans(symbol, true).map((span) => ({ range: analysis.positions.rangeOf(span), newText: newName }));
  return { changes: { [uri]: edits } };
}

/** Could the two names see each other (so one name for both would change what a reference means)? */
function scopesOverlap(a: Declared, b: Declared): boolean {
  if (!a.scope || !b.scope) return true;
  return a.scope.start <= b.scope.end && b.scope.start <= a.scope.end;
}

// ---------------------------------------------------------------- outline

// LSP SymbolKind values
const SYMBOL = { Namespace: 3, Function: 12, Variable: 13, Struct: 23, Event: 24, Interface: 11 } as const;

export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  const p = analysis.positions;
  const typeOfName = (start: number): string | undefined => {
    const o = analysis.symbols.occurrenceAt(start);
    return o && o.span.start === start ? typeText(o.symbol.type) : undefined;
  };
  for (const d of analysis.program.declarations) {
    const range = p.rangeOf(d.span);
    switch (d.kind) {
      case 'type':
        out.push({ name: d.name.name, kind: SYMBOL.Struct, detail: typeOfName(d.name.span.start) ?? '', range, selectionRange: p.rangeOf(d.name.span) });
        break;
      case 'input':
        out.push({ name: d.name.name, kind: SYMBOL.Variable, detail: `in: ${typeOfName(d.name.span.start) ?? '?'}`, range, selectionRange: p.rangeOf(d.name.span) });
        break;
      case 'output':
        out.push({ name: d.name.name, kind: SYMBOL.Event, detail: `out: ${typeOfName(d.name.span.start) ?? '?'}`, range, selectionRange: p.rangeOf(d.name.span) });
        break;
      case 'use':
        out.push({ name: d.alias ? `${d.path.text} as ${d.alias.name}` : d.path.text, kind: SYMBOL.Namespace, detail: 'use', range, selectionRange: p.rangeOf(d.path.span) });
        break;
      case 'assign': {
        const call = d.value.kind === 'call' ? d.value.callee.text : undefined;
        const type = typeOfName(d.name.span.start);
        out.push({
          name: d.name.name,
          kind: call ? SYMBOL.Function : SYMBOL.Variable,
          detail: [type, call ? `← ${call}` : undefined].filter(Boolean).join(' '),
          range,
          selectionRange: p.rangeOf(d.name.span),
        });
        break;
      }
    }
  }
  return out;
}
