import assert from 'node:assert/strict';
import { compile, type CompileResult } from '../../runtime/compiler/compile.js';
import type { FunctionRegistry } from '../../runtime/compiler/registry.js';
import type { Diagnostic } from '../../runtime/language/diagnostics.js';
import { printType } from '../../runtime/types/type.js';
import { exampleRegistry } from './registry.js';

/** Assertion helpers over compile results and their diagnostics. */

let shared: FunctionRegistry | undefined;

/** The stdlib + example-pack registry, built once per test process. */
export function registry(): FunctionRegistry {
  shared ??= exampleRegistry();
  return shared;
}

/** [startLine, startColumn, endLine, endColumn], 1-based as in `Diagnostic.range`. */
export type RangeTuple = readonly [number, number, number, number];

export interface ExpectedDiagnostic {
  readonly code: string;
  /** Exact text, or a pattern the message must match. */
  readonly message?: string | RegExp;
  readonly range?: RangeTuple;
}

export function rangeTuple(d: Diagnostic): RangeTuple {
  return [d.range.start.line, d.range.start.column, d.range.end.line, d.range.end.column];
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return '(no diagnostics)';
  return diagnostics.map((d) => `${d.code} ${d.severity} ${rangeTuple(d).join(':')} ${d.message}`).join('\n');
}

export function errorsOf(r: CompileResult): Diagnostic[] {
  return r.diagnostics.filter((d) => d.severity === 'error');
}

export function warningsOf(r: CompileResult): Diagnostic[] {
  return r.diagnostics.filter((d) => d.severity === 'warning');
}

/** Compiles and asserts success: ok, a DAG, no error diagnostics. */
export function compiles(source: string, reg: FunctionRegistry = registry()): CompileResult {
  const r = compile(source, reg);
  assert.equal(r.ok, true, `expected the program to compile:\n${source}\n${formatDiagnostics(r.diagnostics)}`);
  assert.ok(r.dag, 'a successful compilation has a DAG');
  assert.deepEqual(errorsOf(r), []);
  return r;
}

function matchDiagnostic(d: Diagnostic, e: ExpectedDiagnostic, context: string): void {
  assert.equal(d.code, e.code, `code ${context}`);
  if (typeof e.message === 'string') assert.equal(d.message, e.message, `message ${context}`);
  else if (e.message) assert.match(d.message, e.message, `message ${context}`);
  if (e.range) assert.deepEqual(rangeTuple(d), e.range, `range of ${d.code} '${d.message}' ${context}`);
}

/** Compiles and asserts failure with exactly these errors (in source order); warnings are ignored. */
export function expectErrors(source: string, expected: readonly ExpectedDiagnostic[], reg: FunctionRegistry = registry()): Diagnostic[] {
  const r = compile(source, reg);
  const errors = errorsOf(r);
  const context = `for\n${source}\ngot:\n${formatDiagnostics(r.diagnostics)}`;
  assert.equal(r.ok, false, `expected the program to fail ${context}`);
  assert.equal(r.dag, null);
  assert.equal(r.hashes.structural, null);
  assert.equal(errors.length, expected.length, `number of errors ${context}`);
  expected.forEach((e, i) => matchDiagnostic(errors[i]!, e, context));
  return errors;
}

/** Exactly one error, with this code, message and range. */
export function expectError(source: string, code: string, message: string | RegExp, range: RangeTuple, reg: FunctionRegistry = registry()): Diagnostic {
  return expectErrors(source, [{ code, message, range }], reg)[0]!;
}

/** The printed type of a named output. */
export function outputType(r: CompileResult, name: string): string {
  const out = r.dag?.outputs.find((o) => o.name === name);
  assert.ok(out, `no output '${name}'`);
  return printType(out.type);
}

/** Printed types of every output, by name. */
export function outputTypes(r: CompileResult): Record<string, string> {
  return Object.fromEntries((r.dag?.outputs ?? []).map((o) => [o.name, printType(o.type)]));
}

/**
 * Checks the invariants every diagnostic must satisfy, computing line/column independently of
 * the compiler (a plain scan for line feeds): 0 ≤ start ≤ end ≤ length, and range.start/end
 * are the 1-based line and UTF-16 column of the span's offsets. Returns the problems found.
 */
export function diagnosticProblems(source: string, diagnostics: readonly Diagnostic[]): string[] {
  const problems: string[] = [];
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const position = (offset: number): { line: number; column: number } => {
    let line = 0;
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lineStarts[mid]! <= offset) {
        line = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return { line: line + 1, column: offset - lineStarts[line]! + 1 };
  };
  for (const d of diagnostics) {
    const { start, end } = d.span;
    const where = `${d.code} '${d.message.slice(0, 80)}' span ${start}-${end}`;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > source.length) {
      problems.push(`${where}: span outside 0 ≤ start ≤ end ≤ ${source.length}`);
      continue;
    }
    const s = position(start);
    const e = position(end);
    if (d.range.start.offset !== start || d.range.end.offset !== end) problems.push(`${where}: range offsets ${d.range.start.offset}-${d.range.end.offset}`);
    if (d.range.start.line !== s.line || d.range.start.column !== s.column) problems.push(`${where}: start ${d.range.start.line}:${d.range.start.column}, expected ${s.line}:${s.column}`);
    if (d.range.end.line !== e.line || d.range.end.column !== e.column) problems.push(`${where}: end ${d.range.end.line}:${d.range.end.column}, expected ${e.line}:${e.column}`);
    if (typeof d.message !== 'string' || d.message.length === 0) problems.push(`${where}: empty message`);
    if (!/^(E\d{3}|W\d{3})$/.test(d.code)) problems.push(`${where}: malformed code`);
    if ((d.severity === 'error') !== d.code.startsWith('E')) problems.push(`${where}: severity ${d.severity} for code ${d.code}`);
  }
  return problems;
}

export function assertDiagnosticsWellFormed(source: string, diagnostics: readonly Diagnostic[]): void {
  const problems = diagnosticProblems(source, diagnostics);
  assert.deepEqual(problems, [], `malformed diagnostics for ${JSON.stringify(source.slice(0, 300))}`);
}

export { compile };

/** The DAG node a variable is bound to (via `dag.variables`). */
export function nodeOf(r: CompileResult, variable: string): import('../../runtime/compiler/dag.js').DagNode {
  const dag = r.dag;
  assert.ok(dag, 'no DAG');
  const id = dag.variables.lastIndexOf(variable);
  assert.ok(id >= 0, `no node bound to '${variable}' (variables: ${dag.variables.join(', ')})`);
  return dag.nodes[id]!;
}

/** The inline expression of the transform node a variable is bound to. */
export function exprOf(r: CompileResult, variable: string): import('../../runtime/compiler/ir.js').IrExpr {
  const node = nodeOf(r, variable);
  assert.equal(node.kind, 'transform', `'${variable}' is bound to a ${node.kind} node`);
  return (node as import('../../runtime/compiler/dag.js').TransformNode).expr;
}
