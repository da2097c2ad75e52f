import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compiles, exprOf, expectError, outputType, outputTypes } from '../helpers/diagnostics.js';

/** Literals and string interpolation: types and the IR they lower to. */

describe('numeric and boolean literals', () => {
  test('Int, Float, Boolean literals have their types and values', () => {
    const r = compiles('i = 42\nf = 0.5\nb = true\nc = false\nz = 0\nout i\nout f\nout b\nout c\nout z');
    assert.deepEqual(outputTypes(r), { i: 'Int', f: 'Float', b: 'Boolean', c: 'Boolean', z: 'Int' });
    assert.deepEqual(exprOf(r, 'i'), { op: 'lit', value: 42 });
    assert.deepEqual(exprOf(r, 'f'), { op: 'lit', value: 0.5 });
    assert.deepEqual(exprOf(r, 'b'), { op: 'lit', value: true });
    assert.deepEqual(exprOf(r, 'c'), { op: 'lit', value: false });
  });

  test('negative literals: the minus belongs to the literal', () => {
    const r = compiles('x = -3\ny = -1.5\nz = -0\nout x\nout y\nout z');
    assert.deepEqual(outputTypes(r), { x: 'Int', y: 'Float', z: 'Int' });
    assert.deepEqual(exprOf(r, 'x'), { op: 'lit', value: -3 });
    assert.deepEqual(exprOf(r, 'y'), { op: 'lit', value: -1.5 });
    // -0 is the integer 0 (no negative zero among Ints)
    assert.ok(Object.is((exprOf(r, 'z') as unknown as { value: number }).value, 0));
  });

  test('negative literals wherever a primary can appear', () => {
    const r = compiles('a = 2 - -3\nb = max(-1, -2)\nc = [-1, -2]\nd = {p: -5}\nout a\nout b\nout c\nout d');
    assert.deepEqual(exprOf(r, 'a'), { op: 'arith', fn: '-', num: 'int', left: { op: 'lit', value: 2 }, right: { op: 'lit', value: -3 } });
    assert.deepEqual(outputTypes(r), { a: 'Int', b: 'Int', c: 'List<Int>', d: '{ p: Int }' });
  });

  test('5-3 is a subtraction (an identifier cannot start with a digit); there is no constant folding', () => {
    const r = compiles('z = 5-3\nout z');
    assert.deepEqual(exprOf(r, 'z'), { op: 'arith', fn: '-', num: 'int', left: { op: 'lit', value: 5 }, right: { op: 'lit', value: 3 } });
  });

  test('unary minus on expressions is accepted (docs/decisions.md #3) and keeps the numeric type', () => {
    const r = compiles('in a: Int\nin f: Float\nx = -a\ny = -(f)\nout x\nout y');
    assert.deepEqual(outputTypes(r), { x: 'Int', y: 'Float' });
    assert.deepEqual(exprOf(r, 'x'), { op: 'neg', num: 'int', operand: { op: 'ref', node: 0 } });
  });

  test('the largest exact integers are accepted, one more is rejected', () => {
    const r = compiles('x = 9007199254740991\ny = -9007199254740991\nout x\nout y');
    assert.deepEqual(exprOf(r, 'x'), { op: 'lit', value: 9007199254740991 });
    assert.deepEqual(exprOf(r, 'y'), { op: 'lit', value: -9007199254740991 });
    expectError('x = 9223372036854775808\nout x', 'E020', /^Parse error: integer literal 9223372036854775808 is outside/, [1, 5, 1, 24]);
  });

  test('mixed Int/Float arithmetic is Float (docs/decisions.md #2)', () => {
    const r = compiles('in i: Int\nin f: Float\na = i + f\nb = f * 2.0\nc = i / 2\nout a\nout b\nout c');
    assert.deepEqual(outputTypes(r), { a: 'Float', b: 'Float', c: 'Int' });
    assert.equal((exprOf(r, 'a') as unknown as { num: string }).num, 'float');
  });
});

