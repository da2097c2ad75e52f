import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { compile } from '../../runtime/compiler/compile.js';
import { defineModule, type ConstellationModule } from '../../runtime/modules/define.js';
import { Engine } from '../../runtime/engine/engine.js';

/**
 * The dependency hash keys the shared syntactic index: it covers only what a program looked up,
 * so registries that differ in modules the program does not use agree on it, and any change to
 * a module it does use changes it.
 */

const used = (version: string) => defineModule({ name: 'Greet', version, input: z.object({ who: z.string() }), output: z.object({ text: z.string() }), run: ({ who }) => ({ text: `hi ${who}` }) });
const other = defineModule({ name: 'Unrelated', input: z.object({ n: z.number().int() }), output: z.object({ n: z.number().int() }), run: ({ n }) => ({ n }) });
const SOURCE = 'in who: String\nt = Greet(who)\nout t\n';

function hashWith(...modules: ConstellationModule[]): string {
  const engine = new Engine({ modules: modules.map((module) => ({ module })) });
  const result = compile(SOURCE, engine.functions);
  assert.ok(result.ok);
  return engine.functions.dependencyHash(result.lookups);
}

describe('dependency hash', () => {
  test('unrelated modules do not change it; the used module’s signature does; the registry hash differs either way', () => {
    const base = hashWith(used('1.0.0'));
    assert.equal(hashWith(used('1.0.0'), other), base);
    assert.notEqual(hashWith(used('2.0.0')), base);
    const a = new Engine({ modules: [{ module: used('1.0.0') }] }).functions.hash();
    const b = new Engine({ modules: [{ module: used('1.0.0') }, { module: other }] }).functions.hash();
    assert.notEqual(a, b);
  });

  test('order and repetition of the names do not matter', () => {
    const engine = new Engine();
    assert.equal(engine.functions.dependencyHash(['a', 'b', 'a']), engine.functions.dependencyHash(['b', 'a']));
  });
});
