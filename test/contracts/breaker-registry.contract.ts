import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BreakerTransition, CircuitBreakerRegistry } from '../../runtime/engine/spi.js';
import { sleep } from './fixtures.js';

export interface BreakerConfigUnderTest {
  readonly failureThreshold: number;
  readonly resetDurationMs: number;
}

/**
 * The CircuitBreakerRegistry contract: one breaker per module, transitions reported to
 * observers with growing epochs, and transitions decided elsewhere adopted when newer (with the
 * remaining open time honoured) and ignored when stale.
 */
export function breakerRegistryContract(name: string, open: (config: BreakerConfigUnderTest) => CircuitBreakerRegistry): void {
  describe(`CircuitBreakerRegistry contract: ${name}`, () => {
    const config = { failureThreshold: 2, resetDurationMs: 40 };

    test('one breaker per module; it opens after the threshold and observers hear it with an epoch', () => {
      const registry = open(config);
      const heard: [BreakerTransition, string][] = [];
      registry.observe((t, origin) => heard.push([t, origin]));
      const b = registry.forModule('M');
      assert.equal(registry.forModule('M'), b);
      b.onFailure();
      b.onFailure();
      assert.equal(b.state, 'open');
      assert.equal(b.tryAcquire(), false);
      assert.equal(heard.length, 1);
      const [t, origin] = heard[0]!;
      assert.equal(origin, 'local');
      assert.deepEqual([t.module, t.from, t.to], ['M', 'closed', 'open']);
      assert.ok(t.epoch > 0);
      assert.ok(t.remainingOpenMs > 0 && t.remainingOpenMs <= config.resetDurationMs);
      assert.equal(registry.all()['M']?.state, 'open');
    });

    test('a newer transition from elsewhere is adopted; a stale or replayed one is not', () => {
      const registry = open(config);
      const heard: string[] = [];
      registry.observe((t, origin) => heard.push(`${origin}:${t.from}->${t.to}@${t.epoch}`));
      assert.equal(registry.adopt({ module: 'N', from: 'closed', to: 'open', epoch: 5, remainingOpenMs: 10_000 }), true);
      const b = registry.forModule('N');
      assert.equal(b.state, 'open');
      assert.equal(b.tryAcquire(), false, 'adopted open rejects calls');
      assert.equal(registry.adopt({ module: 'N', from: 'open', to: 'closed', epoch: 5, remainingOpenMs: 0 }), false, 'same epoch: stale');
      assert.equal(registry.adopt({ module: 'N', from: 'open', to: 'closed', epoch: 4, remainingOpenMs: 0 }), false, 'older epoch: stale');
      assert.equal(b.state, 'open');
      assert.deepEqual(heard, ['adopted:closed->open@5']);
      // the next local transition continues from the adopted epoch
      assert.equal(registry.adopt({ module: 'N', from: 'open', to: 'closed', epoch: 6, remainingOpenMs: 0 }), true);
      b.onFailure();
      b.onFailure();
      assert.equal(heard[heard.length - 1], 'local:closed->open@7');
    });

    test('an adopted open period ends when the sender said: then one probe goes', async () => {
      const registry = open(config);
      registry.adopt({ module: 'P', from: 'closed', to: 'open', epoch: 1, remainingOpenMs: 15 });
      const b = registry.forModule('P');
      assert.equal(b.tryAcquire(), false);
      await sleep(30);
      assert.equal(b.tryAcquire(), true, 'the probe');
      assert.equal(b.state, 'half_open');
      b.onSuccess();
      assert.equal(b.state, 'closed');
    });

    test('an observer can stop listening', () => {
      const registry = open(config);
      let count = 0;
      const stop = registry.observe(() => count++);
      registry.adopt({ module: 'Q', from: 'closed', to: 'open', epoch: 1, remainingOpenMs: 1000 });
      stop();
      registry.adopt({ module: 'Q', from: 'open', to: 'closed', epoch: 2, remainingOpenMs: 0 });
      assert.equal(count, 1);
    });
  });
}
