import type { MergeShape, Type } from '../types/type.js';

/**
 * Inline expressions as plain-data trees (no closures anywhere), so a compiled DAG can be hashed,
 * persisted, sent to a worker thread or another instance, and rehydrated. The engine turns each
 * tree into a JavaScript closure once per loaded DAG (runtime/engine/evaluate.ts).
 *
 * `ref` reads another DAG node's value; `local` reads a slot of the evaluation environment
 * (lambda parameters and match bindings).
 */

export type NodeId = number;

export type ArithOp = '+' | '-' | '*' | '/';
export type CompareOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

export type Coercion =
  /** raw member value → union value tagged with `tag`, after coercing to the member type */
  | { readonly c: 'inject'; readonly tag: string; readonly inner?: Coercion }
  /** union value → wider union: per source tag, the target tag and inner coercion */
  | { readonly c: 'retag'; readonly tags: Readonly<Record<string, { readonly tag: string; readonly inner?: Coercion }>> }
  | { readonly c: 'each'; readonly of: Coercion }
  | { readonly c: 'optional'; readonly of: Coercion }
  | { readonly c: 'fields'; readonly fields: readonly (readonly [string, Coercion])[] }
  | { readonly c: 'mapValues'; readonly of: Coercion };

/** A match binding of the whole (untagged) scrutinee, not of one of its fields (`is T` narrowing). */
export const WHOLE_VALUE = '*';

export interface MatchCaseIr {
  /** Union tags this case accepts; `null` accepts every value. */
  readonly tags: readonly string[] | null;
  /**
   * Pattern bindings: slot ← field of the (untagged) scrutinee, or the scrutinee itself for
   * WHOLE_VALUE, coerced per member tag if needed.
   */
  readonly bind: readonly { readonly slot: number; readonly field: string; readonly coerce?: Readonly<Record<string, Coercion>> }[];
  readonly body: IrExpr;
}

export type IrExpr =
  | { readonly op: 'ref'; readonly node: NodeId }
  | { readonly op: 'local'; readonly slot: number }
  | { readonly op: 'lit'; readonly value: string | number | boolean }
  | { readonly op: 'list'; readonly items: readonly IrExpr[] }
  | { readonly op: 'record'; readonly fields: readonly (readonly [string, IrExpr])[] }
  | { readonly op: 'field'; readonly source: IrExpr; readonly name: string; readonly each: boolean }
  | { readonly op: 'project'; readonly source: IrExpr; readonly names: readonly string[]; readonly each: boolean }
  | { readonly op: 'merge'; readonly left: IrExpr; readonly right: IrExpr; readonly shape: MergeShape }
  | { readonly op: 'arith'; readonly fn: ArithOp; readonly num: 'int' | 'float'; readonly left: IrExpr; readonly right: IrExpr; readonly lambda?: boolean }
  | { readonly op: 'neg'; readonly num: 'int' | 'float'; readonly operand: IrExpr }
  | { readonly op: 'cmp'; readonly fn: CompareOp; readonly left: IrExpr; readonly right: IrExpr }
  | { readonly op: 'and' | 'or'; readonly left: IrExpr; readonly right: IrExpr }
  | { readonly op: 'not'; readonly operand: IrExpr }
  | { readonly op: 'when'; readonly value: IrExpr; readonly cond: IrExpr }
  | { readonly op: 'coalesce'; readonly left: IrExpr; readonly right: IrExpr; readonly keepOptional: boolean }
  | { readonly op: 'if'; readonly cond: IrExpr; readonly then: IrExpr; readonly else: IrExpr }
  | { readonly op: 'branch'; readonly conds: readonly IrExpr[]; readonly bodies: readonly IrExpr[]; readonly otherwise: IrExpr }
  | { readonly op: 'match'; readonly scrutinee: IrExpr; readonly cases: readonly MatchCaseIr[] }
  /** index of the first matching case (drives the gates of case bodies that call modules) */
  | { readonly op: 'matchIndex'; readonly scrutinee: IrExpr; readonly cases: readonly (readonly string[] | null)[] }
  | { readonly op: 'select'; readonly index: IrExpr; readonly bodies: readonly IrExpr[] }
  | { readonly op: 'interp'; readonly strings: readonly string[]; readonly parts: readonly { readonly expr: IrExpr; readonly type: Type }[] }
  /** a pure standard-library function evaluated inline (inside lambda bodies) */
  | { readonly op: 'call'; readonly fn: string; readonly args: readonly IrExpr[]; readonly lambda: boolean }
  | { readonly op: 'hof'; readonly fn: 'filter' | 'map' | 'all' | 'any'; readonly source: IrExpr; readonly slot: number; readonly body: IrExpr }
  | { readonly op: 'coerce'; readonly source: IrExpr; readonly coercion: Coercion }
  /** the value of a module node, or the fallback when that node failed */
  | { readonly op: 'recover'; readonly primary: NodeId; readonly fallback: IrExpr }
  /** a value that is never read (an untaken or erroneous part of a program that did not compile) */
  | { readonly op: 'unreachable' };

/** Collects every node an expression reads (its dependencies), in first-seen order. */
export function collectRefs(expr: IrExpr, into: NodeId[] = [], seen: Set<NodeId> = new Set()): NodeId[] {
  const visit = (e: IrExpr): void => {
    switch (e.op) {
      case 'ref':
        if (!seen.has(e.node)) {
          seen.add(e.node);
          into.push(e.node);
        }
        return;
      case 'recover':
        if (!seen.has(e.primary)) {
          seen.add(e.primary);
          into.push(e.primary);
        }
        visit(e.fallback);
        return;
      case 'local': case 'lit': case 'unreachable':
        return;
      case 'list': e.items.forEach(visit); return;
      case 'record': e.fields.forEach((f) => visit(f[1])); return;
      case 'field': case 'project': visit(e.source); return;
      case 'merge': case 'arith': case 'cmp': case 'and': case 'or': visit(e.left); visit(e.right); return;
      case 'neg': case 'not': visit(e.operand); return;
      case 'when': visit(e.value); visit(e.cond); return;
      case 'coalesce': visit(e.left); visit(e.right); return;
      case 'if': visit(e.cond); visit(e.then); visit(e.else); return;
      case 'branch': e.conds.forEach(visit); e.bodies.forEach(visit); visit(e.otherwise); return;
      case 'match': visit(e.scrutinee); e.cases.forEach((c) => visit(c.body)); return;
      case 'matchIndex': visit(e.scrutinee); return;
      case 'select': visit(e.index); e.bodies.forEach(visit); return;
      case 'interp': e.parts.forEach((p) => visit(p.expr)); return;
      case 'call': e.args.forEach(visit); return;
      case 'hof': visit(e.source); visit(e.body); return;
      case 'coerce': visit(e.source); return;
    }
  };
  visit(expr);
  return into;
}
