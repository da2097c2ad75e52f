import type { CompileErrorCode, DiagnosticCode } from '../errors.js';
import type { LineMap, Range, Span } from './source.js';

export type Severity = 'error' | 'warning';

/** A diagnostic as the compiler produces it: offsets only, no line/column yet. */
export interface RawDiagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly suggestions?: readonly string[];
}

/** A diagnostic as the world sees it: code, message, exact range (line/column start and end). */
export interface Diagnostic extends RawDiagnostic {
  readonly range: Range;
}

export function locate(raw: RawDiagnostic, lines: LineMap): Diagnostic {
  return { ...raw, range: lines.range(raw.span) };
}

/** Collects diagnostics during one compilation; never throws. */
export class DiagnosticSink {
  readonly items: RawDiagnostic[] = [];
  private errorCount = 0;

  error(code: CompileErrorCode, message: string, span: Span, suggestions?: readonly string[]): void {
    this.errorCount++;
    this.items.push(suggestions && suggestions.length > 0 ? { code, severity: 'error', message, span, suggestions } : { code, severity: 'error', message, span });
  }

  warning(code: DiagnosticCode, message: string, span: Span): void {
    this.items.push({ code, severity: 'warning', message, span });
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  get errors(): number {
    return this.errorCount;
  }
}
