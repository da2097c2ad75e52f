import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalType, commonType, isSubtype, lub, mergeTypes, printType, T, typeEquals, type Type } from '../../runtime/types/type.js';
import { compiles, expectError, outputType, outputTypes } from '../helpers/diagnostics.js';

/**
 * Types: type expressions and aliases as the compiler resolves them, the
 * type-level merge, and the subtyping / lub / printing rules of runtime/types/type.ts.
 */

const rec = (...fields: [string, Type][]): Type => T.record(fields);

describe('type expressions and aliases', () => {
  test('primitives, parameterised types, records, unions', () => {
    const r = compiles('in a: List<List<Int>>\nin b: Optional<String>\nin c: Map<String, List<Int>>\nin d: Seq<Boolean>\nin e: {x: Int, y: {z: Float}}\nin f: {}\nin g: Int | String | Boolean\nout a\nout b\nout c\nout d\nout e\nout f\nout g');
    assert.deepEqual(outputTypes(r), {
      a: 'List<List<Int>>',
      b: 'Optional<String>',
      c: 'Map<String, List<Int>>',
      d: 'Seq<Boolean>',
      e: '{ x: Int, y: { z: Float } }',
      f: '{  }',
      g: 'Boolean | Int | String',
    });
  });

  test('Candidates<T> is Seq<T>', () => {
    const r = compiles('in d: Candidates<Int>\nout d');
    assert.equal(outputType(r, 'd'), 'Seq<Int>');
  });

  test('unions are flattened and deduplicated, through aliases too', () => {
    const r = compiles('type U = Int | String\nin u: String | U | Int | Boolean\nin v: U | Int\nout u\nout v');
    assert.deepEqual(outputTypes(r), { u: 'Boolean | Int | String', v: 'Int | String' });
  });

  test('a record type with a duplicate field: the last wins', () => {
    const r = compiles('in r: {a: Int, a: String}\nout r');
    assert.equal(outputType(r, 'r'), '{ a: String }');
  });

  test('aliases, redefinition shadows for later declarations', () => {
    const r = compiles('type A = {a: Int}\nin x: A\ntype A = {b: String}\nin y: A\nout x\nout y');
    assert.deepEqual(outputTypes(r), { x: '{ a: Int }', y: '{ b: String }' });
  });

  test('an alias named like a primitive has no effect', () => {
    const r = compiles('type Int = String\nin x: Int\nout x');
    assert.equal(outputType(r, 'x'), 'Int');
  });

  test('aliases are not recursive', () => {
    expectError('type T = List<T>\nin x: T\nout x', 'E003', 'Undefined type: T', [1, 15, 1, 16]);
  });

  test('type-level merge: A + B, and A + B | C is (A + B) | C', () => {
    const r = compiles('type A = {a: Int}\ntype B = {b: String, a: Float}\ntype AB = A + B\ntype C = A + B | String\nin x: AB\nin c: C\nout x\nout c');
    assert.deepEqual(outputTypes(r), { x: '{ a: Float, b: String }', c: 'String | { a: Float, b: String }' });
  });

  test('type-level merge of lists of records and of a record with a list', () => {
    const r = compiles('type L = List<{a: Int}> + {b: Int}\ntype R = {c: Int} + List<{a: Int}>\ntype Z = List<{a: Int}> + List<{d: Int}>\nin l: L\nin r: R\nin z: Z\nout l\nout r\nout z');
    assert.deepEqual(outputTypes(r), { l: 'List<{ a: Int, b: Int }>', r: 'List<{ c: Int, a: Int }>', z: 'List<{ a: Int, d: Int }>' });
  });

  test('invalid type-level merges are E012', () => {
    expectError('type X = {a: Int} + String\nin x: X\nout x', 'E012', 'Cannot merge types: { a: Int } + String: only records, and lists or sequences of records, can be merged', [1, 10, 1, 27]);
    expectError('type X = List<Int> + {a: Int}\nin x: X\nout x', 'E012', /^Cannot merge types: List<Int> \+ \{ a: Int \}/, [1, 10, 1, 30]);
  });

  test('a type alias used as a record literal target (checked field by field)', () => {
    const r = compiles('type P = {name: String, tags: List<String>}\n@example({name: "a", tags: []})\nin p: P\nout p');
    assert.equal(outputType(r, 'p'), '{ name: String, tags: List<String> }');
  });
});

describe('assignments are inferred and aliases add no node', () => {
  test('x = y aliases y: the output points at the input node', () => {
    const r = compiles('in y: Int\nx = y\nout x');
    assert.equal(r.dag!.nodes.length, 1);
    assert.equal(r.dag!.outputs[0]!.node, 0);
  });

  test('rebinding a name: out uses the binding visible at the out declaration', () => {
    const r = compiles('in x: Int\nout x\nx = "s"\ny = x\nout y');
    assert.deepEqual(outputTypes(r), { x: 'Int', y: 'String' });
  });

  test('the same name output twice appears once', () => {
    const r = compiles('in x: Int\nout x\nout x');
    assert.deepEqual(r.dag!.outputs.map((o) => o.name), ['x']);
  });
});

