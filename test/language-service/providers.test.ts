import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  analyze, codeActionsFor, completionsAt, diagnosticsFor, encodeTokens, hoverAt, prepareRenameAt, renameAt, semanticTokensOf,
  signatureHelpAt, tokensEdits, inputSchemaOf, type Analysis,
} from '../../server/language-service/index.js';
import { FunctionRegistry } from '../../runtime/compiler/registry.js';
import { exampleRegistry } from '../helpers/registry.js';
import { T } from '../../runtime/types/type.js';

/**
 * The language service's providers as pure functions of a document's analysis: the cases the
 * WebSocket suite does not reach (broken lines, scopes, imports, a registry that changes).
 */

const pos = (line: number, character: number) => ({ line, character });
const labels = (a: Analysis, line: number, character: number) => completionsAt(a, pos(line, character)).items.map((i) => i.label);

describe('completion', () => {
  test('fields while the line being typed does not parse', () => {
    const a = analyze('in p: { name: String, age: Int }\nx = p.\nout p\n', exampleRegistry());
    assert.deepEqual(labels(a, 1, 6).sort(), ['age', 'name']);
    assert.deepEqual(labels(a, 1, 5), labels(a, 1, 5)); // stable
  });

  test('lambda parameters and pattern bindings are in scope only inside their bodies', () => {
    const a = analyze('in xs: List<{ v: Int }>\nys = filter(xs, (item) => item.v > 1)\nout ys\n', exampleRegistry());
    assert.deepEqual(labels(a, 1, 31), ['v']); // after `item.`
    assert.ok(!labels(a, 2, 4).includes('item'));
  });

  test('namespaces after use, and members after a namespace or an alias', () => {
    const a = analyze('use stdlib.math as m\nin a: Int\nx = m.\nout a\n', exampleRegistry());
    assert.ok(labels(a, 2, 6).includes('add'));
    const u = analyze('use stdlib.\nin a: Int\nout a\n', exampleRegistry());
    const items = completionsAt(u, pos(0, 11)).items;
    assert.ok(items.some((i) => i.label === 'stdlib.math'));
    assert.deepEqual(items.find((i) => i.label === 'stdlib.math')!.textEdit, { range: { start: pos(0, 4), end: pos(0, 11) }, newText: 'stdlib.math' });
  });

  test('function names follow the imports', () => {
    const plain = analyze('in a: Int\nx = \nout a\n', exampleRegistry());
    assert.ok(labels(plain, 1, 4).includes('add'));
    const imported = analyze('use stdlib.string\nin a: Int\nx = \nout a\n', exampleRegistry());
    const l = labels(imported, 2, 4);
    assert.ok(l.includes('concat') && l.includes('stdlib.math.add') && !l.includes('add'));
  });

  test('duration units after a number, types in a type position, `with` after a call', () => {
    const a = analyze('in t: St\nx = Uppercase(t) with timeout: 30\ny = Uppercase(t) \nout x\n', exampleRegistry());
    assert.deepEqual(labels(a, 1, 33), ['ms', 's', 'min', 'h', 'd']);
    assert.deepEqual(labels(a, 0, 8), ['String']);
    assert.deepEqual(labels(a, 2, 17), ['with']);
  });

  test('modules registered later are offered at once (the registry is read per request)', () => {
    const registry = new FunctionRegistry();
    const before = analyze('x = \nout x\n', registry);
    assert.ok(!labels(before, 0, 4).includes('Shiny'));
    registry.register({ name: 'Shiny', params: [{ name: 'a', type: T.Int }], returns: T.Int, outputField: 'out', module: 'Shiny', kind: 'module' });
    const after = analyze('x = \nout x\n', registry);
    assert.ok(labels(after, 0, 4).includes('Shiny'));
  });
});

