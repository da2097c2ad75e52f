import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalBreakerRegistry, LocalCircuitBreaker } from '../../runtime/engine/circuit-breaker.js';
import type { CircuitState } from '../../runtime/engine/spi.js';
import type { HangState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, eventually, node, stateOf, withRuntime } from './support.js';

/**
 * Circuit breakers: closed → open after `failureThreshold` consecutive node
 * failures; open rejects; after `resetDuration` one half-open probe; success closes, failure
 * re-opens. Through the engine a rejected node fails with CircuitOpen and fallback / on_error
 * apply to it. Clocks are injected.
 */

describe('LocalCircuitBreaker', () => {
  const config = { failureThreshold: 3, resetDurationMs: 1000, halfOpenMaxProbes: 1 };

  function breaker() {
    let now = 0;
    const changes: string[] = [];
    const b = new LocalCircuitBreaker('M', config, (name, from, to) => changes.push(`${name}:${from}->${to}`), () => now);
    return { b, changes, advance: (ms: number) => (now += ms) };
  }

  test('closed → open after the threshold of consecutive failures; a success resets the count', () => {
    const { b, changes } = breaker();
    assert.equal(b.state, 'closed');
    b.onFailure();
    b.onFailure();
    b.onSuccess(); // not consecutive any more
    b.onFailure();
    b.onFailure();
    assert.equal(b.state, 'closed');
    assert.equal(b.stats().consecutiveFailures, 2);
    b.onFailure();
    assert.equal(b.state, 'open');
    assert.deepEqual(changes, ['M:closed->open']);
    assert.deepEqual(b.stats(), { state: 'open', consecutiveFailures: 3, totalSuccesses: 1, totalFailures: 5, totalRejected: 0 });
  });

  test('open rejects until the reset duration has passed, then admits one half-open probe', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    assert.equal(b.tryAcquire(), false);
    advance(999);
    assert.equal(b.tryAcquire(), false);
    assert.equal(b.stats().totalRejected, 2);
    advance(1);
    assert.equal(b.tryAcquire(), true, 'the probe');
    assert.equal(b.state, 'half_open');
    assert.equal(b.tryAcquire(), false, 'only one probe at a time');
    assert.equal(b.stats().totalRejected, 3);
  });

  test('a successful probe closes the breaker', () => {
    const { b, advance, changes } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    advance(1000);
    assert.equal(b.tryAcquire(), true);
    b.onSuccess();
    assert.equal(b.state, 'closed');
    assert.equal(b.stats().consecutiveFailures, 0);
    assert.equal(b.tryAcquire(), true);
    assert.deepEqual(changes, ['M:closed->open', 'M:open->half_open', 'M:half_open->closed']);
  });

  test('a failed probe re-opens it for another reset duration', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    advance(1000);
    assert.equal(b.tryAcquire(), true);
    b.onFailure();
    assert.equal(b.state, 'open');
    advance(500);
    assert.equal(b.tryAcquire(), false, 'open again, counted from the failed probe');
    advance(500);
    assert.equal(b.tryAcquire(), true);
  });

  test('a probe that ends with neither outcome frees its slot; reset closes', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    advance(1000);
    assert.equal(b.tryAcquire(), true);
    b.release();
    assert.equal(b.tryAcquire(), true, 'the released probe slot is available again');
    b.reset();
    assert.equal(b.state, 'closed');
    assert.equal(b.stats().consecutiveFailures, 0);
  });

  test('the registry keeps one breaker per module, with per-module overrides', () => {
    const reg = new LocalBreakerRegistry(config, { Special: { failureThreshold: 1 } });
    assert.equal(reg.forModule('A'), reg.forModule('A'));
    reg.forModule('Special').onFailure();
    assert.equal(reg.forModule('Special').state, 'open');
    reg.forModule('A').onFailure();
    assert.equal(reg.forModule('A').state, 'closed');
    assert.deepEqual(Object.keys(reg.all()).sort(), ['A', 'Special']);
  });
});

