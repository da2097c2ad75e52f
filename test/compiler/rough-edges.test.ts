import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { ModuleNode } from '../../runtime/compiler/dag.js';
import { Engine } from '../../runtime/engine/engine.js';
import { defineModule } from '../../runtime/modules/define.js';

/**
 * Three edges of the compiler: `is T` narrows the matched variable in its case; a failed
 * compile is not served from the cache with suggestions the registry has outgrown; RawString
 * positions (`cache_backend: "…"`) take their text as written, without escapes.
 */

const Upper = defineModule({ name: 'Upper', placement: 'front', input: z.object({ text: z.string() }), output: z.object({ result: z.string() }), run: ({ text }) => ({ result: text.toUpperCase() }) });

test('is T narrows the matched variable inside its case (inline and module-calling bodies)', async () => {
  const e = new Engine({ modules: [{ module: Upper }] });
  const inline = e.compile('in v: String | Int\nr = match v { is Int -> v + 1, is String -> string-length(v) }\nout r');
  assert.ok(inline.ok, inline.diagnostics.map((d) => d.message).join('\n'));
  assert.deepEqual((await e.run(inline.dag!, { v: { tag: 'Int', value: 41 } })).outputs, { r: 42 });
  assert.deepEqual((await e.run(inline.dag!, { v: { tag: 'String', value: 'abcd' } })).outputs, { r: 4 });
  const calls = e.compile('in v: String | Int\nr = match v { is String -> Upper(v), _ -> "n/a" }\nout r');
  assert.ok(calls.ok, calls.diagnostics.map((d) => d.message).join('\n'));
  assert.deepEqual((await e.run(calls.dag!, { v: { tag: 'String', value: 'abc' } })).outputs, { r: 'ABC' });
  // outside its case the variable keeps the union type
  const outside = e.compile('in v: String | Int\nr = match v { is Int -> 1, is String -> 2 }\ns = v + 1\nout s');
  assert.equal(outside.ok, false);
});

test('a cached failed compile does not keep suggestions the registry has outgrown', () => {
  const e = new Engine();
  const source = 'in t: String\nr = Uppr(t)\nout r';
  const before = e.compile(source);
  assert.equal(before.ok, false);
  assert.ok(!JSON.stringify(before.diagnostics).includes('Upper'), 'no such module yet');
  e.register(Upper);
  const after = e.compile(source);
  assert.equal(after.ok, false);
  assert.match(JSON.stringify(after.diagnostics), /Upper/, 'the new module is suggested');
});

test('cache_backend takes its string as written: no escapes, no interpolation', () => {
  const e = new Engine({ modules: [{ module: Upper }] });
  for (const [written, name] of [['c:\\path\\x', 'c:\\path\\x'], ['a${b}', 'a${b}'], ['tab\\t', 'tab\\t']] as const) {
    const r = e.compile(`in t: String\ny = Upper(t) with cache: 1min, cache_backend: "${written}"\nout y`);
    assert.ok(r.ok, `${written}: ${r.diagnostics.map((d) => d.message).join('\n')}`);
    const node = r.dag!.nodes.find((n): n is ModuleNode => n.kind === 'module')!;
    assert.equal(node.options?.cacheBackend, name);
  }
  // ordinary strings still have escapes
  const s = e.compile('in t: String\ny = "a\\tb"\nout y');
  assert.ok(s.ok);
});
