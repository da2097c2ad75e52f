import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

/** POST /compile's answers to bodies that are not what it expects (the API's fixed wording). */

describe('POST /compile with a body it cannot use', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test("raw source, JSON without 'source', a non-object or a non-string source → the fixed message", async () => {
    for (const body of ['in x: Int\nout x', '{}', '[1]', '"text"', '{"source": 3}']) {
      const r = await s.request('POST', '/compile', body, { 'content-type': 'text/plain' });
      assert.equal(r.status, 400, body);
      assert.equal(r.body.success, false);
      assert.deepEqual(r.body.errors, ["Invalid request: expected JSON body with 'source' field"], body);
      assert.equal(typeof r.body.detail, 'string', 'the parser detail rides beside it');
      assert.equal(r.body.structuralHash, null);
    }
  });

  test('a bad optional field names itself', async () => {
    const r = await s.post('/compile', { source: 'in x: Int\nout x', name: 5 });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0], /^Invalid request: field 'name': /);
  });
});
