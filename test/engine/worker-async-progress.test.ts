import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileOk, describeResult, FAULTS_FILE, withRuntime } from './support.js';

/**
 * Async work inside worker threads keeps progressing: the pool runs with `atomics: 'disabled'`,
 * so a worker's event loop is not parked between tasks, and many async calls overlap on one
 * thread instead of queueing behind each other.
 */

const options = { moduleFiles: [FAULTS_FILE], pool: { threads: 2 } };

describe('async progress in workers', () => {
  test('a timer started by a module in a worker fires and resolves the call', async () => {
    await withRuntime(options, async ({ engine }) => {
      const dag = compileOk(engine, 'a = BackgroundTimer(30)\nb = BackgroundTimer(120)\nout a\nout b\n');
      // guarded by an execution timeout: a parked event loop would never fire the timers
      const result = await engine.run(dag, {}, { timeoutMs: 10_000 });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { a: true, b: true });
      // again, after the workers went idle
      await new Promise((r) => setTimeout(r, 50));
      const again = await engine.run(dag, {}, { timeoutMs: 10_000 });
      assert.equal(again.status, 'completed', describeResult(again));
    });
  });

  test('many concurrent sleeps across executions overlap (≈ one sleep, not their sum)', async () => {
    await withRuntime(options, async ({ engine, pool }) => {
      const dag = compileOk(engine, 'in ms: Int\ns = Sleep(ms)\nout s\n');
      const n = 16;
      // long enough that scheduling noise on a loaded machine stays far below the gap between
      // overlapping (≈ ms) and serialised (n / threads × ms = 8 s)
      const ms = 1000;
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: n }, () => engine.run(dag, { ms }, { timeoutMs: 20_000 })));
      const elapsed = performance.now() - t0;
      for (const r of results) assert.deepEqual(r.outputs, { s: ms }, describeResult(r));
      assert.ok(elapsed >= ms - 5, `took ${elapsed} ms`);
      assert.ok(elapsed < 5 * ms, `16 sleeps of ${ms} ms took ${elapsed} ms: they did not overlap`);
      assert.ok(pool.stats.tasks >= n);
    });
  });

  test('calls that become ready in one turn go out in at most one batch per worker', async () => {
    await withRuntime(options, async ({ engine, pool }) => {
      const calls = Array.from({ length: 12 }, (_, i) => i);
      const dag = compileOk(engine, calls.map((i) => `s${i} = Sleep(${1000 + i})`).join('\n') + '\n' + calls.map((i) => `out s${i}`).join('\n') + '\n');
      const before = { ...pool.stats };
      const t0 = performance.now();
      const result = await engine.run(dag, {}, { timeoutMs: 10_000 });
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, Object.fromEntries(calls.map((i) => [`s${i}`, 1000 + i])));
      assert.equal(pool.stats.tasks - before.tasks, 12);
      assert.ok(pool.stats.batches - before.batches <= pool.threadCount, `${pool.stats.batches - before.batches} batches`);
      // the calls of a batch overlap (one after another, a batch of six would take 6 s)
      assert.ok(elapsed < 3500, `took ${elapsed} ms`);
    });
  });
});
