import type {
  Annotation, BinaryOp, BranchCase, CallOption, Declaration, Duration, DurationUnit, Expr, LambdaParam,
  MatchCase, Name, OptionValue, Pattern, Program, QualifiedName, TypeExpr,
} from './ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import { lex } from './lexer.js';
import type { Span } from './source.js';
import type { Token } from './tokens.js';
import { closestNames } from './suggest.js';

/**
 * Recursive-descent parser for the whole grammar of the language reference, with error recovery.
 *
 * Recovery works per declaration: a syntax error is reported (E020, exact span), the parser skips
 * to the next token that starts a declaration at the beginning of a line, and carries on. So one
 * pass reports every independent error. Recursion depth and operator-chain length are bounded
 * (MAX_DEPTH), which keeps adversarial input (a megabyte of brackets) from overflowing the stack
 * here or in the later passes that walk the tree.
 */

const MAX_DEPTH = 200;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

export const OPTION_NAMES = [
  'retry', 'timeout', 'delay', 'backoff', 'fallback', 'cache', 'cache_backend', 'throttle', 'concurrency',
  'on_error', 'lazy', 'priority', 'batch', 'batch_timeout', 'window', 'checkpoint', 'join',
] as const;
const OPTION_SET: ReadonlySet<string> = new Set(OPTION_NAMES);

const PRIORITY_LEVELS: ReadonlySet<string> = new Set(['critical', 'high', 'normal', 'low', 'background']);

class ParseAbort extends Error {}

