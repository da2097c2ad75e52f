import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { post as postTo, request, serverProcesses } from '../helpers/http.js';

/**
 * Limits of the suspension store in the real server process (issue 9, item 2: past 10,000 the
 * oldest suspended executions were deleted silently, so one client could push out everyone
 * else's, and every listing read every snapshot). A full store now refuses the run that would
 * suspend with 507 `SuspensionStoreFull` — what it computed and what it misses in the body — and
 * keeps every execution it acknowledged; the log and /metrics say so; lists page.
 */

const SUSPENDS = 'in a: Int\nin b: Int\nc = a * 3\nd = c + b\nout c\nout d';

describe('suspension store limits in the real server process', () => {
  const servers = serverProcesses();

  test('a full store answers 507 with the outputs and missing inputs and evicts nothing; lists page with a cursor', async () => {
    const s = await servers.start({ CONSTELLATION_SUSPENSION_MAX_ENTRIES: '3' });
    const post = (path: string, body: unknown) => postTo(s, path, body);
    const ids: string[] = [];
    for (let a = 1; a <= 3; a++) {
      const r = await post('/run', { source: SUSPENDS, inputs: { a } });
      assert.equal(r.json.status, 'suspended', r.text);
      ids.push(r.json.executionId);
    }
    const full = await post('/run', { source: SUSPENDS, inputs: { a: 10 } });
    assert.equal(full.status, 507, full.text);
    assert.equal(full.json.error, 'SuspensionStoreFull');
    assert.match(full.json.message, /3 executions/);
    assert.deepEqual(full.json.outputs, { c: 30 }, 'what was computed');
    assert.deepEqual(full.json.missingInputs, { b: 'CInt' }, 'what to send next time');
    assert.equal(full.json.executionId, null, 'no id that leads nowhere');
    assert.equal(typeof full.json.structuralHash, 'string');
    // the same through /execute
    assert.equal((await post('/compile', { source: SUSPENDS, name: 'suspends' })).status, 200);
    assert.equal((await post('/execute', { ref: 'suspends', inputs: { a: 11 } })).status, 507);
    // a run that completes needs no room
    assert.deepEqual((await post('/run', { source: SUSPENDS, inputs: { a: 1, b: 1 } })).json.outputs, { c: 3, d: 4 });

    // every acknowledged execution is still there, oldest first, a page at a time
    const all = await request(s.port, '/executions');
    assert.deepEqual(all.json.executions.map((e: { executionId: string }) => e.executionId), ids);
    assert.equal(all.json.nextCursor, null);
    const first = await request(s.port, '/executions?limit=2');
    assert.deepEqual(first.json.executions.map((e: { executionId: string }) => e.executionId), ids.slice(0, 2));
    assert.equal(typeof first.json.nextCursor, 'string');
    const second = await request(s.port, `/executions?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    assert.deepEqual(second.json.executions.map((e: { executionId: string }) => e.executionId), ids.slice(2));
    assert.equal(second.json.nextCursor, null);
    for (const bad of ['limit=0', 'limit=1001', 'limit=two', 'cursor=not-a-cursor']) {
      const r = await request(s.port, `/executions?${bad}`);
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
      assert.equal(r.json.error, 'InvalidRequest');
    }

    // visible: a log line and a counter
    assert.match(s.stdout(), /not stored: the suspension store is full \(3 executions\)/);
    const prometheus = (await request(s.port, '/metrics', { headers: { accept: 'text/plain' } })).text;
    assert.match(prometheus, /^constellation_suspension_store_refusals_total\{reason="count-limit"\} 2$/m);
    assert.match(prometheus, /^constellation_suspensions_stored 3$/m);
    assert.match(prometheus, /^constellation_suspension_max_entries 3$/m);

    // room again once one is resumed to completion
    const resumed = await post(`/executions/${ids[0]}/resume`, { additionalInputs: { b: 1 } });
    assert.equal(resumed.json.status, 'completed', resumed.text);
    assert.equal((await post('/run', { source: SUSPENDS, inputs: { a: 12 } })).json.status, 'suspended');
    await servers.stop(s);
  });
});
