import { WireDiagnostic } from '../../runtime/language/diagnostic-wire.js';
import type { Output } from './output.js';

/**
 * Compiler diagnostics for people: `file:line:column: error CODE: message`, the source line with
 * a caret under the range, and the compiler's suggestions. The same shape comes from the local
 * compiler and from the server's `/compile` and `/run` replies (their `diagnostics` field).
 */

/** The diagnostic wire form the server sends (runtime/language/diagnostic-wire.ts). */
export const CliDiagnostic = WireDiagnostic;
export type CliDiagnostic = WireDiagnostic;

/** The `--json` form of a diagnostic. */
export function diagnosticJson(file: string, d: CliDiagnostic): Record<string, unknown> {
  return {
    file,
    line: d.range.start.line,
    column: d.range.start.column,
    endLine: d.range.end.line,
    endColumn: d.range.end.column,
    code: d.code,
    severity: d.severity,
    message: d.message,
    suggestions: d.suggestions ?? [],
  };
}

/** The source line and a caret line under the range (tabs kept so the carets line up). */
export function caretExcerpt(source: string, d: CliDiagnostic): string[] {
  const lines = source.split(/\r?\n/);
  const { line, column } = d.range.start;
  const text = lines[line - 1];
  if (text === undefined) return [];
  const start = Math.max(1, Math.min(column, text.length + 1));
  const end = d.range.end.line === line ? Math.max(start + 1, Math.min(d.range.end.column, text.length + 1)) : text.length + 1;
  const pad = text.slice(0, start - 1).replace(/[^\t]/g, ' ');
  const gutter = String(line);
  const blank = ' '.repeat(gutter.length);
  return [` ${gutter} | ${text}`, ` ${blank} | ${pad}${'^'.repeat(Math.max(1, end - start))}`];
}

export function formatDiagnostic(out: Output, file: string, source: string, d: CliDiagnostic): string[] {
  const where = `${file}:${d.range.start.line}:${d.range.start.column}`;
  const kind = d.severity === 'error' ? out.paint('red', 'error', true) : out.paint('yellow', 'warning', true);
  const lines = [`${out.paint('bold', where, true)}: ${kind} ${d.code}: ${d.message}`, ...caretExcerpt(source, d)];
  const gutter = ' '.repeat(String(d.range.start.line).length);
  for (const s of d.suggestions ?? []) lines.push(` ${gutter} = help: ${s}`);
  return lines;
}

/** Prints every diagnostic to stderr (human mode), errors and warnings alike. */
export function printDiagnostics(out: Output, file: string, source: string, diagnostics: readonly CliDiagnostic[]): void {
  for (const d of diagnostics) for (const l of formatDiagnostic(out, file, source, d)) out.error(l);
}

export function errorCount(diagnostics: readonly CliDiagnostic[]): number {
  return diagnostics.filter((d) => d.severity === 'error').length;
}
