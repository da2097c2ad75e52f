import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compiles, exprOf, expectError, outputType, outputTypes, warningsOf } from '../helpers/diagnostics.js';

/**
 * Lambdas and the higher-order functions filter/map/all/any (docs/decisions.md #4):
 * generic element types, closures, shadowing, the supported body subset and its IR.
 */

describe('higher-order functions', () => {
  test('filter, map, all, any on Int lists', () => {
    const r = compiles('in ns: List<Int>\na = filter(ns, (x) => x > 0)\nb = map(ns, (x) => x * 2)\nc = all(ns, (x) => x > 0)\nd = any(ns, (x) => x == 3)\nout a\nout b\nout c\nout d');
    assert.deepEqual(outputTypes(r), { a: 'Seq<Int>', b: 'Seq<Int>', c: 'Boolean', d: 'Boolean' });
    assert.deepEqual(exprOf(r, 'a'), {
      op: 'hof',
      fn: 'filter',
      source: { op: 'ref', node: 0 },
      slot: 0,
      body: { op: 'cmp', fn: '>', left: { op: 'local', slot: 0 }, right: { op: 'lit', value: 0 } },
    });
  });

  test('generic element types: strings, records, nested lists, and map changing the type', () => {
    const r = compiles([
      'in xs: List<String>',
      'in rs: List<{a: Int, n: String}>',
      'in ls: List<List<Int>>',
      'a = filter(xs, (s) => s == "x")',
      'b = map(xs, (s) => string-length(s) > 2)',
      'c = map(rs, (r) => r.n)',
      'd = any(rs, (r) => r.a == 1)',
      'e = map(ls, (l) => list-sum(l))',
      'f = filter(rs, (r) => r.a > 0)',
      'out a', 'out b', 'out c', 'out d', 'out e', 'out f',
    ].join('\n'));
    assert.deepEqual(outputTypes(r), {
      a: 'Seq<String>',
      b: 'Seq<Boolean>',
      c: 'Seq<String>',
      d: 'Boolean',
      e: 'Seq<Int>',
      f: 'Seq<{ a: Int, n: String }>',
    });
  });

  test('a map over the empty list has element type Nothing', () => {
    const r = compiles('e = map([], (x) => x)\nout e');
    assert.equal(outputType(r, 'e'), 'Seq<Nothing>');
  });

  test('nested higher-order functions', () => {
    const r = compiles('in ns: List<Int>\nf = map(ns, (x) => map(ns, (y) => x + y))\nout f');
    assert.equal(outputType(r, 'f'), 'Seq<Seq<Int>>');
    const outer = exprOf(r, 'f') as unknown as { slot: number; body: { op: string; slot: number; body: { left: unknown; right: unknown } } };
    assert.equal(outer.body.op, 'hof');
    assert.notEqual(outer.body.slot, outer.slot, 'nested lambdas get distinct slots');
    assert.deepEqual(outer.body.body.left, { op: 'local', slot: outer.slot });
    assert.deepEqual(outer.body.body.right, { op: 'local', slot: outer.body.slot });
  });

  test('qualified and aliased higher-order calls', () => {
    const r = compiles('use stdlib.collection as c\nin ns: List<Int>\nf = c.filter(ns, (x) => x > 1)\ng = stdlib.collection.map(ns, (x: Int) => x > 1)\nout f\nout g');
    assert.deepEqual(outputTypes(r), { f: 'Seq<Int>', g: 'Seq<Boolean>' });
  });

  test('a Seq result is accepted where Seq is expected, not where List is', () => {
    compiles('in ns: List<Int>\ns = list-sum(filter(ns, (x) => x != 0))\nout s');
    expectError('in ns: List<Int>\nf = SumList(map(ns, (x) => x))\nout f', 'E010', 'Type mismatch: expected List<Int>, got Seq<Int>', [2, 13, 2, 30]);
  });

  test('higher-order functions are inline: no module node', () => {
    const r = compiles('in ns: List<Int>\nf = map(ns, (x) => x + 1)\nout f');
    assert.deepEqual(r.dag!.nodes.map((n) => n.kind), ['input', 'transform']);
  });

  test('options on a higher-order call are validated but ignored (W009)', () => {
    const r = compiles('in xs: List<Int>\ny = filter(xs, (x) => x > 1) with retry: 2\nout y');
    const [w] = warningsOf(r);
    assert.equal(w?.code, 'W009');
    assert.equal(w?.message, 'Options on filter are ignored: higher-order functions run inline');
    assert.deepEqual([w!.range.start.line, w!.range.start.column, w!.range.end.line, w!.range.end.column], [2, 35, 2, 43]);
    expectError('in xs: List<Int>\ny = filter(xs, (x) => x > 1) with timeout: 0s\nout y', 'E016', "Invalid value for 'timeout': 0s (must be > 0)", [2, 35, 2, 46]);
  });

  test('the items argument must be a list', () => {
    expectError('in n: Int\ny = map(n, (x) => x)\nout y', 'E010', 'Type mismatch: expected a List or Seq, got Int', [2, 9, 2, 10]);
  });

  test('the second argument must be a lambda', () => {
    // no type variable (U) leaks into the message
    expectError('in xs: List<Int>\ny = map(xs, 3)\nout y', 'E010', 'Type mismatch: expected a lambda taking (Int), got Int', [2, 13, 2, 14]);
  });
});

