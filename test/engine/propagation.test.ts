import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeState } from '../../runtime/engine/spi.js';
import type { Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, node, stateOf, withRuntime } from './support.js';

/**
 * Failure propagation is eager: dependents of a failed node are skipped at
 * once, independent branches complete, partial outputs stay. Untaken work is not run
 * (docs/decisions.md #6), so its failures do not count. A failed inline transform fails the run
 * (docs/decisions.md #12).
 */

describe('failure propagation', () => {
  test('a failing node skips its dependents immediately; independent branches complete', async () => {
    const events: { id: number; state: NodeState; at: number }[] = [];
    const listener = { onNodeStateChanged: (_e: string, id: number, state: NodeState) => events.push({ id, state, at: performance.now() }) };
    await withRuntime({ listener, defaultModuleTimeoutMs: null }, async ({ engine }) => {
      const dag = compileOk(
        engine,
        'in t: String\nbad = TallyFail(t)\nd1 = Tally(bad)\nd2 = concat(d1, "!")\nd3 = "${d2} and ${t}"\nslow = Nap(300, t)\nfree = Uppercase(t)\nout d3\nout slow\nout free\n',
      );
      // no module or execution timeout: only eager propagation can end this run
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'failed', describeResult(result));
      assert.deepEqual(result.outputs, { slow: 'x', free: 'X' }, 'partial outputs are present');
      assert.deepEqual(result.pendingOutputs, ['d3']);
      assert.equal(result.errors.length, 1, 'skipped nodes are not errors of their own');
      assert.equal(result.errors[0]!.nodeName, 'bad');
      for (const name of ['d1', 'd2', 'd3']) assert.equal(node(result, name).state, 'skipped', name);
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 0, 'the dependent module never ran');
      // the dependents were skipped when `bad` failed, long before the slow branch finished
      const skippedAt = Math.max(...events.filter((e) => e.state === 'skipped').map((e) => e.at));
      const slowDoneAt = events.find((e) => e.id === node(result, 'slow').id && e.state === 'completed')!.at;
      assert.ok(skippedAt < slowDoneAt, 'dependents were settled before the independent branch ended');
    });
  });

  test('a failure upstream of a join skips the join; the other input branch still completes', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nleft = TallyFail(t)\nright = Tally(t)\njoined = concat(left, right)\nout joined\nout right\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.deepEqual(result.outputs, { right: 'x' });
      assert.equal(node(result, 'joined').state, 'skipped');
    });
  });

  test('an untaken if arm whose module would fail does not fail the run', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in flag: Boolean\nin t: String\nx = if (flag) TallyFail(t) else "safe"\ny = branch { flag -> TallyFail(t), otherwise -> Tally(t) }\nout x\nout y\n');
      const off = await engine.run(dag, { flag: false, t: 'v' });
      assert.equal(off.status, 'completed', describeResult(off));
      assert.deepEqual(off.outputs, { x: 'safe', y: 'v' });
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 0);
      const on = await engine.run(dag, { flag: true, t: 'v' });
      assert.equal(on.status, 'failed', 'the taken arm fails the run');
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 2);
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1, 'the untaken otherwise arm did not run');
    });
  });

  test('a guarded expression runs only when its guard holds', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in flag: Boolean\nin t: String\ng = TallyFail(t) when flag\nr = g ?? "none"\nout r\n');
      const result = await engine.run(dag, { flag: false, t: 'v' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { r: 'none' });
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 0);
    });
  });

  test('the right sides of and / or / ?? run only when needed', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(
        engine,
        'in f: Boolean\nin t: Boolean\nin opt: Optional<String>\na = f and TallyBool(true)\no = t or TallyBool(false)\nc = opt ?? TallyFail("unused")\nout a\nout o\nout c\n',
      );
      const skipped = await engine.run(dag, { f: false, t: true, opt: 'present' });
      assert.equal(skipped.status, 'completed', describeResult(skipped));
      assert.deepEqual(skipped.outputs, { a: false, o: true, c: 'present' });
      assert.equal(stateOf<Tally>(engine, 'TallyBool').count, 0);
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 0);

      const needed = await engine.run(dag, { f: true, t: false, opt: null });
      assert.equal(needed.status, 'failed', 'the ?? right side was needed and failed');
      assert.deepEqual(needed.outputs, { a: true, o: false });
      assert.equal(stateOf<Tally>(engine, 'TallyBool').count, 2);
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 1);
    });
  });

  test('a failed transform fails the run: integer division by zero outside a lambda', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in a: Int\nin z: Int\nq = a / z\nr = q + 1\nok = a + 1\nout r\nout ok\n');
      const result = await engine.run(dag, { a: 1, z: 0 }, { includeNodes: true });
      assert.equal(result.status, 'failed', describeResult(result));
      assert.deepEqual(result.outputs, { ok: 2 });
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!.message, /Division by zero/);
      assert.equal(node(result, 'r').state, 'skipped');
    });
  });

  test('a failed transform fails the run: element-wise merge of lists of different lengths', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in names: List<{ id: String }>\nin scores: List<{ score: Int }>\ncombined = names + scores\nout combined\n');
      const ok = await engine.run(dag, { names: [{ id: 'a' }], scores: [{ score: 1 }] });
      assert.equal(ok.status, 'completed');
      const result = await engine.run(dag, { names: [{ id: 'a' }, { id: 'b' }], scores: [{ score: 1 }] }, { includeNodes: true });
      assert.equal(result.status, 'failed', describeResult(result));
      assert.equal(result.errors.length, 1);
      assert.equal(result.errors[0]!.nodeName, 'combined');
      assert.equal(node(result, 'combined').state, 'failed');
      assert.deepEqual(result.pendingOutputs, ['combined']);
    });
  });

  test('a lambda dividing by zero yields 0 instead (docs/decisions.md #5)', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in xs: List<Int>\nr = map(xs, (x) => divide(10, x))\nout r\n');
      const result = await engine.run(dag, { xs: [0, 5] });
      assert.equal(result.status, 'completed');
      assert.deepEqual(result.outputs, { r: [0, 2] });
    });
  });
});
