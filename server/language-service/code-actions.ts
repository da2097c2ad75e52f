import type { CodeAction, Diagnostic as LspDiagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import type { Diagnostic } from '../../runtime/language/diagnostics.js';
import type { Analysis } from './analysis.js';
import { diagnosticsFor } from './diagnostics.js';

/**
 * Quick fixes (`textDocument/codeAction`) from the compiler's suggestions: "Did you mean 'x'?"
 * replaces the faulty name, "Try adding: use ns" imports the namespace, "Declare the variable:
 * in x: T" adds the input. Computed from the current analysis, so they apply to the current text
 * whatever diagnostics the client sends back.
 */

const DID_YOU_MEAN = /^Did you mean '(\.?)(@?)([^']+)'\?$/;
const TRY_ADDING = /^Try adding: (use [\w.-]+)$/;
const DECLARE = /^Declare the variable: (in [\w-]+: \w+)$/;

export function codeActionsFor(analysis: Analysis, uri: string, range: Range): CodeAction[] {
  const wanted = analysis.positions.spanOf(range);
  const actions: CodeAction[] = [];
  const lsp = diagnosticsFor(analysis, uri);
  analysis.diagnostics.forEach((d, i) => {
    if (d.span.end < wanted.start || d.span.start > wanted.end) return;
    actions.push(...fixesFor(d, lsp[i]!, analysis, uri));
  });
  return actions;
}

function fixesFor(d: Diagnostic, lsp: LspDiagnostic, analysis: Analysis, uri: string): CodeAction[] {
  const out: CodeAction[] = [];
  const action = (title: string, edit: TextEdit): void => {
    out.push({ title, kind: 'quickfix', diagnostics: [lsp], isPreferred: out.length === 0, edit: { changes: { [uri]: [edit] } } });
  };
  for (const s of d.suggestions ?? []) {
    const mean = DID_YOU_MEAN.exec(s);
    if (mean) {
      const replacement = mean[3]!;
      const current = analysis.text.slice(d.span.start, d.span.end);
      // a field suggestion ('.name') replaces the field name the diagnostic points at
      const span = mean[2] === '@' ? { start: d.span.start + 1, end: d.span.end } : d.span;
      if (replacement !== current) action(`Change to '${replacement}'`, { range: analysis.positions.rangeOf(span), newText: replacement });
      continue;
    }
    const use = TRY_ADDING.exec(s);
    if (use) {
      action(`Add '${use[1]}'`, { range: analysis.positions.rangeOf({ start: 0, end: 0 }), newText: `${use[1]}\n` });
      continue;
    }
    const declare = DECLARE.exec(s);
    if (declare) action(`Add input '${declare[1]}'`, { range: analysis.positions.rangeOf(firstDeclarationAfterUses(analysis)), newText: `${declare[1]}\n` });
  }
  return out;
}

/** Where a new input goes: before the first declaration that is not a `use` line. */
function firstDeclarationAfterUses(analysis: Analysis): { start: number; end: number } {
  const first = analysis.program.declarations.find((d) => d.kind !== 'use');
  const at = first ? first.span.start : analysis.text.length;
  // at the start of that line, so the new line keeps the file's indentation
  const lineStart = analysis.text.lastIndexOf('\n', at - 1) + 1;
  return { start: lineStart, end: lineStart };
}
