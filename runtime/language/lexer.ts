import type { DiagnosticSink } from './diagnostics.js';
import { KEYWORDS, type StringPart, type Token } from './tokens.js';

/**
 * The lexer. Stateless between calls (no globals), so the LSP can lex any number of documents
 * concurrently. Every malformed token becomes a diagnostic plus a best-effort token, never an
 * exception: the parser then reports what follows.
 *
 * String interpolations are lexed recursively: a `${…}` part carries its own token list, which
 * the parser reads with a sub-parser. Nesting depth is bounded to keep pathological input from
 * exhausting the stack.
 */

const MAX_STRING_NESTING = 64;

const TWO_CHAR: ReadonlySet<string> = new Set(['==', '!=', '<=', '>=', '??', '->', '=>']);
const ONE_CHAR: ReadonlySet<string> = new Set(['=', ':', ',', '.', '@', '(', ')', '[', ']', '{', '}', '<', '>', '|', '+', '-', '*', '/']);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 45;
}

export function lex(source: string, sink: DiagnosticSink): Token[] {
  const lexer = new Lexer(source, sink);
  return lexer.run(0, false, 0).tokens;
}

class Lexer {
  constructor(private readonly src: string, private readonly sink: DiagnosticSink) {}

  /**
   * Lexes from `pos` to the end of input, or (inside an interpolation) to the `}` that closes it.
   * Returns the tokens (ending with an eof token) and the position after the closing brace.
   */
  run(pos: number, insideInterpolation: boolean, nesting: number): { tokens: Token[]; end: number; closed: boolean } {
    const src = this.src;
    const tokens: Token[] = [];
    let braceDepth = 0;
    let spaced = false;
    const n = src.length;
    while (pos < n) {
      const c = src.charCodeAt(pos);
      // whitespace: space, tab, CR, LF only
      if (c === 32 || c === 9 || c === 13 || c === 10) {
        pos++;
        spaced = true;
        continue;
      }
      if (c === 35 /* # */) {
        const nl = src.indexOf('\n', pos);
        pos = nl < 0 ? n : nl;
        spaced = true;
        continue;
      }
      const start = pos;
      if (isIdentStart(c)) {
        pos++;
        while (pos < n) {
          const d = src.charCodeAt(pos);
          if (!isIdentCont(d)) break;
          // `->` is always the arrow, never part of an identifier
          if (d === 45 && src.charCodeAt(pos + 1) === 62) break;
          pos++;
        }
        const text = src.slice(start, pos);
        if (text === '__proto__') {
          // as a key of a JavaScript object it would set the object's prototype and the value
          // would be lost (inputs, outputs, records are objects on the wire): not a name
          this.sink.error('E020', "Parse error: '__proto__' cannot be used as a name (JavaScript objects reserve it)", { start, end: pos });
        }
        tokens.push({ kind: KEYWORDS.has(text) ? 'keyword' : 'ident', text, start, end: pos, spaced });
        spaced = false;
        continue;
      }
      if (isDigit(c)) {
        pos = this.number(start, tokens, spaced);
        spaced = false;
        continue;
      }
      if (c === 34 /* " */) {
        pos = rawStringPosition(tokens) ? this.rawString(start, tokens, spaced) : this.string(start, tokens, spaced, nesting);
        spaced = false;
        continue;
      }
      if (insideInterpolation) {
        if (c === 123 /* { */) braceDepth++;
        else if (c === 125 /* } */) {
          if (braceDepth === 0) {
            tokens.push({ kind: 'eof', text: '', start, end: start, spaced });
            return { tokens, end: pos + 1, closed: true };
          }
          braceDepth--;
        }
      }
      const two = src.substr(pos, 2);
      if (TWO_CHAR.has(two)) {
        tokens.push({ kind: 'symbol', text: two, start, end: pos + 2, spaced });
        pos += 2;
        spaced = false;
        continue;
      }
      const one = src[pos]!;
      if (ONE_CHAR.has(one)) {
        tokens.push({ kind: 'symbol', text: one, start, end: pos + 1, spaced });
        pos++;
        spaced = false;
        continue;
      }
      // Anything else is not part of the language. Consume a whole code point so a surrogate pair
      // yields one diagnostic and a range that does not split the character.
      const cp = src.codePointAt(pos)!;
      const width = cp > 0xffff ? 2 : 1;
      let end = pos + width;
      // Collapse runs of invalid characters into one diagnostic (binary garbage would otherwise
      // produce one diagnostic per byte).
      while (end < n) {
        const d = src.charCodeAt(end);
        if (d === 32 || d === 9 || d === 13 || d === 10 || isIdentStart(d) || isDigit(d) || d === 34 || d === 35 || ONE_CHAR.has(src[end]!) || src.substr(end, 2) === '!=' || src.substr(end, 2) === '??') break;
        end++;
      }
      const text = src.slice(start, end);
      this.sink.error('E020', `Parse error: unexpected character${end - start > width ? 's' : ''} ${describeChars(text)}`, { start, end });
      tokens.push({ kind: 'invalid', text, start, end, spaced });
      pos = end;
      spaced = false;
    }
    if (insideInterpolation) {
      tokens.push({ kind: 'eof', text: '', start: n, end: n, spaced });
      return { tokens, end: n, closed: false };
    }
    tokens.push({ kind: 'eof', text: '', start: n, end: n, spaced });
    return { tokens, end: n, closed: true };
  }

