import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HangState, Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, moduleNodes, node, stateOf, withRuntime } from './support.js';

/**
 * `fallback: expr` supplies the value after the call's attempts are exhausted; it wins over
 * `on_error`, and it is evaluated only when the call fails (docs/decisions.md #6, #9).
 */

describe('option fallback', () => {
  test('a fallback replaces a failed call; the run completes without errors', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in r: String\nin fb: String\na = AlwaysFailsService(r) with fallback: "default"\nb = AlwaysFailsService(r) with fallback: fb\nc = divide(10, 0) with fallback: -1\nout a\nout b\nout c\n');
      const result = await engine.run(dag, { r: 'x', fb: 'backup' }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.outputs, { a: 'default', b: 'backup', c: -1 });
      // the failed calls keep their own state
      for (const n of moduleNodes(result, 'AlwaysFailsService')) assert.equal(n.state, 'failed');
    });
  });

  test('fallback is used only after all retries failed', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\na = FailTimes(t, 5) with retry: 2, fallback: "fb"\nb = FailTimes("second", 1) with retry: 2, fallback: "fb"\nout a\nout b\n');
      const result = await engine.run(dag, { t: 'first' }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { a: 'fb', b: 'ok: second' });
      const [a, b] = moduleNodes(result, 'FailTimes');
      assert.equal(a!.attempts, 3);
      assert.equal(a!.state, 'failed');
      assert.equal(b!.attempts, 2);
      assert.equal(b!.state, 'completed');
    });
  });

  test('fallback after a per-attempt timeout', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Hang(t) with timeout: 50ms, fallback: "late"\nout r\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'late' });
      assert.equal(moduleNodes(result, 'Hang')[0]!.state, 'timed_out');
      assert.equal(stateOf<HangState>(engine, 'Hang').aborted, 1);
    });
  });

  test('fallback takes precedence over on_error', async () => {
    await withRuntime({}, async (rt) => {
      const dag = compileOk(rt.engine, 'in r: String\na = AlwaysFailsService(r) with on_error: skip, fallback: "fb-a"\nb = AlwaysFailsService(r) with fallback: "fb-b", on_error: log\nout a\nout b\n');
      const result = await rt.engine.run(dag, { r: 'x' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { a: 'fb-a', b: 'fb-b' });
      assert.deepEqual(rt.warnings, [], 'on_error: log did not run');
    });
  });

  test('the fallback expression is not evaluated when the call succeeds', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(
        engine,
        'in t: String\nin zero: Int\na = Tally(t) with fallback: TallyFail(t)\nb = TallyInt(7) with fallback: divide(1, zero)\nout a\nout b\n',
      );
      const result = await engine.run(dag, { t: 'x', zero: 0 }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.outputs, { a: 'x', b: 7 });
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 0, 'the failing fallback module never ran');
      assert.equal(moduleNodes(result, 'TallyFail')[0]!.state, 'untaken');
      assert.equal(moduleNodes(result, 'divide')[0]!.state, 'untaken');
    });
  });

  test('a fallback that calls a module runs it once, only on failure', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = AlwaysFailsService(t) with retry: 1, fallback: Tally(t)\nout r\n');
      const result = await engine.run(dag, { t: 'fb' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'fb' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
    });
  });

  test('a fallback that itself fails fails the call', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = AlwaysFailsService(t) with fallback: TallyFail(t)\nother = Tally(t)\nout r\nout other\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'failed', describeResult(result));
      assert.deepEqual(result.outputs, { other: 'x' });
      assert.deepEqual(result.pendingOutputs, ['r']);
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 1);
      assert.ok(result.errors.some((e) => e.moduleName === 'TallyFail' && e.message === 'TallyFail failed for: x'), describeResult(result));
      assert.notEqual(node(result, 'r').state, 'completed');
    });
  });
});
