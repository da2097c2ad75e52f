import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay } from '../../runtime/engine/node-actor.js';
import type { FailTimesState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, stateOf, withRuntime } from './support.js';

/** `delay` and `backoff`: the wait before retry k (never before the first attempt), capped at 30 s. */

describe('option delay and backoff', () => {
  test('backoffDelay: fixed d, linear k·d, exponential 2^(k-1)·d, capped at 30 s', () => {
    assert.deepEqual([1, 2, 3, 4].map((k) => backoffDelay('fixed', 100, k)), [100, 100, 100, 100]);
    assert.deepEqual([1, 2, 3, 4].map((k) => backoffDelay(undefined, 100, k)), [100, 100, 100, 100], 'fixed is the default');
    assert.deepEqual([1, 2, 3, 4].map((k) => backoffDelay('linear', 100, k)), [100, 200, 300, 400]);
    assert.deepEqual([1, 2, 3, 4, 5].map((k) => backoffDelay('exponential', 1000, k)), [1000, 2000, 4000, 8000, 16000]);
    assert.equal(backoffDelay('exponential', 1000, 6), 30_000);
    assert.equal(backoffDelay('exponential', 1000, 60), 30_000);
    assert.equal(backoffDelay('linear', 20_000, 2), 30_000);
    assert.equal(backoffDelay('fixed', 45_000, 1), 30_000);
  });

  const cases = [
    { backoff: 'fixed', waits: [40, 40, 40] },
    { backoff: 'linear', waits: [40, 80, 120] },
    { backoff: 'exponential', waits: [40, 80, 160] },
  ] as const;

  for (const { backoff, waits } of cases) {
    test(`${backoff}: each retry waits at least its delay (${waits.join(', ')} ms)`, async () => {
      await withRuntime({}, async ({ engine }) => {
        const dag = compileOk(engine, `in t: String\nr = FailTimes(t, 3) with retry: 3, delay: 40ms, backoff: ${backoff}\nout r\n`);
        const t0 = performance.now();
        const result = await engine.run(dag, { t: backoff });
        const elapsed = performance.now() - t0;
        assert.equal(result.status, 'completed', describeResult(result));
        assert.deepEqual(result.outputs, { r: `ok: ${backoff}` });
        const log = stateOf<FailTimesState>(engine, 'FailTimes').log;
        assert.deepEqual(log.map((l) => l.attempt), [1, 2, 3, 4]);
        for (let k = 1; k < log.length; k++) {
          const gap = log[k]!.at - log[k - 1]!.at;
          assert.ok(gap >= waits[k - 1]! - 2, `wait before retry ${k} was ${gap} ms, expected ≥ ${waits[k - 1]}`);
        }
        const total = waits.reduce((a, b) => a + b, 0);
        assert.ok(elapsed >= total - 2, `took ${elapsed} ms, the delays sum to ${total}`);
      });
    });
  }

  test('without delay, retries follow at once; delay is never applied before the first attempt', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = FailTimes(t, 2) with retry: 2\nslow = FailTimes("slow", 0) with retry: 3, delay: 5s\nout r\nout slow\n');
      const t0 = performance.now();
      const result = await engine.run(dag, { t: 'quick' });
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'ok: quick', slow: 'ok: slow' });
      // a 5 s delay before the first attempt (or any delay without retries) would show here
      assert.ok(elapsed < 4000, `took ${elapsed} ms`);
    });
  });
});
