import { parseCompileErrorLine } from '../../runtime/language/diagnostic-wire.js';
import { diagnosticJson, errorCount, printDiagnostics, type CliDiagnostic } from './diagnostics.js';
import { CliError, EXIT } from './exit.js';
import type { Output } from './output.js';
import type { SourceFile } from './files.js';

/**
 * Reporting a compilation for `compile`, `run` and `viz`: diagnostics on stderr with carets, and
 * on failure the exit-1 error whose `--json` form lists them (`{"success":false,"errors":[…]}`).
 */

/** Prints warnings of a successful compilation and returns their `--json` form. */
export function reportWarnings(out: Output, src: SourceFile, diagnostics: readonly CliDiagnostic[]): Record<string, unknown>[] {
  printDiagnostics(out, src.path, src.text, diagnostics);
  return diagnostics.map((d) => diagnosticJson(src.path, d));
}

/** Prints the diagnostics and returns the exit-1 error to throw. */
export function compileFailure(out: Output, src: SourceFile, diagnostics: readonly CliDiagnostic[]): CliError {
  printDiagnostics(out, src.path, src.text, diagnostics);
  const n = errorCount(diagnostics);
  return new CliError(EXIT.COMPILE_ERROR, `${src.path}: compilation failed with ${n} error${n === 1 ? '' : 's'}`, {
    errors: diagnostics.map((d) => diagnosticJson(src.path, d)),
  });
}

/** A compilation failure reported by a server: its structured diagnostics, else its message strings. */
export function serverCompileFailure(out: Output, src: SourceFile, diagnostics: readonly CliDiagnostic[] | undefined, messages: readonly string[]): CliError {
  if (diagnostics && diagnostics.length > 0) return compileFailure(out, src, diagnostics);
  const parsed = messages.map(parseCompileErrorLine);
  if (parsed.every((d) => d !== undefined)) return compileFailure(out, src, parsed as CliDiagnostic[]);
  for (const m of messages) out.error(`${src.path}: ${out.paint('red', 'error', true)} ${m}`);
  return new CliError(EXIT.COMPILE_ERROR, `${src.path}: compilation failed with ${messages.length} error${messages.length === 1 ? '' : 's'}`, {
    errors: messages.map((message) => ({ file: src.path, message })),
  });
}
