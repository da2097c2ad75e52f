import type { Annotation, CallOption, Declaration, Expr, Program, TypeExpr } from '../../runtime/language/ast.js';

/**
 * Walking the syntax tree in source order: the children of every node kind, in one place, so each
 * provider (tokens, hover, symbols) visits exactly what the parser produced.
 */

/** The sub-expressions of `expr`, in source order. */
export function childExpressions(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case 'int': case 'float': case 'bool': case 'string': case 'var': case 'error':
      return [];
    case 'interpolation': return expr.exprs;
    case 'list': return expr.elements;
    case 'record': return expr.fields.map((f) => f.value);
    case 'call': return [...expr.args, ...optionExpressions(expr.options)];
    case 'binary': case 'and': case 'or': case 'coalesce': return [expr.left, expr.right];
    case 'not': case 'negate': return [expr.operand];
    case 'when': return [expr.value, expr.cond];
    case 'if': return [expr.cond, expr.then, expr.else];
    case 'branch': return [...expr.cases.flatMap((c) => [c.cond, c.body]), expr.otherwise];
    case 'match': return [expr.scrutinee, ...expr.cases.map((c) => c.body)];
    case 'project': case 'field': return [expr.source];
    case 'lambda': return [expr.body];
  }
}

function optionExpressions(options: readonly CallOption[]): Expr[] {
  const out: Expr[] = [];
  for (const o of options) if (o.value.kind === 'expr') out.push(o.value.value);
  return out;
}

/** The expressions directly under a declaration (assignment values, `@example` arguments). */
export function declarationExpressions(d: Declaration): readonly Expr[] {
  switch (d.kind) {
    case 'assign': return [d.value];
    case 'input': return exampleExpressions(d.annotations);
    default: return [];
  }
}

function exampleExpressions(annotations: readonly Annotation[]): Expr[] {
  const out: Expr[] = [];
  for (const a of annotations) if (a.example) out.push(a.example);
  return out;
}

/** Every expression of the program, parents before children (pre-order). */
export function forEachExpression(program: Program, visit: (expr: Expr, parent: Expr | undefined) => void): void {
  const walk = (e: Expr, parent: Expr | undefined): void => {
    visit(e, parent);
    for (const c of childExpressions(e)) walk(c, e);
  };
  for (const d of program.declarations) for (const e of declarationExpressions(d)) walk(e, undefined);
}

/** The innermost expression whose span contains `offset`, and the chain of its ancestors. */
export function expressionPathAt(program: Program, offset: number): Expr[] {
  const path: Expr[] = [];
  const within = (e: Expr) => e.span.start <= offset && offset <= e.span.end;
  let level: readonly Expr[] | undefined;
  for (const d of program.declarations) {
    if (d.span.start <= offset && offset <= d.span.end) {
      level = declarationExpressions(d);
      break;
    }
  }
  while (level) {
    const hit: Expr | undefined = level.find(within);
    if (!hit) break;
    path.push(hit);
    level = childExpressions(hit);
  }
  return path;
}

/** The declaration whose span contains `offset`. */
export function declarationAt(program: Program, offset: number): Declaration | undefined {
  return program.declarations.find((d) => d.span.start <= offset && offset <= d.span.end);
}

/** Type expressions nested in a type expression (pre-order, itself first). */
export function forEachTypeExpr(t: TypeExpr, visit: (t: TypeExpr) => void): void {
  visit(t);
  switch (t.kind) {
    case 'applied': for (const a of t.args) forEachTypeExpr(a, visit); break;
    case 'record': for (const f of t.fields) forEachTypeExpr(f.type, visit); break;
    case 'merge': forEachTypeExpr(t.left, visit); forEachTypeExpr(t.right, visit); break;
    case 'union': for (const m of t.members) forEachTypeExpr(m, visit); break;
    default: break;
  }
}
