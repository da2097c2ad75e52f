/** Token shapes shared by the lexer and the parser. */

export type TokenKind = 'ident' | 'keyword' | 'int' | 'float' | 'string' | 'symbol' | 'eof' | 'invalid';

export const KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'in', 'out', 'if', 'else', 'true', 'false', 'use', 'as', 'and', 'or', 'not',
  'when', 'branch', 'otherwise', 'with', 'lazy', 'match', 'is',
]);

/** One part of a string literal: literal text, or the tokens of an embedded `${…}` expression. */
export type StringPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'expr'; readonly tokens: Token[]; readonly start: number; readonly end: number; readonly unterminated?: boolean };

export interface Token {
  readonly kind: TokenKind;
  /** Raw source text of the token (for strings: including the quotes). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** True when whitespace or a comment separates this token from the previous one. */
  readonly spaced: boolean;
  /** Numeric value of int and float tokens. */
  readonly value?: number;
  /** Parts of a string token; a string with one text part and no expressions is a plain literal. */
  readonly parts?: StringPart[];
  /** Raw characters between the quotes (for RawString positions: no escapes, no interpolation). */
  readonly raw?: string;
  /** A string that ran to the end of input (already reported by the lexer). */
  readonly unterminated?: boolean;
}
