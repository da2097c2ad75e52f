import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from '../../runtime/compiler/compile.js';
import { FunctionRegistry } from '../../runtime/compiler/registry.js';
import { CompileErrorCodes } from '../../runtime/errors.js';
import { STDLIB_SIGNATURES } from '../../runtime/stdlib/index.js';
import { T } from '../../runtime/types/type.js';
import { compiles, expectError, expectErrors, registry } from '../helpers/diagnostics.js';
import { ambiguousRegistry, exampleSignatures, moduleSignature } from '../helpers/registry.js';

/**
 * One test per error code the compiler raises, each
 * asserting the code, the message and the exact range (1-based line/column, end exclusive).
 */

const LAMBDA_CONTEXT = 'Lambda expression cannot be used in this context. Lambdas can only be used as arguments to higher-order functions like filter, map, etc.';

describe('E001 undefined variable', () => {
  test('a variable that was never bound', () => {
    expectError('in x: Int\ny = z + x\nout y', 'E001', 'Undefined variable: z', [2, 5, 2, 6]);
  });
  test('out of an unbound name', () => {
    expectError('in x: Int\nout y', 'E001', 'Undefined variable: y', [2, 5, 2, 6]);
  });
  test('a name used before its declaration (sequential scope)', () => {
    expectError('y = x\nx = 1\nout y', 'E001', 'Undefined variable: x', [1, 5, 1, 6]);
  });
  test('a name inside @example must be defined at that point', () => {
    expectError('@example(q)\nin x: Int\nout x', 'E001', 'Undefined variable: q', [1, 10, 1, 11]);
  });
  test('a-b is one identifier, with a hint to write a - b', () => {
    const d = expectError('in a: Int\nin b: Int\nc = a-b\nout c', 'E001', 'Undefined variable: a-b', [3, 5, 3, 8]);
    assert.ok(d.suggestions?.some((s) => s.includes("write 'a - b' to subtract")), String(d.suggestions));
  });
  test('suggests a similar variable, or declaring one', () => {
    const similar = expectError('in count: Int\nout coutn', 'E001', 'Undefined variable: coutn', [2, 5, 2, 10]);
    assert.deepEqual(similar.suggestions, ["Did you mean 'count'?"]);
    const none = expectError('out zzz', 'E001', 'Undefined variable: zzz', [1, 5, 1, 8]);
    assert.deepEqual(none.suggestions, ['Declare the variable: in zzz: String']);
  });
  test('a lambda parameter is not visible after the lambda', () => {
    expectError('in xs: List<Int>\ny = map(xs, (v) => v + 1)\nz = v\nout z', 'E001', 'Undefined variable: v', [3, 5, 3, 6]);
  });
});

describe('E002 undefined function', () => {
  test('an unknown function', () => {
    const d = expectError('x = Frobnicate(1)\nout x', 'E002', 'Undefined function: Frobnicate', [1, 5, 1, 15]);
    assert.equal(d.suggestions, undefined);
  });
  test('a near miss gets a did-you-mean suggestion', () => {
    const d = expectError('in t: String\nx = Upercase(t)\nout x', 'E002', 'Undefined function: Upercase', [2, 5, 2, 13]);
    assert.ok(d.suggestions?.includes("Did you mean 'Uppercase'?"), String(d.suggestions));
  });
  test('a simple name outside the imported namespaces: did you mean to import', () => {
    const d = expectError('use stdlib.string\nx = add(1, 2)\nout x', 'E002', 'Undefined function: add (did you mean to import stdlib.math.add?)', [2, 5, 2, 8]);
    assert.ok(d.suggestions?.includes('Try adding: use stdlib.math'));
  });
  test('did you mean to import lists every namespace holding the name', () => {
    const reg = ambiguousRegistry();
    expectError('use stdlib.math\nx = score(1)\nout x', 'E002', 'Undefined function: score (did you mean to import acme.nums.score or acme.text.score?)', [2, 5, 2, 10], reg);
  });
  test('use stdlib is valid but only imports functions directly in stdlib', () => {
    expectError('use stdlib\nx = add(1, 2)\nout x', 'E002', 'Undefined function: add (did you mean to import stdlib.math.add?)', [2, 5, 2, 8]);
  });
  test('a namespace alias used as a function', () => {
    expectError('use stdlib.math as m\nx = m(1)\nout x', 'E002', 'Undefined function: m', [2, 5, 2, 6]);
  });
  test('an unknown function through an alias', () => {
    expectError('use stdlib.math as m\nx = m.nope(1)\nout x', 'E002', 'Undefined function: m.nope', [2, 5, 2, 11]);
  });
  test('an unknown function in a registered namespace', () => {
    expectError('x = stdlib.math.nope(1)\nout x', 'E002', 'Undefined function: stdlib.math.nope', [1, 5, 1, 21]);
  });
});

