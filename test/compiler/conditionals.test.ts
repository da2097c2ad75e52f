import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CompileResult } from '../../runtime/compiler/compile.js';
import type { DagNode, Gate } from '../../runtime/compiler/dag.js';
import { compiles, exprOf, expectError, nodeOf, outputType, outputTypes } from '../helpers/diagnostics.js';

/**
 * if / branch / guards / coalesce / match: result types, union tags, and
 * the gates that keep untaken module calls from running (docs/decisions.md #6).
 */

function modules(r: CompileResult): DagNode[] {
  return r.dag!.nodes.filter((n) => n.kind === 'module');
}

function moduleNamed(r: CompileResult, fn: string): DagNode {
  const m = modules(r).find((n) => n.kind === 'module' && n.function === fn);
  assert.ok(m, `no module node for ${fn}`);
  return m;
}

/** Every gate a node is (transitively) under: its gate, the gate of its gate node, and so on. */
function gateChain(r: CompileResult, node: DagNode): Gate[] {
  const chain: Gate[] = [];
  let g = node.gate;
  while (g) {
    chain.push(g);
    g = r.dag!.nodes[g.node]!.gate;
  }
  return chain;
}

/** Does the chain test `input` with `test` (directly, or through an alias of it)? */
function testsInput(r: CompileResult, chain: readonly Gate[], input: string, test: Gate['test']): boolean {
  const id = r.dag!.inputs.find((i) => i.name === input)!.node;
  return chain.some((g) => {
    if (g.test !== test) return false;
    if (g.node === id) return true;
    const n = r.dag!.nodes[g.node]!;
    return n.kind === 'transform' && n.expr.op === 'ref' && n.expr.node === id;
  });
}

describe('if / else', () => {
  test('the result type is the lub of the arms', () => {
    const r = compiles('in c: Boolean\na = if (c) 1 else 2\nb = if (c) 1 else 2.5\nk = if (c) {a: 1, b: 2} else {a: 3}\nl = if (c) [1] else []\nout a\nout b\nout k\nout l');
    assert.deepEqual(outputTypes(r), { a: 'Int', b: 'Float | Int', k: '{ a: Int }', l: 'List<Int>' });
  });

  test('arms of different types are injected into the union with their tags', () => {
    const r = compiles('in c: Boolean\nx = if (c) 1 else "s"\nout x');
    assert.deepEqual(exprOf(r, 'x'), {
      op: 'if',
      cond: { op: 'ref', node: 0 },
      then: { op: 'coerce', source: { op: 'lit', value: 1 }, coercion: { c: 'inject', tag: 'Int' } },
      else: { op: 'coerce', source: { op: 'lit', value: 's' }, coercion: { c: 'inject', tag: 'String' } },
    });
  });

  test('the branches are greedy: if (c) 1 else 2 + 3 is if (c) 1 else (2 + 3)', () => {
    const r = compiles('in c: Boolean\nx = if (c) 1 else 2 + 3\nout x');
    assert.equal((exprOf(r, 'x') as unknown as { else: { op: string } }).else.op, 'arith');
  });

  test('module calls in the arms are gated on the condition', () => {
    const r = compiles('in c: Boolean\nin t: String\na = if (c) Uppercase(t) else Lowercase(t)\nout a');
    assert.deepEqual(moduleNamed(r, 'Uppercase').gate, { node: 0, test: 'true' });
    assert.deepEqual(moduleNamed(r, 'Lowercase').gate, { node: 0, test: 'false' });
  });

  test('pure arms need no gates', () => {
    const r = compiles('in c: Boolean\nin n: Int\na = if (c) n + 1 else n * 2\nout a');
    assert.ok(r.dag!.nodes.every((n) => n.gate === undefined));
  });

  test('a nested conditional on an input stays under the enclosing gate', () => {
    // the inner call must not run when x is false, although its own condition is the input c
    const r = compiles('in x: Boolean\nin c: Boolean\nin t: String\ny = if (x) (if (c) AlwaysFailsService(t) else t) else t\nout y');
    const chain = gateChain(r, moduleNamed(r, 'AlwaysFailsService'));
    assert.ok(testsInput(r, chain, 'c', 'true'), JSON.stringify(chain));
    assert.ok(testsInput(r, chain, 'x', 'true'), `the call escapes the outer gate: ${JSON.stringify(chain)}`);
  });
});

