import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConstellationError } from '../../runtime/errors.js';
import { BoundedScheduler, UnboundedScheduler, type Release } from '../../runtime/engine/scheduler.js';
import type { NapState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, node, stateOf, withRuntime } from './support.js';

/** The priority scheduler on its own and under the engine (ready-only dispatch). */

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Queues `entries` behind a held slot; returns the order in which they were granted. */
async function grantOrder(scheduler: BoundedScheduler, entries: readonly [string, number][]): Promise<string[]> {
  const hold = await scheduler.acquire(50);
  const order: string[] = [];
  const waits = entries.map(([label, p]) =>
    scheduler.acquire(p).then((release) => {
      order.push(label);
      release();
    }),
  );
  hold();
  await Promise.all(waits);
  return order;
}

describe('BoundedScheduler', () => {
  test('grants waiting entries highest priority first; priorities are clamped to 0..100', async () => {
    const s = new BoundedScheduler({ maxConcurrency: 1 });
    const order = await grantOrder(s, [['low', 20], ['critical', 100], ['bg', 0], ['normal', 50], ['high', 80], ['over', 500], ['under', -7]]);
    // `over` clamps to 100 and queues after `critical` (FIFO among equals); `under` clamps to 0
    assert.deepEqual(order, ['critical', 'over', 'high', 'normal', 'low', 'bg', 'under']);
    const stats = s.stats();
    assert.equal(stats.totalSubmitted, 8);
    assert.equal(stats.totalCompleted, 8);
    assert.equal(stats.highPriorityCompleted, 3);
    assert.equal(stats.lowPriorityCompleted, 3);
    assert.equal(stats.activeCount, 0);
    assert.equal(stats.queuedCount, 0);
  });

  test('FIFO among equal priorities', async () => {
    const s = new BoundedScheduler({ maxConcurrency: 1 });
    const order = await grantOrder(s, [['a', 50], ['b', 50], ['c', 50], ['d', 50]]);
    assert.deepEqual(order, ['a', 'b', 'c', 'd']);
  });

  test('keeps maxConcurrency slots busy and never more', async () => {
    const s = new BoundedScheduler({ maxConcurrency: 3 });
    let active = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const release = await s.acquire(50);
        active++;
        max = Math.max(max, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        release();
      }),
    );
    assert.equal(max, 3);
  });

  test('maxQueueSize: a submission beyond it is rejected with QueueFull', async () => {
    const s = new BoundedScheduler({ maxConcurrency: 1, maxQueueSize: 2 });
    const hold = await s.acquire(50);
    const a = s.acquire(50);
    const b = s.acquire(50);
    await assert.rejects(s.acquire(100), (e: unknown) => e instanceof ConstellationError && e.code === 'QueueFull');
    assert.equal(s.stats().queuedCount, 2);
    assert.equal(s.stats().totalSubmitted, 3, 'a rejected submission is not counted');
    hold();
    (await a)();
    (await b)();
    // room again
    (await s.acquire(50))();
  });

  test('starvation: waiting entries age (injected clock, age()) until they beat fresher work', async () => {
    let now = 0;
    const s = new BoundedScheduler({ maxConcurrency: 1, starvationTimeoutMs: 30_000, agingIntervalMs: 5000, now: () => now });
    const hold = await s.acquire(50);
    const order: string[] = [];
    const bg = s.acquire(0).then((r) => (order.push('bg'), r()));
    now = 25_000;
    s.age(); // 0 + 10 per 5 s → 50 after 25 s (the reference's rate with the 30 s default)
    assert.equal(s.stats().starvationPromotions, 1);
    const normal = s.acquire(50).then((r) => (order.push('normal'), r()));
    hold();
    await Promise.all([bg, normal]);
    assert.deepEqual(order, ['bg', 'normal'], 'the aged entry (50, earlier) goes before a fresh normal one');
  });

  test('starvation: the aging step follows the configured timeout (priority 0 reaches 60 at the timeout)', async () => {
    let now = 0;
    const s = new BoundedScheduler({ maxConcurrency: 1, starvationTimeoutMs: 10_000, agingIntervalMs: 5000, now: () => now });
    const hold = await s.acquire(50);
    const order: string[] = [];
    const bg = s.acquire(0).then((r) => (order.push('bg'), r()));
    now = 10_000;
    const normal = s.acquire(50).then((r) => (order.push('normal'), r()));
    s.age();
    hold();
    await Promise.all([bg, normal]);
    assert.deepEqual(order, ['bg', 'normal']);
    // aging is capped at 100
    const hold2 = await s.acquire(50);
    const order2: string[] = [];
    const old = s.acquire(0).then((r) => (order2.push('old'), r()));
    now += 1_000_000;
    s.age();
    const crit = s.acquire(100).then((r) => (order2.push('crit'), r()));
    hold2();
    await Promise.all([old, crit]);
    assert.deepEqual(order2, ['old', 'crit'], 'capped at 100 and earlier: FIFO among equals');
  });

  test('an aborted waiter leaves the queue', async () => {
    const s = new BoundedScheduler({ maxConcurrency: 1 });
    const hold = await s.acquire(50);
    const controller = new AbortController();
    const waiting = s.acquire(50, controller.signal);
    controller.abort(new ConstellationError('Cancelled', 'gone'));
    await assert.rejects(waiting, (e: unknown) => e instanceof ConstellationError && e.code === 'Cancelled');
    assert.equal(s.stats().queuedCount, 0);
    hold();
    assert.equal(s.stats().activeCount, 0);
  });

  test('shutdown releases every waiter, rejects new work and lets active work finish', async () => {
    const s = new BoundedScheduler({ maxConcurrency: 1 });
    const hold: Release = await s.acquire(50);
    const waiters = [s.acquire(50), s.acquire(80), s.acquire(0)];
    s.shutdown();
    for (const w of waiters) await assert.rejects(w, (e: unknown) => e instanceof ConstellationError && e.code === 'ShuttingDown');
    await assert.rejects(s.acquire(50), (e: unknown) => e instanceof ConstellationError && e.code === 'ShuttingDown');
    assert.equal(s.stats().activeCount, 1);
    hold();
    assert.equal(s.stats().activeCount, 0);
    await tick();
  });

  test('the unbounded scheduler grants at once', async () => {
    const s = new UnboundedScheduler();
    const releases = await Promise.all([1, 2, 3].map(() => s.acquire()));
    assert.equal(releases.length, 3);
    assert.equal(s.bounded, false);
    assert.equal(s.stats().enabled, false);
  });
});

