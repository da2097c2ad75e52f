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

/**
 * Most diagnostics one compilation records. A hostile source (a megabyte of `${`) could
 * otherwise yield hundreds of thousands, which costs seconds of garbage collection on a request
 * path and helps no reader; past the cap one last diagnostic says how many were dropped.
 */
export const MAX_DIAGNOSTICS = 1000;

/** Collects diagnostics during one compilation; never throws. */
export class DiagnosticSink {
  readonly items: RawDiagnostic[] = [];
  private errorCount = 0;
  private dropped = 0;

  error(code: CompileErrorCode, message: string, span: Span, suggestions?: readonly string[]): void {
    this.errorCount++;
    if (this.full(span)) return;
    this.items.push(suggestions && suggestions.length > 0 ? { code, severity: 'error', message, span, suggestions } : { code, severity: 'error', message, span });
  }

  warning(code: DiagnosticCode, message: string, span: Span): void {
    if (this.full(span)) return;
    this.items.push({ code, severity: 'warning', message, span });
  }

  private full(span: Span): boolean {
    if (this.items.length < MAX_DIAGNOSTICS - 1) return false;
    this.dropped++;
    const note = { code: 'E020' as const, severity: 'error' as const, message: `Too many problems: ${this.dropped} more not shown`, span: { start: span.start, end: span.start } };
    if (this.items.length === MAX_DIAGNOSTICS - 1) this.items.push(note);
    else this.items[MAX_DIAGNOSTICS - 1] = note;
    return true;
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  get errors(): number {
    return this.errorCount;
  }
}
