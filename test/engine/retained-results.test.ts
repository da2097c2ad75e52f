import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import { ResultRetention } from '../../runtime/engine/retained-results.js';

/** Results of asynchronous runs kept for `GET /executions/{id}`: for a time, within bounds. */

function result(id: string, text = 'x'): ExecutionResult {
  return {
    executionId: id, structuralHash: 'h', resumptionCount: 0, status: 'completed', outputs: { text }, missingInputs: {}, pendingOutputs: [], errors: [],
    startedAtMs: 0, completedAtMs: 1, durationMs: 1,
  };
}

describe('ResultRetention', () => {
  test('running from begin, finished with its result, forgotten after the retention time', () => {
    let now = 1000;
    const r = new ResultRetention({ ttlMs: 100, maxEntries: 10, maxBytes: 1 << 20 }, () => now);
    r.begin('a', 'run');
    assert.equal(r.get('a')?.state, 'running');
    now += 50;
    r.finish('a', { result: result('a') });
    const kept = r.get('a');
    assert.equal(kept?.state, 'finished');
    assert.equal(kept?.state === 'finished' && kept.finishedAt, 1050);
    assert.equal(kept?.via, 'run');
    now += 99;
    assert.ok(r.get('a'));
    now += 1;
    assert.equal(r.get('a'), undefined);
  });

  test('a run that threw is kept with its error; forget drops a result', () => {
    const r = new ResultRetention();
    r.begin('b', 'execute');
    r.finish('b', { error: 'boom' });
    const kept = r.get('b');
    assert.equal(kept?.state === 'finished' && kept.error, 'boom');
    assert.equal(r.forget('b'), true);
    assert.equal(r.get('b'), undefined);
    assert.equal(r.forget('b'), false);
  });

  test('bounded by entries and bytes: the oldest finished results go; running entries stay and fill the room', () => {
    const r = new ResultRetention({ ttlMs: 60_000, maxEntries: 3, maxBytes: 1 << 20 });
    for (const id of ['1', '2', '3', '4']) {
      r.begin(id, 'run');
      r.finish(id, { result: result(id) });
    }
    assert.equal(r.get('1'), undefined, 'evicted');
    assert.ok(r.get('4'));
    assert.equal(r.stats().evicted, 1);
    for (const id of ['r1', 'r2', 'r3']) {
      assert.ok(r.hasRoom);
      r.begin(id, 'run');
    }
    assert.equal(r.stats().finished, 0, 'running entries pushed the finished ones out');
    assert.equal(r.hasRoom, false, 'three running: no room');

    const small = new ResultRetention({ ttlMs: 60_000, maxEntries: 100, maxBytes: 600 });
    small.begin('big', 'run');
    small.finish('big', { result: result('big', 'y'.repeat(1000)) });
    assert.equal(small.get('big'), undefined, 'larger than the byte bound: not kept');
    for (const id of ['p', 'q', 'r']) {
      small.begin(id, 'run');
      small.finish(id, { result: result(id) });
    }
    assert.ok(small.stats().bytes <= 600);
    assert.equal(small.get('p'), undefined, 'the oldest made room');
    assert.ok(small.get('r'));
  });
});
