import type { Expr, Name, QualifiedName } from '../../runtime/language/ast.js';
import type { Span } from '../../runtime/language/source.js';
import type { BindingKind, CheckObserver } from '../../runtime/compiler/observer.js';
import type { FunctionSignature } from '../../runtime/compiler/registry.js';
import type { Type } from '../../runtime/types/type.js';

/**
 * The symbol table of one document, collected from the type checker's events: every declared
 * name (inputs, variables, lambda parameters, pattern bindings, type aliases) with its type and
 * every place that refers to it; the type of every expression; the function each call resolved to.
 */

export type SymbolKind = BindingKind | 'type';

export interface Declared {
  readonly kind: SymbolKind;
  readonly name: string;
  /** The span of the declaring name. */
  readonly span: Span;
  readonly type: Type;
  /** Where the name is visible; `undefined`: from the declaration to the end of the program. */
  readonly scope: Span | undefined;
  /** Spans of the references (the declaration itself excluded), in source order. */
  readonly references: Span[];
}

/** A name in the source: a declaration, or a reference to one. */
export interface Occurrence {
  readonly span: Span;
  readonly symbol: Declared;
  readonly isDeclaration: boolean;
}

export interface ResolvedCall {
  readonly callee: QualifiedName;
  readonly signature: FunctionSignature;
}

export class SymbolTable {
  readonly declarations: Declared[] = [];
  readonly types = new Map<Expr, Type>();
  /** Calls by the start offset of their callee. */
  readonly calls = new Map<number, ResolvedCall>();
  private occurrenceList: Occurrence[] | undefined;

  /** Every declaration and reference, in source order. */
  get occurrences(): readonly Occurrence[] {
    if (!this.occurrenceList) {
      const list: Occurrence[] = [];
      for (const d of this.declarations) {
        list.push({ span: d.span, symbol: d, isDeclaration: true });
        for (const r of d.references) list.push({ span: r, symbol: d, isDeclaration: false });
      }
      list.sort((a, b) => a.span.start - b.span.start);
      this.occurrenceList = list;
    }
    return this.occurrenceList;
  }

  /** The name under the cursor (a cursor right after a name still counts). */
  occurrenceAt(offset: number): Occurrence | undefined {
    // names never overlap: the last occurrence starting at or before the offset is the only candidate
    const list = this.occurrences;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.span.start <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const o = found >= 0 ? list[found]! : undefined;
    return o && offset <= o.span.end ? o : undefined;
  }

  /** Names visible at `offset`, the innermost (or latest) declaration of each name. */
  visibleAt(offset: number): Declared[] {
    const byName = new Map<string, Declared>();
    for (const d of this.declarations) {
      if (d.kind === 'type') continue;
      const visible = d.scope ? d.scope.start <= offset && offset <= d.scope.end : d.span.end <= offset;
      if (!visible) continue;
      const previous = byName.get(d.name);
      // a local binding shadows a top-level one; a later top-level declaration replaces an earlier one
      if (!previous || d.scope || !previous.scope) byName.set(d.name, d);
    }
    return [...byName.values()];
  }

  /** Type aliases declared before `offset` (the latest of each name). */
  typesBefore(offset: number): Declared[] {
    const byName = new Map<string, Declared>();
    for (const d of this.declarations) if (d.kind === 'type' && d.span.end <= offset) byName.set(d.name, d);
    return [...byName.values()];
  }
}

/** Builds a SymbolTable from the checker's events. */
export class SymbolCollector implements CheckObserver {
  readonly table = new SymbolTable();
  private readonly byBinding = new Map<object, Declared>();
  private readonly byAliasName = new Map<Name, Declared>();
  private readonly referenceStarts = new Set<number>();

  typed(expr: Expr, type: Type): void {
    this.table.types.set(expr, type);
  }

  bound(binding: object, kind: BindingKind, name: Name, type: Type, scope: Span | undefined): void {
    const d: Declared = { kind, name: name.name, span: name.span, type, scope, references: [] };
    this.table.declarations.push(d);
    this.byBinding.set(binding, d);
  }

  resolved(binding: object, span: Span): void {
    // an expression the checker visits twice must not yield a second (overlapping) reference
    if (this.referenceStarts.has(span.start)) return;
    const d = this.byBinding.get(binding);
    if (!d) return;
    this.referenceStarts.add(span.start);
    d.references.push(span);
  }

  narrowed(binding: object, outer: object): void {
    const d = this.byBinding.get(outer);
    if (d) this.byBinding.set(binding, d);
  }

  typeDeclared(name: Name, type: Type): void {
    const d: Declared = { kind: 'type', name: name.name, span: name.span, type, scope: undefined, references: [] };
    this.table.declarations.push(d);
    this.byAliasName.set(name, d);
  }

  typeResolved(declaration: Name, span: Span): void {
    this.byAliasName.get(declaration)?.references.push(span);
  }

  called(callee: QualifiedName, signature: FunctionSignature): void {
    this.table.calls.set(callee.span.start, { callee, signature });
  }
}
