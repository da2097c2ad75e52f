import type { Range, SemanticTokens, SemanticTokensEdit, SemanticTokensLegend } from 'vscode-languageserver-types';
import type { Expr, TypeExpr } from '../../runtime/language/ast.js';
import type { Span } from '../../runtime/language/source.js';
import type { Analysis } from './analysis.js';
import { childExpressions, forEachTypeExpr } from './ast-walk.js';

/**
 * Semantic tokens (`textDocument/semanticTokens/full`, `/range` and `/full/delta`) from the syntax
 * tree, covering the whole file; the editor's grammar colours keywords, operators and comments.
 * Tokens never overlap (an interpolated string is split around its expressions) and never span
 * lines (a multi-line string becomes one token per line), as clients require.
 */

export const TOKEN_TYPES = ['namespace', 'type', 'function', 'variable', 'parameter', 'property', 'keyword', 'string', 'number', 'operator', 'comment'] as const;
export const TOKEN_MODIFIERS = ['declaration', 'definition', 'readonly', 'defaultLibrary'] as const;
export const SEMANTIC_TOKENS_LEGEND: SemanticTokensLegend = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

type TokenType = (typeof TOKEN_TYPES)[number];
const TYPE_INDEX = Object.fromEntries(TOKEN_TYPES.map((t, i) => [t, i])) as Record<TokenType, number>;
const DECLARATION = 1;
const DEFINITION = 2;
const DEFAULT_LIBRARY = 8;

export interface Token {
  readonly start: number;
  readonly end: number;
  readonly type: number;
  readonly modifiers: number;
}

/** Every token of the document, sorted by offset. */
export function semanticTokensOf(analysis: Analysis): Token[] {
  const tokens: Token[] = [];
  const push = (span: Span, type: TokenType, modifiers = 0): void => {
    if (span.end > span.start) tokens.push({ start: span.start, end: span.end, type: TYPE_INDEX[type], modifiers });
  };
  const aliasTypes = (t: TypeExpr): void =>
    forEachTypeExpr(t, (x) => {
      if ((x.kind === 'named' || x.kind === 'applied') && analysis.symbols.occurrenceAt(x.name.span.start)?.symbol.kind === 'type') push(x.name.span, 'type');
    });
  const expr = (e: Expr): void => {
    switch (e.kind) {
      case 'int': case 'float': push(e.span, 'number'); return;
      case 'bool': push(e.span, 'keyword'); return;
      case 'string': push(e.span, 'string'); return;
      case 'interpolation': {
        let from = e.span.start;
        for (const part of e.exprs) {
          push({ start: from, end: part.span.start }, 'string');
          expr(part);
          from = part.span.end;
        }
        push({ start: from, end: e.span.end }, 'string');
        return;
      }
      case 'var': {
        const o = analysis.symbols.occurrenceAt(e.span.start);
        push(e.span, o && (o.symbol.kind === 'lambda-parameter' || o.symbol.kind === 'pattern-binding') ? 'parameter' : 'variable');
        return;
      }
      case 'call': push(e.callee.span, 'function', DEFAULT_LIBRARY); break;
      case 'field': expr(e.source); push(e.field.span, 'property'); return;
      case 'project': expr(e.source); for (const f of e.fields) push(f.span, 'property'); return;
      case 'record': for (const f of e.fields) { push(f.name.span, 'property'); expr(f.value); } return;
      case 'lambda':
        for (const p of e.params) {
          push(p.name.span, 'parameter', DECLARATION);
          if (p.type) aliasTypes(p.type);
        }
        break;
      case 'match':
        expr(e.scrutinee);
        for (const c of e.cases) {
          if (c.pattern.kind === 'record') for (const f of c.pattern.fields) push(f.span, 'parameter', DECLARATION);
          if (c.pattern.kind === 'type') push(c.pattern.type.span, 'type');
          expr(c.body);
        }
        return;
      default: break;
    }
    for (const c of childExpressions(e)) expr(c);
  };
  for (const d of analysis.program.declarations) {
    switch (d.kind) {
      case 'type': push(d.name.span, 'type', DECLARATION | DEFINITION); aliasTypes(d.type); break;
      case 'input':
        for (const a of d.annotations) if (a.example) expr(a.example);
        push(d.name.span, 'parameter', DECLARATION);
        aliasTypes(d.type);
        break;
      case 'output': push(d.name.span, 'variable'); break;
      case 'use':
        push(d.path.span, 'namespace');
        if (d.alias) push(d.alias.span, 'namespace', DECLARATION);
        break;
      case 'assign': push(d.name.span, 'variable', DECLARATION); expr(d.value); break;
    }
  }
  tokens.sort((a, b) => a.start - b.start);
  return tokens;
}

/** LSP encoding: five integers per token, positions relative to the previous token; one token per line. */
export function encodeTokens(analysis: Analysis, tokens: readonly Token[], range?: Range): number[] {
  const data: number[] = [];
  const text = analysis.text;
  let prevLine = 0;
  let prevChar = 0;
  const from = range ? analysis.positions.offsetAt(range.start) : 0;
  const to = range ? analysis.positions.offsetAt(range.end) : text.length;
  const emit = (start: number, end: number, t: Token): void => {
    if (end <= start || end <= from || start >= to) return;
    const p = analysis.positions.positionAt(start);
    const deltaLine = p.line - prevLine;
    data.push(deltaLine, deltaLine === 0 ? p.character - prevChar : p.character, end - start, t.type, t.modifiers);
    prevLine = p.line;
    prevChar = p.character;
  };
  for (const t of tokens) {
    let start = t.start;
    for (let nl = text.indexOf('\n', start); nl >= 0 && nl < t.end; nl = text.indexOf('\n', start)) {
      emit(start, nl, t);
      start = nl + 1;
    }
    emit(start, t.end, t);
  }
  return data;
}

export function fullTokens(analysis: Analysis, resultId?: string): SemanticTokens {
  const data = encodeTokens(analysis, semanticTokensOf(analysis));
  return resultId === undefined ? { data } : { resultId, data };
}

/** One edit turning `previous` into `current`: the differing middle, after the common prefix and suffix. */
export function tokensEdits(previous: readonly number[], current: readonly number[]): SemanticTokensEdit[] {
  let prefix = 0;
  const max = Math.min(previous.length, current.length);
  while (prefix < max && previous[prefix] === current[prefix]) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && previous[previous.length - 1 - suffix] === current[current.length - 1 - suffix]) suffix++;
  if (prefix === previous.length && prefix === current.length) return [];
  return [{ start: prefix, deleteCount: previous.length - prefix - suffix, data: current.slice(prefix, current.length - suffix) }];
}
