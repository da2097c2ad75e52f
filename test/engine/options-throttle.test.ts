import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenBucket } from '../../runtime/engine/limits.js';
import type { NapState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, stateOf, withRuntime } from './support.js';

/**
 * `throttle: count/period` — a token bucket per module name (capacity `count`, refilled
 * continuously), shared by every call site and execution of one engine.
 */

describe('option throttle', () => {
  test('TokenBucket: a full bucket of `count`, then one token per period/count (injected clock)', async () => {
    let now = 0;
    const bucket = new TokenBucket(2, 100, () => now);
    await bucket.take();
    await bucket.take();
    let third = false;
    const pending = bucket.take().then(() => (third = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, 'the bucket is empty');
    now = 50; // one token's worth of refill
    await pending;
    assert.equal(third, true);
  });

  test('6 calls with throttle: 2/100ms take at least 200 ms (2 at once, then one per 50 ms)', async () => {
    await withRuntime({}, async ({ engine }) => {
      const calls = [1, 2, 3, 4, 5, 6];
      const source = calls.map((i) => `n${i} = Nap(0, "c${i}") with throttle: 2/100ms`).join('\n') + '\n' + calls.map((i) => `out n${i}`).join('\n') + '\n';
      const dag = compileOk(engine, source);
      const t0 = performance.now();
      const result = await engine.run(dag, {});
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'completed', describeResult(result));
      assert.equal(Object.keys(result.outputs).length, 6);
      assert.ok(elapsed >= 195, `took ${elapsed} ms`);
      // the (k+1)-th start (k ≥ 2) waited for k - 1 refilled tokens (the bucket was created after t0)
      const starts = [...stateOf<NapState>(engine, 'Nap').startedAt.values()].sort((a, b) => a - b);
      for (let k = 2; k < starts.length; k++) {
        const waited = starts[k]! - t0;
        assert.ok(waited >= (k - 1) * 50 - 2, `start ${k + 1} after ${waited} ms`);
      }
    });
  });

  test('the bucket is shared across executions of the engine', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'a = Nap(0, "a") with throttle: 2/100ms\nb = Nap(0, "b") with throttle: 2/100ms\nc = Nap(0, "c") with throttle: 2/100ms\nout a\nout b\nout c\n');
      const t0 = performance.now();
      const results = await Promise.all([engine.run(dag, {}), engine.run(dag, {})]);
      const elapsed = performance.now() - t0;
      for (const r of results) assert.equal(r.status, 'completed');
      // 6 calls in all: 4 of them wait for a refill
      assert.ok(elapsed >= 195, `took ${elapsed} ms`);
    });
  });
});
