import type { CompileErrorCode } from '../errors.js';
import type { Annotation, CallOption, Declaration, Expr, MatchCase, Name, QualifiedName, TypeExpr } from '../language/ast.js';
import { DiagnosticSink } from '../language/diagnostics.js';
import type { Span } from '../language/source.js';
import { closestNames } from '../language/suggest.js';
import {
  bindVars, commonType, fieldNames, fieldType, hasVars, isMergeable, isNumeric, isSubtype, lub, mergeTypes,
  PRIMITIVE_NAMES, printType, substitute, T, typeEquals, unionMembers, type RecordType, type Type,
} from '../types/type.js';
import { DagBuilder } from './builder.js';
import { coercionFor } from './coercion.js';
import type { Gate } from './dag.js';
import type { CompareOp, IrExpr, MatchCaseIr, NodeId } from './ir.js';
import { WHOLE_VALUE } from './ir.js';
import { normaliseOptions } from './options.js';
import type { BindingKind, CheckObserver } from './observer.js';
import type { FunctionRegistry, FunctionSignature } from './registry.js';
import { qualifiedName } from './registry.js';

/**
 * The type checker, which lowers to the DAG in the same pass: every
 * expression is checked (bidirectionally) and turned into an inline expression tree; module calls
 * become DAG nodes. One pass over the tree after parsing, as esbuild does.
 *
 * Unlike the reference, which stops at the first declaration with errors, every declaration is
 * checked; an expression that failed gets the `Error` type, which is compatible with everything,
 * so one mistake does not cascade into a wall of follow-up errors.
 */

interface Binding {
  readonly type: Type;
  readonly ir: IrExpr;
  /** Bound to a `lazy` module call: references inside conditional arms defer it. */
  readonly lazy: boolean;
}

interface Typed {
  readonly type: Type;
  readonly ir: IrExpr;
}

class Scope {
  private readonly vars = new Map<string, Binding>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  set(name: string, b: Binding): void {
    this.vars.set(name, b);
  }
  names(into: Set<string> = new Set()): Set<string> {
    this.parent?.names(into);
    for (const k of this.vars.keys()) into.add(k);
    return into;
  }
}

const ERROR: Typed = { type: T.Error, ir: { op: 'unreachable' } };

const HOF_NAMES: ReadonlySet<string> = new Set(['filter', 'map', 'all', 'any']);

export interface CheckResult {
  readonly builder: DagBuilder;
  /** Names (simple, qualified, namespaces) looked up in the registry: the compile cache key. */
  readonly lookups: ReadonlySet<string>;
}

export function check(declarations: readonly Declaration[], registry: FunctionRegistry, sink: DiagnosticSink, observer?: CheckObserver): CheckResult {
  const checker = new Checker(registry, sink, observer);
  checker.program(declarations);
  return { builder: checker.builder, lookups: checker.lookups };
}

class Checker {
  readonly builder = new DagBuilder();
  readonly lookups = new Set<string>();
  private scope = new Scope();
  private readonly aliases = new Map<string, Type>();
  private readonly wildcardImports = new Set<string>();
  private readonly namespaceAliases = new Map<string, string>();
  private lambdaDepth = 0;
  private suggestionBudget = 200;
  private nextSlot = 0;
  private syntheticCounter = 0;

  /** Where each type alias was declared (for the observer's type references). */
  private readonly aliasDeclarations = new Map<string, Name>();

  constructor(private readonly registry: FunctionRegistry, private readonly sink: DiagnosticSink, private readonly observer: CheckObserver | undefined) {}

  // ---------------------------------------------------------------- diagnostics

  private error(code: CompileErrorCode, message: string, span: Span, suggestions?: readonly string[]): Typed {
    this.sink.error(code, message, span, suggestions);
    return ERROR;
  }

  private mismatch(expected: Type, actual: Type, span: Span): Typed {
    return this.error('E010', `Type mismatch: expected ${printType(expected)}, got ${printType(actual)}`, span, conversionHints(expected, actual));
  }

  private synthetic(prefix: string): string {
    return `${prefix}${++this.syntheticCounter}`;
  }

  // ---------------------------------------------------------------- declarations

  program(declarations: readonly Declaration[]): void {
    for (const d of declarations) {
      switch (d.kind) {
        case 'type': this.typeDeclaration(d.name, d.type); break;
        case 'input': this.inputDeclaration(d.name, d.type, d.annotations, d.span); break;
        case 'output': this.outputDeclaration(d.name); break;
        case 'use': this.useDeclaration(d.path, d.alias); break;
        case 'assign': this.assignment(d.name, d.value, d.span); break;
      }
    }
  }

  private typeDeclaration(name: Name, texpr: TypeExpr): void {
    const t = this.resolveType(texpr);
    // Primitive names always denote the primitives; an alias named like one has no effect.
    if (!(PRIMITIVE_NAMES as readonly string[]).includes(name.name)) {
      this.aliases.set(name.name, t);
      if (this.observer) {
        this.aliasDeclarations.set(name.name, name);
        this.observer.typeDeclared(name, t);
      }
    }
  }

  private inputDeclaration(name: Name, texpr: TypeExpr, annotations: readonly Annotation[], span: Span): void {
    const type = this.resolveType(texpr);
    for (const a of annotations) {
      if (a.example) {
        const example = a.example;
        this.builder.withoutEmission(() => this.checkAgainst(example, type));
      }
    }
    const existing = this.inputs.get(name.name);
    if (existing) {
      // Re-declaring an input: the same type reuses it; another type would make the input JSON ambiguous.
      if (!typeEquals(existing.type, type) && existing.type.k !== 'Error' && type.k !== 'Error') {
        this.error('E030', `Input '${name.name}' is already declared with type ${printType(existing.type)}`, name.span);
      }
      this.bind(name, { type: existing.type, ir: { op: 'ref', node: existing.node }, lazy: false }, 'input', undefined);
      return;
    }
    const node = this.builder.addInput(name.name, type, span);
    this.inputs.set(name.name, { node, type });
    this.bind(name, { type, ir: { op: 'ref', node }, lazy: false }, 'input', undefined);
  }

  private readonly inputs = new Map<string, { node: NodeId; type: Type }>();

  /** Binds a name in the current scope (and tells the observer). */
  private bind(name: Name, b: Binding, kind: BindingKind, visibleIn: Span | undefined): void {
    this.scope.set(name.name, b);
    if (this.observer) this.observer.bound(b, kind, name, b.type, visibleIn);
  }