describe('hover, signature help, rename, quick fixes', () => {
  test('hover on options and strategies inside with', () => {
    const a = analyze('in t: String\nx = Uppercase(t) with retry: 3, backoff: exponential\nout x\n', exampleRegistry());
    assert.match(hoverAt(a, pos(1, 24))!.contents && (hoverAt(a, pos(1, 24))!.contents as { value: string }).value, /retry: Int/);
    assert.match((hoverAt(a, pos(1, 45))!.contents as { value: string }).value, /\(Backoff Strategy\)/);
  });

  test('signature help counts arguments at the right nesting level', () => {
    const a = analyze('in a: Int\nx = stdlib.math.add(stdlib.math.max(a, 1), \nout a\n', exampleRegistry());
    const outer = signatureHelpAt(a, pos(1, 44))!;
    assert.match(outer.signatures[0]!.label, /^stdlib\.math\.add/);
    assert.equal(outer.activeParameter, 1);
    const inner = signatureHelpAt(a, pos(1, 38))!;
    assert.match(inner.signatures[0]!.label, /^stdlib\.math\.max/);
    assert.equal(inner.activeParameter, 1);
    assert.equal(signatureHelpAt(a, pos(0, 3)), null);
  });

  test('rename: inputs and aliases rename every use; pattern bindings are refused', () => {
    const a = analyze('type P = { v: Int }\nin p: P\nq = p\nout q\n', exampleRegistry());
    const edit = renameAt(a, 'u', pos(1, 3), 'point');
    assert.deepEqual(edit.changes!.u!.map((e) => e.range.start.line), [1, 2]);
    const alias = renameAt(a, 'u', pos(0, 5), 'Point');
    assert.deepEqual(alias.changes!.u!.map((e) => [e.range.start.line, e.range.start.character]), [[0, 5], [1, 6]]);
    const m = analyze('type U = { a: Int } | { b: String }\nin u: U\nx = match u { { a } -> a, { b } -> 0 }\nout x\n', exampleRegistry());
    assert.throws(() => prepareRenameAt(m, pos(2, 16)), /pattern binding/);
    assert.throws(() => renameAt(a, 'u', pos(2, 0), '9x'), /not a valid name/);
  });

  test('a variable narrowed by `is T` in a match case is the same name as outside', () => {
    const a = analyze('in u: String | Int\nx = match u { is String -> u, is Int -> "n" }\nout x\n', exampleRegistry());
    const narrowed = a.symbols.occurrenceAt(a.positions.offsetAt(pos(1, 27)));
    assert.ok(narrowed && !narrowed.isDeclaration);
    assert.deepEqual(a.positions.rangeOf(narrowed.symbol.span).start, pos(0, 3));
    assert.equal(renameAt(a, 'u', pos(0, 3), 'value').changes!.u!.length, 3);
  });

  test('quick fixes: did-you-mean, a missing use line, an undeclared input', () => {
    const a = analyze('use stdlib.string\nin name: String\nx = Uppercsae(name)\ny = add(1, 2)\nz = nmae\nw = missing\nout x\n', exampleRegistry());
    const all = codeActionsFor(a, 'u', { start: pos(0, 0), end: pos(6, 0) });
    const titles = all.map((c) => c.title);
    assert.ok(titles.includes("Change to 'Uppercase'"), titles.join(' | '));
    assert.ok(titles.includes("Add 'use stdlib.math'"), titles.join(' | '));
    assert.ok(titles.includes("Change to 'name'"), titles.join(' | '));
    assert.ok(titles.includes("Add input 'in missing: String'"), titles.join(' | '));
    const add = all.find((c) => c.title === "Add input 'in missing: String'")!;
    assert.deepEqual(add.edit!.changes!.u![0]!.range.start, pos(1, 0));
    assert.equal(diagnosticsFor(a, 'u').length, 4);
  });
});

describe('semantic tokens', () => {
  test('interpolations are split around their expressions; multi-line strings become one token per line', () => {
    const a = analyze('in n: Int\nx = "a ${n} b"\ny = "one\ntwo"\nout x\n', exampleRegistry());
    const data = encodeTokens(a, semanticTokensOf(a));
    const tokens: [number, number, number, number][] = [];
    let line = 0;
    let ch = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i]!;
      ch = data[i] === 0 ? ch + data[i + 1]! : data[i + 1]!;
      tokens.push([line, ch, data[i + 2]!, data[i + 3]!]);
    }
    // line 1: x, "a ${, n, } b"
    assert.deepEqual(tokens.filter((t) => t[0] === 1).map((t) => [t[1], t[2], t[3]]), [[0, 1, 3], [4, 5, 7], [9, 1, 3], [10, 4, 7]]);
    // the two-line string: one string token on each line
    assert.deepEqual(tokens.filter((t) => t[3] === 7 && t[0] >= 2).map((t) => [t[0], t[1], t[2]]), [[2, 4, 4], [3, 0, 4]]);
    // tokens never overlap
    for (let i = 1; i < tokens.length; i++) {
      const [pl, pc, plen] = tokens[i - 1]!;
      const [l, c] = tokens[i]!;
      assert.ok(l > pl || c >= pc + plen);
    }
  });

  test('delta edits turn the previous data into the current', () => {
    const before = [0, 0, 1, 3, 0, 1, 0, 2, 3, 1];
    const after = [0, 0, 1, 3, 0, 0, 2, 2, 3, 0, 1, 0, 2, 3, 1];
    const [edit] = tokensEdits(before, after);
    const applied = [...before.slice(0, edit!.start), ...edit!.data!, ...before.slice(edit!.start + edit!.deleteCount)];
    assert.deepEqual(applied, after);
    assert.deepEqual(tokensEdits(after, after), []);
  });
});

describe('input schema', () => {
  test('types as written, examples from literals, even with type errors', () => {
    const r = inputSchemaOf('@example("ada")\nin name: String\n@example([1, 2])\nin xs: List<Int>\nin m: Map<String, Optional<Int>>\nin r: { a: Int } + { b: String }\nx = name + 1\nout x\n');
    assert.equal(r.success, true);
    assert.deepEqual(r.inputs!.map((i) => i.example), ['ada', [1, 2], null, null]);
    assert.deepEqual(r.inputs![2]!.type, { kind: 'map', keyType: { kind: 'primitive', name: 'String' }, valueType: { kind: 'parameterized', name: 'Optional', params: [{ kind: 'primitive', name: 'Int' }] } });
    assert.deepEqual(r.inputs![3]!.type, { kind: 'record', fields: [{ name: 'a', type: { kind: 'primitive', name: 'Int' } }, { name: 'b', type: { kind: 'primitive', name: 'String' } }] });
    const broken = inputSchemaOf('in x: \nout x\n');
    assert.equal(broken.success, false);
    assert.equal(broken.errors![0]!.category, 'syntax');
    assert.equal(broken.errors![0]!.codeContext, '    1 │ in x: \n    2 │ out x\n      │ ^^^\n    3 │ ');
  });
});
