import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compiles, exprOf, expectError, outputType, outputTypes } from '../helpers/diagnostics.js';

/** Records, merge, projection and field access, on records and lists of records. */

describe('record literals', () => {
  test('field types are inferred; {} is the empty record', () => {
    const r = compiles('x = {name: "a", n: 1, ok: true, xs: [1.5]}\ne = {}\nout x\nout e');
    assert.deepEqual(outputTypes(r), { x: '{ name: String, n: Int, ok: Boolean, xs: List<Float> }', e: '{  }' });
    assert.deepEqual(exprOf(r, 'e'), { op: 'record', fields: [] });
  });

  test('a duplicate field: the last one wins in the type', () => {
    const r = compiles('x = {a: 1, a: "s"}\nout x');
    assert.equal(outputType(r, 'x'), '{ a: String }');
  });

  test('nested records', () => {
    const r = compiles('x = {p: {q: {r: 1}}}\ny = x.p.q.r\nout y');
    assert.equal(outputType(r, 'y'), 'Int');
  });
});

describe('merge (+)', () => {
  test('record + record: all fields, the right side wins a clash (type included)', () => {
    const r = compiles('in a: {x: Int, y: String}\nin b: {y: Int, z: Boolean}\nm = a + b\nout m');
    assert.equal(outputType(r, 'm'), '{ x: Int, y: Int, z: Boolean }');
    assert.deepEqual(exprOf(r, 'm'), { op: 'merge', left: { op: 'ref', node: 0 }, right: { op: 'ref', node: 1 }, shape: 'record' });
  });

  test('merge is shallow: a nested record field is replaced, not merged', () => {
    const r = compiles('in a: {n: {x: Int, y: Int}}\nin b: {n: {z: Int}}\nm = a + b\nout m');
    assert.equal(outputType(r, 'm'), '{ n: { z: Int } }');
  });

  test('merge with a record literal', () => {
    const r = compiles('in a: {x: Int}\nm = a + {x: "s", w: 1.5}\nout m');
    assert.equal(outputType(r, 'm'), '{ x: String, w: Float }');
  });

  test('List<record> + record broadcasts to every element', () => {
    const r = compiles('in xs: List<{a: Int, b: String}>\nin r: {c: Float}\nm = xs + r\nout m');
    assert.equal(outputType(r, 'm'), 'List<{ a: Int, b: String, c: Float }>');
    assert.equal((exprOf(r, 'm') as unknown as { shape: string }).shape, 'broadcast-right');
  });

  test('record + List<record> merges under every element (element fields win)', () => {
    const r = compiles('in xs: List<{a: Int}>\nin r: {a: String, c: Float}\nm = r + xs\nout m');
    assert.equal(outputType(r, 'm'), 'List<{ a: Int, c: Float }>');
    assert.equal((exprOf(r, 'm') as unknown as { shape: string }).shape, 'broadcast-left');
  });

  test('List<record> + List<record> zips element-wise', () => {
    const r = compiles('in xs: List<{a: Int}>\nin ys: List<{b: String}>\nm = xs + ys\nout m');
    assert.equal(outputType(r, 'm'), 'List<{ a: Int, b: String }>');
    assert.equal((exprOf(r, 'm') as unknown as { shape: string }).shape, 'zip');
  });

  test('the three shapes exist for Seq too', () => {
    const r = compiles('in xs: Seq<{a: Int}>\nin ys: Seq<{b: Int}>\nin r: {c: Int}\nz = xs + ys\nbr = xs + r\nbl = r + ys\nout z\nout br\nout bl');
    assert.deepEqual(outputTypes(r), { z: 'Seq<{ a: Int, b: Int }>', br: 'Seq<{ a: Int, c: Int }>', bl: 'Seq<{ c: Int, b: Int }>' });
  });

  test('List + Seq of records is E012, a record + Int is E014', () => {
    expectError('in xs: List<{a: Int}>\nin ys: Seq<{b: Int}>\nm = xs + ys\nout m', 'E012', /^Cannot merge types: List<\{ a: Int \}> \+ Seq<\{ b: Int \}>: List and Seq cannot be merged element-wise/, [3, 5, 3, 12]);
    expectError('in r: {a: Int}\nm = r + 1\nout m', 'E014', "Arithmetic operator '+' is not supported for types { a: Int } and Int", [2, 7, 2, 8]);
  });
});

describe('projection', () => {
  test('bracket and brace forms are equivalent', () => {
    const r = compiles('in r: {id: Int, name: String, age: Int}\np = r[id, name]\nq = r{id, name}\nout p\nout q');
    assert.deepEqual(outputTypes(r), { p: '{ id: Int, name: String }', q: '{ id: Int, name: String }' });
    assert.deepEqual(exprOf(r, 'p'), { op: 'project', source: { op: 'ref', node: 0 }, names: ['id', 'name'], each: false });
    assert.deepEqual(exprOf(r, 'q'), exprOf(r, 'p'));
  });

  test('the projected record has exactly the listed fields, in the listed order', () => {
    const r = compiles('in r: {a: Int, b: String, c: Boolean}\np = r[c, a]\nout p');
    assert.equal(outputType(r, 'p'), '{ c: Boolean, a: Int }');
  });

  test('projection on a list of records applies to every element', () => {
    const r = compiles('in xs: List<{a: Int, b: String}>\np = xs[b]\nout p');
    assert.equal(outputType(r, 'p'), 'List<{ b: String }>');
    assert.equal((exprOf(r, 'p') as unknown as { each: boolean }).each, true);
  });

  test('projection of a merge result', () => {
    const r = compiles('in a: {x: Int}\nin b: {y: String}\np = (a + b){y}\nout p');
    assert.equal(outputType(r, 'p'), '{ y: String }');
  });
});

describe('field access', () => {
  test('on a record', () => {
    const r = compiles('in r: {name: String, age: Int}\nf = r.age\nout f');
    assert.equal(outputType(r, 'f'), 'Int');
    assert.deepEqual(exprOf(r, 'f'), { op: 'field', source: { op: 'ref', node: 0 }, name: 'age', each: false });
  });

  test('on a list of records, and chained (people.address.city : List<String>)', () => {
    const r = compiles('in ps: List<{name: String, address: {city: String, zip: Int}}>\nc = ps.address.city\nout c');
    assert.equal(outputType(r, 'c'), 'List<String>');
    assert.deepEqual(exprOf(r, 'c'), {
      op: 'field',
      source: { op: 'field', source: { op: 'ref', node: 0 }, name: 'address', each: true },
      name: 'city',
      each: true,
    });
  });

  test('on a Seq of records gives a Seq', () => {
    const r = compiles('in xs: Seq<{a: Int}>\nf = xs.a\nout f');
    assert.equal(outputType(r, 'f'), 'Seq<Int>');
  });

  test('a.b not followed by ( is field access; a.b(x) is a call', () => {
    const r = compiles('in stdlib: {math: Int}\nf = stdlib.math\ng = stdlib.math.abs(f)\nout f\nout g');
    assert.deepEqual(outputTypes(r), { f: 'Int', g: 'Int' });
    assert.equal(r.dag!.nodes.filter((n) => n.kind === 'module').length, 1);
  });

  test('on unions and non-records is E015', () => {
    expectError('in u: {a: Int} | {a: String}\nf = u.a\nout f', 'E015', 'Field access requires a record type, got { a: Int } | { a: String }', [2, 7, 2, 8]);
    expectError('in xs: List<Int>\nf = xs.a\nout f', 'E015', 'Field access requires a record type, got List<Int>', [2, 8, 2, 9]);
  });
});