  private outputDeclaration(name: Name): void {
    const b = this.scope.get(name.name);
    if (!b) {
      this.undefinedVariable(name.name, name.span);
      return;
    }
    if (this.observer) this.observer.resolved(b, name.span);
    if (b.ir.op === 'ref') this.builder.addOutput(name.name, b.type, b.ir.node);
  }

  private useDeclaration(path: QualifiedName, alias: Name | undefined): void {
    this.lookups.add(path.text);
    if (!this.registry.hasNamespacePrefix(path.text)) {
      const suggestions = closestNames(path.text, this.registry.namespaces()).map((n) => `Did you mean '${n}'?`);
      suggestions.push(`Available namespaces: ${this.registry.namespaces().join(', ')}`);
      this.error('E004', `Undefined namespace: ${path.text}`, path.span, suggestions);
      return;
    }
    if (alias) this.namespaceAliases.set(alias.name, path.text);
    else this.wildcardImports.add(path.text);
  }

  private assignment(name: Name, value: Expr, span: Span): void {
    const before = this.builder.nodeCount();
    const typed = this.infer(value);
    let ir = typed.ir;
    let lazy = false;
    if (typed.type.k !== 'Error') {
      if (ir.op === 'ref') {
        // a call bound directly to the variable (or an alias of another variable)
        if (ir.node >= before) this.builder.nameVariable(ir.node, name.name);
        lazy = value.kind === 'call' ? this.isLazyCall(value) : value.kind === 'var' ? !!this.scope.get(value.name)?.lazy : false;
      } else {
        const node = this.builder.addTransform(name.name, ir, typed.type, span);
        this.builder.nameVariable(node, name.name);
        ir = { op: 'ref', node };
      }
    }
    this.bind(name, { type: typed.type, ir, lazy }, 'variable', undefined);
  }

  private isLazyCall(call: Extract<Expr, { kind: 'call' }>): boolean {
    let lazy = false;
    for (const o of call.options) if (o.name.name === 'lazy' && o.value.kind === 'bool') lazy = o.value.value;
    return lazy;
  }

  // ---------------------------------------------------------------- types

  resolveType(texpr: TypeExpr): Type {
    switch (texpr.kind) {
      case 'error':
        return T.Error;
      case 'named': {
        const n = texpr.name.name;
        switch (n) {
          case 'String': return T.String;
          case 'Int': return T.Int;
          case 'Float': return T.Float;
          case 'Boolean': return T.Boolean;
        }
        const alias = this.aliases.get(n);
        if (alias) {
          if (this.observer) this.observer.typeResolved(this.aliasDeclarations.get(n)!, texpr.name.span);
          return alias;
        }
        const known = ['String', 'Int', 'Float', 'Boolean', 'List', 'Seq', 'Map', 'Optional', 'Candidates', ...this.aliases.keys()];
        if (['List', 'Seq', 'Map', 'Optional', 'Candidates'].includes(n)) {
          this.error('E003', `Undefined type: ${n} (it needs type parameters, e.g. ${n === 'Map' ? 'Map<String, Int>' : `${n}<Int>`})`, texpr.span);
        } else {
          this.error('E003', `Undefined type: ${n}`, texpr.span, closestNames(n, known).map((c) => `Did you mean '${c}'?`));
        }
        return T.Error;
      }
      case 'applied': {
        const n = texpr.name.name;
        const args = texpr.args.map((a) => this.resolveType(a));
        const arity: Record<string, number> = { List: 1, Seq: 1, Candidates: 1, Optional: 1, Map: 2 };
        if (arity[n] !== args.length) {
          this.error('E003', `Undefined type: ${n}<${texpr.args.map(() => '...').join(', ')}>`, texpr.span,
            arity[n] === undefined ? closestNames(n, Object.keys(arity)).map((c) => `Did you mean '${c}'?`) : [`${n} takes ${arity[n]} type parameter(s)`]);
          return T.Error;
        }
        switch (n) {
          case 'List': return T.list(args[0]!);
          case 'Seq': case 'Candidates': return T.seq(args[0]!);
          case 'Optional': return T.optional(args[0]!);
          default: return T.map(args[0]!, args[1]!);
        }
      }
      case 'record':
        return T.record(texpr.fields.map((f) => [f.name.name, this.resolveType(f.type)] as const));
      case 'merge': {
        const left = this.resolveType(texpr.left);
        const right = this.resolveType(texpr.right);
        const merged = mergeTypes(left, right);
        if ('error' in merged) {
          this.error('E012', `Cannot merge types: ${printType(left)} + ${printType(right)}: ${merged.error}`, texpr.span);
          return T.Error;
        }
        return merged.type;
      }
      case 'union':
        return T.union(texpr.members.map((m) => this.resolveType(m)));
    }
  }

  // ---------------------------------------------------------------- checking mode

  /** Checks `expr` against `expected`, returning IR whose value has the expected representation. */
  checkAgainst(expr: Expr, expected: Type): Typed {
    if (expected.k === 'Error') return this.infer(expr);
    if (expr.kind === 'list' && (expected.k === 'List' || expected.k === 'Seq')) {
      if (this.observer) this.observer.typed(expr, expected);
      if (expr.elements.length === 0) return { type: expected, ir: { op: 'list', items: [] } };
      const items = expr.elements.map((e) => this.infer(e));
      const elementType = commonType(items.map((i) => i.type));
      if (!isSubtype(elementType, expected.of)) {
        return this.mismatch(expected, { k: expected.k, of: elementType }, expr.span);
      }
      return { type: expected, ir: { op: 'list', items: items.map((i) => this.coerce(i, expected.of)) } };
    }
    if (expr.kind === 'record' && expected.k === 'Record') {
      const fields: [string, IrExpr][] = [];
      const types: [string, Type][] = [];
      for (const f of expr.fields) {
        const want = fieldType(expected, f.name.name);
        const typed = want ? this.checkAgainst(f.value, want) : this.infer(f.value);
        fields.push([f.name.name, typed.ir]);
        types.push([f.name.name, want ?? typed.type]);
      }
      const missing = expected.fields.filter(([n]) => !expr.fields.some((f) => f.name.name === n)).map(([n]) => n);
      if (missing.length > 0) return this.error('E015', `Record literal is missing required field(s): ${missing.join(', ')}`, expr.span);
      const type = T.record(types);
      if (this.observer) this.observer.typed(expr, type);
      return { type, ir: { op: 'record', fields } };
    }
    if (expr.kind === 'lambda' && expected.k === 'Function') {
      return this.error('E015', 'Lambda expression cannot be used in this context. Lambdas can only be used as arguments to higher-order functions like filter, map, etc.', expr.span);
    }
    const typed = this.infer(expr);
    if (typed.type.k === 'Error') return typed;
    if (!isSubtype(typed.type, expected)) return this.mismatch(expected, typed.type, expr.span);
    return { type: expected, ir: this.coerce(typed, expected) };
  }

