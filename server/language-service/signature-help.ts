import type { ParameterInformation, Position, SignatureHelp } from 'vscode-languageserver-types';
import { DiagnosticSink } from '../../runtime/language/diagnostics.js';
import { lex } from '../../runtime/language/lexer.js';
import type { Token } from '../../runtime/language/tokens.js';
import type { Analysis } from './analysis.js';
import { functionCompletionDoc, importsOf, resolveCallee, signatureLine, typeText } from './functions.js';

/**
 * Signature help (`textDocument/signatureHelp`) inside a call's parentheses. The call being typed
 * is found from the tokens before the cursor — an unfinished call does not parse — and the callee
 * is resolved against the document's `use` lines and the live registry.
 */

export const SIGNATURE_TRIGGERS = ['(', ','];

export function signatureHelpAt(analysis: Analysis, position: Position): SignatureHelp | null {
  const offset = analysis.positions.offsetAt(position);
  const call = openCallAt(lex(analysis.text, new DiagnosticSink()), offset);
  if (!call) return null;
  const sig = resolveCallee(call.callee, importsOf(analysis.program), analysis.registry);
  if (!sig) return null;
  const label = signatureLine(sig, call.callee);
  // each parameter's [start, end) within the label, laid out as signatureLine writes them
  const parameters: ParameterInformation[] = [];
  let at = label.indexOf('(') + 1;
  for (const p of sig.params) {
    const piece = `${p.name}: ${typeText(p.type)}`;
    parameters.push({ label: [at, at + piece.length] });
    at += piece.length + 2;
  }
  return {
    signatures: [{ label, documentation: { kind: 'markdown', value: functionCompletionDoc(sig) }, parameters }],
    activeSignature: 0,
    activeParameter: Math.min(call.argument, Math.max(0, sig.params.length - 1)),
  };
}

/** The innermost call whose `(` is open at `offset`: its callee text and the argument index. */
function openCallAt(tokens: readonly Token[], offset: number): { callee: string; argument: number } | undefined {
  const stack: { index: number; commas: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'eof' || t.start >= offset) break;
    if (t.kind !== 'symbol') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') stack.push({ index: i, commas: 0 });
    else if (t.text === ')' || t.text === ']' || t.text === '}') stack.pop();
    else if (t.text === ',' && stack.length > 0) stack[stack.length - 1]!.commas++;
  }
  for (let s = stack.length - 1; s >= 0; s--) {
    const open = stack[s]!;
    if (tokens[open.index]!.text !== '(') continue;
    const callee = calleeBefore(tokens, open.index);
    if (callee) return { callee, argument: open.commas };
  }
  return undefined;
}

/** The dotted name written directly before the token at `index` (`stdlib.math.add` in `stdlib.math.add(`). */
function calleeBefore(tokens: readonly Token[], index: number): string | undefined {
  let i = index - 1;
  if (i < 0 || tokens[i]!.kind !== 'ident') return undefined;
  const parts = [tokens[i]!.text];
  while (i >= 2 && tokens[i - 1]!.kind === 'symbol' && tokens[i - 1]!.text === '.' && !tokens[i]!.spaced && tokens[i - 2]!.kind === 'ident' && !tokens[i - 1]!.spaced) {
    parts.unshift(tokens[i - 2]!.text);
    i -= 2;
  }
  return parts.join('.');
}
