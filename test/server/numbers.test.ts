import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * Numbers at the edge of what JSON and the engine can hold: a literal beyond the Float range
 * (JSON.parse turns `1e309` into Infinity) is a 400 wherever inputs are read; a non-finite
 * result a pipeline computes keeps the API's string encoding; an Int overflow names the true
 * result.
 */

const NUMBERS_JS = fileURLToPath(new URL('../fixtures/modules/numbers.js', import.meta.url));

describe('number edges', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { CONSTELLATION_MODULES: NUMBERS_JS } });
  });
  after(() => s.close());

  test('a Float input of 1e309 is refused with 400 on invoke, /run and /execute', async () => {
    const invoke = await s.request('POST', '/modules/Scale/invoke', '{"x": 1e309, "factor": 2}');
    assert.equal(invoke.status, 400, invoke.text);
    assert.match(invoke.body.error, /Input 'x': expected a finite Float/);
    const run = await s.request('POST', '/run', '{"source": "in x: Float\\nout x", "inputs": {"x": -1e309}}');
    assert.equal(run.status, 400, run.text);
    assert.match(run.body.error, /^Input error: Input 'x': expected a finite Float/);
    await s.post('/compile', { source: 'in xs: List<Float>\nout xs', name: 'floats' });
    const exec = await s.request('POST', '/execute', '{"ref": "floats", "inputs": {"xs": [1, 2e400]}}');
    assert.equal(exec.status, 400, exec.text);
    assert.match(exec.body.error, /xs\[1\]/);
    const fine = await s.request('POST', '/modules/Scale/invoke', '{"x": 1.5e308, "factor": 1}');
    assert.equal(fine.status, 200, fine.text);
  });

  test('a non-finite result computed by a pipeline keeps the string encoding', async () => {
    const r = await s.post('/run', { source: 'in x: Float\ny = x * x\nout y', inputs: { x: 1e300 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.outputs, { y: 'Infinity' });
  });

  test('the Int overflow message names the true result', async () => {
    const r = await s.post('/run', { source: 'in x: Int\ny = x * x\nout y', inputs: { x: 9007199254740991 } });
    assert.equal(r.body.status, 'failed');
    assert.match(r.body.error, /the result 81129638414606663681390495662081 is outside the exact integer range/);
    const small = await s.post('/run', { source: 'in x: Int\ny = x + 1\nout y', inputs: { x: 9007199254740991 } });
    assert.match(small.body.error, /the result 9007199254740992 is outside/);
  });
});
