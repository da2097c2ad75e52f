import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FailTimesState, NapState, Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE, FAULTS_FILE, node, sleep, stateOf, withRuntime } from './support.js';

/**
 * `cache: ttl` memoises successful results (key: module, version, canonical arguments, call
 * site). A hit does not run the module; failures are never cached; concurrent misses share one
 * computation.
 */

describe('option cache', () => {
  test('a second call within the TTL is a cache hit and does not run the module', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Tally(t) with cache: 1min\nout r\n');
      const first = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(first.status, 'completed', describeResult(first));
      assert.equal(node(first, 'r').cacheHit, undefined);
      const second = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(second.status, 'completed');
      assert.deepEqual(second.outputs, { r: 'x' });
      assert.equal(node(second, 'r').cacheHit, true);
      assert.equal(node(second, 'r').state, 'completed');
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
      const stats = engine.caches.get(undefined).stats();
      assert.equal(stats.hits, 1);
      assert.equal(stats.size, 1);
    });
  });

  test('a hit on a worker module sends nothing to the pool', async () => {
    await withRuntime({ moduleFiles: [EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE, FAULTS_FILE] }, async ({ engine, pool }) => {
      const dag = compileOk(engine, 'in t: String\nr = Echo(t) with cache: 1min\nout r\n');
      await engine.run(dag, { t: 'x' });
      const tasks = pool.stats.tasks;
      const second = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.deepEqual(second.outputs, { r: 'x' });
      assert.equal(node(second, 'r').cacheHit, true);
      assert.equal(pool.stats.tasks, tasks);
    });
  });

  test('the entry expires after its TTL', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Tally(t) with cache: 100ms\nout r\n');
      await engine.run(dag, { t: 'x' });
      await sleep(200);
      const again = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(node(again, 'r').cacheHit, undefined);
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 2);
    });
  });

  test('failures are not cached', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = FailTimes(t, 1) with cache: 1min\nout r\n');
      const first = await engine.run(dag, { t: 'x' });
      assert.equal(first.status, 'failed');
      const second = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(second.status, 'completed', 'the failure was not served from the cache');
      assert.deepEqual(second.outputs, { r: 'ok: x' });
      assert.equal(node(second, 'r').cacheHit, undefined);
      const third = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(node(third, 'r').cacheHit, true);
      assert.equal(stateOf<FailTimesState>(engine, 'FailTimes').log.length, 2);
    });
  });

  test('a fallback or zero value after a failure is not cached', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\na = FailTimes(t, 1) with cache: 1min, fallback: "fb"\nb = FailTimes("b", 1) with cache: 1min, on_error: skip\nout a\nout b\n');
      const first = await engine.run(dag, { t: 'a' });
      assert.deepEqual(first.outputs, { a: 'fb', b: '' });
      const second = await engine.run(dag, { t: 'a' });
      assert.deepEqual(second.outputs, { a: 'ok: a', b: 'ok: b' });
    });
  });

  test('different arguments miss; the same arguments hit again', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Tally(t) with cache: 1min\nout r\n');
      await engine.run(dag, { t: 'a' });
      const b = await engine.run(dag, { t: 'b' }, { includeNodes: true });
      assert.deepEqual(b.outputs, { r: 'b' });
      assert.equal(node(b, 'r').cacheHit, undefined);
      const a = await engine.run(dag, { t: 'a' }, { includeNodes: true });
      assert.deepEqual(a.outputs, { r: 'a' });
      assert.equal(node(a, 'r').cacheHit, true);
      assert.deepEqual(stateOf<Tally>(engine, 'Tally').args, ['a', 'b']);
    });
  });

  test('the key includes the call site: two call sites do not share entries', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\na = Tally(t) with cache: 1min\nb = Tally(t) with cache: 1min\nout a\nout b\n');
      await engine.run(dag, { t: 'x' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 2);
      const again = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(node(again, 'a').cacheHit, true);
      assert.equal(node(again, 'b').cacheHit, true);
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 2);
    });
  });

  test('concurrent misses for one key share one computation', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Nap(100, t) with cache: 1min\nout r\n');
      const results = await Promise.all([1, 2, 3].map(() => engine.run(dag, { t: 'same' })));
      for (const r of results) assert.deepEqual(r.outputs, { r: 'same' });
      assert.equal(stateOf<NapState>(engine, 'Nap').count, 1);
    });
  });

  test('an execution that joined a shared computation is not cancelled with its owner', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Nap(200, t) with cache: 1min\nout r\n');
      // the first execution owns the computation and times out; the second joined it
      const [owner, joiner] = await Promise.all([engine.run(dag, { t: 'k' }, { timeoutMs: 50 }), engine.run(dag, { t: 'k' }, { includeNodes: true })]);
      assert.equal(owner.status, 'timed_out');
      assert.equal(joiner.status, 'completed', describeResult(joiner));
      assert.deepEqual(joiner.outputs, { r: 'k' });
      assert.equal(node(joiner, 'r').state, 'completed');
      assert.equal(stateOf<NapState>(engine, 'Nap').count, 2, 'the joiner computed again after the owner was cancelled');
      const later = await engine.run(dag, { t: 'k' }, { includeNodes: true });
      assert.equal(node(later, 'r').cacheHit, true);
    });
  });

  test('a named cache_backend keeps its own entries', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Tally(t) with cache: 1min, cache_backend: "side"\nout r\n');
      await engine.run(dag, { t: 'x' });
      const again = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(node(again, 'r').cacheHit, true);
      assert.equal(engine.caches.get('side').stats().size, 1);
      assert.equal(engine.caches.get(undefined).stats().size, 0);
    });
  });
});
