import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * Names that mean something to JavaScript objects. `__proto__` as an input, output, variable
 * or field name would be lost when values are keyed by it (it sets an object's prototype), so
 * the compiler refuses it with a located diagnostic; other Object.prototype names work as any
 * name; a map key `__proto__` is data and round-trips.
 */

describe('prototype names', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test('__proto__ as a name is a compile error with a location', async () => {
    for (const source of ['in __proto__: Int\nout __proto__', 'in x: { __proto__: Int }\nout x', 'in x: Int\n__proto__ = x\nout __proto__', 'in r: { a: Int }\ny = r.__proto__\nout y']) {
      const r = await s.post('/compile', { source });
      assert.equal(r.status, 400, source);
      const d = r.body.diagnostics.find((x: { message: string }) => x.message.includes("'__proto__' cannot be used as a name"));
      assert.ok(d, `${source}: ${r.text}`);
      assert.equal(d.code, 'E020');
      assert.ok(d.range.start.line >= 1 && d.range.end.column > d.range.start.column);
    }
  });

  test('constructor and toString are ordinary names; a missing one is reported as missing', async () => {
    const source = 'in constructor: Int\nin toString: Int\ny = constructor + toString\nout y\nout constructor';
    const partial = await s.post('/run', { source, inputs: { constructor: 1 } });
    assert.equal(partial.body.status, 'suspended');
    assert.deepEqual(partial.body.missingInputs, { toString: 'CInt' });
    assert.deepEqual(partial.body.outputs, { constructor: 1 });
    const whole = await s.post('/run', { source, inputs: { constructor: 1, toString: 2 } });
    assert.deepEqual(whole.body.outputs, { y: 3, constructor: 1 });
  });

  test('a map key __proto__ is data: it round-trips', async () => {
    const r = await s.request('POST', '/run', '{"source": "in m: Map<String, Int>\\nout m", "inputs": {"m": {"__proto__": 5, "a": 1}}}');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text.includes('"m":{"__proto__":5,"a":1}'), true, r.text);
  });
});
