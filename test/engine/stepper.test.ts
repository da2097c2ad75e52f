import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StepSessions } from '../../runtime/engine/stepper.js';
import type { NapState, Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, sleep, stateOf, withRuntime } from './support.js';

/**
 * Step-through on the normal engine: batch 0 is the inputs, batch k the modules
 * whose module dependencies lie in earlier batches; `next` runs one batch, `continue` the rest
 * (same outputs as a normal run), `stop` cancels.
 */

const source = `in t: String
a = Nap(20, t)
b = Tally(t)
c = Nap(20, "\${a}+")
d = Tally(c)
out b
out d
`;

describe('step-through sessions', () => {
  test('batches, initial state, one batch per next, then continue', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, source);
      const id = (name: string) => dag.variables.indexOf(name);
      const [t, a, b, c, d] = ['t', 'a', 'b', 'c', 'd'].map(id) as [number, number, number, number, number];
      const sessions = new StepSessions();
      const session = sessions.start(engine, dag, { t: 'x' });
      assert.equal(sessions.get(session.id), session);
      assert.deepEqual(session.batches, [[t], [a, b], [c], [d]]);
      assert.equal(session.totalBatches, 4);

      const initial = await session.initial();
      assert.equal(initial.currentBatch, 0);
      assert.equal(initial.totalBatches, 4);
      assert.deepEqual(initial.batchNodes, [t]);
      assert.deepEqual(initial.completedNodes.filter((n) => n.nodeId === t).map((n) => [n.nodeName, n.nodeType, n.valuePreview]), [['t', 'data', '"x"']]);
      for (const n of [a, b, c, d]) assert.ok(initial.pendingNodes.includes(n), `node ${n} pending`);
      await sleep(30);
      assert.equal(stateOf<NapState>(engine, 'Nap').count, 0, 'nothing runs before the first step');
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 0);

      const one = await session.next();
      assert.equal(one.currentBatch, 1);
      assert.deepEqual(one.batchNodes, [a, b]);
      const done1 = one.completedNodes.map((n) => n.nodeId);
      assert.ok(done1.includes(a) && done1.includes(b));
      assert.ok(one.pendingNodes.includes(c) && one.pendingNodes.includes(d));
      assert.deepEqual(one.completedNodes.find((n) => n.nodeId === a)!.valuePreview, '"x"');
      assert.equal(one.completedNodes.find((n) => n.nodeId === a)!.nodeType, 'module');
      await sleep(40);
      assert.deepEqual(stateOf<NapState>(engine, 'Nap').starts, ['x'], 'the next batch has not started');
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
      assert.equal(session.isComplete, false);

      const two = await session.next();
      assert.equal(two.currentBatch, 2);
      assert.deepEqual(stateOf<NapState>(engine, 'Nap').starts, ['x', 'x+']);
      assert.ok(two.pendingNodes.includes(d));
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);

      const { state, result } = await session.continue();
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(state.pendingNodes, []);
      assert.equal(session.isComplete, true);
      const normal = await engine.run(dag, { t: 'x' });
      assert.deepEqual(result.outputs, normal.outputs);
      assert.deepEqual(result.outputs, { b: 'x', d: 'x+' });
    });
  });

  test('stepping with next to the end completes the session', async () => {
    await withRuntime({}, async ({ engine }) => {
      const session = new StepSessions().start(engine, compileOk(engine, source), { t: 'y' });
      await session.initial();
      let steps = 0;
      while (!session.isComplete && steps < 10) {
        await session.next();
        steps++;
      }
      assert.equal(steps, 3);
      const result = await session.result;
      assert.equal(result.status, 'completed');
      assert.deepEqual(result.outputs, { b: 'y', d: 'y+' });
    });
  });

  test('a lazy call demanded only by a later batch does not stall stepping', async () => {
    await withRuntime({}, async ({ engine }) => {
      // `lz` sits in batch 1, but whether anything needs it is decided by `ok`, in batch 2
      const dag = compileOk(engine, 'in t: String\nlz = Tally("lazy") with lazy\nc1 = TallyInt(1)\nok = c1 > 0 and contains(t, "x")\nchecked = TallyBool(ok)\npick = if (checked) lz else "no"\nout pick\n');
      const session = new StepSessions().start(engine, dag, { t: 'x' });
      await session.initial();
      const guard = <T>(p: Promise<T>) => Promise.race([p, sleep(5000).then(() => assert.fail('the step never returned'))]);
      const one = await guard(session.next());
      assert.equal(one.currentBatch, 1);
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 0, 'not demanded yet');
      let steps = 1;
      while (!session.isComplete && steps < 10) {
        await guard(session.next());
        steps++;
      }
      const result = await session.result;
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { pick: 'lazy' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
      assert.deepEqual(result.outputs, (await engine.run(dag, { t: 'x' })).outputs);
    });
  });

  test('stop cancels the session: later batches never run', async () => {
    await withRuntime({}, async ({ engine }) => {
      const sessions = new StepSessions();
      const session = sessions.start(engine, compileOk(engine, source), { t: 'z' });
      await session.initial();
      await session.next();
      assert.equal(sessions.stop(session.id), true);
      assert.equal(sessions.get(session.id), undefined);
      const result = await session.result;
      assert.equal(result.status, 'cancelled');
      assert.deepEqual(result.outputs, { b: 'z' });
      await sleep(50);
      assert.deepEqual(stateOf<NapState>(engine, 'Nap').starts, ['z']);
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
      assert.equal(sessions.stop(session.id), false);
    });
  });

  test('idle sessions expire and are cancelled', async () => {
    await withRuntime({}, async ({ engine }) => {
      const sessions = new StepSessions(20);
      const session = sessions.start(engine, compileOk(engine, source), { t: 'w' });
      await session.initial();
      await sleep(40);
      assert.equal(sessions.get(session.id), undefined);
      assert.equal((await session.result).status, 'cancelled');
    });
  });
});