export function parse(source: string, sink: DiagnosticSink): Program {
  const tokens = lex(source, sink);
  return new Parser(source, tokens, sink).program();
}

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly closingParen: Int32Array;

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly sink: DiagnosticSink,
  ) {
    // Matching ')' for every '(' so the lambda-vs-parenthesis decision is O(1).
    this.closingParen = new Int32Array(tokens.length).fill(-1);
    const stack: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'symbol') continue;
      if (t.text === '(') stack.push(i);
      else if (t.text === ')' && stack.length > 0) this.closingParen[stack.pop()!] = i;
    }
  }

  // ---------------------------------------------------------------- token helpers

  private peek(offset = 0): Token {
    const i = Math.min(this.pos + offset, this.tokens.length - 1);
    return this.tokens[i]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private isSymbol(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'symbol' && t.text === text;
  }

  private isKeyword(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'keyword' && t.text === text;
  }

  private lastEnd(): number {
    return this.pos > 0 ? this.tokens[this.pos - 1]!.end : 0;
  }

  private fail(message: string, span?: Span): never {
    const t = this.peek();
    // the lexer already reported this token; a second diagnostic on the same spot is noise
    if ((t.kind === 'invalid' || t.unterminated) && (span === undefined || span.start === t.start)) throw new ParseAbort();
    this.sink.error('E020', `Parse error: ${message}`, span ?? { start: t.start, end: Math.max(t.end, t.start) });
    throw new ParseAbort();
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof': return 'end of input';
      case 'string': return 'a string';
      case 'int': case 'float': return `'${t.text}'`;
      case 'keyword': return `keyword '${t.text}'`;
      default: return `'${t.text.length > 20 ? t.text.slice(0, 20) + '…' : t.text}'`;
    }
  }

  private expectSymbol(text: string, context: string): Token {
    if (!this.isSymbol(text)) this.fail(`expected '${text}' ${context}, found ${this.describe(this.peek())}`);
    return this.next();
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.fail(`expression is nested too deeply (more than ${MAX_DEPTH} levels)`);
    }
  }

  private leave(): void {
    this.depth--;
  }

  /** Is the token the first on its line? Used only for error recovery. */
  private startsLine(index: number): boolean {
    if (index === 0) return true;
    const prevEnd = this.tokens[index - 1]!.end;
    const start = this.tokens[index]!.start;
    // scan only the gap between the tokens: lastIndexOf over a megabyte-long line made recovery quadratic
    for (let i = prevEnd; i < start; i++) if (this.src.charCodeAt(i) === 10) return true;
    return false;
  }

  private startsDeclaration(index: number): boolean {
    const t = this.tokens[index]!;
    if (t.kind === 'keyword') return t.text === 'type' || t.text === 'in' || t.text === 'out' || t.text === 'use';
    if (t.kind === 'symbol') return t.text === '@';
    if (t.kind === 'ident') {
      const n = this.tokens[index + 1];
      return n !== undefined && n.kind === 'symbol' && n.text === '=';
    }
    return false;
  }

  private synchronize(from: number): void {
    let i = Math.max(this.pos, from + 1);
    while (i < this.tokens.length - 1) {
      if (this.startsLine(i) && this.startsDeclaration(i)) break;
      i++;
    }
    this.pos = Math.min(i, this.tokens.length - 1);
  }

  // ---------------------------------------------------------------- names

  private name(what: string): Name {
    const t = this.peek();
    if (t.kind === 'ident') {
      this.next();
      return { name: t.text, span: { start: t.start, end: t.end } };
    }
    if (t.kind === 'keyword') this.fail(`'${t.text}' is a reserved word and cannot be used as ${what}`);
    this.fail(`expected ${what}, found ${this.describe(t)}`);
  }

  /** `a.b.c` with no whitespace around the dots. */
  private qualifiedName(): QualifiedName {
    const first = this.name('a name');
    const parts: Name[] = [first];
    while (this.isSymbol('.') && !this.peek().spaced && this.peek(1).kind === 'ident' && !this.peek(1).spaced) {
      this.next();
      parts.push(this.name('a name'));
    }
    const span = { start: first.span.start, end: parts[parts.length - 1]!.span.end };
    return { parts, text: parts.map((p) => p.name).join('.'), span };
  }

  // ---------------------------------------------------------------- program

  program(): Program {
    const declarations: Declaration[] = [];
    let sawOutput = false;
    let sawError = false;
    while (this.peek().kind !== 'eof') {
      const startIndex = this.pos;
      try {
        const d = this.declaration();
        declarations.push(d);
        if (d.kind === 'output') sawOutput = true;
      } catch (e) {
        if (!(e instanceof ParseAbort)) throw e;
        sawError = true;
        this.depth = 0;
        this.synchronize(startIndex);
        const placeholder = this.placeholder(startIndex, this.pos);
        if (placeholder) declarations.push(placeholder);
      }
    }
    const lastToken = this.tokens.length > 1 ? this.tokens[this.tokens.length - 2]! : undefined;
    // an unterminated string swallowed the rest of the program (its `out` included)
    if (!sawOutput && !sawError && !lastToken?.unterminated) {
      const end = this.src.length;
      const span = lastToken ? { start: lastToken.start, end: lastToken.end } : { start: end, end };
      this.sink.error('E020', "Parse error: a pipeline needs at least one 'out' declaration", span);
    }
    return { declarations, span: { start: 0, end: this.src.length } };
  }

  /**
   * A declaration that failed to parse still binds its name (to an error value or type) when the
   * name was readable, so later uses of it do not each report a follow-up E001/E003.
   */
  private placeholder(startIndex: number, endIndex: number): Declaration | undefined {
    const at = (i: number): Token => this.tokens[Math.min(i, this.tokens.length - 1)]!;
    const nameOf = (t: Token): Name => ({ name: t.text, span: { start: t.start, end: t.end } });
    const first = at(startIndex);
    const span = { start: first.start, end: Math.max(first.end, at(endIndex - 1).end) };
    if (first.kind === 'ident' && at(startIndex + 1).kind === 'symbol' && at(startIndex + 1).text === '=') {
      return { kind: 'assign', name: nameOf(first), value: { kind: 'error', span }, span };
    }
    if (first.kind === 'keyword' && first.text === 'type' && at(startIndex + 1).kind === 'ident') {
      return { kind: 'type', name: nameOf(at(startIndex + 1)), type: { kind: 'error', span }, span };
    }
    // `in name:`, possibly after annotations that themselves failed to parse
    for (let i = startIndex; i < endIndex && i < this.tokens.length - 2; i++) {
      const t = at(i);
      if (t.kind === 'keyword' && t.text === 'in' && at(i + 1).kind === 'ident' && at(i + 2).kind === 'symbol' && at(i + 2).text === ':') {
        return { kind: 'input', name: nameOf(at(i + 1)), type: { kind: 'error', span }, annotations: [], span };
      }
    }
    return undefined;
  }

  private declaration(): Declaration {
    const t = this.peek();
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'type': return this.typeDef();
        case 'in': return this.input([]);
        case 'out': return this.output([]);
        case 'use': return this.use();
      }
      if (this.isSymbol('=', 1)) this.fail(`'${t.text}' is a reserved word and cannot be used as a variable name`);
      this.fail(`expected a declaration (type, in, out, use or an assignment), found ${this.describe(t)}`);
    }
    if (t.kind === 'symbol' && t.text === '@') {
      const annotations = this.annotations();
      if (this.isKeyword('in')) {
        const bad = annotations.find((a) => a.name.name === 'sink');
        if (bad) this.fail("'@sink' annotates an 'out' declaration, not an 'in' declaration", bad.span);
        return this.input(annotations);
      }
      if (this.isKeyword('out')) {
        const bad = annotations.find((a) => a.name.name !== 'sink');
        if (bad) this.fail(`'@${bad.name.name}' annotates an 'in' declaration, not an 'out' declaration`, bad.span);
        return this.output(annotations);
      }
      this.fail(`expected 'in' or 'out' after annotations, found ${this.describe(this.peek())}`);
    }
    if (t.kind === 'ident') {
      if (this.isSymbol('=', 1)) return this.assignment();
      const prev = this.pos > 0 ? this.tokens[this.pos - 1]! : undefined;
      if (prev && !t.spaced && (prev.kind === 'int' || prev.kind === 'float')) {
        // `x = 1e5`: the letters glued to a number are what is wrong, not the next line
        this.fail(`unexpected '${t.text}' directly after the number ${prev.text} (there is no exponent notation; durations such as 5min are only allowed in 'with' options)`, { start: prev.start, end: t.end });
      }
      const after = this.peek(1);
      // point at the stray name when what follows it is already the next line
      const span = after.kind === 'eof' || this.startsLine(this.pos + 1) ? { start: t.start, end: t.end } : { start: after.start, end: after.end };
      this.fail(`expected '=' after '${t.text}' (declarations are type, in, out, use or name = expression), found ${this.describe(after)}`, span);
    }
    this.fail(`expected a declaration (type, in, out, use or an assignment), found ${this.describe(t)}`);
  }

  private typeDef(): Declaration {
    const start = this.next().start;
    const name = this.name('a type name');
    this.expectSymbol('=', 'after the type name');
    const type = this.type();
    return { kind: 'type', name, type, span: { start, end: type.span.end } };
  }

  private input(annotations: Annotation[]): Declaration {
    const kw = this.next();
    const start = annotations.length > 0 ? annotations[0]!.span.start : kw.start;
    const name = this.name('an input name');
    this.expectSymbol(':', `after input name '${name.name}'`);
    const type = this.type();
    return { kind: 'input', name, type, annotations, span: { start, end: type.span.end } };
  }

  private output(annotations: Annotation[]): Declaration {
    const kw = this.next();
    const start = annotations.length > 0 ? annotations[0]!.span.start : kw.start;
    const name = this.name('an output name');
    // `out` takes a name, never an expression: report `out a + b` and `out r{x}` here
    const t = this.peek();
    if (!t.spaced && t.kind === 'symbol' && (t.text === '{' || t.text === '[' || t.text === '.' || t.text === '(')) {
      this.fail("'out' takes a variable name, not an expression; bind the expression to a name first");
    }
    if (t.kind === 'symbol' && ['+', '-', '*', '/', '==', '!=', '<', '>', '<=', '>=', '??'].includes(t.text) && !this.startsLine(this.pos)) {
      this.fail("'out' takes a variable name, not an expression; bind the expression to a name first");
    }
    return { kind: 'output', name, annotations, span: { start, end: name.span.end } };
  }

  private use(): Declaration {
    const start = this.next().start;
    const path = this.qualifiedName();
    let alias: Name | undefined;
    let end = path.span.end;
    if (this.isKeyword('as')) {
      this.next();
      alias = this.name('an alias');
      end = alias.span.end;
    }
    return { kind: 'use', path, alias, span: { start, end } };
  }

  private assignment(): Declaration {
    const name = this.name('a variable name');
    this.next(); // '='
    const value = this.expr();
    return { kind: 'assign', name, value, span: { start: name.span.start, end: value.span.end } };
  }

  private annotations(): Annotation[] {
    const list: Annotation[] = [];
    while (this.isSymbol('@')) {
      const at = this.next();
      const name = this.name('an annotation name');
      if (name.name === 'example') {
        this.expectSymbol('(', "after '@example'");
        const example = this.expr();
        const close = this.expectSymbol(')', 'to close @example');
        list.push({ name, example, span: { start: at.start, end: close.end } });
      } else if (name.name === 'source' || name.name === 'sink') {
        this.expectSymbol('(', `after '@${name.name}'`);
        const kind = this.peek();
        if (kind.kind !== 'string') this.fail(`expected the connector name as a string in @${name.name}`);
        this.next();
        while (this.isSymbol(',')) {
          this.next();
          this.name('a property name');
          this.expectSymbol(':', 'after the property name');
          this.expr();
        }
        const close = this.expectSymbol(')', `to close @${name.name}`);
        list.push({ name, connector: kind.raw ?? '', span: { start: at.start, end: close.end } });
      } else {
        const suggestion = closestNames(name.name, ['example', 'source', 'sink']);
        this.fail(`unknown annotation '@${name.name}' (expected @example, @source or @sink)${suggestion.length ? `; did you mean '@${suggestion[0]}'?` : ''}`, name.span);
      }
    }
    return list;
  }

  // ---------------------------------------------------------------- types

  private type(): TypeExpr {
    this.enter();
    try {
      const first = this.mergeType();
      if (!this.isSymbol('|')) return first;
      const members = [first];
      while (this.isSymbol('|')) {
        this.next();
        members.push(this.mergeType());
      }
      return { kind: 'union', members, span: { start: first.span.start, end: members[members.length - 1]!.span.end } };
    } finally {
      this.leave();
    }
  }

  private mergeType(): TypeExpr {
    let left = this.primaryType();
    let chain = 0;
    while (this.isSymbol('+')) {
      if (++chain + this.depth > MAX_DEPTH) this.fail('type expression is too long');
      this.next();
      const right = this.primaryType();
      left = { kind: 'merge', left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private primaryType(): TypeExpr {
    const t = this.peek();
    if (t.kind === 'symbol' && t.text === '{') {
      this.next();
      const fields: { name: Name; type: TypeExpr }[] = [];
      if (!this.isSymbol('}')) {
        for (;;) {
          const name = this.name('a field name');
          this.expectSymbol(':', `after field name '${name.name}'`);
          fields.push({ name, type: this.type() });
          if (!this.isSymbol(',')) break;
          this.next();
          if (this.isSymbol('}')) this.fail('trailing commas are not allowed');
        }
      }
      const close = this.expectSymbol('}', 'to close the record type');
      return { kind: 'record', fields, span: { start: t.start, end: close.end } };
    }
    if (t.kind === 'ident') {
      const name = this.name('a type name');
      if (this.isSymbol('<')) {
        this.next();
        const args: TypeExpr[] = [this.type()];
        while (this.isSymbol(',')) {
          this.next();
          args.push(this.type());
        }
        const close = this.expectSymbol('>', `to close the type arguments of ${name.name}`);
        return { kind: 'applied', name, args, span: { start: name.span.start, end: close.end } };
      }
      return { kind: 'named', name, span: name.span };
    }
    if (t.kind === 'keyword') this.fail(`'${t.text}' is a reserved word and cannot be used as a type name`);
    this.fail(`expected a type, found ${this.describe(t)}`);
  }

  // ---------------------------------------------------------------- expressions

  expr(): Expr {
    this.enter();
    try {
      if (this.isSymbol('(')) {
        const close = this.closingParen[this.pos]!;
        const after = close >= 0 ? this.tokens[close + 1] : undefined;
        if (after && after.kind === 'symbol' && after.text === '=>') return this.lambda();
      }
      return this.coalesce();
    } finally {
      this.leave();
    }
  }

  private lambda(): Expr {
    const open = this.next();
    const params: LambdaParam[] = [];
    if (!this.isSymbol(')')) {
      for (;;) {
        const name = this.name('a lambda parameter name');
        let type: TypeExpr | undefined;
        if (this.isSymbol(':')) {
          this.next();
          type = this.type();
        }
        params.push({ name, type });
        if (!this.isSymbol(',')) break;
        this.next();
      }
    }
    this.expectSymbol(')', 'to close the lambda parameters');
    this.expectSymbol('=>', 'after the lambda parameters');
    const body = this.expr();
    return { kind: 'lambda', params, body, span: { start: open.start, end: body.span.end } };
  }

  private coalesce(): Expr {
    const left = this.guard();
    if (!this.isSymbol('??')) return left;
    this.next();
    this.enter();
    try {
      const right = this.coalesce();
      return { kind: 'coalesce', left, right, span: { start: left.span.start, end: right.span.end } };
    } finally {
      this.leave();
    }
  }

  private guard(): Expr {
    const value = this.or();
    if (!this.isKeyword('when')) return value;
    this.next();
    const cond = this.or();
    if (this.isKeyword('when')) this.fail("a guard cannot be chained ('a when b when c'); combine the conditions with 'and'");
    return { kind: 'when', value, cond, span: { start: value.span.start, end: cond.span.end } };
  }

  private or(): Expr {
    let left = this.and();
    let chain = 0;
    while (this.isKeyword('or')) {
      this.chain(++chain);
      this.next();
      const right = this.and();
      left = { kind: 'or', left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    let chain = 0;
    while (this.isKeyword('and')) {
      this.chain(++chain);
      this.next();
      const right = this.not();
      left = { kind: 'and', left, right, span: { start: left.span.start, end: right.span.end } };
    }
    return left;
  }

  private chain(length: number): void {
    if (length + this.depth > MAX_DEPTH) this.fail(`operator chain is too long (more than ${MAX_DEPTH} operands); split it into several assignments`);
  }

  private not(): Expr {
    if (!this.isKeyword('not')) return this.compare();
    const kw = this.next();
    this.enter();
    try {
      const operand = this.not();
      return { kind: 'not', operand, span: { start: kw.start, end: operand.span.end } };
    } finally {
      this.leave();
    }
  }

  private compare(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.kind !== 'symbol' || !isCompareOp(t.text)) return left;
    this.next();
    const right = this.additive();
    const t2 = this.peek();
    if (t2.kind === 'symbol' && isCompareOp(t2.text)) this.fail('comparison operators cannot be chained; combine comparisons with \'and\'');
    return { kind: 'binary', op: t.text as BinaryOp, opSpan: { start: t.start, end: t.end }, left, right, span: { start: left.span.start, end: right.span.end } };
  }

  private additive(): Expr {
    let left = this.multiplicative();
    let chain = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'symbol' || (t.text !== '+' && t.text !== '-')) return left;
      this.chain(++chain);
      this.next();
      const right = this.multiplicative();
      left = { kind: 'binary', op: t.text as BinaryOp, opSpan: { start: t.start, end: t.end }, left, right, span: { start: left.span.start, end: right.span.end } };
    }
  }

  private multiplicative(): Expr {
    let left = this.postfix();
    let chain = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'symbol' || (t.text !== '*' && t.text !== '/')) return left;
      this.chain(++chain);
      this.next();
      const right = this.postfix();
      left = { kind: 'binary', op: t.text as BinaryOp, opSpan: { start: t.start, end: t.end }, left, right, span: { start: left.span.start, end: right.span.end } };
    }
  }

  private postfix(): Expr {
    let e = this.primary();
    let chain = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'symbol') return e;
      if (t.text === '.') {
        this.chain(++chain);
        this.next();
        const field = this.name('a field name after \'.\'');
        e = { kind: 'field', source: e, field, span: { start: e.span.start, end: field.span.end } };
      } else if (t.text === '[' || t.text === '{') {
        this.chain(++chain);
        const closeText = t.text === '[' ? ']' : '}';
        this.next();
        const fields: Name[] = [];
        for (;;) {
          fields.push(this.name('a field name in the projection'));
          if (!this.isSymbol(',')) break;
          this.next();
        }
        const close = this.expectSymbol(closeText, 'to close the projection');
        e = { kind: 'project', source: e, fields, span: { start: e.span.start, end: close.end } };
      } else {
        return e;
      }
    }
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
        this.next();
        return { kind: 'int', value: t.value!, span: { start: t.start, end: t.end } };
      case 'float':
        this.next();
        return { kind: 'float', value: t.value!, span: { start: t.start, end: t.end } };
      case 'string':
        this.next();
        return this.stringLiteral(t);
      case 'keyword':
        switch (t.text) {
          case 'true':
          case 'false':
            this.next();
            return { kind: 'bool', value: t.text === 'true', span: { start: t.start, end: t.end } };
          case 'if': return this.ifExpr();
          case 'branch': return this.branchExpr();
          case 'match': return this.matchExpr();
        }
        this.fail(`'${t.text}' is a reserved word and cannot be used as ${t.text === 'not' ? 'an operand here; wrap it in parentheses' : 'a name'}`);
      // falls through (fail never returns)
      case 'ident':
        return this.nameOrCall();
      case 'symbol':
        switch (t.text) {
          case '(': {
            this.next();
            const inner = this.expr();
            this.expectSymbol(')', 'to close the parenthesis');
            return inner;
          }
          case '[': return this.listLiteral();
          case '{': return this.recordLiteral();
          case '-': return this.negative();
        }
        break;
      case 'eof':
        this.fail('expected an expression, found end of input');
    }
    this.fail(`expected an expression, found ${this.describe(t)}`);
  }

  private negative(): Expr {
    const minus = this.next();
    const t = this.peek();
    if ((t.kind === 'int' || t.kind === 'float') && !t.spaced) {
      this.next();
      const span = { start: minus.start, end: t.end };
      return t.kind === 'int' ? { kind: 'int', value: t.value === 0 ? 0 : -t.value!, span } : { kind: 'float', value: -t.value!, span };
    }
    this.enter();
    try {
      const operand = this.postfix();
      return { kind: 'negate', operand, span: { start: minus.start, end: operand.span.end } };
    } finally {
      this.leave();
    }
  }

  private nameOrCall(): Expr {
    const t = this.peek();
    // Missing expression: `x =` or `x = a +` followed by a new declaration `y = …` on the next
    // line (`name =` never continues an expression, so reading it as an operand only cascades).
    if (this.startsLine(this.pos) && this.isSymbol('=', 1) && this.pos > 0) {
      const prev = this.tokens[this.pos - 1]!;
      this.fail(`expected an expression after ${this.describe(prev)}`, { start: prev.start, end: prev.end });
    }
    // Look ahead over an adjacent dotted name; it is a call only when '(' follows.
    let i = this.pos + 1;
    while (
      this.tokens[i]!.kind === 'symbol' && this.tokens[i]!.text === '.' && !this.tokens[i]!.spaced &&
      this.tokens[i + 1]!.kind === 'ident' && !this.tokens[i + 1]!.spaced
    ) i += 2;
    const after = this.tokens[i]!;
    if (after.kind === 'symbol' && after.text === '(') return this.call();
    this.next();
    return { kind: 'var', name: t.text, span: { start: t.start, end: t.end } };
  }

  private call(): Expr {
    const callee = this.qualifiedName();
    this.expectSymbol('(', 'to start the arguments');
    const args: Expr[] = [];
    if (!this.isSymbol(')')) {
      for (;;) {
        args.push(this.expr());
        if (!this.isSymbol(',')) break;
        this.next();
        if (this.isSymbol(')')) this.fail('trailing commas are not allowed in argument lists');
      }
    }
    const close = this.expectSymbol(')', `to close the arguments of ${callee.text}`);
    let end = close.end;
    const options: CallOption[] = [];
    if (this.isKeyword('with')) {
      this.next();
      for (;;) {
        const option = this.option();
        options.push(option);
        end = option.span.end;
        // The list ends at the first token that is not `, Option`. `lazy` lexes as a keyword.
        const nextName = this.peek(1);
        const isOptionName = (nextName.kind === 'ident' || this.isKeyword('lazy', 1)) && OPTION_SET.has(nextName.text);
        if (!(this.isSymbol(',') && isOptionName && (this.isSymbol(':', 2) || nextName.text === 'lazy'))) break;
        this.next();
      }
    }
    return { kind: 'call', callee, args, options, span: { start: callee.span.start, end } };
  }

  private stringLiteral(t: Token): Expr {
    const parts = t.parts!;
    const span = { start: t.start, end: t.end };
    if (parts.length === 1) return { kind: 'string', value: (parts[0] as { text: string }).text, span };
    const strings: string[] = [];
    const exprs: Expr[] = [];
    for (const part of parts) {
      if (part.kind === 'text') strings.push(part.text);
      // an unterminated `${` swallowed the rest of the input; the lexer reported it
      else exprs.push(part.unterminated ? { kind: 'error', span: { start: part.start, end: part.end } } : this.embedded(part.tokens, part.start, part.end));
    }
    return { kind: 'interpolation', strings, exprs, span };
  }

  /** Parses the tokens of one `${…}` with a sub-parser that shares the diagnostics and depth. */
  private embedded(tokens: Token[], start: number, end: number): Expr {
    if (tokens.length === 1) {
      this.sink.error('E020', 'Parse error: empty interpolation \'${}\'', { start: start - 2, end: end + 1 });
      return { kind: 'error', span: { start, end } };
    }
    const sub = new Parser(this.src, tokens, this.sink);
    sub.depth = this.depth + 1;
    if (sub.depth > MAX_DEPTH) this.fail('string interpolations are nested too deeply');
    const e = sub.expr();
    if (sub.peek().kind !== 'eof') {
      const extra = sub.peek();
      this.sink.error('E020', `Parse error: unexpected ${sub.describe(extra)} in string interpolation; expected '}'`, { start: extra.start, end: extra.end });
      return { kind: 'error', span: { start, end } };
    }
    return e;
  }

  private listLiteral(): Expr {
    const open = this.next();
    const elements: Expr[] = [];
    if (!this.isSymbol(']')) {
      for (;;) {
        elements.push(this.expr());
        if (!this.isSymbol(',')) break;
        this.next();
        if (this.isSymbol(']')) this.fail('trailing commas are not allowed in list literals');
      }
    }
    const close = this.expectSymbol(']', 'to close the list');
    return { kind: 'list', elements, span: { start: open.start, end: close.end } };
  }

  private recordLiteral(): Expr {
    const open = this.next();
    const fields: { name: Name; value: Expr }[] = [];
    if (!this.isSymbol('}')) {
      for (;;) {
        const name = this.name('a field name');
        this.expectSymbol(':', `after field name '${name.name}'`);
        fields.push({ name, value: this.expr() });
        if (!this.isSymbol(',')) break;
        this.next();
        if (this.isSymbol('}')) this.fail('trailing commas are not allowed in record literals');
      }
    }
    const close = this.expectSymbol('}', 'to close the record');
    return { kind: 'record', fields, span: { start: open.start, end: close.end } };
  }

  private ifExpr(): Expr {
    const kw = this.next();
    this.expectSymbol('(', "after 'if'");
    const cond = this.expr();
    this.expectSymbol(')', 'to close the if condition');
    const then = this.expr();
    if (!this.isKeyword('else')) this.fail(`expected 'else' (every 'if' needs an 'else'), found ${this.describe(this.peek())}`);
    this.next();
    const otherwise = this.expr();
    return { kind: 'if', cond, then, else: otherwise, span: { start: kw.start, end: otherwise.span.end } };
  }

  private branchExpr(): Expr {
    const kw = this.next();
    this.expectSymbol('{', "after 'branch'");
    const cases: BranchCase[] = [];
    let otherwise: Expr | undefined;
    for (;;) {
      if (this.isKeyword('otherwise')) {
        this.next();
        this.expectSymbol('->', "after 'otherwise'");
        otherwise = this.expr();
        if (this.isSymbol(',')) this.fail("'otherwise' must be the last arm of a branch");
        break;
      }
      if (this.isSymbol('}')) this.fail("a branch needs a final 'otherwise -> …' arm");
      const cond = this.expr();
      this.expectSymbol('->', 'after the branch condition');
      const body = this.expr();
      cases.push({ cond, body });
      if (!this.isSymbol(',')) {
        if (this.isSymbol('}')) this.fail("a branch needs a final 'otherwise -> …' arm");
        this.fail(`expected ',' between branch arms, found ${this.describe(this.peek())}`);
      }
      this.next();
    }
    const close = this.expectSymbol('}', 'to close the branch');
    return { kind: 'branch', cases, otherwise, span: { start: kw.start, end: close.end } };
  }

  private matchExpr(): Expr {
    const kw = this.next();
    this.enter();
    let scrutinee: Expr;
    try {
      scrutinee = this.primary();
    } finally {
      this.leave();
    }
    if (this.isSymbol('.') || this.isSymbol('[')) this.fail('the value matched must be a simple expression; wrap it in parentheses: match (a.b) { … }');
    this.expectSymbol('{', 'to start the match cases');
    const cases: MatchCase[] = [];
    for (;;) {
      const pattern = this.pattern();
      this.expectSymbol('->', 'after the match pattern');
      const body = this.expr();
      cases.push({ pattern, body, span: { start: pattern.span.start, end: body.span.end } });
      if (!this.isSymbol(',')) break;
      this.next();
      if (this.isSymbol('}')) this.fail('trailing commas are not allowed in match cases');
    }
    const close = this.expectSymbol('}', 'to close the match');
    return { kind: 'match', scrutinee, cases, span: { start: kw.start, end: close.end } };
  }

  private pattern(): Pattern {
    const t = this.peek();
    if (t.kind === 'symbol' && t.text === '{') {
      this.next();
      const fields: Name[] = [];
      for (;;) {
        fields.push(this.name('a field name in the pattern'));
        if (!this.isSymbol(',')) break;
        this.next();
      }
      const close = this.expectSymbol('}', 'to close the record pattern');
      return { kind: 'record', fields, span: { start: t.start, end: close.end } };
    }
    if (t.kind === 'ident' && t.text === '_') {
      this.next();
      return { kind: 'wildcard', span: { start: t.start, end: t.end } };
    }
    if (t.kind === 'keyword' && t.text === 'is') {
      this.next();
      const type = this.name('a type name after \'is\'');
      return { kind: 'type', type, span: { start: t.start, end: type.span.end } };
    }
    this.fail(`expected a pattern ({ fields }, is Type or _), found ${this.describe(t)}`);
  }

  // ---------------------------------------------------------------- options

  private option(): CallOption {
    const nameToken = this.peek();
    if (nameToken.kind !== 'ident' && nameToken.kind !== 'keyword') this.fail(`expected an option name after 'with', found ${this.describe(nameToken)}`);
    const name: Name = { name: nameToken.text, span: { start: nameToken.start, end: nameToken.end } };
    if (!OPTION_SET.has(name.name)) {
      const close = closestNames(name.name, OPTION_NAMES);
      this.fail(`unknown option '${name.name}'${close.length ? `; did you mean '${close[0]}'?` : ''} (options: ${OPTION_NAMES.join(', ')})`, name.span);
    }
    this.next();
    if (name.name === 'lazy' && !this.isSymbol(':')) {
      return { name, value: { kind: 'bool', value: true }, span: name.span };
    }
    this.expectSymbol(':', `after option '${name.name}'`);
    const valueStart = this.peek().start;
    const value = this.optionValue(name.name);
    return { name, value, span: { start: name.span.start, end: Math.max(this.lastEnd(), valueStart) } };
  }

  private optionValue(option: string): OptionValue {
    switch (option) {
      case 'retry':
      case 'concurrency':
      case 'batch':
        return { kind: 'uint', value: this.uint(option) };
      case 'timeout':
      case 'delay':
      case 'cache':
      case 'batch_timeout':
      case 'checkpoint':
        return { kind: 'duration', value: this.duration(option) };
      case 'backoff':
        return { kind: 'word', value: this.word(option, ['exponential', 'linear', 'fixed']) };
      case 'on_error':
        return { kind: 'word', value: this.word(option, ['propagate', 'skip', 'log', 'wrap']) };
      case 'fallback':
        return { kind: 'expr', value: this.expr() };
      case 'cache_backend': {
        const t = this.peek();
        if (t.kind !== 'string' || t.parts!.length !== 1) this.fail("expected a plain string for 'cache_backend' (e.g. \"memory\")");
        this.next();
        return { kind: 'string', value: t.raw ?? '' };
      }
      case 'throttle': {
        const count = this.uint(option);
        const slash = this.peek();
        if (!(slash.kind === 'symbol' && slash.text === '/') || slash.spaced) this.fail("expected a rate such as '100/1min' for 'throttle' (no space before '/')");
        this.next();
        return { kind: 'rate', count, per: this.duration(option) };
      }
      case 'lazy': {
        const t = this.peek();
        if (t.kind === 'keyword' && (t.text === 'true' || t.text === 'false')) {
          this.next();
          return { kind: 'bool', value: t.text === 'true' };
        }
        this.fail("expected 'true' or 'false' for 'lazy'");
      }
      // falls through (fail never returns)
      case 'priority': {
        const t = this.peek();
        if (t.kind === 'ident' && PRIORITY_LEVELS.has(t.text)) {
          this.next();
          return { kind: 'word', value: t.text };
        }
        if (t.kind === 'int') {
          this.next();
          return { kind: 'int', value: t.value! };
        }
        if (t.kind === 'symbol' && t.text === '-' && this.peek(1).kind === 'int' && !this.peek(1).spaced) {
          this.next();
          return { kind: 'int', value: -this.next().value! };
        }
        this.fail("expected a priority level (critical, high, normal, low, background) or an integer for 'priority'");
      }
      // falls through (fail never returns)
      case 'window': {
        const kind = this.word(option, ['tumbling', 'sliding', 'count']);
        this.expectSymbol('(', `after '${kind}'`);
        let text: string;
        if (kind === 'count') text = `count:${this.uint(option)}`;
        else if (kind === 'tumbling') text = `tumbling:${this.duration(option).ms}`;
        else {
          const size = this.duration(option).ms;
          this.expectSymbol(',', 'between the window size and slide');
          text = `sliding:${size}:${this.duration(option).ms}`;
        }
        this.expectSymbol(')', `to close '${kind}'`);
        return { kind: 'window', value: text };
      }
      case 'join': {
        const kind = this.word(option, ['combine_latest', 'zip', 'buffer']);
        if (kind !== 'buffer') return { kind: 'join', value: kind === 'combine_latest' ? 'combine-latest' : 'zip' };
        this.expectSymbol('(', "after 'buffer'");
        const d = this.duration(option);
        this.expectSymbol(')', "to close 'buffer'");
        return { kind: 'join', value: `buffer:${d.ms}` };
      }
    }
    this.fail(`unknown option '${option}'`);
  }

  private uint(option: string): number {
    const t = this.peek();
    if (t.kind === 'int') {
      this.next();
      return t.value!;
    }
    if (t.kind === 'float') this.fail(`'${option}' needs a whole number, found ${t.text}`);
    if (t.kind === 'symbol' && t.text === '-') this.fail(`'${option}' cannot be negative`);
    this.fail(`expected a whole number for '${option}', found ${this.describe(t)}`);
  }

  private duration(option: string): Duration {
    const t = this.peek();
    const unitToken = this.peek(1);
    if (t.kind === 'int' && unitToken.kind === 'ident' && !unitToken.spaced && unitToken.text in DURATION_UNITS) {
      this.next();
      this.next();
      const unit = unitToken.text as DurationUnit;
      return { amount: t.value!, unit, ms: t.value! * DURATION_UNITS[unit]! };
    }
    if (t.kind === 'int' && unitToken.kind === 'ident' && !unitToken.spaced) {
      this.fail(`unknown duration unit '${unitToken.text}' in '${option}' (units: ms, s, min, h, d)`, { start: t.start, end: unitToken.end });
    }
    this.fail(`expected a duration such as 500ms, 10s, 5min, 1h or 1d for '${option}', found ${this.describe(t)}`);
  }

  private word(option: string, allowed: readonly string[]): string {
    const t = this.peek();
    if (t.kind === 'ident' && allowed.includes(t.text)) {
      this.next();
      return t.text;
    }
    this.fail(`expected one of ${allowed.join(', ')} for '${option}', found ${this.describe(t)}`);
  }
}

function isCompareOp(text: string): boolean {
  return text === '==' || text === '!=' || text === '<' || text === '>' || text === '<=' || text === '>=';
}