  private coerce(typed: Typed, to: Type): IrExpr {
    const c = coercionFor(typed.type, to);
    return c ? { op: 'coerce', source: typed.ir, coercion: c } : typed.ir;
  }

  // ---------------------------------------------------------------- inference

  infer(expr: Expr): Typed {
    const typed = this.inferUnobserved(expr);
    if (this.observer) this.observer.typed(expr, typed.type);
    return typed;
  }

  private inferUnobserved(expr: Expr): Typed {
    switch (expr.kind) {
      case 'error': return ERROR;
      case 'int': return { type: T.Int, ir: { op: 'lit', value: expr.value } };
      case 'float': return { type: T.Float, ir: { op: 'lit', value: expr.value } };
      case 'bool': return { type: T.Boolean, ir: { op: 'lit', value: expr.value } };
      case 'string': return { type: T.String, ir: { op: 'lit', value: expr.value } };
      case 'interpolation': {
        const parts = expr.exprs.map((e) => {
          const t = this.infer(e);
          return { expr: t.ir, type: t.type };
        });
        return { type: T.String, ir: { op: 'interp', strings: expr.strings, parts } };
      }
      case 'var': return this.variable(expr.name, expr.span);
      case 'list': {
        const items = expr.elements.map((e) => this.infer(e));
        if (items.some((i) => i.type.k === 'Error')) return ERROR;
        const elementType = commonType(items.map((i) => i.type));
        return { type: T.list(elementType), ir: { op: 'list', items: items.map((i) => this.coerce(i, elementType)) } };
      }
      case 'record': {
        const fields: [string, IrExpr][] = [];
        const types: [string, Type][] = [];
        for (const f of expr.fields) {
          const t = this.infer(f.value);
          fields.push([f.name.name, t.ir]);
          types.push([f.name.name, t.type]);
        }
        return { type: T.record(types), ir: { op: 'record', fields } };
      }
      case 'call': return this.call(expr);
      case 'binary': return this.binary(expr);
      case 'and':
      case 'or': {
        const left = this.checkBoolean(expr.left);
        const right = this.gatedBy(expr.right, left, expr.kind === 'and' ? 'true' : 'false', () => this.checkBoolean(expr.right).left);
        if (left.left.type.k === 'Error' || right.type.k === 'Error') return ERROR;
        return { type: T.Boolean, ir: { op: expr.kind, left: left.ir, right: right.ir } };
      }
      case 'not': {
        const operand = this.checkBoolean(expr.operand).left;
        if (operand.type.k === 'Error') return ERROR;
        return { type: T.Boolean, ir: { op: 'not', operand: operand.ir } };
      }
      case 'negate': {
        const operand = this.infer(expr.operand);
        if (operand.type.k === 'Error') return ERROR;
        if (!isNumeric(operand.type)) return this.error('E014', `Arithmetic operator '-' is not supported for type ${printType(operand.type)}`, expr.span);
        return { type: operand.type, ir: { op: 'neg', num: operand.type.k === 'Int' ? 'int' : 'float', operand: operand.ir } };
      }
      case 'when': {
        const cond = this.checkBoolean(expr.cond);
        const value = this.gatedBy(expr.value, cond, 'true', () => this.infer(expr.value));
        if (cond.left.type.k === 'Error' || value.type.k === 'Error') return ERROR;
        return { type: T.optional(value.type), ir: { op: 'when', value: value.ir, cond: cond.ir } };
      }
      case 'coalesce': return this.coalesce(expr);
      case 'if': {
        const cond = this.checkBoolean(expr.cond);
        const then = this.gatedBy(expr, cond, 'true', () => this.infer(expr.then), [expr.then, expr.else]);
        const otherwise = this.gatedBy(expr, cond, 'false', () => this.infer(expr.else), [expr.then, expr.else]);
        if (cond.left.type.k === 'Error' || then.type.k === 'Error' || otherwise.type.k === 'Error') return ERROR;
        const type = lub(then.type, otherwise.type);
        return { type, ir: { op: 'if', cond: cond.ir, then: this.coerce(then, type), else: this.coerce(otherwise, type) } };
      }
      case 'branch': return this.branch(expr);
      case 'match': return this.match(expr);
      case 'project': return this.project(expr);
      case 'field': return this.field(expr);
      case 'lambda': {
        // Inferred position: every parameter needs an annotation.
        for (const p of expr.params) {
          if (!p.type) {
            return this.error('E015', `Lambda parameter '${p.name.name}' requires a type annotation when its type cannot be inferred (lambdas are only allowed as arguments of higher-order functions such as filter and map)`, p.name.span);
          }
        }
        return this.error('E015', 'Lambda expression cannot be used in this context. Lambdas can only be used as arguments to higher-order functions like filter, map, etc.', expr.span);
      }
    }
  }

  private variable(name: string, span: Span): Typed {
    const b = this.scope.get(name);
    if (!b) return this.undefinedVariable(name, span);
    if (this.observer) this.observer.resolved(b, span);
    // A lazy call referenced inside a conditional arm: an alias node under the arm's gate makes
    // the demand conditional (the lazy call runs only if the arm is taken).
    if (b.lazy && b.ir.op === 'ref' && this.builder.currentGate && this.lambdaDepth === 0) {
      const node = this.builder.addTransform(this.synthetic('_demand'), b.ir, b.type, span);
      return { type: b.type, ir: { op: 'ref', node } };
    }
    return { type: b.type, ir: b.ir };
  }

  private undefinedVariable(name: string, span: Span): Typed {
    // Similar names cost O(variables) each; past a budget (nobody reads the 200th error) skip
    // them, or 10 000 undefined names against 10 000 bindings take seconds.
    if (this.suggestionBudget <= 0) return this.error('E001', `Undefined variable: ${name}`, span);
    this.suggestionBudget--;
    const similar = closestNames(name, this.scope.names());
    const suggestions = similar.length > 0 ? similar.map((s) => `Did you mean '${s}'?`) : [`Declare the variable: in ${name}: String`];
    if (/^[A-Za-z_][A-Za-z0-9_]*-[A-Za-z0-9_]/.test(name)) {
      const [a, ...rest] = name.split('-');
      if (this.scope.get(a!) && this.scope.get(rest.join('-'))) suggestions.unshift(`'${name}' is one identifier (hyphens are name characters); write '${a} - ${rest.join('-')}' to subtract`);
    }
    return this.error('E001', `Undefined variable: ${name}`, span, suggestions);
  }

