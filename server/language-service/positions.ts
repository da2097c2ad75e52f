import type { Position, Range } from 'vscode-languageserver-types';
import { LineMap, type Span } from '../../runtime/language/source.js';

/**
 * The one place where editor positions meet compiler offsets. The compiler works with UTF-16
 * offsets into the source; the LSP counts 0-based lines and UTF-16 code units within a line —
 * the same unit, so no re-encoding is needed, only the line table.
 */
export class DocumentPositions {
  private readonly lines: LineMap;

  constructor(readonly text: string) {
    this.lines = new LineMap(text);
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  /** The offset of an LSP position, clamped to the text (a position past a line's end is its end). */
  offsetAt(position: Position): number {
    return this.lines.offsetAt(position.line + 1, position.character + 1);
  }

  positionAt(offset: number): Position {
    const p = this.lines.position(offset);
    return { line: p.line - 1, character: p.column - 1 };
  }

  rangeOf(span: Span): Range {
    return { start: this.positionAt(span.start), end: this.positionAt(span.end) };
  }

  /** The span of an LSP range. */
  spanOf(range: Range): Span {
    return { start: this.offsetAt(range.start), end: this.offsetAt(range.end) };
  }

  /** The text of the line holding `offset`, up to `offset`. */
  lineBefore(offset: number): string {
    const start = this.text.lastIndexOf('\n', offset - 1) + 1;
    return this.text.slice(start, offset);
  }
}

/** Does the span contain the offset? A cursor just after a name still touches it. */
export function touches(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