  private number(start: number, tokens: Token[], spaced: boolean): number {
    const src = this.src;
    let pos = start;
    while (pos < src.length && isDigit(src.charCodeAt(pos))) pos++;
    const intEnd = pos;
    let isFloat = false;
    if (src.charCodeAt(pos) === 46 /* . */ && isDigit(src.charCodeAt(pos + 1))) {
      isFloat = true;
      pos++;
      while (pos < src.length && isDigit(src.charCodeAt(pos))) pos++;
    }
    const text = src.slice(start, pos);
    if (intEnd - start > 1 && src.charCodeAt(start) === 48) {
      this.sink.error('E020', `Parse error: leading zeros are not allowed in number '${text}'`, { start, end: pos });
    }
    if (isFloat) {
      tokens.push({ kind: 'float', text, start, end: pos, spaced, value: Number(text) });
    } else {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) {
        this.sink.error('E020', `Parse error: integer literal ${text} is outside the exact integer range (±9007199254740991)`, { start, end: pos });
      }
      tokens.push({ kind: 'int', text, start, end: pos, spaced, value: Number.isSafeInteger(value) ? value : 0 });
    }
    return pos;
  }

  /** A RawString (`cache_backend: "…"`, `@source("…")`): everything up to the next `"`, no escapes, no interpolation. */
  private rawString(start: number, tokens: Token[], spaced: boolean): number {
    const close = this.src.indexOf('"', start + 1);
    const end = close < 0 ? this.src.length : close + 1;
    const raw = this.src.slice(start + 1, close < 0 ? end : close);
    if (close < 0) this.sink.error('E020', 'Parse error: unterminated string literal (missing closing ")', { start, end });
    const token: Token = { kind: 'string', text: this.src.slice(start, end), start, end, spaced, parts: [{ kind: 'text', text: raw }], raw };
    tokens.push(close < 0 ? { ...token, unterminated: true } : token);
    return end;
  }

  private string(start: number, tokens: Token[], spaced: boolean, nesting: number): number {
    const src = this.src;
    const n = src.length;
    let pos = start + 1;
    const parts: StringPart[] = [];
    let text = '';
    let closed = false;
    let reported = false;
    while (pos < n) {
      const c = src.charCodeAt(pos);
      if (c === 34) {
        closed = true;
        pos++;
        break;
      }
      if (c === 92 /* \ */) {
        const e = src[pos + 1];
        switch (e) {
          case 'n': text += '\n'; break;
          case 't': text += '\t'; break;
          case 'r': text += '\r'; break;
          case '\\': text += '\\'; break;
          case '"': text += '"'; break;
          case '$': text += '$'; break;
          default:
            this.sink.error('E020', `Parse error: invalid escape sequence '\\${e ?? ''}' (allowed: \\n \\t \\r \\\\ \\" \\$)`, { start: pos, end: Math.min(n, pos + 2) });
            if (e !== undefined) text += e;
        }
        pos += e === undefined ? 1 : 2;
        continue;
      }
      if (c === 36 /* $ */ && src.charCodeAt(pos + 1) === 123 /* { */) {
        parts.push({ kind: 'text', text });
        text = '';
        const exprStart = pos + 2;
        if (nesting >= MAX_STRING_NESTING) {
          this.sink.error('E020', 'Parse error: string interpolations are nested too deeply', { start: pos, end: exprStart });
          reported = true;
          // skip to the end of the whole string as best we can
          const close = src.indexOf('"', exprStart);
          pos = close < 0 ? n : close + 1;
          closed = close >= 0;
          text = '';
          break;
        }
        const inner = this.run(exprStart, true, nesting + 1);
        const exprEnd = inner.closed ? inner.end - 1 : inner.end;
        parts.push(inner.closed ? { kind: 'expr', tokens: inner.tokens, start: exprStart, end: exprEnd } : { kind: 'expr', tokens: inner.tokens, start: exprStart, end: exprEnd, unterminated: true });
        if (!inner.closed) {
          this.sink.error('E020', "Parse error: unterminated string interpolation (missing '}')", { start: pos, end: n });
          reported = true;
          pos = n;
          break;
        }
        pos = inner.end;
        continue;
      }
      text += src[pos];
      pos++;
    }
    parts.push({ kind: 'text', text });
    if (!closed && !reported) {
      this.sink.error('E020', 'Parse error: unterminated string literal (missing closing ")', { start, end: n });
    }
    const raw = src.slice(start + 1, closed ? pos - 1 : pos);
    const token: Token = { kind: 'string', text: src.slice(start, pos), start, end: pos, spaced, parts, raw };
    tokens.push(closed ? token : { ...token, unterminated: true });
    return pos;
  }
}

/** Whether a string starting now is a RawString: the value of `cache_backend:` or the connector of `@source(` / `@sink(`. */
function rawStringPosition(tokens: readonly Token[]): boolean {
  const n = tokens.length;
  const last = tokens[n - 1];
  const before = tokens[n - 2];
  if (!last || !before || last.kind !== 'symbol') return false;
  if (last.text === ':') return before.text === 'cache_backend' && (before.kind === 'ident' || before.kind === 'keyword');
  if (last.text === '(') return (before.text === 'source' || before.text === 'sink') && tokens[n - 3]?.kind === 'symbol' && tokens[n - 3]?.text === '@';
  return false;
}

function describeChars(text: string): string {
  const shown = text.length > 12 ? text.slice(0, 12) + '…' : text;
  const codes = Array.from(text.slice(0, 4)).map((ch) => 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0'));
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, '?')}' (${codes.join(' ')}${text.length > 4 ? ' …' : ''})`;
}
