import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from '../../runtime/compiler/compile.js';
import { LineMap } from '../../runtime/language/source.js';
import { assertDiagnosticsWellFormed, expectError, expectErrors, registry } from '../helpers/diagnostics.js';

/**
 * Where diagnostics point: 1-based lines, 1-based columns in UTF-16 code units (LSP's default),
 * end exclusive; CRLF, tabs, non-BMP characters, multi-line spans and end of input.
 */

describe('diagnostic ranges', () => {
  test('columns count UTF-16 code units (a non-BMP character is two)', () => {
    expectError('x = "😀" + 1\nout x', 'E014', "Arithmetic operator '+' is not supported for types String and Int", [1, 10, 1, 11]);
    expectError('x = "é" + 1\nout x', 'E014', "Arithmetic operator '+' is not supported for types String and Int", [1, 9, 1, 10]);
  });

  test('an unexpected non-BMP character is one diagnostic spanning both code units', () => {
    expectError('x = 1 😀\nout x', 'E020', "Parse error: unexpected character '😀' (U+1F600)", [1, 7, 1, 9]);
  });

  test('CRLF line endings: the CR ends the line, it is not a column of the next', () => {
    expectError('x = 1\r\ny = "é\t" + 2\r\nout y', 'E014', "Arithmetic operator '+' is not supported for types String and Int", [2, 10, 2, 11]);
  });

  test('a tab is one column', () => {
    expectError('\tx = nope\nout x', 'E001', 'Undefined variable: nope', [1, 6, 1, 10]);
  });

  test('errors inside multi-line constructs and strings with raw line breaks', () => {
    expectError('x = [1,\n  2,\n  "a" + 1]\nout x', 'E014', "Arithmetic operator '+' is not supported for types String and Int", [3, 7, 3, 8]);
    expectError('in a: Int\nx = "multi\nline ${a + "s"}"\nout x', 'E014', "Arithmetic operator '+' is not supported for types Int and String", [3, 10, 3, 11]);
  });

  test('a span covering several lines', () => {
    expectError('in u: Int | String\nr = match u {\n  is Int -> 1\n}\nout r', 'E015', 'Non-exhaustive match on type Int | String. Missing patterns for: String', [2, 5, 4, 2]);
  });

  test('errors at the end of input are empty ranges at the end', () => {
    expectError('in x: Int\nout', 'E020', 'Parse error: expected an output name, found end of input', [2, 4, 2, 4]);
    expectError('x = ', 'E020', 'Parse error: expected an expression, found end of input', [1, 5, 1, 5]);
    expectError('x = 1 +\n', 'E020', 'Parse error: expected an expression, found end of input', [2, 1, 2, 1]);
  });

  test('nested type arguments point at the unknown name only', () => {
    expectErrors('in x: List<Foo>\nin y: Map<String, Bar>\nout x', [
      { code: 'E003', message: 'Undefined type: Foo', range: [1, 12, 1, 15] },
      { code: 'E003', message: 'Undefined type: Bar', range: [2, 19, 2, 22] },
    ]);
  });

  test('range offsets equal the span and line/column follow from them', () => {
    const source = 'in a: Int\r\n\tb = "😀${a + "x"}" + 1\nc = nope\nout c';
    const r = compile(source, registry());
    assert.ok(r.diagnostics.length >= 2);
    assertDiagnosticsWellFormed(source, r.diagnostics);
    const lines = new LineMap(source);
    for (const d of r.diagnostics) {
      assert.equal(lines.offsetAt(d.range.start.line, d.range.start.column), d.span.start);
      assert.equal(lines.offsetAt(d.range.end.line, d.range.end.column), d.span.end);
    }
  });

  test('diagnostics are sorted by position', () => {
    const r = compile('x = nope1\ny = [1,]\nz = nope2 + "a"\nout x', registry());
    const starts = r.diagnostics.map((d) => d.span.start);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
    assert.equal(r.diagnostics.length, 3);
  });
});