  /** A Boolean operand; keeps both the typed result and its IR. */
  private checkBoolean(expr: Expr): { left: Typed; ir: IrExpr; node?: NodeId } {
    const t = this.infer(expr);
    if (t.type.k === 'Error') return { left: t, ir: t.ir };
    if (t.type.k !== 'Boolean') {
      const e = this.mismatch(T.Boolean, t.type, expr.span);
      return { left: e, ir: e.ir };
    }
    return { left: t, ir: t.ir };
  }

  /**
   * Lowers `body` under a gate on the value of `guard` when the gated part calls modules (or
   * reads a lazy call); otherwise the part is fused into the enclosing expression and evaluated
   * only when needed anyway. `guard.ir` is replaced by a reference to the materialised node so
   * the enclosing expression and the gate read the same value.
   */
  private gatedBy(
    owner: Expr,
    guard: { left: Typed; ir: IrExpr; node?: NodeId },
    test: Gate['test'],
    body: () => Typed,
    effectful: readonly Expr[] = [owner],
  ): Typed {
    const gate = this.gateFor(guard, test, effectful);
    return gate ? this.builder.withGate(gate, body) : body();
  }

  private gateFor(guard: { left: Typed; ir: IrExpr; node?: NodeId }, test: Gate['test'], effectful: readonly Expr[], index?: number): Gate | undefined {
    if (this.lambdaDepth > 0 || !this.builder.isEmitting || guard.left.type.k === 'Error') return undefined;
    if (!effectful.some((e) => this.hasEffects(e))) return undefined;
    if (guard.node === undefined) {
      guard.node = this.gateNode(guard.ir, guard.left.type, this.synthetic('_cond'), undefined);
      guard.ir = { op: 'ref', node: guard.node };
    }
    return index === undefined ? { node: guard.node, test } : { node: guard.node, test, index };
  }

  /**
   * The node a gate tests. Inside an enclosing gate, a condition that is a plain reference gets an
   * alias node under that gate: the referenced node (an input, say) lies outside it, and a gate on
   * it alone would run the arm's modules even when the enclosing arm is untaken.
   */
  private gateNode(ir: IrExpr, type: Type, name: string, span: Span | undefined): NodeId {
    if (ir.op === 'ref' && this.builder.currentGate) return this.builder.addTransform(name, ir, type, span);
    return this.builder.materialize(ir, type, name, span);
  }

  /** Does lowering `expr` create module nodes (or read a lazy call)? Over-approximation is safe. */
  private hasEffects(expr: Expr): boolean {
    switch (expr.kind) {
      case 'call':
        return true;
      case 'var': {
        const b = this.scope.get(expr.name);
        return !!b && b.lazy;
      }
      case 'lambda':
        return false;
      case 'int': case 'float': case 'bool': case 'string': case 'error':
        return false;
      case 'interpolation': return expr.exprs.some((e) => this.hasEffects(e));
      case 'list': return expr.elements.some((e) => this.hasEffects(e));
      case 'record': return expr.fields.some((f) => this.hasEffects(f.value));
      case 'binary': case 'and': case 'or': case 'coalesce': return this.hasEffects(expr.left) || this.hasEffects(expr.right);
      case 'not': case 'negate': return this.hasEffects(expr.operand);
      case 'when': return this.hasEffects(expr.value) || this.hasEffects(expr.cond);
      case 'if': return this.hasEffects(expr.cond) || this.hasEffects(expr.then) || this.hasEffects(expr.else);
      case 'branch': return expr.cases.some((c) => this.hasEffects(c.cond) || this.hasEffects(c.body)) || this.hasEffects(expr.otherwise);
      case 'match': return this.hasEffects(expr.scrutinee) || expr.cases.some((c) => this.hasEffects(c.body));
      case 'project': case 'field': return this.hasEffects(expr.source);
    }
  }

  // ---------------------------------------------------------------- operators

  private binary(expr: Extract<Expr, { kind: 'binary' }>): Typed {
    const left = this.infer(expr.left);
    const right = this.infer(expr.right);
    if (left.type.k === 'Error' || right.type.k === 'Error') return ERROR;
    const op = expr.op;
    const L = printType(left.type);
    const R = printType(right.type);
    if (op === '+' || op === '-' || op === '*' || op === '/') {
      if (op === '+' && isMergeable(left.type) && isMergeable(right.type)) {
        const merged = mergeTypes(left.type, right.type);
        if ('error' in merged) return this.error('E012', `Cannot merge types: ${L} + ${R}: ${merged.error}`, expr.span);
        return { type: merged.type, ir: { op: 'merge', left: left.ir, right: right.ir, shape: merged.shape } };
      }
      if (!isNumeric(left.type) || !isNumeric(right.type)) {
        const hints = op === '+' && left.type.k === 'String' && right.type.k === 'String' ? ['Use concat(a, b) or string interpolation "${a}${b}" to join strings'] : undefined;
        return this.error('E014', `Arithmetic operator '${op}' is not supported for types ${L} and ${R}`, expr.opSpan, hints);
      }
      // Float if either side is Float (docs/decisions.md #2), Int otherwise.
      const num = left.type.k === 'Float' || right.type.k === 'Float' ? 'float' : 'int';
      return {
        type: num === 'float' ? T.Float : T.Int,
        ir: { op: 'arith', fn: op, num, left: left.ir, right: right.ir, ...(this.lambdaDepth > 0 ? { lambda: true } : {}) },
      };
    }
    // comparisons
    const numericPair = isNumeric(left.type) && isNumeric(right.type);
    if (!numericPair && !typeEquals(left.type, right.type)) return this.mismatch(left.type, right.type, expr.right.span);
    const k = left.type.k;
    const supported = op === '==' || op === '!='
      ? k === 'Int' || k === 'Float' || k === 'String' || k === 'Boolean'
      : k === 'Int' || k === 'Float';
    if (!supported) return this.error('E013', `Operator '${op}' is not supported for types ${L} and ${R}`, expr.opSpan);
    return { type: T.Boolean, ir: { op: 'cmp', fn: op as CompareOp, left: left.ir, right: right.ir } };
  }