describe('breakers shaped for a cluster', () => {
  const config = { failureThreshold: 2, resetDurationMs: 1000, halfOpenMaxProbes: 1 };

  function registry() {
    let now = 0;
    const reg = new LocalBreakerRegistry(config, {}, undefined, () => now);
    return { reg, advance: (ms: number) => (now += ms) };
  }

  test('a probe gate decides who probes after the open period: refused calls are rejections; a granted one is the probe', () => {
    const { reg, advance } = registry();
    let granted = false;
    const asked: string[] = [];
    reg.setProbeGate({ mayProbe: (m) => (asked.push(m), granted) });
    const b = reg.forModule('Dep');
    b.onFailure();
    b.onFailure();
    assert.equal(b.tryAcquire(), false);
    assert.deepEqual(asked, [], 'not asked while the open period lasts');
    advance(1000);
    assert.equal(b.tryAcquire(), false, 'the gate said no');
    assert.equal(b.state, 'open');
    assert.equal(b.stats().totalRejected, 2);
    granted = true;
    assert.equal(b.tryAcquire(), true, 'the probe');
    assert.equal(b.state, 'half_open');
    assert.equal(b.tryAcquire(), false, 'one probe at a time');
    b.onSuccess();
    assert.equal(b.state, 'closed');
    assert.deepEqual(asked, ['Dep', 'Dep']);
  });

  test('an adopted half-open state lets no call through unless the gate grants it', () => {
    const { reg } = registry();
    reg.setProbeGate({ mayProbe: () => false });
    assert.equal(reg.adopt({ module: 'Dep', from: 'open', to: 'half_open', epoch: 3, remainingOpenMs: 0 }), true);
    assert.equal(reg.forModule('Dep').tryAcquire(), false, 'another instance is probing');
  });

  test('epochs: on an exact tie an open wins; anything else at the same epoch is stale', () => {
    const { reg } = registry();
    const b = reg.forModule('Dep');
    reg.adopt({ module: 'Dep', from: 'closed', to: 'half_open', epoch: 4, remainingOpenMs: 0 });
    assert.equal(reg.adopt({ module: 'Dep', from: 'half_open', to: 'closed', epoch: 4, remainingOpenMs: 0 }), false);
    assert.equal(reg.adopt({ module: 'Dep', from: 'half_open', to: 'open', epoch: 4, remainingOpenMs: 500 }), true, 'a tie prefers open');
    assert.equal(b.state, 'open');
    assert.equal(reg.adopt({ module: 'Dep', from: 'half_open', to: 'open', epoch: 4, remainingOpenMs: 500 }), false, 'open already: a replay');
  });

  test('trip opens at once with the next epoch; snapshots say how much of the open period is left', () => {
    const { reg, advance } = registry();
    const heard: string[] = [];
    reg.observe((t, origin) => heard.push(`${origin}:${t.to}@${t.epoch}/${t.remainingOpenMs}`));
    const b = reg.forModule('Dep');
    assert.equal(b.trip(), true);
    assert.equal(b.trip(), false, 'already open');
    advance(300);
    assert.deepEqual(reg.snapshots(), [{ module: 'Dep', state: 'open', epoch: 1, remainingOpenMs: 700, consecutiveFailures: 0 }]);
    assert.deepEqual(heard, ['local:open@1/1000']);
  });
});