describe('branch', () => {
  test('the result type is the common type of every arm including otherwise', () => {
    const r = compiles('in c: Boolean\nb = branch { c -> "x", not c -> "y", otherwise -> "z" }\nu = branch { c -> 1, otherwise -> "s" }\no = branch { otherwise -> 1.5 }\nout b\nout u\nout o');
    assert.deepEqual(outputTypes(r), { b: 'String', u: 'Int | String', o: 'Float' });
  });

  test('each arm runs only if every earlier condition was false', () => {
    const r = compiles('in c: Boolean\nin d: Boolean\nin t: String\nb = branch { c -> Uppercase(t), d -> Lowercase(t), otherwise -> Trim(t) }\nout b');
    const upper = gateChain(r, moduleNamed(r, 'Uppercase'));
    const lower = gateChain(r, moduleNamed(r, 'Lowercase'));
    const trim = gateChain(r, moduleNamed(r, 'Trim'));
    assert.ok(testsInput(r, upper, 'c', 'true'));
    assert.ok(testsInput(r, lower, 'd', 'true') && testsInput(r, lower, 'c', 'false'), `Lowercase: ${JSON.stringify(lower)}`);
    assert.ok(testsInput(r, trim, 'd', 'false') && testsInput(r, trim, 'c', 'false'), `Trim: ${JSON.stringify(trim)}`);
    const e = exprOf(r, 'b') as unknown as { op: string; conds: unknown[]; bodies: unknown[] };
    assert.equal(e.op, 'branch');
    assert.equal(e.conds.length, 2);
    assert.equal(e.bodies.length, 2);
  });
});

describe('guard (when)', () => {
  test('e when c is Optional<type(e)>; an optional e nests', () => {
    const r = compiles('in c: Boolean\ng = 5 when c\nj = g when c\nout g\nout j');
    assert.deepEqual(outputTypes(r), { g: 'Optional<Int>', j: 'Optional<Optional<Int>>' });
    assert.deepEqual(exprOf(r, 'g'), { op: 'when', value: { op: 'lit', value: 5 }, cond: { op: 'ref', node: 0 } });
  });

  test('x + 1 when flag guards the whole sum; a or b when c guards the disjunction', () => {
    const r = compiles('in x: Int\nin f: Boolean\ng = x + 1 when f\nh = f or f when f\nout g\nout h');
    assert.equal((exprOf(r, 'g') as unknown as { value: { op: string } }).value.op, 'arith');
    assert.deepEqual(outputTypes(r), { g: 'Optional<Int>', h: 'Optional<Boolean>' });
  });

  test('a guarded module call runs only when the guard holds', () => {
    const r = compiles('in c: Boolean\nin t: String\ny = Uppercase(t) when c\nout y');
    assert.deepEqual(moduleNamed(r, 'Uppercase').gate, { node: 0, test: 'true' });
  });
});

describe('coalesce (??)', () => {
  test('Optional<T> ?? T is T; Optional<T> ?? Optional<T> is Optional<T>', () => {
    const r = compiles('in o: Optional<Int>\nin p: Optional<Int>\nh = o ?? 3\ni = o ?? p\nout h\nout i');
    assert.deepEqual(outputTypes(r), { h: 'Int', i: 'Optional<Int>' });
    assert.equal((exprOf(r, 'h') as unknown as { keepOptional: boolean }).keepOptional, false);
    assert.equal((exprOf(r, 'i') as unknown as { keepOptional: boolean }).keepOptional, true);
  });

  test('right-associative: a ?? b ?? c is a ?? (b ?? c)', () => {
    const r = compiles('in a: Optional<Int>\nin b: Optional<Int>\nx = a ?? b ?? 0\nout x');
    assert.equal(outputType(r, 'x'), 'Int');
    const e = exprOf(r, 'x') as unknown as { left: unknown; right: { op: string } };
    assert.deepEqual(e.left, { op: 'ref', node: 0 });
    assert.equal(e.right.op, 'coalesce');
  });

  test('a when b ?? c is (a when b) ?? c', () => {
    const r = compiles('in b: Boolean\nx = 1 when b ?? 2\nout x');
    assert.equal(outputType(r, 'x'), 'Int');
    assert.equal((exprOf(r, 'x') as unknown as { left: { op: string } }).left.op, 'when');
  });

  test('a subtype of the inner type is accepted on the right', () => {
    const r = compiles('in o: Optional<{a: Int}>\nx = o ?? {a: 1, b: 2}\nout x');
    assert.equal(outputType(r, 'x'), '{ a: Int }');
  });

  test('the right side runs only when the left is absent', () => {
    const r = compiles('in o: Optional<String>\nr = o ?? Uppercase("x")\nout r');
    assert.deepEqual(moduleNamed(r, 'Uppercase').gate, { node: 0, test: 'absent' });
  });

  test('errors: non-optional left side, wrong right side', () => {
    expectError('in x: Int\ny = x ?? 1\nout y', 'E015', 'Left side of ?? must be Optional, got Int', [2, 5, 2, 6]);
    expectError('in o: Optional<Int>\nx = o ?? 1.5\nout x', 'E010', 'Type mismatch: expected Int, got Float', [2, 10, 2, 13]);
  });
});