  private coalesce(expr: Extract<Expr, { kind: 'coalesce' }>): Typed {
    const leftTyped = this.infer(expr.left);
    if (leftTyped.type.k === 'Error') {
      this.infer(expr.right);
      return ERROR;
    }
    if (leftTyped.type.k !== 'Optional') {
      this.infer(expr.right);
      return this.error('E015', `Left side of ?? must be Optional, got ${printType(leftTyped.type)}`, expr.left.span, ["Use '??' only on Optional values (from Optional inputs, guards with 'when', or another '??')"]);
    }
    const inner = leftTyped.type.of;
    const guard = { left: leftTyped, ir: leftTyped.ir } as { left: Typed; ir: IrExpr; node?: NodeId };
    const right = this.gatedBy(expr.right, guard, 'absent', () => this.infer(expr.right));
    if (right.type.k === 'Error') return ERROR;
    if (typeEquals(right.type, inner)) return { type: inner, ir: { op: 'coalesce', left: guard.ir, right: right.ir, keepOptional: false } };
    if (typeEquals(right.type, leftTyped.type)) return { type: leftTyped.type, ir: { op: 'coalesce', left: guard.ir, right: right.ir, keepOptional: true } };
    // A superset of the reference's exact-equality rule: a subtype of the inner type is fine too.
    if (isSubtype(right.type, inner)) return { type: inner, ir: { op: 'coalesce', left: guard.ir, right: this.coerce(right, inner), keepOptional: false } };
    return this.mismatch(inner, right.type, expr.right.span);
  }

  // ---------------------------------------------------------------- branch and match

  private branch(expr: Extract<Expr, { kind: 'branch' }>): Typed {
    const effectful = this.lambdaDepth === 0 && this.builder.isEmitting && this.hasEffects(expr);
    const conds: IrExpr[] = [];
    const bodies: Typed[] = [];
    let gate: Gate | undefined = this.builder.currentGate;
    let failed = false;
    for (const c of expr.cases) {
      const cond = this.builder.withGate(gate, () => this.checkBoolean(c.cond));
      if (cond.left.type.k === 'Error') failed = true;
      let armGate: Gate | undefined = gate;
      if (effectful && !failed) {
        const node = this.builder.withGate(gate, () => this.gateNode(cond.ir, T.Boolean, this.synthetic('_branch'), c.cond.span));
        cond.ir = { op: 'ref', node };
        armGate = { node, test: 'true' };
        gate = { node, test: 'false' };
      }
      conds.push(cond.ir);
      const body = this.builder.withGate(armGate, () => this.infer(c.body));
      if (body.type.k === 'Error') failed = true;
      bodies.push(body);
    }
    const otherwise = this.builder.withGate(gate, () => this.infer(expr.otherwise));
    if (failed || otherwise.type.k === 'Error') return ERROR;
    const type = commonType([...bodies.map((b) => b.type), otherwise.type]);
    return {
      type,
      ir: { op: 'branch', conds, bodies: bodies.map((b) => this.coerce(b, type)), otherwise: this.coerce(otherwise, type) },
    };
  }

  private match(expr: Extract<Expr, { kind: 'match' }>): Typed {
    const scrutinee = this.infer(expr.scrutinee);
    if (scrutinee.type.k === 'Error') {
      for (const c of expr.cases) this.infer(c.body);
      return ERROR;
    }
    const st = scrutinee.type;
    const members = unionMembers(st);
    const isUnion = st.k === 'Union';
    const covered = new Set<string>();
    let sawWildcard = false;
    let failed = false;

    // `field` is the record field a binding reads, or WHOLE_VALUE: the (untagged) value itself
    interface Planned { c: MatchCase; tags: string[] | null; bindings: { name: string; field: string; type: Type; coerce?: Record<string, import('./ir.js').Coercion> }[] }
    const planned: Planned[] = [];
    for (const c of expr.cases) {
      const p = c.pattern;
      if (p.kind === 'wildcard') {
        const rest = members.filter((m) => !covered.has(printType(m))).map(printType);
        rest.forEach((t) => covered.add(t));
        sawWildcard = true;
        planned.push({ c, tags: isUnion ? rest : null, bindings: [] });
        continue;
      }
      if (p.kind === 'type') {
        const t = this.patternType(p.type);
        if (t.k === 'Error') { failed = true; continue; }
        const member = members.find((m) => typeEquals(m, t));
        if (!member) {
          this.error('E010', `Pattern is ${p.type.name} cannot match type ${printType(st)}`, p.span, [`The cases can test: ${members.map(printType).join(', ')}`]);
          failed = true;
          continue;
        }
        covered.add(printType(member));
        // `match v { is Int -> v + 1, … }`: in the case body the matched variable has type Int
        const narrowed = isUnion && expr.scrutinee.kind === 'var' ? [{ name: expr.scrutinee.name, field: WHOLE_VALUE, type: member }] : [];
        planned.push({ c, tags: isUnion ? [printType(member)] : null, bindings: narrowed });
        continue;
      }
      // record pattern: the record members having every listed field
      const names = p.fields.map((f) => f.name);
      const matching = members.filter((m): m is RecordType => m.k === 'Record' && names.every((n) => fieldType(m, n) !== undefined));
      if (matching.length === 0) {
        this.error('E010', `Pattern { ${names.join(', ')} } cannot match type ${printType(st)}`, p.span);
        failed = true;
        continue;
      }
      matching.forEach((m) => covered.add(printType(m)));
      const bindings = names.map((n) => {
        const types = matching.map((m) => fieldType(m, n)!);
        const type = commonType(types);
        const coerce: Record<string, import('./ir.js').Coercion> = {};
        matching.forEach((m, i) => {
          const c2 = coercionFor(types[i]!, type);
          if (c2) coerce[printType(m)] = c2;
        });
        return Object.keys(coerce).length ? { name: n, field: n, type, coerce } : { name: n, field: n, type };
      });
      planned.push({ c, tags: isUnion ? matching.map(printType) : null, bindings });
    }
    if (!failed && !sawWildcard) {
      const missing = members.map(printType).filter((t) => !covered.has(t)).sort();
      if (missing.length > 0) {
        this.error('E015', `Non-exhaustive match on type ${printType(st)}. Missing patterns for: ${missing.join(', ')}`, expr.span, ['Add the missing cases or a wildcard case: _ -> …']);
        failed = true;
      }
    }
    if (failed) return ERROR;

    const effectful = this.lambdaDepth === 0 && this.builder.isEmitting && expr.cases.some((c) => this.hasEffects(c.body));
    let scrutineeIr = scrutinee.ir;
    let selector: NodeId | undefined;
    if (effectful) {
      const sNode = this.builder.materialize(scrutinee.ir, st, this.synthetic('_scrutinee'), expr.scrutinee.span);
      scrutineeIr = { op: 'ref', node: sNode };
      selector = this.builder.addTransform(this.synthetic('_match'), { op: 'matchIndex', scrutinee: scrutineeIr, cases: planned.map((p) => p.tags) }, T.Int, expr.span);
    }

    const cases: MatchCaseIr[] = [];
    const bodies: Typed[] = [];
    planned.forEach((p, index) => {
      const gate: Gate | undefined = selector === undefined ? this.builder.currentGate : { node: selector, test: 'case', index };
      const saved = this.scope;
      this.scope = new Scope(saved);
      const bind: { slot: number; field: string; coerce?: Record<string, import('./ir.js').Coercion> }[] = [];
      this.builder.withGate(gate, () => {
        for (const b of p.bindings) {
          if (selector !== undefined) {
            // module calls in the body read bindings as nodes
            const fieldIr: IrExpr = { op: 'match', scrutinee: scrutineeIr, cases: [{ tags: p.tags, bind: [{ slot: 0, field: b.field, ...(b.coerce ? { coerce: b.coerce } : {}) }], body: { op: 'local', slot: 0 } }] };
            const node = this.builder.addTransform(b.name, fieldIr, b.type, p.c.pattern.span);
            this.bindPattern(p.c, b.name, b.field, { type: b.type, ir: { op: 'ref', node }, lazy: false });
          } else {
            const slot = this.nextSlot++;
            bind.push(b.coerce ? { slot, field: b.field, coerce: b.coerce } : { slot, field: b.field });
            this.bindPattern(p.c, b.name, b.field, { type: b.type, ir: { op: 'local', slot }, lazy: false });
          }
        }
        const body = this.infer(p.c.body);
        bodies.push(body);
        cases.push({ tags: p.tags, bind, body: body.ir });
      });
      this.scope = saved;
    });
    if (bodies.some((b) => b.type.k === 'Error')) return ERROR;
    const type = commonType(bodies.map((b) => b.type));
    const coerced = cases.map((c, i) => ({ ...c, body: this.coerce(bodies[i]!, type) }));
    if (selector !== undefined) {
      return { type, ir: { op: 'select', index: { op: 'ref', node: selector }, bodies: coerced.map((c) => c.body) } };
    }
    return { type, ir: { op: 'match', scrutinee: scrutineeIr, cases: coerced } };
  }