describe('engine with a bounded scheduler', () => {
  test('a chain longer than maxConcurrency never stalls: only ready nodes take slots', async () => {
    const scheduler = new BoundedScheduler({ maxConcurrency: 1 });
    await withRuntime({ scheduler }, async ({ engine }) => {
      // three chains of five calls each: the reference would hand downstream calls a slot before their inputs exist
      const chain = (p: string) =>
        [`${p}1 = Nap(10, "${p}1")`, ...[2, 3, 4, 5].map((i) => `${p}${i} = Nap(10, concat(${p}${i - 1}, "+"))`)].join('\n');
      const source = `${chain('a')}\n${chain('b')}\n${chain('c')}\nout a5\nout b5\nout c5\n`;
      const result = await engine.run(compileOk(engine, source), {}, { timeoutMs: 10_000 });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { a5: 'a1++++', b5: 'b1++++', c5: 'c1++++' });
      const nap = stateOf<NapState>(engine, 'Nap');
      assert.equal(nap.count, 15);
      assert.equal(nap.maxActive, 1);
      const stats = scheduler.stats();
      assert.equal(stats.activeCount, 0);
      assert.equal(stats.queuedCount, 0);
      assert.equal(stats.totalCompleted, stats.totalSubmitted);
      assert.ok(stats.totalSubmitted >= 15);
    });
  });

  test('concurrent executions share the slots and all complete', async () => {
    const scheduler = new BoundedScheduler({ maxConcurrency: 2 });
    await withRuntime({ scheduler }, async ({ engine }) => {
      const dag = compileOk(engine, 'in l: String\na = Nap(10, l)\nb = Nap(10, concat(a, "+"))\nc = Nap(10, concat(b, "+"))\nout c\n');
      const results = await Promise.all(['x', 'y', 'z', 'w'].map((l) => engine.run(dag, { l }, { timeoutMs: 10_000 })));
      assert.deepEqual(results.map((r) => r.outputs), ['x', 'y', 'z', 'w'].map((l) => ({ c: `${l}++` })));
      assert.ok(stateOf<NapState>(engine, 'Nap').maxActive <= 2);
    });
  });

  test('a node the full queue rejects fails with QueueFull; the others complete', async () => {
    const scheduler = new BoundedScheduler({ maxConcurrency: 1, maxQueueSize: 1 });
    await withRuntime({ scheduler }, async ({ engine }) => {
      const dag = compileOk(engine, 'a = Nap(30, "a")\nb = Nap(30, "b")\nc = Nap(30, "c")\nout a\nout b\nout c\n');
      const result = await engine.run(dag, {}, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.deepEqual(result.outputs, { a: 'a', b: 'b' });
      assert.equal(result.errors.length, 1);
      assert.equal(result.errors[0]!.code, 'QueueFull');
      assert.equal(node(result, 'c').state, 'failed');
    });
  });
});
