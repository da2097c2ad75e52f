import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/** `GET /executions`, `GET|DELETE /executions/{id}`. */

const TWO_INPUTS = 'in a: Int\nin b: String\nc = a + 1\nd = Uppercase(b)\nout c\nout d';

let s: TestServer;
let hash: string;
before(async () => {
  s = await startServer();
  hash = await compile(s, TWO_INPUTS, 'two');
});
after(async () => {
  await s.close();
});

async function suspend(inputs: Record<string, unknown>): Promise<string> {
  const r = await s.post('/execute', { ref: 'two', inputs });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'suspended');
  return r.body.executionId as string;
}

describe('GET /executions', () => {
  test('lists suspended executions with their missing inputs', async () => {
    const id = await suspend({ a: 1 });
    const r = await s.get('/executions');
    assert.equal(r.status, 200);
    const entry = r.body.executions.find((e: { executionId: string }) => e.executionId === id);
    assert.ok(entry, r.text);
    assert.equal(entry.structuralHash, hash);
    assert.equal(entry.resumptionCount, 0);
    assert.deepEqual(entry.missingInputs, { b: 'CString' });
    assert.match(entry.createdAt, /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.equal(entry.status, 'suspended');
  });

  test('a completed resume removes the entry', async () => {
    const id = await suspend({ b: 'x' });
    const resumed = await s.post(`/executions/${id}/resume`, { additionalInputs: { a: 41 } });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.status, 'completed');
    assert.deepEqual(resumed.body.outputs, { c: 42, d: 'X' });
    const list = await s.get('/executions');
    assert.ok(!list.body.executions.some((e: { executionId: string }) => e.executionId === id));
    assert.equal((await s.get(`/executions/${id}`)).status, 404);
  });
});

describe('GET /executions/{id}', () => {
  test('one execution summary', async () => {
    const id = await suspend({});
    const r = await s.get(`/executions/${id}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.executionId, id);
    assert.equal(r.body.structuralHash, hash);
    assert.deepEqual(r.body.missingInputs, { a: 'CInt', b: 'CString' });
    assert.equal(r.body.resumptionCount, 0);
    assert.equal(r.body.lastResumedAt, null);
  });

  test('after a partial resume: same id, resumption count 1, fewer missing inputs', async () => {
    const id = await suspend({});
    const resumed = await s.post(`/executions/${id}/resume`, { additionalInputs: { a: 1 } });
    assert.equal(resumed.body.status, 'suspended');
    assert.equal(resumed.body.executionId, id);
    const r = await s.get(`/executions/${id}`);
    assert.equal(r.body.resumptionCount, 1);
    assert.deepEqual(r.body.missingInputs, { b: 'CString' });
    assert.match(r.body.lastResumedAt, /Z$/);
  });

  test('unknown or malformed id → 404 NotFound', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r = await s.get(`/executions/${unknown}`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'NotFound', message: `Execution '${unknown}' not found`, requestId: null });
    const bad = await s.get('/executions/not-a-uuid');
    assert.equal(bad.status, 404);
    assert.equal(bad.body.message, "Execution 'not-a-uuid' not found");
    const traversal = await s.get('/executions/..%2F..%2Fetc');
    assert.equal(traversal.status, 404);
  });
});

describe('DELETE /executions/{id}', () => {
  test('deletes once; then 404 everywhere', async () => {
    const id = await suspend({ a: 5 });
    const r = await s.del(`/executions/${id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { deleted: true });
    assert.equal((await s.del(`/executions/${id}`)).status, 404);
    assert.equal((await s.get(`/executions/${id}`)).status, 404);
    const resume = await s.post(`/executions/${id}/resume`, { additionalInputs: { b: 'x' } });
    assert.equal(resume.status, 404);
    assert.ok(!(await s.get('/executions')).body.executions.some((e: { executionId: string }) => e.executionId === id));
  });

  test('malformed id → 404', async () => {
    const r = await s.del('/executions/xyz');
    assert.equal(r.status, 404);
    assert.equal(r.body.error, 'NotFound');
  });
});