  /**
   * A name bound in a match case, visible in its body: a field of a record pattern, or (`is T`)
   * the matched variable itself, narrowed — for the observer the same declaration as outside.
   */
  private bindPattern(c: MatchCase, name: string, field: string, b: Binding): void {
    if (field === WHOLE_VALUE) {
      const outer = this.scope.get(name);
      this.scope.set(name, b);
      if (this.observer && outer) this.observer.narrowed(b, outer);
      return;
    }
    const declared = c.pattern.kind === 'record' ? c.pattern.fields.find((f) => f.name === name) : undefined;
    if (declared) this.bind(declared, b, 'pattern-binding', c.body.span);
    else this.scope.set(name, b);
  }

  private patternType(name: Name): Type {
    switch (name.name) {
      case 'String': return T.String;
      case 'Int': return T.Int;
      case 'Float': return T.Float;
      case 'Boolean': return T.Boolean;
    }
    const alias = this.aliases.get(name.name);
    if (alias) {
      if (this.observer) this.observer.typeResolved(this.aliasDeclarations.get(name.name)!, name.span);
      return alias;
    }
    this.error('E003', `Undefined type: ${name.name}`, name.span, closestNames(name.name, ['String', 'Int', 'Float', 'Boolean', ...this.aliases.keys()]).map((c) => `Did you mean '${c}'?`));
    return T.Error;
  }

  // ---------------------------------------------------------------- projection and field access

  private project(expr: Extract<Expr, { kind: 'project' }>): Typed {
    const source = this.infer(expr.source);
    if (source.type.k === 'Error') return ERROR;
    const st = source.type;
    const each = (st.k === 'List' || st.k === 'Seq') && st.of.k === 'Record';
    const record = st.k === 'Record' ? st : each ? ((st as { of: Type }).of as RecordType) : undefined;
    if (!record) return this.error('E015', `Projection requires a record type, got ${printType(st)}`, expr.span);
    const fields: [string, Type][] = [];
    for (const f of expr.fields) {
      const ft = fieldType(record, f.name);
      if (!ft) {
        const available = fieldNames(record);
        const similar = closestNames(f.name, available).map((s) => `Did you mean '${s}'?`);
        return this.error('E006', `Invalid projection: field '${f.name}' not found. Available: ${available.join(', ')}`, f.span, [...similar, `Available fields: ${available.join(', ')}`]);
      }
      fields.push([f.name, ft]);
    }
    const projected = T.record(fields);
    return {
      type: each ? { k: (st as { k: 'List' | 'Seq' }).k, of: projected } : projected,
      ir: { op: 'project', source: source.ir, names: expr.fields.map((f) => f.name), each },
    };
  }

  private field(expr: Extract<Expr, { kind: 'field' }>): Typed {
    const source = this.infer(expr.source);
    if (source.type.k === 'Error') return ERROR;
    const st = source.type;
    const each = (st.k === 'List' || st.k === 'Seq') && st.of.k === 'Record';
    const record = st.k === 'Record' ? st : each ? ((st as { of: Type }).of as RecordType) : undefined;
    const name = expr.field.name;
    if (!record) {
      const hint = st.k === 'Optional' ? ['The value is Optional: unwrap it first with ?? (e.g. (x ?? default).field)'] : undefined;
      return this.error('E015', `Field access requires a record type, got ${printType(st)}`, expr.field.span, hint);
    }
    const ft = fieldType(record, name);
    if (!ft) {
      const available = fieldNames(record);
      const similar = closestNames(name, available).map((s) => `Did you mean '.${s}'?`);
      return this.error('E007', `Invalid field access: field '${name}' not found. Available: ${available.join(', ')}`, expr.field.span, [...similar, `Available fields: ${available.join(', ')}`]);
    }
    return {
      type: each ? { k: (st as { k: 'List' | 'Seq' }).k, of: ft } : ft,
      ir: { op: 'field', source: source.ir, name, each },
    };
  }

