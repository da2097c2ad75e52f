import { z } from 'zod';
import type { Diagnostic } from './diagnostics.js';

/**
 * The one wire form of a compiler diagnostic: what `/compile` and `/run` send in `diagnostics`,
 * what the CLI reads back from a server and prints (with carets), and what the LSP maps to its
 * own ranges. Lines and columns are 1-based; `offset` (0-based, UTF-16) is sent by the server
 * and optional for readers.
 */

export const WirePosition = z.object({ line: z.number().int(), column: z.number().int(), offset: z.number().int().optional() });

export const WireDiagnostic = z.object({
  code: z.string().describe('Registered code: E0xx errors, W0xx warnings'),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  range: z.object({ start: WirePosition, end: WirePosition }),
  suggestions: z.array(z.string()).optional(),
});

export type WireDiagnostic = z.infer<typeof WireDiagnostic>;

export function toWireDiagnostic(d: Diagnostic): WireDiagnostic {
  const out: WireDiagnostic = { code: d.code, severity: d.severity, message: d.message, range: d.range };
  if (d.suggestions) out.suggestions = [...d.suggestions];
  return out;
}

/** The reference's message strings for compile errors: `E007 message (line 2, column 12)`. */
export function compileErrorLines(diagnostics: readonly Diagnostic[]): string[] {
  const out: string[] = [];
  for (const d of diagnostics) if (d.severity === 'error') out.push(`${d.code} ${d.message} (line ${d.range.start.line}, column ${d.range.start.column})`);
  return out;
}

const LINE = /^(E\d+) (.*) \(line (\d+), column (\d+)\)$/;

/** A compile-error string of that form as a diagnostic (servers that send no `diagnostics`). */
export function parseCompileErrorLine(text: string): WireDiagnostic | undefined {
  const m = LINE.exec(text);
  if (!m) return undefined;
  const pos = { line: Number(m[3]), column: Number(m[4]) };
  return { code: m[1]!, severity: 'error', message: m[2]!, range: { start: pos, end: pos } };
}
