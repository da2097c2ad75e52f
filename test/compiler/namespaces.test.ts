import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CompileResult } from '../../runtime/compiler/compile.js';
import { compiles, expectError, expectErrors } from '../helpers/diagnostics.js';
import { ambiguousRegistry } from '../helpers/registry.js';

/** Namespaces, `use`, aliases and function resolution (docs/decisions.md #1). */

function calledFunctions(r: CompileResult): string[] {
  return r.dag!.nodes.flatMap((n) => (n.kind === 'module' ? [n.function] : []));
}

describe('resolution without any use declaration', () => {
  test('every function is reachable by its simple name and records its qualified name', () => {
    const r = compiles('in t: String\na = add(1, 2)\nb = string-length(t)\nc = Uppercase(t)\nd = identity(t)\nout a\nout b\nout c\nout d');
    assert.deepEqual(calledFunctions(r), ['stdlib.math.add', 'stdlib.string.string-length', 'Uppercase', 'stdlib.identity']);
    const add = r.dag!.nodes.find((n) => n.kind === 'module' && n.function === 'stdlib.math.add');
    assert.equal(add?.kind === 'module' && add.module, 'stdlib.add');
    assert.deepEqual(add?.kind === 'module' && add.params, ['a', 'b']);
  });

  test('a qualified name never needs use', () => {
    const r = compiles('x = stdlib.math.max(1, 2)\nout x');
    assert.deepEqual(calledFunctions(r), ['stdlib.math.max']);
  });

  test('variables and functions live in separate namespaces', () => {
    const r = compiles('in max: Int\nx = max(max, 2)\nout x');
    assert.deepEqual(calledFunctions(r), ['stdlib.math.max']);
  });

  test('simple names are case-sensitive: trim (stdlib) and Trim (example pack) differ', () => {
    const r = compiles('in t: String\na = trim(t)\nb = Trim(t)\nout a\nout b');
    assert.deepEqual(calledFunctions(r), ['stdlib.string.trim', 'Trim']);
  });
});

describe('use N (wildcard import)', () => {
  test('simple names resolve through imported namespaces only', () => {
    compiles('use stdlib.math\nx = add(1, 2)\nout x');
    expectError('use stdlib.math\nin t: String\nx = trim(t)\nout x', 'E002', 'Undefined function: trim (did you mean to import stdlib.string.trim?)', [3, 5, 3, 9]);
  });

  test('functions without a namespace stay reachable', () => {
    compiles('use stdlib.string\nin t: String\nx = Uppercase(trim(t))\nout x');
  });

  test('imports are positional: they affect calls after the use line only', () => {
    expectError('x = add(1, 2)\nuse stdlib.string\ny = add(1, 2)\nout y', 'E002', 'Undefined function: add (did you mean to import stdlib.math.add?)', [3, 5, 3, 8]);
  });

  test('a prefix of a namespace is a valid use but imports only that exact namespace', () => {
    expectError('use stdlib\nx = add(1, 2)\nout x', 'E002', 'Undefined function: add (did you mean to import stdlib.math.add?)', [2, 5, 2, 8]);
    compiles('use stdlib\nin t: String\nx = identity(t)\nout x');
  });

  test('two imports containing the same simple name are ambiguous; one is not', () => {
    const reg = ambiguousRegistry();
    expectError('use acme.text\nuse acme.nums\nx = score(1)\nout x', 'E005', "Ambiguous function 'score'. Candidates: acme.nums.score, acme.text.score", [3, 5, 3, 10], reg);
    const r = compiles('use acme.nums\nx = score(1)\nout x', reg);
    assert.deepEqual(calledFunctions(r), ['acme.nums.score']);
  });

  test('operators are built in: they work whatever the imports (docs/decisions.md #1)', () => {
    compiles('use stdlib.string\nin a: Int\nin s: String\nx = a + 1 * 2 - 3 / 4\nb = a != 2 and s == "x" or a > 1\nout x\nout b');
  });
});

describe('use N as a (aliased import)', () => {
  test('functions are reached through the alias', () => {
    const r = compiles('use stdlib.math as m\nx = m.add(1, 2)\nout x');
    assert.deepEqual(calledFunctions(r), ['stdlib.math.add']);
  });

  test('an alias does not import the namespace, and disables the no-import rule', () => {
    expectError('use stdlib.math as m\nx = add(1, 2)\nout x', 'E002', 'Undefined function: add (did you mean to import stdlib.math.add?)', [2, 5, 2, 8]);
  });

  test('an alias alone is not a function', () => {
    expectError('use stdlib.math as m\nx = m(1)\nout x', 'E002', 'Undefined function: m', [2, 5, 2, 6]);
  });

  test('the rest of the name after the alias must match exactly', () => {
    expectError('use stdlib.math as m\nx = m.sub.add(1, 2)\nout x', 'E002', 'Undefined function: m.sub.add', [2, 5, 2, 14]);
  });

  test('an alias of a namespace prefix', () => {
    const r = compiles('use stdlib as s\nx = s.math.add(1, 2)\nout x');
    assert.deepEqual(calledFunctions(r), ['stdlib.math.add']);
  });

  test('an alias takes precedence over a namespace of the same first name', () => {
    const reg = ambiguousRegistry();
    expectError('use acme.text as stdlib\nx = stdlib.math.add(1, 2)\nout x', 'E002', 'Undefined function: stdlib.math.add', [2, 5, 2, 20], reg);
  });

  test('the qualified full name still works next to aliases', () => {
    compiles('use stdlib.math as m\nx = stdlib.math.add(m.add(1, 2), 3)\nout x');
  });
});

describe('qualified names', () => {
  test('an unknown function in a registered namespace is E002; an unknown namespace is E004', () => {
    expectError('x = stdlib.math.nope(1)\nout x', 'E002', 'Undefined function: stdlib.math.nope', [1, 5, 1, 21]);
    expectError('use stdlib.math\nx = q.add(1, 2)\nout x', 'E004', 'Undefined namespace: q', [2, 5, 2, 6]);
  });

  test('no whitespace around the dots: stdlib . math is field access on a variable', () => {
    expectErrors('x = stdlib . math . add(1, 2)\nout x', [
      { code: 'E001', message: 'Undefined variable: stdlib', range: [1, 5, 1, 11] },
      { code: 'E020', message: "Parse error: expected a declaration (type, in, out, use or an assignment), found '('", range: [1, 24, 1, 25] },
    ]);
  });
});