describe('E003 undefined type', () => {
  test('an unknown alias', () => {
    expectError('in p: Person\nout p', 'E003', 'Undefined type: Person', [1, 7, 1, 13]);
  });
  test('an alias used before it is defined', () => {
    expectError('in p: P\ntype P = {a: Int}\nout p', 'E003', 'Undefined type: P', [1, 7, 1, 8]);
  });
  test('an unknown parameterised type', () => {
    expectError('in p: Lst<Int>\nout p', 'E003', 'Undefined type: Lst<...>', [1, 7, 1, 15]);
  });
  test('a known parameterised type with the wrong arity', () => {
    expectError('in p: List<Int, Int>\nout p', 'E003', 'Undefined type: List<..., ...>', [1, 7, 1, 21]);
    expectError('in p: Map<String>\nout p', 'E003', 'Undefined type: Map<...>', [1, 7, 1, 18]);
  });
  test('a parameterised type written without parameters', () => {
    expectError('in p: List\nout p', 'E003', /^Undefined type: List \(it needs type parameters/, [1, 7, 1, 11]);
  });
  test('an unknown type in an is pattern', () => {
    expectError('in u: Int | String\nr = match u { is Foo -> 1, _ -> 2 }\nout r', 'E003', 'Undefined type: Foo', [2, 18, 2, 21]);
  });
  test('an unknown type in a lambda parameter annotation', () => {
    expectError('in xs: List<Int>\ny = map(xs, (v: Num) => v)\nout y', 'E003', 'Undefined type: Num', [2, 17, 2, 20]);
  });
  test('suggests a similar type name', () => {
    const d = expectError('in p: Strin\nout p', 'E003', 'Undefined type: Strin', [1, 7, 1, 12]);
    assert.ok(d.suggestions?.includes("Did you mean 'String'?"));
  });
});

describe('E004 undefined namespace', () => {
  test('use of an unknown namespace', () => {
    const d = expectError('use stdlib.nope\nx = 1\nout x', 'E004', 'Undefined namespace: stdlib.nope', [1, 5, 1, 16]);
    assert.ok(d.suggestions?.some((s) => s.startsWith('Available namespaces: ')));
  });
  test('a qualified call into an unknown namespace points at the namespace', () => {
    expectError('x = stdlib.nope.add(1, 2)\nout x', 'E004', 'Undefined namespace: stdlib.nope', [1, 5, 1, 16]);
  });
  test('use of a prefix of a namespace is valid', () => {
    compiles('use stdlib\nuse stdlib.math as m\nx = m.add(1, 2)\nout x');
  });
});

describe('E005 ambiguous function', () => {
  test('a simple name in two namespaces, without imports', () => {
    const d = expectError('x = score(1)\nout x', 'E005', "Ambiguous function 'score'. Candidates: acme.nums.score, acme.text.score", [1, 5, 1, 10], ambiguousRegistry());
    assert.deepEqual(d.suggestions, ["Use 'acme.nums.score' for the specific function", "Use 'acme.text.score' for the specific function"]);
  });
  test('a simple name in two wildcard-imported namespaces', () => {
    expectError('use acme.text\nuse acme.nums\nin t: String\nx = score(t)\nout x', 'E005', "Ambiguous function 'score'. Candidates: acme.nums.score, acme.text.score", [4, 5, 4, 10], ambiguousRegistry());
  });
  test('one import, or the qualified name, disambiguates', () => {
    const reg = ambiguousRegistry();
    compiles('use acme.text\nin t: String\nx = score(t)\nout x', reg);
    compiles('x = acme.nums.score(1)\nout x', reg);
  });
});

describe('E006 invalid projection', () => {
  test('a projected field that does not exist', () => {
    const d = expectError('in r: {id: Int, name: String}\np = r[id, email]\nout p', 'E006', "Invalid projection: field 'email' not found. Available: id, name", [2, 11, 2, 16]);
    assert.ok(d.suggestions?.includes('Available fields: id, name'));
  });
  test('brace projection on a list of records', () => {
    expectError('in rs: List<{a: Int}>\np = rs{b}\nout p', 'E006', "Invalid projection: field 'b' not found. Available: a", [2, 8, 2, 9]);
  });
});

describe('E007 invalid field access', () => {
  test('an accessed field that does not exist', () => {
    expectError('in r: {name: String, age: Int}\nf = r.email\nout f', 'E007', "Invalid field access: field 'email' not found. Available: name, age", [2, 7, 2, 12]);
  });
  test('a near miss suggests the field', () => {
    const d = expectError('in r: {name: String}\nf = r.nme\nout f', 'E007', "Invalid field access: field 'nme' not found. Available: name", [2, 7, 2, 10]);
    assert.ok(d.suggestions?.includes("Did you mean '.name'?"));
  });
});

describe('E010 type mismatch', () => {
  test('an argument of the wrong type', () => {
    expectError('in x: Int\ny = x + 1\nz = Uppercase(y)\nout z', 'E010', 'Type mismatch: expected String, got Int', [3, 15, 3, 16]);
  });
  test('an @example of the wrong type', () => {
    expectError('@example("a")\nin x: Int\nout x', 'E010', 'Type mismatch: expected Int, got String', [1, 10, 1, 13]);
  });
  test('a non-Boolean condition of if, branch, when, and, or, not', () => {
    const m = 'Type mismatch: expected Boolean, got Int';
    expectError('x = if (1) 2 else 3\nout x', 'E010', m, [1, 9, 1, 10]);
    expectError('x = branch { 1 -> 2, otherwise -> 3 }\nout x', 'E010', m, [1, 14, 1, 15]);
    expectError('x = 2 when 1\nout x', 'E010', m, [1, 12, 1, 13]);
    expectError('x = 1 and true\nout x', 'E010', m, [1, 5, 1, 6]);
    expectError('x = true or 2\nout x', 'E010', m, [1, 13, 1, 14]);
    expectError('x = not 3\nout x', 'E010', m, [1, 9, 1, 10]);
  });
  test('a comparison of different types (the left type is expected)', () => {
    expectError('x = 1 == "a"\nout x', 'E010', 'Type mismatch: expected Int, got String', [1, 10, 1, 13]);
  });
  test('a ?? fallback of the wrong type', () => {
    expectError('in o: Optional<Int>\nx = o ?? "a"\nout x', 'E010', 'Type mismatch: expected Int, got String', [2, 10, 2, 13]);
  });
  test('a list literal checked against List<T>', () => {
    expectError('x = SumList([1, "a"])\nout x', 'E010', 'Type mismatch: expected List<Int>, got List<Int | String>', [1, 13, 1, 21]);
  });
  test('a Seq result where a List is expected', () => {
    const d = expectError('in ns: List<Int>\nf = SumList(filter(ns, (x) => x > 0))\nout f', 'E010', 'Type mismatch: expected List<Int>, got Seq<Int>', [2, 13, 2, 37]);
    assert.ok(d.suggestions?.some((s) => s.includes('Seq results')));
  });
  test('an Optional where a plain value is expected suggests ??', () => {
    const d = expectError('in o: Optional<String>\nx = Uppercase(o)\nout x', 'E010', 'Type mismatch: expected String, got Optional<String>', [2, 15, 2, 16]);
    assert.ok(d.suggestions?.some((s) => s.includes('??')));
  });
  test('a lambda parameter annotation incompatible with the element type', () => {
    expectError('in xs: List<Int>\ny = map(xs, (a: String) => a)\nout y', 'E010', 'Type mismatch: expected String, got Int', [2, 17, 2, 23]);
  });
  test('a lambda body of the wrong type', () => {
    expectError('in ns: List<Int>\nf = filter(ns, (x) => x)\nout f', 'E010', 'Type mismatch: expected Boolean, got Int', [2, 23, 2, 24]);
  });
  test('a record pattern that cannot match', () => {
    expectError('in u: Int | String\nr = match u { {a} -> 1, _ -> 2 }\nout r', 'E010', 'Pattern { a } cannot match type Int | String', [2, 15, 2, 18]);
  });
  test('a type-test pattern that is not a member', () => {
    expectError('in u: Int | String\nr = match u { is Float -> 1, _ -> 2 }\nout r', 'E010', 'Pattern is Float cannot match type Int | String', [2, 15, 2, 23]);
  });
});

describe('E012 incompatible merge', () => {
  test('a type-level merge with a non-record', () => {
    expectError('type X = {a: Int} + String\nin x: X\nout x', 'E012', /^Cannot merge types: \{ a: Int \} \+ String/, [1, 10, 1, 27]);
  });
  test('merging a Seq of records with a List of records', () => {
    expectError('in xs: Seq<{a: Int}>\nin ys: List<{b: Int}>\nm = xs + ys\nout m', 'E012', /^Cannot merge types: Seq<\{ a: Int \}> \+ List<\{ b: Int \}>/, [3, 5, 3, 12]);
  });
});

describe('E013 unsupported comparison', () => {
  test('ordering strings', () => {
    expectError('in a: String\nin b: String\nx = a < b\nout x', 'E013', "Operator '<' is not supported for types String and String", [3, 7, 3, 8]);
  });
  test('ordering booleans', () => {
    expectError('x = true >= false\nout x', 'E013', "Operator '>=' is not supported for types Boolean and Boolean", [1, 10, 1, 12]);
  });
  test('equality of records', () => {
    expectError('x = {a: 1} == {a: 1}\nout x', 'E013', "Operator '==' is not supported for types { a: Int } and { a: Int }", [1, 12, 1, 14]);
  });
});

describe('E014 unsupported arithmetic', () => {
  test('Int + String', () => {
    expectError('x = 1 + "a"\nout x', 'E014', "Arithmetic operator '+' is not supported for types Int and String", [1, 7, 1, 8]);
  });
  test('String + String suggests concat', () => {
    const d = expectError('x = "a" + "b"\nout x', 'E014', "Arithmetic operator '+' is not supported for types String and String", [1, 9, 1, 10]);
    assert.ok(d.suggestions?.some((s) => s.includes('concat')));
  });
  test('record * Int and record + Int', () => {
    expectError('x = {a: 1} * 2\nout x', 'E014', "Arithmetic operator '*' is not supported for types { a: Int } and Int", [1, 12, 1, 13]);
    expectError('x = {a: 1} + 1\nout x', 'E014', "Arithmetic operator '+' is not supported for types { a: Int } and Int", [1, 12, 1, 13]);
  });
  test('negating a non-number', () => {
    expectError('x = -"a"\nout x', 'E014', "Arithmetic operator '-' is not supported for type String", [1, 5, 1, 9]);
  });
});

describe('E015 general type error', () => {
  test('wrong argument count', () => {
    const d = expectError('in t: String\nx = Uppercase(t, t)\nout x', 'E015', 'Function Uppercase expects 1 argument(s), got 2', [2, 5, 2, 20]);
    assert.deepEqual(d.suggestions, ['Uppercase(text: String) -> String']);
  });
  test('?? on a non-optional', () => {
    expectError('in x: Int\ny = x ?? 1\nout y', 'E015', 'Left side of ?? must be Optional, got Int', [2, 5, 2, 6]);
  });
  test('projection on a non-record', () => {
    expectError('in x: Int\ny = x[a]\nout y', 'E015', 'Projection requires a record type, got Int', [2, 5, 2, 9]);
  });
  test('field access on a non-record (Optional records included)', () => {
    expectError('in x: Int\ny = x.a\nout y', 'E015', 'Field access requires a record type, got Int', [2, 7, 2, 8]);
    const d = expectError('in x: Optional<{a: Int}>\ny = x.a\nout y', 'E015', 'Field access requires a record type, got Optional<{ a: Int }>', [2, 7, 2, 8]);
    assert.ok(d.suggestions?.some((s) => s.includes('??')));
  });
  test('lambda arity', () => {
    expectError('in xs: List<Int>\ny = map(xs, (a, b) => a)\nout y', 'E015', 'Lambda has 2 parameter(s) but expected 1', [2, 13, 2, 24]);
  });
  test('an unannotated lambda parameter in inferred position', () => {
    expectError('x = (y) => y\nout x', 'E015', /^Lambda parameter 'y' requires a type annotation/, [1, 6, 1, 7]);
  });
  test('a lambda outside a higher-order function', () => {
    expectError('x = (y: Int) => y\nout x', 'E015', LAMBDA_CONTEXT, [1, 5, 1, 18]);
    expectError('x = Uppercase((y: String) => y)\nout x', 'E015', LAMBDA_CONTEXT, [1, 15, 1, 31]);
  });
  test('a record literal missing required fields', () => {
    const reg = new FunctionRegistry([
      ...STDLIB_SIGNATURES,
      moduleSignature('Greet', [['person', T.record([['name', T.String], ['age', T.Int], ['city', T.String]])]], T.String),
    ]);
    expectError('x = Greet({name: "a"})\nout x', 'E015', 'Record literal is missing required field(s): age, city', [1, 11, 1, 22], reg);
    compiles('x = Greet({name: "a", age: 3, city: "c", extra: true})\nout x', reg);
  });
  test('a non-exhaustive match', () => {
    expectError('in u: Int | String\nr = match u { is Int -> 1 }\nout r', 'E015', 'Non-exhaustive match on type Int | String. Missing patterns for: String', [2, 5, 2, 28]);
  });
});

describe('E016 invalid option value', () => {
  const call = (options: string): string => `in r: String\nx = Uppercase(r) with ${options}\nout x`;
  const cases: [string, string, number][] = [
    ['timeout: 0s', "Invalid value for 'timeout': 0s (must be > 0)", 11],
    ['retry: 1, delay: 0ms', "Invalid value for 'delay': 0ms (must be > 0)", 10],
    ['cache: 0min', "Invalid value for 'cache': 0min (must be > 0)", 11],
    ['batch: 0', "Invalid value for 'batch': 0 (must be > 0)", 8],
    ['batch: 1, batch_timeout: 0h', "Invalid value for 'batch_timeout': 0h (must be > 0)", 17],
    ['checkpoint: 0d', "Invalid value for 'checkpoint': 0d (must be > 0)", 14],
    ['concurrency: 0', "Invalid value for 'concurrency': 0 (must be > 0)", 14],
    ['throttle: 0/1s', "Invalid value for 'throttle': 0/1Seconds (count must be > 0)", 14],
    ['throttle: 5/0min', "Invalid value for 'throttle': 5/0min (period must be > 0)", 16],
  ];
  for (const [options, message, width] of cases) {
    test(options, () => {
      const start = 23 + (options.startsWith('retry: 1, ') ? 10 : options.startsWith('batch: 1, ') ? 10 : 0);
      expectError(call(options), 'E016', message, [2, start, 2, start + width]);
    });
  }
  test('only the first option error of a call is reported, in the reference order', () => {
    // concurrency is checked before timeout
    expectError(call('timeout: 0s, concurrency: 0'), 'E016', "Invalid value for 'concurrency': 0 (must be > 0)", [2, 36, 2, 50]);
  });
});

describe('E017 fallback type mismatch', () => {
  test('a fallback that is not a subtype of the return type', () => {
    expectError('in t: String\nx = Uppercase(t) with fallback: 1\nout x', 'E017', 'Fallback type mismatch: module returns String but fallback is Int', [2, 33, 2, 34]);
  });
  test('a fallback mismatch is the first option error of the call: the others are not reported', () => {
    expectError('in t: String\nx = Uppercase(t) with fallback: 1, timeout: 0s\nout x', 'E017', 'Fallback type mismatch: module returns String but fallback is Int', [2, 33, 2, 34]);
    expectError('in t: String\nx = Uppercase(t) with fallback: "a", timeout: 0s\nout x', 'E016', "Invalid value for 'timeout': 0s (must be > 0)", [2, 38, 2, 49]);
  });
  test('type errors inside the fallback are reported as themselves', () => {
    expectError('in t: String\nx = Uppercase(t) with fallback: nope\nout x', 'E001', 'Undefined variable: nope', [2, 33, 2, 37]);
  });
});

describe('E020 parse error', () => {
  const parse = (source: string, message: string | RegExp, range: readonly [number, number, number, number]): void => {
    expectError(source, 'E020', message, range);
  };
  test('a program without out', () => {
    parse('in x: Int\nx2 = x', "Parse error: a pipeline needs at least one 'out' declaration", [2, 6, 2, 7]);
    parse('', "Parse error: a pipeline needs at least one 'out' declaration", [1, 1, 1, 1]);
  });
  test('reserved words as names', () => {
    parse('in when: Int\nx = 1\nout x', "Parse error: 'when' is a reserved word and cannot be used as an input name", [1, 4, 1, 8]);
    parse('match = 1\nx = 2\nout x', "Parse error: 'match' is a reserved word and cannot be used as a variable name", [1, 1, 1, 6]);
    parse('type is = Int\nx = 1\nout x', "Parse error: 'is' is a reserved word and cannot be used as a type name", [1, 6, 1, 8]);
    parse('in r: {type: Int}\nout r', "Parse error: 'type' is a reserved word and cannot be used as a field name", [1, 8, 1, 12]);
    parse('in xs: List<Int>\ny = map(xs, (in) => 1)\nout y', "Parse error: 'in' is a reserved word and cannot be used as a lambda parameter name", [2, 14, 2, 16]);
    parse('x = stdlib.bool.not(true)\nout x', "Parse error: 'not' is a reserved word and cannot be used as a field name after '.'", [1, 17, 1, 20]);
    parse('use stdlib.math as not\nx = 1\nout x', "Parse error: 'not' is a reserved word and cannot be used as an alias", [1, 20, 1, 23]);
  });
  test('keyword boundaries: input, outer, types, is_ok, match-score, lazyLoad are identifiers', () => {
    compiles('in input: Int\nouter = input\ntypes = outer\nis_ok = types\nmatch-score = is_ok\nlazyLoad = match-score\nout lazyLoad');
  });
  test('trailing commas', () => {
    parse('in t: String\ny = Replace(t, t,)\nout y', 'Parse error: trailing commas are not allowed in argument lists', [2, 18, 2, 19]);
    parse('y = [1, 2,]\nout y', 'Parse error: trailing commas are not allowed in list literals', [1, 11, 1, 12]);
    parse('y = {a: 1,}\nout y', 'Parse error: trailing commas are not allowed in record literals', [1, 11, 1, 12]);
    parse('type T = {a: Int,}\nx = 1\nout x', 'Parse error: trailing commas are not allowed', [1, 18, 1, 19]);
    parse('in u: Int | String\nr = match u { is Int -> 1, _ -> 2, }\nout r', 'Parse error: trailing commas are not allowed in match cases', [2, 36, 2, 37]);
    parse('in r: String\nx = Uppercase(r) with retry: 1,\nout x', /^Parse error: expected a declaration/, [2, 31, 2, 32]);
  });
  test('branch without otherwise, and otherwise not last', () => {
    parse('in x: Int\ny = branch { x > 1 -> 1 }\nout y', "Parse error: a branch needs a final 'otherwise -> …' arm", [2, 25, 2, 26]);
    parse('in x: Int\ny = branch { otherwise -> 2, x > 1 -> 1 }\nout y', "Parse error: 'otherwise' must be the last arm of a branch", [2, 28, 2, 29]);
  });
  test('an unknown option, with a suggestion', () => {
    parse('in x: String\ny = Uppercase(x) with timout: 1s\nout y', /^Parse error: unknown option 'timout'; did you mean 'timeout'\? \(options: retry, timeout, /, [2, 23, 2, 29]);
    parse('in x: String\ny = Uppercase(x) with retries: 1\nout y', /^Parse error: unknown option 'retries' \(options: /, [2, 23, 2, 30]);
  });
  test('malformed option values', () => {
    parse('in r: String\nx = Uppercase(r) with retry: -1\nout x', "Parse error: 'retry' cannot be negative", [2, 30, 2, 31]);
    parse('in r: String\nx = Uppercase(r) with retry: 1.5\nout x', "Parse error: 'retry' needs a whole number, found 1.5", [2, 30, 2, 33]);
    parse('in r: String\nx = Uppercase(r) with timeout: 5m\nout x', "Parse error: unknown duration unit 'm' in 'timeout' (units: ms, s, min, h, d)", [2, 32, 2, 34]);
    parse('in r: String\nx = Uppercase(r) with timeout: 5 s\nout x', /^Parse error: expected a duration such as 500ms/, [2, 32, 2, 33]);
    parse('in r: String\nx = Uppercase(r) with throttle: 5 /1s\nout x', /^Parse error: expected a rate such as '100\/1min'/, [2, 35, 2, 36]);
    parse('in r: String\nx = Uppercase(r) with backoff: quadratic\nout x', "Parse error: expected one of exponential, linear, fixed for 'backoff', found 'quadratic'", [2, 32, 2, 41]);
  });
  test('options only attach to calls', () => {
    parse('in x: Int\ny = x + 1 with retry: 1\nout y', "Parse error: expected a declaration (type, in, out, use or an assignment), found keyword 'with'", [2, 11, 2, 15]);
  });
  test('chained comparisons and chained guards', () => {
    parse('in x: Int\ny = 1 < x < 3\nout y', "Parse error: comparison operators cannot be chained; combine comparisons with 'and'", [2, 11, 2, 12]);
    parse('in x: Int\ny = x when true when false\nout y', /^Parse error: a guard cannot be chained/, [2, 17, 2, 21]);
  });
  test('out takes a name, not an expression', () => {
    const message = "Parse error: 'out' takes a variable name, not an expression; bind the expression to a name first";
    parse('in a: Int\nin b: Int\nout a + b', message, [3, 7, 3, 8]);
    parse('in r: {x: Int}\nout r{x}', message, [2, 6, 2, 7]);
  });
  test('leading zeros', () => {
    parse('x = 007\nout x', "Parse error: leading zeros are not allowed in number '007'", [1, 5, 1, 8]);
  });
  test('bad escape sequences', () => {
    parse('x = "a\\qb"\nout x', "Parse error: invalid escape sequence '\\q' (allowed: \\n \\t \\r \\\\ \\\" \\$)", [1, 7, 1, 9]);
    parse('x = "\\u0041"\nout x', /^Parse error: invalid escape sequence '\\u'/, [1, 6, 1, 8]);
  });
  test('1e5 and 1.5e3 are not numbers', () => {
    parse('x = 1e5\nout x', /^Parse error: unexpected 'e5' directly after the number 1 \(there is no exponent notation/, [1, 5, 1, 8]);
    parse('x = 1.5e3\nout x', /^Parse error: unexpected 'e3' directly after the number 1\.5/, [1, 5, 1, 10]);
    parse('x = Max([1e5])\nout x', "Parse error: expected ']' to close the list, found 'e5'", [1, 11, 1, 13]);
  });
  test('-1.5 and other negative literals are accepted (docs/decisions.md #3)', () => {
    compiles('x = -1.5\ny = -3\nz = 2 - -3\nout x\nout y\nout z');
  });
  test('a-b and x-1 are single identifiers, not subtractions', () => {
    const r = compiles('a-b = 1\nx-1 = a-b\nout x-1');
    assert.deepEqual(r.dag!.outputs.map((o) => o.name), ['x-1']);
    compiles('in a: Int\nin b: Int\nc = a - b\nd = a -b\nout c\nout d');
  });
  test('integers outside the exact range', () => {
    parse('x = 9007199254740993\nout x', /^Parse error: integer literal 9007199254740993 is outside the exact integer range/, [1, 5, 1, 21]);
  });
  test('if without else', () => {
    parse('in c: Boolean\nx = if (c) 1\nout x', "Parse error: expected 'else' (every 'if' needs an 'else'), found keyword 'out'", [3, 1, 3, 4]);
  });
  test('match scrutinee must be a primary', () => {
    parse('in r: {k: Int}\nx = match r.k { _ -> 1 }\nout x', /^Parse error: the value matched must be a simple expression/, [2, 12, 2, 13]);
  });
  test('lambda parameters must be parenthesised', () => {
    parse('in xs: List<Int>\ny = map(xs, v => v)\nout y', "Parse error: expected ')' to close the arguments of map, found '=>'", [2, 15, 2, 17]);
  });
  test('unexpected characters', () => {
    parse('x = 1 ; 2\nout x', "Parse error: unexpected character ';' (U+003B)", [1, 7, 1, 8]);
  });
  test('unterminated strings and interpolations', () => {
    parse('x = "abc\nout x', 'Parse error: unterminated string literal (missing closing ")', [1, 5, 2, 6]);
    parse('x = "a ${1 + \nout x', "Parse error: unterminated string interpolation (missing '}')", [1, 8, 2, 6]);
    parse('x = "${}"\nout x', "Parse error: empty interpolation '${}'", [1, 6, 1, 9]);
  });
  test('an unknown annotation', () => {
    parse('@exmple(1)\nin x: Int\nout x', "Parse error: unknown annotation '@exmple' (expected @example, @source or @sink); did you mean '@example'?", [1, 2, 1, 8]);
  });
});

describe('E030 duplicate definition', () => {
  test('an input re-declared with another type', () => {
    expectError('in x: Int\nin x: String\nout x', 'E030', "Input 'x' is already declared with type Int", [2, 4, 2, 5]);
  });
  test('re-declaring with the same type, and re-binding assignments, are allowed', () => {
    compiles('in x: Int\nin x: Int\nx = x + 1\nx = x * 2\nout x');
  });
});

describe('E900 internal compiler error', () => {
  test('a module call inside a lambda body', () => {
    expectError('in xs: List<String>\ny = map(xs, (s) => Uppercase(s))\nout y', 'E900', 'Internal compiler error: Unsupported function in lambda body: Uppercase (only standard-library functions can be called inside a lambda)', [2, 20, 2, 29]);
  });
  test('options on a call inside a lambda body', () => {
    expectError('in xs: List<Int>\ny = map(xs, (v) => add(v, 1) with retry: 1)\nout y', 'E900', 'Internal compiler error: module options (with …) are not supported inside a lambda body', [2, 35, 2, 43]);
  });
  test('standard functions are fine inside a lambda body', () => {
    compiles('in xs: List<String>\ny = map(xs, (s) => string-length(trim(s)) + 1)\nout y');
  });
});

describe('the catalogue', () => {
  test('every code used above is a catalogued code', () => {
    for (const code of ['E001', 'E002', 'E003', 'E004', 'E005', 'E006', 'E007', 'E010', 'E012', 'E013', 'E014', 'E015', 'E016', 'E017', 'E020', 'E030', 'E900']) {
      assert.ok(code in CompileErrorCodes, code);
    }
  });
  test('errors in one declaration do not hide errors in the next', () => {
    expectErrors('x = nope1\ny = nope2\nout y', [
      { code: 'E001', message: 'Undefined variable: nope1', range: [1, 5, 1, 10] },
      { code: 'E001', message: 'Undefined variable: nope2', range: [2, 5, 2, 10] },
    ]);
  });
  test('the example pack is needed for example modules', () => {
    const r = compile('in t: String\nx = Uppercase(t)\nout x', new FunctionRegistry(STDLIB_SIGNATURES));
    assert.equal(r.diagnostics[0]?.code, 'E002');
    assert.equal(compile('in t: String\nx = Uppercase(t)\nout x', new FunctionRegistry([...STDLIB_SIGNATURES, ...exampleSignatures()])).ok, true);
    assert.equal(compile('in t: String\nx = Uppercase(t)\nout x', registry()).ok, true);
  });
});