  // ---------------------------------------------------------------- calls

  private resolveFunction(callee: QualifiedName): FunctionSignature | undefined {
    const parts = callee.parts.map((p) => p.name);
    if (parts.length === 1) {
      const f = parts[0]!;
      this.lookups.add(f);
      if (this.namespaceAliases.has(f)) {
        this.error('E002', `Undefined function: ${f}`, callee.span, [`'${f}' is a namespace alias; call a function in it: ${f}.<function>(…)`]);
        return undefined;
      }
      const all = this.registry.withSimpleName(f).filter((s) => s.kind !== 'operator');
      const noImports = this.wildcardImports.size === 0 && this.namespaceAliases.size === 0;
      const candidates = all.filter((s) => !s.namespace || noImports || this.wildcardImports.has(s.namespace));
      if (candidates.length === 1) return candidates[0];
      if (candidates.length > 1) {
        const names = candidates.map(qualifiedName).sort();
        this.error('E005', `Ambiguous function '${f}'. Candidates: ${names.join(', ')}`, callee.span, names.slice(0, 3).map((n) => `Use '${n}' for the specific function`));
        return undefined;
      }
      if (all.length > 0) {
        const names = all.map(qualifiedName).sort();
        const namespaces = [...new Set(all.map((s) => s.namespace!))].slice(0, 2).map((ns) => `Try adding: use ${ns}`);
        this.error('E002', `Undefined function: ${f} (did you mean to import ${names.join(' or ')}?)`, callee.span, namespaces);
        return undefined;
      }
      const similar = closestNames(f, [...this.registry.simpleNames()].filter((n) => !['and', 'or', 'not'].includes(n))).map((s) => `Did you mean '${s}'?`);
      this.error('E002', `Undefined function: ${f}`, callee.span, similar);
      return undefined;
    }
    const first = parts[0]!;
    const aliased = this.namespaceAliases.get(first);
    if (aliased) {
      const full = [aliased, ...parts.slice(1)].join('.');
      this.lookups.add(full);
      const sig = this.registry.get(full);
      if (!sig || sig.kind === 'operator') {
        this.error('E002', `Undefined function: ${callee.text}`, callee.span, this.similarIn(aliased, parts[parts.length - 1]!));
        return undefined;
      }
      return sig;
    }
    this.lookups.add(callee.text);
    const sig = this.registry.get(callee.text);
    if (sig && sig.kind !== 'operator') return sig;
    const ns = parts.slice(0, -1).join('.');
    this.lookups.add(ns);
    if (this.registry.isNamespace(ns)) {
      this.error('E002', `Undefined function: ${callee.text}`, callee.span, this.similarIn(ns, parts[parts.length - 1]!));
    } else {
      const suggestions = closestNames(ns, this.registry.namespaces()).map((n) => `Did you mean '${n}'?`);
      this.error('E004', `Undefined namespace: ${ns}`, { start: callee.span.start, end: callee.parts[callee.parts.length - 2]!.span.end }, suggestions);
    }
    return undefined;
  }

  private similarIn(ns: string, name: string): string[] {
    const inNs = [...this.registry.all()].filter((s) => s.namespace === ns && s.kind !== 'operator').map((s) => s.name);
    return closestNames(name, inNs).map((s) => `Did you mean '${ns}.${s}'?`);
  }

  private call(expr: Extract<Expr, { kind: 'call' }>): Typed {
    const sig = this.resolveFunction(expr.callee);
    if (!sig) {
      for (const a of expr.args) if (a.kind !== 'lambda') this.infer(a);
      return ERROR;
    }
    if (this.observer) this.observer.called(expr.callee, sig);
    const fname = qualifiedName(sig);
    if (expr.args.length !== sig.params.length) {
      for (const a of expr.args) if (a.kind !== 'lambda') this.infer(a);
      return this.error('E015', `Function ${sig.name} expects ${sig.params.length} argument(s), got ${expr.args.length}`, expr.span,
        [`${fname}(${sig.params.map((p) => `${p.name}: ${printType(p.type)}`).join(', ')}) -> ${printType(sig.returns)}`]);
    }
    if (sig.kind === 'higher-order') return this.higherOrder(sig, expr);

    if (this.lambdaDepth > 0) {
      if (!sig.pure) return this.error('E900', `Internal compiler error: Unsupported function in lambda body: ${fname} (only standard-library functions can be called inside a lambda)`, expr.callee.span);
      if (expr.options.length > 0) return this.error('E900', 'Internal compiler error: module options (with …) are not supported inside a lambda body', expr.options[0]!.span);
      const args = expr.args.map((a, i) => this.checkAgainst(a, sig.params[i]!.type));
      if (args.some((a) => a.type.k === 'Error')) return ERROR;
      return { type: sig.returns, ir: { op: 'call', fn: sig.module, args: args.map((a) => a.ir), lambda: true } };
    }

    const args = expr.args.map((a, i) => this.checkAgainst(a, sig.params[i]!.type));
    const fallbackOption = lastOption(expr.options, 'fallback');
    // Option errors wait for the fallback check: a fallback mismatch (E017) is the first option
    // error of a call and hides the others, which are reported only one per call.
    const optionSink = new DiagnosticSink();
    const options = normaliseOptions(expr.options, optionSink, expr.span);
    const reportOptions = (errors: boolean): void => {
      for (const d of optionSink.items) {
        if (d.severity === 'warning') this.sink.warning(d.code, d.message, d.span);
        else if (errors) this.sink.error(d.code as CompileErrorCode, d.message, d.span);
      }
    };
    if (args.some((a) => a.type.k === 'Error')) {
      reportOptions(true);
      if (fallbackOption?.value.kind === 'expr') this.infer(fallbackOption.value.value);
      return ERROR;
    }
    const argNodes = args.map((a, i) => this.builder.materialize(a.ir, sig.params[i]!.type, `${sig.name}.${sig.params[i]!.name}`, expr.args[i]!.span));
    const moduleOptions = options && fallbackOption ? { ...options, hasFallback: true as const } : options;
    const node = this.builder.addModule({
      name: sig.name,
      module: sig.module,
      fn: fname,
      params: sig.params.map((p) => p.name),
      args: argNodes,
      outputField: sig.outputField,
      type: sig.returns,
      options: moduleOptions,
      span: expr.span,
    });
    if (!fallbackOption || fallbackOption.value.kind !== 'expr') {
      reportOptions(true);
      return { type: sig.returns, ir: { op: 'ref', node } };
    }

    // fallback: evaluated only when the call ultimately failed (gate 'failed'), then a recover
    // node yields the call's value or the fallback's.
    const fallbackExpr = fallbackOption.value.value;
    const gate: Gate | undefined = this.hasEffects(fallbackExpr) && this.builder.isEmitting ? { node, test: 'failed' } : this.builder.currentGate;
    const fallback = this.builder.withGate(gate, () => this.infer(fallbackExpr));
    const mismatch = fallback.type.k !== 'Error' && !isSubtype(fallback.type, sig.returns);
    reportOptions(!mismatch);
    if (fallback.type.k === 'Error') return ERROR;
    if (mismatch) {
      return this.error('E017', `Fallback type mismatch: module returns ${printType(sig.returns)} but fallback is ${printType(fallback.type)}`, fallbackExpr.span);
    }
    const recover = this.builder.addTransform(`${sig.name}.recover`, { op: 'recover', primary: node, fallback: this.coerce(fallback, sig.returns) }, sig.returns, expr.span, node);
    return { type: sig.returns, ir: { op: 'ref', node: recover } };
  }

