import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, parseSource } from '../../runtime/compiler/compile.js';
import { assertDiagnosticsWellFormed, compiles, expectErrors, formatDiagnostics, registry } from '../helpers/diagnostics.js';

/**
 * Error recovery, end to end: one compile reports every independent error of a program (syntax
 * and type errors alike), each with its exact code and range, and a declaration that failed to
 * parse does not produce follow-up errors where its name is used.
 */

describe('parser error recovery', () => {
  test('several independent errors on different lines, in one pass', () => {
    const source = [
      'in a: Int', //                         1
      'b = a +', //                           2  missing operand
      'c = [1, 2,]', //                       3  trailing comma
      'd = Uppercase(a)', //                  4  type error
      'e = 007', //                           5  leading zeros (lexer)
      'f = undefinedThing', //                6  undefined variable
      'g = 1 < 2 < 3', //                     7  chained comparison
      'h = "bad \\q escape"', //              8  bad escape
      'i = Nope(b, c)', //                    9  undefined function
      'out b',
      'out c',
      'out d',
    ].join('\n');
    expectErrors(source, [
      { code: 'E020', message: "Parse error: expected an expression after '+'", range: [2, 7, 2, 8] },
      { code: 'E020', message: 'Parse error: trailing commas are not allowed in list literals', range: [3, 11, 3, 12] },
      { code: 'E010', message: 'Type mismatch: expected String, got Int', range: [4, 15, 4, 16] },
      { code: 'E020', message: "Parse error: leading zeros are not allowed in number '007'", range: [5, 5, 5, 8] },
      { code: 'E001', message: 'Undefined variable: undefinedThing', range: [6, 5, 6, 19] },
      { code: 'E020', message: "Parse error: comparison operators cannot be chained; combine comparisons with 'and'", range: [7, 11, 7, 12] },
      { code: 'E020', message: /^Parse error: invalid escape sequence '\\q'/, range: [8, 10, 8, 12] },
      { code: 'E002', message: 'Undefined function: Nope', range: [9, 5, 9, 9] },
    ]);
  });

  test('unclosed brackets: each declaration recovers at the next line that starts a declaration', () => {
    const source = 'in a: Int\nb = (a +\nc = {x: 1\nd = [1, 2\nout d\ne = if (true) 1\nout a';
    expectErrors(source, [
      { code: 'E020', message: "Parse error: expected an expression after '+'", range: [2, 8, 2, 9] },
      { code: 'E020', message: "Parse error: expected '}' to close the record, found 'd'", range: [4, 1, 4, 2] },
      { code: 'E020', message: "Parse error: expected ']' to close the list, found keyword 'out'", range: [5, 1, 5, 4] },
      { code: 'E020', message: "Parse error: expected 'else' (every 'if' needs an 'else'), found keyword 'out'", range: [7, 1, 7, 4] },
    ]);
  });

  test('a declaration that failed to parse still binds its name: no follow-up E001/E003', () => {
    // without the placeholder bindings, each later use of y, T and x would report its own error
    expectErrors('y = f(1,)\nz = y\nout z', [{ code: 'E020', message: 'Parse error: trailing commas are not allowed in argument lists', range: [1, 9, 1, 10] }]);
    expectErrors('type T = {a: Int,}\nin x: T\nout x', [{ code: 'E020', message: 'Parse error: trailing commas are not allowed', range: [1, 18, 1, 19] }]);
    expectErrors('@example(1,) in x: Int\nout x', [{ code: 'E020', message: "Parse error: expected ')' to close @example, found ','", range: [1, 11, 1, 12] }]);
    expectErrors('in r: String\nx = Uppercase(r) with retry: -1\nout x', [{ code: 'E020', message: "Parse error: 'retry' cannot be negative", range: [2, 30, 2, 31] }]);
  });

  test('names that were never bound are still reported after a parse error elsewhere', () => {
    expectErrors('x = [1,]\nout y', [
      { code: 'E020', range: [1, 8, 1, 9] },
      { code: 'E001', message: 'Undefined variable: y', range: [2, 5, 2, 6] },
    ]);
  });

  test('an unexpected character is reported once, not again by the parser', () => {
    expectErrors('x = 1 ❤ 2\nout x', [{ code: 'E020', message: "Parse error: unexpected character '❤' (U+2764)", range: [1, 7, 1, 8] }]);
    expectErrors('❤', [{ code: 'E020', message: "Parse error: unexpected character '❤' (U+2764)", range: [1, 1, 1, 2] }]);
  });

  test('an unterminated string is one error (no "missing out" for the out it swallowed)', () => {
    expectErrors('x = "abc\nout x', [{ code: 'E020', message: 'Parse error: unterminated string literal (missing closing ")', range: [1, 5, 2, 6] }]);
    expectErrors('"', [{ code: 'E020', message: 'Parse error: unterminated string literal (missing closing ")', range: [1, 1, 1, 2] }]);
    expectErrors('x = "a ${1 + \nout x', [{ code: 'E020', message: "Parse error: unterminated string interpolation (missing '}')", range: [1, 8, 2, 6] }]);
  });

  test('"missing out" is reported only when nothing else went wrong in parsing', () => {
    expectErrors('x = 1', [{ code: 'E020', message: "Parse error: a pipeline needs at least one 'out' declaration", range: [1, 5, 1, 6] }]);
    expectErrors('x = [1,]', [{ code: 'E020', message: 'Parse error: trailing commas are not allowed in list literals', range: [1, 8, 1, 9] }]);
  });

  test('errors inside string interpolations are located in the source', () => {
    expectErrors('x = "a ${1 2} b"\ny = "${}"\nz = "${nope}"\nout x', [
      { code: 'E020', message: "Parse error: unexpected '2' in string interpolation; expected '}'", range: [1, 12, 1, 13] },
      { code: 'E020', message: "Parse error: empty interpolation '${}'", range: [2, 6, 2, 9] },
      { code: 'E001', message: 'Undefined variable: nope', range: [3, 8, 3, 12] },
    ]);
  });

  test('newlines are not significant: two declarations on one line, continuation lines', () => {
    const r = compiles('in x: Int out x');
    assert.deepEqual(r.dag!.outputs.map((o) => o.name), ['x']);
    compiles('in a: Int\nb = a\n  + 1\n  * 2\nout b');
    // `x = f` newline `(y)` is the call f(y)
    compiles('in t: String\nx = Uppercase\n(t)\nout x');
  });

  test('a stray name that is not a declaration points at itself when the next line follows', () => {
    expectErrors('x = 1\ny\nout x', [{ code: 'E020', message: "Parse error: expected '=' after 'y' (declarations are type, in, out, use or name = expression), found keyword 'out'", range: [2, 1, 2, 2] }]);
    expectErrors('foo bar = 1\nout x', [
      { code: 'E020', message: "Parse error: expected '=' after 'foo' (declarations are type, in, out, use or name = expression), found 'bar'", range: [1, 5, 1, 8] },
      { code: 'E001', range: [2, 5, 2, 6] },
    ]);
  });

  test('parseSource returns the tree of a broken program with its diagnostics', () => {
    const p = parseSource('in a: Int\nb = [1,]\nc = a\nout c');
    assert.deepEqual(p.diagnostics.map((d) => d.code), ['E020']);
    assert.deepEqual(p.program.declarations.map((d) => d.kind), ['input', 'assign', 'assign', 'output']);
  });

  test('recovery after a deeply nested expression continues with the next declaration', () => {
    const source = `x = ${'('.repeat(500)}1${')'.repeat(500)}\ny = nope\nout y`;
    const r = compile(source, registry());
    assertDiagnosticsWellFormed(source, r.diagnostics);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['E020', 'E001'], formatDiagnostics(r.diagnostics));
    assert.match(r.diagnostics[0]!.message, /nested too deeply/);
    assert.deepEqual([r.diagnostics[1]!.range.start.line, r.diagnostics[1]!.range.start.column], [2, 5]);
  });
});