describe('and / or / not', () => {
  test('precedence: not binds tighter than and, and tighter than or; not x > 5 is not (x > 5)', () => {
    const r = compiles('in a: Boolean\nin b: Boolean\nin x: Int\np = not a and b\nq = a or b and a\nn = not x > 5\nout p\nout q\nout n');
    assert.equal((exprOf(r, 'p') as unknown as { op: string }).op, 'and');
    assert.equal((exprOf(r, 'q') as unknown as { op: string; right: { op: string } }).right.op, 'and');
    assert.deepEqual(exprOf(r, 'n'), { op: 'not', operand: { op: 'cmp', fn: '>', left: { op: 'ref', node: 2 }, right: { op: 'lit', value: 5 } } });
  });

  test('the right side of and/or runs only when needed', () => {
    const r = compiles('in c: Boolean\nin t: String\nx = c and Contains(t, "a")\ny = c or Contains(t, "b")\nout x\nout y');
    const [and, or] = modules(r);
    assert.deepEqual(and!.gate, { node: 0, test: 'true' });
    assert.deepEqual(or!.gate, { node: 0, test: 'false' });
  });
});

describe('comparisons', () => {
  test('Int, Float, String equality, Boolean equality, numeric ordering', () => {
    const r = compiles('in s: String\na = 1 == 2\nb = s != "x"\nc = 1.5 < 2.5\nd = true == false\ne = 1 == 2.0\nf = 3 >= 2\nout a\nout b\nout c\nout d\nout e\nout f');
    for (const v of ['a', 'b', 'c', 'd', 'e', 'f']) assert.equal(outputType(r, v), 'Boolean');
    assert.deepEqual(exprOf(r, 'b'), { op: 'cmp', fn: '!=', left: { op: 'ref', node: 0 }, right: { op: 'lit', value: 'x' } });
  });
});

describe('match', () => {
  test('record patterns bind fields; type tests and wildcard; the result is the common type', () => {
    const r = compiles('in u: {value: Int, status: String} | String | Int\nr = match u { {value, status} -> status, is String -> "s", _ -> "other" }\nout r');
    assert.equal(outputType(r, 'r'), 'String');
    const e = exprOf(r, 'r') as unknown as { op: string; cases: { tags: string[] | null; bind: { field: string }[] }[] };
    assert.equal(e.op, 'match');
    // union tags: the printed member types each case accepts; _ takes the rest
    assert.deepEqual(e.cases.map((c) => c.tags), [['{ value: Int, status: String }'], ['String'], ['Int']]);
    assert.deepEqual(e.cases[0]!.bind.map((b) => b.field), ['value', 'status']);
  });

  test('a record pattern matches every record member having the listed fields', () => {
    const r = compiles('in u: {a: Int} | {a: Int, b: String} | String\nx = match u { {a} -> a, _ -> 0 }\nout x');
    const e = exprOf(r, 'x') as unknown as { cases: { tags: string[] | null }[] };
    assert.deepEqual(e.cases[0]!.tags, ['{ a: Int }', '{ a: Int, b: String }']);
    assert.equal(outputType(r, 'x'), 'Int');
  });

  test('a binding whose type differs between members gets their union, with per-tag coercions', () => {
    const r = compiles('in u: {a: Int} | {a: Float}\nx = match u { {a} -> a }\nout x');
    assert.equal(outputType(r, 'x'), 'Float | Int');
    const e = exprOf(r, 'x') as unknown as { cases: { bind: { coerce?: Record<string, unknown> }[] }[] };
    assert.deepEqual(e.cases[0]!.bind[0]!.coerce, { '{ a: Float }': { c: 'inject', tag: 'Float' }, '{ a: Int }': { c: 'inject', tag: 'Int' } });
  });

  test('a type alias in an is pattern', () => {
    const r = compiles('type P = {name: String}\nin u: P | Int\nx = match u { is P -> "p", is Int -> "i" }\nout x');
    const e = exprOf(r, 'x') as unknown as { cases: { tags: string[] | null }[] };
    assert.deepEqual(e.cases.map((c) => c.tags), [['{ name: String }'], ['Int']]);
  });

  test('a match on a non-union value has untagged cases', () => {
    const r = compiles('in r: {a: Int}\nx = match r { {a} -> a + 1 }\nout x');
    const e = exprOf(r, 'x') as unknown as { cases: { tags: string[] | null }[] };
    assert.deepEqual(e.cases.map((c) => c.tags), [null]);
  });

  test('pattern bindings shadow outer variables in the case body only', () => {
    const r = compiles('in a: String\nin u: {a: Int} | String\nx = match u { {a} -> a, is String -> 0 }\ny = a\nout x\nout y');
    assert.deepEqual(outputTypes(r), { x: 'Int', y: 'String' });
  });

  test('module calls in case bodies run only for the selected case', () => {
    const r = compiles('in u: {v: String} | String\nr = match u { {v} -> Uppercase(v), is String -> "s" }\nout r');
    const upper = moduleNamed(r, 'Uppercase');
    assert.equal(upper.gate?.test, 'case');
    assert.equal(upper.gate?.index, 0);
    const selector = r.dag!.nodes[upper.gate!.node]!;
    assert.equal(selector.kind === 'transform' && selector.expr.op, 'matchIndex');
    assert.equal((exprOf(r, 'r') as unknown as { op: string }).op, 'select');
    assert.equal(nodeOf(r, 'r').type.k, 'String');
  });

  test('match scrutinee must be a primary; parentheses make it one', () => {
    compiles('in r: {k: Int}\nx = match (r.k) { _ -> 1 }\nout x');
  });
});