describe('lambdas', () => {
  test('parameter types come from the element type; an annotation must accept it', () => {
    compiles('in ns: List<Int>\nf = map(ns, (x: Int) => x + 1)\nout f');
    expectError('in ns: List<Int>\nf = map(ns, (x: Float) => x)\nout f', 'E010', 'Type mismatch: expected Float, got Int', [2, 17, 2, 22]);
  });

  test('an annotation may widen the parameter to a supertype', () => {
    const r = compiles('in rs: List<{a: Int, b: String}>\nf = map(rs, (r: {a: Int}) => r.a)\nout f');
    assert.equal(outputType(r, 'f'), 'Seq<Int>');
    expectError('in rs: List<{a: Int, b: String}>\nf = map(rs, (r: {a: Int}) => r.b)\nout f', 'E007', "Invalid field access: field 'b' not found. Available: a", [2, 32, 2, 33]);
  });

  test('closures capture outer variables: the node depends on them', () => {
    const r = compiles('in ns: List<Int>\nin k: Int\nf = map(ns, (x) => x * k + 1)\nout f');
    const node = r.dag!.nodes[2]!;
    assert.equal(node.kind, 'transform');
    assert.deepEqual(node.kind === 'transform' && node.deps, [0, 1]);
  });

  test('a parameter shadows an outer variable of the same name', () => {
    const r = compiles('in ns: List<String>\nin k: Int\ng = map(ns, (k) => k)\nout g');
    assert.equal(outputType(r, 'g'), 'Seq<String>');
    assert.deepEqual((exprOf(r, 'g') as unknown as { body: unknown }).body, { op: 'local', slot: 0 });
  });

  test('division inside a lambda is marked (division by zero yields 0 there)', () => {
    const r = compiles('in ns: List<Int>\nin k: Int\nf = map(ns, (x) => x / k)\ng = k / 2\nout f\nout g');
    assert.deepEqual((exprOf(r, 'f') as unknown as { body: unknown }).body, {
      op: 'arith', fn: '/', num: 'int', left: { op: 'local', slot: 0 }, right: { op: 'ref', node: 1 }, lambda: true,
    });
    assert.equal((exprOf(r, 'g') as unknown as { lambda?: boolean }).lambda, undefined);
  });

  test('!=, if, and/or/not and standard functions are allowed in lambda bodies', () => {
    const r = compiles('in xs: List<String>\na = filter(xs, (s) => s != "" and not contains(s, "x"))\nb = map(xs, (s) => if (string-length(s) > 3) concat(s, "!") else s)\nout a\nout b');
    assert.deepEqual(outputTypes(r), { a: 'Seq<String>', b: 'Seq<String>' });
    const b = exprOf(r, 'b') as unknown as { slot: number; body: { then: unknown } };
    assert.deepEqual(b.body.then, { op: 'call', fn: 'stdlib.concat', args: [{ op: 'local', slot: b.slot }, { op: 'lit', value: '!' }], lambda: true });
  });

  test('guards and interpolation in lambda bodies (a superset of the reference)', () => {
    const r = compiles('in ns: List<Int>\nf = map(ns, (x) => x when x > 1)\ng = map(ns, (x) => "n=${x}")\nout f\nout g');
    assert.deepEqual(outputTypes(r), { f: 'Seq<Optional<Int>>', g: 'Seq<String>' });
  });

  test('lambda errors: arity, annotation needed, not in a higher-order position, lambda-returning lambda', () => {
    expectError('in ns: List<Int>\nf = map(ns, () => 1)\nout f', 'E015', 'Lambda has 0 parameter(s) but expected 1', [2, 13, 2, 20]);
    expectError('in ns: List<Int>\nf = map(ns, (x) => (y) => y)\nout f', 'E015', /^Lambda parameter 'y' requires a type annotation/, [2, 21, 2, 22]);
    expectError('in ns: List<Int>\nf = Max((x: Int) => x)\nout f', 'E015', /^Lambda expression cannot be used in this context/, [2, 9, 2, 22]);
  });

  test('x => x + 1 without parentheses is a syntax error', () => {
    expectError('in xs: List<Int>\ny = map(xs, v => v)\nout y', 'E020', "Parse error: expected ')' to close the arguments of map, found '=>'", [2, 15, 2, 17]);
  });
});
