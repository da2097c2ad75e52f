/**
 * Source positions. Everything inside the compiler works with UTF-16 offsets into the source
 * string (JavaScript string indices, which are also LSP's default column unit); line/column pairs
 * are derived once, at the edge, from a line-start table.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column in UTF-16 code units. */
  readonly column: number;
  /** 0-based UTF-16 offset. */
  readonly offset: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export class LineMap {
  private readonly lineStarts: number[];
  constructor(private readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - this.lineStarts[lo]! + 1, offset: clamped };
  }

  /** Offset of a 1-based line and column, clamped to the text. */
  offsetAt(line: number, column: number): number {
    const index = Math.max(0, Math.min(line - 1, this.lineStarts.length - 1));
    const start = this.lineStarts[index]!;
    const nextStart = index + 1 < this.lineStarts.length ? this.lineStarts[index + 1]! : this.text.length;
    return Math.max(start, Math.min(start + column - 1, nextStart));
  }

  range(span: Span): Range {
    return { start: this.position(span.start), end: this.position(span.end) };
  }
}
