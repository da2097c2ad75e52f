import type { Span } from './source.js';

/**
 * The syntax tree of a constellation-lang program. Immutable plain objects with exact spans, so
 * the LSP can map any position back to a node. An `error` node stands where the parser recovered
 * from a syntax error; later phases treat it as "already reported".
 */

export interface Name {
  readonly name: string;
  readonly span: Span;
}

/** A dotted name written without whitespace: `stdlib.math.add`. */
export interface QualifiedName {
  readonly parts: readonly Name[];
  readonly text: string;
  readonly span: Span;
}

export type TypeExpr =
  | { readonly kind: 'named'; readonly name: Name; readonly span: Span }
  | { readonly kind: 'applied'; readonly name: Name; readonly args: readonly TypeExpr[]; readonly span: Span }
  | { readonly kind: 'record'; readonly fields: readonly { readonly name: Name; readonly type: TypeExpr }[]; readonly span: Span }
  | { readonly kind: 'merge'; readonly left: TypeExpr; readonly right: TypeExpr; readonly span: Span }
  | { readonly kind: 'union'; readonly members: readonly TypeExpr[]; readonly span: Span }
  | { readonly kind: 'error'; readonly span: Span };

export type BinaryOp = '+' | '-' | '*' | '/' | '==' | '!=' | '<' | '>' | '<=' | '>=';

export interface LambdaParam {
  readonly name: Name;
  readonly type: TypeExpr | undefined;
}

export type Pattern =
  | { readonly kind: 'record'; readonly fields: readonly Name[]; readonly span: Span }
  | { readonly kind: 'wildcard'; readonly span: Span }
  | { readonly kind: 'type'; readonly type: Name; readonly span: Span };

export interface MatchCase {
  readonly pattern: Pattern;
  readonly body: Expr;
  readonly span: Span;
}

export interface BranchCase {
  readonly cond: Expr;
  readonly body: Expr;
}

export type Expr =
  | { readonly kind: 'int'; readonly value: number; readonly span: Span }
  | { readonly kind: 'float'; readonly value: number; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  | { readonly kind: 'interpolation'; readonly strings: readonly string[]; readonly exprs: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'var'; readonly name: string; readonly span: Span }
  | { readonly kind: 'list'; readonly elements: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'record'; readonly fields: readonly { readonly name: Name; readonly value: Expr }[]; readonly span: Span }
  | { readonly kind: 'call'; readonly callee: QualifiedName; readonly args: readonly Expr[]; readonly options: readonly CallOption[]; readonly span: Span }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly opSpan: Span; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'not'; readonly operand: Expr; readonly span: Span }
  | { readonly kind: 'negate'; readonly operand: Expr; readonly span: Span }
  | { readonly kind: 'when'; readonly value: Expr; readonly cond: Expr; readonly span: Span }
  | { readonly kind: 'coalesce'; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly span: Span }
  | { readonly kind: 'branch'; readonly cases: readonly BranchCase[]; readonly otherwise: Expr; readonly span: Span }
  | { readonly kind: 'match'; readonly scrutinee: Expr; readonly cases: readonly MatchCase[]; readonly span: Span }
  | { readonly kind: 'project'; readonly source: Expr; readonly fields: readonly Name[]; readonly span: Span }
  | { readonly kind: 'field'; readonly source: Expr; readonly field: Name; readonly span: Span }
  | { readonly kind: 'lambda'; readonly params: readonly LambdaParam[]; readonly body: Expr; readonly span: Span }
  | { readonly kind: 'error'; readonly span: Span };

export type DurationUnit = 'ms' | 's' | 'min' | 'h' | 'd';

export interface Duration {
  readonly amount: number;
  readonly unit: DurationUnit;
  readonly ms: number;
}

export type OptionValue =
  | { readonly kind: 'uint'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'duration'; readonly value: Duration }
  | { readonly kind: 'rate'; readonly count: number; readonly per: Duration }
  | { readonly kind: 'word'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'expr'; readonly value: Expr }
  | { readonly kind: 'window'; readonly value: string }
  | { readonly kind: 'join'; readonly value: string };

export interface CallOption {
  readonly name: Name;
  readonly value: OptionValue;
  readonly span: Span;
}

export interface Annotation {
  readonly name: Name;
  /** `@example(expr)`: the expression. */
  readonly example?: Expr;
  /** `@source("kind", k: v)` / `@sink(...)`: connector name and properties (not type-checked). */
  readonly connector?: string;
  readonly span: Span;
}

export type Declaration =
  | { readonly kind: 'type'; readonly name: Name; readonly type: TypeExpr; readonly span: Span }
  | { readonly kind: 'input'; readonly name: Name; readonly type: TypeExpr; readonly annotations: readonly Annotation[]; readonly span: Span }
  | { readonly kind: 'output'; readonly name: Name; readonly annotations: readonly Annotation[]; readonly span: Span }
  | { readonly kind: 'use'; readonly path: QualifiedName; readonly alias: Name | undefined; readonly span: Span }
  | { readonly kind: 'assign'; readonly name: Name; readonly value: Expr; readonly span: Span };

export interface Program {
  readonly declarations: readonly Declaration[];
  readonly span: Span;
}