describe('subtyping (runtime/types/type.ts)', () => {
  test('reflexive, Nothing is bottom, no numeric widening', () => {
    assert.ok(isSubtype(T.Int, T.Int));
    assert.ok(isSubtype(T.Nothing, T.String));
    assert.ok(!isSubtype(T.Int, T.Float));
    assert.ok(!isSubtype(T.Float, T.Int));
  });

  test('List <: Seq but not Seq <: List; covariant elements', () => {
    assert.ok(isSubtype(T.list(T.Int), T.seq(T.Int)));
    assert.ok(!isSubtype(T.seq(T.Int), T.list(T.Int)));
    assert.ok(isSubtype(T.list(T.Nothing), T.list(T.String)));
    assert.ok(!isSubtype(T.list(T.Int), T.list(T.String)));
  });

  test('Optional: covariant, and T is not an Optional<T>', () => {
    assert.ok(isSubtype(T.optional(rec(['a', T.Int], ['b', T.Int])), T.optional(rec(['a', T.Int]))));
    assert.ok(!isSubtype(T.Int, T.optional(T.Int)));
  });

  test('Map: identical keys, covariant values', () => {
    assert.ok(isSubtype(T.map(T.String, T.list(T.Int)), T.map(T.String, T.seq(T.Int))));
    assert.ok(!isSubtype(T.map(T.Int, T.Int), T.map(T.String, T.Int)));
  });

  test('records: width and depth', () => {
    assert.ok(isSubtype(rec(['a', T.Int], ['b', T.String]), rec(['a', T.Int])));
    assert.ok(!isSubtype(rec(['a', T.Int]), rec(['a', T.Int], ['b', T.String])));
    assert.ok(isSubtype(rec(['r', rec(['x', T.Int], ['y', T.Int])]), rec(['r', rec(['x', T.Int])])));
    assert.ok(isSubtype(rec(['b', T.String], ['a', T.Int]), rec(['a', T.Int], ['b', T.String])), 'field order is not significant');
  });

  test('open records: a closed record with the fields is a subtype, never the reverse', () => {
    const open = T.record([['a', T.Int]], true);
    assert.ok(isSubtype(rec(['a', T.Int], ['b', T.Int]), open));
    assert.ok(!isSubtype(open, rec(['a', T.Int])));
    assert.equal(printType(open), '{ a: Int, ... }');
  });

  test('unions: the complete rule (A|B <: A|B|C)', () => {
    const ab = T.union([T.Int, T.String]);
    const abc = T.union([T.Int, T.String, T.Boolean]);
    assert.ok(isSubtype(T.Int, ab));
    assert.ok(isSubtype(ab, abc));
    assert.ok(!isSubtype(abc, ab));
  });

  test('functions: contravariant parameters, covariant result', () => {
    const f = T.fn([rec(['a', T.Int])], rec(['x', T.Int], ['y', T.Int]));
    const g = T.fn([rec(['a', T.Int], ['b', T.Int])], rec(['x', T.Int]));
    assert.ok(isSubtype(f, g));
    assert.ok(!isSubtype(g, f));
  });
});

describe('lub, commonType, union construction, printing', () => {
  test('lub of records keeps the common fields; Int and Float give a union', () => {
    assert.equal(printType(lub(rec(['a', T.Int], ['b', T.Int]), rec(['a', T.Int]))), '{ a: Int }');
    assert.equal(printType(lub(T.Int, T.Float)), 'Float | Int');
    assert.equal(printType(commonType([T.Nothing, T.Int, T.Int])), 'Int');
    assert.equal(printType(commonType([])), 'Nothing');
    assert.equal(printType(commonType([T.list(T.Int), T.list(T.Nothing)])), 'List<Int>');
  });

  test('unions flatten, deduplicate, drop Nothing, collapse a single member, and sort', () => {
    assert.equal(printType(T.union([T.String, T.union([T.Int, T.String]), T.Nothing])), 'Int | String');
    assert.equal(printType(T.union([T.Int, T.Int])), 'Int');
    assert.deepEqual(T.union([]), T.Nothing);
    assert.ok(typeEquals(T.union([T.Int, T.String]), T.union([T.String, T.Int])));
  });

  test('printed forms', () => {
    assert.equal(printType(rec()), '{  }');
    assert.equal(printType(rec(['a', T.Int], ['b', T.String])), '{ a: Int, b: String }');
    assert.equal(printType(T.map(T.String, T.optional(T.list(T.Int)))), 'Map<String, Optional<List<Int>>>');
    assert.equal(printType(T.fn([T.Int], T.Boolean)), '(Int) => Boolean');
  });

  test('canonicalType ignores record field order; printType keeps it', () => {
    const ab = rec(['a', T.Int], ['b', T.String]);
    const ba = rec(['b', T.String], ['a', T.Int]);
    assert.equal(canonicalType(ab), canonicalType(ba));
    assert.notEqual(printType(ab), printType(ba));
    assert.ok(typeEquals(ab, ba));
  });

  test('mergeTypes: right wins, shapes, and the Seq/List mismatch', () => {
    const m = mergeTypes(rec(['a', T.Int]), rec(['a', T.String], ['b', T.Int]));
    assert.ok('type' in m && printType(m.type) === '{ a: String, b: Int }' && m.shape === 'record');
    const z = mergeTypes(T.seq(rec(['a', T.Int])), T.list(rec(['b', T.Int])));
    assert.ok('error' in z);
  });
});