  private higherOrder(sig: FunctionSignature, expr: Extract<Expr, { kind: 'call' }>): Typed {
    if (expr.options.length > 0) {
      normaliseOptions(expr.options, this.sink, expr.span);
      this.sink.warning('W009', `Options on ${sig.name} are ignored: higher-order functions run inline`, expr.options[0]!.span);
    }
    const bindings = new Map<string, Type>();
    const [itemsParam, fnParam] = sig.params as [FunctionSignature['params'][number], FunctionSignature['params'][number]];
    const itemsExpr = expr.args[0]!;
    const lambdaExpr = expr.args[1]!;
    const items = this.infer(itemsExpr);
    if (items.type.k === 'Error') return ERROR;
    if (!bindVars(itemsParam.type, items.type, bindings) || !isSubtype(items.type, substitute(itemsParam.type, withNothing(bindings, sig)))) {
      // the parameter is generic (Seq<T>): say what is wanted without a type variable
      return this.error('E010', `Type mismatch: expected a List or Seq, got ${printType(items.type)}`, itemsExpr.span, [`${sig.name}(items, (x) => …) takes a list as its first argument`]);
    }
    if (!bindings.has('T')) bindings.set('T', T.Nothing);
    const expected = substitute(fnParam.type, bindings);
    if (expected.k !== 'Function') return ERROR;
    if (lambdaExpr.kind !== 'lambda') {
      const t = this.infer(lambdaExpr);
      if (t.type.k === 'Error') return ERROR;
      const params = expected.params.map(printType).join(', ');
      return this.error('E010', `Type mismatch: expected a lambda taking (${params}), got ${printType(t.type)}`, lambdaExpr.span, [`Write a lambda, e.g. ${sig.name}(items, (x) => …)`]);
    }
    if (lambdaExpr.params.length !== expected.params.length) {
      return this.error('E015', `Lambda has ${lambdaExpr.params.length} parameter(s) but expected ${expected.params.length}`, lambdaExpr.span);
    }
    const param = lambdaExpr.params[0]!;
    let paramType = expected.params[0]!;
    if (param.type) {
      const annotated = this.resolveType(param.type);
      if (annotated.k === 'Error') return ERROR;
      if (!isSubtype(paramType, annotated)) return this.mismatch(annotated, paramType, param.type.span);
      paramType = annotated;
    }
    const resultExpected = hasVars(expected.result) ? undefined : expected.result;
    const body = this.lambdaBody([param.name], [paramType], lambdaExpr.body, resultExpected);
    if (body.typed.type.k === 'Error') return ERROR;
    if (!bindings.has('U')) bindings.set('U', body.typed.type);
    const fn = sig.name as 'filter' | 'map' | 'all' | 'any';
    if (!HOF_NAMES.has(fn)) return this.error('E900', `Internal compiler error: unknown higher-order function ${sig.name}`, expr.callee.span);
    return {
      type: substitute(sig.returns, bindings),
      ir: { op: 'hof', fn, source: items.ir, slot: body.slots[0]!, body: body.typed.ir },
    };
  }

  private lambdaBody(names: readonly Name[], types: readonly Type[], bodyExpr: Expr, expected: Type | undefined): { typed: Typed; slots: number[] } {
    const saved = this.scope;
    this.scope = new Scope(saved);
    const slots = names.map((n, i) => {
      const slot = this.nextSlot++;
      this.bind(n, { type: types[i]!, ir: { op: 'local', slot }, lazy: false }, 'lambda-parameter', bodyExpr.span);
      return slot;
    });
    this.lambdaDepth++;
    try {
      const typed = this.builder.withGate(undefined, () => (expected ? this.checkAgainst(bodyExpr, expected) : this.infer(bodyExpr)));
      return { typed, slots };
    } finally {
      this.lambdaDepth--;
      this.scope = saved;
    }
  }
}

function lastOption(options: readonly CallOption[], name: string): CallOption | undefined {
  let found: CallOption | undefined;
  for (const o of options) if (o.name.name === name) found = o;
  return found;
}

function withNothing(bindings: Map<string, Type>, sig: FunctionSignature): Map<string, Type> {
  const m = new Map(bindings);
  for (const v of sig.typeParams ?? []) if (!m.has(v)) m.set(v, T.Nothing);
  return m;
}

/** E010 conversion hints. */
function conversionHints(expected: Type, actual: Type): string[] {
  const hints: string[] = [];
  if (expected.k === 'String' && actual.k === 'Int') hints.push('Convert with to-string(value) or interpolate: "${value}"');
  else if (expected.k === 'String' && (actual.k === 'Float' || actual.k === 'Boolean')) hints.push('Interpolate the value into a string: "${value}"');
  else if (expected.k === 'Int' && actual.k === 'Float') hints.push('Convert with to-int(value) (truncates) or round(value)');
  else if (expected.k === 'Float' && actual.k === 'Int') hints.push('Convert with to-float(value)');
  else if (expected.k === 'Boolean') hints.push('Use a comparison expression, e.g. value > 0 or value == "x"');
  else if (expected.k === 'Optional' && actual.k !== 'Optional') hints.push('Wrap the value: value when true');
  else if (expected.k !== 'Optional' && actual.k === 'Optional') hints.push('Use the coalesce operator ?? to supply a default: value ?? default');
  else if (expected.k === 'List' && actual.k === 'Seq') hints.push('Seq results (filter, map, list-reverse, list-concat) cannot be passed where a List is expected');
  return hints;
}
