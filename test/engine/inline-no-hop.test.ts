import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedScheduler } from '../../runtime/engine/scheduler.js';
import { compileOk, describeResult, withRuntime } from './support.js';

/**
 * Standard-library calls and inline expressions run on the coordinator: a pipeline made only of
 * them never sends a task to the worker pool (and neither do `front` modules).
 */

const source = `in xs: List<Int>
in name: String
in n: Int
total = list-sum(xs)
doubled = map(xs, (x) => x * 2)
big = filter(doubled, (x) => x > 4)
avg = total / list-length(xs)
label = if (total > 5) "big" else "small"
greeting = "Hello, \${name}! total=\${total}"
shout = concat(trim(name), "!")
safe = divide(n, 0) with fallback: -1, retry: 1
r = { name: name, total: total }
m = r + { extra: n }
chain = add(add(add(n, 1), 2), 3)
out total
out big
out avg
out label
out greeting
out shout
out safe
out m
out chain
`;

const inputs = { xs: [1, 2, 3], name: ' Ada ', n: 10 };
const expected = {
  total: 6, big: [6], avg: 2, label: 'big', greeting: 'Hello,  Ada ! total=6', shout: 'Ada!', safe: -1,
  m: { name: ' Ada ', total: 6, extra: 10 }, chain: 16,
};

describe('inline work does not touch the pool', () => {
  test('a pipeline of stdlib calls and inline expressions sends no pool task', async () => {
    await withRuntime({}, async ({ engine, pool }) => {
      const dag = compileOk(engine, source);
      const before = { ...pool.stats };
      const result = await engine.run(dag, inputs);
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, expected);
      assert.equal(pool.stats.tasks, before.tasks);
      assert.equal(pool.stats.batches, before.batches);
    });
  });

  test('also with a bounded scheduler (stdlib calls then take slots, still on the coordinator)', async () => {
    await withRuntime({ scheduler: new BoundedScheduler({ maxConcurrency: 1 }) }, async ({ engine, pool }) => {
      const dag = compileOk(engine, source);
      const result = await engine.run(dag, inputs);
      assert.deepEqual(result.outputs, expected);
      assert.equal(pool.stats.tasks, 0);
    });
  });

  test('a long stdlib chain completes without hops', async () => {
    await withRuntime({}, async ({ engine, pool }) => {
      const lines = ['in n: Int', 'v0 = add(n, 1)'];
      for (let i = 1; i < 200; i++) lines.push(`v${i} = add(v${i - 1}, 1)`);
      lines.push('out v199');
      const result = await engine.run(compileOk(engine, lines.join('\n') + '\n'), { n: 0 });
      assert.deepEqual(result.outputs, { v199: 200 });
      assert.equal(pool.stats.tasks, 0);
    });
  });

  test('front modules stay on the coordinator; worker modules do hop (the counter works)', async () => {
    await withRuntime({}, async ({ engine, pool }) => {
      const front = await engine.run(compileOk(engine, 'in t: String\na = Tally(t)\nb = FlakyService(a) with retry: 2\nout b\n'), { t: 'x' });
      assert.deepEqual(front.outputs, { b: 'Success for: x' });
      assert.equal(pool.stats.tasks, 0);
      const worker = await engine.run(compileOk(engine, 'in t: String\nu = Uppercase(t)\nout u\n'), { t: 'x' });
      assert.deepEqual(worker.outputs, { u: 'X' });
      assert.equal(pool.stats.tasks, 1);
    });
  });
});