describe('string literals', () => {
  test('every escape sequence, a literal dollar and a # inside a string', () => {
    const r = compiles('s = "a\\n\\t\\r\\\\\\"\\$ $5 #no"\nout s');
    assert.deepEqual(exprOf(r, 's'), { op: 'lit', value: 'a\n\t\r\\"$ $5 #no' });
  });

  test('raw line breaks are kept verbatim', () => {
    const r = compiles('t = "line1\nline2"\nout t');
    assert.deepEqual(exprOf(r, 't'), { op: 'lit', value: 'line1\nline2' });
  });

  test('non-ASCII text is allowed inside strings and comments', () => {
    const r = compiles('# héllo 😀\ns = "😀 é ✓"\nout s');
    assert.deepEqual(exprOf(r, 's'), { op: 'lit', value: '😀 é ✓' });
  });

  test('\\$ keeps ${ from starting an interpolation', () => {
    const r = compiles('s = "\\${x}"\nout s');
    assert.deepEqual(exprOf(r, 's'), { op: 'lit', value: '${x}' });
  });
});

describe('string interpolation', () => {
  test('N interpolations give N+1 literal parts (possibly empty)', () => {
    const r = compiles('in n: Int\nx = "${n}${n}"\nout x');
    const e = exprOf(r, 'x') as unknown as { op: string; strings: string[]; parts: { type: { k: string } }[] };
    assert.equal(e.op, 'interp');
    assert.deepEqual(e.strings, ['', '', '']);
    assert.deepEqual(e.parts.map((p) => p.type.k), ['Int', 'Int']);
  });

  test('nested strings and nested interpolations inside ${…}', () => {
    const r = compiles('in n: String\nx = "a ${ "b ${n} c" } d ${1 + 2}"\nout x');
    assert.equal(outputType(r, 'x'), 'String');
    assert.deepEqual(exprOf(r, 'x'), {
      op: 'interp',
      strings: ['a ', ' d ', ''],
      parts: [
        { expr: { op: 'interp', strings: ['b ', ' c'], parts: [{ expr: { op: 'ref', node: 0 }, type: { k: 'String' } }] }, type: { k: 'String' } },
        { expr: { op: 'arith', fn: '+', num: 'int', left: { op: 'lit', value: 1 }, right: { op: 'lit', value: 2 } }, type: { k: 'Int' } },
      ],
    });
  });

  test('any type may be interpolated; the part records its type for text conversion', () => {
    const r = compiles('in o: Optional<Int>\nin u: Int | String\nx = "${[1, 2]} ${ {a: 1.5} } ${o} ${u} ${true}"\nout x');
    const e = exprOf(r, 'x') as unknown as { parts: { type: unknown }[] };
    assert.deepEqual(e.parts.map((p) => p.type), [
      { k: 'List', of: { k: 'Int' } },
      { k: 'Record', fields: [['a', { k: 'Float' }]] },
      { k: 'Optional', of: { k: 'Int' } },
      { k: 'Union', members: [{ k: 'Int' }, { k: 'String' }] },
      { k: 'Boolean' },
    ]);
  });

  test('calls inside an interpolation become module nodes', () => {
    const r = compiles('in t: String\nx = "<${Uppercase(t)}>"\nout x');
    const kinds = r.dag!.nodes.map((n) => n.kind);
    assert.deepEqual(kinds, ['input', 'module', 'transform']);
  });

  test('whitespace after ${ is tolerated (a superset of the reference)', () => {
    compiles('in n: Int\nx = "${ n }"\nout x');
  });

  test('a $ not followed by { is a literal dollar', () => {
    const r = compiles('x = "Pay $5 and $"\nout x');
    assert.deepEqual(exprOf(r, 'x'), { op: 'lit', value: 'Pay $5 and $' });
  });

  test('type errors inside an interpolation are reported at their place', () => {
    expectError('in n: Int\nx = "v: ${n + "a"}"\nout x', 'E014', "Arithmetic operator '+' is not supported for types Int and String", [2, 13, 2, 14]);
  });
});

describe('list literals', () => {
  test('element types: common type, mixed numbers give a union, [] is List<Nothing>', () => {
    const r = compiles('a = [1, 2]\nb = [1, 2.5]\nc = []\nd = [[1], []]\ne = ["x"]\nout a\nout b\nout c\nout d\nout e');
    assert.deepEqual(outputTypes(r), { a: 'List<Int>', b: 'List<Float | Int>', c: 'List<Nothing>', d: 'List<List<Int>>', e: 'List<String>' });
  });

  test('[] is accepted where any list is expected', () => {
    const r = compiles('x = SumList([])\ny = join([], ",")\nout x\nout y');
    assert.deepEqual(outputTypes(r), { x: 'Int', y: 'String' });
  });
});