describe('circuit breakers in the engine', () => {
  function setup() {
    let now = 0;
    const changes: [string, CircuitState, CircuitState][] = [];
    const breakers = new LocalBreakerRegistry({ failureThreshold: 3, resetDurationMs: 1000, halfOpenMaxProbes: 1 }, {}, (n, f, t) => changes.push([n, f, t]), () => now);
    return { breakers, changes, advance: (ms: number) => (now += ms) };
  }

  test('a failing module trips the breaker; later calls fail with CircuitOpen without running it', async () => {
    const { breakers, changes, advance } = setup();
    await withRuntime({ breakers }, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Switch(t)\nother = Tally(t)\nout r\nout other\n');
      const sw = stateOf<{ failing: boolean; count: number }>(engine, 'Switch');
      for (let i = 0; i < 3; i++) {
        const r = await engine.run(dag, { t: 'x' });
        assert.equal(r.errors[0]!.code, 'ModuleFailed');
      }
      assert.equal(breakers.forModule('Switch').state, 'open');
      const rejected = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(rejected.status, 'failed');
      assert.equal(rejected.errors.length, 1);
      assert.equal(rejected.errors[0]!.code, 'CircuitOpen');
      assert.equal(rejected.errors[0]!.message, "circuit breaker open for module 'Switch'");
      assert.equal(node(rejected, 'r').state, 'failed');
      assert.deepEqual(rejected.outputs, { other: 'x' }, 'other modules are unaffected');
      assert.equal(sw.count, 3, 'the module did not run while open');

      // half-open probe that succeeds closes the breaker
      advance(1000);
      sw.failing = false;
      const probe = await engine.run(dag, { t: 'x' });
      assert.equal(probe.status, 'completed', describeResult(probe));
      assert.deepEqual(probe.outputs, { r: 'on: x', other: 'x' });
      assert.equal(breakers.forModule('Switch').state, 'closed');
      assert.deepEqual(changes.map(([, f, t]) => `${f}->${t}`), ['closed->open', 'open->half_open', 'half_open->closed']);
    });
  });

  test('a failed probe re-opens the breaker', async () => {
    const { breakers, advance } = setup();
    await withRuntime({ breakers }, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nr = Switch(t)\nout r\n');
      for (let i = 0; i < 3; i++) await engine.run(dag, { t: 'x' });
      advance(1000);
      const probe = await engine.run(dag, { t: 'x' });
      assert.equal(probe.errors[0]!.code, 'ModuleFailed', 'the probe ran and failed');
      assert.equal(stateOf<{ count: number }>(engine, 'Switch').count, 4);
      assert.equal(breakers.forModule('Switch').state, 'open');
      const again = await engine.run(dag, { t: 'x' });
      assert.equal(again.errors[0]!.code, 'CircuitOpen');
      assert.equal(stateOf<{ count: number }>(engine, 'Switch').count, 4);
    });
  });

  test('fallback and on_error apply to CircuitOpen', async () => {
    const { breakers } = setup();
    await withRuntime({ breakers }, async ({ engine }) => {
      const trip = compileOk(engine, 'in t: String\nr = Switch(t)\nout r\n');
      for (let i = 0; i < 3; i++) await engine.run(trip, { t: 'x' });
      const dag = compileOk(engine, 'in t: String\na = Switch(t) with fallback: "fb"\nb = Switch(t) with on_error: skip\nc = Switch(t) with retry: 2, fallback: "after retries"\nout a\nout b\nout c\n');
      const result = await engine.run(dag, { t: 'x' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { a: 'fb', b: '', c: 'after retries' });
      assert.equal(stateOf<{ count: number }>(engine, 'Switch').count, 3);
    });
  });

  test('the breaker sees node outcomes: a call with retries counts once; a timeout counts; cancellation does not', async () => {
    const { breakers } = setup();
    await withRuntime({ breakers }, async ({ engine }) => {
      const retried = compileOk(engine, 'in t: String\nr = Switch(t) with retry: 4\nout r\n');
      await engine.run(retried, { t: 'x' });
      assert.equal(stateOf<{ count: number }>(engine, 'Switch').count, 5);
      assert.equal(breakers.forModule('Switch').stats().consecutiveFailures, 1);
      assert.equal(breakers.forModule('Switch').state, 'closed');

      const timed = compileOk(engine, 'in t: String\nr = Hang(t) with timeout: 20ms\nout r\n');
      await engine.run(timed, { t: 'x' });
      assert.equal(breakers.forModule('Hang').stats().totalFailures, 1, 'a timed-out node is a failure');

      const hang = stateOf<HangState>(engine, 'Hang');
      const cancelled = compileOk(engine, 'in t: String\nr = Hang(t)\nout r\n');
      const run = engine.run(cancelled, { t: 'x' }, { onStart: (exec) => void eventually(() => hang.started === 2).then(() => exec.cancel()) });
      const result = await run;
      assert.equal(result.status, 'cancelled');
      assert.equal(breakers.forModule('Hang').stats().totalFailures, 1, 'cancellation is not a failure');
    });
  });

  test('inline standard-library calls are not guarded by breakers', async () => {
    const { breakers } = setup();
    await withRuntime({ breakers }, async ({ engine }) => {
      const dag = compileOk(engine, 'in z: Int\nr = divide(1, z)\nout r\n');
      for (let i = 0; i < 5; i++) assert.equal((await engine.run(dag, { z: 0 })).status, 'failed');
      const ok = await engine.run(dag, { z: 1 });
      assert.deepEqual(ok.outputs, { r: 1 });
      assert.deepEqual(Object.keys(breakers.all()), []);
    });
  });
});
