import type { Diagnostic } from '../../runtime/language/diagnostics.js';

/**
 * Structured errors of the runner methods (`executePipeline`, `getInputSchema`): a category, the
 * coded message, the 1-based range, a few lines of source around it with a caret, and the first
 * suggestion.
 */

export interface ErrorInfo {
  readonly category: 'syntax' | 'type' | 'reference' | 'runtime' | 'internal';
  readonly message: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly endLine: number | null;
  readonly endColumn: number | null;
  readonly codeContext: string | null;
  readonly suggestion: string | null;
}

function categoryOf(code: string): ErrorInfo['category'] {
  if (code === 'E020' || code === 'E021') return 'syntax';
  if (code === 'E900') return 'internal';
  if (/^E00[1-7]$/.test(code)) return 'reference';
  return 'type';
}

export function errorInfoOf(d: Diagnostic, text: string): ErrorInfo {
  const { start, end } = d.range;
  return {
    category: categoryOf(d.code),
    message: `[${d.code}] ${d.message}`,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    codeContext: codeContext(text, start.line, start.column, start.line === end.line ? end.column - start.column : 1),
    suggestion: d.suggestions?.[0] ?? null,
  };
}

export function runtimeErrorInfo(message: string): ErrorInfo {
  return { category: 'runtime', message, line: null, column: null, endLine: null, endColumn: null, codeContext: null, suggestion: null };
}

/** The line before, the error line, a caret line under the span, the line after. */
export function codeContext(text: string, line: number, column: number, length: number): string {
  const lines = text.split('\n');
  const render = (n: number) => `  ${String(n).padStart(3)} │ ${lines[n - 1]!.replace(/\r$/, '')}`;
  const out: string[] = [];
  if (line > 1) out.push(render(line - 1));
  if (line <= lines.length) out.push(render(line));
  out.push(`      │ ${' '.repeat(Math.max(0, column - 1))}${'^'.repeat(Math.max(1, length))}`);
  if (line < lines.length) out.push(render(line + 1));
  return out.join('\n');
}
