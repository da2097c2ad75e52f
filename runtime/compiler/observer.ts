import type { Expr, Name, QualifiedName } from '../language/ast.js';
import type { Span } from '../language/source.js';
import type { Type } from '../types/type.js';
import type { FunctionSignature } from './registry.js';

/**
 * What the type checker can tell an editor while it checks: the type of every expression, every
 * name it binds and every reference it resolves. The compiler itself passes no observer (one
 * `undefined` test per event), so compiling is not slowed; the language service passes one and
 * builds its symbol table from these events (server/language-service/symbols.ts).
 */

export type BindingKind = 'input' | 'variable' | 'lambda-parameter' | 'pattern-binding';

export interface CheckObserver {
  /** The type the checker inferred for `expr` (before any coercion to an expected type). */
  typed(expr: Expr, type: Type): void;
  /**
   * A name was bound. `binding` identifies this declaration (the checker's own object, one per
   * declaration); `scope` is where the name is visible, `undefined` for the rest of the program.
   */
  bound(binding: object, kind: BindingKind, name: Name, type: Type, scope: Span | undefined): void;
  /** `binding` stands for `outer` in a narrower scope (a variable narrowed by `is T` in a match case). */
  narrowed(binding: object, outer: object): void;
  /** A variable reference (or an `out` name) at `span` resolved to `binding`. */
  resolved(binding: object, span: Span): void;
  /** A type alias was declared. */
  typeDeclared(name: Name, type: Type): void;
  /** A type reference at `span` resolved to the alias declared at `declaration`. */
  typeResolved(declaration: Name, span: Span): void;
  /** A call resolved to a function of the registry. */
  called(callee: QualifiedName, signature: FunctionSignature): void;
}
