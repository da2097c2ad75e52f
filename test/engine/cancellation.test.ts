import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConstellationError } from '../../runtime/errors.js';
import type { Execution } from '../../runtime/engine/execution.js';
import type { HangState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, ENGINE_MODULES_FILE, EXAMPLE_MODULES_FILE, eventually, FAULTS_FILE, node, sleep, stateOf, withRuntime } from './support.js';

/**
 * Cancellation: `engine.cancel(id)` aborts every outstanding node — modules
 * see their AbortSignal — and the run ends `cancelled` with what was already computed; an
 * execution time limit ends it `timed_out`.
 */

describe('cancellation', () => {
  test('engine.cancel(id) aborts a running module; the result is cancelled with partial outputs', async () => {
    const events: string[] = [];
    const listener = {
      onExecutionCancelled: (id: string) => events.push(`cancelled ${id}`),
      onExecutionComplete: (id: string) => events.push(`complete ${id}`),
    };
    await withRuntime({ listener }, async ({ engine }) => {
      const hang = stateOf<HangState>(engine, 'Hang');
      let exec: Execution | undefined;
      hang.onStart = () => {
        assert.ok(exec);
        assert.deepEqual([...engine.runningExecutions()].map((e) => e.executionId), [exec.executionId]);
        assert.equal(engine.cancel(exec.executionId), true);
      };
      const dag = compileOk(engine, 'in t: String\ndone = Tally(t)\nh = Hang(done)\nafter = Tally(h)\nout done\nout after\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true, onStart: (e) => (exec = e) });
      assert.equal(result.status, 'cancelled', describeResult(result));
      assert.equal(result.executionId, exec!.executionId);
      assert.deepEqual(result.outputs, { done: 'x' }, 'what was computed before the cancel is kept');
      assert.deepEqual(result.pendingOutputs, ['after']);
      assert.deepEqual(result.errors, []);
      assert.equal(node(result, 'h').state, 'cancelled');
      assert.equal(node(result, 'after').state, 'cancelled');
      assert.equal(hang.aborted, 1, 'the module saw its signal fire');
      assert.equal((hang.abortReasons[0] as ConstellationError).code, 'Cancelled');
      assert.deepEqual(events, [`cancelled ${result.executionId}`]);
      assert.equal(engine.inflightCount, 0);
      assert.equal(engine.cancel(result.executionId), false, 'no-op after the end');
    });
  });

  test('cancel is idempotent and unknown ids are refused', async () => {
    await withRuntime({}, async ({ engine }) => {
      assert.equal(engine.cancel('no-such-execution'), false);
      const hang = stateOf<HangState>(engine, 'Hang');
      const dag = compileOk(engine, 'in t: String\nh = Hang(t)\nout h\n');
      const run = engine.run(dag, { t: 'x' });
      await eventually(() => hang.started === 1);
      const [exec] = [...engine.runningExecutions()];
      exec!.cancel();
      exec!.cancel();
      const result = await run;
      assert.equal(result.status, 'cancelled');
      assert.equal(hang.aborted, 1);
    });
  });

  test('an execution time limit ends the run timed_out and aborts its modules', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nquick = Tally(t)\nh = Hang(t)\nout quick\nout h\n');
      const t0 = performance.now();
      const result = await engine.run(dag, { t: 'x' }, { timeoutMs: 150, includeNodes: true });
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'timed_out', describeResult(result));
      assert.deepEqual(result.outputs, { quick: 'x' });
      assert.ok(elapsed >= 145, `ended after ${elapsed} ms`);
      const hang = stateOf<HangState>(engine, 'Hang');
      assert.equal(hang.aborted, 1);
      // the module sees a cancellation (the run's status says why)
      assert.equal((hang.abortReasons[0] as ConstellationError).code, 'Cancelled');
      assert.equal(node(result, 'h').state, 'cancelled');
    });
  });

  test('the engine-wide execution time limit applies when a run sets none', async () => {
    await withRuntime({ executionTimeoutMs: 100 }, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, 'in t: String\nh = Hang(t)\nout h\n'), { t: 'x' });
      assert.equal(result.status, 'timed_out');
    });
  });

  test('cancelling during a retry delay or a concurrency wait ends the run at once', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = FailTimes(t, 9) with retry: 3, delay: 10s\nh = Hang(t) with concurrency: 1\nw = Hang(concat(t, "2")) with concurrency: 1\nout r\nout h\nout w\n');
      const t0 = performance.now();
      const result = await engine.run(dag, { t: 'x' }, { timeoutMs: 200, includeNodes: true });
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'timed_out');
      assert.ok(elapsed < 5000, `took ${elapsed} ms`);
      assert.equal(stateOf<HangState>(engine, 'Hang').started, 1, 'the second Hang waited for the permit');
      // the permit and the delay were released: the engine keeps serving those modules
      const again = await engine.run(compileOk(engine, 'in t: String\nr = FailTimes(t, 0) with retry: 1, delay: 10ms\nh = Nap(5, t) with concurrency: 1\nout r\nout h\n'), { t: 'y' });
      assert.equal(again.status, 'completed', describeResult(again));
    });
  });

  test('cancelling a module on the worker pool aborts it there; the worker stays', async () => {
    await withRuntime({ moduleFiles: [EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE, FAULTS_FILE], pool: { threads: 2, terminateGraceMs: 100 } }, async ({ engine, pool }) => {
      const dag = compileOk(engine, 'in ms: Int\ns = Sleep(ms)\nout s\n');
      const run = engine.run(dag, { ms: 30_000 });
      await eventually(() => pool.stats.tasks === 1);
      await sleep(20);
      const [exec] = [...engine.runningExecutions()];
      engine.cancel(exec!.executionId);
      const result = await run;
      assert.equal(result.status, 'cancelled');
      await sleep(300);
      assert.equal(pool.stats.terminations, 0, 'a responsive worker is not terminated');
      const again = await engine.run(dag, { ms: 1 });
      assert.deepEqual(again.outputs, { s: 1 });
    });
  });

  test('cancelling a busy-looping module terminates its worker; the pool recovers', async () => {
    await withRuntime({ moduleFiles: [FAULTS_FILE], pool: { threads: 2, terminateGraceMs: 100 } }, async ({ engine, pool }) => {
      // warm workers first: a call cancelled before its batch starts never runs (nothing to terminate)
      const echo = compileOk(engine, 'in t: String\ne = Echo(t)\nout e\n');
      await Promise.all([engine.run(echo, { t: 'a' }), engine.run(echo, { t: 'b' })]);
      const dag = compileOk(engine, 'in t: String\nb = BusyLoop(t)\nout b\n');
      const run = engine.run(dag, { t: 'x' }, { timeoutMs: 300 });
      const result = await run;
      assert.equal(result.status, 'timed_out');
      await eventually(() => pool.stats.terminations === 1, 5000, 'termination');
      const again = await engine.run(echo, { t: 'y' }, { timeoutMs: 10_000 });
      assert.deepEqual(again.outputs, { e: 'y' });
    });
  });
});
