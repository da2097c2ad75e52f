import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FailTimesState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE, FAULTS_FILE, node, stateOf, withRuntime } from './support.js';

/** `retry: N` — up to N + 1 attempts; the call fails only when every attempt failed. */

describe('option retry', () => {
  test('FlakyService with retry: 3 succeeds on its third attempt', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in request: String\nr = FlakyService(request) with retry: 3\nout r\n');
      const result = await engine.run(dag, { request: 'go' }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'Success for: go' });
      const n = node(result, 'r');
      assert.equal(n.state, 'completed');
      assert.equal(n.attempts, 3);
      assert.equal(stateOf<{ calls: number }>(engine, 'FlakyService').calls, 3, 'the fourth attempt was not needed');
    });
  });

  test('retries exhausted: the call fails with every attempt error kept', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in request: String\nr = FlakyService(request) with retry: 1\nout r\n');
      const result = await engine.run(dag, { request: 'go' }, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.deepEqual(result.outputs, {});
      assert.deepEqual(result.pendingOutputs, ['r']);
      assert.equal(result.errors.length, 1);
      const e = result.errors[0]!;
      assert.equal(e.code, 'RetriesExhausted');
      assert.match(e.message, /^Operation failed after 2 attempts/);
      assert.equal(e.retriesAttempted, 1);
      assert.equal(e.moduleName, 'FlakyService');
      assert.equal(e.nodeName, 'r');
      assert.deepEqual(e.attemptErrors, ['ModuleFailed: Service temporarily unavailable (attempt 1)', 'ModuleFailed: Service temporarily unavailable (attempt 2)']);
      const n = node(result, 'r');
      assert.equal(n.state, 'failed');
      assert.equal(n.attempts, 2);
      assert.equal(stateOf<{ calls: number }>(engine, 'FlakyService').calls, 2);
    });
  });

  test('retry: 0 (and no retry) means exactly one attempt and the plain error', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in request: String\na = FlakyService(request) with retry: 0\nout a\n');
      const result = await engine.run(dag, { request: 'go' }, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.equal(result.errors[0]!.code, 'ModuleFailed');
      assert.equal(result.errors[0]!.message, 'Service temporarily unavailable (attempt 1)');
      assert.equal(result.errors[0]!.retriesAttempted, 0);
      assert.equal(node(result, 'a').attempts, 1);
      assert.equal(stateOf<{ calls: number }>(engine, 'FlakyService').calls, 1);
    });
  });

  test('the module sees the attempt number; the retry stops at the first success', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = FailTimes(t, 2) with retry: 5\nout r\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'ok: x' });
      assert.equal(node(result, 'r').attempts, 3);
      assert.deepEqual(stateOf<FailTimesState>(engine, 'FailTimes').log.map((l) => l.attempt), [1, 2, 3]);
    });
  });

  test('retries apply to modules on the worker pool too', async () => {
    await withRuntime({ moduleFiles: [EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE, FAULTS_FILE] }, async ({ engine, pool }) => {
      const dag = compileOk(engine, 'in t: String\nr = Throws(t) with retry: 2\nout r\n');
      const before = pool.stats.tasks;
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.equal(result.errors[0]!.code, 'RetriesExhausted');
      assert.deepEqual(result.errors[0]!.attemptErrors, ['ModuleFailed: boom', 'ModuleFailed: boom', 'ModuleFailed: boom']);
      assert.equal(node(result, 'r').attempts, 3);
      assert.equal(pool.stats.tasks - before, 3, 'one pool task per attempt');
    });
  });

  test('a retry only re-runs the failing call, not its upstream', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nup = Tally(t)\nr = FailTimes(up, 1) with retry: 1\nout r\n');
      const result = await engine.run(dag, { t: 'x' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'ok: x' });
      assert.equal(stateOf<{ count: number }>(engine, 'Tally').count, 1);
    });
  });
});
