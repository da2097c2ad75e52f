import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConstellationError } from '../../runtime/errors.js';
import type { HangState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, node, stateOf, withRuntime } from './support.js';

/** `timeout: d` bounds one attempt; each retry gets its own timeout. */

describe('option timeout', () => {
  test('TimeoutProneService: the slow first attempt is cut at 500 ms and the retry succeeds', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in request: String\nr = TimeoutProneService(request) with timeout: 500ms, retry: 2, delay: 50ms\nout r\n');
      const t0 = performance.now();
      const result = await engine.run(dag, { request: 'ping' }, { includeNodes: true });
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'Response for: ping' });
      assert.equal(node(result, 'r').attempts, 2);
      assert.equal(stateOf<{ calls: number }>(engine, 'TimeoutProneService').calls, 2);
      // timeout + delay + the 100 ms second call, and far less than the 3 s first call
      assert.ok(elapsed >= 640, `took ${elapsed} ms`);
      assert.ok(elapsed < 2900, `took ${elapsed} ms: the first attempt was not cut`);
    });
  });

  test('a timed-out attempt fails the node as timed_out and aborts the module body', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Hang(t) with timeout: 100ms\nout r\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.equal(result.errors.length, 1);
      assert.equal(result.errors[0]!.code, 'ModuleTimeout');
      assert.equal(result.errors[0]!.message, 'Operation timed out after 100ms');
      assert.equal(node(result, 'r').state, 'timed_out');
      const hang = stateOf<HangState>(engine, 'Hang');
      assert.equal(hang.started, 1);
      assert.equal(hang.aborted, 1, 'the module saw its signal fire');
      assert.equal((hang.abortReasons[0] as ConstellationError).code, 'ModuleTimeout');
    });
  });

  test('each attempt gets its own timeout', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Hang(t) with timeout: 80ms, retry: 2\nout r\n');
      const t0 = performance.now();
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'failed');
      const e = result.errors[0]!;
      assert.equal(e.code, 'RetriesExhausted');
      assert.match(e.message, /^Operation failed after 3 attempts: Operation timed out after 80ms/);
      assert.deepEqual(e.attemptErrors, Array(3).fill('ModuleTimeout: Operation timed out after 80ms'));
      assert.equal(node(result, 'r').state, 'timed_out');
      assert.equal(node(result, 'r').attempts, 3);
      const hang = stateOf<HangState>(engine, 'Hang');
      assert.equal(hang.started, 3);
      assert.equal(hang.aborted, 3);
      assert.ok(elapsed >= 235, `three 80 ms attempts took ${elapsed} ms`);
    });
  });

  test('the timeout option overrides the engine default module timeout', async () => {
    await withRuntime({ defaultModuleTimeoutMs: 100 }, async ({ engine }) => {
      const dag = compileOk(engine, 'slow = Nap(300, "slow") with timeout: 5s\ncut = Nap(300, "cut")\nout slow\nout cut\n');
      const result = await engine.run(dag, {}, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.deepEqual(result.outputs, { slow: 'slow' });
      assert.equal(node(result, 'cut').state, 'timed_out');
      assert.equal(result.errors.length, 1);
      assert.equal(result.errors[0]!.nodeName, 'cut');
      assert.equal(result.errors[0]!.message, 'Operation timed out after 100ms');
    });
  });
});
